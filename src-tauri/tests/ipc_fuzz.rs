//! Bad input at every door of the app (docs/reliability.md): every command of [`COMMANDS`] gets
//! random and malformed arguments through Tauri's IPC on the mock runtime: wrong types, missing
//! and extra fields, 1 MiB and empty strings, quantities such as `i64::MIN`, `u64::MAX`, `1e308`,
//! `"12"`, `3.5` and `null`, invalid e-mails (unicode, control characters, 10 000 characters),
//! invalid URLs and random JSON. Each answer must be a typed error (our
//! `{code, class, message, details}` with a code of `fe2_license::Error` and its class, or Tauri's
//! own "invalid args" string that the UI maps to `bad_request`), never a panic or a missing
//! answer, and nothing may be written: every file below the data home (path and bytes) and the
//! secret store are compared before and after each case. The commands that need an account run
//! a second time with one signed in against the reference shop on loopback, so that quantities,
//! topics and keys reach the shop's validation.
//!
//! No network beyond 127.0.0.1: the only argument the core connects to is `add_account`'s
//! `shopUrl`, and a guard lets through only URLs the client refuses before connecting or the
//! loopback shop and a closed loopback port. The mock app has no browser opener,
//! so `open_link` and `support_fallback` cannot open a browser (asserted below).
//!
//! 256 cases per command and mode; `FE2_FULL_FUZZ=1` runs 2 560.

mod common;

use common::{harness_with, request, snapshot, Harness, EMAIL, PASSWORD};
use fe2_license::client::{check_shop_url, ClientOptions};
use fe2_license::config::Settings;
use fe2_license::secrets::{MemorySecretStore, Secret, SecretStore};
use fe2_license::service::ServiceOptions;
use fe2_license::{ErrorClass, ErrorCode};
use fe2_license_manager::{builder, AppState, COMMANDS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Once};
use std::time::Duration;
use tauri::ipc::{InvokeError, InvokeResponse};
use tauri::test::MockRuntime;
use tauri::{Manager, WebviewWindow};

/// The largest error the UI should get: our errors quote at most a short prefix of the input.
const MAX_ERROR_BYTES: usize = 4096;
/// One mebibyte: the "huge string" of the brief.
const MIB: usize = 1 << 20;
/// The longest a command may take before its missing answer counts as a hang.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);
/// Every catalog SKU of the demo fixtures plus near misses.
const SKUS: &[&str] = &[
    "fe2-basis",
    "fe2-persons",
    "fe2-amweb",
    "fe2-amobile-pro",
    "fe2-am4",
    "fe2-paket-3",
    "fe2-navlog",
    "FE2-PERSONS",
    " fe2-persons",
    "fe2-persons\u{0}",
];
/// The ticket topics the core and the shop know.
const TOPICS: &[&str] = &[
    "general",
    "navlog_activation",
    "license_email_change",
    "package_change",
];
/// The link targets of docs/ipc.md.
const TARGETS: &[&str] = &[
    "subscriptions",
    "subscription",
    "order",
    "account",
    "support",
    "buy",
];

/// Cases per command and mode: 256, or 2 560 with `FE2_FULL_FUZZ=1`.
fn cases() -> u32 {
    match std::env::var("FE2_FULL_FUZZ").as_deref() {
        Ok("1") => 2_560,
        _ => 256,
    }
}

// --- panics anywhere in the process ---

