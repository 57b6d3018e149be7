//! Non-secret configuration: one small JSON file per account (so the app and the CLI never
//! overwrite each other's accounts) and the user's settings. No password and no pinned key
//! here: editing these files cannot change what is trusted.

use crate::atomic_file;
use crate::error::{Error, Result};
use crate::expiry::Thresholds;
use crate::model::TicketTopic;
use crate::paths::Home;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The vendor's shop, the default shop URL.
pub const DEFAULT_SHOP_URL: &str = "https://www.alamos-gmbh.com";
/// The vendor's support site (osTicket).
pub const DEFAULT_SUPPORT_URL: &str = "https://support.alamos-gmbh.com/";

/// Help topic ids of the vendor's osTicket (`open.php?topicId=N`). These are configuration
/// defaults, not facts: the real ids are the vendor's and can be edited per account file.
pub fn default_support_topics() -> BTreeMap<String, u32> {
    [
        (TicketTopic::General, 1),
        (TicketTopic::NavlogActivation, 12),
        (TicketTopic::LicenseEmailChange, 13),
        (TicketTopic::PackageChange, 14),
    ]
    .into_iter()
    .map(|(topic, id)| (topic.as_str().to_string(), id))
    .collect()
}

/// One configured account (`config/accounts/<id>.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfig {
    /// The license e-mail, normalised.
    pub email: String,
    /// The shop's base URL (`https://www.alamos-gmbh.com`).
    pub shop_url: String,
    /// The support site's base URL.
    #[serde(default = "default_support_url")]
    pub support_url: String,
    /// Ticket topic → osTicket help topic id, for the support-site fallback.
    #[serde(default = "default_support_topics")]
    pub support_topics: BTreeMap<String, u32>,
    /// The order reference put on this account's orders unless another is given
    /// (docs/domain.md, Order reference); checked when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_reference: Option<String>,
}

fn default_support_url() -> String {
    DEFAULT_SUPPORT_URL.to_string()
}

impl AccountConfig {
    /// A new account's configuration with the default support site.
    pub fn new(email: String, shop_url: String) -> Self {
        Self {
            email,
            shop_url,
            support_url: default_support_url(),
            support_topics: default_support_topics(),
            default_reference: None,
        }
    }

    /// The shop's `host[:port]` (the port only when it is not the scheme's default).
    pub fn shop_host(&self) -> Result<String> {
        shop_host(&self.shop_url)
    }

    /// The shop's origin `scheme://host[:port]`, as the built-in vendor keys name it.
    pub fn origin(&self) -> Result<String> {
        reqwest::Url::parse(&self.shop_url)
            .map(|url| url.origin().ascii_serialization())
            .map_err(|_| Error::InvalidUrl(crate::client::redact_url(&self.shop_url)))
    }

    /// The keychain user of this account.
    pub fn secret_user(&self) -> Result<String> {
        Ok(crate::secrets::entry_user(&self.email, &self.shop_host()?))
    }

    /// The file name stem of this account's files: readable, safe on every OS, unique.
    pub fn file_id(&self) -> Result<String> {
        Ok(file_id(&self.email, &self.shop_host()?))
    }
}

/// `host[:port]` of a shop URL.
pub fn shop_host(shop_url: &str) -> Result<String> {
    let invalid = || Error::InvalidUrl(crate::client::redact_url(shop_url));
    let url = reqwest::Url::parse(shop_url).map_err(|_| invalid())?;
    // host_str keeps the brackets of an IPv6 address, so the port stays unambiguous.
    let host = match url.host_str() {
        Some(host) if !host.is_empty() => host.to_string(),
        _ => return Err(invalid()),
    };
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// A file name stem from e-mail and shop host: safe characters only, plus a hash so that two
/// accounts whose names differ only in replaced characters still get two files.
pub fn file_id(normalized_email: &str, shop_host: &str) -> String {
    let name = format!("{normalized_email}@{shop_host}");
    let safe: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' | '@' => c,
            _ => '_',
        })
        .take(120)
        .collect();
    let hash = Sha256::digest(name.as_bytes());
    let hex: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{safe}-{hex}")
}

/// The path of an account's configuration file.
pub fn account_file(home: &Home, id: &str) -> PathBuf {
    home.accounts_dir().join(format!("{id}.json"))
}

/// Saves an account atomically.
pub fn save_account(home: &Home, account: &AccountConfig) -> Result<()> {
    let path = account_file(home, &account.file_id()?);
    atomic_file::write(&path, &to_json(account)?)
}

/// Deletes an account's configuration file.
pub fn remove_account(home: &Home, account: &AccountConfig) -> Result<()> {
    atomic_file::remove(&account_file(home, &account.file_id()?))
}

