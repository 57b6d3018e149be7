//! Helpers of the end-to-end tests: the real app binary (built through the Tauri CLI), one
//! `tauri-driver` per app session, the reference shop (in-process, or the `fe2-shop serve` binary
//! with a frozen clock), and the values the app must show, computed with the core from the shop's
//! own licenses.

pub mod fault_proxy;

use chrono::Utc;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use fe2_license::client::{ClientOptions, ShopClient};
use fe2_license::expiry;
use fe2_license::paths::Home;
use fe2_license::secrets::MemorySecretStore;
use fe2_license::service::Service;
use fe2_license::SystemClock;
use fe2_shop::{RunningShop, ServerConfig};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a test step returns.
pub type TestResult<T = ()> = Result<T, TestError>;

/// Any failure of an end-to-end step.
pub type TestError = Box<dyn std::error::Error + Send + Sync>;

/// How long the UI may take for anything.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// How long a failing wait tries to save the screen before it reports anyway.
const FAILURE_SHOT_PATIENCE: Duration = Duration::from_secs(20);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The app binary: `APP_BIN`, else the debug build of the Tauri CLI.
pub fn app_binary() -> TestResult<PathBuf> {
    built_binary(
        "APP_BIN",
        "target/debug/fe2-license-manager",
        "npx tauri build --debug --no-bundle --features demo",
    )
}

/// A binary named by an environment variable, else at a path below the workspace; an error
/// says how to build it.
fn built_binary(variable: &str, default: &str, build: &str) -> TestResult<PathBuf> {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(default));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("no binary at {}: build it with `{build}`", path.display()).into())
    }
}

/// A port nobody listens on right now.
fn free_port() -> TestResult<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `tauri-driver`; killed when dropped, also when a test fails.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `tauri-driver` (which starts WebKitWebDriver, which starts the app) with the app's
    /// data home in its environment.
    fn start(home: Option<&Path>, scratch: &Path) -> TestResult<Self> {
        let port = free_port()?;
        let native_port = free_port()?;
        // The app's stdout and stderr land here: part of what the secret scan searches.
        let log = std::fs::File::create(scratch.join(format!("driver-{port}.log")))?;
        let mut command =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()));
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            // The app's temporary files (the demo's data home) stay in the test's own directory,
            // removed with it even when the app is killed before it can clean up.
            .env("TMPDIR", scratch)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        match home {
            Some(home) => command.env("FE2_LICENSE_HOME", home),
            None => command.env_remove("FE2_LICENSE_HOME"),
        };
        let driver = Self {
            child: command.spawn()?,
            port,
        };
        // tauri-driver listens at once but passes the session on to WebKitWebDriver, which it
        // starts itself and which on a busy machine listens a moment later: wait for both.
        let deadline = Instant::now() + Duration::from_secs(30);
        for (what, listening_port) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while TcpStream::connect(("127.0.0.1", listening_port)).is_err() {
                if Instant::now() > deadline {
                    return Err(format!("{what} does not listen on {listening_port}").into());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(driver)
    }
}