/// Panics seen on threads that are not test threads (Tauri's async runtime, blocking pool).
static RUNTIME_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics on runtime threads; a test thread's own panic fails its test anyway, and the
/// test harness names test threads after the test path (`module::test`).
fn watch_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().map(str::to_string);
            if !name.is_some_and(|n| n.contains("::")) {
                RUNTIME_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

// --- what a case may change ---

/// A secret store that counts every write and delete.
#[derive(Default)]
struct WatchedSecrets {
    inner: MemorySecretStore,
    changes: AtomicUsize,
}

impl SecretStore for WatchedSecrets {
    fn get(&self, user: &str) -> fe2_license::Result<Secret> {
        self.inner.get(user)
    }

    fn set(&self, user: &str, secret: &Secret) -> fe2_license::Result<()> {
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.inner.set(user, secret)
    }

    fn delete(&self, user: &str) -> fe2_license::Result<()> {
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(user)
    }
}

// --- calling a command ---

/// What came back from one command.
#[derive(Debug)]
enum Answer {
    Ok(Value),
    Err(Value),
    /// No answer: the responder was dropped (a panic in the command) or it hung.
    Missing(String),
}

/// Invokes like the page would, but never waits forever and notices a dropped responder.
fn call(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Answer {
    let (sender, answers) = mpsc::sync_channel(1);
    let webview: &tauri::Webview<MockRuntime> = window.as_ref();
    webview.clone().on_message(
        request(cmd, args),
        Box::new(move |_webview, _cmd, response, _callback, _error| {
            let _ = sender.send(response);
        }),
    );
    match answers.recv_timeout(ANSWER_WITHIN) {
        Ok(InvokeResponse::Ok(body)) => match body.deserialize::<Value>() {
            Ok(value) => Answer::Ok(value),
            Err(e) => Answer::Missing(format!("an answer that is not JSON: {e}")),
        },
        Ok(InvokeResponse::Err(InvokeError(value))) => Answer::Err(value),
        Err(e) => Answer::Missing(e.to_string()),
    }
}

/// The stable codes of `fe2_license::Error::code()`, from the type.
fn known_codes() -> BTreeSet<String> {
    ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_string())
        .collect()
}

/// How a refusal arrived.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
enum Refusal {
    /// Our `{code, message, details}` with this code.
    Typed(String),
    /// Tauri refused an argument before the command ran.
    InvalidArgs,
}

/// Checks the shape of an error answer.
fn classify(cmd: &str, error: &Value, codes: &BTreeSet<String>) -> Result<Refusal, String> {
    match error {
        Value::Object(fields) => {
            let keys: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
            if keys != BTreeSet::from(["code", "class", "message", "details"]) {
                return Err(format!("not {{code, class, message, details}}: {error}"));
            }
            let code = error["code"].as_str().unwrap_or_default();
            if !codes.contains(code) {
                return Err(format!("unknown code {code:?}"));
            }
            if error["class"] != serde_json::to_value(ErrorClass::of(code)).unwrap_or_default() {
                return Err(format!("not the class of {code:?}: {error}"));
            }
            if error["message"].as_str().is_none_or(str::is_empty) {
                return Err(format!("no message: {error}"));
            }
            if !error["details"].is_object() {
                return Err(format!("details not an object: {error}"));
            }
            if error.to_string().len() > MAX_ERROR_BYTES {
                return Err(format!(
                    "an error of {} bytes: {}",
                    error.to_string().len(),
                    clip(&error.to_string())
                ));
            }
            Ok(Refusal::Typed(code.to_string()))
        }
        // Tauri's `Error::InvalidArgs` ("invalid args `x` for command `y`: ..."), which
        // ui/src/lib/backend.ts turns into `bad_request`.
        Value::String(text)
            if text.starts_with("invalid args `")
                && text.contains(&format!("` for command `{cmd}`: ")) =>
        {
            Ok(Refusal::InvalidArgs)
        }
        other => Err(format!("an untyped error: {}", clip(&other.to_string()))),
    }
}

fn clip(text: &str) -> String {
    text.chars().take(300).collect()
}

/// True when the case points the app somewhere else than the running shop's API (only
/// `add_account` can): then an offline code is the right answer, otherwise it misleads.
fn leaves_the_shop(cmd: &str, args: &Value, shop_base: &str) -> bool {
    cmd == "add_account"
        && args["shopUrl"]
            .as_str()
            .and_then(|url| check_shop_url(url).ok())
            .is_none_or(|url| url.as_str().trim_end_matches('/') != shop_base)
}

// --- generators ---

/// A string of 1 MiB made of one repeated character.
fn huge_string() -> impl Strategy<Value = String> {
    prop::sample::select(vec!['a', 'ä', '\u{0}', '😀', '"'])
        .prop_map(|c| c.to_string().repeat(MIB / c.len_utf8()))
}

/// Empty, blank, control characters, unicode, path tricks, 10 000 and 1 MiB characters.
fn odd_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "", " ", "\u{0}", "\n", "null", "undefined", "../../../etc/passwd", "\u{202e}evil",
            "%00%2e%2e/", "<script>alert(1)</script>", "'; DROP TABLE licenses; --", "\u{feff}",
        ])
        .prop_map(str::to_string),
        2 => "[\\x00-\\x1f\\x7f]{1,16}",
        3 => "\\PC{0,40}",
        3 => ".{0,40}",
        1 => Just("x".repeat(10_000)),
        1 => huge_string(),
    ]
    .boxed()
}

/// Any JSON value, nested up to three levels.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Not e-mail addresses, or odd ones: unicode, control characters, 10 000 characters.
fn bad_email() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "", " ", "no-at-sign", "a@", "@b.de", "a@@b.de", "a b@c.de", "a@b", ".a@b.de",
            "a..b@c.de", "a@-b.de", "a@b..de", "\"a\"@b.de", "a\u{0}b@c.de", "a\tb@c.de",
            "a@b\u{7}.de", "müller@öl.de", "ü@例え.テスト", "\u{202e}@x.de", "😀@😀.de",
            "leitstelle@ff-musterstadt.de.", "leitstelle@ff-musterstadt", "a@b.de\u{0}",
        ])
        .prop_map(Value::from),
        1 => Just(Value::from(format!("{}@b.de", "a".repeat(10_000)))),
        1 => Just(Value::from(format!("a@{}.de", "b".repeat(10_000)))),
        2 => "[\\x00-\\x1f]{0,4}@[\\x00-\\x1f]{0,4}".prop_map(Value::from),
        3 => "\\PC{0,20}@\\PC{0,20}".prop_map(Value::from),
        2 => odd_string().prop_map(Value::from),
    ]
    .boxed()
}

/// Well-formed addresses of no configured account.
fn unknown_email() -> impl Strategy<Value = Value> {
    "[a-z]{1,12}@[a-z]{1,12}\\.(de|com|example)".prop_map(Value::from)
}

/// An `email` argument for a data home without accounts.
fn email_arg() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => bad_email(),
        2 => unknown_email(),
        1 => Just(Value::from(EMAIL)),
    ]
    .boxed()
}

/// The signed-in account in several spellings, or a bad address.
fn account_email() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => prop::sample::select(vec![
            EMAIL, " Leitstelle@FF-Musterstadt.DE ", "LEITSTELLE@ff-musterstadt.de",
        ])
        .prop_map(Value::from),
        1 => bad_email(),
        1 => unknown_email(),
    ]
    .boxed()
}

