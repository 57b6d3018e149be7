//! The one entry point of the desktop app and the CLI (docs/ipc.md): accounts, their cached
//! and refreshed licenses, changes, tickets, settings and links. Cheap to clone and share;
//! every async method is `Send`. The operations live here; what a view shows and when it is
//! trusted in `view`, the memory of each account in `accounts`, the shop's pages in `links`.

use crate::atomic_file;
use crate::audit::{Actor, AuditAction, AuditWriter};
use crate::cache::{self, CacheEntry};
use crate::client::{self, ClientOptions, HttpClient, ProxyChoice, ProxyDecision, ShopClient};
use crate::clock::Clock;
use crate::config::{self, AccountConfig, Settings};
use crate::error::{Error, Result};
use crate::license_file;
use crate::model::{Catalog, Order, Quote, RequestedItem, SwitchOutcome, Ticket};
use crate::paths::Home;
use crate::policy::{Policy, PolicyView, SettingOrigin, SettingSource};
use crate::secrets::{proxy_entry_user, Password, ProxyCredential, Secret, SecretStore};
use ed25519_dalek::VerifyingKey;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

mod accounts;
mod audit;
mod budget;
mod calendar;
mod doctor;
mod links;
mod view;

use accounts::{AccountState, SecretSlot, State};
use view::{sort_views, view};

pub use crate::error::ErrorInfo;
pub use audit::{AuditReport, OrderNote};
pub use budget::{AccountBudget, BudgetReport, BUDGET_YEARS};
pub use calendar::{SavedCalendar, CALENDAR_FILE_NAME};
pub use doctor::{CheckKind, CheckOutcome, Diagnosis, DoctorCheck};
pub use links::LinkTarget;
pub use view::{shown_urgency, LicenseView, Verification};

/// Orders and tickets of a license (`license_details`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LicenseDetails {
    /// `GET /license/orders`.
    pub orders: Vec<Order>,
    /// `GET /tickets`.
    pub tickets: Vec<Ticket>,
    /// What this computer's audit log knows of the orders placed through the app or the CLI:
    /// the net amount and the reference given (the shop's order list carries neither).
    pub order_notes: Vec<OrderNote>,
}

/// A server preview with the idempotency key for the switch that may follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preview {
    /// The shop's quote.
    pub quote: Quote,
    /// Made now; send it with every attempt of the switch until a result or a new preview.
    pub idempotency_key: String,
}

/// What the UI shows about the running app (the app's `app_info`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppInfo {
    /// The app's version.
    pub version: String,
    /// Demo mode: temporary data, in-process reference shop.
    pub demo: bool,
    /// Where the app keeps its files.
    pub data_home: String,
    /// The central policies as the UI shows them (locked settings, read-only mode).
    pub policy: PolicyView,
}

/// Payload of the app's `refresh-state` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefreshState {
    /// True while at least one refresh of all accounts runs.
    pub running: bool,
}

/// Tuning of the service (tests shorten the timeouts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceOptions {
    /// HTTP timeouts and retries.
    pub client: ClientOptions,
    /// Refreshes running at once in `refresh_all`.
    pub refresh_concurrency: usize,
    /// The central policies; `None` reads this computer's ([`Policy::load`]).
    pub policy: Option<Policy>,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            client: ClientOptions::default(),
            refresh_concurrency: 4,
            policy: None,
        }
    }
}

