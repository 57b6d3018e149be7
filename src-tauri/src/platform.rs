//! What depends on the desktop: the single-instance key, autostart and the main window.

use crate::AppState;
use sha2::{Digest, Sha256};
use std::path::Path;
use tauri::{AppHandle, Manager, Runtime};

/// The identifier that keys single-instance (and the OS's per-app state) for this run: the
/// configured one for the user's real data, a suffix for demo mode or another data home, so a
/// demo or a test can run beside the user's app. The default stays unchanged because Windows
/// ties the installed app's notifications to it.
pub fn instance_identifier(base: &str, demo: bool, custom_home: Option<&Path>) -> String {
    if demo {
        return format!("{base}.demo");
    }
    match custom_home {
        Some(home) => {
            let digest = Sha256::digest(home.as_os_str().as_encoded_bytes());
            let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
            // A D-Bus name element must not start with a digit.
            format!("{base}.h{short}")
        }
        None => base.to_string(),
    }
}

/// Brings the main window to the front (second start, tray menu).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Turns start-with-the-session on or off; never in demo mode (it would register the demo
/// binary) and silently without the plugin.
pub fn apply_autostart<R: Runtime>(app: &AppHandle<R>, state: &AppState, enabled: bool) {
    if state.demo {
        return;
    }
    let Some(autostart) = app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() else {
        return;
    };
    let applied = match (enabled, autostart.is_enabled()) {
        (true, Ok(false)) => autostart.enable(),
        (false, Ok(true)) => autostart.disable(),
        (_, state) => state.map(|_| ()),
    };
    if let Err(e) = applied {
        log::warn!("cannot change autostart: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_and_other_homes_get_their_own_instance_key() {
        let base = "de.fe2.license-manager";
        assert_eq!(instance_identifier(base, false, None), base);
        assert_eq!(
            instance_identifier(base, true, None),
            "de.fe2.license-manager.demo"
        );
        let a = instance_identifier(base, false, Some(Path::new("/tmp/a")));
        let b = instance_identifier(base, false, Some(Path::new("/tmp/b")));
        assert_ne!(a, b);
        assert!(a.starts_with("de.fe2.license-manager.h"));
        assert_eq!(
            a,
            instance_identifier(base, false, Some(Path::new("/tmp/a")))
        );
    }
}
