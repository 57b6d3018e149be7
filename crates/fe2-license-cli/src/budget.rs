//! `budget`: the budget years (Haushaltsjahre) of every license, as a table in the user's
//! language, a CSV file for German Excel, or JSON. The figures are the core's
//! (`fe2_license::budget`); this module only lays them out and marks data that is not verified.

use crate::dates;
use crate::export::{excel_csv, money_cell, text_cell};
use crate::snapshot::{Snapshot, Trust};
use crate::table::render;
use chrono::{DateTime, Utc};
use fe2_license::budget::{BudgetYear, LicenseBudget, NotCounted};
use fe2_license::config::Language;
use fe2_license::model::OrderType;
use fe2_license::service::BudgetReport;
use rust_decimal::Decimal;
use serde::Serialize;

/// One account in one budget year.
#[derive(Debug, Serialize)]
pub struct AccountYear {
    /// The license e-mail.
    pub email: String,
    /// How far the license data can be trusted (as `status` says it).
    pub verification: Trust,
    /// When the shop issued the data.
    pub as_of: Option<DateTime<Utc>>,
    /// False when the orders could not be fetched: "already ordered" and "already charged" may
    /// be missing.
    pub orders_known: bool,
    /// The core's figures, `None` when nothing was ever fetched.
    pub budget: Option<LicenseBudget>,
}

/// One budget year: the service's totals and every account.
#[derive(Debug, Serialize)]
pub struct YearReport {
    /// The core's totals of the year.
    #[serde(flatten)]
    pub totals: BudgetYear,
    /// True when every account's data is verified and its orders are known.
    pub all_verified: bool,
    /// Every account, in the order of `status`.
    pub accounts: Vec<AccountYear>,
}

/// The service's reports with each account's trust as the command line words it (a service
/// account's "not re-checked" data included, see `run::snapshot`).
pub fn reports(service_reports: Vec<BudgetReport>, snapshots: &[Snapshot]) -> Vec<YearReport> {
    let trust_of = |email: &str| {
        snapshots
            .iter()
            .find(|s| s.email == email)
            .map_or(Trust::None, |s| s.trust)
    };
    service_reports
        .into_iter()
        .map(|report| YearReport {
            totals: report.totals,
            all_verified: report.all_verified,
            accounts: report
                .accounts
                .into_iter()
                .map(|a| AccountYear {
                    verification: trust_of(&a.email),
                    email: a.email,
                    as_of: a.as_of,
                    orders_known: a.orders_known,
                    budget: a.budget,
                })
                .collect(),
        })
        .collect()
}

/// The words of the people's outputs in one language.
struct Words {
    header: [&'static str; 10],
    year: &'static str,
    renewal_total: &'static str,
    ordered: &'static str,
    charged: &'static str,
    renewal_order: &'static str,
    parent_order: &'static str,
    year_total: &'static str,
    incomplete: &'static str,
    not_all_verified: &'static str,
    orders_unknown: &'static str,
    no_data: &'static str,
    no_renewal_in: &'static str,
}

const GERMAN: Words = Words {
    header: [
        "Inhaber",
        "E-Mail",
        "Datum",
        "Artikel",
        "Anzahl",
        "Einzelpreis",
        "Netto",
        "USt",
        "Brutto",
        "Daten",
    ],
    year: "Haushaltsjahr",
    renewal_total: "Verlängerung gesamt",
    ordered: "bereits bestellt",
    charged: "bereits berechnet",
    renewal_order: "Verlängerung",
    parent_order: "Erstbestellung",
    year_total: "Summe",
    incomplete: "unvollständig: nicht jede Verlängerung hat einen Preis",
    not_all_verified: "nicht alle Daten sind verifiziert (Spalte Daten)",
    orders_unknown: "Bestellungen nicht abrufbar",
    no_data: "keine Daten",
    no_renewal_in: "keine Verlängerung in",
};

const ENGLISH: Words = Words {
    header: [
        "Holder",
        "E-mail",
        "Date",
        "Item",
        "Quantity",
        "Unit price",
        "Net",
        "VAT",
        "Gross",
        "Data",
    ],
    year: "Budget year",
    renewal_total: "renewal total",
    ordered: "already ordered",
    charged: "already charged",
    renewal_order: "renewal",
    parent_order: "first order",
    year_total: "Total",
    incomplete: "incomplete: not every renewal has a price",
    not_all_verified: "not all data is verified (column Data)",
    orders_unknown: "orders not available",
    no_data: "no data",
    no_renewal_in: "no renewal in",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::De => &GERMAN,
        Language::En => &ENGLISH,
    }
}

