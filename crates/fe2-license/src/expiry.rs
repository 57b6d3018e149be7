//! When a license stops being usable and how urgent that is (domain.md: Statuses, Expiry).

use crate::model::License;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Warning and critical windows in days (IT staff may change them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Warning when `days_left ≤ warning_days` (default 30).
    pub warning_days: i64,
    /// Critical when `days_left ≤ critical_days` (default 14).
    pub critical_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { warning_days: 30, critical_days: 14 }
    }
}

/// How urgent a license is, most urgent last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Far from expiry.
    Ok,
    /// Within the warning window (or on-hold).
    Warning,
    /// Within the critical window.
    Critical,
    /// Expired or not usable.
    Expired,
}

/// The instant the license stops: `trial_end_date` for trials, else `end_date`, else `next_payment_date`.
pub fn expires_at(license: &License) -> Option<DateTime<Utc>> {
    let _ = license;
    todo!("expiry::expires_at")
}

/// True while active, pending-cancel before its end, or a trial before its end.
pub fn is_usable(license: &License, now: DateTime<Utc>) -> bool {
    let _ = (license, now);
    todo!("expiry::is_usable")
}

/// `ceil((expiry − now) / 1 day)`; 0 or negative once expired or not usable.
pub fn days_left(license: &License, now: DateTime<Utc>) -> i64 {
    let _ = (license, now);
    todo!("expiry::days_left")
}

/// The license's urgency for the given thresholds.
pub fn urgency(license: &License, now: DateTime<Utc>, thresholds: &Thresholds) -> Urgency {
    let _ = (license, now, thresholds);
    todo!("expiry::urgency")
}
