//! The harness of the Windows tests (docs/windows.md): a throwaway Wine prefix, Windows
//! programs started in it with a deadline, the reference shop (the Linux binary) on loopback,
//! and the secret scan over the prefix. scripts/windows.sh test sets the environment:
//! `FE2_WINDOWS_INSTALLER` (the setup program), `FE2_WINDOWS_MSI` (the MSI),
//! `FE2_WINDOWS_DIST` (the folder of the files both install), `FE2_WINE_SHIM` (the ProcessPrng
//! shim for Wine 8), `FE2_SHOP_BIN` (the Linux `fe2-shop`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wine's 64-bit loader (Debian's `wine` wrapper prefers the 32-bit one, which is not installed).
pub const WINE: &str = "/usr/lib/wine/wine64";
/// Wine's server, to wait for or end every process of a prefix.
pub const WINESERVER: &str = "/usr/lib/wine/wineserver";
/// How long one Windows program may run before the test calls it hung.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// The product name: the Uninstall display name of both installers, the keychain service.
pub const PRODUCT: &str = "FE2 License Manager";
/// The setup program's Uninstall entry, below HKCU or HKLM.
pub const UNINSTALL_KEY: &str =
    "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\FE2 License Manager";
/// Every program's Uninstall entries, in the 64-bit and the 32-bit view of HKLM.
pub const MACHINE_UNINSTALL_KEYS: [&str; 2] = [
    "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
    "HKLM\\Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
];
/// The machine-wide environment.
pub const ENV_KEY: &str = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment";
/// Wine keeps the Credential Manager's entries here, one key per target name.
pub const CREDENTIALS_KEY: &str = "HKCU\\Software\\Wine\\Credential Manager";
/// The per-machine program folder both installers choose by default.
pub const MACHINE_FOLDER: &str = "C:\\Program Files\\FE2 License Manager";

/// A path named by an environment variable that scripts/windows.sh sets.
pub fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run these tests with scripts/windows.sh test")
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}: {} does not exist", path.display());
    path
}

/// Installs the setup program silently for this user into `folder` and asserts it succeeded.
pub fn install_for_user(wine: &Wine, folder: &str) {
    let installer = env_path("FE2_WINDOWS_INSTALLER");
    std::fs::copy(&installer, wine.unix_path("C:\\fe2-setup.exe")).expect("copy the installer");
    let installed = wine.run_cmd(
        &format!("C:\\fe2-setup.exe /S /CurrentUser /D={folder}"),
        &[],
    );
    wine.wait_idle();
    assert_eq!(installed.code, 0, "install: {installed:?}");
}

/// What a finished Windows program did.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A fresh Wine prefix, removed with its processes when dropped.
pub struct Wine {
    dir: tempfile::TempDir,
}

impl Wine {
    /// Creates the prefix (`wineboot --init`) and installs the ProcessPrng shim into it.
    pub fn boot() -> Wine {
        let wine = Wine {
            dir: tempfile::Builder::new()
                .prefix("fe2-wine-")
                .tempdir()
                .expect("prefix dir"),
        };
        // The prefix's server and services outlive each program: without our pipes.
        let boot = wine
            .command(&["wineboot", "--init"], &[])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("wineboot");
        assert!(boot.success(), "wineboot: {boot}");
        wine.wait_idle();
        let system32 = wine.prefix().join("drive_c/windows/system32");
        assert!(system32.is_dir(), "wineboot made no system32");
        std::fs::copy(
            env_path("FE2_WINE_SHIM"),
            system32.join("bcryptprimitives.dll"),
        )
        .expect("install the ProcessPrng shim");
        wine
    }

    /// The prefix directory (`WINEPREFIX`).
    pub fn prefix(&self) -> &Path {
        self.dir.path()
    }

