//! Prices of quantity changes (docs/domain.md, Prices).
//! The reference shop answers with these figures and the app's local estimate shows them.

use crate::budget::Amounts;
use crate::eligibility;
use crate::error::{Error, Result};
use crate::model::{
    BillingPeriod, Catalog, ChangeKind, Item, License, NextRenewal, Order, OrderStatus, OrderType,
    Quote, QuoteLine, RequestedItem, ScheduledChange, SetupFee, Status,
};
use crate::money::round_cents;
use chrono::{DateTime, Months, TimeDelta, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// `ceil(delta / 1 day)`; negative deltas round towards zero, like the ceiling does.
pub fn ceil_days(delta: TimeDelta) -> i64 {
    let whole = delta.num_days();
    if delta > TimeDelta::days(whole) {
        whole + 1
    } else {
        whole
    }
}

/// Prices a request of new totals: eligibility first (first failure wins), then each line.
///
/// Every named SKU needs a price in the list in force on the quote date's day in Germany; one
/// without a price cannot be quoted and is refused as `unknown_item` (in request order, together
/// with the other per-item checks). A license without a current billing period (neither next payment
/// nor end date, an unknown period unit or interval 0) is refused as `internal`: the shop's data
/// is inconsistent. Amounts that do not fit a decimal are refused as `invalid_quantity`.
pub fn quote(
    license: &License,
    catalog: &Catalog,
    request: &[RequestedItem],
    now: DateTime<Utc>,
) -> Result<Quote> {
    eligibility::check_switch(license, now)?;
    let price_list = catalog.price_list_at(now);
    let mut priced = Vec::with_capacity(request.len());
    for item in request {
        let (_, to) = eligibility::validate_item(license, catalog, item)?;
        let unit_price = price_list
            .and_then(|list| list.prices.get(&item.sku))
            .copied()
            .ok_or_else(|| Error::UnknownItem {
                sku: item.sku.clone(),
            })?;
        priced.push((item.sku.clone(), to, unit_price));
    }
    let totals: Vec<(String, u32)> = priced.iter().map(|(s, q, _)| (s.clone(), *q)).collect();
    eligibility::check_change(license, &totals)?;

    let (period_start, period_end) = period_bounds(license)
        .ok_or_else(|| Error::Internal("the license has no current billing period".to_string()))?;
    let days_in_period = (period_end - period_start).num_days();
    let days_remaining = ceil_days(period_end - now).clamp(0, days_in_period);

    let mut lines = Vec::with_capacity(priced.len());
    let mut net = Decimal::ZERO;
    for (sku, to, unit_price) in priced {
        let from = license.quantity(&sku);
        let too_large = || Error::InvalidQuantity { sku: sku.clone() };
        let (change, fee, effective_date) = if to > from {
            let fee = prorated_fee(to - from, unit_price, days_remaining, days_in_period)
                .ok_or_else(too_large)?;
            (ChangeKind::Upgrade, fee, Some(now))
        } else if to < from {
            (
                ChangeKind::Downgrade,
                round_cents(Decimal::ZERO),
                Some(period_end),
            )
        } else {
            (ChangeKind::Unchanged, round_cents(Decimal::ZERO), None)
        };
        net = net.checked_add(fee).ok_or_else(too_large)?;
        lines.push(QuoteLine {
            sku,
            from,
            to,
            change,
            unit_price,
            fee,
            effective_date,
        });
    }
    let (vat, gross) = vat_and_gross(net, catalog.vat_rate).ok_or_else(|| {
        Error::Internal("the setup fee is too large to compute its VAT".to_string())
    })?;
    let mut quote = Quote {
        quote_date: now,
        price_list: price_list.map(|l| l.id.clone()).unwrap_or_default(),
        days_remaining,
        days_in_period,
        lines,
        setup_fee: SetupFee {
            net: round_cents(net),
            vat,
            gross,
            vat_rate: catalog.vat_rate,
        },
        next_renewal: None,
    };
    // The renewal is priced on the license as this quote would leave it, so the rule of what a
    // switch does lives only in `apply`.
    let mut after = license.clone();
    apply(&mut after, &quote, &mut String::new);
    quote.next_renewal = next_renewal(&after, catalog);
    Ok(quote)
}

/// `round_half_up(added × unit_price × days_remaining / days_in_period, 0.01)`; `None` when the
/// amount does not fit a decimal.
fn prorated_fee(
    added: u32,
    unit_price: Decimal,
    days_remaining: i64,
    days_in_period: i64,
) -> Option<Decimal> {
    if days_in_period <= 0 {
        return Some(round_cents(Decimal::ZERO));
    }
    // Multiply first and divide once, so the only rounding is the final one to the cent.
    let numerator = Decimal::from(added)
        .checked_mul(unit_price)?
        .checked_mul(Decimal::from(days_remaining))?;
    Some(round_cents(
        numerator.checked_div(Decimal::from(days_in_period))?,
    ))
}

/// `(round(net × rate), net + vat)`.
fn vat_and_gross(net: Decimal, vat_rate: Decimal) -> Option<(Decimal, Decimal)> {
    let vat = round_cents(net.checked_mul(vat_rate)?);
    let gross = round_cents(net.checked_add(vat)?);
    Some((vat, gross))
}

/// How many billing periods a walk along a license's dates takes at most (a daily period a
/// century long is ~37 000).
pub const MAX_PERIODS: u32 = 100_000;

/// `first` moved on by `periods` billing periods of the license; `None` for an unknown unit,
/// interval 0, or a date out of range. Counted from `first` each time, so 29 Feb and month
/// ends do not drift (29.02.2028 + 1 year = 28.02.2029, + 4 years = 29.02.2032).
pub fn after_periods(
    license: &License,
    first: DateTime<Utc>,
    periods: u32,
) -> Option<DateTime<Utc>> {
    if license.billing_interval == 0 {
        return None;
    }
    let units = license.billing_interval.checked_mul(periods)?;
    match &license.billing_period {
        BillingPeriod::Year => first.checked_add_months(Months::new(units.checked_mul(12)?)),
        BillingPeriod::Month => first.checked_add_months(Months::new(units)),
        BillingPeriod::Week => first.checked_add_signed(TimeDelta::try_weeks(i64::from(units))?),
        BillingPeriod::Day => first.checked_add_signed(TimeDelta::try_days(i64::from(units))?),
        BillingPeriod::Unknown(_) => None,
    }
}

/// The current billing period `(start, end)`: end = next payment (or end date); start the
/// anniversary of the start date one period before it, else one calendar period before it.
/// `None` when the license has neither date.
///
/// Periods run from anniversary to anniversary of `start_date` (counted from it each time), so
/// a term bought on 29 February 2024 runs to 28 February 2025 and has 365 days. When the end
/// is not such an anniversary, calendar arithmetic from the end stands in; it clamps to the
/// month's last day (one year back from 29 February is 28 February). Also `None` for an
/// unknown period unit, an interval of 0, or a start before the calendar's range.
pub fn period_bounds(license: &License) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let end = license.next_payment_date.or(license.end_date)?;
    if let Some(start) = anniversary_before(license, end) {
        return Some((start, end));
    }
    let interval = license.billing_interval;
    if interval == 0 {
        return None;
    }
    let start = match &license.billing_period {
        BillingPeriod::Year => end.checked_sub_months(Months::new(interval.checked_mul(12)?))?,
        BillingPeriod::Month => end.checked_sub_months(Months::new(interval))?,
        BillingPeriod::Week => {
            end.checked_sub_signed(TimeDelta::try_weeks(i64::from(interval))?)?
        }
        BillingPeriod::Day => end.checked_sub_signed(TimeDelta::try_days(i64::from(interval))?)?,
        BillingPeriod::Unknown(_) => return None,
    };
    Some((start, end))
}

