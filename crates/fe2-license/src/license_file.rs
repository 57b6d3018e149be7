//! The signed license file (docs/domain.md): create it in the shop, verify it in the app and CLI.

use crate::error::{Error, Result};
use crate::model::License;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// First line of a license file.
pub const BEGIN_MARKER: &str = "-----BEGIN FE2 LICENSE FILE-----";
/// Last line of a license file.
pub const END_MARKER: &str = "-----END FE2 LICENSE FILE-----";
/// The only accepted signature algorithm.
pub const ALG: &str = "ed25519";
/// How long a file stays current after it was issued.
pub const VALIDITY_DAYS: i64 = 30;
/// How far `issued` may lie in the future before we say the local clock is behind.
pub const CLOCK_TOLERANCE_SECS: i64 = 5 * 60;
/// Larger input is refused unread, so a hostile file cannot make us allocate without bound.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Domain separation: a license signature can never be mistaken for another signed message.
const SIGNING_PREFIX: &[u8] = b"license/";
/// Base64 line width of the file body (as PEM).
const LINE_WIDTH: usize = 64;

/// A verified license file's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLicense {
    /// The license as of `issued`.
    pub license: License,
    /// When the shop signed it.
    pub issued: DateTime<Utc>,
    /// `issued + 30 days`; past it the data is outdated (shown, not hidden).
    pub expiry: DateTime<Utc>,
    /// The signing key's id.
    pub kid: String,
    /// True when `now` is past `expiry`.
    pub outdated: bool,
    /// True when `issued` is more than 5 minutes after `now`: this computer's clock is behind.
    pub clock_behind: bool,
}

/// The outer JSON object of the file.
#[derive(Serialize, Deserialize)]
struct Envelope {
    alg: String,
    kid: String,
    data: String,
    sig: String,
}

/// The signed JSON inside `data`.
#[derive(Serialize, Deserialize)]
struct Payload {
    license: License,
    issued: DateTime<Utc>,
    expiry: DateTime<Utc>,
}

/// The exact bytes the signature covers.
fn signed_message(data: &str) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_PREFIX.len() + data.len());
    message.extend_from_slice(SIGNING_PREFIX);
    message.extend_from_slice(data.as_bytes());
    message
}

