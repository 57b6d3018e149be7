//! The commands wired to the core service: the same accounts, keychain entries and cache as
//! the desktop app (`fe2_license::service::Service` over `paths::Home::from_env`).

use crate::check::{self, CheckResult};
use crate::cli::{
    AccountCommand, AddArgs, CheckArgs, CheckFormat, Command, ExportArgs, ExportFormat, StatusArgs,
};
use crate::snapshot::{Problem, Snapshot, Trust};
use crate::{export, prometheus, table};
use chrono::{DateTime, Utc};
use fe2_license::expiry::Thresholds;
use fe2_license::paths::Home;
use fe2_license::secrets::KeychainSecretStore;
use fe2_license::service::{ErrorInfo, LicenseView, Service, Verification};
use fe2_license::{Clock, Error, Result, SystemClock};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What a command produced: text for standard output and the process's exit code.
pub struct Outcome {
    /// Printed to standard output (may be empty when written to a file).
    pub stdout: String,
    /// Notes for standard error (damaged files that were skipped).
    pub warnings: Vec<String>,
    /// The exit code.
    pub exit_code: u8,
}

impl Outcome {
    fn ok(stdout: String) -> Self {
        Self {
            stdout,
            warnings: Vec::new(),
            exit_code: 0,
        }
    }
}

/// Runs one command on a fresh service.
pub async fn run(command: Command) -> Result<Outcome> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let service = Service::new(
        Home::from_env()?,
        Arc::new(KeychainSecretStore::new()),
        clock.clone(),
    )?;
    let warnings: Vec<String> = service
        .problems()
        .iter()
        .map(|p| format!("warning: skipped: {}", p.message))
        .collect();
    let mut outcome = match command {
        Command::Account(AccountCommand::Add(args)) => add(&service, args).await?,
        Command::Account(AccountCommand::List(args)) => {
            let accounts = service
                .accounts()
                .await
                .into_iter()
                .map(|v| table::AccountLine {
                    holder: v.license.as_ref().map(|l| l.name.clone()),
                    email: v.email,
                    shop_url: v.shop_url,
                    fingerprint: v.fingerprint,
                })
                .collect::<Vec<_>>();
            let language = service.settings().language;
            Outcome::ok(table::account_list(&accounts, language, args.json))
        }
        Command::Account(AccountCommand::Remove(args)) => {
            service.remove_account(&args.email).await?;
            Outcome::ok(format!("removed {}\n", args.email.trim()))
        }
        Command::Status(args) => status(&service, clock.now(), args).await?,
        Command::Check(args) => check(&service, clock.as_ref(), args).await?,
        Command::Export(args) => export(&service, clock.as_ref(), args).await?,
    };
    outcome.warnings.splice(0..0, warnings);
    Ok(outcome)
}

/// `account add`: the password from standard input or a prompt without echo.
async fn add(service: &Service, args: AddArgs) -> Result<Outcome> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Error::BadRequest(format!("cannot read the password from standard input: {e}"))
        })?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        rpassword::prompt_password(format!("Application password for {}: ", args.email.trim()))
            .map_err(|e| {
                Error::BadRequest(format!(
                    "cannot ask for the password ({e}); use --password-stdin"
                ))
            })?
    };
    if password.trim().is_empty() {
        return Err(Error::BadRequest(
            "the application password is empty".into(),
        ));
    }
    let view = service
        .add_account(&args.shop_url, &args.email, &password)
        .await?;
    let holder = view
        .license
        .as_ref()
        .map(|l| format!(" ({})", l.name))
        .unwrap_or_default();
    let fingerprint = view.fingerprint.as_deref().unwrap_or("–");
    Ok(Outcome::ok(format!(
        "added {}{holder} at {}\nshop signing key fingerprint: {fingerprint}\n",
        view.email, view.shop_url
    )))
}

/// `status`.
async fn status(service: &Service, now: DateTime<Utc>, args: StatusArgs) -> Result<Outcome> {
    let snapshots = gather(service, None, args.offline, args.timeout_secs).await?;
    let text = if args.json {
        table::status_json(&snapshots, now)
    } else {
        table::status_table(&snapshots, service.settings().language, now)
    };
    Ok(Outcome::ok(text))
}

/// `check`: exit code by state for nagios and json; prometheus exits 0 once written.
async fn check(service: &Service, clock: &dyn Clock, args: CheckArgs) -> Result<Outcome> {
    let thresholds = Thresholds {
        warning_days: args.warning_days,
        critical_days: args.critical_days,
    };
    if thresholds.critical_days < 0 || thresholds.critical_days > thresholds.warning_days {
        return Err(Error::BadRequest(
            "thresholds must satisfy 0 ≤ -c DAYS ≤ -w DAYS".into(),
        ));
    }
    let result = match gather(
        service,
        args.account.as_deref(),
        args.offline,
        args.timeout_secs,
    )
    .await
    {
        Ok(snapshots) => check::evaluate(&snapshots, thresholds, clock.now()),
        Err(Error::UnknownAccount(email)) => {
            check::unknown(&format!("no account {email}"), thresholds, clock.now())
        }
        Err(e) => return Err(e),
    };
    let text = render_check(&result, args.format);
    let exit_code = match args.format {
        CheckFormat::Prometheus => 0,
        CheckFormat::Nagios | CheckFormat::Json => result.exit_code,
    };
    let stdout = deliver(text, args.output.as_deref())?;
    Ok(Outcome {
        stdout,
        warnings: Vec::new(),
        exit_code,
    })
}