/// Shop URLs that the client refuses before connecting, plus the loopback shop and a closed
/// loopback port; never an https URL to a host that would need DNS.
fn shop_url(shop: u16, closed: u16) -> BoxedStrategy<Value> {
    let fixed = vec![
        String::new(),
        " ".into(),
        "javascript:alert(1)".into(),
        "file:///etc/passwd".into(),
        "data:text/html,<b>x</b>".into(),
        "ftp://127.0.0.1/".into(),
        "mailto:a@b.de".into(),
        "http://example.com/".into(),
        "http://www.alamos-gmbh.com".into(),
        "http://10.0.0.1:8080/".into(),
        "http://192.168.1.1/".into(),
        "http://0.0.0.0/".into(),
        "http://[2001:db8::1]/".into(),
        "http://".into(),
        "https://".into(),
        "://".into(),
        "http:///x".into(),
        "http://:80".into(),
        "http://127.0.0.1:99999/".into(),
        "http://[::1".into(),
        "https://user:pw@127.0.0.1/".into(),
        format!("http://user@127.0.0.1:{shop}/"),
        format!("http://127.0.0.1:{shop}@example.com/"),
        format!("http://127.0.0.1:{closed}/"),
        format!("https://127.0.0.1:{closed}/"),
        format!("http://localhost:{closed}"),
        format!("http://[::1]:{closed}/"),
        format!("HTTP://127.0.0.1:{closed}"),
        format!(" http://127.0.0.1:{closed}/ "),
        format!("http://127.1:{closed}/"),
        format!("http://127.0.0.1:{shop}"),
        format!("http://127.0.0.1:{shop}/wp-json/"),
    ];
    prop_oneof![
        3 => Just(Value::from(format!("http://127.0.0.1:{shop}"))),
        2 => Just(Value::from(format!("http://127.0.0.1:{closed}/"))),
        6 => prop::sample::select(fixed).prop_map(Value::from),
        2 => "http://[a-z0-9.-]{1,30}(:[0-9]{1,5})?/?".prop_map(Value::from),
        2 => "(javascript|file|data|vbscript|ws|chrome):\\PC{0,30}".prop_map(Value::from),
        1 => Just(Value::from(format!("http://127.0.0.1:{shop}/{}", "a".repeat(10_000)))),
        2 => odd_string().prop_map(Value::from),
    ]
    .boxed()
}

/// True when the core would refuse `url` before connecting, or would connect to one of `ports`
/// on loopback: the guard that keeps every case off the network.
fn stays_on_loopback(url: &Value, ports: &[u16]) -> bool {
    let Some(url) = url.as_str() else {
        return true;
    };
    match check_shop_url(url) {
        Err(_) => true,
        Ok(parsed) => {
            matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
                && parsed
                    .port_or_known_default()
                    .is_some_and(|p| ports.contains(&p))
        }
    }
}

/// Quantities that are negative, enormous, fractional, strings, null, or plausible.
fn quantity() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => prop::sample::select(vec![
            json!(i64::MIN), json!(i64::MAX), json!(u64::MAX), json!(-1), json!(0), json!(1e308),
            json!(-1e308), json!(3.5), json!("12"), Value::Null, json!(true), json!([]), json!({}),
            json!(1e-300), json!(501), json!(51), json!(9_007_199_254_740_993_u64), json!(-0.0),
            json!(20), json!(21), json!("twelve"), json!(""), json!(12.0),
        ]),
        2 => any::<i64>().prop_map(Value::from),
        2 => (0u32..600).prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
    ]
    .boxed()
}

/// Catalog SKUs, near misses and odd strings.
fn sku() -> BoxedStrategy<Value> {
    prop_oneof![
        5 => prop::sample::select(SKUS).prop_map(Value::from),
        1 => "fe2-[a-z-]{0,10}".prop_map(Value::from),
        1 => odd_string().prop_map(Value::from),
    ]
    .boxed()
}

/// One requested item, well-formed or not.
fn item() -> BoxedStrategy<Value> {
    prop_oneof![
        30 => (sku(), quantity()).prop_map(|(sku, q)| json!({ "sku": sku, "quantity": q })),
        1 => quantity().prop_map(|q| json!({ "quantity": q })),
        1 => sku().prop_map(|sku| json!({ "sku": sku })),
        1 => (sku(), quantity(), any_json())
            .prop_map(|(sku, q, extra)| json!({ "sku": sku, "quantity": q, "extra": extra })),
        1 => any_json(),
    ]
    .boxed()
}

/// Lists of items: empty, short, duplicates, 1 000 entries, or not a list.
fn items() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => prop::collection::vec(item(), 0..5).prop_map(Value::Array),
        1 => (sku(), quantity()).prop_map(|(sku, q)| {
            let one = json!({ "sku": sku, "quantity": q });
            Value::Array(vec![one.clone(), one])
        }),
        1 => Just(Value::Array(vec![json!({ "sku": "fe2-persons", "quantity": 21 }); 1_000])),
        1 => any_json(),
    ]
    .boxed()
}

/// Expected gross amounts: malformed, negative, enormous, numbers instead of strings.
fn gross() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => prop::sample::select(vec![
            json!("0"), json!("-1"), json!("1e308"), json!("abc"), json!(""), json!(" 1.00"),
            json!("1,00"), json!("NaN"), json!("79228162514264337593543950336"), json!("0.001"),
            json!(1e308), json!(i64::MIN), json!(u64::MAX), json!(3.5), Value::Null,
            json!("12"), json!(12),
        ]),
        8 => "-?[0-9]{1,5}\\.[0-9]{2}".prop_map(Value::from),
        2 => "-?[0-9]{1,30}(\\.[0-9]{0,30})?".prop_map(Value::from),
    ]
    .boxed()
}

/// Idempotency keys and ids: empty, UUID-like, odd, long.
fn key() -> BoxedStrategy<Value> {
    prop_oneof![
        2 => "[0-9a-f-]{36}".prop_map(Value::from),
        2 => odd_string().prop_map(Value::from),
        1 => ".{200,300}".prop_map(Value::from),
        1 => "[0-9]{1,20}".prop_map(Value::from),
        1 => prop::sample::select(vec![".", "..", "sc_1"]).prop_map(Value::from),
        1 => Just(Value::from("k".repeat(256))),
    ]
    .boxed()
}

