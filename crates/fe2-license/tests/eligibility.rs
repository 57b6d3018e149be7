//! Every eligibility and validation code, their order, and the ticket preconditions.

mod common;

use common::{at, catalog, license};
use fe2_license::eligibility;
use fe2_license::model::{Kind, License, RequestedItem, ScheduledChange, Status};
use fe2_license::{pricing, Error};
use serde_json::json;

fn now() -> chrono::DateTime<chrono::Utc> {
    at("2025-07-02T12:00:00Z")
}

fn quote_err(lic: &License, items: serde_json::Value) -> Error {
    let request = eligibility::parse_items(&items).expect("structurally valid");
    pricing::quote(lic, &catalog(), &request, now()).unwrap_err()
}

fn persons(quantity: serde_json::Value) -> serde_json::Value {
    json!([{"sku": "fe2-persons", "quantity": quantity}])
}

#[test]
fn trial_license_wins_over_everything() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.kind = Kind::Trial;
    lic.status = Status::OnHold;
    lic.has_paid_order = false;
    lic.package.legacy = true;
    let err = quote_err(&lic, persons(json!(30)));
    assert_eq!(err, Error::TrialLicense);
    assert_eq!(err.code(), "trial_license");
    assert_eq!(err.http_status(), 409);
    let status = eligibility::switch_status(&lic, now());
    assert!(!status.allowed);
    assert_eq!(status.reason.as_deref(), Some("trial_license"));
}

#[test]
fn subscription_not_active_names_the_status() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.has_paid_order = false;
    lic.package.legacy = true;
    for (status, text) in [
        (Status::OnHold, "on-hold"),
        (Status::Pending, "pending"),
        (Status::PendingCancel, "pending-cancel"),
        (Status::Cancelled, "cancelled"),
        (Status::Expired, "expired"),
        (Status::Unknown("paused".into()), "paused"),
    ] {
        lic.status = status;
        let err = quote_err(&lic, persons(json!(30)));
        assert_eq!(
            err,
            Error::SubscriptionNotActive {
                status: text.to_string()
            }
        );
        assert_eq!(err.details(), json!({"license_status": text}));
    }
}

#[test]
fn no_paid_order_before_legacy_package() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.has_paid_order = false;
    lic.package.legacy = true;
    assert_eq!(quote_err(&lic, persons(json!(30))), Error::NoPaidOrder);
    assert_eq!(
        eligibility::switch_status(&lic, now()).reason.as_deref(),
        Some("no_paid_order")
    );
}

#[test]
fn legacy_package_is_decided_by_the_flag() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.package.legacy = true;
    lic.package.code = "paket-3".to_string();
    let err = quote_err(&lic, json!([{"sku": "nope", "quantity": -1}]));
    assert_eq!(
        err,
        Error::LegacyPackage {
            package: "paket-3".to_string()
        }
    );
    // A package code alone does not make a license legacy.
    lic.package.legacy = false;
    assert!(eligibility::check_switch(&lic, now()).is_ok());
    let status = eligibility::switch_status(&lic, now());
    assert!(status.allowed);
    assert_eq!(status.reason, None);
}

#[test]
fn a_due_renewal_comes_after_the_license_checks_and_before_the_items() {
    // Active, paid, not legacy, but its next payment date (2026-01-01) has come.
    let mut lic = license(&[("fe2-persons", 20)]);
    let due = at("2026-01-01T00:00:00Z");
    let request = eligibility::parse_items(&json!([{"sku": "nope", "quantity": -1}])).unwrap();
    let err = pricing::quote(&lic, &catalog(), &request, due).unwrap_err();
    assert_eq!(err, Error::RenewalDue { date: due });
    let status = eligibility::switch_status(&lic, due);
    assert_eq!(status.reason.as_deref(), Some("renewal_due"));
    assert!(eligibility::switch_status(&lic, at("2025-12-31T23:59:59Z")).allowed);
    // A legacy package is named first: it cannot change after the renewal either.
    lic.package.legacy = true;
    assert_eq!(
        pricing::quote(&lic, &catalog(), &request, due)
            .unwrap_err()
            .code(),
        "legacy_package"
    );
}

