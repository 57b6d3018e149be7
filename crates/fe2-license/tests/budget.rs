//! The budget year: renewals priced at the list in force on their date, scheduled changes,
//! year boundaries in Germany, leap days, non-renewing licenses and the year's switch orders.

mod common;

use common::{at, catalog, dec, license};
use fe2_license::budget::{self, NotCounted};
use fe2_license::model::{
    BillingPeriod, Kind, Order, OrderStatus, OrderType, PriceList, ScheduledChange, Status,
};
use fe2_license::pricing;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// The worked examples' catalog plus a list in force from 2027-01-01 (persons 15.00).
fn catalog_with_2027_list() -> fe2_license::model::Catalog {
    let mut catalog = catalog();
    let mut list: PriceList = common::current_list();
    list.id = "2027-01-01".to_string();
    list.valid_from = "2027-01-01".parse().unwrap();
    list.prices.insert("fe2-persons".to_string(), dec("15.00"));
    catalog.price_lists.push(list);
    catalog
}

fn order(id: u64, order_type: OrderType, status: OrderStatus, total: &str, date: &str) -> Order {
    Order {
        id,
        order_type,
        status,
        total: dec(total),
        date_created: at(date),
        date_paid: None,
    }
}

/// The FAQ upgrade's switch order (worked example 1), placed on 2 July 2026.
fn faq_upgrade_order() -> Order {
    order(
        10042,
        OrderType::SwitchOrder,
        OrderStatus::Pending,
        "71.59",
        "2026-07-02T12:00:00Z",
    )
}

#[test]
fn a_yearly_renewal_is_priced_like_the_next_renewal() {
    // The FAQ license after the upgrade: package + 30 persons, renewing 2026-01-01.
    let lic = license(&[("fe2-persons", 30)]);
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    assert_eq!(part.not_counted, None);
    assert_eq!(part.renewals.len(), 1);
    let renewal = &part.renewals[0];
    assert_eq!(renewal.date, at("2026-01-01T00:00:00Z"));
    assert_eq!(renewal.price_list, "2023-04-17");
    assert_eq!(
        (part.total.net, part.total.vat, part.total.gross),
        (dec("1010.00"), dec("191.90"), dec("1201.90"))
    );
    let lines: Vec<(&str, u32, Decimal, Decimal)> = renewal
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity, l.unit_price, l.net))
        .collect();
    assert_eq!(
        lines,
        [
            ("fe2-basis", 1, dec("650.00"), dec("650.00")),
            ("fe2-persons", 30, dec("12.00"), dec("360.00")),
        ]
    );
    let next = pricing::next_renewal(&lic, &catalog()).unwrap();
    assert_eq!(
        (next.net, next.vat, next.gross),
        (part.total.net, part.total.vat, part.total.gross)
    );
    // The year before has no renewal of this license, the year after the next one.
    assert!(budget::license_budget(&lic, Some(&catalog()), &[], 2025)
        .renewals
        .is_empty());
    let later = budget::license_budget(&lic, Some(&catalog()), &[], 2027);
    assert_eq!(later.renewals[0].date, at("2027-01-01T00:00:00Z"));
}

#[test]
fn the_list_in_force_on_the_renewal_date_prices_it() {
    let lic = license(&[("fe2-persons", 20)]);
    let catalog = catalog_with_2027_list();
    let in_2026 = budget::license_budget(&lic, Some(&catalog), &[], 2026);
    assert_eq!(in_2026.renewals[0].price_list, "2023-04-17");
    assert_eq!(in_2026.total.net, dec("890.00"));
    // 2027-01-01: the new list, persons at 15.00.
    let in_2027 = budget::license_budget(&lic, Some(&catalog), &[], 2027);
    assert_eq!(in_2027.renewals[0].price_list, "2027-01-01");
    assert_eq!(in_2027.total.net, dec("950.00"));
    assert_eq!(
        (in_2027.total.vat, in_2027.total.gross),
        (dec("180.50"), dec("1130.50"))
    );
}

