//! The client through real proxies on loopback (docs/proxy.md): Debian's squid (CONNECT to an
//! HTTPS shop, plain HTTP to the reference shop, Basic authentication with the login from the
//! secret store, the environment's proxy), a proxy that does not answer, and a TLS-intercepting
//! proxy written here. squid must be installed (scripts/test.sh installs it): a missing squid
//! fails, it never skips.
//!
//! Its own test binary, and its tests run one at a time: they set `SSL_CERT_FILE` (which the
//! platform verifier reads when a client is built, on Linux through rustls-native-certs) and
//! the proxy variables of this process.

mod client_support;

use client_support::*;
use fe2_license::client::{ClientOptions, ProxyChoice, ProxySource};
use fe2_license::paths::Home;
use fe2_license::secrets::{MemorySecretStore, ProxyCredential, SecretStore};
use fe2_license::service::{
    CheckKind, CheckOutcome, Diagnosis, DoctorCheck, Service, ServiceOptions,
};
use fe2_license::{Error, FixedClock};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// One test at a time: the environment is the process's.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The shop's name: only squid's hosts file resolves it, so an answer proves the proxy was used.
const SHOP_HOST: &str = "shop.fe2.test";
/// The proxy login squid accepts.
const PROXY_USER: &str = "kaemmerei";
const PROXY_PASSWORD: &str = "Proxy Geheim 7!";

// --- certificates ---

/// A certification authority made for the test.
struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl TestCa {
    fn new(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Stadt Musterstadt");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("CA");
        Self { cert, key }
    }

    /// A TLS server configuration with a certificate for `host` signed by this CA.
    fn server_config(&self, host: &str) -> Arc<rustls::ServerConfig> {
        let key = rcgen::KeyPair::generate().expect("key");
        let leaf = rcgen::CertificateParams::new(vec![host.to_string()])
            .expect("params")
            .signed_by(&key, &self.cert, &self.key)
            .expect("leaf");
        let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], der)
        .expect("server config");
        Arc::new(config)
    }

    /// A TLS client configuration trusting only this CA.
    fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.der().clone()).expect("root");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Arc::new(config)
    }
}

// --- servers ---

/// An HTTPS front of the reference shop: TLS with a certificate for [`SHOP_HOST`], the
/// decrypted bytes relayed to the shop's plain port.
async fn https_front(shop: SocketAddr, ca: &TestCa) -> u16 {
    let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config(SHOP_HOST));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(shop).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    port
}

/// A TLS-inspecting proxy: answers CONNECT, presents a certificate for the requested host
/// signed by its own CA, and forwards the decrypted HTTP to `target` over TLS (trusting
/// `target_ca`), as a town's proxy would forward to the real shop.
async fn intercepting_proxy(ca: Arc<TestCa>, target: SocketAddr, target_ca: &TestCa) -> u16 {
    let upstream = tokio_rustls::TlsConnector::from(target_ca.client_config());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (ca, upstream) = (ca.clone(), upstream.clone());
            tokio::spawn(async move {
                let head = read_head(&mut stream).await;
                let Some(host) = head
                    .strip_prefix("CONNECT ")
                    .and_then(|rest| rest.split([':', ' ']).next())
                    .map(str::to_string)
                else {
                    return;
                };
                let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
                if stream.write_all(established).await.is_err() {
                    return;
                }
                let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config(&host));
                // The client refuses an issuer it does not trust: then the handshake ends here.
                let Ok(mut client) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(name) = rustls::pki_types::ServerName::try_from(host) else {
                    return;
                };
                let Ok(tcp) = TcpStream::connect(target).await else {
                    return;
                };
                if let Ok(mut server) = upstream.connect(name, tcp).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    port
}

/// The request head (up to the empty line).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Debian's squid on 127.0.0.1, in the foreground, with its configuration, logs and hosts file
/// in a temporary directory; stopped (and its shared memory removed) on drop.
/// Which logins squid asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Login {
    /// None: everyone may pass.
    Open,
    /// Basic with [`PROXY_USER`] and [`PROXY_PASSWORD`].
    Basic,
    /// NTLM only (squid's fake NTLM helper, which accepts any NTLM client).
    NtlmOnly,
    /// NTLM first, Basic as well: a common set-up for clients outside the Windows domain.
    NtlmAndBasic,
}