#[test]
fn unknown_item() {
    let lic = license(&[("fe2-persons", 20)]);
    let err = quote_err(&lic, json!([{"sku": "fe2-teleport", "quantity": 1}]));
    assert_eq!(
        err,
        Error::UnknownItem {
            sku: "fe2-teleport".to_string()
        }
    );
    assert_eq!(err.http_status(), 422);
}

#[test]
fn invalid_quantities() {
    let lic = license(&[("fe2-persons", 20)]);
    let invalid = Error::InvalidQuantity {
        sku: "fe2-persons".to_string(),
    };
    for quantity in [
        json!(-1),
        json!(2.5),
        json!(2.0),
        json!("30"),
        json!(null),
        json!(true),
        json!([30]),
        json!(501),
        json!(4_294_967_296u64),
        json!(u64::MAX),
        json!(1e300),
    ] {
        assert_eq!(
            quote_err(&lic, persons(quantity.clone())),
            invalid,
            "{quantity}"
        );
    }
    // The package is not switchable: only its current quantity is accepted.
    let err = quote_err(&lic, json!([{"sku": "fe2-basis", "quantity": 2}]));
    assert_eq!(
        err,
        Error::InvalidQuantity {
            sku: "fe2-basis".to_string()
        }
    );
}

#[test]
fn items_are_validated_in_request_order() {
    let lic = license(&[("fe2-persons", 20)]);
    let err = quote_err(
        &lic,
        json!([{"sku": "fe2-persons", "quantity": -3}, {"sku": "fe2-teleport", "quantity": 1}]),
    );
    assert_eq!(err.code(), "invalid_quantity");
    let err = quote_err(
        &lic,
        json!([{"sku": "fe2-teleport", "quantity": 1}, {"sku": "fe2-persons", "quantity": -3}]),
    );
    assert_eq!(err.code(), "unknown_item");
    let totals = eligibility::validate_items(
        &lic,
        &catalog(),
        &[
            RequestedItem::new("fe2-amweb", 2),
            RequestedItem::new("fe2-persons", 0),
        ],
    )
    .unwrap();
    assert_eq!(
        totals,
        vec![("fe2-amweb".to_string(), 2), ("fe2-persons".to_string(), 0)]
    );
}

#[test]
fn no_change() {
    let lic = license(&[("fe2-persons", 20)]);
    assert_eq!(quote_err(&lic, json!([])), Error::NoChange);
    assert_eq!(quote_err(&lic, persons(json!(20))), Error::NoChange);
    assert_eq!(
        quote_err(
            &lic,
            json!([{"sku": "fe2-basis", "quantity": 1}, {"sku": "fe2-amweb", "quantity": 0}])
        ),
        Error::NoChange
    );
}

#[test]
fn naming_an_item_at_today_cancels_its_scheduled_change() {
    let mut lic = license(&[("fe2-persons", 20)]);
    lic.scheduled_changes.push(ScheduledChange {
        id: "sc_1".to_string(),
        sku: "fe2-persons".to_string(),
        quantity: 10,
        effective_date: at("2026-01-01T00:00:00Z"),
    });
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 20)],
        now(),
    )
    .unwrap();
    assert_eq!(q.lines[0].change.as_str(), "unchanged");
    assert_eq!(q.lines[0].effective_date, None);
    assert_eq!(q.setup_fee.gross.to_string(), "0.00");
    // The renewal no longer includes the downgrade: 650 + 20 × 12.
    assert_eq!(q.next_renewal.as_ref().unwrap().net.to_string(), "890.00");
    let mut after = lic.clone();
    pricing::apply(&mut after, &q, &mut || {
        unreachable!("no new scheduled change")
    });
    assert!(after.scheduled_changes.is_empty());
    assert_eq!(after.quantity("fe2-persons"), 20);

    // A new downgrade replaces the scheduled one; an upgrade removes it.
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 15)],
        now(),
    )
    .unwrap();
    let mut after = lic.clone();
    pricing::apply(&mut after, &q, &mut || "sc_2".to_string());
    assert_eq!(after.scheduled_changes.len(), 1);
    assert_eq!(after.scheduled_changes[0].id, "sc_2");
    assert_eq!(after.scheduled_changes[0].quantity, 15);
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 25)],
        now(),
    )
    .unwrap();
    let mut after = lic.clone();
    pricing::apply(&mut after, &q, &mut || {
        unreachable!("upgrades schedule nothing")
    });
    assert!(after.scheduled_changes.is_empty());
    assert_eq!(after.quantity("fe2-persons"), 25);
}

