//! Central policies (docs/deployment.md, Policies): settings that municipal IT sets for every
//! user of a computer. Windows reads `HKLM\SOFTWARE\Policies\Alamos\FE2 License Manager`, then
//! the same path under HKCU; Linux reads `/etc/fe2-license/policy.json` with the same names.
//! A policy beats the user's settings, which beat the defaults. A value of the wrong type or
//! out of range is ignored and reported, never a failed start.

use crate::config::{Language, Settings};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The policies' registry key below HKLM and HKCU.
pub const REGISTRY_KEY: &str = r"SOFTWARE\Policies\Alamos\FE2 License Manager";

/// The policy file on Linux and other Unix systems.
pub const POLICY_FILE: &str = "/etc/fe2-license/policy.json";

/// Debug builds only: the policy file is read from this path instead of [`POLICY_FILE`], so
/// that tests need not write to `/etc`. Release builds ignore it: a user must not be able to
/// step around the administrator's file with an environment variable.
pub const POLICY_FILE_ENV: &str = "FE2_LICENSE_POLICY_FILE";

/// The registry type a policy has (and the JSON type it takes on Linux).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// `REG_DWORD`; JSON: a number (or `true`/`false` for switches).
    Dword,
    /// `REG_SZ`; JSON: a string.
    Text,
    /// `REG_MULTI_SZ`; JSON: an array of strings.
    List,
}

/// Declares [`PolicyName`] with each policy's value name, kind and the setting it locks.
macro_rules! policy_names {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal, $kind:ident, $setting:expr;)+) => {
        /// Every policy the app and the CLI read (the ADMX template names the same).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum PolicyName {
            $($(#[doc = $doc])* $variant,)+
        }

        impl PolicyName {
            /// All policies.
            pub const ALL: &'static [PolicyName] = &[$(PolicyName::$variant),+];

            /// The registry value name (and the key of the Linux file).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(PolicyName::$variant => $text,)+
                }
            }

            /// The registry type.
            pub fn kind(self) -> PolicyKind {
                match self {
                    $(PolicyName::$variant => PolicyKind::$kind,)+
                }
            }

            /// The field of [`Settings`] this policy locks, if it locks one.
            pub fn setting(self) -> Option<&'static str> {
                match self {
                    $(PolicyName::$variant => $setting,)+
                }
            }
        }
    };
}

policy_names! {
    /// Warning when days left ≤ this (0 to 366).
    WarningDays = "WarningDays", Dword, Some("warning_days");
    /// Critical when days left ≤ this (0 to 366).
    CriticalDays = "CriticalDays", Dword, Some("critical_days");
    /// The renewal reminder's days ahead (0 to 366; 0 turns it off).
    RenewalReminderDays = "RenewalReminderDays", Dword, Some("renewal_reminder_days");
    /// `system`, `none` or a proxy URL.
    Proxy = "Proxy", Text, Some("proxy");
    /// The only shop hosts (`host[:port]`) accounts may use.
    AllowedShopHosts = "AllowedShopHosts", List, None;
    /// 1: no orders, tickets or account changes (viewers).
    ReadOnly = "ReadOnly", Dword, None;
    /// 1: start with the desktop session, 0: never.
    Autostart = "Autostart", Dword, Some("autostart");
    /// 1: desktop notifications on, 0: off.
    Notifications = "Notifications", Dword, Some("notifications");
    /// `de` or `en`.
    Language = "Language", Text, Some("language");
}

/// A value as the registry or the policy file holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawValue {
    /// `REG_DWORD`, or a JSON number or boolean.
    Number(u64),
    /// `REG_SZ`/`REG_EXPAND_SZ`, or a JSON string.
    Text(String),
    /// `REG_MULTI_SZ`, or a JSON array of strings.
    List(Vec<String>),
}

/// The policies in force, each with where it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Warning days.
    pub warning_days: Option<i64>,
    /// Critical days.
    pub critical_days: Option<i64>,
    /// Renewal reminder days.
    pub renewal_reminder_days: Option<i64>,
    /// `system`, `none` or a proxy URL (checked where the proxy is chosen).
    pub proxy: Option<String>,
    /// Allowed shop hosts, lower case.
    pub allowed_shop_hosts: Option<Vec<String>>,
    /// No orders, tickets or account changes.
    pub read_only: bool,
    /// Autostart forced on or off.
    pub autostart: Option<bool>,
    /// Notifications forced on or off.
    pub notifications: Option<bool>,
    /// The UI language.
    pub language: Option<Language>,
    /// Where each policy in force was read (`HKLM\…`, `HKCU\…`, the file's path).
    pub origins: BTreeMap<PolicyName, String>,
    /// Policies that were set but could not be used, in words: ignored, and reported.
    pub problems: Vec<String>,
}

