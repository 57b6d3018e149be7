//! `status` and `account list` for people (an aligned table in the user's language, German
//! dates in Europe/Berlin) and for scripts (JSON).

use crate::dates;
use crate::snapshot::Snapshot;
use chrono::{DateTime, Utc};
use comfy_table::{presets, ContentArrangement, Table};
use fe2_license::config::Language;
use fe2_license::expiry;
use fe2_license::policy::SettingOrigin;
use serde::Serialize;
use std::collections::BTreeMap;

/// Column headers and words of the people's output in one language.
struct Words {
    status_header: [&'static str; 8],
    list_header: [&'static str; 4],
    no_accounts: &'static str,
    offline: &'static str,
    failed: &'static str,
}

const GERMAN: Words = Words {
    status_header: [
        "Inhaber",
        "E-Mail",
        "Paket",
        "Status",
        "Läuft ab",
        "Tage",
        "Daten",
        "Stand",
    ],
    list_header: ["E-Mail", "Shop", "Inhaber", "Schlüssel"],
    no_accounts: "Kein Konto eingerichtet: fe2-license account add --email …",
    offline: "Shop nicht erreicht",
    failed: "Aktualisierung fehlgeschlagen",
};

const ENGLISH: Words = Words {
    status_header: [
        "Holder", "E-mail", "Package", "Status", "Expires", "Days", "Data", "As of",
    ],
    list_header: ["E-mail", "Shop", "Holder", "Key"],
    no_accounts: "No account configured: fe2-license account add --email …",
    offline: "shop not reached",
    failed: "refresh failed",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::De => &GERMAN,
        Language::En => &ENGLISH,
    }
}

/// Left-aligned columns separated by two spaces, widths in characters (umlauts count one),
/// by comfy-table without borders; no wrapping (a pipe or a file gets whole lines). Every cell
/// is made printable here, once for all tables: cells carry text from the shop and the log.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec())
        .add_rows(
            rows.iter()
                .map(|row| row.iter().map(|cell| printable(cell)).collect::<Vec<_>>()),
        );
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string() + "\n")
        .collect()
}

/// The people's status table, then one note per account whose last refresh failed.
pub fn status_table(snapshots: &[Snapshot], language: Language, now: DateTime<Utc>) -> String {
    let words = words(language);
    if snapshots.is_empty() {
        return format!("{}\n", words.no_accounts);
    }
    let rows: Vec<Vec<String>> = snapshots
        .iter()
        .map(|s| {
            let trust = match language {
                Language::De => s.trust.german(),
                Language::En => s.trust.english(),
            };
            let as_of = s
                .as_of
                .or(s.fetched_at)
                .map(dates::date_time)
                .unwrap_or_default();
            match &s.license {
                Some(l) => vec![
                    l.name.clone(),
                    s.email.clone(),
                    l.package.name.clone(),
                    l.status.to_string(),
                    expiry::expires_at(l).map(dates::date).unwrap_or_default(),
                    expiry::days_left(l, now).to_string(),
                    trust.to_string(),
                    as_of,
                ],
                None => vec![
                    String::new(),
                    s.email.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    trust.to_string(),
                    as_of,
                ],
            }
        })
        .collect();
    let mut text = render(&words.status_header, &rows);
    for s in snapshots {
        if let Some(error) = &s.last_error {
            let what = if s.offline {
                words.offline
            } else {
                words.failed
            };
            text.push_str(&format!(
                "{}: {what}: {}\n",
                s.email,
                printable(&error.message)
            ));
        }
    }
    text
}

pub use fe2_license::text::printable;

