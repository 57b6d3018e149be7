//! The shop's state in SQLite: versioned migrations, fixtures loading, and reading and writing
//! licenses, orders, tickets and idempotency records. Derived license fields (prices, `switch`,
//! `period_start`, …) are never stored; [`finish_license`] computes them when read.

use crate::error::{ApiError, ApiResult};
use crate::fixtures::{Fixtures, LicenseFixture, OrderFixture};
use chrono::{DateTime, SecondsFormat, Utc};
use fe2_license::model::{
    package_sku, BillingPeriod, Catalog, Item, Kind, License, Order, OrderStatus, OrderType,
    Package, RequestedItem, ScheduledChange, Status, SwitchStatus, Ticket,
};
use fe2_license::{eligibility, money, pricing, Error};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

/// Schema steps; `PRAGMA user_version` counts how many have run. Append, never edit.
const MIGRATIONS: &[&str] = &[
    // 1: the whole initial schema.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE catalog (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
     CREATE TABLE customers (email TEXT PRIMARY KEY, name TEXT NOT NULL, password_mac BLOB NOT NULL);
     CREATE TABLE licenses (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE REFERENCES customers(email),
        kind TEXT NOT NULL, status TEXT NOT NULL, package TEXT NOT NULL,
        billing_period TEXT NOT NULL DEFAULT 'year', billing_interval INTEGER NOT NULL DEFAULT 1,
        currency TEXT NOT NULL DEFAULT 'EUR',
        start_date TEXT NOT NULL, next_payment_date TEXT, end_date TEXT, trial_end_date TEXT,
        features TEXT NOT NULL DEFAULT '[]');
     CREATE TABLE items (
        license_id INTEGER NOT NULL REFERENCES licenses(id), position INTEGER NOT NULL,
        sku TEXT NOT NULL, quantity INTEGER NOT NULL, PRIMARY KEY (license_id, sku));
     CREATE TABLE scheduled_changes (
        id TEXT PRIMARY KEY, license_id INTEGER NOT NULL REFERENCES licenses(id),
        sku TEXT NOT NULL, quantity INTEGER NOT NULL, effective_date TEXT NOT NULL);
     CREATE TABLE orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT, license_id INTEGER NOT NULL REFERENCES licenses(id),
        type TEXT NOT NULL, status TEXT NOT NULL, total TEXT NOT NULL,
        date_created TEXT NOT NULL, date_paid TEXT, reference TEXT);
     CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT, license_id INTEGER NOT NULL REFERENCES licenses(id),
        topic TEXT NOT NULL, subject TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '', fields TEXT NOT NULL DEFAULT '{}');
     CREATE TABLE idempotency (
        email TEXT NOT NULL, route TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL,
        status INTEGER NOT NULL, response TEXT NOT NULL, created_unix INTEGER NOT NULL,
        PRIMARY KEY (email, route, key));
     -- Order and ticket numbers that look like a real shop's, not 1, 2, 3.
     INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 10000), ('tickets', 48000);",
];

/// Meta key of the HMAC secret for application passwords.
const META_PASSWORD_SECRET: &str = "password_secret";
/// Meta key of the counter behind scheduled change ids (`sc_N`).
const META_NEXT_CHANGE: &str = "next_scheduled_change";

/// Brings the schema up to date, each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", true)?;
    let done: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (index, step) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(index).unwrap_or(i64::MAX) + 1;
        if version <= done {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// The per-database secret keying the password hashes; created on first use.
pub fn password_secret(conn: &Connection) -> rusqlite::Result<Vec<u8>> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [META_PASSWORD_SECRET],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(secret) = stored {
        return Ok(secret);
    }
    let secret: [u8; 32] = rand::random();
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        params![META_PASSWORD_SECRET, secret.to_vec()],
    )?;
    Ok(secret.to_vec())
}

/// True when the database holds no catalog yet (fixtures load only then).
pub fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM catalog", [], |row| row.get(0))?;
    Ok(count == 0)
}

