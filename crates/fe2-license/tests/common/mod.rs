//! Fixtures shared by the integration tests: docs/domain.md's worked-example catalog and license.

#![allow(dead_code)] // each test binary uses a different part of the fixtures

use chrono::{DateTime, NaiveDate, Utc};
use fe2_license::model::{
    BillingPeriod, Catalog, Item, Kind, License, LocalizedName, Package, PriceList, Product,
    Status, SwitchStatus,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A decimal from its text.
pub fn dec(text: &str) -> Decimal {
    text.parse().expect("test literal is a decimal")
}

/// An instant from RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("test literal is RFC 3339")
}

fn product(sku: &str, min: u32, max: u32, switchable: bool) -> Product {
    Product {
        sku: sku.to_string(),
        name: LocalizedName {
            de: sku.to_string(),
            en: sku.to_string(),
        },
        min,
        max,
        switchable,
    }
}

fn list(id: &str, prices: &[(&str, &str)]) -> PriceList {
    PriceList {
        id: id.to_string(),
        valid_from: id.parse::<NaiveDate>().expect("list id is a date"),
        prices: prices
            .iter()
            .map(|(sku, p)| (sku.to_string(), dec(p)))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// The current list of docs/domain.md (valid from 2023-04-17).
pub fn current_list() -> PriceList {
    list(
        "2023-04-17",
        &[
            ("fe2-basis", "650.00"),
            ("fe2-persons", "12.00"),
            ("fe2-amweb", "90.00"),
            ("fe2-amobile-pro", "120.00"),
            ("fe2-am4", "60.00"),
        ],
    )
}

/// The older list (valid from 2023-01-13), with different prices to tell them apart.
pub fn old_list() -> PriceList {
    list(
        "2023-01-13",
        &[
            ("fe2-basis", "600.00"),
            ("fe2-persons", "10.00"),
            ("fe2-amweb", "80.00"),
            ("fe2-amobile-pro", "100.00"),
            ("fe2-am4", "50.00"),
        ],
    )
}

/// The worked examples' catalog: both lists, VAT 19 %.
pub fn catalog() -> Catalog {
    Catalog {
        currency: "EUR".to_string(),
        vat_rate: dec("0.19"),
        price_lists: vec![current_list(), old_list()],
        products: vec![
            product("fe2-basis", 1, 1, false),
            product("fe2-persons", 0, 500, true),
            product("fe2-amweb", 0, 100, true),
            product("fe2-amobile-pro", 0, 100, true),
            product("fe2-am4", 0, 100, true),
        ],
    }
}

/// An item at a quantity.
pub fn item(sku: &str, quantity: u32) -> Item {
    Item {
        sku: sku.to_string(),
        name: String::new(),
        quantity,
        unit_price: None,
    }
}

/// An active, paid Basispaket license, period 2025-01-01 → 2026-01-01, with the given items
/// besides the package.
pub fn license(items: &[(&str, u32)]) -> License {
    let mut all = vec![item("fe2-basis", 1)];
    all.extend(items.iter().map(|(sku, q)| item(sku, *q)));
    License {
        id: 4711,
        email: "leitstelle@ff-musterstadt.de".to_string(),
        name: "FF Musterstadt".to_string(),
        kind: Kind::Subscription,
        status: Status::Active,
        package: Package {
            code: "basis".to_string(),
            name: "FE2 Basispaket".to_string(),
            legacy: false,
        },
        billing_period: BillingPeriod::Year,
        billing_interval: 1,
        start_date: at("2024-01-01T00:00:00Z"),
        period_start: Some(at("2025-01-01T00:00:00Z")),
        next_payment_date: Some(at("2026-01-01T00:00:00Z")),
        end_date: None,
        trial_end_date: None,
        currency: "EUR".to_string(),
        items: all,
        features: vec![],
        price_list: "2023-04-17".to_string(),
        scheduled_changes: vec![],
        has_paid_order: true,
        switch: SwitchStatus {
            allowed: true,
            reason: None,
        },
    }
}
