//! HTTP Basic with application passwords: keyed hashes (HMAC-SHA256 with a per-database
//! secret), a one-minute cache of verified credentials, and the login throttle.
//!
//! Throttle and cache run on the real monotonic clock, also under `--now`, so a frozen test
//! clock can neither lift a throttle nor keep a credential cached for ever.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per e-mail within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// The sliding window of the throttle.
pub const WINDOW: Duration = Duration::from_secs(60);
/// How long a verified credential is trusted without looking at the database.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Above this many cached entries, expired ones are dropped.
const CACHE_PRUNE_AT: usize = 1024;

/// A keyed hash of an application password.
pub type PasswordMac = [u8; 32];

/// The shop's credential checking state.
pub struct Auth {
    secret: Vec<u8>,
    verified: Mutex<HashMap<(String, PasswordMac), Instant>>,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// What an `Authorization: Basic` header carries.
pub struct BasicCredentials {
    /// The e-mail as sent.
    pub email: String,
    /// The password as sent.
    pub password: String,
}

/// Decodes `Authorization: Basic base64(email:password)`.
pub fn parse_basic(header: &str) -> Option<BasicCredentials> {
    let (scheme, value) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (email, password) = text.split_once(':')?;
    Some(BasicCredentials {
        email: email.to_string(),
        password: password.to_string(),
    })
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Auth {
    /// Credential checking keyed with the database's secret.
    pub fn new(secret: Vec<u8>) -> Self {
        Self {
            secret,
            verified: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The keyed hash of an application password; spaces are ignored, as WordPress does.
    pub fn mac(&self, password: &str) -> PasswordMac {
        let compact: String = password.chars().filter(|c| !c.is_whitespace()).collect();
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => return [0; 32],
        };
        mac.update(compact.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// `Some(seconds to wait)` when the e-mail has used up its failed attempts.
    pub fn throttled(&self, email: &str) -> Option<u64> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let attempts = failures.get_mut(email)?;
        let now = Instant::now();
        while attempts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            attempts.pop_front();
        }
        if attempts.len() < MAX_FAILURES {
            if attempts.is_empty() {
                failures.remove(email);
            }
            return None;
        }
        let oldest = attempts.front().copied().unwrap_or(now);
        let left = WINDOW.saturating_sub(now.duration_since(oldest));
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }

    /// Records a failed attempt for the e-mail.
    pub fn record_failure(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= CACHE_PRUNE_AT {
            failures.retain(|_, attempts| attempts.back().is_some_and(|t| t.elapsed() < WINDOW));
        }
        failures
            .entry(email.to_string())
            .or_default()
            .push_back(Instant::now());
    }

    /// True when this e-mail and password hash were verified within the last minute.
    pub fn is_cached(&self, email: &str, mac: &PasswordMac) -> bool {
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        verified
            .get(&(email.to_string(), *mac))
            .is_some_and(|at| at.elapsed() < CACHE_TTL)
    }

    /// Remembers a verified credential for a minute.
    pub fn remember(&self, email: &str, mac: PasswordMac) {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= CACHE_PRUNE_AT {
            verified.retain(|_, at| at.elapsed() < CACHE_TTL);
        }
        verified.insert((email.to_string(), mac), Instant::now());
    }

    /// True when `mac` matches the stored hash.
    pub fn matches(stored: &[u8], mac: &PasswordMac) -> bool {
        constant_time_eq(stored, mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_in_passwords_are_ignored_and_the_secret_matters() {
        let auth = Auth::new(b"secret one".to_vec());
        assert_eq!(
            auth.mac("abcd EFGH 1234 ijkl MNOP 5678"),
            auth.mac("abcdEFGH1234ijklMNOP5678")
        );
        assert_ne!(
            auth.mac("abcdEFGH1234ijklMNOP5678"),
            auth.mac("abcdEFGH1234ijklMNOP5679")
        );
        let other = Auth::new(b"secret two".to_vec());
        assert_ne!(auth.mac("x"), other.mac("x"));
    }

    #[test]
    fn ten_failures_throttle_and_report_the_wait() {
        let auth = Auth::new(vec![1]);
        for _ in 0..MAX_FAILURES - 1 {
            auth.record_failure("a@b.de");
        }
        assert_eq!(auth.throttled("a@b.de"), None);
        auth.record_failure("a@b.de");
        let wait = auth
            .throttled("a@b.de")
            .expect("throttled after 10 failures");
        assert!((59..=60).contains(&wait), "wait {wait}");
        assert_eq!(auth.throttled("other@b.de"), None);
    }

    #[test]
    fn verified_credentials_are_cached_per_email_and_password() {
        let auth = Auth::new(vec![2]);
        let mac = auth.mac("abcd EFGH 1234 ijkl MNOP 5678");
        assert!(!auth.is_cached("a@b.de", &mac));
        auth.remember("a@b.de", mac);
        assert!(auth.is_cached("a@b.de", &mac));
        assert!(!auth.is_cached("c@b.de", &mac));
        assert!(!auth.is_cached("a@b.de", &auth.mac("other")));
        assert!(Auth::matches(&mac, &mac));
        assert!(!Auth::matches(&mac[..31], &mac));
    }

    #[test]
    fn basic_header_is_decoded() {
        let header = format!("Basic {}", STANDARD.encode("a@b.de:pw:with:colons"));
        let credentials = parse_basic(&header).unwrap();
        assert_eq!(credentials.email, "a@b.de");
        assert_eq!(credentials.password, "pw:with:colons");
        assert!(parse_basic("Bearer x").is_none());
        assert!(parse_basic("Basic !!!").is_none());
    }
}