/// The stored catalog.
pub fn load_catalog(conn: &Connection) -> ApiResult<Option<Catalog>> {
    let text: Option<String> = conn
        .query_row("SELECT json FROM catalog WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
}

/// Loads fixtures into an empty database, resolving relative dates against `now`.
/// `mac` turns an application password into its stored keyed hash.
pub fn load_fixtures(
    conn: &mut Connection,
    fixtures: &Fixtures,
    now: DateTime<Utc>,
    mac: &dyn Fn(&str) -> Vec<u8>,
) -> ApiResult<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO catalog (id, json) VALUES (1, ?1)",
        [serde_json::to_string(&fixtures.catalog)?],
    )?;
    for customer in &fixtures.customers {
        let email = fe2_license::email::normalize(&customer.email)?;
        tx.execute(
            "INSERT INTO customers (email, name, password_mac) VALUES (?1, ?2, ?3)",
            params![email, customer.name, mac(&customer.app_password)],
        )?;
        let Some(license) = &customer.license else {
            continue;
        };
        let stored = insert_fixture_license(&tx, &email, license, now)?;
        for order in &customer.orders {
            let total = match &order.total {
                Some(text) => money::parse(text)
                    .ok_or_else(|| Error::Internal(format!("fixture order total {text:?}")))?,
                None => switch_total(&stored, &fixtures.catalog, order, now)?,
            };
            tx.execute(
                "INSERT INTO orders (license_id, type, status, total, date_created, date_paid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    license_id_param(license.id)?,
                    order.order_type,
                    order.status,
                    money::to_text(total),
                    ts(order.date_created.resolve(now)),
                    order.date_paid.as_ref().map(|d| ts(d.resolve(now))),
                ],
            )?;
        }
        for ticket in &customer.tickets {
            tx.execute(
                "INSERT INTO tickets (license_id, topic, subject, status, created)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    license_id_param(license.id)?,
                    ticket.topic,
                    ticket.subject,
                    ticket.status,
                    ts(ticket.created.resolve(now)),
                ],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The gross setup fee of a fixture's switch order that leaves its total to the rules: the
/// stored license with the switched items at their quantity before, active and paid, quoted at
/// the order's date in the license's current period (docs/domain.md, Upgrade).
fn switch_total(
    license: &License,
    catalog: &Catalog,
    order: &OrderFixture,
    now: DateTime<Utc>,
) -> ApiResult<Decimal> {
    if order.switch.is_empty() {
        return Err(ApiError(Error::Internal(
            "a fixture order without a total names no switch".to_string(),
        )));
    }
    let mut before = license.clone();
    before.status = Status::Active;
    before.has_paid_order = true;
    before.scheduled_changes.clear();
    for line in &order.switch {
        match before.items.iter_mut().find(|i| i.sku == line.sku) {
            Some(item) => item.quantity = line.from,
            None => before.items.push(bare_item(&line.sku, line.from)),
        }
    }
    let request: Vec<RequestedItem> = order
        .switch
        .iter()
        .map(|line| RequestedItem::new(&line.sku, line.to))
        .collect();
    let quote = pricing::quote(&before, catalog, &request, order.date_created.resolve(now))
        .map_err(|e| Error::Internal(format!("fixture switch order: {e}")))?;
    Ok(quote.setup_fee.gross)
}

/// Stores one fixture license with its items and scheduled changes; returns it as stored.
fn insert_fixture_license(
    conn: &Connection,
    email: &str,
    license: &LicenseFixture,
    now: DateTime<Utc>,
) -> ApiResult<License> {
    let package = package_of(&license.package)
        .ok_or_else(|| Error::Internal(format!("fixture package {:?}", license.package)))?;
    let mut items: Vec<Item> = license
        .items
        .iter()
        .map(|i| bare_item(&i.sku, i.quantity))
        .collect();
    let package_item = package_sku(&package.code);
    if !items.iter().any(|i| i.sku == package_item) {
        items.insert(0, bare_item(&package_item, 1));
    }
    let mut next_change = next_change_counter(conn)?;
    let scheduled_changes = license
        .scheduled_changes
        .iter()
        .map(|c| {
            next_change += 1;
            ScheduledChange {
                id: format!("sc_{next_change}"),
                sku: c.sku.clone(),
                quantity: c.quantity,
                effective_date: c.effective_date.resolve(now),
            }
        })
        .collect();
    set_next_change_counter(conn, next_change)?;
    let stored = License {
        id: license.id,
        email: email.to_string(),
        name: String::new(),
        kind: Kind::from_text(&license.kind),
        status: Status::from_text(&license.status),
        package,
        billing_period: BillingPeriod::Year,
        billing_interval: 1,
        start_date: license.start_date.resolve(now),
        period_start: None,
        next_payment_date: license.next_payment_date.as_ref().map(|d| d.resolve(now)),
        end_date: license.end_date.as_ref().map(|d| d.resolve(now)),
        trial_end_date: license.trial_end_date.as_ref().map(|d| d.resolve(now)),
        currency: "EUR".to_string(),
        items,
        features: license.features.clone(),
        price_list: String::new(),
        scheduled_changes,
        has_paid_order: false,
        switch: unset_switch(),
    };
    insert_license(conn, &stored)?;
    Ok(stored)
}

/// `switch` before [`finish_license`] computes it.
fn unset_switch() -> SwitchStatus {
    SwitchStatus {
        allowed: false,
        reason: None,
    }
}

/// An item before its name and price are filled in from the catalog.
pub fn bare_item(sku: &str, quantity: u32) -> Item {
    Item {
        sku: sku.to_string(),
        name: String::new(),
        quantity,
        unit_price: None,
    }
}

/// The packages the shop knows: `basis` and the legacy `paket-1`..`paket-5`.
pub fn package_of(code: &str) -> Option<Package> {
    if code == "basis" {
        return Some(Package {
            code: code.to_string(),
            name: "FE2 Basispaket".to_string(),
            legacy: false,
        });
    }
    let number = code.strip_prefix("paket-")?;
    matches!(number, "1" | "2" | "3" | "4" | "5").then(|| Package {
        code: code.to_string(),
        name: format!("FE2 Paket {number}"),
        legacy: true,
    })
}

/// A database time: RFC 3339 UTC with `Z`.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads a stored time.
fn parse_ts(text: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError(Error::Internal(format!("stored time {text:?}"))))
}