#[test]
fn a_scheduled_downgrade_lowers_the_renewal_it_takes_effect_at() {
    // FAQ downgrade: persons 20 → 10 effective 2026-01-01.
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.scheduled_changes.push(ScheduledChange {
        id: "sc-1".to_string(),
        sku: "fe2-persons".to_string(),
        quantity: 10,
        effective_date: at("2026-01-01T00:00:00Z"),
    });
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    assert_eq!(part.total.net, dec("770.00"));
    assert_eq!(part.renewals[0].changes_applied.len(), 1);
    // A change effective after the renewal does not lower it.
    lic.scheduled_changes[0].effective_date = at("2026-01-01T00:00:01Z");
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    assert_eq!(part.total.net, dec("890.00"));
    assert!(part.renewals[0].changes_applied.is_empty());
    // …but the one after: 2027-01-01.
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2027);
    assert_eq!(part.total.net, dec("770.00"));
}

#[test]
fn the_year_is_the_day_in_germany_31_december_against_1_january() {
    let mut lic = license(&[("fe2-persons", 20)]);
    // 31 Dec 22:59 UTC is 23:59 in Berlin: still 2026.
    lic.next_payment_date = Some(at("2026-12-31T22:59:59Z"));
    assert_eq!(
        budget::license_budget(&lic, Some(&catalog()), &[], 2026)
            .renewals
            .len(),
        1
    );
    // 31 Dec 23:00 UTC is midnight in Berlin: 2027, although the UTC day is still 31 Dec.
    lic.next_payment_date = Some(at("2026-12-31T23:00:00Z"));
    assert!(budget::license_budget(&lic, Some(&catalog()), &[], 2026)
        .renewals
        .is_empty());
    let in_2027 = budget::license_budget(&lic, Some(&catalog_with_2027_list()), &[], 2027);
    assert_eq!(in_2027.renewals.len(), 1);
    // The price list is chosen by the same day in Germany (docs/domain.md): 1 January, the
    // new list, so a renewal is shown, counted and priced in one year.
    assert_eq!(in_2027.renewals[0].price_list, "2027-01-01");
    assert_eq!(in_2027.total.net, dec("950.00"));
    // One second before, in 2026 and on the old list.
    lic.next_payment_date = Some(at("2026-12-31T22:59:59Z"));
    let in_2026 = budget::license_budget(&lic, Some(&catalog_with_2027_list()), &[], 2026);
    assert_eq!(in_2026.renewals[0].price_list, "2023-04-17");
    assert_eq!(in_2026.total.net, dec("890.00"));
    // 1 Jan 00:00 UTC is 01:00 in Berlin: 2027 as well, and the new list.
    lic.next_payment_date = Some(at("2027-01-01T00:00:00Z"));
    let in_2027 = budget::license_budget(&lic, Some(&catalog_with_2027_list()), &[], 2027);
    assert_eq!(in_2027.renewals[0].price_list, "2027-01-01");
}

#[test]
fn a_leap_day_renewal_falls_back_to_28_february_and_comes_back() {
    let mut lic = license(&[]);
    lic.next_payment_date = Some(at("2028-02-29T12:00:00Z"));
    let date_in = |year| budget::license_budget(&lic, Some(&catalog()), &[], year).renewals[0].date;
    assert_eq!(date_in(2028), at("2028-02-29T12:00:00Z"));
    assert_eq!(date_in(2029), at("2029-02-28T12:00:00Z"));
    assert_eq!(date_in(2031), at("2031-02-28T12:00:00Z"));
    // Counted from the first renewal, not from the clamped one: the leap day returns.
    assert_eq!(date_in(2032), at("2032-02-29T12:00:00Z"));
}

