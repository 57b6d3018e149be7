//! The tray icon: its colour is the worst license's urgency. Without a desktop that offers a
//! tray (headless CI, no D-Bus session) the app runs without one.

use fe2_license::config::Language;
use fe2_license::expiry::Urgency;
use fe2_license::service::LicenseView;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

/// The tray icon's id.
const TRAY_ID: &str = "main";

/// The icon for an urgency (the app icon with a coloured dot), decoded when the app is compiled:
/// no PNG decoder (Tauri's `image-png`) in the binary (docs/performance.md, Size).
fn icon(urgency: Urgency) -> Image<'static> {
    match urgency {
        Urgency::Ok => tauri::include_image!("icons/tray-ok.png"),
        Urgency::Warning => tauri::include_image!("icons/tray-warning.png"),
        Urgency::Critical => tauri::include_image!("icons/tray-critical.png"),
        Urgency::Expired => tauri::include_image!("icons/tray-expired.png"),
    }
}

/// True when a tray can exist: on Linux it needs a D-Bus session (StatusNotifier).
fn desktop_offers_tray() -> bool {
    if cfg!(target_os = "linux") {
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
    } else {
        true
    }
}

/// Creates the tray icon, or logs why there is none.
pub fn create<R: Runtime>(app: &AppHandle<R>, language: Language) {
    if !desktop_offers_tray() {
        log::info!("no D-Bus session: running without a tray icon");
        return;
    }
    // The Linux tray loads libappindicator at run time and panics when it is missing.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(app, language)));
    match built {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::info!("running without a tray icon: {e}"),
        Err(_) => log::info!("running without a tray icon: the tray library is missing"),
    }
}

/// The tray's menu in the user's language.
fn menu<R: Runtime>(app: &AppHandle<R>, language: Language) -> tauri::Result<Menu<R>> {
    let (open_label, quit_label) = match language {
        Language::De => ("Öffnen", "Beenden"),
        Language::En => ("Open", "Quit"),
    };
    let open = MenuItem::with_id(app, "open", open_label, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", quit_label, true, None::<&str>)?;
    Menu::with_items(app, &[&open, &quit])
}

/// Relabels the tray's menu after the language changed.
pub fn set_language<R: Runtime>(app: &AppHandle<R>, language: Language) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Err(e) = menu(app, language).and_then(|m| tray.set_menu(Some(m))) {
        log::info!("cannot relabel the tray menu: {e}");
    }
}

fn build<R: Runtime>(app: &AppHandle<R>, language: Language) -> tauri::Result<()> {
    let menu = menu(app, language)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Urgency::Ok))
        .tooltip("FE2 License Manager")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => crate::platform::show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    Ok(())
}

/// Sets the tray to the worst urgency of the views (no accounts: ok).
pub fn show<R: Runtime>(app: &AppHandle<R>, views: &[LicenseView], language: Language) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let worst = views.iter().map(|v| v.urgency).max().unwrap_or(Urgency::Ok);
    let counted = |u: Urgency| views.iter().filter(|v| v.urgency == u).count();
    let tooltip = match language {
        Language::De => format!(
            "FE2-Lizenzen: {} in Ordnung, {} Warnung, {} kritisch, {} abgelaufen",
            counted(Urgency::Ok),
            counted(Urgency::Warning),
            counted(Urgency::Critical),
            counted(Urgency::Expired)
        ),
        Language::En => format!(
            "FE2 licenses: {} ok, {} warning, {} critical, {} expired",
            counted(Urgency::Ok),
            counted(Urgency::Warning),
            counted(Urgency::Critical),
            counted(Urgency::Expired)
        ),
    };
    let result = tray
        .set_icon(Some(icon(worst)))
        .and_then(|()| tray.set_tooltip(Some(tooltip)));
    if let Err(e) = result {
        log::info!("cannot update the tray icon: {e}");
    }
}
