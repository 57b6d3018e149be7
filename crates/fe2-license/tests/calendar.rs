//! The calendar file read back by an independent parser (the `ical` crate, not the `icalendar`
//! crate that wrote it): the expected events, their days, summaries and alarms, and UIDs that
//! stay the same across exports and differ between events.

mod common;

use common::{at, catalog, license};
use fe2_license::calendar::{calendar, CalendarAccount};
use fe2_license::config::{Language, Settings};
use fe2_license::model::{Kind, License, ScheduledChange, Status};
use fe2_license::service::Verification;
use ical::parser::ical::component::{IcalCalendar, IcalEvent};

fn account(email: &str, license: License, verification: Verification) -> CalendarAccount {
    CalendarAccount {
        email: email.to_string(),
        shop_host: "shop.example".to_string(),
        verification,
        as_of: Some(at("2025-10-01T08:00:00Z")),
        license,
        catalog: Some(catalog()),
    }
}

/// Three licenses: one renewing with a scheduled downgrade, a trial, a cancelled one.
fn accounts() -> Vec<CalendarAccount> {
    let mut renewing = license(&[("fe2-persons", 20)]);
    renewing.scheduled_changes.push(ScheduledChange {
        id: "chg-1".to_string(),
        sku: "fe2-persons".to_string(),
        quantity: 10,
        effective_date: at("2026-01-01T00:00:00Z"),
    });
    let mut trial = license(&[]);
    trial.id = 4712;
    trial.kind = Kind::Trial;
    trial.name = "FF Testdorf".to_string();
    trial.next_payment_date = None;
    // 22:30 UTC in summer is the next day in Germany.
    trial.trial_end_date = Some(at("2025-07-14T22:30:00Z"));
    let mut cancelled = license(&[]);
    cancelled.id = 4713;
    cancelled.name = "FF Altstadt".to_string();
    cancelled.status = Status::PendingCancel;
    cancelled.end_date = Some(at("2026-03-31T00:00:00Z"));
    vec![
        account(
            "leitstelle@ff-musterstadt.de",
            renewing,
            Verification::Verified,
        ),
        account("test@ff-testdorf.de", trial, Verification::Verified),
        account("it@ff-altstadt.de", cancelled, Verification::NotVerified),
    ]
}

fn parse(text: &str) -> IcalCalendar {
    let mut parser = ical::IcalParser::new(text.as_bytes());
    let calendar = parser.next().expect("one calendar").expect("it parses");
    assert!(parser.next().is_none(), "only one calendar");
    calendar
}

/// A property's value with the TEXT escapes undone (the parser keeps them, RFC 5545 3.3.11).
fn value(properties: &[ical::property::Property], name: &str) -> String {
    let raw = properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
        .unwrap_or_else(|| panic!("no {name}"));
    let mut text = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => text.push('\n'),
            Some(other) => text.push(other),
            None => {}
        }
    }
    text
}

fn summary(event: &IcalEvent) -> String {
    value(&event.properties, "SUMMARY")
}

fn event<'a>(calendar: &'a IcalCalendar, starts: &str) -> &'a IcalEvent {
    calendar
        .events
        .iter()
        .find(|e| summary(e).starts_with(starts))
        .unwrap_or_else(|| panic!("no event {starts}"))
}

fn uids(calendar: &IcalCalendar) -> Vec<String> {
    calendar
        .events
        .iter()
        .map(|e| value(&e.properties, "UID"))
        .collect()
}

#[test]
fn every_license_has_its_events_with_days_summaries_and_alarms() {
    let settings = Settings::default();
    let text = calendar(&accounts(), &settings, at("2025-10-01T09:00:00Z"));
    let parsed = parse(&text);
    // The renewal, the downgrade, the trial's end, the cancelled license's end.
    assert_eq!(parsed.events.len(), 4, "{text}");

    let renewal = event(&parsed, "FE2-Lizenz verlängert sich: FF Musterstadt");
    assert_eq!(value(&renewal.properties, "DTSTART"), "20260101");
    assert_eq!(value(&renewal.properties, "DTEND"), "20260102");
    let description = value(&renewal.properties, "DESCRIPTION");
    // The downgrade applies at the renewal: 650 + 10 × 12 = 770.00 net, 146.30 VAT, 916.30 gross.
    for expected in ["Netto: 770,00 €", "USt.: 146,30 €", "Brutto: 916,30 €"] {
        assert!(description.contains(expected), "{description}");
    }
    let triggers: Vec<String> = renewal
        .alarms
        .iter()
        .map(|a| value(&a.properties, "TRIGGER"))
        .collect();
    assert_eq!(triggers, ["-P30D", "-P14D"]);
    assert!(renewal
        .alarms
        .iter()
        .all(|a| value(&a.properties, "ACTION") == "DISPLAY"));

    let change = event(&parsed, "FE2-Änderung wirksam: fe2-persons → 10");
    assert_eq!(value(&change.properties, "DTSTART"), "20260101");
    let trial = event(&parsed, "FE2-Testlizenz endet: FF Testdorf");
    assert_eq!(value(&trial.properties, "DTSTART"), "20250715");
    // Data that is not verified says so in the summary itself.
    let ends = event(&parsed, "[nicht verifiziert] FE2-Lizenz endet: FF Altstadt");
    assert_eq!(value(&ends.properties, "DTSTART"), "20260331");
    assert!(!value(&ends.properties, "DESCRIPTION").contains("Brutto"));
    for event in &parsed.events {
        assert_eq!(value(&event.properties, "DTSTAMP"), "20251001T090000Z");
        assert_eq!(event.alarms.len(), 2);
    }
}

