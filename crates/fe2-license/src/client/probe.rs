//! The network part of the doctor (docs/deployment.md, Doctor): the way to the shop taken one
//! step at a time, on the route the client's requests take: name resolution of the first hop
//! (the proxy, else the shop), the TCP connection (and the proxy's tunnel), the TLS handshake
//! with the certificate's subject and issuer. Each step says what it found; the first that
//! fails carries the error the client itself would have reported.

use super::proxy::Route;
use super::tls::{client_config, names, UntrustedIssuer};
use super::wire_errors::describe_tls;
use super::HttpClient;
use crate::error::Error;
use reqwest::Url;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The steps of the way to the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeStep {
    /// The first hop's name resolves.
    Dns,
    /// A TCP connection to the first hop (and the proxy's tunnel to the shop).
    Tcp,
    /// The TLS handshake with the shop, its certificate checked as every request checks it.
    Tls,
}

/// What one step found: facts in English (never a secret), or the error that stopped it.
/// `None` for a step that does not apply (no TLS to a loopback `http://` shop).
#[derive(Debug)]
pub struct ProbeResult {
    /// The step.
    pub step: ProbeStep,
    /// Passed (`Ok` with what was found), failed (the error), or not applicable (`None`).
    pub outcome: Option<Result<String, Error>>,
}

/// The largest proxy answer to CONNECT read (its header).
const MAX_CONNECT_ANSWER: usize = 8 * 1024;

impl HttpClient {
    /// Walks the way to `shop` step by step (docs/deployment.md, Doctor); stops at the first
    /// step that fails. `timeout` bounds each step.
    pub async fn probe(&self, shop: &Url, timeout: Duration) -> Vec<ProbeResult> {
        let route = match self.route(shop).await {
            Ok(route) => route,
            Err(error) => {
                return vec![ProbeResult {
                    step: ProbeStep::Dns,
                    outcome: Some(Err(error)),
                }]
            }
        };
        let mut results = Vec::new();
        let step = walk(shop, &route, timeout, &mut results).await;
        if let Err((step, error)) = step {
            results.push(ProbeResult {
                step,
                outcome: Some(Err(error)),
            });
        }
        results
    }
}

/// The steps that passed go into `results`; the first failure is returned.
async fn walk(
    shop: &Url,
    route: &Route,
    timeout: Duration,
    results: &mut Vec<ProbeResult>,
) -> Result<(), (ProbeStep, Error)> {
    let proxy = route.decision.proxy_text();
    let hop = route.decision.proxy.as_ref().unwrap_or(shop);
    let host = hop.host_str().unwrap_or_default().to_string();
    let port = hop.port_or_known_default().unwrap_or(443);
    // A failure to reach the proxy is the proxy's (proxy_unreachable), else the shop's.
    let unreachable = |reason: String| match &proxy {
        Some(proxy) => Error::ProxyUnreachable {
            proxy: proxy.clone(),
            reason,
        },
        None => Error::Unreachable(reason),
    };

    let lookup = tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), port)));
    let addresses: Vec<SocketAddr> = match lookup.await {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(e)) => {
            let reason = format!("the name {host} does not resolve: {e}");
            return Err((ProbeStep::Dns, unreachable(reason)));
        }
        Err(_) => return Err((ProbeStep::Dns, Error::Timeout)),
    };
    let Some(&first) = addresses.first() else {
        let reason = format!("the name {host} has no address");
        return Err((ProbeStep::Dns, unreachable(reason)));
    };
    let shown: Vec<String> = addresses
        .iter()
        .take(3)
        .map(|a| a.ip().to_string())
        .collect();
    results.push(ProbeResult {
        step: ProbeStep::Dns,
        outcome: Some(Ok(format!("{host} → {}", shown.join(", ")))),
    });

    let started = Instant::now();
    let mut stream = match tokio::time::timeout(timeout, TcpStream::connect(first)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err((ProbeStep::Tcp, unreachable(format!("{first}: {e}")))),
        Err(_) => {
            let reason = format!("{first}: no answer within {} s", timeout.as_secs());
            return Err((ProbeStep::Tcp, unreachable(reason)));
        }
    };
    let mut connected = format!(
        "connected to {first} in {} ms",
        started.elapsed().as_millis()
    );
    let https = shop.scheme() == "https";
    if let (Some(proxy_text), true) = (&proxy, https) {
        tunnel(&mut stream, shop, route, proxy_text, timeout)
            .await
            .map_err(|e| (ProbeStep::Tcp, e))?;
        connected.push_str(&format!(
            "; the proxy {proxy_text} opened a tunnel to {}",
            shop.host_str().unwrap_or_default()
        ));
    }
    results.push(ProbeResult {
        step: ProbeStep::Tcp,
        outcome: Some(Ok(connected)),
    });

    if !https {
        results.push(ProbeResult {
            step: ProbeStep::Tls,
            outcome: None,
        });
        return Ok(());
    }
    let found = handshake(stream, shop, proxy, timeout)
        .await
        .map_err(|e| (ProbeStep::Tls, e))?;
    results.push(ProbeResult {
        step: ProbeStep::Tls,
        outcome: Some(Ok(found)),
    });
    Ok(())
}

