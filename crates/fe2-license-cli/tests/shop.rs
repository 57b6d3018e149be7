//! `fe2-license` against the real reference shop (`fe2-shop serve --now …`, demo fixtures) with
//! the real Secret Service. Run by scripts/test.sh inside scripts/with-keyring.sh:
//! `cargo build -p fe2-shop && scripts/with-keyring.sh cargo test -p fe2-license-cli --test shop -- --ignored --test-threads=1`

mod common;

use common::*;
use fe2_license::license_file;
use fe2_license::model::{License, RequestedItem, SwitchOutcome};
use fe2_license::paths::Home;
use fe2_license::secrets::{KeychainSecretStore, SecretStore};
use fe2_license::service::{Service, Verification};
use fe2_license::SystemClock;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A data home, a key file and a running shop with the demo fixtures.
struct Setup {
    home: tempfile::TempDir,
    key_file: std::path::PathBuf,
    now: String,
    shop: Option<Shop>,
}

impl Setup {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let key_file = home.path().join("shop-signing.key");
        let now = now_text();
        let shop = Shop::start("127.0.0.1:0", &demo_fixtures(), &now, &key_file);
        Setup {
            home,
            key_file,
            now,
            shop: Some(shop),
        }
    }

    fn shop(&self) -> &Shop {
        self.shop.as_ref().expect("shop running")
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.path(), args, "")
    }
}

/// Runs `work` on the app's service over the data home, with the real keychain.
fn with_app_service<F: std::future::Future>(
    home: &Path,
    work: impl FnOnce(Service) -> F,
) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let service = Service::new(
                Home::at(home),
                Arc::new(KeychainSecretStore::new()),
                Arc::new(SystemClock),
            )
            .unwrap();
            work(service).await
        })
}

/// Changes the persons of OK_EMAIL's license through the core service, as the app places a
/// change (preview, then switch with its gross and `reference`); returns the outcome and the
/// license after it.
fn switch_persons(
    home: &Path,
    persons: impl FnOnce(u32) -> u32 + Send + 'static,
    reference: Option<&'static str>,
) -> (SwitchOutcome, License) {
    with_app_service(home, |service| async move {
        let license = service.account(OK_EMAIL).await.unwrap().license.unwrap();
        let items = [RequestedItem::new(
            "fe2-persons",
            persons(license.quantity("fe2-persons")),
        )];
        let preview = service.preview(OK_EMAIL, &items).await.unwrap();
        let outcome = service
            .switch_quantities(
                OK_EMAIL,
                &items,
                preview.quote.setup_fee.gross,
                reference,
                &preview.idempotency_key,
            )
            .await
            .unwrap();
        let license = service.account(OK_EMAIL).await.unwrap().license.unwrap();
        (outcome, license)
    })
}

