//! The budget year (Haushaltsjahr): what each license's renewals cost in a calendar year, and
//! what was already ordered in it (docs/domain.md, Budget year).
//!
//! Everything is priced by `pricing::renewal_at`, the rule the shop's `next_renewal` uses, so a
//! budget line and the dashboard's next renewal cannot differ.

use crate::clock::german_day;
use crate::model::{Catalog, Kind, License, Order, OrderStatus, OrderType, Status};
use crate::money::round_cents;
use crate::pricing::{self, after_periods, Renewal, MAX_PERIODS};
use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

/// The budget year a moment belongs to: the calendar year of its day in Germany
/// (Europe/Berlin), where the invoice is dated. 31 Dec 23:30 UTC is already next year.
pub fn budget_year_of(at: DateTime<Utc>) -> i32 {
    german_day(at).year()
}

/// Why a license adds nothing (or less than its renewals) to a budget year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotCounted {
    /// A trial does not renew; it ends then (buying converts it).
    Trial {
        /// The trial's end.
        ends: Option<DateTime<Utc>>,
    },
    /// Cancelled by the customer: it runs until its end date and does not renew.
    PendingCancel {
        /// The end date.
        ends: Option<DateTime<Utc>>,
    },
    /// Cancelled, expired or another status that does not renew.
    NotRenewing {
        /// The shop's status.
        status: String,
    },
    /// A fixed term (end date and next payment date): no renewal at or after its end.
    FixedTerm {
        /// The end date.
        ends: DateTime<Utc>,
    },
    /// The license has no next payment date.
    NoRenewalDate,
    /// No catalog is known (never fetched), so nothing can be priced.
    NoCatalog,
    /// A renewal in the year has no price in the list in force then (a legacy package).
    PriceOnRequest {
        /// The renewal that could not be priced.
        date: DateTime<Utc>,
    },
}

/// An order of the year: a switch order already ordered ("bereits bestellt"), or a purchase
/// or renewal already charged ("bereits berechnet").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderedAmount {
    /// The shop's order number.
    pub order_id: u64,
    /// Switch, parent (the purchase) or renewal order.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// When it was ordered.
    pub date: DateTime<Utc>,
    /// Its WooCommerce status.
    pub status: OrderStatus,
    /// Its gross total (orders carry only that).
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub gross: Decimal,
}

/// One license in a budget year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LicenseBudget {
    /// The license e-mail.
    pub email: String,
    /// The holder.
    pub holder: String,
    /// The shop's license id.
    pub license_id: u64,
    /// The package's name.
    pub package: String,
    /// The renewals whose day in Germany falls into the year, priced.
    pub renewals: Vec<Renewal>,
    /// Why the license counts zero (or a renewal is missing), if it does.
    pub not_counted: Option<NotCounted>,
    /// Switch orders created in the year.
    pub ordered: Vec<OrderedAmount>,
    /// Renewal and parent orders created in the year: renewals and purchases already invoiced.
    pub charged: Vec<OrderedAmount>,
    /// The sums of the renewals.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub total: Amounts,
    /// Gross sum of `ordered`.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ordered_gross: Decimal,
    /// Gross sum of `charged`.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub charged_gross: Decimal,
}

/// Net, VAT and gross of a renewal or of a sum of renewals (each rounded to the cent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Amounts {
    /// Net.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub net: Decimal,
    /// VAT.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub vat: Decimal,
    /// Gross.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub gross: Decimal,
}

impl Amounts {
    /// The sum of several amounts, each part already rounded (so the sum is exact).
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a Amounts>) -> Amounts {
        let mut total = Amounts::default();
        for part in parts {
            total.net += part.net;
            total.vat += part.vat;
            total.gross += part.gross;
        }
        Amounts {
            net: round_cents(total.net),
            vat: round_cents(total.vat),
            gross: round_cents(total.gross),
        }
    }
}

/// The totals of one budget year over several licenses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BudgetYear {
    /// The calendar year.
    pub year: i32,
    /// The renewals of all licenses.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub total: Amounts,
    /// Gross switch orders of the year ("bereits bestellt"), apart from the renewals.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ordered_gross: Decimal,
    /// Gross renewal and parent orders of the year ("bereits berechnet"), apart from the
    /// renewals still to come.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub charged_gross: Decimal,
    /// False when some renewal of the year could not be priced: the totals are too low.
    pub complete: bool,
}

/// Whether the license renews at its next payment date (that date), or why not: a trial,
/// a cancelled license, any status but active, on-hold and pending, and a fixed term whose end
/// comes by that date do not renew.
pub fn renews(license: &License) -> Result<DateTime<Utc>, NotCounted> {
    if license.kind == Kind::Trial {
        return Err(NotCounted::Trial {
            ends: license.trial_end_date,
        });
    }
    match license.status {
        Status::Active | Status::OnHold | Status::Pending => {}
        Status::PendingCancel => {
            return Err(NotCounted::PendingCancel {
                ends: license.end_date,
            })
        }
        _ => {
            return Err(NotCounted::NotRenewing {
                status: license.status.to_string(),
            })
        }
    }
    let next = license.next_payment_date.ok_or(NotCounted::NoRenewalDate)?;
    match license.end_date {
        Some(ends) if ends <= next => Err(NotCounted::FixedTerm { ends }),
        _ => Ok(next),
    }
}

