//! The calendar file over every account (`Service::calendar`): the core's events
//! (`crate::calendar`) from the licenses and catalogs in memory, so it works offline.

use super::Service;
use crate::atomic_file;
use crate::calendar::{self, CalendarAccount};
use crate::error::Result;
use std::path::PathBuf;

/// The name of the file the app saves (`Service::save_calendar`).
pub const CALENDAR_FILE_NAME: &str = "fe2-lizenzen.ics";

/// Where the calendar was saved, and whether a file of that name was there before.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedCalendar {
    /// The file's path.
    pub path: String,
    /// An earlier export was replaced: the app says so (docs/domain.md, Calendar file).
    pub replaced: bool,
}

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
    /// directory (`Home::exports_dir`) and says where, and whether it replaced a file there: the
    /// app has no save dialog. One name, replaced: re-importing the newer file updates the
    /// events (stable UIDs), so a second name would only pile up copies; the user is told.
    pub async fn save_calendar(&self) -> Result<SavedCalendar> {
        let text = self.calendar().await?;
        let path: PathBuf = self.inner.home.exports_dir().join(CALENDAR_FILE_NAME);
        let replaced = path.exists();
        atomic_file::write(&path, text.as_bytes())?;
        Ok(SavedCalendar {
            path: path.display().to_string(),
            replaced,
        })
    }
}
