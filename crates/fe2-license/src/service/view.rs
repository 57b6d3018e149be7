//! What the UI and the CLI show of one account, and the core's trust rule: data that cannot be
//! verified is never shown as fine (docs/domain.md, Statuses and expiry).

use super::accounts::{AccountState, SecretSlot};
use crate::config::Settings;
use crate::error::{Error, ErrorInfo};
use crate::expiry::{self, Urgency};
use crate::license_file;
use crate::model::License;
use crate::reminder::{self, RenewalReminder};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How far a license's view can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Verification {
    /// Signed by the pinned key and not past the file's expiry.
    Verified,
    /// Signed by the pinned key but past the file's expiry: shown, marked outdated.
    Outdated,
    /// Cannot be checked (damaged cache, missing keychain entry, changed key).
    NotVerified,
    /// Nothing was ever fetched.
    None,
}

/// The urgency shown for data trusted this far: a license's own urgency, but data that cannot
/// be verified is at least critical (docs/domain.md: trust comes first), so a
/// tampered cache can never look fine. The app's view and the CLI's check both use this.
pub fn shown_urgency(urgency: Urgency, verification: Verification) -> Urgency {
    match verification {
        Verification::NotVerified => urgency.max(Urgency::Critical),
        Verification::Verified | Verification::Outdated | Verification::None => urgency,
    }
}

/// One account with what is known of its license (docs/ipc.md `LicenseView`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LicenseView {
    /// The license e-mail (normalised).
    pub email: String,
    /// The account's shop.
    pub shop_url: String,
    /// Fingerprint of the pinned shop key, when the keychain entry could be read.
    pub fingerprint: Option<String>,
    /// The license, `None` when nothing usable is cached.
    pub license: Option<License>,
    /// Whether the license is verified.
    pub verification: Verification,
    /// Why it is not verified.
    pub verification_error: Option<ErrorInfo>,
    /// When the shop signed the shown license file.
    pub as_of: Option<DateTime<Utc>>,
    /// The file was issued more than 5 minutes in the future: this computer's clock is behind.
    pub clock_behind: bool,
    /// When the license file was fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last refresh did not reach the shop or got no usable answer (`Error::is_offline`):
    /// cached data shown. A refusal (wrong password, throttle, changed key) is not offline.
    pub offline: bool,
    /// Since when the shop cannot be reached.
    pub offline_since: Option<DateTime<Utc>>,
    /// Why the last refresh failed.
    pub last_error: Option<ErrorInfo>,
    /// When the license stops (core `expiry`).
    pub expires_at: Option<DateTime<Utc>>,
    /// Days until then; `None` without a license. Computed from the unsigned copy when the
    /// view is not verified (`verification` says so, and `urgency` is then at least critical).
    pub days_left: Option<i64>,
    /// Whether FE2 may be used now.
    pub usable: bool,
    /// How urgent it is (a view without a license counts as expired; see [`shown_urgency`]).
    pub urgency: Urgency,
    /// The account's default order reference (Leitweg-ID, purchase order, cost centre), the
    /// change form's first value.
    pub default_reference: Option<String>,
    /// The next renewal's date and amount (cached catalog) when an auto-renewing license
    /// renews within the settings' `renewal_reminder_days` (docs/domain.md, Renewal reminder).
    pub renewal_reminder: Option<RenewalReminder>,
}

impl LicenseView {
    /// An account's view before anything is known of its license: not verified, no license,
    /// and as urgent as an expired one.
    pub fn new(email: String, shop_url: String) -> Self {
        Self {
            email,
            shop_url,
            fingerprint: None,
            license: None,
            verification: Verification::None,
            verification_error: None,
            as_of: None,
            clock_behind: false,
            fetched_at: None,
            offline: false,
            offline_since: None,
            last_error: None,
            expires_at: None,
            days_left: None,
            usable: false,
            urgency: Urgency::Expired,
            default_reference: None,
            renewal_reminder: None,
        }
    }
}