#[test]
fn the_same_data_at_the_same_time_gives_the_same_file() {
    // Nothing random and nothing from the system clock, alarms included.
    let settings = Settings::default();
    let now = at("2025-10-01T09:00:00Z");
    let text = calendar(&accounts(), &settings, now);
    assert_eq!(text, calendar(&accounts(), &settings, now));
    for event in parse(&text).events {
        let uid = value(&event.properties, "UID");
        for alarm in &event.alarms {
            assert!(value(&alarm.properties, "UID").starts_with(&uid));
            assert_eq!(value(&alarm.properties, "DTSTAMP"), "20251001T090000Z");
        }
    }
}

#[test]
fn uids_are_stable_across_exports_and_distinct_between_events() {
    let settings = Settings::default();
    let first = parse(&calendar(
        &accounts(),
        &settings,
        at("2025-10-01T09:00:00Z"),
    ));
    let later = parse(&calendar(
        &accounts(),
        &settings,
        at("2025-11-20T17:45:00Z"),
    ));
    let ids = uids(&first);
    assert_eq!(ids, uids(&later));
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    // DTSTAMP is the export time; SEQUENCE grows with it, so the newer file wins.
    let sequence =
        |c: &IcalCalendar| -> u64 { value(&c.events[0].properties, "SEQUENCE").parse().unwrap() };
    assert!(sequence(&later) > sequence(&first));
    assert_eq!(
        value(&later.events[0].properties, "DTSTAMP"),
        "20251120T174500Z"
    );
}

#[test]
fn the_renewal_and_the_end_share_one_uid_so_a_cancellation_updates_the_event() {
    let settings = Settings::default();
    let now = at("2025-10-01T09:00:00Z");
    let renewing = account("a@x.de", license(&[]), Verification::Verified);
    let mut cancelled = renewing.clone();
    cancelled.license.status = Status::PendingCancel;
    cancelled.license.end_date = cancelled.license.next_payment_date;
    let before = parse(&calendar(&[renewing], &settings, now));
    let after = parse(&calendar(&[cancelled], &settings, now));
    assert_eq!(uids(&before), uids(&after));
    assert!(summary(&after.events[0]).starts_with("FE2-Lizenz endet"));
}

#[test]
fn english_texts_amounts_and_one_alarm_when_the_thresholds_are_equal() {
    let settings = Settings {
        language: Language::En,
        warning_days: 21,
        critical_days: 21,
        ..Settings::default()
    };
    let mut only = accounts();
    only.truncate(1);
    only[0].license.scheduled_changes.clear();
    only[0].catalog = None;
    let text = calendar(&only, &settings, at("2025-10-01T09:00:00Z"));
    let parsed = parse(&text);
    let renewal = event(&parsed, "FE2 license renews: FF Musterstadt");
    assert_eq!(renewal.alarms.len(), 1);
    assert_eq!(value(&renewal.alarms[0].properties, "TRIGGER"), "-P21D");
    assert!(value(&renewal.properties, "DESCRIPTION").contains("no price list"));

    only[0].catalog = Some(catalog());
    let priced = parse(&calendar(&only, &settings, at("2025-10-01T09:00:00Z")));
    let description = value(&priced.events[0].properties, "DESCRIPTION");
    // 650 + 20 × 12 = 890.00 net, 169.10 VAT, 1059.10 gross.
    assert!(description.contains("Gross: €1,059.10"), "{description}");
    assert!(description.contains("Net: €890.00"), "{description}");
}

