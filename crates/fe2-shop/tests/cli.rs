//! The `fe2-shop` binary as tests and scripts start it, and the OpenAPI file against the router.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fe2-shop");

/// Kills the child when the test ends, also when it fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns it with its first stdout line.
fn start(args: &[&str]) -> (Running, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    (Running(child), first.trim_end().to_string(), reader)
}

fn port_of(line: &str) -> u16 {
    let url = line
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{line:?}"));
    url.parse().unwrap()
}

#[tokio::test]
async fn serve_announces_its_port_and_its_key_verifies_the_license_file() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("signing.key");
    let key_path = key_file.to_str().unwrap();
    let printed = Command::new(BIN)
        .args(["public-key", "--signing-key", key_path])
        .output()
        .unwrap();
    assert!(printed.status.success());
    let text = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    let public_key = text.trim().to_string();
    // The key file is stable: printing again gives the same key.
    let again = Command::new(BIN)
        .args(["public-key", "--signing-key", key_path])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(again.stdout).unwrap().trim(), public_key);

    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/worked-examples.json");
    let (_child, first, _rest) = start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--db",
        ":memory:",
        "--fixtures",
        fixtures,
        "--now",
        "2025-07-02T12:00:00Z",
        "--signing-key",
        key_path,
    ]);
    let port = port_of(&first);
    let api = format!("http://127.0.0.1:{port}/wp-json/fe2/v1");
    let http = common::http_client();
    let response = http
        .get(format!("{api}/license/file"))
        .basic_auth(
            "leitstelle@ff-musterstadt.de",
            Some("abcd EFGH 1234 ijkl MNOP 5678"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["date"], "Wed, 02 Jul 2025 12:00:00 GMT");
    let file = response.text().await.unwrap();
    let key = fe2_license::license_file::public_key_from_base64(&public_key).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2025-07-02T12:00:00Z")
        .unwrap()
        .to_utc();
    let verified =
        fe2_license::license_file::verify(&file, &key, "leitstelle@ff-musterstadt.de", now)
            .unwrap();
    assert_eq!(verified.license.id, 4711);
    assert!(!verified.outdated);
    let keys: Value = http
        .get(format!("{api}/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"][0]["public_key"], public_key);
    // Another key does not verify it.
    let other = fe2_shop::demo_signing_key().verifying_key();
    assert!(
        fe2_license::license_file::verify(&file, &other, "leitstelle@ff-musterstadt.de", now)
            .is_err()
    );
}

#[tokio::test]
async fn demo_prints_the_accounts_after_the_listening_line() {
    let (_child, first, mut rest) = start(&["demo", "--listen", "127.0.0.1:0"]);
    let port = port_of(&first);
    let customers = fe2_shop::demo_fixtures().customers;
    // A blank line and two heading lines, then one line per account.
    let mut table = String::new();
    for _ in 0..customers.len() + 3 {
        let mut line = String::new();
        assert_ne!(
            rest.read_line(&mut line).unwrap(),
            0,
            "stdout ended: {table}"
        );
        table.push_str(&line);
    }
    for customer in customers {
        assert!(table.contains(&customer.email), "{table}");
        assert!(table.contains(&customer.app_password), "{table}");
    }
    let me = common::http_client()
        .get(format!("http://127.0.0.1:{port}/wp-json/fe2/v1/me"))
        .basic_auth(
            "leitstelle@ff-musterstadt.de",
            Some("abcd EFGH 1234 ijkl MNOP 5678"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[test]
fn bad_arguments_fail_with_usage() {
    let output = Command::new(BIN)
        .args(["serve", "--bogus", "1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown option --bogus"));
    let output = Command::new(BIN).output().unwrap();
    assert!(!output.status.success());
}

#[test]
fn openapi_file_lists_exactly_the_routes_of_the_router() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/shop-api.openapi.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let servers = doc["servers"][0]["url"].as_str().unwrap();
    assert!(servers.ends_with(fe2_shop::api::BASE_PATH), "{servers}");
    let mut in_file = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if ["get", "post", "put", "delete", "patch", "head", "options"].contains(&method) {
                in_file.insert((method.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    let in_router: BTreeSet<(String, String)> = fe2_shop::api::ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(in_file, in_router);
}

#[test]
fn help_prints_the_usage_and_exits_0_and_a_bad_call_exits_1() {
    for args in [&["--help"][..], &["-h"], &["help"], &["serve", "--help"]] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("usage:"), "{args:?}: {text}");
    }
    let out = Command::new(BIN)
        .args(["serve", "--bogus", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn database_and_parser_failures_answer_generically_and_log_the_details() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let db_path = db.to_str().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/worked-examples.json");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", db_path])
        .args(["--fixtures", fixtures, "--now", "2025-07-02T12:00:00Z"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    let mut child = Running(child);
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let api = format!(
        "http://127.0.0.1:{}/wp-json/fe2/v1",
        port_of(first.trim_end())
    );
    let http = common::http_client();
    // Break the running shop's database behind its back: a missing table (SQLite's text),
    // then a stored value that is not JSON (the parser's text).
    for (sql, path) in [
        ("DROP TABLE tickets", "/tickets"),
        ("UPDATE licenses SET features = 'not json'", "/license"),
    ] {
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        let response = http
            .get(format!("{api}{path}"))
            .basic_auth(
                "leitstelle@ff-musterstadt.de",
                Some("abcd EFGH 1234 ijkl MNOP 5678"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "internal", "{path}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.ends_with(fe2_shop::error::INTERNAL_MESSAGE),
            "{path}: {message}"
        );
        for leak in ["tickets", "table", "database", "JSON", "line 1"] {
            assert!(!message.contains(leak), "{path}: {message}");
        }
    }
    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut log).unwrap();
    assert!(log.contains("no such table: tickets"), "{log}");
    assert!(log.contains("stored JSON"), "{log}");
}