/// The check in the chosen format.
fn render_check(result: &CheckResult, format: CheckFormat) -> String {
    match format {
        CheckFormat::Nagios => check::nagios_line(result),
        CheckFormat::Json => check::json(result),
        CheckFormat::Prometheus => prometheus::exposition(result),
    }
}

/// `export`.
async fn export(service: &Service, clock: &dyn Clock, args: ExportArgs) -> Result<Outcome> {
    let snapshots = gather(service, None, args.offline, args.timeout_secs).await?;
    let text = match args.format {
        ExportFormat::Csv => export::csv(&snapshots, clock.now()),
        ExportFormat::Json => export::json(&snapshots, clock.now()),
    };
    Ok(Outcome::ok(deliver(text, args.output.as_deref())?))
}

/// Writes `text` atomically to `output` (temp file, fsync, rename in the same directory) and
/// returns nothing to print, or returns the text for standard output.
fn deliver(text: String, output: Option<&Path>) -> Result<String> {
    match output {
        Some(path) => {
            fe2_license::atomic_file::write(path, text.as_bytes())?;
            Ok(String::new())
        }
        None => Ok(text),
    }
}

/// The accounts' snapshots, refreshed first unless `offline`. The refresh of every account
/// runs at once under one overall deadline; an account whose shop has not answered by then
/// keeps its cached data and is marked offline (`timeout`).
async fn gather(
    service: &Service,
    only: Option<&str>,
    offline: bool,
    timeout_secs: u64,
) -> Result<Vec<Snapshot>> {
    let wanted = match only {
        Some(email) => Some(service.account(email).await?.email),
        None => None,
    };
    let select = |views: Vec<LicenseView>| -> Vec<LicenseView> {
        views
            .into_iter()
            .filter(|v| wanted.as_ref().is_none_or(|w| *w == v.email))
            .collect()
    };
    let mut views = select(service.accounts().await);
    let mut timed_out = Vec::new();
    if !offline && !views.is_empty() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
        let mut refreshes = tokio::task::JoinSet::new();
        for view in &views {
            let (service, email) = (service.clone(), view.email.clone());
            refreshes.spawn(async move {
                let finished = tokio::time::timeout_at(deadline, service.refresh(&email)).await;
                (email, finished.is_ok())
            });
        }
        while let Some(joined) = refreshes.join_next().await {
            if let Ok((email, false)) = joined {
                timed_out.push(email);
            }
        }
        views = select(service.accounts().await);
    }
    Ok(views
        .into_iter()
        .map(|view| {
            let late = timed_out.contains(&view.email);
            let mut snapshot = snapshot(view);
            if late {
                snapshot.offline = true;
                snapshot.last_error = Some(Problem {
                    code: Error::Timeout.code().to_string(),
                    message: format!("the shop did not answer within {timeout_secs} s"),
                });
            }
            snapshot
        })
        .collect())
}

fn problem(info: &ErrorInfo) -> Problem {
    Problem {
        code: info.code.clone(),
        message: info.message.clone(),
    }
}

/// The service's view as the outputs need it. A license that cannot be checked only because
/// this process cannot read the keychain (a service account) was verified when it was
/// fetched: it is `Unchecked`, not `NotVerified`.
pub fn snapshot(view: LicenseView) -> Snapshot {
    let trust_problem = view.verification_error.as_ref().map(problem);
    let keychain_missing = trust_problem
        .as_ref()
        .is_some_and(|p| p.code == "keychain_unavailable" || p.code == "no_secret");
    let trust = match view.verification {
        Verification::Verified => Trust::Verified,
        Verification::Outdated => Trust::Outdated,
        Verification::NotVerified if keychain_missing && view.license.is_some() => Trust::Unchecked,
        Verification::NotVerified => Trust::NotVerified,
        Verification::None => Trust::None,
    };
    Snapshot {
        email: view.email,
        shop_url: view.shop_url,
        license: view.license,
        trust,
        trust_problem,
        as_of: view.as_of,
        fetched_at: view.fetched_at,
        offline: view.offline,
        offline_since: view.offline_since,
        last_error: view.last_error.as_ref().map(problem),
    }
}

/// Prints an outcome; a closed standard output (`| head`) is not an error worth a message.
pub fn print(outcome: &Outcome) {
    for warning in &outcome.warnings {
        eprintln!("{warning}");
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
}