/// Every readable account file, sorted by e-mail; damaged files are returned as errors
/// beside the good ones (reported, never a crash).
pub fn load_accounts(home: &Home) -> (Vec<AccountConfig>, Vec<Error>) {
    let dir = home.accounts_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), Vec::new()),
        Err(e) => {
            return (
                Vec::new(),
                vec![Error::Io {
                    path: dir.display().to_string(),
                    reason: e.to_string(),
                }],
            )
        }
    };
    let mut accounts = Vec::new();
    let mut errors = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        match load_account(&path) {
            Ok(account) => accounts.push(account),
            Err(e) => errors.push(e),
        }
    }
    accounts.sort_by(|a, b| a.email.cmp(&b.email));
    (accounts, errors)
}

fn load_account(path: &Path) -> Result<AccountConfig> {
    let corrupt = |reason: String| Error::CorruptFile {
        path: path.display().to_string(),
        reason,
    };
    let bytes = atomic_file::read(path)?.ok_or_else(|| corrupt("vanished".into()))?;
    let mut account: AccountConfig =
        serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    account.email = crate::email::normalize(&account.email).map_err(|e| corrupt(e.to_string()))?;
    shop_host(&account.shop_url).map_err(|e| corrupt(e.to_string()))?;
    Ok(account)
}

/// The UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Language {
    /// German (the default, whatever the OS locale).
    #[default]
    De,
    /// English.
    En,
}

impl Language {
    /// A day in Germany (Europe/Berlin) as the app shows it: `01.07.2027`, `1 Jul 2027`.
    pub fn day(self, at: chrono::DateTime<chrono::Utc>) -> String {
        let local = at.with_timezone(&chrono_tz::Europe::Berlin);
        match self {
            Language::De => local.format("%d.%m.%Y").to_string(),
            Language::En => local.format("%-d %b %Y").to_string(),
        }
    }

    /// An amount in euros as the app shows it: `1.234,56 €`, `€1,234.56`.
    pub fn euros(self, amount: rust_decimal::Decimal) -> String {
        match self {
            Language::De => crate::money::german(amount),
            Language::En => crate::money::english(amount),
        }
    }
}

/// The user's settings (`config/settings.json`, docs/ipc.md `Settings`). Deserializing needs every
/// field, so a partial `set_settings` is refused rather than silently reset; files of older
/// versions are completed by [`load_settings`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    /// UI language.
    pub language: Language,
    /// Warning when days left ≤ this.
    pub warning_days: i64,
    /// Critical when days left ≤ this.
    pub critical_days: i64,
    /// Desktop notifications on.
    pub notifications: bool,
    /// Start with the desktop session.
    pub autostart: bool,
    /// Remind of an auto-renewing license's next renewal (date and amount) this many days
    /// before it (docs/domain.md, Renewal reminder); 0 turns the reminder off.
    pub renewal_reminder_days: i64,
    /// The proxy for the shop: `system` (the operating system's), `none`, or a proxy URL
    /// (docs/deployment.md, Proxies).
    pub proxy: String,
}

impl Default for Settings {
    fn default() -> Self {
        let thresholds = Thresholds::default();
        Self {
            language: Language::De,
            warning_days: thresholds.warning_days,
            critical_days: thresholds.critical_days,
            notifications: true,
            autostart: false,
            renewal_reminder_days: DEFAULT_RENEWAL_REMINDER_DAYS,
            proxy: SYSTEM_PROXY.to_string(),
        }
    }
}

/// The proxy setting that asks the operating system.
pub const SYSTEM_PROXY: &str = "system";

/// Enough time before a renewal to reach a budget decision.
const DEFAULT_RENEWAL_REMINDER_DAYS: i64 = 90;

/// The longest warning window that makes sense (a billing period is a year).
const MAX_THRESHOLD_DAYS: i64 = 366;

impl Settings {
    /// The expiry thresholds in force.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            warning_days: self.warning_days,
            critical_days: self.critical_days,
        }
    }

    /// Refuses thresholds that cannot be meant: negative, over a year, critical after warning.
    pub fn validate(&self) -> Result<()> {
        let in_range = |d: i64| (0..=MAX_THRESHOLD_DAYS).contains(&d);
        if !in_range(self.warning_days)
            || !in_range(self.critical_days)
            || self.critical_days > self.warning_days
        {
            return Err(Error::BadRequest(
                "thresholds must satisfy 0 ≤ critical_days ≤ warning_days ≤ 366".into(),
            ));
        }
        crate::client::ProxyChoice::parse(&self.proxy)?;
        if !in_range(self.renewal_reminder_days) {
            return Err(Error::BadRequest(
                "renewal_reminder_days must satisfy 0 ≤ renewal_reminder_days ≤ 366".into(),
            ));
        }
        Ok(())
    }
}

