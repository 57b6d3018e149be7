//! The harness of the app's tests: the app on Tauri's mock runtime over a temporary data home,
//! an in-memory secret store and the reference shop on loopback with its demo fixtures. Shared by
//! the integration tests and the unit tests that need private items (`src/tests.rs`); the
//! including module brings `builder` and `AppState` into scope.
// Each test crate uses a part of it.
#![allow(dead_code)]

use super::{builder, AppState};
use fe2_license::paths::Home;
use fe2_license::secrets::{MemorySecretStore, SecretStore};
use fe2_license::service::{Service, ServiceOptions};
use fe2_license::{Clock, SystemClock};
use fe2_shop::{RunningShop, ServerConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

/// The demo customer used below (crates/fe2-shop/fixtures/demo.json).
pub const EMAIL: &str = "leitstelle@ff-musterstadt.de";
/// Its application password.
pub const PASSWORD: &str = "abcd EFGH 1234 ijkl MNOP 5678";

/// A running app on the mock runtime with its data home and shop.
pub struct Harness {
    pub app: App<MockRuntime>,
    pub main: WebviewWindow<MockRuntime>,
    pub shop: RunningShop,
    pub home: tempfile::TempDir,
}

/// A fresh app with an empty data home, an in-memory secret store and the demo shop.
pub fn harness() -> Harness {
    harness_with(
        Arc::new(MemorySecretStore::new()),
        ServiceOptions::default(),
    )
}

/// A harness with the demo customer's account added.
pub fn signed_in_harness() -> Harness {
    let h = harness();
    invoke(
        &h.main,
        "add_account",
        serde_json::json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": PASSWORD }),
    )
    .unwrap_or_else(|e| panic!("add_account: {e}"));
    h
}

/// A harness over the given secret store and service options.
pub fn harness_with(secrets: Arc<dyn SecretStore>, options: ServiceOptions) -> Harness {
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
pub fn request(cmd: &str, args: Value) -> InvokeRequest {
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

pub fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(window, request(cmd, args)).map(|body| {
        body.deserialize::<Value>()
            .unwrap_or_else(|e| panic!("{cmd} answered no JSON: {e}"))
    })
}

/// Every directory (`None`) and file (its bytes) below `dir`.
pub fn snapshot(dir: &std::path::Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
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
pub fn files_below(dir: &std::path::Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_iter()
        .filter_map(|(path, bytes)| bytes.map(|_| path))
        .collect()
}