/// The longest window a day count may have (a billing period is a year).
const MAX_DAYS: u64 = 366;

impl Policy {
    /// The policies from a lookup that answers each name with its raw value and where it was
    /// found. Every check of a value lives here, for the registry and the file alike.
    pub fn from_lookup(mut lookup: impl FnMut(PolicyName) -> Option<(RawValue, String)>) -> Self {
        let mut policy = Policy::default();
        for &name in PolicyName::ALL {
            let Some((raw, origin)) = lookup(name) else {
                continue;
            };
            match policy.take(name, raw) {
                Ok(()) => {
                    policy.origins.insert(name, origin);
                }
                Err(problem) => policy
                    .problems
                    .push(format!("{origin}\\{}: {problem}; ignored", name.as_str())),
            }
        }
        policy
    }

    fn take(&mut self, name: PolicyName, raw: RawValue) -> Result<(), String> {
        use PolicyName as P;
        match name {
            P::WarningDays => self.warning_days = Some(days(raw)?),
            P::CriticalDays => self.critical_days = Some(days(raw)?),
            P::RenewalReminderDays => self.renewal_reminder_days = Some(days(raw)?),
            P::Proxy => {
                let proxy = text(raw)?;
                crate::client::ProxyChoice::parse(&proxy).map_err(|e| e.to_string())?;
                self.proxy = Some(proxy);
            }
            P::AllowedShopHosts => {
                let hosts: Vec<String> = list(raw)?
                    .into_iter()
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect();
                if hosts.is_empty() {
                    return Err("an empty list would allow no shop".into());
                }
                self.allowed_shop_hosts = Some(hosts);
            }
            P::ReadOnly => self.read_only = switch(raw)?,
            P::Autostart => self.autostart = Some(switch(raw)?),
            P::Notifications => self.notifications = Some(switch(raw)?),
            P::Language => {
                self.language = Some(match text(raw)?.to_ascii_lowercase().as_str() {
                    "de" => Language::De,
                    "en" => Language::En,
                    other => return Err(format!("{other:?} is not de or en")),
                })
            }
        }
        Ok(())
    }

    /// True when a policy sets this field of [`Settings`].
    pub fn locks(&self, setting: &str) -> bool {
        self.origins
            .keys()
            .any(|name| name.setting() == Some(setting))
    }

    /// The settings in force: each policy over the user's value. A critical threshold that a
    /// policy's warning threshold would leave above it is lowered to it, so the pair stays
    /// valid (the policy wins; docs/deployment.md).
    pub fn apply(&self, user: &Settings) -> Settings {
        let mut settings = user.clone();
        if let Some(days) = self.warning_days {
            settings.warning_days = days;
        }
        if let Some(days) = self.critical_days {
            settings.critical_days = days;
        }
        if settings.critical_days > settings.warning_days {
            if self.critical_days.is_some() && self.warning_days.is_none() {
                settings.warning_days = settings.critical_days;
            } else {
                settings.critical_days = settings.warning_days;
            }
        }
        if let Some(days) = self.renewal_reminder_days {
            settings.renewal_reminder_days = days;
        }
        if let Some(proxy) = &self.proxy {
            settings.proxy = proxy.clone();
        }
        if let Some(on) = self.autostart {
            settings.autostart = on;
        }
        if let Some(on) = self.notifications {
            settings.notifications = on;
        }
        if let Some(language) = self.language {
            settings.language = language;
        }
        settings
    }