    /// The Linux path of a Windows path on drive C (`C:\Program Files\…`).
    pub fn unix_path(&self, windows: &str) -> PathBuf {
        let rest = windows
            .strip_prefix("C:\\")
            .or_else(|| windows.strip_prefix("c:\\"))
            .unwrap_or_else(|| panic!("not on drive C: {windows}"));
        let mut path = self.prefix().join("drive_c");
        for part in rest.split('\\').filter(|p| !p.is_empty()) {
            path.push(part);
        }
        path
    }

    /// A command for Wine in this prefix, quiet, without the Mono and Gecko install prompts.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(WINE);
        command
            .args(args)
            .env("WINEPREFIX", self.prefix())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
        for (key, value) in env {
            command.env(key, value);
        }
        command
    }

    /// Runs `args` (a Windows program and its arguments) with `stdin`, within [`DEADLINE`].
    pub fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
        let child = self
            .command(args, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wine64");
        finish(child, stdin, DEADLINE, &format!("{args:?}"))
    }

    /// Runs a command line through `cmd /c`, which hands it to the program as written: Wine
    /// would quote an argument with spaces, and an installer takes `/D=` only unquoted.
    pub fn run_cmd(&self, line: &str, env: &[(&str, &str)]) -> Run {
        self.run(&["cmd", "/c", line], env, "")
    }

    /// `CLI account add` for `email` of `fixtures` at `shop`, the password on standard input.
    pub fn add_account(
        &self,
        cli: &str,
        env: &[(&str, &str)],
        shop: &Shop,
        fixtures: &Path,
        email: &str,
    ) -> Run {
        let args = [
            cli,
            "account",
            "add",
            "--shop-url",
            &shop.url,
            "--email",
            email,
            "--password-stdin",
        ];
        self.run(&args, env, &format!("{}\n", password_of(fixtures, email)))
    }

    /// Waits until every process of the prefix has ended (an uninstaller runs from a copy).
    pub fn wait_idle(&self) {
        let status = Command::new(WINESERVER)
            .arg("-w")
            .env("WINEPREFIX", self.prefix())
            .status()
            .expect("wineserver -w");
        assert!(status.success(), "wineserver -w: {status}");
    }

    /// Copies the setup program into the prefix and runs it silently with `options`.
    pub fn setup(&self, options: &str) -> Run {
        self.setup_with(options, &[])
    }

    /// [`Wine::setup`] with more environment for the setup program and what it starts.
    pub fn setup_with(&self, options: &str, env: &[(&str, &str)]) -> Run {
        let installer = env_path("FE2_WINDOWS_INSTALLER");
        std::fs::copy(&installer, self.unix_path("C:\\fe2-setup.exe")).expect("copy the installer");
        let run = self.run_cmd(&format!("C:\\fe2-setup.exe /S {options}"), env);
        self.wait_idle();
        run
    }

    /// Runs the setup program's uninstaller silently (it runs from a copy of itself: wait for
    /// the prefix).
    pub fn uninstall_setup(&self, folder: &str, mode: &str) -> Run {
        let run = self.run(&[&format!("{folder}\\uninstall.exe"), mode, "/S"], &[], "");
        self.wait_idle();
        run
    }

    /// Runs `msiexec ARGS` (quoted as on a Windows command line) and returns its exit code.
    /// From a batch file: cmd hands the line over as written, and Linux would see only the low
    /// byte of the exit code (1603 reads 67), `%errorlevel%` all of it.
    pub fn msiexec(&self, args: &str) -> i32 {
        let batch = "C:\\fe2-msiexec.cmd";
        let script = format!("@echo off\r\nmsiexec {args}\r\necho exit=%errorlevel%\r\n");
        std::fs::write(self.unix_path(batch), script).expect("write the batch file");
        let run = self.run(&["cmd", "/c", batch], &[], "");
        self.wait_idle();
        run.stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("exit="))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("msiexec {args}: no exit code in {run:?}"))
    }

    /// The machine-wide PATH as the registry holds it.
    pub fn machine_path(&self) -> String {
        let run = self.run(&["reg", "query", ENV_KEY, "/v", "Path"], &[], "");
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
            .lines()
            .find_map(|l| {
                let l = l.trim();
                l.strip_prefix("Path    REG_EXPAND_SZ    ")
                    .or_else(|| l.strip_prefix("Path    REG_SZ    "))
            })
            .unwrap_or_else(|| panic!("no Path in {}", run.stdout))
            .to_string()
    }

    /// Sets the machine-wide PATH (REG_EXPAND_SZ, as Windows keeps it).
    pub fn set_machine_path(&self, path: &str) {
        let run = self.run(
            &[
                "reg",
                "add",
                ENV_KEY,
                "/v",
                "Path",
                "/t",
                "REG_EXPAND_SZ",
                "/d",
                path,
                "/f",
            ],
            &[],
            "",
        );
        assert_eq!(run.code, 0, "{run:?}");
        self.wait_idle();
    }

    /// The machine's Uninstall entries (both registry views) whose DisplayName is [`PRODUCT`]:
    /// each key with its values by name.
    pub fn machine_uninstall_entries(&self) -> Vec<RegKey> {
        MACHINE_UNINSTALL_KEYS
            .iter()
            .filter_map(|key| self.reg_query(key))
            .flat_map(|text| reg_keys(&text))
            .filter(|key| key.value("DisplayName") == Some(PRODUCT))
            .collect()
    }

    /// `reg query KEY /s` as text, or `None` when the key does not exist.
    pub fn reg_query(&self, key: &str) -> Option<String> {
        let run = self.run(&["reg", "query", key, "/s"], &[], "");
        (run.code == 0).then_some(run.stdout)
    }

    /// Every file of the prefix: drive C and the registry files.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        files_below(self.prefix(), &mut found);
        found
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = Command::new(WINESERVER)
            .arg("-k")
            .env("WINEPREFIX", self.prefix())
            .status();
    }
}

