//! Windows: the proxy as WinHTTP chooses it for this user, in the order browsers use: the
//! user's automatic configuration (a PAC script's address, or WPAD auto-detection), else the
//! user's proxy server with its exceptions, else the machine's WinHTTP proxy
//! (`netsh winhttp set proxy`), else direct. The list parsing is plain Rust (tested on every
//! system); the WinHTTP calls exist on Windows only.

use super::{ProxyDecision, ProxySource};
use reqwest::Url;

/// The proxy a WinHTTP proxy list gives for a `scheme` (`http`/`https`): entries separated by
/// `;` or white space, each `host:port` (every scheme) or `scheme=host:port`; the scheme's
/// own entry wins. `None` when no entry is an http(s) proxy (e.g. `socks=` only).
pub(super) fn pick_proxy(list: &str, scheme: &str) -> Option<Url> {
    let entries = list
        .split([';', ' ', '\t', '\r', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let mut general = None;
    for entry in entries {
        match entry.split_once('=') {
            Some((for_scheme, proxy)) if for_scheme.eq_ignore_ascii_case(scheme) => {
                return proxy_url(proxy);
            }
            Some(_) => {}
            None => general = general.or_else(|| proxy_url(entry)),
        }
    }
    general
}

/// One entry as a proxy URL (`http://` when it names no scheme).
fn proxy_url(entry: &str) -> Option<Url> {
    let text = if entry.contains("://") {
        entry.to_string()
    } else {
        format!("http://{entry}")
    };
    Url::parse(&text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// True when `host` is in a WinHTTP bypass list (`ProxyOverride`): entries separated by `;`
/// or white space, `*` matching any characters, case-insensitive; `<local>` matches host
/// names without a dot.
pub(super) fn bypassed(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    list.split([';', ' ', '\t', '\r', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry.eq_ignore_ascii_case("<local>") {
                !host.contains('.') && !host.contains(':')
            } else {
                let pattern = entry.split_once("://").map_or(entry, |(_, rest)| rest);
                glob(&pattern.to_ascii_lowercase(), &host.to_ascii_lowercase())
            }
        })
}

/// `*`-only wildcard match over bytes.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// A static proxy list with its bypass list: the decision for `target`.
pub(super) fn static_decision(
    target: &Url,
    proxies: &str,
    bypass: Option<&str>,
    (via, direct): (ProxySource, ProxySource),
) -> Option<ProxyDecision> {
    let proxy = pick_proxy(proxies, target.scheme())?;
    let host = target.host_str().unwrap_or_default();
    Some(if bypass.is_some_and(|list| bypassed(list, host)) {
        ProxyDecision::direct(direct)
    } else {
        ProxyDecision::via(proxy, via)
    })
}

#[cfg(windows)]
pub(super) use system::resolve;

#[cfg(windows)]
mod system {
    use super::{pick_proxy, static_decision, ProxyDecision, ProxySource};
    use crate::client::USER_AGENT;
    use reqwest::Url;
    use std::ffi::c_void;
    use windows_sys::core::PWSTR;
    use windows_sys::Win32::Foundation::{GetLastError, GlobalFree};
    use windows_sys::Win32::Networking::WinHttp::{
        WinHttpCloseHandle, WinHttpGetDefaultProxyConfiguration,
        WinHttpGetIEProxyConfigForCurrentUser, WinHttpGetProxyForUrl, WinHttpOpen,
        WinHttpSetTimeouts, ERROR_WINHTTP_AUTODETECTION_FAILED, WINHTTP_ACCESS_TYPE_NAMED_PROXY,
        WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_AUTOPROXY_AUTO_DETECT, WINHTTP_AUTOPROXY_CONFIG_URL,
        WINHTTP_AUTOPROXY_OPTIONS, WINHTTP_AUTO_DETECT_TYPE_DHCP, WINHTTP_AUTO_DETECT_TYPE_DNS_A,
        WINHTTP_CURRENT_USER_IE_PROXY_CONFIG, WINHTTP_PROXY_INFO,
    };

    /// Each step of a PAC resolution (name lookup, connect, send, receive), in milliseconds:
    /// an unreachable script must not hold a refresh for WinHTTP's default of minutes.
    const PAC_TIMEOUT_MS: i32 = 5_000;

    /// The decision for `target`. Blocks while a PAC script is found, fetched and run.
    pub fn resolve(target: &Url) -> ProxyDecision {
        let mut note = None;
        if let Some(user) = UserConfig::read() {
            if user.auto_detect || user.script.is_some() {
                match pac(target, user.auto_detect, user.script.as_deref()) {
                    Ok(decision) => return decision,
                    // "Automatically detect settings" is on by default; a network without
                    // WPAD is the usual case, not worth a note.
                    Err(ERROR_WINHTTP_AUTODETECTION_FAILED) if user.script.is_none() => {}
                    Err(code) => {
                        note = Some(format!(
                            "the automatic proxy configuration failed (WinHTTP error {code})"
                        ))
                    }
                }
            }
            let user_static = user.proxy.as_deref().and_then(|proxies| {
                static_decision(
                    target,
                    proxies,
                    user.bypass.as_deref(),
                    (ProxySource::WindowsUser, ProxySource::WindowsUserBypass),
                )
            });
            if let Some(decision) = user_static {
                return decision.noting(note);
            }
        }
        machine(target)
            .unwrap_or_else(|| ProxyDecision::direct(ProxySource::NoSystemProxy))
            .noting(note)
    }

    /// The user's settings as WinHTTP reads them (Internet Options / Settings > Proxy).
    struct UserConfig {
        auto_detect: bool,
        script: Option<String>,
        proxy: Option<String>,
        bypass: Option<String>,
    }

    impl UserConfig {
        fn read() -> Option<Self> {
            let mut raw = WINHTTP_CURRENT_USER_IE_PROXY_CONFIG::default();
            // SAFETY: `raw` is a valid out-parameter; on success its strings are ours to free,
            // which `take` does exactly once each.
            let ok = unsafe { WinHttpGetIEProxyConfigForCurrentUser(&mut raw) } != 0;
            let config = Self {
                auto_detect: raw.fAutoDetect != 0,
                script: take(raw.lpszAutoConfigUrl),
                proxy: take(raw.lpszProxy),
                bypass: take(raw.lpszProxyBypass),
            };
            ok.then_some(config)
        }
    }

    /// The machine's WinHTTP proxy, `None` when it names none.
    fn machine(target: &Url) -> Option<ProxyDecision> {
        let mut info = WINHTTP_PROXY_INFO::default();
        // SAFETY: as in `UserConfig::read`.
        let ok = unsafe { WinHttpGetDefaultProxyConfiguration(&mut info) } != 0;
        let (proxies, bypass) = (take(info.lpszProxy), take(info.lpszProxyBypass));
        if !ok || info.dwAccessType != WINHTTP_ACCESS_TYPE_NAMED_PROXY {
            return None;
        }
        static_decision(
            target,
            &proxies?,
            bypass.as_deref(),
            (
                ProxySource::WinHttpMachine,
                ProxySource::WinHttpMachineBypass,
            ),
        )
    }

    /// Runs the PAC script (from `script`, or found by WPAD when `auto_detect`) for `target`;
    /// `Err` is WinHTTP's error code.
    fn pac(target: &Url, auto_detect: bool, script: Option<&str>) -> Result<ProxyDecision, u32> {
        let session = Session::open()?;
        let script_wide = script.map(wide);
        let mut options = WINHTTP_AUTOPROXY_OPTIONS {
            dwFlags: 0,
            dwAutoDetectFlags: 0,
            lpszAutoConfigUrl: std::ptr::null(),
            lpvReserved: std::ptr::null_mut(),
            dwReserved: 0,
            // The PAC server may ask for the user's Windows logon (NTLM/Negotiate).
            fAutoLogonIfChallenged: 1,
        };
        if auto_detect {
            options.dwFlags |= WINHTTP_AUTOPROXY_AUTO_DETECT;
            options.dwAutoDetectFlags =
                WINHTTP_AUTO_DETECT_TYPE_DHCP | WINHTTP_AUTO_DETECT_TYPE_DNS_A;
        }
        if let Some(script) = &script_wide {
            options.dwFlags |= WINHTTP_AUTOPROXY_CONFIG_URL;
            options.lpszAutoConfigUrl = script.as_ptr();
        }
        let url = wide(target.as_str());
        let mut info = WINHTTP_PROXY_INFO::default();
        // SAFETY: the session is open, the strings are NUL-terminated and outlive the call,
        // `info` is a valid out-parameter whose strings `take` frees.
        let ok =
            unsafe { WinHttpGetProxyForUrl(session.0, url.as_ptr(), &mut options, &mut info) } != 0;
        let error = last_error();
        let (proxies, _bypass) = (take(info.lpszProxy), take(info.lpszProxyBypass));
        if !ok {
            return Err(error);
        }
        let source = ProxySource::WindowsPac {
            script: script.map(str::to_string),
        };
        let chosen = proxies
            .filter(|_| info.dwAccessType != WINHTTP_ACCESS_TYPE_NO_PROXY)
            .map(|list| pick_proxy(&list, target.scheme()));
        Ok(match chosen {
            Some(Some(proxy)) => ProxyDecision::via(proxy, source),
            Some(None) => ProxyDecision::direct(source)
                .noting(Some("the PAC script named no http(s) proxy".into())),
            None => ProxyDecision::direct(source),
        })
    }

    /// A WinHTTP session, closed on drop.
    struct Session(*mut c_void);

    impl Session {
        fn open() -> Result<Self, u32> {
            let agent = wide(USER_AGENT);
            // SAFETY: the agent string is NUL-terminated; null proxy strings are allowed for
            // WINHTTP_ACCESS_TYPE_NO_PROXY.
            let handle = unsafe {
                WinHttpOpen(
                    agent.as_ptr(),
                    WINHTTP_ACCESS_TYPE_NO_PROXY,
                    std::ptr::null(),
                    std::ptr::null(),
                    0,
                )
            };
            if handle.is_null() {
                return Err(last_error());
            }
            let session = Self(handle);
            // SAFETY: a valid session handle. Failing leaves WinHTTP's defaults: still usable.
            unsafe {
                WinHttpSetTimeouts(
                    session.0,
                    PAC_TIMEOUT_MS,
                    PAC_TIMEOUT_MS,
                    PAC_TIMEOUT_MS,
                    PAC_TIMEOUT_MS,
                )
            };
            Ok(session)
        }
    }

    impl Drop for Session {
        fn drop(&mut self) {
            // SAFETY: the handle came from WinHttpOpen and is closed once.
            unsafe { WinHttpCloseHandle(self.0) };
        }
    }

    fn last_error() -> u32 {
        // SAFETY: reads the calling thread's last error code.
        unsafe { GetLastError() }
    }

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// The text of a string WinHTTP allocated (`None` for null or empty); frees it.
    fn take(text: PWSTR) -> Option<String> {
        if text.is_null() {
            return None;
        }
        // SAFETY: WinHTTP returns NUL-terminated strings allocated with GlobalAlloc.
        let value = unsafe {
            let len = (0..).take_while(|&i| *text.add(i) != 0).count();
            String::from_utf16_lossy(std::slice::from_raw_parts(text, len))
        };
        // SAFETY: freed once, as WinHTTP's documentation asks.
        unsafe { GlobalFree(text.cast()) };
        Some(value).filter(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_list_gives_the_schemes_entry_first() {
        let pick = |list: &str, scheme: &str| pick_proxy(list, scheme).map(|u| u.to_string());
        assert_eq!(
            pick("proxy.stadt.de:8080", "https").as_deref(),
            Some("http://proxy.stadt.de:8080/")
        );
        let list = "http=p1:8081;https=p2:3128;ftp=p3:21";
        assert_eq!(pick(list, "https").as_deref(), Some("http://p2:3128/"));
        assert_eq!(pick(list, "http").as_deref(), Some("http://p1:8081/"));
        assert_eq!(
            pick("socks=s:1080 general:8080", "https").as_deref(),
            Some("http://general:8080/")
        );
        assert_eq!(pick("socks=s:1080", "https"), None);
        assert_eq!(pick("", "https"), None);
        // PAC results: a list, the first usable entry.
        assert_eq!(
            pick("p1:8080; p2:8080", "https").as_deref(),
            Some("http://p1:8080/")
        );
    }

    #[test]
    fn the_bypass_list_matches_like_windows() {
        let list = "<local>;*.stadt.de;10.*; intranet.kreis.de";
        for (host, expected) in [
            ("fileserver", true),
            ("www.stadt.de", true),
            ("stadt.de", false),
            ("10.1.2.3", true),
            ("110.1.2.3", false),
            ("INTRANET.kreis.de", true),
            ("www.alamos-gmbh.com", false),
            ("[::1]", false),
        ] {
            assert_eq!(bypassed(list, host), expected, "{host}");
        }
        assert!(bypassed("http://*.example", "a.example"));
        assert!(!bypassed("", "a.example"));
    }

    #[test]
    fn a_static_proxy_goes_direct_for_bypassed_hosts() {
        let sources = (ProxySource::WindowsUser, ProxySource::WindowsUserBypass);
        let target = Url::parse("https://www.alamos-gmbh.com/").unwrap();
        let decision = static_decision(&target, "p:8080", Some("<local>"), sources.clone());
        assert_eq!(decision.unwrap().source, ProxySource::WindowsUser);
        let decision = static_decision(&target, "p:8080", Some("*.alamos-gmbh.com"), sources);
        assert_eq!(decision.unwrap().proxy, None);
    }
}