    /// The user's new settings with every locked field kept at the user's stored value: what
    /// the settings page sends for a locked field is the policy's value, which must not become
    /// the user's own once the policy is lifted.
    pub fn keep_locked(&self, stored: &Settings, wanted: Settings) -> Settings {
        // Field by field through the names `PolicyName::setting` gives: one list of what each
        // policy locks, here and in `locks`.
        let as_map = |settings: &Settings| match serde_json::to_value(settings) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        };
        let (Some(stored), Some(mut kept)) = (as_map(stored), as_map(&wanted)) else {
            return wanted;
        };
        for field in self.origins.keys().filter_map(|name| name.setting()) {
            if let Some(value) = stored.get(field) {
                kept.insert(field.to_string(), value.clone());
            }
        }
        serde_json::from_value(serde_json::Value::Object(kept)).unwrap_or(wanted)
    }

    /// True when accounts may use this shop host (`host[:port]`).
    pub fn allows_shop_host(&self, host: &str) -> bool {
        self.allowed_shop_hosts
            .as_ref()
            .is_none_or(|hosts| hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
    }

    /// What the UI needs to know (docs/ipc.md `PolicyView`).
    pub fn view(&self) -> PolicyView {
        PolicyView {
            locked: self
                .origins
                .iter()
                .filter_map(|(name, origin)| Some((name.setting()?.to_string(), origin.clone())))
                .collect(),
            read_only: self.read_only,
            read_only_origin: self.origins.get(&PolicyName::ReadOnly).cloned(),
            allowed_shop_hosts: self.allowed_shop_hosts.clone().unwrap_or_default(),
            problems: self.problems.clone(),
        }
    }

    /// The policies of this computer: the registry on Windows, the policy file elsewhere.
    pub fn load() -> Self {
        #[cfg(windows)]
        {
            registry::load()
        }
        #[cfg(not(windows))]
        {
            let path = policy_file_path();
            Self::from_file(&path)
        }
    }

    /// The policies of a JSON file (`{"WarningDays": 45, "ReadOnly": true, …}`); no file is no
    /// policy, a damaged file is a problem and no policy.
    pub fn from_file(path: &std::path::Path) -> Self {
        let origin = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::default(),
            Err(e) => return Self::problem(format!("{origin}: {e}; no policy applied")),
        };
        let object: serde_json::Map<String, serde_json::Value> =
            match serde_json::from_slice(&bytes) {
                Ok(object) => object,
                Err(e) => {
                    return Self::problem(format!(
                        "{origin}: not a JSON object ({e}); no policy applied"
                    ))
                }
            };
        let mut policy = Self::from_lookup(|name| {
            let value = object.get(name.as_str())?;
            Some((raw_of_json(value), origin.clone()))
        });
        for key in object.keys() {
            if !PolicyName::ALL.iter().any(|n| n.as_str() == key) {
                policy
                    .problems
                    .push(format!("{origin}: unknown policy {key:?}; ignored"));
            }
        }
        policy
    }

    fn problem(text: String) -> Self {
        Self {
            problems: vec![text],
            ..Self::default()
        }
    }
}

/// The policy file to read (debug builds honour [`POLICY_FILE_ENV`]).
#[cfg(not(windows))]
fn policy_file_path() -> std::path::PathBuf {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os(POLICY_FILE_ENV).filter(|p| !p.is_empty()) {
        return path.into();
    }
    POLICY_FILE.into()
}

fn raw_of_json(value: &serde_json::Value) -> RawValue {
    use serde_json::Value as V;
    match value {
        V::Bool(on) => RawValue::Number(u64::from(*on)),
        V::Number(n) => n
            .as_u64()
            .map_or_else(|| RawValue::Text(n.to_string()), RawValue::Number),
        V::String(s) => RawValue::Text(s.clone()),
        V::Array(items) => RawValue::List(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect(),
        ),
        other => RawValue::Text(other.to_string()),
    }
}

fn days(raw: RawValue) -> Result<i64, String> {
    match raw {
        RawValue::Number(n) if n <= MAX_DAYS => Ok(n as i64),
        RawValue::Number(n) => Err(format!("{n} is more than {MAX_DAYS} days")),
        other => Err(format!("{other:?} is not a number of days")),
    }
}

fn switch(raw: RawValue) -> Result<bool, String> {
    match raw {
        RawValue::Number(0) => Ok(false),
        RawValue::Number(1) => Ok(true),
        other => Err(format!("{other:?} is neither 0 nor 1")),
    }
}

