//! Every amount of the fixture files follows the rules (docs/domain.md): each order's gross
//! total, as the shop serves it, is recomputed with the core's pricing from what the license
//! held on the order's date. The demo's dates are relative to the start clock, so it is
//! checked at several clocks, a year with 29 February in its period among them.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use fe2_license::model::{Catalog, License, Order, OrderType, RequestedItem, Status};
use fe2_license::pricing;
use fe2_shop::{DbLocation, Fixtures};
use rust_decimal::Decimal;
use serde_json::Value;

/// One line of a switch order as its fixture names it: the quantity before and after.
struct SwitchLine {
    sku: String,
    from: u32,
    to: u32,
}

/// The switch lines a fixture order names (`"switch": [{"sku", "from", "to"}]`).
fn switch_lines(order: &Value) -> Vec<SwitchLine> {
    order["switch"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| SwitchLine {
                    sku: l["sku"].as_str().unwrap().to_string(),
                    from: l["from"].as_u64().unwrap() as u32,
                    to: l["to"].as_u64().unwrap() as u32,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The license as it was at `at`: today's quantities with every later switch undone.
fn license_at(
    license: &License,
    switches: &[(DateTime<Utc>, &[SwitchLine])],
    at: DateTime<Utc>,
) -> License {
    let mut then = license.clone();
    then.scheduled_changes.clear();
    let mut later: Vec<_> = switches.iter().filter(|(date, _)| *date >= at).collect();
    later.sort_by_key(|(date, _)| std::cmp::Reverse(*date));
    for (_, lines) in later {
        for line in lines.iter() {
            match then.items.iter_mut().find(|i| i.sku == line.sku) {
                Some(item) => item.quantity = line.from,
                None => then
                    .items
                    .push(fe2_shop::db::bare_item(&line.sku, line.from)),
            }
        }
    }
    then
}

/// Checks every order of every customer of `file` with the shop started at `now`.
async fn every_amount_follows_the_rules(file: &str, now: &str) {
    let path = format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    let catalog: Catalog = serde_json::from_value(raw["catalog"].clone()).unwrap();
    let shop = Shop::start_with(
        now,
        DbLocation::Memory,
        Some(Fixtures::from_json(&text).unwrap()),
    )
    .await;
    for customer in raw["customers"].as_array().unwrap() {
        let email = customer["email"].as_str().unwrap();
        let account = (email, customer["app_password"].as_str().unwrap());
        let fixture_orders = customer["orders"].as_array().cloned().unwrap_or_default();
        if customer["license"].is_null() {
            continue;
        }
        let license: License =
            serde_json::from_value(shop.get("/license", account).await.json).unwrap();
        let served: Vec<Order> =
            serde_json::from_value(shop.get("/license/orders", account).await.json).unwrap();
        assert_eq!(served.len(), fixture_orders.len(), "{file} {email}");
        // The shop lists them oldest first, as the fixture does.
        let lines: Vec<Vec<SwitchLine>> = fixture_orders.iter().map(switch_lines).collect();
        let switches: Vec<(DateTime<Utc>, &[SwitchLine])> = served
            .iter()
            .zip(&lines)
            .filter(|(order, _)| order.order_type == OrderType::SwitchOrder)
            .map(|(order, lines)| (order.date_created, lines.as_slice()))
            .collect();
        for (order, lines) in served.iter().zip(&lines) {
            let at = order.date_created;
            let what = format!("{file} at {now}: {email} {} of {at}", order.order_type);
            let expected: Decimal = match order.order_type {
                OrderType::ParentOrder | OrderType::RenewalOrder => {
                    let then = license_at(&license, &switches, at);
                    pricing::renewal_at(&then, &catalog, at)
                        .unwrap_or_else(|| panic!("{what}: no price for {:?}", then.items))
                        .amounts
                        .gross
                }
                OrderType::SwitchOrder => {
                    assert!(
                        !lines.is_empty(),
                        "{what}: the fixture names no switch lines"
                    );
                    let (start, _) = pricing::period_bounds(&license).unwrap();
                    assert!(at >= start, "{what}: before the current period ({start})");
                    // The quantities just before it: this switch undone as well.
                    let mut then = license_at(&license, &switches, at);
                    then.status = Status::Active;
                    then.has_paid_order = true;
                    for line in lines {
                        assert_eq!(then.quantity(&line.sku), line.from, "{what}: {}", line.sku);
                    }
                    let request: Vec<RequestedItem> = lines
                        .iter()
                        .map(|l| RequestedItem::new(&l.sku, l.to))
                        .collect();
                    pricing::quote(&then, &catalog, &request, at)
                        .unwrap_or_else(|e| panic!("{what}: {e}"))
                        .setup_fee
                        .gross
                }
                ref other => panic!("{what}: unknown order type {other}"),
            };
            assert_eq!(order.total, expected, "{what}");
        }
        // The last switch of each item left it at today's quantity.
        for (_, lines) in &switches {
            for line in lines.iter() {
                let last = switches
                    .iter()
                    .filter(|(_, ls)| ls.iter().any(|l| l.sku == line.sku))
                    .max_by_key(|(date, _)| *date)
                    .unwrap();
                if std::ptr::eq(last.1, *lines) {
                    assert_eq!(license.quantity(&line.sku), line.to, "{file} {email}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_worked_examples_amounts_follow_the_rules() {
    every_amount_follows_the_rules("worked-examples.json", "2025-07-02T12:00:00Z").await;
}

#[tokio::test]
async fn the_demo_amounts_follow_the_rules_at_any_clock() {
    for now in [
        "2026-01-15T09:00:00Z",
        // The period of a license renewing in 65 days then holds 29 February 2028.
        "2027-12-30T09:00:00Z",
        "2028-02-29T23:30:00Z",
        "2031-06-01T09:00:00Z",
    ] {
        every_amount_follows_the_rules("demo.json", now).await;
    }
}
