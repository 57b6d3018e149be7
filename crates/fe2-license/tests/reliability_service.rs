//! Tampering, secrets and transport through the service API, against the reference shop
//! in-process on loopback, with the in-memory secret store.

mod client_support;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine;
use client_support::{
    all_files, demo_shop, memory_store, now, service, BASIS_EMAIL, BASIS_PASSWORD, LEGACY_EMAIL,
    LEGACY_PASSWORD,
};
use fe2_license::cache;
use fe2_license::client::{ClientOptions, ShopClient};
use fe2_license::config::{self, AccountConfig};
use fe2_license::expiry::Urgency;
use fe2_license::license_file::{self, BEGIN_MARKER, END_MARKER};
use fe2_license::model::RequestedItem;
use fe2_license::paths::Home;
use fe2_license::secrets::MemorySecretStore;
use fe2_license::service::{LicenseView, Verification};
use fe2_license::{Error, FixedClock};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------- helpers

/// The account file and cache file of an account added through the service.
fn account_files(home: &Path, shop_url: &str, email: &str) -> (PathBuf, PathBuf) {
    let home = Home::at(home);
    let account = AccountConfig::new(email.to_string(), shop_url.to_string());
    let id = account.file_id().expect("file id");
    (
        config::account_file(&home, &id),
        cache::cache_file(&home, &id),
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("file")).expect("JSON")
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).expect("JSON")).expect("write");
}

/// The outer envelope of a license file.
fn envelope_of(text: &str) -> Value {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    serde_json::from_slice(&STANDARD.decode(body).expect("base64")).expect("envelope")
}

fn file_of(envelope: &Value) -> String {
    let body = STANDARD.encode(serde_json::to_vec(envelope).expect("JSON"));
    format!("{BEGIN_MARKER}\n{body}\n{END_MARKER}\n")
}

/// The view of `email` after a restart of the service over the same home and secrets.
async fn view_after_restart(
    home: &Path,
    store: &Arc<MemorySecretStore>,
    email: &str,
) -> LicenseView {
    service(home, store.clone())
        .account(email)
        .await
        .expect("the account is still configured")
}

fn code(info: &Option<fe2_license::service::ErrorInfo>) -> Option<&str> {
    info.as_ref().map(|e| e.code.as_str())
}

// ---------------------------------------------------------------- tampering

#[tokio::test]
async fn a_license_file_with_a_changed_expiry_is_not_verified() {
    let shop = demo_shop().await;
    let home = tempfile::tempdir().expect("home");
    let store = memory_store();
    let added = service(home.path(), store.clone())
        .add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("add");
    assert_eq!(added.verification, Verification::Verified);

    let (_, cache_path) = account_files(home.path(), &shop.base_url(), BASIS_EMAIL);
    let mut entry = read_json(&cache_path);
    let mut envelope = envelope_of(entry["license_file"].as_str().expect("file"));
    let mut payload: Value = serde_json::from_slice(
        &STANDARD
            .decode(envelope["data"].as_str().expect("data"))
            .expect("base64"),
    )
    .expect("payload");
    payload["expiry"] = json!("2035-01-01T00:00:00Z");
    payload["license"]["next_payment_date"] = json!("2035-01-01T00:00:00Z");
    envelope["data"] = json!(STANDARD.encode(serde_json::to_vec(&payload).expect("JSON")));
    entry["license_file"] = json!(file_of(&envelope));
    // The unsigned copy beside the file is edited alike.
    entry["license"]["next_payment_date"] = json!("2035-01-01T00:00:00Z");
    write_json(&cache_path, &entry);

    let view = view_after_restart(home.path(), &store, BASIS_EMAIL).await;
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(code(&view.verification_error), Some("bad_signature"));
    assert_eq!(view.as_of, None, "no 'verified as of' for a forged file");
    // The forged ten years are still shown (marked not verified), but never as fine.
    assert!(view.days_left.is_some_and(|d| d > 3000), "{view:?}");
    assert_eq!(view.urgency, Urgency::Critical);

    // The same forged payload signed with another key is refused alike.
    let forger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let license = serde_json::from_value(payload["license"].clone()).expect("license");
    entry["license_file"] = json!(license_file::sign(&license, now(), &forger, "forged"));
    write_json(&cache_path, &entry);
    let view = view_after_restart(home.path(), &store, BASIS_EMAIL).await;
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(code(&view.verification_error), Some("bad_signature"));
}

