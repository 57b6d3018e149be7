//! Which licenses deserve a desktop notification now: one per license and day while it is in
//! the warning or critical window, and again on the same day when it becomes more urgent; and
//! one renewal reminder per license and renewal date (docs/domain.md, Renewal reminder).
//! What was announced is remembered in `data/alerts.json`, so a restart does not repeat it.

use crate::atomic_file;
use crate::error::{Error, Result};
use crate::expiry::Urgency;
use crate::paths::Home;
use crate::service::{LicenseView, Verification};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
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

/// One renewal reminder to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    /// The license e-mail.
    pub email: String,
    /// The license holder's name.
    pub name: String,
    /// When the license renews.
    pub date: DateTime<Utc>,
    /// The renewal's gross amount; `None` without a cached catalog.
    pub gross: Option<Decimal>,
}

/// The last announcements of one license. Every field is optional so that files written
/// before the renewal reminder (expiry fields only) still read, and an entry may hold a
/// reminder without an expiry alert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Announced {
    /// The day of the last expiry alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    day: Option<NaiveDate>,
    /// Its urgency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    urgency: Option<Urgency>,
    /// The renewal date of the last renewal reminder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renewal: Option<DateTime<Utc>>,
}

/// The file that remembers the announcements.
fn state_file(home: &Home) -> PathBuf {
    home.data_dir().join("alerts.json")
}

/// What was announced; a damaged file only means an announcement may repeat once.
fn load(path: &std::path::Path) -> Result<BTreeMap<String, Announced>> {
    Ok(atomic_file::read(path)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

/// Remembers the announcements atomically.
fn save(path: &std::path::Path, announced: &BTreeMap<String, Announced>) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(announced).map_err(|e| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    atomic_file::write(path, &bytes)
}

/// Whether a view's license data may be announced: an unverifiable view is no reason to
/// alarm anyone.
fn trusted(view: &LicenseView) -> bool {
    matches!(
        view.verification,
        Verification::Verified | Verification::Outdated
    )
}

/// The renewal reminders due for these views (`LicenseView::renewal_reminder`): one per
/// license and renewal date, recorded as announced before they are returned.
pub fn reminders_due(home: &Home, views: &[LicenseView]) -> Result<Vec<Reminder>> {
    let path = state_file(home);
    let mut announced = load(&path)?;
    let mut reminders = Vec::new();
    for view in views.iter().filter(|v| trusted(v)) {
        let (Some(license), Some(reminder)) = (&view.license, &view.renewal_reminder) else {
            continue;
        };
        let entry = announced.entry(view.email.clone()).or_default();
        if entry.renewal == Some(reminder.date) {
            continue;
        }
        entry.renewal = Some(reminder.date);
        reminders.push(Reminder {
            email: view.email.clone(),
            name: license.name.clone(),
            date: reminder.date,
            gross: reminder.gross,
        });
    }
    if !reminders.is_empty() {
        save(&path, &announced)?;
    }
    Ok(reminders)
}

/// The alerts due at `now` for these views, recorded as announced before they are returned.
/// Only verified licenses are announced: an unverifiable view is no reason to alarm anyone.
pub fn due(home: &Home, views: &[LicenseView], now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let path = state_file(home);
    let mut announced = load(&path)?;
    let today = now.date_naive();
    let mut alerts = Vec::new();
    for view in views {
        let (Some(license), Some(days_left)) = (&view.license, view.days_left) else {
            continue;
        };
        let in_window = matches!(view.urgency, Urgency::Warning | Urgency::Critical);
        if !in_window || !trusted(view) {
            continue;
        }
        let entry = announced.entry(view.email.clone()).or_default();
        let repeat = entry.day == Some(today) && entry.urgency >= Some(view.urgency);
        if repeat {
            continue;
        }
        entry.day = Some(today);
        entry.urgency = Some(view.urgency);
        alerts.push(Alert {
            email: view.email.clone(),
            name: license.name.clone(),
            urgency: view.urgency,
            days_left,
        });
    }
    if !alerts.is_empty() {
        save(&path, &announced)?;
    }
    Ok(alerts)
}
