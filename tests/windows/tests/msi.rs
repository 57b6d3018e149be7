//! The MSI (installer/fe2-license-manager.wxs) and the per-machine program folder under Wine
//! (docs/windows.md): `msiexec /i … /qn` and `/x`, an upgrade from an older MSI built here from
//! the same source, the refusal of folders outside Program Files, the setup program's
//! permissions on such a folder, and that both installers install the same files but never both
//! per machine. Run by `scripts/windows.sh test`.

use fe2_windows_tests::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where each test puts the MSI in its prefix.
const MSI_IN_PREFIX: &str = "C:\\fe2.msi";
/// The MSI's PATH entry: `[INSTALLDIR]`, a directory with its trailing backslash.
const MSI_PATH_ENTRY: &str = "C:\\Program Files\\FE2 License Manager\\";
/// This build's version, the MSI's ProductVersion.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Windows Installer's "fatal error", the exit code of a refused install.
const INSTALL_FAILURE: i32 = 1603;

/// Copies `msi` into the prefix as [`MSI_IN_PREFIX`].
fn put_msi(wine: &Wine, msi: &Path) {
    std::fs::copy(msi, wine.unix_path(MSI_IN_PREFIX)).expect("copy the MSI into the prefix");
}

/// The files both installers install, by name, as the build left them.
fn dist_files() -> BTreeMap<String, Vec<u8>> {
    folder_files(&env_path("FE2_WINDOWS_DIST"))
}

/// The PATH's entries equal to `entry`, with or without a trailing backslash.
fn path_entries_of(path: &str, entry: &str) -> usize {
    let entry = entry.trim_end_matches('\\');
    path.split(';')
        .filter(|e| e.trim_end_matches('\\').eq_ignore_ascii_case(entry))
        .count()
}

/// Windows Installer removes a PATH entry it appended. Wine's removes the entry with the
/// separator after it, and the last entry has none after it, so the one before it stays: the
/// PATH is then the old one and a `;`. Either way no entry is added, lost or changed.
fn assert_path_restored(after: &str, before: &str) {
    assert!(
        after == before || after == format!("{before};"),
        "PATH before: {before:?}, after: {after:?}"
    );
}

/// The value `name` of the one machine-wide Uninstall entry of the product.
fn the_uninstall_entry(wine: &Wine) -> RegKey {
    let mut entries = wine.machine_uninstall_entries();
    assert_eq!(
        entries.len(),
        1,
        "one entry in Programs and Features: {entries:?}"
    );
    entries.remove(0)
}