fn text(raw: RawValue) -> Result<String, String> {
    match raw {
        RawValue::Text(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        other => Err(format!("{other:?} is not a text")),
    }
}

fn list(raw: RawValue) -> Result<Vec<String>, String> {
    match raw {
        RawValue::List(items) => Ok(items),
        // A single REG_SZ host is taken as a list of one: a common slip in GPO editors.
        RawValue::Text(text) => Ok(vec![text]),
        other => Err(format!("{other:?} is not a list of hosts")),
    }
}

/// What the UI shows of the policies: which settings are locked and by whom, read-only mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PolicyView {
    /// Settings field (`warning_days`, …) → where the policy that locks it was read.
    pub locked: BTreeMap<String, String>,
    /// No orders, tickets or account changes.
    pub read_only: bool,
    /// Where the read-only policy was read.
    pub read_only_origin: Option<String>,
    /// The only shop hosts accounts may use (empty: any).
    pub allowed_shop_hosts: Vec<String>,
    /// Policies that were set but ignored, in words.
    pub problems: Vec<String>,
}

/// Where an effective setting came from (`fe2-license status --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// Nobody set it.
    Default,
    /// The user's settings file.
    Settings,
    /// A central policy.
    Policy,
}

/// One effective setting with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingOrigin {
    /// The value in force.
    pub value: serde_json::Value,
    /// Who set it.
    pub source: SettingSource,
    /// Where: the registry key or policy file, or the settings file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

#[cfg(windows)]
mod registry {
    //! The policies in the registry: HKLM first, then HKCU, value by value.
    use super::{Policy, RawValue, REGISTRY_KEY};
    use windows_sys::Win32::Foundation::ERROR_SUCCESS;
    use windows_sys::Win32::System::Registry::{
        RegGetValueW, HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, REG_DWORD, REG_EXPAND_SZ,
        REG_MULTI_SZ, REG_SZ, RRF_RT_ANY,
    };

    /// A policy value larger than this is not a real policy: read no further.
    const MAX_VALUE_BYTES: u32 = 64 * 1024;

    pub(super) fn load() -> Policy {
        let hives = [(HKEY_LOCAL_MACHINE, "HKLM"), (HKEY_CURRENT_USER, "HKCU")];
        Policy::from_lookup(|name| {
            hives.iter().find_map(|&(hive, hive_name)| {
                let value = read(hive, name.as_str())?;
                Some((value, format!(r"{hive_name}\{REGISTRY_KEY}")))
            })
        })
    }

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// One value of the policy key in a hive; `None` when the key or value does not exist.
    fn read(hive: HKEY, name: &str) -> Option<RawValue> {
        let key = wide(REGISTRY_KEY);
        let value = wide(name);
        let mut kind = 0u32;
        let mut size = 0u32;
        // SAFETY: null data asks only for the type and size; the strings are NUL-terminated.
        let status = unsafe {
            RegGetValueW(
                hive,
                key.as_ptr(),
                value.as_ptr(),
                RRF_RT_ANY,
                &mut kind,
                std::ptr::null_mut(),
                &mut size,
            )
        };
        if status != ERROR_SUCCESS || size > MAX_VALUE_BYTES {
            return None;
        }
        let mut buffer = vec![0u8; size as usize + 2];
        let mut size = buffer.len() as u32;
        // SAFETY: the buffer is `size` bytes long, as RegGetValueW is told.
        let status = unsafe {
            RegGetValueW(
                hive,
                key.as_ptr(),
                value.as_ptr(),
                RRF_RT_ANY,
                &mut kind,
                buffer.as_mut_ptr().cast(),
                &mut size,
            )
        };
        if status != ERROR_SUCCESS {
            return None;
        }
        buffer.truncate(size as usize);
        let units: Vec<u16> = buffer
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let strings = || {
            units
                .split(|&u| u == 0)
                .filter(|s| !s.is_empty())
                .map(String::from_utf16_lossy)
                .collect::<Vec<_>>()
        };
        Some(match kind {
            REG_DWORD if buffer.len() >= 4 => RawValue::Number(u64::from(u32::from_le_bytes([
                buffer[0], buffer[1], buffer[2], buffer[3],
            ]))),
            REG_SZ | REG_EXPAND_SZ => {
                RawValue::Text(strings().into_iter().next().unwrap_or_default())
            }
            REG_MULTI_SZ => RawValue::List(strings()),
            other => RawValue::Text(format!("<registry type {other}>")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(
        values: &[(PolicyName, RawValue)],
    ) -> impl FnMut(PolicyName) -> Option<(RawValue, String)> + '_ {
        move |name| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v.clone(), r"HKLM\X".to_string()))
        }
    }

