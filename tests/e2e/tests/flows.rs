//! The change and request flows, end to end: the real app under Xvfb against `fe2-shop serve --now
//! 2025-07-02T12:00:00Z` with the worked examples of docs/domain.md (fixtures/worked-examples.json).
//! Each test has a shop process and a data home of its own; what the app did is checked again
//! through the shop's API. Run by scripts/test.sh like tests/app.rs.

use fe2_e2e::{data_home, fixture_customer, testid, Session, ShopProcess, TestResult};
use fe2_license::model::{Order, OrderStatus, OrderType, Ticket};
use std::time::Duration;

const FIXTURE: &str = "worked-examples.json";
const NOW: &str = "2025-07-02T12:00:00Z";
/// The FAQ's license: basis with 20 additional persons, renewing on 1 January 2026.
const FAQ: &str = "leitstelle@ff-musterstadt.de";
const PERSONS: &str = "fe2-persons";
/// A valid Leitweg-ID (docs/domain.md, Order reference).
const LEITWEG_ID: &str = "04011000-1234512345-06";
/// The preview's line of additional persons.
const PERSONS_LINE: &str = "[data-testid=\"quote-line\"][data-sku=\"fe2-persons\"]";

/// A shop at the worked examples' day, and the app signed in as one of its customers with its
/// license detail open.
struct Signed {
    session: Session,
    shop: ShopProcess,
    email: String,
    password: String,
    home: tempfile::TempDir,
}

impl Signed {
    async fn open(email: &str) -> TestResult<Self> {
        let shop = ShopProcess::serve(FIXTURE, Some(NOW))?;
        let password = fixture_customer(FIXTURE, email)?.app_password;
        let home = data_home()?;
        let session = Session::start(&[], Some(home.path())).await?;
        session
            .open_license(shop.base_url(), email, &password)
            .await?;
        Ok(Self {
            session,
            shop,
            email: email.to_owned(),
            password,
            home,
        })
    }

    /// Clicks the element with a test id once it is there.
    async fn click(&self, id: &str) -> TestResult {
        self.session.click(&testid(id)).await
    }

    /// Sends the open request form; returns the ticket the app names, as `GET /tickets` has it,
    /// and all tickets of the license.
    async fn send_request(&self) -> TestResult<(Ticket, Vec<Ticket>)> {
        self.click("request-submit").await?;
        let number = self
            .session
            .attr_of(&testid("ticket-number"), "data-number")
            .await?
            .ok_or("the ticket number")?;
        let tickets = self
            .shop
            .client(&self.email, &self.password)?
            .tickets()
            .await?;
        let ticket = tickets
            .iter()
            .find(|t| t.number == number)
            .cloned()
            .ok_or_else(|| format!("ticket {number} not in GET /tickets: {tickets:?}"))?;
        Ok((ticket, tickets))
    }

    /// The license's switch orders, as the shop has them.
    async fn shop_switch_orders(&self) -> TestResult<Vec<Order>> {
        let orders = self
            .shop
            .client(&self.email, &self.password)?
            .orders()
            .await?;
        Ok(orders
            .into_iter()
            .filter(|o| o.order_type == OrderType::SwitchOrder)
            .collect())
    }

    /// The additional persons in force, as the shop has them.
    async fn shop_persons(&self) -> TestResult<Option<u32>> {
        let license = self
            .shop
            .client(&self.email, &self.password)?
            .license()
            .await?;
        Ok(license
            .items
            .into_iter()
            .find(|i| i.sku == PERSONS)
            .map(|i| i.quantity))
    }

    /// Opens the change form and types new totals.
    async fn type_totals(&self, totals: &[(&str, &str)]) -> TestResult {
        self.click("change-quantities").await?;
        for (sku, total) in totals {
            let input = self
                .session
                .wait_for(&format!("[data-testid=\"qty-input\"][data-sku=\"{sku}\"]"))
                .await?;
            input.clear().await?;
            input.send_keys(total).await?;
        }
        Ok(())
    }

    /// Asks the shop for its preview and waits for it.
    async fn preview(&self) -> TestResult {
        self.click("preview-button").await?;
        self.session.wait_for(&testid("quote-gross")).await?;
        Ok(())
    }

    /// The quantity the detail shows for an SKU.
    async fn detail_quantity(&self, sku: &str) -> TestResult<String> {
        Ok(self
            .session
            .text_of(&format!("[data-testid=\"item-qty\"][data-sku=\"{sku}\"]"))
            .await?
            .trim()
            .to_owned())
    }

