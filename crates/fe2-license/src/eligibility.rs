//! Who may change what (docs/domain.md: the eligibility order, request validation
//! and ticket preconditions).

use crate::error::{Error, Result};
use crate::model::{
    Catalog, Kind, License, Product, RequestedItem, Status, SwitchStatus, TicketTopic,
    FEATURE_NAVLOG, SKU_AMOBILE_PRO,
};
use crate::pricing;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Checks 1-5 of docs/domain.md in order at `now`: trial, not active, no paid order, legacy
/// package, renewal due (the period has ended and the shop has not moved it on: not paid).
pub fn check_switch(license: &License, now: DateTime<Utc>) -> Result<()> {
    if license.kind == Kind::Trial {
        return Err(Error::TrialLicense);
    }
    if license.status != Status::Active {
        return Err(Error::SubscriptionNotActive {
            status: license.status.as_str().to_string(),
        });
    }
    if !license.has_paid_order {
        return Err(Error::NoPaidOrder);
    }
    if license.package.legacy {
        return Err(Error::LegacyPackage {
            package: license.package.code.clone(),
        });
    }
    match pricing::period_bounds(license) {
        Some((_, end)) if now >= end => Err(Error::RenewalDue { date: end }),
        _ => Ok(()),
    }
}

/// `license.switch` as the shop reports it at `now`.
pub fn switch_status(license: &License, now: DateTime<Utc>) -> SwitchStatus {
    match check_switch(license, now) {
        Ok(()) => SwitchStatus {
            allowed: true,
            reason: None,
        },
        Err(e) => SwitchStatus {
            allowed: false,
            reason: Some(e.code().to_string()),
        },
    }
}

/// Structural check of a switch body's `items` (400 `bad_request`): an array of objects with a
/// string `sku` and a `quantity`, no SKU twice. Quantities are checked later, per SKU.
///
/// A `"quantity": null` counts as present and is refused later as `invalid_quantity`.
pub fn parse_items(items: &serde_json::Value) -> Result<Vec<RequestedItem>> {
    let bad = |why: String| Error::BadRequest(why);
    let entries = items
        .as_array()
        .ok_or_else(|| bad("items must be an array".to_string()))?;
    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let object = entry
            .as_object()
            .ok_or_else(|| bad(format!("items[{index}] must be an object")))?;
        let sku = object
            .get("sku")
            .and_then(|s| s.as_str())
            .ok_or_else(|| bad(format!("items[{index}].sku must be a string")))?;
        let quantity = object
            .get("quantity")
            .ok_or_else(|| bad(format!("items[{index}].quantity is missing")))?;
        if !seen.insert(sku) {
            return Err(bad(format!(
                "SKU {:?} appears twice",
                sku.chars().take(64).collect::<String>()
            )));
        }
        parsed.push(RequestedItem {
            sku: sku.to_string(),
            quantity: quantity.clone(),
        });
    }
    Ok(parsed)
}

/// Check 5 for one item: the product exists, the quantity is a JSON integer in `[min, max]`
/// and, for a non-switchable product, equals today's quantity.
pub fn validate_item<'c>(
    license: &License,
    catalog: &'c Catalog,
    item: &RequestedItem,
) -> Result<(&'c Product, u32)> {
    let product = catalog
        .product(&item.sku)
        .ok_or_else(|| Error::UnknownItem {
            // Quoted back to the UI: a prefix is enough to name it.
            sku: item.sku.chars().take(64).collect(),
        })?;
    let invalid = || Error::InvalidQuantity {
        sku: item.sku.clone(),
    };
    // `as_u64` is `None` for negatives, fractions (also `2.0`), strings and anything else.
    let quantity = item
        .quantity
        .as_u64()
        .and_then(|q| u32::try_from(q).ok())
        .ok_or_else(invalid)?;
    if quantity < product.min || quantity > product.max {
        return Err(invalid());
    }
    if !product.switchable && quantity != license.quantity(&item.sku) {
        return Err(invalid());
    }
    Ok((product, quantity))
}

/// Check 5, in request order: unknown SKU, quantity not an integer in `[min, max]` (or a
/// non-switchable product changed). Returns `(sku, new total)` pairs.
pub fn validate_items(
    license: &License,
    catalog: &Catalog,
    items: &[RequestedItem],
) -> Result<Vec<(String, u32)>> {
    items
        .iter()
        .map(|item| validate_item(license, catalog, item).map(|(_, q)| (item.sku.clone(), q)))
        .collect()
}

/// The `no_change` rule: an empty request, or every named SKU at today's quantity with no
/// scheduled change of it that naming it would cancel.
pub fn check_change(license: &License, totals: &[(String, u32)]) -> Result<()> {
    let changes_something = totals.iter().any(|(sku, quantity)| {
        *quantity != license.quantity(sku)
            || license.scheduled_changes.iter().any(|c| &c.sku == sku)
    });
    if changes_something {
        Ok(())
    } else {
        Err(Error::NoChange)
    }
}

/// Ticket preconditions (docs/domain.md, Tickets). `email_has_license` answers whether an address
/// already has a license (the shop asks its database; a client passes `|_| false`).
pub fn check_ticket(
    license: &License,
    topic: &str,
    fields: &serde_json::Value,
    email_has_license: &dyn Fn(&str) -> bool,
) -> Result<()> {
    match TicketTopic::parse(topic) {
        Some(TicketTopic::NavlogActivation) => {
            if license.quantity(SKU_AMOBILE_PRO) < 1 {
                return Err(Error::RequiresAmobilePro);
            }
            if license.has_feature(FEATURE_NAVLOG) {
                return Err(Error::AlreadyActive);
            }
            Ok(())
        }
        Some(TicketTopic::LicenseEmailChange) => {
            let raw = fields
                .get("new_email")
                .and_then(|v| v.as_str())
                .ok_or_else(|| Error::InvalidEmail(String::new()))?;
            let normalized = crate::email::normalize(raw)?;
            if crate::email::same(&normalized, &license.email) {
                return Err(Error::InvalidEmail(normalized));
            }
            if email_has_license(&normalized) {
                return Err(Error::EmailInUse);
            }
            Ok(())
        }
        Some(TicketTopic::PackageChange | TicketTopic::General) => Ok(()),
        None => Err(Error::UnknownTopic(topic.chars().take(64).collect())),
    }
}
