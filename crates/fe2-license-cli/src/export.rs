//! `export`: every license with its items, as CSV for German Excel or as JSON for scripts.
//!
//! CSV choices, all for German Excel opening the file with a double click: UTF-8 with BOM (else
//! Excel reads ANSI and breaks the umlauts), `;` as separator (the German list separator), CRLF
//! lines, German headers, dates `01.01.2026` in Europe/Berlin, and money with a decimal comma and
//! no thousands separator (`1234,50`, which Excel reads as a number).

use crate::dates;
use crate::snapshot::Snapshot;
use crate::table::printable;
use chrono::{DateTime, Utc};
use fe2_license::model::License;
use fe2_license::{expiry, Error, Result};
use rust_decimal::Decimal;
use serde::Serialize;

/// The UTF-8 byte order mark.
const BOM: &str = "\u{feff}";

/// The header row.
const HEADER: [&str; 16] = [
    "E-Mail",
    "Inhaber",
    "Lizenz-Nr.",
    "Art",
    "Status",
    "Paket",
    "Läuft ab",
    "Tage übrig",
    "Daten",
    "Stand",
    "Artikelnummer",
    "Artikel",
    "Anzahl",
    "Einzelpreis netto",
    "Summe netto",
    "Währung",
];

/// A text cell: a `=`, `+`, `-`, `@` (or tab/CR) at the start or right after a `,` gets a `'`
/// so that Excel never runs shop-supplied text as a formula, also where `,` is the list
/// separator and Excel splits the cell there (the csv writer quotes `;`, `"` and line breaks).
pub fn text_cell(text: &str) -> String {
    let mut cell = String::with_capacity(text.len() + 1);
    let mut part_starts = true;
    for c in text.chars() {
        if part_starts && matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r') {
            cell.push('\'');
        }
        cell.push(c);
        part_starts = c == ',';
    }
    cell
}

/// Money with a decimal comma and two places (`650,00`).
pub fn money_cell(amount: Decimal) -> String {
    fe2_license::money::to_text(amount).replace('.', ",")
}

/// The license columns of one row (everything before the item columns).
fn license_cells(snapshot: &Snapshot, license: &License, now: DateTime<Utc>) -> Vec<String> {
    vec![
        text_cell(&snapshot.email),
        text_cell(&license.name),
        license.id.to_string(),
        text_cell(license.kind.as_str()),
        text_cell(license.status.as_str()),
        text_cell(&license.package.name),
        expiry::expires_at(license)
            .map(dates::date)
            .unwrap_or_default(),
        expiry::days_left(license, now).to_string(),
        text_cell(snapshot.trust.german()),
        snapshot.as_of.map(dates::date_time).unwrap_or_default(),
    ]
}

/// The CSV file: BOM, header, one row per license item (a license without items, or an
/// account without data, still gets one row so that nothing is silently left out); an error when
/// an item's price times its quantity is beyond what an amount can hold.
pub fn csv(snapshots: &[Snapshot], now: DateTime<Utc>) -> Result<String> {
    let mut rows: Vec<Vec<String>> = vec![HEADER.iter().map(|h| h.to_string()).collect()];
    for snapshot in snapshots {
        let Some(license) = &snapshot.license else {
            let mut row = vec![text_cell(&snapshot.email)];
            row.resize(8, String::new());
            row.push(text_cell(snapshot.trust.german()));
            row.resize(HEADER.len(), String::new());
            rows.push(row);
            continue;
        };
        let base = license_cells(snapshot, license, now);
        if license.items.is_empty() {
            let mut row = base.clone();
            row.resize(HEADER.len(), String::new());
            rows.push(row);
        }
        for item in &license.items {
            let mut row = base.clone();
            row.push(text_cell(&item.sku));
            row.push(text_cell(&item.name));
            row.push(item.quantity.to_string());
            row.push(item.unit_price.map(money_cell).unwrap_or_default());
            let total = match item.unit_price {
                Some(price) => {
                    money_cell(price.checked_mul(Decimal::from(item.quantity)).ok_or_else(
                        || {
                            Error::NotAShopApi(format!(
                                "item {}: {} × {price} is too large",
                                printable(&item.sku),
                                item.quantity
                            ))
                        },
                    )?)
                }
                None => String::new(),
            };
            row.push(total);
            row.push(text_cell(&license.currency));
            rows.push(row);
        }
    }
    Ok(excel_csv(rows))
}

/// Rows as German Excel opens them: BOM, `;`, CRLF, quoting by the csv writer.
pub fn excel_csv(rows: Vec<Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.as_bytes().to_vec());
    for row in rows {
        // Writing into memory cannot fail.
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    // Every cell is a String, so the bytes are UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// One license in the JSON export.
#[derive(Serialize)]
struct ExportedLicense<'a> {
    email: &'a str,
    shop_url: &'a str,
    verification: crate::snapshot::Trust,
    as_of: Option<DateTime<Utc>>,
    fetched_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    days_left: Option<i64>,
    usable: Option<bool>,
    license: Option<&'a License>,
}

