//! Starts a shop in-process on loopback and talks to it over real HTTP.
#![allow(dead_code)] // each test binary uses a different part of these helpers

use chrono::{DateTime, Utc};
use fe2_license::FixedClock;
use fe2_shop::{DbLocation, Fixtures, RunningShop, ServerConfig};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

pub const FAQ: (&str, &str) = (
    "leitstelle@ff-musterstadt.de",
    "abcd EFGH 1234 ijkl MNOP 5678",
);
pub const MIXED: (&str, &str) = ("gemischt@ff-lindenau.de", "Mixd Lind enau 2025 Oct0 1x83");
pub const TRIAL: (&str, &str) = ("test@ff-neustadt.de", "Tri4 lNeu stad tEnd s7Da ys00");
pub const LEGACY: (&str, &str) = ("paket3@ff-altdorf.de", "Pk3x Altd 0rf9 Lega cyQ2 w7Zt");
pub const ON_HOLD: (&str, &str) = ("onhold@ff-bergheim.de", "0nHo ldBe rghe im42 Rnwl Due7");
pub const UNPAID: (&str, &str) = ("unbezahlt@ff-ostheim.de", "Unbe zahl tOst heim NoPa id00");
pub const AMOBILE: (&str, &str) = ("amobile@ff-talheim.de", "aMob ileT alhe imPR 0NoN avLg");
pub const NAVLOG: (&str, &str) = ("navlog@ff-waldau.de", "NavL 0gWa ldau Acti veAl rdy1");
pub const CANCELLED: (&str, &str) = ("alt@ff-gestern.de", "Canc elle dLon gAgo ReBu y999");

/// The worked examples' fixtures (absolute dates).
/// A plain HTTP client. Under `cargo test --workspace` reqwest is built with rustls but no
/// crypto provider (the app's client installs ring itself): install it here too.
pub fn http_client() -> reqwest::Client {
    // Fails only when a provider is installed already: keep that one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub fn worked_examples() -> Fixtures {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/worked-examples.json");
    Fixtures::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An RFC 3339 time.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A shop with the worked examples' fixtures and a frozen clock.
pub struct Shop {
    pub running: RunningShop,
    pub clock: Arc<FixedClock>,
    pub http: reqwest::Client,
}

/// One answer: status, headers and the body as JSON (`Null` when it is not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Shop {
    pub async fn start(now: &str) -> Shop {
        Self::start_with(now, DbLocation::Memory, Some(worked_examples())).await
    }

    pub async fn start_with(now: &str, db: DbLocation, fixtures: Option<Fixtures>) -> Shop {
        let clock = Arc::new(FixedClock::new(at(now)));
        let running = fe2_shop::spawn(ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db,
            fixtures,
            clock: clock.clone(),
            signing_key: fe2_shop::demo_signing_key(),
        })
        .await
        .unwrap();
        Shop {
            running,
            clock,
            http: http_client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.api_url())
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        account: Option<(&str, &str)>,
        body: Option<String>,
        key: Option<&str>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, self.url(path));
        if let Some((email, password)) = account {
            request = request.basic_auth(email, Some(password));
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn get(&self, path: &str, account: (&str, &str)) -> Answer {
        self.send("GET", path, Some(account), None, None).await
    }

    pub async fn post(&self, path: &str, account: (&str, &str), body: Value) -> Answer {
        self.send("POST", path, Some(account), Some(body.to_string()), None)
            .await
    }

    pub async fn post_keyed(
        &self,
        path: &str,
        account: (&str, &str),
        body: Value,
        key: &str,
    ) -> Answer {
        self.send(
            "POST",
            path,
            Some(account),
            Some(body.to_string()),
            Some(key),
        )
        .await
    }
}

/// Asserts a Shop API error: status, code, and `data.status`.
#[track_caller]
pub fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(
        (answer.status, answer.json["code"].as_str()),
        (status, Some(code)),
        "answer: {}",
        answer.text
    );
    assert_eq!(
        answer.json["data"]["status"], status,
        "answer: {}",
        answer.text
    );
    assert!(
        answer.json["message"].is_string(),
        "answer: {}",
        answer.text
    );
    let content_type = answer.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
}
