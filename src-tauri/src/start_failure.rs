//! What the app does when it cannot start: say so in the user's language where the user looks
//! (a native message box on Windows, whose release build has no console), in the app's log and
//! on stderr, then exit non-zero. The commonest case is a Windows machine without the WebView2
//! runtime (docs/windows.md): the window cannot exist there, so nothing else would tell anyone.

use fe2_license::config::{load_settings, Language};
use fe2_license::paths::Home;
use std::io::Write;

/// Exit code when the web view runtime is missing (1 is any other start-up error).
pub const EXIT_NO_WEBVIEW: i32 = 3;

/// Where administrators get the WebView2 runtime (the Evergreen installer is linked there).
pub const WEBVIEW2_URL: &str = "https://developer.microsoft.com/microsoft-edge/webview2/";

/// The file name of the app's log, the same file the log plugin writes once the app runs.
const LOG_FILE: &str = "fe2-license-manager.log";

/// Why the app did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartFailure {
    /// The web view runtime (WebView2 on Windows) is missing or unusable; the runtime's own words.
    NoWebView(String),
    /// Any other start-up error (data home, keychain, window), in its own words.
    Other(String),
}

impl StartFailure {
    /// The exit code the process ends with.
    pub fn exit_code(&self) -> i32 {
        match self {
            StartFailure::NoWebView(_) => EXIT_NO_WEBVIEW,
            StartFailure::Other(_) => 1,
        }
    }

    /// Title and text for the user, in the UI language.
    pub fn message(&self, language: Language) -> (&'static str, String) {
        let title = match language {
            Language::De => "FE2 Lizenzverwaltung",
            Language::En => "FE2 License Manager",
        };
        let text = match (self, language) {
            (StartFailure::NoWebView(detail), Language::De) => format!(
                "Die FE2 Lizenzverwaltung kann nicht starten: Auf diesem Computer fehlt die \
                 Laufzeitumgebung Microsoft Edge WebView2, die das Programmfenster anzeigt.\n\n\
                 Bitte installieren Sie die „WebView2 Runtime“ (Evergreen) von\n{WEBVIEW2_URL}\n\
                 oder bitten Sie Ihre IT-Abteilung darum, und starten Sie das Programm dann \
                 erneut.\n\nDie Befehlszeile fe2-license.exe arbeitet auch ohne WebView2.\n\n\
                 Technische Angabe: {detail}"
            ),
            (StartFailure::NoWebView(detail), Language::En) => format!(
                "FE2 License Manager cannot start: the Microsoft Edge WebView2 runtime, which \
                 shows the program's window, is missing on this computer.\n\n\
                 Please install the \"WebView2 Runtime\" (Evergreen) from\n{WEBVIEW2_URL}\n\
                 or ask your IT department to, then start the program again.\n\n\
                 The command line fe2-license.exe works without WebView2.\n\n\
                 Technical detail: {detail}"
            ),
            (StartFailure::Other(detail), Language::De) => {
                format!("Die FE2 Lizenzverwaltung konnte nicht starten.\n\n{detail}")
            }
            (StartFailure::Other(detail), Language::En) => {
                format!("FE2 License Manager could not start.\n\n{detail}")
            }
        };
        (title, text)
    }

    /// Tells the user and the log, then ends the process with [`Self::exit_code`].
    pub fn report_and_exit(&self, home: Option<&Home>) -> ! {
        // The administrator's language policy, else the user's settings, else German.
        let language = fe2_license::policy::Policy::load()
            .language
            .unwrap_or_else(|| {
                home.map(|home| load_settings(home).0.language)
                    .unwrap_or_default()
            });
        let (title, text) = self.message(language);
        eprintln!("{title}: {text}");
        if let Some(home) = home {
            if let Err(e) = append_to_log(home, &text) {
                eprintln!("{title}: cannot write the log: {e}");
            }
        }
        show_message_box(title, &text);
        std::process::exit(self.exit_code());
    }
}

/// Checks that the web view runtime answers (WebView2 on Windows, WebKitGTK elsewhere).
pub fn check_webview() -> Result<(), StartFailure> {
    tauri::webview_version()
        .map(|_| ())
        .map_err(|e| StartFailure::NoWebView(e.to_string()))
}

/// One line in the log plugin's shape, appended: the plugin is not running yet.
fn append_to_log(home: &Home, text: &str) -> std::io::Result<()> {
    let dir = home.logs_dir();
    std::fs::create_dir_all(&dir)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(LOG_FILE))?;
    let now = chrono::Utc::now().format("[%Y-%m-%d][%H:%M:%S]");
    let one_line = text.replace('\n', " ");
    writeln!(file, "{now}[fe2_license_manager][ERROR] {one_line}")
}

/// A native, modal message box: the release build has no console to print to.
#[cfg(windows)]
fn show_message_box(title: &str, text: &str) {
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        MessageBoxW, MB_ICONERROR, MB_OK, MB_SETFOREGROUND,
    };
    let wide = |s: &str| s.encode_utf16().chain([0]).collect::<Vec<u16>>();
    let (title, text) = (wide(title), wide(text));
    // SAFETY: both strings are NUL-terminated UTF-16 buffers that outlive the call; no owner window.
    unsafe {
        MessageBoxW(
            std::ptr::null_mut(),
            text.as_ptr(),
            title.as_ptr(),
            MB_OK | MB_ICONERROR | MB_SETFOREGROUND,
        );
    }
}

/// Elsewhere the desktop has no single native box; stderr and the log carry the message.
#[cfg(not(windows))]
fn show_message_box(_title: &str, _text: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_webview_names_webview2_and_where_to_get_it_in_both_languages() {
        let failure = StartFailure::NoWebView("0x80070002".into());
        let (title, de) = failure.message(Language::De);
        assert_eq!(title, "FE2 Lizenzverwaltung");
        assert!(de.contains("WebView2") && de.contains(WEBVIEW2_URL) && de.contains("0x80070002"));
        assert!(de.contains("installieren Sie"));
        let (title, en) = failure.message(Language::En);
        assert_eq!(title, "FE2 License Manager");
        assert!(en.contains("WebView2") && en.contains(WEBVIEW2_URL) && en.contains("install"));
        assert_eq!(failure.exit_code(), EXIT_NO_WEBVIEW);
        assert_eq!(StartFailure::Other("x".into()).exit_code(), 1);
    }

    #[test]
    fn the_log_line_is_one_line_in_the_log_plugins_file() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        append_to_log(&home, "first\nsecond").unwrap();
        append_to_log(&home, "third").unwrap();
        let log = std::fs::read_to_string(home.logs_dir().join(LOG_FILE)).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(lines[0].ends_with("[fe2_license_manager][ERROR] first second"));
        assert!(lines[1].ends_with("[ERROR] third"));
    }

    #[test]
    fn this_machine_has_a_web_view_runtime() {
        // The Linux test machines have WebKitGTK; a failure here means the check itself is wrong.
        assert_eq!(check_webview(), Ok(()));
    }
}
