//! `fe2-license`: the FE2 license command line for IT staff and monitoring. It shares the
//! desktop app's configuration, keychain entries and cache through the core service.

mod budget;
mod check;
mod cli;
mod dates;
mod doctor;
mod export;
mod log;
mod prometheus;
mod run;
mod snapshot;
mod table;
mod thresholds;

use clap::error::ErrorKind;
use clap::Parser;
use std::process::ExitCode;

/// Exit code of a failed `check` (monitoring-plugins: UNKNOWN).
const EXIT_CHECK_FAILED: u8 = 3;
/// Exit code of any other failed command.
const EXIT_FAILED: u8 = 1;

fn main() -> ExitCode {
    // Decided before parsing, so that even a usage error of `check` is UNKNOWN, not clap's 2
    // (which a monitoring system would read as CRITICAL).
    let is_check = std::env::args_os().nth(1).is_some_and(|a| a == "check");
    let failed = if is_check {
        EXIT_CHECK_FAILED
    } else {
        EXIT_FAILED
    };
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error");
            if is_check {
                // Nagios shows standard output only: a usage error is an UNKNOWN line there.
                let reason = first.trim().trim_start_matches("error:").trim();
                println!("FE2 LICENSE UNKNOWN - {}", check::plugin_text(reason));
            }
            eprintln!("{first} (see fe2-license --help)");
            return ExitCode::from(failed);
        }
    };
    let wants_plugin_line = matches!(
        &cli.command,
        cli::Command::Check(args) if args.format == cli::CheckFormat::Nagios && args.output.is_none()
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(failed);
        }
    };
    let result = runtime.block_on(run::run(cli.command));
    // A keychain call still blocking after the deadline must not hold the process open.
    runtime.shutdown_background();
    match result {
        Ok(outcome) => {
            run::print(&outcome);
            ExitCode::from(outcome.exit_code)
        }
        Err(e) => {
            let message = e.to_string().replace(['\n', '\r'], " ");
            if wants_plugin_line {
                // Nagios shows standard output only: say it there too.
                println!("FE2 LICENSE UNKNOWN - {}", check::plugin_text(&message));
            }
            eprintln!("error: {message} [{}]", e.code());
            ExitCode::from(failed)
        }
    }
}
