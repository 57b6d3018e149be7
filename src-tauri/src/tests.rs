//! What only the app's own code can reach: the link check, the background refresh and its retry
//! rule, on Tauri's mock runtime against the reference shop (the harness of `tests/common`).

use super::*;
#[path = "../tests/common/mod.rs"]
mod common;

use common::{harness, invoke, signed_in_harness, Harness, EMAIL, PASSWORD};
use serde_json::json;
use std::sync::mpsc;
use tauri::Listener;

#[test]
fn links_open_only_on_the_accounts_hosts() {
    let h = signed_in_harness();
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
        assert_eq!(error.class(), ErrorClass::Network, "{error}");
    }
    assert_ne!(Error::InvalidCredentials.class(), ErrorClass::Network);
    assert_ne!(
        Error::TooManyAttempts {
            retry_after_secs: 60
        }
        .class(),
        ErrorClass::Network
    );
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