/// Ticket topics, known or not.
fn topic() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => prop::sample::select(TOPICS).prop_map(Value::from),
        1 => Just(Value::from("GENERAL")),
        2 => odd_string().prop_map(Value::from),
    ]
    .boxed()
}

/// A ticket's `fields`: random JSON or fields with bad values.
fn ticket_fields() -> BoxedStrategy<Value> {
    prop_oneof![
        2 => any_json(),
        1 => bad_email().prop_map(|e| json!({ "new_email": e })),
        1 => odd_string().prop_map(|s| json!({ "package": s, "note": s })),
    ]
    .boxed()
}

/// Link targets, known or not.
fn target() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => prop::sample::select(TARGETS).prop_map(Value::from),
        1 => prop::sample::select(vec!["Subscriptions", "ORDER", "file", "javascript"])
            .prop_map(Value::from),
        1 => odd_string().prop_map(Value::from),
    ]
    .boxed()
}

/// Budget years: none, in range, out of range, negative, enormous, fractional, strings.
fn budget_year() -> BoxedStrategy<Value> {
    prop_oneof![
        2 => Just(Value::Null),
        3 => (2000i32..=2100).prop_map(Value::from),
        2 => prop::sample::select(vec![
            json!(1999), json!(2101), json!(-1), json!(0), json!(i64::MIN), json!(u64::MAX),
            json!(1e308), json!(2026.5), json!("2026"), json!(true),
        ]),
    ]
    .boxed()
}

/// Link ids: valid, negative, enormous, fractional, strings.
fn link_id() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => prop::sample::select(vec![
            Value::Null, json!(-1), json!(i64::MIN), json!(u64::MAX), json!(1e308), json!("12"),
            json!(3.5), json!(true), json!(0),
        ]),
        1 => any::<u64>().prop_map(Value::from),
    ]
    .boxed()
}

/// Settings with bad or missing fields.
/// The fields of docs/ipc.md `Settings`.
const SETTINGS_FIELDS: [&str; 7] = [
    "language",
    "warning_days",
    "critical_days",
    "notifications",
    "autostart",
    "renewal_reminder_days",
    "proxy",
];

fn settings() -> BoxedStrategy<Value> {
    let days = || {
        prop_oneof![
            3 => prop::sample::select(vec![
                json!(i64::MIN), json!(i64::MAX), json!(u64::MAX), json!(-1), json!(0), json!(367),
                json!(1e308), json!(3.5), json!("12"), Value::Null, json!(14), json!(30),
                json!(366),
            ]),
            2 => (-10i64..400).prop_map(Value::from),
        ]
    };
    let language = prop_oneof![
        3 => prop::sample::select(vec![json!("de"), json!("en"), json!("fr"), json!("DE"),
            json!(""), Value::Null, json!(1)]),
        1 => odd_string().prop_map(Value::from),
    ];
    let flag = || prop_oneof![3 => any::<bool>().prop_map(Value::from), 1 => any_json()];
    // The proxy setting: the three valid forms, and URLs the core refuses (a login in it,
    // another scheme, no host).
    let proxy = prop_oneof![
        3 => prop::sample::select(vec![json!("system"), json!("none"),
            json!("http://proxy.stadt.de:3128"), json!("http://u:geheim@proxy:1"),
            json!("ftp://proxy:21"), json!("http://"), json!(""), Value::Null, json!(1)]),
        1 => odd_string().prop_map(Value::from),
    ];
    let field = |s: BoxedStrategy<Value>| prop::option::weighted(0.85, s);
    let object = (
        field(language.boxed()),
        field(days().boxed()),
        field(days().boxed()),
        field(flag().boxed()),
        field(flag().boxed()),
        field(days().boxed()),
        field(proxy.boxed()),
    )
        .prop_map(
            |(language, warning, critical, notifications, autostart, reminder, proxy)| {
                let mut object = Map::new();
                let values = [
                    language,
                    warning,
                    critical,
                    notifications,
                    autostart,
                    reminder,
                    proxy,
                ];
                for (name, value) in SETTINGS_FIELDS.into_iter().zip(values) {
                    if let Some(value) = value {
                        object.insert(name.into(), value);
                    }
                }
                Value::Object(object)
            },
        );
    // Whole valid objects are rare among the random ones: give them their own share.
    let valid = (
        prop::sample::select(vec!["de", "en"]),
        (0i64..=366).prop_flat_map(|warning| (Just(warning), 0..=warning)),
        any::<bool>(),
        any::<bool>(),
        0i64..=366,
        prop::sample::select(vec!["system", "none", "http://proxy.stadt.de:3128"]),
    )
        .prop_map(
            |(language, (warning, critical), notifications, autostart, reminder, proxy)| {
                json!({
                    "language": language,
                    "warning_days": warning,
                    "critical_days": critical,
                    "notifications": notifications,
                    "autostart": autostart,
                    "renewal_reminder_days": reminder,
                    "proxy": proxy,
                })
            },
        );
    // Whole objects with one value out of range: the core's validation, not serde, refuses them.
    let out_of_range = (
        valid.clone(),
        prop::sample::select(vec![
            ("renewal_reminder_days", json!(-1)),
            ("renewal_reminder_days", json!(367)),
            ("warning_days", json!(367)),
            ("critical_days", json!(-1)),
        ]),
    )
        .prop_map(|(mut settings, (field, value))| {
            settings[field] = value;
            settings
        });
    prop_oneof![4 => object, 1 => valid, 1 => out_of_range, 1 => any_json()].boxed()
}

