//! Pricing beyond the worked examples: price list by date, calendar periods, edge instants,
//! and properties over random licenses and requests.

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{at, catalog, dec, license};
use fe2_license::model::{BillingPeriod, Catalog, ChangeKind, License, RequestedItem};
use fe2_license::money::round_cents;
use fe2_license::pricing;
use proptest::prelude::*;
use rust_decimal::Decimal;

const OPTIONS: [&str; 4] = ["fe2-persons", "fe2-amweb", "fe2-amobile-pro", "fe2-am4"];

#[test]
fn the_price_list_is_chosen_by_the_quote_date() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.period_start = Some(at("2023-01-01T00:00:00Z"));
    lic.next_payment_date = Some(at("2024-01-01T00:00:00Z"));
    let request = [RequestedItem::new("fe2-persons", 30)];

    // 1 March 2023: the list of 13.01.2023 (persons 10.00); 306 of 365 days left.
    let q = pricing::quote(&lic, &catalog(), &request, at("2023-03-01T00:00:00Z")).unwrap();
    assert_eq!(q.price_list, "2023-01-13");
    assert_eq!(q.days_remaining, 306);
    assert_eq!(q.lines[0].unit_price, dec("10.00"));
    // 10 × 10.00 × 306 / 365 = 83.835…
    assert_eq!(q.lines[0].fee, dec("83.84"));
    // The renewal on 2024-01-01 uses the list of 17.04.2023: 650 + 30 × 12.
    assert_eq!(q.next_renewal.unwrap().net, dec("1010.00"));

    // The list of the day in Germany (docs/domain.md): 17 April begins at 22:00 UTC the
    // evening before (summer time), not at midnight UTC.
    let q = pricing::quote(&lic, &catalog(), &request, at("2023-04-16T21:59:59Z")).unwrap();
    assert_eq!(q.price_list, "2023-01-13");
    let q = pricing::quote(&lic, &catalog(), &request, at("2023-04-16T22:00:00Z")).unwrap();
    assert_eq!(q.price_list, "2023-04-17");
    assert_eq!(q.lines[0].unit_price, dec("12.00"));

    // Before any list: nothing can be priced.
    let err = pricing::quote(&lic, &catalog(), &request, at("2022-12-31T00:00:00Z")).unwrap_err();
    assert_eq!(err.code(), "unknown_item");
}

#[test]
fn next_renewal_is_null_when_an_item_has_no_price() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.items[0].sku = "fe2-paket-3".to_string();
    assert_eq!(pricing::next_renewal(&lic, &catalog()), None);
    // An item at quantity 0 does not need a price.
    let mut lic = license(&[("fe2-persons", 20), ("fe2-unpriced", 0)]);
    assert_eq!(
        pricing::next_renewal(&lic, &catalog()).unwrap().net,
        dec("890.00")
    );
    lic.next_payment_date = None;
    assert_eq!(pricing::next_renewal(&lic, &catalog()), None);
}

#[test]
fn period_bounds_use_calendar_arithmetic() {
    let mut lic = license(&[]);
    let bounds = |lic: &License| pricing::period_bounds(lic);
    assert_eq!(
        bounds(&lic),
        Some((at("2025-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z")))
    );
    lic.next_payment_date = Some(at("2024-02-29T10:00:00Z"));
    assert_eq!(bounds(&lic).unwrap().0, at("2023-02-28T10:00:00Z"));
    lic.next_payment_date = Some(at("2024-03-01T00:00:00Z"));
    let (start, end) = bounds(&lic).unwrap();
    assert_eq!((end - start).num_days(), 366, "holds 29 Feb 2024");
    lic.next_payment_date = Some(at("2025-03-01T00:00:00Z"));
    let (start, end) = bounds(&lic).unwrap();
    assert_eq!((end - start).num_days(), 365);
    lic.billing_interval = 2;
    assert_eq!(bounds(&lic).unwrap().0, at("2023-03-01T00:00:00Z"));
    lic.billing_period = BillingPeriod::Month;
    lic.billing_interval = 1;
    lic.next_payment_date = Some(at("2025-03-31T00:00:00Z"));
    assert_eq!(bounds(&lic).unwrap().0, at("2025-02-28T00:00:00Z"));
    lic.billing_period = BillingPeriod::Week;
    assert_eq!(bounds(&lic).unwrap().0, at("2025-03-24T00:00:00Z"));
    lic.billing_period = BillingPeriod::Day;
    lic.billing_interval = 3;
    assert_eq!(bounds(&lic).unwrap().0, at("2025-03-28T00:00:00Z"));
    lic.billing_interval = 0;
    assert_eq!(bounds(&lic), None);
    lic.billing_interval = 1;
    lic.billing_period = BillingPeriod::Unknown("fortnight".into());
    assert_eq!(bounds(&lic), None);

    // The end date stands in for a missing next payment.
    let mut lic = license(&[]);
    lic.next_payment_date = None;
    lic.end_date = Some(at("2025-09-30T00:00:00Z"));
    assert_eq!(
        bounds(&lic),
        Some((at("2024-09-30T00:00:00Z"), at("2025-09-30T00:00:00Z")))
    );
    lic.end_date = None;
    assert_eq!(bounds(&lic), None);
    let err = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 1)],
        at("2025-07-01T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "internal");
}

