//! Telling the rest of the app that the licenses changed: the `licenses-updated` and
//! `refresh-state` events (docs/ipc.md), the tray icon and the desktop notifications.

use crate::{tray, AppState};
use fe2_license::alerts::{self, Alert, Reminder};
use fe2_license::config::Language;
use fe2_license::expiry::Urgency;
use fe2_license::service::{LicenseView, RefreshState};
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Event with every `LicenseView`, most urgent first.
pub const LICENSES_UPDATED: &str = "licenses-updated";
/// Event with `{running}` while refreshes run.
pub const REFRESH_STATE: &str = "refresh-state";

/// Refreshes every account and announces the result; `refresh-state` frames the run.
pub async fn refresh_all<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Vec<LicenseView> {
    state.refreshing.fetch_add(1, Ordering::SeqCst);
    emit_refresh_state(app, true);
    let views = state.service.refresh_all().await;
    let still_running = state.refreshing.fetch_sub(1, Ordering::SeqCst) > 1;
    emit_refresh_state(app, still_running);
    announce(app, state, &views);
    views
}

/// Announces the current views after an add, remove, change or settings update.
pub async fn changed<R: Runtime>(app: &AppHandle<R>, state: &AppState) {
    let views = state.service.accounts().await;
    announce(app, state, &views);
}

fn emit_refresh_state<R: Runtime>(app: &AppHandle<R>, running: bool) {
    if let Err(e) = app.emit(REFRESH_STATE, RefreshState { running }) {
        log::warn!("cannot emit {REFRESH_STATE}: {e}");
    }
}

/// Emits `licenses-updated`, sets the tray's state and shows the notifications that are due.
pub fn announce<R: Runtime>(app: &AppHandle<R>, state: &AppState, views: &[LicenseView]) {
    if let Err(e) = app.emit(LICENSES_UPDATED, views) {
        log::warn!("cannot emit {LICENSES_UPDATED}: {e}");
    }
    let language = state.service.settings().language;
    tray::show(app, views, language);
    notify(app, state, views, language);
}

/// Shows a desktop notification per license that entered the warning or critical window
/// (once per day and license, remembered by the core) and per renewal reminder (once per
/// license and renewal date); silent without a notification service.
fn notify<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    views: &[LicenseView],
    language: Language,
) {
    if !state.service.settings().notifications || app.try_state::<DesktopNotifications>().is_none()
    {
        return;
    }
    let mut texts = Vec::new();
    match alerts::due(state.service.home(), views, state.clock.now()) {
        Ok(alerts) => texts.extend(alerts.iter().map(|a| alert_text(a, language))),
        Err(e) => log::warn!("cannot decide on expiry notifications: {e}"),
    }
    match alerts::reminders_due(state.service.home(), views) {
        Ok(reminders) => texts.extend(reminders.iter().map(|r| reminder_text(r, language))),
        Err(e) => log::warn!("cannot decide on renewal reminders: {e}"),
    }
    for (title, body) in texts {
        let app = app.clone();
        // Showing talks to the desktop's notification service, which may be slow or missing.
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(e) = show_notification(&app, title, body) {
                log::info!("no desktop notification shown: {e}");
            }
        });
    }
}

/// Managed by the app when it shows desktop notifications (not in tests of the commands).
pub struct DesktopNotifications;

/// Linux: straight to the desktop's notification service (`desktop_bus`).
#[cfg(target_os = "linux")]
fn show_notification<R: Runtime>(
    app: &AppHandle<R>,
    title: String,
    body: String,
) -> Result<(), String> {
    // The icon and desktop entry carry the binary's name, as the Linux packages install them.
    crate::desktop_bus::notify(
        &app.package_info().name,
        env!("CARGO_PKG_NAME"),
        &title,
        &body,
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Windows and macOS: the official notification plugin.
#[cfg(not(target_os = "linux"))]
fn show_notification<R: Runtime>(
    app: &AppHandle<R>,
    title: String,
    body: String,
) -> Result<(), String> {
    use tauri_plugin_notification::NotificationExt;
    app.notification()
        .builder()
        .title(title)
        .body(body)
        .show()
        .map_err(|e| e.to_string())
}

/// Title and text of a renewal reminder: the date and, with a cached catalog, the gross amount.
fn reminder_text(reminder: &Reminder, language: Language) -> (String, String) {
    let (title, renewal_on, gross_word) = match language {
        Language::De => (
            "FE2-Lizenz verlängert sich bald",
            "Verlängerung am",
            "brutto",
        ),
        Language::En => ("FE2 license renews soon", "renewal on", "gross"),
    };
    let head = format!(
        "{} ({}): {renewal_on} {}",
        reminder.name,
        reminder.email,
        language.day(reminder.date)
    );
    let body = match reminder.gross {
        Some(gross) => format!("{head}: {} {gross_word}", language.euros(gross)),
        None => head,
    };
    (title.to_string(), body)
}

/// Title and text of an expiry notification.
fn alert_text(alert: &Alert, language: Language) -> (String, String) {
    let critical = alert.urgency >= Urgency::Critical;
    match language {
        Language::De => (
            if critical {
                "FE2-Lizenz läuft in Kürze ab"
            } else {
                "FE2-Lizenz läuft bald ab"
            }
            .to_string(),
            format!(
                "{} ({}): noch {} Tage",
                alert.name, alert.email, alert.days_left
            ),
        ),
        Language::En => (
            if critical {
                "FE2 license expires very soon"
            } else {
                "FE2 license expires soon"
            }
            .to_string(),
            format!(
                "{} ({}): {} days left",
                alert.name, alert.email, alert.days_left
            ),
        ),
    }
}
