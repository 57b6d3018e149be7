//! `fe2-shop`: the reference shop's command line (the API: docs/shop-api.openapi.yaml).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use fe2_license::{Clock, FixedClock, SystemClock};
use fe2_shop::{DbLocation, Fixtures, RunningShop, ServerConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage:
  fe2-shop serve --listen 127.0.0.1:0 --db <file or :memory:> [--fixtures F.json] [--now 2025-07-02T12:00:00Z] [--signing-key <file>]
  fe2-shop public-key --signing-key <file>
  fe2-shop demo [--listen 127.0.0.1:0] [--now <time>]";

/// Options of `serve` and `demo`.
struct Options {
    listen: SocketAddr,
    db: DbLocation,
    fixtures: Option<String>,
    now: Option<DateTime<Utc>>,
    signing_key: Option<String>,
}

/// Reads `--name value` pairs.
fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        db: DbLocation::Memory,
        fixtures: None,
        now: None,
        signing_key: None,
    };
    let mut rest = args.iter();
    while let Some(name) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{name} needs a value"))?;
        match name.as_str() {
            "--listen" => {
                options.listen = value
                    .parse()
                    .map_err(|_| format!("--listen: not an address: {value}"))?;
            }
            "--db" => options.db = DbLocation::from_arg(value),
            "--fixtures" => options.fixtures = Some(value.clone()),
            "--now" => {
                let at = DateTime::parse_from_rfc3339(value)
                    .map_err(|_| format!("--now: not an RFC 3339 time: {value}"))?;
                options.now = Some(at.with_timezone(&Utc));
            }
            "--signing-key" => options.signing_key = Some(value.clone()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

/// Reads a signing key file (base64 of the 32-byte seed), creating it when missing.
fn load_or_create_key(path: &Path) -> Result<SigningKey, String> {
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("{}: not base64", path.display()))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{}: not 32 bytes", path.display()))?;
        return Ok(SigningKey::from_bytes(&seed));
    }
    let key = fe2_shop::random_signing_key();
    let mut file = create_private(path).map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(file, "{}", STANDARD.encode(key.to_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(key)
}

/// Creates a file only its owner can read (the key is a secret).
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The clock of `--now`, or the real one.
fn clock(now: Option<DateTime<Utc>>) -> Arc<dyn Clock> {
    match now {
        Some(at) => Arc::new(FixedClock::new(at)),
        None => Arc::new(SystemClock),
    }
}

/// Prints the first line that tests and scripts wait for, at once.
fn announce(shop: &RunningShop) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the shop.
    let _ = writeln!(out, "listening on {}", shop.base_url());
    let _ = out.flush();
}

/// Serves until Ctrl-C (or for ever where signals cannot be caught).
async fn run_until_stopped(shop: RunningShop) -> Result<(), String> {
    match tokio::signal::ctrl_c().await {
        Ok(()) => shop.shutdown().await,
        Err(_) => shop.wait().await,
    }
    .map_err(|e| e.to_string())
}

/// `fe2-shop serve`.
async fn serve(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let fixtures = match &options.fixtures {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            Some(Fixtures::from_json(&text).map_err(|e| format!("{path}: {e}"))?)
        }
        None => None,
    };
    let signing_key = match &options.signing_key {
        Some(path) => load_or_create_key(Path::new(path))?,
        None => fe2_shop::random_signing_key(),
    };
    let shop = fe2_shop::spawn(ServerConfig {
        listen: options.listen,
        db: options.db,
        fixtures,
        clock: clock(options.now),
        signing_key,
    })
    .await
    .map_err(|e| e.to_string())?;
    announce(&shop);
    run_until_stopped(shop).await
}

/// `fe2-shop demo`.
async fn demo(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let fixtures = fe2_shop::demo_fixtures();
    let shop = fe2_shop::spawn(ServerConfig {
        listen: options.listen,
        clock: clock(options.now),
        ..ServerConfig::demo()
    })
    .await
    .map_err(|e| e.to_string())?;
    announce(&shop);
    let width = fixtures
        .customers
        .iter()
        .map(|c| c.email.len())
        .max()
        .unwrap_or(0);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\ndemo accounts (the demo signing key is public: demo only)"
    );
    let _ = writeln!(
        out,
        "{:<width$}  {:<29}  situation",
        "e-mail", "application password"
    );
    for customer in &fixtures.customers {
        let situation = customer
            .license
            .as_ref()
            .map(|l| format!("{} {} {}", l.kind, l.status, l.package))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<width$}  {:<29}  {situation}",
            customer.email, customer.app_password
        );
    }
    let _ = out.flush();
    drop(out);
    run_until_stopped(shop).await
}

/// `fe2-shop public-key`.
fn public_key(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let path = options
        .signing_key
        .ok_or_else(|| "public-key needs --signing-key <file>".to_string())?;
    let key = load_or_create_key(Path::new(&path))?;
    println!(
        "{}",
        fe2_license::license_file::public_key_to_base64(&key.verifying_key())
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // Asking for help is not an error: the usage on standard output, exit 0, wherever it is asked.
    if ["--help", "-h", "help"].contains(&command.as_str())
        || rest.iter().any(|a| a == "--help" || a == "-h")
    {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match command.as_str() {
        "public-key" => public_key(rest),
        "serve" | "demo" => match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime.block_on(async {
                if command == "serve" {
                    serve(rest).await
                } else {
                    demo(rest).await
                }
            }),
            Err(e) => Err(format!("cannot start the runtime: {e}")),
        },
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fe2-shop: {message}");
            ExitCode::FAILURE
        }
    }
}
