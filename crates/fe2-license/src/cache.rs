//! The offline cache: per account the last signed license file and when it was fetched
//! (`data/cache/<id>.json`), written atomically. The signature is checked again on every
//! load; a damaged file is reported and ignored, and the next refresh replaces it.

use crate::atomic_file;
use crate::error::{Error, ErrorInfo, Result};
use crate::model::{Catalog, License};
use crate::paths::Home;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What is remembered of one account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The account's e-mail (normalised), so a file moved to another account is noticed.
    pub email: String,
    /// The last signed license file, verbatim.
    #[serde(default)]
    pub license_file: Option<String>,
    /// The license as it was when the file was verified; shown (as not verified) only when
    /// the file cannot be checked now, e.g. without the keychain.
    #[serde(default)]
    pub license: Option<License>,
    /// When the license file was fetched.
    #[serde(default)]
    pub fetched_at: Option<DateTime<Utc>>,
    /// Why the last refresh failed; `None` after a successful one.
    #[serde(default)]
    pub last_error: Option<ErrorInfo>,
    /// Since when the shop cannot be reached (the first such failure after it last answered).
    #[serde(default)]
    pub offline_since: Option<DateTime<Utc>>,
    /// The shop's catalog, for the local estimate.
    #[serde(default)]
    pub catalog: Option<Catalog>,
    /// The shop once presented another signing key (`key_changed`): the license is shown as
    /// not verified until the account is added again (docs/domain.md), whatever happens meanwhile.
    #[serde(default)]
    pub key_changed: Option<ErrorInfo>,
}

/// The cache file of an account.
pub fn cache_file(home: &Home, id: &str) -> PathBuf {
    home.cache_dir().join(format!("{id}.json"))
}

/// Reads an account's cache: `Ok(None)` when there is none, `corrupt_file` when it is damaged,
/// `wrong_account` when it is well-formed but another account's (a copied file).
pub fn load(home: &Home, id: &str, email: &str) -> Result<Option<CacheEntry>> {
    let path = cache_file(home, id);
    let Some(bytes) = atomic_file::read(&path)? else {
        return Ok(None);
    };
    let corrupt = |reason: String| Error::CorruptFile {
        path: path.display().to_string(),
        reason,
    };
    let entry: CacheEntry = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if entry.email != email {
        return Err(Error::WrongAccount {
            expected: email.to_string(),
            found: entry.email,
        });
    }
    Ok(Some(entry))
}

/// Replaces an account's cache atomically.
pub fn save(home: &Home, id: &str, entry: &CacheEntry) -> Result<()> {
    let bytes = serde_json::to_vec(entry).map_err(|e| Error::Io {
        path: cache_file(home, id).display().to_string(),
        reason: e.to_string(),
    })?;
    atomic_file::write(&cache_file(home, id), &bytes)
}

/// Deletes an account's cache.
pub fn remove(home: &Home, id: &str) -> Result<()> {
    atomic_file::remove(&cache_file(home, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_truncation_is_corrupt_and_another_accounts_cache_is_the_wrong_account() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let entry = CacheEntry {
            email: "a@b.de".into(),
            license_file: Some("-----BEGIN FE2 LICENSE FILE-----\nabc\n".into()),
            fetched_at: Some("2025-07-02T12:00:00Z".parse().unwrap()),
            last_error: Some(ErrorInfo::from(&Error::Timeout)),
            ..CacheEntry::default()
        };
        save(&home, "id", &entry).unwrap();
        assert_eq!(load(&home, "id", "a@b.de").unwrap(), Some(entry));
        assert_eq!(
            load(&home, "id", "other@b.de").unwrap_err(),
            Error::WrongAccount {
                expected: "other@b.de".into(),
                found: "a@b.de".into()
            },
            "well-formed, but another account's"
        );
        let full = std::fs::read(cache_file(&home, "id")).unwrap();
        for cut in 0..full.len() {
            std::fs::write(cache_file(&home, "id"), &full[..cut]).unwrap();
            let error = load(&home, "id", "a@b.de").unwrap_err();
            assert_eq!(error.code(), "corrupt_file", "cut at {cut}");
        }
        remove(&home, "id").unwrap();
        assert_eq!(load(&home, "id", "a@b.de").unwrap(), None);
    }
}