/// Feeds `stdin`, collects the output and waits at most `deadline` (then kills: a hang fails).
/// Wine's helper processes (services, the desktop) may inherit the pipes and keep them open
/// after the program ended, so the output is whatever arrived by a moment after its exit.
pub fn finish(mut child: Child, stdin: &str, deadline: Duration, what: &str) -> Run {
    if let Some(mut pipe) = child.stdin.take() {
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let stdout = Collected::start(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = Collected::start(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// A pipe read into memory by a thread of its own.
struct Collected {
    text: Arc<Mutex<Vec<u8>>>,
    done: Arc<AtomicBool>,
}

impl Collected {
    fn start(pipe: Option<Box<dyn Read + Send>>) -> Collected {
        let text = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let (into, finished) = (text.clone(), done.clone());
        std::thread::spawn(move || {
            if let Some(mut pipe) = pipe {
                let mut chunk = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    into.lock()
                        .expect("output buffer")
                        .extend_from_slice(&chunk[..n]);
                }
            }
            finished.store(true, Ordering::SeqCst);
        });
        Collected { text, done }
    }

    /// What was read until the end of the pipe, or until a second passed without it.
    fn text(self) -> String {
        let waited = Instant::now();
        while !self.done.load(Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_millis(20));
        }
        String::from_utf8_lossy(&self.text.lock().expect("output buffer")).into_owned()
    }
}

/// A registry key as `reg query /s` prints it: its path and its values.
#[derive(Debug)]
pub struct RegKey {
    /// The key's full path (`HKEY_LOCAL_MACHINE\…`).
    pub path: String,
    /// (name, type, data) of each value.
    pub values: Vec<(String, String, String)>,
}

impl RegKey {
    /// The data of the value `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, data)| data.as_str())
    }
}

/// The keys and values of `reg query … /s` output: a key's path starts a line, its values
/// follow indented as `name    TYPE    data`.
pub fn reg_keys(text: &str) -> Vec<RegKey> {
    let mut keys: Vec<RegKey> = Vec::new();
    for line in text.lines() {
        if line.starts_with("HKEY_") {
            keys.push(RegKey {
                path: line.trim().to_string(),
                values: Vec::new(),
            });
        } else if let (Some(key), Some(value)) = (keys.last_mut(), line.strip_prefix("    ")) {
            let mut parts = value.splitn(3, "    ");
            if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                let data = parts.next().unwrap_or_default();
                key.values
                    .push((name.to_string(), kind.to_string(), data.to_string()));
            }
        }
    }
    keys
}

