//! The check as Prometheus text exposition format (version 0.0.4), for the textfile collector
//! of node_exporter or windows_exporter.

use crate::check::{Assessment, CheckResult};
use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::encode_registry;
use prometheus_client::metrics::family::Family as MetricFamily;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// One metric family: name, help text (the encoder adds the full stop), and the value of an
/// assessed license at the check's time (if it has one).
struct Family {
    name: &'static str,
    help: &'static str,
    value: fn(&Assessment, DateTime<Utc>) -> Option<i64>,
}

/// Seconds everywhere (the base unit `promtool check metrics` asks for).
const FAMILIES: [Family; 6] = [
    Family {
        name: "fe2_license_expiry_timestamp_seconds",
        help: "When the FE2 license expires, as a Unix timestamp",
        value: |a, _| a.expires_at.map(|at| at.timestamp()),
    },
    Family {
        name: "fe2_license_remaining_seconds",
        help: "Seconds from the check until the FE2 license expires (negative once expired)",
        value: |a, now| a.expires_at.map(|at| (at - now).num_seconds()),
    },
    Family {
        name: "fe2_license_usable",
        help: "1 when the FE2 license is usable now, else 0",
        value: |a, _| a.usable.map(i64::from),
    },
    Family {
        name: "fe2_license_data_timestamp_seconds",
        help: "When the shop issued the license data shown, as a Unix timestamp",
        value: |a, _| a.as_of.map(|at| at.timestamp()),
    },
    Family {
        name: "fe2_license_data_age_seconds",
        help: "Seconds from the shop issuing the license data shown until the check",
        value: |a, _| a.data_age_seconds,
    },
    Family {
        name: "fe2_license_state",
        help: "The check's state of the license: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        value: |a, _| Some(i64::from(a.state.exit_code())),
    },
];

/// Label pairs of one sample.
type Labels = Vec<(String, String)>;

/// The exposition text (prometheus-client's encoder, which escapes the label values): HELP and
/// TYPE of every family, one sample per license that has the value, ending in a newline. The
/// info series is a gauge of 1 (the textfile collector's parser knows no `info` type).
pub fn exposition(result: &CheckResult) -> String {
    let mut registry = Registry::default();
    let info = MetricFamily::<Labels, Gauge>::default();
    for a in &result.licenses {
        if let (Some(holder), Some(package), Some(status)) = (&a.holder, &a.package, &a.status) {
            let labels = vec![
                ("email".to_string(), a.email.clone()),
                ("holder".to_string(), holder.clone()),
                ("package".to_string(), package.clone()),
                ("status".to_string(), status.clone()),
            ];
            info.get_or_create(&labels).set(1);
        }
    }
    registry.register(
        "fe2_license_info",
        "The FE2 license's holder, package and shop status (value 1)",
        info,
    );
    for family in &FAMILIES {
        let metric = MetricFamily::<Labels, Gauge>::default();
        for a in &result.licenses {
            if let Some(value) = (family.value)(a, result.checked_at) {
                let labels = vec![("email".to_string(), a.email.clone())];
                metric.get_or_create(&labels).set(value);
            }
        }
        registry.register(family.name, family.help, metric);
    }
    let mut text = String::new();
    // Writing into a String cannot fail; without `# EOF`, the plain text format.
    let _ = encode_registry(&mut text, &registry);
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
        stale.email = "a\"b\\c\nd@x.de".into();
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
            text.contains("fe2_license_data_age_seconds{email=\"a\\\"b\\\\c\\nd@x.de\"} 3600\n"),
            "{text}"
        );
        assert!(text.contains("fe2_license_state{email=\"a\\\"b\\\\c\\nd@x.de\"} 1\n"));
        assert_eq!(text.matches("# TYPE ").count(), 7);
        assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 14);
    }
}
