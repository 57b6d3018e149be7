//! Which shop URLs the client talks to: `https://`, and plain `http://` only on this computer
//! (loopback), so a password never crosses a network unencrypted.

use crate::error::{Error, Result};
use reqwest::Url;

/// Accepts `https://` URLs, and `http://` only for loopback hosts (127.0.0.0/8, ::1, localhost).
pub fn check_shop_url(shop_url: &str) -> Result<Url> {
    let invalid = || Error::InvalidUrl(shop_url.chars().take(200).collect());
    let url = Url::parse(shop_url.trim()).map_err(|_| invalid())?;
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
        ] {
            assert_eq!(check_shop_url(bad).unwrap_err().code(), code, "{bad}");
        }
    }
}
