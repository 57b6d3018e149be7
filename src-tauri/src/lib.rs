//! The desktop app: thin Tauri commands over the `fe2-license` core service (docs/ipc.md),
//! plus what only a desktop has: window, tray, notifications, single instance, autostart.

mod commands;
#[cfg(feature = "demo")]
mod demo;
#[cfg(target_os = "linux")]
mod desktop_bus;
mod ipc_error;
mod links;
mod navigation;
mod platform;
mod publish;
mod start_failure;
#[cfg(test)]
mod tests;
mod tray;

include!("command_names.rs");

pub use ipc_error::IpcError;
pub use links::BrowserOpener;

use fe2_license::paths::{Home, HOME_ENV};
use fe2_license::policy::Policy;
use fe2_license::secrets::{KeychainSecretStore, SecretStore};
use fe2_license::service::{LicenseView, Service, ServiceOptions};
use fe2_license::{Clock, ErrorClass, SystemClock};
use start_failure::StartFailure;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Manager, RunEvent, Runtime, WebviewWindowBuilder, Wry};

/// How often all accounts are refreshed in the background.
const REFRESH_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// How soon to try again while a shop is unreachable, so the view recovers when the network
/// comes back (a page's `online` event is not reliable in every web view).
const RETRY_OFFLINE: Duration = Duration::from_secs(5 * 60);
/// How long the background refresh waits for the page's first `list_licenses` before it starts
/// anyway (a page that never asks still gets refreshed).
const FIRST_LIST_FALLBACK: Duration = Duration::from_secs(10);

/// What every command works with.
pub struct AppState {
    /// The core service (accounts, caches, shop calls, settings).
    pub service: Service,
    /// The clock of notifications.
    pub clock: Arc<dyn Clock>,
    /// Demo mode: temporary data, in-process reference shop.
    pub demo: bool,
    /// Where this run keeps its files (shown in the UI).
    pub data_home: PathBuf,
    /// Refreshes of all accounts running now (for `refresh-state`).
    refreshing: AtomicUsize,
    /// Signalled when a `list_licenses` has answered: the page can paint the cached dashboard,
    /// so the background refresh may start (docs/performance.md).
    first_list: tokio::sync::Notify,
}

impl AppState {
    /// The state of one run.
    pub fn new(service: Service, clock: Arc<dyn Clock>, demo: bool, data_home: PathBuf) -> Self {
        Self {
            service,
            clock,
            demo,
            data_home,
            refreshing: AtomicUsize::new(0),
            first_list: tokio::sync::Notify::new(),
        }
    }
}

/// The invoke handler of the commands given to it (all of [`COMMANDS`]).
macro_rules! command_handler {
    ($($name:ident),+) => {
        tauri::generate_handler![$(commands::$name),+]
    };
}

/// Registers the state and every command of [`COMMANDS`] (tests use it with the mock runtime).
pub fn builder<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(with_commands!(command_handler))
}

/// Where and how this run keeps its data.
struct Startup {
    home: Home,
    secrets: Arc<dyn SecretStore>,
    /// `FE2_LICENSE_HOME` when set: a home of its own (tests, portable installs).
    custom_home: Option<PathBuf>,
    data_home: PathBuf,
    /// The demo's temporary home, removed at exit.
    #[cfg(feature = "demo")]
    demo_dir: Option<tempfile::TempDir>,
}

impl Startup {
    /// The OS keychain over `FE2_LICENSE_HOME` or the OS directories; in demo mode a temporary
    /// home with an in-memory secret store (never the user's configuration or keychain).
    fn new(demo: bool) -> Result<Self, fe2_license::Error> {
        if demo {
            return Self::demo();
        }
        let home = Home::from_env()?;
        let custom_home = std::env::var_os(HOME_ENV)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from);
        let data_home = custom_home
            .clone()
            .unwrap_or_else(|| home.data_dir().to_path_buf());
        Ok(Self {
            home,
            secrets: Arc::new(KeychainSecretStore::new()),
            custom_home,
            data_home,
            #[cfg(feature = "demo")]
            demo_dir: None,
        })
    }

    #[cfg(feature = "demo")]
    fn demo() -> Result<Self, fe2_license::Error> {
        let dir = demo::temporary_home()?;
        Ok(Self {
            home: Home::at(dir.path()),
            secrets: Arc::new(fe2_license::secrets::MemorySecretStore::new()),
            custom_home: None,
            data_home: dir.path().to_path_buf(),
            demo_dir: Some(dir),
        })
    }

    #[cfg(not(feature = "demo"))]
    fn demo() -> Result<Self, fe2_license::Error> {
        Err(fe2_license::Error::BadRequest(
            "this build has no demo mode (build it with the cargo feature `demo`)".into(),
        ))
    }
}

