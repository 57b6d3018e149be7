//! The renewal reminder's window: N days before an auto-renewing license's next renewal, the
//! boundary day included, never for a trial, a cancelled, an on-hold or an expired license.

mod common;

use common::{at, catalog, dec, license};
use fe2_license::model::{Kind, Status};
use fe2_license::reminder::renewal_reminder;

// The fixture license renews on 2026-01-01T00:00:00Z.

#[test]
fn the_reminder_opens_n_days_before_the_renewal_boundary_day_included() {
    let lic = license(&[("fe2-persons", 30)]);
    let catalog = catalog();
    // 90 days before to the second: the boundary day counts.
    let first = renewal_reminder(&lic, Some(&catalog), at("2025-10-03T00:00:00Z"), 90).unwrap();
    assert_eq!(first.date, at("2026-01-01T00:00:00Z"));
    assert_eq!(first.days_left, 90);
    // The dashboard's next renewal to the cent: 650 + 30 × 12 = 1010.00 net, 1201.90 gross.
    assert_eq!(first.net, Some(dec("1010.00")));
    assert_eq!(first.gross, Some(dec("1201.90")));
    // One second earlier it is 91 days (rounded up): not yet.
    assert_eq!(
        renewal_reminder(&lic, Some(&catalog), at("2025-10-02T23:59:59Z"), 90),
        None
    );
    // The last day before the renewal still reminds; at the renewal it is over.
    let last = renewal_reminder(&lic, Some(&catalog), at("2025-12-31T12:00:00Z"), 90).unwrap();
    assert_eq!(last.days_left, 1);
    assert_eq!(
        renewal_reminder(&lic, Some(&catalog), at("2026-01-01T00:00:00Z"), 90),
        None
    );
    // 0 days turns it off.
    assert_eq!(
        renewal_reminder(&lic, Some(&catalog), at("2025-12-31T12:00:00Z"), 0),
        None
    );
}

#[test]
fn without_a_catalog_the_date_comes_alone() {
    let lic = license(&[]);
    let reminder = renewal_reminder(&lic, None, at("2025-12-01T00:00:00Z"), 90).unwrap();
    assert_eq!(reminder.date, at("2026-01-01T00:00:00Z"));
    assert_eq!((reminder.net, reminder.gross), (None, None));
}

#[test]
fn licenses_that_do_not_renew_by_themselves_get_no_reminder() {
    let now = at("2025-12-01T00:00:00Z");
    let catalog = catalog();
    let mut trial = license(&[]);
    trial.kind = Kind::Trial;
    trial.trial_end_date = trial.next_payment_date;
    let mut cancelled = license(&[]);
    cancelled.status = Status::PendingCancel;
    cancelled.end_date = cancelled.next_payment_date;
    let mut expired = license(&[]);
    expired.status = Status::Expired;
    let mut on_hold = license(&[]);
    on_hold.status = Status::OnHold;
    let mut no_date = license(&[]);
    no_date.next_payment_date = None;
    for lic in [trial, cancelled, expired, on_hold, no_date] {
        assert_eq!(
            renewal_reminder(&lic, Some(&catalog), now, 90),
            None,
            "{:?} {:?}",
            lic.kind,
            lic.status
        );
    }
}
