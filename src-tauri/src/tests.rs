//! The commands through Tauri's IPC on the mock runtime, against the reference shop on loopback
//! with its demo fixtures and an in-memory secret store; and the ACL of the real configuration.

use super::*;
use fe2_license::secrets::MemorySecretStore;
use fe2_license::service::ServiceOptions;
use fe2_shop::{RunningShop, ServerConfig};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};

/// The demo customer used below (crates/fe2-shop/fixtures/demo.json).
pub(crate) const EMAIL: &str = "leitstelle@ff-musterstadt.de";
pub(crate) const PASSWORD: &str = "abcd EFGH 1234 ijkl MNOP 5678";

/// A running app on the mock runtime with its data home and shop.
pub(crate) struct Harness {
    pub(crate) app: App<MockRuntime>,
    pub(crate) main: WebviewWindow<MockRuntime>,
    pub(crate) shop: RunningShop,
    pub(crate) home: tempfile::TempDir,
}

/// A fresh app with an empty data home, an in-memory secret store and the demo shop.
pub(crate) fn harness() -> Harness {
    harness_with(
        Arc::new(MemorySecretStore::new()),
        ServiceOptions::default(),
    )
}

/// A harness over the given secret store and service options.
pub(crate) fn harness_with(secrets: Arc<dyn SecretStore>, options: ServiceOptions) -> Harness {
    let shop = tauri::async_runtime::block_on(fe2_shop::spawn(ServerConfig::demo()))
        .unwrap_or_else(|e| panic!("demo shop does not start: {e}"));
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let service = Service::with_options(Home::at(home.path()), secrets, clock.clone(), options)
        .unwrap_or_else(|e| panic!("service: {e}"));
    let state = AppState::new(service, clock, false, home.path().to_path_buf());
    let app = builder(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .unwrap_or_else(|e| panic!("app: {e}"));
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap_or_else(|e| panic!("window: {e}"));
    Harness {
        app,
        main,
        shop,
        home,
    }
}

/// An IPC request as the page would send it (a local origin, else even app commands are refused).
pub(crate) fn request(cmd: &str, args: Value) -> InvokeRequest {
    let origin = if cfg!(windows) {
        "http://tauri.localhost"
    } else {
        "tauri://localhost"
    };
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: origin.parse().unwrap_or_else(|e| panic!("url: {e}")),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(window, request(cmd, args)).map(|body| {
        body.deserialize::<Value>()
            .unwrap_or_else(|e| panic!("{cmd} answered no JSON: {e}"))
    })
}

/// Every directory (`None`) and file (its bytes) below `dir`.
pub(crate) fn snapshot(dir: &std::path::Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.insert(path.clone(), None);
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                found.insert(path, Some(bytes));
            }
        }
    }
    found
}

/// Every file below `dir`.
fn files_below(dir: &std::path::Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_iter()
        .filter_map(|(path, bytes)| bytes.map(|_| path))
        .collect()
}

#[test]
fn a_wrong_password_is_invalid_credentials_and_writes_nothing() {
    let h = harness();
    let error = invoke(
        &h.main,
        "add_account",
        json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": "wrong password" }),
    )
    .expect_err("a wrong password must be refused");
    assert_eq!(error["code"], "invalid_credentials");
    assert!(error["message"].is_string());
    assert!(error["details"].is_object());
    assert_eq!(invoke(&h.main, "list_licenses", json!({})), Ok(json!([])));
    assert_eq!(files_below(h.home.path()), Vec::<PathBuf>::new());
}

