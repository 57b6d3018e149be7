//! Prices of quantity changes (domain.md: Upgrade, Downgrade, Mixed, Next renewal).
//! The reference shop answers with these figures and the app's local estimate shows them.

use crate::error::Result;
use crate::model::{Catalog, License, NextRenewal, Quote, RequestedItem};
use chrono::{DateTime, Utc};

/// Prices a request of new totals: eligibility first (first failure wins), then each line.
pub fn quote(
    license: &License,
    catalog: &Catalog,
    request: &[RequestedItem],
    now: DateTime<Utc>,
) -> Result<Quote> {
    let _ = (license, catalog, request, now);
    todo!("pricing::quote")
}

/// The current billing period `(start, end)`: end = next payment (or end date), start one
/// calendar period before it. `None` when the license has neither date.
pub fn period_bounds(license: &License) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let _ = license;
    todo!("pricing::period_bounds")
}

/// What the next renewal costs with today's quantities and scheduled changes.
pub fn next_renewal(license: &License, catalog: &Catalog) -> Option<NextRenewal> {
    let _ = (license, catalog);
    todo!("pricing::next_renewal")
}

/// Applies a quote to the license: upgrades at once, downgrades as scheduled changes (ids from
/// `new_id`), a line at today's quantity cancels that SKU's scheduled change.
pub fn apply(license: &mut License, quote: &Quote, new_id: &mut dyn FnMut() -> String) {
    let _ = (license, quote, new_id);
    todo!("pricing::apply")
}

/// Lets scheduled changes whose date has passed take effect; true when something changed.
pub fn apply_due_changes(license: &mut License, now: DateTime<Utc>) -> bool {
    let _ = (license, now);
    todo!("pricing::apply_due_changes")
}
