//! Which proxy a request takes, and why (docs/proxy.md). The choice comes from policy, settings
//! or the system; it is resolved once per shop origin and handed to reqwest as an explicit
//! proxy for exactly that origin, so what [`resolve_proxy`] reports is what is used.
//!
//! `System` reads the environment first (`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`,
//! with reqwest's own matcher), then on Windows the user's and the machine's WinHTTP settings
//! with PAC and WPAD (`windows.rs`).

use super::url_policy::redact_url;
use crate::error::{Error, Result};
use crate::secrets::{proxy_entry_user, ProxyCredential, SecretStore};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

// The list parsing is tested on every system; the WinHTTP calls exist on Windows only.
#[cfg(any(windows, test))]
mod windows;

/// How requests reach the shop: the system's proxy, none, or one given proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyChoice {
    /// The system's proxy: the environment; on Windows also WinHTTP (user, PAC/WPAD, machine).
    #[default]
    System,
    /// No proxy: every request goes directly (`none`).
    Direct,
    /// Every request through this proxy (`http://host:port` or `https://host:port`).
    Url(String),
}

impl ProxyChoice {
    /// Reads `system`, `none` or a proxy URL; anything else is `invalid_proxy`.
    pub fn parse(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("system") {
            Ok(Self::System)
        } else if trimmed.eq_ignore_ascii_case("none") {
            Ok(Self::Direct)
        } else {
            check_proxy_url(trimmed).map(|url| Self::Url(url.to_string()))
        }
    }
}

