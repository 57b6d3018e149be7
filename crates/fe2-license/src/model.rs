//! The Shop API's data in exactly its JSON shape (docs/shop-api.openapi.yaml). Unknown fields
//! are ignored and unknown enum values are kept as `Unknown(text)`, so a newer shop never
//! breaks parsing.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Declares a string enum that keeps values it does not know instead of failing.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The wire text of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(text) => text,
                }
            }

            /// Parses the wire text; anything unknown becomes `Unknown`.
            pub fn from_text(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Its known values, and any other text (`Unknown`).
        #[cfg(feature = "ts")]
        impl ts_rs::TS for $name {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;

            fn name(_: &ts_rs::Config) -> String {
                stringify!($name).to_string()
            }

            fn inline(_: &ts_rs::Config) -> String {
                concat!($("\"", $text, "\" | ",)+ "(string & {})").to_string()
            }

            fn decl(cfg: &ts_rs::Config) -> String {
                format!("type {} = {};", Self::name(cfg), Self::inline(cfg))
            }

            fn decl_concrete(cfg: &ts_rs::Config) -> String {
                Self::decl(cfg)
            }

            fn output_path() -> Option<std::path::PathBuf> {
                Some(concat!(stringify!($name), ".ts").into())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from_text(&String::deserialize(d)?))
            }
        }
    };
}

open_enum! {
    /// Trial or paid subscription.
    Kind {
        /// A free, time-limited license.
        Trial = "trial",
        /// A paid license, renewed every billing period.
        Subscription = "subscription",
    }
}

open_enum! {
    /// WooCommerce Subscriptions status.
    Status {
        /// Awaiting the first payment.
        Pending = "pending",
        /// Running and paid.
        Active = "active",
        /// Payment outstanding or suspended.
        OnHold = "on-hold",
        /// Cancelled; prepaid time runs until `end_date`.
        PendingCancel = "pending-cancel",
        /// Cancelled.
        Cancelled = "cancelled",
        /// Ran out.
        Expired = "expired",
    }
}

open_enum! {
    /// Unit of the billing period.
    BillingPeriod {
        /// Days.
        Day = "day",
        /// Weeks.
        Week = "week",
        /// Calendar months.
        Month = "month",
        /// Calendar years (FE2's period).
        Year = "year",
    }
}

open_enum! {
    /// Which kind of order.
    OrderType {
        /// The purchase.
        ParentOrder = "parent_order",
        /// A renewal.
        RenewalOrder = "renewal_order",
        /// The setup fee of an upgrade.
        SwitchOrder = "switch_order",
    }
}

open_enum! {
    /// WooCommerce order status.
    OrderStatus {
        /// Awaiting payment.
        Pending = "pending",
        /// Paid, being processed.
        Processing = "processing",
        /// Awaiting action (e.g. a bank transfer).
        OnHold = "on-hold",
        /// Paid and done.
        Completed = "completed",
        /// Cancelled.
        Cancelled = "cancelled",
        /// Paid back.
        Refunded = "refunded",
        /// The payment failed.
        Failed = "failed",
    }
}

open_enum! {
    /// What a quote line does.
    ChangeKind {
        /// More than today: effective at once, prorated fee.
        Upgrade = "upgrade",
        /// Less than today: effective at the period end, no charge.
        Downgrade = "downgrade",
        /// Today's quantity (cancels a scheduled change of it).
        Unchanged = "unchanged",
    }
}

/// The item SKU of the package a license runs on (`fe2-basis`, `fe2-paket-3`).
pub fn package_sku(package_code: &str) -> String {
    format!("fe2-{package_code}")
}

/// The SKU of aMobile PRO, which NavLog needs.
pub const SKU_AMOBILE_PRO: &str = "fe2-amobile-pro";
/// The feature code of NavLog.
pub const FEATURE_NAVLOG: &str = "navlog";

/// A license's package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Package {
    /// `basis` or `paket-1`..`paket-5`.
    pub code: String,
    /// Display name, e.g. "FE2 Basispaket".
    pub name: String,
    /// True for the packages sold before 2023 (no self-service changes).
    #[serde(default)]
    pub legacy: bool,
}

/// One bookable item of a license with its quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Item {
    /// The SKU (`fe2-persons`).
    pub sku: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Quantity in force now.
    pub quantity: u32,
    /// Net price per unit per billing period in force today; `None`: price on request.
    #[serde(default, with = "crate::money::optional")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub unit_price: Option<Decimal>,
}

