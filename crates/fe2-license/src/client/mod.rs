//! The Shop API client (docs/shop-api.openapi.yaml) on reqwest with rustls and the OS
//! certificate store: the routes. How requests travel is `transport`, through which proxy
//! `proxy`, with which TLS `tls`, which URLs it accepts `url_policy`, and what a failed request
//! means `wire_errors`.
//! Every answer becomes a typed value or a typed [`Error`]: the shop's error codes map to the
//! variant the shop produced them from, transport faults to their own variants.

mod probe;
mod proxy;
mod tls;
mod transport;
mod url_policy;
mod wire_errors;

pub use probe::{ProbeResult, ProbeStep};
pub use proxy::{
    check_proxy_url, proxy_host_port, resolve_proxy, ProxyChoice, ProxyDecision, ProxySource,
};
pub use transport::{http_client, ClientOptions, HttpClient};
pub use url_policy::{check_shop_url, check_web_url, redact_url};

use crate::error::{Error, Result};
use crate::model::{
    Catalog, KeySet, License, Me, Order, Quote, RequestedItem, SwitchOutcome, Ticket,
};
use crate::secrets::Password;
use chrono::{DateTime, Utc};
use reqwest::Method;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use wire_errors::parse_json;

/// The Shop API's path below the shop's URL (a WordPress plugin namespace).
pub const API_PATH: &str = "/wp-json/fe2/v1";
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("FE2-License-Manager/", env!("CARGO_PKG_VERSION"));
/// The largest answer accepted; a license, a catalog or a ticket list is far smaller.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;
/// The header that makes a POST safe to repeat.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The largest request body the Shop API takes (docs/shop-api.openapi.yaml: larger is
/// `413 payload_too_large`); refused before sending, because a server may close the connection
/// while a larger one is still being written, which would look like an unreachable shop.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// An account's sign-in data; the password is zeroed on drop.
#[derive(Clone)]
struct Credentials {
    email: String,
    password: Password,
}

/// A client for one shop, optionally signed in as one license e-mail. Cheap to clone.
#[derive(Clone)]
pub struct ShopClient {
    http: HttpClient,
    api: String,
    options: ClientOptions,
    credentials: Option<Credentials>,
    shop_date: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl std::fmt::Debug for ShopClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopClient")
            .field("api", &self.api)
            .field("email", &self.credentials.as_ref().map(|c| &c.email))
            .finish_non_exhaustive()
    }
}

/// The answer of `POST /checkout`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutOutcome {
    /// The license bought or converted.
    pub license: License,
    /// The application password of a new customer (`None` for a converted trial).
    #[serde(default)]
    pub app_password: Option<String>,
}

impl std::fmt::Debug for CheckoutOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckoutOutcome")
            .field("license", &self.license)
            .field(
                "app_password",
                &self.app_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Deserialize)]
struct LicenseEnvelope {
    license: License,
}

impl ShopClient {
    /// A client for the shop at `shop_url` with its own HTTP connection pool (and no proxy
    /// credentials).
    pub fn new(shop_url: &str, options: &ClientOptions) -> Result<Self> {
        Self::with_http(http_client(options, None)?, shop_url, options)
    }

    /// A client for the shop at `shop_url` sharing an existing HTTP client.
    pub fn with_http(http: HttpClient, shop_url: &str, options: &ClientOptions) -> Result<Self> {
        let url = check_shop_url(shop_url)?;
        let base = url.as_str().trim_end_matches('/');
        Ok(Self {
            http,
            api: format!("{base}{API_PATH}"),
            options: options.clone(),
            credentials: None,
            shop_date: Arc::new(Mutex::new(None)),
        })
    }

    /// The same client signed in with a license e-mail and application password.
    pub fn with_credentials(mut self, email: &str, password: impl Into<Password>) -> Self {
        self.credentials = Some(Credentials {
            email: email.to_string(),
            password: password.into(),
        });
        self
    }

