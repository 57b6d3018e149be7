//! The app's acceptance, end to end: the real app binary under Xvfb, driven through
//! tauri-driver + WebKitWebDriver. Run by scripts/test.sh (`cargo test -p fe2-e2e -- --ignored
//! --test-threads=1` inside xvfb-run and dbus-run-session with an unlocked gnome-keyring).

use fe2_e2e::{
    app_binary, card, data_home, demo_customer, demo_days_left, demo_shop, Session, TestResult,
};
use std::time::{Duration, Instant};

const EMAIL: &str = "leitstelle@ff-musterstadt.de";

/// The days-left badge on one license's card.
fn days_left(email: &str) -> String {
    format!("{} [data-testid=\"days-left\"]", card(email))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn demo_dashboard_shows_every_demo_license_with_its_days_left() -> TestResult {
    let expected = demo_days_left().await?;
    let session = Session::start(&["--demo"], None).await?;
    session.wait_for("[data-testid=\"demo-mark\"]").await?;
    for (email, days) in &expected {
        let shown = session.attr_of(&days_left(email), "data-days").await?;
        assert_eq!(
            shown.as_deref(),
            Some(days.to_string().as_str()),
            "days left of {email}"
        );
    }
    assert_eq!(
        session.all("[data-testid=\"license-card\"]").await?.len(),
        expected.len()
    );
    session.screenshot("dashboard").await?;

    session.click(&card(EMAIL)).await?;
    session.wait_for("[data-testid=\"item-qty\"]").await?;
    session.screenshot("detail").await?;
    session.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn a_wrong_password_shows_invalid_credentials() -> TestResult {
    let shop = demo_shop().await?;
    let home = data_home()?;
    let session = Session::start(&[], Some(home.path())).await?;
    session
        .add_account(&shop.base_url(), EMAIL, "wrong password")
        .await?;
    assert_eq!(
        session
            .attr_of("[data-testid=\"error-message\"]", "data-code")
            .await?
            .as_deref(),
        Some("invalid_credentials")
    );
    assert!(session
        .all("[data-testid=\"license-card\"]")
        .await?
        .is_empty());
    session.end().await?;
    shop.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn with_the_shop_stopped_a_restarted_app_shows_the_cached_license_offline() -> TestResult {
    let customer = demo_customer(EMAIL)?;
    let shop = demo_shop().await?;
    let home = data_home()?;

    let session = Session::start(&[], Some(home.path())).await?;
    session
        .add_account(&shop.base_url(), EMAIL, &customer.app_password)
        .await?;
    session.wait_for("[data-testid=\"account-added\"]").await?;
    let fingerprint = session.text_of("[data-testid=\"fingerprint\"]").await?;
    assert!(
        !fingerprint.trim().is_empty(),
        "the pinned key's fingerprint is shown"
    );
    session.go_to_dashboard().await?;
    let days_before = session.attr_of(&days_left(EMAIL), "data-days").await?;
    assert!(
        days_before.is_some(),
        "the added license shows its days left"
    );
    session.end().await?;
    shop.shutdown().await?;

    let session = Session::start(&[], Some(home.path())).await?;
    let days_after = session.attr_of(&days_left(EMAIL), "data-days").await?;
    assert_eq!(days_after, days_before, "the cached license");
    // The app gave the page its cached views before it loaded (no IPC before the first card).
    let given = session
        .client
        .execute(
            "const s = window.__FE2_START__; return s ? s.views.map(v => v.email) : null;",
            Vec::new(),
        )
        .await?;
    assert_eq!(given, serde_json::json!([EMAIL]), "the page's start data");
    session.wait_for("[data-testid=\"offline-banner\"]").await?;
    session.screenshot("offline").await?;
    session.end().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "end-to-end: scripts/test.sh runs it under Xvfb with tauri-driver"]
async fn a_second_start_hands_over_to_the_running_app_and_exits() -> TestResult {
    let home = data_home()?;
    let session = Session::start(&[], Some(home.path())).await?;
    session.wait_for("#dash-heading").await?;
    let mut second = std::process::Command::new(app_binary()?)
        .env("FE2_LICENSE_HOME", home.path())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            second.kill()?;
            return Err("the second start kept running beside the first".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "the second start's exit: {status}");
    // The first app still answers.
    session.go_to_dashboard().await?;
    session.wait_for("#dash-heading").await?;
    session.end().await
}