impl Drop for Driver {
    /// SIGTERM first: tauri-driver then stops its WebKitWebDriver, which a SIGKILL would orphan.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One run of the app under WebDriver.
pub struct Session {
    /// The WebDriver client.
    pub client: Client,
    driver: Driver,
    scratch: tempfile::TempDir,
}

impl Session {
    /// Starts the app with `args`, its data home at `home` (None: the app decides, e.g. demo).
    pub async fn start(args: &[&str], home: Option<&Path>) -> TestResult<Self> {
        let app = app_binary()?;
        let scratch = kept_dir("session-")?;
        let driver = Driver::start(home, scratch.path())?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app, "args": args }),
        );
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await?;
        let session = Self {
            client,
            driver,
            scratch,
        };
        session.record_ipc_answers().await?;
        Ok(session)
    }

    /// Wraps the page's IPC entry point so that every answer the app gives the UI is kept for the
    /// secret scan (`after_e2e_run` test); answers before this are read again in [`Self::end`].
    async fn record_ipc_answers(&self) -> TestResult {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let installed = self.client.execute(RECORDER_JS, Vec::new()).await?;
            if installed.as_bool() == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the IPC recorder could not wrap window.fetch".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asks the app for everything it shows (licenses, details, settings, info) through the
    /// recorder and saves all recorded answers beside the session's logs.
    async fn save_ipc_answers(&self) -> TestResult {
        let answers = self.client.execute_async(READ_ALL_JS, Vec::new()).await?;
        if let Some(error) = answers.get("error") {
            return Err(format!("reading the app's answers: {error}").into());
        }
        let count = answers.as_array().map_or(0, Vec::len);
        if count == 0 {
            return Err("the IPC recorder kept no answer".into());
        }
        std::fs::write(
            self.scratch.path().join("ipc-answers.json"),
            serde_json::to_vec_pretty(&answers)?,
        )?;
        Ok(())
    }

    /// Waits for the first element matching a CSS selector; on a timeout the screen is saved
    /// in the temp directory so the failure can be seen.
    pub async fn wait_for(&self, css: &str) -> TestResult<Element> {
        let deadline = Instant::now() + PATIENCE;
        let found = retry_stale(|| {
            self.client
                .wait()
                .at_most(deadline.saturating_duration_since(Instant::now()))
                .for_element(Locator::Css(css))
        })
        .await;
        match found {
            Ok(element) => Ok(element),
            Err(e) => Err(self.failure(css, e).await),
        }
    }

    /// The error of a failed wait, with a screenshot of the moment.
    async fn failure(&self, css: &str, e: fantoccini::error::CmdError) -> TestError {
        let shot = std::env::temp_dir().join("fe2-e2e-failure.png");
        // An idle page is not painted again, and WebKit's snapshot waits for the next paint
        // (see `screenshot`): without a bound a failing wait hung the whole run for the CI's
        // limit instead of reporting what it waited for.
        self.client.execute(REPAINT_JS, Vec::new()).await.ok();
        let shot_taken = tokio::time::timeout(FAILURE_SHOT_PATIENCE, self.client.screenshot());
        if let Ok(Ok(png)) = shot_taken.await {
            let _ = std::fs::write(&shot, png);
        }
        format!("waiting for {css}: {e} (screen: {})", shot.display()).into()
    }

    /// Opens the dashboard route (`#/`).
    pub async fn go_to_dashboard(&self) -> TestResult {
        self.client
            .execute("window.location.hash = '#/';", Vec::new())
            .await?;
        Ok(())
    }

    /// Every element matching a CSS selector now.
    pub async fn all(&self, css: &str) -> TestResult<Vec<Element>> {
        Ok(retry_stale(|| self.client.find_all(Locator::Css(css))).await?)
    }

    /// Saves a screenshot as docs/screenshots/<name>.png (after the page settled).
    pub async fn screenshot(&self, name: &str) -> TestResult {
        // The captured frame lags the DOM a little (notes/tauri.md §2b).
        tokio::time::sleep(Duration::from_millis(800)).await;
        // Without accelerated compositing (the app's default on Linux) WebKit takes the snapshot
        // at the next paint, and an idle page does not paint: keep one invisible pixel moving.
        self.client.execute(REPAINT_JS, Vec::new()).await?;
        let png = self.client.screenshot().await;
        self.client
            .execute(
                "document.getElementById('fe2-repaint')?.remove();",
                Vec::new(),
            )
            .await?;
        let png = png?;
        let dir = workspace_root().join("docs/screenshots");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Ends the session (the app quits) and stops the driver; the IPC answers are saved first.
    pub async fn end(self) -> TestResult {
        self.save_ipc_answers().await?;
        let closed = self.client.close().await;
        drop(self.driver);
        drop(self.scratch);
        // Let the app release its single-instance name before the next start.
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(closed?)
    }
}

/// Wraps `window.fetch`, which Tauri's IPC uses for every call (`ipc://localhost/<command>`,
/// its `invoke` itself cannot be replaced), and keeps each IPC answer as the app sent it; true
/// when the wrapper is in place.
const RECORDER_JS: &str = r#"
if (!window.__TAURI_INTERNALS__) return false;
if (window.__fe2Ipc) return true;
window.__fe2Ipc = [];
const original = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const response = await original(input, init);
  const url = String(input instanceof Request ? input.url : input);
  if (url.startsWith('ipc:') || url.includes('ipc.localhost')) {
    response.clone().text().then((body) =>
      window.__fe2Ipc.push({ url, outcome: response.headers.get('Tauri-Response'), body }));
  }
  return response;
};
return true;
"#;

/// Calls every reading command through the recorder and hands back all recorded answers.
const READ_ALL_JS: &str = r#"
const done = arguments[arguments.length - 1];
const invoke = window.__TAURI_INTERNALS__.invoke;
(async () => {
  const views = await invoke('list_licenses', {}).catch(() => []);
  for (const view of views) await invoke('license_details', { email: view.email }).catch(() => null);
  await invoke('get_settings', {}).catch(() => null);
  await invoke('app_info', {}).catch(() => null);
  // The recorder reads each answer's body asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return window.__fe2Ipc;
})().then(done, (e) => done({ error: String(e) }));
"#;

