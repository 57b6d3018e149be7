//! Bad input for the two readers of untrusted bytes: the license file parser and the cache
//! reader. Random and mutated input never panics, never yields a license other than the one
//! that was signed, and is always a typed error or a not-verified view.
//!
//! 10 000 cases per property by default; `FE2_FULL_FUZZ=1` runs 100 000.

mod client_support;
mod common;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use client_support::{memory_store, service};
use common::{at, license};
use ed25519_dalek::{SigningKey, VerifyingKey};
use fe2_license::cache::{self, CacheEntry};
use fe2_license::config::{self, AccountConfig};
use fe2_license::license_file::{self, VerifiedLicense, BEGIN_MARKER, END_MARKER};
use fe2_license::paths::Home;
use fe2_license::secrets::{Secret, SecretStore};
use fe2_license::service::Verification;
use fe2_license::Error;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::sync::OnceLock;

const EMAIL: &str = "leitstelle@ff-musterstadt.de";
const ISSUED: &str = "2025-07-02T12:00:00Z";

/// Cases per property: 10 000, or 100 000 with `FE2_FULL_FUZZ=1`.
fn cases(default: u32) -> u32 {
    match std::env::var("FE2_FULL_FUZZ").as_deref() {
        Ok("1") => default * 10,
        _ => default,
    }
}

fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        // Seeds of past failures beside this file (the default looks for a lib.rs).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn pinned() -> VerifyingKey {
    signing_key().verifying_key()
}

fn now() -> DateTime<Utc> {
    at(ISSUED) + TimeDelta::days(1)
}

/// The one genuine file every mutation starts from.
fn genuine() -> &'static str {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| {
        license_file::sign(
            &license(&[("fe2-persons", 20)]),
            at(ISSUED),
            &signing_key(),
            "k1",
        )
    })
}

/// What the genuine file verifies to.
fn genuine_verified() -> &'static VerifiedLicense {
    static VERIFIED: OnceLock<VerifiedLicense> = OnceLock::new();
    VERIFIED.get_or_init(|| {
        license_file::verify(genuine(), &pinned(), EMAIL, now()).expect("the genuine file verifies")
    })
}

/// The codes `verify` may answer with.
const FILE_CODES: [&str; 4] = [
    "malformed_license_file",
    "unsupported_algorithm",
    "bad_signature",
    "wrong_account",
];

/// Verifies `text`; a success must be exactly the genuine license (a mutation that only touched
/// ignorable whitespace), a failure must be one of the license file's typed errors.
fn check_verify(text: &str) -> std::result::Result<Option<Error>, TestCaseError> {
    match license_file::verify(text, &pinned(), EMAIL, now()) {
        Ok(verified) => {
            // `kid` is outside the signature (docs/domain.md: the signature covers 'license/' + data), so a
            // changed `kid` is the one edit that still verifies; it selects no key here.
            let genuine = genuine_verified();
            prop_assert_eq!(&verified.license, &genuine.license);
            prop_assert_eq!(
                (
                    verified.issued,
                    verified.expiry,
                    verified.outdated,
                    verified.clock_behind
                ),
                (
                    genuine.issued,
                    genuine.expiry,
                    genuine.outdated,
                    genuine.clock_behind
                )
            );
            Ok(None)
        }
        Err(e) => {
            prop_assert!(FILE_CODES.contains(&e.code()), "unexpected error {e:?}");
            Ok(Some(e))
        }
    }
}

/// The envelope of the genuine file.
fn envelope() -> serde_json::Value {
    envelope_of(genuine())
}

/// The envelope of a well-formed file.
fn envelope_of(text: &str) -> serde_json::Value {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    serde_json::from_slice(&STANDARD.decode(body).expect("base64")).expect("envelope JSON")
}

/// Wraps an envelope as a file with the given line width and line end.
fn wrap(envelope: &serde_json::Value, width: usize, line_end: &str) -> String {
    let body = STANDARD.encode(serde_json::to_vec(envelope).expect("JSON"));
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(width)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "{BEGIN_MARKER}{line_end}{}{line_end}{END_MARKER}{line_end}",
        lines.join(line_end)
    )
}

/// A change made below the base64 layer, then re-encoded.
#[derive(Clone, Debug)]
enum Reencoded {
    /// The payload's expiry moved (the classic tamper: a longer-lasting offline view).
    Expiry(i64),
    /// One byte of the payload JSON changed.
    PayloadByte(usize, u8),
    /// One byte of the signature changed.
    SigByte(usize, u8),
    /// Another algorithm named.
    Alg(String),
    /// `data` re-encoded without padding or URL-safe: other bytes under the signature (when
    /// the data has no `+`, `/` or padding, the same bytes: then it must still verify).
    DataEncoding(bool),
    /// The envelope re-wrapped with another line width and line end: still the same file.
    Rewrapped(usize, bool),
}