/// The anniversaries of the license's start date, one billing period apart, each counted from
/// the start date.
fn anniversaries(license: &License) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    (0..MAX_PERIODS).map_while(move |k| after_periods(license, license.start_date, k))
}

/// The anniversary of the license's start date whose next anniversary is `end`, if `end` is one.
fn anniversary_before(license: &License, end: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut previous = None;
    for date in anniversaries(license) {
        if date >= end {
            return previous.filter(|_| date == end);
        }
        previous = Some(date);
    }
    None
}

/// The end of the period that starts at `date`: the next anniversary of the start date when
/// `date` is one, else one billing period on.
fn period_end_after(license: &License, date: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut chain = anniversaries(license).skip_while(|d| *d < date);
    match chain.next() {
        Some(anniversary) if anniversary == date => chain.next(),
        _ => after_periods(license, date, 1),
    }
}

/// Lets paid renewals take effect, as the shop does when a renewal is paid: each renewal order
/// that is paid (processing or completed, with a payment date) and was created on or after the
/// next payment date starts the period there, so the next payment date moves one period on;
/// an on-hold license whose renewal is paid is active again. A renewal order awaiting payment
/// moves nothing. True when something changed.
pub fn apply_paid_renewals(license: &mut License, orders: &[Order]) -> bool {
    let mut paid: Vec<DateTime<Utc>> = orders
        .iter()
        .filter(|o| o.order_type == OrderType::RenewalOrder && o.date_paid.is_some())
        .filter(|o| matches!(o.status, OrderStatus::Processing | OrderStatus::Completed))
        .map(|o| o.date_created)
        .collect();
    paid.sort();
    let mut changed = false;
    for created in paid {
        let Some(next) = license.next_payment_date.filter(|next| created >= *next) else {
            continue;
        };
        let Some(following) = period_end_after(license, next) else {
            break;
        };
        license.next_payment_date = Some(following);
        changed = true;
    }
    if changed && license.status == Status::OnHold {
        license.status = Status::Active;
    }
    changed
}