/// Moves an invisible pixel every frame until it is removed, so the page keeps painting.
const REPAINT_JS: &str = r#"
const pixel = document.createElement('div');
pixel.id = 'fe2-repaint';
pixel.style.cssText = 'position:fixed;left:0;bottom:0;width:1px;height:1px;pointer-events:none;background:rgba(0,0,0,0.01)';
document.body.appendChild(pixel);
let frame = 0;
const tick = () => {
  if (!pixel.isConnected) return;
  pixel.style.transform = `translateX(${frame++ % 2}px)`;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"#;

/// Where the run keeps what the secret scan searches: `FE2_E2E_ARTIFACTS` (set by
/// scripts/test.sh), else nothing is kept.
pub const ARTIFACTS_ENV: &str = "FE2_E2E_ARTIFACTS";

/// A fresh directory: kept below `FE2_E2E_ARTIFACTS` when set, else removed when dropped.
fn kept_dir(prefix: &str) -> TestResult<tempfile::TempDir> {
    match std::env::var_os(ARTIFACTS_ENV) {
        Some(root) => {
            std::fs::create_dir_all(&root)?;
            Ok(tempfile::Builder::new()
                .prefix(prefix)
                .disable_cleanup(true)
                .tempdir_in(root)?)
        }
        None => Ok(tempfile::Builder::new().prefix(prefix).tempdir()?),
    }
}

/// A data home for the app (`FE2_LICENSE_HOME`), kept for the secret scan.
pub fn data_home() -> TestResult<tempfile::TempDir> {
    kept_dir("home-")
}

/// The reference shop with the demo fixtures on 127.0.0.1, any port.
pub async fn demo_shop() -> TestResult<RunningShop> {
    Ok(fe2_shop::spawn(ServerConfig::demo()).await?)
}

/// Days left of every demo license with a license, as the core computes them from the
/// licenses a fresh demo shop hands out now.
pub async fn demo_days_left() -> TestResult<BTreeMap<String, i64>> {
    let shop = demo_shop().await?;
    let home = tempfile::tempdir()?;
    let service = Service::new(
        Home::at(home.path()),
        Arc::new(MemorySecretStore::new()),
        Arc::new(SystemClock),
    )?;
    let mut days = BTreeMap::new();
    for customer in fe2_shop::demo_fixtures().customers {
        if customer.license.is_none() {
            continue;
        }
        let view = service
            .add_account(&shop.base_url(), &customer.email, &customer.app_password)
            .await?;
        let license = view.license.ok_or("the shop handed out no license")?;
        days.insert(view.email, expiry::days_left(&license, Utc::now()));
    }
    shop.shutdown().await?;
    Ok(days)
}

/// The demo customer the tests sign in as.
pub fn demo_customer(email: &str) -> TestResult<fe2_shop::fixtures::CustomerFixture> {
    fe2_shop::demo_fixtures()
        .customers
        .into_iter()
        .find(|c| c.email == email)
        .ok_or_else(|| format!("{email} is not a demo customer").into())
}

/// The `fe2-shop` binary: `FE2_SHOP_BIN`, else the debug build.
fn shop_binary() -> TestResult<PathBuf> {
    built_binary(
        "FE2_SHOP_BIN",
        "target/debug/fe2-shop",
        "cargo build -p fe2-shop",
    )
}

/// `fe2-shop serve` as its own process (`--listen`, `--now`); killed when dropped.
pub struct ShopProcess {
    child: Child,
    base_url: String,
}

impl ShopProcess {
    /// Serves a fixture file of `crates/fe2-shop/fixtures` from an in-memory database on a free
    /// loopback port, its clock frozen at `now` (RFC 3339) or running when None.
    pub fn serve(fixture: &str, now: Option<&str>) -> TestResult<Self> {
        let fixtures = workspace_root()
            .join("crates/fe2-shop/fixtures")
            .join(fixture);
        let mut command = Command::new(shop_binary()?);
        command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--db", ":memory:"]);
        if let Some(now) = now {
            command.args(["--now", now]);
        }
        let mut child = command
            .arg("--fixtures")
            .arg(&fixtures)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("fe2-shop has no stdout")?;
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first)?;
        let base_url = first
            .trim()
            .strip_prefix("listening on ")
            .map(str::to_owned);
        match base_url {
            Some(base_url) => Ok(Self { child, base_url }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("fe2-shop did not start: {first:?}").into())
            }
        }
    }

    /// `http://127.0.0.1:PORT`, the shop URL to add an account with.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client of the shop's API signed in as one customer (to check what the app did).
    pub fn client(&self, email: &str, password: &str) -> TestResult<ShopClient> {
        Ok(ShopClient::new(&self.base_url, &ClientOptions::default())?
            .with_credentials(email, password))
    }
}

