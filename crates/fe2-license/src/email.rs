//! The one comparison of license e-mail addresses (docs/domain.md, Identity): lower-case, IDN
//! domain as punycode. Server, client, keychain entry names and the cache all use it.

use crate::error::Error;

/// The longest address we accept (RFC 5321 path limit).
const MAX_LEN: usize = 254;

/// Normalises an e-mail address so that two spellings of one address compare equal.
///
/// Returns `invalid_email` for anything that is not `local@domain.tld`.
pub fn normalize(address: &str) -> Result<String, Error> {
    let invalid = || Error::InvalidEmail(address.chars().take(80).collect());
    let trimmed = address.trim();
    if trimmed.is_empty() || trimmed.len() > MAX_LEN {
        return Err(invalid());
    }
    let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"<>()[]\\,;:\"".contains(c));
    if !local_ok {
        return Err(invalid());
    }
    let ascii_domain = idna::domain_to_ascii(domain).map_err(|_| invalid())?;
    let labels: Vec<&str> = ascii_domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !domain_ok {
        return Err(invalid());
    }
    Ok(format!("{}@{}", local.to_lowercase(), ascii_domain))
}

/// True when both addresses name the same license e-mail.
pub fn same(a: &str, b: &str) -> bool {
    matches!((normalize(a), normalize(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_punycodes() {
        assert_eq!(
            normalize(" Leitstelle@FF-Musterstadt.DE ").unwrap(),
            "leitstelle@ff-musterstadt.de"
        );
        assert_eq!(
            normalize("wehr@feuerwehr-müllheim.de").unwrap(),
            "wehr@xn--feuerwehr-mllheim-d3b.de"
        );
        assert!(same("A@Bü.de", "a@xn--b-eha.de"));
    }

    #[test]
    fn refuses_what_is_no_address() {
        for bad in [
            "", "a", "a@", "@b.de", "a@b", "a b@c.de", "a@b..de", "a@-b.de", "a@@b.de",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?} accepted");
        }
    }
}
