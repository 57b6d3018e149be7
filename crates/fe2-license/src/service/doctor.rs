//! The doctor (docs/deployment.md, Doctor): `fe2-license doctor` and the app's "Verbindung
//! prüfen" run these checks in this order and name the first that fails. Each check says what
//! it found in facts (paths, hosts, issuer, seconds) and, when it fails, carries the error that
//! says what to do. Nothing it reports holds a secret.

use super::Service;
use crate::client::{self, ProbeStep};
use crate::config::DEFAULT_SHOP_URL;
use crate::error::{Error, ErrorInfo};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a check looks at, in the order the doctor runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The data home exists and can be written.
    DataHome,
    /// The OS keychain answers and holds each account's entry.
    Keychain,
    /// The central policies in force, and those that were ignored.
    Policy,
    /// Which proxy the shop's requests take, and why.
    Proxy,
    /// The first hop's name resolves.
    Dns,
    /// A TCP connection (and a proxy's tunnel).
    Tcp,
    /// The TLS handshake and the certificate's issuer.
    Tls,
    /// The shop answers as the Shop API.
    Shop,
    /// The shop accepts the account's application password.
    Login,
    /// This computer's clock against the shop's.
    Clock,
}

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Fine.
    Pass,
    /// Something to fix: `error` says what.
    Fail,
    /// Not run: it does not apply, or an earlier check on the same way failed.
    Skip,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoctorCheck {
    /// What was checked.
    pub kind: CheckKind,
    /// How it ended.
    pub outcome: CheckOutcome,
    /// What it is about: a path, a shop URL, an e-mail.
    pub subject: String,
    /// What was found, in English facts; never a secret.
    pub detail: String,
    /// Why it failed, as the app and the CLI translate it (the error's code says what to do).
    pub error: Option<ErrorInfo>,
}

/// Every check in order; the first failure is the one to fix first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnosis {
    /// The checks, in the order they ran.
    pub checks: Vec<DoctorCheck>,
}

impl Diagnosis {
    /// True when no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome != CheckOutcome::Fail)
    }

    /// The first failed check.
    pub fn first_failure(&self) -> Option<&DoctorCheck> {
        self.checks.iter().find(|c| c.outcome == CheckOutcome::Fail)
    }
}

/// A clock this far from the shop's makes signed license files look early or late.
const CLOCK_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

fn check(kind: CheckKind, subject: &str, result: Result<String, Error>) -> DoctorCheck {
    let (outcome, detail, error) = match result {
        Ok(detail) => (CheckOutcome::Pass, detail, None),
        Err(error) => (
            CheckOutcome::Fail,
            error.to_string(),
            Some(ErrorInfo::from(&error)),
        ),
    };
    DoctorCheck {
        kind,
        outcome,
        subject: subject.to_string(),
        detail,
        error,
    }
}

fn skipped(kind: CheckKind, subject: &str, why: &str) -> DoctorCheck {
    DoctorCheck {
        kind,
        outcome: CheckOutcome::Skip,
        subject: subject.to_string(),
        detail: why.to_string(),
        error: None,
    }
}

/// What follows a failed step on the same way to the shop.
const AFTER_FAILURE: &str = "not checked: an earlier check on the way to the shop failed";

impl Service {
    /// Runs every check (docs/deployment.md, Doctor): for one account's shop when `email` is
    /// given, else for every configured shop (the vendor's when there is none). `timeout`
    /// bounds each network step.
    pub async fn doctor(&self, email: Option<&str>, timeout: Duration) -> Diagnosis {
        let mut checks = vec![self.check_data_home(), self.check_keychain(email).await];
        checks.push(self.check_policy());
        let shops: Vec<String> = match email {
            Some(email) => match self.account_config(email) {
                Ok(config) => vec![config.shop_url],
                Err(e) => {
                    checks.push(check(CheckKind::Login, email, Err(e)));
                    return Diagnosis { checks };
                }
            },
            None => {
                let urls = self.shop_urls();
                if urls.is_empty() {
                    vec![DEFAULT_SHOP_URL.to_string()]
                } else {
                    urls
                }
            }
        };
        for shop_url in shops {
            self.check_shop(&shop_url, email, timeout, &mut checks)
                .await;
        }
        Diagnosis { checks }
    }

