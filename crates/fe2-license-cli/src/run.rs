//! The commands wired to the core service: the same accounts, keychain entries and cache as
//! the desktop app (`fe2_license::service::Service` over `paths::Home::from_env`).

use crate::check::{self, CheckResult};
use crate::cli::{
    AccountCommand, AddArgs, BudgetArgs, CalendarArgs, CheckArgs, CheckFormat, Command, ExportArgs,
    ExportFormat, LogArgs, ProxyCommand, ProxyLoginArgs, ProxyShowArgs, ReportFormat, StatusArgs,
};
use crate::snapshot::{Problem, Snapshot, Trust};
use crate::thresholds::Limits;
use crate::{budget, export, log, prometheus, table};
use chrono::{DateTime, Utc};
use fe2_license::client::ClientOptions;
use fe2_license::expiry::Thresholds;
use fe2_license::paths::Home;
use fe2_license::secrets::{KeychainSecretStore, Password, ProxyCredential, Secret, SecretStore};
use fe2_license::service::{ErrorInfo, LicenseView, Service, ServiceOptions, Verification};
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
    match command {
        // The check opens its service itself: its deadline covers the files too.
        Command::Check(args) => check(clock, args).await,
        other => run_on_service(other, clock).await,
    }
}

/// Runs a command other than `check` on a service opened at once.
async fn run_on_service(command: Command, clock: Arc<dyn Clock>) -> Result<Outcome> {
    let service = Service::new(
        Home::from_env()?,
        Arc::new(KeychainSecretStore::new()),
        clock.clone(),
    )?;
    let warnings = skipped(&service);
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
        Command::Check(args) => check(clock.clone(), args).await?,
        Command::Export(args) => export(&service, clock.as_ref(), args).await?,
        Command::Budget(args) => budget(&service, args).await?,
        Command::Log(args) => audit_log(&service, args)?,
        Command::Calendar(args) => calendar(&service, args).await?,
        Command::Proxy(ProxyCommand::Login(args)) => proxy_login(&service, args).await?,
        Command::Proxy(ProxyCommand::Logout(args)) => {
            let entry = service.remove_proxy_credential(&args.proxy).await?;
            Outcome::ok(format!(
                "removed the stored proxy login (keychain entry {entry})\n"
            ))
        }
        Command::Proxy(ProxyCommand::Show(args)) => proxy_show(&service, args).await?,
        Command::Doctor(args) => {
            let timeout = Duration::from_secs(args.timeout_secs);
            let diagnosis = service.doctor(args.account.as_deref(), timeout).await;
            let language = service.settings().language;
            Outcome {
                stdout: match args.json {
                    true => crate::doctor::json(&diagnosis, language),
                    false => crate::doctor::lines(&diagnosis, language),
                },
                warnings: Vec::new(),
                exit_code: u8::from(!diagnosis.passed()),
            }
        }
    };
    outcome.warnings.splice(0..0, warnings);
    Ok(outcome)
}

/// A password from the first line of standard input, or a prompt without echo; never empty.
fn read_password(from_stdin: bool, prompt: String, what: &str) -> Result<Password> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Error::BadRequest(format!("cannot read the password from standard input: {e}"))
        })?;
        // Cut in place: a trimmed copy would leave the password in a buffer nobody zeroes.
        line.truncate(line.trim_end_matches(['\r', '\n']).len());
        Password::new(line)
    } else {
        Password::new(rpassword::prompt_password(prompt).map_err(|e| {
            Error::BadRequest(format!(
                "cannot ask for the password ({e}); use --password-stdin"
            ))
        })?)
    };
    if password.expose().trim().is_empty() {
        return Err(Error::BadRequest(format!("the {what} is empty")));
    }
    Ok(password)
}