/// Signs `license` as issued at `issued` (the reference shop's side).
pub fn sign(license: &License, issued: DateTime<Utc>, key: &SigningKey, kid: &str) -> String {
    let expiry = issued
        .checked_add_signed(TimeDelta::days(VALIDITY_DAYS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let payload = Payload {
        license: license.clone(),
        issued,
        expiry,
    };
    // Serialising plain data structs with string keys cannot fail.
    let payload_json = serde_json::to_vec(&payload).unwrap_or_default();
    let data = STANDARD.encode(payload_json);
    let sig = STANDARD.encode(key.sign(&signed_message(&data)).to_bytes());
    let envelope = Envelope {
        alg: ALG.to_string(),
        kid: kid.to_string(),
        data,
        sig,
    };
    let body = STANDARD.encode(serde_json::to_vec(&envelope).unwrap_or_default());
    let mut text = String::with_capacity(body.len() + body.len() / LINE_WIDTH + 80);
    text.push_str(BEGIN_MARKER);
    text.push('\n');
    // base64 output is ASCII, so byte chunks are whole characters.
    for line in body.as_bytes().chunks(LINE_WIDTH) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(END_MARKER);
    text.push('\n');
    text
}

/// Verifies a license file against the pinned key and the account's e-mail.
///
/// Order: format, `alg`, signature, payload, e-mail; a file that is outdated or issued in the
/// future is still returned (flagged), because the app shows it rather than hiding it.
pub fn verify(
    text: &str,
    pinned: &VerifyingKey,
    expected_email: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedLicense> {
    let malformed = |why: &str| Error::MalformedLicenseFile(why.to_string());
    let envelope = read_envelope(text)?;
    if envelope.alg != ALG {
        return Err(Error::UnsupportedAlgorithm(
            envelope.alg.chars().take(40).collect(),
        ));
    }
    let sig_bytes = STANDARD
        .decode(envelope.sig.as_bytes())
        .map_err(|_| malformed("sig is not base64"))?;
    let signature = Signature::from_slice(&sig_bytes).map_err(|_| Error::BadSignature)?;
    pinned
        .verify_strict(&signed_message(&envelope.data), &signature)
        .map_err(|_| Error::BadSignature)?;
    let payload_json = STANDARD
        .decode(envelope.data.as_bytes())
        .map_err(|_| malformed("data is not base64"))?;
    let payload: Payload = serde_json::from_slice(&payload_json)
        .map_err(|e| malformed(&format!("payload is not the expected JSON: {e}")))?;
    if !crate::email::same(&payload.license.email, expected_email) {
        return Err(Error::WrongAccount {
            expected: expected_email.to_string(),
            found: payload.license.email,
        });
    }
    let tolerance = TimeDelta::seconds(CLOCK_TOLERANCE_SECS);
    let clock_behind = now
        .checked_add_signed(tolerance)
        .is_some_and(|limit| payload.issued > limit);
    Ok(VerifiedLicense {
        outdated: now > payload.expiry,
        clock_behind,
        license: payload.license,
        issued: payload.issued,
        expiry: payload.expiry,
        kid: envelope.kid,
    })
}

/// The outer envelope of a file, unverified.
fn read_envelope(text: &str) -> Result<Envelope> {
    let malformed = |why: &str| Error::MalformedLicenseFile(why.to_string());
    if text.len() > MAX_FILE_BYTES {
        return Err(malformed("larger than 1 MiB"));
    }
    let body = text
        .trim()
        .strip_prefix(BEGIN_MARKER)
        .and_then(|rest| rest.strip_suffix(END_MARKER))
        .ok_or_else(|| malformed("missing BEGIN/END lines"))?;
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let envelope_json = STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| malformed("body is not base64"))?;
    serde_json::from_slice(&envelope_json)
        .map_err(|e| malformed(&format!("envelope is not the expected JSON: {e}")))
}

/// The id of the key a file says it is signed with (unverified: it only chooses the key).
pub fn key_id(text: &str) -> Result<String> {
    Ok(read_envelope(text)?.kid)
}

/// A vendor signing key built into the program for one shop origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorKey {
    /// The shop's origin, `https://host[:port]` (the account URL's origin).
    pub origin: &'static str,
    /// The key id the vendor's files carry.
    pub kid: &'static str,
    /// Standard padded base64 of the 32 key bytes.
    pub public_key: &'static str,
}

/// The vendor keys shipped with this program. Empty until the vendor publishes its keys out of
/// band; an origin listed here trusts only these keys and never a key the shop serves
/// (docs/domain.md, Signing keys).
pub const VENDOR_KEYS: &[VendorKey] = &[];

/// The built-in key of `origin` with `kid`: `None` when `builtin` lists no key for the origin
/// (then trust on first use applies), `unknown_key` when it lists others only.
pub fn builtin_key(builtin: &[VendorKey], origin: &str, kid: &str) -> Result<Option<VerifyingKey>> {
    let mut of_origin = builtin.iter().filter(|k| k.origin == origin).peekable();
    if of_origin.peek().is_none() {
        return Ok(None);
    }
    match of_origin.find(|k| k.kid == kid) {
        Some(key) => public_key_from_base64(key.public_key).map(Some),
        None => Err(unknown_key(kid)),
    }
}

/// The key a stored or fetched file of the shop at `origin` must verify with: the built-in
/// vendor key its `kid` names when the origin has built-in keys, else the pinned one.
pub fn trusted_key(
    builtin: &[VendorKey],
    origin: &str,
    text: &str,
    pinned: VerifyingKey,
) -> Result<VerifyingKey> {
    Ok(builtin_key(builtin, origin, &key_id(text)?)?.unwrap_or(pinned))
}

/// When the cached file was issued, if it verifies with the key its own `kid` names (a built-in
/// vendor key of the origin, else the pinned key): the replay check compares a new file's
/// `issued` with it (docs/domain.md). Verified with the new file's key instead, a cached file of
/// the vendor's previous key would not verify, and an older file signed with the next key
/// would pass as new.
pub fn cached_issued(
    builtin: &[VendorKey],
    origin: &str,
    cached: &str,
    pinned: VerifyingKey,
    expected_email: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let key = trusted_key(builtin, origin, cached, pinned).ok()?;
    verify(cached, &key, expected_email, now)
        .ok()
        .map(|verified| verified.issued)
}

/// The published ed25519 key with `kid` (a shop publishes two during a rotation).
pub fn published_key(keys: &crate::model::KeySet, kid: &str) -> Result<VerifyingKey> {
    let published = keys
        .keys
        .iter()
        .find(|k| k.alg == ALG && k.kid == kid)
        .ok_or_else(|| unknown_key(kid))?;
    public_key_from_base64(&published.public_key)
}

fn unknown_key(kid: &str) -> Error {
    Error::UnknownKey {
        kid: kid.chars().take(64).collect(),
    }
}

/// First 16 hex digits of SHA-256 of the key bytes, in groups of four (`ab12 cd34 ef56 7890`).
pub fn fingerprint(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let groups: Vec<&str> = [&hex[0..4], &hex[4..8], &hex[8..12], &hex[12..16]].into();
    groups.join(" ")
}

/// Standard padded base64 of the 32 key bytes, as `GET /keys` publishes it.
pub fn public_key_to_base64(key: &VerifyingKey) -> String {
    STANDARD.encode(key.as_bytes())
}

/// Reads a public key from `GET /keys` base64.
///
/// A bad key is reported as `malformed_license_file`: a key is only ever used to read license
/// files, and the core has no separate key error.
pub fn public_key_from_base64(text: &str) -> Result<VerifyingKey> {
    let bad = || Error::MalformedLicenseFile("not a base64 Ed25519 public key".to_string());
    let bytes = STANDARD.decode(text.trim().as_bytes()).map_err(|_| bad())?;
    let array: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
    VerifyingKey::from_bytes(&array).map_err(|_| bad())
}
