//! Central policies under Wine (docs/deployment.md, Policies): values set with `reg add` under
//! HKLM and HKCU change what the installed `fe2-license.exe` does, and `status --json` says
//! where each came from. Run by `scripts/windows.sh test`.

use fe2_windows_tests::*;

const POLICY_KEY: &str = "SOFTWARE\\Policies\\Alamos\\FE2 License Manager";
/// 183 days left, and pending-cancel with 15 days (crates/fe2-shop/fixtures/demo.json).
const OK_EMAIL: &str = "leitstelle@ff-musterstadt.de";
const WARN_EMAIL: &str = "kuendigung@ff-seedorf.de";

fn password_of(email: &str) -> String {
    credentials(&demo_fixtures())
        .into_iter()
        .find(|(e, _)| e == email)
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("{email} is not in the fixtures"))
}

/// `reg add` of one policy value, written through before the next program reads it.
fn set_policy(wine: &Wine, hive: &str, name: &str, kind: &str, data: &str) {
    let key = format!("{hive}\\{POLICY_KEY}");
    let run = wine.run(
        &["reg", "add", &key, "/v", name, "/t", kind, "/d", data, "/f"],
        &[],
        "",
    );
    assert_eq!(run.code, 0, "reg add {name}: {run:?}");
    wine.wait_idle();
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn registry_policies_beat_the_settings_of_the_installed_cli() {
    let wine = Wine::boot();
    let folder = "C:\\FE2 Policy Test";
    install_for_user(&wine, folder);

    let state = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shop = Shop::start(&demo_fixtures(), &now, &state.path().join("shop.key"));
    let home = "C:\\FE2 Daten";
    let cli_exe = format!("{folder}\\fe2-license.exe");
    let cli = |args: &[&str], stdin: &str| {
        let mut all = vec![cli_exe.as_str()];
        all.extend_from_slice(args);
        wine.run(&all, &[("FE2_LICENSE_HOME", home)], stdin)
    };
    for email in [OK_EMAIL, WARN_EMAIL] {
        let add = cli(
            &[
                "account",
                "add",
                "--shop-url",
                &shop.url,
                "--email",
                email,
                "--password-stdin",
            ],
            &format!("{}\n", password_of(email)),
        );
        assert_eq!(add.code, 0, "add {email}: {add:?}");
    }
    // The user's own thresholds: 15 days left is OK.
    std::fs::write(
        wine.unix_path(&format!("{home}\\config\\settings.json")),
        r#"{"warning_days": 10, "critical_days": 5}"#,
    )
    .unwrap();
    let by_settings = cli(&["check", "--account", WARN_EMAIL], "");
    assert_eq!(by_settings.code, 0, "{by_settings:?}");

    // The machine's policy wins: WARNING again, and the performance data says 21:.
    set_policy(&wine, "HKLM", "WarningDays", "REG_DWORD", "20");
    let by_policy = cli(&["check", "--account", WARN_EMAIL], "");
    assert_eq!(by_policy.code, 1, "{by_policy:?}");
    assert!(by_policy.stdout.contains("=15;21:;6:;;"), "{by_policy:?}");
    let status = cli(&["status", "--json", "--offline"], "");
    let report: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
    let warning = &report["settings"]["warning_days"];
    assert_eq!(warning["source"], "policy", "{report}");
    assert_eq!(warning["origin"], format!("HKLM\\{POLICY_KEY}"), "{report}");
    assert_eq!(report["settings"]["critical_days"]["source"], "settings");

    // A user policy (HKCU) applies where the machine sets nothing: read-only refuses changes.
    set_policy(&wine, "HKCU", "ReadOnly", "REG_DWORD", "1");
    let refused = cli(&["account", "remove", OK_EMAIL], "");
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("read-only"), "{refused:?}");
    let list = cli(&["account", "list", "--json"], "");
    assert!(list.stdout.contains(OK_EMAIL), "nothing removed: {list:?}");

    // A list policy (REG_MULTI_SZ): only the shops it names are asked.
    set_policy(
        &wine,
        "HKLM",
        "AllowedShopHosts",
        "REG_MULTI_SZ",
        "www.alamos-gmbh.com\\0shop.stadt.example",
    );
    let bounded = cli(&["check", "--account", OK_EMAIL, "-t", "5"], "");
    assert!(
        bounded.stdout.contains("refresh failed (shop_not_allowed)"),
        "{bounded:?}"
    );
}
