//! The core's one error type. Every variant has a stable machine `code`: the Shop API's code
//! where one exists, so that a refusal computed here, sent by the shop and received by the
//! client is the same variant everywhere. The UI translates `code`, never `message`.

use serde_json::{json, Value};

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, in the shop's rules, the client or local storage.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    // --- switch eligibility (docs/domain.md order), 409 ---
    /// A trial cannot change quantities; buying with the same e-mail converts it.
    #[error("a trial license cannot be changed; buy a license with the same e-mail instead")]
    TrialLicense,
    /// Only active subscriptions can change quantities.
    #[error("the subscription is {status}, not active")]
    SubscriptionNotActive {
        /// The shop's status verbatim.
        status: String,
    },
    /// No paid order yet.
    #[error("no order of this license has been paid yet")]
    NoPaidOrder,
    /// Packages 1-5 change only through a support ticket.
    #[error("legacy package {package} can only be changed through a support ticket")]
    LegacyPackage {
        /// The package code, e.g. `paket-3`.
        package: String,
    },

    // --- request validation, 422 (400 for structure) ---
    /// The SKU is not in the catalog.
    #[error("unknown item {sku}")]
    UnknownItem {
        /// The SKU as requested.
        sku: String,
    },
    /// Not an integer within the product's `[min, max]`, or a non-switchable product changed.
    #[error("invalid quantity for {sku}")]
    InvalidQuantity {
        /// The SKU whose quantity was refused.
        sku: String,
    },
    /// Nothing differs from today and no scheduled change would be cancelled.
    #[error("nothing would change")]
    NoChange,
    /// Not a usable e-mail address (or the same as the current one).
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    /// The ticket topic is not known.
    #[error("unknown ticket topic {0:?}")]
    UnknownTopic(String),
    /// The request's structure is wrong (not JSON, missing fields, duplicate SKU).
    #[error("bad request: {0}")]
    BadRequest(String),

    // --- ticket and checkout preconditions, 409 ---
    /// NavLog needs aMobile PRO.
    #[error("NavLog needs aMobile PRO on this license")]
    RequiresAmobilePro,
    /// NavLog is already active.
    #[error("NavLog is already active")]
    AlreadyActive,
    /// The new e-mail already has a license.
    #[error("that e-mail address already has a license")]
    EmailInUse,
    /// One license per e-mail: this address already has one.
    #[error("a license with this e-mail already exists")]
    LicenseExists,

    // --- other shop answers ---
    /// Unknown user or wrong application password.
    #[error("wrong e-mail or application password")]
    InvalidCredentials,
    /// Login throttle; try again after the given seconds.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds until the shop accepts a new attempt.
        retry_after_secs: u64,
    },
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The route does not take this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request body is over 64 KiB.
    #[error("request too large")]
    PayloadTooLarge,
    /// The idempotency key was used before with another body.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReuse,
    /// The price changed since the preview; the new quote is attached.
    #[error("the price changed since the preview")]
    QuoteChanged {
        /// The quote the switch would apply now.
        quote: Box<crate::model::Quote>,
    },
    /// The shop failed internally.
    #[error("the shop reported an internal error: {0}")]
    Internal(String),
    /// An error code this client does not know, kept verbatim.
    #[error("the shop answered {status} {code}: {message}")]
    Shop {
        /// HTTP status.
        status: u16,
        /// The shop's error code.
        code: String,
        /// The shop's text.
        message: String,
    },

    // --- transport ---
    /// The shop did not answer in time.
    #[error("the shop did not answer in time")]
    Timeout,
    /// No connection to the shop (DNS, refused, reset).
    #[error("the shop is unreachable: {0}")]
    Unreachable(String),
    /// TLS failed; names the certificate problem (e.g. an unknown issuer).
    #[error("secure connection failed: {0}")]
    Tls(String),
    /// A proxy refused or failed.
    #[error("proxy error: {0}")]
    Proxy(String),
    /// The shop answered 5xx without a Shop API error (a gateway page, maintenance).
    #[error("the shop is not available (HTTP {status})")]
    ShopUnavailable {
        /// HTTP status.
        status: u16,
    },
    /// The answer is not the Shop API (HTML, invalid JSON, wrong shape).
    #[error("the server does not answer like an FE2 Shop API: {0}")]
    NotAShopApi(String),
    /// The answer is larger than the client accepts.
    #[error("the shop's answer is too large")]
    ResponseTooLarge,
    /// Plain `http://` to a host that is not loopback.
    #[error("refusing unencrypted http:// to {0}; use https://")]
    InsecureUrl(String),
    /// Not a usable shop URL.
    #[error("invalid shop URL {0:?}")]
    InvalidUrl(String),

    // --- signed license file ---
    /// The file is not in the license file format.
    #[error("malformed license file: {0}")]
    MalformedLicenseFile(String),
    /// `alg` is not exactly `ed25519`.
    #[error("unsupported license file algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The signature does not verify with the pinned key.
    #[error("the license file's signature does not verify")]
    BadSignature,
    /// The file belongs to another e-mail.
    #[error("the license file is for {found}, not {expected}")]
    WrongAccount {
        /// The account's e-mail.
        expected: String,
        /// The e-mail in the file.
        found: String,
    },
    /// The shop now presents another signing key than the one pinned at sign-in.
    #[error("the shop's signing key changed (pinned {pinned}, now {presented})")]
    KeyChanged {
        /// Fingerprint of the pinned key.
        pinned: String,
        /// Fingerprint of the presented key.
        presented: String,
    },

    // --- local storage ---
    /// The OS keychain cannot be reached; nothing is stored elsewhere.
    #[error("the system keychain is not available: {0}")]
    KeychainUnavailable(String),
    /// The keychain has no entry for this account.
    #[error("no stored credential for {0}")]
    NoSecret(String),
    /// A cache or configuration file is damaged; it is ignored.
    #[error("damaged file {path}: {reason}")]
    CorruptFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing a local file failed.
    #[error("file error at {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// No account with this e-mail is configured.
    #[error("no account {0}")]
    UnknownAccount(String),
    /// The account is configured already.
    #[error("account {0} exists already")]
    AccountExists(String),
}

