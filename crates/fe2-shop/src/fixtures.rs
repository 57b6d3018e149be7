//! The fixtures format (an example: fixtures/demo.json): a catalog and customers with their licenses, orders and
//! tickets. Any date may be written relative to the start clock as `{"days_from_now": N}`; a
//! switch order may then leave its total to the rules (`"switch": [{"sku", "from", "to"}]`).

use chrono::{DateTime, TimeDelta, Utc};
use fe2_license::model::Catalog;
use serde::{Deserialize, Serialize};

/// The demo data shipped with the shop (`fixtures/demo.json`).
const DEMO_JSON: &str = include_str!("../fixtures/demo.json");

/// A whole fixtures file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fixtures {
    /// Products and price lists.
    pub catalog: Catalog,
    /// Customers, each with at most one license.
    #[serde(default)]
    pub customers: Vec<CustomerFixture>,
}

/// A date as written in a fixture: absolute RFC 3339, or days relative to the start clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FixtureDate {
    /// `"2026-01-01T00:00:00Z"`.
    Absolute(DateTime<Utc>),
    /// `{"days_from_now": 183}` (negative for the past).
    Relative {
        /// Whole days from the start clock.
        days_from_now: i64,
    },
}

impl FixtureDate {
    /// The instant this date stands for when the shop starts at `now`.
    pub fn resolve(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            FixtureDate::Absolute(at) => *at,
            FixtureDate::Relative { days_from_now } => TimeDelta::try_days(*days_from_now)
                .and_then(|delta| now.checked_add_signed(delta))
                .unwrap_or(now),
        }
    }
}

/// One customer account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomerFixture {
    /// The license e-mail (normalised when loaded).
    pub email: String,
    /// The holder's name.
    #[serde(default)]
    pub name: String,
    /// The application password in clear (spaces are ignored).
    pub app_password: String,
    /// The customer's license, if any.
    #[serde(default)]
    pub license: Option<LicenseFixture>,
    /// Its orders.
    #[serde(default)]
    pub orders: Vec<OrderFixture>,
    /// Its tickets.
    #[serde(default)]
    pub tickets: Vec<TicketFixture>,
}

/// A license as stored; derived fields (prices, `switch`, …) are computed when read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LicenseFixture {
    /// The subscription id.
    pub id: u64,
    /// `trial` or `subscription`.
    pub kind: String,
    /// WooCommerce status.
    pub status: String,
    /// `basis` or `paket-1`..`paket-5`.
    pub package: String,
    /// When it was first bought.
    pub start_date: FixtureDate,
    /// Next renewal.
    #[serde(default)]
    pub next_payment_date: Option<FixtureDate>,
    /// End of a cancelled or fixed-term license.
    #[serde(default)]
    pub end_date: Option<FixtureDate>,
    /// End of a trial.
    #[serde(default)]
    pub trial_end_date: Option<FixtureDate>,
    /// Items; the package item is added when missing.
    #[serde(default)]
    pub items: Vec<ItemFixture>,
    /// Active features (`navlog`).
    #[serde(default)]
    pub features: Vec<String>,
    /// Downgrades waiting for their date.
    #[serde(default)]
    pub scheduled_changes: Vec<ScheduledChangeFixture>,
}

/// One item with its quantity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ItemFixture {
    /// The SKU.
    pub sku: String,
    /// Its quantity.
    pub quantity: u32,
}

/// A scheduled downgrade.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScheduledChangeFixture {
    /// The SKU.
    pub sku: String,
    /// The new total.
    pub quantity: u32,
    /// When it takes effect.
    pub effective_date: FixtureDate,
}

/// One order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderFixture {
    /// `parent_order`, `renewal_order` or `switch_order`.
    #[serde(rename = "type")]
    pub order_type: String,
    /// WooCommerce order status.
    pub status: String,
    /// Gross total as a decimal string; a switch order may leave it to the rules (its days in
    /// the period depend on the start clock when its dates are relative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// What a switch order changed; the fixture test recomputes its fee from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switch: Vec<SwitchLineFixture>,
    /// When it was created.
    pub date_created: FixtureDate,
    /// When it was paid.
    #[serde(default)]
    pub date_paid: Option<FixtureDate>,
}

/// One item a switch order changed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SwitchLineFixture {
    /// The SKU.
    pub sku: String,
    /// The quantity before the switch.
    pub from: u32,
    /// The new total it ordered.
    pub to: u32,
}

/// One support ticket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TicketFixture {
    /// The topic code.
    pub topic: String,
    /// Subject line.
    #[serde(default)]
    pub subject: String,
    /// `open`, `closed`, …
    pub status: String,
    /// When it was opened.
    pub created: FixtureDate,
}

impl Fixtures {
    /// Reads a fixtures file's JSON.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The demo fixtures (`fixtures/demo.json`), compiled into the binary.
pub fn demo_fixtures() -> Fixtures {
    // The file is part of this crate and checked by a test, so it always parses; an empty
    // catalog is the harmless answer should it ever not.
    Fixtures::from_json(DEMO_JSON).unwrap_or_else(|_| Fixtures {
        catalog: Catalog {
            currency: "EUR".to_string(),
            vat_rate: rust_decimal::Decimal::ZERO,
            price_lists: Vec::new(),
            products: Vec::new(),
        },
        customers: Vec::new(),
    })
}