/// The keychain user of an account, as the core names it.
fn keychain_user(email: &str, shop: &Shop) -> String {
    fe2_license::secrets::entry_user(email, &shop.addr)
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn accounts_are_added_listed_and_removed_with_the_keychain() {
    let setup = Setup::new();
    let shop = setup.shop();
    let added = add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    let key = license_file::public_key_from_base64(&shop_public_key(&setup.key_file)).unwrap();
    let fingerprint = license_file::fingerprint(&key);
    assert!(
        added.stdout.contains("(FF Musterstadt)"),
        "{}",
        added.stdout
    );
    assert!(added.stdout.contains(&fingerprint), "{}", added.stdout);
    // The password lives in the keychain only, beside the pinned key.
    let secret = KeychainSecretStore::new()
        .get(&keychain_user(OK_EMAIL, shop))
        .unwrap();
    assert_eq!(secret.password.expose(), OK_PASSWORD);
    let mut files = String::new();
    for entry in walk(setup.path()) {
        files.push_str(&std::fs::read_to_string(&entry).unwrap_or_default());
    }
    assert!(!files.contains("EFGH"), "a password reached a file");

    // A wrong password: one clear line, exit 1, nothing written.
    let wrong = run(
        setup.path(),
        &[
            "account",
            "add",
            "--shop-url",
            &shop.url,
            "--email",
            WARN_EMAIL,
            "--password-stdin",
        ],
        "wrong password\n",
    );
    assert_eq!(wrong.code, 1);
    assert_eq!(wrong.stderr.lines().count(), 1, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("invalid_credentials"),
        "{}",
        wrong.stderr
    );
    let list = setup.run(&["account", "list", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(value.as_array().unwrap().len(), 1);
    assert_eq!(value[0]["email"], OK_EMAIL);
    assert_eq!(value[0]["fingerprint"], fingerprint.as_str());
    let table = setup.run(&["account", "list"]);
    assert!(
        table.stdout.lines().nth(1).unwrap().starts_with(OK_EMAIL),
        "{}",
        table.stdout
    );

    let removed = setup.run(&["account", "remove", OK_EMAIL]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert_eq!(setup.run(&["account", "list", "--json"]).stdout, "[]\n");
    let gone = KeychainSecretStore::new().get(&keychain_user(OK_EMAIL, shop));
    assert_eq!(gone.unwrap_err().code(), "no_secret");
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn a_proxy_login_is_stored_in_the_keychain_only_and_removed() {
    let setup = Setup::new();
    let proxy = "http://proxy.stadt.example:8080";
    let entry = fe2_license::secrets::proxy_entry_user("proxy.stadt.example:8080");
    let stored = run(
        setup.path(),
        &[
            "proxy",
            "login",
            "--proxy",
            proxy,
            "--username",
            "kaemmerei",
            "--password-stdin",
        ],
        "Proxy Geheim 7!\n",
    );
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    assert!(stored.stdout.contains(&entry), "{}", stored.stdout);
    let credential = KeychainSecretStore::new().get_proxy(&entry).unwrap();
    assert_eq!(
        (credential.username.as_str(), credential.password.expose()),
        ("kaemmerei", "Proxy Geheim 7!")
    );
    let mut said = format!("{}{}", stored.stdout, stored.stderr);
    for file in walk(setup.path()) {
        said.push_str(&std::fs::read_to_string(&file).unwrap_or_default());
    }
    assert!(
        !said.contains("Geheim"),
        "the proxy password reached a file or the output"
    );

    let removed = setup.run(&["proxy", "logout", "--proxy", proxy]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let gone = KeychainSecretStore::new().get_proxy(&entry);
    assert_eq!(gone.unwrap_err().code(), "no_secret");
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn check_exit_codes_follow_the_worst_license() {
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    let ok = setup.run(&["check"]);
    assert_eq!(ok.code, 0, "{} {}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout
            .starts_with("FE2 LICENSE OK - leitstelle@ff-musterstadt.de: 183 days left"),
        "{}",
        ok.stdout
    );
    // Long output: one line per license; the performance data alerts from 30 and 14 days on.
    assert!(
        ok.stdout
            .ends_with(" | 'days_left_leitstelle@ff-musterstadt.de'=183;31:;15:;;\n"),
        "{}",
        ok.stdout
    );
    assert_eq!(ok.stdout.lines().count(), 2);

    add(setup.path(), shop, WARN_EMAIL, WARN_PASSWORD);
    let warn = setup.run(&["check"]);
    assert_eq!(warn.code, 1, "{}", warn.stdout);
    assert!(warn
        .stdout
        .starts_with("FE2 LICENSE WARNING - kuendigung@ff-seedorf.de: 15 days left"));
    assert_eq!(warn.stdout.matches("'days_left_").count(), 2);
    // The thresholds in force are the ones given, also in the performance data.
    let relaxed = setup.run(&["check", "--account", WARN_EMAIL, "-w", "10", "-c", "5"]);
    assert_eq!(relaxed.code, 0, "{}", relaxed.stdout);
    assert!(
        relaxed.stdout.ends_with("=15;11:;6:;;\n"),
        "{}",
        relaxed.stdout
    );
    // Without -w/-c the shared settings (the app's) decide.
    std::fs::write(
        setup.path().join("config").join("settings.json"),
        r#"{"warning_days": 10, "critical_days": 5}"#,
    )
    .unwrap();
    let settings = setup.run(&["check", "--account", WARN_EMAIL]);
    assert_eq!(settings.code, 0, "{}", settings.stdout);
    assert!(
        settings.stdout.ends_with("=15;11:;6:;;\n"),
        "{}",
        settings.stdout
    );
    let ranged = setup.run(&["check", "--account", WARN_EMAIL, "-w", "20:"]);
    assert_eq!(ranged.code, 1, "{}", ranged.stdout);
    assert!(
        ranged.stdout.ends_with("=15;20:;6:;;\n"),
        "{}",
        ranged.stdout
    );
    std::fs::remove_file(setup.path().join("config").join("settings.json")).unwrap();
    assert_eq!(setup.run(&["check", "--account", OK_EMAIL]).code, 0);

    add(setup.path(), shop, CRIT_EMAIL, CRIT_PASSWORD);
    let crit = setup.run(&["check"]);
    assert_eq!(crit.code, 2, "{}", crit.stdout);
    assert!(crit
        .stdout
        .starts_with("FE2 LICENSE CRITICAL - test@ff-neustadt.de: 7 days left"));

    let json = setup.run(&["check", "--format", "json"]);
    assert_eq!(json.code, 2);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["state"], "CRITICAL");
    assert_eq!(value["licenses"].as_array().unwrap().len(), 3);
    assert_eq!(value["licenses"][0]["email"], CRIT_EMAIL);
    assert_eq!(value["licenses"][0]["trust"], "verified");

    let unknown = setup.run(&["check", "--account", "nobody@ff-nirgendwo.de"]);
    assert_eq!(unknown.code, 3);
    assert!(unknown.stdout.starts_with("FE2 LICENSE UNKNOWN - "));
}

/// A strict reading of the text exposition format, beside the parser crate: every sample line
/// is `name{email="…"} integer`, and every family has HELP and TYPE gauge before its samples.
fn assert_strict_exposition(text: &str) {
    assert!(text.ends_with('\n'));
    assert!(!text.starts_with('\u{feff}'));
    let mut typed = std::collections::BTreeSet::new();
    let mut helped = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.is_empty());
            helped.insert(name.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            assert!(rest.ends_with(" gauge"), "{line}");
            typed.insert(rest.trim_end_matches(" gauge").to_string());
        } else {
            let (name, rest) = line.split_once("{email=\"").expect(line);
            // Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*.
            let mut chars = name.chars();
            let first = chars.next().expect(line);
            assert!(
                first.is_ascii_alphabetic() || first == '_' || first == ':',
                "{line}"
            );
            assert!(
                chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "{line}"
            );
            assert!(typed.contains(name) && helped.contains(name), "{line}");
            let (label, value) = rest.rsplit_once("\"} ").expect(line);
            assert!(!label.contains('\n'));
            value.parse::<i64>().expect(line);
        }
    }
    assert_eq!(typed.len(), 7);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn prometheus_status_and_export_formats() {
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    add(setup.path(), shop, CRIT_EMAIL, CRIT_PASSWORD);

    let file = setup.path().join("textfile").join("fe2_license.prom");
    let prom = setup.run(&[
        "check",
        "--format",
        "prometheus",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        (prom.code, prom.stdout.as_str()),
        (0, ""),
        "{}",
        prom.stderr
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_strict_exposition(&text);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    assert_eq!(scrape.samples.len(), 14);
    assert_eq!(scrape.docs.len(), 7);
    let remaining = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "fe2_license_remaining_seconds" && s.labels.get("email") == Some(OK_EMAIL)
        })
        .expect("remaining seconds of the ok license");
    let prometheus_parse::Value::Gauge(seconds) = remaining.value else {
        panic!("not a gauge");
    };
    assert!(
        (182.0 * 86400.0..=183.0 * 86400.0).contains(&seconds),
        "{seconds}"
    );
    let info = scrape
        .samples
        .iter()
        .find(|s| s.metric == "fe2_license_info" && s.labels.get("email") == Some(OK_EMAIL))
        .expect("info of the ok license");
    assert_eq!(info.labels.get("holder"), Some("FF Musterstadt"));
    assert_eq!(info.labels.get("status"), Some("active"));
    let state = scrape
        .samples
        .iter()
        .find(|s| s.metric == "fe2_license_state" && s.labels.get("email") == Some(CRIT_EMAIL))
        .unwrap();
    assert_eq!(state.value, prometheus_parse::Value::Gauge(2.0));

    let table = setup.run(&["status"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("Inhaber"), "{}", table.stdout);
    assert_eq!(lines.len(), 3, "{}", table.stdout);
    assert!(table.stdout.contains("FF Musterstadt") && table.stdout.contains("verifiziert"));
    let status = setup.run(&["status", "--json", "--offline"]);
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let value = &report["licenses"];
    assert_eq!(value[0]["email"], CRIT_EMAIL); // most urgent first
    assert_eq!(value[1]["days_left"], 183);
    assert_eq!(value[1]["verification"], "verified");

    let csv = setup.run(&["export", "--format", "csv"]);
    assert_eq!(csv.code, 0);
    assert!(csv.stdout.starts_with("\u{feff}E-Mail;Inhaber;Lizenz-Nr.;"));
    let exported: serde_json::Value =
        serde_json::from_str(&setup.run(&["export", "--format", "json"]).stdout).unwrap();
    let items: usize = exported
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["license"]["items"].as_array().unwrap().len())
        .sum();
    assert!(items >= 2);
    assert_eq!(
        csv.stdout.matches("\r\n").count(),
        1 + items,
        "{}",
        csv.stdout
    );
    assert!(
        csv.stdout.contains(";650,00;650,00;EUR\r\n"),
        "{}",
        csv.stdout
    );
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn offline_deadline_and_rejected_credentials_use_the_cache() {
    let mut setup = Setup::new();
    let addr = setup.shop().addr.clone();
    add(setup.path(), setup.shop(), OK_EMAIL, OK_PASSWORD);
    setup.shop.take().unwrap().stop();

    // --offline never touches the network: the cached, verified data.
    let offline = setup.run(&["check", "--offline"]);
    assert_eq!(offline.code, 0, "{}", offline.stdout);
    assert!(offline.stdout.contains("183 days left"));
    // Without --offline the refresh fails at once (connection refused): cache, "offline",
    // classified as unreachable also when -t leaves no time for retries.
    for timeout in ["10", "1"] {
        let refused = setup.run(&["check", "-t", timeout]);
        assert_eq!(refused.code, 0, "{}", refused.stdout);
        assert!(
            refused.stdout.contains("offline (unreachable)"),
            "-t {timeout}: {}",
            refused.stdout
        );
    }

    // A Secret Service that accepts but never answers: -t bounds the keychain too, and the
    // cached data is shown unchecked.
    let socket_dir = tempfile::tempdir().unwrap();
    let socket = socket_dir.path().join("bus");
    let _silent_bus = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let started = Instant::now();
    let out = cli(setup.path())
        .args(["check", "-t", "2"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", socket.display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "{:?} {stdout}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("183 days left"), "{stdout}");
    assert!(
        stdout.contains("the keychain did not answer in time"),
        "{stdout}"
    );

    // A shop that accepts but never answers: the overall deadline -t ends the wait.
    let silent = std::net::TcpListener::bind(&addr).unwrap();
    let started = Instant::now();
    let late = setup.run(&["check", "-t", "2"]);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(late.code, 0, "{}", late.stdout);
    assert!(late.stdout.contains("offline (timeout)"), "{}", late.stdout);
    drop(silent);

    // The shop back with another password for the account: 401 is at least WARNING.
    let fixtures = std::fs::read_to_string(demo_fixtures())
        .unwrap()
        .replace(OK_PASSWORD, "zzzz ZZZZ 9999 zzzz ZZZZ 9999");
    let changed = setup.path().join("changed.json");
    std::fs::write(&changed, fixtures).unwrap();
    let _shop = Shop::start(&addr, &changed, &setup.now, &setup.key_file);
    let rejected = setup.run(&["check"]);
    assert_eq!(rejected.code, 1, "{}", rejected.stdout);
    assert!(
        rejected.stdout.contains("183 days left"),
        "{}",
        rejected.stdout
    );
    assert!(
        rejected.stdout.contains("credentials rejected"),
        "{}",
        rejected.stdout
    );
    // The rejection is remembered in the cache, so an offline check says it too.
    let remembered = setup.run(&["check", "--offline"]);
    assert_eq!(remembered.code, 1, "{}", remembered.stdout);
    // Without any cached data, the same 401 is UNKNOWN (no data), with the reason.
    for entry in std::fs::read_dir(setup.path().join("data").join("cache")).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let nothing = setup.run(&["check"]);
    assert_eq!(nothing.code, 3, "{}", nothing.stdout);
    assert!(
        nothing.stdout.contains("invalid_credentials"),
        "{}",
        nothing.stdout
    );
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn offline_check_without_keychain_access_reports_unchecked_data() {
    let mut setup = Setup::new();
    add(setup.path(), setup.shop(), OK_EMAIL, OK_PASSWORD);
    setup.shop.take().unwrap().stop();
    // A service account: no session bus, so no Secret Service.
    let out = cli(setup.path())
        .args(["check", "--offline", "--format", "json"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["state"], "OK", "{value}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(value["licenses"][0]["trust"], "unchecked");
    assert!(value["summary"]
        .as_str()
        .unwrap()
        .contains("signature not re-checked here (no keychain access)"));
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn an_account_added_by_the_cli_is_seen_by_the_app_service_and_back() {
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    with_app_service(setup.path(), |service| async move {
        let views = service.accounts().await;
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].email, OK_EMAIL);
        assert_eq!(views[0].verification, Verification::Verified);
        assert!(views[0].fingerprint.is_some());
        service
            .add_account(&shop.url, WARN_EMAIL, WARN_PASSWORD)
            .await
            .unwrap();
    });
    let list = setup.run(&["account", "list", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let mut emails: Vec<&str> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    assert_eq!(emails, [WARN_EMAIL, OK_EMAIL]);
    // The app's account verifies in the CLI with the keychain entry the app wrote.
    let check = setup.run(&[
        "check",
        "--offline",
        "--account",
        WARN_EMAIL,
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(value["licenses"][0]["trust"], "verified");
    assert_eq!(value["state"], "WARNING");
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn budget_prices_the_renewal_and_lists_the_years_switch_order() {
    use fe2_license::budget::budget_year_of;
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    // An upgrade through the core service, placed as the app places it.
    let (outcome, _) = switch_persons(setup.path(), |persons| persons + 5, None);
    let order = outcome.order.expect("an upgrade with a fee is an order");
    let renewal = outcome.quote.next_renewal.expect("a priced renewal");
    let budget_of = |year: i32, offline: bool| -> serde_json::Value {
        let year = year.to_string();
        let mut args = vec!["budget", "--format", "json", "--year", &year];
        if offline {
            args.push("--offline");
        }
        let run = setup.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    };

    let ordered_in = budget_of(budget_year_of(order.date_created), false);
    let account = &ordered_in[0]["accounts"][0];
    assert_eq!(account["orders_known"], true);
    assert_eq!(account["budget"]["ordered"][0]["order_id"], order.id);
    let total = fe2_license::money::to_text(order.total);
    assert_eq!(account["budget"]["ordered"][0]["gross"], total.as_str());
    assert_eq!(ordered_in[0]["ordered_gross"], total.as_str());

    // The renewal, with the upgraded quantity, to the cent of the shop's own next renewal.
    let renewed_in = budget_of(budget_year_of(renewal.date), false);
    let account = &renewed_in[0]["accounts"][0];
    assert_eq!(account["verification"], "verified");
    let first = &account["budget"]["renewals"][0];
    assert_eq!(
        first["date"]
            .as_str()
            .map(|d| d.parse::<chrono::DateTime<chrono::Utc>>().unwrap()),
        Some(renewal.date)
    );
    let gross = fe2_license::money::to_text(renewal.gross);
    assert_eq!(first["gross"], gross.as_str());
    assert_eq!(
        first["net"],
        fe2_license::money::to_text(renewal.net).as_str()
    );

    // Offline: the same renewal from the cached catalog; the orders are marked unknown.
    let offline = budget_of(budget_year_of(renewal.date), true);
    let account = &offline[0]["accounts"][0];
    assert_eq!(account["orders_known"], false);
    assert_eq!(account["budget"]["renewals"][0]["gross"], gross.as_str());
    assert_eq!(offline[0]["all_verified"], false);

    // CSV for German Excel: the order with a decimal comma.
    let year = budget_year_of(order.date_created).to_string();
    let csv = setup.run(&["budget", "--format", "csv", "--year", &year]);
    assert!(csv.stdout.starts_with('\u{feff}'), "{}", csv.stdout);
    assert!(
        csv.stdout
            .contains(&format!("bereits bestellt {} ", order.id))
            && csv.stdout.contains(&total.replace('.', ",")),
        "{}",
        csv.stdout
    );
    // A year out of range is a usage error (exit 1 with the reason), not a panic.
    let bad = setup.run(&["budget", "--year", "99999"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("99999"), "{}", bad.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn the_audit_log_shows_what_the_cli_and_the_app_did_and_finds_an_edit() {
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    let order = switch_persons(
        setup.path(),
        |persons| persons + 2,
        Some("Kostenstelle 0815-12"),
    )
    .0
    .order
    .expect("an upgrade with a fee is an order");

    let json = setup.run(&["log", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]));
    let entries = report["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["account_added", "quote_requested", "order_placed"]
    );
    let placed = &entries[2];
    assert_eq!(placed["email"], OK_EMAIL);
    assert_eq!(placed["details"]["order"], order.id);
    assert_eq!(
        placed["details"]["gross"],
        fe2_license::money::to_text(order.total).as_str()
    );
    assert_eq!(placed["details"]["reference"], "Kostenstelle 0815-12");
    let user = std::env::var("USER").unwrap_or_default();
    if !user.is_empty() {
        assert_eq!(entries[0]["os_user"], user.as_str());
    }
    assert!(entries[0]["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(!json.stdout.contains(OK_PASSWORD));

    let table = setup.run(&["log"]);
    assert!(
        table.stdout.contains("Bestellung aufgegeben"),
        "{}",
        table.stdout
    );
    let verify = setup.run(&["log", "--verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    assert!(verify.stdout.starts_with("Protokoll unverändert (3)"));

    // An edited line breaks the chain at the line after it. (The last line has no successor to
    // name it: the limit of a hash chain, docs/domain.md.)
    let file = setup.path().join("data").join("audit-log.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("\"quote_requested\"", "\"ticket_sent\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    let verify_finds = |problem: &str| {
        let verify = setup.run(&["log", "--verify"]);
        assert_eq!(verify.code, 1, "{}", verify.stdout);
        assert!(verify.stdout.contains(problem), "{}", verify.stdout);
    };
    verify_finds("audit-log.jsonl:3 passt nicht zur Zeile davor");
    let listed = setup.run(&["log", "--format", "csv"]);
    assert_eq!(listed.code, 0);
    assert!(
        listed.stderr.contains("warning: audit-log.jsonl:3"),
        "{}",
        listed.stderr
    );
    assert!(listed.stdout.starts_with('\u{feff}'));

    // The last line removed: the chain alone cannot tell, the anchor in the keychain can.
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&file, kept[..kept.len() - 1].join("\n") + "\n").unwrap();
    verify_finds("audit-log.jsonl:2 danach fehlen Zeilen");
}

/// One property's value of a parsed component, as written (TEXT escapes kept).
fn ics_value<'a>(properties: &'a [ical::property::Property], name: &str) -> &'a str {
    properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn calendar_has_the_renewal_with_its_amount_and_the_scheduled_change() {
    use chrono_tz::Europe::Berlin;
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    // A downgrade through the core service: a scheduled change at the period end.
    let (outcome, license) = switch_persons(setup.path(), |persons| persons - 1, None);
    let renewal = outcome.quote.next_renewal.expect("a priced renewal");
    assert_eq!(license.scheduled_changes.len(), 1, "{license:?}");
    let file = setup.path().join("fe2.ics");
    let file_text = file.display().to_string();
    let export = |offline: bool| {
        let mut args = vec!["calendar", "--output", file_text.as_str()];
        if offline {
            args.push("--offline");
        }
        let run = setup.run(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        let text = std::fs::read_to_string(&file).unwrap();
        let mut parser = ical::IcalParser::new(text.as_bytes());
        parser.next().expect("a calendar").expect("it parses")
    };

    let online = export(false);
    assert_eq!(online.events.len(), 2);
    let day =
        |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&Berlin).format("%Y%m%d").to_string();
    let term = online
        .events
        .iter()
        .find(|e| ics_value(&e.properties, "SUMMARY").starts_with("FE2-Lizenz verlängert sich"))
        .expect("the renewal");
    assert_eq!(ics_value(&term.properties, "DTSTART"), day(renewal.date));
    // The renewal with the downgrade applied, to the cent, as the shop prices it.
    let gross = fe2_license::money::german(renewal.gross).replace(',', "\\,");
    let description = ics_value(&term.properties, "DESCRIPTION");
    assert!(
        description.contains(&format!("Brutto: {gross}")),
        "{description}"
    );
    let triggers: Vec<&str> = term
        .alarms
        .iter()
        .map(|a| ics_value(&a.properties, "TRIGGER"))
        .collect();
    assert_eq!(triggers, ["-P30D", "-P14D"]);
    let change = online
        .events
        .iter()
        .find(|e| ics_value(&e.properties, "SUMMARY").starts_with("FE2-Änderung wirksam"))
        .expect("the scheduled change");
    assert_eq!(
        ics_value(&change.properties, "DTSTART"),
        day(license.scheduled_changes[0].effective_date)
    );

    // Offline, later: the same events under the same UIDs.
    let offline = export(true);
    let uids = |c: &ical::parser::ical::component::IcalCalendar| -> Vec<String> {
        c.events
            .iter()
            .map(|e| ics_value(&e.properties, "UID").to_string())
            .collect()
    };
    assert_eq!(uids(&offline), uids(&online));
    assert_ne!(uids(&online)[0], uids(&online)[1]);

    // A file that cannot be written is an error with the path, exit 1.
    let blocked = setup.path().join("fe2.ics").join("x.ics");
    let blocked_text = blocked.display().to_string();
    let bad = setup.run(&["calendar", "--offline", "--output", &blocked_text]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("x.ics"), "{}", bad.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn a_policy_beats_the_settings_and_read_only_refuses_changes() {
    let setup = Setup::new();
    let shop = setup.shop();
    add(setup.path(), shop, OK_EMAIL, OK_PASSWORD);
    add(setup.path(), shop, WARN_EMAIL, WARN_PASSWORD);
    let policy = |json: &str| std::fs::write(setup.path().join(POLICY_FILE_NAME), json).unwrap();
    std::fs::write(
        setup.path().join("config").join("settings.json"),
        r#"{"warning_days": 10, "critical_days": 5}"#,
    )
    .unwrap();
    let by_settings = setup.run(&["check", "--account", WARN_EMAIL]);
    assert_eq!(by_settings.code, 0, "{}", by_settings.stdout);

    // The administrator's warning days win over the user's: 15 days left is a WARNING again.
    policy(r#"{"WarningDays": 20}"#);
    let by_policy = setup.run(&["check", "--account", WARN_EMAIL]);
    assert_eq!(by_policy.code, 1, "{}", by_policy.stdout);
    assert!(
        by_policy.stdout.ends_with("=15;21:;6:;;\n"),
        "{}",
        by_policy.stdout
    );
    let status = setup.run(&["status", "--json", "--offline"]);
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let warning = &report["settings"]["warning_days"];
    assert_eq!(warning["value"], 20);
    assert_eq!(warning["source"], "policy");
    let policy_path = setup.path().join(POLICY_FILE_NAME);
    assert_eq!(warning["origin"], policy_path.display().to_string());
    assert_eq!(report["settings"]["critical_days"]["source"], "settings");
    assert_eq!(report["settings"]["language"]["source"], "default");

    // Read-only: no account change, and the reason in words; nothing was removed.
    policy(r#"{"ReadOnly": 1, "WarningDays": 400}"#);
    let refused = setup.run(&["account", "remove", OK_EMAIL]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("read-only"), "{}", refused.stderr);
    let list = setup.run(&["account", "list", "--json"]);
    assert!(list.stdout.contains(OK_EMAIL), "{}", list.stdout);
    // A policy value out of range is ignored and said.
    let status = setup.run(&["status", "--json", "--offline"]);
    let report: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["settings"]["warning_days"]["source"], "settings");
    assert!(report["policy_problems"][0]
        .as_str()
        .unwrap()
        .contains("WarningDays"));

    // Only the shops the policy names.
    policy(r#"{"AllowedShopHosts": ["shop.stadt.example"]}"#);
    let other = run(
        setup.path(),
        &[
            "account",
            "add",
            "--shop-url",
            &shop.url,
            "--email",
            CRIT_EMAIL,
            "--password-stdin",
        ],
        &format!("{CRIT_PASSWORD}\n"),
    );
    assert_ne!(other.code, 0);
    assert!(other.stderr.contains("does not allow"), "{}", other.stderr);
    // An account of a shop no longer allowed is not asked: the cached data with the reason.
    let check = setup.run(&["check", "--account", OK_EMAIL, "-t", "5"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check.stdout.contains("refresh failed (shop_not_allowed)"),
        "{}",
        check.stdout
    );
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn doctor_passes_against_the_shop_and_names_a_stopped_one() {
    let mut setup = Setup::new();
    add(setup.path(), setup.shop(), OK_EMAIL, OK_PASSWORD);
    let healthy = setup.run(&["doctor", "-t", "5"]);
    assert_eq!(healthy.code, 0, "{}{}", healthy.stdout, healthy.stderr);
    assert!(
        healthy
            .stdout
            .contains("[OK] Anmeldung [leitstelle@ff-musterstadt.de]"),
        "{}",
        healthy.stdout
    );
    // Plain http:// on loopback: no TLS to check.
    assert!(
        healthy.stdout.contains("[–] Verschlüsselung (TLS)"),
        "{}",
        healthy.stdout
    );
    assert!(healthy.stdout.ends_with("Alle Prüfungen bestanden.\n"));
    assert!(!healthy.stdout.contains(OK_PASSWORD));

    setup.shop.take().expect("shop").stop();
    let stopped = setup.run(&["doctor", "--json", "-t", "5"]);
    assert_eq!(stopped.code, 1, "{}", stopped.stdout);
    let report: serde_json::Value = serde_json::from_str(&stopped.stdout).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["first_failure"], "tcp", "{report}");
    let tcp = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "tcp")
        .unwrap();
    assert_eq!(tcp["error"]["code"], "unreachable");
    assert!(tcp["what_to_do"].as_str().unwrap().contains("Firewall"));
}
