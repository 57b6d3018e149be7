//! The monitoring check: the state of each license by the README's Monitoring rules, and the
//! Nagios plugin line. Days and urgency come from `fe2_license::expiry`, never computed here.

use crate::dates;
use crate::snapshot::{Snapshot, Trust};
use chrono::{DateTime, TimeDelta, Utc};
use fe2_license::expiry::{self, Thresholds, Urgency};
use fe2_license::license_file;
use fe2_license::service::{shown_urgency, Verification};
use fe2_license::ErrorClass;
use serde::Serialize;

/// A monitoring plugin state (monitoring-plugins conventions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Exit 0.
    Ok,
    /// Exit 1.
    Warning,
    /// Exit 2.
    Critical,
    /// Exit 3.
    Unknown,
}

impl State {
    /// The plugin's exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    /// `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub fn label(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// Severity for combining licenses (monitoring-plugins' `max_state_alt`): a known
    /// CRITICAL or WARNING outranks an UNKNOWN, which outranks OK.
    fn severity(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Unknown => 1,
            State::Warning => 2,
            State::Critical => 3,
        }
    }

    /// The more severe of two states.
    pub fn worst(self, other: State) -> State {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

/// The check's verdict on one license.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// The license e-mail.
    pub email: String,
    /// This license's state.
    pub state: State,
    /// Why, in short English phrases (the summary's words).
    pub reasons: Vec<String>,
    /// Days left (core rule), `None` without data.
    pub days_left: Option<i64>,
    /// When the license expires, if known.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the license is usable now.
    pub usable: Option<bool>,
    /// The core's urgency for the thresholds in force.
    pub urgency: Option<Urgency>,
    /// How far the data can be trusted.
    pub trust: Trust,
    /// When the shop issued the data.
    pub as_of: Option<DateTime<Utc>>,
    /// Seconds since then.
    pub data_age_seconds: Option<i64>,
    /// True when the shop could not be reached.
    pub offline: bool,
    /// "offline (code) since …, data as of …" when the cached data stands in.
    pub offline_note: Option<String>,
}

/// Raises an assessment to at least `state`, saying why.
fn raise(state: State, reason: String, assessment: &mut Assessment) {
    assessment.state = assessment.state.worst(state);
    assessment.reasons.push(reason);
}

/// The whole check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// The combined state.
    pub state: State,
    /// The plugin's exit code.
    pub exit_code: u8,
    /// The one-line summary (without state and performance data).
    pub summary: String,
    /// The thresholds in force.
    pub thresholds: Thresholds,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// Per license, most severe first.
    pub licenses: Vec<Assessment>,
}

