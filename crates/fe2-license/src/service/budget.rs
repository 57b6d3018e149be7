//! The budget years over every account (`Service::budget`): the core's figures
//! (`crate::budget`) with what the app and the CLI must show beside them, how far each
//! license's data is trusted and whether its orders could be fetched.

use super::{Service, Verification};
use crate::budget::{self as rules, BudgetYear, LicenseBudget};
use crate::error::{Error, Result};
use crate::model::{Catalog, Order};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The budget years that can be asked for.
pub const BUDGET_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// One account in a budget year.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountBudget {
    /// The license e-mail.
    pub email: String,
    /// How far the license data is trusted.
    pub verification: Verification,
    /// When the shop issued the data (else when it was fetched).
    pub as_of: Option<DateTime<Utc>>,
    /// False when the orders could not be fetched: "already ordered" and "already charged" may
    /// be missing.
    pub orders_known: bool,
    /// The core's figures; `None` when nothing was ever fetched.
    pub budget: Option<LicenseBudget>,
}

/// One budget year over every account.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BudgetReport {
    /// The core's totals of the year.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub totals: BudgetYear,
    /// True when every account's data is verified and its orders are known.
    pub all_verified: bool,
    /// Every account, in the order of the dashboard.
    pub accounts: Vec<AccountBudget>,
}

/// What one account contributes: its view's trust, catalog and orders.
struct Inputs {
    email: String,
    verification: Verification,
    as_of: Option<DateTime<Utc>>,
    license: Option<crate::model::License>,
    catalog: Option<Catalog>,
    orders: Option<Vec<Order>>,
}

impl Service {
    /// The budget year `year`, or the current and the next one (in Germany, by this service's
    /// clock), over every account's license as it is now in memory (refresh first for the
    /// shop's current data). Catalogs come from the shop, else from the cache; orders from the
    /// shop (`orders_known: false` when it could not be asked). `offline`: no network at all.
    pub async fn budget(&self, year: Option<i32>, offline: bool) -> Result<Vec<BudgetReport>> {
        let years = match year {
            Some(year) if BUDGET_YEARS.contains(&year) => vec![year],
            Some(year) => {
                return Err(Error::BadRequest(format!(
                    "the budget year {year} is outside {}–{}",
                    BUDGET_YEARS.start(),
                    BUDGET_YEARS.end()
                )))
            }
            None => {
                let this_year = rules::budget_year_of(self.inner.clock.now());
                vec![this_year, this_year + 1]
            }
        };
        let mut fetches = tokio::task::JoinSet::new();
        let views = self.accounts().await;
        for (index, view) in views.into_iter().enumerate() {
            let service = self.clone();
            fetches.spawn(async move {
                let (catalog, orders) = service.budget_sources(&view.email, offline).await;
                let inputs = Inputs {
                    email: view.email,
                    verification: view.verification,
                    as_of: view.as_of.or(view.fetched_at),
                    license: view.license,
                    catalog,
                    orders,
                };
                (index, inputs)
            });
        }
        let mut inputs: Vec<(usize, Inputs)> = Vec::new();
        while let Some(joined) = fetches.join_next().await {
            // A fetch that panicked has nothing to add; the account is then missing, which the
            // totals cannot hide: refuse rather than show a smaller sum.
            inputs.push(joined.map_err(|e| Error::Internal(format!("budget: {e}")))?);
        }
        inputs.sort_by_key(|(index, _)| *index);
        Ok(years
            .into_iter()
            .map(|year| report(year, inputs.iter().map(|(_, i)| i)))
            .collect())
    }

    /// An account's catalog (the shop's, else the cached one) and orders (`None`: not fetched).
    async fn budget_sources(
        &self,
        email: &str,
        offline: bool,
    ) -> (Option<Catalog>, Option<Vec<Order>>) {
        let cached = || self.cached_catalog(email).ok().flatten();
        if offline {
            return (cached(), None);
        }
        let catalog = match self.catalog(email).await {
            Ok(catalog) => Some(catalog),
            Err(_) => cached(),
        };
        let orders = match self.signed_in(email).await {
            Ok((_, shop)) => shop.orders().await.ok(),
            Err(_) => None,
        };
        (catalog, orders)
    }
}

/// One year over the accounts' inputs.
fn report<'a>(year: i32, inputs: impl Iterator<Item = &'a Inputs>) -> BudgetReport {
    let accounts: Vec<AccountBudget> = inputs
        .map(|input| AccountBudget {
            email: input.email.clone(),
            verification: input.verification,
            as_of: input.as_of,
            orders_known: input.orders.is_some(),
            budget: input.license.as_ref().map(|license| {
                rules::license_budget(
                    license,
                    input.catalog.as_ref(),
                    input.orders.as_deref().unwrap_or_default(),
                    year,
                )
            }),
        })
        .collect();
    let parts: Vec<LicenseBudget> = accounts.iter().filter_map(|a| a.budget.clone()).collect();
    let mut totals = rules::budget_year(year, &parts);
    // An account without any data cannot be priced either: its share is missing.
    totals.complete &= accounts.iter().all(|a| a.budget.is_some());
    BudgetReport {
        totals,
        all_verified: accounts
            .iter()
            .all(|a| a.verification == Verification::Verified && a.orders_known),
        accounts,
    }
}