    fn check_data_home(&self) -> DoctorCheck {
        let home = self.home();
        let dirs = [home.config_dir(), home.data_dir()];
        let subject = dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // A real write, as the cache and the audit log make them, of a temp file that is gone
        // again; a folder not made yet is judged by the nearest one that exists (the doctor
        // creates nothing).
        let result: Result<Vec<String>, Error> = dirs
            .iter()
            .map(|dir| {
                let existing = dir.ancestors().find(|a| a.is_dir()).unwrap_or(dir);
                tempfile::NamedTempFile::new_in(existing)
                    .map_err(|e| Error::Io {
                        path: existing.display().to_string(),
                        reason: e.to_string(),
                    })
                    .map(|_| match existing == *dir {
                        true => "exists and can be written".to_string(),
                        false => format!("not made yet; {} can be written", existing.display()),
                    })
            })
            .collect();
        let result = result.map(|mut found| {
            found.dedup();
            found.join("; ")
        });
        check(CheckKind::DataHome, &subject, result)
    }

    async fn check_keychain(&self, email: Option<&str>) -> DoctorCheck {
        let users: Vec<(String, String)> = {
            let state = self.state();
            state
                .accounts
                .values()
                .filter(|a| email.is_none_or(|e| crate::email::same(&a.config.email, e)))
                .map(|a| (a.config.email.clone(), a.user.clone()))
                .collect()
        };
        let subject = crate::secrets::SERVICE;
        if users.is_empty() {
            // No account: a read of an entry that does not exist shows the keychain answers.
            let probe = self
                .secret_call(|store| match store.get("fe2-doctor-probe") {
                    Err(Error::NoSecret(_)) | Ok(_) => Ok(()),
                    Err(e) => Err(e),
                })
                .await;
            return check(
                CheckKind::Keychain,
                subject,
                probe.map(|()| "answers (no account configured)".into()),
            );
        }
        let names: Vec<String> = users.iter().map(|(_, user)| user.clone()).collect();
        let read = self
            .secret_call(move |store| Ok(store.get_many(&names)))
            .await;
        let result = read.and_then(|answers| {
            for ((email, _), answer) in users.iter().zip(answers) {
                answer.map_err(|e| match e {
                    Error::NoSecret(_) => Error::NoSecret(email.clone()),
                    other => other,
                })?;
            }
            Ok(format!(
                "answers; an entry for each of {} account(s)",
                users.len()
            ))
        });
        check(CheckKind::Keychain, subject, result)
    }

    fn check_policy(&self) -> DoctorCheck {
        let policy = self.policy();
        let mut origins: Vec<&str> = policy.origins.values().map(String::as_str).collect();
        origins.dedup();
        let names: Vec<&str> = policy.origins.keys().map(|n| n.as_str()).collect();
        let subject = origins.join(", ");
        if !policy.problems.is_empty() {
            let error = Error::InvalidPolicy(policy.problems.join("; "));
            return check(CheckKind::Policy, &subject, Err(error));
        }
        let detail = if names.is_empty() {
            "none set".to_string()
        } else {
            format!("in force: {}", names.join(", "))
        };
        check(CheckKind::Policy, &subject, Ok(detail))
    }