/// What the UI shows of one account, computed from memory; the signature is checked each time.
pub(super) fn view(account: &AccountState, now: DateTime<Utc>, settings: &Settings) -> LicenseView {
    let key = match &account.secret {
        SecretSlot::Read(secret) => license_file::public_key_from_base64(&secret.shop_key),
        SecretSlot::Failed(e) => Err(e.clone()),
        SecretSlot::Unread => Err(Error::NoSecret(account.user.clone())),
    };
    let mut view = LicenseView {
        fingerprint: key.as_ref().ok().map(license_file::fingerprint),
        default_reference: account.config.default_reference.clone(),
        ..LicenseView::new(
            account.config.email.clone(),
            account.config.shop_url.clone(),
        )
    };
    let mut catalog = None;
    match &account.cache {
        Err(e) => {
            view.verification = Verification::NotVerified;
            view.verification_error = Some(ErrorInfo::from(e));
        }
        Ok(None) => {}
        Ok(Some(entry)) => {
            view.fetched_at = entry.fetched_at;
            view.offline = entry.offline_since.is_some();
            view.offline_since = entry.offline_since;
            view.last_error = entry.last_error.clone();
            catalog = entry.catalog.as_ref();
            if let Some(text) = &entry.license_file {
                let checked = key
                    .and_then(|pinned| {
                        let origin = account.config.origin()?;
                        license_file::trusted_key(license_file::VENDOR_KEYS, &origin, text, pinned)
                    })
                    .and_then(|k| license_file::verify(text, &k, &view.email, now));
                match checked {
                    Ok(verified) if entry.key_changed.is_some() => {
                        view.verification = Verification::NotVerified;
                        view.verification_error = entry.key_changed.clone();
                        view.license = Some(verified.license);
                    }
                    Ok(verified) => {
                        view.verification = if verified.outdated {
                            Verification::Outdated
                        } else {
                            Verification::Verified
                        };
                        view.as_of = Some(verified.issued);
                        view.clock_behind = verified.clock_behind;
                        view.license = Some(verified.license);
                    }
                    Err(e) => {
                        view.verification = Verification::NotVerified;
                        view.verification_error = Some(ErrorInfo::from(&e));
                        view.license = entry.license.clone();
                    }
                }
            }
        }
    }
    if let Some(license) = &view.license {
        view.expires_at = expiry::expires_at(license);
        view.days_left = Some(expiry::days_left(license, now));
        view.usable = expiry::is_usable(license, now);
        let thresholds = settings.thresholds();
        view.urgency = shown_urgency(
            expiry::urgency(license, now, &thresholds),
            view.verification,
        );
        view.renewal_reminder =
            reminder::renewal_reminder(license, catalog, now, settings.renewal_reminder_days);
    }
    view
}

/// Most urgent first, then fewest days left (no license at all first), then by e-mail.
pub(super) fn sort_views(views: &mut [LicenseView]) {
    views.sort_by(|a, b| {
        b.urgency
            .cmp(&a.urgency)
            .then(
                a.days_left
                    .unwrap_or(i64::MIN)
                    .cmp(&b.days_left.unwrap_or(i64::MIN)),
            )
            .then(a.email.cmp(&b.email))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(email: &str, urgency: Urgency, days_left: Option<i64>) -> LicenseView {
        LicenseView {
            days_left,
            urgency,
            ..LicenseView::new(email.into(), "https://shop.example".into())
        }
    }

    #[test]
    fn unverifiable_data_is_at_least_critical() {
        let all = [
            Urgency::Ok,
            Urgency::Warning,
            Urgency::Critical,
            Urgency::Expired,
        ];
        for urgency in all {
            let not_verified = shown_urgency(urgency, Verification::NotVerified);
            assert_eq!(not_verified, urgency.max(Urgency::Critical), "{urgency:?}");
            for trusted in [Verification::Verified, Verification::Outdated] {
                assert_eq!(shown_urgency(urgency, trusted), urgency, "{urgency:?}");
            }
        }
    }

    #[test]
    fn most_urgent_first_then_days_left() {
        let mut views = vec![
            bare("ok-far@x.de", Urgency::Ok, Some(200)),
            bare("warn@x.de", Urgency::Warning, Some(20)),
            bare("ok-near@x.de", Urgency::Ok, Some(40)),
            bare("gone@x.de", Urgency::Expired, Some(-3)),
            bare("crit@x.de", Urgency::Critical, Some(3)),
            bare("none@x.de", Urgency::Expired, None),
        ];
        sort_views(&mut views);
        let order: Vec<&str> = views.iter().map(|v| v.email.as_str()).collect();
        assert_eq!(
            order,
            [
                "none@x.de",
                "gone@x.de",
                "crit@x.de",
                "warn@x.de",
                "ok-near@x.de",
                "ok-far@x.de"
            ]
        );
    }
}
