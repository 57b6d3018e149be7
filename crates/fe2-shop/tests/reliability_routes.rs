//! Bad input at the shop's doors: random and malformed JSON bodies for the switch preview, the
//! switch, tickets and checkout. Every answer is either a success or a JSON error of the
//! documented shape with a 4xx status (never 5xx, never a dropped connection), and a refused
//! request leaves the license as it was.
//!
//! 256 cases per route by default; `FE2_FULL_FUZZ=1` runs 2 560.

mod common;

use common::{at, FAQ, TRIAL};
use fe2_license::FixedClock;
use fe2_shop::{DbLocation, RunningShop, ServerConfig};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

const NOW: &str = "2025-07-02T12:00:00Z";

fn config() -> Config {
    let cases = match std::env::var("FE2_FULL_FUZZ").as_deref() {
        Ok("1") => 2_560,
        _ => 256,
    };
    Config {
        cases,
        // A case depends on the shop's state left by the cases before it: no seed file.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The documented status of every error code a body can cause (docs/shop-api.openapi.yaml).
fn documented_status(code: &str) -> Option<u16> {
    Some(match code {
        "bad_request" => 400,
        "payload_too_large" => 413,
        "trial_license"
        | "subscription_not_active"
        | "no_paid_order"
        | "legacy_package"
        | "requires_amobile_pro"
        | "already_active"
        | "email_in_use"
        | "license_exists"
        | "quote_changed" => 409,
        "unknown_item"
        | "invalid_quantity"
        | "no_change"
        | "invalid_email"
        | "unknown_topic"
        | "idempotency_key_reuse" => 422,
        _ => return None,
    })
}

/// One runtime for all cases, so a shop outlives the single request.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// A shop with the demo fixtures and a frozen clock, and a client for it.
struct Door {
    shop: RunningShop,
    http: reqwest::Client,
    /// Answers per status of the route under test (`GET /license` not counted).
    tally: Mutex<BTreeMap<u16, usize>>,
}

impl Door {
    fn open() -> Door {
        let shop = runtime()
            .block_on(fe2_shop::spawn(ServerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                db: DbLocation::Memory,
                fixtures: Some(fe2_shop::demo_fixtures()),
                clock: Arc::new(FixedClock::new(at(NOW))),
                signing_key: fe2_shop::demo_signing_key(),
            }))
            .expect("the shop starts");
        Door {
            shop,
            http: common::http_client(),
            tally: Mutex::new(BTreeMap::new()),
        }
    }

    /// Prints the statuses seen (the figures of docs/reliability.md) and checks that bodies were refused.
    fn report(&self, route: &str) {
        let tally = self.tally.lock().expect("tally").clone();
        let total: usize = tally.values().sum();
        eprintln!("{route}: {total} bodies, answers by status {tally:?}");
        assert!(
            tally.keys().any(|s| (400..500).contains(s)),
            "{route}: nothing refused"
        );
    }

    /// Sends one request; a transport failure (dropped connection) fails the case.
    fn send(
        &self,
        path: &str,
        account: Option<(&str, &str)>,
        body: Option<Vec<u8>>,
        key: Option<String>,
    ) -> Result<(u16, String, Value), TestCaseError> {
        let url = format!("{}{path}", self.shop.api_url());
        let mut request = match body {
            Some(body) => self
                .http
                .post(url)
                .header("Content-Type", "application/json")
                .body(body),
            None => self.http.get(url),
        };
        if let Some((email, password)) = account {
            request = request.basic_auth(email, Some(password));
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        runtime().block_on(async move {
            let response = request
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("transport: {e}")))?;
            let status = response.status().as_u16();
            if path != "/license" {
                *self.tally.lock().expect("tally").entry(status).or_default() += 1;
            }
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let text = response
                .text()
                .await
                .map_err(|e| TestCaseError::fail(format!("transport: {e}")))?;
            let json = serde_json::from_str(&text).unwrap_or(Value::Null);
            Ok((status, content_type, json))
        })
    }

    /// The license as `GET /license` shows it.
    fn license(&self, account: (&str, &str)) -> Result<Value, TestCaseError> {
        let (status, _, license) = self.send("/license", Some(account), None, None)?;
        prop_assert_eq!(status, 200);
        Ok(license)
    }
}

