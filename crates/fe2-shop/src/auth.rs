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
/// Most e-mails the throttle keeps attempts for; bounds its memory within a window.
pub const MAX_TRACKED_EMAILS: usize = 4096;
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
    failures: Mutex<HashMap<String, Throttle>>,
    settled: tokio::sync::Notify,
}

/// The throttle's record of one e-mail.
#[derive(Default)]
struct Throttle {
    /// Failed checks within the window, oldest first.
    failures: VecDeque<Instant>,
    /// Checks under way.
    pending: usize,
}

impl Throttle {
    /// Drops failures older than the window; true when some are left.
    fn prune(&mut self, now: Instant) -> bool {
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.failures.pop_front();
        }
        !self.failures.is_empty()
    }
}

/// The outcome of one try to reserve a check.
enum Reserved {
    /// Reserved.
    Yes,
    /// Refused: seconds to wait.
    No(u64),
    /// Checks under way fill the limit: try again when one settles.
    Later,
}

/// A password check reserved in the throttle. Dropped without [`Attempt::succeeded`] or
/// [`Attempt::void`] it counts as a failure, so that a request that breaks off is not free.
pub struct Attempt<'a> {
    auth: &'a Auth,
    email: String,
    settled: bool,
}

impl Attempt<'_> {
    /// The password was right: the check does not count.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.auth.settle(&self.email, false);
    }

    /// The shop failed before it could check: the check does not count either.
    pub fn void(mut self) {
        self.settled = true;
        self.auth.settle(&self.email, false);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.auth.settle(&self.email, true);
        }
    }
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
            settled: tokio::sync::Notify::new(),
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

    /// Reserves one password check for the e-mail; `Err(seconds to wait)` when its failures
    /// and the checks under way reach [`MAX_FAILURES`] or the throttle tracks
    /// [`MAX_TRACKED_EMAILS`] e-mails already.
    ///
    /// Checking and counting under one lock keeps parallel requests from all passing the check
    /// before any of them is counted. While checks under way fill the limit, further ones wait
    /// for them to settle instead of being refused, so that a burst of right passwords passes.
    pub async fn reserve(&self, email: &str) -> Result<Attempt<'_>, u64> {
        loop {
            let settled = self.settled.notified();
            let mut settled = std::pin::pin!(settled);
            settled.as_mut().enable();
            match self.try_reserve(email) {
                Reserved::Yes => {
                    return Ok(Attempt {
                        auth: self,
                        email: email.to_string(),
                        settled: false,
                    })
                }
                Reserved::No(wait) => return Err(wait),
                Reserved::Later => settled.await,
            }
        }
    }

    /// One try of [`Auth::reserve`] under the lock.
    fn try_reserve(&self, email: &str) -> Reserved {
        let mut throttle = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if !throttle.contains_key(email) && throttle.len() >= MAX_TRACKED_EMAILS {
            throttle.retain(|_, entry| entry.pending > 0 || entry.prune(now));
            if throttle.len() >= MAX_TRACKED_EMAILS {
                // Refusing rather than evicting: evicting would let a flood of made-up
                // e-mails wipe the count of the one under attack.
                return Reserved::No(WINDOW.as_secs());
            }
        }
        let entry = throttle.entry(email.to_string()).or_default();
        entry.prune(now);
        if entry.failures.len() >= MAX_FAILURES {
            let oldest = entry.failures.front().copied().unwrap_or(now);
            let left = WINDOW.saturating_sub(now.duration_since(oldest));
            return Reserved::No(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        }
        if entry.failures.len() + entry.pending >= MAX_FAILURES {
            return Reserved::Later;
        }
        entry.pending += 1;
        Reserved::Yes
    }

    /// Ends a check reserved by [`Auth::reserve`], counting it as a failure or not.
    fn settle(&self, email: &str, failed: bool) {
        {
            let mut throttle = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = throttle.get_mut(email) {
                entry.pending = entry.pending.saturating_sub(1);
                if failed {
                    entry.failures.push_back(Instant::now());
                }
                if entry.pending == 0 && entry.failures.is_empty() {
                    throttle.remove(email);
                }
            }
        }
        self.settled.notify_waiters();
    }

    /// How many e-mails the throttle tracks now.
    pub fn tracked_emails(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
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

    #[tokio::test]
    async fn ten_failures_throttle_and_report_the_wait() {
        let auth = Auth::new(vec![1]);
        for _ in 0..MAX_FAILURES - 1 {
            drop(auth.reserve("a@b.de").await.expect("not yet throttled"));
        }
        auth.reserve("a@b.de").await.expect("tenth").succeeded();
        auth.reserve("a@b.de").await.expect("tenth").void();
        drop(auth.reserve("a@b.de").await.expect("the tenth failure"));
        let wait = auth
            .reserve("a@b.de")
            .await
            .err()
            .expect("throttled after 10 failures");
        assert!((59..=60).contains(&wait), "wait {wait}");
        assert!(auth.reserve("other@b.de").await.is_ok());
    }

    #[tokio::test]
    async fn checks_under_way_count_towards_the_limit() {
        let auth = Auth::new(vec![4]);
        let mut under_way = Vec::new();
        for _ in 0..MAX_FAILURES {
            under_way.push(auth.reserve("a@b.de").await.expect("room left"));
        }
        let waiting = tokio::time::timeout(Duration::from_millis(100), auth.reserve("a@b.de"));
        assert!(waiting.await.is_err(), "an eleventh check waits");
        // One right password frees a place; ten failures then close the door.
        under_way.pop().expect("ten").succeeded();
        under_way.push(auth.reserve("a@b.de").await.expect("a freed place"));
        drop(under_way);
        assert!(auth.reserve("a@b.de").await.is_err());
    }

    #[tokio::test]
    async fn the_throttle_tracks_a_bounded_number_of_emails() {
        let auth = Auth::new(vec![3]);
        for n in 0..MAX_TRACKED_EMAILS {
            drop(
                auth.reserve(&format!("user{n}@b.de"))
                    .await
                    .expect("room left"),
            );
        }
        assert_eq!(auth.tracked_emails(), MAX_TRACKED_EMAILS);
        assert_eq!(
            auth.reserve("one-more@b.de").await.err(),
            Some(WINDOW.as_secs())
        );
        assert_eq!(auth.tracked_emails(), MAX_TRACKED_EMAILS);
        // E-mails already tracked keep being counted.
        assert!(auth.reserve("user0@b.de").await.is_ok());
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