impl Error {
    /// The stable machine code (the Shop API's code where one exists).
    pub fn code(&self) -> &str {
        match self {
            Error::TrialLicense => "trial_license",
            Error::SubscriptionNotActive { .. } => "subscription_not_active",
            Error::NoPaidOrder => "no_paid_order",
            Error::LegacyPackage { .. } => "legacy_package",
            Error::UnknownItem { .. } => "unknown_item",
            Error::InvalidQuantity { .. } => "invalid_quantity",
            Error::NoChange => "no_change",
            Error::InvalidEmail(_) => "invalid_email",
            Error::UnknownTopic(_) => "unknown_topic",
            Error::BadRequest(_) => "bad_request",
            Error::RequiresAmobilePro => "requires_amobile_pro",
            Error::AlreadyActive => "already_active",
            Error::EmailInUse => "email_in_use",
            Error::LicenseExists => "license_exists",
            Error::InvalidCredentials => "invalid_credentials",
            Error::TooManyAttempts { .. } => "too_many_attempts",
            Error::NotFound => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::PayloadTooLarge => "payload_too_large",
            Error::IdempotencyKeyReuse => "idempotency_key_reuse",
            Error::QuoteChanged { .. } => "quote_changed",
            Error::Internal(_) => "internal",
            Error::Shop { code, .. } => code,
            Error::Timeout => "timeout",
            Error::Unreachable(_) => "unreachable",
            Error::Tls(_) => "tls",
            Error::Proxy(_) => "proxy",
            Error::ShopUnavailable { .. } => "shop_unavailable",
            Error::NotAShopApi(_) => "not_a_shop_api",
            Error::ResponseTooLarge => "response_too_large",
            Error::InsecureUrl(_) => "insecure_url",
            Error::InvalidUrl(_) => "invalid_url",
            Error::MalformedLicenseFile(_) => "malformed_license_file",
            Error::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Error::BadSignature => "bad_signature",
            Error::WrongAccount { .. } => "wrong_account",
            Error::KeyChanged { .. } => "key_changed",
            Error::KeychainUnavailable(_) => "keychain_unavailable",
            Error::NoSecret(_) => "no_secret",
            Error::CorruptFile { .. } => "corrupt_file",
            Error::Io { .. } => "io",
            Error::UnknownAccount(_) => "unknown_account",
            Error::AccountExists(_) => "account_exists",
        }
    }

    /// The HTTP status the Shop API answers this error with (500 for local-only errors).
    pub fn http_status(&self) -> u16 {
        match self {
            Error::BadRequest(_) => 400,
            Error::InvalidCredentials => 401,
            Error::NotFound => 404,
            Error::MethodNotAllowed => 405,
            Error::TrialLicense
            | Error::SubscriptionNotActive { .. }
            | Error::NoPaidOrder
            | Error::LegacyPackage { .. }
            | Error::RequiresAmobilePro
            | Error::AlreadyActive
            | Error::EmailInUse
            | Error::LicenseExists
            | Error::QuoteChanged { .. } => 409,
            Error::PayloadTooLarge => 413,
            Error::UnknownItem { .. }
            | Error::InvalidQuantity { .. }
            | Error::NoChange
            | Error::InvalidEmail(_)
            | Error::UnknownTopic(_)
            | Error::IdempotencyKeyReuse => 422,
            Error::TooManyAttempts { .. } => 429,
            Error::Shop { status, .. } | Error::ShopUnavailable { status } => *status,
            _ => 500,
        }
    }

    /// Machine-readable details (the Shop API's `data` besides `status`; IPC `details`).
    pub fn details(&self) -> Value {
        match self {
            Error::SubscriptionNotActive { status } => json!({ "license_status": status }),
            Error::LegacyPackage { package } => json!({ "package": package }),
            Error::UnknownItem { sku } | Error::InvalidQuantity { sku } => json!({ "sku": sku }),
            Error::InvalidEmail(email) => json!({ "email": email }),
            Error::UnknownTopic(topic) => json!({ "topic": topic }),
            Error::TooManyAttempts { retry_after_secs } => {
                json!({ "retry_after": retry_after_secs })
            }
            Error::QuoteChanged { quote } => json!({ "quote": quote }),
            Error::WrongAccount { expected, found } => {
                json!({ "expected": expected, "found": found })
            }
            Error::KeyChanged { pinned, presented } => {
                json!({ "pinned": pinned, "presented": presented })
            }
            Error::ShopUnavailable { status } => json!({ "http_status": status }),
            _ => json!({}),
        }
    }

    /// True when the shop could not be reached or did not answer usefully: show cached data offline.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            Error::Timeout
                | Error::Unreachable(_)
                | Error::Proxy(_)
                | Error::ShopUnavailable { .. }
                | Error::NotAShopApi(_)
                | Error::ResponseTooLarge
                | Error::Internal(_)
        )
    }
}
