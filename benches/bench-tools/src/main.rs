//! `fe2-bench`: the measuring helpers of scripts/bench.sh.
//!
//! ```text
//! fe2-bench fixtures --demo DEMO.json --count N --out F.json   writes shop fixtures; prints "email password" lines
//! fe2-bench proxy --listen ADDR --upstream ADDR --latency-ms N  TCP proxy delaying every request by N ms
//! fe2-bench startup --runs N [--warmup W] [--pair-with BASE] -- CMD ARGS...
//!                                                               process start -> $FE2_BENCH_MARKER written;
//!                                                               with BASE: CMD, BASE, CMD, BASE … and their ratios
//! fe2-bench pss --runs N [--after-s S] -- CMD ARGS...           PSS of the process tree S seconds after start
//! fe2-bench time --runs N [--warmup W] -- CMD ARGS...           wall time of a command run to completion
//! fe2-bench quote [--iterations N]                              one pricing::quote, median of batches
//! ```
//! Each measuring command prints the runs on stderr and one line `median=<value> <unit>` on stdout.

mod procs;
mod proxy;
mod quote;

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fe2-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Errors are messages for the person running the benchmark.
type Result<T> = std::result::Result<T, String>;

fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        return Err("usage: fe2-bench fixtures|proxy|startup|pss|time|quote ...".into());
    };
    let opts = Options::parse(rest)?;
    match command.as_str() {
        "fixtures" => fixtures(&opts),
        "proxy" => proxy::serve(
            &opts.value("listen")?,
            &opts.value("upstream")?,
            Duration::from_millis(opts.number("latency-ms", 200)?),
        ),
        "startup" => match opts.get("pair-with") {
            None => {
                let runs = startup(&opts)?;
                let totals: Vec<f64> = runs.iter().map(|run| run.total).collect();
                report(&totals, "ms")?;
                report_phases(&runs, "phases")
            }
            Some(base) => {
                let pairs = startup_pairs(&opts, base)?;
                report_pairs(&pairs)
            }
        },
        "pss" => {
            let values = pss(&opts)?;
            report(&values, "MB")
        }
        "time" => {
            let values = time(&opts)?;
            report(&values, "ms")
        }
        "quote" => {
            let values = quote::measure(opts.number("iterations", 200_000)?)?;
            report(&values, "us")
        }
        other => Err(format!("unknown command {other}")),
    }
}

/// `--name value` pairs, then `--` and the command to measure.
struct Options {
    pairs: Vec<(String, String)>,
    command: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut pairs = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "--" {
                return Ok(Self {
                    pairs,
                    command: iter.cloned().collect(),
                });
            }
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {arg}"))?;
            let value = iter
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?;
            pairs.push((name.to_string(), value.clone()));
        }
        Ok(Self {
            pairs,
            command: Vec::new(),
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn value(&self, name: &str) -> Result<String> {
        self.get(name)
            .map(str::to_string)
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn number(&self, name: &str, default: u64) -> Result<u64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: {v} is not a number")),
        }
    }

    fn command(&self) -> Result<Command> {
        let (program, args) = self
            .command
            .split_first()
            .ok_or("the command to measure follows --")?;
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        Ok(command)
    }
}

/// Prints the runs and their median.
fn report(values: &[f64], unit: &str) -> Result<()> {
    let median = median(values).ok_or("no runs")?;
    let runs: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
    if runs.len() <= 30 {
        eprintln!("runs ({unit}): {}", runs.join(" "));
    } else {
        let (min, max) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        eprintln!(
            "runs ({unit}): {} samples, {min:.3} to {max:.3}",
            runs.len()
        );
    }
    println!("median={median:.3} {unit}");
    Ok(())
}

/// The median (mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Shop fixtures with `count` customers like the demo's first one, each with its own e-mail,
/// license id and application password.
fn fixtures(opts: &Options) -> Result<()> {
    let demo_path = opts.value("demo")?;
    let text = std::fs::read_to_string(&demo_path).map_err(|e| format!("{demo_path}: {e}"))?;
    let demo: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{demo_path}: {e}"))?;
    let template = demo
        .get("customers")
        .and_then(|c| c.get(0))
        .ok_or("the demo fixtures have no customer")?;
    let mut customers = Vec::new();
    for i in 1..=opts.number("count", 25)? {
        let mut customer = template.clone();
        let email = format!("bench-{i:02}@ff-bench.de");
        let password = format!("bnch pass word {i:04} abcd efgh");
        customer["email"] = email.clone().into();
        customer["name"] = format!("FF Bench {i:02}").into();
        customer["app_password"] = password.clone().into();
        customer["license"]["id"] = (10_000 + i).into();
        customers.push(customer);
        println!("{email} {password}");
    }
    let out = serde_json::json!({ "catalog": demo["catalog"], "customers": customers });
    let out_path = opts.value("out")?;
    std::fs::write(&out_path, out.to_string()).map_err(|e| format!("{out_path}: {e}"))
}

