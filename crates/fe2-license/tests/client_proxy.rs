//! The system proxy (here from `HTTPS_PROXY`) is used, and its refusal is a `proxy` error.
//! Its own test binary: the environment variable would leak into other tests of a binary.

use fe2_license::client::{ClientOptions, ShopClient};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_refusing_proxy_is_a_proxy_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = vec![0u8; 4096];
        let n = stream.read(&mut head).await.unwrap();
        stream
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        String::from_utf8_lossy(&head[..n]).to_string()
    });
    // SAFETY of the test: this binary has one test, nothing else reads the environment meanwhile.
    std::env::set_var("HTTPS_PROXY", format!("http://{addr}"));
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let options = ClientOptions {
        request_timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    };
    // `.example` never resolves: only the proxy can have been asked.
    let client = ShopClient::new("https://shop.example", &options).unwrap();
    let error = client.keys().await.unwrap_err();
    assert_eq!(error.code(), "proxy", "{error}");
    let request = proxy.await.unwrap();
    assert!(request.starts_with("CONNECT shop.example:443"), "{request}");
}
