//! The real `fe2-shop` binary on loopback and the real `fe2-license` binary in a temporary
//! `FE2_LICENSE_HOME`, for the command line's integration tests.

#![allow(dead_code)] // each test file uses a part of these helpers

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The demo fixtures of the reference shop.
pub fn demo_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fe2-shop/fixtures/demo.json")
}

/// The `fe2-shop` binary beside ours in the target directory. `cargo test -p fe2-license-cli`
/// does not build another package's binary: scripts/test.sh runs `cargo build -p fe2-shop` first.
pub fn shop_binary() -> PathBuf {
    let ours = Path::new(env!("CARGO_BIN_EXE_fe2-license"));
    let shop = ours.with_file_name(format!("fe2-shop{}", std::env::consts::EXE_SUFFIX));
    assert!(
        shop.exists(),
        "{} is missing: run `cargo build -p fe2-shop` first (scripts/test.sh does)",
        shop.display()
    );
    shop
}

/// Now, to the second, as `--now` takes it: the shop's frozen clock and the CLI's real clock
/// then differ by the seconds a test runs, which never changes a whole day count.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A running reference shop; killed when dropped.
pub struct Shop {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Shop {
    /// `fe2-shop serve` on `listen` with the fixtures, the clock frozen at `now` and the
    /// signing key kept in `key_file` (so a restart signs with the same key).
    pub fn start(listen: &str, fixtures: &Path, now: &str, key_file: &Path) -> Shop {
        let mut child = Command::new(shop_binary())
            .args([
                "serve", "--listen", listen, "--db", ":memory:", "--now", now,
            ])
            .arg("--fixtures")
            .arg(fixtures)
            .arg("--signing-key")
            .arg(key_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fe2-shop");
        let mut first = String::new();
        let stdout = child.stdout.take().expect("shop stdout");
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("shop's first line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Shop { child, url, addr }
    }

    /// Stops the shop and waits until its port is closed.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The public key the shop signs with, as `fe2-shop public-key` prints it.
pub fn shop_public_key(key_file: &Path) -> String {
    let out = Command::new(shop_binary())
        .arg("public-key")
        .arg("--signing-key")
        .arg(key_file)
        .output()
        .expect("fe2-shop public-key");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// `fe2-license` with its data home in `home`, and its policy file (debug builds) at
/// `home/policy.json`: no test reads the machine's `/etc/fe2-license/policy.json`.
pub fn cli(home: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("fe2-license").expect("fe2-license binary");
    command.env("FE2_LICENSE_HOME", home);
    command.env(
        fe2_license::policy::POLICY_FILE_ENV,
        home.join(POLICY_FILE_NAME),
    );
    command
}

/// The policy file of a test's data home (see [`cli`]).
pub const POLICY_FILE_NAME: &str = "policy.json";

/// What a finished command printed.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `fe2-license ARGS` in `home`, with `stdin` as standard input.
pub fn run(home: &Path, args: &[&str], stdin: &str) -> Run {
    let out = cli(home)
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("run fe2-license");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Demo accounts: e-mail and application password (crates/fe2-shop/fixtures/demo.json).
pub const OK_EMAIL: &str = "leitstelle@ff-musterstadt.de";
/// 183 days left.
pub const OK_PASSWORD: &str = "abcd EFGH 1234 ijkl MNOP 5678";
/// Pending-cancel, 15 days left: WARNING with the default thresholds.
pub const WARN_EMAIL: &str = "kuendigung@ff-seedorf.de";
/// Its password.
pub const WARN_PASSWORD: &str = "Kuen dSee d0rf Canc elEn d15D";
/// A trial with 7 days left: CRITICAL.
pub const CRIT_EMAIL: &str = "test@ff-neustadt.de";
/// Its password.
pub const CRIT_PASSWORD: &str = "Tri4 lNeu stad tEnd s7Da ys00";

/// Adds an account with the password on standard input and asserts success.
pub fn add(home: &Path, shop: &Shop, email: &str, password: &str) -> Run {
    let run = run(
        home,
        &[
            "account",
            "add",
            "--shop-url",
            &shop.url,
            "--email",
            email,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    assert_eq!(run.code, 0, "add {email}: {}", run.stderr);
    run
}