/// True when the license renews only once an invoice is paid (on-hold, pending): its renewal
/// is owed, not automatic. The reminder leaves it to the expiry warnings, the calendar marks it.
pub fn renewal_awaits_payment(license: &License) -> bool {
    matches!(license.status, Status::OnHold | Status::Pending)
}

/// The renewal dates of the license whose day in Germany falls into `year`, in order; a fixed
/// term renews only before its end date.
fn renewal_dates(license: &License, first: DateTime<Utc>, year: i32) -> Vec<DateTime<Utc>> {
    let mut dates = Vec::new();
    // Bounded walk: a daily period a century ahead is still only ~37 000 steps.
    for k in 0..MAX_PERIODS {
        let Some(date) = after_periods(license, first, k) else {
            break;
        };
        if license.end_date.is_some_and(|ends| date >= ends) {
            break;
        }
        match budget_year_of(date).cmp(&year) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => dates.push(date),
            std::cmp::Ordering::Greater => break,
        }
    }
    dates
}

/// The orders of `year` of the given types that stand (not cancelled, refunded or failed).
fn orders_in(orders: &[Order], types: &[OrderType], year: i32) -> Vec<OrderedAmount> {
    let mut ordered: Vec<OrderedAmount> = orders
        .iter()
        .filter(|o| types.contains(&o.order_type))
        .filter(|o| {
            !matches!(
                o.status,
                OrderStatus::Cancelled | OrderStatus::Refunded | OrderStatus::Failed
            )
        })
        .filter(|o| budget_year_of(o.date_created) == year)
        .map(|o| OrderedAmount {
            order_id: o.id,
            order_type: o.order_type.clone(),
            date: o.date_created,
            status: o.status.clone(),
            gross: round_cents(o.total),
        })
        .collect();
    ordered.sort_by_key(|o| (o.date, o.order_id));
    ordered
}

/// True when the renewal at the next payment date is invoiced already: a renewal order awaits
/// payment. The shop keeps the next payment date (and holds the license) until it is paid,
/// so that renewal is the order, counted once, as already charged.
fn next_renewal_invoiced(orders: &[Order]) -> bool {
    orders.iter().any(|o| {
        o.order_type == OrderType::RenewalOrder
            && matches!(o.status, OrderStatus::Pending | OrderStatus::OnHold)
    })
}

/// One license's part of a budget year: its renewals in the year priced with the scheduled
/// changes in force by then, its switch orders of the year, and its renewal and parent orders
/// of the year (already charged; a renewal invoiced already is not counted again). `catalog`
/// is the shop's (or the cached) catalog; without one nothing can be priced.
pub fn license_budget(
    license: &License,
    catalog: Option<&Catalog>,
    orders: &[Order],
    year: i32,
) -> LicenseBudget {
    let ordered = orders_in(orders, &[OrderType::SwitchOrder], year);
    let ordered_gross = round_cents(ordered.iter().map(|o| o.gross).sum());
    let charged = orders_in(
        orders,
        &[OrderType::ParentOrder, OrderType::RenewalOrder],
        year,
    );
    let charged_gross = round_cents(charged.iter().map(|o| o.gross).sum());
    let mut budget = LicenseBudget {
        email: license.email.clone(),
        holder: license.name.clone(),
        license_id: license.id,
        package: license.package.name.clone(),
        renewals: Vec::new(),
        not_counted: None,
        ordered,
        charged,
        total: Amounts::sum([]),
        ordered_gross,
        charged_gross,
    };
    let first = match renews(license) {
        Ok(first) => first,
        Err(reason) => {
            budget.not_counted = Some(reason);
            return budget;
        }
    };
    let mut dates = renewal_dates(license, first, year);
    // A fixed term that has ended by the end of the year: the renewals after it are missing.
    if let Some(ends) = license
        .end_date
        .filter(|ends| budget_year_of(*ends) <= year)
    {
        budget.not_counted = Some(NotCounted::FixedTerm { ends });
    }
    if next_renewal_invoiced(orders) {
        dates.retain(|date| *date != first);
    }
    if dates.is_empty() {
        return budget;
    }
    let Some(catalog) = catalog else {
        budget.not_counted = Some(NotCounted::NoCatalog);
        return budget;
    };
    for date in dates {
        match pricing::renewal_at(license, catalog, date) {
            Some(renewal) => budget.renewals.push(renewal),
            None => {
                budget.not_counted = Some(NotCounted::PriceOnRequest { date });
                break;
            }
        }
    }
    budget.total = Amounts::sum(budget.renewals.iter().map(|r| &r.amounts));
    budget
}

/// The year's totals over the licenses' parts.
pub fn budget_year(year: i32, licenses: &[LicenseBudget]) -> BudgetYear {
    BudgetYear {
        year,
        total: Amounts::sum(licenses.iter().map(|l| &l.total)),
        ordered_gross: round_cents(licenses.iter().map(|l| l.ordered_gross).sum()),
        charged_gross: round_cents(licenses.iter().map(|l| l.charged_gross).sum()),
        complete: !licenses.iter().any(|l| {
            matches!(
                l.not_counted,
                Some(NotCounted::PriceOnRequest { .. } | NotCounted::NoCatalog)
            )
        }),
    }
}