struct Squid {
    port: u16,
    dir: tempfile::TempDir,
    name: String,
    child: Child,
}

impl Squid {
    /// Starts squid, open or with the Basic login ([`PROXY_USER`], [`PROXY_PASSWORD`]).
    fn start(basic_login: bool) -> Self {
        Self::start_with(if basic_login {
            Login::Basic
        } else {
            Login::Open
        })
    }

    /// Starts squid; every request needs the `login` (unless open).
    fn start_with(login: Login) -> Self {
        let squid = ["/usr/sbin/squid", "/usr/bin/squid"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("squid is not installed: apt-get install squid (scripts/test.sh installs it)");
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path().display();
        let port = free_port();
        // A unique service name: squid names its shared memory after it (/dev/shm).
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "fe2t{}n{}",
            std::process::id(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let mut conf = format!(
            "http_port 127.0.0.1:{port}\n\
             visible_hostname fe2-test-proxy\n\
             pid_filename {d}/squid.pid\n\
             access_log stdio:{d}/access.log\n\
             cache_log {d}/cache.log\n\
             cache_store_log none\n\
             coredump_dir {d}\n\
             cache deny all\n\
             cache_mem 1 MB\n\
             pinger_enable off\n\
             shutdown_lifetime 0 seconds\n\
             hosts_file {d}/hosts\n"
        );
        std::fs::write(dir.path().join("hosts"), format!("127.0.0.1 {SHOP_HOST}\n"))
            .expect("hosts");
        if matches!(login, Login::NtlmOnly | Login::NtlmAndBasic) {
            conf.push_str("auth_param ntlm program /usr/lib/squid/ntlm_fake_auth\n");
        }
        if matches!(login, Login::Basic | Login::NtlmAndBasic) {
            std::fs::write(
                dir.path().join("htpasswd"),
                format!("{PROXY_USER}:{}\n", apr1_hash(PROXY_PASSWORD)),
            )
            .expect("htpasswd");
            conf.push_str(&format!(
                "auth_param basic program /usr/lib/squid/basic_ncsa_auth {d}/htpasswd\n\
                 auth_param basic realm Stadt Musterstadt\n"
            ));
        }
        if login == Login::Open {
            conf.push_str("http_access allow all\n");
        } else {
            conf.push_str(
                "acl login proxy_auth REQUIRED\n\
                 http_access allow login\n\
                 http_access deny all\n",
            );
        }
        if is_root() {
            // squid refuses to run as root and switches to this user, which must then be able
            // to write the logs in the temporary directory.
            conf.push_str("cache_effective_user nobody\n");
            make_world_writable(dir.path());
        }
        std::fs::write(dir.path().join("squid.conf"), conf).expect("conf");
        make_world_writable(dir.path());
        let child = Command::new(&squid)
            .args(["-N", "-n", &name, "-f"])
            .arg(dir.path().join("squid.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("squid starts");
        let mut squid = Self {
            port,
            dir,
            name,
            child,
        };
        squid.wait_until_listening();
        squid
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self.child.try_wait().expect("squid state");
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "squid did not start ({exited:?}): {}",
                std::fs::read_to_string(self.dir.path().join("cache.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The access log so far (squid writes a line when a request or tunnel ends).
    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(entries) = std::fs::read_dir("/dev/shm") {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&self.name) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn make_world_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}

/// The htpasswd form squid's basic_ncsa_auth reads (Apache MD5), made by `openssl passwd`.
fn apr1_hash(password: &str) -> String {
    let mut child = Command::new("openssl")
        .args(["passwd", "-apr1", "-salt", "fe2test", "-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is not installed (scripts/test.sh installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, password.as_bytes()).expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("openssl");
    assert!(out.status.success(), "openssl passwd failed");
    String::from_utf8(out.stdout)
        .expect("hash")
        .trim()
        .to_string()
}

// --- the client ---

/// A service with short timeouts and this proxy choice over `home` and `secrets`.
fn service_with(home: &Path, secrets: Arc<dyn SecretStore>, proxy: ProxyChoice) -> Service {
    let fast = fast_options();
    Service::with_options(
        Home::at(home),
        secrets,
        Arc::new(FixedClock::new(now())),
        ServiceOptions {
            client: ClientOptions {
                proxy,
                ..fast.client
            },
            ..fast
        },
    )
    .expect("service")
}

fn explicit(url: &str) -> ProxyChoice {
    ProxyChoice::parse(url).expect("proxy URL")
}

/// The variables of this process a test may set; cleared after each test.
const TEST_VARIABLES: [&str; 7] = [
    "SSL_CERT_FILE",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Makes clients built from now on trust exactly these CAs (Linux: rustls-native-certs reads
/// `SSL_CERT_FILE` instead of the system's store when it is set).
fn trust(dir: &Path, cas: &[&TestCa]) {
    let file = dir.join(format!("trusted-{}.pem", cas.len()));
    let pem: String = cas.iter().map(|ca| ca.cert.pem()).collect();
    std::fs::write(&file, pem).expect("CA file");
    std::env::set_var("SSL_CERT_FILE", &file);
}

/// The shop plain and behind an HTTPS front with its own CA.
struct Shops {
    shop: fe2_shop::RunningShop,
    shop_ca: TestCa,
    https_url: String,
    https_port: u16,
}

async fn shops() -> Shops {
    let shop = demo_shop().await;
    let shop_ca = TestCa::new("FE2 Test Shop CA");
    let https_port = https_front(shop.addr, &shop_ca).await;
    Shops {
        https_url: format!("https://{SHOP_HOST}:{https_port}"),
        https_port,
        shop,
        shop_ca,
    }
}

/// One test's world: its turn (tests run one at a time), the [`Shops`], whose CA clients built
/// meanwhile trust. Dropped (also after a failed assertion): the variables cleared.
struct World {
    shops: Shops,
    certs: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl World {
    /// Makes clients built from now on trust exactly these CAs.
    fn trust(&self, cas: &[&TestCa]) {
        trust(self.certs.path(), cas);
    }
}

impl std::ops::Deref for World {
    type Target = Shops;

    fn deref(&self) -> &Shops {
        &self.shops
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for name in TEST_VARIABLES {
            std::env::remove_var(name);
        }
    }
}

async fn world() -> World {
    let turn = SERIAL.lock().await;
    for name in TEST_VARIABLES {
        std::env::remove_var(name);
    }
    let world = World {
        shops: shops().await,
        certs: tempfile::tempdir().expect("dir"),
        _turn: turn,
    };
    world.trust(&[&world.shop_ca]);
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_plain_http_go_through_squid() {
    let shops = world().await;
    let squid = Squid::start(false);
    let home = tempfile::tempdir().expect("home");
    let service = service_with(home.path(), memory_store(), explicit(&squid.url()));

    let decision = service
        .proxy_decision(&shops.https_url)
        .await
        .expect("decision");
    assert_eq!(decision.proxy_text(), Some(squid.url()));
    assert_eq!(decision.source, ProxySource::Explicit);
    // CONNECT: only squid can resolve the shop's name.
    let view = service
        .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("HTTPS through squid");
    assert!(view.license.is_some(), "{view:?}");
    // Plain HTTP to the shop on loopback, forwarded by squid.
    service
        .add_account(&shops.shop.base_url(), LEGACY_EMAIL, LEGACY_PASSWORD)
        .await
        .expect("HTTP through squid");
    let log = squid.access_log();
    assert!(
        log.contains(&format!("GET {}/wp-json/fe2/v1/", shops.shop.base_url())),
        "{log}"
    );
    drop(service);
    // A tunnel is logged when it closes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !squid
        .access_log()
        .contains(&format!("CONNECT {SHOP_HOST}:{}", shops.https_port))
    {
        assert!(
            Instant::now() < deadline,
            "no CONNECT logged: {}",
            squid.access_log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_login_is_asked_for_then_taken_from_the_secret_store() {
    let shops = world().await;
    let squid = Squid::start(true);
    let home = tempfile::tempdir().expect("home");
    let secrets = Arc::new(MemorySecretStore::new());
    let service = service_with(home.path(), secrets.clone(), explicit(&squid.url()));
    let plain = shops.shop.base_url();

    // No login stored: 407, to CONNECT and to a forwarded request alike.
    for url in [&shops.https_url, &plain] {
        let error = service
            .add_account(url, BASIS_EMAIL, BASIS_PASSWORD)
            .await
            .expect_err("407");
        assert_eq!(
            error,
            Error::ProxyAuthRequired {
                proxy: squid.url(),
                rejected: false
            },
            "{url}"
        );
        assert!(error.is_offline());
        assert!(error.to_string().contains("fe2-license proxy login"));
    }
    // A wrong login: refused, and the error says so.
    let wrong = ProxyCredential {
        username: PROXY_USER.into(),
        password: "falsch".into(),
    };
    let entry = service
        .set_proxy_credential(&squid.url(), wrong)
        .await
        .expect("stored");
    assert_eq!(entry, format!("proxy@127.0.0.1:{}", squid.port));
    for url in [&shops.https_url, &plain] {
        let error = service
            .add_account(url, BASIS_EMAIL, BASIS_PASSWORD)
            .await
            .expect_err("407");
        assert_eq!(error.details()["problem"], "rejected", "{url}: {error}");
    }
    // The right login, written to the store by another process meanwhile: read after the 407.
    let right = ProxyCredential {
        username: PROXY_USER.into(),
        password: PROXY_PASSWORD.into(),
    };
    secrets.set_proxy(&entry, &right).expect("stored");
    service
        .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("HTTPS with the login");
    service
        .add_account(&plain, LEGACY_EMAIL, LEGACY_PASSWORD)
        .await
        .expect("HTTP with the login");
    service.refresh_all().await;
    // The login is nowhere but in the store: no file, no audit line.
    assert_no_file_contains(home.path(), PROXY_PASSWORD);
    assert_no_file_contains(home.path(), "falsch");
    let audit = serde_json::to_string(&service.audit_log().expect("log")).expect("json");
    assert!(
        !audit.contains("Geheim") && !audit.contains(PROXY_USER),
        "{audit}"
    );
    // Logged out: the next run (a tunnel already open stays open) is asked again.
    service
        .remove_proxy_credential(&squid.url())
        .await
        .expect("removed");
    assert!(secrets.get_proxy(&entry).is_err());
    let next_run = service_with(home.path(), secrets.clone(), explicit(&squid.url()));
    let view = next_run.refresh(BASIS_EMAIL).await.expect("view");
    assert_eq!(view.last_error.expect("error").code, "proxy_auth_required");
    assert!(view.offline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_does_not_answer_is_named() {
    let shops = world().await;
    let shop = &shops.shop;
    let closed = format!("http://127.0.0.1:{}", free_port());
    let home = tempfile::tempdir().expect("home");
    for proxy in [closed.as_str(), "http://proxy.invalid:3128"] {
        let service = service_with(home.path(), memory_store(), explicit(proxy));
        for url in [shop.base_url(), "https://shop.example".to_string()] {
            let error = service
                .add_account(&url, BASIS_EMAIL, BASIS_PASSWORD)
                .await
                .expect_err("no proxy");
            assert_eq!(error.code(), "proxy_unreachable", "{proxy} {url}: {error}");
            assert_eq!(error.details()["proxy"], proxy, "{error}");
            assert!(error.is_offline());
        }
    }
    assert!(
        all_files(home.path()).is_empty(),
        "a refused add wrote nothing"
    );
}

/// A fresh service (as a new run would start) with the system's proxy, and what it decides for
/// the HTTPS shop.
async fn with_system_proxy(
    shops: &Shops,
) -> (
    tempfile::TempDir,
    Service,
    fe2_license::client::ProxyDecision,
) {
    let home = tempfile::tempdir().expect("home");
    let service = service_with(home.path(), memory_store(), ProxyChoice::System);
    let decision = service
        .proxy_decision(&shops.https_url)
        .await
        .expect("decision");
    (home, service, decision)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_proxy_is_reported_and_used() {
    let shops = world().await;
    let squid = Squid::start(false);
    std::env::set_var("https_proxy", squid.url());
    let (_home, service, decision) = with_system_proxy(&shops).await;
    assert_eq!(decision.proxy_text(), Some(squid.url()));
    assert_eq!(
        decision.source,
        ProxySource::Environment {
            variable: "https_proxy".into()
        }
    );
    service
        .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("through the environment's proxy");

    // NO_PROXY names the shop: reported direct, and direct it is (its name resolves nowhere).
    std::env::set_var("NO_PROXY", "localhost, .fe2.test");
    let (_home, service, decision) = with_system_proxy(&shops).await;
    assert_eq!(
        (decision.proxy, decision.source),
        (
            None,
            ProxySource::EnvironmentBypass {
                variable: "NO_PROXY".into()
            }
        )
    );
    let error = service
        .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect_err("direct");
    assert_eq!(error.code(), "unreachable", "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_inspecting_proxy_is_refused_until_its_ca_is_trusted() {
    let shops = world().await;
    let proxy_ca = Arc::new(TestCa::new("Stadt Musterstadt Proxy CA"));
    let front = SocketAddr::from(([127, 0, 0, 1], shops.https_port));
    let port = intercepting_proxy(proxy_ca.clone(), front, &shops.shop_ca).await;
    let proxy = format!("http://127.0.0.1:{port}");
    let home = tempfile::tempdir().expect("home");

    let service = service_with(home.path(), memory_store(), explicit(&proxy));
    let error = service
        .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect_err("intercepted");
    assert_eq!(
        error,
        Error::TlsIntercepted {
            issuer: "CN=Stadt Musterstadt Proxy CA, O=Stadt Musterstadt".into(),
            proxy: Some(proxy.clone()),
        }
    );
    assert!(!error.is_offline());
    assert!(error.to_string().contains("root certificate"), "{error}");
    assert!(
        all_files(home.path()).is_empty(),
        "a refused add wrote nothing"
    );

    // IT puts the proxy's root certificate into the store: the same request succeeds.
    shops.trust(&[&shops.shop_ca, &proxy_ca]);
    let service = service_with(home.path(), memory_store(), explicit(&proxy));
    service
        .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
        .await
        .expect("through the trusted inspecting proxy");
}

/// The evidence for docs/proxy.md, NTLM and Negotiate: the client speaks Basic only. A proxy
/// that offers NTLM only is a clear `proxy_auth_required`, also with a stored login; one that
/// offers Basic beside NTLM (a usual set-up for computers outside the domain) takes the stored
/// login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ntlm_proxy_takes_the_basic_login_only_when_it_offers_basic_too() {
    let shops = world().await;
    let login = ProxyCredential {
        username: PROXY_USER.into(),
        password: PROXY_PASSWORD.into(),
    };
    for (offered, works) in [(Login::NtlmOnly, false), (Login::NtlmAndBasic, true)] {
        let squid = Squid::start_with(offered);
        let home = tempfile::tempdir().expect("home");
        let secrets = Arc::new(MemorySecretStore::new());
        let service = service_with(home.path(), secrets, explicit(&squid.url()));
        let without = service
            .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
            .await
            .expect_err("no login");
        assert_eq!(without.details()["problem"], "missing", "{without}");
        service
            .set_proxy_credential(&squid.url(), login.clone())
            .await
            .expect("stored");
        let with = service
            .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
            .await;
        match (with, works) {
            (Ok(_), true) => {}
            (Err(error), false) => assert_eq!(error.details()["problem"], "rejected", "{error}"),
            (other, _) => panic!("NTLM + Basic {works}: {other:?}"),
        }
    }
}

/// The check of one kind in a diagnosis.
fn check_of(diagnosis: &Diagnosis, kind: CheckKind) -> &DoctorCheck {
    diagnosis
        .checks
        .iter()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} check: {diagnosis:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_walks_the_way_and_names_the_first_problem() {
    let _serial = SERIAL.lock().await;
    let shops = shops().await;
    let certs = tempfile::tempdir().expect("dir");
    trust(certs.path(), &[&shops.shop_ca]);
    let squid = Squid::start(true);
    let home = tempfile::tempdir().expect("home");
    let secrets = Arc::new(MemorySecretStore::new());
    let service = service_with(home.path(), secrets.clone(), explicit(&squid.url()));
    let step = Duration::from_secs(5);

    // The proxy wants a login: the tunnel is the first failure, the rest is not checked.
    let diagnosis = {
        // An account of our shop, added with a login that is then taken away again.
        secrets
            .set_proxy(
                &format!("proxy@127.0.0.1:{}", squid.port),
                &ProxyCredential {
                    username: PROXY_USER.into(),
                    password: PROXY_PASSWORD.into(),
                },
            )
            .expect("stored");
        service
            .add_account(&shops.https_url, BASIS_EMAIL, BASIS_PASSWORD)
            .await
            .expect("added through squid");
        secrets
            .delete(&format!("proxy@127.0.0.1:{}", squid.port))
            .expect("deleted");
        let fresh = service_with(home.path(), secrets.clone(), explicit(&squid.url()));
        fresh.doctor(Some(BASIS_EMAIL), step).await
    };
    assert_eq!(
        check_of(&diagnosis, CheckKind::Keychain).outcome,
        CheckOutcome::Pass
    );
    assert_eq!(
        check_of(&diagnosis, CheckKind::Proxy).outcome,
        CheckOutcome::Pass
    );
    assert!(check_of(&diagnosis, CheckKind::Proxy)
        .detail
        .contains(&squid.url()));
    assert_eq!(
        check_of(&diagnosis, CheckKind::Dns).outcome,
        CheckOutcome::Pass
    );
    let tunnel = check_of(&diagnosis, CheckKind::Tcp);
    assert_eq!(tunnel.outcome, CheckOutcome::Fail, "{diagnosis:#?}");
    assert_eq!(tunnel.error.as_ref().unwrap().code, "proxy_auth_required");
    assert_eq!(diagnosis.first_failure().unwrap().kind, CheckKind::Tcp);
    for kind in [
        CheckKind::Tls,
        CheckKind::Shop,
        CheckKind::Login,
        CheckKind::Clock,
    ] {
        assert_eq!(
            check_of(&diagnosis, kind).outcome,
            CheckOutcome::Skip,
            "{kind:?}"
        );
    }

    // With the login stored every check passes, and TLS names the shop certificate's issuer.
    secrets
        .set_proxy(
            &format!("proxy@127.0.0.1:{}", squid.port),
            &ProxyCredential {
                username: PROXY_USER.into(),
                password: PROXY_PASSWORD.into(),
            },
        )
        .expect("stored");
    let fresh = service_with(home.path(), secrets.clone(), explicit(&squid.url()));
    let diagnosis = fresh.doctor(Some(BASIS_EMAIL), step).await;
    assert!(diagnosis.passed(), "{diagnosis:#?}");
    assert!(check_of(&diagnosis, CheckKind::Tls)
        .detail
        .contains("FE2 Test Shop CA"));
    assert!(check_of(&diagnosis, CheckKind::Login)
        .detail
        .contains(BASIS_EMAIL));
    assert_eq!(
        check_of(&diagnosis, CheckKind::Clock).detail,
        "+0 s from the shop's clock"
    );
    // Nothing the doctor reports holds a secret.
    let text = serde_json::to_string(&diagnosis).expect("json");
    for secret in [PROXY_PASSWORD, BASIS_PASSWORD] {
        assert!(!text.contains(secret), "{text}");
    }

    // A TLS-inspecting proxy whose CA is not trusted: TLS fails and names that CA.
    let proxy_ca = Arc::new(TestCa::new("Stadt Musterstadt Proxy CA"));
    let front = SocketAddr::from(([127, 0, 0, 1], shops.https_port));
    let port = intercepting_proxy(proxy_ca, front, &shops.shop_ca).await;
    let inspecting = service_with(
        home.path(),
        secrets,
        explicit(&format!("http://127.0.0.1:{port}")),
    );
    let diagnosis = inspecting.doctor(Some(BASIS_EMAIL), step).await;
    let tls = check_of(&diagnosis, CheckKind::Tls);
    assert_eq!(tls.outcome, CheckOutcome::Fail, "{diagnosis:#?}");
    assert_eq!(tls.error.as_ref().unwrap().code, "tls_intercepted");
    assert!(
        tls.detail.contains("Stadt Musterstadt Proxy CA"),
        "{}",
        tls.detail
    );
    assert_eq!(diagnosis.first_failure().unwrap().kind, CheckKind::Tls);
    std::env::remove_var("SSL_CERT_FILE");
}