/// A downgrade that takes effect at the next renewal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScheduledChange {
    /// The shop's id, used to cancel it.
    pub id: String,
    /// The SKU it changes.
    pub sku: String,
    /// The new total from `effective_date` on.
    pub quantity: u32,
    /// When it takes effect (the period end).
    pub effective_date: DateTime<Utc>,
}

/// Whether the license may change quantities now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SwitchStatus {
    /// True when self-service changes are allowed.
    pub allowed: bool,
    /// The first failing eligibility code, `None` when allowed.
    pub reason: Option<String>,
}

/// One FE2 license (one shop subscription), as `GET /license` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct License {
    /// The shop's subscription id.
    pub id: u64,
    /// The license e-mail (normalised).
    pub email: String,
    /// The holder, e.g. "FF Musterstadt".
    #[serde(default)]
    pub name: String,
    /// Trial or subscription.
    pub kind: Kind,
    /// WooCommerce status.
    pub status: Status,
    /// The package.
    pub package: Package,
    /// Unit of the billing period (a year).
    #[serde(default = "default_billing_period")]
    pub billing_period: BillingPeriod,
    /// Number of units per billing period (1).
    #[serde(default = "default_billing_interval")]
    pub billing_interval: u32,
    /// When the license was first bought.
    pub start_date: DateTime<Utc>,
    /// Start of the current billing period.
    #[serde(default)]
    pub period_start: Option<DateTime<Utc>>,
    /// Next renewal (start of the next period).
    #[serde(default)]
    pub next_payment_date: Option<DateTime<Utc>>,
    /// End of a cancelled or fixed-term license.
    #[serde(default)]
    pub end_date: Option<DateTime<Utc>>,
    /// End of a trial.
    #[serde(default)]
    pub trial_end_date: Option<DateTime<Utc>>,
    /// `EUR`.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Items, the package included.
    #[serde(default)]
    pub items: Vec<Item>,
    /// Activated features, e.g. `navlog`.
    #[serde(default)]
    pub features: Vec<String>,
    /// Id of the price list the current period was priced on.
    #[serde(default)]
    pub price_list: String,
    /// Downgrades waiting for the next renewal.
    #[serde(default)]
    pub scheduled_changes: Vec<ScheduledChange>,
    /// True when some order is processing/completed and paid.
    #[serde(default)]
    pub has_paid_order: bool,
    /// Whether quantities can be changed now.
    #[serde(default = "default_switch")]
    pub switch: SwitchStatus,
}

fn default_billing_period() -> BillingPeriod {
    BillingPeriod::Year
}
fn default_billing_interval() -> u32 {
    1
}
fn default_currency() -> String {
    "EUR".to_string()
}
fn default_switch() -> SwitchStatus {
    SwitchStatus {
        allowed: false,
        reason: None,
    }
}

impl License {
    /// The current quantity of an SKU; an option not booked counts as 0.
    pub fn quantity(&self, sku: &str) -> u32 {
        self.items
            .iter()
            .find(|i| i.sku == sku)
            .map_or(0, |i| i.quantity)
    }

    /// True when the feature (e.g. `navlog`) is active.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// An order of a license (`GET /license/orders`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Order {
    /// The shop's order id.
    pub id: u64,
    /// Parent, renewal or switch order.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// WooCommerce order status.
    pub status: OrderStatus,
    /// Gross total.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub total: Decimal,
    /// When it was created.
    pub date_created: DateTime<Utc>,
    /// When it was paid, if it was.
    #[serde(default)]
    pub date_paid: Option<DateTime<Utc>>,
}

/// A product's name in both UI languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocalizedName {
    /// German.
    pub de: String,
    /// English.
    pub en: String,
}

/// A bookable product of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Product {
    /// The SKU.
    pub sku: String,
    /// Names.
    pub name: LocalizedName,
    /// Smallest allowed total.
    pub min: u32,
    /// Largest allowed total.
    pub max: u32,
    /// False for packages: only the current quantity is accepted.
    pub switchable: bool,
}

/// Net unit prices valid from a date on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PriceList {
    /// Its id (`2023-04-17`).
    pub id: String,
    /// First day (in Germany) it is in force.
    pub valid_from: NaiveDate,
    /// Net price per unit per billing period, by SKU.
    #[serde(
        serialize_with = "serialize_prices",
        deserialize_with = "deserialize_prices"
    )]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub prices: BTreeMap<String, Decimal>,
}

fn serialize_prices<S: serde::Serializer>(
    prices: &BTreeMap<String, Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(prices.len()))?;
    for (sku, price) in prices {
        map.serialize_entry(sku, &crate::money::to_text(*price))?;
    }
    map.end()
}

