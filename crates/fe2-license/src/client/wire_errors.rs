//! What a failed request means: the shop's JSON error mapped to the variant the shop produced
//! it from, and transport faults (timeout, proxy, TLS, unreachable) to their own variants.

use super::proxy::Route;
use super::tls::UntrustedIssuer;
use crate::error::{Error, Result};
use crate::model::Quote;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// `Retry-After` when a 429 names none.
const DEFAULT_RETRY_AFTER_SECS: u64 = 60;

/// The most characters kept of a text the shop sends in an error (message, code, details): it
/// travels into `last_error`, the cache file, every `licenses-updated` event and the UI.
pub const MAX_SHOP_TEXT_CHARS: usize = 300;

/// A shop-supplied text cut to [`MAX_SHOP_TEXT_CHARS`] (with `…`), control characters as spaces.
pub(super) fn shop_text(text: &str) -> String {
    let mut chars = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    let mut kept: String = chars.by_ref().take(MAX_SHOP_TEXT_CHARS).collect();
    if chars.next().is_some() {
        kept.push('…');
    }
    kept
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

pub(super) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::NotAShopApi(format!(
            "unexpected answer: {}",
            e.to_string().chars().take(200).collect::<String>()
        ))
    })
}

/// The error of a non-2xx answer: the shop's JSON error when there is one.
pub(super) fn error_from_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
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
fn error_from_code(status: u16, mut api: ApiError) -> Error {
    api.message = shop_text(&api.message);
    api.code = shop_text(&api.code);
    let text = |key: &str| {
        shop_text(
            api.data
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
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
        // Without a readable date the refusal still stands, under the shop's own words.
        "renewal_due" => match api
            .data
            .get("renewal_date")
            .cloned()
            .map(serde_json::from_value::<DateTime<Utc>>)
        {
            Some(Ok(date)) => Error::RenewalDue { date },
            _ => Error::Shop {
                status,
                code: api.code,
                message: api.message,
            },
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
pub(super) fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
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
pub(super) fn transport_error(error: &reqwest::Error) -> Error {
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

/// How hyper-util's CONNECT tunnel says that the proxy answered 407 (its error type is not
/// public; the real proxy tests pin the text).
const TUNNEL_AUTH: &str = "tunnel error: proxy authorization required";
/// How it says that the connection to the proxy itself failed.
const TUNNEL_CONNECT: &str = "tunnel error: failed to create underlying connection";
/// The start of every tunnel error: the proxy was reached and answered something.
const TUNNEL: &str = "tunnel error:";

/// Classifies a transport failure of a request that took `route`: TLS inspection (an issuer
/// this computer does not trust behind a proxy, or any certification authority it does not
/// trust), then the proxy's own failures (a login wanted on CONNECT, the proxy not reached),
/// else as [`transport_error`].
pub(super) fn routed_error(error: &reqwest::Error, route: &Route) -> Error {
    let proxy = route.decision.proxy_text();
    if let Some(untrusted) = find_untrusted_issuer(error) {
        // A self-signed server certificate without a proxy is a plain `tls` failure: nobody
        // issued it, so there is no root certificate IT could install.
        if proxy.is_some() || !untrusted.self_signed {
            return Error::TlsIntercepted {
                issuer: untrusted.issuer.clone(),
                proxy,
            };
        }
    }
    let Some(proxy) = proxy else {
        return transport_error(error);
    };
    if error.is_builder() || find_rustls_error(error).is_some() {
        return transport_error(error);
    }
    let causes = causes(error);
    if causes.iter().any(|c| c == TUNNEL_AUTH) {
        return Error::ProxyAuthRequired {
            proxy,
            rejected: route.authenticates,
        };
    }
    let proxy_answered = causes
        .iter()
        .any(|c| c.starts_with(TUNNEL) && c != TUNNEL_CONNECT);
    // Through a proxy every connection is one to the proxy: failing to connect is the proxy's.
    if error.is_connect() && !proxy_answered {
        return Error::ProxyUnreachable {
            proxy,
            reason: chain_text(error),
        };
    }
    transport_error(error)
}

/// The texts of an error's causes, the wrapped errors of `io::Error`s included.
fn causes(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut texts = Vec::new();
    let mut current = Some(error);
    while let Some(cause) = current {
        texts.push(cause.to_string());
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            texts.extend(causes(inner));
        }
        current = cause.source();
    }
    texts
}

/// The issuer the TLS verifier named when the chain ended at one this computer does not trust.
fn find_untrusted_issuer(error: &reqwest::Error) -> Option<&UntrustedIssuer> {
    match find_rustls_error(error)? {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            other.0.downcast_ref()
        }
        _ => None,
    }
}

/// The rustls error somewhere in the chain; hyper wraps it in an `io::Error`, whose `source()`
/// skips the wrapped error itself, so those are opened explicitly.
pub(super) fn find_rustls_error<'a>(
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
pub(super) fn describe_tls(error: &rustls::Error) -> String {
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
            C::Other(other) => match other.0.downcast_ref::<UntrustedIssuer>() {
                Some(untrusted) => untrusted.to_string(),
                None => format!("invalid certificate: {other:?}"),
            },
            other => format!("invalid certificate: {other:?}"),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            Error::RenewalDue {
                date: "2026-01-01T00:00:00Z".parse().unwrap(),
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
}