#[test]
fn parse_items_refuses_bad_structure() {
    for body in [
        json!({"sku": "fe2-persons", "quantity": 1}),
        json!("fe2-persons"),
        json!(null),
        json!([1]),
        json!([{"quantity": 1}]),
        json!([{"sku": 7, "quantity": 1}]),
        json!([{"sku": "fe2-persons"}]),
        json!([{"sku": "fe2-persons", "quantity": 1}, {"sku": "fe2-persons", "quantity": 2}]),
    ] {
        let err = eligibility::parse_items(&body).unwrap_err();
        assert_eq!(err.code(), "bad_request", "{body}");
        assert_eq!(err.http_status(), 400);
    }
    let parsed = eligibility::parse_items(
        &json!([{"sku": "fe2-persons", "quantity": "x", "note": 1}, {"sku": "fe2-amweb", "quantity": 2}]),
    )
    .unwrap();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].quantity, json!("x"));
    assert_eq!(parsed[1], RequestedItem::new("fe2-amweb", 2));
}

#[test]
fn a_switchable_item_without_a_price_cannot_be_quoted() {
    let lic = license(&[("fe2-persons", 20)]);
    let mut cat = catalog();
    for list in &mut cat.price_lists {
        list.prices.remove("fe2-am4");
    }
    let err = pricing::quote(&lic, &cat, &[RequestedItem::new("fe2-am4", 1)], now()).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownItem {
            sku: "fe2-am4".to_string()
        }
    );
}

#[test]
fn navlog_ticket_preconditions() {
    let none = |_: &str| false;
    let mut lic = license(&[]);
    let err = eligibility::check_ticket(&lic, "navlog_activation", &json!({}), &none).unwrap_err();
    assert_eq!(err, Error::RequiresAmobilePro);
    assert_eq!(err.code(), "requires_amobile_pro");
    lic = license(&[("fe2-amobile-pro", 1)]);
    assert!(eligibility::check_ticket(&lic, "navlog_activation", &json!({}), &none).is_ok());
    lic.features.push("navlog".to_string());
    let err = eligibility::check_ticket(&lic, "navlog_activation", &json!({}), &none).unwrap_err();
    assert_eq!(err, Error::AlreadyActive);
    assert_eq!(err.code(), "already_active");
}

#[test]
fn email_change_ticket_preconditions() {
    let lic = license(&[]);
    let taken = |e: &str| e == "wehr@xn--feuerwehr-mllheim-d3b.de";
    let check = |fields| eligibility::check_ticket(&lic, "license_email_change", &fields, &taken);
    for bad in [
        json!({}),
        json!({"new_email": 7}),
        json!({"new_email": "not an address"}),
        json!({"new_email": "LEITSTELLE@ff-musterstadt.de"}),
    ] {
        assert_eq!(
            check(bad.clone()).unwrap_err().code(),
            "invalid_email",
            "{bad}"
        );
    }
    let same = check(json!({"new_email": "LEITSTELLE@ff-musterstadt.de"})).unwrap_err();
    assert_eq!(
        same.details(),
        json!({"email": "leitstelle@ff-musterstadt.de"})
    );
    let err = check(json!({"new_email": "Wehr@Feuerwehr-Müllheim.de"})).unwrap_err();
    assert_eq!(err, Error::EmailInUse);
    assert_eq!(err.code(), "email_in_use");
    assert!(check(json!({"new_email": "neu@ff-musterstadt.de"})).is_ok());
}

#[test]
fn other_ticket_topics() {
    let mut lic = license(&[]);
    lic.kind = Kind::Trial;
    lic.status = Status::Cancelled;
    let none = |_: &str| false;
    assert!(eligibility::check_ticket(&lic, "package_change", &json!({}), &none).is_ok());
    assert!(eligibility::check_ticket(&lic, "general", &json!(null), &none).is_ok());
    let err = eligibility::check_ticket(&lic, "refund", &json!({}), &none).unwrap_err();
    assert_eq!(err, Error::UnknownTopic("refund".to_string()));
    assert_eq!(err.code(), "unknown_topic");
    // The UI gets the topic over the IPC wire (only code and details are translated).
    assert_eq!(err.details(), json!({"topic": "refund"}));
}