fn deserialize_prices<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Decimal>, D::Error> {
    BTreeMap::<String, String>::deserialize(d)?
        .into_iter()
        .map(|(sku, text)| {
            crate::money::parse(&text)
                .map(|price| (sku, price))
                .ok_or_else(|| serde::de::Error::custom(format!("not a price: {text:?}")))
        })
        .collect()
}

/// The shop's products and dated price lists (`GET /catalog`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Catalog {
    /// `EUR`.
    pub currency: String,
    /// VAT rate, `0.19`.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub vat_rate: Decimal,
    /// All price lists, any order.
    pub price_lists: Vec<PriceList>,
    /// All products.
    pub products: Vec<Product>,
}

impl Catalog {
    /// The price list in force at an instant: the one of its day in Germany, as the budget
    /// year and the invoice date (docs/domain.md, Price lists).
    pub fn price_list_at(&self, at: DateTime<Utc>) -> Option<&PriceList> {
        self.price_list_on(crate::clock::german_day(at))
    }

    /// The price list in force on a day: the newest whose `valid_from` ≤ that day.
    pub fn price_list_on(&self, day: NaiveDate) -> Option<&PriceList> {
        self.price_lists
            .iter()
            .filter(|l| l.valid_from <= day)
            .max_by_key(|l| l.valid_from)
    }

    /// The product with this SKU.
    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.sku == sku)
    }
}

/// One requested new total. `quantity` stays raw JSON so that a string, a fraction or a
/// negative number is answered `invalid_quantity` for its SKU, not a parse failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestedItem {
    /// The SKU.
    pub sku: String,
    /// The new total as sent.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quantity: serde_json::Value,
}

impl RequestedItem {
    /// A request for `quantity` as the new total of `sku`.
    pub fn new(sku: impl Into<String>, quantity: u32) -> Self {
        Self {
            sku: sku.into(),
            quantity: quantity.into(),
        }
    }
}

/// One line of a quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuoteLine {
    /// The SKU.
    pub sku: String,
    /// Quantity today.
    pub from: u32,
    /// Requested new total.
    pub to: u32,
    /// Upgrade, downgrade or unchanged.
    pub change: ChangeKind,
    /// Net unit price on the quote date.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub unit_price: Decimal,
    /// Prorated setup fee of this line (0.00 for downgrades).
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub fee: Decimal,
    /// Now for upgrades, the period end for downgrades, `None` when unchanged.
    pub effective_date: Option<DateTime<Utc>>,
}

/// The one-off setup fee of an upgrade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetupFee {
    /// Σ rounded line fees.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub net: Decimal,
    /// VAT on `net`, rounded.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub vat: Decimal,
    /// `net + vat`.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub gross: Decimal,
    /// The VAT rate applied.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub vat_rate: Decimal,
}

/// What the next renewal will cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NextRenewal {
    /// The renewal date (period end).
    pub date: DateTime<Utc>,
    /// Net total.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub net: Decimal,
    /// VAT.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub vat: Decimal,
    /// Gross total.
    #[serde(with = "crate::money")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub gross: Decimal,
}

/// A priced switch request (`POST /license/switch/preview`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Quote {
    /// When it was computed.
    pub quote_date: DateTime<Utc>,
    /// The price list in force on the quote date.
    pub price_list: String,
    /// Days left in the period, rounded up.
    pub days_remaining: i64,
    /// Days of the whole period (365 or 366).
    pub days_in_period: i64,
    /// One line per requested item.
    pub lines: Vec<QuoteLine>,
    /// What is charged now.
    pub setup_fee: SetupFee,
    /// The next renewal after this change; `None`: price on request.
    pub next_renewal: Option<NextRenewal>,
}

/// A support ticket (`GET /tickets`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Ticket {
    /// The support system's number.
    pub number: String,
    /// The topic code (`navlog_activation`).
    pub topic: String,
    /// Subject line.
    #[serde(default)]
    pub subject: String,
    /// `open`, `closed`, …
    pub status: String,
    /// When it was opened.
    pub created: DateTime<Utc>,
}

/// A ticket's topic (Hilfethema) as the app requests it (docs/domain.md, Tickets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TicketTopic {
    /// Activate NavLog (needs aMobile PRO).
    NavlogActivation,
    /// Move the license to another e-mail address (`fields.new_email`).
    LicenseEmailChange,
    /// Change a legacy package (packages 1-5 change only this way).
    PackageChange,
    /// Anything else.
    General,
}

