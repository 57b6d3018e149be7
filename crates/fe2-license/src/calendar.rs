//! The calendar file (docs/domain.md, Calendar file): the end of each license's term (its next
//! renewal, its end, a trial's end) and every scheduled change as all-day events with reminders
//! at the warning and critical thresholds, written with the `icalendar` crate.
//!
//! UIDs come from the account and the event, never from the export time, so importing a newer
//! file updates the events of an older one instead of adding them again.

use crate::budget::{renewal_awaits_payment, renews, NotCounted};
use crate::clock::german_day;
use crate::config::{Language, Settings};
use crate::model::{Catalog, Kind, License, ScheduledChange};
use crate::pricing;
use crate::service::Verification;
use crate::text::printable;
use chrono::{DateTime, Days, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Property};
use sha2::{Digest, Sha256};

/// The product identifier written into every file.
const PRODID: &str = "-//Alamos//FE2 License Manager//DE";
/// The right-hand side of every UID: names the app that made the event.
const UID_DOMAIN: &str = "fe2-license-manager";
/// SEQUENCE counts minutes from here (2025-01-01T00:00:00Z), so it fits a `u32` for 8 000 years.
const SEQUENCE_EPOCH: i64 = 1_735_689_600;

/// One account's license as the calendar needs it.
#[derive(Clone, Debug)]
pub struct CalendarAccount {
    /// The license e-mail (normalised).
    pub email: String,
    /// The shop's `host[:port]`: the same e-mail at two shops is two licenses.
    pub shop_host: String,
    /// How far the license data is trusted; anything but verified is said in each event.
    pub verification: Verification,
    /// When the shop issued the data shown.
    pub as_of: Option<DateTime<Utc>>,
    /// The license.
    pub license: License,
    /// The cached catalog, to price the renewal; `None`: never fetched.
    pub catalog: Option<Catalog>,
}

/// What happens at the end of a license's term.
enum Term {
    /// It renews (the next payment date).
    Renews(DateTime<Utc>),
    /// It renews once its open invoice is paid (on-hold, pending).
    RenewsOncePaid(DateTime<Utc>),
    /// A trial ends.
    TrialEnds(DateTime<Utc>),
    /// It ends and does not renew.
    Ends(DateTime<Utc>),
}

/// The end of the license's current term, by the budget's renewal rule; `None` without a date.
fn term(license: &License) -> Option<Term> {
    match renews(license) {
        Ok(date) if renewal_awaits_payment(license) => Some(Term::RenewsOncePaid(date)),
        Ok(date) => Some(Term::Renews(date)),
        Err(NotCounted::Trial { ends }) => ends.map(Term::TrialEnds),
        Err(_) if license.kind == Kind::Trial => license.trial_end_date.map(Term::TrialEnds),
        Err(_) => license
            .end_date
            .or(license.next_payment_date)
            .map(Term::Ends),
    }
}

/// The whole file for these accounts, in the settings' language, with reminders at the
/// settings' thresholds. `now` (the service's clock) is DTSTAMP and sets SEQUENCE, so that a
/// later export supersedes an earlier one even when only the settings changed.
pub fn calendar(accounts: &[CalendarAccount], settings: &Settings, now: DateTime<Utc>) -> String {
    let words = words(settings.language);
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(words.calendar_name);
    let stamp = Stamp {
        now,
        sequence: u32::try_from((now.timestamp() - SEQUENCE_EPOCH).max(0) / 60).unwrap_or(u32::MAX),
    };
    let alarms = alarm_days(settings);
    for account in accounts {
        let context = Context {
            account,
            words,
            language: settings.language,
            alarms: &alarms,
            stamp: &stamp,
        };
        if let Some(term) = term(&account.license) {
            calendar.push(context.term_event(&term));
        }
        for change in &account.license.scheduled_changes {
            calendar.push(context.change_event(change));
        }
    }
    calendar.done().to_string()
}

/// DTSTAMP and SEQUENCE of one export.
struct Stamp {
    now: DateTime<Utc>,
    sequence: u32,
}

/// The reminder days of the settings, without a repeated one (warning = critical).
fn alarm_days(settings: &Settings) -> Vec<i64> {
    let mut days = vec![settings.warning_days, settings.critical_days];
    days.dedup();
    days
}

/// One account's events.
struct Context<'a> {
    account: &'a CalendarAccount,
    words: &'static Words,
    language: Language,
    alarms: &'a [i64],
    stamp: &'a Stamp,
}