    async fn check_shop(
        &self,
        shop_url: &str,
        email: Option<&str>,
        timeout: Duration,
        checks: &mut Vec<DoctorCheck>,
    ) {
        let url = match client::check_shop_url(shop_url).and_then(|url| {
            self.ensure_allowed_shop(url.as_str())?;
            Ok(url)
        }) {
            Ok(url) => url,
            Err(e) => return checks.push(check(CheckKind::Proxy, shop_url, Err(e))),
        };
        let http = match self.http() {
            Ok(http) => http,
            Err(e) => return checks.push(check(CheckKind::Proxy, shop_url, Err(e))),
        };
        let decision = http.proxy_decision(&url).await.map(|d| {
            let via = d.proxy_text().unwrap_or_else(|| "direct".into());
            match d.note {
                Some(note) => format!("{via} ({}; {note})", d.source),
                None => format!("{via} ({})", d.source),
            }
        });
        let proxy_failed = decision.is_err();
        checks.push(check(CheckKind::Proxy, shop_url, decision));
        if proxy_failed {
            return;
        }

        let kind_of = |step: ProbeStep| match step {
            ProbeStep::Dns => CheckKind::Dns,
            ProbeStep::Tcp => CheckKind::Tcp,
            ProbeStep::Tls => CheckKind::Tls,
        };
        let results = http.probe(&url, timeout).await;
        let failed = results.iter().any(|r| matches!(r.outcome, Some(Err(_))));
        for step in [ProbeStep::Dns, ProbeStep::Tcp, ProbeStep::Tls] {
            let kind = kind_of(step);
            checks.push(match results.iter().find(|r| r.step == step) {
                Some(result) => match &result.outcome {
                    Some(Ok(found)) => check(kind, shop_url, Ok(found.clone())),
                    Some(Err(error)) => check(kind, shop_url, Err(error.clone())),
                    None => skipped(kind, shop_url, "plain http:// on this computer: no TLS"),
                },
                None => skipped(kind, shop_url, AFTER_FAILURE),
            });
        }
        if failed {
            for kind in [CheckKind::Shop, CheckKind::Login, CheckKind::Clock] {
                checks.push(skipped(kind, shop_url, AFTER_FAILURE));
            }
            return;
        }

        let shop = match self.shop(shop_url) {
            Ok(shop) => shop,
            Err(e) => return checks.push(check(CheckKind::Shop, shop_url, Err(e))),
        };
        let keys = shop.keys().await.map(|keys| {
            format!(
                "answers as the FE2 Shop API ({} signing key(s))",
                keys.keys.len()
            )
        });
        let shop_failed = keys.is_err();
        checks.push(check(CheckKind::Shop, shop_url, keys));
        if shop_failed {
            for kind in [CheckKind::Login, CheckKind::Clock] {
                checks.push(skipped(kind, shop_url, AFTER_FAILURE));
            }
            return;
        }

        let accounts: Vec<String> = {
            let state = self.state();
            state
                .accounts
                .values()
                .filter(|a| a.config.shop_url == shop_url)
                .filter(|a| email.is_none_or(|e| crate::email::same(&a.config.email, e)))
                .map(|a| a.config.email.clone())
                .collect()
        };
        if accounts.is_empty() {
            checks.push(skipped(
                CheckKind::Login,
                shop_url,
                "no account of this shop is configured",
            ));
        }
        for account in &accounts {
            let login = match self.signed_in(account).await {
                Ok((_, signed_in)) => signed_in
                    .me()
                    .await
                    .map(|me| format!("accepted for {}", me.email)),
                Err(e) => Err(e),
            };
            checks.push(check(CheckKind::Login, account, login));
        }

        let now = self.inner.clock.now();
        let clock = match shop.shop_date() {
            Some(date) => {
                let offset = now - date;
                let seconds = offset.num_seconds();
                if offset.abs() <= CLOCK_TOLERANCE {
                    Ok(format!("{seconds:+} s from the shop's clock"))
                } else {
                    Err(Error::ClockSkew { seconds })
                }
            }
            None => Ok("the shop sent no Date header; not compared".to_string()),
        };
        checks.push(check(CheckKind::Clock, shop_url, clock));
    }
}
