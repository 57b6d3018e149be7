//! The one entry point of the desktop app and the CLI (docs/ipc.md): accounts, their cached
//! and refreshed licenses, changes, tickets, settings and links. Cheap to clone and share;
//! every async method is `Send`.

use crate::atomic_file;
use crate::cache::{self, CacheEntry};
use crate::client::{self, ClientOptions, ShopClient};
use crate::clock::Clock;
use crate::config::{self, AccountConfig, Settings};
use crate::error::{Error, Result};
use crate::expiry::{self, Urgency};
use crate::license_file;
use crate::model::{Catalog, License, Order, Quote, RequestedItem, SwitchOutcome, Ticket};
use crate::paths::Home;
use crate::secrets::{Secret, SecretStore};
use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::VerifyingKey;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::cache::ErrorInfo;

/// How far a license's view can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Signed by the pinned key and not past the file's expiry.
    Verified,
    /// Signed by the pinned key but past the file's expiry: shown, marked outdated.
    Outdated,
    /// Cannot be checked (damaged cache, missing keychain entry, changed key).
    NotVerified,
    /// Nothing was ever fetched.
    None,
}

/// The urgency shown for data trusted this far: a license's own urgency, but data that cannot
/// be verified is at least critical (docs/domain.md: trust comes first), so a
/// tampered cache can never look fine. The app's view and the CLI's check both use this.
pub fn shown_urgency(urgency: Urgency, verification: Verification) -> Urgency {
    match verification {
        Verification::NotVerified => urgency.max(Urgency::Critical),
        Verification::Verified | Verification::Outdated | Verification::None => urgency,
    }
}

/// One account with what is known of its license (docs/ipc.md `LicenseView`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LicenseView {
    /// The license e-mail (normalised).
    pub email: String,
    /// The account's shop.
    pub shop_url: String,
    /// Fingerprint of the pinned shop key, when the keychain entry could be read.
    pub fingerprint: Option<String>,
    /// The license, `None` when nothing usable is cached.
    pub license: Option<License>,
    /// Whether the license is verified.
    pub verification: Verification,
    /// Why it is not verified.
    pub verification_error: Option<ErrorInfo>,
    /// When the shop signed the shown license file.
    pub as_of: Option<DateTime<Utc>>,
    /// The file was issued more than 5 minutes in the future: this computer's clock is behind.
    pub clock_behind: bool,
    /// When the license file was fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last refresh did not reach the shop or got no usable answer (`Error::is_offline`):
    /// cached data shown. A refusal (wrong password, throttle, changed key) is not offline.
    pub offline: bool,
    /// Since when the shop cannot be reached.
    pub offline_since: Option<DateTime<Utc>>,
    /// Why the last refresh failed.
    pub last_error: Option<ErrorInfo>,
    /// When the license stops (core `expiry`).
    pub expires_at: Option<DateTime<Utc>>,
    /// Days until then; `None` without a license. Computed from the unsigned copy when the
    /// view is not verified (`verification` says so, and `urgency` is then at least critical).
    pub days_left: Option<i64>,
    /// Whether FE2 may be used now.
    pub usable: bool,
    /// How urgent it is (a view without a license counts as expired; see [`shown_urgency`]).
    pub urgency: Urgency,
}

/// Orders and tickets of a license (`license_details`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LicenseDetails {
    /// `GET /license/orders`.
    pub orders: Vec<Order>,
    /// `GET /tickets`.
    pub tickets: Vec<Ticket>,
}

/// A server preview with the idempotency key for the switch that may follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// The shop's quote.
    pub quote: Quote,
    /// Made now; send it with every attempt of the switch until a result or a new preview.
    pub idempotency_key: String,
}

/// Pages of the shop and support site the app links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkTarget {
    /// All subscriptions of the customer.
    Subscriptions,
    /// One subscription (pay an open invoice there); id defaults to the license's.
    Subscription,
    /// One order and its invoice; needs an id.
    Order,
    /// The customer account (where application passwords are made).
    Account,
    /// The support site.
    Support,
    /// The shop's product page (buying converts a trial).
    Buy,
}