fn trust_word(trust: Trust, language: Language) -> &'static str {
    match language {
        Language::De => trust.german(),
        Language::En => trust.english(),
    }
}

/// Why a license counts zero, in words.
fn reason_text(reason: &NotCounted, language: Language) -> String {
    let day = |at: &Option<DateTime<Utc>>| at.map(dates::date).unwrap_or_else(|| "–".into());
    match (reason, language) {
        (NotCounted::Trial { ends }, Language::De) => format!("Testlizenz, endet {}", day(ends)),
        (NotCounted::Trial { ends }, Language::En) => format!("trial, ends {}", day(ends)),
        (NotCounted::PendingCancel { ends }, Language::De) => {
            format!("gekündigt, endet {}", day(ends))
        }
        (NotCounted::PendingCancel { ends }, Language::En) => {
            format!("cancelled, ends {}", day(ends))
        }
        (NotCounted::NotRenewing { status }, Language::De) => {
            format!("Status {status}: keine Verlängerung")
        }
        (NotCounted::NotRenewing { status }, Language::En) => {
            format!("status {status}: does not renew")
        }
        (NotCounted::FixedTerm { ends }, Language::De) => {
            format!("befristet, endet {}", dates::date(*ends))
        }
        (NotCounted::FixedTerm { ends }, Language::En) => {
            format!("fixed term, ends {}", dates::date(*ends))
        }
        (NotCounted::NoRenewalDate, Language::De) => "kein Verlängerungsdatum".into(),
        (NotCounted::NoRenewalDate, Language::En) => "no renewal date".into(),
        (NotCounted::NoCatalog, Language::De) => "keine Preisliste bekannt".into(),
        (NotCounted::NoCatalog, Language::En) => "no price list known".into(),
        (NotCounted::PriceOnRequest { date }, Language::De) => {
            format!("Verlängerung {}: Preis auf Anfrage", dates::date(*date))
        }
        (NotCounted::PriceOnRequest { date }, Language::En) => {
            format!("renewal {}: price on request", dates::date(*date))
        }
    }
}

/// One row of the people's outputs, before it is laid out as a table or CSV.
struct Row {
    kind: RowKind,
    holder: String,
    email: String,
    license_id: String,
    date: String,
    price_list: String,
    sku: String,
    item: String,
    quantity: String,
    unit_price: String,
    net: String,
    vat: String,
    gross: String,
    data: String,
}

/// What a row is, for the CSV's "Zeile" column.
#[derive(Clone, Copy)]
enum RowKind {
    Line,
    Renewal,
    NotCounted,
    Ordered,
    Charged,
    Total,
}

impl RowKind {
    fn german(self) -> &'static str {
        match self {
            RowKind::Line => "Position",
            RowKind::Renewal => "Verlängerung",
            RowKind::NotCounted => "nicht gezählt",
            RowKind::Ordered => "bereits bestellt",
            RowKind::Charged => "bereits berechnet",
            RowKind::Total => "Summe Haushaltsjahr",
        }
    }
}

impl Row {
    /// A row with nothing in it yet.
    fn blank(kind: RowKind) -> Self {
        Row {
            kind,
            holder: String::new(),
            email: String::new(),
            license_id: String::new(),
            date: String::new(),
            price_list: String::new(),
            sku: String::new(),
            item: String::new(),
            quantity: String::new(),
            unit_price: String::new(),
            net: String::new(),
            vat: String::new(),
            gross: String::new(),
            data: String::new(),
        }
    }

    /// A row of an account: its holder, e-mail, license number and data trust filled in.
    fn new(kind: RowKind, account: &AccountYear, language: Language) -> Self {
        let budget = account.budget.as_ref();
        Row {
            holder: budget.map(|b| b.holder.clone()).unwrap_or_default(),
            email: account.email.clone(),
            license_id: budget.map(|b| b.license_id.to_string()).unwrap_or_default(),
            data: trust_word(account.verification, language).to_string(),
            ..Row::blank(kind)
        }
    }
}

