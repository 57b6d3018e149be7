//! A loopback proxy in front of the reference shop that can stop, stall or answer like a broken
//! server: the faults of docs/reliability.md as the app meets them on a real network path.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the proxy treats the next connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Passes everything to the shop.
    None,
    /// Nothing listens on the port: connections are refused, as with a stopped shop.
    Stopped,
    /// Accepts and never answers (longer than any client waits).
    Stalled,
    /// `500 Internal Server Error` with a plain-text body, as a crashed PHP worker gives.
    Status500,
    /// `200` with an HTML page, as a maintenance page or a captive portal gives.
    Html,
    /// `200` with bytes that are no JSON at all.
    Garbage,
}

/// The proxy; every task ends when it is dropped.
pub struct FaultProxy {
    port: u16,
    upstream: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    /// The accept loop; none while stopped.
    accept: Mutex<Option<JoinHandle<()>>>,
    /// Every connection, so that a new fault also ends the client's pooled keep-alive connections.
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FaultProxy {
    /// Listens on a free loopback port and passes everything to `upstream` (`http://127.0.0.1:P`).
    pub async fn start(upstream: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let upstream: SocketAddr = upstream
            .strip_prefix("http://")
            .ok_or("the upstream is http://host:port")?
            .trim_end_matches('/')
            .parse()?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let proxy = Self {
            port: listener.local_addr()?.port(),
            upstream,
            fault: Arc::new(Mutex::new(Fault::None)),
            accept: Mutex::new(None),
            connections: Arc::new(Mutex::new(Vec::new())),
        };
        proxy.serve(listener);
        Ok(proxy)
    }

    /// The shop URL to give the app.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Switches to a fault; open connections are cut so that the next request meets it.
    pub async fn set(&self, fault: Fault) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let before = std::mem::replace(&mut *lock(&self.fault), fault);
        self.cut_connections();
        if fault == Fault::Stopped {
            let accept = lock(&self.accept).take();
            if let Some(accept) = accept {
                accept.abort();
                // Only once the task is gone is its listener closed.
                let _ = accept.await;
            }
        } else if before == Fault::Stopped {
            // The same port again: the app keeps its configured shop URL.
            let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
            self.serve(listener);
        }
        Ok(())
    }

    fn cut_connections(&self) {
        for connection in lock(&self.connections).drain(..) {
            connection.abort();
        }
    }

    fn serve(&self, listener: TcpListener) {
        let fault = self.fault.clone();
        let connections = self.connections.clone();
        let upstream = self.upstream;
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let now = *lock(&fault);
                let connection = tokio::spawn(handle(client, upstream, now));
                lock(&connections).push(connection);
            }
        });
        *lock(&self.accept) = Some(accept);
    }
}

/// Locks a mutex; a panicked holder left nothing half-done here worth refusing.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.cut_connections();
        if let Some(accept) = lock(&self.accept).take() {
            accept.abort();
        }
    }
}

/// Serves one connection according to the fault in force when it was accepted.
async fn handle(mut client: TcpStream, upstream: SocketAddr, fault: Fault) {
    let (status, content_type, body): (&str, &str, &[u8]) = match fault {
        Fault::None => {
            if let Ok(mut shop) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut shop).await;
            }
            return;
        }
        Fault::Stopped => return,
        Fault::Stalled => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            return;
        }
        Fault::Status500 => (
            "500 Internal Server Error",
            "text/plain",
            b"Internal Server Error",
        ),
        Fault::Html => (
            "200 OK",
            "text/html; charset=utf-8",
            b"<html><body><h1>Wartungsarbeiten</h1></body></html>",
        ),
        Fault::Garbage => (
            "200 OK",
            "application/json",
            b"\x00\xff{\"lic\x07\x1b[2J\xfe]}",
        ),
    };
    let mut answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    // Read the request head first so the client is not cut off while still sending.
    let mut head = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
        match client.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let _ = client.write_all(&answer).await;
    let _ = client.shutdown().await;
}
