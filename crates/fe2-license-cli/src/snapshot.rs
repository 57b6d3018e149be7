//! What the command line knows of one account at one moment: the core service's `LicenseView`
//! reduced to what the outputs need, so that every output format is a pure, tested function.

use chrono::{DateTime, Utc};
use fe2_license::model::License;
use serde::Serialize;

/// How far the shown license data can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// The signature verified with the pinned key and the file is current.
    Verified,
    /// Verified, but past the license file's expiry (issued + 30 days).
    Outdated,
    /// Verified when it was fetched, but this process cannot read the keychain (a service
    /// account) and so cannot check the signature again; nothing contradicts it.
    Unchecked,
    /// The check failed: bad signature, changed key, another account's file, damaged file.
    NotVerified,
    /// Nothing was ever fetched.
    None,
}

impl Trust {
    /// The word used in tables and CSV files (German, like the app).
    pub fn german(self) -> &'static str {
        match self {
            Trust::Verified => "verifiziert",
            Trust::Outdated => "veraltet",
            Trust::Unchecked => "nicht nachgeprüft",
            Trust::NotVerified => "nicht verifiziert",
            Trust::None => "keine Daten",
        }
    }

    /// The word used in English output.
    pub fn english(self) -> &'static str {
        match self {
            Trust::Verified => "verified",
            Trust::Outdated => "outdated",
            Trust::Unchecked => "not re-checked",
            Trust::NotVerified => "not verified",
            Trust::None => "no data",
        }
    }
}

/// An error as the core reports it: stable code and English text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `fe2_license::Error::code()`.
    pub code: String,
    /// English text.
    pub message: String,
}

/// One account and what is known of its license.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// The license e-mail (normalised).
    pub email: String,
    /// The shop's base URL.
    pub shop_url: String,
    /// The license, `None` when nothing was ever fetched.
    pub license: Option<License>,
    /// How far the data can be trusted.
    pub trust: Trust,
    /// Why the data is not verified, when it is not.
    pub trust_problem: Option<Problem>,
    /// When the shop issued the data (the license file's `issued`).
    pub as_of: Option<DateTime<Utc>>,
    /// When the data was fetched from the shop.
    pub fetched_at: Option<DateTime<Utc>>,
    /// True when the shop could not be reached (now or at the last refresh).
    pub offline: bool,
    /// Since when refreshes fail.
    pub offline_since: Option<DateTime<Utc>>,
    /// Why the last refresh failed.
    pub last_error: Option<Problem>,
}

impl Snapshot {
    /// The data's age at `now`: from the shop's `issued`, else from the fetch.
    pub fn data_age_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        self.as_of
            .or(self.fetched_at)
            .map(|at| (now - at).num_seconds().max(0))
    }

    /// True when the last refresh was refused with 401 (password revoked or changed).
    pub fn credentials_rejected(&self) -> bool {
        self.last_error
            .as_ref()
            .is_some_and(|e| e.code == "invalid_credentials")
    }
}

#[cfg(test)]
pub mod fixtures {
    //! Licenses and snapshots for the output formats' unit tests.

    use super::*;

    /// A time from RFC 3339 text.
    pub fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("test time")
    }

    /// An active subscription of `email` that renews at `next_payment`.
    pub fn license(email: &str, next_payment: &str) -> License {
        let json = serde_json::json!({
            "id": 4711, "email": email, "name": "FF Musterstadt",
            "kind": "subscription", "status": "active",
            "package": {"code": "basis", "name": "FE2 Basispaket", "legacy": false},
            "start_date": "2024-01-01T00:00:00Z", "period_start": "2025-01-01T00:00:00Z",
            "next_payment_date": next_payment, "end_date": null, "trial_end_date": null,
            "items": [
                {"sku": "fe2-basis", "name": "FE2 Basispaket", "quantity": 1, "unit_price": "650.00"},
                {"sku": "fe2-persons", "name": "Zusätzliche Personen", "quantity": 20, "unit_price": "12.00"}
            ],
            "features": [], "price_list": "2023-04-17",
            "scheduled_changes": [], "has_paid_order": true,
            "switch": {"allowed": true, "reason": null}
        });
        serde_json::from_value(json).expect("test license")
    }

    /// A verified, fresh snapshot of a license.
    pub fn verified(email: &str, next_payment: &str, as_of: &str) -> Snapshot {
        Snapshot {
            email: email.into(),
            shop_url: "http://127.0.0.1:8080".into(),
            license: Some(license(email, next_payment)),
            trust: Trust::Verified,
            trust_problem: None,
            as_of: Some(at(as_of)),
            fetched_at: Some(at(as_of)),
            offline: false,
            offline_since: None,
            last_error: None,
        }
    }

    /// A problem with a code.
    pub fn problem(code: &str) -> Problem {
        Problem {
            code: code.into(),
            message: format!("{code} happened"),
        }
    }
}
