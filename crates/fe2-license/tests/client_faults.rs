//! A hostile server in front of the reference shop produces each fault once; each is its own
//! typed error, and after each the cached license is still shown, marked offline.

mod client_support;

use client_support::*;
use fe2_license::client::{ClientOptions, ShopClient};
use fe2_license::secrets::{entry_user, Secret, SecretStore};
use fe2_license::service::Verification;
use fe2_license::Error;
use std::time::{Duration, Instant};

/// A data home with the basis account added through `hostile` (forwarding), and its secrets.
async fn signed_in_through(
    hostile: &Hostile,
) -> (
    tempfile::TempDir,
    std::sync::Arc<fe2_license::secrets::MemorySecretStore>,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    service(dir.path(), store.clone())
        .add_account(&hostile.url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("add through the forwarding server");
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_is_its_own_typed_error_and_the_cache_stays() {
    let shop = demo_shop().await;
    let hostile = Hostile::start(shop.addr).await;
    let (dir, store) = signed_in_through(&hostile).await;

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
        hostile.set(fault.clone());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_only_on_the_shops_own_origin() {
    let shop = demo_shop().await;
    let elsewhere = Hostile::start(shop.addr).await;
    let front = Hostile::start(shop.addr).await;
    let moved = format!("http://localhost:{}", elsewhere.port);
    let (dir, store) = signed_in_through(&front).await;

    // The same origin: followed, for a GET with any 3xx.
    for status in [301, 302, 307, 308] {
        front.set(Fault::Redirect { status, to: None });
        let view = service(dir.path(), store.clone())
            .refresh(BASIS_EMAIL)
            .await
            .unwrap();
        assert_eq!(view.last_error, None, "{status}");
    }

    // Another origin: nothing is sent there, the error names the new address.
    front.set(Fault::Redirect {
        status: 301,
        to: Some(elsewhere.port),
    });
    let view = service(dir.path(), store.clone())
        .refresh(BASIS_EMAIL)
        .await
        .unwrap();
    let error = view.last_error.expect("shop_moved");
    assert_eq!(error.code, "shop_moved", "{}", error.message);
    assert_eq!(error.details["shop_url"], moved.as_str());
    assert!(view.license.is_some() && !view.offline);

    // A POST is never re-sent to another origin, not even with 307/308 (which keep the body);
    // on the same origin a 302 would turn it into a GET: refused, not followed.
    let items = [fe2_license::model::RequestedItem::new("fe2-persons", 25)];
    let posts = [
        (307, Some(elsewhere.port), "shop_moved"),
        (308, Some(elsewhere.port), "shop_moved"),
        (302, None, "not_a_shop_api"),
    ];
    for (status, to, code) in posts {
        front.set(Fault::Redirect { status, to });
        let key = format!("key-{status}");
        let refused = service(dir.path(), store.clone())
            .switch_quantities(BASIS_EMAIL, &items, rust_decimal::Decimal::ONE, None, &key)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), code, "{status}: {refused}");
    }
    assert_eq!(
        elsewhere.connections(),
        0,
        "a request went to the other origin"
    );

    // Adding at the old address names the new one and writes nothing; the user then adds it
    // at the new address (the UI asks first).
    let fresh = tempfile::tempdir().unwrap();
    front.set(Fault::Redirect {
        status: 301,
        to: Some(elsewhere.port),
    });
    let refused = service(fresh.path(), memory_store())
        .add_account(&front.url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        Error::ShopMoved {
            shop_url: moved.clone()
        }
    );
    assert!(all_files(fresh.path()).is_empty());
    assert_eq!(elsewhere.connections(), 0);
    let view = service(fresh.path(), memory_store())
        .add_account(&moved, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("add at the new address");
    assert_eq!(view.shop_url, moved);
}

#[tokio::test]
async fn a_shops_error_text_is_cut_before_it_is_kept() {
    let shop = demo_shop().await;
    let hostile = Hostile::start(shop.addr).await;
    let (dir, store) = signed_in_through(&hostile).await;
    hostile.set(Fault::LongMessage);
    let view = service(dir.path(), store.clone())
        .refresh(BASIS_EMAIL)
        .await
        .unwrap();
    let error = view.last_error.expect("the shop's error");
    assert_eq!(error.code, "teapot");
    assert!(
        error.message.chars().count() < 400,
        "{}",
        error.message.len()
    );
    let cache_bytes: u64 = all_files(dir.path())
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(cache_bytes < 64 * 1024, "{cache_bytes} bytes on disk");
}

#[tokio::test]
async fn an_older_signed_file_is_a_replay_and_the_newer_data_stays() {
    let key = fe2_shop::random_signing_key();
    let current = spawn_shop(key.clone(), fe2_shop::DbLocation::Memory).await;
    let day_before = spawn_shop_at(
        key,
        fe2_shop::DbLocation::Memory,
        now() - chrono::TimeDelta::days(1),
    )
    .await;
    let proxy = Hostile::start(current.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    let added = service(dir.path(), store.clone())
        .add_account(&proxy.url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap();
    assert_eq!(added.as_of, Some(now()));

    proxy.retarget(day_before.addr);
    let view = service(dir.path(), store.clone())
        .refresh(BASIS_EMAIL)
        .await
        .unwrap();
    let error = view.last_error.clone().expect("older_license_file");
    assert_eq!(error.code, "older_license_file", "{}", error.message);
    assert_eq!(view.as_of, Some(now()), "the newer file stays");
    assert_eq!(view.verification, Verification::Verified);
    let reread = service(dir.path(), store.clone())
        .account(BASIS_EMAIL)
        .await
        .unwrap();
    assert_eq!(reread.as_of, Some(now()));

    // The same file again is no replay.
    proxy.retarget(current.addr);
    let view = service(dir.path(), store)
        .refresh(BASIS_EMAIL)
        .await
        .unwrap();
    assert_eq!(view.last_error, None);
}

#[tokio::test]
async fn sign_in_takes_the_published_key_the_files_kid_names() {
    let key = fe2_shop::random_signing_key();
    let shop = spawn_shop(key.clone(), fe2_shop::DbLocation::Memory).await;
    let proxy = Hostile::start(shop.addr).await;
    let text = ShopClient::new(&proxy.url, &ClientOptions::default())
        .unwrap()
        .with_credentials(BASIS_EMAIL, BASIS_PASSWORD)
        .license_file()
        .await
        .unwrap();
    let kid = fe2_license::license_file::key_id(&text).unwrap();
    let real = fe2_license::license_file::public_key_to_base64(&key.verifying_key());
    let next = fe2_license::license_file::public_key_to_base64(
        &fe2_shop::random_signing_key().verifying_key(),
    );
    // A rotation: the next key is published first.
    proxy.set(Fault::Keys(
        serde_json::json!({"keys": [
            {"kid": "next", "alg": "ed25519", "public_key": next},
            {"kid": kid, "alg": "ed25519", "public_key": real},
        ]})
        .to_string(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let view = service(dir.path(), memory_store())
        .add_account(&proxy.url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("sign-in during a key rotation");
    assert_eq!(
        view.fingerprint,
        Some(fe2_license::license_file::fingerprint(&key.verifying_key()))
    );

    // A kid the shop does not publish: refused, nothing written.
    proxy.set(Fault::Keys(
        serde_json::json!({"keys": [{"kid": "next", "alg": "ed25519", "public_key": next}]})
            .to_string(),
    ));
    let other = tempfile::tempdir().unwrap();
    let refused = service(other.path(), memory_store())
        .add_account(&proxy.url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "unknown_key", "{refused}");
    assert!(all_files(other.path()).is_empty());
}