/// The settings; missing or damaged files give the defaults (the damage is returned to report).
pub fn load_settings(home: &Home) -> (Settings, Option<Error>) {
    let path = home.settings_file();
    match atomic_file::read(&path) {
        Ok(None) => (Settings::default(), None),
        Ok(Some(bytes)) => match settings_with_defaults(&bytes) {
            Ok(settings) if settings.validate().is_ok() => (settings, None),
            Ok(_) => (
                Settings::default(),
                Some(Error::CorruptFile {
                    path: path.display().to_string(),
                    reason: "thresholds or reminder days out of range".into(),
                }),
            ),
            Err(e) => (
                Settings::default(),
                Some(Error::CorruptFile {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }),
            ),
        },
        Err(e) => (Settings::default(), Some(e)),
    }
}

/// The fields the user's settings file holds (a field it lacks has its default).
pub fn stored_setting_keys(home: &Home) -> std::collections::BTreeSet<String> {
    atomic_file::read(&home.settings_file())
        .ok()
        .flatten()
        .and_then(|bytes| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).ok()
        })
        .map(|stored| stored.into_iter().map(|(key, _)| key).collect())
        .unwrap_or_default()
}

/// A settings file read over the defaults: a field it lacks (written by an older version, or
/// left out by hand) keeps its default.
fn settings_with_defaults(bytes: &[u8]) -> serde_json::Result<Settings> {
    let stored: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)?;
    let mut merged = match serde_json::to_value(Settings::default())? {
        serde_json::Value::Object(defaults) => defaults,
        _ => serde_json::Map::new(),
    };
    merged.extend(stored);
    serde_json::from_value(serde_json::Value::Object(merged))
}

/// Saves validated settings atomically.
pub fn save_settings(home: &Home, settings: &Settings) -> Result<()> {
    settings.validate()?;
    atomic_file::write(&home.settings_file(), &to_json(settings)?)
}

/// Pretty JSON, so that IT staff can read and edit the files.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::Io {
        path: String::new(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_ids_are_safe_and_distinct() {
        let a = file_id("a+b@x.de", "127.0.0.1:8080");
        let b = file_id("a_b@x.de", "127.0.0.1:8080");
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert!(id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)));
        }
        assert!(a.starts_with("a_b@x.de@127.0.0.1_8080-"));
    }

    #[test]
    fn shop_host_keeps_a_non_default_port() {
        assert_eq!(
            shop_host("https://www.alamos-gmbh.com/").unwrap(),
            "www.alamos-gmbh.com"
        );
        assert_eq!(
            shop_host("https://shop.example:8443/x").unwrap(),
            "shop.example:8443"
        );
        assert_eq!(shop_host("http://[::1]:9/").unwrap(), "[::1]:9");
        assert!(shop_host("not a url").is_err());
    }

    #[test]
    fn accounts_and_settings_round_trip_and_damage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let account = AccountConfig::new("a@b.de".into(), "https://shop.example".into());
        save_account(&home, &account).unwrap();
        std::fs::write(home.accounts_dir().join("broken.json"), b"{\"email\":").unwrap();
        let (accounts, errors) = load_accounts(&home);
        assert_eq!(accounts, vec![account.clone()]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code(), "corrupt_file");
        remove_account(&home, &account).unwrap();

        assert_eq!(load_settings(&home), (Settings::default(), None));
        let settings = Settings {
            language: Language::En,
            warning_days: 60,
            critical_days: 7,
            notifications: false,
            autostart: true,
            renewal_reminder_days: 60,
            proxy: "http://proxy.stadt.example:3128".into(),
        };
        save_settings(&home, &settings).unwrap();
        assert_eq!(load_settings(&home).0, settings);
        let wrong = Settings {
            critical_days: 61,
            ..settings.clone()
        };
        assert!(save_settings(&home, &wrong).is_err());
        for days in [-1, 367] {
            let wrong = Settings {
                renewal_reminder_days: days,
                ..settings.clone()
            };
            assert!(save_settings(&home, &wrong).is_err(), "{days}");
        }
        // A file of a version before the renewal reminder gets its default, 90 days.
        std::fs::write(
            home.settings_file(),
            br#"{"language":"en","warning_days":60,"critical_days":7,"notifications":false,"autostart":true}"#,
        )
        .unwrap();
        let older = Settings {
            renewal_reminder_days: 90,
            proxy: SYSTEM_PROXY.into(),
            ..settings.clone()
        };
        assert_eq!(load_settings(&home), (older, None));
        // A file without some fields keeps the defaults for them.
        std::fs::write(home.settings_file(), br#"{"language":"en"}"#).unwrap();
        let partial = Settings {
            language: Language::En,
            ..Settings::default()
        };
        assert_eq!(load_settings(&home), (partial, None));
        // Settings that arrive (IPC) must be whole.
        assert!(serde_json::from_str::<Settings>(r#"{"language":"en"}"#).is_err());
        std::fs::write(home.settings_file(), b"[").unwrap();
        let (loaded, error) = load_settings(&home);
        assert_eq!(loaded, Settings::default());
        assert_eq!(error.unwrap().code(), "corrupt_file");
    }
}