/// One start-up, in milliseconds.
#[derive(Clone, Debug)]
struct Startup {
    /// From just before the spawn to the time the app wrote into the marker file.
    total: f64,
    /// The same time in phases that add up to it, when the page reported its timeline:
    /// to the navigation start (process, Tauri, window, web process), the page until
    /// DOMContentLoaded (HTML, scripts, styles), from there to the mark (the app's first data
    /// and render), and from there until painted and signalled.
    phases: Option<[f64; 4]>,
}

/// The names of [`Startup::phases`], as printed.
const PHASES: [&str; 4] = [
    "to navigation",
    "page load",
    "to first content",
    "to painted",
];

/// Prints each phase's median (medians of phases do not add up to the median total exactly),
/// as `<label>=a / b / c / d`.
fn report_phases(runs: &[Startup], label: &str) -> Result<()> {
    let phases: Vec<[f64; 4]> = runs.iter().filter_map(|run| run.phases).collect();
    if phases.len() != runs.len() {
        return Err("the page did not report its timeline in every run".into());
    }
    let mut medians = Vec::new();
    for (i, name) in PHASES.iter().enumerate() {
        let values: Vec<f64> = phases.iter().map(|p| p[i]).collect();
        let runs: Vec<String> = values.iter().map(|v| format!("{v:.1}")).collect();
        eprintln!("{label} {name} (ms): {}", runs.join(" "));
        medians.push(format!("{:.0}", median(&values).ok_or("no runs")?));
    }
    println!("{label}={}", medians.join(" / "));
    Ok(())
}

/// Start-ups from just before the spawn to the marker, after `warmup` unmeasured ones.
fn startup(opts: &Options) -> Result<Vec<Startup>> {
    let mut starter = Starter::new(opts)?;
    let mut values = Vec::new();
    let warmup = opts.number("warmup", 1)?;
    for run in 0..warmup + opts.number("runs", 5)? {
        let measured = starter.start(opts.command()?)?;
        if run >= warmup {
            values.push(measured);
        }
    }
    Ok(values)
}

/// Start-ups of the command and of `base` in turns (command, base, command, base …), so that a
/// machine whose speed drifts slows both alike; after `warmup` unmeasured pairs.
fn startup_pairs(opts: &Options, base: &str) -> Result<Vec<(Startup, Startup)>> {
    let mut starter = Starter::new(opts)?;
    let mut pairs = Vec::new();
    let warmup = opts.number("warmup", 1)?;
    for run in 0..warmup + opts.number("runs", 5)? {
        let app = starter.start(opts.command()?)?;
        let mut base_command = Command::new(base);
        base_command.stdin(Stdio::null()).stdout(Stdio::null());
        let baseline = starter.start(base_command)?;
        if run >= warmup {
            pairs.push((app, baseline));
        }
    }
    Ok(pairs)
}