/// Every row of one year: per account its renewal lines and totals, the reason it counts zero,
/// its switch orders and its renewals and purchases already charged; then the year's totals.
fn rows(report: &YearReport, language: Language) -> Vec<Row> {
    let words = words(language);
    let mut rows = Vec::new();
    for account in &report.accounts {
        let Some(budget) = &account.budget else {
            let mut row = Row::new(RowKind::NotCounted, account, language);
            row.item = words.no_data.to_string();
            rows.push(row);
            continue;
        };
        for renewal in &budget.renewals {
            for line in &renewal.lines {
                let mut row = Row::new(RowKind::Line, account, language);
                row.date = dates::date(renewal.date);
                row.price_list = renewal.price_list.clone();
                row.sku = line.sku.clone();
                row.item = line.name.clone();
                row.quantity = line.quantity.to_string();
                row.unit_price = money_cell(line.unit_price);
                row.net = money_cell(line.net);
                rows.push(row);
            }
            let mut row = Row::new(RowKind::Renewal, account, language);
            row.date = dates::date(renewal.date);
            row.price_list = renewal.price_list.clone();
            row.item = words.renewal_total.to_string();
            row.net = money_cell(renewal.amounts.net);
            row.vat = money_cell(renewal.amounts.vat);
            row.gross = money_cell(renewal.amounts.gross);
            rows.push(row);
        }
        let reason = match &budget.not_counted {
            Some(reason) => Some(reason_text(reason, language)),
            None if budget.renewals.is_empty() => {
                Some(format!("{} {}", words.no_renewal_in, report.totals.year))
            }
            None => None,
        };
        if let Some(reason) = reason {
            let mut row = Row::new(RowKind::NotCounted, account, language);
            row.item = reason;
            rows.push(row);
        }
        for order in &budget.ordered {
            let mut row = Row::new(RowKind::Ordered, account, language);
            row.date = dates::date(order.date);
            row.item = format!("{} {} ({})", words.ordered, order.order_id, order.status);
            row.gross = money_cell(order.gross);
            rows.push(row);
        }
        for order in &budget.charged {
            let what = match order.order_type {
                OrderType::ParentOrder => words.parent_order,
                _ => words.renewal_order,
            };
            let mut row = Row::new(RowKind::Charged, account, language);
            row.date = dates::date(order.date);
            row.item = format!(
                "{} {} {} ({})",
                words.charged, what, order.order_id, order.status
            );
            row.gross = money_cell(order.gross);
            rows.push(row);
        }
        if !account.orders_known {
            let mut row = Row::new(RowKind::Ordered, account, language);
            row.item = words.orders_unknown.to_string();
            rows.push(row);
        }
    }
    let mut total = Row {
        holder: format!("{} {}", words.year_total, report.totals.year),
        net: money_cell(report.totals.total.net),
        vat: money_cell(report.totals.total.vat),
        gross: money_cell(report.totals.total.gross),
        ..Row::blank(RowKind::Total)
    };
    let mut notes = Vec::new();
    if !report.totals.complete {
        notes.push(words.incomplete);
    }
    if !report.all_verified {
        notes.push(words.not_all_verified);
    }
    total.data = notes.join("; ");
    rows.push(total);
    for (kind, word, gross) in [
        (RowKind::Charged, words.charged, report.totals.charged_gross),
        (RowKind::Ordered, words.ordered, report.totals.ordered_gross),
    ] {
        if gross > Decimal::ZERO {
            rows.push(Row {
                holder: format!("{word} {}", report.totals.year),
                gross: money_cell(gross),
                ..Row::blank(kind)
            });
        }
    }
    rows
}

/// The people's table: one block per year.
pub fn table(reports: &[YearReport], language: Language) -> String {
    let words = words(language);
    let mut text = String::new();
    for (i, report) in reports.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!("{} {}\n", words.year, report.totals.year));
        let cells: Vec<Vec<String>> = rows(report, language)
            .into_iter()
            .map(|r| {
                vec![
                    r.holder,
                    r.email,
                    r.date,
                    r.item,
                    r.quantity,
                    r.unit_price,
                    r.net,
                    r.vat,
                    r.gross,
                    r.data,
                ]
            })
            .collect();
        text.push_str(&render(&words.header, &cells));
    }
    text
}

