//! Times `pricing::quote` for a typical change (the change form recomputes it on every input).

use chrono::{DateTime, NaiveDate, Utc};
use fe2_license::model::{
    BillingPeriod, Catalog, Item, Kind, License, LocalizedName, Package, PriceList, Product,
    RequestedItem, Status, SwitchStatus,
};
use fe2_license::pricing;
use rust_decimal::Decimal;
use std::hint::black_box;
use std::time::Instant;

/// Quotes in one timed batch: long enough for the clock, short enough for many samples.
const BATCH: u64 = 1_000;

/// Microseconds per quote of each batch of `iterations` quotes in total.
pub fn measure(iterations: u64) -> Result<Vec<f64>, String> {
    let license = license();
    let catalog = catalog()?;
    let request = [
        RequestedItem::new("fe2-persons", 35),
        RequestedItem::new("fe2-amweb", 2),
    ];
    let now: DateTime<Utc> = "2025-07-02T12:00:00Z"
        .parse()
        .map_err(|e| format!("date: {e}"))?;
    // The case must be a valid quote, or the timing would be of the error path.
    pricing::quote(&license, &catalog, &request, now).map_err(|e| format!("quote: {e}"))?;
    let mut values = Vec::new();
    for _ in 0..(iterations / BATCH).max(1) {
        let started = Instant::now();
        for _ in 0..BATCH {
            let _ = black_box(pricing::quote(
                black_box(&license),
                black_box(&catalog),
                black_box(&request),
                black_box(now),
            ));
        }
        values.push(started.elapsed().as_secs_f64() * 1e6 / BATCH as f64);
    }
    Ok(values)
}

fn product(sku: &str, min: u32, max: u32, switchable: bool) -> Product {
    let name = LocalizedName {
        de: sku.to_string(),
        en: sku.to_string(),
    };
    Product {
        sku: sku.to_string(),
        name,
        min,
        max,
        switchable,
    }
}

/// The current price list of docs/domain.md.
fn catalog() -> Result<Catalog, String> {
    let prices = [
        ("fe2-basis", "650.00"),
        ("fe2-persons", "12.00"),
        ("fe2-amweb", "90.00"),
        ("fe2-amobile-pro", "120.00"),
        ("fe2-am4", "60.00"),
    ];
    let mut map = std::collections::BTreeMap::new();
    for (sku, price) in prices {
        let price: Decimal = price.parse().map_err(|e| format!("{price}: {e}"))?;
        map.insert(sku.to_string(), price);
    }
    Ok(Catalog {
        currency: "EUR".to_string(),
        vat_rate: Decimal::new(19, 2),
        price_lists: vec![PriceList {
            id: "2023-04-17".to_string(),
            valid_from: NaiveDate::from_ymd_opt(2023, 4, 17).ok_or("date")?,
            prices: map,
        }],
        products: vec![
            product("fe2-basis", 1, 1, false),
            product("fe2-persons", 0, 500, true),
            product("fe2-amweb", 0, 50, true),
            product("fe2-amobile-pro", 0, 50, true),
            product("fe2-am4", 0, 50, true),
        ],
    })
}

fn item(sku: &str, quantity: u32) -> Item {
    Item {
        sku: sku.to_string(),
        name: String::new(),
        quantity,
        unit_price: None,
    }
}

/// An active yearly Basispaket license with 20 persons, period 2025-01-01 -> 2026-01-01.
fn license() -> License {
    let day = |y, m, d| {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or_default()
    };
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
        start_date: day(2024, 1, 1),
        period_start: Some(day(2025, 1, 1)),
        next_payment_date: Some(day(2026, 1, 1)),
        end_date: None,
        trial_end_date: None,
        currency: "EUR".to_string(),
        items: vec![item("fe2-basis", 1), item("fe2-persons", 20)],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_valid_quote() {
        let values = measure(2_000).unwrap();
        assert_eq!(values.len(), 2);
        assert!(values.iter().all(|us| *us > 0.0));
    }
}
