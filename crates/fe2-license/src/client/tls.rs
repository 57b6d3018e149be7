//! TLS as reqwest does it (rustls with the OS certificate store through
//! rustls-platform-verifier), with one addition: when the chain ends at an issuer this computer
//! does not trust, the error names that issuer, so a TLS-inspecting proxy's CA can be named to
//! IT (`tls_intercepted`, docs/proxy.md). Everything else the platform verifier decides.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// The most characters of an issuer's name an error repeats.
const MAX_NAME_CHARS: usize = 200;

/// The rustls configuration of the HTTP client: TLS 1.2 and 1.3 with ring, the platform
/// verifier (wrapped), HTTP/1.1 by ALPN: what reqwest builds itself with our features.
pub(super) fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    // ring rather than reqwest's default aws-lc-rs (a large static C library): the same TLS
    // for megabytes less binary.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = NamingVerifier(rustls_platform_verifier::Verifier::new(provider.clone())?);
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A chain that ends at an issuer this computer does not trust (rustls' `UnknownIssuer`),
/// with that issuer's name; it travels inside rustls' error as `CertificateError::Other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UntrustedIssuer {
    /// The distinguished name of the issuer of the topmost certificate presented.
    pub issuer: String,
    /// The server's own certificate is self-signed (not issued by any authority).
    pub self_signed: bool,
}

impl std::fmt::Display for UntrustedIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the certificate's issuer {:?} is not trusted by this computer (UnknownIssuer)",
            self.issuer
        )
    }
}

impl std::error::Error for UntrustedIssuer {}

/// The platform verifier, naming the issuer when it is unknown.
#[derive(Debug)]
struct NamingVerifier(rustls_platform_verifier::Verifier);

impl ServerCertVerifier for NamingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|error| match error {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                    let top = intermediates.last().unwrap_or(end_entity);
                    let named = UntrustedIssuer {
                        issuer: names(top)
                            .map(|(issuer, _)| issuer)
                            .unwrap_or_else(|| "(unreadable)".into()),
                        self_signed: names(end_entity)
                            .is_some_and(|(issuer, subject)| issuer == subject),
                    };
                    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                        Arc::new(named),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// One DER element: its tag, its contents and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: at most 4 length bytes (a certificate is far smaller than 4 GiB).
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, rest) = (rest.get(..count)?, rest.get(count..)?);
        let len = bytes
            .iter()
            .fold(0usize, |len, b| (len << 8) | usize::from(*b));
        (len, rest)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// The issuer's and the subject's distinguished names of a certificate (`None` when it cannot
/// be read): Certificate → tbsCertificate → [version], serial, signature, issuer, validity,
/// subject.
pub(super) fn names(certificate: &[u8]) -> Option<(String, String)> {
    const SEQUENCE: u8 = 0x30;
    let (SEQUENCE, certificate, _) = element(certificate)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let (tag, _, mut rest) = element(tbs)?;
    if tag == 0xa0 {
        // The explicit version; the serial number follows.
        rest = element(rest)?.2;
    }
    let (_, _, rest) = element(rest)?; // signature algorithm
    let (SEQUENCE, issuer, rest) = element(rest)? else {
        return None;
    };
    let (_, _, rest) = element(rest)?; // validity
    let (SEQUENCE, subject, _) = element(rest)? else {
        return None;
    };
    Some((distinguished_name(issuer)?, distinguished_name(subject)?))
}

/// A Name (RDNSequence) as RFC 4514 writes it: the last RDN first, `CN=…, O=…, C=DE`.
fn distinguished_name(mut rdns: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (_, mut set, rest) = element(rdns)?;
        rdns = rest;
        while !set.is_empty() {
            let (_, attribute, rest) = element(set)?;
            set = rest;
            let (_, oid, value) = element(attribute)?;
            let (tag, value, _) = element(value)?;
            if let Some(text) = string_value(tag, value) {
                parts.push(format!("{}={text}", attribute_name(oid)));
            }
        }
    }
    parts.reverse();
    let name: String = parts
        .join(", ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_NAME_CHARS)
        .collect();
    Some(name)
}

/// The text of a directory string; `None` for other types.
fn string_value(tag: u8, value: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => Some(String::from_utf8_lossy(value).into_owned()),
        // TeletexString, read as Latin-1 as most software does.
        0x14 => Some(value.iter().map(|b| char::from(*b)).collect()),
        // BMPString: UTF-16 big-endian.
        0x1e => Some(String::from_utf16_lossy(
            &value
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect::<Vec<_>>(),
        )),
        _ => None,
    }
}

/// The short name of an attribute type (RFC 4514 and common use), else its dotted OID.
fn attribute_name(oid: &[u8]) -> String {
    let known = match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x05] => "serialNumber",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19] => "DC",
        _ => return dotted(oid),
    };
    known.to_string()
}

/// An OID's dotted form (`2.5.4.97`).
fn dotted(oid: &[u8]) -> String {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for byte in oid {
        value = value.saturating_mul(128) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_and_subject_are_read_in_rfc_4514_order() {
        let mut params = rcgen::CertificateParams::new(vec!["shop.example".into()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, "DE");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Stadt Müsterstadt");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Proxy CA\u{7}");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (issuer, subject) = names(cert.der()).unwrap();
        assert_eq!(issuer, "CN=Proxy CA , O=Stadt Müsterstadt, C=DE");
        assert_eq!(issuer, subject);
    }

    #[test]
    fn any_bytes_are_read_without_panicking() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().to_vec();
        for cut in 0..der.len() {
            let _ = names(&der[..cut]);
        }
        for at in 0..der.len() {
            let mut flipped = der.clone();
            flipped[at] ^= 0xff;
            let _ = names(&flipped);
        }
        assert_eq!(element(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(element(&[0x30, 0x82, 0xff]), None);
        assert_eq!(dotted(&[0x55, 0x04, 0x61]), "2.5.4.97");
        assert_eq!(dotted(&[0x2a, 0x86, 0x48]), "1.2.840");
    }
}
