//! The command line without a shop and without a keychain: an empty data home, usage errors,
//! exit codes and help texts.

mod common;

use common::{cli, run};

#[test]
fn check_without_an_account_is_unknown_on_one_line() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["check"], "");
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.stdout, "FE2 LICENSE UNKNOWN - no account configured\n");
    let json = run(home.path(), &["check", "--format", "json"], "");
    assert_eq!(json.code, 3);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["state"], "UNKNOWN");
    // Prometheus: written (exit 0), no samples.
    let prom = run(home.path(), &["check", "--format", "prometheus"], "");
    assert_eq!((prom.code, prom.stdout.as_str()), (0, ""));
}

#[test]
fn usage_errors_of_check_are_unknown_and_of_other_commands_1() {
    let home = tempfile::tempdir().unwrap();
    // Nagios shows standard output only: every failure of check is one UNKNOWN line there.
    for (args, reason) in [
        (&["check", "--bogus"][..], "unexpected argument '--bogus'"),
        (&["check", "-w", "10", "-c", "20"], "must not exceed"),
        (&["check", "-w", "x"], "not a range"),
        (&["check", "-c", "20:10"], "start is above its end"),
        (&["check", "-w", "-3"], "days must be 0 or more"),
        (&["check", "-t", "0"], "0 is not in 1..=3600"),
        (&["check", "-w"], "a value is required"),
        (
            &["check", "--format", "json", "--bogus"],
            "unexpected argument",
        ),
    ] {
        let out = run(home.path(), args, "");
        assert_eq!(out.code, 3, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout.lines().count(), 1, "{args:?}: {}", out.stdout);
        assert!(
            out.stdout.starts_with("FE2 LICENSE UNKNOWN - ") && out.stdout.contains(reason),
            "{args:?}: {}",
            out.stdout
        );
        assert!(!out.stdout.contains(['|', ';']), "{}", out.stdout);
    }
    for args in [&["check", "--help"][..], &["--version"], &["check", "-h"]] {
        let out = run(home.path(), args, "");
        assert_eq!(out.code, 0, "{args:?}");
        assert!(!out.stdout.starts_with("FE2 LICENSE"), "{args:?}");
    }
    let out = run(home.path(), &["status", "--bogus"], "");
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let out = run(home.path(), &["account", "remove", "nobody@x.de"], "");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: no account nobody@x.de [unknown_account]\n"
    );
    let out = run(home.path(), &["check", "--account", "nobody@x.de"], "");
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (3, "FE2 LICENSE UNKNOWN - no account nobody@x.de\n")
    );
}

#[test]
fn an_empty_home_has_no_accounts_and_exports_only_the_header() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["status"], "");
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with("Kein Konto eingerichtet"),
        "{}",
        out.stdout
    );
    let status: serde_json::Value =
        serde_json::from_str(&run(home.path(), &["status", "--json"], "").stdout).unwrap();
    assert_eq!(status["licenses"], serde_json::json!([]));
    assert_eq!(status["settings"]["warning_days"]["source"], "default");
    assert_eq!(
        run(home.path(), &["account", "list", "--json"], "").stdout,
        "[]\n"
    );
    let csv = run(home.path(), &["export", "--format", "csv"], "");
    assert_eq!(csv.code, 0);
    assert!(csv.stdout.starts_with("\u{feff}E-Mail;Inhaber;"));
    assert_eq!(csv.stdout.matches("\r\n").count(), 1);
}

#[test]
fn every_command_has_help_with_an_example() {
    let home = tempfile::tempdir().unwrap();
    let top = run(home.path(), &["--help"], "");
    assert_eq!(top.code, 0);
    assert!(top.stdout.contains("Examples:"));
    for args in [
        &["account", "add", "--help"][..],
        &["account", "list", "--help"],
        &["account", "remove", "--help"],
        &["status", "--help"],
        &["check", "--help"],
        &["export", "--help"],
        &["proxy", "login", "--help"],
        &["proxy", "logout", "--help"],
        &["proxy", "show", "--help"],
    ] {
        let out = run(home.path(), args, "");
        assert_eq!(out.code, 0, "{args:?}");
        let example = format!("fe2-license {}", args[..args.len() - 1].join(" "));
        assert!(out.stdout.contains(&example), "{args:?}: {}", out.stdout);
    }
}

