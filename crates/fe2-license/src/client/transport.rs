//! How a request travels: the HTTP client (rustls with the OS certificate store, the proxy of
//! each shop origin, timeouts), retries of safe requests, the size caps and the shop's clock.

use super::proxy::{ProxyChoice, ProxyDecision, ProxyRouter, Route};
use super::url_policy::redact_url;
use super::wire_errors::{
    chain_text, error_from_answer, find_rustls_error, parse_json, routed_error, transport_error,
};
use super::{ShopClient, IDEMPOTENCY_KEY, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, USER_AGENT};
use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, DATE, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Same-origin redirects followed at most for one request.
const MAX_REDIRECTS: usize = 5;

/// Timeouts, retries and the proxy (shorter timeouts in tests).
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
    /// Which proxy: policy, then settings, then the system (docs/proxy.md).
    pub proxy: ProxyChoice,
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
            proxy: ProxyChoice::System,
        }
    }
}

/// The HTTP client with the proxy route of each shop origin; cheap to clone (one connection
/// pool, one memory of routes).
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    router: Arc<ProxyRouter>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl HttpClient {
    /// The proxy for `target` and why, exactly as this client's requests there take it
    /// (resolved now when no request went there yet; may run a PAC script).
    pub async fn proxy_decision(&self, target: &Url) -> Result<ProxyDecision> {
        Ok(self.router.route(target).await?.decision.clone())
    }

    /// The route of `target`'s origin (resolved now when no request went there yet).
    pub(super) async fn route(&self, target: &Url) -> Result<Arc<super::proxy::Route>> {
        self.router.route(target).await
    }

    /// Forgets the resolved routes, so that the next request resolves again and reads the
    /// proxy credentials anew (after they changed).
    pub fn forget_proxy_routes(&self) {
        self.router.forget();
    }
}

/// Builds the HTTP client: rustls with the OS certificate store, the options' proxy, our
/// timeouts and User-Agent; `proxy_secrets` holds proxy credentials (`proxy@<host:port>`).
/// It follows no redirect itself: [`ShopClient`] follows those that stay on the shop's origin
/// (docs/reliability.md, Redirects).
pub fn http_client(
    options: &ClientOptions,
    proxy_secrets: Option<Arc<dyn SecretStore>>,
) -> Result<HttpClient> {
    let router = Arc::new(ProxyRouter::new(options.proxy.clone(), proxy_secrets)?);
    let tls = super::tls::client_config().map_err(|e| Error::Tls(e.to_string()))?;
    let asked = router.clone();
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(tls)
        // Only the route resolved for the origin, never reqwest's own reading of the system:
        // what `proxy_decision` reports is what is used.
        .no_proxy()
        .proxy(reqwest::Proxy::custom(move |target| {
            asked.proxy_for(target)
        }))
        .build()
        .map_err(|e| Error::Tls(chain_text(&e)))?;
    Ok(HttpClient { client, router })
}

/// Where a redirect answer leads.
enum Redirect {
    /// Ask again there: the same origin, and a method that survives the status.
    Follow(Url),
    /// Another origin: the shop's base URL there, for the user to confirm.
    Moved(Error),
}

/// Decides a redirect of a request to `from`. Only the same origin is followed, and a POST or
/// DELETE only with 307/308 (which keep the method and body): 301/302/303 would turn it into a
/// GET. Nothing is ever sent to another origin, so credentials and idempotency keys stay with
/// the shop the user chose.
fn redirect(
    method: &Method,
    status: StatusCode,
    headers: &HeaderMap,
    from: &Url,
    api_path: &str,
) -> Result<Redirect> {
    let location = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| from.join(v).ok())
        .ok_or_else(|| {
            Error::NotAShopApi(format!(
                "HTTP {} without a usable Location",
                status.as_u16()
            ))
        })?;
    if location.origin() != from.origin() {
        let shop_url = moved_shop_url(&location, api_path);
        return Ok(Redirect::Moved(match super::check_shop_url(&shop_url) {
            Ok(_) => Error::ShopMoved { shop_url },
            Err(refused) => refused,
        }));
    }
    let keeps_method = matches!(status.as_u16(), 307 | 308);
    if *method == Method::GET || keeps_method {
        Ok(Redirect::Follow(location))
    } else {
        Err(Error::NotAShopApi(format!(
            "the shop redirected a {method} with HTTP {}",
            status.as_u16()
        )))
    }
}