/// An MSI of `version` from the same source, built here, whose files hold a line that names them
/// and the version: not programs, and different from every other build's.
fn marker_msi(version: &str, dir: &Path) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let files = dir.join(format!("files-{version}"));
    std::fs::create_dir_all(&files).unwrap();
    for name in program_files() {
        std::fs::write(files.join(&name), format!("{name} {version}\r\n")).unwrap();
    }
    let out = dir.join(format!("FE2-License-Manager_{version}_x64.msi"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/windows.sh");
    let status = std::process::Command::new(script)
        .args(["msi", version])
        .arg(&files)
        .arg(&out)
        .status()
        .expect("scripts/windows.sh msi");
    assert!(
        status.success(),
        "scripts/windows.sh msi {version}: {status}"
    );
    (out, folder_files(&files))
}

/// `%APPDATA%` of the prefix's user, as a Windows path.
fn appdata(wine: &Wine) -> String {
    wine.run_cmd("echo %APPDATA%", &[])
        .stdout
        .trim()
        .to_string()
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn the_msi_installs_per_machine_and_its_uninstall_restores_the_path_and_keeps_user_data() {
    // The shortcut's AppUserModelID is in the package (Wine cannot read it back from the
    // shortcut: its property store is a stub).
    let msi = env_path("FE2_WINDOWS_MSI");
    let table = std::process::Command::new("msiinfo")
        .arg("export")
        .arg(&msi)
        .arg("MsiShortcutProperty")
        .output()
        .expect("msiinfo");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("AppShortcut\tSystem.AppUserModel.ID\tde.fe2.license-manager"),
        "{table}"
    );

    let wine = Wine::boot();
    // An entry that starts with the folder's name: only whole entries may be removed.
    let look_alike = format!("{MACHINE_FOLDER}\\old");
    wine.set_machine_path(&format!("{};{look_alike}", wine.machine_path()));
    let path_before = wine.machine_path();
    put_msi(&wine, &msi);
    let installed = wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn /l*v C:\\msi-install.log"));
    assert_eq!(installed, 0);

    // The files of installer/files.txt, as built, in Program Files.
    let folder = wine.unix_path(MACHINE_FOLDER);
    assert_eq!(folder_files(&folder), dist_files());
    // The start-menu shortcut to the app, in the installer's ProgramMenuFolder: all users' on
    // Windows; Wine's msi takes the user's for ALLUSERS=1 too.
    let log = std::fs::read_to_string(wine.unix_path("C:\\msi-install.log")).unwrap();
    let programs = log
        .lines()
        .find_map(|l| l.split("Property(S): ProgramMenuFolder = ").nth(1))
        .expect("ProgramMenuFolder in the log");
    let shortcut = wine.unix_path(&format!("{programs}{PRODUCT}.lnk"));
    let bytes = std::fs::read(&shortcut).expect("the start-menu shortcut");
    assert!(
        contains(&bytes, b"fe2-license-manager.exe")
            || contains(&bytes, &utf16("fe2-license-manager.exe")),
        "the shortcut does not point to the app"
    );
    // One entry in Programs and Features, named as the setup program's, per machine only.
    let entry = the_uninstall_entry(&wine);
    assert_eq!(entry.value("DisplayVersion"), Some(VERSION), "{entry:?}");
    assert_eq!(entry.value("Publisher"), Some(PRODUCT), "{entry:?}");
    assert!(wine.reg_query(&format!("HKCU\\{UNINSTALL_KEY}")).is_none());
    // The machine's PATH gained exactly the folder, and a new console finds the CLI by name.
    assert_eq!(
        wine.machine_path(),
        format!("{path_before};{MSI_PATH_ENTRY}")
    );
    let version = wine.run(&["cmd", "/c", "fe2-license", "--version"], &[], "");
    assert_eq!(version.code, 0, "{version:?}");
    assert!(version.stdout.contains(VERSION), "{version:?}");

    // The user's data and credential, in the default data home, from the installed CLI.
    let fixtures = demo_fixtures();
    let state = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shop = Shop::start(&fixtures, &now, &state.path().join("shop-signing.key"));
    let email = "leitstelle@ff-musterstadt.de";
    let cli = format!("{MACHINE_FOLDER}\\fe2-license.exe");
    let added = wine.add_account(&cli, &[], &shop, &fixtures, email);
    assert_eq!(added.code, 0, "{added:?}");
    let config = format!("{}\\Alamos\\{PRODUCT}", appdata(&wine));
    assert!(wine.unix_path(&config).is_dir(), "no data home at {config}");
    let target = credential_target(email, &shop);
    assert!(wine
        .reg_query(CREDENTIALS_KEY)
        .unwrap_or_default()
        .contains(&target));

    // Uninstall: files, folder, shortcut, entry and the PATH entry go; the user's data stays.
    assert_eq!(wine.msiexec(&format!("/x {MSI_IN_PREFIX} /qn")), 0);
    assert!(!folder.exists(), "the program folder is still there");
    assert!(!shortcut.exists(), "the shortcut is still there");
    assert!(wine.machine_uninstall_entries().is_empty());
    assert!(wine
        .reg_query("HKLM\\Software\\FE2 License Manager\\MSI")
        .is_none());
    assert_path_restored(&wine.machine_path(), &path_before);
    assert_eq!(path_entries_of(&wine.machine_path(), &look_alike), 1);
    assert!(
        wine.unix_path(&config).is_dir(),
        "the data home was removed"
    );
    assert!(
        wine.reg_query(CREDENTIALS_KEY)
            .unwrap_or_default()
            .contains(&target),
        "the credential was removed"
    );
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn a_newer_msi_or_a_rebuild_replaces_the_installed_one_and_an_older_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (older, _) = marker_msi("0.0.9", dir.path());
    let wine = Wine::boot();
    let path_before = wine.machine_path();
    put_msi(&wine, &older);
    assert_eq!(wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn")), 0);
    let entry = the_uninstall_entry(&wine);
    assert_eq!(entry.value("DisplayVersion"), Some("0.0.9"), "{entry:?}");

    // The newer MSI (same UpgradeCode) removes the older one and installs itself: its files,
    // so the CLI runs, one entry, the folder once on the PATH.
    put_msi(&wine, &env_path("FE2_WINDOWS_MSI"));
    assert_eq!(wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn")), 0);
    let entry = the_uninstall_entry(&wine);
    assert_eq!(entry.value("DisplayVersion"), Some(VERSION), "{entry:?}");
    assert_eq!(folder_files(&wine.unix_path(MACHINE_FOLDER)), dist_files());
    // The older one's removal left the separator before its entry (see assert_path_restored),
    // so the PATH now has an empty entry before the folder. Windows skips empty entries; Wine's
    // cmd ends its search there, so the CLI is started by its path here (by name: the first test).
    let path = wine.machine_path();
    assert_eq!(path, format!("{path_before};;{MSI_PATH_ENTRY}"));
    let cli = format!("{MACHINE_FOLDER}\\fe2-license.exe");
    let version = wine.run(&[&cli, "--version"], &[], "");
    assert!(version.stdout.contains(VERSION), "{version:?}");

    // Another build of the same version (a new ProductCode) replaces it too.
    let (rebuild, rebuilt_files) = marker_msi(VERSION, dir.path());
    put_msi(&wine, &rebuild);
    assert_eq!(wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn")), 0);
    let entry = the_uninstall_entry(&wine);
    assert_eq!(entry.value("DisplayVersion"), Some(VERSION), "{entry:?}");
    assert_eq!(folder_files(&wine.unix_path(MACHINE_FOLDER)), rebuilt_files);
    assert_eq!(path_entries_of(&wine.machine_path(), MACHINE_FOLDER), 1);

    // The older one again: a downgrade is refused and changes nothing.
    put_msi(&wine, &older);
    assert_eq!(
        wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn")),
        INSTALL_FAILURE
    );
    let entry = the_uninstall_entry(&wine);
    assert_eq!(entry.value("DisplayVersion"), Some(VERSION), "{entry:?}");
    assert_eq!(folder_files(&wine.unix_path(MACHINE_FOLDER)), rebuilt_files);

    // Uninstalling the installed one (by its package) leaves nothing of any of them.
    put_msi(&wine, &rebuild);
    assert_eq!(wine.msiexec(&format!("/x {MSI_IN_PREFIX} /qn")), 0);
    assert!(wine.machine_uninstall_entries().is_empty());
    assert!(!wine.unix_path(MACHINE_FOLDER).exists());
    assert_eq!(path_entries_of(&wine.machine_path(), MACHINE_FOLDER), 0);
    assert!(wine.machine_path().starts_with(&path_before));
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn the_msi_refuses_a_folder_outside_program_files() {
    let wine = Wine::boot();
    let path_before = wine.machine_path();
    put_msi(&wine, &env_path("FE2_WINDOWS_MSI"));
    // Below the drive (whose permissions let users create files) and out of Program Files by
    // "..": refused before anything is installed.
    for folder in ["C:\\FE2", "C:\\Program Files\\..\\FE2"] {
        let refused = wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn INSTALLDIR=\"{folder}\""));
        assert_eq!(refused, INSTALL_FAILURE, "INSTALLDIR={folder}");
        assert!(!wine.unix_path("C:\\FE2").exists(), "INSTALLDIR={folder}");
        assert!(wine.machine_uninstall_entries().is_empty());
        assert_eq!(wine.machine_path(), path_before);
    }
    // Another folder below Program Files is fine, and the uninstall finds it without being told.
    let folder = "C:\\Program Files\\Alamos\\FE2 Lizenz";
    let installed = wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn INSTALLDIR=\"{folder}\""));
    assert_eq!(installed, 0);
    assert_eq!(folder_files(&wine.unix_path(folder)), dist_files());
    assert_eq!(path_entries_of(&wine.machine_path(), folder), 1);
    assert_eq!(wine.msiexec(&format!("/x {MSI_IN_PREFIX} /qn")), 0);
    assert!(!wine.unix_path(folder).exists());
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn the_setup_program_locks_a_per_machine_folder_outside_program_files_or_stops() {
    let wine = Wine::boot();
    let path_before = wine.machine_path();
    let folder = "C:\\FE2";
    let log_path = wine.unix_path(&format!("{folder}\\install.log"));

    // Wine's icacls changes nothing and says so only to its debug channel. A stand-in that
    // fails (fe2-license.exe, refusing icacls's arguments; Wine runs its own icacls unless told
    // to load the file) shows what happens when Windows' fails: the install stops before
    // anything is copied or put on the PATH, and the log says why.
    let icacls = wine.unix_path("C:\\windows\\system32\\icacls.exe");
    let wine_icacls = std::fs::read(&icacls).expect("Wine's icacls.exe");
    std::fs::copy(
        env_path("FE2_WINDOWS_DIST").join("fe2-license.exe"),
        &icacls,
    )
    .unwrap();
    let stand_in = [("WINEDLLOVERRIDES", "mscoree,mshtml=;icacls.exe=n")];
    let stopped = wine.setup_with(&format!("/AllUsers /D={folder}"), &stand_in);
    assert_eq!(stopped.code, 2, "{stopped:?}");
    let log = std::fs::read_to_string(&log_path).expect("install.log");
    let failed = format!("ACL: icacls \"{folder}\" /setowner *S-1-5-32-544: exit code ");
    assert!(
        log.lines()
            .any(|l| l.starts_with(&failed) && !l.starts_with(&format!("{failed}0"))),
        "{log}"
    );
    assert!(!wine
        .unix_path(&format!("{folder}\\fe2-license.exe"))
        .exists());
    assert_eq!(wine.machine_path(), path_before);
    assert!(wine.reg_query(&format!("HKLM\\{UNINSTALL_KEY}")).is_none());

    // With icacls working: owner Administrators, then SYSTEM and Administrators full control,
    // Users read and execute, nothing inherited, both by well-known SID.
    std::fs::write(&icacls, wine_icacls).unwrap();
    let installed = wine.setup(&format!("/AllUsers /D={folder}"));
    assert_eq!(installed.code, 0, "{installed:?}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    for line in [
        format!("ACL: icacls \"{folder}\" /setowner *S-1-5-32-544: exit code 0"),
        format!(
            "ACL: icacls \"{folder}\" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F \
             *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX: exit code 0"
        ),
    ] {
        assert!(
            log.lines().any(|l| l.trim_end() == line),
            "{line:?} not in {log}"
        );
    }
    assert_eq!(wine.machine_path(), format!("{path_before};{folder}"));
    let version = wine.run(&["cmd", "/c", "fe2-license", "--version"], &[], "");
    assert_eq!(version.code, 0, "{version:?}");

    let uninstalled = wine.uninstall_setup(folder, "/AllUsers");
    assert_eq!(uninstalled.code, 0, "{uninstalled:?}");
    assert!(!wine.unix_path(folder).exists());
    assert_eq!(wine.machine_path(), path_before);
}

#[test]
#[ignore = "wine: run by scripts/windows.sh test"]
fn both_installers_install_the_same_files_but_never_both_per_machine() {
    let wine = Wine::boot();
    let folder = wine.unix_path(MACHINE_FOLDER);
    put_msi(&wine, &env_path("FE2_WINDOWS_MSI"));
    assert_eq!(wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn")), 0);
    let from_msi = folder_files(&folder);

    // The setup program refuses to install per machine beside the MSI.
    let refused = wine.setup("/AllUsers");
    assert_eq!(refused.code, 2, "{refused:?}");
    assert_eq!(folder_files(&folder), from_msi);
    assert_eq!(wine.machine_uninstall_entries().len(), 1);
    assert_eq!(wine.msiexec(&format!("/x {MSI_IN_PREFIX} /qn")), 0);

    let installed = wine.setup("/AllUsers");
    assert_eq!(installed.code, 0, "{installed:?}");
    let mut from_setup = folder_files(&folder);
    // The setup program's own: its uninstaller and its log.
    from_setup.remove("uninstall.exe").expect("uninstall.exe");
    from_setup.remove("install.log").expect("install.log");
    assert_eq!(
        from_setup.keys().collect::<Vec<_>>(),
        from_msi.keys().collect::<Vec<_>>()
    );
    assert!(
        from_setup == from_msi,
        "the installers' files differ in content"
    );
    let mut listed = program_files();
    listed.sort();
    assert_eq!(from_msi.keys().cloned().collect::<Vec<_>>(), listed);

    // The MSI refuses to install beside the setup program's per-machine install.
    assert_eq!(
        wine.msiexec(&format!("/i {MSI_IN_PREFIX} /qn")),
        INSTALL_FAILURE
    );
    assert_eq!(wine.machine_uninstall_entries().len(), 1);
    let uninstalled = wine.uninstall_setup(MACHINE_FOLDER, "/AllUsers");
    assert_eq!(uninstalled.code, 0, "{uninstalled:?}");
    assert!(!folder.exists());
}
