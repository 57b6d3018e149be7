//! Links into the account's shop and support site (docs/domain.md, Links into the shop): the
//! app opens only URLs built here.

use super::Service;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Pages of the shop and support site the app links to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LinkTarget {
    /// All subscriptions of the customer.
    Subscriptions,
    /// One subscription (pay an open invoice there); id defaults to the license's.
    Subscription,
    /// One order and its invoice; needs an id.
    Order,
    /// The customer account (where application passwords are made).
    Account,
    /// The support site.
    Support,
    /// The shop's product page (buying converts a trial).
    Buy,
}

impl Service {
    /// A URL on the account's shop or support site.
    pub fn link(&self, email: &str, target: LinkTarget, id: Option<u64>) -> Result<String> {
        let email = self.known_email(email)?;
        let (config, license_id) = self.with_account(&email, |a| {
            let license_id = match &a.cache {
                Ok(Some(entry)) => entry.license.as_ref().map(|l| l.id),
                _ => None,
            };
            (a.config.clone(), license_id)
        })?;
        let shop = config.shop_url.trim_end_matches('/');
        Ok(match target {
            LinkTarget::Subscriptions => format!("{shop}/mein-konto/subscriptions/"),
            LinkTarget::Subscription => {
                let id = id.or(license_id).ok_or(Error::NotFound)?;
                format!("{shop}/mein-konto/view-subscription/{id}/")
            }
            LinkTarget::Order => {
                let id = id.ok_or_else(|| Error::BadRequest("an order link needs an id".into()))?;
                format!("{shop}/mein-konto/view-order/{id}/")
            }
            LinkTarget::Account => format!("{shop}/mein-konto/"),
            LinkTarget::Support => config.support_url.clone(),
            LinkTarget::Buy => format!("{shop}/shop/"),
        })
    }

    /// The support site's form with the ticket topic preselected (`open.php?topicId=N`).
    pub fn support_topic_link(&self, email: &str, topic: &str) -> Result<String> {
        let email = self.known_email(email)?;
        let config = self.with_account(&email, |a| a.config.clone())?;
        let topic_id = config
            .support_topics
            .get(topic)
            .ok_or_else(|| Error::UnknownTopic(topic.chars().take(64).collect()))?;
        let base = config.support_url.trim_end_matches('/');
        Ok(format!("{base}/open.php?topicId={topic_id}"))
    }
}