fn reencoded() -> impl Strategy<Value = Reencoded> {
    prop_oneof![
        (1i64..10_000).prop_map(Reencoded::Expiry),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Reencoded::PayloadByte(i, x)),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Reencoded::SigByte(i, x)),
        "[a-zA-Z0-9_-]{0,12}"
            .prop_filter("another algorithm", |a| a != "ed25519")
            .prop_map(Reencoded::Alg),
        any::<bool>().prop_map(Reencoded::DataEncoding),
        (1usize..200, any::<bool>()).prop_map(|(w, crlf)| Reencoded::Rewrapped(w, crlf)),
    ]
}

fn apply(change: &Reencoded) -> String {
    let mut env = envelope();
    let data = env["data"].as_str().expect("data").to_string();
    let sig = env["sig"].as_str().expect("sig").to_string();
    match change {
        Reencoded::Expiry(days) => {
            let mut payload: serde_json::Value =
                serde_json::from_slice(&STANDARD.decode(&data).expect("data")).expect("payload");
            let later = at(ISSUED) + TimeDelta::days(30 + days);
            payload["expiry"] = serde_json::json!(later.to_rfc3339());
            env["data"] = STANDARD
                .encode(serde_json::to_vec(&payload).expect("JSON"))
                .into();
        }
        Reencoded::PayloadByte(i, x) => {
            let mut bytes = STANDARD.decode(&data).expect("data");
            let at = i % bytes.len();
            bytes[at] ^= x;
            env["data"] = STANDARD.encode(bytes).into();
        }
        Reencoded::SigByte(i, x) => {
            let mut bytes = STANDARD.decode(&sig).expect("sig");
            let at = i % bytes.len();
            bytes[at] ^= x;
            env["sig"] = STANDARD.encode(bytes).into();
        }
        Reencoded::Alg(alg) => env["alg"] = alg.clone().into(),
        Reencoded::DataEncoding(url_safe) => {
            let bytes = STANDARD.decode(&data).expect("data");
            let other = if *url_safe {
                URL_SAFE.encode(&bytes)
            } else {
                STANDARD_NO_PAD.encode(&bytes)
            };
            env["data"] = other.into();
        }
        Reencoded::Rewrapped(width, crlf) => {
            return wrap(&env, *width, if *crlf { "\r\n" } else { "\n" });
        }
    }
    wrap(&env, 64, "\n")
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn random_bytes_are_a_typed_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(check_verify(&text)?.is_some());
        // The same bytes between the markers.
        let framed = format!("{BEGIN_MARKER}\n{text}\n{END_MARKER}\n");
        prop_assert!(check_verify(&framed)?.is_some());
    }

    #[test]
    fn a_flipped_byte_anywhere_is_rejected_or_changes_nothing(index in any::<usize>(), mask in 1u8..=255) {
        let mut bytes = genuine().as_bytes().to_vec();
        let at = index % bytes.len();
        bytes[at] ^= mask;
        // Accepted only when the content is the genuine one: a changed line break, the
        // unsigned `kid`, or a padding character that decodes to JSON whitespace.
        check_verify(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn a_truncated_file_is_rejected(cut in any::<usize>()) {
        let text = genuine();
        let cut = cut % text.len();
        let outcome = check_verify(&text[..cut])?;
        // Only the final newline may go.
        prop_assert!(outcome.is_some() || cut + 1 == text.len(), "cut at {cut} accepted");
    }

    #[test]
    fn reencoded_changes_are_refused_by_signature(change in reencoded()) {
        let text = apply(&change);
        let unchanged = envelope_of(&text)["data"] == envelope()["data"];
        let outcome = check_verify(&text)?;
        match (&change, outcome) {
            (Reencoded::Rewrapped(..), None) => {}
            (Reencoded::DataEncoding(_), None) if unchanged => {}
            (Reencoded::Alg(_), Some(Error::UnsupportedAlgorithm(_))) => {}
            (
                Reencoded::Expiry(_) | Reencoded::PayloadByte(..) | Reencoded::SigByte(..)
                | Reencoded::DataEncoding(_),
                Some(Error::BadSignature),
            ) => {}
            (change, outcome) => prop_assert!(false, "{change:?} gave {outcome:?}"),
        }
    }
}

/// The genuine cache file of the account.
fn genuine_cache() -> CacheEntry {
    CacheEntry {
        email: EMAIL.to_string(),
        license_file: Some(genuine().to_string()),
        license: Some(genuine_verified().license.clone()),
        fetched_at: Some(at(ISSUED)),
        ..CacheEntry::default()
    }
}

fn genuine_cache_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| serde_json::to_vec(&genuine_cache()).expect("JSON"))
}

