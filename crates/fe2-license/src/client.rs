//! The Shop API client (docs/shop-api.openapi.yaml) on reqwest with rustls and the OS certificate store.
//! Every answer becomes a typed value or a typed [`Error`]: the shop's error codes map to the
//! variant the shop produced them from, transport faults to their own variants.

use crate::error::{Error, Result};
use crate::model::{
    Catalog, KeySet, License, Me, Order, Quote, RequestedItem, SwitchOutcome, Ticket,
};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, DATE, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The Shop API's path below the shop's URL (a WordPress plugin namespace).
pub const API_PATH: &str = "/wp-json/fe2/v1";
/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("FE2-License-Manager/", env!("CARGO_PKG_VERSION"));
/// The largest answer accepted; a license, a catalog or a ticket list is far smaller.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;
/// The header that makes a POST safe to repeat.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The largest request body the Shop API takes (docs/shop-api.openapi.yaml: larger is `413 payload_too_large`);
/// refused before sending, because a server may close the connection while a larger one is
/// still being written, which would look like an unreachable shop.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// `Retry-After` when a 429 names none.
const DEFAULT_RETRY_AFTER_SECS: u64 = 60;
/// Redirects followed at most (`alamos-gmbh.com` → `www.alamos-gmbh.com`).
const MAX_REDIRECTS: usize = 5;

/// Timeouts and retries (shorter ones in tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, body included.
    pub request_timeout: Duration,
    /// Pauses before the retries of a GET; its length is the number of retries.
    pub retry_backoff: Vec<Duration>,
    /// The largest answer accepted.
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            // Up to 3 retries: a gateway restarting or a flaky Wi-Fi gets about 1.4 s to recover.
            retry_backoff: vec![
                Duration::from_millis(200),
                Duration::from_millis(400),
                Duration::from_millis(800),
            ],
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

/// Builds the HTTP client: rustls with the OS certificate store, the system proxy, our
/// timeouts and User-Agent, redirects only to URLs we would accept ourselves.
pub fn http_client(options: &ClientOptions) -> Result<reqwest::Client> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if check_shop_url(attempt.url().as_str()).is_ok() {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    // ring rather than reqwest's default aws-lc-rs (a large static C library): the same TLS
    // for megabytes less binary. Fails only when a provider is installed already: keep that.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .redirect(policy)
        .build()
        .map_err(|e| Error::Tls(chain_text(&e)))
}

/// Accepts `https://` URLs, and `http://` only for loopback hosts (127.0.0.0/8, ::1, localhost).
pub fn check_shop_url(shop_url: &str) -> Result<Url> {
    let invalid = || Error::InvalidUrl(shop_url.chars().take(200).collect());
    let url = Url::parse(shop_url.trim()).map_err(|_| invalid())?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(invalid)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid());
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(host) => Ok(url),
        "http" => Err(Error::InsecureUrl(host.to_string())),
        _ => Err(invalid()),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An account's sign-in data. `Debug` never shows the password.
#[derive(Clone)]
struct Credentials {
    email: String,
    password: String,
}

/// A client for one shop, optionally signed in as one license e-mail. Cheap to clone.
#[derive(Clone)]
pub struct ShopClient {
    http: reqwest::Client,
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

/// A Shop API error body: `{"code","message","data":{"status",…}}`.
#[derive(Deserialize)]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Value,
}

impl ShopClient {
    /// A client for the shop at `shop_url` with its own HTTP connection pool.
    pub fn new(shop_url: &str, options: &ClientOptions) -> Result<Self> {
        Self::with_http(http_client(options)?, shop_url, options)
    }