/// The names in installer/files.txt, the files both installers install: the text before a #,
/// without a carriage return, lines without a name skipped (as makensis and
/// scripts/windows.sh read it).
pub fn program_files() -> Vec<String> {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../installer/files.txt");
    std::fs::read_to_string(&list)
        .expect("installer/files.txt")
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .map(|line| line.split('#').next().unwrap_or_default())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every file directly in `dir`, by name, with its content.
pub fn folder_files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (
                name,
                std::fs::read(entry.path()).expect("read an installed file"),
            )
        })
        .collect()
}

/// The reference shop (the Linux `fe2-shop`) on loopback; killed when dropped.
pub struct Shop {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`: the host part of the keychain entry's user name.
    pub addr: String,
}

impl Shop {
    /// `fe2-shop serve` with `fixtures`, its clock at `now`, signing with the key in `key_file`.
    pub fn start(fixtures: &Path, now: &str, key_file: &Path) -> Shop {
        let mut child = Command::new(env_path("FE2_SHOP_BIN"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db",
                ":memory:",
                "--now",
                now,
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
        BufReader::new(child.stdout.take().expect("shop stdout"))
            .read_line(&mut first)
            .expect("the shop's first line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let addr = url.trim_start_matches("http://").to_string();
        Shop { child, url, addr }
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo fixtures of the reference shop.
pub fn demo_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/fe2-shop/fixtures/demo.json")
}

/// The application password of `email` in `fixtures`.
pub fn password_of(fixtures: &Path, email: &str) -> String {
    credentials(fixtures)
        .into_iter()
        .find(|(e, _)| e == email)
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("{email} is not in the fixtures"))
}

/// The Credential Manager target of an account, named as the Linux keychain entry: the user
/// `<e-mail>@<host:port>` and the service `FE2 License Manager` (keyring's `user.service`).
pub fn credential_target(email: &str, shop: &Shop) -> String {
    format!("{email}@{}.{PRODUCT}", shop.addr)
}

/// `text` as UTF-16LE bytes, as Windows stores its strings.
pub fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Every customer's e-mail and application password in `fixtures`.
pub fn credentials(fixtures: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fixtures).expect("read fixtures");
    let fixtures: fe2_shop::Fixtures = serde_json::from_str(&text).expect("parse fixtures");
    fixtures
        .customers
        .into_iter()
        .map(|c| (c.email, c.app_password))
        .collect()
}

/// The forms a password could leak in, as the Linux secret scan searches them (as typed,
/// without spaces, base64 of it and of `email:password`), each also as UTF-16 (Windows' own
/// strings) and as the hex digits Wine's registry files write binary values in.
pub fn leak_forms(email: &str, password: &str) -> Vec<Vec<u8>> {
    let compact: String = password.chars().filter(|c| !c.is_whitespace()).collect();
    let texts = [
        password.to_owned(),
        compact.clone(),
        STANDARD.encode(password),
        STANDARD.encode(&compact),
        STANDARD.encode(format!("{email}:{password}")),
        STANDARD.encode(format!("{email}:{compact}")),
    ];
    let mut forms = Vec::new();
    for text in texts {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let reg_hex = |bytes: &[u8]| {
            bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        forms.push(reg_hex(text.as_bytes()).into_bytes());
        forms.push(reg_hex(&utf16).into_bytes());
        forms.push(utf16);
        forms.push(text.into_bytes());
    }
    forms
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn files_below(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            files_below(&entry.path(), found);
        } else if kind.is_file() {
            found.push(entry.path());
        }
    }
}
