//! Every service call against the real reference shop (in-process, loopback, demo fixtures).

mod client_support;

use client_support::*;
use fe2_license::audit::AuditAction;
use fe2_license::cache::cache_file;
use fe2_license::config::{Language, Settings};
use fe2_license::expiry::Urgency;
use fe2_license::license_file;
use fe2_license::model::RequestedItem;
use fe2_license::paths::Home;
use fe2_license::secrets::{entry_user, SecretStore};
use fe2_license::service::{LinkTarget, Verification};
use fe2_license::Error;
use rust_decimal::Decimal;
use serde_json::json;

#[tokio::test]
async fn every_service_call_against_the_reference_shop() {
    let key = fe2_shop::random_signing_key();
    let shop = spawn_shop(key.clone(), fe2_shop::DbLocation::Memory).await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    let svc = service(dir.path(), store.clone());

    // Add: e-mail normalised, key pinned (fingerprint shown), license verified.
    let view = svc
        .add_account(
            &shop.base_url(),
            "  Leitstelle@FF-Musterstadt.DE",
            BASIS_PASSWORD,
        )
        .await
        .expect("add account");
    assert_eq!(view.email, BASIS_EMAIL);
    assert_eq!(view.verification, Verification::Verified);
    let fingerprint = license_file::fingerprint(&key.verifying_key());
    assert_eq!(view.fingerprint.as_deref(), Some(fingerprint.as_str()));
    let license = view.license.clone().expect("license");
    assert_eq!(license.quantity("fe2-persons"), 20);
    assert_eq!(view.as_of, Some(now()));
    assert_eq!(view.fetched_at, Some(now()));
    assert!(!view.offline && view.last_error.is_none());
    assert!(view.usable);
    assert_eq!(view.days_left, Some(183));
    assert_eq!(
        svc.add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
            .await
            .unwrap_err()
            .code(),
        "account_exists"
    );
    let user = entry_user(BASIS_EMAIL, &shop.addr.to_string());
    assert_eq!(store.get(&user).unwrap().password.expose(), BASIS_PASSWORD);

    // List and refresh.
    svc.add_account(&shop.base_url(), LEGACY_EMAIL, LEGACY_PASSWORD)
        .await
        .expect("add the legacy account");
    let views = svc.accounts().await;
    assert_eq!(views.len(), 2);
    assert!(views[0].urgency >= views[1].urgency);
    let refreshed = svc.refresh("LEITSTELLE@ff-musterstadt.de").await.unwrap();
    assert_eq!(refreshed.verification, Verification::Verified);
    assert!(refreshed.last_error.is_none());
    let all = svc.refresh_all().await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|v| v.verification == Verification::Verified));

    // Orders, tickets, catalog.
    let details = svc.license_details(BASIS_EMAIL).await.unwrap();
    assert!(!details.orders.is_empty());
    let catalog = svc.catalog(BASIS_EMAIL).await.unwrap();
    assert!(catalog.product("fe2-persons").is_some());

    // Local estimate equals the shop's preview (same rules, same clock).
    let items = vec![RequestedItem::new("fe2-persons", 30)];
    let estimate = svc.estimate(BASIS_EMAIL, &items).await.unwrap();
    let preview = svc.preview(BASIS_EMAIL, &items).await.unwrap();
    assert_eq!(estimate, preview.quote);
    assert_eq!(preview.quote.setup_fee.gross, Decimal::new(7159, 2));
    let again = svc.preview(BASIS_EMAIL, &items).await.unwrap();
    assert_ne!(preview.idempotency_key, again.idempotency_key);

    // A stale gross is refused with the new quote; the right one switches, once.
    let stale = svc
        .switch_quantities(
            BASIS_EMAIL,
            &items,
            Decimal::ONE,
            None,
            &preview.idempotency_key,
        )
        .await
        .unwrap_err();
    match stale {
        Error::QuoteChanged { quote } => assert_eq!(*quote, preview.quote),
        other => panic!("expected quote_changed, got {other:?}"),
    }
    let gross = preview.quote.setup_fee.gross;
    let key1 = preview.idempotency_key.clone();
    // A Leitweg-ID with a wrong check digit never reaches the shop.
    let refused = svc
        .switch_quantities(
            BASIS_EMAIL,
            &items,
            gross,
            Some("04011000-1234512345-07"),
            &key1,
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        Error::InvalidReference(
            fe2_license::reference::ReferenceProblem::LeitwegCheckDigits {
                expected: "06".into()
            }
        )
    );
    let unchanged = svc.refresh(BASIS_EMAIL).await.unwrap();
    assert_eq!(unchanged.license.unwrap().quantity("fe2-persons"), 20);
    let outcome = svc
        .switch_quantities(
            BASIS_EMAIL,
            &items,
            gross,
            Some("LEITWEG-04011000-1234512345-06"),
            &key1,
        )
        .await
        .unwrap();
    let order = outcome.order.clone().expect("an upgrade creates an order");
    assert_eq!(order.total, gross);
    assert_eq!(outcome.license.quantity("fe2-persons"), 30);
    let repeated = svc
        .switch_quantities(
            BASIS_EMAIL,
            &items,
            gross,
            Some("LEITWEG-04011000-1234512345-06"),
            &key1,
        )
        .await
        .unwrap();
    assert_eq!(repeated.order.map(|o| o.id), Some(order.id));
    // The detail page learns the order's net and reference from the audit log.
    let notes = svc.license_details(BASIS_EMAIL).await.unwrap().order_notes;
    assert_eq!(
        notes,
        vec![fe2_license::service::OrderNote {
            order_id: order.id,
            net: Some("60.16".into()),
            reference: Some("LEITWEG-04011000-1234512345-06".into()),
        }]
    );
    let view = svc.account(BASIS_EMAIL).await.unwrap();
    assert_eq!(
        view.license.unwrap().quantity("fe2-persons"),
        30,
        "cache refreshed after the switch"
    );

    // A downgrade is scheduled; cancelling it refreshes the view.
    let down = vec![RequestedItem::new("fe2-persons", 10)];
    let preview = svc.preview(BASIS_EMAIL, &down).await.unwrap();
    let outcome = svc
        .switch_quantities(
            BASIS_EMAIL,
            &down,
            preview.quote.setup_fee.gross,
            None,
            &preview.idempotency_key,
        )
        .await
        .unwrap();
    assert!(outcome.order.is_none());
    let scheduled = outcome
        .license
        .scheduled_changes
        .first()
        .expect("scheduled")
        .clone();
    let view = svc
        .cancel_scheduled_change(BASIS_EMAIL, &scheduled.id)
        .await
        .unwrap();
    assert!(view.license.unwrap().scheduled_changes.is_empty());

    // Eligibility comes from the shop as typed errors.
    let legacy = svc.preview(LEGACY_EMAIL, &items).await.unwrap_err();
    assert_eq!(
        legacy,
        Error::LegacyPackage {
            package: "paket-3".into()
        }
    );

    // Tickets: created once per key, listed.
    let key = fe2_license::service::new_idempotency_key();
    let fields = json!({});
    let ticket = svc
        .create_ticket(BASIS_EMAIL, "general", "Bitte Rückruf.", &fields, &key)
        .await
        .unwrap();
    let same = svc
        .create_ticket(BASIS_EMAIL, "general", "Bitte Rückruf.", &fields, &key)
        .await
        .unwrap();
    assert_eq!(same.number, ticket.number);
    let unknown = svc
        .create_ticket(
            BASIS_EMAIL,
            "nope",
            "x",
            &fields,
            &fe2_license::service::new_idempotency_key(),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "unknown_topic");
    let details = svc.license_details(BASIS_EMAIL).await.unwrap();
    assert_eq!(
        details
            .tickets
            .iter()
            .filter(|t| t.number == ticket.number)
            .count(),
        1
    );

    // Settings persist for the next start.
    let settings = Settings {
        language: Language::En,
        warning_days: 45,
        critical_days: 10,
        notifications: false,
        autostart: true,
        renewal_reminder_days: 30,
        ..Settings::default()
    };
    svc.set_settings(settings.clone()).unwrap();
    assert_eq!(svc.settings(), settings);
    assert_eq!(service(dir.path(), store.clone()).settings(), settings);

    // Links from the configured URLs.
    let base = shop.base_url();
    assert_eq!(
        svc.link(BASIS_EMAIL, LinkTarget::Subscription, None)
            .unwrap(),
        format!("{base}/mein-konto/view-subscription/{}/", license.id)
    );
    assert_eq!(
        svc.link(BASIS_EMAIL, LinkTarget::Order, Some(order.id))
            .unwrap(),
        format!("{base}/mein-konto/view-order/{}/", order.id)
    );
    assert_eq!(
        svc.link(BASIS_EMAIL, LinkTarget::Subscriptions, None)
            .unwrap(),
        format!("{base}/mein-konto/subscriptions/")
    );
    assert_eq!(
        svc.link(BASIS_EMAIL, LinkTarget::Account, None).unwrap(),
        format!("{base}/mein-konto/")
    );
    assert!(svc
        .support_topic_link(BASIS_EMAIL, "navlog_activation")
        .unwrap()
        .starts_with("https://support.alamos-gmbh.com/open.php?topicId="));
    assert_eq!(
        svc.support_topic_link(BASIS_EMAIL, "x").unwrap_err().code(),
        "unknown_topic"
    );

    // Remove: secret, account file and cache are gone.
    let cache_path = cache_file(
        &Home::at(dir.path()),
        &svc.account_config(BASIS_EMAIL).unwrap().file_id().unwrap(),
    );
    assert!(cache_path.exists());
    svc.remove_account(BASIS_EMAIL).await.unwrap();
    assert!(!cache_path.exists());
    assert!(matches!(store.get(&user), Err(Error::NoSecret(_))));
    assert_eq!(svc.accounts().await.len(), 1);
    assert_eq!(
        svc.refresh(BASIS_EMAIL).await.unwrap_err().code(),
        "unknown_account"
    );
    svc.remove_account(LEGACY_EMAIL).await.unwrap();

    // Every action in the audit log once, in order, chained; refusals and replays add nothing.
    let log = svc.audit_log().unwrap().log;
    assert_eq!(log.problems, vec![]);
    let actions: Vec<(AuditAction, Option<&str>)> = log
        .entries
        .iter()
        .map(|e| (e.action, e.email.as_deref()))
        .collect();
    let basis = Some(BASIS_EMAIL);
    assert_eq!(
        actions,
        vec![
            (AuditAction::AccountAdded, basis),
            (AuditAction::AccountAdded, Some(LEGACY_EMAIL)),
            (AuditAction::QuoteRequested, basis),
            (AuditAction::QuoteRequested, basis),
            (AuditAction::OrderPlaced, basis),
            (AuditAction::QuoteRequested, basis),
            (AuditAction::ChangeScheduled, basis),
            (AuditAction::ScheduledChangeCancelled, basis),
            (AuditAction::TicketSent, basis),
            (AuditAction::SettingsChanged, None),
            (AuditAction::AccountRemoved, basis),
            (AuditAction::AccountRemoved, Some(LEGACY_EMAIL)),
        ]
    );
    assert_eq!(log.entries[0].details["fingerprint"], json!(fingerprint));
    let ordered = &log.entries[4].details;
    assert_eq!(ordered["order"], json!(order.id));
    assert_eq!(ordered["gross"], json!("71.59"));
    assert_eq!(ordered["net"], json!("60.16"));
    assert_eq!(
        ordered["reference"],
        json!("LEITWEG-04011000-1234512345-06")
    );
    assert_eq!(log.entries[7].details["id"], json!(scheduled.id));
    assert_eq!(log.entries[8].details["number"], json!(ticket.number));
    assert_eq!(
        log.entries[9].details["warning_days"],
        json!({ "from": 30, "to": 45 })
    );
    assert!(log.entries.iter().all(|e| e.time == now()));

    // Nothing under the home ever held a password.
    for password in [BASIS_PASSWORD, LEGACY_PASSWORD] {
        assert_no_file_contains(dir.path(), password);
    }
    shop.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_add_writes_nothing_anywhere() {
    let shop = demo_shop().await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    let svc = service(dir.path(), store.clone());
    let wrong = svc
        .add_account(&shop.base_url(), BASIS_EMAIL, "wrong password")
        .await
        .unwrap_err();
    assert_eq!(wrong, Error::InvalidCredentials);
    let insecure = svc
        .add_account("http://shop.example", BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(insecure.code(), "insecure_url");
    let invalid = svc
        .add_account(&shop.base_url(), "not an address", BASIS_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), "invalid_email");
    assert!(
        all_files(dir.path()).is_empty(),
        "{:?}",
        all_files(dir.path())
    );
    assert!(matches!(
        store.get(&entry_user(BASIS_EMAIL, &shop.addr.to_string())),
        Err(Error::NoSecret(_))
    ));
    assert!(svc.accounts().await.is_empty());
    shop.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_cache_is_shown_verified_without_network_and_not_verified_without_the_keychain() {
    let shop = demo_shop().await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    service(dir.path(), store.clone())
        .add_account(&shop.base_url(), TRIAL_EMAIL, TRIAL_PASSWORD)
        .await
        .unwrap();
    shop.shutdown().await.unwrap();

    // Next start, shop gone: the cached license is verified from disk and the keychain.
    let svc = service(dir.path(), store.clone());
    let view = svc.accounts().await.remove(0);
    assert_eq!(view.verification, Verification::Verified);
    assert_eq!(view.license.as_ref().unwrap().email, TRIAL_EMAIL);
    let offline = svc.refresh(TRIAL_EMAIL).await.unwrap();
    assert!(offline.offline);
    assert_eq!(offline.offline_since, Some(now()));
    assert_eq!(offline.last_error.unwrap().code, "unreachable");
    assert_eq!(offline.verification, Verification::Verified);
    assert!(offline.license.is_some());
    let trial = svc
        .preview(TRIAL_EMAIL, &[RequestedItem::new("fe2-persons", 11)])
        .await;
    assert_eq!(trial.unwrap_err().code(), "unreachable");
    let estimate = svc
        .estimate(TRIAL_EMAIL, &[RequestedItem::new("fe2-persons", 11)])
        .await;
    assert_eq!(
        estimate.unwrap_err().code(),
        "unreachable",
        "no catalog was cached"
    );

    // Without the keychain entry: still shown, but not verified.
    let svc = service(dir.path(), memory_store());
    let view = svc.accounts().await.remove(0);
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(view.verification_error.unwrap().code, "no_secret");
    assert_eq!(view.license.unwrap().email, TRIAL_EMAIL);
    assert!(view.fingerprint.is_none());
}

#[tokio::test]
async fn a_new_shop_key_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let home = dir.path().join("home");
    let store = memory_store();
    let shop = spawn_shop(
        fe2_shop::random_signing_key(),
        fe2_shop::DbLocation::File(db.clone()),
    )
    .await;
    let addr = shop.addr;
    service(&home, store.clone())
        .add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap();
    shop.shutdown().await.unwrap();

    // The same shop (same address, same database) now signs with another key.
    let new_key = fe2_shop::random_signing_key();
    let config = || fe2_shop::ServerConfig {
        listen: addr,
        db: fe2_shop::DbLocation::File(db.clone()),
        fixtures: None,
        clock: std::sync::Arc::new(fe2_license::FixedClock::new(now())),
        signing_key: new_key.clone(),
    };
    let shop = fe2_shop::spawn(config())
        .await
        .expect("restart on the same port");
    let svc = service(&home, store.clone());
    let view = svc.refresh(BASIS_EMAIL).await.unwrap();
    assert_eq!(view.last_error.unwrap().code, "key_changed");
    // The cached file still verifies with the pinned key, but the shop no longer vouches for
    // it: not verified until the account is added again (docs/domain.md).
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(view.verification_error.unwrap().code, "key_changed");
    assert!(view.license.is_some() && view.days_left.is_some());
    assert_eq!(view.urgency, Urgency::Critical);
    shop.shutdown().await.unwrap();

    // Neither a restart nor a later failure of another kind makes it verified again.
    let svc = service(&home, store.clone());
    let view = svc.refresh(BASIS_EMAIL).await.unwrap();
    assert_eq!(view.last_error.unwrap().code, "unreachable");
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(view.verification_error.unwrap().code, "key_changed");

    // Adding the account again (same shop, same cache file) trusts the new key.
    let shop = fe2_shop::spawn(config()).await.expect("restart again");
    svc.remove_account(BASIS_EMAIL).await.unwrap();
    let view = svc
        .add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap();
    assert_eq!(view.verification, Verification::Verified);
    // The key change is in the audit log once: the later "unreachable" is network trouble.
    let log = svc.audit_log().unwrap().log;
    let failures: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.action == AuditAction::RefreshFailed)
        .map(|e| e.details["code"].clone())
        .collect();
    assert_eq!(failures, vec![json!("key_changed")]);
    assert_eq!(log.problems, vec![]);
    shop.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_truncated_cache_is_reported_and_the_next_refresh_repairs_it() {
    let shop = demo_shop().await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    let svc = service(dir.path(), store.clone());
    svc.add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap();
    let id = svc.account_config(BASIS_EMAIL).unwrap().file_id().unwrap();
    let path = cache_file(&Home::at(dir.path()), &id);
    let full = std::fs::read(&path).unwrap();
    for cut in 0..full.len() {
        std::fs::write(&path, &full[..cut]).unwrap();
        let svc = service(dir.path(), store.clone());
        let view = svc.account(BASIS_EMAIL).await.unwrap();
        assert_eq!(view.verification, Verification::NotVerified, "cut at {cut}");
        assert_eq!(
            view.verification_error.unwrap().code,
            "corrupt_file",
            "cut at {cut}"
        );
        assert!(view.license.is_none());
        // Repairing every cut would only repeat the same refresh; every 64th byte shows it.
        if cut % 64 == 0 || cut + 1 == full.len() {
            let repaired = svc.refresh(BASIS_EMAIL).await.unwrap();
            assert_eq!(
                repaired.verification,
                Verification::Verified,
                "cut at {cut}"
            );
            assert!(repaired.last_error.is_none());
            let reread = service(dir.path(), store.clone())
                .account(BASIS_EMAIL)
                .await
                .unwrap();
            assert_eq!(reread.verification, Verification::Verified, "cut at {cut}");
        }
    }
    shop.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_refreshes_never_leave_a_half_written_cache() {
    let shop = demo_shop().await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    let app = service(dir.path(), store.clone());
    app.add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap();
    // A second service on the same home stands for the CLI running beside the app.
    let cli = service(dir.path(), store.clone());
    let id = app.account_config(BASIS_EMAIL).unwrap().file_id().unwrap();
    let path = cache_file(&Home::at(dir.path()), &id);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (stop, path) = (stop.clone(), path.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let bytes = std::fs::read(&path).expect("the cache file always exists");
                let entry: serde_json::Value =
                    serde_json::from_slice(&bytes).expect("never half-written");
                assert!(entry["license_file"].is_string());
                reads += 1;
            }
            reads
        })
    };
    for _ in 0..25 {
        let (a, b, c) = tokio::join!(
            app.refresh(BASIS_EMAIL),
            cli.refresh(BASIS_EMAIL),
            app.refresh(BASIS_EMAIL)
        );
        for view in [a.unwrap(), b.unwrap(), c.unwrap()] {
            assert_eq!(view.verification, Verification::Verified);
            assert!(view.last_error.is_none(), "{:?}", view.last_error);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().expect("reader") > 0);
    let names: Vec<_> = all_files(dir.path());
    assert!(
        names
            .iter()
            .all(|p| !p.file_name().unwrap().to_string_lossy().starts_with(".tmp")),
        "temporary files left: {names:?}"
    );
    assert_eq!(
        service(dir.path(), store.clone())
            .account(BASIS_EMAIL)
            .await
            .unwrap()
            .verification,
        Verification::Verified
    );
    shop.shutdown().await.unwrap();
}
