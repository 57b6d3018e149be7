//! The command line's grammar (clap derive): every command, option and `--help` example.

use crate::thresholds::{self, Threshold};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `fe2-license`: FE2 licenses for IT staff and monitoring.
#[derive(Debug, Parser)]
#[command(
    name = "fe2-license",
    version,
    about = "FE2 licenses for IT staff and monitoring (same accounts, keychain and cache as the app)",
    after_help = "Examples:\n  \
        fe2-license account add --email leitstelle@ff-musterstadt.de\n  \
        fe2-license status\n  \
        fe2-license check -w 30 -c 14\n  \
        fe2-license export --format csv > lizenzen.csv\n\n\
        All files live below FE2_LICENSE_HOME when it is set (else the OS directories);\n\
        passwords, pinned shop keys and proxy logins live only in the OS keychain."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list or remove shop accounts (shared with the desktop app).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Every license: holder, e-mail, package, status, expiry, days left, verification, as of.
    #[command(after_help = "Examples:\n  \
        fe2-license status             refresh from the shop, then a table\n  \
        fe2-license status --offline   the cached data only, no network\n  \
        fe2-license status --json      for scripts")]
    Status(StatusArgs),
    /// A monitoring check (Nagios/Icinga plugin, JSON or Prometheus text format).
    #[command(
        after_help = "Exit codes (nagios and json): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n\
        Thresholds: plain days (-w 30: WARNING at 30 days left or less) or ranges of the\n\
        Monitoring Plugins syntax (-w 31: is the same); 0 days or less is always CRITICAL.\n\
        With --format prometheus the exit code is 0 once the metrics are written (the state is in\n\
        fe2_license_state), 3 when they cannot be.\n\n\
        Examples:\n  \
        fe2-license check -w 30 -c 14 -t 10\n  \
        fe2-license check --account leitstelle@ff-musterstadt.de --format json\n  \
        fe2-license check --format prometheus --output C:\\ProgramData\\windows_exporter\\textfile_inputs\\fe2_license.prom\n  \
        fe2-license check --offline    cached data only (a service account's view of a shared FE2_LICENSE_HOME)"
    )]
    Check(CheckArgs),
    /// All licenses with their items, for the records (CSV for German Excel, or JSON).
    #[command(
        after_help = "CSV: `;`-separated, UTF-8 with BOM, CRLF lines, one row per license item,\n\
        German dates (Europe/Berlin) and decimal commas, so German Excel opens it directly.\n\n\
        Examples:\n  \
        fe2-license export --format csv --output lizenzen.csv\n  \
        fe2-license export --format json --offline"
    )]
    Export(ExportArgs),
    /// The budget years (Haushaltsjahre): each license's renewals priced at the list in force
    /// then, scheduled changes applied, totals, and the year's orders.
    #[command(
        after_help = "Default: the current and the next budget year (calendar years in Germany).\n\
        Licenses that will not renew (trial, cancelled, expired) are listed at zero with the reason;\n\
        switch orders of the year are listed apart as \"bereits bestellt\", renewals and purchases\n\
        invoiced in the year as \"bereits berechnet\". Data that is not verified is marked in\n\
        every format. CSV as `export`: for German Excel.\n\n\
        Examples:\n  \
        fe2-license budget\n  \
        fe2-license budget --year 2027 --format csv --output haushalt-2027.csv\n  \
        fe2-license budget --format json --offline"
    )]
    Budget(BudgetArgs),
    /// The audit log: who added or removed an account, ordered, sent a request or changed the
    /// settings, when and on which computer; with the check of its hash chain.
    #[command(
        after_help = "The log is data/audit-log.jsonl below the data home (one JSON object per line;\n\
        earlier years in audit-log-<year>.jsonl). Each line carries the hash of the line before it,\n\
        so a changed, removed or reordered line is found; the line count and last hash kept in the\n\
        OS keychain find a removed or changed end. Exit code of --verify: 0 unchanged (without\n\
        keychain access the end is not checked, and it says so), 1 changed or unreadable.\n\n\
        Examples:\n  \
        fe2-license log\n  \
        fe2-license log --verify\n  \
        fe2-license log --format csv --output verlauf.csv"
    )]
    Log(LogArgs),
    /// A calendar file (iCalendar, .ics) with each license's renewal or end, a trial's end and
    /// every scheduled change, with reminders at the warning and critical thresholds.
    #[command(
        after_help = "All-day events on the day in Germany; texts in the settings' language, the renewal's\n\
        net, VAT and gross in the description. The events keep their UIDs across exports, so\n\
        importing a newer file updates the events of an older one. Data that is not verified is\n\
        marked in each event.\n\n\
        Examples:\n  \
        fe2-license calendar --output fe2-lizenzen.ics\n  \
        fe2-license calendar --offline --output fe2-lizenzen.ics   cached data only, no network\n  \
        fe2-license calendar > fe2-lizenzen.ics"
    )]
    Calendar(CalendarArgs),
    /// Checks the way to the shop step by step and names the first problem with what to do:
    /// data directory, keychain, policies, proxy, DNS, TCP, TLS, shop, sign-in, clock.
    #[command(
        after_help = "Exit code 0 when every check passed, 1 otherwise. Never prints a secret.\n\n\
        Examples:\n  \
        fe2-license doctor\n  \
        fe2-license doctor --account leitstelle@ff-musterstadt.de\n  \
        fe2-license doctor --json > diagnose.json"
    )]
    Doctor(DoctorArgs),
    /// The proxy: which one requests to the shop take and why, and its login in the OS
    /// keychain (Basic authentication).
    #[command(subcommand)]
    Proxy(ProxyCommand),
}

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Only this account's shop and sign-in (default: every account's shop).
    #[arg(long, value_name = "E-MAIL")]
    pub account: Option<String>,
    /// JSON for scripts instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Seconds each network step may take (1 to 60).
    #[arg(short = 't', long = "timeout", value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=60))]
    pub timeout_secs: u64,
}

