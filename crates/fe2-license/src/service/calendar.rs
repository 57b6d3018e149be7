//! The calendar file over every account (`Service::calendar`): the core's events
//! (`crate::calendar`) from the licenses and catalogs in memory, so it works offline.

use super::Service;
use crate::atomic_file;
use crate::calendar::{self, CalendarAccount};
use crate::error::Result;
use std::path::PathBuf;

/// The name of the file the app saves (`Service::save_calendar`).
pub const CALENDAR_FILE_NAME: &str = "fe2-lizenzen.ics";

impl Service {
    /// The calendar file (iCalendar text) of every account with a license, as it is now in
    /// memory with the cached catalogs (refresh first for the shop's current data); no network.
    pub async fn calendar(&self) -> Result<String> {
        let mut accounts = Vec::new();
        for view in self.accounts().await {
            let Some(license) = view.license else {
                continue;
            };
            accounts.push(CalendarAccount {
                shop_host: self.account_config(&view.email)?.shop_host()?,
                catalog: self.cached_catalog(&view.email)?,
                email: view.email,
                verification: view.verification,
                as_of: view.as_of.or(view.fetched_at),
                license,
            });
        }
        Ok(calendar::calendar(
            &accounts,
            &self.settings(),
            self.inner.clock.now(),
        ))
    }

    /// Saves the calendar file atomically as [`CALENDAR_FILE_NAME`] in the home's exports
    /// directory (`Home::exports_dir`) and returns its path: the app has no save dialog.
    pub async fn save_calendar(&self) -> Result<PathBuf> {
        let text = self.calendar().await?;
        let path = self.inner.home.exports_dir().join(CALENDAR_FILE_NAME);
        atomic_file::write(&path, text.as_bytes())?;
        Ok(path)
    }
}
