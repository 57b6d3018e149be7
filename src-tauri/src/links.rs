//! Opening the account's web pages: the URL comes from the core (built from the account's
//! configuration) and must still be on the account's shop or support host before the browser
//! opens it, because the system's opener itself checks nothing.

use fe2_license::client::{check_web_url, redact_url};
use fe2_license::config::shop_host;
use fe2_license::service::Service;
use fe2_license::{Error, Result};
use tauri::{AppHandle, Manager, Runtime};

/// Refuses a URL that is not http(s) on the account's shop or support host.
pub fn ensure_on_account_hosts(service: &Service, email: &str, url: &str) -> Result<()> {
    let account = service.account_config(email)?;
    check_web_url(url)?;
    let host = shop_host(url)?;
    let allowed = [account.shop_host()?, shop_host(&account.support_url)?];
    if allowed.contains(&host) {
        Ok(())
    } else {
        Err(Error::InvalidUrl(redact_url(url)))
    }
}

/// Opens a checked URL in the default browser.
pub fn open<R: Runtime>(
    app: &AppHandle<R>,
    service: &Service,
    email: &str,
    url: &str,
) -> Result<()> {
    ensure_on_account_hosts(service, email, url)?;
    if app.try_state::<BrowserOpener>().is_none() {
        return Err(desktop_failure(url, "no browser opener in this app".into()));
    }
    // What the opener plugin calls, without its D-Bus file-manager code (docs/performance.md).
    open::that_detached(url)
        .map_err(|e| desktop_failure(url, format!("cannot open the browser: {e}")))
}

/// Managed by the app when it may open a browser (not in tests of the commands).
pub struct BrowserOpener;

/// A browser that fails is a local failure, not the shop's: `internal` would count
/// as a bad shop answer (offline) in the error taxonomy.
fn desktop_failure(what: &str, reason: String) -> Error {
    Error::Io {
        path: what.to_string(),
        reason,
    }
}