/// The CSV header.
const CSV_HEADER: [&str; 17] = [
    "Haushaltsjahr",
    "Zeile",
    "E-Mail",
    "Inhaber",
    "Lizenz-Nr.",
    "Datum",
    "Preisliste",
    "Artikelnummer",
    "Artikel",
    "Anzahl",
    "Einzelpreis netto",
    "Netto",
    "USt",
    "Brutto",
    "Daten",
    "Stand",
    "Währung",
];

/// The CSV file for German Excel (as `export`): one row per renewal line, per renewal total,
/// per license not counted, per order of the year, and the year's totals; the "Zeile" column says
/// which, so that a filter on "Verlängerung" sums the renewals without counting lines twice.
pub fn csv(reports: &[YearReport]) -> String {
    let mut out: Vec<Vec<String>> = vec![CSV_HEADER.iter().map(|h| h.to_string()).collect()];
    for report in reports {
        let as_of = |email: &str| {
            report
                .accounts
                .iter()
                .find(|a| a.email == email)
                .and_then(|a| a.as_of)
                .map(dates::date_time)
                .unwrap_or_default()
        };
        for row in rows(report, Language::De) {
            let stand = as_of(&row.email);
            out.push(vec![
                report.totals.year.to_string(),
                row.kind.german().to_string(),
                text_cell(&row.email),
                text_cell(&row.holder),
                row.license_id,
                row.date,
                text_cell(&row.price_list),
                text_cell(&row.sku),
                text_cell(&row.item),
                row.quantity,
                row.unit_price,
                row.net,
                row.vat,
                row.gross,
                text_cell(&row.data),
                stand,
                "EUR".to_string(),
            ]);
        }
    }
    excel_csv(out)
}