/// The keychain entry of a proxy URL's credentials.
fn proxy_entry(proxy_url: &str) -> Result<String> {
    let url = client::check_proxy_url(proxy_url)?;
    Ok(proxy_entry_user(&client::proxy_host_port(&url)))
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
    /// without network (the CLI's `check --offline`) should not pay. Built again when the
    /// proxy setting changes.
    http: Mutex<Option<HttpClient>>,
    state: Mutex<State>,
    /// The central policies, read once at start.
    policy: Policy,
    /// Where each action is noted (docs/domain.md, Audit log).
    audit: AuditWriter,
    /// Serialises add and remove, so two adds of one e-mail cannot both pass the check.
    admin: tokio::sync::Mutex<()>,
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
        let (user_settings, settings_error) = config::load_settings(&home);
        let policy = options.policy.clone().unwrap_or_else(Policy::load);
        let settings = policy.apply(&user_settings);
        // Anchored where the secrets are (docs/domain.md, Audit log).
        let audit =
            AuditWriter::new(home.data_dir(), Actor::current()).anchored_in(secrets.clone());
        problems.extend(settings_error.as_ref().map(ErrorInfo::from));
        Ok(Self {
            inner: Arc::new(Inner {
                home,
                secrets,
                clock,
                options,
                policy,
                http: Mutex::new(None),
                audit,
                state: Mutex::new(State {
                    accounts,
                    settings,
                    user_settings,
                    problems,
                    audit_error: None,
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
        let mut views: Vec<LicenseView> = state
            .accounts
            .values()
            .map(|a| view(a, now, &state.settings))
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

    /// Adds an account: `GET /me` must answer for this e-mail and `GET /license/file` must
    /// verify with the key its `kid` names: a built-in vendor key of the shop's origin, else the
    /// published key of `GET /keys`, which is then pinned (trust on first use).
    /// Only then are the secret, the account file and the cache written; a failed add writes
    /// nothing anywhere.
    pub async fn add_account(
        &self,
        shop_url: &str,
        email: &str,
        password: impl Into<Password>,
    ) -> Result<LicenseView> {
        self.ensure_writable()?;
        let password = password.into();
        let email = crate::email::normalize(email)?;
        let url = client::check_shop_url(shop_url)?;
        self.ensure_allowed_shop(url.as_str())?;
        let shop_url = url.as_str().trim_end_matches('/').to_string();
        let origin = url.origin().ascii_serialization();
        let _admin = self.inner.admin.lock().await;
        if self.state().accounts.contains_key(&email) {
            return Err(Error::AccountExists(email));
        }
        let account = AccountConfig::new(email.clone(), shop_url);
        let shop = self
            .shop(&account.shop_url)?
            .with_credentials(&email, password.clone());
        let me = shop.me().await?;
        if !crate::email::same(&me.email, &email) {
            return Err(Error::WrongAccount {
                expected: email,
                found: me.email,
            });
        }
        let text = shop.license_file().await?;
        // The file's key id only selects the candidate; the signature below decides.
        let kid = license_file::key_id(&text)?;
        let key = match license_file::builtin_key(license_file::VENDOR_KEYS, &origin, &kid)? {
            Some(builtin) => builtin,
            None => license_file::published_key(&shop.keys().await?, &kid)?,
        };
        let now = self.inner.clock.now();
        let verified = license_file::verify(&text, &key, &email, now)?;

        let mut state = AccountState::new(&self.inner.home, account)?;
        let secret = Secret {
            password,
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
        self.audit(
            AuditAction::AccountAdded,
            Some(&email),
            serde_json::json!({
                "shop_url": self.with_account(&email, |a| a.config.shop_url.clone())?,
                "fingerprint": license_file::fingerprint(&key),
            }),
        );
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
        self.ensure_writable()?;
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
        self.audit(
            AuditAction::AccountRemoved,
            Some(&email),
            serde_json::json!({ "shop_url": config.shop_url }),
        );
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
        let shown_error = self.with_account(&email, |a| match &a.cache {
            Ok(Some(entry)) => entry.last_error.clone(),
            _ => None,
        })?;
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
            Err(e) => {
                self.record_failure(&email, &e, now)?;
                self.audit_refresh_failure(&email, shown_error.as_ref(), &e);
            }
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
            order_notes: self.order_notes(&email),
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
        let quote = quote?;
        self.audit_quote(&email, items, &quote);
        Ok(Preview {
            quote,
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
        self.ensure_writable()?;
        // Refused before anything is sent: a wrong Leitweg-ID would sit on the order.
        let reference = reference
            .map(crate::reference::check)
            .transpose()?
            .flatten();
        let (email, shop) = self.signed_in(email).await?;
        let outcome = shop
            .switch(
                items,
                Some(expected_gross),
                reference.as_deref(),
                idempotency_key,
            )
            .await;
        self.note_shop_date(&email, &shop);
        let outcome = outcome?;
        self.audit_switch(&email, items, reference.as_deref(), &outcome);
        self.refresh(&email).await?;
        Ok(outcome)
    }

    /// Cancels a scheduled downgrade and returns the refreshed view.
    pub async fn cancel_scheduled_change(&self, email: &str, id: &str) -> Result<LicenseView> {
        self.ensure_writable()?;
        let (email, shop) = self.signed_in(email).await?;
        let cancelled = shop.cancel_scheduled_change(id).await;
        self.note_shop_date(&email, &shop);
        cancelled?;
        self.audit(
            AuditAction::ScheduledChangeCancelled,
            Some(&email),
            serde_json::json!({ "id": id }),
        );
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
        self.ensure_writable()?;
        let (email, shop) = self.signed_in(email).await?;
        let ticket = shop
            .create_ticket(topic, message, fields, idempotency_key)
            .await;
        self.note_shop_date(&email, &shop);
        let ticket = ticket?;
        self.audit_ticket(&email, &ticket);
        Ok(ticket)
    }

    /// Sets or clears (`None` or blank) an account's default order reference, checked as an
    /// order's reference is, and returns the view that carries it.
    pub async fn set_default_reference(
        &self,
        email: &str,
        reference: Option<&str>,
    ) -> Result<LicenseView> {
        self.ensure_writable()?;
        let reference = reference
            .map(crate::reference::check)
            .transpose()?
            .flatten();
        let email = self.known_email(email)?;
        let _admin = self.inner.admin.lock().await;
        let mut config = self.account_config(&email)?;
        if config.default_reference == reference {
            return self.view_of(&email);
        }
        let before = std::mem::replace(&mut config.default_reference, reference.clone());
        config::save_account(&self.inner.home, &config)?;
        self.with_account_mut(&email, |a| a.config = config)?;
        self.audit(
            AuditAction::DefaultReferenceChanged,
            Some(&email),
            serde_json::json!({ "from": before, "to": reference }),
        );
        self.view_of(&email)
    }

    /// The settings in force: the central policies over the user's settings.
    pub fn settings(&self) -> Settings {
        self.state().settings.clone()
    }

    /// The central policies read at start.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// Each effective setting's value and where it came from: a policy (and where it was
    /// read), the user's settings file, or the default (`fe2-license status --json`).
    pub fn setting_sources(&self) -> BTreeMap<String, SettingOrigin> {
        let stored = config::stored_setting_keys(&self.inner.home);
        let policy = &self.inner.policy;
        let values = match serde_json::to_value(self.settings()) {
            Ok(serde_json::Value::Object(values)) => values,
            _ => serde_json::Map::new(),
        };
        values
            .into_iter()
            .map(|(field, value)| {
                let locked_by = policy
                    .origins
                    .iter()
                    .find(|(name, _)| name.setting() == Some(field.as_str()));
                let (source, origin) = match locked_by {
                    Some((_, origin)) => (SettingSource::Policy, Some(origin.clone())),
                    None if stored.contains(&field) => (
                        SettingSource::Settings,
                        Some(self.inner.home.settings_file().display().to_string()),
                    ),
                    None => (SettingSource::Default, None),
                };
                let origin_entry = SettingOrigin {
                    value,
                    source,
                    origin,
                };
                (field, origin_entry)
            })
            .collect()
    }

    /// Validates, saves and applies new settings. Fields a policy locks keep the user's
    /// stored value (the page sends the policy's); the answer is the settings in force.
    pub fn set_settings(&self, settings: Settings) -> Result<Settings> {
        let stored = self.state().user_settings.clone();
        let user = self.inner.policy.keep_locked(&stored, settings);
        config::save_settings(&self.inner.home, &user)?;
        let effective = self.inner.policy.apply(&user);
        let before = {
            let mut state = self.state();
            state.user_settings = user.clone();
            std::mem::replace(&mut state.settings, effective.clone())
        };
        if before.proxy != effective.proxy {
            // The next request builds a client with the new proxy.
            *self.inner.http.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        self.audit_settings(&before, &effective);
        Ok(effective)
    }

    /// Refuses a change while the read-only policy is in force (viewers' computers).
    fn ensure_writable(&self) -> Result<()> {
        match self.inner.policy.read_only {
            true => Err(Error::ReadOnlyPolicy),
            false => Ok(()),
        }
    }

    /// Refuses a shop host that the `AllowedShopHosts` policy does not name.
    fn ensure_allowed_shop(&self, shop_url: &str) -> Result<()> {
        let host = config::shop_host(shop_url)?;
        match self.inner.policy.allows_shop_host(&host) {
            true => Ok(()),
            false => Err(Error::ShopNotAllowed {
                host,
                allowed: self
                    .inner
                    .policy
                    .allowed_shop_hosts
                    .clone()
                    .unwrap_or_default(),
            }),
        }
    }

    // --- the shop ---

    /// The one HTTP client, built on first use with the proxy in force; proxy credentials come
    /// from the secret store.
    fn http(&self) -> Result<HttpClient> {
        let mut slot = self.inner.http.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(http) = slot.as_ref() {
            return Ok(http.clone());
        }
        let options = ClientOptions {
            proxy: self.proxy_choice()?,
            ..self.inner.options.client.clone()
        };
        let built = client::http_client(&options, Some(self.inner.secrets.clone()))?;
        *slot = Some(built.clone());
        Ok(built)
    }

    /// The proxy in force: the policy's or the user's setting (docs/proxy.md); `system` is the
    /// service options' choice, which is the operating system's unless a test sets another.
    fn proxy_choice(&self) -> Result<ProxyChoice> {
        match ProxyChoice::parse(&self.settings().proxy)? {
            ProxyChoice::System => Ok(self.inner.options.client.proxy.clone()),
            chosen => Ok(chosen),
        }
    }

    fn shop(&self, shop_url: &str) -> Result<ShopClient> {
        ShopClient::with_http(self.http()?, shop_url, &self.inner.options.client)
    }

    // --- the proxy (docs/proxy.md) ---

    /// The shop URLs of the configured accounts, each once (no keychain, no network).
    pub fn shop_urls(&self) -> Vec<String> {
        let urls: std::collections::BTreeSet<String> = self
            .state()
            .accounts
            .values()
            .map(|a| a.config.shop_url.clone())
            .collect();
        urls.into_iter().collect()
    }

    /// The proxy that requests to `shop_url` take and why, as they take it.
    pub async fn proxy_decision(&self, shop_url: &str) -> Result<ProxyDecision> {
        let url = client::check_shop_url(shop_url)?;
        self.http()?.proxy_decision(&url).await
    }

    /// Stores a proxy's login in the secret store (entry `proxy@<host:port>`, never a file or
    /// the audit log); later requests through that proxy send it. Returns the entry's name.
    pub async fn set_proxy_credential(
        &self,
        proxy_url: &str,
        credential: ProxyCredential,
    ) -> Result<String> {
        let user = proxy_entry(proxy_url)?;
        let entry = user.clone();
        self.secret_call(move |store| store.set_proxy(&entry, &credential))
            .await?;
        self.forget_proxy_routes();
        Ok(user)
    }

    /// Deletes a proxy's stored login (none stored is fine). Returns the entry's name.
    pub async fn remove_proxy_credential(&self, proxy_url: &str) -> Result<String> {
        let user = proxy_entry(proxy_url)?;
        let entry = user.clone();
        self.secret_call(move |store| store.delete(&entry)).await?;
        self.forget_proxy_routes();
        Ok(user)
    }

    fn forget_proxy_routes(&self) {
        let slot = self.inner.http.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(http) = slot.as_ref() {
            http.forget_proxy_routes();
        }
    }

    /// A client signed in as the account (a shop the policies do not allow is refused).
    async fn signed_in(&self, email: &str) -> Result<(String, ShopClient)> {
        let email = self.known_email(email)?;
        // The secret first: it also verifies the cached view that a refusal leaves shown.
        let secret = self.secret(&email).await?;
        let shop_url = self.with_account(&email, |a| a.config.shop_url.clone())?;
        self.ensure_allowed_shop(&shop_url)?;
        let shop = self
            .shop(&shop_url)?
            .with_credentials(&email, secret.password.clone());
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
        let (origin, cached) = self.with_account(&email, |a| {
            let cached = match &a.cache {
                Ok(Some(entry)) => entry.license_file.clone(),
                _ => None,
            };
            (a.config.origin(), cached)
        })?;
        let text = shop.license_file().await;
        self.note_shop_date(&email, &shop);
        let text = text?;
        let now = self.inner.clock.now();
        let origin = origin?;
        let trusted = license_file::trusted_key(license_file::VENDOR_KEYS, &origin, &text, pinned)?;
        let verified = match license_file::verify(&text, &trusted, &email, now) {
            Ok(verified) => verified,
            Err(e @ (Error::BadSignature | Error::UnsupportedAlgorithm(_))) => {
                return Err(key_change(&shop, &text, &trusted).await.unwrap_or(e));
            }
            Err(e) => return Err(e),
        };
        // A validly signed but older file is a replay (docs/domain.md): the newer data stays.
        let cached_issued = cached.and_then(|cached| {
            let vendor = license_file::VENDOR_KEYS;
            license_file::cached_issued(vendor, &origin, &cached, pinned, &email, now)
        });
        if let Some(cached_issued) = cached_issued.filter(|c| verified.issued < *c) {
            return Err(Error::OlderLicenseFile {
                cached: cached_issued.to_rfc3339(),
                presented: verified.issued.to_rfc3339(),
            });
        }
        Ok((text, verified))
    }
}

/// `key_changed` when the shop publishes another key than the trusted one under the file's key id.
async fn key_change(shop: &ShopClient, text: &str, trusted: &VerifyingKey) -> Option<Error> {
    let kid = license_file::key_id(text).ok()?;
    let keys = shop.keys().await.ok()?;
    let presented = license_file::published_key(&keys, &kid).ok()?;
    (presented != *trusted).then(|| Error::KeyChanged {
        pinned: license_file::fingerprint(trusted),
        presented: license_file::fingerprint(&presented),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
