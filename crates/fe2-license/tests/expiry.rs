//! Expiry, days left and urgency for each status and at each threshold edge.

mod common;

use chrono::TimeDelta;
use common::{at, license};
use fe2_license::expiry::{self, Thresholds, Urgency};
use fe2_license::model::{Kind, License, Status};

const END: &str = "2026-01-01T00:00:00Z";

fn with_status(status: Status) -> License {
    let mut lic = license(&[]);
    lic.status = status;
    lic
}

fn urgency(lic: &License, days_before_end: i64) -> Urgency {
    let now = at(END) - TimeDelta::days(days_before_end);
    expiry::urgency(lic, now, &Thresholds::default())
}

#[test]
fn expiry_date_by_kind() {
    let mut lic = license(&[]);
    assert_eq!(expiry::expires_at(&lic), Some(at(END)));
    lic.end_date = Some(at("2025-09-30T00:00:00Z"));
    assert_eq!(expiry::expires_at(&lic), Some(at("2025-09-30T00:00:00Z")));
    lic.kind = Kind::Trial;
    lic.trial_end_date = Some(at("2025-02-01T00:00:00Z"));
    assert_eq!(expiry::expires_at(&lic), Some(at("2025-02-01T00:00:00Z")));
    lic.kind = Kind::Subscription;
    lic.end_date = None;
    lic.next_payment_date = None;
    assert_eq!(expiry::expires_at(&lic), None);
    assert_eq!(expiry::days_left(&lic, at("2025-07-01T00:00:00Z")), 0);
}

#[test]
fn usable_by_status() {
    let now = at("2025-07-01T00:00:00Z");
    assert!(expiry::is_usable(&with_status(Status::Active), now));
    for status in [
        Status::Pending,
        Status::OnHold,
        Status::Cancelled,
        Status::Expired,
        Status::Unknown("paused".into()),
    ] {
        assert!(
            !expiry::is_usable(&with_status(status.clone()), now),
            "{status}"
        );
    }
    let mut cancelling = with_status(Status::PendingCancel);
    cancelling.end_date = Some(at("2025-09-30T00:00:00Z"));
    assert!(expiry::is_usable(&cancelling, now));
    assert!(!expiry::is_usable(&cancelling, at("2025-09-30T00:00:00Z")));
    cancelling.end_date = None;
    assert!(!expiry::is_usable(&cancelling, now));

    let mut trial = with_status(Status::Active);
    trial.kind = Kind::Trial;
    trial.trial_end_date = Some(at("2025-07-15T00:00:00Z"));
    assert!(expiry::is_usable(&trial, now));
    assert!(!expiry::is_usable(&trial, at("2025-07-15T00:00:00Z")));
}

#[test]
fn days_left_rounds_up_and_goes_negative() {
    let lic = license(&[]);
    assert_eq!(expiry::days_left(&lic, at("2025-12-31T00:00:00Z")), 1);
    assert_eq!(expiry::days_left(&lic, at("2025-12-30T23:59:59Z")), 2);
    assert_eq!(expiry::days_left(&lic, at("2025-07-02T12:00:00Z")), 183);
    assert_eq!(expiry::days_left(&lic, at(END)), 0);
    assert_eq!(expiry::days_left(&lic, at("2026-01-02T12:00:00Z")), -1);
    assert_eq!(expiry::days_left(&lic, at("2026-01-03T00:00:00Z")), -2);
}

#[test]
fn a_license_that_is_not_usable_has_no_days_left() {
    let now = at("2025-07-01T00:00:00Z");
    for status in [Status::Cancelled, Status::Expired, Status::Pending] {
        assert_eq!(expiry::days_left(&with_status(status), now), 0);
    }
    // On-hold keeps its count: paying brings it back.
    assert_eq!(expiry::days_left(&with_status(Status::OnHold), now), 184);
}

#[test]
fn threshold_edges() {
    let lic = license(&[]);
    assert_eq!(urgency(&lic, 31), Urgency::Ok);
    assert_eq!(urgency(&lic, 30), Urgency::Warning);
    assert_eq!(urgency(&lic, 15), Urgency::Warning);
    assert_eq!(urgency(&lic, 14), Urgency::Critical);
    assert_eq!(urgency(&lic, 1), Urgency::Critical);
    assert_eq!(urgency(&lic, 0), Urgency::Expired);
    assert_eq!(urgency(&lic, -5), Urgency::Expired);

    let custom = Thresholds {
        warning_days: 60,
        critical_days: 7,
    };
    let now = at(END) - TimeDelta::days(60);
    assert_eq!(expiry::urgency(&lic, now, &custom), Urgency::Warning);
    let now = at(END) - TimeDelta::days(8);
    assert_eq!(expiry::urgency(&lic, now, &custom), Urgency::Warning);
    let now = at(END) - TimeDelta::days(7);
    assert_eq!(expiry::urgency(&lic, now, &custom), Urgency::Critical);
}

#[test]
fn urgency_by_status() {
    let far = 200;
    assert_eq!(urgency(&with_status(Status::Active), far), Urgency::Ok);
    assert_eq!(urgency(&with_status(Status::OnHold), far), Urgency::Warning);
    assert_eq!(urgency(&with_status(Status::OnHold), 10), Urgency::Critical);
    assert_eq!(urgency(&with_status(Status::OnHold), 0), Urgency::Expired);
    for status in [
        Status::Pending,
        Status::Cancelled,
        Status::Expired,
        Status::Unknown("paused".into()),
    ] {
        assert_eq!(
            urgency(&with_status(status.clone()), far),
            Urgency::Expired,
            "{status}"
        );
    }
    let mut cancelling = with_status(Status::PendingCancel);
    cancelling.end_date = Some(at(END));
    assert_eq!(urgency(&cancelling, far), Urgency::Ok);
    assert_eq!(urgency(&cancelling, 20), Urgency::Warning);
    assert_eq!(urgency(&cancelling, 0), Urgency::Expired);

    let mut trial = with_status(Status::Active);
    trial.kind = Kind::Trial;
    trial.trial_end_date = Some(at(END));
    assert_eq!(urgency(&trial, 14), Urgency::Critical);
    assert_eq!(urgency(&trial, -1), Urgency::Expired);

    let mut open_ended = with_status(Status::Active);
    open_ended.next_payment_date = None;
    assert_eq!(urgency(&open_ended, far), Urgency::Ok);
}

#[test]
fn urgency_serializes_in_snake_case_and_orders_by_severity() {
    assert_eq!(serde_json::to_value(Urgency::Critical).unwrap(), "critical");
    assert!(Urgency::Ok < Urgency::Warning);
    assert!(Urgency::Critical < Urgency::Expired);
}
