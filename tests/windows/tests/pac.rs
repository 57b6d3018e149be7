//! The Windows proxy settings under Wine (docs/proxy.md): a PAC script served on loopback chooses
//! the proxy that `fe2-license proxy show` reports and that requests take; the user's static proxy
//! with its exceptions. Wine's WinHTTP reads the user's settings from the binary value
//! `DefaultConnectionSettings`, in the layout Windows writes. Run by `scripts/windows.sh test`.

use fe2_windows_tests::*;
use std::io::{Read, Write};
use std::net::TcpListener;

const CONNECTIONS_KEY: &str =
    "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections";

/// `DefaultConnectionSettings`: version 0x46, a counter, the flags (1 direct, 2 proxy, 4 script,
/// 8 auto-detect), then proxy, exceptions and script address, each with its length.
fn connection_settings(flags: u32, proxy: &str, exceptions: &str, script: &str) -> String {
    let mut blob = Vec::new();
    for word in [0x46u32, 0, flags] {
        blob.extend_from_slice(&word.to_le_bytes());
    }
    for text in [proxy, exceptions, script] {
        blob.extend_from_slice(&(text.len() as u32).to_le_bytes());
        blob.extend_from_slice(text.as_bytes());
    }
    blob.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serves `script` as the PAC file at any path, until the test ends.
fn serve_pac(script: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-ns-proxy-autoconfig\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{script}",
                script.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

/// A loopback port where nothing listens.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn a_pac_script_on_loopback_chooses_the_proxy_and_the_user_setting_its_exceptions() {
    let wine = Wine::boot();
    let folder = "C:\\FE2 PAC Test";
    install_for_user(&wine, folder);
    let cli_exe = format!("{folder}\\fe2-license.exe");
    let cli = |args: &[&str], stdin: &str| {
        let mut all = vec![cli_exe.as_str()];
        all.extend_from_slice(args);
        wine.run(&all, &[("FE2_LICENSE_HOME", "C:\\fe2home")], stdin)
    };
    let settings = |hex: &str| {
        let run = wine.run(
            &[
                "reg",
                "add",
                CONNECTIONS_KEY,
                "/v",
                "DefaultConnectionSettings",
                "/t",
                "REG_BINARY",
                "/d",
                hex,
                "/f",
            ],
            &[],
            "",
        );
        assert_eq!(run.code, 0, "reg add: {run:?}");
        wine.wait_idle();
    };
    let show = |shop: &str| -> serde_json::Value {
        let run = cli(&["proxy", "show", "--shop-url", shop, "--json"], "");
        assert_eq!(run.code, 0, "{run:?}");
        let all: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        all[0].clone()
    };

    // The PAC script sends everything but one host to a proxy where nothing listens.
    let proxy_port = closed_port();
    let pac = serve_pac(format!(
        "function FindProxyForURL(url, host) {{ if (host == \"direct.example\") return \"DIRECT\"; return \"PROXY 127.0.0.1:{proxy_port}\"; }}"
    ));
    let script = format!("http://127.0.0.1:{pac}/proxy.pac");
    settings(&connection_settings(5, "", "", &script));
    let chosen = show("https://www.alamos-gmbh.com");
    assert_eq!(
        chosen["proxy"],
        format!("http://127.0.0.1:{proxy_port}"),
        "{chosen}"
    );
    assert_eq!(chosen["source"]["kind"], "windows_pac", "{chosen}");
    assert_eq!(chosen["source"]["script"], script, "{chosen}");
    let direct = show("https://direct.example");
    assert!(direct["proxy"].is_null(), "{direct}");
    assert_eq!(direct["source"]["kind"], "windows_pac", "{direct}");
    // A request takes the PAC script's proxy: it is the one named as not answering.
    let add = cli(
        &[
            "account",
            "add",
            "--shop-url",
            "https://www.alamos-gmbh.com",
            "--email",
            "a@ff-test.de",
            "--password-stdin",
        ],
        "secret-not-used\n",
    );
    assert_ne!(add.code, 0, "{add:?}");
    assert!(
        add.stderr.contains(&format!("127.0.0.1:{proxy_port}")),
        "the PAC script's proxy is named: {add:?}"
    );

    // The user's static proxy with exceptions: the proxy, except for the listed hosts.
    settings(&connection_settings(
        3,
        "127.0.0.1:38128",
        "<local>;*.stadt.de",
        "",
    ));
    let static_proxy = show("https://www.alamos-gmbh.com");
    assert_eq!(
        static_proxy["proxy"], "http://127.0.0.1:38128",
        "{static_proxy}"
    );
    assert_eq!(
        static_proxy["source"]["kind"], "windows_user",
        "{static_proxy}"
    );
    let excepted = show("https://www.stadt.de");
    assert!(excepted["proxy"].is_null(), "{excepted}");
    assert_eq!(
        excepted["source"]["kind"], "windows_user_bypass",
        "{excepted}"
    );
}
