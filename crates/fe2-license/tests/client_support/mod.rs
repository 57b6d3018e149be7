//! Shared helpers of the client tests: the reference shop in-process on loopback with the
//! demo fixtures, a service over a temporary home, and a hostile server in front of the shop.

#![allow(dead_code)] // each test binary uses a different part of this module

use chrono::{DateTime, Utc};
use fe2_license::client::ClientOptions;
use fe2_license::paths::Home;
use fe2_license::secrets::{MemorySecretStore, SecretStore};
use fe2_license::service::{Service, ServiceOptions};
use fe2_license::FixedClock;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The instant both clocks stand at (a whole second: the `Date` header has no fractions).
pub const NOW: &str = "2025-07-02T12:00:00Z";

/// The demo account with a self-service basis license (persons 20).
pub const BASIS_EMAIL: &str = "leitstelle@ff-musterstadt.de";
/// Its application password.
pub const BASIS_PASSWORD: &str = "abcd EFGH 1234 ijkl MNOP 5678";
/// A legacy package-3 account.
pub const LEGACY_EMAIL: &str = "paket3@ff-altdorf.de";
/// Its application password.
pub const LEGACY_PASSWORD: &str = "Pk3x Altd 0rf9 Lega cyQ2 w7Zt";
/// A trial.
pub const TRIAL_EMAIL: &str = "test@ff-neustadt.de";
/// Its application password.
pub const TRIAL_PASSWORD: &str = "Tri4 lNeu stad tEnd s7Da ys00";

/// The test instant.
pub fn now() -> DateTime<Utc> {
    NOW.parse().expect("test instant")
}

/// A reference shop with the demo fixtures, its clock frozen at [`NOW`].
pub async fn spawn_shop(
    key: ed25519_dalek::SigningKey,
    db: fe2_shop::DbLocation,
) -> fe2_shop::RunningShop {
    spawn_shop_at(key, db, now()).await
}

/// A reference shop with the demo fixtures, its clock frozen at `at`.
pub async fn spawn_shop_at(
    key: ed25519_dalek::SigningKey,
    db: fe2_shop::DbLocation,
    at: DateTime<Utc>,
) -> fe2_shop::RunningShop {
    let config = fe2_shop::ServerConfig {
        listen: "127.0.0.1:0".parse().expect("loopback"),
        db,
        fixtures: Some(fe2_shop::demo_fixtures()),
        clock: Arc::new(FixedClock::new(at)),
        signing_key: key,
    };
    fe2_shop::spawn(config)
        .await
        .expect("the reference shop starts")
}

/// The demo shop in memory with a fresh random key.
pub async fn demo_shop() -> fe2_shop::RunningShop {
    spawn_shop(fe2_shop::random_signing_key(), fe2_shop::DbLocation::Memory).await
}

/// Short timeouts and retries, so the fault tests take seconds.
pub fn fast_options() -> ServiceOptions {
    ServiceOptions {
        client: ClientOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_millis(1500),
            retry_backoff: vec![Duration::from_millis(10), Duration::from_millis(20)],
            ..ClientOptions::default()
        },
        refresh_concurrency: 4,
        // No test reads the machine's policies.
        policy: Some(fe2_license::policy::Policy::default()),
    }
}

/// A service over `home` with the given secret store and a clock frozen at [`NOW`].
pub fn service(home: &Path, secrets: Arc<dyn SecretStore>) -> Service {
    Service::with_options(
        Home::at(home),
        secrets,
        Arc::new(FixedClock::new(now())),
        fast_options(),
    )
    .expect("service")
}

/// A fresh in-memory secret store.
pub fn memory_store() -> Arc<MemorySecretStore> {
    Arc::new(MemorySecretStore::new())
}

/// Every file below `dir` (recursively).
pub fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Fails when any file below `dir` contains `needle` (also without its spaces).
pub fn assert_no_file_contains(dir: &Path, needle: &str) {
    let squeezed: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
    for path in all_files(dir) {
        let bytes = std::fs::read(&path).expect("readable file");
        for probe in [needle, squeezed.as_str()] {
            assert!(
                !bytes.windows(probe.len()).any(|w| w == probe.as_bytes()),
                "{} contains the password",
                path.display()
            );
        }
    }
}

/// What the hostile server does with the next connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward to the real shop unchanged.
    Pass,
    /// Accept, read the request, never answer.
    NoAnswer,
    /// Headers at once, then the body one byte at a time, too slowly.
    SlowBody,
    /// 500 with the Shop API's JSON `internal` error.
    Internal500,
    /// 502 with a proxy's HTML page.
    BadGatewayHtml,
    /// 200 with a body that is not JSON nor a license file.
    InvalidJson,
    /// 200 with a 3 MiB body and no length announced.
    Huge,
    /// Read the request, then reset the connection.
    Reset,
    /// 409 with a Shop API error whose message is 1 MiB long.
    LongMessage,
    /// Answer `status` with a `Location` on the same origin (`to: None`; the repeated request
    /// is forwarded) or on `http://localhost:<to>` (another origin).
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The other origin's port.
        to: Option<u16>,
    },
    /// Answer `GET /keys` with this body, forward everything else.
    Keys(String),
}