/// Fields nobody asked for: snake_case spellings of real names, prototype keys, random keys.
fn extras() -> BoxedStrategy<Vec<(String, Value)>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "shop_url",
            "expected_gross",
            "idempotency_key",
            "__proto__",
            "constructor",
            "Email",
            "email ",
            "",
        ])
        .prop_map(str::to_string),
        ".{1,12}",
    ];
    prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec((name, any_json()), 1..4),
    ]
    .boxed()
}

/// One argument: missing, of its kind (mostly bad), any JSON (mostly the wrong type), or 1 MiB.
fn arg(name: &'static str, kind: BoxedStrategy<Value>) -> BoxedStrategy<(&'static str, Value)> {
    prop_oneof![
        1 => Just(Value::from(MISSING)),
        24 => kind,
        3 => any_json(),
        1 => huge_string().prop_map(Value::from),
    ]
    .prop_map(move |value| (name, value))
    .boxed()
}

/// Marks an argument left out (a string no generator makes).
const MISSING: &str = "\u{1}\u{2}missing\u{3}";

/// The arguments object of a command, or (rarely) a body that is not an object at all.
fn args(slots: Vec<BoxedStrategy<(&'static str, Value)>>) -> BoxedStrategy<Value> {
    let object = (slots, extras()).prop_map(|(slots, extras)| {
        let mut object = Map::new();
        for (name, value) in slots {
            if value != MISSING {
                object.insert(name.into(), value);
            }
        }
        for (name, value) in extras {
            object.entry(name).or_insert(value);
        }
        Value::Object(object)
    });
    prop_oneof![12 => object, 1 => any_json()].boxed()
}

// --- the doors ---

/// Whether a data home has an account signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No account: everything that needs one is `unknown_account`.
    NoAccount,
    /// The demo customer signed in against the loopback shop, its catalog cached.
    SignedIn,
}

/// When a command may succeed on fuzzed input (and then still write nothing, except settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MayAnswer {
    /// Only refusals are right.
    RefusalOnly,
    /// A success is fine too (reads, previews, estimates, tickets on the shop).
    Anything,
    /// A success saves exactly the settings file.
    SavesSettings,
    /// A success saves the account's default reference: its account file, its view's field.
    SavesReference,
}

/// Takes the audit log's files out of a snapshot: an action appends to them (checked apart by
/// [`check_appended`]), and the lock file is only ever created.
fn take_audit_log(files: &mut BTreeMap<PathBuf, Option<Vec<u8>>>, data: &Path) -> Vec<u8> {
    files.remove(&data.join("audit-log.lock"));
    files.remove(data);
    files
        .remove(&data.join(fe2_license::audit::LOG_FILE))
        .flatten()
        .unwrap_or_default()
}

/// The audit log only grew, by whole lines that keep the chain, and names no password.
fn check_appended(
    before: &[u8],
    after: &[u8],
    data: &Path,
    cmd: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(after.starts_with(before), "{} rewrote the audit log", cmd);
    prop_assert!(
        after.is_empty() || after.ends_with(b"\n"),
        "{} left a torn line",
        cmd
    );
    let log = fe2_license::audit::read(data).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        log.problems.is_empty(),
        "{} broke the chain: {:?}",
        cmd,
        log.problems
    );
    let added = String::from_utf8_lossy(&after[before.len()..]).to_lowercase();
    prop_assert!(
        !added.contains(&PASSWORD.to_lowercase()),
        "{} logged the password",
        cmd
    );
    Ok(())
}

/// The views without their default reference, to compare what else changed.
fn without_reference(views: &Answer) -> String {
    match views {
        Answer::Ok(Value::Array(views)) => {
            let stripped: Vec<Value> = views
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    if let Some(fields) = v.as_object_mut() {
                        fields.remove("default_reference");
                    }
                    v
                })
                .collect();
            format!("{stripped:?}")
        }
        other => format!("{other:?}"),
    }
}