/// Judges one license at `now`.
pub fn assess(snapshot: &Snapshot, thresholds: &Thresholds, now: DateTime<Utc>) -> Assessment {
    let mut assessment = Assessment {
        email: snapshot.email.clone(),
        state: State::Ok,
        reasons: Vec::new(),
        days_left: None,
        expires_at: None,
        usable: None,
        urgency: None,
        trust: snapshot.trust,
        as_of: snapshot.as_of,
        data_age_seconds: snapshot.data_age_secs(now),
        offline: snapshot.offline,
        offline_note: None,
    };
    match &snapshot.license {
        None => {
            let why = match &snapshot.trust_problem {
                Some(problem) => format!("no license data ({})", problem.code),
                None => "no license data yet".to_string(),
            };
            raise(State::Unknown, why, &mut assessment);
        }
        Some(license) => {
            let days = expiry::days_left(license, now);
            let expires = expiry::expires_at(license);
            let usable = expiry::is_usable(license, now);
            let urgency = expiry::urgency(license, now, thresholds);
            assessment.days_left = Some(days);
            assessment.expires_at = expires;
            assessment.usable = Some(usable);
            assessment.urgency = Some(urgency);
            let until = expires
                .map(|at| format!(" (until {})", dates::date(at)))
                .unwrap_or_default();
            let days_text = format!("{days} days left{until}");
            match urgency {
                Urgency::Expired if !usable => raise(
                    State::Critical,
                    format!("not usable (status {})", license.status),
                    &mut assessment,
                ),
                Urgency::Expired => {
                    let on = expires
                        .map(|at| format!(" on {}", dates::date(at)))
                        .unwrap_or_default();
                    raise(State::Critical, format!("expired{on}"), &mut assessment)
                }
                Urgency::Critical => raise(State::Critical, days_text, &mut assessment),
                Urgency::Warning => raise(State::Warning, days_text, &mut assessment),
                Urgency::Ok => raise(State::Ok, days_text, &mut assessment),
            }
            if usable && license.status.as_str() != "active" {
                assessment
                    .reasons
                    .push(format!("status {}", license.status));
            }
            match snapshot.trust {
                Trust::Verified | Trust::None => {}
                Trust::Outdated => {
                    let since = snapshot
                        .as_of
                        .map(|at| format!(" (as of {})", dates::date(at)))
                        .unwrap_or_default();
                    raise(
                        State::Warning,
                        format!("outdated data{since}"),
                        &mut assessment,
                    );
                }
                Trust::Unchecked => {
                    let when = snapshot
                        .fetched_at
                        .map(|at| format!(" as fetched {}", dates::date_time(at)))
                        .unwrap_or_default();
                    assessment.reasons.push(format!(
                        "signature not re-checked here (no keychain access){when}"
                    ));
                    // Without the file's `issued`, the fetch time (a moment after it) stands in.
                    let validity = TimeDelta::days(license_file::VALIDITY_DAYS);
                    if snapshot.fetched_at.is_none_or(|at| now > at + validity) {
                        raise(State::Warning, "outdated data".into(), &mut assessment);
                    }
                }
                Trust::NotVerified => {
                    let code = snapshot
                        .trust_problem
                        .as_ref()
                        .map(|p| format!(" ({})", p.code))
                        .unwrap_or_default();
                    // The core's rule (at least critical), so the check and the app agree.
                    assessment.urgency = Some(shown_urgency(urgency, Verification::NotVerified));
                    raise(
                        State::Critical,
                        format!("not verified{code}"),
                        &mut assessment,
                    );
                }
            }
        }
    }
    let offline_note = || {
        let since = snapshot
            .offline_since
            .map(|at| format!(" since {}", dates::date_time(at)))
            .unwrap_or_default();
        let age = snapshot
            .as_of
            .or(snapshot.fetched_at)
            .map(|at| format!(", data as of {}", dates::date_time(at)))
            .unwrap_or_default();
        format!("{since}{age}")
    };
    match &snapshot.last_error {
        Some(_) if snapshot.credentials_rejected() => raise(
            State::Warning,
            "credentials rejected".into(),
            &mut assessment,
        ),
        Some(error) if ErrorClass::of(&error.code) == ErrorClass::Trust => raise(
            State::Critical,
            format!("the shop's new data is not verifiable ({})", error.code),
            &mut assessment,
        ),
        Some(error) if snapshot.offline => {
            assessment.offline_note = Some(format!("offline ({}){}", error.code, offline_note()))
        }
        Some(error) => raise(
            State::Warning,
            format!("refresh failed ({})", error.code),
            &mut assessment,
        ),
        None if snapshot.offline => {
            assessment.offline_note = Some(format!("offline{}", offline_note()))
        }
        None => {}
    }
    assessment
}