#[test]
fn a_monthly_license_renews_twelve_times_a_year() {
    let mut lic = license(&[]);
    lic.billing_period = BillingPeriod::Month;
    lic.next_payment_date = Some(at("2026-01-31T10:00:00Z"));
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    let days: Vec<String> = part
        .renewals
        .iter()
        .map(|r| r.date.format("%m-%d").to_string())
        .collect();
    assert_eq!(days.len(), 12);
    assert_eq!(days[1], "02-28");
    assert_eq!(days[2], "03-31");
    assert_eq!(part.total.net, dec("7800.00"));
    // VAT per renewal, summed: 12 × 123.50.
    assert_eq!(part.total.vat, dec("1482.00"));
}

/// A change made to a test license.
type Change = dyn Fn(&mut fe2_license::model::License);

#[test]
fn licenses_that_do_not_renew_count_zero_with_the_reason() {
    let cases: Vec<(Box<Change>, &str)> = vec![
        (
            Box::new(|l| {
                l.kind = Kind::Trial;
                l.trial_end_date = Some(at("2026-03-01T00:00:00Z"));
            }),
            "trial",
        ),
        (
            Box::new(|l| {
                l.status = Status::PendingCancel;
                l.end_date = Some(at("2026-01-01T00:00:00Z"));
            }),
            "pending_cancel",
        ),
        (Box::new(|l| l.status = Status::Expired), "not_renewing"),
        (Box::new(|l| l.status = Status::Cancelled), "not_renewing"),
        (
            Box::new(|l| l.status = Status::from_text("paused-by-a-newer-shop")),
            "not_renewing",
        ),
        (Box::new(|l| l.next_payment_date = None), "no_renewal_date"),
        (
            Box::new(|l| l.items[0].sku = "fe2-paket-3".to_string()),
            "price_on_request",
        ),
    ];
    for (change, reason) in cases {
        let mut lic = license(&[("fe2-persons", 20)]);
        change(&mut lic);
        let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
        let json = serde_json::to_value(&part).unwrap();
        assert_eq!(json["not_counted"]["reason"], reason, "{json}");
        assert_eq!(part.total.gross, dec("0.00"), "{reason}");
        assert!(part.renewals.is_empty(), "{reason}");
    }
    // On hold (an unpaid invoice) still renews once paid: it counts.
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.status = Status::OnHold;
    assert_eq!(
        budget::license_budget(&lic, Some(&catalog()), &[], 2026)
            .total
            .net,
        dec("890.00")
    );
    // Without a catalog nothing can be priced, and the year says it is incomplete.
    let part = budget::license_budget(&lic, None, &[], 2026);
    assert_eq!(part.not_counted, Some(NotCounted::NoCatalog));
    assert!(!budget::budget_year(2026, &[part]).complete);
}

#[test]
fn switch_orders_of_the_year_are_already_ordered_apart_from_the_renewals() {
    let lic = license(&[("fe2-persons", 30)]);
    let orders = [
        faq_upgrade_order(),
        order(
            10043,
            OrderType::SwitchOrder,
            OrderStatus::Completed,
            "22.68",
            "2026-10-01T08:30:00Z",
        ),
        // Not counted: cancelled, another year (Berlin: 2027), not a switch order.
        order(
            10044,
            OrderType::SwitchOrder,
            OrderStatus::Cancelled,
            "50.00",
            "2026-08-01T00:00:00Z",
        ),
        order(
            10045,
            OrderType::SwitchOrder,
            OrderStatus::Pending,
            "10.00",
            "2026-12-31T23:30:00Z",
        ),
        order(
            10001,
            OrderType::RenewalOrder,
            OrderStatus::Completed,
            "1059.10",
            "2026-01-01T00:00:00Z",
        ),
    ];
    let part = budget::license_budget(&lic, Some(&catalog()), &orders, 2026);
    let ids: Vec<u64> = part.ordered.iter().map(|o| o.order_id).collect();
    assert_eq!(ids, [10042, 10043]);
    assert_eq!(part.ordered_gross, dec("94.27"));
    // The renewal is apart: 1010.00 net.
    assert_eq!(part.total.net, dec("1010.00"));
    let next = budget::license_budget(&lic, Some(&catalog()), &orders, 2027);
    assert_eq!(next.ordered_gross, dec("10.00"));
}