/// A damaged cache file: random bytes, a flipped byte, a cut, or a JSON edit.
fn damaged_cache() -> impl Strategy<Value = Vec<u8>> {
    let genuine = genuine_cache_bytes();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        (any::<usize>(), 1u8..=255).prop_map(move |(i, x)| {
            let mut bytes = genuine.to_vec();
            let at = i % bytes.len();
            bytes[at] ^= x;
            bytes
        }),
        any::<usize>().prop_map(move |cut| genuine[..cut % genuine.len()].to_vec()),
        (any::<usize>(), "[ -~]{0,40}").prop_map(move |(i, insert)| {
            // Splices printable text into the JSON, sometimes still valid JSON.
            let mut bytes = genuine.to_vec();
            let at = i % bytes.len();
            bytes.splice(at..at, insert.into_bytes());
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn a_damaged_cache_file_is_corrupt_or_not_verified(bytes in damaged_cache()) {
        // One directory for all cases: each case replaces the same cache file.
        static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
        let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
        let home = Home::at(dir.path());
        let path = cache::cache_file(&home, "acct");
        std::fs::create_dir_all(home.cache_dir()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        replace_file(&path, &bytes);
        match cache::load(&home, "acct", EMAIL) {
            // An edit that keeps the JSON but changes the e-mail names another account.
            Err(e) => prop_assert!(matches!(e.code(), "corrupt_file" | "wrong_account"), "{}", e),
            Ok(None) => prop_assert!(false, "an existing file read as none"),
            Ok(Some(entry)) => {
                prop_assert_eq!(&entry.email, EMAIL);
                // Whatever parsed, only the genuine signed text can verify.
                if let Some(text) = &entry.license_file {
                    check_verify(text)?;
                }
            }
        }
    }
}

/// Puts `bytes` at `path` as a new file. Unlink first: ext4 flushes a truncated-and-rewritten
/// file on close (`auto_da_alloc`), which would make ten thousand cases take half a minute.
fn replace_file(path: &std::path::Path, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).expect("write the case's file");
}

/// A configured account with its secret in memory, and `bytes` as its cache file. The account
/// file is written once per directory (an atomic write syncs, which is slow on this disk).
fn service_over(dir: &std::path::Path, bytes: &[u8]) -> fe2_license::service::Service {
    let home = Home::at(dir);
    let account = AccountConfig::new(EMAIL.to_string(), "https://shop.example".to_string());
    let account_file = config::account_file(&home, &account.file_id().expect("id"));
    if !account_file.exists() {
        config::save_account(&home, &account).expect("account file");
    }
    let store = memory_store();
    let secret = Secret {
        password: "abcd EFGH 1234 ijkl MNOP 5678".into(),
        shop_key: license_file::public_key_to_base64(&pinned()),
    };
    store
        .set(&account.secret_user().expect("user"), &secret)
        .expect("secret");
    let path = cache::cache_file(&home, &account.file_id().expect("id"));
    std::fs::create_dir_all(home.cache_dir()).expect("cache dir");
    replace_file(&path, bytes);
    service(dir, store)
}

#[test]
fn the_service_shows_the_genuine_cache_as_verified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let service = service_over(dir.path(), genuine_cache_bytes());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let views = runtime.block_on(service.accounts());
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].verification, Verification::Verified);
    assert_eq!(views[0].license.as_ref(), Some(&genuine_verified().license));
}

proptest! {
    // A service per case builds an HTTP client: fewer cases here, the cache reader above takes
    // the bulk.
    #![proptest_config(config(500))]

    #[test]
    fn the_service_never_shows_a_damaged_cache_as_verified_unless_genuine(bytes in damaged_cache()) {
        static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
        let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
        let service = service_over(dir.path(), &bytes);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let views = runtime.block_on(service.accounts());
        prop_assert_eq!(views.len(), 1);
        let view = &views[0];
        match view.verification {
            Verification::Verified | Verification::Outdated => {
                prop_assert_eq!(view.license.as_ref(), Some(&genuine_verified().license));
                prop_assert_eq!(view.as_of, Some(at(ISSUED)));
            }
            Verification::NotVerified => prop_assert!(view.verification_error.is_some()),
            Verification::None => prop_assert!(view.license.is_none()),
        }
    }
}