/// Starts the app (`--demo` for demo mode).
pub fn run() {
    #[cfg(target_os = "linux")]
    accelerated_compositing_off();
    let demo = std::env::args().skip(1).any(|arg| arg == "--demo");
    // The user's home for the language and the log of a failed start; the demo keeps no log.
    let home = if demo { None } else { Home::from_env().ok() };
    // Without a web view runtime (WebView2 on Windows) Tauri would fail without a word.
    if let Err(failure) = start_failure::check_webview() {
        failure.report_and_exit(home.as_ref());
    }
    if let Err(e) = run_app(demo) {
        StartFailure::Other(e.to_string()).report_and_exit(home.as_ref());
    }
}

/// Turns WebKitGTK's accelerated compositing off unless the user decided otherwise: a page of
/// cards gains nothing from it, and it costs about 100 MB in the web process (without a GPU it
/// renders through a software GL; docs/performance.md). Set before any thread or GTK starts.
#[cfg(target_os = "linux")]
fn accelerated_compositing_off() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, "1");
    }
}

fn run_app(demo: bool) -> Result<(), Box<dyn std::error::Error>> {
    let startup = Startup::new(demo)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Reads accounts, settings and caches once: the first `list_licenses` answers from memory.
    // The demo keeps away from this computer's policies as from its data: a central proxy or
    // shop list would lock the in-process demo shop on loopback out.
    let options = ServiceOptions {
        policy: demo.then(Policy::default),
        ..ServiceOptions::default()
    };
    let service = Service::with_options(
        startup.home.clone(),
        startup.secrets.clone(),
        clock.clone(),
        options,
    )?;

    #[cfg(feature = "demo")]
    let demo_shop = if demo {
        Some(tauri::async_runtime::block_on(demo::start(&service))?)
    } else {
        None
    };

    // The page's first views are read (keychain, signatures) while Tauri, GTK and the plugins
    // start, not before the window (docs/performance.md); after the demo shop's accounts exist.
    let first_views = {
        let service = service.clone();
        std::thread::spawn(move || tauri::async_runtime::block_on(service.accounts()))
    };

    let mut context = tauri::generate_context!();
    let identifier = platform::instance_identifier(
        &context.config().identifier,
        demo,
        startup.custom_home.as_deref(),
    );
    context.config_mut().identifier = identifier;

    let state = AppState::new(service, clock, demo, startup.data_home.clone());
    let home = startup.home.clone();
    let app = builder(with_plugins(tauri::Builder::default(), &home, demo), state)
        .setup(move |app| {
            #[cfg(feature = "demo")]
            if let Some(shop) = demo_shop {
                app.manage(DemoShop { _shop: shop });
                demo::exit_on_signal(app.handle().clone());
            }
            // A thread that panicked leaves the page to ask for the views itself.
            let views = first_views.join().ok();
            let start = start_data(app.handle(), views);
            open_main_window(app.handle(), &home, &start)?;
            // A central policy's autostart is enforced at every start, not only when the
            // settings are saved: the policy may have come after the last save.
            let state = app.state::<AppState>();
            if let Some(enabled) = state.service.policy().autostart {
                platform::apply_autostart(app.handle(), &state, enabled);
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(refresh_in_background(handle, FIRST_LIST_FALLBACK));
            Ok(())
        })
        .build(context)?;

    #[cfg(feature = "demo")]
    let mut demo_dir = startup.demo_dir;
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            #[cfg(feature = "demo")]
            drop(demo_dir.take());
        }
    });
    Ok(())
}

/// Keeps the in-process demo shop running as long as the app.
#[cfg(feature = "demo")]
struct DemoShop {
    _shop: fe2_shop::RunningShop,
}

/// The official plugins, single-instance first; every file they write lives in the data home.
fn with_plugins(builder: tauri::Builder<Wry>, home: &Home, demo: bool) -> tauri::Builder<Wry> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    let logs = tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([
            Target::new(TargetKind::Stdout),
            Target::new(TargetKind::Folder {
                path: home.logs_dir(),
                file_name: Some("fe2-license-manager".into()),
            }),
        ])
        .level(log::LevelFilter::Info)
        // HTTP and D-Bus libraries log requests at debug level; keep them quiet.
        .level_for("reqwest", log::LevelFilter::Warn)
        .level_for("hyper", log::LevelFilter::Warn)
        .level_for("hyper_util", log::LevelFilter::Warn)
        .max_file_size(1_000_000)
        .rotation_strategy(RotationStrategy::KeepOne)
        .build();
    // An absolute file name: window-state joins it onto its directory, which then drops out.
    let window_state_file = home.data_dir().join("window-state.json");
    // Linux: single instance and notifications over the keychain's D-Bus binding instead of
    // the plugins' own D-Bus stack (desktop_bus.rs).
    #[cfg(target_os = "linux")]
    let builder = builder.plugin(desktop_bus::single_instance());
    #[cfg(not(target_os = "linux"))]
    let builder = builder
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            platform::show_main_window(app)
        }))
        .plugin(tauri_plugin_notification::init());
    let builder = builder
        .manage(publish::DesktopNotifications)
        .manage(links::BrowserOpener)
        .plugin(logs)
        .plugin(
            tauri_plugin_window_state::Builder::new()
                .with_filename(window_state_file.to_string_lossy())
                .build(),
        );
    // The start-up benchmark's marker, only in benchmark builds (scripts/bench.sh).
    #[cfg(feature = "bench")]
    let builder = builder.plugin(fe2_bench_marker::init());
    if demo {
        builder
    } else {
        builder.plugin(tauri_plugin_autostart::Builder::new().build())
    }
}