/// A server on 127.0.0.1 that forwards to the shop or produces one fault.
pub struct Hostile {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    fault: Arc<Mutex<Fault>>,
    shop: Arc<Mutex<std::net::SocketAddr>>,
    connections: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Starts in front of `shop` (an `ip:port`), forwarding.
    pub async fn start(shop: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let fault = Arc::new(Mutex::new(Fault::Pass));
        let current = fault.clone();
        let shop = Arc::new(Mutex::new(shop));
        let upstream = shop.clone();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let fault = current.lock().expect("fault").clone();
                let shop = *upstream.lock().expect("shop");
                tokio::spawn(serve(stream, fault, shop));
            }
        });
        Self {
            url: format!("http://{addr}"),
            port: addr.port(),
            fault,
            shop,
            connections,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sets what the next connections get.
    pub fn set(&self, fault: Fault) {
        *self.fault.lock().expect("fault") = fault;
    }

    /// Forwards the next connections to another shop.
    pub fn retarget(&self, shop: std::net::SocketAddr) {
        *self.shop.lock().expect("shop") = shop;
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    head
}

async fn answer(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// Sends an already read request head on to the shop (asking it to close the connection after
/// the answer, so that the next request comes through the fault again), then relays both ways.
async fn forward(mut stream: TcpStream, head: &[u8], shop: std::net::SocketAddr) {
    let Ok(mut upstream) = TcpStream::connect(shop).await else {
        return;
    };
    let line_end = head
        .iter()
        .position(|b| *b == b'\n')
        .map_or(head.len(), |i| i + 1);
    let mut rewritten = head[..line_end].to_vec();
    rewritten.extend_from_slice(b"Connection: close\r\n");
    rewritten.extend_from_slice(&head[line_end..]);
    if upstream.write_all(&rewritten).await.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
    }
}

async fn serve(mut stream: TcpStream, fault: Fault, shop: std::net::SocketAddr) {
    if fault == Fault::Pass {
        if let Ok(mut upstream) = TcpStream::connect(shop).await {
            let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
        }
        return;
    }
    let head = read_request_head(&mut stream).await;
    let request_line =
        String::from_utf8_lossy(head.split(|b| *b == b'\n').next().unwrap_or_default()).to_string();
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    match fault {
        Fault::Pass => {}
        Fault::LongMessage => {
            let body = serde_json::json!({
                "code": "teapot",
                "message": "x".repeat(1024 * 1024),
                "data": {"status": 409, "sku": "y".repeat(100_000)}
            });
            let body = serde_json::to_vec(&body).expect("json");
            answer(&mut stream, "409 Conflict", "application/json", &body).await;
        }
        Fault::Redirect { to: None, .. } if path.contains("hop=1") => {
            forward(stream, &head, shop).await;
        }
        Fault::Redirect { status, to } => {
            let location = match to {
                None => format!("{path}?hop=1"),
                Some(port) => format!("http://localhost:{port}{path}"),
            };
            let head = format!(
                "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Fault::Keys(body) if path.ends_with("/keys") => {
            answer(&mut stream, "200 OK", "application/json", body.as_bytes()).await;
        }
        Fault::Keys(_) => forward(stream, &head, shop).await,
        Fault::NoAnswer => tokio::time::sleep(Duration::from_secs(30)).await,
        Fault::SlowBody => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n",
                )
                .await;
            for _ in 0..1000 {
                if stream.write_all(b"x").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Fault::Internal500 => {
            let body = br#"{"code":"internal","message":"database locked","data":{"status":500}}"#;
            answer(
                &mut stream,
                "500 Internal Server Error",
                "application/json",
                body,
            )
            .await;
        }
        Fault::BadGatewayHtml => {
            let body = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>";
            answer(&mut stream, "502 Bad Gateway", "text/html", body).await;
        }
        Fault::InvalidJson => {
            answer(
                &mut stream,
                "200 OK",
                "application/json",
                b"{\"license\": [1, 2,",
            )
            .await;
        }
        Fault::Huge => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                )
                .await;
            let chunk = vec![b'-'; 64 * 1024];
            for _ in 0..48 {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            let _ = stream.shutdown().await;
        }
        Fault::Reset => {
            // SO_LINGER 0: closing sends RST instead of FIN.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    }
}