/// The generator and the success rule of `cmd`.
fn door(cmd: &str, mode: Mode, shop: u16, closed: u16) -> (BoxedStrategy<Value>, MayAnswer) {
    use MayAnswer::*;
    let deep_email = || match mode {
        Mode::NoAccount => email_arg(),
        Mode::SignedIn => account_email(),
    };
    // Commands with only an e-mail never get the account's: that would refresh or remove it.
    let other_email = || match mode {
        Mode::NoAccount => email_arg(),
        Mode::SignedIn => prop_oneof![3 => bad_email(), 1 => unknown_email()].boxed(),
    };
    match cmd {
        "app_info" | "list_licenses" | "refresh_all" | "get_settings" | "audit_log"
        | "export_calendar" => (args(vec![]), Anything),
        "refresh" | "remove_account" | "license_details" | "get_catalog" => {
            (args(vec![arg("email", other_email())]), RefusalOnly)
        }
        "add_account" => {
            let email = match mode {
                Mode::NoAccount => prop_oneof![3 => bad_email(), 1 => unknown_email(),
                    2 => Just(Value::from(EMAIL))]
                .boxed(),
                Mode::SignedIn => prop_oneof![2 => account_email(),
                    1 => Just(Value::from("paket3@ff-altdorf.de"))]
                .boxed(),
            };
            let password = prop_oneof![
                3 => odd_string().prop_map(Value::from),
                1 => Just(Value::from(PASSWORD.to_lowercase())),
            ]
            .boxed();
            let body = args(vec![
                arg("shopUrl", shop_url(shop, closed)),
                arg("email", email),
                arg("password", password),
            ]);
            (
                body.prop_filter("stays on loopback", move |a| {
                    stays_on_loopback(&a["shopUrl"], &[shop, closed])
                })
                .boxed(),
                RefusalOnly,
            )
        }
        "estimate" | "preview" => (
            args(vec![arg("email", deep_email()), arg("items", items())]),
            Anything,
        ),
        "switch_quantities" => (
            args(vec![
                arg("email", deep_email()),
                arg("items", items()),
                arg("expectedGross", gross()),
                arg(
                    "reference",
                    prop_oneof![Just(Value::Null), odd_string().prop_map(Value::from)].boxed(),
                ),
                arg("idempotencyKey", key()),
            ]),
            RefusalOnly,
        ),
        "cancel_scheduled_change" => (
            args(vec![arg("email", deep_email()), arg("id", key())]),
            RefusalOnly,
        ),
        "create_ticket" => (
            args(vec![
                arg("email", deep_email()),
                arg("topic", topic()),
                arg("message", odd_string().prop_map(Value::from).boxed()),
                arg("fields", ticket_fields()),
                arg("idempotencyKey", key()),
            ]),
            Anything,
        ),
        "support_fallback" => (
            args(vec![arg("email", deep_email()), arg("topic", topic())]),
            RefusalOnly,
        ),
        "open_link" => (
            args(vec![
                arg("email", deep_email()),
                arg("target", target()),
                arg("id", link_id()),
            ]),
            RefusalOnly,
        ),
        "set_settings" => (args(vec![arg("settings", settings())]), SavesSettings),
        // An account's doctor walks the loopback shop; an unknown one is a failed check.
        "run_doctor" => {
            let email = match mode {
                Mode::NoAccount => prop_oneof![3 => unknown_email().boxed(),
                    1 => Just(Value::from(EMAIL)).boxed(), 1 => Just(json!(42)).boxed()]
                .boxed(),
                Mode::SignedIn => account_email(),
            };
            (args(vec![arg("email", email)]), Anything)
        }
        "budget" => (args(vec![arg("year", budget_year())]), Anything),
        "set_default_reference" => (
            args(vec![
                arg("email", deep_email()),
                arg(
                    "reference",
                    prop_oneof![
                        Just(Value::Null),
                        Just(Value::from("04011000-1234512345-06")),
                        Just(Value::from("04011000-1234512345-07")),
                        odd_string().prop_map(Value::from),
                    ]
                    .boxed(),
                ),
            ]),
            SavesReference,
        ),
        other => panic!("no generator for command {other}: add one"),
    }
}

/// What one command answered over all cases.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    refusals: BTreeMap<Refusal, usize>,
}

impl Tally {
    fn typed(&self, code: &str) -> usize {
        self.refusals
            .get(&Refusal::Typed(code.into()))
            .copied()
            .unwrap_or(0)
    }

    fn invalid_args(&self) -> usize {
        self.refusals
            .get(&Refusal::InvalidArgs)
            .copied()
            .unwrap_or(0)
    }
}

