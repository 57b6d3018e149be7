//! The renewal reminder (docs/domain.md, Renewal reminder): some days before an auto-renewing
//! license renews, the date and the amount of that renewal, so that a budget decision can be
//! taken in time. Besides the expiry warnings, which are about licenses that stop.

use crate::budget::{renewal_awaits_payment, renews};
use crate::model::{Catalog, License};
use crate::pricing::{self, ceil_days};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The next renewal of a license that renews within the reminder window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RenewalReminder {
    /// When the license renews (the next payment date).
    pub date: DateTime<Utc>,
    /// Days until then, counted as `days_left` is.
    pub days_left: i64,
    /// Net of the renewal; `None` without a cached catalog or when the price is on request.
    #[serde(with = "crate::money::optional")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub net: Option<Decimal>,
    /// Gross of the renewal (net plus VAT), `None` as `net`.
    #[serde(with = "crate::money::optional")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub gross: Option<Decimal>,
}

/// The reminder due at `now` for a license that renews by itself (status `active`, not a
/// trial, not cancelled, with a next payment date) within `window_days` days, priced like the
/// dashboard's next renewal (`pricing::next_renewal`). On-hold and pending licenses are left to
/// the expiry warnings: they renew only once an invoice is paid. `window_days` 0 turns it off.
pub fn renewal_reminder(
    license: &License,
    catalog: Option<&Catalog>,
    now: DateTime<Utc>,
    window_days: i64,
) -> Option<RenewalReminder> {
    if renewal_awaits_payment(license) {
        return None;
    }
    let date = renews(license).ok()?;
    let days_left = ceil_days(date - now);
    if days_left <= 0 || days_left > window_days {
        return None;
    }
    let renewal = catalog.and_then(|catalog| pricing::next_renewal(license, catalog));
    Some(RenewalReminder {
        date,
        days_left,
        net: renewal.as_ref().map(|r| r.net),
        gross: renewal.as_ref().map(|r| r.gross),
    })
}