/// Checks an answer: 2xx, or a documented JSON error with a 4xx status. True when refused.
fn check_answer(
    (status, content_type, json): &(u16, String, Value),
) -> Result<bool, TestCaseError> {
    prop_assert!(*status < 500, "server error {status}: {json}");
    if (200..300).contains(status) {
        prop_assert!(json.is_object(), "success without a JSON object: {json}");
        return Ok(false);
    }
    prop_assert!((400..500).contains(status), "status {status}");
    prop_assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let code = json["code"].as_str().unwrap_or_default();
    prop_assert!(json["message"].is_string(), "no message: {json}");
    prop_assert_eq!(json["data"]["status"].as_u64(), Some(u64::from(*status)));
    prop_assert_eq!(
        documented_status(code),
        Some(*status),
        "code {} in {}",
        code,
        json
    );
    Ok(true)
}

// ---------------------------------------------------------------- strategies

/// Any JSON value, with wrong types, huge and odd numbers and long strings among the leaves.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        3 => Just(Value::Null),
        3 => any::<bool>().prop_map(Value::from),
        3 => any::<i64>().prop_map(Value::from),
        3 => any::<u64>().prop_map(Value::from),
        3 => any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        3 => ".{0,40}".prop_map(Value::from),
        1 => (0usize..20_000).prop_map(|n| Value::from("x".repeat(n))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// SKUs: the catalog's, unknown ones, and non-strings.
fn sku() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "fe2-persons", "fe2-amweb", "fe2-amobile-pro", "fe2-am4", "fe2-basis", "fe2-paket-3",
        ])
        .prop_map(Value::from),
        1 => "[a-z0-9-]{0,20}".prop_map(Value::from),
        1 => any_json(),
    ]
}

/// Quantities: in range, negative, enormous, fractional, strings, other types.
fn quantity() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (0u64..60).prop_map(Value::from),
        2 => (0u64..600).prop_map(Value::from),
        1 => (i64::MIN..0).prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => Just(json!(1e300)),
        1 => (-1000.0f64..1000.0).prop_map(Value::from),
        1 => Just(json!(20.5)),
        1 => "[0-9]{1,4}".prop_map(Value::from),
        1 => any_json(),
    ]
}

/// An `items` value: mostly a list of entries (duplicate SKUs arise often), sometimes anything.
fn items() -> impl Strategy<Value = Value> {
    let entry = prop_oneof![
        12 => (sku(), quantity()).prop_map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity})),
        1 => sku().prop_map(|sku| json!({"sku": sku})),
        1 => quantity().prop_map(|quantity| json!({"quantity": quantity})),
        1 => any_json(),
    ];
    prop_oneof![
        8 => proptest::collection::vec(entry.clone(), 1..3).prop_map(Value::from),
        2 => proptest::collection::vec(entry, 0..6).prop_map(Value::from),
        1 => any_json(),
    ]
}

/// E-mail addresses: invalid ones, existing ones, new valid ones.
fn email() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "", "@", "a@", "@b.de", "a b@c.de", "a@b", "a@@b.de", "a@b..de", "<a@b.de>",
            "a@b.de\n", "ä@ß.de", "a@xn--.de", FAQ.0, TRIAL.0, "LEITSTELLE@FF-MUSTERSTADT.DE",
        ])
        .prop_map(Value::from),
        1 => "[a-z]{1,8}@[a-z]{1,8}\\.de".prop_map(Value::from),
        1 => (1usize..400).prop_map(|n| Value::from(format!("{}@b.de", "a".repeat(n)))),
        1 => ".{0,30}".prop_map(Value::from),
        1 => any_json(),
    ]
}

/// Mostly a string (names, messages), sometimes any JSON value.
fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => ".{0,60}".prop_map(Value::from),
        1 => any_json(),
    ]
}

/// Either a random JSON document or bytes that are no JSON at all.
fn raw_or(structured: impl Strategy<Value = Value>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => structured.prop_map(|v| v.to_string().into_bytes()),
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => (65_000usize..70_000).prop_map(|n| format!("{{\"items\":\"{}\"}}", "y".repeat(n)).into_bytes()),
    ]
}

