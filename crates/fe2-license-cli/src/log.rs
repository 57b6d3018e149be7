//! `log`: the audit log (docs/domain.md, Audit log) as a table in the user's language, a CSV
//! file for German Excel, or JSON, and the verdict of its hash chain. Reading and checking
//! are the core's (`fe2_license::audit`); this module lays them out.

use crate::dates;
use crate::export::{excel_csv, text_cell};
use crate::table::render;
use fe2_license::audit::{AuditAction, AuditEntry, AuditProblem};
use fe2_license::config::Language;
use fe2_license::service::AuditReport;
use serde_json::Value;

/// The words of the people's outputs in one language.
struct Words {
    header: [&'static str; 6],
    intact: &'static str,
    broken: &'static str,
    unreadable: &'static str,
    chain_broken: &'static str,
    tail_missing: &'static str,
    anchor_mismatch: &'static str,
    not_anchored: &'static str,
    anchor_unchecked: &'static str,
    empty: &'static str,
}

const GERMAN: Words = Words {
    header: ["Zeit", "Aktion", "E-Mail", "Details", "Benutzer", "Computer"],
    intact: "Protokoll unverändert",
    broken: "Protokoll verändert",
    unreadable: "ist kein Eintrag des Protokolls",
    chain_broken: "passt nicht zur Zeile davor: diese wurde geändert, oder Zeilen dazwischen wurden entfernt oder umgestellt",
    tail_missing: "danach fehlen Zeilen, die der Anker im Schlüsselbund zählt: das Ende des Protokolls wurde entfernt; fehlend:",
    anchor_mismatch: "passt nicht zum Anker im Schlüsselbund: das Ende des Protokolls wurde geändert oder entfernt; Zeilen laut Anker / vorgefunden:",
    not_anchored: "ab hier nicht durch den Anker im Schlüsselbund gedeckt (ein älteres Protokoll, ein Schlüsselbund, der nicht beschrieben werden konnte, oder außerhalb der App angefügte Zeilen)",
    anchor_unchecked: "Anker nicht geprüft, das Ende des Protokolls ist ungeprüft:",
    empty: "noch keine Einträge",
};

const ENGLISH: Words = Words {
    header: ["Time", "Action", "E-mail", "Details", "User", "Computer"],
    intact: "log unchanged",
    broken: "log changed",
    unreadable: "is not an entry of the log",
    chain_broken: "does not follow the line before it: that one was changed, or lines between them were removed or moved",
    tail_missing: "is followed by missing lines that the anchor in the keychain counts: the end of the log was removed; missing:",
    anchor_mismatch: "does not match the anchor in the keychain: the end of the log was changed or removed; lines anchored / found:",
    not_anchored: "from here on not covered by the anchor in the keychain (an older log, a keychain that could not be written, or lines added outside the app)",
    anchor_unchecked: "anchor not checked, the end of the log is unchecked:",
    empty: "no entries yet",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::De => &GERMAN,
        Language::En => &ENGLISH,
    }
}

/// The action in words.
fn action(action: AuditAction, language: Language) -> &'static str {
    use AuditAction as A;
    match (language, action) {
        (Language::De, A::AccountAdded) => "Konto hinzugefügt",
        (Language::De, A::AccountRemoved) => "Konto entfernt",
        (Language::De, A::QuoteRequested) => "Angebot abgefragt",
        (Language::De, A::OrderPlaced) => "Bestellung aufgegeben",
        (Language::De, A::ChangeScheduled) => "Änderung vorgemerkt",
        (Language::De, A::ScheduledChangeCancelled) => "Vorgemerkte Änderung storniert",
        (Language::De, A::TicketSent) => "Anfrage gesendet",
        (Language::De, A::SettingsChanged) => "Einstellungen geändert",
        (Language::De, A::DefaultReferenceChanged) => "Standard-Bestellreferenz geändert",
        (Language::De, A::RefreshFailed) => "Aktualisierung fehlgeschlagen",
        (Language::De, A::AnchorMismatch) => "Protokollende passte nicht zum Anker",
        (Language::En, A::AccountAdded) => "account added",
        (Language::En, A::AccountRemoved) => "account removed",
        (Language::En, A::QuoteRequested) => "quote requested",
        (Language::En, A::OrderPlaced) => "order placed",
        (Language::En, A::ChangeScheduled) => "change scheduled",
        (Language::En, A::ScheduledChangeCancelled) => "scheduled change cancelled",
        (Language::En, A::TicketSent) => "request sent",
        (Language::En, A::SettingsChanged) => "settings changed",
        (Language::En, A::DefaultReferenceChanged) => "default order reference changed",
        (Language::En, A::RefreshFailed) => "refresh failed",
        (Language::En, A::AnchorMismatch) => "log end did not match its anchor",
    }
}

