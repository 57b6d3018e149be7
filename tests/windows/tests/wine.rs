//! The Windows delivery under Wine (docs/windows.md): the installer built by
//! scripts/windows.sh, installed silently per user and per machine into throwaway prefixes;
//! the installed `fe2-license.exe` against the reference shop on loopback; the app where
//! WebView2 is missing. Run by `scripts/windows.sh test` (it builds what is missing).

use fe2_windows_tests::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Demo accounts (crates/fe2-shop/fixtures/demo.json): 183 days left (OK), pending-cancel with
/// 15 days (WARNING), a trial with 7 days (CRITICAL).
const OK_EMAIL: &str = "leitstelle@ff-musterstadt.de";
const WARN_EMAIL: &str = "kuendigung@ff-seedorf.de";
const CRIT_EMAIL: &str = "test@ff-neustadt.de";

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn per_user_install_runs_the_cli_end_to_end_and_uninstall_keeps_user_data() {
    let wine = Wine::boot();
    let folder = "C:\\Program Files\\FE2 Lizenz Test";
    let installed = wine.setup(&format!("/CurrentUser /D={folder}"));
    assert_eq!(installed.code, 0, "install: {installed:?}");

    // Files where /D= put them, despite the spaces.
    for file in [
        "fe2-license-manager.exe",
        "fe2-license.exe",
        "WebView2Loader.dll",
        "uninstall.exe",
    ] {
        let path = wine.unix_path(&format!("{folder}\\{file}"));
        assert!(path.is_file(), "{} missing", path.display());
    }
    // Wine has no WebView2: the silent install installed everything and logged a warning.
    let log = std::fs::read_to_string(wine.unix_path(&format!("{folder}\\install.log"))).unwrap();
    assert!(log.contains("WARNING") && log.contains("WebView2"), "{log}");
    // A per-user folder keeps its permissions: only per-machine installs set them.
    assert!(!log.contains("ACL:"), "{log}");
    // The start-menu shortcut of this user, to the app.
    let programs = wine.prefix().join("drive_c/users");
    let shortcut = wine
        .files()
        .into_iter()
        .find(|p| {
            p.starts_with(&programs) && p.ends_with(format!("Start Menu/Programs/{PRODUCT}.lnk"))
        })
        .expect("a start-menu shortcut of the user");
    let bytes = std::fs::read(&shortcut).unwrap();
    assert!(
        contains(&bytes, b"fe2-license-manager.exe")
            || contains(&bytes, &utf16("fe2-license-manager.exe")),
        "the shortcut does not point to the app"
    );
    // The Uninstall entry in the user's hive, none in the machine's.
    let entry = wine
        .reg_query(&format!("HKCU\\{UNINSTALL_KEY}"))
        .expect("an Uninstall entry under HKCU");
    assert!(
        entry.contains(&format!("InstallLocation    REG_SZ    {folder}")),
        "{entry}"
    );
    assert!(
        entry.contains(&format!("\"{folder}\\uninstall.exe\" /CurrentUser")),
        "{entry}"
    );
    assert!(wine.reg_query(&format!("HKLM\\{UNINSTALL_KEY}")).is_none());

    // The installed CLI against the shop, with a data home that has spaces in its path.
    let fixtures = demo_fixtures();
    let state = tempfile::tempdir().unwrap();
    let key_file = state.path().join("shop-signing.key");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shop = Shop::start(&fixtures, &now, &key_file);
    let home = "C:\\Daten FE2\\Lizenz Home";
    let cli_exe = format!("{folder}\\fe2-license.exe");
    let cli = |args: &[&str], stdin: &str| {
        let mut all = vec![cli_exe.as_str()];
        all.extend_from_slice(args);
        wine.run(&all, &[("FE2_LICENSE_HOME", home)], stdin)
    };

    let empty = cli(&["check"], "");
    assert_eq!(empty.code, 3, "no account is UNKNOWN: {empty:?}");
    assert!(empty.stdout.starts_with("FE2 LICENSE UNKNOWN"), "{empty:?}");

    let add = |email: &str| {
        let run = wine.add_account(
            &cli_exe,
            &[("FE2_LICENSE_HOME", home)],
            &shop,
            &fixtures,
            email,
        );
        assert_eq!(run.code, 0, "add {email}: {run:?}");
        run
    };
    let added = add(OK_EMAIL);
    assert!(added.stdout.contains("FF Musterstadt"), "{added:?}");
    // The files went below the Windows data home; the secret went to the Credential Manager.
    assert!(wine
        .unix_path(&format!("{home}\\config\\accounts"))
        .is_dir());
    let credentials = wine
        .reg_query(CREDENTIALS_KEY)
        .expect("Wine's credential store");
    assert!(
        credentials.contains(&credential_target(OK_EMAIL, &shop)),
        "no Credential Manager entry named {}: {credentials}",
        credential_target(OK_EMAIL, &shop)
    );

    let status = cli(&["status"], "");
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains(OK_EMAIL), "{status:?}");

    let ok = cli(&["check"], "");
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.starts_with("FE2 LICENSE OK"), "{ok:?}");
    add(WARN_EMAIL);
    let warning = cli(&["check"], "");
    assert_eq!(warning.code, 1, "{warning:?}");
    assert!(
        warning.stdout.starts_with("FE2 LICENSE WARNING"),
        "{warning:?}"
    );
    add(CRIT_EMAIL);
    let critical = cli(&["check"], "");
    assert_eq!(critical.code, 2, "{critical:?}");
    assert!(
        critical.stdout.starts_with("FE2 LICENSE CRITICAL"),
        "{critical:?}"
    );
    let one = cli(&["check", "--account", OK_EMAIL], "");
    assert_eq!(one.code, 0, "--account checks one license: {one:?}");
    assert!(!one.stdout.contains(CRIT_EMAIL), "{one:?}");

    // Reports to Windows paths with spaces: CSV for German Excel, the Prometheus textfile.
    let csv_path = "C:\\Berichte FE2\\lizenzen.csv";
    std::fs::create_dir_all(wine.unix_path("C:\\Berichte FE2")).unwrap();
    let export = cli(&["export", "--format", "csv", "--output", csv_path], "");
    assert_eq!(export.code, 0, "{export:?}");
    let csv = std::fs::read(wine.unix_path(csv_path)).unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "the CSV starts with a UTF-8 BOM"
    );
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.contains(';') && !header.contains(','), "{header}");
    assert!(csv.contains(OK_EMAIL) && csv.contains(CRIT_EMAIL), "{csv}");
    let prom_path = "C:\\Berichte FE2\\fe2_license.prom";
    let prom = cli(
        &["check", "--format", "prometheus", "--output", prom_path],
        "",
    );
    assert_eq!(prom.code, 0, "{prom:?}");
    let prom = std::fs::read(wine.unix_path(prom_path)).unwrap();
    assert!(!prom.starts_with(b"\xEF\xBB\xBF") && prom.ends_with(b"\n"));
    let prom = String::from_utf8(prom).expect("UTF-8, not UTF-16");
    let crit_state = prom.lines().find(|l| {
        l.starts_with("fe2_license_state{") && l.contains(&format!("email=\"{CRIT_EMAIL}\""))
    });
    assert!(crit_state.is_some_and(|l| l.ends_with(" 2")), "{prom}");

    // The shop stops: the cached, verified data answers.
    let shop_addr = shop.addr.clone();
    drop(shop);
    let offline = cli(&["check", "--offline"], "");
    assert_eq!(offline.code, 2, "{offline:?}");
    assert!(
        offline.stdout.starts_with("FE2 LICENSE CRITICAL"),
        "{offline:?}"
    );
    let unreachable = cli(&["check", "-t", "5"], "");
    assert_eq!(unreachable.code, 2, "{unreachable:?}");
    assert!(unreachable.stdout.contains("offline"), "{unreachable:?}");

    // Removing an account removes its credential, and only its.
    let target = |email: &str| format!("{email}@{shop_addr}.{PRODUCT}");
    let removed = cli(&["account", "remove", CRIT_EMAIL], "");
    assert_eq!(removed.code, 0, "{removed:?}");
    let credentials = wine.reg_query(CREDENTIALS_KEY).unwrap_or_default();
    assert!(!credentials.contains(&target(CRIT_EMAIL)), "{credentials}");
    assert!(credentials.contains(&target(OK_EMAIL)), "{credentials}");

    // No password in any file of the prefix (drive C, the registry files), in any form.
    let forms = credentials_of_fixtures(&fixtures);
    let scan = aho_corasick::AhoCorasick::new(&forms).expect("the password forms");
    let mut searched = 0;
    for file in wine.files() {
        let mut bytes = std::fs::read(&file).unwrap_or_default();
        if file.extension().is_some_and(|e| e == "reg") {
            bytes = unwrap_reg_lines(&bytes);
        }
        searched += 1;
        if let Some(found) = scan.find(&bytes) {
            let form = found.pattern().as_usize();
            panic!("password form #{form} in {}", file.display());
        }
    }
    assert!(searched > 100, "only {searched} files searched");

    // Uninstall: the program is gone, the user's data and credentials stay.
    let uninstalled = wine.uninstall_setup(folder, "/CurrentUser");
    assert_eq!(uninstalled.code, 0, "{uninstalled:?}");
    assert!(
        !wine.unix_path(folder).exists(),
        "the program folder is still there"
    );
    assert!(!shortcut.exists(), "the shortcut is still there");
    assert!(wine.reg_query(&format!("HKCU\\{UNINSTALL_KEY}")).is_none());
    assert!(wine
        .unix_path(&format!("{home}\\config\\accounts"))
        .is_dir());
    assert!(wine.unix_path(&format!("{home}\\data")).is_dir());
    let credentials = wine.reg_query(CREDENTIALS_KEY).unwrap_or_default();
    assert!(credentials.contains(&target(OK_EMAIL)), "{credentials}");
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn per_machine_install_puts_the_cli_on_the_machine_path_and_uninstall_takes_it_off() {
    let wine = Wine::boot();
    let path_before = wine.machine_path();
    let installed = wine.setup("/AllUsers");
    assert_eq!(installed.code, 0, "{installed:?}");
    let folder = MACHINE_FOLDER;
    assert!(wine
        .unix_path(&format!("{folder}\\fe2-license.exe"))
        .is_file());
    let entry = wine
        .reg_query(&format!("HKLM\\{UNINSTALL_KEY}"))
        .expect("an Uninstall entry under HKLM");
    assert!(
        entry.contains(&format!("\"{folder}\\uninstall.exe\" /AllUsers")),
        "{entry}"
    );
    assert!(wine.reg_query(&format!("HKCU\\{UNINSTALL_KEY}")).is_none());
    // Per machine the folder gets its own permissions, in Program Files too (docs/windows.md).
    let log = std::fs::read_to_string(wine.unix_path(&format!("{folder}\\install.log"))).unwrap();
    assert!(
        log.contains(&format!("ACL: icacls \"{folder}\" /inheritance:r")),
        "{log}"
    );
    assert!(wine
        .unix_path(&format!(
            "C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\{PRODUCT}.lnk"
        ))
        .is_file());
    // The machine's PATH gained exactly the folder, and a new console finds the CLI by name.
    assert_eq!(wine.machine_path(), format!("{path_before};{folder}"));
    let version = wine.run(&["cmd", "/c", "fe2-license", "--version"], &[], "");
    assert_eq!(version.code, 0, "{version:?}");
    assert!(version.stdout.contains("fe2-license"), "{version:?}");

    let uninstalled = wine.uninstall_setup(folder, "/AllUsers");
    assert_eq!(uninstalled.code, 0, "{uninstalled:?}");
    assert!(!wine.unix_path(folder).exists());
    assert!(wine.reg_query(&format!("HKLM\\{UNINSTALL_KEY}")).is_none());
    assert_eq!(wine.machine_path(), path_before, "the PATH is restored");
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn the_app_without_webview2_says_so_in_a_message_box_and_its_log_and_exits_non_zero() {
    let wine = Wine::boot();
    let folder = "C:\\FE2";
    assert_eq!(wine.setup(&format!("/CurrentUser /D={folder}")).code, 0);
    let home = "C:\\App Home";
    let mut child = wine
        .command(
            &[&format!("{folder}\\fe2-license-manager.exe")],
            &[("FE2_LICENSE_HOME", home)],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the app");
    // The message box is a real window: find it by its German title (the default language).
    let window = wait_for_window("FE2 Lizenzverwaltung", Duration::from_secs(60));
    let Some(window) = window else {
        let _ = child.kill();
        panic!("no message box appeared");
    };
    // The log says the same before the user closes the box.
    let log = std::fs::read_to_string(
        wine.unix_path(&format!("{home}\\data\\logs\\fe2-license-manager.log")),
    )
    .expect("the app's log");
    assert!(log.contains("[ERROR]") && log.contains("WebView2"), "{log}");
    assert!(
        log.contains("https://developer.microsoft.com/microsoft-edge/webview2/"),
        "{log}"
    );
    // The user presses Enter (OK): the app ends with its own exit code, without a panic.
    let pressed = std::process::Command::new("xdotool")
        .args(["windowfocus", "--sync", &window, "key", "Return"])
        .status()
        .expect("xdotool");
    assert!(pressed.success());
    let run = finish(child, "", Duration::from_secs(30), "the app");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
}

/// The X window whose name is `name`, once it exists.
fn wait_for_window(name: &str, patience: Duration) -> Option<String> {
    let started = Instant::now();
    while started.elapsed() < patience {
        let found = std::process::Command::new("xdotool")
            .args(["search", "--name", name])
            .output()
            .expect("xdotool search");
        let ids = String::from_utf8_lossy(&found.stdout);
        if let Some(id) = ids.lines().next().filter(|l| !l.is_empty()) {
            return Some(id.to_string());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    None
}

/// Every fixture password in every form the scan looks for.
fn credentials_of_fixtures(fixtures: &Path) -> Vec<Vec<u8>> {
    credentials(fixtures)
        .iter()
        .flat_map(|(email, password)| leak_forms(email, password))
        .collect()
}

/// A registry file with its continued lines joined (Wine wraps long hex values with `\`).
fn unwrap_reg_lines(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut joined = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(head) = line.strip_suffix('\\') {
            joined.push_str(head);
            if let Some(next) = lines.peek_mut() {
                *next = next.trim_start();
            }
        } else {
            joined.push_str(line);
            joined.push('\n');
        }
    }
    joined.into_bytes()
}