/// `account add`: the password from standard input or a prompt without echo.
async fn add(service: &Service, args: AddArgs) -> Result<Outcome> {
    let password = read_password(
        args.password_stdin,
        format!("Application password for {}: ", args.email.trim()),
        "application password",
    )?;
    let view = service
        .add_account(&args.shop_url, &args.email, password)
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

/// `proxy login`: the proxy URL is checked before the password is asked for.
async fn proxy_login(service: &Service, args: ProxyLoginArgs) -> Result<Outcome> {
    let proxy = fe2_license::client::check_proxy_url(&args.proxy)?;
    let username = args.username.trim().to_string();
    if username.is_empty() {
        return Err(Error::BadRequest("the proxy user name is empty".into()));
    }
    let password = read_password(
        args.password_stdin,
        format!("Password of {username} for the proxy {}: ", proxy.as_str()),
        "proxy password",
    )?;
    let entry = service
        .set_proxy_credential(proxy.as_str(), ProxyCredential { username, password })
        .await?;
    Ok(Outcome::ok(format!(
        "stored the proxy login in the keychain (entry {entry})\n"
    )))
}

/// `proxy show`: the proxy of each shop (or the one given) and why.
async fn proxy_show(service: &Service, args: ProxyShowArgs) -> Result<Outcome> {
    let shop_urls = match args.shop_url {
        Some(url) => vec![url],
        None => Some(service.shop_urls())
            .filter(|urls| !urls.is_empty())
            .unwrap_or_else(|| vec![fe2_license::config::DEFAULT_SHOP_URL.to_string()]),
    };
    let mut lines = Vec::new();
    let mut json = Vec::new();
    for shop_url in shop_urls {
        let decision = service.proxy_decision(&shop_url).await?;
        let proxy = decision.proxy_text();
        lines.push(format!(
            "{shop_url}: {} ({}){}\n",
            proxy.as_deref().unwrap_or("direct"),
            decision.source,
            decision
                .note
                .as_deref()
                .map(|n| format!("; note: {n}"))
                .unwrap_or_default()
        ));
        json.push(serde_json::json!({
            "shop_url": shop_url,
            "proxy": proxy,
            "source": decision.source,
            "reason": decision.source.to_string(),
            "note": decision.note,
        }));
    }
    Ok(Outcome::ok(if args.json {
        format!("{}\n", serde_json::Value::Array(json))
    } else {
        lines.concat()
    }))
}

/// `status`.
async fn status(service: &Service, now: DateTime<Utc>, args: StatusArgs) -> Result<Outcome> {
    let snapshots = gather(
        service,
        None,
        refresh_until(args.offline, args.timeout_secs),
        args.timeout_secs,
    )
    .await?;
    let text = if args.json {
        table::status_json(
            &snapshots,
            &service.setting_sources(),
            &service.policy().problems,
            now,
        )
    } else {
        table::status_table(&snapshots, service.settings().language, now)
    };
    Ok(Outcome::ok(text))
}

/// The damaged files the service skipped, as notes for standard error.
fn skipped(service: &Service) -> Vec<String> {
    service
        .problems()
        .iter()
        .map(|p| format!("warning: skipped: {}", p.message))
        .collect()
}

/// A secret store that answers at once that it has nothing: the check's fallback when the
/// keychain did not answer before the deadline (the cached data is then shown unchecked).
struct SilentKeychain;

impl SecretStore for SilentKeychain {
    fn get(&self, _user: &str) -> Result<Secret> {
        Err(Error::Timeout)
    }

    fn set(&self, _user: &str, _secret: &Secret) -> Result<()> {
        Err(Error::Timeout)
    }

    fn delete(&self, _user: &str) -> Result<()> {
        Err(Error::Timeout)
    }
}

/// The client's timeouts within the check's deadline. Retries of a refused connection get
/// at most half of it, so the refusal is classified (`unreachable`) before the deadline ends
/// the wait as a `timeout`.
fn client_options(deadline: Duration) -> ServiceOptions {
    let defaults = ClientOptions::default();
    let mut spent = Duration::ZERO;
    let retry_backoff = defaults
        .retry_backoff
        .iter()
        .copied()
        .take_while(|pause| {
            spent += *pause;
            spent <= deadline / 2
        })
        .collect();
    ServiceOptions {
        client: ClientOptions {
            connect_timeout: defaults.connect_timeout.min(deadline),
            request_timeout: defaults.request_timeout.min(deadline),
            retry_backoff,
            ..defaults
        },
        ..ServiceOptions::default()
    }
}

/// Opens the service off the runtime's thread (reading files may block on a network share).
async fn open_service(
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    options: ServiceOptions,
) -> Result<Service> {
    tokio::task::spawn_blocking(move || {
        Service::with_options(Home::from_env()?, secrets, clock, options)
    })
    .await
    .map_err(|e| Error::Io {
        path: String::new(),
        reason: e.to_string(),
    })?
}

/// What the check found before its deadline.
struct Found {
    limits: Limits,
    snapshots: Vec<Snapshot>,
    warnings: Vec<String>,
}

/// Opens the service, takes the thresholds (arguments over settings) and gathers the
/// snapshots, refreshing until `refresh_deadline` unless `offline`.
async fn find(
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    options: ServiceOptions,
    args: &CheckArgs,
    refresh: Option<tokio::time::Instant>,
) -> Result<Found> {
    let service = open_service(secrets, clock, options).await?;
    let limits = Limits::new(args.warning, args.critical, service.settings().thresholds())
        .map_err(Error::BadRequest)?;
    let snapshots = gather(
        &service,
        args.account.as_deref(),
        refresh,
        args.timeout_secs,
    )
    .await?;
    Ok(Found {
        limits,
        snapshots,
        warnings: skipped(&service),
    })
}

/// `check`: exit code by state for nagios and json; prometheus exits 0 once written.
///
/// `-t` is one deadline for all of it. Files, keychain and refresh get all but a reserve; if
/// they are not done by then (a keychain that does not answer), the reserve reads the cache
/// again without the keychain; if even that does not finish, the result is UNKNOWN.
async fn check(clock: Arc<dyn Clock>, args: CheckArgs) -> Result<Outcome> {
    let total = Duration::from_secs(args.timeout_secs);
    let deadline = tokio::time::Instant::now() + total;
    let reserve = (total / 5).min(Duration::from_secs(1));
    let work_deadline = deadline - reserve;
    let refresh = (!args.offline).then(|| work_deadline - reserve / 2);
    let options = client_options(total);
    let keychain: Arc<dyn SecretStore> = Arc::new(KeychainSecretStore::new());
    let attempt = tokio::time::timeout_at(
        work_deadline,
        find(keychain, clock.clone(), options.clone(), &args, refresh),
    )
    .await;
    let found = match attempt {
        Ok(found) => Some(found),
        Err(_) => tokio::time::timeout_at(
            deadline,
            find(
                Arc::new(SilentKeychain),
                clock.clone(),
                options,
                &args,
                None,
            ),
        )
        .await
        .ok(),
    };
    let (result, warnings) = match found {
        Some(Ok(found)) => (
            check::evaluate(&found.snapshots, found.limits, clock.now()),
            found.warnings,
        ),
        Some(Err(Error::UnknownAccount(email))) => (
            check::unknown(
                &format!("no account {email}"),
                default_limits(&args),
                clock.now(),
            ),
            Vec::new(),
        ),
        Some(Err(e)) => return Err(e),
        None => (
            check::unknown(
                &format!(
                    "no answer within {} s (reading the data home)",
                    args.timeout_secs
                ),
                default_limits(&args),
                clock.now(),
            ),
            Vec::new(),
        ),
    };
    let text = render_check(&result, args.format);
    let exit_code = match args.format {
        CheckFormat::Prometheus => 0,
        CheckFormat::Nagios | CheckFormat::Json => result.exit_code,
    };
    let stdout = deliver(text, args.output.as_deref())?;
    Ok(Outcome {
        stdout,
        warnings,
        exit_code,
    })
}

/// The thresholds to report when the settings could not be read: the arguments, else the
/// defaults.
fn default_limits(args: &CheckArgs) -> Limits {
    Limits::new(args.warning, args.critical, Thresholds::default()).unwrap_or_default()
}

/// The check in the chosen format.
fn render_check(result: &CheckResult, format: CheckFormat) -> String {
    match format {
        CheckFormat::Nagios => check::nagios_output(result),
        CheckFormat::Json => check::json(result),
        CheckFormat::Prometheus => prometheus::exposition(result),
    }
}

/// `export`.
async fn export(service: &Service, clock: &dyn Clock, args: ExportArgs) -> Result<Outcome> {
    let snapshots = gather(
        service,
        None,
        refresh_until(args.report.offline, args.report.timeout_secs),
        args.report.timeout_secs,
    )
    .await?;
    let text = match args.format {
        ExportFormat::Csv => export::csv(&snapshots, clock.now())?,
        ExportFormat::Json => export::json(&snapshots, clock.now()),
    };
    Ok(Outcome::ok(deliver(text, args.report.output.as_deref())?))
}

/// `budget`: the accounts refreshed (unless offline), then the service's budget years with the
/// catalogs and orders fetched within the same deadline (else the cached catalogs, no orders).
async fn budget(service: &Service, args: BudgetArgs) -> Result<Outcome> {
    let deadline = refresh_until(args.report.offline, args.report.timeout_secs);
    let snapshots = gather(service, None, deadline, args.report.timeout_secs).await?;
    let fetched = match deadline {
        Some(deadline) => {
            match tokio::time::timeout_at(deadline, service.budget(args.year, false)).await {
                Ok(fetched) => fetched?,
                Err(_) => service.budget(args.year, true).await?,
            }
        }
        None => service.budget(args.year, true).await?,
    };
    let reports = budget::reports(fetched, &snapshots);
    let text = match args.format {
        ReportFormat::Table => budget::table(&reports, service.settings().language),
        ReportFormat::Csv => budget::csv(&reports),
        ReportFormat::Json => budget::json(&reports),
    };
    Ok(Outcome::ok(deliver(text, args.report.output.as_deref())?))
}

/// `log`: the audit log, or with `--verify` only the verdict of its chain (exit code 1 when
/// changed). A listing names the problems on standard error.
fn audit_log(service: &Service, args: LogArgs) -> Result<Outcome> {
    let report = service.audit_log()?;
    let language = service.settings().language;
    let broken = !report.log.problems.is_empty();
    if args.verify {
        return Ok(Outcome {
            stdout: log::verdict(&report, language),
            warnings: Vec::new(),
            exit_code: u8::from(broken),
        });
    }
    let text = match args.format {
        ReportFormat::Table => log::table(&report, language),
        ReportFormat::Csv => log::csv(&report),
        ReportFormat::Json => log::json(&report),
    };
    let mut outcome = Outcome::ok(deliver(text, args.output.as_deref())?);
    outcome.warnings = log::problems(&report, language)
        .into_iter()
        .chain(log::anchor_note(&report, language))
        .map(|problem| format!("warning: {problem}"))
        .collect();
    Ok(outcome)
}

/// `calendar`: the accounts and their catalogs refreshed (unless offline) within one deadline,
/// then the core's calendar file from the licenses and the cached catalogs.
async fn calendar(service: &Service, args: CalendarArgs) -> Result<Outcome> {
    let deadline = refresh_until(args.report.offline, args.report.timeout_secs);
    let snapshots = gather(service, None, deadline, args.report.timeout_secs).await?;
    if let Some(deadline) = deadline {
        let mut fetches = tokio::task::JoinSet::new();
        for email in snapshots.into_iter().map(|s| s.email) {
            let service = service.clone();
            // A catalog that does not come leaves the cached one: the amounts say so.
            fetches.spawn(async move {
                let _ = tokio::time::timeout_at(deadline, service.catalog(&email)).await;
            });
        }
        fetches.join_all().await;
    }
    let text = service.calendar().await?;
    Ok(Outcome::ok(deliver(text, args.report.output.as_deref())?))
}

/// The refresh deadline of `status` and `export`: `None` when offline.
fn refresh_until(offline: bool, timeout_secs: u64) -> Option<tokio::time::Instant> {
    (!offline).then(|| tokio::time::Instant::now() + Duration::from_secs(timeout_secs))
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

/// The accounts' snapshots, refreshed first until `refresh` unless that is `None` (offline).
/// The refresh of every account runs at once; an account whose shop has not answered by the
/// deadline keeps its cached data and is marked offline (`timeout`).
async fn gather(
    service: &Service,
    only: Option<&str>,
    refresh: Option<tokio::time::Instant>,
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
    if let (Some(deadline), false) = (refresh, views.is_empty()) {
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
    let keychain_missing = trust_problem.as_ref().is_some_and(|p| {
        ["keychain_unavailable", "no_secret", "timeout"].contains(&p.code.as_str())
    });
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
