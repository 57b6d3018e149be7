//! The monitoring check: the state of each license (README, Monitoring), and the plugin
//! output. Days and urgency come from `fe2_license::expiry`, never computed here.

use crate::dates;
use crate::snapshot::{Snapshot, Trust};
use crate::thresholds::Limits;
use chrono::{DateTime, TimeDelta, Utc};
use fe2_license::expiry::{self, Urgency};
use fe2_license::license_file;
use fe2_license::model::Kind;
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
    /// Days left (core rule), `None` without data or without an expiry date.
    pub days_left: Option<i64>,
    /// When the license expires, if known.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the license is usable now.
    pub usable: Option<bool>,
    /// The core's urgency for the thresholds in force.
    pub urgency: Option<Urgency>,
    /// The holder, e.g. "FF Musterstadt", when there is data.
    pub holder: Option<String>,
    /// The package code, e.g. `basis`, when there is data.
    pub package: Option<String>,
    /// The shop's status, e.g. `on-hold`, when there is data.
    pub status: Option<String>,
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

impl Assessment {
    /// `<e-mail>: <reasons>`, the offline note included.
    pub fn line(&self) -> String {
        let mut reasons = self.reasons.clone();
        reasons.extend(self.offline_note.clone());
        format!("{}: {}", self.email, reasons.join(", "))
    }
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
    /// The first line's text (without state and performance data): the worst license.
    pub summary: String,
    /// The thresholds in force.
    pub thresholds: Limits,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// Per license, most severe first.
    pub licenses: Vec<Assessment>,
}