/// The JSON export: an array, one object per account, the Shop API's `License` inside.
pub fn json(snapshots: &[Snapshot], now: DateTime<Utc>) -> String {
    let exported: Vec<ExportedLicense> = snapshots
        .iter()
        .map(|s| ExportedLicense {
            email: &s.email,
            shop_url: &s.shop_url,
            verification: s.trust,
            as_of: s.as_of,
            fetched_at: s.fetched_at,
            expires_at: s.license.as_ref().and_then(expiry::expires_at),
            days_left: s.license.as_ref().map(|l| expiry::days_left(l, now)),
            usable: s.license.as_ref().map(|l| expiry::is_usable(l, now)),
            license: s.license.as_ref(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&exported).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{at, verified};
    use crate::snapshot::Trust;

    const NOW: &str = "2025-07-02T12:00:00Z";

    #[test]
    fn csv_is_for_german_excel_with_one_row_per_item() {
        let mut snapshot = verified("leitstelle@ff-musterstadt.de", "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = snapshot.license.as_mut() {
            l.name = "FF Musterstadt; Löschzug \"Nord\"".into();
        }
        let text = csv(&[snapshot], at(NOW)).unwrap();
        assert!(text.starts_with("\u{feff}E-Mail;Inhaber;"));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{lines:?}"); // header, two items, final empty
        assert_eq!(lines[3], "");
        assert_eq!(
            lines[2],
            "leitstelle@ff-musterstadt.de;\"FF Musterstadt; Löschzug \"\"Nord\"\"\";4711;\
             subscription;active;FE2 Basispaket;01.01.2026;183;verifiziert;02.07.2025 14:00;\
             fe2-persons;Zusätzliche Personen;20;12,00;240,00;EUR"
        );
        for line in &lines[..3] {
            assert_eq!(
                line.matches(';').count() - usize::from(line.contains("Nord")),
                15
            );
        }
    }

    #[test]
    fn formulas_from_the_shop_are_defused_and_accounts_without_data_kept() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        let mut hostile = verified("a@x.de", "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = hostile.license.as_mut() {
            l.name = "=HYPERLINK(\"x\");\r\nb".into();
        }
        let text = csv(&[hostile], at(NOW)).unwrap();
        // Defused, then quoted by the csv writer: the row stays one row of 16 cells.
        assert!(
            text.contains(";\"'=HYPERLINK(\"\"x\"\");\r\nb\";"),
            "{text:?}"
        );
        assert_eq!(text_cell("-1"), "'-1");
        assert_eq!(text_cell("plain"), "plain");
        let mut empty = verified("b@x.de", "2026-01-01T00:00:00Z", NOW);
        empty.license = None;
        empty.trust = Trust::None;
        let text = csv(&[empty], at(NOW)).unwrap();
        assert!(
            text.ends_with("b@x.de;;;;;;;;keine Daten;;;;;;;\r\n"),
            "{text:?}"
        );
    }

    #[test]
    fn json_export_has_the_license_with_items_and_core_days() {
        let snapshot = verified("a@x.de", "2026-01-01T00:00:00Z", NOW);
        let value: serde_json::Value = serde_json::from_str(&json(&[snapshot], at(NOW))).unwrap();
        assert_eq!(value[0]["email"], "a@x.de");
        assert_eq!(value[0]["days_left"], 183);
        assert_eq!(value[0]["license"]["items"][1]["unit_price"], "12.00");
        assert_eq!(value[0]["verification"], "verified");
    }

    #[test]
    fn formulas_after_a_comma_are_defused_for_comma_locales() {
        // Excel set to `,` as the list separator splits the cell there: each part must be safe.
        assert_eq!(
            text_cell("FF Nord,=HYPERLINK(\"x\")"),
            "FF Nord,'=HYPERLINK(\"x\")"
        );
        assert_eq!(text_cell("=1,+2,a,-3,@4"), "'=1,'+2,a,'-3,'@4");
        assert_eq!(text_cell("a,\tb"), "a,'\tb");
        assert_eq!(text_cell("Löschzug 1, Nord"), "Löschzug 1, Nord");
    }

    #[test]
    fn an_amount_too_large_is_an_error_not_a_panic() {
        let mut huge = verified("a@x.de", "2026-01-01T00:00:00Z", NOW);
        if let Some(l) = huge.license.as_mut() {
            for item in &mut l.items {
                item.unit_price = Some(Decimal::MAX);
                item.quantity = 2;
            }
        }
        let error = csv(&[huge], at(NOW)).unwrap_err();
        assert!(error.to_string().contains("is too large"), "{error}");
    }
}