/// Proxy commands.
#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// Stores a proxy's login in the OS keychain; every request through that proxy sends it.
    #[command(after_help = "Examples:\n  \
        fe2-license proxy login --proxy http://proxy.stadt.de:8080 --username kaemmerei   asks for the password\n  \
        echo \"$PW\" | fe2-license proxy login --proxy http://proxy.stadt.de:8080 --username kaemmerei --password-stdin\n\n\
        The login is the keychain entry \"proxy@<host:port>\" of the service \"FE2 License Manager\",\n\
        shared with the app; it is never written to a file or the audit log.")]
    Login(ProxyLoginArgs),
    /// Deletes a proxy's stored login.
    #[command(
        after_help = "Example:\n  fe2-license proxy logout --proxy http://proxy.stadt.de:8080"
    )]
    Logout(ProxyLogoutArgs),
    /// Which proxy the requests to each account's shop take, and why.
    #[command(after_help = "Examples:\n  \
        fe2-license proxy show\n  \
        fe2-license proxy show --shop-url https://www.alamos-gmbh.com --json\n\n\
        Without --shop-url: the shop of every account (the default shop when there is none).")]
    Show(ProxyShowArgs),
}

/// `proxy login`.
#[derive(Debug, Args)]
pub struct ProxyLoginArgs {
    /// The proxy (`http://host:port` or `https://host:port`).
    #[arg(long, value_name = "URL")]
    pub proxy: String,
    /// The user name the proxy knows.
    #[arg(long, value_name = "NAME")]
    pub username: String,
    /// Read the password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `proxy logout`.
#[derive(Debug, Args)]
pub struct ProxyLogoutArgs {
    /// The proxy (`http://host:port` or `https://host:port`).
    #[arg(long, value_name = "URL")]
    pub proxy: String,
}

/// `proxy show`.
#[derive(Debug, Args)]
pub struct ProxyShowArgs {
    /// Only this shop URL.
    #[arg(long, value_name = "URL")]
    pub shop_url: Option<String>,
    /// JSON for scripts instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Signs in to the shop, pins its signing key and stores the credential in the OS keychain.
    #[command(after_help = "Examples:\n  \
        fe2-license account add --email leitstelle@ff-musterstadt.de            asks for the password\n  \
        echo \"$PW\" | fe2-license account add --email a@b.de --password-stdin\n\n\
        The application password is created in the shop under Mein Konto (/mein-konto/).")]
    Add(AddArgs),
    /// The configured accounts.
    #[command(
        after_help = "Examples:\n  fe2-license account list\n  fe2-license account list --json"
    )]
    List(ListArgs),
    /// Removes an account: its configuration, cache and keychain entry.
    #[command(after_help = "Example:\n  fe2-license account remove leitstelle@ff-musterstadt.de")]
    Remove(RemoveArgs),
}

