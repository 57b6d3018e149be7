//! The check as Prometheus text exposition format (version 0.0.4), for the textfile collector
//! of node_exporter or windows_exporter.

use crate::check::{Assessment, CheckResult};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// One metric family: name, help text, and the value of an assessed license at the check's
/// time (if it has one).
struct Family {
    name: &'static str,
    help: &'static str,
    value: fn(&Assessment, DateTime<Utc>) -> Option<i64>,
}

/// Seconds everywhere (the base unit `promtool check metrics` asks for).
const FAMILIES: [Family; 6] = [
    Family {
        name: "fe2_license_expiry_timestamp_seconds",
        help: "When the FE2 license expires, as a Unix timestamp.",
        value: |a, _| a.expires_at.map(|at| at.timestamp()),
    },
    Family {
        name: "fe2_license_remaining_seconds",
        help: "Seconds from the check until the FE2 license expires (negative once expired).",
        value: |a, now| a.expires_at.map(|at| (at - now).num_seconds()),
    },
    Family {
        name: "fe2_license_usable",
        help: "1 when the FE2 license is usable now, else 0.",
        value: |a, _| a.usable.map(i64::from),
    },
    Family {
        name: "fe2_license_data_timestamp_seconds",
        help: "When the shop issued the license data shown, as a Unix timestamp.",
        value: |a, _| a.as_of.map(|at| at.timestamp()),
    },
    Family {
        name: "fe2_license_data_age_seconds",
        help: "Seconds from the shop issuing the license data shown until the check.",
        value: |a, _| a.data_age_seconds,
    },
    Family {
        name: "fe2_license_state",
        help: "The check's state of the license: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        value: |a, _| Some(i64::from(a.state.exit_code())),
    },
];

/// The info series: one per license with data, labels to join on `email`.
const INFO: &str = "fe2_license_info";

/// A label value with `\`, `"` and line feeds escaped as the format requires.
fn label_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The exposition text: HELP and TYPE of every family, one sample per license that has the
/// value, ending in a newline.
pub fn exposition(result: &CheckResult) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(
        text,
        "# HELP {INFO} The FE2 license's holder, package and shop status (value 1)."
    );
    let _ = writeln!(text, "# TYPE {INFO} gauge");
    for a in &result.licenses {
        if let (Some(holder), Some(package), Some(status)) = (&a.holder, &a.package, &a.status) {
            let _ = writeln!(
                text,
                "{INFO}{{email=\"{}\",holder=\"{}\",package=\"{}\",status=\"{}\"}} 1",
                label_value(&a.email),
                label_value(holder),
                label_value(package),
                label_value(status)
            );
        }
    }
    for family in &FAMILIES {
        let _ = writeln!(text, "# HELP {} {}", family.name, family.help);
        let _ = writeln!(text, "# TYPE {} gauge", family.name);
        for assessment in &result.licenses {
            if let Some(value) = (family.value)(assessment, result.checked_at) {
                let _ = writeln!(
                    text,
                    "{}{{email=\"{}\"}} {value}",
                    family.name,
                    label_value(&assessment.email)
                );
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::evaluate;
    use crate::snapshot::fixtures::{at, verified};
    use crate::thresholds::Limits;

    #[test]
    fn every_license_gets_every_metric_and_the_text_ends_in_a_newline() {
        let now = at("2025-07-02T12:00:00Z");
        let mut stale = verified("b@x.de", "2025-07-22T12:00:00Z", "2025-07-02T11:00:00Z");
        stale.email = "a\"b\\c@x.de".into();
        let result = evaluate(
            &[
                verified(
                    "leitstelle@ff-musterstadt.de",
                    "2026-01-01T00:00:00Z",
                    "2025-07-02T12:00:00Z",
                ),
                stale,
            ],
            Limits::default(),
            now,
        );
        let text = exposition(&result);
        assert!(text.ends_with('\n'));
        assert!(text.contains(
            "fe2_license_expiry_timestamp_seconds{email=\"leitstelle@ff-musterstadt.de\"} 1767225600\n"
        ));
        assert!(text.contains(
            "fe2_license_remaining_seconds{email=\"leitstelle@ff-musterstadt.de\"} 15768000\n"
        ));
        assert!(text.contains(
            "fe2_license_info{email=\"leitstelle@ff-musterstadt.de\",holder=\"FF Musterstadt\",package=\"basis\",status=\"active\"} 1\n"
        ), "{text}");
        assert!(text.contains("fe2_license_usable{email=\"leitstelle@ff-musterstadt.de\"} 1\n"));
        assert!(
            text.contains("fe2_license_data_age_seconds{email=\"a\\\"b\\\\c@x.de\"} 3600\n"),
            "{text}"
        );
        assert!(text.contains("fe2_license_state{email=\"a\\\"b\\\\c@x.de\"} 1\n"));
        assert_eq!(text.matches("# TYPE ").count(), 7);
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 14);
    }

    #[test]
    fn a_line_feed_in_a_label_stays_on_one_line() {
        assert_eq!(label_value("a\nb"), "a\\nb");
    }
}
