//! The app's commands (docs/ipc.md): each takes typed input, calls the core service once and
//! returns a typed result. Events and tray updates go through [`crate::publish`].

use crate::ipc_error::IpcResult;
use crate::{links, publish, AppState};
use fe2_license::config::Settings;
use fe2_license::model::{Catalog, Quote, RequestedItem, SwitchOutcome, Ticket};
use fe2_license::secrets::Password;
use fe2_license::service::{
    AppInfo, AuditReport, BudgetReport, Diagnosis, LicenseDetails, LicenseView, LinkTarget,
    Preview, SavedCalendar,
};
use rust_decimal::Decimal;
use tauri::{AppHandle, Runtime, State};

/// Version, demo mode, data home and the central policies.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> AppInfo {
    info(&app, &state)
}

/// What `app_info` answers (also given to the page at start, see `crate::start_data`).
pub(crate) fn info<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> AppInfo {
    AppInfo {
        version: app.package_info().version.to_string(),
        demo: state.demo,
        data_home: state.data_home.display().to_string(),
        policy: state.service.policy().view(),
    }
}

/// Every account's license from memory, most urgent first (no network).
#[tauri::command]
pub async fn list_licenses(state: State<'_, AppState>) -> IpcResult<Vec<LicenseView>> {
    let views = state.service.accounts().await;
    // Lets the background refresh start (a stored permit if it does not wait yet).
    state.first_list.notify_one();
    Ok(views)
}

/// Refreshes every account from its shop.
#[tauri::command]
pub async fn refresh_all<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<Vec<LicenseView>> {
    Ok(publish::refresh_all(&app, &state).await)
}

/// Refreshes one account from its shop.
#[tauri::command]
pub async fn refresh<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
) -> IpcResult<LicenseView> {
    let view = state.service.refresh(&email).await?;
    publish::changed(&app, &state).await;
    Ok(view)
}

/// Adds an account after the shop accepted the credentials; the password is not returned.
#[tauri::command]
pub async fn add_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    shop_url: String,
    email: String,
    password: Password,
) -> IpcResult<LicenseView> {
    let view = state
        .service
        .add_account(&shop_url, &email, password)
        .await?;
    publish::changed(&app, &state).await;
    Ok(view)
}

/// Removes an account with its keychain entry and files.
#[tauri::command]
pub async fn remove_account<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
) -> IpcResult<()> {
    state.service.remove_account(&email).await?;
    publish::changed(&app, &state).await;
    Ok(())
}

/// Orders and tickets of a license.
#[tauri::command]
pub async fn license_details(
    state: State<'_, AppState>,
    email: String,
) -> IpcResult<LicenseDetails> {
    Ok(state.service.license_details(&email).await?)
}

/// The shop's catalog (the cached one offline).
#[tauri::command]
pub async fn get_catalog(state: State<'_, AppState>, email: String) -> IpcResult<Catalog> {
    Ok(state.service.catalog(&email).await?)
}

/// The core's local estimate of new totals, on the shop's clock.
#[tauri::command]
pub async fn estimate(
    state: State<'_, AppState>,
    email: String,
    items: Vec<RequestedItem>,
) -> IpcResult<Quote> {
    Ok(state.service.estimate(&email, &items).await?)
}

/// The shop's quote with the idempotency key for the switch.
#[tauri::command]
pub async fn preview(
    state: State<'_, AppState>,
    email: String,
    items: Vec<RequestedItem>,
) -> IpcResult<Preview> {
    Ok(state.service.preview(&email, &items).await?)
}

/// Changes quantities with the preview's key and gross.
#[tauri::command]
pub async fn switch_quantities<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
    items: Vec<RequestedItem>,
    expected_gross: Decimal,
    reference: Option<String>,
    idempotency_key: String,
) -> IpcResult<SwitchOutcome> {
    let outcome = state
        .service
        .switch_quantities(
            &email,
            &items,
            expected_gross,
            reference.as_deref(),
            &idempotency_key,
        )
        .await?;
    publish::changed(&app, &state).await;
    Ok(outcome)
}