#[test]
fn the_year_adds_up_several_licenses() {
    let faq = license(&[("fe2-persons", 30)]);
    let mut second = license(&[("fe2-amweb", 2), ("fe2-am4", 1)]);
    second.email = "zweite@ff-musterstadt.de".to_string();
    second.next_payment_date = Some(at("2026-06-15T00:00:00Z"));
    let mut trial = license(&[]);
    trial.kind = Kind::Trial;
    let parts = vec![
        budget::license_budget(&faq, Some(&catalog()), &[], 2026),
        budget::license_budget(&second, Some(&catalog()), &[], 2026),
        budget::license_budget(&trial, Some(&catalog()), &[], 2026),
    ];
    let year = budget::budget_year(2026, &parts);
    // 1010.00 + (650 + 180 + 60 = 890.00).
    assert_eq!(year.total.net, dec("1900.00"));
    assert_eq!(year.total.vat, dec("361.00"));
    assert_eq!(year.total.gross, dec("2261.00"));
    assert!(year.complete);
}

#[test]
fn the_budget_year_is_the_berlin_calendar_year() {
    assert_eq!(budget::budget_year_of(at("2026-12-31T22:59:59Z")), 2026);
    assert_eq!(budget::budget_year_of(at("2026-12-31T23:00:00Z")), 2027);
    assert_eq!(budget::budget_year_of(at("2027-01-01T00:00:00Z")), 2027);
}

proptest! {
    #[test]
    fn every_amount_adds_up(
        persons in 0u32..500,
        amweb in 0u32..100,
        offset_days in 0i64..2000,
        year in 2024i32..2032,
        monthly in any::<bool>(),
    ) {
        let mut lic = license(&[("fe2-persons", persons), ("fe2-amweb", amweb)]);
        if monthly {
            lic.billing_period = BillingPeriod::Month;
        }
        lic.next_payment_date = Some(at("2025-01-01T00:00:00Z") + chrono::Duration::days(offset_days));
        let part = budget::license_budget(&lic, Some(&catalog_with_2027_list()), &[], year);
        for renewal in &part.renewals {
            prop_assert_eq!(budget::budget_year_of(renewal.date), year);
            let lines: Decimal = renewal.lines.iter().map(|l| l.net).sum();
            prop_assert_eq!(renewal.amounts.net, lines);
            prop_assert_eq!(renewal.amounts.gross, renewal.amounts.net + renewal.amounts.vat);
            prop_assert_eq!(
                Some(renewal.amounts),
                pricing::renewal_at(&lic, &catalog_with_2027_list(), renewal.date).map(|r| r.amounts)
            );
        }
        let most = if monthly { 12 } else { 1 };
        prop_assert!(part.renewals.len() <= most);
        prop_assert_eq!(part.total.gross, part.total.net + part.total.vat);
        let year_total = budget::budget_year(year, &[part.clone(), part.clone()]);
        prop_assert_eq!(year_total.total.net, part.total.net * Decimal::from(2));
    }
}