    /// A client for the shop at `shop_url` sharing an existing HTTP client.
    pub fn with_http(
        http: reqwest::Client,
        shop_url: &str,
        options: &ClientOptions,
    ) -> Result<Self> {
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
    pub fn with_credentials(mut self, email: &str, password: &str) -> Self {
        self.credentials = Some(Credentials {
            email: email.to_string(),
            password: password.to_string(),
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

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let body = self.send(Method::GET, path, None, None).await?;
        parse_json(&body)
    }

    async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<T> {
        let answer = self
            .send(Method::POST, path, Some(body), idempotency_key)
            .await?;
        parse_json(&answer)
    }

    /// One request with retries (GET only) and the body read under the size cap; a non-2xx
    /// answer becomes its typed error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.api);
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::BadRequest(format!("the request cannot be encoded: {e}")))?;
        if body.as_ref().is_some_and(|b| b.len() > MAX_REQUEST_BYTES) {
            return Err(Error::PayloadTooLarge);
        }
        if let Some(key) = idempotency_key {
            check_idempotency_key(key)?;
        }
        let retries = if method == Method::GET {
            self.options.retry_backoff.as_slice()
        } else {
            &[]
        };
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header(ACCEPT, "application/json");
            if let Some(credentials) = &self.credentials {
                request = request.basic_auth(&credentials.email, Some(&credentials.password));
            }
            if let Some(key) = idempotency_key {
                request = request.header(IDEMPOTENCY_KEY, key);
            }
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let pause = retries.get(attempt).copied();
            let response = match request.send().await {
                Ok(response) => response,
                Err(e) => match pause {
                    // A certificate problem does not go away by asking again.
                    Some(pause)
                        if e.is_connect() && !e.is_timeout() && find_rustls_error(&e).is_none() =>
                    {
                        attempt += 1;
                        tokio::time::sleep(pause).await;
                        continue;
                    }
                    _ => return Err(transport_error(&e)),
                },
            };
            let status = response.status();
            self.record_date(response.headers());
            if let (true, Some(pause)) = (is_retryable_status(status), pause) {
                attempt += 1;
                tokio::time::sleep(pause).await;
                continue;
            }
            let headers = response.headers().clone();
            let answer = read_capped(response, self.options.max_response_bytes).await?;
            if status.is_success() {
                return Ok(answer);
            }
            return Err(error_from_answer(status, &headers, &answer));
        }
    }

    fn record_date(&self, headers: &HeaderMap) {
        let date = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&Utc));
        if let Some(date) = date {
            *self.shop_date.lock().unwrap_or_else(|p| p.into_inner()) = Some(date);
        }
    }
}

