//! A hostile server in front of the reference shop produces each fault once; each is its own
//! typed error, and after each the cached license is still shown, marked offline.

mod client_support;

use client_support::*;
use fe2_license::client::{ClientOptions, ShopClient};
use fe2_license::secrets::{entry_user, Secret, SecretStore};
use fe2_license::service::Verification;
use fe2_license::Error;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_is_its_own_typed_error_and_the_cache_stays() {
    let shop = demo_shop().await;
    let hostile = Hostile::start(shop.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    service(dir.path(), store.clone())
        .add_account(&hostile.url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("add through the forwarding server");

    let faults = [
        (Fault::NoAnswer, "timeout"),
        (Fault::SlowBody, "timeout"),
        (Fault::Internal500, "internal"),
        (Fault::BadGatewayHtml, "shop_unavailable"),
        (Fault::InvalidJson, "not_a_shop_api"),
        (Fault::Huge, "response_too_large"),
        (Fault::Reset, "unreachable"),
    ];
    for (fault, code) in faults {
        hostile.set(fault);
        // A fresh service each time: no pooled connection from an earlier fault.
        let svc = service(dir.path(), store.clone());
        let started = Instant::now();
        let view = svc
            .refresh(BASIS_EMAIL)
            .await
            .expect("refresh reports, not fails");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{fault:?} took too long"
        );
        let error = view
            .last_error
            .clone()
            .unwrap_or_else(|| panic!("{fault:?}: no error"));
        assert_eq!(error.code, code, "{fault:?}: {}", error.message);
        assert!(view.offline, "{fault:?}");
        assert_eq!(view.offline_since, Some(now()), "{fault:?}");
        assert_eq!(view.verification, Verification::Verified, "{fault:?}");
        assert_eq!(
            view.license.as_ref().map(|l| l.email.as_str()),
            Some(BASIS_EMAIL)
        );
        // The next start shows the same from disk.
        let reread = service(dir.path(), store.clone())
            .account(BASIS_EMAIL)
            .await
            .unwrap();
        assert_eq!(reread.last_error.map(|e| e.code).as_deref(), Some(code));
        assert!(reread.license.is_some() && reread.offline);
    }

    // Back to normal: the refresh clears the offline state.
    hostile.set(Fault::Pass);
    let view = service(dir.path(), store.clone())
        .refresh(BASIS_EMAIL)
        .await
        .unwrap();
    assert!(!view.offline && view.last_error.is_none() && view.offline_since.is_none());
    hostile.set(Fault::Reset);
    let view = service(dir.path(), store.clone())
        .refresh(BASIS_EMAIL)
        .await
        .unwrap();
    assert!(view.offline, "unreachable again before the refusal below");
    hostile.set(Fault::Pass);

    // The vendor revoked the application password: the shop answers 401.
    let user = entry_user(BASIS_EMAIL, hostile.url.trim_start_matches("http://"));
    let pinned = store.get(&user).unwrap();
    store
        .set(
            &user,
            &Secret {
                password: "revoked0 revoked0 revoked0".into(),
                ..pinned
            },
        )
        .unwrap();
    let svc = service(dir.path(), store.clone());
    let view = svc.refresh(BASIS_EMAIL).await.unwrap();
    assert_eq!(view.last_error.unwrap().code, "invalid_credentials");
    // The shop answered: a refused password is not "offline", whatever came before.
    assert!(!view.offline && view.offline_since.is_none() && view.license.is_some());

    // Ten failures within a minute: the shop's throttle answers 429 with Retry-After.
    let mut throttled = None;
    for _ in 0..12 {
        let view = svc.refresh(BASIS_EMAIL).await.unwrap();
        let error = view.last_error.clone().unwrap();
        if error.code == "too_many_attempts" {
            assert!(!view.offline && view.license.is_some());
            throttled = Some(error);
            break;
        }
        assert_eq!(error.code, "invalid_credentials");
    }
    let throttled = throttled.expect("the shop throttles after 10 failures");
    let retry_after = throttled.details["retry_after"].as_u64().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_no_file_contains(dir.path(), BASIS_PASSWORD);
    shop.shutdown().await.unwrap();
}

#[tokio::test]
async fn refused_connections_are_retried_then_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let options = ClientOptions {
        ..ClientOptions::default()
    };
    assert_eq!(
        options.retry_backoff.len(),
        3,
        "GETs are retried up to 3 times"
    );
    let client = ShopClient::new(&format!("http://{addr}"), &options).unwrap();
    let started = Instant::now();
    let error = client.keys().await.unwrap_err();
    assert_eq!(error.code(), "unreachable", "{error}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "GETs are retried with backoff"
    );
}

#[tokio::test]
async fn gets_are_retried_on_502_and_posts_are_not() {
    let shop = demo_shop().await;
    let hostile = Hostile::start(shop.addr).await;
    hostile.set(Fault::BadGatewayHtml);
    let client = ShopClient::new(&hostile.url, &fast_options().client)
        .unwrap()
        .with_credentials(BASIS_EMAIL, BASIS_PASSWORD);
    assert_eq!(
        client.me().await.unwrap_err(),
        Error::ShopUnavailable { status: 502 }
    );
    assert_eq!(hostile.connections(), 3, "one GET and two retries");
    let before = hostile.connections();
    let error = client
        .create_ticket("general", "x", &serde_json::json!({}), "key-1")
        .await
        .unwrap_err();
    assert_eq!(error, Error::ShopUnavailable { status: 502 });
    assert_eq!(hostile.connections() - before, 1, "a POST is sent once");
    // The shop's clock is learned from the Date header of real answers.
    hostile.set(Fault::Pass);
    let client = ShopClient::new(&hostile.url, &fast_options().client).unwrap();
    client.keys().await.unwrap();
    assert_eq!(client.shop_date(), Some(now()));
    shop.shutdown().await.unwrap();
}

#[tokio::test]
async fn tls_to_a_server_without_tls_is_a_tls_error() {
    let shop = demo_shop().await;
    let client =
        ShopClient::new(&format!("https://{}", shop.addr), &fast_options().client).unwrap();
    let error = client.keys().await.unwrap_err();
    assert_eq!(error.code(), "tls", "{error}");
    shop.shutdown().await.unwrap();
}