#[test]
fn proxy_show_names_the_proxy_and_why_and_a_bad_proxy_is_refused_before_the_password() {
    let home = tempfile::tempdir().unwrap();
    let shown = cli(home.path())
        .env("HTTPS_PROXY", "http://proxy.stadt.example:3128")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args([
            "proxy",
            "show",
            "--shop-url",
            "https://shop.example",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{shown:?}");
    let value: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(value[0]["proxy"], "http://proxy.stadt.example:3128");
    assert_eq!(value[0]["source"]["kind"], "environment");
    assert_eq!(value[0]["source"]["variable"], "HTTPS_PROXY");
    let lines = cli(home.path())
        .env("HTTPS_PROXY", "http://proxy.stadt.example:3128")
        .env("NO_PROXY", ".example")
        .args(["proxy", "show", "--shop-url", "https://shop.example"])
        .output()
        .unwrap();
    let text = String::from_utf8(lines.stdout).unwrap();
    assert!(
        text.starts_with(
            "https://shop.example: direct (direct: the host is in environment variable NO_PROXY)"
        ),
        "{text}"
    );

    // The proxy URL is checked before anything is asked or stored; its password never echoed.
    for (proxy, code) in [
        ("ftp://proxy:21", "invalid_proxy"),
        ("http://stadt:Geheim99@proxy:3128", "invalid_proxy"),
    ] {
        let out = run(
            home.path(),
            &[
                "proxy",
                "login",
                "--proxy",
                proxy,
                "--username",
                "u",
                "--password-stdin",
            ],
            "pw\n",
        );
        assert_eq!(out.code, 1, "{proxy}");
        assert!(out.stderr.contains(code), "{}", out.stderr);
        assert!(!out.stderr.contains("Geheim99"), "{}", out.stderr);
    }
}

#[test]
fn check_writes_its_output_file_atomically_without_bom() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("collector").join("fe2_license.prom");
    let out = run(
        home.path(),
        &[
            "check",
            "--format",
            "prometheus",
            "--output",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let written = std::fs::read(&file).unwrap();
    // No account, no series (prometheus-client writes no family without samples); the
    // alerting rules' absent() catches that. With accounts: tests/shop.rs.
    assert_eq!(written, b"");
    let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "temp file left behind: {names:?}");
}

#[test]
fn an_empty_home_has_an_unchanged_empty_log() {
    let home = tempfile::tempdir().unwrap();
    let verify = run(home.path(), &["log", "--verify"], "");
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(
        verify.stdout.starts_with("Protokoll unverändert (0)"),
        "{}",
        verify.stdout
    );
    let table = run(home.path(), &["log"], "");
    assert_eq!(table.stdout, "noch keine Einträge\n");
    let refused = run(home.path(), &["log", "--verify", "--format", "json"], "");
    assert_eq!(refused.code, 1, "{}", refused.stderr);
}

#[test]
fn a_log_line_saved_as_ansi_is_named_by_verify() {
    use fe2_license::audit::{Actor, AuditAction, AuditWriter};
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let actor = Actor {
        os_user: "kommandant".into(),
        host: "FW-PC".into(),
    };
    let log = AuditWriter::new(&data, actor);
    for name in ["Müller", "Schulz"] {
        let details = serde_json::json!({ "name": name });
        log.append(chrono::Utc::now(), AuditAction::TicketSent, None, details)
            .unwrap();
    }
    // An editor re-saved it as Windows-1252: "ü" is now the single byte 0xFC.
    let file = data.join("audit-log.jsonl");
    let bytes = std::fs::read(&file).unwrap();
    let at = bytes.windows(2).position(|w| w == "ü".as_bytes()).unwrap();
    std::fs::write(&file, [&bytes[..at], &[0xFC], &bytes[at + 2..]].concat()).unwrap();
    let verify = run(home.path(), &["log", "--verify"], "");
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert!(
        verify
            .stdout
            .contains("audit-log.jsonl:1 ist kein Eintrag des Protokolls"),
        "{}",
        verify.stdout
    );
    let listed = run(home.path(), &["log"], "");
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("Schulz"), "{}", listed.stdout);
}