#[test]
fn a_fixed_term_license_ends_instead_of_renewing() {
    // Its next payment falls on its end date: the term ends there, it does not renew.
    let mut fixed = license(&[("fe2-persons", 20)]);
    fixed.end_date = Some(at("2026-01-01T00:00:00Z"));
    let accounts = [account(
        "fix@ff-musterstadt.de",
        fixed,
        Verification::Verified,
    )];
    let text = calendar(&accounts, &Settings::default(), at("2025-10-01T09:00:00Z"));
    let parsed = parse(&text);
    assert_eq!(parsed.events.len(), 1, "{text}");
    let ends = event(&parsed, "FE2-Lizenz endet: FF Musterstadt");
    assert_eq!(value(&ends.properties, "DTSTART"), "20260101");
    assert!(!text.contains("verlängert sich"), "{text}");
    assert!(!value(&ends.properties, "DESCRIPTION").contains("Brutto"));
}

#[test]
fn an_on_hold_or_pending_renewal_is_marked_unpaid_with_its_amount() {
    let now = at("2025-10-01T09:00:00Z");
    for (status, language, summary_starts, note) in [
        (
            Status::OnHold,
            Language::De,
            "FE2-Lizenz: Verlängerung nicht bezahlt: FF Musterstadt",
            "Zahlung offen: die Lizenz verlängert sich erst, wenn die Rechnung bezahlt ist.",
        ),
        (
            Status::Pending,
            Language::En,
            "FE2 license: renewal not paid: FF Musterstadt",
            "Payment outstanding: the license renews only once the invoice is paid.",
        ),
    ] {
        // The payment date has passed, the invoice is open.
        let mut unpaid = license(&[("fe2-persons", 20)]);
        unpaid.status = status.clone();
        unpaid.next_payment_date = Some(at("2025-09-01T00:00:00Z"));
        let settings = Settings {
            language,
            ..Settings::default()
        };
        let renewing = account("a@x.de", unpaid.clone(), Verification::Verified);
        let text = calendar(std::slice::from_ref(&renewing), &settings, now);
        assert!(!text.contains("verlängert sich:"), "{status}: {text}");
        assert!(!text.contains("license renews:"), "{status}: {text}");
        let parsed = parse(&text);
        let event = event(&parsed, summary_starts);
        assert_eq!(value(&event.properties, "DTSTART"), "20250901");
        let description = value(&event.properties, "DESCRIPTION");
        // Compared without blanks: the parser drops a blank where a long line was folded.
        let squash = |text: &str| text.split_whitespace().collect::<String>();
        assert!(
            squash(&description).contains(&squash(note)),
            "{description}"
        );
        // The amount of the open renewal stays: 890.00 net, 1059.10 gross.
        assert!(
            description.contains("1.059,10 €") || description.contains("€1,059.10"),
            "{description}"
        );
        // The same UID as the renewal it will be once paid.
        let mut active = renewing.clone();
        active.license.status = Status::Active;
        let paid = parse(&calendar(&[active], &settings, now));
        assert_eq!(uids(&parsed), uids(&paid));
    }
}

#[test]
fn control_characters_from_the_shop_never_reach_the_file() {
    // A bare CR, ESC, NUL, NEL and the Unicode line and paragraph separators: each could end a
    // line or start a terminal escape in a calendar that reads the file less strictly.
    let hostile = "FF\rBEGIN:VEVENT\u{1b}]8;;x\u{7}\0A\u{85}B\u{2028}C\u{2029}D";
    let mut renewing = license(&[("fe2-persons", 20)]);
    renewing.name = hostile.to_string();
    renewing.package.name = hostile.to_string();
    renewing.items[0].name = hostile.to_string();
    renewing.scheduled_changes.push(ScheduledChange {
        id: "chg-1".to_string(),
        sku: "fe2-persons".to_string(),
        quantity: 10,
        effective_date: at("2026-01-01T00:00:00Z"),
    });
    let accounts = [account("a@ff.de", renewing, Verification::Verified)];
    let text = calendar(&accounts, &Settings::default(), at("2025-10-01T09:00:00Z"));
    let parsed = parse(&text);
    assert_eq!(parsed.events.len(), 2, "{text}");
    let is_hostile =
        |c: char| (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}');
    for event in &parsed.events {
        for name in ["SUMMARY", "DESCRIPTION"] {
            let text = value(&event.properties, name);
            assert!(!text.chars().any(is_hostile), "{name}: {text:?}");
            // Each becomes a space (the parser may fold two into one), the rest of the name stays.
            assert!(text.contains("FF BEGIN:VEVENT ]8;;x "), "{name}: {text:?}");
            assert!(text.contains(" A B C D"), "{name}: {text:?}");
        }
    }
    // Only the CRLF line ends of the format itself remain.
    assert!(!text
        .replace("\r\n", "")
        .contains(['\r', '\u{1b}', '\u{85}', '\u{2028}']));
}
