//! When a license stops being usable and how urgent that is (docs/domain.md, Statuses and expiry).

use crate::model::{Kind, License, Status};
use crate::pricing::ceil_days;
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
        Self {
            warning_days: 30,
            critical_days: 14,
        }
    }
}

/// How urgent a license is, most urgent last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    if license.kind == Kind::Trial {
        license.trial_end_date
    } else {
        license.end_date.or(license.next_payment_date)
    }
}

/// True while active, pending-cancel before its end, or a trial before its end.
///
/// An active trial without a `trial_end_date` counts as usable (nothing says it ended).
pub fn is_usable(license: &License, now: DateTime<Utc>) -> bool {
    match license.status {
        Status::Active => {
            license.kind != Kind::Trial || license.trial_end_date.is_none_or(|end| now < end)
        }
        Status::PendingCancel => license.end_date.is_some_and(|end| now < end),
        _ => false,
    }
}

/// `ceil((expiry − now) / 1 day)`; 0 or negative once expired or not usable.
///
/// On-hold keeps its real count (the license comes back when the invoice is paid); no expiry
/// date at all gives 0.
pub fn days_left(license: &License, now: DateTime<Utc>) -> i64 {
    let Some(expiry) = expires_at(license) else {
        return 0;
    };
    let days = ceil_days(expiry - now);
    if is_usable(license, now) || license.status == Status::OnHold {
        days
    } else {
        days.min(0)
    }
}

/// The license's urgency for the given thresholds.
///
/// A usable license with no expiry date at all (no end, no next payment) is `Ok`, or `Warning`
/// when on-hold: it has nothing to run out on.
pub fn urgency(license: &License, now: DateTime<Utc>, thresholds: &Thresholds) -> Urgency {
    let on_hold = license.status == Status::OnHold;
    if !on_hold && !is_usable(license, now) {
        return Urgency::Expired;
    }
    let floor = if on_hold {
        Urgency::Warning
    } else {
        Urgency::Ok
    };
    if expires_at(license).is_none() {
        return floor;
    }
    let days = days_left(license, now);
    let by_days = if days <= 0 {
        Urgency::Expired
    } else if days <= thresholds.critical_days {
        Urgency::Critical
    } else if days <= thresholds.warning_days {
        Urgency::Warning
    } else {
        Urgency::Ok
    };
    by_days.max(floor)
}
