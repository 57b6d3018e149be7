//! The service's side of the audit log (docs/domain.md, Audit log): each operation that changes
//! something notes itself here once it succeeded, with the details IT staff and the municipality
//! ask about later. Never a password or an Authorization value: only what the operation
//! returned or was given besides them.

use super::Service;
use crate::audit::{self, AuditAction, AuditLog};
use crate::config::Settings;
use crate::error::{Error, ErrorClass, ErrorInfo, Result};
use crate::model::{Quote, RequestedItem, SwitchOutcome, Ticket};
use crate::money;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The audit log as the app's "Verlauf" page and `fe2-license log` show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditReport {
    /// Every line, oldest first, and what the chain check found.
    #[serde(flatten)]
    pub log: AuditLog,
    /// Where the log lives.
    pub path: String,
    /// The last append of this process that failed (the action itself happened).
    pub write_error: Option<ErrorInfo>,
    /// Why the anchor could not be read (no keychain here): the log's end was not checked.
    pub anchor_error: Option<ErrorInfo>,
}

/// An order as the audit log noted it when it was placed here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrderNote {
    /// The shop's order number.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub order_id: u64,
    /// The setup fee's net amount.
    pub net: Option<String>,
    /// The order reference given (Leitweg-ID, purchase order, cost centre).
    pub reference: Option<String>,
}

impl Service {
    /// The notes of the orders placed for an account; an unreadable log gives none.
    pub(super) fn order_notes(&self, email: &str) -> Vec<OrderNote> {
        let Ok(log) = audit::read(self.inner.home.data_dir()) else {
            return Vec::new();
        };
        let text = |value: &Value| value.as_str().map(str::to_string);
        log.entries
            .iter()
            .filter(|e| e.action == AuditAction::OrderPlaced && e.email.as_deref() == Some(email))
            .filter_map(|e| {
                Some(OrderNote {
                    order_id: e.details.get("order")?.as_u64()?,
                    net: e.details.get("net").and_then(text),
                    reference: e.details.get("reference").and_then(text),
                })
            })
            .collect()
    }

    /// The whole audit log, its chain checked and its end against the anchor. May block on
    /// the keychain, as the appends do.
    pub fn audit_log(&self) -> Result<AuditReport> {
        let dir = self.inner.home.data_dir();
        let (log, anchor_error) = self.inner.audit.read()?;
        Ok(AuditReport {
            log,
            path: dir.join(audit::LOG_FILE).display().to_string(),
            write_error: self.state().audit_error.clone(),
            anchor_error: anchor_error.as_ref().map(ErrorInfo::from),
        })
    }

    /// Appends a line. The action already happened, so a log that cannot be written does not
    /// turn it into a failure: it is kept as `write_error` and among the start problems.
    pub(super) fn audit(&self, action: AuditAction, email: Option<&str>, details: Value) {
        let now = self.inner.clock.now();
        if let Err(e) = self.inner.audit.append(now, action, email, details) {
            let info = ErrorInfo::from(&e);
            let mut state = self.state();
            state.problems.push(info.clone());
            state.audit_error = Some(info);
        }
    }

    pub(super) fn audit_quote(&self, email: &str, items: &[RequestedItem], quote: &Quote) {
        let details = json!({
            "items": items,
            "setup_fee": {
                "net": money::to_text(quote.setup_fee.net),
                "gross": money::to_text(quote.setup_fee.gross),
            },
        });
        self.audit(AuditAction::QuoteRequested, Some(email), details);
    }

    pub(super) fn audit_switch(
        &self,
        email: &str,
        items: &[RequestedItem],
        reference: Option<&str>,
        outcome: &SwitchOutcome,
    ) {
        let (action, details) = match &outcome.order {
            Some(order) => (
                AuditAction::OrderPlaced,
                json!({
                    "order": order.id,
                    "net": money::to_text(outcome.quote.setup_fee.net),
                    "gross": money::to_text(order.total),
                    "reference": reference,
                    "items": items,
                }),
            ),
            None => (
                AuditAction::ChangeScheduled,
                json!({ "items": items, "reference": reference }),
            ),
        };
        if outcome.order.is_some() {
            self.audit_once(action, email, details, "order");
        } else {
            self.audit(action, Some(email), details);
        }
    }

    pub(super) fn audit_ticket(&self, email: &str, ticket: &Ticket) {
        let details = json!({ "number": ticket.number, "topic": ticket.topic });
        self.audit_once(AuditAction::TicketSent, email, details, "number");
    }

    /// Appends unless a line of the same action and account already names the same
    /// `details[key]`: a retried request with its idempotency key gets the shop's first
    /// answer again (the same order, the same ticket), and that was one action, not two.
    fn audit_once(&self, action: AuditAction, email: &str, details: Value, key: &str) {
        let logged = audit::read(self.inner.home.data_dir()).is_ok_and(|log| {
            log.entries.iter().any(|entry| {
                entry.action == action
                    && entry.email.as_deref() == Some(email)
                    && entry.details.get(key) == details.get(key)
            })
        });
        if !logged {
            self.audit(action, Some(email), details);
        }
    }

    /// Each changed field with its old and new value; nothing when nothing changed.
    pub(super) fn audit_settings(&self, before: &Settings, after: &Settings) {
        let (Ok(Value::Object(before)), Ok(Value::Object(after))) =
            (serde_json::to_value(before), serde_json::to_value(after))
        else {
            return;
        };
        let changed: serde_json::Map<String, Value> = after
            .iter()
            .filter(|(field, value)| before.get(*field) != Some(value))
            .map(|(field, value)| {
                let old = before.get(field).cloned().unwrap_or(Value::Null);
                (field.clone(), json!({ "from": old, "to": value }))
            })
            .collect();
        if !changed.is_empty() {
            self.audit(AuditAction::SettingsChanged, None, Value::Object(changed));
        }
    }

    /// A refresh failure that changes what is shown: the shop refused, the connection was
    /// insecure, or the data can no longer be trusted, and it was not the failure shown
    /// already. Network trouble comes and goes and is shown as offline, not logged.
    pub(super) fn audit_refresh_failure(
        &self,
        email: &str,
        before: Option<&ErrorInfo>,
        error: &Error,
    ) {
        let shown = matches!(
            error.class(),
            ErrorClass::Trust | ErrorClass::Refusal | ErrorClass::Insecure
        );
        let code = error.code();
        if shown && before.is_none_or(|b| b.code != code) {
            self.audit(
                AuditAction::RefreshFailed,
                Some(email),
                json!({ "code": code }),
            );
        }
    }
}