/// The page's first data as a script: the cached views, the settings and the app info that the
/// first `list_licenses`, `get_settings` and `app_info` would answer, so that the first card is
/// painted without waiting for IPC (docs/performance.md). Only what the service shows: `views`
/// are `Service::accounts`, read while the app started. The page still asks for them (the
/// background refresh starts after that answer), and uses these only until the answers arrive.
/// Without views (`None`) there is no start data and the page waits for the commands.
fn start_data<R: Runtime>(app: &AppHandle<R>, views: Option<Vec<LicenseView>>) -> String {
    let Some(views) = views else {
        return String::new();
    };
    let state = app.state::<AppState>();
    let data = serde_json::json!({
        "views": views,
        "settings": state.service.settings(),
        "info": commands::info(app, &state),
    });
    // JSON is a JavaScript expression; the page checks the shape before it uses it.
    format!("window.__FE2_START__ = {data};")
}

/// The main window from tauri.conf.json, with its web view data in the data home and the
/// page's first data (`start_data`).
fn open_main_window<R: Runtime>(app: &AppHandle<R>, home: &Home, start: &str) -> tauri::Result<()> {
    let Some(config) = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
    else {
        return Err(tauri::Error::WindowNotFound);
    };
    // The dev server only where Tauri loads it (a build without custom-protocol).
    let dev_url = app
        .config()
        .build
        .dev_url
        .clone()
        .filter(|_| tauri::is_dev());
    WebviewWindowBuilder::from_config(app, &config)?
        .data_directory(home.webview_dir())
        .initialization_script(start)
        .on_navigation(move |url| {
            let allowed = navigation::allowed(url, dev_url.as_ref());
            // The benchmark's signal must reach its plugin, which cancels it (scripts/bench.sh).
            #[cfg(feature = "bench")]
            let allowed = allowed || fe2_bench_marker::is_signal(url);
            if !allowed {
                log::warn!(
                    "navigation to another origin refused: {}",
                    url.origin().ascii_serialization()
                );
            }
            allowed
        })
        .build()?;
    Ok(())
}

/// Refreshes every account once the page's first `list_licenses` has answered (or after
/// `fallback`), then every 6 hours (every 5 minutes while a shop cannot be reached).
async fn refresh_in_background<R: Runtime>(app: AppHandle<R>, fallback: Duration) {
    let state = app.state::<AppState>();
    // The refresh's keychain reads, signature checks and events would compete with the first
    // paint on small machines: the cached dashboard comes first.
    let _ = tokio::time::timeout(fallback, state.first_list.notified()).await;
    // The tray too: on Linux it loads the indicator library and talks D-Bus on the main thread,
    // which would hold up the window's first paint.
    let language = state.service.settings().language;
    let handle = app.clone();
    let (created, tray_ready) = tokio::sync::oneshot::channel();
    let scheduled = app.run_on_main_thread(move || {
        tray::create(&handle, language);
        let _ = created.send(());
    });
    match scheduled {
        // Its first state below needs the tray to exist.
        Ok(()) => {
            let _ = tray_ready.await;
        }
        Err(e) => log::info!("running without a tray icon: {e}"),
    }
    // The tray and the notifications first show what the cache knows.
    publish::changed(&app, &state).await;
    loop {
        let views = publish::refresh_all(&app, &state).await;
        // Only a shop that was not reached is worth retrying soon; a refused password is not,
        // because retrying it would only run into the shop's sign-in throttle.
        let unreachable = views.iter().any(|v| {
            v.offline
                && v.last_error
                    .as_ref()
                    .is_some_and(|e| e.class == ErrorClass::Network)
        });
        tokio::time::sleep(if unreachable {
            RETRY_OFFLINE
        } else {
            REFRESH_EVERY
        })
        .await;
    }
}