#[test]
fn a_term_that_began_on_29_february_has_its_real_length() {
    // Bought on 29 February 2024: the first term ends on 28 February 2025, 365 days later.
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.start_date = at("2024-02-29T00:00:00Z");
    lic.next_payment_date = Some(at("2025-02-28T00:00:00Z"));
    assert_eq!(
        pricing::period_bounds(&lic),
        Some((at("2024-02-29T00:00:00Z"), at("2025-02-28T00:00:00Z")))
    );
    let request = [RequestedItem::new("fe2-persons", 30)];
    let q = pricing::quote(&lic, &catalog(), &request, at("2024-08-29T12:00:00Z")).unwrap();
    assert_eq!((q.days_remaining, q.days_in_period), (183, 365));
    // 10 × 12.00 × 183 / 365 = 60.164… (with 366 days it was 60.00).
    assert_eq!(q.lines[0].fee, dec("60.16"));
    // The terms after it run from anniversary to anniversary of the start: 2025-02-28 →
    // 2026-02-28, and 2027-02-28 → 2028-02-29 (366 days).
    lic.next_payment_date = Some(at("2026-02-28T00:00:00Z"));
    assert_eq!(
        pricing::period_bounds(&lic).unwrap().0,
        at("2025-02-28T00:00:00Z")
    );
    lic.next_payment_date = Some(at("2028-02-29T00:00:00Z"));
    assert_eq!(
        pricing::period_bounds(&lic).unwrap().0,
        at("2027-02-28T00:00:00Z")
    );
    // An end that is not an anniversary of the start: one calendar period back, as before.
    lic.next_payment_date = Some(at("2025-02-28T12:00:00Z"));
    assert_eq!(
        pricing::period_bounds(&lic).unwrap().0,
        at("2024-02-28T12:00:00Z")
    );
}

#[test]
fn leap_year_period_has_366_days() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.next_payment_date = Some(at("2024-07-01T00:00:00Z"));
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 21)],
        at("2024-06-30T00:00:00Z"),
    )
    .unwrap();
    assert_eq!((q.days_remaining, q.days_in_period), (1, 366));
    // 12.00 / 366 = 0.0327…
    assert_eq!(q.lines[0].fee, dec("0.03"));
}

#[test]
fn on_or_after_the_renewal_a_quote_is_refused_while_it_is_due() {
    // The period ends 2026-01-01; its renewal is due from then until the shop moves the next
    // payment date on (paid). A quote then would clamp to 0 days: a free upgrade.
    let lic = license(&[("fe2-persons", 20)]);
    let request = [RequestedItem::new("fe2-persons", 30)];
    for now in ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"] {
        let err = pricing::quote(&lic, &catalog(), &request, at(now)).unwrap_err();
        assert_eq!(err.code(), "renewal_due", "{now}");
        assert_eq!(err.http_status(), 409);
        assert_eq!(
            err.details(),
            serde_json::json!({ "renewal_date": "2026-01-01T00:00:00Z" })
        );
    }
    // A downgrade is refused too: its effective date would be a period end already past.
    let down = [RequestedItem::new("fe2-persons", 10)];
    let err = pricing::quote(&lic, &catalog(), &down, at("2026-01-02T00:00:00Z")).unwrap_err();
    assert_eq!(err.code(), "renewal_due");
    // The last second of the period still has a day: 1 of 365.
    let q = pricing::quote(&lic, &catalog(), &request, at("2025-12-31T23:59:59Z")).unwrap();
    assert_eq!(q.days_remaining, 1);
    assert_eq!(q.lines[0].change, ChangeKind::Upgrade);
    // 10 × 12.00 × 1 / 365 = 0.33
    assert_eq!(q.lines[0].fee, dec("0.33"));
    // Before the period start the whole period remains.
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 30)],
        at("2024-06-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(q.days_remaining, 365);
    assert_eq!(q.lines[0].fee, dec("120.00"));
}