fn switch_body() -> impl Strategy<Value = Value> {
    (
        items(),
        prop_oneof![
            3 => Just(None),
            1 => any_json().prop_map(Some),
            1 => "-?[0-9]{1,6}(\\.[0-9]{0,3})?".prop_map(|s| Some(Value::from(s)))
        ],
        prop_oneof![
            3 => Just(None),
            1 => any_json().prop_map(Some),
            1 => (60usize..70).prop_map(|n| Some(Value::from("r".repeat(n))))
        ],
    )
        .prop_map(|(items, gross, reference)| {
            let mut body = json!({ "items": items });
            if let Some(gross) = gross {
                body["expected_gross"] = gross;
            }
            if let Some(reference) = reference {
                body["reference"] = reference;
            }
            body
        })
}

fn ticket_body() -> impl Strategy<Value = Value> {
    let topic = prop_oneof![
        3 => prop::sample::select(vec![
            "general", "navlog_activation", "license_email_change", "package_change", "",
        ])
        .prop_map(Value::from),
        1 => any_json(),
    ];
    let fields = prop_oneof![
        4 => email().prop_map(|e| json!({ "new_email": e })),
        1 => any_json(),
    ];
    (topic, text(), fields).prop_map(
        |(topic, message, fields)| json!({ "topic": topic, "message": message, "fields": fields }),
    )
}

fn checkout_body() -> impl Strategy<Value = Value> {
    let package = prop_oneof![
        2 => prop::sample::select(vec!["basis", "paket-1", "paket-5", "paket-6", "", "BASIS"])
            .prop_map(Value::from),
        1 => any_json(),
    ];
    (email(), text(), package, items()).prop_map(|(email, name, package, items)| {
        json!({ "email": email, "name": name, "package": package, "items": items })
    })
}

/// A fresh key, a missing one, or one used before (with another body: a reuse).
fn idempotency_key() -> impl Strategy<Value = Option<String>> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    prop_oneof![
        6 => Just(()).prop_map(|()| Some(format!("k-{}", COUNTER.fetch_add(1, Ordering::SeqCst)))),
        1 => Just(None),
        1 => Just(Some("k-0".to_string())),
        1 => (256usize..300).prop_map(|n| Some("z".repeat(n))),
    ]
}

// ---------------------------------------------------------------- properties

/// Sends `body` to an authenticated route and checks the answer and the license after it.
fn probe(door: &Door, path: &str, body: Vec<u8>, key: Option<String>) -> Result<(), TestCaseError> {
    let before = door.license(FAQ)?;
    let answer = door.send(path, Some(FAQ), Some(body), key)?;
    if check_answer(&answer)? {
        prop_assert_eq!(
            &door.license(FAQ)?,
            &before,
            "a refused request changed the license"
        );
    }
    Ok(())
}

#[test]
fn preview_bodies() {
    let door = Door::open();
    proptest!(config(), |(body in raw_or(items().prop_map(|items| json!({ "items": items }))))| {
        probe(&door, "/license/switch/preview", body, None)?;
    });
    door.report("POST /license/switch/preview");
}

#[test]
fn switch_bodies() {
    let door = Door::open();
    proptest!(config(), |(body in raw_or(switch_body()), key in idempotency_key())| {
        probe(&door, "/license/switch", body, key)?;
    });
    door.report("POST /license/switch");
}

#[test]
fn ticket_bodies() {
    let door = Door::open();
    proptest!(config(), |(body in raw_or(ticket_body()), key in idempotency_key())| {
        probe(&door, "/tickets", body, key)?;
    });
    door.report("POST /tickets");
}

#[test]
fn checkout_bodies() {
    let door = Door::open();
    let license = door.license(FAQ).expect("license");
    proptest!(config(), |(body in raw_or(checkout_body()))| {
        let answer = door.send("/checkout", None, Some(body), None)?;
        check_answer(&answer)?;
        // An active paid license is never bought again, whatever the body says.
        prop_assert_eq!(&door.license(FAQ)?, &license);
    });
    door.report("POST /checkout");
}
