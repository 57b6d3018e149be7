//! The commands through Tauri's IPC on the mock runtime, against the reference shop on loopback
//! with its demo fixtures and an in-memory secret store; and the ACL of the real configuration.

mod common;

use common::{files_below, harness, invoke, signed_in_harness, EMAIL, PASSWORD};
use fe2_license::SystemClock;
use fe2_license_manager::{builder, AppState, COMMANDS};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::Duration;
use tauri::test::mock_builder;
use tauri::{Listener, Manager, WebviewWindowBuilder};

#[test]
fn a_wrong_password_is_invalid_credentials_and_writes_nothing() {
    let h = harness();
    let error = invoke(
        &h.main,
        "add_account",
        json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": "wrong password" }),
    )
    .expect_err("a wrong password must be refused");
    assert_eq!(error["code"], "invalid_credentials");
    assert!(error["message"].is_string());
    assert!(error["details"].is_object());
    assert_eq!(invoke(&h.main, "list_licenses", json!({})), Ok(json!([])));
    assert_eq!(files_below(h.home.path()), Vec::<PathBuf>::new());
}

#[test]
fn add_list_refresh_and_remove_an_account() {
    let h = harness();
    let (sender, updates) = mpsc::channel::<String>();
    h.app.listen_any("licenses-updated", move |event| {
        let _ = sender.send(event.payload().to_string());
    });

    let added = invoke(
        &h.main,
        "add_account",
        json!({ "shopUrl": h.shop.base_url(), "email": EMAIL, "password": PASSWORD }),
    )
    .unwrap_or_else(|e| panic!("add_account: {e}"));
    assert_eq!(added["email"], EMAIL);
    assert_eq!(added["verification"], "verified");
    assert!(added["fingerprint"].as_str().is_some_and(|f| !f.is_empty()));
    assert_eq!(added["license"]["email"], EMAIL);
    assert!(
        !added.to_string().contains("EFGH"),
        "the password must never come back"
    );
    let event = updates
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no licenses-updated after add: {e}"));
    assert!(event.contains(EMAIL));

    let listed =
        invoke(&h.main, "list_licenses", json!({})).unwrap_or_else(|e| panic!("list: {e}"));
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["days_left"], added["days_left"]);

    let refreshed = invoke(&h.main, "refresh", json!({ "email": EMAIL }))
        .unwrap_or_else(|e| panic!("refresh: {e}"));
    assert_eq!(refreshed["offline"], false);
    assert_eq!(refreshed["verification"], "verified");
    let (sender, states) = mpsc::channel::<String>();
    h.app.listen_any("refresh-state", move |event| {
        let _ = sender.send(event.payload().to_string());
    });
    let all =
        invoke(&h.main, "refresh_all", json!({})).unwrap_or_else(|e| panic!("refresh_all: {e}"));
    assert_eq!(all[0]["email"], EMAIL);
    let framed: Vec<String> = (0..2)
        .filter_map(|_| states.recv_timeout(Duration::from_secs(10)).ok())
        .collect();
    assert_eq!(framed, [r#"{"running":true}"#, r#"{"running":false}"#]);

    let details = invoke(&h.main, "license_details", json!({ "email": EMAIL }))
        .unwrap_or_else(|e| panic!("license_details: {e}"));
    assert!(details["orders"].is_array() && details["tickets"].is_array());

    assert_eq!(
        invoke(&h.main, "remove_account", json!({ "email": EMAIL })),
        Ok(Value::Null)
    );
    assert_eq!(invoke(&h.main, "list_licenses", json!({})), Ok(json!([])));
    let error = invoke(&h.main, "refresh", json!({ "email": EMAIL })).expect_err("removed");
    assert_eq!(error["code"], "unknown_account");
}

#[test]
fn settings_are_saved_and_validated() {
    let h = harness();
    let defaults =
        invoke(&h.main, "get_settings", json!({})).unwrap_or_else(|e| panic!("get: {e}"));
    assert_eq!(defaults["language"], "de");
    assert_eq!(defaults["warning_days"], 30);
    assert_eq!(defaults["renewal_reminder_days"], 90);
    let wanted = json!({ "language": "en", "warning_days": 40, "critical_days": 10,
                         "notifications": false, "autostart": false,
                         "renewal_reminder_days": 60, "proxy": "http://proxy.stadt.de:3128" });
    assert_eq!(
        invoke(&h.main, "set_settings", json!({ "settings": wanted })),
        Ok(wanted.clone())
    );
    assert_eq!(invoke(&h.main, "get_settings", json!({})), Ok(wanted));
    let bad = json!({ "language": "de", "warning_days": 5, "critical_days": 10,
                      "notifications": true, "autostart": false, "renewal_reminder_days": 90,
                      "proxy": "system" });
    let error = invoke(&h.main, "set_settings", json!({ "settings": bad }))
        .expect_err("critical > warning");
    assert_eq!(error["code"], "bad_request");
}

#[test]
fn app_info_names_the_data_home_and_no_demo() {
    let h = harness();
    let info = invoke(&h.main, "app_info", json!({})).unwrap_or_else(|e| panic!("app_info: {e}"));
    assert_eq!(info["demo"], false);
    assert_eq!(info["data_home"], h.home.path().display().to_string());
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
}

/// The commands of `names` the handler answers (Tauri answers any command no handler takes
/// with "Command … not found").
fn registered_commands(names: &[&str]) -> BTreeSet<String> {
    let h = harness();
    names
        .iter()
        .filter(|cmd| {
            let answer = invoke(&h.main, cmd, json!({}));
            !answer.is_err_and(|e| e.to_string().contains(&format!("Command {cmd} not found")))
        })
        .map(|cmd| cmd.to_string())
        .collect()
}

/// The app commands granted by capabilities/main.json (`allow-<command>`).
fn granted_commands() -> BTreeSet<String> {
    let capability: Value = serde_json::from_str(include_str!("../capabilities/main.json"))
        .unwrap_or_else(|e| panic!("capabilities/main.json: {e}"));
    capability["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

#[test]
fn registered_granted_and_listed_commands_are_the_same() {
    let listed: BTreeSet<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        registered_commands(COMMANDS),
        listed,
        "generate_handler! vs COMMANDS"
    );
    assert!(
        registered_commands(&["no_such_command"]).is_empty(),
        "an unregistered command must show as such"
    );
    assert_eq!(
        granted_commands(),
        listed,
        "capabilities/main.json vs COMMANDS"
    );
}

#[test]
fn the_capability_allows_the_main_window_only() {
    let h = harness();
    drop(h.main);
    let app = builder(
        mock_builder(),
        AppState::new(
            h.app.state::<AppState>().service.clone(),
            Arc::new(SystemClock),
            false,
            h.home.path().to_path_buf(),
        ),
    )
    .build(tauri::generate_context!())
    .unwrap_or_else(|e| panic!("app with the real config: {e}"));
    let main = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap_or_else(|e| panic!("main: {e}"));
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .unwrap_or_else(|e| panic!("other: {e}"));

    // Every listed command reaches its handler from the main window (argument errors are fine).
    for command in COMMANDS {
        if let Err(error) = invoke(&main, command, json!({})) {
            let text = error.to_string();
            assert!(
                !text.contains("not allowed"),
                "{command} refused on main: {text}"
            );
        }
    }
    let info =
        invoke(&main, "app_info", json!({})).unwrap_or_else(|e| panic!("app_info on main: {e}"));
    assert_eq!(info["demo"], false);

    // A window without a capability reaches no command at all.
    for command in COMMANDS {
        let refused = invoke(&other, command, json!({}))
            .expect_err("a window without a capability gets no IPC");
        assert!(
            refused.to_string().contains("not allowed"),
            "{command} on another window: {refused}"
        );
    }
    // The opener plugin is the app's, not the UI's: not even the main window reaches it.
    let refused = invoke(
        &main,
        "plugin:opener|open_url",
        json!({ "url": "https://example.org" }),
    )
    .expect_err("no plugin permission");
    assert!(
        refused.to_string().contains("not allowed"),
        "open_url: {refused}"
    );
}

#[test]
fn export_calendar_saves_the_file_below_the_data_home_and_returns_its_path() {
    let h = signed_in_harness();
    let saved = invoke(&h.main, "export_calendar", json!({}))
        .unwrap_or_else(|e| panic!("export_calendar: {e}"));
    let path = &saved["path"];
    assert_eq!(saved["replaced"], false, "{saved}");
    let expected = h
        .home
        .path()
        .join("data")
        .join("exports")
        .join(fe2_license::service::CALENDAR_FILE_NAME);
    assert_eq!(*path, expected.display().to_string());
    let text = std::fs::read_to_string(&expected).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(
        text.contains("BEGIN:VEVENT") && text.contains("TRIGGER:-P30D"),
        "{text}"
    );
    // Again: the same file replaced, nothing else written beside it, and the answer says so.
    let again = invoke(&h.main, "export_calendar", json!({})).unwrap();
    assert_eq!(again["replaced"], true, "{again}");
    let beside: Vec<_> = std::fs::read_dir(expected.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
}

#[test]
fn budget_prices_the_next_renewal_from_the_shop_and_refuses_a_year_out_of_range() {
    let h = signed_in_harness();
    let license: fe2_license::model::License = serde_json::from_value(
        invoke(&h.main, "list_licenses", json!({})).unwrap()[0]["license"].clone(),
    )
    .unwrap();
    let catalog: fe2_license::model::Catalog =
        serde_json::from_value(invoke(&h.main, "get_catalog", json!({ "email": EMAIL })).unwrap())
            .unwrap();
    let next = fe2_license::pricing::next_renewal(&license, &catalog).expect("a priced renewal");
    let year = fe2_license::budget::budget_year_of(next.date);

    let reports = invoke(&h.main, "budget", json!({ "year": year }))
        .unwrap_or_else(|e| panic!("budget: {e}"));
    assert_eq!(reports.as_array().map(Vec::len), Some(1));
    let report = &reports[0];
    assert_eq!(report["year"], year);
    let account = &report["accounts"][0];
    assert_eq!(account["email"], EMAIL);
    assert_eq!(account["verification"], "verified");
    assert_eq!(account["orders_known"], true);
    let renewal = &account["budget"]["renewals"][0];
    assert_eq!(renewal["gross"], fe2_license::money::to_text(next.gross));
    assert_eq!(report["gross"], fe2_license::money::to_text(next.gross));

    // Without a year: the current and the next budget year.
    let both = invoke(&h.main, "budget", json!({})).unwrap_or_else(|e| panic!("budget: {e}"));
    let years: Vec<i64> = both
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["year"].as_i64())
        .collect();
    assert_eq!(years.len(), 2);
    assert_eq!(years[1], years[0] + 1);

    let refused = invoke(&h.main, "budget", json!({ "year": 1999 }))
        .expect_err("a year out of range is refused");
    assert_eq!(refused["code"], "bad_request");
    assert!(refused["message"]
        .as_str()
        .is_some_and(|m| m.contains("1999")));
}

#[test]
fn a_default_reference_is_checked_kept_and_in_the_audit_log() {
    let h = signed_in_harness();
    let refused = invoke(
        &h.main,
        "set_default_reference",
        json!({ "email": EMAIL, "reference": "04011000-1234512345-07" }),
    )
    .expect_err("a wrong check digit is refused");
    assert_eq!(refused["code"], "invalid_reference");
    assert_eq!(refused["details"]["expected"], "06");

    let view = invoke(
        &h.main,
        "set_default_reference",
        json!({ "email": EMAIL, "reference": " 04011000-1234512345-06 " }),
    )
    .unwrap_or_else(|e| panic!("set_default_reference: {e}"));
    assert_eq!(view["default_reference"], "04011000-1234512345-06");
    let listed = invoke(&h.main, "list_licenses", json!({})).unwrap();
    assert_eq!(listed[0]["default_reference"], "04011000-1234512345-06");
    let cleared = invoke(
        &h.main,
        "set_default_reference",
        json!({ "email": EMAIL, "reference": null }),
    )
    .unwrap();
    assert_eq!(cleared["default_reference"], Value::Null);

    let log = invoke(&h.main, "audit_log", json!({})).unwrap_or_else(|e| panic!("audit_log: {e}"));
    assert_eq!(log["problems"], json!([]));
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "account_added",
            "default_reference_changed",
            "default_reference_changed"
        ]
    );
    assert_eq!(
        log["entries"][1]["details"],
        json!({ "from": null, "to": "04011000-1234512345-06" })
    );
    assert!(log["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("audit-log.jsonl")));
}