impl TicketTopic {
    /// The topic of a code, `None` for a topic the support does not know.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "navlog_activation" => Some(TicketTopic::NavlogActivation),
            "license_email_change" => Some(TicketTopic::LicenseEmailChange),
            "package_change" => Some(TicketTopic::PackageChange),
            "general" => Some(TicketTopic::General),
            _ => None,
        }
    }

    /// The topic's code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketTopic::NavlogActivation => "navlog_activation",
            TicketTopic::LicenseEmailChange => "license_email_change",
            TicketTopic::PackageChange => "package_change",
            TicketTopic::General => "general",
        }
    }
}

/// The answer of `POST /license/switch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SwitchOutcome {
    /// The switch order, `None` when nothing is to pay.
    pub order: Option<Order>,
    /// The license after the switch.
    pub license: License,
    /// The quote that was applied.
    pub quote: Quote,
}

/// The answer of `GET /me`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The license e-mail.
    pub email: String,
    /// The holder's name.
    #[serde(default)]
    pub name: String,
}

/// One published signing key (`GET /keys`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyEntry {
    /// Key id.
    pub kid: String,
    /// Always `ed25519`.
    pub alg: String,
    /// Standard padded base64 of the 32 key bytes.
    pub public_key: String,
}

/// The answer of `GET /keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    /// Published keys.
    pub keys: Vec<PublicKeyEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "id": 4711, "email": "leitstelle@ff-musterstadt.de", "name": "FF Musterstadt",
      "kind": "subscription", "status": "active",
      "package": {"code": "basis", "name": "FE2 Basispaket", "legacy": false},
      "billing_period": "year", "billing_interval": 1,
      "start_date": "2024-01-01T00:00:00Z", "period_start": "2025-01-01T00:00:00Z",
      "next_payment_date": "2026-01-01T00:00:00Z", "end_date": null, "trial_end_date": null,
      "currency": "EUR",
      "items": [{"sku": "fe2-basis", "name": "FE2 Basispaket", "quantity": 1, "unit_price": "650.00"},
                {"sku": "fe2-persons", "name": "Zusätzliche Personen", "quantity": 20, "unit_price": "12.00"}],
      "features": ["navlog"], "price_list": "2023-04-17",
      "scheduled_changes": [{"id": "sc_1", "sku": "fe2-persons", "quantity": 10, "effective_date": "2026-01-01T00:00:00Z"}],
      "has_paid_order": true, "switch": {"allowed": true, "reason": null},
      "some_future_field": {"x": 1}
    }"#;

    #[test]
    fn license_round_trips_in_the_api_shape() {
        let license: License = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(license.quantity("fe2-persons"), 20);
        assert_eq!(license.quantity("fe2-amweb"), 0);
        let back = serde_json::to_value(&license).unwrap();
        assert_eq!(back["items"][1]["unit_price"], "12.00");
        assert_eq!(back["next_payment_date"], "2026-01-01T00:00:00Z");
        assert_eq!(back["status"], "active");
        assert!(back.get("some_future_field").is_none());
    }

    #[test]
    fn unknown_enum_values_do_not_fail() {
        let text = SAMPLE
            .replace("\"active\"", "\"paused-by-admin\"")
            .replace("\"subscription\"", "\"gift\"");
        let license: License = serde_json::from_str(&text).unwrap();
        assert_eq!(license.status, Status::Unknown("paused-by-admin".into()));
        assert_eq!(license.kind, Kind::Unknown("gift".into()));
        assert_eq!(
            serde_json::to_value(&license).unwrap()["status"],
            "paused-by-admin"
        );
    }

    #[test]
    fn price_list_in_force_is_the_newest_started_one() {
        let catalog: Catalog = serde_json::from_value(serde_json::json!({
            "currency": "EUR", "vat_rate": "0.19",
            "price_lists": [
                {"id": "2023-04-17", "valid_from": "2023-04-17", "prices": {"fe2-persons": "12.00"}},
                {"id": "2023-01-13", "valid_from": "2023-01-13", "prices": {"fe2-persons": "10.00"}}],
            "products": []
        }))
        .unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            catalog.price_list_on(day("2023-04-16")).unwrap().id,
            "2023-01-13"
        );
        assert_eq!(
            catalog.price_list_on(day("2023-04-17")).unwrap().id,
            "2023-04-17"
        );
        assert!(catalog.price_list_on(day("2022-12-31")).is_none());
        assert_eq!(
            serde_json::to_value(&catalog).unwrap()["price_lists"][0]["prices"]["fe2-persons"],
            "12.00"
        );
    }
}
