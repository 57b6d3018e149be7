//! The service's memory of each account: its configuration, cache and keychain entry as far
//! as they were read, and the bookkeeping of failures and catalogs in the cache file.

use super::view::{view, LicenseView};
use super::Service;
use crate::cache::{self, CacheEntry};
use crate::config::{AccountConfig, Settings};
use crate::error::{Error, ErrorClass, ErrorInfo, Result};
use crate::model::Catalog;
use crate::paths::Home;
use crate::secrets::{Secret, SecretStore};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, MutexGuard};

/// What the service holds in memory: every account, the settings and the problems found at start.
pub(super) struct State {
    pub(super) accounts: BTreeMap<String, AccountState>,
    /// The settings in force: the policies over the user's.
    pub(super) settings: Settings,
    /// The user's own settings, as stored in the settings file.
    pub(super) user_settings: Settings,
    pub(super) problems: Vec<ErrorInfo>,
    /// The last audit log append that failed.
    pub(super) audit_error: Option<ErrorInfo>,
}

/// The keychain entry as far as it was read.
#[derive(Clone)]
pub(super) enum SecretSlot {
    Unread,
    Read(Secret),
    Failed(Error),
}

/// One configured account as far as its files and keychain entry have been read.
pub(super) struct AccountState {
    pub(super) config: AccountConfig,
    pub(super) id: String,
    pub(super) user: String,
    pub(super) cache: Result<Option<CacheEntry>>,
    pub(super) secret: SecretSlot,
    pub(super) clock_offset: Option<TimeDelta>,
    /// One refresh or change at a time per account.
    pub(super) lock: Arc<tokio::sync::Mutex<()>>,
}

impl AccountState {
    pub(super) fn new(home: &Home, config: AccountConfig) -> Result<Self> {
        let id = config.file_id()?;
        let user = config.secret_user()?;
        let cache = cache::load(home, &id, &config.email);
        Ok(Self {
            config,
            id,
            user,
            cache,
            secret: SecretSlot::Unread,
            clock_offset: None,
            lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }
}

impl Service {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn with_account<T>(
        &self,
        email: &str,
        f: impl FnOnce(&AccountState) -> T,
    ) -> Result<T> {
        self.state()
            .accounts
            .get(email)
            .map(f)
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))
    }

    pub(super) fn with_account_mut<T>(
        &self,
        email: &str,
        f: impl FnOnce(&mut AccountState) -> T,
    ) -> Result<T> {
        self.state()
            .accounts
            .get_mut(email)
            .map(f)
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))
    }

    /// The normalised e-mail of a configured account.
    pub(super) fn known_email(&self, email: &str) -> Result<String> {
        let normalized = crate::email::normalize(email)
            .map_err(|_| Error::UnknownAccount(email.chars().take(80).collect()))?;
        if self.state().accounts.contains_key(&normalized) {
            Ok(normalized)
        } else {
            Err(Error::UnknownAccount(normalized))
        }
    }

    pub(super) fn view_of(&self, email: &str) -> Result<LicenseView> {
        let now = self.inner.clock.now();
        let state = self.state();
        state
            .accounts
            .get(email)
            .map(|a| view(a, now, &state.settings))
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))
    }

    /// Runs a secret store call on the blocking pool (an OS keychain may block).
    pub(super) async fn secret_call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.inner.secrets.clone();
        tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .map_err(|e| Error::KeychainUnavailable(e.to_string()))?
    }

    /// Reads the keychain entries not read yet (once per account and start).
    pub(super) async fn read_unread_secrets(&self) {
        let unread: Vec<(String, String)> = self
            .state()
            .accounts
            .values()
            .filter(|a| matches!(a.secret, SecretSlot::Unread))
            .map(|a| (a.config.email.clone(), a.user.clone()))
            .collect();
        if unread.is_empty() {
            return;
        }
        let users: Vec<String> = unread.iter().map(|(_, user)| user.clone()).collect();
        // All together: an OS keychain may serve many reads over one session far cheaper.
        let read = self
            .secret_call(move |store| Ok(store.get_many(&users)))
            .await;
        let results = read.unwrap_or_else(|e| vec![Err(e); unread.len()]);
        for ((email, _), result) in unread.iter().zip(results) {
            let slot = match result {
                Ok(secret) => SecretSlot::Read(secret),
                Err(e) => SecretSlot::Failed(e),
            };
            let _ = self.with_account_mut(email, |a| {
                if matches!(a.secret, SecretSlot::Unread) {
                    a.secret = slot;
                }
            });
        }
    }

    /// The account's secret; an entry that failed before is read again.
    pub(super) async fn secret(&self, email: &str) -> Result<Secret> {
        let (slot, user) = self.with_account(email, |a| (a.secret.clone(), a.user.clone()))?;
        if let SecretSlot::Read(secret) = slot {
            return Ok(secret);
        }
        let read = self.secret_call(move |store| store.get(&user)).await;
        self.with_account_mut(email, |a| {
            a.secret = match &read {
                Ok(secret) => SecretSlot::Read(secret.clone()),
                Err(e) => SecretSlot::Failed(e.clone()),
            }
        })?;
        read
    }

    /// Keeps the cached license and notes the failure, in memory and in the cache file.
    /// Offline only while the shop cannot be reached (`Error::is_offline`); a refusal (401, 429,
    /// `key_changed`) ends it, and a local failure says nothing about the shop.
    pub(super) fn record_failure(
        &self,
        email: &str,
        error: &Error,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let local = error.class() == ErrorClass::Local;
        let (id, base) = self.with_account(email, |a| {
            let base = match &a.cache {
                Ok(Some(entry)) => entry.clone(),
                _ => CacheEntry {
                    email: email.to_string(),
                    ..CacheEntry::default()
                },
            };
            (a.id.clone(), base)
        })?;
        let mut entry = base;
        entry.last_error = Some(ErrorInfo::from(error));
        if matches!(error, Error::KeyChanged { .. }) {
            entry.key_changed = entry.last_error.clone();
        }
        if error.is_offline() {
            entry.offline_since = entry.offline_since.or(Some(now));
        } else if !local {
            entry.offline_since = None;
        }
        // Best effort: the view in memory is right even when the disk is not writable.
        let _ = cache::save(&self.inner.home, &id, &entry);
        self.with_account_mut(email, |a| a.cache = Ok(Some(entry)))
    }

    pub(super) fn remember_catalog(&self, email: &str, catalog: &Catalog) -> Result<()> {
        let (id, entry) = self.with_account(email, |a| {
            let mut entry = match &a.cache {
                Ok(Some(entry)) => entry.clone(),
                _ => CacheEntry {
                    email: email.to_string(),
                    ..CacheEntry::default()
                },
            };
            entry.catalog = Some(catalog.clone());
            (a.id.clone(), entry)
        })?;
        cache::save(&self.inner.home, &id, &entry)?;
        self.with_account_mut(email, |a| a.cache = Ok(Some(entry)))
    }

    pub(super) fn cached_catalog(&self, email: &str) -> Result<Option<Catalog>> {
        self.with_account(email, |a| match &a.cache {
            Ok(Some(entry)) => entry.catalog.clone(),
            _ => None,
        })
    }
}
