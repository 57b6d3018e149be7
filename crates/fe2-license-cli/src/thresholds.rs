//! The thresholds of `check`: plain days (`-w 30`: WARNING when days left ≤ 30, the app's rule)
//! or a range of the Monitoring Plugins syntax (`30:`, `~:10`, `@10:20`), and the performance
//! data range that alerts on exactly the values the state alerts on.

use chrono::{DateTime, Utc};
use fe2_license::expiry::{self, Thresholds, Urgency};
use fe2_license::model::License;
use serde::{Serialize, Serializer};
use std::fmt;

/// A range of the Monitoring Plugins syntax: alert when the value lies outside
/// `start..=end`, or inside it when the range starts with `@`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// The lower end; `None` is minus infinity (`~`).
    start: Option<f64>,
    /// The upper end; `None` is infinity (nothing after the `:`).
    end: Option<f64>,
    /// `@`: alert inside the range instead of outside.
    inside: bool,
}

impl Range {
    /// True when `value` alerts under this range.
    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e);
        within == self.inside
    }

    /// Parses `[@][start:][end]`: an empty start is 0, `~` is minus infinity, an empty end is
    /// infinity; `10` alone is `0:10`.
    pub fn parse(text: &str) -> Result<Range, String> {
        let bad = |why: &str| format!("not a range: {text:?} ({why})");
        let (inside, spec) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end) = spec.split_once(':').unwrap_or(("", spec));
        let number = |atom: &str| -> Result<f64, String> {
            atom.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| {
                    bad("a number, ~ or nothing before the colon, a number or nothing after it")
                })
        };
        let start = match start {
            "~" => None,
            "" => Some(0.0),
            atom => Some(number(atom)?),
        };
        let end = match end {
            "" => None,
            atom => Some(number(atom)?),
        };
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(bad("its start is above its end"));
            }
        }
        Ok(Range { start, end, inside })
    }
}

impl fmt::Display for Range {
    /// The canonical text (`@` when inside, `~` for minus infinity, nothing for infinity).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inside {
            f.write_str("@")?;
        }
        match self.start {
            None => f.write_str("~:")?,
            Some(s) => write!(f, "{s}:")?,
        }
        if let Some(e) = self.end {
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// One threshold as given on the command line or taken from the settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// Plain days: alert when days left ≤ this.
    Days(i64),
    /// A Monitoring Plugins range over days left.
    Range(Range),
}

impl Threshold {
    /// The range that alerts on exactly these values: days are whole, so `≤ N` is `N+1:`.
    pub fn range(&self) -> Range {
        match *self {
            Threshold::Days(days) => Range {
                start: Some(days as f64 + 1.0),
                end: None,
                inside: false,
            },
            Threshold::Range(range) => range,
        }
    }

    /// True when `days` left alert under this threshold.
    pub fn alerts(&self, days: i64) -> bool {
        self.range().alerts(days as f64)
    }
}

impl Serialize for Threshold {
    /// The range text, so that JSON readers see what the performance data says.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.range())
    }
}

/// Parses `-w`/`-c`: a whole number of days (0 or more) keeps the app's meaning, anything
/// else is read as a range.
pub fn parse(text: &str) -> Result<Threshold, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty threshold (give days, e.g. 30, or a range, e.g. 31:)".into());
    }
    if let Ok(days) = text.parse::<i64>() {
        if days < 0 {
            return Err(format!(
                "{days}: days must be 0 or more (for a range write e.g. ~:{days})"
            ));
        }
        return Ok(Threshold::Days(days));
    }
    Range::parse(text).map(Threshold::Range)
}

/// The warning and critical thresholds in force.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// WARNING when this alerts.
    pub warning: Threshold,
    /// CRITICAL when this alerts.
    pub critical: Threshold,
}

impl Limits {
    /// The thresholds given, each missing one from the settings; plain days must keep
    /// critical ≤ warning.
    pub fn new(
        warning: Option<Threshold>,
        critical: Option<Threshold>,
        settings: Thresholds,
    ) -> Result<Limits, String> {
        let limits = Limits {
            warning: warning.unwrap_or(Threshold::Days(settings.warning_days)),
            critical: critical.unwrap_or(Threshold::Days(settings.critical_days)),
        };
        if let (Threshold::Days(w), Threshold::Days(c)) = (limits.warning, limits.critical) {
            if c > w {
                return Err(format!(
                    "the critical days ({c}) must not exceed the warning days ({w})"
                ));
            }
        }
        Ok(limits)
    }