/// Judges one license at `now`.
pub fn assess(snapshot: &Snapshot, limits: &Limits, now: DateTime<Utc>) -> Assessment {
    let mut assessment = Assessment {
        email: snapshot.email.clone(),
        state: State::Ok,
        reasons: Vec::new(),
        days_left: None,
        expires_at: None,
        usable: None,
        urgency: None,
        holder: None,
        package: None,
        status: None,
        trust: snapshot.trust,
        as_of: snapshot.as_of,
        data_age_seconds: snapshot.data_age_secs(now),
        offline: snapshot.offline,
        offline_note: None,
    };
    let Some(license) = &snapshot.license else {
        // No data at all is UNKNOWN whatever else went wrong: there is no license to judge.
        let why = match &snapshot.trust_problem {
            Some(problem) => format!("no license data ({})", problem.code),
            None => "no license data yet".to_string(),
        };
        raise(State::Unknown, why, &mut assessment);
        if let Some(error) = &snapshot.last_error {
            assessment
                .reasons
                .push(format!("refresh failed ({})", error.code));
        }
        return assessment;
    };
    let expires = expiry::expires_at(license);
    let usable = expiry::is_usable(license, now);
    let urgency = limits.urgency(license, now);
    assessment.days_left = expires.map(|_| expiry::days_left(license, now));
    assessment.expires_at = expires;
    assessment.usable = Some(usable);
    assessment.urgency = Some(urgency);
    assessment.holder = Some(license.name.clone());
    assessment.package = Some(license.package.code.clone());
    assessment.status = Some(license.status.to_string());
    let status = license.status.as_str();
    match (urgency, expires) {
        // A trial past its end date is not usable although the shop still says active: the
        // date is the reason, not the status.
        (Urgency::Expired, Some(at)) if license.kind == Kind::Trial && status == "active" => raise(
            State::Critical,
            format!("trial ended on {}", dates::date(at)),
            &mut assessment,
        ),
        (Urgency::Expired, _) if !usable && status != "on-hold" => raise(
            State::Critical,
            format!("not usable (status {status})"),
            &mut assessment,
        ),
        (Urgency::Expired, Some(at)) => raise(
            State::Critical,
            format!("expired on {}", dates::date(at)),
            &mut assessment,
        ),
        (_, None) => raise(
            State::Warning,
            "no end date known (neither end nor next payment)".into(),
            &mut assessment,
        ),
        (_, Some(at)) => {
            let days = expiry::days_left(license, now);
            let text = format!("{days} days left (until {})", dates::date(at));
            let state = match urgency {
                Urgency::Expired | Urgency::Critical => State::Critical,
                Urgency::Warning => State::Warning,
                Urgency::Ok => State::Ok,
            };
            raise(state, text, &mut assessment);
        }
    }
    if (usable || status == "on-hold") && status != "active" {
        assessment.reasons.push(format!("status {status}"));
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
            let why = match &snapshot.trust_problem {
                Some(p) if p.code == "timeout" => "the keychain did not answer in time",
                _ => "no keychain access",
            };
            assessment
                .reasons
                .push(format!("signature not re-checked here ({why}){when}"));
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
pub fn evaluate(snapshots: &[Snapshot], limits: Limits, now: DateTime<Utc>) -> CheckResult {
    let mut licenses: Vec<Assessment> = snapshots.iter().map(|s| assess(s, &limits, now)).collect();
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
    let Some(worst) = licenses.first() else {
        return unknown("no account configured", limits, now);
    };
    let state = licenses
        .iter()
        .fold(State::Ok, |worst, a| worst.worst(a.state));
    let mut summary = worst.line();
    if licenses.len() > 1 {
        let counts: Vec<String> = [State::Critical, State::Warning, State::Unknown, State::Ok]
            .iter()
            .filter_map(|s| {
                let n = licenses.iter().filter(|a| a.state == *s).count();
                (n > 0).then(|| format!("{n} {}", s.label()))
            })
            .collect();
        summary.push_str(&format!(
            " ({} licenses: {})",
            licenses.len(),
            counts.join(", ")
        ));
    }
    CheckResult {
        state,
        exit_code: state.exit_code(),
        summary,
        thresholds: limits,
        checked_at: now,
        licenses,
    }
}

/// A result that is not about licenses: a failure before any data (exit 3).
pub fn unknown(summary: &str, limits: Limits, now: DateTime<Utc>) -> CheckResult {
    CheckResult {
        state: State::Unknown,
        exit_code: State::Unknown.exit_code(),
        summary: summary.to_string(),
        thresholds: limits,
        checked_at: now,
        licenses: Vec::new(),
    }
}

/// Plugin output text: no `|` (it starts the performance data), no `;` (Nagios rewrites it),
/// no line breaks (each line has its job).
pub fn plugin_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            ';' => ',',
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

/// The plugin output: `FE2 LICENSE <STATE> - <the worst license>`, then one line per license
/// (long output), the performance data after a `|` at the end of the last line:
/// `'days_left_<email>'=N;<warning range>;<critical range>;;`.
pub fn nagios_output(result: &CheckResult) -> String {
    let mut out = format!(
        "FE2 LICENSE {} - {}",
        result.state.label(),
        plugin_text(&result.summary)
    );
    for assessment in &result.licenses {
        out.push_str(&format!(
            "\n[{}] {}",
            assessment.state.label(),
            plugin_text(&assessment.line())
        ));
    }
    let warning = result.thresholds.warning.range();
    let critical = result.thresholds.critical.range();
    let perf: Vec<String> = result
        .licenses
        .iter()
        .filter_map(|a| {
            a.days_left
                .map(|days| format!("{}={days};{warning};{critical};;", perf_label(&a.email)))
        })
        .collect();
    if !perf.is_empty() {
        out.push_str(" | ");
        out.push_str(&perf.join(" "));
    }
    out.push('\n');
    out
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
    use crate::thresholds::{self, Threshold};
    use fe2_license::expiry::Thresholds;
    use fe2_license::model::Status;

    const NOW: &str = "2025-07-02T12:00:00Z";
    const EMAIL: &str = "leitstelle@ff-musterstadt.de";

    fn check(snapshots: &[Snapshot]) -> CheckResult {
        evaluate(snapshots, Limits::default(), at(NOW))
    }

    #[test]
    fn far_from_expiry_is_ok_with_one_perfdata_item() {
        let result = check(&[verified(EMAIL, "2026-01-01T00:00:00Z", NOW)]);
        assert_eq!(result.state, State::Ok);
        assert_eq!(
            nagios_output(&result),
            "FE2 LICENSE OK - leitstelle@ff-musterstadt.de: 183 days left (until 01.01.2026)\n\
             [OK] leitstelle@ff-musterstadt.de: 183 days left (until 01.01.2026) \
             | 'days_left_leitstelle@ff-musterstadt.de'=183;31:;15:;;\n"
        );
    }

    #[test]
    fn warning_and_critical_windows_follow_the_thresholds_in_force() {
        let warn = verified(EMAIL, "2025-07-22T12:00:00Z", NOW); // 20 days
        let result = check(std::slice::from_ref(&warn));
        assert_eq!((result.state, result.exit_code), (State::Warning, 1));
        let crit = verified(EMAIL, "2025-07-12T12:00:00Z", NOW); // 10 days
        assert_eq!(check(&[crit]).state, State::Critical);
        let relaxed = Limits::new(
            Some(Threshold::Days(15)),
            Some(Threshold::Days(5)),
            Thresholds::default(),
        )
        .unwrap();
        let result = evaluate(std::slice::from_ref(&warn), relaxed, at(NOW));
        assert_eq!(result.state, State::Ok);
        assert!(nagios_output(&result).ends_with("=20;16:;6:;;\n"));
        // Ranges: WARNING below 25 days, CRITICAL inside 18 to 22 days.
        let ranges = Limits::new(
            Some(thresholds::parse("25:").unwrap()),
            Some(thresholds::parse("@18:22").unwrap()),
            Thresholds::default(),
        )
        .unwrap();
        let result = evaluate(&[warn], ranges, at(NOW));
        assert_eq!(result.state, State::Critical);
        assert!(nagios_output(&result).ends_with("=20;25:;@18:22;;\n"));
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
    fn an_ended_trial_still_active_says_when_it_ended() {
        // The shop has not moved the status on yet: the trial's end date decides.
        let mut trial = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = trial.license.as_mut() {
            l.kind = Kind::Trial;
            l.next_payment_date = None;
            l.trial_end_date = Some(at("2025-06-30T10:00:00Z"));
        }
        let result = check(&[trial]);
        assert_eq!(result.state, State::Critical);
        assert!(
            result.summary.contains("trial ended on 30.06.2025"),
            "{}",
            result.summary
        );
        assert!(!result.summary.contains("not usable"), "{}", result.summary);
    }

    #[test]
    fn on_hold_says_so_and_a_license_without_an_end_date_is_not_ok() {
        let mut on_hold = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = on_hold.license.as_mut() {
            l.status = Status::OnHold;
        }
        let result = check(&[on_hold]);
        assert_eq!(result.state, State::Warning);
        assert!(
            result.summary.contains("183 days left"),
            "{}",
            result.summary
        );
        assert!(
            result.summary.contains("status on-hold"),
            "{}",
            result.summary
        );

        let mut endless = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = endless.license.as_mut() {
            l.next_payment_date = None;
        }
        let result = check(&[endless]);
        assert_eq!(result.state, State::Warning);
        assert!(
            result.summary.contains("no end date known"),
            "{}",
            result.summary
        );
        assert_eq!(result.licenses[0].days_left, None);
        assert!(!nagios_output(&result).contains('|'));
    }

    #[test]
    fn every_non_ok_license_says_why() {
        let now = at(NOW);
        for days in [-3, 0, 1, 14, 15, 30] {
            let end = (now + TimeDelta::days(days)).to_rfc3339();
            for status in [
                Status::Active,
                Status::OnHold,
                Status::PendingCancel,
                Status::Cancelled,
            ] {
                let mut snapshot = verified(EMAIL, &end, NOW);
                if let Some(l) = snapshot.license.as_mut() {
                    l.status = status.clone();
                    l.end_date = Some(now + TimeDelta::days(days));
                }
                let result = check(&[snapshot]);
                assert_ne!(result.state, State::Ok, "{days} {status:?}");
                assert!(!result.licenses[0].reasons.is_empty());
                let first = nagios_output(&result);
                let first = first.lines().next().unwrap();
                assert!(
                    first.len() > "FE2 LICENSE CRITICAL - a@b.de: ".len(),
                    "{first}"
                );
            }
        }
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
        let output = nagios_output(&result);
        // The first line names the worst license and counts the rest; each has its line.
        assert!(
            result.summary.ends_with("(2 licenses: 2 OK)"),
            "{}",
            result.summary
        );
        assert_eq!(output.lines().count(), 3, "{output}");
        assert_eq!(
            output.matches("offline (unreachable)").count(),
            3,
            "{output}"
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
            nagios_output(&result),
            "FE2 LICENSE UNKNOWN - no account configured\n"
        );

        let mut empty = verified("b@x.de", "2026-01-01T00:00:00Z", NOW);
        empty.license = None;
        empty.trust = Trust::None;
        assert_eq!(check(std::slice::from_ref(&empty)).state, State::Unknown);
        // No data stays UNKNOWN when the refresh failed too (a 401 on the first refresh).
        let mut rejected = empty.clone();
        rejected.last_error = Some(problem("invalid_credentials"));
        let result = check(&[rejected]);
        assert_eq!(result.state, State::Unknown);
        assert!(
            result
                .summary
                .contains("refresh failed (invalid_credentials)"),
            "{}",
            result.summary
        );
        let ok = verified(EMAIL, "2026-01-01T00:00:00Z", NOW);
        assert_eq!(check(&[ok.clone(), empty.clone()]).state, State::Unknown);
        let warn = verified("c@x.de", "2025-07-22T12:00:00Z", NOW);
        let result = check(&[ok, empty, warn]);
        assert_eq!(result.state, State::Warning);
        // Most severe first; one perfdata item per license with data.
        assert_eq!(result.licenses[0].email, "c@x.de");
        assert_eq!(nagios_output(&result).matches("'days_left_").count(), 2);
    }

    #[test]
    fn the_output_cannot_be_broken_by_hostile_text() {
        let mut odd = verified("a'b=c|d;e\nf@x.de", "2026-01-01T00:00:00Z", NOW);
        odd.last_error = Some(problem("x"));
        let output = nagios_output(&check(&[odd]));
        assert_eq!(output.matches('|').count(), 1, "{output}");
        assert_eq!(output.matches(';').count(), 4, "{output}");
        assert_eq!(output.matches('\n').count(), 2);
        assert!(
            output.contains("'days_left_a_b_c/d,e f@x.de'=183;31:;15:;;"),
            "{output}"
        );
    }

    #[test]
    fn json_carries_state_exit_code_and_thresholds() {
        let result = check(&[verified(EMAIL, "2025-07-22T12:00:00Z", NOW)]);
        let value: serde_json::Value = serde_json::from_str(&json(&result)).unwrap();
        assert_eq!(value["state"], "WARNING");
        assert_eq!(value["exit_code"], 1);
        assert_eq!(value["thresholds"]["warning_days"], 30);
        assert_eq!(value["thresholds"]["warning"], "31:");
        assert_eq!(value["thresholds"]["critical"], "15:");
        assert_eq!(value["licenses"][0]["days_left"], 20);
        assert_eq!(value["licenses"][0]["trust"], "verified");
    }

    /// Every days value from -5 to 400 under plain and range thresholds: the state and the
    /// performance data of the real output, judged by nagiosplugin (PyPI) through
    /// scripts/perfdata-ranges.py with the Python named by `NAGIOSPLUGIN_PYTHON`.
    #[test]
    #[ignore = "needs nagiosplugin: run by scripts/test.sh"]
    fn perfdata_ranges_alert_exactly_where_the_state_does_says_nagiosplugin() {
        let python = std::env::var("NAGIOSPLUGIN_PYTHON")
            .expect("NAGIOSPLUGIN_PYTHON: a Python with nagiosplugin (scripts/test.sh sets it)");
        let now = at(NOW);
        let configs = [
            (None, None),
            (Some("30"), Some("14")),
            (Some("0"), Some("0")),
            (Some("60"), Some("7")),
            (Some("366"), Some("0")),
            (Some("31:"), Some("15:")),
            (Some("@20:25"), Some("10:")),
            (Some("~:100"), Some("1:")),
        ];
        let mut rows = Vec::new();
        for (warning, critical) in configs {
            let parse = |t: Option<&str>| t.map(|t| thresholds::parse(t).unwrap());
            let limits =
                Limits::new(parse(warning), parse(critical), Thresholds::default()).unwrap();
            for days in -5..=400 {
                let end = (now + TimeDelta::days(days)).to_rfc3339();
                let result = evaluate(&[verified(EMAIL, &end, NOW)], limits, now);
                let output = nagios_output(&result);
                let perfdata = output.rsplit_once(" | ").expect(&output).1.trim_end();
                rows.push(serde_json::json!({
                    "days": days, "state": result.state.label(), "perfdata": perfdata,
                    "warning": warning, "critical": critical,
                }));
            }
        }
        assert_eq!(rows.len(), 8 * 406);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rows.json");
        std::fs::write(&file, serde_json::to_vec(&rows).unwrap()).unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/perfdata-ranges.py"
        );
        let out = std::process::Command::new(python)
            .arg(script)
            .arg(&file)
            .output()
            .expect("run nagiosplugin's judge");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("3248 agree, 0 disagree"), "{text}");
    }
}
