//! Issue 6's acceptance, end to end: the real app under Xvfb against `fe2-shop serve --now
//! 2025-07-02T12:00:00Z` with the worked examples of domain.md (fixtures/worked-examples.json).
//! Each test has a shop process and a data home of its own; what the app did is checked again
//! through the shop's API. Run by scripts/test.sh like tests/app.rs.

use fantoccini::Locator;
use fe2_e2e::{data_home, fixture_customer, testid, Session, ShopProcess, TestResult};
use fe2_license::model::{OrderStatus, OrderType};
use std::time::Duration;

const FIXTURE: &str = "worked-examples.json";
const NOW: &str = "2025-07-02T12:00:00Z";
/// The FAQ's license: basis with 20 additional persons, renewing on 1 January 2026.
const FAQ: &str = "leitstelle@ff-musterstadt.de";
const PERSONS: &str = "fe2-persons";

/// A shop at the worked examples' day, and the app signed in as one of its customers with its
/// license detail open.
struct Signed {
    session: Session,
    shop: ShopProcess,
    password: String,
    _home: tempfile::TempDir,
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
            password,
            _home: home,
        })
    }

    /// Opens the change form and types new totals.
    async fn type_totals(&self, totals: &[(&str, &str)]) -> TestResult {
        self.session
            .wait_for(&testid("change-quantities"))
            .await?
            .click()
            .await?;
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
        self.session
            .wait_for(&testid("preview-button"))
            .await?
            .click()
            .await?;
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
        self.session
            .wait_for(".result a.button")
            .await?
            .click()
            .await?;
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
    let line = app
        .session
        .wait_for("[data-testid=\"quote-line\"][data-sku=\"fe2-persons\"]")
        .await?;
    assert_eq!(line.attr("data-change").await?.as_deref(), Some("upgrade"));
    app.session
        .client
        .execute(
            "document.querySelector('[data-testid=\"preview\"]').scrollIntoView();",
            Vec::new(),
        )
        .await?;
    app.session.screenshot("change-preview").await?;

    // Confirming needs the tick.
    let confirm = app.session.wait_for(&testid("confirm-switch")).await?;
    assert!(
        !confirm.is_enabled().await?,
        "confirm is disabled until ticked"
    );
    app.session
        .wait_for(&testid("confirm-checkbox"))
        .await?
        .click()
        .await?;
    confirm.click().await?;
    let order_id = app
        .session
        .attr_of(&testid("order-number"), "data-order-id")
        .await?
        .ok_or("the order number carries its id")?;

    app.back_to_detail().await?;
    assert_eq!(app.detail_quantity(PERSONS).await?, "30");
    let order = app
        .session
        .wait_for(&format!(
            "[data-testid=\"order\"][data-order-id=\"{order_id}\"]"
        ))
        .await?;
    assert_eq!(order.attr("data-status").await?.as_deref(), Some("pending"));

    // The shop agrees.
    let shop = app.shop.client(FAQ, &app.password)?;
    let switch_orders: Vec<_> = shop
        .orders()
        .await?
        .into_iter()
        .filter(|o| o.order_type == OrderType::SwitchOrder)
        .collect();
    assert_eq!(switch_orders.len(), 1, "{switch_orders:?}");
    assert_eq!(switch_orders[0].id.to_string(), order_id);
    assert_eq!(switch_orders[0].status, OrderStatus::Pending);
    assert_eq!(switch_orders[0].total.to_string(), "71.59");
    let persons = shop
        .license()
        .await?
        .items
        .into_iter()
        .find(|i| i.sku == PERSONS);
    assert_eq!(persons.map(|i| i.quantity), Some(30));
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
    let line = app
        .session
        .wait_for("[data-testid=\"quote-line\"][data-sku=\"fe2-persons\"]")
        .await?;
    assert_eq!(
        line.attr("data-change").await?.as_deref(),
        Some("downgrade")
    );
    assert!(line.text().await?.contains("01.01.2026"), "effective date");

    app.session
        .wait_for(&testid("confirm-checkbox"))
        .await?
        .click()
        .await?;
    app.session
        .wait_for(&testid("confirm-switch"))
        .await?
        .click()
        .await?;
    let nothing = app.session.text_of(&testid("nothing-to-pay")).await?;
    assert!(nothing.contains("01.01.2026"), "{nothing}");
    assert!(app.session.all(&testid("order-number")).await?.is_empty());

    app.back_to_detail().await?;
    assert_eq!(
        app.detail_quantity(PERSONS).await?,
        "20",
        "until the renewal"
    );
    let scheduled = app
        .session
        .wait_for("[data-testid=\"scheduled-change\"][data-sku=\"fe2-persons\"]")
        .await?;
    assert!(scheduled.text().await?.contains("01.01.2026"));
    let shop = app.shop.client(FAQ, &app.password)?;
    assert_eq!(shop.license().await?.scheduled_changes.len(), 1);

    app.session
        .wait_for(&testid("cancel-scheduled-change"))
        .await?
        .click()
        .await?;
    app.session.wait_gone(&testid("scheduled-change")).await?;
    assert!(shop.license().await?.scheduled_changes.is_empty());
    let paid_for_switches = shop
        .orders()
        .await?
        .into_iter()
        .filter(|o| o.order_type == OrderType::SwitchOrder)
        .count();
    assert_eq!(paid_for_switches, 0, "a downgrade has nothing to pay");
    app.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn a_legacy_package_explains_why_and_leads_to_a_package_change_request() -> TestResult {
    let email = "paket3@ff-altdorf.de";
    let app = Signed::open(email).await?;
    let reason = app.session.wait_for(&testid("eligibility-reason")).await?;
    assert_eq!(
        reason.attr("data-code").await?.as_deref(),
        Some("legacy_package")
    );
    assert!(app
        .session
        .all(&testid("change-quantities"))
        .await?
        .is_empty());
    reason.find(Locator::Css("a.button")).await?.click().await?;
    app.session
        .wait_for(&testid("request-submit"))
        .await?
        .click()
        .await?;
    let number = app
        .session
        .attr_of(&testid("ticket-number"), "data-number")
        .await?
        .ok_or("the ticket number")?;
    let tickets = app.shop.client(email, &app.password)?.tickets().await?;
    let ticket = tickets
        .iter()
        .find(|t| t.number == number)
        .ok_or_else(|| format!("ticket {number} not in GET /tickets: {tickets:?}"))?;
    assert_eq!(ticket.topic, "package_change");
    app.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn a_navlog_request_with_amobile_pro_gets_a_ticket_in_the_shop() -> TestResult {
    let email = "amobile@ff-talheim.de";
    let app = Signed::open(email).await?;
    app.session
        .wait_for(&testid("request-navlog"))
        .await?
        .click()
        .await?;
    assert!(app.session.all(&testid("precondition")).await?.is_empty());
    app.session
        .wait_for(&testid("request-submit"))
        .await?
        .click()
        .await?;
    let number = app
        .session
        .attr_of(&testid("ticket-number"), "data-number")
        .await?
        .ok_or("the ticket number")?;
    app.session.screenshot("navlog-ticket").await?;
    let tickets = app.shop.client(email, &app.password)?.tickets().await?;
    let ticket = tickets
        .iter()
        .find(|t| t.number == number)
        .ok_or_else(|| format!("ticket {number} not in GET /tickets: {tickets:?}"))?;
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
    app.session
        .wait_for(&testid("confirm-checkbox"))
        .await?
        .click()
        .await?;
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
    let shop = app.shop.client(FAQ, &app.password)?;
    let switch_orders = shop
        .orders()
        .await?
        .into_iter()
        .filter(|o| o.order_type == OrderType::SwitchOrder)
        .count();
    assert_eq!(switch_orders, 1, "exactly one order for two clicks");
    let persons = shop
        .license()
        .await?
        .items
        .into_iter()
        .find(|i| i.sku == PERSONS);
    assert_eq!(persons.map(|i| i.quantity), Some(25));
    app.end().await
}
