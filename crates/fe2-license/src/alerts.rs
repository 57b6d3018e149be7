//! Which licenses deserve a desktop notification now: one per license and day while it is in
//! the warning or critical window, and again on the same day when it becomes more urgent.
//! What was announced is remembered in `data/alerts.json`, so a restart does not repeat it.

use crate::atomic_file;
use crate::error::{Error, Result};
use crate::expiry::Urgency;
use crate::paths::Home;
use crate::service::{LicenseView, Verification};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One notification to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// The license e-mail.
    pub email: String,
    /// The license holder's name.
    pub name: String,
    /// Warning or critical.
    pub urgency: Urgency,
    /// Days until the license stops.
    pub days_left: i64,
}

/// The last announcement of one license.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Announced {
    day: NaiveDate,
    urgency: Urgency,
}

/// The file that remembers the announcements.
fn state_file(home: &Home) -> PathBuf {
    home.data_dir().join("alerts.json")
}

/// The alerts due at `now` for these views, recorded as announced before they are returned.
/// Only verified licenses are announced: an unverifiable view is no reason to alarm anyone.
pub fn due(home: &Home, views: &[LicenseView], now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let path = state_file(home);
    // A damaged file only means an announcement may repeat once.
    let mut announced: BTreeMap<String, Announced> = atomic_file::read(&path)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let today = now.date_naive();
    let mut alerts = Vec::new();
    for view in views {
        let (Some(license), Some(days_left)) = (&view.license, view.days_left) else {
            continue;
        };
        let in_window = matches!(view.urgency, Urgency::Warning | Urgency::Critical);
        let trusted = matches!(
            view.verification,
            Verification::Verified | Verification::Outdated
        );
        if !in_window || !trusted {
            continue;
        }
        let repeat = announced
            .get(&view.email)
            .is_some_and(|last| last.day == today && last.urgency >= view.urgency);
        if repeat {
            continue;
        }
        announced.insert(
            view.email.clone(),
            Announced {
                day: today,
                urgency: view.urgency,
            },
        );
        alerts.push(Alert {
            email: view.email.clone(),
            name: license.name.clone(),
            urgency: view.urgency,
            days_left,
        });
    }
    if !alerts.is_empty() {
        let bytes = serde_json::to_vec_pretty(&announced).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        atomic_file::write(&path, &bytes)?;
    }
    Ok(alerts)
}