impl Drop for ShopProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A customer of a fixture file of `crates/fe2-shop/fixtures`.
pub fn fixture_customer(
    fixture: &str,
    email: &str,
) -> TestResult<fe2_shop::fixtures::CustomerFixture> {
    let path = workspace_root()
        .join("crates/fe2-shop/fixtures")
        .join(fixture);
    let fixtures: fe2_shop::Fixtures = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    fixtures
        .customers
        .into_iter()
        .find(|c| c.email == email)
        .ok_or_else(|| format!("{email} is not in {fixture}").into())
}

/// The CSS selector of an element by its `data-testid`.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// The dashboard card of one license.
pub fn card(email: &str) -> String {
    format!("[data-testid=\"license-card\"][data-email=\"{email}\"]")
}

impl Session {
    /// Fills the add-account form and submits it.
    pub async fn add_account(&self, shop_url: &str, email: &str, password: &str) -> TestResult {
        self.click(&testid("add-account")).await?;
        for (field, value) in [
            ("account-shop-url", shop_url),
            ("account-email", email),
            ("account-password", password),
        ] {
            let input = self.wait_for(&testid(field)).await?;
            input.clear().await?;
            input.send_keys(value).await?;
        }
        self.click(&testid("account-submit")).await
    }

    /// Adds an account in the UI and opens its license detail.
    pub async fn open_license(&self, shop_url: &str, email: &str, password: &str) -> TestResult {
        self.add_account(shop_url, email, password).await?;
        // The result's first link opens the license.
        self.click("[data-testid=\"account-added\"] a.button")
            .await?;
        self.wait_for(&testid("item-qty")).await?;
        Ok(())
    }

    /// Opens a route of the UI (`#/license/<e-mail>`) as a link in the app would.
    pub async fn go_to(&self, hash: &str) -> TestResult {
        self.client
            .execute(
                "window.location.hash = arguments[0];",
                vec![serde_json::Value::String(hash.to_owned())],
            )
            .await?;
        Ok(())
    }

    /// The text of the first element matching a CSS selector, once it is there.
    pub async fn text_of(&self, css: &str) -> TestResult<String> {
        self.read_fresh(css, |e| async move { e.text().await })
            .await
    }

    /// An attribute of the first element matching a CSS selector, once it is there.
    pub async fn attr_of(&self, css: &str, name: &str) -> TestResult<Option<String>> {
        self.read_fresh(css, |e| async move { e.attr(name).await })
            .await
    }

    /// Whether the first element matching a CSS selector is enabled, once it is there.
    pub async fn is_enabled(&self, css: &str) -> TestResult<bool> {
        self.read_fresh(css, |e| async move { e.is_enabled().await })
            .await
    }

    /// Finds the element anew and reads it, again when the UI re-rendered it in between
    /// (a stale element is a moment of the page, not a failure of the app).
    async fn read_fresh<T, F, Fut>(&self, css: &str, read: F) -> TestResult<T>
    where
        F: Fn(Element) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match read(self.wait_for(css).await?).await {
                Err(e) if is_stale(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return Ok(other?),
            }
        }
    }

    /// Clicks the first element matching a CSS selector once it is there and enabled.
    pub async fn click(&self, css: &str) -> TestResult {
        self.click_when_enabled(css, PATIENCE).await
    }

    /// Clicks the first element matching a CSS selector once it is there and enabled, waiting
    /// up to `patience` (an element the UI re-renders meanwhile is found again).
    pub async fn click_when_enabled(&self, css: &str, patience: Duration) -> TestResult {
        let deadline = Instant::now() + patience;
        loop {
            let element = self.wait_for(css).await?;
            let outcome = match element.is_enabled().await {
                Ok(true) => element.click().await.map(|_| true),
                Ok(false) => Ok(false),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) if is_stale(&e) => {}
                Err(e) => return Err(e.into()),
            }
            if Instant::now() > deadline {
                return Err(format!("{css} stays disabled").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no element matches a CSS selector.
    pub async fn wait_gone(&self, css: &str) -> TestResult {
        let deadline = Instant::now() + PATIENCE;
        while !self.all(css).await?.is_empty() {
            if Instant::now() > deadline {
                return Err(format!("{css} is still there").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

/// Runs a search again while WebKitWebDriver reports a stale element (the UI re-rendered what
/// it was finding), for up to [`PATIENCE`].
async fn retry_stale<T, F, Fut>(mut search: F) -> Result<T, fantoccini::error::CmdError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        match search().await {
            Err(e) if is_stale(&e) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// True for WebDriver's "stale element reference" (the element left the DOM).
fn is_stale(error: &fantoccini::error::CmdError) -> bool {
    matches!(
        error,
        fantoccini::error::CmdError::Standard(e)
            if e.error == fantoccini::error::ErrorStatus::StaleElementReference
    )
}