    /// The shop's clock as its last answer's `Date` header showed it.
    pub fn shop_date(&self) -> Option<DateTime<Utc>> {
        *self.shop_date.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `GET /me`: the credential check.
    pub async fn me(&self) -> Result<Me> {
        self.get_json("/me").await
    }

    /// `GET /license`.
    pub async fn license(&self) -> Result<License> {
        self.get_json("/license").await
    }

    /// `GET /license/orders`.
    pub async fn orders(&self) -> Result<Vec<Order>> {
        self.get_json("/license/orders").await
    }

    /// `GET /catalog`.
    pub async fn catalog(&self) -> Result<Catalog> {
        self.get_json("/catalog").await
    }

    /// `GET /keys` (no auth): the shop's signing keys.
    pub async fn keys(&self) -> Result<KeySet> {
        self.get_json("/keys").await
    }

    /// `GET /tickets`.
    pub async fn tickets(&self) -> Result<Vec<Ticket>> {
        self.get_json("/tickets").await
    }

    /// `GET /license/file`: the signed license file, unverified.
    pub async fn license_file(&self) -> Result<String> {
        let body = self.send(Method::GET, "/license/file", None, None).await?;
        let text = String::from_utf8(body)
            .map_err(|_| Error::NotAShopApi("the license file is not UTF-8 text".into()))?;
        if !text.contains(crate::license_file::BEGIN_MARKER) {
            return Err(Error::NotAShopApi(
                "the answer is not a license file".into(),
            ));
        }
        Ok(text)
    }

    /// `POST /license/switch/preview`: prices new totals, changes nothing.
    pub async fn preview(&self, items: &[RequestedItem]) -> Result<Quote> {
        self.post_json("/license/switch/preview", &json!({ "items": items }), None)
            .await
    }

    /// `POST /license/switch` with the preview's gross and the caller's idempotency key.
    pub async fn switch(
        &self,
        items: &[RequestedItem],
        expected_gross: Option<Decimal>,
        reference: Option<&str>,
        idempotency_key: &str,
    ) -> Result<SwitchOutcome> {
        let mut body = json!({ "items": items });
        if let Some(gross) = expected_gross {
            body["expected_gross"] = json!(crate::money::to_text(gross));
        }
        if let Some(reference) = reference {
            body["reference"] = json!(reference);
        }
        self.post_json("/license/switch", &body, Some(idempotency_key))
            .await
    }

    /// `DELETE /license/scheduled-changes/{id}`.
    pub async fn cancel_scheduled_change(&self, id: &str) -> Result<License> {
        let path = format!("/license/scheduled-changes/{}", percent_encode(id));
        let body = self.send(Method::DELETE, &path, None, None).await?;
        Ok(parse_json::<LicenseEnvelope>(&body)?.license)
    }

    /// `POST /tickets` with the caller's idempotency key.
    pub async fn create_ticket(
        &self,
        topic: &str,
        message: &str,
        fields: &Value,
        idempotency_key: &str,
    ) -> Result<Ticket> {
        let body = json!({ "topic": topic, "message": message, "fields": fields });
        self.post_json("/tickets", &body, Some(idempotency_key))
            .await
    }

    /// `POST /checkout` (no auth): the shop's purchase step. The app never calls it; tests do.
    pub async fn checkout(
        &self,
        email: &str,
        name: &str,
        package: &str,
        items: &[RequestedItem],
    ) -> Result<CheckoutOutcome> {
        let body = json!({ "email": email, "name": name, "package": package, "items": items });
        self.post_json("/checkout", &body, None).await
    }
}

/// Percent-encodes a path segment (ids come from the shop, but are not trusted to be tidy).
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password() {
        let client = ShopClient::new("https://shop.example", &ClientOptions::default())
            .unwrap()
            .with_credentials("a@b.de", "abcd EFGH 1234 ijkl MNOP 5678");
        let text = format!("{client:?}");
        assert!(text.contains("a@b.de") && !text.contains("EFGH"), "{text}");
    }

    #[test]
    fn ids_are_encoded_as_one_path_segment() {
        assert_eq!(percent_encode("sc_1"), "sc_1");
        assert_eq!(percent_encode("../a b"), "..%2Fa%20b");
    }
}
