//! docs/domain.md's worked examples, to the cent.

mod common;

use common::{at, catalog, dec, license};
use fe2_license::model::{ChangeKind, RequestedItem};
use fe2_license::pricing;

#[test]
fn example_1_upgrade_persons_20_to_30() {
    let lic = license(&[("fe2-persons", 20)]);
    let now = at("2025-07-02T12:00:00Z");
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 30)],
        now,
    )
    .unwrap();
    assert_eq!(q.days_remaining, 183);
    assert_eq!(q.days_in_period, 365);
    assert_eq!(q.price_list, "2023-04-17");
    assert_eq!(q.lines.len(), 1);
    let line = &q.lines[0];
    assert_eq!((line.from, line.to), (20, 30));
    assert_eq!(line.change, ChangeKind::Upgrade);
    assert_eq!(line.unit_price, dec("12.00"));
    assert_eq!(line.fee, dec("60.16"));
    assert_eq!(line.effective_date, Some(now));
    assert_eq!(q.setup_fee.net, dec("60.16"));
    assert_eq!(q.setup_fee.vat, dec("11.43"));
    assert_eq!(q.setup_fee.gross, dec("71.59"));
    let renewal = q.next_renewal.clone().unwrap();
    assert_eq!(renewal.date, at("2026-01-01T00:00:00Z"));
    assert_eq!(renewal.net, dec("1010.00"));
    assert_eq!(renewal.vat, dec("191.90"));
    assert_eq!(renewal.gross, dec("1201.90"));

    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json["setup_fee"]["gross"], "71.59");
    assert_eq!(json["lines"][0]["fee"], "60.16");
    assert_eq!(json["setup_fee"]["vat_rate"], "0.19");

    let mut after = lic.clone();
    pricing::apply(&mut after, &q, &mut || "sc_x".to_string());
    assert_eq!(after.quantity("fe2-persons"), 30);
    assert!(after.scheduled_changes.is_empty());
    assert_eq!(pricing::next_renewal(&after, &catalog()), q.next_renewal);
}

#[test]
fn example_2_downgrade_persons_20_to_10() {
    let lic = license(&[("fe2-persons", 20)]);
    let now = at("2025-10-01T00:00:00Z");
    let before = pricing::next_renewal(&lic, &catalog()).unwrap();
    assert_eq!(before.net, dec("890.00"));
    let q = pricing::quote(
        &lic,
        &catalog(),
        &[RequestedItem::new("fe2-persons", 10)],
        now,
    )
    .unwrap();
    let line = &q.lines[0];
    assert_eq!(line.change, ChangeKind::Downgrade);
    assert_eq!(line.fee, dec("0.00"));
    assert_eq!(line.effective_date, Some(at("2026-01-01T00:00:00Z")));
    assert_eq!(q.setup_fee.net, dec("0.00"));
    assert_eq!(q.setup_fee.gross, dec("0.00"));
    let renewal = q.next_renewal.clone().unwrap();
    assert_eq!(before.net - renewal.net, dec("120.00"));

    let mut after = lic.clone();
    pricing::apply(&mut after, &q, &mut || "sc_1".to_string());
    assert_eq!(
        after.quantity("fe2-persons"),
        20,
        "persons stay until the period end"
    );
    assert_eq!(after.scheduled_changes.len(), 1);
    let change = &after.scheduled_changes[0];
    assert_eq!(
        (change.id.as_str(), change.sku.as_str(), change.quantity),
        ("sc_1", "fe2-persons", 10)
    );
    assert_eq!(change.effective_date, at("2026-01-01T00:00:00Z"));
    assert_eq!(pricing::next_renewal(&after, &catalog()), Some(renewal));

    assert!(!pricing::apply_due_changes(
        &mut after,
        at("2025-12-31T23:59:59Z")
    ));
    assert_eq!(after.quantity("fe2-persons"), 20);
    assert!(pricing::apply_due_changes(
        &mut after,
        at("2026-01-01T00:00:00Z")
    ));
    assert_eq!(after.quantity("fe2-persons"), 10);
    assert!(after.scheduled_changes.is_empty());
}

#[test]
fn example_3_mixed_request() {
    let lic = license(&[
        ("fe2-persons", 20),
        ("fe2-amweb", 2),
        ("fe2-amobile-pro", 1),
    ]);
    let now = at("2025-10-01T08:30:00Z");
    let request = [
        RequestedItem::new("fe2-persons", 25),
        RequestedItem::new("fe2-amweb", 3),
        RequestedItem::new("fe2-amobile-pro", 0),
    ];
    let q = pricing::quote(&lic, &catalog(), &request, now).unwrap();
    assert_eq!(q.days_remaining, 92);
    let fees: Vec<_> = q.lines.iter().map(|l| l.fee).collect();
    assert_eq!(fees, vec![dec("15.12"), dec("22.68"), dec("0.00")]);
    assert_eq!(q.setup_fee.net, dec("37.80"));
    assert_eq!(q.setup_fee.vat, dec("7.18"));
    assert_eq!(q.setup_fee.gross, dec("44.98"));
    assert_eq!(q.lines[2].change, ChangeKind::Downgrade);
    assert_eq!(q.lines[2].effective_date, Some(at("2026-01-01T00:00:00Z")));
    // 650 + 25 × 12 + 3 × 90, aMobile PRO gone at the renewal.
    assert_eq!(q.next_renewal.clone().unwrap().net, dec("1220.00"));

    let mut after = lic.clone();
    let mut n = 0;
    pricing::apply(&mut after, &q, &mut || {
        n += 1;
        format!("sc_{n}")
    });
    assert_eq!(after.quantity("fe2-persons"), 25);
    assert_eq!(after.quantity("fe2-amweb"), 3);
    assert_eq!(after.quantity("fe2-amobile-pro"), 1);
    assert_eq!(after.scheduled_changes.len(), 1);
    assert_eq!(after.scheduled_changes[0].sku, "fe2-amobile-pro");
    assert_eq!(after.scheduled_changes[0].quantity, 0);
    assert_eq!(
        after.scheduled_changes[0].effective_date,
        at("2026-01-01T00:00:00Z")
    );
}