/// The details as `key=value` pairs, nested values as compact JSON.
fn details(details: &Value) -> String {
    match details {
        Value::Object(fields) => fields
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| match value {
                Value::String(text) => format!("{key}={text}"),
                other => format!("{key}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn cells(entry: &AuditEntry, language: Language) -> Vec<String> {
    vec![
        dates::date_time(entry.time),
        action(entry.action, language).to_string(),
        entry.email.clone().unwrap_or_default(),
        details(&entry.details),
        entry.os_user.clone(),
        entry.host.clone(),
    ]
}

/// One line per problem, in the user's language.
pub fn problems(report: &AuditReport, language: Language) -> Vec<String> {
    let words = words(language);
    report
        .log
        .problems
        .iter()
        .map(|problem| match problem {
            AuditProblem::Unreadable { file, line } => {
                format!("{file}:{line} {}", words.unreadable)
            }
            AuditProblem::ChainBroken { file, line } => {
                format!("{file}:{line} {}", words.chain_broken)
            }
            AuditProblem::TailMissing {
                file,
                line,
                missing,
            } => format!("{file}:{line} {} {missing}", words.tail_missing),
            AuditProblem::AnchorMismatch {
                file,
                line,
                anchored_lines,
                found_lines,
            } => format!(
                "{file}:{line} {} {anchored_lines} / {found_lines}",
                words.anchor_mismatch
            ),
            AuditProblem::NotAnchored { file, line } => {
                format!("{file}:{line} {}", words.not_anchored)
            }
        })
        .collect()
}

/// The verdict of `log --verify`: one line, then each problem.
pub fn verdict(report: &AuditReport, language: Language) -> String {
    let words = words(language);
    let count = report.log.entries.len();
    let mut text = if report.log.problems.is_empty() {
        format!("{} ({count}): {}\n", words.intact, report.path)
    } else {
        format!("{} ({count}): {}\n", words.broken, report.path)
    };
    for problem in problems(report, language) {
        text.push_str(&problem);
        text.push('\n');
    }
    if let Some(note) = anchor_note(report, language) {
        text.push_str(&note);
        text.push('\n');
    }
    text
}

/// Why the log's end was not checked against its anchor, when it was not (no keychain here).
pub fn anchor_note(report: &AuditReport, language: Language) -> Option<String> {
    let error = report.anchor_error.as_ref()?;
    Some(format!(
        "{} {}",
        words(language).anchor_unchecked,
        crate::table::printable(&error.message)
    ))
}

/// The people's table, oldest first.
pub fn table(report: &AuditReport, language: Language) -> String {
    if report.log.entries.is_empty() {
        return format!("{}\n", words(language).empty);
    }
    let rows: Vec<Vec<String>> = report
        .log
        .entries
        .iter()
        .map(|entry| cells(entry, language))
        .collect();
    render(&words(language).header, &rows)
}

/// The CSV file for German Excel: German headers and action names, details as JSON.
pub fn csv(report: &AuditReport) -> String {
    let mut rows = vec![GERMAN.header.iter().map(|h| h.to_string()).collect()];
    for entry in &report.log.entries {
        let mut row: Vec<String> = cells(entry, Language::De)
            .iter()
            .map(|cell| text_cell(cell))
            .collect();
        row[3] = text_cell(&entry.details.to_string());
        rows.push(row);
    }
    excel_csv(rows)
}

/// The whole report as JSON: entries, problems, path.
pub fn json(report: &AuditReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use fe2_license::audit::AuditLog;

    fn report(problems: Vec<AuditProblem>) -> AuditReport {
        AuditReport {
            log: AuditLog {
                entries: vec![AuditEntry {
                    time: Utc.with_ymd_and_hms(2026, 7, 2, 12, 0, 0).unwrap(),
                    action: AuditAction::OrderPlaced,
                    email: Some("a@b.de".into()),
                    details: serde_json::json!({"order": 4711, "gross": "60.16", "reference": null}),
                    os_user: "kommandant".into(),
                    host: "FW-PC".into(),
                    prev: fe2_license::audit::FIRST_PREV.into(),
                }],
                problems,
            },
            path: "/x/audit-log.jsonl".into(),
            write_error: None,
            anchor_error: None,
        }
    }

    #[test]
    fn the_table_names_action_details_user_and_computer_in_berlin_time() {
        let text = table(&report(vec![]), Language::De);
        assert!(text.contains("02.07.2026 14:00"), "{text}");
        assert!(text.contains("Bestellung aufgegeben"), "{text}");
        assert!(
            text.contains("order=4711") && text.contains("gross=60.16"),
            "{text}"
        );
        assert!(!text.contains("reference"), "{text}");
        assert!(
            text.contains("kommandant") && text.contains("FW-PC"),
            "{text}"
        );
        assert!(table(&report(vec![]), Language::En).contains("order placed"));
    }

    #[test]
    fn the_verdict_names_each_problem_with_file_and_line() {
        let intact = verdict(&report(vec![]), Language::De);
        assert!(intact.starts_with("Protokoll unverändert (1)"), "{intact}");
        let broken = verdict(
            &report(vec![AuditProblem::ChainBroken {
                file: "audit-log.jsonl".into(),
                line: 3,
            }]),
            Language::En,
        );
        assert!(broken.starts_with("log changed (1)"), "{broken}");
        assert!(
            broken.contains("audit-log.jsonl:3 does not follow"),
            "{broken}"
        );
    }

    #[test]
    fn the_verdict_names_a_missing_tail_and_an_anchor_it_could_not_read() {
        let mut missing = report(vec![AuditProblem::TailMissing {
            file: "audit-log-2026.jsonl".into(),
            line: 3,
            missing: 1,
        }]);
        let text = verdict(&missing, Language::De);
        assert!(text.starts_with("Protokoll verändert (1)"), "{text}");
        assert!(
            text.contains("audit-log-2026.jsonl:3 danach fehlen Zeilen")
                && text.contains("fehlend: 1"),
            "{text}"
        );
        missing.log.problems = vec![];
        missing.anchor_error = Some(fe2_license::ErrorInfo::from(
            &fe2_license::Error::KeychainUnavailable("no Secret Service".into()),
        ));
        let text = verdict(&missing, Language::En);
        assert!(text.starts_with("log unchanged (1)"), "{text}");
        assert!(text.contains("anchor not checked"), "{text}");
    }

    #[test]
    fn the_csv_is_for_german_excel_with_the_details_as_json() {
        let text = csv(&report(vec![]));
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("Zeit;Aktion;E-Mail;Details;Benutzer;Computer\r\n"));
        assert!(text.contains(r#"""order"":4711"#), "{text}");
        assert!(text.contains(r#"""reference"":null"#), "{text}");
    }

    #[test]
    fn escapes_in_logged_fields_never_reach_the_terminal() {
        let mut report = report(vec![]);
        let entry = &mut report.log.entries[0];
        entry.details = serde_json::json!({"holder": "FF \u{1b}]0;pwned\u{7}X"});
        entry.os_user = "k\u{1b}[2J".into();
        let text = table(&report, Language::De);
        assert!(!text.contains(['\u{1b}', '\u{7}']), "{text:?}");
        assert!(text.contains("holder=FF  ]0;pwned X"), "{text:?}");
    }
}