    /// The core's urgency with the days judged by these thresholds: not usable or
    /// 0 days or less is expired, on-hold at least a warning (the core decides both), and a
    /// license without an expiry date is judged by the core alone.
    pub fn urgency(&self, license: &License, now: DateTime<Utc>) -> Urgency {
        let none = Thresholds {
            warning_days: 0,
            critical_days: 0,
        };
        let base = expiry::urgency(license, now, &none);
        if base == Urgency::Expired || expiry::expires_at(license).is_none() {
            return base;
        }
        let days = expiry::days_left(license, now);
        let by_days = if self.critical.alerts(days) {
            Urgency::Critical
        } else if self.warning.alerts(days) {
            Urgency::Warning
        } else {
            Urgency::Ok
        };
        base.max(by_days)
    }
}

impl Serialize for Limits {
    /// `warning`/`critical` as ranges, and `warning_days`/`critical_days` for plain days
    /// (`null` for a range), so that scripts reading the days keep working.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let days = |t: Threshold| match t {
            Threshold::Days(days) => Some(days),
            Threshold::Range(_) => None,
        };
        let mut s = serializer.serialize_struct("Limits", 4)?;
        s.serialize_field("warning", &self.warning)?;
        s.serialize_field("critical", &self.critical)?;
        s.serialize_field("warning_days", &days(self.warning))?;
        s.serialize_field("critical_days", &days(self.critical))?;
        s.end()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(None, None, Thresholds::default()).expect("the defaults are ordered")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{at, license};
    use fe2_license::model::Status;

    #[test]
    fn plain_days_alert_at_and_below_the_number() {
        let thirty = parse("30").unwrap();
        assert_eq!(thirty.range().to_string(), "31:");
        assert!(thirty.alerts(30) && thirty.alerts(-5) && !thirty.alerts(31));
        assert_eq!(parse("0").unwrap().range().to_string(), "1:");
    }

    #[test]
    fn ranges_follow_the_monitoring_plugins_syntax() {
        let cases: [(&str, &str, &[i64], &[i64]); 5] = [
            ("30:", "30:", &[29, -1], &[30, 400]),
            ("~:10", "~:10", &[11], &[10, -100]),
            ("@10:20", "@10:20", &[10, 15, 20], &[9, 21]),
            ("10", "0:10", &[-1, 11], &[0, 10]),
            (":5", "0:5", &[-1, 6], &[0, 5]),
        ];
        for (text, canonical, alerting, quiet) in cases {
            let threshold = parse(text).unwrap();
            assert!(matches!(threshold, Threshold::Range(_)) || text == "10");
            let range = Range::parse(text).unwrap();
            assert_eq!(range.to_string(), canonical);
            for &v in alerting {
                assert!(range.alerts(v as f64), "{text} {v}");
            }
            for &v in quiet {
                assert!(!range.alerts(v as f64), "{text} {v}");
            }
        }
        assert_eq!(Range::parse("1.5:").unwrap().to_string(), "1.5:");
    }

    #[test]
    fn bad_thresholds_are_refused_with_a_reason() {
        for text in ["20:10", "x", "", "1:2:3", "~", "nan:", "-3", "10;20", "1 0"] {
            assert!(parse(text).is_err(), "{text}");
        }
        let err = Limits::new(
            Some(Threshold::Days(10)),
            Some(Threshold::Days(20)),
            Thresholds::default(),
        )
        .unwrap_err();
        assert!(err.contains("must not exceed"), "{err}");
    }

    #[test]
    fn missing_thresholds_come_from_the_settings() {
        let settings = Thresholds {
            warning_days: 60,
            critical_days: 7,
        };
        let limits = Limits::new(None, Some(parse("3").unwrap()), settings).unwrap();
        assert_eq!(limits.warning, Threshold::Days(60));
        assert_eq!(limits.critical, Threshold::Days(3));
    }

    #[test]
    fn plain_days_give_exactly_the_cores_urgency() {
        let now = at("2025-07-02T12:00:00Z");
        for (w, c) in [(30, 14), (0, 0), (366, 0), (20, 20)] {
            let limits = Limits::new(
                Some(Threshold::Days(w)),
                Some(Threshold::Days(c)),
                Thresholds::default(),
            )
            .unwrap();
            let core = Thresholds {
                warning_days: w,
                critical_days: c,
            };
            for days in -5..=400 {
                let end = (now + chrono::TimeDelta::days(days)).to_rfc3339();
                for status in [Status::Active, Status::OnHold, Status::Cancelled] {
                    let mut l = license("a@b.de", &end);
                    l.status = status.clone();
                    assert_eq!(
                        limits.urgency(&l, now),
                        expiry::urgency(&l, now, &core),
                        "{w}/{c} {days} {status:?}"
                    );
                }
            }
        }
    }
}