/// The shop's base URL at a redirect's target: the target without the API path the request
/// asked for, else its origin alone.
fn moved_shop_url(location: &Url, api_path: &str) -> String {
    let origin = location.origin().ascii_serialization();
    match location.path().strip_suffix(api_path) {
        Some(base) => format!("{origin}{}", base.trim_end_matches('/')),
        None => origin,
    }
}

impl ShopClient {
    pub(super) async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let body = self.send(Method::GET, path, None, None).await?;
        parse_json(&body)
    }

    pub(super) async fn post_json<T: DeserializeOwned>(
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
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<u8>> {
        let api_path = format!("{}{path}", super::API_PATH);
        let mut url = Url::parse(&format!("{}{path}", self.api))
            .map_err(|_| Error::BadRequest(format!("not a usable path: {}", redact_url(path))))?;
        let mut redirects = 0;
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
            let route = self.http.router.route(&url).await?;
            let mut request = self
                .http
                .client
                .request(method.clone(), url.clone())
                .header(ACCEPT, "application/json");
            if let Some(credentials) = &self.credentials {
                request =
                    request.basic_auth(&credentials.email, Some(credentials.password.expose()));
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
                Err(e) => {
                    let error = routed_error(&e, &route);
                    match pause {
                        // Only a connection that could not be made is tried again: a
                        // certificate problem, or a proxy's answer to CONNECT (a refusal, a
                        // login wanted), does not change by asking again at once.
                        Some(pause)
                            if e.is_connect()
                                && !e.is_timeout()
                                && find_rustls_error(&e).is_none()
                                && matches!(
                                    error,
                                    Error::Unreachable(_) | Error::ProxyUnreachable { .. }
                                ) =>
                        {
                            attempt += 1;
                            tokio::time::sleep(pause).await;
                            continue;
                        }
                        _ => return Err(self.after_failure(error)),
                    }
                }
            };
            let status = response.status();
            if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED {
                if let Some(error) = proxy_auth_required(&route) {
                    return Err(self.after_failure(error));
                }
            }
            self.record_date(response.headers());
            if let (true, Some(pause)) = (is_retryable_status(status), pause) {
                attempt += 1;
                tokio::time::sleep(pause).await;
                continue;
            }
            let headers = response.headers().clone();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                match redirect(&method, status, &headers, &url, &api_path)? {
                    Redirect::Follow(next) if redirects < MAX_REDIRECTS => {
                        redirects += 1;
                        url = next;
                        continue;
                    }
                    Redirect::Follow(_) => {
                        return Err(Error::NotAShopApi("too many redirects".into()));
                    }
                    Redirect::Moved(moved) => return Err(moved),
                }
            }
            let answer = read_capped(response, self.options.max_response_bytes).await?;
            if status.is_success() {
                return Ok(answer);
            }
            return Err(error_from_answer(status, &headers, &answer));
        }
    }

    /// A proxy that wants a login makes the routes be resolved again on the next request, so
    /// credentials stored meanwhile (`fe2-license proxy login`) are read without a restart.
    fn after_failure(&self, error: Error) -> Error {
        if matches!(error, Error::ProxyAuthRequired { .. }) {
            self.http.router.forget();
        }
        error
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

/// A 407 answer to a request forwarded through a proxy (plain `http://`; a CONNECT's 407 is a
/// transport error). `None` when no proxy was used: a 407 of the shop itself is then read like
/// any other answer that is not the Shop API's.
fn proxy_auth_required(route: &Route) -> Option<Error> {
    Some(Error::ProxyAuthRequired {
        proxy: route.decision.proxy_text()?,
        rejected: route.authenticates,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
                http_client(&ClientOptions::default(), None)
                    .unwrap()
                    .client
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
}