/// Cancels a scheduled downgrade.
#[tauri::command]
pub async fn cancel_scheduled_change<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
    id: String,
) -> IpcResult<LicenseView> {
    let view = state.service.cancel_scheduled_change(&email, &id).await?;
    publish::changed(&app, &state).await;
    Ok(view)
}

/// Opens a support ticket.
#[tauri::command]
pub async fn create_ticket(
    state: State<'_, AppState>,
    email: String,
    topic: String,
    message: String,
    fields: serde_json::Value,
    idempotency_key: String,
) -> IpcResult<Ticket> {
    Ok(state
        .service
        .create_ticket(&email, &topic, &message, &fields, &idempotency_key)
        .await?)
}

/// Opens the support site with the topic preselected; the page has copied the prepared text
/// with the web view's own clipboard (docs/performance.md, Size).
#[tauri::command]
pub fn support_fallback<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
    topic: String,
) -> IpcResult<()> {
    let url = state.service.support_topic_link(&email, &topic)?;
    links::open(&app, &state.service, &email, &url)?;
    Ok(())
}

/// Opens a page of the account's shop or support site in the browser.
#[tauri::command]
pub fn open_link<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
    target: LinkTarget,
    id: Option<u64>,
) -> IpcResult<()> {
    let url = state.service.link(&email, target, id)?;
    links::open(&app, &state.service, &email, &url)?;
    Ok(())
}

/// The user's settings.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.service.settings()
}

/// Saves the settings, applies autostart and re-rates the licenses with the new thresholds.
#[tauri::command]
pub async fn set_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> IpcResult<Settings> {
    let saved = state.service.set_settings(settings)?;
    crate::platform::apply_autostart(&app, &state, saved.autostart);
    crate::tray::set_language(&app, saved.language);
    publish::changed(&app, &state).await;
    Ok(saved)
}

/// The budget years (the current and the next, or `year`) over every license: renewals priced
/// at the list in force then, catalogs and orders from the shops (docs/domain.md, Budget year).
#[tauri::command]
pub async fn budget(state: State<'_, AppState>, year: Option<i32>) -> IpcResult<Vec<BudgetReport>> {
    Ok(state.service.budget(year, false).await?)
}

/// The audit log ("Verlauf"), oldest first, with the check of its hash chain.
#[tauri::command]
pub fn audit_log(state: State<'_, AppState>) -> IpcResult<AuditReport> {
    Ok(state.service.audit_log()?)
}

/// Sets or clears an account's default order reference (checked like an order's).
#[tauri::command]
pub async fn set_default_reference<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    email: String,
    reference: Option<String>,
) -> IpcResult<LicenseView> {
    let view = state
        .service
        .set_default_reference(&email, reference.as_deref())
        .await?;
    publish::changed(&app, &state).await;
    Ok(view)
}

/// How long each network step of "Verbindung prüfen" may take.
const DOCTOR_STEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// "Verbindung prüfen": the doctor's checks for one account's shop and sign-in
/// (docs/deployment.md, Doctor); the same checks in the same order as `fe2-license doctor`.
/// Always for an account: the page asks from a license, and the vendor's shop without one is
/// the CLI's case.
#[tauri::command]
pub async fn run_doctor(state: State<'_, AppState>, email: String) -> IpcResult<Diagnosis> {
    Ok(state
        .service
        .doctor(Some(&email), DOCTOR_STEP_TIMEOUT)
        .await)
}

/// Saves the calendar file of every license (docs/domain.md, Calendar file) from the data in
/// memory, in the Downloads folder (below `FE2_LICENSE_HOME`: `data/exports`), and returns
/// its path: the app has no save dialog.
#[tauri::command]
pub async fn export_calendar(state: State<'_, AppState>) -> IpcResult<SavedCalendar> {
    Ok(state.service.save_calendar().await?)
}