#[test]
fn add_list_refresh_and_remove_an_account() {
    let h = harness();
    let (sender, updates) = mpsc::channel::<String>();
    h.app.listen_any(publish::LICENSES_UPDATED, move |event| {
        let _ = sender.send(event.payload().to_string());
    });

    let added = invoke(
        &h.main,
        "add_account",
        json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": PASSWORD }),
    )
    .unwrap_or_else(|e| panic!("add_account: {e}"));
    assert_eq!(added["email"], EMAIL);
    assert_eq!(added["verification"], "verified");
    assert!(added["fingerprint"].as_str().is_some_and(|f| !f.is_empty()));
    assert_eq!(added["license"]["email"], EMAIL);
    assert!(
        !added.to_string().contains("EFGH"),
        "the password must never come back"
    );
    let event = updates
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no licenses-updated after add: {e}"));
    assert!(event.contains(EMAIL));

    let listed =
        invoke(&h.main, "list_licenses", json!({})).unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["days_left"], added["days_left"]);

    let refreshed = invoke(&h.main, "refresh", json!({ "email": EMAIL }))
        .unwrap_or_else(|e| panic!("refresh: {e}"));
    assert_eq!(refreshed["offline"], false);
    assert_eq!(refreshed["verification"], "verified");
    let (sender, states) = mpsc::channel::<String>();
    h.app.listen_any(publish::REFRESH_STATE, move |event| {
        let _ = sender.send(event.payload().to_string());
    });
    let all =
        invoke(&h.main, "refresh_all", json!({})).unwrap_or_else(|e| panic!("refresh_all: {e}"));
    assert_eq!(all[0]["email"], EMAIL);
    let framed: Vec<String> = (0..2)
        .filter_map(|_| states.recv_timeout(Duration::from_secs(10)).ok())
        .collect();
    assert_eq!(framed, [r#"{"running":true}"#, r#"{"running":false}"#]);

    let details = invoke(&h.main, "license_details", json!({ "email": EMAIL }))
        .unwrap_or_else(|e| panic!("license_details: {e}"));
    assert!(details["orders"].is_array() && details["tickets"].is_array());

    assert_eq!(
        invoke(&h.main, "remove_account", json!({ "email": EMAIL })),
        Ok(Value::Null)
    );
    assert_eq!(invoke(&h.main, "list_licenses", json!({})), Ok(json!([])));
    let error = invoke(&h.main, "refresh", json!({ "email": EMAIL })).expect_err("removed");
    assert_eq!(error["code"], "unknown_account");
}

#[test]
fn settings_are_saved_and_validated() {
    let h = harness();
    let defaults =
        invoke(&h.main, "get_settings", json!({})).unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(defaults["language"], "de");
    assert_eq!(defaults["warning_days"], 30);
    let wanted = json!({ "language": "en", "warning_days": 40, "critical_days": 10,
                         "notifications": false, "autostart": false });
    assert_eq!(
        invoke(&h.main, "set_settings", json!({ "settings": wanted })),
        Ok(wanted.clone())
    );
    assert_eq!(invoke(&h.main, "get_settings", json!({})), Ok(wanted));
    let bad = json!({ "language": "de", "warning_days": 5, "critical_days": 10,
                      "notifications": true, "autostart": false });
    let error = invoke(&h.main, "set_settings", json!({ "settings": bad }))
        .expect_err("critical > warning");
    assert_eq!(error["code"], "bad_request");
}

#[test]
fn app_info_names_the_data_home_and_no_demo() {
    let h = harness();
    let info = invoke(&h.main, "app_info", json!({})).unwrap_or_else(|e| panic!("app_info: {e}"));
    assert_eq!(info["demo"], false);
    assert_eq!(info["data_home"], h.home.path().display().to_string());
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn links_open_only_on_the_accounts_hosts() {
    let h = harness();
    invoke(
        &h.main,
        "add_account",
        json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": PASSWORD }),
    )
    .unwrap_or_else(|e| panic!("add_account: {e}"));
    let service = &h.app.state::<AppState>().service;
    let shop_page = format!("{}/mein-konto/", h.shop.base_url());
    assert_eq!(
        links::ensure_on_account_hosts(service, EMAIL, &shop_page),
        Ok(())
    );
    for foreign in [
        "https://evil.example/mein-konto/",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ] {
        let refused = links::ensure_on_account_hosts(service, EMAIL, foreign);
        assert!(refused.is_err(), "{foreign} must be refused");
    }
    // A target the core cannot build a URL for never reaches the browser.
    let error = invoke(
        &h.main,
        "open_link",
        json!({ "email": EMAIL, "target": "order" }),
    )
    .expect_err("an order link needs an id");
    assert_eq!(error["code"], "bad_request");
}

/// The names between `generate_handler![` and `]` in lib.rs.
fn registered_commands() -> BTreeSet<String> {
    let source = include_str!("lib.rs");
    let start = source
        .find("generate_handler![")
        .map(|i| i + "generate_handler![".len());
    let list = start.and_then(|s| source[s..].find(']').map(|e| &source[s..s + e]));
    list.unwrap_or_default()
        .split(',')
        .map(|name| name.trim().trim_start_matches("commands::").to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The app commands granted by capabilities/main.json (`allow-<command>`).
fn granted_commands() -> BTreeSet<String> {
    let capability: Value = serde_json::from_str(include_str!("../capabilities/main.json"))
        .unwrap_or_else(|e| panic!("capabilities/main.json: {e}"));
    capability["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

#[test]
fn registered_granted_and_listed_commands_are_the_same() {
    let listed: BTreeSet<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        registered_commands(),
        listed,
        "generate_handler! vs COMMANDS"
    );
    assert_eq!(
        granted_commands(),
        listed,
        "capabilities/main.json vs COMMANDS"
    );
}

#[test]
fn the_capability_allows_the_main_window_only() {
    let h = harness();
    drop(h.main);
    let app = builder(
        mock_builder(),
        AppState::new(
            h.app.state::<AppState>().service.clone(),
            Arc::new(SystemClock),
            false,
            h.home.path().to_path_buf(),
        ),
    )
    .build(tauri::generate_context!())
    .unwrap_or_else(|e| panic!("app with the real config: {e}"));
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap_or_else(|e| panic!("main: {e}"));
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .unwrap_or_else(|e| panic!("other: {e}"));

    // Every listed command reaches its handler from the main window (argument errors are fine).
    for command in COMMANDS {
        if let Err(error) = invoke(&main, command, json!({})) {
            let text = error.to_string();
            assert!(
                !text.contains("not allowed"),
                "{command} refused on main: {text}"
            );
        }
    }
    let info =
        invoke(&main, "app_info", json!({})).unwrap_or_else(|e| panic!("app_info on main: {e}"));
    assert_eq!(info["demo"], false);

    // A window without a capability reaches no command at all.
    for command in COMMANDS {
        let refused = invoke(&other, command, json!({}))
            .expect_err("a window without a capability gets no IPC");
        assert!(
            refused.to_string().contains("not allowed"),
            "{command} on another window: {refused}"
        );
    }
    // Plugins the UI must not reach, even from the main window.
    for (plugin_command, args) in [
        (
            "plugin:opener|open_url",
            json!({ "url": "https://example.org" }),
        ),
        (
            "plugin:clipboard-manager|write_text",
            json!({ "text": "x" }),
        ),
    ] {
        let refused = invoke(&main, plugin_command, args).expect_err("no plugin permission");
        assert!(
            refused.to_string().contains("not allowed"),
            "{plugin_command}: {refused}"
        );
    }
}

#[test]
fn only_transport_failures_are_retried_soon() {
    use fe2_license::Error;
    let transport = [
        Error::Timeout,
        Error::Unreachable("refused".into()),
        Error::Proxy("407".into()),
        Error::ShopUnavailable { status: 502 },
    ];
    for error in transport {
        assert!(error.is_offline(), "{error}");
        assert!(NETWORK_ERRORS.contains(&error.code()), "{error}");
    }
    assert!(!NETWORK_ERRORS.contains(&Error::InvalidCredentials.code()));
    assert!(!NETWORK_ERRORS.contains(
        &Error::TooManyAttempts {
            retry_after_secs: 60
        }
        .code()
    ));
}

/// Adds the demo account, listens to `refresh-state` and starts the background refresh.
fn background_refresh(h: &Harness, fallback: Duration) -> mpsc::Receiver<String> {
    invoke(
        &h.main,
        "add_account",
        json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": PASSWORD }),
    )
    .unwrap_or_else(|e| panic!("add_account: {e}"));
    let (sender, states) = mpsc::channel::<String>();
    h.app.listen_any(publish::REFRESH_STATE, move |event| {
        let _ = sender.send(event.payload().to_string());
    });
    tauri::async_runtime::spawn(refresh_in_background(h.app.handle().clone(), fallback));
    states
}

#[test]
fn the_background_refresh_waits_for_the_first_list_licenses() {
    let h = harness();
    let states = background_refresh(&h, Duration::from_secs(600));
    assert_eq!(
        states.recv_timeout(Duration::from_millis(1500)).ok(),
        None,
        "the refresh must not start before the page's first list_licenses"
    );
    invoke(&h.main, "list_licenses", json!({})).unwrap_or_else(|e| panic!("list: {e}"));
    let started = states
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no refresh after list_licenses: {e}"));
    assert_eq!(started, r#"{"running":true}"#);
}

#[test]
fn the_background_refresh_starts_after_the_fallback_without_a_list() {
    let h = harness();
    let states = background_refresh(&h, Duration::from_millis(300));
    let started = states
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no refresh after the fallback: {e}"));
    assert_eq!(started, r#"{"running":true}"#);
}