/// Tuning of the service (tests shorten the timeouts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceOptions {
    /// HTTP timeouts and retries.
    pub client: ClientOptions,
    /// Refreshes running at once in `refresh_all`.
    pub refresh_concurrency: usize,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            client: ClientOptions::default(),
            refresh_concurrency: 4,
        }
    }
}

/// A temp file this old is a crashed write's, not one in progress (a write takes milliseconds).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// A fresh random idempotency key (UUID v4).
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The service: share it by cloning.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("home", &self.inner.home)
            .finish_non_exhaustive()
    }
}

struct Inner {
    home: Home,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    options: ServiceOptions,
    /// Built on first use: loading the OS certificate store takes milliseconds that views
    /// without network (the CLI's `check --offline`) should not pay.
    http: std::sync::OnceLock<reqwest::Client>,
    state: Mutex<State>,
    /// Serialises add and remove, so two adds of one e-mail cannot both pass the check.
    admin: tokio::sync::Mutex<()>,
}

struct State {
    accounts: BTreeMap<String, AccountState>,
    settings: Settings,
    problems: Vec<ErrorInfo>,
}

/// The keychain entry as far as it was read.
#[derive(Clone)]
enum SecretSlot {
    Unread,
    Read(Secret),
    Failed(Error),
}

struct AccountState {
    config: AccountConfig,
    id: String,
    user: String,
    cache: Result<Option<CacheEntry>>,
    secret: SecretSlot,
    clock_offset: Option<TimeDelta>,
    /// One refresh or change at a time per account.
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl AccountState {
    fn new(home: &Home, config: AccountConfig) -> Result<Self> {
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
    /// The service over a data home, a secret store and a clock, with default options.
    pub fn new(home: Home, secrets: Arc<dyn SecretStore>, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::with_options(home, secrets, clock, ServiceOptions::default())
    }

    /// The service with explicit options. Sweeps temp files that crashed writes left, reads
    /// the accounts, settings and caches (no network, no keychain yet: secrets are read on
    /// first use).
    pub fn with_options(
        home: Home,
        secrets: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
        options: ServiceOptions,
    ) -> Result<Self> {
        for dir in home.atomic_dirs() {
            atomic_file::sweep_stale(&dir, STALE_TEMP_AGE);
        }
        let (configs, errors) = config::load_accounts(&home);
        let mut problems: Vec<ErrorInfo> = errors.iter().map(ErrorInfo::from).collect();
        let mut accounts = BTreeMap::new();
        for account in configs {
            if accounts.contains_key(&account.email) {
                problems.push(ErrorInfo::from(&Error::AccountExists(account.email)));
                continue;
            }
            match AccountState::new(&home, account) {
                Ok(state) => {
                    accounts.insert(state.config.email.clone(), state);
                }
                Err(e) => problems.push(ErrorInfo::from(&e)),
            }
        }
        let (settings, settings_error) = config::load_settings(&home);
        problems.extend(settings_error.as_ref().map(ErrorInfo::from));
        Ok(Self {
            inner: Arc::new(Inner {
                home,
                secrets,
                clock,
                options,
                http: std::sync::OnceLock::new(),
                state: Mutex::new(State {
                    accounts,
                    settings,
                    problems,
                }),
                admin: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Where this service keeps its files.
    pub fn home(&self) -> &Home {
        &self.inner.home
    }

    /// Damaged configuration files found at start (they were ignored).
    pub fn problems(&self) -> Vec<ErrorInfo> {
        self.state().problems.clone()
    }

    /// Every account with its cached license, most urgent first, then fewest days left.
    /// No network; reads each keychain entry once.
    pub async fn accounts(&self) -> Vec<LicenseView> {
        self.read_unread_secrets().await;
        let now = self.inner.clock.now();
        let state = self.state();
        let thresholds = state.settings.thresholds();
        let mut views: Vec<LicenseView> = state
            .accounts
            .values()
            .map(|a| view(a, now, &thresholds))
            .collect();
        drop(state);
        sort_views(&mut views);
        views
    }

    /// One account's view (no network).
    pub async fn account(&self, email: &str) -> Result<LicenseView> {
        let email = self.known_email(email)?;
        self.read_unread_secrets().await;
        self.view_of(&email)
    }

    /// The non-secret configuration of an account (for checking a link's host).
    pub fn account_config(&self, email: &str) -> Result<AccountConfig> {
        let email = self.known_email(email)?;
        self.with_account(&email, |a| a.config.clone())
    }

    /// Adds an account: `GET /me` must answer for this e-mail, the first ed25519 key of
    /// `GET /keys` is pinned (trust on first use) and `GET /license/file` must verify with it.
    /// Only then are the secret, the account file and the cache written; a failed add writes
    /// nothing anywhere.
    pub async fn add_account(
        &self,
        shop_url: &str,
        email: &str,
        password: &str,
    ) -> Result<LicenseView> {
        let email = crate::email::normalize(email)?;
        let url = client::check_shop_url(shop_url)?;
        let shop_url = url.as_str().trim_end_matches('/').to_string();
        let _admin = self.inner.admin.lock().await;
        if self.state().accounts.contains_key(&email) {
            return Err(Error::AccountExists(email));
        }
        let account = AccountConfig::new(email.clone(), shop_url);
        let shop = self
            .shop(&account.shop_url)?
            .with_credentials(&email, password);
        let me = shop.me().await?;
        if !crate::email::same(&me.email, &email) {
            return Err(Error::WrongAccount {
                expected: email,
                found: me.email,
            });
        }
        let keys = shop.keys().await?;
        let published = keys
            .keys
            .iter()
            .find(|k| k.alg == license_file::ALG)
            .ok_or_else(|| Error::NotAShopApi("the shop publishes no ed25519 key".into()))?;
        let key = license_file::public_key_from_base64(&published.public_key)?;
        let text = shop.license_file().await?;
        let now = self.inner.clock.now();
        let verified = license_file::verify(&text, &key, &email, now)?;

        let mut state = AccountState::new(&self.inner.home, account)?;
        let secret = Secret {
            password: password.to_string(),
            shop_key: license_file::public_key_to_base64(&key),
        };
        let entry = CacheEntry {
            email: email.clone(),
            license_file: Some(text),
            license: Some(verified.license),
            fetched_at: Some(now),
            ..CacheEntry::default()
        };
        self.write_new_account(&state, &secret, &entry).await?;
        state.cache = Ok(Some(entry));
        state.secret = SecretSlot::Read(secret);
        state.clock_offset = shop.shop_date().map(|d| d - now);
        self.state().accounts.insert(email.clone(), state);
        self.view_of(&email)
    }

    /// Stores secret, account file and cache; on any failure removes what was written.
    async fn write_new_account(
        &self,
        state: &AccountState,
        secret: &Secret,
        entry: &CacheEntry,
    ) -> Result<()> {
        let home = &self.inner.home;
        self.secret_call({
            let (user, secret) = (state.user.clone(), secret.clone());
            move |store| store.set(&user, &secret)
        })
        .await?;
        let files = config::save_account(home, &state.config)
            .and_then(|()| cache::save(home, &state.id, entry));
        if let Err(e) = files {
            let _ = config::remove_account(home, &state.config);
            let _ = cache::remove(home, &state.id);
            let user = state.user.clone();
            let _ = self.secret_call(move |store| store.delete(&user)).await;
            return Err(e);
        }
        Ok(())
    }

    /// Removes an account: its keychain entry first (so no orphaned secret stays behind),
    /// then its configuration and cache files.
    pub async fn remove_account(&self, email: &str) -> Result<()> {
        let email = self.known_email(email)?;
        let _admin = self.inner.admin.lock().await;
        let lock = self.with_account(&email, |a| a.lock.clone())?;
        let _guard = lock.lock().await;
        let (user, config, id) =
            self.with_account(&email, |a| (a.user.clone(), a.config.clone(), a.id.clone()))?;
        self.secret_call(move |store| store.delete(&user)).await?;
        config::remove_account(&self.inner.home, &config)?;
        cache::remove(&self.inner.home, &id)?;
        self.state().accounts.remove(&email);
        Ok(())
    }

    /// Fetches the signed license file, verifies it with the pinned key and replaces the cache.
    /// A failure keeps the cached license and is reported in the view (`last_error`, and
    /// `offline` when the shop was not reached); only an unknown account is an `Err`.
    pub async fn refresh(&self, email: &str) -> Result<LicenseView> {
        let email = self.known_email(email)?;
        let lock = self.with_account(&email, |a| a.lock.clone())?;
        let _guard = lock.lock().await;
        let outcome = self.fetch_license_file(&email).await;
        let now = self.inner.clock.now();
        match outcome {
            Ok((text, verified)) => {
                let (home_id, catalog, key_changed) =
                    self.with_account(&email, |a| match &a.cache {
                        Ok(Some(entry)) => (
                            a.id.clone(),
                            entry.catalog.clone(),
                            entry.key_changed.clone(),
                        ),
                        _ => (a.id.clone(), None, None),
                    })?;
                let entry = CacheEntry {
                    email: email.clone(),
                    license_file: Some(text),
                    license: Some(verified.license),
                    fetched_at: Some(now),
                    catalog,
                    key_changed,
                    ..CacheEntry::default()
                };
                let written = cache::save(&self.inner.home, &home_id, &entry);
                self.with_account_mut(&email, |a| a.cache = Ok(Some(entry)))?;
                if let Err(e) = written {
                    self.record_failure(&email, &e, now)?;
                }
            }
            Err(e) => self.record_failure(&email, &e, now)?,
        }
        self.view_of(&email)
    }

    /// Refreshes every account, a few at a time; the views most urgent first.
    pub async fn refresh_all(&self) -> Vec<LicenseView> {
        let emails: Vec<String> = self.state().accounts.keys().cloned().collect();
        let permits = Arc::new(tokio::sync::Semaphore::new(
            self.inner.options.refresh_concurrency.max(1),
        ));
        let mut tasks = tokio::task::JoinSet::new();
        for email in emails {
            let service = self.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                // An account removed meanwhile is simply no longer listed.
                let _ = service.refresh(&email).await;
            });
        }
        while tasks.join_next().await.is_some() {}
        self.accounts().await
    }

    /// Orders and tickets of an account's license.
    pub async fn license_details(&self, email: &str) -> Result<LicenseDetails> {
        let (email, shop) = self.signed_in(email).await?;
        let (orders, tickets) = tokio::join!(shop.orders(), shop.tickets());
        self.note_shop_date(&email, &shop);
        Ok(LicenseDetails {
            orders: orders?,
            tickets: tickets?,
        })
    }

    /// The shop's catalog; when the shop cannot be reached, the cached one.
    pub async fn catalog(&self, email: &str) -> Result<Catalog> {
        let (email, shop) = self.signed_in(email).await?;
        let fetched = shop.catalog().await;
        self.note_shop_date(&email, &shop);
        match fetched {
            Ok(catalog) => {
                self.remember_catalog(&email, &catalog)?;
                Ok(catalog)
            }
            Err(e) if e.is_offline() => self.cached_catalog(&email)?.ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// The local estimate (core pricing) on the cached license and catalog, at the shop's
    /// clock (this computer's clock plus the offset seen in the shop's `Date` header).
    pub async fn estimate(&self, email: &str, items: &[RequestedItem]) -> Result<Quote> {
        let email = self.known_email(email)?;
        self.read_unread_secrets().await;
        let license = self.view_of(&email)?.license.ok_or(Error::NotFound)?;
        let catalog = match self.cached_catalog(&email)? {
            Some(catalog) => catalog,
            None => self.catalog(&email).await?,
        };
        let offset = self.with_account(&email, |a| a.clock_offset)?;
        let now = self.inner.clock.now() + offset.unwrap_or_default();
        crate::pricing::quote(&license, &catalog, items, now)
    }

    /// The shop's quote for new totals, with a new idempotency key for the switch.
    pub async fn preview(&self, email: &str, items: &[RequestedItem]) -> Result<Preview> {
        let (email, shop) = self.signed_in(email).await?;
        let quote = shop.preview(items).await;
        self.note_shop_date(&email, &shop);
        Ok(Preview {
            quote: quote?,
            idempotency_key: new_idempotency_key(),
        })
    }

    /// Changes quantities (`POST /license/switch`) and then refreshes the cached license.
    /// Send the preview's key and gross; `quote_changed` carries the new quote.
    pub async fn switch_quantities(
        &self,
        email: &str,
        items: &[RequestedItem],
        expected_gross: Decimal,
        reference: Option<&str>,
        idempotency_key: &str,
    ) -> Result<SwitchOutcome> {
        let (email, shop) = self.signed_in(email).await?;
        let outcome = shop
            .switch(items, Some(expected_gross), reference, idempotency_key)
            .await;
        self.note_shop_date(&email, &shop);
        let outcome = outcome?;
        self.refresh(&email).await?;
        Ok(outcome)
    }

    /// Cancels a scheduled downgrade and returns the refreshed view.
    pub async fn cancel_scheduled_change(&self, email: &str, id: &str) -> Result<LicenseView> {
        let (email, shop) = self.signed_in(email).await?;
        let cancelled = shop.cancel_scheduled_change(id).await;
        self.note_shop_date(&email, &shop);
        cancelled?;
        self.refresh(&email).await
    }

    /// Opens a support ticket (`POST /tickets`) with the caller's idempotency key.
    pub async fn create_ticket(
        &self,
        email: &str,
        topic: &str,
        message: &str,
        fields: &serde_json::Value,
        idempotency_key: &str,
    ) -> Result<Ticket> {
        let (email, shop) = self.signed_in(email).await?;
        let ticket = shop
            .create_ticket(topic, message, fields, idempotency_key)
            .await;
        self.note_shop_date(&email, &shop);
        ticket
    }

    /// The user's settings.
    pub fn settings(&self) -> Settings {
        self.state().settings.clone()
    }

    /// Validates, saves and applies new settings.
    pub fn set_settings(&self, settings: Settings) -> Result<Settings> {
        config::save_settings(&self.inner.home, &settings)?;
        self.state().settings = settings.clone();
        Ok(settings)
    }

    /// A URL on the account's shop or support site.
    pub fn link(&self, email: &str, target: LinkTarget, id: Option<u64>) -> Result<String> {
        let email = self.known_email(email)?;
        let (config, license_id) = self.with_account(&email, |a| {
            let license_id = match &a.cache {
                Ok(Some(entry)) => entry.license.as_ref().map(|l| l.id),
                _ => None,
            };
            (a.config.clone(), license_id)
        })?;
        let shop = config.shop_url.trim_end_matches('/');
        Ok(match target {
            LinkTarget::Subscriptions => format!("{shop}/mein-konto/subscriptions/"),
            LinkTarget::Subscription => {
                let id = id.or(license_id).ok_or(Error::NotFound)?;
                format!("{shop}/mein-konto/view-subscription/{id}/")
            }
            LinkTarget::Order => {
                let id = id.ok_or_else(|| Error::BadRequest("an order link needs an id".into()))?;
                format!("{shop}/mein-konto/view-order/{id}/")
            }
            LinkTarget::Account => format!("{shop}/mein-konto/"),
            LinkTarget::Support => config.support_url.clone(),
            LinkTarget::Buy => format!("{shop}/shop/"),
        })
    }

    /// The support site's form with the ticket topic preselected (`open.php?topicId=N`).
    pub fn support_topic_link(&self, email: &str, topic: &str) -> Result<String> {
        let email = self.known_email(email)?;
        let config = self.with_account(&email, |a| a.config.clone())?;
        let topic_id = config
            .support_topics
            .get(topic)
            .ok_or_else(|| Error::UnknownTopic(topic.chars().take(64).collect()))?;
        let base = config.support_url.trim_end_matches('/');
        Ok(format!("{base}/open.php?topicId={topic_id}"))
    }

    // --- internals ---

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_account<T>(&self, email: &str, f: impl FnOnce(&AccountState) -> T) -> Result<T> {
        self.state()
            .accounts
            .get(email)
            .map(f)
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))
    }

    fn with_account_mut<T>(
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
    fn known_email(&self, email: &str) -> Result<String> {
        let normalized = crate::email::normalize(email)
            .map_err(|_| Error::UnknownAccount(email.chars().take(80).collect()))?;
        if self.state().accounts.contains_key(&normalized) {
            Ok(normalized)
        } else {
            Err(Error::UnknownAccount(normalized))
        }
    }

    fn view_of(&self, email: &str) -> Result<LicenseView> {
        let now = self.inner.clock.now();
        let state = self.state();
        let thresholds = state.settings.thresholds();
        state
            .accounts
            .get(email)
            .map(|a| view(a, now, &thresholds))
            .ok_or_else(|| Error::UnknownAccount(email.to_string()))
    }

    fn shop(&self, shop_url: &str) -> Result<ShopClient> {
        let http = match self.inner.http.get() {
            Some(http) => http.clone(),
            None => {
                let built = client::http_client(&self.inner.options.client)?;
                self.inner.http.get_or_init(|| built).clone()
            }
        };
        ShopClient::with_http(http, shop_url, &self.inner.options.client)
    }

    /// Runs a secret store call on the blocking pool (an OS keychain may block).
    async fn secret_call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.inner.secrets.clone();
        tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .map_err(|e| Error::KeychainUnavailable(e.to_string()))?
    }

    /// Reads the keychain entries not read yet (once per account and start).
    async fn read_unread_secrets(&self) {
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
    async fn secret(&self, email: &str) -> Result<Secret> {
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

    /// A client signed in as the account.
    async fn signed_in(&self, email: &str) -> Result<(String, ShopClient)> {
        let email = self.known_email(email)?;
        let secret = self.secret(&email).await?;
        let shop_url = self.with_account(&email, |a| a.config.shop_url.clone())?;
        let shop = self
            .shop(&shop_url)?
            .with_credentials(&email, &secret.password);
        Ok((email, shop))
    }

    fn note_shop_date(&self, email: &str, shop: &ShopClient) {
        if let Some(date) = shop.shop_date() {
            let offset = date - self.inner.clock.now();
            let _ = self.with_account_mut(email, |a| a.clock_offset = Some(offset));
        }
    }

    /// `GET /license/file`, verified with the pinned key. A signature that does not verify is
    /// reported as `key_changed` when the shop now publishes another key.
    async fn fetch_license_file(
        &self,
        email: &str,
    ) -> Result<(String, license_file::VerifiedLicense)> {
        let (email, shop) = self.signed_in(email).await?;
        let secret = self.secret(&email).await?;
        let pinned = license_file::public_key_from_base64(&secret.shop_key)?;
        let text = shop.license_file().await;
        self.note_shop_date(&email, &shop);
        let text = text?;
        match license_file::verify(&text, &pinned, &email, self.inner.clock.now()) {
            Ok(verified) => Ok((text, verified)),
            Err(e @ (Error::BadSignature | Error::UnsupportedAlgorithm(_))) => {
                Err(key_change(&shop, &pinned).await.unwrap_or(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Keeps the cached license and notes the failure, in memory and in the cache file.
    /// Offline only while the shop cannot be reached (`Error::is_offline`); a refusal (401, 429,
    /// `key_changed`) ends it, and a local failure says nothing about the shop.
    fn record_failure(&self, email: &str, error: &Error, now: DateTime<Utc>) -> Result<()> {
        let local = matches!(
            error,
            Error::KeychainUnavailable(_)
                | Error::NoSecret(_)
                | Error::Io { .. }
                | Error::CorruptFile { .. }
        );
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

    fn remember_catalog(&self, email: &str, catalog: &Catalog) -> Result<()> {
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

    fn cached_catalog(&self, email: &str) -> Result<Option<Catalog>> {
        self.with_account(email, |a| match &a.cache {
            Ok(Some(entry)) => entry.catalog.clone(),
            _ => None,
        })
    }
}

/// `key_changed` when the shop's first ed25519 key is no longer the pinned one.
async fn key_change(shop: &ShopClient, pinned: &VerifyingKey) -> Option<Error> {
    let keys = shop.keys().await.ok()?;
    let presented = keys
        .keys
        .iter()
        .find(|k| k.alg == license_file::ALG)
        .and_then(|k| license_file::public_key_from_base64(&k.public_key).ok())?;
    (presented != *pinned).then(|| Error::KeyChanged {
        pinned: license_file::fingerprint(pinned),
        presented: license_file::fingerprint(&presented),
    })
}

/// What the UI shows of one account, computed from memory; the signature is checked each time.
fn view(
    account: &AccountState,
    now: DateTime<Utc>,
    thresholds: &expiry::Thresholds,
) -> LicenseView {
    let key = match &account.secret {
        SecretSlot::Read(secret) => license_file::public_key_from_base64(&secret.shop_key),
        SecretSlot::Failed(e) => Err(e.clone()),
        SecretSlot::Unread => Err(Error::NoSecret(account.user.clone())),
    };
    let mut view = LicenseView {
        email: account.config.email.clone(),
        shop_url: account.config.shop_url.clone(),
        fingerprint: key.as_ref().ok().map(license_file::fingerprint),
        license: None,
        verification: Verification::None,
        verification_error: None,
        as_of: None,
        clock_behind: false,
        fetched_at: None,
        offline: false,
        offline_since: None,
        last_error: None,
        expires_at: None,
        days_left: None,
        usable: false,
        urgency: Urgency::Expired,
    };
    match &account.cache {
        Err(e) => {
            view.verification = Verification::NotVerified;
            view.verification_error = Some(ErrorInfo::from(e));
        }
        Ok(None) => {}
        Ok(Some(entry)) => {
            view.fetched_at = entry.fetched_at;
            view.offline = entry.offline_since.is_some();
            view.offline_since = entry.offline_since;
            view.last_error = entry.last_error.clone();
            if let Some(text) = &entry.license_file {
                let checked = key.and_then(|k| license_file::verify(text, &k, &view.email, now));
                match checked {
                    Ok(verified) if entry.key_changed.is_some() => {
                        view.verification = Verification::NotVerified;
                        view.verification_error = entry.key_changed.clone();
                        view.license = Some(verified.license);
                    }
                    Ok(verified) => {
                        view.verification = if verified.outdated {
                            Verification::Outdated
                        } else {
                            Verification::Verified
                        };
                        view.as_of = Some(verified.issued);
                        view.clock_behind = verified.clock_behind;
                        view.license = Some(verified.license);
                    }
                    Err(e) => {
                        view.verification = Verification::NotVerified;
                        view.verification_error = Some(ErrorInfo::from(&e));
                        view.license = entry.license.clone();
                    }
                }
            }
        }
    }
    if let Some(license) = &view.license {
        view.expires_at = expiry::expires_at(license);
        view.days_left = Some(expiry::days_left(license, now));
        view.usable = expiry::is_usable(license, now);
        view.urgency = shown_urgency(expiry::urgency(license, now, thresholds), view.verification);
    }
    view
}

/// Most urgent first, then fewest days left (no license at all first), then by e-mail.
fn sort_views(views: &mut [LicenseView]) {
    views.sort_by(|a, b| {
        b.urgency
            .cmp(&a.urgency)
            .then(
                a.days_left
                    .unwrap_or(i64::MIN)
                    .cmp(&b.days_left.unwrap_or(i64::MIN)),
            )
            .then(a.email.cmp(&b.email))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(email: &str, urgency: Urgency, days_left: Option<i64>) -> LicenseView {
        LicenseView {
            email: email.into(),
            shop_url: "https://shop.example".into(),
            fingerprint: None,
            license: None,
            verification: Verification::None,
            verification_error: None,
            as_of: None,
            clock_behind: false,
            fetched_at: None,
            offline: false,
            offline_since: None,
            last_error: None,
            expires_at: None,
            days_left,
            usable: false,
            urgency,
        }
    }

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn the_service_is_shareable_and_its_futures_are_send() {
        let dir = tempfile::tempdir().unwrap();
        let service = Service::new(
            Home::at(dir.path()),
            Arc::new(crate::secrets::MemorySecretStore::new()),
            Arc::new(crate::clock::SystemClock),
        )
        .unwrap();
        fn assert_shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
        assert_shareable(&service);
        let items = [RequestedItem::new("fe2-persons", 1)];
        let fields = serde_json::json!({});
        assert_send(&service.accounts());
        assert_send(&service.add_account("https://x.de", "a@b.de", "p"));
        assert_send(&service.refresh("a@b.de"));
        assert_send(&service.refresh_all());
        assert_send(&service.license_details("a@b.de"));
        assert_send(&service.estimate("a@b.de", &items));
        assert_send(&service.switch_quantities("a@b.de", &items, Decimal::ONE, None, "k"));
        assert_send(&service.create_ticket("a@b.de", "general", "m", &fields, "k"));
        assert_send(&service.remove_account("a@b.de"));
    }

    #[test]
    fn a_start_sweeps_temp_files_a_crash_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut left = Vec::new();
        for folder in [
            home.cache_dir(),
            home.accounts_dir(),
            home.data_dir().into(),
        ] {
            std::fs::create_dir_all(&folder).unwrap();
            let temp = folder.join(".tmp-Ab12Cd");
            std::fs::File::create(&temp)
                .unwrap()
                .set_modified(old)
                .unwrap();
            left.push(temp);
        }
        // Another program's file of a similar name stays.
        let foreign = home.cache_dir().join(".tmp-notours.json");
        std::fs::File::create(&foreign)
            .unwrap()
            .set_modified(old)
            .unwrap();
        Service::new(
            home,
            Arc::new(crate::secrets::MemorySecretStore::new()),
            Arc::new(crate::clock::SystemClock),
        )
        .unwrap();
        for temp in left {
            assert!(!temp.exists(), "{}", temp.display());
        }
        assert!(foreign.exists());
    }

    #[test]
    fn unverifiable_data_is_at_least_critical() {
        let all = [
            Urgency::Ok,
            Urgency::Warning,
            Urgency::Critical,
            Urgency::Expired,
        ];
        for urgency in all {
            let not_verified = shown_urgency(urgency, Verification::NotVerified);
            assert_eq!(not_verified, urgency.max(Urgency::Critical), "{urgency:?}");
            for trusted in [Verification::Verified, Verification::Outdated] {
                assert_eq!(shown_urgency(urgency, trusted), urgency, "{urgency:?}");
            }
        }
    }

    #[test]
    fn most_urgent_first_then_days_left() {
        let mut views = vec![
            bare("ok-far@x.de", Urgency::Ok, Some(200)),
            bare("warn@x.de", Urgency::Warning, Some(20)),
            bare("ok-near@x.de", Urgency::Ok, Some(40)),
            bare("gone@x.de", Urgency::Expired, Some(-3)),
            bare("crit@x.de", Urgency::Critical, Some(3)),
            bare("none@x.de", Urgency::Expired, None),
        ];
        sort_views(&mut views);
        let order: Vec<&str> = views.iter().map(|v| v.email.as_str()).collect();
        assert_eq!(
            order,
            [
                "none@x.de",
                "gone@x.de",
                "crit@x.de",
                "warn@x.de",
                "ok-near@x.de",
                "ok-far@x.de"
            ]
        );
    }
}