/// A harness in `mode`: no retries and short timeouts (every connection is loopback).
fn fuzz_harness(mode: Mode) -> (Harness, Arc<WatchedSecrets>) {
    let secrets = Arc::new(WatchedSecrets::default());
    let options = ServiceOptions {
        client: ClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(20),
            retry_backoff: Vec::new(),
            ..ClientOptions::default()
        },
        ..ServiceOptions::default()
    };
    let h = harness_with(secrets.clone(), options);
    // Without the app's browser opener no case can open a browser (nor touch the clipboard).
    assert!(h
        .app
        .try_state::<fe2_license_manager::BrowserOpener>()
        .is_none());
    if mode == Mode::SignedIn {
        let added = call(
            &h.main,
            "add_account",
            json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": PASSWORD }),
        );
        assert!(matches!(added, Answer::Ok(_)), "add_account: {added:?}");
        // A cached catalog: `estimate` then never fetches (and writes) one.
        let catalog = call(&h.main, "get_catalog", json!({ "email": EMAIL }));
        assert!(matches!(catalog, Answer::Ok(_)), "get_catalog: {catalog:?}");
    }
    (h, secrets)
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Runs the cases of one command and returns what it answered.
fn fuzz(cmd: &str, mode: Mode) -> Tally {
    watch_panics();
    let (h, secrets) = fuzz_harness(mode);
    let closed = closed_port();
    let (strategy, may_answer) = door(cmd, mode, h.shop.addr.port(), closed);
    let codes = known_codes();
    let settings_file = h
        .app
        .state::<AppState>()
        .service
        .home()
        .settings_file()
        .to_path_buf();
    let shop_base = h.shop.base_url();
    let data_dir = h
        .app
        .state::<AppState>()
        .service
        .home()
        .data_dir()
        .to_path_buf();
    let accounts_dir = settings_file
        .parent()
        .unwrap_or(Path::new("/"))
        .join("accounts");
    let tally = Mutex::new(Tally::default());
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        // A case depends on the state the cases before left in the shop: no seed file.
        failure_persistence: None,
        max_global_rejects: cases() * 4,
        ..Config::default()
    });
    let result = runner.run(&strategy, |args| {
        let mut files = snapshot(h.home.path());
        let log_before = take_audit_log(&mut files, &data_dir);
        let secret_changes = secrets.changes.load(Ordering::SeqCst);
        let views = call(&h.main, "list_licenses", json!({}));
        let panics = RUNTIME_PANICS.load(Ordering::SeqCst);

        let answer = call(&h.main, cmd, args.clone());

        prop_assert_eq!(
            RUNTIME_PANICS.load(Ordering::SeqCst),
            panics,
            "a runtime thread panicked while {} ran (or another test's command did)",
            cmd
        );
        let mut saved_settings = None;
        let mut saved_reference = false;
        match &answer {
            Answer::Missing(why) => {
                return Err(TestCaseError::fail(format!("{cmd}: no answer ({why})")));
            }
            Answer::Err(error) => {
                let refusal = classify(cmd, error, &codes).map_err(TestCaseError::fail)?;
                if let Refusal::Typed(code) = &refusal {
                    prop_assert!(
                        !ErrorClass::of(code).is_offline()
                            || leaves_the_shop(cmd, &args, &shop_base),
                        "{} answered {} although the shop is up: {} for {}",
                        cmd,
                        code,
                        clip(&error.to_string()),
                        clip(&args.to_string())
                    );
                }
                let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                *tally.refusals.entry(refusal).or_default() += 1;
            }
            Answer::Ok(value) => {
                prop_assert!(
                    may_answer != MayAnswer::RefusalOnly,
                    "{} accepted {}: {}",
                    cmd,
                    clip(&args.to_string()),
                    clip(&value.to_string())
                );
                if may_answer == MayAnswer::SavesSettings {
                    // A partial object is refused, never completed with defaults.
                    let whole = args["settings"].as_object().is_some_and(|given| {
                        SETTINGS_FIELDS
                            .iter()
                            .all(|field| given.contains_key(*field))
                    });
                    prop_assert!(whole, "saved partial settings {}", clip(&args.to_string()));
                    saved_settings = Some(value.clone());
                }
                saved_reference = may_answer == MayAnswer::SavesReference;
                tally.lock().unwrap_or_else(|p| p.into_inner()).ok += 1;
            }
        }

        let mut after = snapshot(h.home.path());
        let log_after = take_audit_log(&mut after, &data_dir);
        check_appended(&log_before, &log_after, &data_dir, cmd)?;
        if saved_reference {
            // The one write besides the log: the account's own file.
            after.retain(|path, _| !path.starts_with(&accounts_dir));
            files.retain(|path, _| !path.starts_with(&accounts_dir));
        }
        if let Some(saved) = saved_settings {
            // The one write a success may make: exactly the returned settings.
            let written = after
                .remove(&settings_file)
                .flatten()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
            prop_assert_eq!(written.as_ref(), Some(&saved), "settings file vs answer");
            let valid = serde_json::from_value::<Settings>(saved.clone()).map(|s| s.validate());
            prop_assert!(
                matches!(valid, Ok(Ok(()))),
                "saved invalid settings {}",
                saved
            );
            after.remove(settings_file.parent().unwrap_or(Path::new("/")));
            let mut before = files;
            before.remove(&settings_file);
            before.remove(settings_file.parent().unwrap_or(Path::new("/")));
            prop_assert!(before == after, "{} wrote more than the settings", cmd);
        } else {
            // The calendar is the one file export_calendar writes (with its directories).
            let exports = h.home.path().join("data").join("exports");
            let calendar = |path: &PathBuf| {
                cmd == "export_calendar"
                    && (path.starts_with(&exports) || exports.starts_with(path))
            };
            let changed: Vec<&PathBuf> = after
                .iter()
                .filter(|(path, _)| !calendar(path))
                .filter(|(path, bytes)| files.get(*path) != Some(*bytes))
                .map(|(path, _)| path)
                .chain(files.keys().filter(|path| !after.contains_key(*path)))
                .collect();
            prop_assert!(
                changed.is_empty(),
                "{} wrote {:?} for {}",
                cmd,
                changed,
                clip(&args.to_string())
            );
        }
        prop_assert_eq!(
            secrets.changes.load(Ordering::SeqCst),
            secret_changes,
            "{} changed the secret store",
            cmd
        );
        let views_after = call(&h.main, "list_licenses", json!({}));
        prop_assert!(
            without_reference(&views) == without_reference(&views_after),
            "{} changed the accounts in memory",
            cmd
        );
        prop_assert!(
            saved_reference || format!("{views:?}") == format!("{views_after:?}"),
            "{} changed a default reference",
            cmd
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{cmd} ({mode:?}): {e}");
    }
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    eprintln!("{cmd} ({mode:?}): {tally:?}");
    tally
}

// --- the tests: every command without an account ---

macro_rules! without_account {
    ($($name:ident => $cmd:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let tally = fuzz($cmd, Mode::NoAccount);
                expect_without_account($cmd, &tally);
            }
        )*

        /// The commands tested here, to compare with [`COMMANDS`].
        const WITHOUT_ACCOUNT: &[&str] = &[$($cmd),*];
    };
}

without_account! {
    no_account_app_info => "app_info",
    no_account_list_licenses => "list_licenses",
    no_account_refresh_all => "refresh_all",
    no_account_refresh => "refresh",
    no_account_add_account => "add_account",
    no_account_remove_account => "remove_account",
    no_account_license_details => "license_details",
    no_account_get_catalog => "get_catalog",
    no_account_estimate => "estimate",
    no_account_preview => "preview",
    no_account_switch_quantities => "switch_quantities",
    no_account_cancel_scheduled_change => "cancel_scheduled_change",
    no_account_create_ticket => "create_ticket",
    no_account_support_fallback => "support_fallback",
    no_account_open_link => "open_link",
    no_account_get_settings => "get_settings",
    no_account_set_settings => "set_settings",
    no_account_budget => "budget",
    no_account_audit_log => "audit_log",
    no_account_set_default_reference => "set_default_reference",
    no_account_export_calendar => "export_calendar",
    no_account_run_doctor => "run_doctor",
}