    #[test]
    fn values_are_checked_and_bad_ones_reported() {
        use PolicyName as P;
        let policy = Policy::from_lookup(lookup(&[
            (P::WarningDays, RawValue::Number(45)),
            (P::CriticalDays, RawValue::Number(400)),
            (P::ReadOnly, RawValue::Number(1)),
            (P::Autostart, RawValue::Number(2)),
            (P::Language, RawValue::Text("EN".into())),
            (
                P::AllowedShopHosts,
                RawValue::List(vec!["WWW.Alamos-GmbH.com".into(), " ".into()]),
            ),
            (P::Proxy, RawValue::Number(3)),
        ]));
        assert_eq!(policy.warning_days, Some(45));
        assert_eq!(policy.critical_days, None);
        assert!(policy.read_only);
        assert_eq!(policy.autostart, None);
        assert_eq!(policy.language, Some(Language::En));
        assert_eq!(
            policy.allowed_shop_hosts,
            Some(vec!["www.alamos-gmbh.com".to_string()])
        );
        assert_eq!(policy.problems.len(), 3, "{:?}", policy.problems);
        assert!(policy.problems[0].contains("CriticalDays"));
        assert!(policy.allows_shop_host("www.alamos-gmbh.com"));
        assert!(!policy.allows_shop_host("127.0.0.1:8080"));
        assert!(Policy::default().allows_shop_host("anything"));
    }

    #[test]
    fn a_policy_beats_the_settings_and_keeps_thresholds_valid() {
        let user = Settings {
            warning_days: 60,
            critical_days: 20,
            ..Settings::default()
        };
        let policy = Policy {
            warning_days: Some(10),
            notifications: Some(false),
            origins: [
                (PolicyName::WarningDays, "HKLM".to_string()),
                (PolicyName::Notifications, "HKLM".to_string()),
            ]
            .into(),
            ..Policy::default()
        };
        let effective = policy.apply(&user);
        assert_eq!((effective.warning_days, effective.critical_days), (10, 10));
        assert!(!effective.notifications);
        assert!(effective.validate().is_ok());
        let critical_only = Policy {
            critical_days: Some(90),
            ..Policy::default()
        };
        let effective = critical_only.apply(&user);
        assert_eq!((effective.warning_days, effective.critical_days), (90, 90));

        // What the page sends for locked fields never becomes the user's own value.
        let wanted = Settings {
            warning_days: 10,
            notifications: false,
            critical_days: 5,
            ..user.clone()
        };
        let kept = policy.keep_locked(&user, wanted);
        assert_eq!(kept.warning_days, 60);
        assert!(kept.notifications);
        assert_eq!(kept.critical_days, 5);
        assert_eq!(
            policy.view().locked.keys().collect::<Vec<_>>(),
            ["notifications", "warning_days"]
        );
    }

    #[test]
    fn the_policy_file_takes_the_registry_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        assert_eq!(Policy::from_file(&path), Policy::default());
        std::fs::write(
            &path,
            br#"{"WarningDays": 45, "ReadOnly": true, "AllowedShopHosts": ["shop.example"],
                "Proxy": "none", "Language": "en", "Colour": "red"}"#,
        )
        .unwrap();
        let policy = Policy::from_file(&path);
        assert_eq!(policy.warning_days, Some(45));
        assert!(policy.read_only);
        assert_eq!(policy.proxy.as_deref(), Some("none"));
        assert_eq!(
            policy.origins[&PolicyName::ReadOnly],
            path.display().to_string()
        );
        assert_eq!(policy.problems.len(), 1);
        assert!(policy.problems[0].contains("Colour"));
        std::fs::write(&path, b"[1]").unwrap();
        let broken = Policy::from_file(&path);
        assert!(broken.origins.is_empty());
        assert!(broken.problems[0].contains("not a JSON object"));
    }

    #[test]
    fn every_policy_has_a_kind_and_a_unique_name() {
        let mut names: Vec<&str> = PolicyName::ALL.iter().map(|n| n.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PolicyName::ALL.len());
        for name in PolicyName::ALL {
            if let Some(field) = name.setting() {
                let settings = serde_json::to_value(Settings::default()).unwrap();
                assert!(settings.get(field).is_some(), "{field}");
            }
        }
    }
}
