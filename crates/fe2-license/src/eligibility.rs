//! Who may change what (domain.md: eligibility order; shop-api.md: request validation; ticket
//! preconditions).

use crate::error::Result;
use crate::model::{Catalog, License, RequestedItem, SwitchStatus};

/// Checks 1-4 of domain.md in order: trial, not active, no paid order, legacy package.
pub fn check_switch(license: &License) -> Result<()> {
    let _ = license;
    todo!("eligibility::check_switch")
}

/// `license.switch` as the shop reports it.
pub fn switch_status(license: &License) -> SwitchStatus {
    let _ = license;
    todo!("eligibility::switch_status")
}

/// Structural check of a switch body's `items` (400 `bad_request`): an array of objects with a
/// string `sku` and a `quantity`, no SKU twice. Quantities are checked later, per SKU.
pub fn parse_items(items: &serde_json::Value) -> Result<Vec<RequestedItem>> {
    let _ = items;
    todo!("eligibility::parse_items")
}

/// Check 5, in request order: unknown SKU, quantity not an integer in `[min, max]` (or a
/// non-switchable product changed). Returns `(sku, new total)` pairs.
pub fn validate_items(
    license: &License,
    catalog: &Catalog,
    items: &[RequestedItem],
) -> Result<Vec<(String, u32)>> {
    let _ = (license, catalog, items);
    todo!("eligibility::validate_items")
}

/// Ticket preconditions (domain.md table). `email_has_license` answers whether an address
/// already has a license (the shop asks its database; a client passes `|_| false`).
pub fn check_ticket(
    license: &License,
    topic: &str,
    fields: &serde_json::Value,
    email_has_license: &dyn Fn(&str) -> bool,
) -> Result<()> {
    let _ = (license, topic, fields, email_has_license);
    todo!("eligibility::check_ticket")
}