/// Reads an optional stored time.
fn parse_opt_ts(text: Option<String>) -> ApiResult<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_ts).transpose()
}

/// SQLite integers are signed; license ids beyond `i64` cannot be stored.
fn license_id_param(id: u64) -> ApiResult<i64> {
    i64::try_from(id).map_err(|_| ApiError(Error::Internal(format!("license id {id}"))))
}

/// The id counter for scheduled changes.
pub fn next_change_counter(conn: &Connection) -> ApiResult<u64> {
    let value: Option<i64> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [META_NEXT_CHANGE],
            |row| row.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
}

/// Stores the id counter for scheduled changes.
pub fn set_next_change_counter(conn: &Connection, value: u64) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![META_NEXT_CHANGE, i64::try_from(value).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// Inserts a new license row with its items and scheduled changes.
pub fn insert_license(conn: &Connection, license: &License) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO licenses (id, email, kind, status, package, start_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            license_id_param(license.id)?,
            license.email,
            license.kind.as_str(),
            license.status.as_str(),
            license.package.code,
            ts(license.start_date),
        ],
    )?;
    save_license(conn, license)
}

/// Writes a license's stored fields, items and scheduled changes back.
pub fn save_license(conn: &Connection, license: &License) -> ApiResult<()> {
    let id = license_id_param(license.id)?;
    conn.execute(
        "UPDATE licenses SET kind = ?2, status = ?3, package = ?4, billing_period = ?5,
            billing_interval = ?6, currency = ?7, start_date = ?8, next_payment_date = ?9,
            end_date = ?10, trial_end_date = ?11, features = ?12
         WHERE id = ?1",
        params![
            id,
            license.kind.as_str(),
            license.status.as_str(),
            license.package.code,
            license.billing_period.as_str(),
            license.billing_interval,
            license.currency,
            ts(license.start_date),
            license.next_payment_date.map(ts),
            license.end_date.map(ts),
            license.trial_end_date.map(ts),
            serde_json::to_string(&license.features)?,
        ],
    )?;
    conn.execute("DELETE FROM items WHERE license_id = ?1", [id])?;
    for (position, item) in license.items.iter().enumerate() {
        conn.execute(
            "INSERT INTO items (license_id, position, sku, quantity) VALUES (?1, ?2, ?3, ?4)",
            params![
                id,
                i64::try_from(position).unwrap_or(i64::MAX),
                item.sku,
                item.quantity
            ],
        )?;
    }
    conn.execute("DELETE FROM scheduled_changes WHERE license_id = ?1", [id])?;
    for change in &license.scheduled_changes {
        conn.execute(
            "INSERT INTO scheduled_changes (id, license_id, sku, quantity, effective_date)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                change.id,
                id,
                change.sku,
                change.quantity,
                ts(change.effective_date)
            ],
        )?;
    }
    Ok(())
}

