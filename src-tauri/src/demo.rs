//! Demo mode (`--demo`): a temporary data home, an in-memory secret store and the reference
//! shop in-process on loopback with its demo fixtures, signed with the public demo key.

use fe2_license::service::Service;
use fe2_license::{Error, Result};
use fe2_shop::{RunningShop, ServerConfig};

/// Starts the demo shop and adds every demo customer that has a license as an account.
pub async fn start(service: &Service) -> Result<RunningShop> {
    let shop = fe2_shop::spawn(ServerConfig::demo()).await?;
    let url = shop.base_url();
    for customer in fe2_shop::demo_fixtures().customers {
        if customer.license.is_none() {
            continue;
        }
        match service
            .add_account(&url, &customer.email, &customer.app_password)
            .await
        {
            Ok(_) | Err(Error::AccountExists(_)) => {}
            Err(e) => log::warn!("demo account {} not added: {e}", customer.email),
        }
    }
    Ok(shop)
}

/// A fresh temporary directory for the demo's data home (removed when the app exits).
pub fn temporary_home() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("fe2-license-demo-")
        .tempdir()
        .map_err(|e| Error::Io {
            path: std::env::temp_dir().display().to_string(),
            reason: e.to_string(),
        })
}

/// Ends the app on Ctrl+C or SIGTERM as on closing its window, so the temporary home goes too.
pub fn exit_on_signal<R: tauri::Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = terminate.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        app.exit(0);
    });
}