/// JSON for scripts: an array, one object per year.
pub fn json(reports: &[YearReport]) -> String {
    let mut text = serde_json::to_string_pretty(reports).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::fixtures::{at, verified};
    use fe2_license::budget;
    use fe2_license::model::{Catalog, Order, OrderStatus, OrderType};

    fn catalog() -> Catalog {
        serde_json::from_value(serde_json::json!({
            "currency": "EUR", "vat_rate": "0.19",
            "price_lists": [{"id": "2023-04-17", "valid_from": "2023-04-17",
                "prices": {"fe2-basis": "650.00", "fe2-persons": "12.00"}}],
            "products": []
        }))
        .unwrap()
    }

    /// Two licenses in `year`: one verified with a switch order in 2026, one not verified
    /// whose orders could not be fetched.
    fn year_report(year: i32) -> YearReport {
        let as_of = "2025-07-02T12:00:00Z";
        let first = verified(
            "leitstelle@ff-musterstadt.de",
            "2026-01-01T00:00:00Z",
            as_of,
        );
        let second = verified("zweite@ff-musterstadt.de", "2026-06-15T00:00:00Z", as_of);
        let orders = [Order {
            id: 10042,
            order_type: OrderType::SwitchOrder,
            status: OrderStatus::Pending,
            total: "71.59".parse().unwrap(),
            date_created: at("2026-07-02T12:00:00Z"),
            date_paid: None,
        }];
        let catalog = catalog();
        let a = budget::license_budget(
            first.license.as_ref().unwrap(),
            Some(&catalog),
            &orders,
            year,
        );
        let b = budget::license_budget(second.license.as_ref().unwrap(), Some(&catalog), &[], year);
        YearReport {
            totals: budget::budget_year(year, &[a.clone(), b.clone()]),
            all_verified: false,
            accounts: vec![
                AccountYear {
                    email: first.email,
                    verification: Trust::Verified,
                    as_of: first.as_of,
                    orders_known: true,
                    budget: Some(a),
                },
                AccountYear {
                    email: second.email,
                    verification: Trust::NotVerified,
                    as_of: second.as_of,
                    orders_known: false,
                    budget: Some(b),
                },
            ],
        }
    }

    #[test]
    fn the_csv_has_lines_renewals_orders_and_the_total_for_excel() {
        let text = csv(&[year_report(2026)]);
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert!(
            lines[0].starts_with("Haushaltsjahr;Zeile;E-Mail"),
            "{}",
            lines[0]
        );
        // 650 + 20 × 12 = 890.00 net, 169.10 VAT, 1059.10 gross, for each of the two.
        let renewal = lines
            .iter()
            .find(|l| l.contains(";Verlängerung;leitstelle@"))
            .expect("renewal row");
        assert!(
            renewal.contains(";890,00;169,10;1059,10;verifiziert;"),
            "{renewal}"
        );
        let second = lines
            .iter()
            .find(|l| l.contains(";Verlängerung;zweite@"))
            .expect("second renewal row");
        assert!(second.contains(";nicht verifiziert;"), "{second}");
        assert!(lines
            .iter()
            .any(|l| l.contains("bereits bestellt 10042 (pending)") && l.contains(";71,59;")));
        assert!(lines
            .iter()
            .any(|l| l.contains("Bestellungen nicht abrufbar")));
        let total = lines
            .iter()
            .find(|l| l.starts_with("2026;Summe Haushaltsjahr;"))
            .expect("total row");
        assert!(total.contains(";1780,00;338,20;2118,20;"), "{total}");
        assert!(
            total.contains("nicht alle Daten sind verifiziert"),
            "{total}"
        );
    }

    #[test]
    fn the_table_speaks_the_users_language_and_json_carries_the_figures() {
        let reports = [year_report(2026), year_report(2027)];
        let german = table(&reports, Language::De);
        assert!(german.contains("Haushaltsjahr 2026"), "{german}");
        assert!(german.contains("Haushaltsjahr 2027"), "{german}");
        assert!(german.contains("Summe 2026"), "{german}");
        let english = table(&reports, Language::En);
        assert!(english.contains("Budget year 2026"), "{english}");
        let json: serde_json::Value = serde_json::from_str(&json(&reports)).unwrap();
        assert_eq!(json[0]["year"], 2026);
        assert_eq!(json[0]["gross"], "2118.20");
        assert_eq!(json[0]["ordered_gross"], "71.59");
        assert_eq!(json[0]["all_verified"], false);
        assert_eq!(json[0]["accounts"][1]["verification"], "not_verified");
        assert_eq!(
            json[0]["accounts"][0]["budget"]["renewals"][0]["net"],
            "890.00"
        );
        // 2027: both renew again (the switch order was 2026).
        assert_eq!(json[1]["ordered_gross"], "0.00");
        assert_eq!(json[1]["net"], "1780.00");
    }

    #[test]
    fn renewals_already_charged_in_the_year_are_listed_and_summed_apart() {
        // Renewed (and paid) on 1 January 2026: no renewal of 2026 left, one charged.
        let snapshot = verified(
            "leitstelle@ff-musterstadt.de",
            "2027-01-01T00:00:00Z",
            "2026-03-02T12:00:00Z",
        );
        let orders = [Order {
            id: 10050,
            order_type: OrderType::RenewalOrder,
            status: OrderStatus::Completed,
            total: "1059.10".parse().unwrap(),
            date_created: at("2026-01-01T00:00:00Z"),
            date_paid: Some(at("2026-01-02T09:00:00Z")),
        }];
        let part = budget::license_budget(
            snapshot.license.as_ref().unwrap(),
            Some(&catalog()),
            &orders,
            2026,
        );
        let report = YearReport {
            totals: budget::budget_year(2026, std::slice::from_ref(&part)),
            all_verified: true,
            accounts: vec![AccountYear {
                email: snapshot.email,
                verification: Trust::Verified,
                as_of: snapshot.as_of,
                orders_known: true,
                budget: Some(part),
            }],
        };
        let text = csv(std::slice::from_ref(&report));
        let lines: Vec<&str> = text.split("\r\n").collect();
        let charged = lines
            .iter()
            .find(|l| l.contains(";bereits berechnet;leitstelle@"))
            .expect("charged row");
        assert!(
            charged.contains("bereits berechnet Verlängerung 10050 (completed)")
                && charged.contains(";1059,10;"),
            "{charged}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("bereits berechnet 2026") && l.contains(";1059,10;")),
            "{text}"
        );
        let english = table(std::slice::from_ref(&report), Language::En);
        assert!(
            english.contains("already charged renewal 10050"),
            "{english}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&json(std::slice::from_ref(&report))).unwrap();
        assert_eq!(json[0]["charged_gross"], "1059.10");
        assert_eq!(json[0]["gross"], "0.00");
        assert_eq!(
            json[0]["accounts"][0]["budget"]["charged"][0]["type"],
            "renewal_order"
        );
    }
}