/// One account in `status --json`.
#[derive(Serialize)]
struct StatusEntry<'a> {
    email: &'a str,
    shop_url: &'a str,
    holder: Option<&'a str>,
    package: Option<&'a str>,
    status: Option<&'a str>,
    expires_at: Option<DateTime<Utc>>,
    days_left: Option<i64>,
    usable: Option<bool>,
    verification: crate::snapshot::Trust,
    verification_error: Option<&'a crate::snapshot::Problem>,
    as_of: Option<DateTime<Utc>>,
    fetched_at: Option<DateTime<Utc>>,
    offline: bool,
    offline_since: Option<DateTime<Utc>>,
    last_error: Option<&'a crate::snapshot::Problem>,
}

/// `status --json`: the licenses (one object per account), each effective setting with where
/// it came from (policy, settings file, default), and the policies that were ignored.
#[derive(Serialize)]
struct StatusReport<'a> {
    licenses: Vec<StatusEntry<'a>>,
    settings: &'a BTreeMap<String, SettingOrigin>,
    policy_problems: &'a [String],
}

/// `status --json` (see [`StatusReport`]).
pub fn status_json(
    snapshots: &[Snapshot],
    settings: &BTreeMap<String, SettingOrigin>,
    policy_problems: &[String],
    now: DateTime<Utc>,
) -> String {
    let entries: Vec<StatusEntry> = snapshots
        .iter()
        .map(|s| {
            let l = s.license.as_ref();
            StatusEntry {
                email: &s.email,
                shop_url: &s.shop_url,
                holder: l.map(|l| l.name.as_str()),
                package: l.map(|l| l.package.name.as_str()),
                status: l.map(|l| l.status.as_str()),
                expires_at: l.and_then(expiry::expires_at),
                days_left: l.map(|l| expiry::days_left(l, now)),
                usable: l.map(|l| expiry::is_usable(l, now)),
                verification: s.trust,
                verification_error: s.trust_problem.as_ref(),
                as_of: s.as_of,
                fetched_at: s.fetched_at,
                offline: s.offline,
                offline_since: s.offline_since,
                last_error: s.last_error.as_ref(),
            }
        })
        .collect();
    let report = StatusReport {
        licenses: entries,
        settings,
        policy_problems,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// A configured account as `account list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountLine {
    /// The license e-mail.
    pub email: String,
    /// The shop.
    pub shop_url: String,
    /// The holder from the cache, if known.
    pub holder: Option<String>,
    /// The pinned key's fingerprint, when the keychain could be read.
    pub fingerprint: Option<String>,
}

/// `account list` as a table, or JSON.
pub fn account_list(accounts: &[AccountLine], language: Language, json: bool) -> String {
    if json {
        let mut text = serde_json::to_string_pretty(accounts).unwrap_or_default();
        text.push('\n');
        return text;
    }
    let words = words(language);
    if accounts.is_empty() {
        return format!("{}\n", words.no_accounts);
    }
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            vec![
                a.email.clone(),
                a.shop_url.clone(),
                a.holder.clone().unwrap_or_default(),
                a.fingerprint.clone().unwrap_or_else(|| "–".into()),
            ]
        })
        .collect();
    render(&words.list_header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{at, problem, verified};
    use crate::snapshot::Trust;

    const NOW: &str = "2025-07-02T12:00:00Z";

    #[test]
    fn the_table_is_aligned_german_and_in_berlin_time() {
        let mut second = verified("b@x.de", "2025-07-22T12:00:00Z", "2025-07-01T08:00:00Z");
        second.trust = Trust::Outdated;
        second.offline = true;
        second.last_error = Some(problem("unreachable"));
        let text = status_table(
            &[
                verified("leitstelle@ff-musterstadt.de", "2026-01-01T00:00:00Z", NOW),
                second,
            ],
            Language::De,
            at(NOW),
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("Inhaber         E-Mail"), "{text}");
        assert!(
            lines[1].contains("01.01.2026  183   verifiziert  02.07.2025 14:00"),
            "{text}"
        );
        assert!(
            lines[2].contains("22.07.2025  20    veraltet     01.07.2025 10:00"),
            "{text}"
        );
        // Every column starts at the same character position in every row.
        let column = lines[0]
            .find("Läuft ab")
            .map(|b| lines[0][..b].chars().count());
        assert_eq!(
            column,
            lines[1]
                .find("01.01.2026")
                .map(|b| lines[1][..b].chars().count())
        );
        assert_eq!(
            lines[3],
            "b@x.de: Shop nicht erreicht: unreachable happened"
        );
    }

    #[test]
    fn english_words_and_an_empty_configuration() {
        let text = status_table(&[], Language::En, at(NOW));
        assert!(text.starts_with("No account configured"));
        let mut none = verified("a@x.de", "2026-01-01T00:00:00Z", NOW);
        none.license = None;
        none.trust = Trust::None;
        none.as_of = None;
        none.fetched_at = None;
        let text = status_table(&[none], Language::En, at(NOW));
        assert!(text.lines().nth(1).unwrap().contains("a@x.de"));
        assert!(text.contains("no data"));
    }

    #[test]
    fn status_json_has_the_fields_scripts_need() {
        let settings = BTreeMap::from([(
            "warning_days".to_string(),
            SettingOrigin {
                value: 45.into(),
                source: fe2_license::policy::SettingSource::Policy,
                origin: Some("/etc/fe2-license/policy.json".into()),
            },
        )]);
        let value: serde_json::Value = serde_json::from_str(&status_json(
            &[verified("a@x.de", "2026-01-01T00:00:00Z", NOW)],
            &settings,
            &[],
            at(NOW),
        ))
        .unwrap();
        assert_eq!(value["settings"]["warning_days"]["source"], "policy");
        assert_eq!(value["settings"]["warning_days"]["value"], 45);
        let entry = &value["licenses"][0];
        assert_eq!(entry["holder"], "FF Musterstadt");
        assert_eq!(entry["package"], "FE2 Basispaket");
        assert_eq!(entry["status"], "active");
        assert_eq!(entry["expires_at"], "2026-01-01T00:00:00Z");
        assert_eq!(entry["days_left"], 183);
        assert_eq!(entry["verification"], "verified");
        assert_eq!(entry["as_of"], "2025-07-02T12:00:00Z");
    }

    #[test]
    fn account_list_as_table_and_json() {
        let accounts = vec![AccountLine {
            email: "a@x.de".into(),
            shop_url: "https://shop.example".into(),
            holder: Some("FF X".into()),
            fingerprint: None,
        }];
        let text = account_list(&accounts, Language::De, false);
        assert!(text
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("a@x.de  https://shop.example  FF X"));
        let value: serde_json::Value =
            serde_json::from_str(&account_list(&accounts, Language::De, true)).unwrap();
        assert_eq!(value[0]["shop_url"], "https://shop.example");
    }

    /// An OSC hyperlink and a colour escape in text from the shop, and a bare CR.
    const HOSTILE: &str = "FF \u{1b}]8;;https://evil.example\u{7}X\u{1b}[31m\rY";

    #[test]
    fn escapes_from_the_shop_never_reach_the_terminal() {
        let mut hostile = verified("a@x.de", "2026-01-01T00:00:00Z", NOW);
        if let Some(license) = hostile.license.as_mut() {
            license.name = HOSTILE.into();
            license.package.name = HOSTILE.into();
        }
        let mut error = problem("unreachable");
        error.message = HOSTILE.into();
        hostile.last_error = Some(error);
        let text = status_table(&[hostile], Language::De, at(NOW));
        let list = account_list(
            &[AccountLine {
                email: "a@x.de".into(),
                shop_url: "https://shop.example".into(),
                holder: Some(HOSTILE.into()),
                fingerprint: None,
            }],
            Language::De,
            false,
        );
        for text in [text, list] {
            assert!(!text.contains(['\u{1b}', '\u{7}', '\r']), "{text:?}");
            assert!(
                text.contains("FF  ]8;;https://evil.example X [31m Y"),
                "{text:?}"
            );
        }
    }
}
