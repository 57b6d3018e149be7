//! Expiry notifications: once per license and day in the warning or critical window, again the
//! same day only when it got more urgent, never for unverified data; remembered across restarts;
//! renewal reminders once per license and renewal date, in the same file.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{at, license};
use fe2_license::alerts;
use fe2_license::expiry::Urgency;
use fe2_license::paths::Home;
use fe2_license::service::{LicenseView, Verification};

fn view(email: &str, urgency: Urgency, days_left: i64, verification: Verification) -> LicenseView {
    let mut license = license(&[("fe2-basis", 1)]);
    license.email = email.to_string();
    license.name = format!("FF {email}");
    LicenseView {
        license: Some(license),
        verification,
        days_left: Some(days_left),
        usable: true,
        urgency,
        ..LicenseView::new(email.into(), "https://shop.example".into())
    }
}

fn emails(alerts: &[alerts::Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.email.as_str()).collect()
}

fn due(home: &Home, views: &[LicenseView], now: DateTime<Utc>) -> Vec<alerts::Alert> {
    alerts::due(home, views, now).unwrap_or_else(|e| panic!("alerts::due: {e}"))
}

#[test]
fn a_license_in_the_window_is_announced_once_a_day() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = Home::at(dir.path());
    let now = at("2025-12-10T08:00:00Z");
    let views = [
        view("warn@x.de", Urgency::Warning, 22, Verification::Verified),
        view("ok@x.de", Urgency::Ok, 120, Verification::Verified),
        view("gone@x.de", Urgency::Expired, -3, Verification::Verified),
        view(
            "forged@x.de",
            Urgency::Critical,
            3,
            Verification::NotVerified,
        ),
    ];
    let first = due(&home, &views, now);
    assert_eq!(emails(&first), ["warn@x.de"]);
    assert_eq!(first[0].days_left, 22);
    assert_eq!(first[0].name, "FF warn@x.de");
    assert!(
        due(&home, &views, now + TimeDelta::hours(3)).is_empty(),
        "same day"
    );
    // A new process reads what was announced from the file.
    assert!(Home::at(dir.path())
        .data_dir()
        .join("alerts.json")
        .is_file());
    assert!(due(&Home::at(dir.path()), &views, now + TimeDelta::hours(5)).is_empty());
    assert_eq!(
        emails(&due(&home, &views, now + TimeDelta::days(1))),
        ["warn@x.de"]
    );
}

#[test]
fn getting_more_urgent_is_announced_the_same_day() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = Home::at(dir.path());
    let now = at("2025-12-18T08:00:00Z");
    let warning = [view("a@x.de", Urgency::Warning, 15, Verification::Verified)];
    let critical = [view(
        "a@x.de",
        Urgency::Critical,
        14,
        Verification::Outdated,
    )];
    assert_eq!(emails(&due(&home, &warning, now)), ["a@x.de"]);
    let escalated = due(&home, &critical, now + TimeDelta::hours(1));
    assert_eq!(emails(&escalated), ["a@x.de"]);
    assert_eq!(escalated[0].urgency, Urgency::Critical);
    assert!(
        due(&home, &warning, now + TimeDelta::hours(2)).is_empty(),
        "less urgent: quiet"
    );
}

#[test]
fn a_damaged_state_file_only_repeats_an_announcement() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = Home::at(dir.path());
    std::fs::create_dir_all(home.data_dir()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(home.data_dir().join("alerts.json"), b"{ not json")
        .unwrap_or_else(|e| panic!("{e}"));
    let views = [view("a@x.de", Urgency::Critical, 2, Verification::Verified)];
    assert_eq!(
        emails(&due(&home, &views, at("2025-12-30T08:00:00Z"))),
        ["a@x.de"]
    );
}

#[test]
fn a_file_of_an_older_version_is_read_and_keeps_its_announcements() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = Home::at(dir.path());
    std::fs::create_dir_all(home.data_dir()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        home.data_dir().join("alerts.json"),
        br#"{ "a@x.de": { "day": "2025-12-30", "urgency": "critical" } }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let views = [view("a@x.de", Urgency::Critical, 2, Verification::Verified)];
    assert!(due(&home, &views, at("2025-12-30T18:00:00Z")).is_empty());
}

fn reminding(email: &str, date: &str, verification: Verification) -> LicenseView {
    let mut view = view(email, Urgency::Ok, 60, verification);
    view.renewal_reminder = Some(fe2_license::reminder::RenewalReminder {
        date: at(date),
        days_left: 60,
        net: Some(common::dec("1010.00")),
        gross: Some(common::dec("1201.90")),
    });
    view
}

#[test]
fn a_renewal_is_reminded_once_per_license_and_date_beside_the_expiry_alerts() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = Home::at(dir.path());
    let reminders = |views: &[LicenseView]| {
        alerts::reminders_due(&home, views).unwrap_or_else(|e| panic!("reminders_due: {e}"))
    };
    let views = [
        reminding("a@x.de", "2026-01-01T00:00:00Z", Verification::Verified),
        reminding("b@x.de", "2026-01-01T00:00:00Z", Verification::NotVerified),
    ];
    let first = reminders(&views);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].email, "a@x.de");
    assert_eq!(first[0].gross, Some(common::dec("1201.90")));
    // Not again (also not after an expiry alert of the same license was recorded) ...
    let warned = [view("a@x.de", Urgency::Warning, 20, Verification::Verified)];
    assert_eq!(
        emails(&due(&home, &warned, at("2025-12-12T08:00:00Z"))),
        ["a@x.de"]
    );
    assert!(reminders(&views).is_empty());
    // ... and the expiry alert is not repeated by the reminder's record.
    assert!(due(&home, &warned, at("2025-12-12T18:00:00Z")).is_empty());
    // The next year's renewal is a new reminder.
    let next_year = [reminding(
        "a@x.de",
        "2027-01-01T00:00:00Z",
        Verification::Verified,
    )];
    assert_eq!(reminders(&next_year).len(), 1);
}