/// Judges every license; no license at all is UNKNOWN.
pub fn evaluate(snapshots: &[Snapshot], thresholds: Thresholds, now: DateTime<Utc>) -> CheckResult {
    let mut licenses: Vec<Assessment> = snapshots
        .iter()
        .map(|s| assess(s, &thresholds, now))
        .collect();
    licenses.sort_by(|a, b| {
        b.state
            .severity()
            .cmp(&a.state.severity())
            .then(
                a.days_left
                    .unwrap_or(i64::MIN)
                    .cmp(&b.days_left.unwrap_or(i64::MIN)),
            )
            .then(a.email.cmp(&b.email))
    });
    let (state, summary) = if licenses.is_empty() {
        (State::Unknown, "no account configured".to_string())
    } else {
        let state = licenses
            .iter()
            .fold(State::Ok, |worst, a| worst.worst(a.state));
        // When every license stands on the cache for the same reason, say so once up front.
        let shared = licenses[0].offline_note.clone().filter(|note| {
            licenses.len() > 1
                && licenses
                    .iter()
                    .all(|a| a.offline_note.as_ref() == Some(note))
        });
        let per_license = licenses
            .iter()
            .map(|a| {
                let mut reasons = a.reasons.clone();
                if shared.is_none() {
                    reasons.extend(a.offline_note.clone());
                }
                format!("{}: {}", a.email, reasons.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        let summary = match shared {
            Some(note) => format!("{note}; {per_license}"),
            None => per_license,
        };
        (state, summary)
    };
    CheckResult {
        state,
        exit_code: state.exit_code(),
        summary,
        thresholds,
        checked_at: now,
        licenses,
    }
}

/// A result that is not about licenses: a failure before any data (exit 3).
pub fn unknown(summary: &str, thresholds: Thresholds, now: DateTime<Utc>) -> CheckResult {
    CheckResult {
        state: State::Unknown,
        exit_code: State::Unknown.exit_code(),
        summary: summary.to_string(),
        thresholds,
        checked_at: now,
        licenses: Vec::new(),
    }
}

/// Plugin output may not contain `|` (it starts the performance data) or line breaks.
fn plugin_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// A performance data label: quoted, without `'` and `=` (which the syntax reserves).
fn perf_label(email: &str) -> String {
    let safe: String = plugin_text(email)
        .chars()
        .map(|c| if c == '\'' || c == '=' { '_' } else { c })
        .collect();
    format!("'days_left_{safe}'")
}

/// The one line: `FE2 LICENSE <STATE> - <summary> | 'days_left_<email>'=N;30:;14:;; …`.
pub fn nagios_line(result: &CheckResult) -> String {
    let mut line = format!(
        "FE2 LICENSE {} - {}",
        result.state.label(),
        plugin_text(&result.summary)
    );
    let perf: Vec<String> = result
        .licenses
        .iter()
        .filter_map(|a| {
            a.days_left.map(|days| {
                format!(
                    "{}={days};{}:;{}:;;",
                    perf_label(&a.email),
                    result.thresholds.warning_days,
                    result.thresholds.critical_days
                )
            })
        })
        .collect();
    if !perf.is_empty() {
        line.push_str(" | ");
        line.push_str(&perf.join(" "));
    }
    line.push('\n');
    line
}

/// The result as pretty JSON with a final newline.
pub fn json(result: &CheckResult) -> String {
    let mut text = serde_json::to_string_pretty(result).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{at, license, problem, verified};
    use fe2_license::model::Status;

    const NOW: &str = "2025-07-02T12:00:00Z";
    const EMAIL: &str = "leitstelle@ff-musterstadt.de";

    fn check(snapshots: &[Snapshot]) -> CheckResult {
        evaluate(snapshots, Thresholds::default(), at(NOW))
    }

    #[test]
    fn far_from_expiry_is_ok_with_one_perfdata_item() {
        let result = check(&[verified(EMAIL, "2026-01-01T00:00:00Z", NOW)]);
        assert_eq!(result.state, State::Ok);
        assert_eq!(
            nagios_line(&result),
            "FE2 LICENSE OK - leitstelle@ff-musterstadt.de: 183 days left (until 01.01.2026) \
             | 'days_left_leitstelle@ff-musterstadt.de'=183;30:;14:;;\n"
        );
    }

    #[test]
    fn warning_and_critical_windows_follow_the_thresholds_in_force() {
        let warn = verified(EMAIL, "2025-07-22T12:00:00Z", NOW); // 20 days
        let result = check(std::slice::from_ref(&warn));
        assert_eq!((result.state, result.exit_code), (State::Warning, 1));
        let crit = verified(EMAIL, "2025-07-12T12:00:00Z", NOW); // 10 days
        assert_eq!(check(&[crit]).state, State::Critical);
        let relaxed = Thresholds {
            warning_days: 15,
            critical_days: 5,
        };
        let result = evaluate(&[warn], relaxed, at(NOW));
        assert_eq!(result.state, State::Ok);
        assert!(nagios_line(&result).ends_with("=20;15:;5:;;\n"));
    }

    #[test]
    fn expired_or_not_usable_is_critical() {
        let mut expired = verified(EMAIL, "2025-06-01T00:00:00Z", NOW);
        expired.as_of = Some(at("2025-05-30T00:00:00Z"));
        let result = check(&[expired]);
        assert_eq!(result.state, State::Critical);
        let mut cancelled = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = cancelled.license.as_mut() {
            l.status = Status::Cancelled;
        }
        let result = check(&[cancelled]);
        assert_eq!(result.state, State::Critical);
        assert!(
            result.summary.contains("not usable (status cancelled)"),
            "{}",
            result.summary
        );
    }

    #[test]
    fn unverifiable_data_is_critical_and_outdated_data_at_least_warning() {
        let mut bad = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        bad.trust = Trust::NotVerified;
        bad.trust_problem = Some(problem("bad_signature"));
        let result = check(&[bad]);
        assert_eq!(result.state, State::Critical);
        assert_eq!(result.licenses[0].urgency, Some(Urgency::Critical));
        assert!(result.summary.contains("not verified (bad_signature)"));

        let mut old = verified(EMAIL, "2026-01-01T00:00:00Z", "2025-05-01T00:00:00Z");
        old.trust = Trust::Outdated;
        let result = check(&[old]);
        assert_eq!(result.state, State::Warning);
        assert!(result.summary.contains("outdated data (as of 01.05.2025)"));
    }

    #[test]
    fn data_that_cannot_be_rechecked_keeps_its_state_and_says_so() {
        let mut unchecked = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        unchecked.trust = Trust::Unchecked;
        let result = check(&[unchecked]);
        assert_eq!(result.state, State::Ok);
        assert!(
            result.summary.contains("not re-checked"),
            "{}",
            result.summary
        );
        // Fetched more than the file's 30 days of validity ago: outdated, at least WARNING.
        let mut old = verified(EMAIL, "2026-01-01T00:00:00Z", "2025-05-01T00:00:00Z");
        old.trust = Trust::Unchecked;
        old.as_of = None;
        let result = check(&[old]);
        assert_eq!(result.state, State::Warning);
        assert!(
            result.summary.contains("outdated data"),
            "{}",
            result.summary
        );
    }

    #[test]
    fn a_shop_key_that_changed_makes_new_data_unverifiable_hence_critical() {
        let mut changed = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        changed.offline = true;
        changed.last_error = Some(problem("key_changed"));
        let result = check(&[changed]);
        assert_eq!(result.state, State::Critical);
        assert!(result.summary.contains("not verifiable (key_changed)"));
    }

    #[test]
    fn rejected_credentials_are_at_least_warning_with_the_cached_data() {
        let mut rejected = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        rejected.last_error = Some(problem("invalid_credentials"));
        let result = check(&[rejected.clone()]);
        assert_eq!(result.state, State::Warning);
        assert!(result.summary.contains("183 days left"));
        assert!(result.summary.contains("credentials rejected"));
        // A critical license stays critical.
        rejected.license = Some(license(EMAIL, "2025-07-05T00:00:00Z"));
        assert_eq!(check(&[rejected]).state, State::Critical);
    }

    #[test]
    fn an_unreachable_shop_keeps_the_cached_state_and_says_offline() {
        let mut offline = verified(EMAIL, "2026-01-01T00:00:00Z", "2025-07-01T10:00:00Z");
        offline.offline = true;
        offline.last_error = Some(problem("unreachable"));
        let result = check(std::slice::from_ref(&offline));
        assert_eq!(result.state, State::Ok);
        assert!(
            result
                .summary
                .contains("offline (unreachable), data as of 01.07.2025 12:00"),
            "{}",
            result.summary
        );
        let mut second = offline.clone();
        second.email = "b@x.de".into();
        let result = check(&[offline, second]);
        assert!(
            result.summary.starts_with("offline (unreachable)"),
            "{}",
            result.summary
        );
        assert_eq!(
            result.summary.matches("offline").count(),
            1,
            "{}",
            result.summary
        );
        let mut other = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        other.last_error = Some(problem("too_many_attempts"));
        assert_eq!(check(&[other]).state, State::Warning);
    }

    #[test]
    fn no_account_or_no_data_is_unknown_and_the_worst_known_state_wins() {
        let result = check(&[]);
        assert_eq!((result.state, result.exit_code), (State::Unknown, 3));
        assert_eq!(
            nagios_line(&result),
            "FE2 LICENSE UNKNOWN - no account configured\n"
        );

        let mut empty = verified("b@x.de", "2026-01-01T00:00:00Z", NOW);
        empty.license = None;
        empty.trust = Trust::None;
        assert_eq!(check(std::slice::from_ref(&empty)).state, State::Unknown);
        let ok = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        assert_eq!(check(&[ok.clone(), empty.clone()]).state, State::Unknown);
        let warn = verified("c@x.de", "2025-07-22T12:00:00Z", NOW);
        let result = check(&[ok, empty, warn]);
        assert_eq!(result.state, State::Warning);
        // Most severe first; one perfdata item per license with data.
        assert_eq!(result.licenses[0].email, "c@x.de");
        assert_eq!(nagios_line(&result).matches("'days_left_").count(), 2);
    }

    #[test]
    fn the_line_cannot_be_broken_by_hostile_text() {
        let mut odd = verified("a'b=c|d@x.de", "2026-01-01T00:00:00Z", NOW);
        odd.last_error = Some(problem("x"));
        let line = nagios_line(&check(&[odd]));
        assert_eq!(line.matches('|').count(), 1, "{line}");
        assert_eq!(line.matches('\n').count(), 1);
        assert!(
            line.contains("'days_left_a_b_c/d@x.de'=183;30:;14:;;"),
            "{line}"
        );
    }

    #[test]
    fn json_carries_state_exit_code_and_thresholds() {
        let result = check(&[verified(EMAIL, "2025-07-22T12:00:00Z", NOW)]);
        let value: serde_json::Value = serde_json::from_str(&json(&result)).unwrap();
        assert_eq!(value["state"], "WARNING");
        assert_eq!(value["exit_code"], 1);
        assert_eq!(value["thresholds"]["warning_days"], 30);
        assert_eq!(value["licenses"][0]["days_left"], 20);
        assert_eq!(value["licenses"][0]["trust"], "verified");
    }
}