/// `account add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The shop's base URL.
    #[arg(long, value_name = "URL", default_value = fe2_license::config::DEFAULT_SHOP_URL)]
    pub shop_url: String,
    /// The license e-mail (the shop login).
    #[arg(long, value_name = "E-MAIL")]
    pub email: String,
    /// Read the application password from the first line of standard input instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `account list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `account remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The account's license e-mail.
    #[arg(value_name = "E-MAIL")]
    pub email: String,
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// JSON for scripts instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Use the cached data only; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Overall deadline of the refresh in seconds; then the cached data is shown.
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub timeout_secs: u64,
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One Nagios/Icinga plugin line with performance data.
    Nagios,
    /// The same result as JSON.
    Json,
    /// Prometheus text exposition format (textfile collector).
    Prometheus,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this account (default: every account).
    #[arg(long, value_name = "E-MAIL")]
    pub account: Option<String>,
    /// WARNING when days left ≤ DAYS, or when days left alert under RANGE (Monitoring Plugins
    /// syntax: 31: ~:30 @10:20); default: the settings' warning days (30).
    #[arg(short = 'w', long = "warning", value_name = "DAYS|RANGE", value_parser = thresholds::parse, allow_hyphen_values = true)]
    pub warning: Option<Threshold>,
    /// CRITICAL when days left ≤ DAYS, or when days left alert under RANGE; default: the
    /// settings' critical days (14).
    #[arg(short = 'c', long = "critical", value_name = "DAYS|RANGE", value_parser = thresholds::parse, allow_hyphen_values = true)]
    pub critical: Option<Threshold>,
    /// One deadline in seconds for everything the check does (files, keychain, network);
    /// when the shop does not answer in time the cache is used.
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub timeout_secs: u64,
    /// Use the cached data only; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Nagios)]
    pub format: CheckFormat,
    /// Write the output atomically to FILE (UTF-8, no BOM) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `;`-separated, UTF-8 BOM, for German Excel.
    Csv,
    /// JSON for scripts.
    Json,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Where the data comes from and where it goes.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// The data source and destination of `export`, `budget` and `calendar`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Use the cached data only; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Overall deadline of the refresh in seconds; then the cached data is used.
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub timeout_secs: u64,
    /// Write atomically to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Output formats of `budget` and `log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table in the user's language.
    Table,
    /// `;`-separated, UTF-8 BOM, for German Excel.
    Csv,
    /// JSON for scripts.
    Json,
}

/// `budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// One budget year instead of the current and the next one.
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(
        i64::from(*fe2_license::service::BUDGET_YEARS.start())..=i64::from(*fe2_license::service::BUDGET_YEARS.end())
    ))]
    pub year: Option<i32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Where the data comes from (offline: no orders) and where it goes.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only check the hash chain and say whether the log is unchanged.
    #[arg(long, conflicts_with_all = ["format", "output"])]
    pub verify: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write atomically to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `calendar`.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// Where the data comes from and where the file goes.
    #[command(flatten)]
    pub report: ReportArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_defaults_follow_the_monitoring_plugin_conventions() {
        let cli = Cli::try_parse_from(["fe2-license", "check"]).unwrap();
        let Command::Check(args) = cli.command else {
            panic!("not check");
        };
        // No -w/-c: the thresholds of the shared settings apply (run.rs).
        assert_eq!(
            (args.warning, args.critical, args.timeout_secs),
            (None, None, 10)
        );
        let cli = Cli::try_parse_from(["fe2-license", "check", "-w", "~:30", "-c", "14"]).unwrap();
        let Command::Check(args) = cli.command else {
            panic!("not check");
        };
        assert_eq!(args.warning.unwrap().range().to_string(), "~:30");
        assert_eq!(args.critical, Some(Threshold::Days(14)));
        assert_eq!(args.format, CheckFormat::Nagios);
        assert!(!args.offline);
    }

    #[test]
    fn every_command_has_an_example_in_its_help() {
        let mut root = Cli::command();
        root.build();
        let paths: [&[&str]; 13] = [
            &["account", "add"],
            &["account", "list"],
            &["account", "remove"],
            &["status"],
            &["check"],
            &["export"],
            &["budget"],
            &["log"],
            &["calendar"],
            &["proxy", "login"],
            &["proxy", "logout"],
            &["proxy", "show"],
            &["doctor"],
        ];
        for path in paths {
            let mut command = root.clone();
            for name in path {
                command = command
                    .find_subcommand(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("no command {path:?}"));
            }
            let help = command.render_long_help().to_string();
            let example = format!("fe2-license {}", path.join(" "));
            assert!(help.contains(&example), "{path:?}: {help}");
        }
        assert_eq!(
            root.get_subcommands()
                .filter(|c| c.get_name() != "help")
                .count(),
            9
        );
    }
}
