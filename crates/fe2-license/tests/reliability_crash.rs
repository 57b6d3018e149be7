//! Crash safety of the atomic writes: a child process writes cache, account and settings files
//! through the core's API in a loop and is SIGKILLed at random points, until 200 writes are
//! done. After every kill each file is byte-identical to one complete version and loads through
//! the normal loaders; at the end the service shows the last cached license as verified.
//! Each round also appends an audit log line: every append the child saw succeed is in the
//! log after the kill, and no line is torn or breaks the chain.
//!
//! The child is this test binary itself, started again with `FE2_RELIABILITY_WRITER` set.

#![cfg(unix)]

mod client_support;
mod common;

use chrono::{DateTime, TimeDelta, Utc};
use client_support::{memory_store, service};
use common::{at, license};
use ed25519_dalek::SigningKey;
use fe2_license::audit::{self, Actor, AuditAction, AuditWriter};
use fe2_license::cache::{self, CacheEntry};
use fe2_license::config::{self, AccountConfig, Settings};
use fe2_license::license_file;
use fe2_license::paths::Home;
use fe2_license::secrets::{Secret, SecretStore};
use fe2_license::service::Verification;
use rand::Rng;
use std::io::BufRead;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child: `<home dir>|<first round>`.
const WRITER_ENV: &str = "FE2_RELIABILITY_WRITER";
/// The child says this once it starts writing.
const READY: &str = "FE2-WRITER-READY";
/// The child says this and the round after each audit append that returned.
const AUDITED: &str = "FE2-WRITER-AUDITED ";
/// This test's name, to start only it in the child.
const TEST_NAME: &str = "sigkilled_writers_leave_old_or_new_files_that_load";
/// Writes to survive in total.
const TOTAL_WRITES: u64 = 200;
/// A child is killed at a random moment up to this long after it starts writing.
const MAX_KILL_DELAY_MS: u64 = 3;
/// SIGKILL's number (9 on every Unix).
const SIGKILL: i32 = 9;
/// Settings thresholds carry the round number and stay ≤ 366.
const MAX_ROUND: u64 = 366;
/// Rounds one writer may write before it waits for its kill (3 files each).
const ROUNDS_PER_WRITER: u64 = 5;

const EMAIL: &str = "leitstelle@ff-musterstadt.de";
const SHOP: &str = "https://shop.example";

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn base_time() -> DateTime<Utc> {
    at("2025-07-02T12:00:00Z")
}

/// Round `v` of the cache: a signed license with `v` persons, fetched `v` seconds after the base.
fn cache_version(v: u64) -> CacheEntry {
    let persons = u32::try_from(v).expect("small round");
    let lic = license(&[("fe2-persons", persons)]);
    let text = license_file::sign(&lic, base_time(), &signing_key(), "k1");
    CacheEntry {
        email: EMAIL.to_string(),
        license_file: Some(text),
        license: Some(lic),
        fetched_at: Some(base_time() + TimeDelta::seconds(v as i64)),
        ..CacheEntry::default()
    }
}

/// Round `v` of the account file: the round in the support URL.
fn account_version(v: u64) -> AccountConfig {
    let mut account = AccountConfig::new(EMAIL.to_string(), SHOP.to_string());
    account.support_url = format!("https://support.example/v{v}/");
    account
}

/// Round `v` of the settings: the round as the warning threshold.
fn settings_version(v: u64) -> Settings {
    Settings {
        warning_days: v as i64,
        critical_days: 0,
        ..Settings::default()
    }
}

fn file_id() -> String {
    account_version(0).file_id().expect("file id")
}

/// Writes round `v` of all three files through the core's API, then its audit line.
fn write_round(home: &Home, v: u64) {
    cache::save(home, &file_id(), &cache_version(v)).expect("cache write");
    config::save_account(home, &account_version(v)).expect("account write");
    config::save_settings(home, &settings_version(v)).expect("settings write");
    let actor = Actor {
        os_user: "writer".into(),
        host: "test".into(),
    };
    AuditWriter::new(home.data_dir(), actor)
        .append(
            base_time() + TimeDelta::seconds(v as i64),
            AuditAction::SettingsChanged,
            None,
            serde_json::json!({ "round": v }),
        )
        .expect("audit append");
}

/// The rounds in the audit log; fails on a torn line or a broken chain.
fn audited_rounds(home: &Home) -> Vec<u64> {
    let log = audit::read(home.data_dir()).expect("the audit log reads");
    assert_eq!(log.problems, vec![], "the audit log after a kill");
    log.entries
        .iter()
        .map(|e| e.details["round"].as_u64().expect("round"))
        .collect()
}

/// The child: writes up to [`ROUNDS_PER_WRITER`] rounds from `first` on, then waits to be
/// killed; on a busy machine the parent's kill may come late, and the rounds must not run out.
fn writer(spec: &str) {
    let (dir, first) = spec.split_once('|').expect("writer spec");
    let home = Home::at(dir);
    let first: u64 = first.parse().expect("first round");
    println!("{READY}");
    for v in first..(first + ROUNDS_PER_WRITER).min(MAX_ROUND + 1) {
        write_round(&home, v);
        println!("{AUDITED}{v}");
    }
    // Ends only by the parent's SIGKILL (or after a minute, if the parent is gone).
    std::thread::sleep(Duration::from_secs(60));
}

/// The three files' paths.
fn paths(home: &Home) -> [PathBuf; 3] {
    [
        cache::cache_file(home, &file_id()),
        config::account_file(home, &file_id()),
        home.settings_file(),
    ]
}