/// What the next renewal costs with today's quantities and scheduled changes.
///
/// Quantities are those in force at the period end (scheduled changes due by then applied),
/// priced on the list in force on the period end's day in Germany. `None` (price on request) when
/// the license has no period, no list is in force then, a booked item has no price in it, or
/// the sum does not fit a decimal.
pub fn next_renewal(license: &License, catalog: &Catalog) -> Option<NextRenewal> {
    let (_, period_end) = period_bounds(license)?;
    let renewal = renewal_at(license, catalog, period_end)?;
    Some(NextRenewal {
        date: renewal.date,
        net: renewal.amounts.net,
        vat: renewal.amounts.vat,
        gross: renewal.amounts.gross,
    })
}

/// A renewal on `date`, priced line by line (docs/domain.md, Next renewal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Renewal {
    /// When the new period starts.
    pub date: DateTime<Utc>,
    /// The price list in force on the date's day in Germany.
    pub price_list: String,
    /// One line per item with a quantity above 0.
    pub lines: Vec<RenewalLine>,
    /// The scheduled changes that are in force by then (a downgrade lowers the renewal).
    pub changes_applied: Vec<ScheduledChange>,
    /// Net (the sum of the lines), VAT on it, gross.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub amounts: Amounts,
}

/// One item of a renewal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RenewalLine {
    /// The SKU.
    pub sku: String,
    /// The license's name of the item, else the catalog's German one, else the SKU.
    pub name: String,
    /// The quantity in force on the renewal date.
    pub quantity: u32,
    /// Net unit price of the list in force then.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub unit_price: Decimal,
    /// `quantity × unit_price`.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub net: Decimal,
}

/// What a renewal on `date` costs: the quantities in force then (scheduled changes due by then
/// applied), priced on the list in force on the date's day in Germany. `None` (price on request)
/// when no list is in force then, a booked item has no price in it, or the sum does not fit a
/// decimal.
pub fn renewal_at(license: &License, catalog: &Catalog, date: DateTime<Utc>) -> Option<Renewal> {
    let mut at_renewal = license.clone();
    apply_due_changes(&mut at_renewal, date);
    let changes_applied: Vec<ScheduledChange> = license
        .scheduled_changes
        .iter()
        .filter(|c| c.effective_date <= date)
        .cloned()
        .collect();
    let list = catalog.price_list_at(date)?;
    let mut lines = Vec::new();
    let mut net = Decimal::ZERO;
    for item in at_renewal.items.iter().filter(|i| i.quantity > 0) {
        let unit_price = *list.prices.get(&item.sku)?;
        let line_net = Decimal::from(item.quantity).checked_mul(unit_price)?;
        net = net.checked_add(line_net)?;
        let name = match (item.name.as_str(), catalog.product(&item.sku)) {
            ("", Some(product)) => product.name.de.clone(),
            ("", None) => item.sku.clone(),
            (name, _) => name.to_string(),
        };
        lines.push(RenewalLine {
            sku: item.sku.clone(),
            name,
            quantity: item.quantity,
            unit_price,
            net: round_cents(line_net),
        });
    }
    let net = round_cents(net);
    let (vat, gross) = vat_and_gross(net, catalog.vat_rate)?;
    Some(Renewal {
        date,
        price_list: list.id.clone(),
        lines,
        changes_applied,
        amounts: Amounts { net, vat, gross },
    })
}

/// Applies a quote to the license: upgrades at once, downgrades as scheduled changes (ids from
/// `new_id`), a line at today's quantity cancels that SKU's scheduled change.
///
/// An item booked for the first time is added with an empty name (the shop fills in the
/// catalog name) and the line's unit price.
pub fn apply(license: &mut License, quote: &Quote, new_id: &mut dyn FnMut() -> String) {
    for line in &quote.lines {
        license.scheduled_changes.retain(|c| c.sku != line.sku);
        match line.change {
            ChangeKind::Upgrade => match license.items.iter_mut().find(|i| i.sku == line.sku) {
                Some(item) => item.quantity = line.to,
                None => license.items.push(Item {
                    sku: line.sku.clone(),
                    name: String::new(),
                    quantity: line.to,
                    unit_price: Some(line.unit_price),
                }),
            },
            ChangeKind::Downgrade => license.scheduled_changes.push(ScheduledChange {
                id: new_id(),
                sku: line.sku.clone(),
                quantity: line.to,
                effective_date: line.effective_date.unwrap_or(quote.quote_date),
            }),
            ChangeKind::Unchanged | ChangeKind::Unknown(_) => {}
        }
    }
}

/// Lets scheduled changes whose date has passed take effect; true when something changed.
pub fn apply_due_changes(license: &mut License, now: DateTime<Utc>) -> bool {
    let (mut due, waiting): (Vec<ScheduledChange>, Vec<ScheduledChange>) =
        std::mem::take(&mut license.scheduled_changes)
            .into_iter()
            .partition(|c| c.effective_date <= now);
    license.scheduled_changes = waiting;
    // Several due changes of one SKU: the latest one is what is in force now.
    due.sort_by_key(|c| c.effective_date);
    let changed = !due.is_empty();
    for change in due {
        match license.items.iter_mut().find(|i| i.sku == change.sku) {
            Some(item) => item.quantity = change.quantity,
            None => license.items.push(Item {
                sku: change.sku,
                name: String::new(),
                quantity: change.quantity,
                unit_price: None,
            }),
        }
    }
    changed
}