/// The longest idempotency key the Shop API stores.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// Refuses a key the shop would refuse (or a server would cut off with the connection):
/// 1 to 255 visible ASCII characters, as a header value can carry them.
fn check_idempotency_key(key: &str) -> Result<()> {
    let fits = (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if fits {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "the idempotency key must be 1 to 255 visible ASCII characters".into(),
        ))
    }
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 502..=504)
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit`.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    let announced = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(Error::ResponseTooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(Error::ResponseTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::NotAShopApi(format!(
            "unexpected answer: {}",
            e.to_string().chars().take(200).collect::<String>()
        ))
    })
}

/// The error of a non-2xx answer: the shop's JSON error when there is one.
fn error_from_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let api = serde_json::from_slice::<ApiError>(body).ok();
    match status.as_u16() {
        401 => return Error::InvalidCredentials,
        429 => {
            let header = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let data = api
                .as_ref()
                .and_then(|a| a.data.get("retry_after"))
                .and_then(Value::as_u64);
            return Error::TooManyAttempts {
                retry_after_secs: header.or(data).unwrap_or(DEFAULT_RETRY_AFTER_SECS),
            };
        }
        _ => {}
    }
    match api {
        Some(api) => error_from_code(status.as_u16(), api),
        // A server in front of the shop refusing an oversized request (headers or URL).
        None if matches!(status.as_u16(), 413 | 414 | 431) => Error::PayloadTooLarge,
        None if status.is_server_error() => Error::ShopUnavailable {
            status: status.as_u16(),
        },
        None => Error::NotAShopApi(format!("HTTP {} without a Shop API error", status.as_u16())),
    }
}

/// The variant the shop produced an error code from.
fn error_from_code(status: u16, api: ApiError) -> Error {
    let text = |key: &str| {
        api.data
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match api.code.as_str() {
        "trial_license" => Error::TrialLicense,
        "subscription_not_active" => Error::SubscriptionNotActive {
            status: text("license_status"),
        },
        "no_paid_order" => Error::NoPaidOrder,
        "legacy_package" => Error::LegacyPackage {
            package: text("package"),
        },
        "unknown_item" => Error::UnknownItem { sku: text("sku") },
        "invalid_quantity" => Error::InvalidQuantity { sku: text("sku") },
        "no_change" => Error::NoChange,
        "invalid_email" => Error::InvalidEmail(text("email")),
        "unknown_topic" => Error::UnknownTopic(text("topic")),
        // The reference shop's message already starts with the words our Display adds.
        "bad_request" => Error::BadRequest(match api.message.strip_prefix("bad request: ") {
            Some(reason) => reason.to_owned(),
            None => api.message,
        }),
        "requires_amobile_pro" => Error::RequiresAmobilePro,
        "already_active" => Error::AlreadyActive,
        "email_in_use" => Error::EmailInUse,
        "license_exists" => Error::LicenseExists,
        "invalid_credentials" => Error::InvalidCredentials,
        "not_found" => Error::NotFound,
        "method_not_allowed" => Error::MethodNotAllowed,
        "payload_too_large" => Error::PayloadTooLarge,
        "idempotency_key_reuse" => Error::IdempotencyKeyReuse,
        "quote_changed" => match api
            .data
            .get("quote")
            .cloned()
            .map(serde_json::from_value::<Quote>)
        {
            Some(Ok(quote)) => Error::QuoteChanged {
                quote: Box::new(quote),
            },
            _ => Error::NotAShopApi("quote_changed without a readable quote".into()),
        },
        "internal" => Error::Internal(api.message),
        _ => Error::Shop {
            status,
            code: api.code,
            message: api.message,
        },
    }
}

/// The causes of an error without reqwest's own line (which repeats the URL).
fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ")
}

/// Classifies a transport failure: timeout, proxy, TLS (naming the certificate problem) or
/// unreachable (DNS, refused, reset).
fn transport_error(error: &reqwest::Error) -> Error {
    if error.is_timeout() {
        return Error::Timeout;
    }
    let text = chain_text(error);
    // Nothing was sent: the request itself is malformed (a header value with control
    // characters, a URL too long for HTTP), which asking again or going online cannot fix.
    if error.is_builder() {
        return Error::BadRequest(format!("the request cannot be sent: {text}"));
    }
    if let Some(tls) = find_rustls_error(error) {
        return Error::Tls(describe_tls(tls));
    }
    let lower = text.to_lowercase();
    if lower.contains("proxy") || lower.contains("tunnel") {
        Error::Proxy(text)
    } else if [
        "certificate",
        "tls",
        "handshake",
        "unknownissuer",
        "invalid peer",
    ]
    .iter()
    .any(|word| lower.contains(word))
    {
        Error::Tls(text)
    } else {
        Error::Unreachable(text)
    }
}

/// The rustls error somewhere in the chain; hyper wraps it in an `io::Error`, whose `source()`
/// skips the wrapped error itself, so those are opened explicitly.
fn find_rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(cause) = current {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(tls) = find_rustls_error(inner) {
                return Some(tls);
            }
        }
        current = cause.source();
    }
    None
}

/// Names the certificate problem in words an administrator can act on.
fn describe_tls(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match error {
        rustls::Error::InvalidCertificate(problem) => match problem {
            C::UnknownIssuer => {
                "the certificate's issuer is not trusted by this computer (UnknownIssuer); \
                 a network that inspects TLS needs its root certificate in the system store"
                    .to_string()
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the shop's certificate has expired".to_string()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the certificate is issued for another host name".to_string()
            }
            C::Revoked => "the shop's certificate was revoked".to_string(),
            other => format!("invalid certificate: {other:?}"),
        },
        other => other.to_string(),
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
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://www.alamos-gmbh.com",
            "http://127.0.0.1:8080",
            "http://127.3.4.5/",
            "http://localhost:1/",
            "http://[::1]:8080/",
        ] {
            assert!(check_shop_url(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("http://www.alamos-gmbh.com", "insecure_url"),
            ("http://10.0.0.1", "insecure_url"),
            ("http://127.0.0.1.example.com", "insecure_url"),
            ("ftp://x.de", "invalid_url"),
            ("www.alamos-gmbh.com", "invalid_url"),
            ("https://user:pw@x.de", "invalid_url"),
        ] {
            assert_eq!(check_shop_url(bad).unwrap_err().code(), code, "{bad}");
        }
    }

    #[test]
    fn a_shop_bad_request_says_bad_request_once() {
        let answer = br#"{"code":"bad_request","message":"bad request: the body is not JSON","data":{"status":400}}"#;
        let error = error_from_answer(StatusCode::BAD_REQUEST, &HeaderMap::new(), answer);
        assert_eq!(error.to_string(), "bad request: the body is not JSON");
        let other =
            br#"{"code":"bad_request","message":"items must be an array","data":{"status":400}}"#;
        let error = error_from_answer(StatusCode::BAD_REQUEST, &HeaderMap::new(), other);
        assert_eq!(error.to_string(), "bad request: items must be an array");
    }

    #[test]
    fn shop_error_codes_map_to_their_variants() {
        let api = |code: &str, data: Value| ApiError {
            code: code.into(),
            message: "text".into(),
            data,
        };
        assert_eq!(
            error_from_code(
                409,
                api(
                    "legacy_package",
                    json!({"status": 409, "package": "paket-3"})
                )
            ),
            Error::LegacyPackage {
                package: "paket-3".into()
            }
        );
        assert_eq!(
            error_from_code(422, api("invalid_quantity", json!({"sku": "fe2-persons"}))),
            Error::InvalidQuantity {
                sku: "fe2-persons".into()
            }
        );
        assert_eq!(
            error_from_code(
                409,
                api(
                    "subscription_not_active",
                    json!({"license_status": "on-hold"})
                )
            ),
            Error::SubscriptionNotActive {
                status: "on-hold".into()
            }
        );
        assert_eq!(
            error_from_code(418, api("teapot", json!({}))),
            Error::Shop {
                status: 418,
                code: "teapot".into(),
                message: "text".into()
            }
        );
        let html = b"<html>Bad gateway</html>";
        assert_eq!(
            error_from_answer(StatusCode::BAD_GATEWAY, &HeaderMap::new(), html),
            Error::ShopUnavailable { status: 502 }
        );
        assert_eq!(
            error_from_answer(StatusCode::NOT_FOUND, &HeaderMap::new(), html).code(),
            "not_a_shop_api"
        );
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "17".parse().unwrap());
        assert_eq!(
            error_from_answer(StatusCode::TOO_MANY_REQUESTS, &headers, b""),
            Error::TooManyAttempts {
                retry_after_secs: 17
            }
        );
    }

    #[test]
    fn every_shop_error_survives_the_round_trip() {
        // What the shop sends for an Error must come back as the same Error.
        let errors = [
            Error::TrialLicense,
            Error::NoPaidOrder,
            Error::NoChange,
            Error::RequiresAmobilePro,
            Error::AlreadyActive,
            Error::EmailInUse,
            Error::LicenseExists,
            Error::NotFound,
            Error::MethodNotAllowed,
            Error::PayloadTooLarge,
            Error::IdempotencyKeyReuse,
            Error::UnknownItem { sku: "x".into() },
            Error::InvalidEmail("not an address".into()),
            Error::UnknownTopic("refund".into()),
            Error::LegacyPackage {
                package: "paket-1".into(),
            },
            Error::SubscriptionNotActive {
                status: "on-hold".into(),
            },
        ];
        for error in errors {
            let mut data = error.details();
            data["status"] = json!(error.http_status());
            let body = json!({"code": error.code(), "message": error.to_string(), "data": data});
            let status = StatusCode::from_u16(error.http_status()).unwrap();
            let back = error_from_answer(status, &HeaderMap::new(), body.to_string().as_bytes());
            assert_eq!(back, error);
        }
    }

    #[test]
    fn tls_failures_name_the_certificate_problem() {
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert!(describe_tls(&unknown).contains("issuer is not trusted"));
        let wrapped = std::io::Error::other(unknown);
        assert_eq!(
            find_rustls_error(&wrapped),
            Some(&rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        );
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let client = ShopClient::new("https://shop.example", &ClientOptions::default())
            .unwrap()
            .with_credentials("a@b.de", "abcd EFGH 1234 ijkl MNOP 5678");
        let text = format!("{client:?}");
        assert!(text.contains("a@b.de") && !text.contains("EFGH"), "{text}");
    }

    #[test]
    fn requests_that_cannot_be_sent_are_bad_requests_not_an_unreachable_shop() {
        let uuid = crate::service::new_idempotency_key();
        assert_eq!(check_idempotency_key(&uuid), Ok(()));
        for bad in [String::new(), "a\u{b}".into(), "ä".into(), "k".repeat(256)] {
            assert_eq!(
                check_idempotency_key(&bad).unwrap_err().code(),
                "bad_request"
            );
        }
        let unsendable = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(
                reqwest::Client::new()
                    .get("http://127.0.0.1:9/")
                    .header(IDEMPOTENCY_KEY, "a\u{b}")
                    .send(),
            )
            .unwrap_err();
        assert_eq!(transport_error(&unsendable).code(), "bad_request");
        for status in [413, 414, 431] {
            let status = StatusCode::from_u16(status).unwrap();
            let error = error_from_answer(status, &HeaderMap::new(), b"<html>too large</html>");
            assert_eq!(error, Error::PayloadTooLarge, "{status}");
        }
    }

    #[test]
    fn ids_are_encoded_as_one_path_segment() {
        assert_eq!(percent_encode("sc_1"), "sc_1");
        assert_eq!(percent_encode("../a b"), "..%2Fa%20b");
    }
}