impl std::fmt::Display for ProxyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::System => f.write_str("system"),
            Self::Direct => f.write_str("none"),
            Self::Url(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl std::str::FromStr for ProxyChoice {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

impl Serialize for ProxyChoice {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProxyChoice {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Accepts a proxy URL: `http://` or `https://` with a host, an optional port and nothing else.
/// Credentials in it are refused: they belong in the keychain (`fe2-license proxy login`), not
/// in a policy or settings file.
pub fn check_proxy_url(text: &str) -> Result<Url> {
    let invalid = |why: &str| Error::InvalidProxy(format!("{}: {why}", redact_url(text)));
    let url =
        Url::parse(text.trim()).map_err(|_| invalid("use system, none or http://host:port"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http:// and https:// proxies are supported"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials belong in the keychain (fe2-license proxy login), not in the URL",
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a proxy URL has no path, query or fragment"));
    }
    Ok(url)
}

/// `host:port` of a proxy, as its keychain entry names it (`proxy@<host:port>`).
pub fn proxy_host_port(proxy: &Url) -> String {
    let host = proxy.host_str().unwrap_or_default();
    match proxy.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Why a request goes where it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProxySource {
    /// The proxy given as the choice (policy or settings).
    Explicit,
    /// `none` was chosen: no proxy.
    Direct,
    /// The system names no proxy for this address.
    NoSystemProxy,
    /// An environment variable names the proxy.
    Environment {
        /// `HTTPS_PROXY`, `https_proxy`, `HTTP_PROXY`, `http_proxy`, `ALL_PROXY` or `all_proxy`.
        variable: String,
    },
    /// The host matches the environment's bypass list: direct.
    EnvironmentBypass {
        /// `NO_PROXY` or `no_proxy`.
        variable: String,
    },
    /// Windows: the user's proxy server (Settings > Network > Proxy, Internet Options).
    WindowsUser,
    /// Windows: the host matches the user's bypass list: direct.
    WindowsUserBypass,
    /// Windows: the PAC script decided (its result may be direct).
    WindowsPac {
        /// The script's address; `None` when WPAD auto-detection found it.
        script: Option<String>,
    },
    /// Windows: the machine's WinHTTP proxy (`netsh winhttp set proxy`).
    WinHttpMachine,
    /// Windows: the host matches the machine's WinHTTP bypass list: direct.
    WinHttpMachineBypass,
}

impl std::fmt::Display for ProxySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Explicit => f.write_str("set by policy or settings"),
            Self::Direct => f.write_str("no proxy (set to none)"),
            Self::NoSystemProxy => f.write_str("the system names no proxy"),
            Self::Environment { variable } => write!(f, "environment variable {variable}"),
            Self::EnvironmentBypass { variable } => {
                write!(f, "direct: the host is in environment variable {variable}")
            }
            Self::WindowsUser => f.write_str("the user's Windows proxy setting"),
            Self::WindowsUserBypass => {
                f.write_str("direct: the host is in the user's Windows proxy exceptions")
            }
            Self::WindowsPac {
                script: Some(script),
            } => write!(f, "PAC script {}", redact_url(script)),
            Self::WindowsPac { script: None } => {
                f.write_str("PAC script found by automatic detection (WPAD)")
            }
            Self::WinHttpMachine => f.write_str("the machine's WinHTTP proxy"),
            Self::WinHttpMachineBypass => {
                f.write_str("direct: the host is in the machine's WinHTTP proxy exceptions")
            }
        }
    }
}

/// The proxy for one address and why (`fe2-license proxy show`, the doctor).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProxyDecision {
    /// The proxy, without any credentials; `None`: direct.
    #[serde(serialize_with = "url_text")]
    pub proxy: Option<Url>,
    /// Why.
    pub source: ProxySource,
    /// What else the resolution met (a PAC script that failed, a variable that is no URL).
    pub note: Option<String>,
}

fn url_text<S: serde::Serializer>(
    url: &Option<Url>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match url {
        Some(url) => serializer.serialize_str(url.as_str()),
        None => serializer.serialize_none(),
    }
}

impl ProxyDecision {
    fn direct(source: ProxySource) -> Self {
        Self {
            proxy: None,
            source,
            note: None,
        }
    }

    fn via(proxy: Url, source: ProxySource) -> Self {
        Self {
            proxy: Some(proxy),
            source,
            note: None,
        }
    }

    fn noting(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    /// The proxy as errors name it (`host:port` with its scheme), `None` when direct.
    pub fn proxy_text(&self) -> Option<String> {
        self.proxy
            .as_ref()
            .map(|p| format!("{}://{}", p.scheme(), proxy_host_port(p)))
    }
}

/// The proxy the choice gives for `target` and why. May block: on Windows a PAC script is
/// fetched and run (call it off the async runtime, e.g. `spawn_blocking`).
pub fn resolve_proxy(choice: &ProxyChoice, target: &Url) -> Result<ProxyDecision> {
    resolve(choice, target).map(|route| route.decision)
}

/// A resolution with the credentials a proxy URL in the environment carried.
struct Resolved {
    decision: ProxyDecision,
    credential: Option<ProxyCredential>,
}

impl From<ProxyDecision> for Resolved {
    fn from(decision: ProxyDecision) -> Self {
        Self {
            decision,
            credential: None,
        }
    }
}

fn resolve(choice: &ProxyChoice, target: &Url) -> Result<Resolved> {
    match choice {
        ProxyChoice::Direct => Ok(ProxyDecision::direct(ProxySource::Direct).into()),
        ProxyChoice::Url(url) => {
            Ok(ProxyDecision::via(check_proxy_url(url)?, ProxySource::Explicit).into())
        }
        ProxyChoice::System => Ok(from_environment(target, &|name| std::env::var(name).ok())
            .unwrap_or_else(|| from_os(target))),
    }
}

/// Without a proxy in the environment: the OS settings (Windows), else direct.
#[cfg(windows)]
fn from_os(target: &Url) -> Resolved {
    windows::resolve(target).into()
}

/// Without a proxy in the environment: direct (Linux and macOS read only the environment).
#[cfg(not(windows))]
fn from_os(_target: &Url) -> Resolved {
    ProxyDecision::direct(ProxySource::NoSystemProxy).into()
}

/// The environment's proxy for `target` as reqwest's matcher (hyper-util) decides it: the
/// first of `HTTPS_PROXY`/`https_proxy` (http: `HTTP_PROXY`/`http_proxy`) that is set, else
/// `ALL_PROXY`/`all_proxy`, unless `NO_PROXY`/`no_proxy` matches the host. `None` when no
/// variable names a usable proxy.
fn from_environment(target: &Url, env: &dyn Fn(&str) -> Option<String>) -> Option<Resolved> {
    use hyper_util::client::proxy::matcher::Matcher;
    let first = |names: [&'static str; 2]| {
        names
            .into_iter()
            .find_map(|name| env(name).map(|value| (name, value)))
    };
    let scheme_names = match target.scheme() {
        "https" => ["HTTPS_PROXY", "https_proxy"],
        _ => ["HTTP_PROXY", "http_proxy"],
    };
    let uri: http::Uri = target.as_str().parse().ok()?;
    let no_proxy = first(["NO_PROXY", "no_proxy"]);
    let mut unusable = None;
    for (name, value) in [first(scheme_names), first(["ALL_PROXY", "all_proxy"])]
        .into_iter()
        .flatten()
    {
        // The same matcher reqwest builds from these variables, one variable at a time.
        let usable = Matcher::builder()
            .all(value.as_str())
            .build()
            .intercept(&uri);
        let Some(intercept) = usable.filter(|i| is_http_proxy(i.uri())) else {
            if !value.trim().is_empty() {
                unusable = Some(format!("{name} is set but not an http(s) proxy URL"));
            }
            continue;
        };
        if let Some((no_name, list)) = &no_proxy {
            let bypassed = Matcher::builder()
                .all(value.as_str())
                .no(list.as_str())
                .build()
                .intercept(&uri)
                .is_none();
            if bypassed {
                let source = ProxySource::EnvironmentBypass {
                    variable: (*no_name).to_string(),
                };
                return Some(ProxyDecision::direct(source).noting(unusable).into());
            }
        }
        let proxy = Url::parse(&intercept.uri().to_string()).ok()?;
        let source = ProxySource::Environment {
            variable: name.to_string(),
        };
        return Some(Resolved {
            decision: ProxyDecision::via(proxy, source).noting(unusable),
            credential: credential_in(&value),
        });
    }
    unusable.map(|note| {
        ProxyDecision::direct(ProxySource::NoSystemProxy)
            .noting(Some(note))
            .into()
    })
}

/// SOCKS proxies (which reqwest's matcher also reads) are not built into this client.
fn is_http_proxy(uri: &http::Uri) -> bool {
    matches!(uri.scheme_str(), Some("http" | "https"))
}

/// `user:password@` of a proxy URL in the environment (curl's convention), percent-decoded.
fn credential_in(value: &str) -> Option<ProxyCredential> {
    let value = value.trim();
    let url = Url::parse(value)
        .ok()
        .filter(|u| u.has_host())
        .or_else(|| Url::parse(&format!("http://{value}")).ok())?;
    if url.username().is_empty() {
        return None;
    }
    Some(ProxyCredential {
        username: percent_decode(url.username()),
        password: percent_decode(url.password().unwrap_or_default()).into(),
    })
}

/// Percent-decoding of a URL's user or password (invalid UTF-8 replaced, as reqwest does).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The route of one shop origin: the decision, and the proxy URL reqwest connects to (with the
/// credentials, which are never shown).
pub(super) struct Route {
    /// What was decided, and why.
    pub decision: ProxyDecision,
    connect: Option<Url>,
    /// Credentials are sent to the proxy.
    pub authenticates: bool,
    /// The login as a Basic header value, for the doctor's own CONNECT.
    basic: Option<crate::secrets::Password>,
}

impl Route {
    /// `base64(user:password)` of the stored login for a `Proxy-Authorization: Basic` header.
    pub fn basic_login(&self) -> Option<crate::secrets::Password> {
        self.basic.clone()
    }

    fn new(resolved: Resolved, stored: Option<ProxyCredential>) -> Self {
        let credential = stored.or(resolved.credential);
        let connect = resolved.decision.proxy.clone().map(|mut url| {
            if let Some(credential) = &credential {
                // Only fails for URLs without a host, which a proxy never is.
                let _ = url.set_username(&credential.username);
                let _ = url.set_password(Some(credential.password.expose()));
            }
            url
        });
        let basic = credential.as_ref().map(|credential| {
            use base64::Engine;
            let pair = zeroize::Zeroizing::new(format!(
                "{}:{}",
                credential.username,
                credential.password.expose()
            ));
            base64::engine::general_purpose::STANDARD
                .encode(pair.as_bytes())
                .into()
        });
        Self {
            decision: resolved.decision,
            connect,
            authenticates: credential.is_some(),
            basic,
        }
    }
}

/// Resolves and remembers the route of every shop origin for one HTTP client, and answers
/// reqwest's per-request question from that memory.
pub(super) struct ProxyRouter {
    choice: ProxyChoice,
    secrets: Option<Arc<dyn SecretStore>>,
    routes: Mutex<HashMap<String, Arc<Route>>>,
}

impl ProxyRouter {
    /// A router for the choice; fails for an explicit proxy that is not a usable URL.
    pub fn new(choice: ProxyChoice, secrets: Option<Arc<dyn SecretStore>>) -> Result<Self> {
        if let ProxyChoice::Url(url) = &choice {
            check_proxy_url(url)?;
        }
        Ok(Self {
            choice,
            secrets,
            routes: Mutex::new(HashMap::new()),
        })
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Route>>> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The route to `target`'s origin: resolved off the async runtime on first use (a PAC
    /// script, a keychain read), then remembered for the client's life.
    pub async fn route(self: &Arc<Self>, target: &Url) -> Result<Arc<Route>> {
        let origin = target.origin().ascii_serialization();
        if let Some(route) = self.routes().get(&origin) {
            return Ok(route.clone());
        }
        let router = self.clone();
        let target = target.clone();
        let route = tokio::task::spawn_blocking(move || router.resolve_with_credential(&target))
            .await
            .map_err(|e| Error::Internal(format!("proxy resolution stopped: {e}")))??;
        let route = Arc::new(route);
        self.routes().insert(origin, route.clone());
        Ok(route)
    }

    fn resolve_with_credential(&self, target: &Url) -> Result<Route> {
        let resolved = resolve(&self.choice, target)?;
        // No stored credential, or a keychain that cannot be read: the proxy decides whether
        // it needs one (a 407 says so, and the route is then resolved again).
        let stored = match (&resolved.decision.proxy, &self.secrets) {
            (Some(proxy), Some(secrets)) => secrets
                .get_proxy(&proxy_entry_user(&proxy_host_port(proxy)))
                .ok(),
            _ => None,
        };
        Ok(Route::new(resolved, stored))
    }

    /// Forgets the routes, so that the next request resolves again and reads the keychain
    /// (after a 407, or after the credentials changed).
    pub fn forget(&self) {
        self.routes().clear();
    }

    /// reqwest's question for one request: the proxy URL of the target's origin. A request
    /// that was not routed first (every one through `ShopClient::send` is) is resolved here,
    /// without a keychain read, so it still goes where a report would say.
    pub fn proxy_for(&self, target: &Url) -> Option<Url> {
        let origin = target.origin().ascii_serialization();
        if let Some(route) = self.routes().get(&origin) {
            return route.connect.clone();
        }
        resolve(&self.choice, target)
            .ok()
            .and_then(|resolved| Route::new(resolved, None).connect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn decide(vars: &[(&str, &str)], target: &str) -> Option<ProxyDecision> {
        from_environment(&Url::parse(target).unwrap(), &env(vars)).map(|r| r.decision)
    }

    #[test]
    fn a_choice_reads_system_none_or_a_proxy_url() {
        assert_eq!(ProxyChoice::parse(" System "), Ok(ProxyChoice::System));
        assert_eq!(ProxyChoice::parse("none"), Ok(ProxyChoice::Direct));
        assert_eq!(
            ProxyChoice::parse("http://proxy.stadt.de:8080"),
            Ok(ProxyChoice::Url("http://proxy.stadt.de:8080/".into()))
        );
        assert_eq!(
            ProxyChoice::parse("https://proxy.stadt.de/"),
            Ok(ProxyChoice::Url("https://proxy.stadt.de/".into()))
        );
        for bad in [
            "",
            "direct",
            "proxy.stadt.de:8080",
            "socks5://proxy:1080",
            "ftp://proxy",
            "http://proxy:8080/pfad",
            "http://proxy:8080/?a=1",
            "http://:8080",
        ] {
            let error = ProxyChoice::parse(bad).unwrap_err();
            assert_eq!(error.code(), "invalid_proxy", "{bad}");
        }
        let error = ProxyChoice::parse("http://stadt:Geheim99@proxy:8080").unwrap_err();
        let said = format!("{error} {}", error.details());
        assert!(
            said.contains("keychain") && !said.contains("Geheim99"),
            "{said}"
        );
        let json: ProxyChoice = serde_json::from_str(r#""http://proxy:3128""#).unwrap();
        assert_eq!(
            serde_json::to_string(&json).unwrap(),
            r#""http://proxy:3128/""#
        );
        assert!(serde_json::from_str::<ProxyChoice>(r#""smtp://x""#).is_err());
    }

    #[test]
    fn direct_and_explicit_choices_need_no_system() {
        let target = Url::parse("https://shop.example/").unwrap();
        let direct = resolve_proxy(&ProxyChoice::Direct, &target).unwrap();
        assert_eq!((direct.proxy, direct.source), (None, ProxySource::Direct));
        let explicit =
            resolve_proxy(&ProxyChoice::Url("http://proxy:3128/".into()), &target).unwrap();
        assert_eq!(explicit.proxy_text().as_deref(), Some("http://proxy:3128"));
        assert_eq!(explicit.source, ProxySource::Explicit);
        let broken = resolve_proxy(&ProxyChoice::Url("nonsense".into()), &target);
        assert_eq!(broken.unwrap_err().code(), "invalid_proxy");
    }

    #[test]
    fn the_environment_is_read_as_reqwest_reads_it() {
        let https = "https://shop.example/wp-json";
        let decision = decide(&[("HTTPS_PROXY", "http://p1:3128")], https).unwrap();
        assert_eq!(decision.proxy_text().as_deref(), Some("http://p1:3128"));
        assert_eq!(
            decision.source,
            ProxySource::Environment {
                variable: "HTTPS_PROXY".into()
            }
        );
        // Upper case first; the scheme's variable before ALL_PROXY; no scheme means http://.
        let both = [
            ("HTTPS_PROXY", "p1:3128"),
            ("https_proxy", "http://p2:3128"),
        ];
        assert_eq!(
            decide(&both, https).unwrap().proxy_text().as_deref(),
            Some("http://p1:3128")
        );
        let all = [
            ("ALL_PROXY", "http://p3:8080"),
            ("HTTP_PROXY", "http://p4:80"),
        ];
        assert_eq!(
            decide(&all, https).unwrap().source,
            ProxySource::Environment {
                variable: "ALL_PROXY".into()
            }
        );
        assert_eq!(
            decide(&all, "http://shop.example/").unwrap().source,
            ProxySource::Environment {
                variable: "HTTP_PROXY".into()
            }
        );
        // NO_PROXY: the domain and its subdomains, IP networks, `*`.
        for (list, host, bypassed) in [
            ("shop.example", "https://shop.example/", true),
            (".example", "https://www.shop.example/", true),
            ("example", "https://notexample.de/", false),
            ("10.0.0.0/8", "https://10.1.2.3/", true),
            ("*", "https://anything.de/", true),
            ("", "https://shop.example/", false),
        ] {
            let vars = [("HTTPS_PROXY", "http://p1:3128"), ("no_proxy", list)];
            let decision = decide(&vars, host).unwrap();
            assert_eq!(decision.proxy.is_none(), bypassed, "{list} {host}");
            if bypassed {
                assert_eq!(
                    decision.source,
                    ProxySource::EnvironmentBypass {
                        variable: "no_proxy".into()
                    }
                );
            }
        }
        assert!(decide(&[], https).is_none());
        assert!(decide(&[("HTTP_PROXY", "http://p4:80")], https).is_none());
    }

    #[test]
    fn credentials_in_the_environment_are_used_but_never_shown() {
        let vars = [("HTTPS_PROXY", "http://stadt%40amt:Geh%3Aeim@p1:3128")];
        let target = Url::parse("https://shop.example/").unwrap();
        let resolved = from_environment(&target, &env(&vars)).unwrap();
        let credential = resolved.credential.clone().unwrap();
        assert_eq!(credential.username, "stadt@amt");
        assert_eq!(credential.password.expose(), "Geh:eim");
        let shown = serde_json::to_string(&resolved.decision).unwrap();
        assert!(
            !shown.contains("Geh") && !shown.contains("stadt"),
            "{shown}"
        );
        let route = Route::new(resolved, None);
        assert!(route.authenticates);
        let connect = route.connect.unwrap();
        assert_eq!(
            (connect.username(), connect.password()),
            ("stadt%40amt", Some("Geh%3Aeim"))
        );
        // A stored credential wins over the environment's.
        let resolved = from_environment(&target, &env(&vars)).unwrap();
        let stored = ProxyCredential {
            username: "keychain".into(),
            password: "x".into(),
        };
        let connect = Route::new(resolved, Some(stored)).connect.unwrap();
        assert_eq!(connect.username(), "keychain");
    }

    #[test]
    fn an_unusable_variable_is_noted_and_ignored() {
        let vars = [("HTTPS_PROXY", "socks5://p:1080")];
        let decision = decide(&vars, "https://shop.example/").unwrap();
        assert_eq!(decision.proxy, None);
        assert!(decision.note.unwrap().contains("HTTPS_PROXY"));
        let vars = [
            ("HTTPS_PROXY", "socks5://p:1080"),
            ("ALL_PROXY", "http://p2:1"),
        ];
        let decision = decide(&vars, "https://shop.example/").unwrap();
        assert_eq!(decision.proxy_text().as_deref(), Some("http://p2:1"));
    }

    #[test]
    fn the_keychain_entry_names_host_and_port() {
        for (url, key) in [
            ("http://Proxy.Stadt.de:8080", "proxy.stadt.de:8080"),
            ("http://proxy", "proxy:80"),
            ("https://proxy/", "proxy:443"),
            ("http://[::1]:3128", "[::1]:3128"),
        ] {
            assert_eq!(proxy_host_port(&check_proxy_url(url).unwrap()), key);
        }
        assert_eq!(percent_decode("a%zz%4"), "a%zz%4");
        assert_eq!(percent_decode("%C3%A4"), "ä");
    }
}