/// The id of the license of an e-mail, if it has one.
pub fn license_id_of(conn: &Connection, email: &str) -> ApiResult<Option<u64>> {
    let id: Option<i64> = conn
        .query_row("SELECT id FROM licenses WHERE email = ?1", [email], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(id.and_then(|i| u64::try_from(i).ok()))
}

/// Reads a license's stored state; derived fields are left for [`finish_license`].
pub fn load_license(conn: &Connection, id: u64) -> ApiResult<Option<License>> {
    let key = license_id_param(id)?;
    type Row = (
        String,
        String,
        String,
        String,
        String,
        u32,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let row: Option<Row> = conn
        .query_row(
            "SELECT email, kind, status, package, billing_period, billing_interval, currency,
                    start_date, next_payment_date, end_date, trial_end_date, features
             FROM licenses WHERE id = ?1",
            [key],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            },
        )
        .optional()?;
    let Some((
        email,
        kind,
        status,
        package,
        period,
        interval,
        currency,
        start,
        next,
        end,
        trial,
        features,
    )) = row
    else {
        return Ok(None);
    };
    let name: String = conn
        .query_row(
            "SELECT name FROM customers WHERE email = ?1",
            [&email],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let mut statement =
        conn.prepare("SELECT sku, quantity FROM items WHERE license_id = ?1 ORDER BY position")?;
    let items = statement
        .query_map([key], |r| Ok(bare_item(&r.get::<_, String>(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut statement = conn.prepare(
        "SELECT id, sku, quantity, effective_date FROM scheduled_changes
         WHERE license_id = ?1 ORDER BY effective_date, id",
    )?;
    let raw_changes = statement
        .query_map([key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let scheduled_changes = raw_changes
        .into_iter()
        .map(|(id, sku, quantity, date)| {
            Ok(ScheduledChange {
                id,
                sku,
                quantity,
                effective_date: parse_ts(&date)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let has_paid_order: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM orders WHERE license_id = ?1
            AND status IN ('processing', 'completed') AND date_paid IS NOT NULL)",
        [key],
        |r| r.get(0),
    )?;
    let package = package_of(&package).unwrap_or(Package {
        name: package.clone(),
        code: package,
        legacy: true,
    });
    Ok(Some(License {
        id,
        email,
        name,
        kind: Kind::from_text(&kind),
        status: Status::from_text(&status),
        package,
        billing_period: BillingPeriod::from_text(&period),
        billing_interval: interval,
        start_date: parse_ts(&start)?,
        period_start: None,
        next_payment_date: parse_opt_ts(next)?,
        end_date: parse_opt_ts(end)?,
        trial_end_date: parse_opt_ts(trial)?,
        currency,
        items,
        features: serde_json::from_str(&features)?,
        price_list: String::new(),
        scheduled_changes,
        has_paid_order,
        switch: unset_switch(),
    }))
}

/// Fills the derived fields from the catalog and the clock: item names and today's prices,
/// `period_start`, the price list of the current period, and `switch`.
pub fn finish_license(license: &mut License, catalog: &Catalog, now: DateTime<Utc>) {
    let today = catalog.price_list_at(now);
    for item in &mut license.items {
        item.name = catalog
            .product(&item.sku)
            .map_or_else(|| item.sku.clone(), |p| p.name.de.clone());
        item.unit_price = today.and_then(|list| list.prices.get(&item.sku)).copied();
    }
    license.period_start = pricing::period_bounds(license).map(|(start, _)| start);
    let period_list = license
        .period_start
        .and_then(|start| catalog.price_list_at(start))
        .or(today);
    license.price_list = period_list.map(|l| l.id.clone()).unwrap_or_default();
    license.switch = eligibility::switch_status(license, now);
}

/// A license's orders, oldest first.
pub fn orders_of(conn: &Connection, license_id: u64) -> ApiResult<Vec<Order>> {
    let mut statement = conn.prepare(
        "SELECT id, type, status, total, date_created, date_paid FROM orders
         WHERE license_id = ?1 ORDER BY id",
    )?;
    let rows = statement
        .query_map([license_id_param(license_id)?], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, kind, status, total, created, paid)| {
            Ok(Order {
                id: u64::try_from(id).unwrap_or_default(),
                order_type: OrderType::from_text(&kind),
                status: OrderStatus::from_text(&status),
                total: money::parse(&total)
                    .ok_or_else(|| Error::Internal(format!("stored total {total:?}")))?,
                date_created: parse_ts(&created)?,
                date_paid: parse_opt_ts(paid)?,
            })
        })
        .collect()
}

/// Creates an order and returns it.
pub fn insert_order(
    conn: &Connection,
    license_id: u64,
    order: &Order,
    reference: Option<&str>,
) -> ApiResult<Order> {
    conn.execute(
        "INSERT INTO orders (license_id, type, status, total, date_created, date_paid, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            license_id_param(license_id)?,
            order.order_type.as_str(),
            order.status.as_str(),
            money::to_text(order.total),
            ts(order.date_created),
            order.date_paid.map(ts),
            reference,
        ],
    )?;
    Ok(Order {
        id: u64::try_from(conn.last_insert_rowid()).unwrap_or_default(),
        ..order.clone()
    })
}

/// A license's tickets, oldest first.
pub fn tickets_of(conn: &Connection, license_id: u64) -> ApiResult<Vec<Ticket>> {
    let mut statement = conn.prepare(
        "SELECT id, topic, subject, status, created FROM tickets WHERE license_id = ?1 ORDER BY id",
    )?;
    let rows = statement
        .query_map([license_id_param(license_id)?], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, topic, subject, status, created)| {
            Ok(Ticket {
                number: id.to_string(),
                topic,
                subject,
                status,
                created: parse_ts(&created)?,
            })
        })
        .collect()
}

/// Opens a ticket and returns it.
pub fn insert_ticket(
    conn: &Connection,
    license_id: u64,
    ticket: &Ticket,
    message: &str,
    fields: &serde_json::Value,
) -> ApiResult<Ticket> {
    conn.execute(
        "INSERT INTO tickets (license_id, topic, subject, status, created, message, fields)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            license_id_param(license_id)?,
            ticket.topic,
            ticket.subject,
            ticket.status,
            ts(ticket.created),
            message,
            fields.to_string(),
        ],
    )?;
    Ok(Ticket {
        number: conn.last_insert_rowid().to_string(),
        ..ticket.clone()
    })
}

/// The customer's name and stored password hash.
pub fn customer(conn: &Connection, email: &str) -> ApiResult<Option<(String, Vec<u8>)>> {
    Ok(conn
        .query_row(
            "SELECT name, password_mac FROM customers WHERE email = ?1",
            [email],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Creates a customer account.
pub fn insert_customer(conn: &Connection, email: &str, name: &str, mac: &[u8]) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO customers (email, name, password_mac) VALUES (?1, ?2, ?3)",
        params![email, name, mac],
    )?;
    Ok(())
}

/// A stored idempotent answer: the request it answered, its status and body.
pub struct StoredAnswer {
    /// The request body as parsed JSON.
    pub request: serde_json::Value,
    /// HTTP status.
    pub status: u16,
    /// The response body.
    pub response: serde_json::Value,
}

/// The answer stored for a key, if it was stored at or after `since_unix` (real clock).
pub fn idempotent_answer(
    conn: &Connection,
    scope: (&str, &str, &str),
    since_unix: i64,
) -> ApiResult<Option<StoredAnswer>> {
    let (email, route, key) = scope;
    let row: Option<(String, u16, String)> = conn
        .query_row(
            "SELECT request, status, response FROM idempotency
             WHERE email = ?1 AND route = ?2 AND key = ?3 AND created_unix >= ?4",
            params![email, route, key, since_unix],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(request, status, response)| {
        Ok(StoredAnswer {
            request: serde_json::from_str(&request)?,
            status,
            response: serde_json::from_str(&response)?,
        })
    })
    .transpose()
}

/// Stores an answer for a key (replacing an expired one).
pub fn store_answer(
    conn: &Connection,
    scope: (&str, &str, &str),
    answer: &StoredAnswer,
    now_unix: i64,
) -> ApiResult<()> {
    let (email, route, key) = scope;
    conn.execute(
        "INSERT OR REPLACE INTO idempotency (email, route, key, request, status, response, created_unix)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            email,
            route,
            key,
            answer.request.to_string(),
            answer.status,
            answer.response.to_string(),
            now_unix
        ],
    )?;
    Ok(())
}
