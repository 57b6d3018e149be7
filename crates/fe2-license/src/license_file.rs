//! The signed license file (shop-api.md): create it in the shop, verify it in the app and CLI.

use crate::error::Result;
use crate::model::License;
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};

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

/// Signs `license` as issued at `issued` (the reference shop's side).
pub fn sign(license: &License, issued: DateTime<Utc>, key: &SigningKey, kid: &str) -> String {
    let _ = (license, issued, key, kid);
    todo!("license_file::sign")
}

/// Verifies a license file against the pinned key and the account's e-mail.
pub fn verify(
    text: &str,
    pinned: &VerifyingKey,
    expected_email: &str,
    now: DateTime<Utc>,
) -> Result<VerifiedLicense> {
    let _ = (text, pinned, expected_email, now);
    todo!("license_file::verify")
}

/// First 16 hex digits of SHA-256 of the key bytes, in groups of four (`ab12 cd34 ef56 7890`).
pub fn fingerprint(key: &VerifyingKey) -> String {
    let _ = key;
    todo!("license_file::fingerprint")
}

/// Standard padded base64 of the 32 key bytes, as `GET /keys` publishes it.
pub fn public_key_to_base64(key: &VerifyingKey) -> String {
    let _ = key;
    todo!("license_file::public_key_to_base64")
}

/// Reads a public key from `GET /keys` base64.
pub fn public_key_from_base64(text: &str) -> Result<VerifyingKey> {
    let _ = text;
    todo!("license_file::public_key_from_base64")
}
