//! A TCP proxy on loopback that holds every chunk the client sends for a fixed time before
//! passing it on: each HTTP request arrives `latency` later, as over a slow line.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Serves until killed; the first stdout line is `listening on http://ADDR`.
pub fn serve(listen: &str, upstream: &str, latency: Duration) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(accept(listen.to_string(), upstream.to_string(), latency))
}

async fn accept(listen: String, upstream: String, latency: Duration) -> Result<(), String> {
    let listener = TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("{listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    if !local.ip().is_loopback() {
        return Err(format!("{local} is not a loopback address"));
    }
    println!("listening on http://{local}");
    loop {
        let (client, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            if let Ok(server) = TcpStream::connect(&upstream).await {
                relay(client, server, latency).await;
            }
        });
    }
}

/// Client -> server delayed, server -> client as it comes.
async fn relay(client: TcpStream, server: TcpStream, latency: Duration) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    // Chunks are stamped on arrival, so a request in several chunks is delayed once, not per chunk.
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = client_read.read(&mut buf).await {
            if n == 0
                || tx
                    .send((Instant::now() + latency, buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if server_write.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let back = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(reader, writer, back);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_arrives_late_and_the_answer_comes_back() {
        let echo = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front_addr = front.local_addr().unwrap();
        tokio::spawn(async move {
            let (client, _) = front.accept().await.unwrap();
            let server = TcpStream::connect(echo_addr).await.unwrap();
            relay(client, server, Duration::from_millis(150)).await;
        });
        let mut c = TcpStream::connect(front_addr).await.unwrap();
        let started = std::time::Instant::now();
        c.write_all(b"hello").await.unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    }
}