impl Context<'_> {
    /// The event at the end of the term: renewal (with its amounts), end or trial end. One UID
    /// for all three, so a trial that was bought or a license that was cancelled updates it.
    fn term_event(&self, term: &Term) -> Event {
        let license = &self.account.license;
        let (date, summary, amounts) = match term {
            Term::Renews(date) => (*date, self.words.renews, Some(*date)),
            Term::RenewsOncePaid(date) => (*date, self.words.renews_once_paid, Some(*date)),
            Term::TrialEnds(date) => (*date, self.words.trial_ends, None),
            Term::Ends(date) => (*date, self.words.ends, None),
        };
        let mut lines = self.license_lines();
        if matches!(term, Term::RenewsOncePaid(_)) {
            lines.push(self.words.unpaid.to_string());
        }
        if let Some(date) = amounts {
            lines.extend(self.renewal_lines(date));
        }
        self.event(
            &uid(
                &self.account.email,
                &self.account.shop_host,
                "term",
                &license.id.to_string(),
            ),
            date,
            &format!("{summary}: {}", license.name),
            lines,
        )
    }

    /// The event of a scheduled change, with the renewal it lowers when the license renews then.
    fn change_event(&self, change: &ScheduledChange) -> Event {
        let license = &self.account.license;
        let item = self.item_name(&change.sku);
        let mut lines = self.license_lines();
        lines.push(format!(
            "{}: {item} → {}",
            self.words.change_line, change.quantity
        ));
        let renews_then = matches!(
            term(license),
            Some(Term::Renews(date) | Term::RenewsOncePaid(date)) if date == change.effective_date
        );
        if renews_then {
            lines.extend(self.renewal_lines(change.effective_date));
        }
        self.event(
            &uid(
                &self.account.email,
                &self.account.shop_host,
                "change",
                &change.id,
            ),
            change.effective_date,
            &format!(
                "{}: {item} → {} ({})",
                self.words.change, change.quantity, license.name
            ),
            lines,
        )
    }

    /// An all-day event on the day in Germany of `at`, with the reminders.
    fn event(&self, uid: &str, at: DateTime<Utc>, summary: &str, lines: Vec<String>) -> Event {
        // Names come from the shop: a bare CR or an escape in them must not reach a calendar.
        let summary = printable(summary);
        let summary = match self.account.verification {
            Verification::Verified | Verification::Outdated => summary,
            Verification::NotVerified | Verification::None => {
                format!("{} {summary}", self.words.not_verified_tag)
            }
        };
        let day = german_day(at);
        let mut event = Event::new();
        event
            .uid(uid)
            .timestamp(self.stamp.now)
            .sequence(self.stamp.sequence)
            .summary(&summary)
            .description(
                &lines
                    .iter()
                    .map(|line| printable(line))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
            .starts(day)
            .add_property("TRANSP", "TRANSPARENT");
        // DTEND is exclusive: the next day makes it one whole day (the crate's all_day sets the
        // same day, which some calendars show as nothing).
        if let Some(next) = day.checked_add_days(Days::new(1)) {
            event.ends(next);
        }
        for days in self.alarms {
            // The crate writes a chrono duration in seconds (`-PT2592000S`); calendars show a
            // whole-day trigger (`-P30D`) as "30 days before", so the TRIGGER is replaced. It
            // also writes a random UID and the system clock's DTSTAMP into any component that
            // lacks them, so the alarm gets the event's (an alarm UID as RFC 9074 allows).
            event.alarm(
                Alarm::display(&summary, chrono::Duration::zero())
                    .append_property(Property::new("TRIGGER", trigger(*days)))
                    .uid(&format!("{uid}-alarm{days}"))
                    .timestamp(self.stamp.now)
                    .done(),
            );
        }
        event.done()
    }

    /// Who, which license, and how far the data is trusted.
    fn license_lines(&self) -> Vec<String> {
        let license = &self.account.license;
        let mut lines = vec![
            format!("{}: {}", self.words.holder, license.name),
            format!("{}: {}", self.words.email, self.account.email),
            format!("{}: {}", self.words.package, license.package.name),
            format!("{}: {}", self.words.shop, self.account.shop_host),
        ];
        let as_of = self
            .account
            .as_of
            .map(|at| self.date(at))
            .unwrap_or_default();
        lines.push(match self.account.verification {
            Verification::Verified => format!("{}: {as_of}", self.words.as_of),
            Verification::Outdated => {
                format!("{}: {as_of} ({})", self.words.as_of, self.words.outdated)
            }
            Verification::NotVerified | Verification::None => self.words.not_verified.to_string(),
        });
        lines
    }

    /// Net, VAT and gross of the renewal on `date` with the cached catalog, or why not.
    fn renewal_lines(&self, date: DateTime<Utc>) -> Vec<String> {
        let heading = format!("{} {}:", self.words.renewal_on, self.date(date));
        let Some(catalog) = &self.account.catalog else {
            return vec![heading, self.words.no_catalog.to_string()];
        };
        match pricing::renewal_at(&self.account.license, catalog, date) {
            Some(renewal) => vec![
                heading,
                format!("{}: {}", self.words.net, self.money(renewal.amounts.net)),
                format!("{}: {}", self.words.vat, self.money(renewal.amounts.vat)),
                format!(
                    "{}: {}",
                    self.words.gross,
                    self.money(renewal.amounts.gross)
                ),
                format!("{}: {}", self.words.price_list, renewal.price_list),
            ],
            None => vec![heading, self.words.price_on_request.to_string()],
        }
    }

    /// The item's name: the license's, else the catalog's in the language, else the SKU.
    fn item_name(&self, sku: &str) -> String {
        let own = self
            .account
            .license
            .items
            .iter()
            .find(|i| i.sku == sku && !i.name.is_empty())
            .map(|i| i.name.clone());
        let catalog = self.account.catalog.as_ref().and_then(|c| c.product(sku));
        own.or_else(|| {
            catalog.map(|p| match self.language {
                Language::De => p.name.de.clone(),
                Language::En => p.name.en.clone(),
            })
        })
        .unwrap_or_else(|| sku.to_string())
    }

    fn money(&self, amount: rust_decimal::Decimal) -> String {
        self.language.euros(amount)
    }

    fn date(&self, at: DateTime<Utc>) -> String {
        self.language.day(at)
    }
}

