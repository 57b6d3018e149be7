//! Dates as the users read them: Europe/Berlin, German order (`01.01.2026`).

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Berlin;

/// `01.01.2026` for the Berlin day of `at`.
pub fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Berlin).format("%d.%m.%Y").to_string()
}

/// `02.07.2025 14:00` in Berlin time.
pub fn date_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Berlin)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::at;

    #[test]
    fn dates_are_berlin_days_in_summer_and_winter() {
        // Midnight UTC on New Year is 01:00 in Berlin: still the same day.
        assert_eq!(date(at("2026-01-01T00:00:00Z")), "01.01.2026");
        // 23:30 UTC in summer is already the next day in Berlin (UTC+2).
        assert_eq!(date(at("2025-07-01T23:30:00Z")), "02.07.2025");
        assert_eq!(date_time(at("2025-07-02T12:00:00Z")), "02.07.2025 14:00");
        assert_eq!(date_time(at("2025-12-02T12:00:00Z")), "02.12.2025 13:00");
    }
}
