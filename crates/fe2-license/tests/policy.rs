//! Central policies through the service: a policy beats the user's settings without becoming
//! them, read-only refuses every change, and only the allowed shops are asked.

mod client_support;

use client_support::*;
use fe2_license::config::{load_settings, Settings};
use fe2_license::model::RequestedItem;
use fe2_license::paths::Home;
use fe2_license::policy::{Policy, PolicyName};
use fe2_license::service::{Service, ServiceOptions};
use fe2_license::FixedClock;
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;

fn service_with(
    home: &Path,
    store: Arc<fe2_license::secrets::MemorySecretStore>,
    policy: Policy,
) -> Service {
    Service::with_options(
        Home::at(home),
        store,
        Arc::new(FixedClock::new(now())),
        ServiceOptions {
            policy: Some(policy),
            ..fast_options()
        },
    )
    .expect("service")
}

fn origins(names: &[PolicyName]) -> std::collections::BTreeMap<PolicyName, String> {
    names
        .iter()
        .map(|n| (*n, r"HKLM\Test".to_string()))
        .collect()
}

#[tokio::test]
async fn a_policy_wins_but_never_becomes_the_users_setting() {
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy {
        warning_days: Some(60),
        notifications: Some(false),
        origins: origins(&[PolicyName::WarningDays, PolicyName::Notifications]),
        ..Policy::default()
    };
    let svc = service_with(dir.path(), memory_store(), policy);
    assert_eq!(svc.settings().warning_days, 60);
    assert_eq!(
        serde_json::to_value(&svc.setting_sources()["proxy"]).unwrap(),
        serde_json::json!({"value": "system", "source": "default"})
    );
    assert!(!svc.settings().notifications);
    // The page sends the policy's values for the locked fields; the user's own stay stored.
    let sent = Settings {
        critical_days: 7,
        ..svc.settings()
    };
    let effective = svc.set_settings(sent).unwrap();
    assert_eq!((effective.warning_days, effective.critical_days), (60, 7));
    let (stored, _) = load_settings(&Home::at(dir.path()));
    assert_eq!(stored.warning_days, Settings::default().warning_days);
    assert!(stored.notifications);
    assert_eq!(stored.critical_days, 7);
    let sources = svc.setting_sources();
    assert_eq!(
        serde_json::to_value(&sources["warning_days"]).unwrap(),
        serde_json::json!({"value": 60, "source": "policy", "origin": r"HKLM\Test"})
    );
    assert_eq!(
        serde_json::to_value(&sources["critical_days"]).unwrap()["source"],
        "settings"
    );
    // Without the policy the user's own settings are back.
    let free = service_with(dir.path(), memory_store(), Policy::default());
    assert_eq!(free.settings().warning_days, 30);
    assert!(free.settings().notifications);
}

#[tokio::test]
async fn read_only_refuses_every_change_and_allowed_hosts_bound_the_shops() {
    let shop = demo_shop().await;
    let dir = tempfile::tempdir().unwrap();
    let store = memory_store();
    let open = service_with(dir.path(), store.clone(), Policy::default());
    open.add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .unwrap();

    let read_only = service_with(
        dir.path(),
        store.clone(),
        Policy {
            read_only: true,
            origins: origins(&[PolicyName::ReadOnly]),
            ..Policy::default()
        },
    );
    let persons = [RequestedItem {
        sku: "fe2-persons".into(),
        quantity: 25.into(),
    }];
    let refusals = [
        read_only
            .add_account(&shop.base_url(), TRIAL_EMAIL, TRIAL_PASSWORD)
            .await
            .unwrap_err(),
        read_only.remove_account(BASIS_EMAIL).await.unwrap_err(),
        read_only
            .switch_quantities(BASIS_EMAIL, &persons, Decimal::ONE, None, "k-1")
            .await
            .unwrap_err(),
        read_only
            .cancel_scheduled_change(BASIS_EMAIL, "sc_1")
            .await
            .unwrap_err(),
        read_only
            .create_ticket(
                BASIS_EMAIL,
                "general",
                "Frage",
                &serde_json::json!({}),
                "k-2",
            )
            .await
            .unwrap_err(),
        read_only
            .set_default_reference(BASIS_EMAIL, Some("PO-1"))
            .await
            .unwrap_err(),
    ];
    for error in &refusals {
        assert_eq!(error.code(), "read_only_policy", "{error}");
    }
    // Viewing still works, from the shop too.
    assert!(read_only
        .refresh(BASIS_EMAIL)
        .await
        .unwrap()
        .license
        .is_some());
    assert_eq!(read_only.accounts().await.len(), 1);

    let bounded = service_with(
        dir.path(),
        store,
        Policy {
            allowed_shop_hosts: Some(vec!["www.alamos-gmbh.com".into()]),
            origins: origins(&[PolicyName::AllowedShopHosts]),
            ..Policy::default()
        },
    );
    let refused = bounded
        .add_account(&shop.base_url(), TRIAL_EMAIL, TRIAL_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "shop_not_allowed");
    assert_eq!(
        refused.details()["allowed"],
        serde_json::json!(["www.alamos-gmbh.com"])
    );
    // The shop is not asked; the cached license stays shown, verified, with the reason.
    let view = bounded.refresh(BASIS_EMAIL).await.unwrap();
    assert_eq!(view.last_error.unwrap().code, "shop_not_allowed");
    assert_eq!(
        view.verification,
        fe2_license::service::Verification::Verified
    );
}