/// `-P30D`: `days` before the event's start; `PT0S` at the start.
fn trigger(days: i64) -> String {
    if days == 0 {
        "PT0S".to_string()
    } else {
        format!("-P{days}D")
    }
}

/// A UID from the account (e-mail, shop host) and the event (kind, id): the same event gets the
/// same UID in every export; the hash keeps the e-mail address out of other people's calendars.
pub fn uid(email: &str, shop_host: &str, kind: &str, id: &str) -> String {
    let digest = Sha256::digest(format!("{email}\n{shop_host}\n{kind}\n{id}").as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}-{hex}@{UID_DOMAIN}")
}

/// The texts of one language.
struct Words {
    calendar_name: &'static str,
    renews: &'static str,
    renews_once_paid: &'static str,
    unpaid: &'static str,
    ends: &'static str,
    trial_ends: &'static str,
    change: &'static str,
    change_line: &'static str,
    holder: &'static str,
    email: &'static str,
    package: &'static str,
    shop: &'static str,
    as_of: &'static str,
    outdated: &'static str,
    not_verified: &'static str,
    not_verified_tag: &'static str,
    renewal_on: &'static str,
    net: &'static str,
    vat: &'static str,
    gross: &'static str,
    price_list: &'static str,
    no_catalog: &'static str,
    price_on_request: &'static str,
}

const GERMAN: Words = Words {
    calendar_name: "FE2-Lizenzen",
    renews: "FE2-Lizenz verlängert sich",
    renews_once_paid: "FE2-Lizenz: Verlängerung nicht bezahlt",
    unpaid: "Zahlung offen: die Lizenz verlängert sich erst, wenn die Rechnung bezahlt ist.",
    ends: "FE2-Lizenz endet",
    trial_ends: "FE2-Testlizenz endet",
    change: "FE2-Änderung wirksam",
    change_line: "Geplante Änderung",
    holder: "Inhaber",
    email: "Lizenz-E-Mail",
    package: "Paket",
    shop: "Shop",
    as_of: "Stand",
    outdated: "veraltet",
    not_verified: "Daten nicht verifiziert: bitte in der App prüfen.",
    not_verified_tag: "[nicht verifiziert]",
    renewal_on: "Verlängerung am",
    net: "Netto",
    vat: "USt.",
    gross: "Brutto",
    price_list: "Preisliste",
    no_catalog: "Betrag unbekannt: noch keine Preisliste abgerufen.",
    price_on_request: "Betrag: Preis auf Anfrage.",
};

const ENGLISH: Words = Words {
    calendar_name: "FE2 licenses",
    renews: "FE2 license renews",
    renews_once_paid: "FE2 license: renewal not paid",
    unpaid: "Payment outstanding: the license renews only once the invoice is paid.",
    ends: "FE2 license ends",
    trial_ends: "FE2 trial ends",
    change: "FE2 change takes effect",
    change_line: "Scheduled change",
    holder: "Holder",
    email: "License e-mail",
    package: "Package",
    shop: "Shop",
    as_of: "As of",
    outdated: "outdated",
    not_verified: "Data not verified: please check in the app.",
    not_verified_tag: "[not verified]",
    renewal_on: "Renewal on",
    net: "Net",
    vat: "VAT",
    gross: "Gross",
    price_list: "Price list",
    no_catalog: "Amount unknown: no price list fetched yet.",
    price_on_request: "Amount: price on request.",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::De => &GERMAN,
        Language::En => &ENGLISH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn triggers_are_whole_days_before_the_start() {
        assert_eq!(trigger(30), "-P30D");
        assert_eq!(trigger(14), "-P14D");
        assert_eq!(trigger(0), "PT0S");
    }

    #[test]
    fn uids_depend_on_account_kind_and_id_only() {
        let a = uid("a@x.de", "shop.example", "term", "7");
        assert_eq!(a, uid("a@x.de", "shop.example", "term", "7"));
        assert_ne!(a, uid("a@x.de", "other.example", "term", "7"));
        assert_ne!(a, uid("b@x.de", "shop.example", "term", "7"));
        assert_ne!(a, uid("a@x.de", "shop.example", "change", "7"));
        assert!(a.starts_with("term-") && a.ends_with("@fe2-license-manager"));
    }

    #[test]
    fn the_day_is_the_day_in_germany() {
        let summer: DateTime<Utc> = "2027-06-30T22:30:00Z".parse().unwrap();
        assert_eq!(
            german_day(summer),
            NaiveDate::from_ymd_opt(2027, 7, 1).unwrap()
        );
        let winter: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            german_day(winter),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }
}