#[test]
fn renewals_and_purchases_invoiced_in_the_year_are_already_charged() {
    // Renewed on 1 January 2026 (paid): the next payment is a year later, so no renewal
    // of 2026 is left to count, but the year has paid for one.
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.next_payment_date = Some(at("2027-01-01T00:00:00Z"));
    let orders = [
        order(
            10001,
            OrderType::ParentOrder,
            OrderStatus::Completed,
            "1059.10",
            "2025-01-01T00:00:00Z",
        ),
        order(
            10050,
            OrderType::RenewalOrder,
            OrderStatus::Completed,
            "1059.10",
            "2026-01-01T00:00:00Z",
        ),
        // A renewal payment that failed was not charged.
        order(
            10049,
            OrderType::RenewalOrder,
            OrderStatus::Failed,
            "1059.10",
            "2025-12-31T23:30:00Z",
        ),
        faq_upgrade_order(),
    ];
    let part = budget::license_budget(&lic, Some(&catalog()), &orders, 2026);
    assert!(part.renewals.is_empty());
    let charged: Vec<(u64, OrderType)> = part
        .charged
        .iter()
        .map(|o| (o.order_id, o.order_type.clone()))
        .collect();
    assert_eq!(charged, [(10050, OrderType::RenewalOrder)]);
    assert_eq!(part.charged_gross, dec("1059.10"));
    // The switch order stays "already ordered", not "already charged".
    let ordered: Vec<u64> = part.ordered.iter().map(|o| o.order_id).collect();
    assert_eq!(ordered, [10042]);
    let year = budget::budget_year(2026, &[part]);
    assert_eq!(
        (year.total.gross, year.charged_gross, year.ordered_gross),
        (dec("0.00"), dec("1059.10"), dec("71.59"))
    );
    // The purchase of 2025 is charged in 2025.
    let earlier = budget::license_budget(&lic, Some(&catalog()), &orders, 2025);
    let charged: Vec<u64> = earlier.charged.iter().map(|o| o.order_id).collect();
    assert_eq!(charged, [10001]);
    let json = serde_json::to_value(&earlier).unwrap();
    assert_eq!(json["charged"][0]["type"], "parent_order");
    assert_eq!(json["charged_gross"], "1059.10");
}

#[test]
fn an_on_hold_renewal_whose_invoice_exists_is_counted_once() {
    // The renewal of 1 January 2026 is invoiced and not paid yet: the shop keeps the next
    // payment date and puts the license on hold.
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.status = Status::OnHold;
    let invoice = order(
        10050,
        OrderType::RenewalOrder,
        OrderStatus::Pending,
        "1059.10",
        "2026-01-01T00:00:00Z",
    );
    let part = budget::license_budget(&lic, Some(&catalog()), std::slice::from_ref(&invoice), 2026);
    assert!(part.renewals.is_empty(), "{:?}", part.renewals);
    assert_eq!(part.charged_gross, dec("1059.10"));
    assert_eq!(part.total.gross, dec("0.00"));
    // The renewal after it is still to come.
    let next = budget::license_budget(&lic, Some(&catalog()), &[invoice], 2027);
    assert_eq!(next.renewals.len(), 1);
    assert_eq!(next.renewals[0].date, at("2027-01-01T00:00:00Z"));
    // On hold without an invoice (suspended): the renewal counts as before.
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    assert_eq!(part.total.net, dec("890.00"));
    assert!(part.charged.is_empty());
}

#[test]
fn a_fixed_term_license_does_not_renew_at_or_after_its_end() {
    // A fixed term until 2027-01-01 with a payment on 2026-01-01: it renews once, then ends.
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.end_date = Some(at("2027-01-01T00:00:00Z"));
    let in_2026 = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    assert_eq!(in_2026.renewals.len(), 1);
    assert_eq!(in_2026.total.net, dec("890.00"));
    assert_eq!(in_2026.not_counted, None);
    for year in [2027, 2028] {
        let part = budget::license_budget(&lic, Some(&catalog()), &[], year);
        assert!(part.renewals.is_empty(), "{year}: {:?}", part.renewals);
        assert_eq!(
            part.not_counted,
            Some(NotCounted::FixedTerm {
                ends: at("2027-01-01T00:00:00Z")
            }),
            "{year}"
        );
    }
    // Its next payment on its end date: no renewal at all.
    lic.end_date = Some(at("2026-01-01T00:00:00Z"));
    assert_eq!(
        budget::renews(&lic),
        Err(NotCounted::FixedTerm {
            ends: at("2026-01-01T00:00:00Z")
        })
    );
    let part = budget::license_budget(&lic, Some(&catalog()), &[], 2026);
    assert!(part.renewals.is_empty());
    let json = serde_json::to_value(&part).unwrap();
    assert_eq!(json["not_counted"]["reason"], "fixed_term");
    assert_eq!(json["not_counted"]["ends"], "2026-01-01T00:00:00Z");
}
