//! The signed license file: every way a file can be good, damaged or foreign.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::TimeDelta;
use common::{at, license};
use ed25519_dalek::SigningKey;
use fe2_license::license_file::{self, BEGIN_MARKER, END_MARKER};
use fe2_license::Error;

const EMAIL: &str = "leitstelle@ff-musterstadt.de";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn signed() -> String {
    let lic = license(&[("fe2-persons", 20)]);
    license_file::sign(&lic, at("2025-07-02T12:00:00Z"), &key(7), "shop-2025")
}

/// The envelope JSON inside a file.
fn envelope(text: &str) -> serde_json::Value {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    serde_json::from_slice(&STANDARD.decode(body).unwrap()).unwrap()
}

/// A file with the given envelope, wrapped as `sign` does.
fn file(envelope: &serde_json::Value) -> String {
    let body = STANDARD.encode(serde_json::to_vec(envelope).unwrap());
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    format!("{BEGIN_MARKER}\n{}\n{END_MARKER}\n", lines.join("\n"))
}

#[test]
fn valid_file_verifies_with_its_content() {
    let text = signed();
    assert!(text.starts_with("-----BEGIN FE2 LICENSE FILE-----\n"));
    assert!(text.ends_with("\n-----END FE2 LICENSE FILE-----\n"));
    assert!(text
        .lines()
        .all(|l| l.len() <= 64 || l.starts_with("-----")));
    let env = envelope(&text);
    assert_eq!(env["alg"], "ed25519");
    assert_eq!(env["kid"], "shop-2025");
    let payload: serde_json::Value =
        serde_json::from_slice(&STANDARD.decode(env["data"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(payload["issued"], "2025-07-02T12:00:00Z");
    assert_eq!(payload["expiry"], "2025-08-01T12:00:00Z");
    assert_eq!(payload["license"]["id"], 4711);

    let now = at("2025-07-03T00:00:00Z");
    let v = license_file::verify(
        &text,
        &key(7).verifying_key(),
        "LeitStelle@FF-Musterstadt.de",
        now,
    )
    .unwrap();
    assert_eq!(v.license, license(&[("fe2-persons", 20)]));
    assert_eq!(v.issued, at("2025-07-02T12:00:00Z"));
    assert_eq!(v.expiry, at("2025-08-01T12:00:00Z"));
    assert_eq!(v.kid, "shop-2025");
    assert!(!v.outdated);
    assert!(!v.clock_behind);

    // Surrounding whitespace and CRLF line ends are accepted.
    let crlf = format!("\r\n  {}  \r\n", text.replace('\n', "\r\n"));
    assert!(license_file::verify(&crlf, &key(7).verifying_key(), EMAIL, now).is_ok());
}

#[test]
fn data_changed_by_one_byte_is_a_bad_signature() {
    let mut env = envelope(&signed());
    let data = env["data"].as_str().unwrap().to_string();
    let mut bytes = data.into_bytes();
    // Swap one base64 letter for another so the data still decodes.
    bytes[40] = if bytes[40] == b'A' { b'B' } else { b'A' };
    env["data"] = String::from_utf8(bytes).unwrap().into();
    let err = license_file::verify(
        &file(&env),
        &key(7).verifying_key(),
        EMAIL,
        at("2025-07-03T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(err, Error::BadSignature);
}

#[test]
fn changed_signature_is_a_bad_signature() {
    let mut env = envelope(&signed());
    let mut sig = STANDARD.decode(env["sig"].as_str().unwrap()).unwrap();
    sig[10] ^= 0x01;
    env["sig"] = STANDARD.encode(sig).into();
    let err = license_file::verify(
        &file(&env),
        &key(7).verifying_key(),
        EMAIL,
        at("2025-07-03T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(err, Error::BadSignature);
}

#[test]
fn other_alg_is_refused_even_with_a_valid_signature() {
    for alg in ["Ed25519", "none", "ed25519 ", ""] {
        let mut env = envelope(&signed());
        env["alg"] = alg.into();
        let err = license_file::verify(
            &file(&env),
            &key(7).verifying_key(),
            EMAIL,
            at("2025-07-03T00:00:00Z"),
        )
        .unwrap_err();
        assert_eq!(err, Error::UnsupportedAlgorithm(alg.to_string()));
        assert_eq!(err.code(), "unsupported_algorithm");
    }
}

#[test]
fn other_key_is_a_bad_signature() {
    let err = license_file::verify(
        &signed(),
        &key(8).verifying_key(),
        EMAIL,
        at("2025-07-03T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(err, Error::BadSignature);
}

#[test]
fn other_email_is_the_wrong_account() {
    let err = license_file::verify(
        &signed(),
        &key(7).verifying_key(),
        "kommandant@ff-nachbarort.de",
        at("2025-07-03T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::WrongAccount {
            expected: "kommandant@ff-nachbarort.de".to_string(),
            found: EMAIL.to_string(),
        }
    );
}

#[test]
fn issued_in_the_future_flags_the_clock_as_behind() {
    let issued = at("2025-07-02T12:00:00Z");
    let pinned = key(7).verifying_key();
    let exactly_tolerance = issued - TimeDelta::minutes(5);
    let v = license_file::verify(&signed(), &pinned, EMAIL, exactly_tolerance).unwrap();
    assert!(!v.clock_behind, "5 minutes are tolerated");
    let behind = exactly_tolerance - TimeDelta::seconds(1);
    let v = license_file::verify(&signed(), &pinned, EMAIL, behind).unwrap();
    assert!(v.clock_behind);
    assert!(!v.outdated);
}

#[test]
fn past_expiry_is_outdated_but_readable() {
    let pinned = key(7).verifying_key();
    let v = license_file::verify(&signed(), &pinned, EMAIL, at("2025-08-01T12:00:00Z")).unwrap();
    assert!(!v.outdated, "at the expiry instant it is still current");
    let v = license_file::verify(&signed(), &pinned, EMAIL, at("2025-08-01T12:00:01Z")).unwrap();
    assert!(v.outdated);
    assert_eq!(v.license.quantity("fe2-persons"), 20);
}

#[test]
fn garbage_is_malformed_never_a_panic() {
    let pinned = key(7).verifying_key();
    let now = at("2025-07-03T00:00:00Z");
    let text = signed();
    let huge = format!(
        "{BEGIN_MARKER}\n{}\n{END_MARKER}\n",
        "A".repeat(2 * 1024 * 1024)
    );
    let binary =
        String::from_utf8_lossy(&(0..=255u8).cycle().take(5000).collect::<Vec<_>>()).into_owned();
    let not_json = format!(
        "{BEGIN_MARKER}\n{}\n{END_MARKER}\n",
        STANDARD.encode("hello")
    );
    let mut no_data = envelope(&text);
    no_data.as_object_mut().unwrap().remove("data");
    let inputs = [
        String::new(),
        "hello".to_string(),
        text.replace(BEGIN_MARKER, ""),
        text.replace(END_MARKER, ""),
        text.replacen("\n", "\n*", 2),
        huge,
        binary,
        not_json,
        file(&no_data),
        text[..text.len() / 2].to_string(),
    ];
    for (index, input) in inputs.iter().enumerate() {
        let err = license_file::verify(input, &pinned, EMAIL, now).unwrap_err();
        assert_eq!(
            err.code(),
            "malformed_license_file",
            "input {index}: {err:?}"
        );
    }
}

#[test]
fn keys_round_trip_and_have_a_stable_fingerprint() {
    let public = key(7).verifying_key();
    let text = license_file::public_key_to_base64(&public);
    assert_eq!(text.len(), 44);
    assert_eq!(license_file::public_key_from_base64(&text).unwrap(), public);
    assert_eq!(
        license_file::public_key_from_base64(&format!(" {text}\n")).unwrap(),
        public
    );
    assert!(license_file::public_key_from_base64("AAAA").is_err());
    assert!(license_file::public_key_from_base64("not base64!").is_err());

    let fp = license_file::fingerprint(&public);
    assert_eq!(fp.len(), 19);
    let groups: Vec<&str> = fp.split(' ').collect();
    assert_eq!(groups.len(), 4);
    assert!(groups.iter().all(|g| g.len() == 4
        && g.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
    // Independent check: SHA-256 of the 32 key bytes.
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(public.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(fp.replace(' ', ""), hex[..16]);
    assert_ne!(fp, license_file::fingerprint(&key(8).verifying_key()));
}

#[test]
fn the_key_id_chooses_among_published_and_built_in_keys() {
    use fe2_license::model::{KeySet, PublicKeyEntry};
    let text = signed();
    assert_eq!(license_file::key_id(&text).unwrap(), "shop-2025");
    let entry = |kid: &str, seed: u8| PublicKeyEntry {
        kid: kid.into(),
        alg: "ed25519".into(),
        public_key: license_file::public_key_to_base64(&key(seed).verifying_key()),
    };
    // During a rotation the shop publishes the next key first: the file's kid decides.
    let rotation = KeySet {
        keys: vec![entry("shop-2026", 8), entry("shop-2025", 7)],
    };
    let chosen = license_file::published_key(&rotation, "shop-2025").unwrap();
    assert_eq!(chosen, key(7).verifying_key());
    assert!(license_file::verify(&text, &chosen, EMAIL, at("2025-07-03T00:00:00Z")).is_ok());
    assert_eq!(
        license_file::published_key(&rotation, "gone")
            .unwrap_err()
            .code(),
        "unknown_key"
    );

    // Built-in vendor keys win over the pinned key for their origin only.
    let vendor_key: &'static str =
        license_file::public_key_to_base64(&key(5).verifying_key()).leak();
    let vendor = [license_file::VendorKey {
        origin: "https://www.alamos-gmbh.com",
        kid: "shop-2025",
        public_key: vendor_key,
    }];
    let pinned = key(9).verifying_key();
    let other = "https://shop.example";
    assert_eq!(
        license_file::trusted_key(&vendor, other, &text, pinned).unwrap(),
        pinned
    );
    let builtin = license_file::trusted_key(&vendor, vendor[0].origin, &text, pinned).unwrap();
    assert_eq!(
        license_file::public_key_to_base64(&builtin),
        vendor[0].public_key
    );
    let foreign = license_file::sign(
        &license(&[("fe2-persons", 20)]),
        at("2025-07-02T12:00:00Z"),
        &key(7),
        "not-built-in",
    );
    assert_eq!(
        license_file::trusted_key(&vendor, vendor[0].origin, &foreign, pinned)
            .unwrap_err()
            .code(),
        "unknown_key"
    );
    assert!(
        license_file::VENDOR_KEYS.is_empty(),
        "update docs/domain.md with the list"
    );
}

#[test]
fn a_cached_file_is_dated_with_the_key_its_own_kid_names() {
    // The vendor rotates from v1 to v2: the cached file carries v1, a replayed older one v2.
    let keys: Vec<&'static str> = [5u8, 6]
        .iter()
        .map(|seed| &*license_file::public_key_to_base64(&key(*seed).verifying_key()).leak())
        .collect();
    let origin = "https://www.alamos-gmbh.com";
    let vendor = [
        license_file::VendorKey {
            origin,
            kid: "v1",
            public_key: keys[0],
        },
        license_file::VendorKey {
            origin,
            kid: "v2",
            public_key: keys[1],
        },
    ];
    let lic = license(&[("fe2-persons", 20)]);
    let cached = license_file::sign(&lic, at("2025-07-02T12:00:00Z"), &key(5), "v1");
    let replayed = license_file::sign(&lic, at("2025-07-01T12:00:00Z"), &key(6), "v2");
    let pinned = key(9).verifying_key();
    let now = at("2025-07-03T00:00:00Z");
    // The new file's key cannot date the cached file: that hid the replay.
    let new_key = license_file::trusted_key(&vendor, origin, &replayed, pinned).unwrap();
    assert!(license_file::verify(&cached, &new_key, EMAIL, now).is_err());
    assert_eq!(
        license_file::cached_issued(&vendor, origin, &cached, pinned, EMAIL, now),
        Some(at("2025-07-02T12:00:00Z"))
    );
    // Without built-in keys the pinned key dates it, as before.
    let pinned_file = license_file::sign(&lic, at("2025-07-02T12:00:00Z"), &key(9), "shop");
    assert_eq!(
        license_file::cached_issued(
            &[],
            "https://shop.example",
            &pinned_file,
            pinned,
            EMAIL,
            now
        ),
        Some(at("2025-07-02T12:00:00Z"))
    );
}