/// Prints both medians, the median of the pairs' ratios and their spread (lowest and highest).
fn report_pairs(pairs: &[(Startup, Startup)]) -> Result<()> {
    let apps: Vec<Startup> = pairs.iter().map(|(a, _)| a.clone()).collect();
    let bases: Vec<Startup> = pairs.iter().map(|(_, b)| b.clone()).collect();
    let totals = |runs: &[Startup]| runs.iter().map(|r| r.total).collect::<Vec<f64>>();
    report(&totals(&apps), "ms")?;
    let base = median(&totals(&bases)).ok_or("no runs")?;
    eprintln!(
        "baseline runs (ms): {}",
        totals(&bases)
            .iter()
            .map(|v| format!("{v:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("baseline_median={base:.3} ms");
    let ratios: Vec<f64> = pairs.iter().map(|(a, b)| a.total / b.total).collect();
    let (low, high) = spread(&ratios).ok_or("no runs")?;
    println!(
        "ratio_median={:.3} spread={low:.3}..{high:.3}",
        median(&ratios).ok_or("no runs")?
    );
    report_phases(&apps, "phases")?;
    report_phases(&bases, "baseline_phases")
}

/// The lowest and the highest value.
fn spread(values: &[f64]) -> Option<(f64, f64)> {
    let low = values.iter().copied().reduce(f64::min)?;
    let high = values.iter().copied().reduce(f64::max)?;
    Some((low, high))
}

/// Starts programs one at a time and times each to its marker.
struct Starter {
    dir: PathBuf,
    marker: PathBuf,
    timeout: Duration,
}

impl Starter {
    fn new(opts: &Options) -> Result<Self> {
        let timeout = Duration::from_secs(opts.number("timeout-s", 60)?);
        let dir = std::env::temp_dir().join(format!("fe2-bench-startup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let marker = dir.join("marker");
        Ok(Self {
            dir,
            marker,
            timeout,
        })
    }

    /// One start-up from just before the spawn to the marker, then the process tree is stopped.
    fn start(&mut self, mut command: Command) -> Result<Startup> {
        // A leftover marker would end the next run at once.
        let _ = std::fs::remove_file(&self.marker);
        command.env(fe2_bench_marker_env(), &self.marker);
        let started = epoch_nanos()?;
        let child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
        let mut tree = procs::Tree::new(child);
        let written = wait_for_marker(&self.marker, self.timeout, &mut tree);
        tree.stop();
        let (written, timeline) = written?;
        // Let the WebKit processes go before the next start.
        std::thread::sleep(Duration::from_millis(500));
        Ok(Startup {
            total: written.saturating_sub(started) as f64 / 1e6,
            phases: timeline.map(|t| t.phases(started, written)),
        })
    }
}

impl Drop for Starter {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The marker variable (kept here as text: the tools do not link Tauri).
fn fe2_bench_marker_env() -> &'static str {
    "FE2_BENCH_MARKER"
}

fn epoch_nanos() -> Result<u128> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .map_err(|e| format!("clock before 1970: {e}"))
}

/// The page's timeline from the marker's second line (bench-marker's `origin`, `dcl`, `mark`).
#[derive(Debug, PartialEq)]
struct Timeline {
    /// Navigation start, ms since the Unix epoch.
    origin: f64,
    /// DOMContentLoaded, ms after `origin`.
    dcl: f64,
    /// The first-content mark, ms after `origin`.
    mark: f64,
}

impl Timeline {
    /// `origin=…&dcl=…&mark=…`; `None` if a field is missing or not a number.
    fn parse(query: &str) -> Option<Self> {
        let field = |name: &str| -> Option<f64> {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        };
        Some(Self {
            origin: field("origin")?,
            dcl: field("dcl")?,
            mark: field("mark")?,
        })
    }

    /// The phases of [`Startup::phases`] for a start at `started` and a marker at `written`
    /// (ns since the epoch). The page is loaded when both DOMContentLoaded and the mark are
    /// past, so the phases add up to the total even when a page sets its mark earlier.
    fn phases(&self, started: u128, written: u128) -> [f64; 4] {
        let started = started as f64 / 1e6;
        let written = written as f64 / 1e6;
        let content = self.dcl.max(self.mark);
        [
            self.origin - started,
            self.dcl,
            content - self.dcl,
            written - self.origin - content,
        ]
    }
}

/// Polls the marker every millisecond; fails if the process exits or the time runs out.
fn wait_for_marker(
    marker: &PathBuf,
    timeout: Duration,
    tree: &mut procs::Tree,
) -> Result<(u128, Option<Timeline>)> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        // Only whole lines count: a writer without the atomic rename may be half-way through.
        if let Some(text) = std::fs::read_to_string(marker)
            .ok()
            .filter(|text| text.ends_with('\n'))
        {
            let mut lines = text.lines();
            let line = lines.next().unwrap_or_default();
            let written = line.parse().map_err(|_| format!("marker holds {line:?}"))?;
            return Ok((written, lines.next().and_then(Timeline::parse)));
        }
        if let Some(status) = tree.exited() {
            return Err(format!("the app exited ({status}) before the marker"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Err(format!("no marker within {} s", timeout.as_secs()))
}

/// PSS in MB of the started process and its descendants, `after-s` seconds after the start.
fn pss(opts: &Options) -> Result<Vec<f64>> {
    let after = Duration::from_secs(opts.number("after-s", 5)?);
    let mut values = Vec::new();
    for _ in 0..opts.number("runs", 5)? {
        let child = opts.command()?.spawn().map_err(|e| format!("spawn: {e}"))?;
        let mut tree = procs::Tree::new(child);
        std::thread::sleep(after);
        let measured = tree.pss_kib();
        let alive = tree.exited();
        tree.stop();
        if let Some(status) = alive {
            return Err(format!("the app exited ({status}) before the measurement"));
        }
        let (kib, parts) = measured?;
        eprintln!("{kib} KiB: {}", parts.join(" "));
        values.push(kib as f64 / 1024.0);
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(values)
}

/// Wall milliseconds of the command run to completion; every run must exit like the first.
fn time(opts: &Options) -> Result<Vec<f64>> {
    let mut values = Vec::new();
    let mut expected = None;
    let warmup = opts.number("warmup", 1)?;
    for run in 0..warmup + opts.number("runs", 5)? {
        let mut command = opts.command()?;
        let started = Instant::now();
        let status = command.status().map_err(|e| format!("spawn: {e}"))?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match expected {
            None => expected = Some(status.code()),
            Some(code) if code != status.code() => {
                return Err(format!("run {run} exited {status}, the first {code:?}"))
            }
            Some(_) => {}
        }
        if run >= warmup {
            values.push(ms);
        }
    }
    if let Some(code) = expected {
        eprintln!("exit code {code:?}");
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_is_the_lowest_and_the_highest_ratio() {
        assert_eq!(spread(&[1.3, 1.1, 1.25]), Some((1.1, 1.3)));
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn options_and_command() {
        let args: Vec<String> = ["--runs", "7", "--", "echo", "hi"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let opts = Options::parse(&args).unwrap();
        assert_eq!(opts.number("runs", 5).unwrap(), 7);
        assert_eq!(opts.number("warmup", 1).unwrap(), 1);
        assert_eq!(opts.command, vec!["echo", "hi"]);
        assert!(Options::parse(&["--runs".to_string()]).is_err());
        assert!(Options::parse(&["runs".to_string()]).is_err());
    }

    #[test]
    fn time_measures_a_real_command() {
        let args: Vec<String> = ["--runs", "3", "--warmup", "0", "--", "sleep", "0.05"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let values = time(&Options::parse(&args).unwrap()).unwrap();
        assert_eq!(values.len(), 3);
        assert!(values.iter().all(|ms| *ms >= 50.0), "{values:?}");
    }

    #[test]
    fn startup_reads_the_marker_the_process_writes() {
        let args: Vec<String> = [
            "--runs",
            "2",
            "--warmup",
            "0",
            "--",
            "sh",
            "-c",
            "sleep 0.1; date +%s%N > \"$FE2_BENCH_MARKER\"; sleep 30",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let values = startup(&Options::parse(&args).unwrap()).unwrap();
        assert_eq!(values.len(), 2);
        assert!(
            values
                .iter()
                .all(|run| (100.0..5_000.0).contains(&run.total) && run.phases.is_none()),
            "{values:?}"
        );
    }

    #[test]
    fn the_phases_add_up_to_the_total() {
        let timeline = Timeline::parse("origin=1000100.5&dcl=40&mark=90").unwrap();
        let started = 1_000_000 * 1_000_000_u128;
        let written = 1_000_300 * 1_000_000_u128;
        let phases = timeline.phases(started, written);
        assert_eq!(phases, [100.5, 40.0, 50.0, 109.5]);
        assert_eq!(phases.iter().sum::<f64>(), 300.0);
        // A mark before DOMContentLoaded (the bare page's inline script): no content phase.
        let early = Timeline::parse("origin=1000100&dcl=40&mark=30").unwrap();
        assert_eq!(early.phases(started, written), [100.0, 40.0, 0.0, 160.0]);
        assert_eq!(Timeline::parse("origin=1&dcl=-1&mark=3"), None);
        assert_eq!(Timeline::parse("origin=1&mark=3"), None);
    }

    #[test]
    fn startup_fails_when_the_process_exits_without_marker() {
        let args: Vec<String> = ["--runs", "1", "--warmup", "0", "--", "true"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(startup(&Options::parse(&args).unwrap()).is_err());
    }

    #[test]
    fn fixtures_for_every_customer() {
        let dir = std::env::temp_dir().join(format!("fe2-bench-fixtures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("f.json");
        let demo = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../crates/fe2-shop/fixtures/demo.json"
        );
        let args: Vec<String> = vec![
            "--demo".into(),
            demo.into(),
            "--count".into(),
            "3".into(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
        ];
        fixtures(&Options::parse(&args).unwrap()).unwrap();
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let customers = written["customers"].as_array().unwrap();
        assert_eq!(customers.len(), 3);
        assert_eq!(customers[2]["email"], "bench-03@ff-bench.de");
        assert_eq!(customers[2]["license"]["id"], 10_003);
        assert!(written["catalog"]["price_lists"].is_array());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