#[tokio::test]
async fn a_cache_copied_from_another_account_is_not_verified() {
    let shop = demo_shop().await;
    let home = tempfile::tempdir().expect("home");
    let store = memory_store();
    let service = service(home.path(), store.clone());
    service
        .add_account(&shop.base_url(), BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("add basis");
    service
        .add_account(&shop.base_url(), LEGACY_EMAIL, LEGACY_PASSWORD)
        .await
        .expect("add legacy");
    let (_, basis_cache) = account_files(home.path(), &shop.base_url(), BASIS_EMAIL);
    let (_, legacy_cache) = account_files(home.path(), &shop.base_url(), LEGACY_EMAIL);

    // Copied as it is: the file names its own account and is refused as a whole.
    std::fs::copy(&legacy_cache, &basis_cache).expect("copy");
    let view = view_after_restart(home.path(), &store, BASIS_EMAIL).await;
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(code(&view.verification_error), Some("wrong_account"));
    let details = &view.verification_error.as_ref().expect("error").details;
    assert_eq!(details["found"], json!(LEGACY_EMAIL));
    assert_eq!(details["expected"], json!(BASIS_EMAIL));
    assert_eq!(
        view.license, None,
        "the other account's license is not shown"
    );

    // Copied with its e-mail field edited: the signed license names the other account.
    let mut entry = read_json(&legacy_cache);
    entry["email"] = json!(BASIS_EMAIL);
    write_json(&basis_cache, &entry);
    let view = view_after_restart(home.path(), &store, BASIS_EMAIL).await;
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(code(&view.verification_error), Some("wrong_account"));
    assert_eq!(view.as_of, None);
}

#[tokio::test]
async fn editing_the_account_file_cannot_change_what_is_trusted() {
    let db_dir = tempfile::tempdir().expect("db dir");
    let db = fe2_shop::DbLocation::File(db_dir.path().join("shop.sqlite"));
    let genuine_key = fe2_shop::random_signing_key();
    let genuine = client_support::spawn_shop(genuine_key.clone(), db.clone()).await;
    let shop_url = genuine.base_url();
    let home = tempfile::tempdir().expect("home");
    let store = memory_store();
    let added = service(home.path(), store.clone())
        .add_account(&shop_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("add");
    let pinned_fingerprint = added.fingerprint.clone().expect("fingerprint");
    let (account_path, cache_path) = account_files(home.path(), &shop_url, BASIS_EMAIL);
    let genuine_file = read_json(&cache_path)["license_file"].clone();

    // The same shop address now signs with another key (a replaced server, a hijacked name).
    let addr = genuine.addr;
    genuine.shutdown().await.expect("stop the genuine shop");
    let other_key = fe2_shop::random_signing_key();
    let impostor = fe2_shop::spawn(fe2_shop::ServerConfig {
        listen: addr,
        db,
        fixtures: Some(fe2_shop::demo_fixtures()),
        clock: Arc::new(FixedClock::new(now())),
        signing_key: other_key.clone(),
    })
    .await
    .expect("the impostor starts on the same address");

    // The user-writable account file names the impostor's key in every plausible field.
    let mut account = read_json(&account_path);
    let other_public = license_file::public_key_to_base64(&other_key.verifying_key());
    for field in ["shop_key", "public_key", "pinned_key", "key"] {
        account[field] = json!(other_public);
    }
    write_json(&account_path, &account);

    let restarted = service(home.path(), store.clone());
    let view = restarted.refresh(BASIS_EMAIL).await.expect("refresh");
    assert_eq!(code(&view.last_error), Some("key_changed"));
    assert_eq!(
        view.fingerprint.as_deref(),
        Some(pinned_fingerprint.as_str())
    );
    assert_eq!(
        read_json(&cache_path)["license_file"],
        genuine_file,
        "the impostor's file did not replace the cache"
    );
    // The impostor's signed file put into the cache by hand is not verified either.
    let forged = ShopClient::new(&shop_url, &ClientOptions::default())
        .expect("client")
        .with_credentials(BASIS_EMAIL, BASIS_PASSWORD)
        .license_file()
        .await
        .expect("the impostor's file");
    let mut entry = read_json(&cache_path);
    entry["license_file"] = json!(forged);
    write_json(&cache_path, &entry);
    let view = view_after_restart(home.path(), &store, BASIS_EMAIL).await;
    assert_eq!(view.verification, Verification::NotVerified);
    assert_eq!(code(&view.verification_error), Some("bad_signature"));

    // Pointing the account file at another shop URL: the keychain entry belongs to the old
    // address, so nothing can be fetched or verified for the new one.
    let elsewhere = demo_shop().await;
    account["shop_url"] = json!(elsewhere.base_url());
    write_json(&account_path, &account);
    let redirected = service(home.path(), store.clone());
    let view = redirected.refresh(BASIS_EMAIL).await.expect("refresh");
    assert_ne!(view.verification, Verification::Verified);
    assert_ne!(view.verification, Verification::Outdated);
    assert_eq!(code(&view.last_error), Some("no_secret"));
    drop(impostor);
}

// ---------------------------------------------------------------- secrets

/// Every log record of this process.
struct CapturedLog(Mutex<Vec<String>>);

impl log::Log for CapturedLog {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {} {}", record.level(), record.target(), record.args());
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }

    fn flush(&self) {}
}

static LOG: CapturedLog = CapturedLog(Mutex::new(Vec::new()));

fn capture_log() {
    // Another test of this binary may have installed it already.
    let _ = log::set_logger(&LOG);
    log::set_max_level(log::LevelFilter::Trace);
}

/// Every way a password could be written down: as typed, without spaces, in base64 (also the
/// HTTP Basic value `email:password`), URL-safe and unpadded.
fn password_forms(email: &str, password: &str) -> Vec<String> {
    let squeezed: String = password.chars().filter(|c| !c.is_whitespace()).collect();
    let mut forms = vec![password.to_string(), squeezed.clone()];
    for plain in [
        password.to_string(),
        squeezed.clone(),
        format!("{email}:{password}"),
        format!("{email}:{squeezed}"),
    ] {
        forms.push(STANDARD.encode(&plain));
        forms.push(STANDARD_NO_PAD.encode(&plain));
        forms.push(URL_SAFE.encode(&plain));
    }
    forms
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[tokio::test]
async fn no_file_log_line_or_answer_holds_a_password() {
    capture_log();
    let shop = demo_shop().await;
    let home = tempfile::tempdir().expect("home");
    let store = memory_store();
    let service = service(home.path(), store.clone());
    let mut answers: Vec<String> = Vec::new();

    // A third account bought at the shop's checkout: a password nobody typed into a test.
    let bought = ShopClient::new(&shop.base_url(), &ClientOptions::default())
        .expect("client")
        .checkout(
            "neu@ff-secret.de",
            "FF Secret",
            "basis",
            &[RequestedItem::new("fe2-persons", 5)],
        )
        .await
        .expect("checkout");
    let bought_password = bought.app_password.clone().expect("a new password");
    let accounts = [
        (BASIS_EMAIL, BASIS_PASSWORD.to_string()),
        (LEGACY_EMAIL, LEGACY_PASSWORD.to_string()),
        ("neu@ff-secret.de", bought_password),
    ];

    // A wrong password first: its error must not echo it.
    let wrong = service
        .add_account(
            &shop.base_url(),
            BASIS_EMAIL,
            "wron gPas swor d123 4567 89ab",
        )
        .await
        .expect_err("wrong password");
    assert_eq!(wrong.code(), "invalid_credentials");
    answers.push(format!("{wrong} {wrong:?} {}", wrong.details()));
    for (email, password) in &accounts {
        let view = service
            .add_account(&shop.base_url(), email, password.as_str())
            .await
            .expect("add");
        answers.push(serde_json::to_string(&view).expect("JSON"));
    }
    for view in service.refresh_all().await {
        answers.push(serde_json::to_string(&view).expect("JSON"));
    }
    let preview = service
        .preview(BASIS_EMAIL, &[RequestedItem::new("fe2-persons", 21)])
        .await
        .expect("preview");
    answers.push(serde_json::to_string(&preview).expect("JSON"));
    let outcome = service
        .switch_quantities(
            BASIS_EMAIL,
            &[RequestedItem::new("fe2-persons", 21)],
            preview.quote.setup_fee.gross,
            Some("Leitweg 04011000-1234512345-06"),
            &preview.idempotency_key,
        )
        .await
        .expect("switch");
    answers.push(serde_json::to_string(&outcome).expect("JSON"));
    let details = service.license_details(BASIS_EMAIL).await.expect("details");
    answers.push(serde_json::to_string(&details).expect("JSON"));
    let refused = service
        .switch_quantities(
            LEGACY_EMAIL,
            &[RequestedItem::new("fe2-persons", 1)],
            rust_decimal::Decimal::ZERO,
            None,
            "key-legacy",
        )
        .await
        .expect_err("a legacy package cannot switch");
    answers.push(format!("{refused} {refused:?} {}", refused.details()));
    service.remove_account(LEGACY_EMAIL).await.expect("remove");
    for view in service.accounts().await {
        answers.push(serde_json::to_string(&view).expect("JSON"));
    }
    answers.push(format!("{service:?} {:?}", service.problems()));

    let files = all_files(home.path());
    assert!(
        files.len() >= 4,
        "accounts and caches were written: {files:?}"
    );
    let log_lines = LOG.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for (email, password) in &accounts {
        for form in password_forms(email, password) {
            for path in &files {
                let bytes = std::fs::read(path).expect("readable");
                assert!(
                    !contains(&bytes, &form),
                    "{} holds {form:?}",
                    path.display()
                );
            }
            for line in log_lines.iter().chain(answers.iter()) {
                assert!(!contains(line.as_bytes(), &form), "{line} holds {form:?}");
            }
        }
    }
    // reqwest and hyper log through `log`: the capture saw the connections being made.
    assert!(!log_lines.is_empty(), "the log capture saw nothing");
    for line in &log_lines {
        assert!(!contains(line.as_bytes(), "authorization"), "{line}");
        assert!(!contains(line.as_bytes(), "basic "), "{line}");
    }
    eprintln!(
        "secrets: {} files, {} log lines, {} answers searched for {} password forms",
        files.len(),
        log_lines.len(),
        answers.len(),
        accounts.len() * password_forms(BASIS_EMAIL, BASIS_PASSWORD).len()
    );
}

// ---------------------------------------------------------------- transport

#[test]
fn plain_http_to_another_host_is_refused_before_any_connection() {
    // No I/O and no timer driver: any attempt to resolve, connect or wait would panic here.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime without I/O");
    let home = tempfile::tempdir().expect("home");
    let service = service(home.path(), memory_store());
    for url in [
        "http://192.0.2.1",
        "http://192.0.2.1:8080/shop",
        "HTTP://192.0.2.1/",
        "http://[2001:db8::1]/",
        "http://10.0.0.1",
        "http://127.0.0.1.nip.io",
        "http://localhost.example",
        "http://shop.example",
    ] {
        let error = runtime
            .block_on(service.add_account(url, BASIS_EMAIL, BASIS_PASSWORD))
            .expect_err(url);
        assert!(matches!(error, Error::InsecureUrl(_)), "{url}: {error:?}");
        let error = ShopClient::new(url, &ClientOptions::default()).expect_err(url);
        assert_eq!(error.code(), "insecure_url", "{url}");
    }
    for url in ["ftp://192.0.2.1", "http://user:pw@192.0.2.1", "192.0.2.1"] {
        let error = runtime
            .block_on(service.add_account(url, BASIS_EMAIL, BASIS_PASSWORD))
            .expect_err(url);
        assert_eq!(error.code(), "invalid_url", "{url}");
    }
    assert!(
        all_files(home.path()).is_empty(),
        "a refused add wrote nothing"
    );
}

/// An HTTPS server on loopback with a fresh self-signed certificate; counts handshakes tried.
async fn self_signed_server() -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio_rustls::rustls;
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("certificate");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // The client must abort the handshake; an accepted one would get no answer.
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    (addr, handshakes)
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_as_tls() {
    let (addr, handshakes) = self_signed_server().await;
    let url = format!("https://{addr}");
    let client = ShopClient::new(&url, &ClientOptions::default()).expect("client");
    let error = client.keys().await.expect_err("self-signed");
    assert!(matches!(error, Error::Tls(_)), "{error:?}");

    let home = tempfile::tempdir().expect("home");
    let service = service(home.path(), memory_store());
    let error = service
        .add_account(&url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect_err("self-signed");
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    assert!(
        handshakes.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the client reached the TLS server"
    );
    assert!(
        all_files(home.path()).is_empty(),
        "a refused add wrote nothing"
    );
}