    /// Back from a result to the license detail.
    async fn back_to_detail(&self) -> TestResult {
        self.session.click(".result a.button").await?;
        self.session.wait_for(&testid("item-qty")).await?;
        Ok(())
    }

    async fn end(self) -> TestResult {
        self.session.end().await
    }
}

/// The text with the web view's non-breaking spaces as plain ones.
fn plain(text: &str) -> String {
    text.replace('\u{a0}', " ").trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn faq_upgrade_previews_to_the_cent_and_leaves_a_pending_order() -> TestResult {
    let app = Signed::open(FAQ).await?;
    // The account's default order reference, checked and saved on the detail page, fills the
    // change form.
    let input = app.session.wait_for(&testid("default-reference")).await?;
    input.send_keys(LEITWEG_ID).await?;
    app.click("default-reference-save").await?;
    app.session.wait_for(".notice").await?;
    app.type_totals(&[(PERSONS, "30")]).await?;
    // The core's local estimate while typing, marked as such, already to the cent.
    let estimate = plain(&app.session.text_of(&testid("local-estimate")).await?);
    assert!(estimate.contains("71,59 €"), "local estimate: {estimate}");

    app.preview().await?;
    for (id, amount) in [
        ("quote-net", "60,16 €"),
        ("quote-vat", "11,43 €"),
        ("quote-gross", "71,59 €"),
    ] {
        assert_eq!(
            plain(&app.session.text_of(&testid(id)).await?),
            amount,
            "{id}"
        );
    }
    assert_eq!(
        app.session
            .attr_of(PERSONS_LINE, "data-change")
            .await?
            .as_deref(),
        Some("upgrade")
    );
    app.session
        .client
        .execute(
            "document.querySelector('[data-testid=\"preview\"]').scrollIntoView();",
            Vec::new(),
        )
        .await?;
    app.session.screenshot("change-preview").await?;

    // Confirming needs the tick.
    assert!(
        !app.session.is_enabled(&testid("confirm-switch")).await?,
        "confirm is disabled until ticked"
    );
    let reference = app.session.wait_for(&testid("reference-input")).await?;
    assert_eq!(reference.prop("value").await?.as_deref(), Some(LEITWEG_ID));
    app.click("confirm-checkbox").await?;
    app.click("confirm-switch").await?;
    let order_id = app
        .session
        .attr_of(&testid("order-number"), "data-order-id")
        .await?
        .ok_or("the order number carries its id")?;

    app.back_to_detail().await?;
    assert_eq!(app.detail_quantity(PERSONS).await?, "30");
    let order = format!("[data-testid=\"order\"][data-order-id=\"{order_id}\"]");
    assert_eq!(
        app.session.attr_of(&order, "data-status").await?.as_deref(),
        Some("pending")
    );
    // The order history: type, net and gross, and the reference given (from the audit log).
    assert_eq!(
        app.session.attr_of(&order, "data-type").await?.as_deref(),
        Some("switch_order")
    );
    let row = plain(&app.session.text_of(&order).await?);
    for part in ["60,16 €", "71,59 €", LEITWEG_ID] {
        assert!(row.contains(part), "order row without {part}: {row}");
    }

    // The audit log: on the "Verlauf" page and in the file, chained, with the order.
    app.session.go_to("#/log").await?;
    let placed = "[data-testid=\"log-entry\"][data-action=\"order_placed\"]";
    let logged = plain(&app.session.text_of(placed).await?);
    for part in [
        format!("order: {order_id}"),
        "gross: 71.59".into(),
        LEITWEG_ID.into(),
    ] {
        assert!(logged.contains(&part), "log entry without {part}: {logged}");
    }
    app.session.wait_for(&testid("log-intact")).await?;
    let file = app.home.path().join("data").join("audit-log.jsonl");
    let log = fe2_license::audit::read(file.parent().ok_or("data dir")?)?;
    assert!(log.problems.is_empty(), "{:?}", log.problems);
    let actions: Vec<_> = log.entries.iter().map(|e| e.action).collect();
    use fe2_license::audit::AuditAction as A;
    assert_eq!(
        actions,
        [
            A::AccountAdded,
            A::DefaultReferenceChanged,
            A::QuoteRequested,
            A::OrderPlaced
        ]
    );
    assert!(!std::fs::read_to_string(&file)?.contains(&app.password));

    // The budget of the order's year: the order as "bereits bestellt", to the cent.
    app.session.go_to("#/budget").await?;
    let year = app.session.wait_for(&testid("budget-year")).await?;
    year.send_keys("2025").await?;
    app.click("budget-show").await?;
    let ordered = format!("[data-testid=\"budget-ordered\"][data-order-id=\"{order_id}\"]");
    assert!(plain(&app.session.text_of(&ordered).await?).contains("71,59 €"));
    app.session.screenshot("budget").await?;
    app.session.go_to(&format!("#/license/{FAQ}")).await?;

    // The shop agrees.
    let switch_orders = app.shop_switch_orders().await?;
    assert_eq!(switch_orders.len(), 1, "{switch_orders:?}");
    assert_eq!(switch_orders[0].id.to_string(), order_id);
    assert_eq!(switch_orders[0].status, OrderStatus::Pending);
    assert_eq!(switch_orders[0].total.to_string(), "71.59");
    assert_eq!(app.shop_persons().await?, Some(30));
    app.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn faq_downgrade_is_free_scheduled_for_the_renewal_and_cancellable() -> TestResult {
    let app = Signed::open(FAQ).await?;
    app.type_totals(&[(PERSONS, "10")]).await?;
    app.preview().await?;
    assert_eq!(
        plain(&app.session.text_of(&testid("quote-gross")).await?),
        "0,00 €"
    );
    assert_eq!(
        app.session
            .attr_of(PERSONS_LINE, "data-change")
            .await?
            .as_deref(),
        Some("downgrade")
    );
    assert!(
        app.session
            .text_of(PERSONS_LINE)
            .await?
            .contains("01.01.2026"),
        "effective date"
    );

    app.click("confirm-checkbox").await?;
    app.click("confirm-switch").await?;
    let nothing = app.session.text_of(&testid("nothing-to-pay")).await?;
    assert!(nothing.contains("01.01.2026"), "{nothing}");
    assert!(app.session.all(&testid("order-number")).await?.is_empty());

    app.back_to_detail().await?;
    assert_eq!(
        app.detail_quantity(PERSONS).await?,
        "20",
        "until the renewal"
    );
    assert!(app
        .session
        .text_of("[data-testid=\"scheduled-change\"][data-sku=\"fe2-persons\"]")
        .await?
        .contains("01.01.2026"));
    let shop = app.shop.client(FAQ, &app.password)?;
    assert_eq!(shop.license().await?.scheduled_changes.len(), 1);

    app.click("cancel-scheduled-change").await?;
    app.session.wait_gone(&testid("scheduled-change")).await?;
    assert!(shop.license().await?.scheduled_changes.is_empty());
    assert!(
        app.shop_switch_orders().await?.is_empty(),
        "a downgrade has nothing to pay"
    );
    app.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn a_legacy_package_explains_why_and_leads_to_a_package_change_request() -> TestResult {
    let email = "paket3@ff-altdorf.de";
    let app = Signed::open(email).await?;
    assert_eq!(
        app.session
            .attr_of(&testid("eligibility-reason"), "data-code")
            .await?
            .as_deref(),
        Some("legacy_package")
    );
    assert!(app
        .session
        .all(&testid("change-quantities"))
        .await?
        .is_empty());
    app.session
        .click("[data-testid=\"eligibility-reason\"] a.button")
        .await?;
    let (ticket, _) = app.send_request().await?;
    assert_eq!(ticket.topic, "package_change");
    app.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn a_navlog_request_with_amobile_pro_gets_a_ticket_in_the_shop() -> TestResult {
    let email = "amobile@ff-talheim.de";
    let app = Signed::open(email).await?;
    app.click("request-navlog").await?;
    assert!(app.session.all(&testid("precondition")).await?.is_empty());
    let (ticket, tickets) = app.send_request().await?;
    app.session.screenshot("navlog-ticket").await?;
    assert_eq!(ticket.topic, "navlog_activation");
    assert_eq!(tickets.len(), 1, "one request, one ticket");
    app.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn two_fast_clicks_on_confirm_create_exactly_one_order() -> TestResult {
    let app = Signed::open(FAQ).await?;
    app.type_totals(&[(PERSONS, "25")]).await?;
    app.preview().await?;
    app.click("confirm-checkbox").await?;
    // Two clicks in the same task: the second arrives before the first one's answer can
    // disable the button, as a double click or a bouncing mouse button does.
    app.session
        .client
        .execute(
            "const b = document.querySelector('[data-testid=\"confirm-switch\"]'); b.click(); b.click();",
            Vec::new(),
        )
        .await?;
    app.session.wait_for(&testid("order-number")).await?;
    // A late second switch would show up in the shop after the first: give it time to.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        app.shop_switch_orders().await?.len(),
        1,
        "exactly one order for two clicks"
    );
    assert_eq!(app.shop_persons().await?, Some(25));
    app.end().await
}