/// The exact bytes of round `v` of each file, written by the same API into a scratch home.
fn expected_bytes(v: u64) -> [Vec<u8>; 3] {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let home = Home::at(scratch.path());
    write_round(&home, v);
    paths(&home).map(|p| std::fs::read(p).expect("scratch file"))
}

/// Loads all three files through the normal loaders and returns the round each one holds.
fn rounds_on_disk(home: &Home) -> [u64; 3] {
    let entry = cache::load(home, &file_id(), EMAIL)
        .expect("the cache loads")
        .expect("the cache exists");
    let fetched = entry.fetched_at.expect("fetched_at");
    let cache_round = u64::try_from((fetched - base_time()).num_seconds()).expect("round");
    let (accounts, errors) = config::load_accounts(home);
    assert!(errors.is_empty(), "account files: {errors:?}");
    assert_eq!(accounts.len(), 1, "one account file");
    let account_round: u64 = accounts[0]
        .support_url
        .trim_start_matches("https://support.example/v")
        .trim_end_matches('/')
        .parse()
        .expect("round in the support URL");
    let (settings, error) = config::load_settings(home);
    assert!(error.is_none(), "settings: {error:?}");
    let settings_round = u64::try_from(settings.warning_days).expect("round");
    [cache_round, account_round, settings_round]
}

/// Files the atomic writer left behind when killed between creating and renaming its temp file.
fn temp_files(home: &Home) -> usize {
    [
        home.cache_dir(),
        home.accounts_dir(),
        home.config_dir().to_path_buf(),
    ]
    .iter()
    .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
    .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
    .count()
}

/// Starts a writer child from round `first`, waits until it writes, kills it with SIGKILL at a
/// random moment and reaps it. Returns the rounds whose audit append returned.
fn run_and_kill(dir: &Path, first: u64, rng: &mut impl Rng) -> Vec<u64> {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(WRITER_ENV, format!("{}|{first}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok);
    let ready = lines.any(|line| line.ends_with(READY));
    assert!(ready, "the writer never started");
    std::thread::sleep(Duration::from_millis(rng.gen_range(0..=MAX_KILL_DELAY_MS)));
    // std's Child::kill sends SIGKILL on Unix; the status below proves it.
    child.kill().expect("kill the writer");
    let status = child.wait().expect("reap the writer");
    assert_eq!(
        status.signal(),
        Some(SIGKILL),
        "the writer ended by itself: {status:?}"
    );
    // The pipe holds what the child printed before it died.
    lines
        .filter_map(|line| line.split_once(AUDITED)?.1.parse().ok())
        .collect()
}

#[test]
fn sigkilled_writers_leave_old_or_new_files_that_load() {
    if let Ok(spec) = std::env::var(WRITER_ENV) {
        writer(&spec);
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let home = Home::at(dir.path());
    write_round(&home, 0);
    let mut rng = rand::thread_rng();
    let mut last = [0u64; 3];
    let mut writes = 0u64;
    let mut kills = 0u64;
    let mut inside_a_write = 0usize;
    while writes < TOTAL_WRITES {
        let temps_before = temp_files(&home);
        // Resume after the last complete round (a half-done round is written again).
        let acknowledged = run_and_kill(dir.path(), last[2] + 1, &mut rng);
        kills += 1;
        let rounds = audited_rounds(&home);
        assert!(
            rounds.windows(2).all(|w| w[0] < w[1]),
            "audit lines out of order: {rounds:?}"
        );
        for round in acknowledged {
            assert!(rounds.contains(&round), "audit line {round} lost");
        }
        if temp_files(&home) > temps_before {
            inside_a_write += 1;
        }
        let now = rounds_on_disk(&home);
        let [cache_round, account_round, settings_round] = now;
        // A round writes cache, account, settings in this order.
        assert!(
            cache_round >= account_round
                && account_round >= settings_round
                && settings_round + 1 >= cache_round,
            "rounds out of order: {now:?}"
        );
        for (file, (&before, &after)) in last.iter().zip(now.iter()).enumerate() {
            assert!(
                after >= before,
                "file {file} went back from {before} to {after}"
            );
            writes += after - before;
        }
        let on_disk = paths(&home).map(|p| std::fs::read(p).expect("file"));
        for (file, (round, bytes)) in now.iter().zip(on_disk.iter()).enumerate() {
            assert!(
                &expected_bytes(*round)[file] == bytes,
                "file {file} is not byte-identical to its round {round}"
            );
        }
        last = now;
        assert!(last[0] < MAX_ROUND, "ran out of rounds");
    }

    // The normal start of the service reads the last cache and verifies it.
    let store = memory_store();
    let account = account_version(last[1]);
    let secret = Secret {
        password: "abcd EFGH 1234 ijkl MNOP 5678".into(),
        shop_key: license_file::public_key_to_base64(&signing_key().verifying_key()),
    };
    store
        .set(&account.secret_user().expect("user"), &secret)
        .expect("secret");
    let service = service(dir.path(), store);
    assert!(service.problems().is_empty(), "{:?}", service.problems());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let views = runtime.block_on(service.accounts());
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].verification, Verification::Verified);
    let persons = views[0]
        .license
        .as_ref()
        .map(|l| u64::from(l.quantity("fe2-persons")));
    assert_eq!(persons, Some(last[0]));

    let figures = format!(
        "crash safety: {writes} writes, {kills} SIGKILLs ({inside_a_write} inside a write, temp file left), \
         every file old or new and loading, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    eprintln!("{figures}");
    assert!(kills > 10, "too few kills to mean anything: {kills}");
}