/// Asks the proxy for a tunnel to the shop (`CONNECT`), with the stored login if there is one.
async fn tunnel(
    stream: &mut TcpStream,
    shop: &Url,
    route: &Route,
    proxy: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let target = format!(
        "{}:{}",
        shop.host_str().unwrap_or_default(),
        shop.port_or_known_default().unwrap_or(443)
    );
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(login) = route.basic_login() {
        request.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            login.expose()
        ));
    }
    request.push_str("\r\n");
    let exchange = async {
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.len() < MAX_CONNECT_ANSWER {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
        }
        Ok::<_, std::io::Error>(answer)
    };
    let answer = match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            return Err(Error::ProxyUnreachable {
                proxy: proxy.to_string(),
                reason: e.to_string(),
            })
        }
        Err(_) => return Err(Error::Timeout),
    };
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    match status {
        s if s.starts_with('2') => Ok(()),
        "407" => Err(Error::ProxyAuthRequired {
            proxy: proxy.to_string(),
            rejected: route.authenticates,
        }),
        _ => Err(Error::Proxy(format!(
            "the proxy {proxy} refused the tunnel to {target}: {}",
            super::wire_errors::shop_text(&status_line)
        ))),
    }
}

/// The TLS handshake as every request makes it; names the certificate's subject and issuer.
async fn handshake(
    stream: TcpStream,
    shop: &Url,
    proxy: Option<String>,
    timeout: Duration,
) -> Result<String, Error> {
    let config = client_config().map_err(|e| Error::Tls(e.to_string()))?;
    let host = shop.host_str().unwrap_or_default().to_string();
    let name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|_| Error::InvalidUrl(host.clone()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return Err(tls_error(&e, proxy)),
        Err(_) => return Err(Error::Timeout),
    };
    let (_, session) = tls.get_ref();
    let version = session
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let certificate = session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| names(leaf));
    Ok(match certificate {
        Some((issuer, subject)) => {
            format!("{version}; certificate of {subject:?} issued by {issuer:?}, trusted")
        }
        None => format!("{version}; certificate trusted"),
    })
}

/// A failed handshake as the client names it: an untrusted issuer is `tls_intercepted` (behind
/// a proxy, or for a chain some authority issued), any other certificate problem `tls`.
fn tls_error(error: &std::io::Error, proxy: Option<String>) -> Error {
    let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return Error::Tls(error.to_string());
    };
    if let rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) = tls {
        if let Some(untrusted) = other.0.downcast_ref::<UntrustedIssuer>() {
            if proxy.is_some() || !untrusted.self_signed {
                return Error::TlsIntercepted {
                    issuer: untrusted.issuer.clone(),
                    proxy,
                };
            }
        }
    }
    Error::Tls(describe_tls(tls))
}
