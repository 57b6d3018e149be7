//! The reference FE2 shop: a real server of the Shop API (docs/shop-api.openapi.yaml) on SQLite.
//!
//! It is the demo back end (in-process in the desktop app's demo mode), the back end of every
//! client test, and an executable specification the vendor can hold its own plugin against.
//! Every business rule comes from `fe2-license`; this crate only stores state and answers HTTP.

pub mod api;
pub mod auth;
pub mod db;
pub mod error;
pub mod fixtures;
pub mod idempotency;

pub use fixtures::{demo_fixtures, Fixtures};

use ed25519_dalek::SigningKey;
use fe2_license::{Clock, Error, SystemClock};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Seed of the demo signing key. It is PUBLIC (it is in this source file): a license file
/// signed with it proves nothing. Only `fe2-shop demo` and the app's demo mode use it.
pub const DEMO_SIGNING_SEED: [u8; 32] = *b"fe2-shop demo key: PUBLIC, demo!";

/// The fixed demo signing key (see [`DEMO_SIGNING_SEED`]).
pub fn demo_signing_key() -> SigningKey {
    SigningKey::from_bytes(&DEMO_SIGNING_SEED)
}

/// A fresh random signing key.
pub fn random_signing_key() -> SigningKey {
    SigningKey::from_bytes(&rand::random::<[u8; 32]>())
}

/// The key id published in `GET /keys`: the first 16 hex digits of SHA-256 of the public key.
pub fn key_id(key: &SigningKey) -> String {
    let digest = Sha256::digest(key.verifying_key().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the shop keeps its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbLocation {
    /// Gone when the shop stops (`--db :memory:`).
    Memory,
    /// A SQLite file; a restart keeps its state.
    File(PathBuf),
}

impl DbLocation {
    /// `:memory:` or a path, as `--db` takes it.
    pub fn from_arg(arg: &str) -> Self {
        if arg == ":memory:" {
            DbLocation::Memory
        } else {
            DbLocation::File(PathBuf::from(arg))
        }
    }
}

/// How to run a shop.
pub struct ServerConfig {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Database.
    pub db: DbLocation,
    /// Loaded only into an empty database; without them an empty database gets the demo
    /// catalog and no customers.
    pub fixtures: Option<Fixtures>,
    /// The shop's clock (frozen by `--now`).
    pub clock: Arc<dyn Clock>,
    /// Signs license files.
    pub signing_key: SigningKey,
}

impl ServerConfig {
    /// The demo shop: loopback, any port, in memory, demo fixtures, real clock, demo key.
    pub fn demo() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: DbLocation::Memory,
            fixtures: Some(demo_fixtures()),
            clock: Arc::new(SystemClock),
            signing_key: demo_signing_key(),
        }
    }
}

/// Limits against clients that send slowly, so a trickle of bytes cannot hold a connection
/// (and its memory) for ever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest time a client may take to send a request's line and headers.
    pub header_read: Duration,
    /// Longest time from the headers to the answer, the upload of the body included.
    pub request: Duration,
}

impl Default for Timeouts {
    /// 10 s for the headers, 30 s for the rest: generous for a client on a slow link.
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

/// A running shop; dropping it stops the server.
pub struct RunningShop {
    /// The bound address.
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningShop {
    /// `http://127.0.0.1:PORT`: the shop's URL, as the first stdout line names it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API's base URL (`{shop}/wp-json/fe2/v1`).
    pub fn api_url(&self) -> String {
        format!("{}{}", self.base_url(), api::BASE_PATH)
    }

    /// Stops accepting requests, finishes the running ones and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(signal) = self.shutdown.take() {
            // The server may have ended already; then there is nobody to tell.
            let _ = signal.send(());
        }
        self.wait().await
    }

    /// Waits until the server ends (it ends only after [`RunningShop::shutdown`] or an I/O error).
    pub async fn wait(self) -> Result<(), Error> {
        match self.task.await {
            Ok(result) => result.map_err(|e| io_error("server", &e)),
            Err(_) => Err(Error::Internal("the server task failed".to_string())),
        }
    }
}

/// An I/O error in the core's terms.
fn io_error(path: &str, error: &std::io::Error) -> Error {
    Error::Io {
        path: path.to_string(),
        reason: error.to_string(),
    }
}

/// A database error at start-up.
fn db_error(error: rusqlite::Error) -> Error {
    Error::Internal(format!("database: {error}"))
}

/// Opens (and migrates) the database, loads fixtures into it when empty and starts serving
/// with the default [`Timeouts`].
pub async fn spawn(config: ServerConfig) -> Result<RunningShop, Error> {
    spawn_with_timeouts(config, Timeouts::default()).await
}

/// [`spawn`] with the given limits against slow clients.
pub async fn spawn_with_timeouts(
    config: ServerConfig,
    timeouts: Timeouts,
) -> Result<RunningShop, Error> {
    let mut conn = match &config.db {
        DbLocation::Memory => rusqlite::Connection::open_in_memory(),
        DbLocation::File(path) => rusqlite::Connection::open(path),
    }
    .map_err(db_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_error)?;
    db::migrate(&mut conn).map_err(db_error)?;
    let auth = auth::Auth::new(db::password_secret(&conn).map_err(db_error)?);
    if db::is_empty(&conn).map_err(db_error)? {
        let fixtures = config.fixtures.unwrap_or_else(|| Fixtures {
            customers: Vec::new(),
            ..demo_fixtures()
        });
        let mac = |password: &str| auth.mac(password).to_vec();
        db::load_fixtures(&mut conn, &fixtures, config.clock.now(), &mac).map_err(|e| e.0)?;
    }
    let catalog = db::load_catalog(&conn)
        .map_err(|e| e.0)?
        .ok_or_else(|| Error::Internal("the database has no catalog".to_string()))?;
    let state = Arc::new(api::AppState {
        db: Arc::new(Mutex::new(conn)),
        clock: config.clock,
        auth,
        locks: idempotency::KeyLocks::default(),
        catalog,
        kid: key_id(&config.signing_key),
        signing_key: config.signing_key,
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| io_error(&config.listen.to_string(), &e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| io_error(&config.listen.to_string(), &e))?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let app = api::router(state, timeouts.request);
    let task = tokio::spawn(serve(listener, app, timeouts.header_read, stopped));
    Ok(RunningShop {
        addr,
        shutdown: Some(shutdown),
        task,
    })
}

/// Accepts connections until `stopped` fires, then lets the open ones finish their requests.
///
/// A loop of its own rather than `axum::serve`, because only hyper's builder can bound the
/// time a client takes to send its headers.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read: Duration,
    stopped: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let (closing, closing_seen) = tokio::sync::watch::channel(());
    let mut connections = tokio::task::JoinSet::new();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        tokio::select! {
            // A dropped sender also stops the server.
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        eprintln!("fe2-shop: accept failed: {error}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let mut closing = closing_seen.clone();
                connections.spawn(async move {
                    let mut builder = hyper::server::conn::http1::Builder::new();
                    builder
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(header_read);
                    let connection =
                        builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    let mut connection = std::pin::pin!(connection);
                    tokio::select! {
                        // A client that breaks off or is too slow is its own business.
                        _ = connection.as_mut() => {}
                        _ = closing.changed() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    }
                });
            }
        }
    }
    drop(closing);
    while connections.join_next().await.is_some() {}
    Ok(())
}
