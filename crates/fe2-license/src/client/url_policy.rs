//! Which shop URLs the client talks to: `https://`, and plain `http://` only on this computer
//! (loopback), so a password never crosses a network unencrypted.

use crate::error::{Error, Result};
use reqwest::Url;

/// Accepts a shop's base URL: a web URL ([`check_web_url`]) without query or fragment, which
/// would break every API path and link appended to it.
pub fn check_shop_url(shop_url: &str) -> Result<Url> {
    let url = check_web_url(shop_url)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidUrl(redact_url(shop_url)));
    }
    Ok(url)
}

/// Accepts `https://` URLs, and `http://` only for loopback hosts (127.0.0.0/8, ::1, localhost);
/// never one with a user name or password in it.
pub fn check_web_url(web_url: &str) -> Result<Url> {
    let invalid = || Error::InvalidUrl(redact_url(web_url));
    let url = Url::parse(web_url.trim()).map_err(|_| invalid())?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(invalid)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid());
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(host) => Ok(url),
        "http" => Err(Error::InsecureUrl(host.to_string())),
        _ => Err(invalid()),
    }
}

/// The longest URL text an error repeats.
const MAX_ECHOED_URL_CHARS: usize = 200;

/// A URL as an error may repeat it: any `user:password@` before the host replaced by `***@`,
/// cut to 200 characters. A URL with a host is redacted as parsed (`https:/u:pw@h/` has the
/// credentials `u:pw` although it lacks a slash); other text by the text rule (`redact_text`).
pub fn redact_url(text: &str) -> String {
    let redacted = match Url::parse(text) {
        Ok(mut url) if url.has_host() => {
            if !url.username().is_empty() || url.password().is_some() {
                // Both only fail for URLs without a host.
                let _ = url.set_password(None);
                let _ = url.set_username("***");
            }
            url.to_string()
        }
        _ => redact_text(text),
    };
    redacted.chars().take(MAX_ECHOED_URL_CHARS).collect()
}

/// Text that is no URL with a host: everything before the last `@` of what would be the
/// authority (after `scheme:` and its slashes, else from the start) replaced by `***`.
fn redact_text(text: &str) -> String {
    let authority_start = text
        .split_once(':')
        .filter(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && rest.starts_with(['/', '\\'])
        })
        .map_or(0, |(_, rest)| {
            text.len() - rest.trim_start_matches(['/', '\\']).len()
        });
    let rest = &text[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_len].rfind('@') {
        Some(at) => format!("{}***{}", &text[..authority_start], &rest[at..]),
        None => text.to_string(),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://www.alamos-gmbh.com",
            "http://127.0.0.1:8080",
            "http://127.3.4.5/",
            "http://localhost:1/",
            "http://[::1]:8080/",
        ] {
            assert!(check_shop_url(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("http://www.alamos-gmbh.com", "insecure_url"),
            ("http://10.0.0.1", "insecure_url"),
            ("http://127.0.0.1.example.com", "insecure_url"),
            ("ftp://x.de", "invalid_url"),
            ("www.alamos-gmbh.com", "invalid_url"),
            ("https://user:pw@x.de", "invalid_url"),
            ("https://x.de/?a=1", "invalid_url"),
            ("https://x.de/#top", "invalid_url"),
            ("https://x.de/shop?", "invalid_url"),
        ] {
            assert_eq!(check_shop_url(bad).unwrap_err().code(), code, "{bad}");
        }
        // A link may carry a query (the support form's topic); a base URL may not.
        assert!(check_web_url("https://x.de/open.php?topicId=12").is_ok());
    }

    #[test]
    fn a_refused_url_never_repeats_its_credentials() {
        for bad in [
            "https://admin:Geheim99@shop.example/",
            "https://admin:Geheim99@shop example/",
            "ftp://admin:Geheim99@shop.example",
            "http://admin:Geheim99@10.0.0.1/",
            "admin:Geheim99@shop.example",
            "https://a@b:Geheim99@shop.example/x?y=z@w",
        ] {
            let error = check_shop_url(bad).unwrap_err();
            let said = format!("{error} {}", error.details());
            assert!(!said.contains("Geheim99"), "{bad}: {said}");
        }
        assert_eq!(
            redact_url("https://u:p@shop.example/a@b"),
            "https://***@shop.example/a@b"
        );
        assert_eq!(redact_url("https://shop.example/"), "https://shop.example/");
        assert_eq!(redact_url(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn credentials_are_redacted_however_many_slashes_follow_the_scheme() {
        for (text, redacted) in [
            ("https:/u:Geheim99@h/", "https://***@h/"),
            ("https:///u:Geheim99@h/", "https://***@h/"),
            ("https:u:Geheim99@h/", "https://***@h/"),
            ("https:\\\\u:Geheim99@h/", "https://***@h/"),
            // Not a URL: everything before the authority's last `@` is masked.
            ("x:/u:Geheim99@h:99999/", "x:/***@h:99999/"),
            ("https://u:Gehe im99@h/", "https://***@h/"),
            ("admin:Geheim99@shop.example", "***@shop.example"),
        ] {
            assert_eq!(redact_url(text), redacted, "{text}");
        }
    }
}