/// What the answers must include, so that the cases reached the checks they are meant for.
fn expect_without_account(cmd: &str, tally: &Tally) {
    let total = tally.ok + tally.refusals.values().sum::<usize>();
    assert_eq!(total, cases() as usize, "{cmd}: {tally:?}");
    match cmd {
        "app_info" | "list_licenses" | "refresh_all" | "get_settings" | "audit_log"
        | "export_calendar" => {
            assert_eq!(tally.ok, total, "{cmd} takes no arguments: {tally:?}")
        }
        "add_account" => {
            for code in [
                "invalid_email",
                "invalid_url",
                "insecure_url",
                "unreachable",
            ] {
                assert!(tally.typed(code) > 0, "{cmd}: no {code}: {tally:?}");
            }
            assert!(tally.invalid_args() > 0, "{cmd}: {tally:?}");
        }
        "budget" => {
            // No account: an empty year is a fine answer; a year out of range is not.
            assert!(tally.ok > 0, "{cmd}: no valid year: {tally:?}");
            assert!(tally.typed("bad_request") > 0, "{cmd}: {tally:?}");
            assert!(tally.invalid_args() > 0, "{cmd}: {tally:?}");
        }
        "run_doctor" => {
            // An unknown account is a failed check in the answer, not a refusal.
            assert!(tally.ok > 0, "{cmd}: no diagnosis: {tally:?}");
            assert!(tally.invalid_args() > 0, "{cmd}: {tally:?}");
        }
        "set_settings" => {
            assert!(tally.ok > 0, "{cmd}: no valid settings: {tally:?}");
            assert!(tally.typed("bad_request") > 0, "{cmd}: {tally:?}");
            assert!(tally.invalid_args() > 0, "{cmd}: {tally:?}");
        }
        _ => {
            assert!(tally.typed("unknown_account") > 0, "{cmd}: {tally:?}");
            assert!(tally.invalid_args() > 0, "{cmd}: {tally:?}");
        }
    }
}

// --- the commands that need an account, with one signed in ---

macro_rules! signed_in {
    ($($name:ident => $cmd:literal: [$($code:literal),*]),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let tally = fuzz($cmd, Mode::SignedIn);
                assert!(tally.invalid_args() > 0, "{}: {tally:?}", $cmd);
                // `a|b`: at least one of them.
                for codes in [$($code),*] {
                    let seen: usize = codes.split('|').map(|code| tally.typed(code)).sum();
                    assert!(seen > 0, "{}: no {codes}: {tally:?}", $cmd);
                }
            }
        )*

        /// The commands tested here with an account.
        const SIGNED_IN: &[&str] = &[$($cmd),*];
    };
}

signed_in! {
    signed_in_add_account => "add_account": ["account_exists", "invalid_credentials"],
    signed_in_refresh => "refresh": ["unknown_account"],
    signed_in_remove_account => "remove_account": ["unknown_account"],
    signed_in_license_details => "license_details": ["unknown_account"],
    signed_in_get_catalog => "get_catalog": ["unknown_account"],
    signed_in_estimate => "estimate": ["invalid_quantity", "unknown_item"],
    signed_in_preview => "preview": ["invalid_quantity", "unknown_item"],
    signed_in_switch_quantities => "switch_quantities": ["invalid_quantity|unknown_item"],
    signed_in_cancel_scheduled_change => "cancel_scheduled_change": ["not_found"],
    signed_in_create_ticket => "create_ticket": ["unknown_topic"],
    signed_in_support_fallback => "support_fallback": ["unknown_topic", "io"],
    signed_in_open_link => "open_link": ["io", "unknown_account"],
    signed_in_budget => "budget": ["bad_request"],
    signed_in_set_default_reference => "set_default_reference": ["invalid_reference", "unknown_account"],
}

#[test]
fn every_command_is_fuzzed() {
    let listed: BTreeSet<&str> = COMMANDS.iter().copied().collect();
    let fuzzed: BTreeSet<&str> = WITHOUT_ACCOUNT.iter().copied().collect();
    assert_eq!(fuzzed, listed);
    let no_account_needed = [
        "app_info",
        "list_licenses",
        "refresh_all",
        "get_settings",
        "set_settings",
        "audit_log",
        "export_calendar",
        "run_doctor",
    ];
    let with_account: BTreeSet<&str> = SIGNED_IN.iter().copied().collect();
    let need_account: BTreeSet<&str> = listed
        .into_iter()
        .filter(|c| !no_account_needed.contains(c))
        .collect();
    assert_eq!(with_account, need_account);
}

#[test]
fn the_error_codes_are_read_from_the_core() {
    let codes = known_codes();
    for code in [
        "bad_request",
        "unknown_account",
        "invalid_email",
        "account_exists",
    ] {
        assert!(codes.contains(code), "{code} missing from {codes:?}");
    }
    assert!(codes.len() >= 40, "{codes:?}");
    assert_eq!(
        classify("refresh", &json!("boom"), &codes),
        Err("an untyped error: \"boom\"".to_string())
    );
}

#[test]
fn the_loopback_guard_refuses_remote_hosts() {
    let ports = [4000, 4001];
    assert!(stays_on_loopback(&json!("http://127.0.0.1:4000/"), &ports));
    assert!(stays_on_loopback(&json!("http://example.com/"), &ports));
    assert!(stays_on_loopback(&json!("javascript:alert(1)"), &ports));
    assert!(!stays_on_loopback(&json!("https://example.com/"), &ports));
    assert!(!stays_on_loopback(
        &json!("https://127.0.0.1:4002/"),
        &ports
    ));
    assert!(!stays_on_loopback(&json!("http://localhost/"), &ports));
}

#[test]
fn a_wrong_type_arrives_as_the_string_the_ui_maps_to_bad_request() {
    let (h, _) = fuzz_harness(Mode::NoAccount);
    let answer = call(&h.main, "refresh", json!({ "email": 1 }));
    // ui/tests/ipcErrors.test.ts holds the same text.
    let expected =
        "invalid args `email` for command `refresh`: invalid type: integer `1`, expected a string";
    assert!(
        matches!(&answer, Answer::Err(Value::String(text)) if text == expected),
        "{answer:?}"
    );
}