#[test]
fn booking_an_option_for_the_first_time_is_an_upgrade_from_zero() {
    let lic = license(&[]);
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-amweb", 1)],
        at("2025-07-02T12:00:00Z"),
    )
    .unwrap();
    assert_eq!((q.lines[0].from, q.lines[0].to), (0, 1));
    // 90.00 × 183 / 365 = 45.1232…
    assert_eq!(q.lines[0].fee, dec("45.12"));
    let mut after = lic.clone();
    pricing::apply(&mut after, &q, &mut String::new);
    assert_eq!(after.quantity("fe2-amweb"), 1);
    assert_eq!(after.items.last().unwrap().unit_price, Some(dec("90.00")));
}

#[test]
fn the_largest_quantities_do_not_overflow() {
    let mut cat = catalog();
    for product in &mut cat.products {
        if product.switchable {
            product.max = u32::MAX;
        }
    }
    let lic = license(&[("fe2-persons", 0)]);
    let q = pricing::quote(
        &lic,
        &cat,
        &[RequestedItem::new("fe2-persons", u32::MAX)],
        at("2025-01-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(q.lines[0].fee, Decimal::from(u32::MAX) * dec("12.00"));
    // Absurd prices overflow the decimal: refused, not a panic.
    for list in &mut cat.price_lists {
        list.prices.insert("fe2-persons".into(), Decimal::MAX);
    }
    let err = pricing::quote(
        &lic,
        &cat,
        &[RequestedItem::new("fe2-persons", u32::MAX)],
        at("2025-01-01T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_quantity");
    assert_eq!(
        pricing::next_renewal(&lic, &cat).map(|r| r.net),
        Some(dec("650.00"))
    );
}

// ---------------------------------------------------------------- properties

/// The worked-example catalog with every option open up to `u32::MAX` and a copy of the old
/// list valid from 1970, so that every random date has prices.
fn wide_catalog() -> Catalog {
    let mut cat = catalog();
    let mut ancient = common::old_list();
    ancient.id = "1970-01-01".to_string();
    ancient.valid_from = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    cat.price_lists.push(ancient);
    for product in &mut cat.products {
        if product.switchable {
            product.max = u32::MAX;
        }
    }
    cat
}

/// Quantities: mostly small, sometimes at the edges of u32.
fn quantity() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => 0u32..200,
        1 => Just(u32::MAX),
        1 => (u32::MAX - 5)..=u32::MAX,
        1 => any::<u32>(),
    ]
}

/// A period end anywhere in 2000-2100, often on a leap day or the turn of a year.
fn period_end() -> impl Strategy<Value = DateTime<Utc>> {
    let any_day = (0i64..36_500, 0i64..86_400)
        .prop_map(|(d, s)| at("2000-01-01T00:00:00Z") + Duration::days(d) + Duration::seconds(s));
    let leap_day = prop::sample::select(vec![2000, 2004, 2024, 2028, 2096]).prop_map(|y| {
        NaiveDate::from_ymd_opt(y, 2, 29)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    });
    prop_oneof![3 => any_day, 1 => leap_day, 1 => Just(at("2026-01-01T00:00:00Z"))]
}

/// A random active, paid license with random option quantities and period.
fn random_license() -> impl Strategy<Value = (License, DateTime<Utc>)> {
    (
        prop::collection::vec(quantity(), 4),
        period_end(),
        prop::sample::select(vec![
            BillingPeriod::Year,
            BillingPeriod::Month,
            BillingPeriod::Week,
            BillingPeriod::Day,
        ]),
        1u32..3,
    )
        .prop_map(|(quantities, end, period, interval)| {
            let items: Vec<(&str, u32)> = OPTIONS.iter().copied().zip(quantities).collect();
            let mut lic = license(&items);
            lic.next_payment_date = Some(end);
            lic.billing_period = period;
            lic.billing_interval = interval;
            (lic, end)
        })
}

/// `now` relative to the period end: before, inside, exactly at and after it.
fn instant(end: DateTime<Utc>) -> impl Strategy<Value = DateTime<Utc>> {
    (-800i64 * 86_400..400 * 86_400).prop_map(move |offset| end + Duration::seconds(offset))
}

/// A request naming a random subset of the options with random new totals.
fn request() -> impl Strategy<Value = Vec<RequestedItem>> {
    prop::collection::vec((0usize..4, quantity()), 0..5).prop_map(|picks| {
        let mut seen = std::collections::HashSet::new();
        picks
            .into_iter()
            .filter(|(i, _)| seen.insert(*i))
            .map(|(i, q)| RequestedItem::new(OPTIONS[i], q))
            .collect()
    })
}

fn scenario() -> impl Strategy<Value = (License, DateTime<Utc>, Vec<RequestedItem>)> {
    random_license().prop_flat_map(|(lic, end)| (Just(lic), instant(end), request()))
}

proptest! {
    #[test]
    fn quotes_obey_the_money_rules((lic, now, request) in scenario()) {
        let cat = wide_catalog();
        let Ok(q) = pricing::quote(&lic, &cat, &request, now) else {
            // Only `no_change` may refuse a valid request on this catalog, and `renewal_due`
            // from the period end on.
            let err = pricing::quote(&lic, &cat, &request, now).unwrap_err();
            let due = pricing::period_bounds(&lic).is_some_and(|(_, end)| now >= end);
            let expected = if due { "renewal_due" } else { "no_change" };
            prop_assert_eq!(err.code(), expected);
            return Ok(());
        };
        prop_assert!(q.days_remaining >= 0 && q.days_remaining <= q.days_in_period);
        let mut sum = Decimal::ZERO;
        for line in &q.lines {
            prop_assert!(line.fee >= Decimal::ZERO, "negative fee {:?}", line);
            prop_assert_eq!(line.fee, round_cents(line.fee));
            match line.change {
                ChangeKind::Downgrade | ChangeKind::Unchanged => {
                    prop_assert_eq!(line.fee, Decimal::ZERO);
                }
                _ => {}
            }
            let added = Decimal::from(line.to.saturating_sub(line.from));
            prop_assert!(line.fee <= added * line.unit_price, "{:?}", line);
            sum += line.fee;
        }
        prop_assert_eq!(q.setup_fee.net, sum);
        prop_assert_eq!(q.setup_fee.vat, round_cents(q.setup_fee.net * cat.vat_rate));
        prop_assert_eq!(q.setup_fee.gross, q.setup_fee.net + q.setup_fee.vat);
    }

    #[test]
    fn two_upgrades_on_one_instant_cost_what_one_does(
        (lic, now) in random_license().prop_flat_map(|(lic, end)| (Just(lic), instant(end))),
        sku in prop::sample::select(OPTIONS.to_vec()),
        steps in (0u32..1000, 1u32..1000, 1u32..1000),
    ) {
        let cat = wide_catalog();
        // From the period end on the renewal is due and nothing is quoted.
        prop_assume!(pricing::period_bounds(&lic).is_some_and(|(_, end)| now < end));
        let (a, b, c) = (steps.0, steps.0 + steps.1, steps.0 + steps.1 + steps.2);
        let mut start = lic.clone();
        start.items.retain(|i| i.sku != sku);
        start.items.push(common::item(sku, a));

        let first = pricing::quote(&start, &cat, &[RequestedItem::new(sku, b)], now).unwrap();
        let mut middle = start.clone();
        pricing::apply(&mut middle, &first, &mut String::new);
        prop_assert_eq!(middle.quantity(sku), b);
        let second = pricing::quote(&middle, &cat, &[RequestedItem::new(sku, c)], now).unwrap();
        let once = pricing::quote(&start, &cat, &[RequestedItem::new(sku, c)], now).unwrap();
        let twice = first.lines[0].fee + second.lines[0].fee;
        prop_assert!((twice - once.lines[0].fee).abs() <= dec("0.01"),
            "{} + {} vs {}", first.lines[0].fee, second.lines[0].fee, once.lines[0].fee);
    }

    #[test]
    fn quote_never_panics(
        (lic, now, _) in scenario(),
        raw in prop::collection::vec(
            (prop::sample::select(vec!["fe2-persons", "fe2-basis", "fe2-amweb", "x"]),
             prop_oneof![
                any::<i64>().prop_map(serde_json::Value::from),
                any::<u64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                ".*".prop_map(serde_json::Value::from),
             ]),
            0..4),
        price in prop_oneof![Just(Decimal::MAX), Just(dec("0.01")), (0u64..u64::MAX).prop_map(Decimal::from)],
        rate in prop_oneof![Just(dec("0.19")), Just(Decimal::MAX), Just(Decimal::ZERO)],
    ) {
        let mut cat = wide_catalog();
        cat.vat_rate = rate;
        for list in &mut cat.price_lists {
            list.prices.insert("fe2-amweb".into(), price);
        }
        let items = serde_json::Value::Array(raw.into_iter()
            .map(|(sku, q)| serde_json::json!({"sku": sku, "quantity": q}))
            .collect());
        if let Ok(request) = fe2_license::eligibility::parse_items(&items) {
            if let Ok(q) = pricing::quote(&lic, &cat, &request, now) {
                let mut after = lic.clone();
                pricing::apply(&mut after, &q, &mut String::new);
                pricing::apply_due_changes(&mut after, now);
                let _ = pricing::next_renewal(&after, &cat);
            }
        }
    }
}
