//! The core's one error type. Every variant has a stable machine `code`: the Shop API's code
//! where one exists, so that a refusal computed here, sent by the shop and received by the
//! client is the same variant everywhere. The UI translates `code`, never `message`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an error is. One class per code decides the offline view, quick
/// retries, the support-site fallback and the monitoring state, in the app, the CLI and the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The shop was not reached (timeout, no connection, proxy, a 5xx page): retry soon.
    Network,
    /// The shop answered, but not usefully (not the Shop API, too large, an internal error).
    BadAnswer,
    /// The connection itself was refused: TLS failed, or plain `http://` to a remote host.
    Insecure,
    /// Data the pinned key cannot vouch for.
    Trust,
    /// The shop or the license rules refused the request (input, eligibility, credentials).
    Refusal,
    /// This computer's storage: keychain, files, account configuration.
    Local,
}

impl ErrorClass {
    /// Every class.
    pub const ALL: [ErrorClass; 6] = [
        ErrorClass::Network,
        ErrorClass::BadAnswer,
        ErrorClass::Insecure,
        ErrorClass::Trust,
        ErrorClass::Refusal,
        ErrorClass::Local,
    ];

    /// True when the shop could not be reached or did not answer usefully: the cached data is
    /// shown as offline, and a ticket may go through the support site instead.
    pub fn is_offline(self) -> bool {
        matches!(self, ErrorClass::Network | ErrorClass::BadAnswer)
    }

    /// The class of a code as it travels (a shop's unknown code is a refusal).
    pub fn of(code: &str) -> Self {
        ErrorCode::parse(code).map_or(ErrorClass::Refusal, ErrorCode::class)
    }
}

/// Declares [`ErrorCode`] with the wire text and the class of every code.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal, $class:ident;)+) => {
        /// Every machine code the core knows: the Shop API's codes and the local ones.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $text)] $variant,)+
        }

        impl ErrorCode {
            /// All codes, in the order of [`Error`]'s variants.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code's text on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)+
                }
            }

            /// The code's class.
            pub fn class(self) -> ErrorClass {
                match self {
                    $(ErrorCode::$variant => ErrorClass::$class,)+
                }
            }

            /// The code of a wire text, `None` for a code this version does not know.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(ErrorCode::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// A trial cannot change quantities.
    TrialLicense = "trial_license", Refusal;
    /// Only active subscriptions can change quantities.
    SubscriptionNotActive = "subscription_not_active", Refusal;
    /// No paid order yet.
    NoPaidOrder = "no_paid_order", Refusal;
    /// Packages 1-5 change only through a support ticket.
    LegacyPackage = "legacy_package", Refusal;
    /// The period has ended and its renewal is not paid yet.
    RenewalDue = "renewal_due", Refusal;
    /// The SKU is not in the catalog (or has no price).
    UnknownItem = "unknown_item", Refusal;
    /// A quantity outside the product's range.
    InvalidQuantity = "invalid_quantity", Refusal;
    /// Nothing would change.
    NoChange = "no_change", Refusal;
    /// Not a usable e-mail address.
    InvalidEmail = "invalid_email", Refusal;
    /// The ticket topic is not known.
    UnknownTopic = "unknown_topic", Refusal;
    /// The request's structure is wrong.
    BadRequest = "bad_request", Refusal;
    /// NavLog needs aMobile PRO.
    RequiresAmobilePro = "requires_amobile_pro", Refusal;
    /// NavLog is already active.
    AlreadyActive = "already_active", Refusal;
    /// The new e-mail already has a license.
    EmailInUse = "email_in_use", Refusal;
    /// This e-mail already has a license.
    LicenseExists = "license_exists", Refusal;
    /// Unknown user or wrong application password.
    InvalidCredentials = "invalid_credentials", Refusal;
    /// The shop's sign-in throttle.
    TooManyAttempts = "too_many_attempts", Refusal;
    /// The thing asked for does not exist.
    NotFound = "not_found", Refusal;
    /// The route does not take this method.
    MethodNotAllowed = "method_not_allowed", Refusal;
    /// The request body is over 64 KiB.
    PayloadTooLarge = "payload_too_large", Refusal;
    /// An idempotency key reused with another body.
    IdempotencyKeyReuse = "idempotency_key_reuse", Refusal;
    /// The price changed since the preview.
    QuoteChanged = "quote_changed", Refusal;
    /// The shop failed internally.
    Internal = "internal", BadAnswer;
    /// The shop did not answer in time.
    Timeout = "timeout", Network;
    /// No connection to the shop.
    Unreachable = "unreachable", Network;
    /// TLS failed.
    Tls = "tls", Insecure;
    /// The certificate comes from an issuer this computer does not trust (TLS inspection).
    TlsIntercepted = "tls_intercepted", Insecure;
    /// A proxy refused or failed.
    Proxy = "proxy", Network;
    /// The proxy wants credentials (407), or refused the stored ones.
    ProxyAuthRequired = "proxy_auth_required", Network;
    /// The chosen proxy does not answer.
    ProxyUnreachable = "proxy_unreachable", Network;
    /// The shop answered 5xx without a Shop API error.
    ShopUnavailable = "shop_unavailable", Network;
    /// The answer is not the Shop API.
    NotAShopApi = "not_a_shop_api", BadAnswer;
    /// The answer is larger than the client accepts.
    ResponseTooLarge = "response_too_large", BadAnswer;
    /// Plain `http://` to a host that is not loopback.
    InsecureUrl = "insecure_url", Insecure;
    /// Not a usable shop URL.
    InvalidUrl = "invalid_url", Refusal;
    /// Not a usable proxy setting (`system`, `none` or `http(s)://host:port`).
    InvalidProxy = "invalid_proxy", Refusal;
    /// The order reference is too long, or a Leitweg-ID that is not valid.
    InvalidReference = "invalid_reference", Refusal;
    /// The shop answers from another origin; the user confirms the new address first.
    ShopMoved = "shop_moved", Refusal;
    /// The file is not in the license file format.
    MalformedLicenseFile = "malformed_license_file", Trust;
    /// `alg` is not exactly `ed25519`.
    UnsupportedAlgorithm = "unsupported_algorithm", Trust;
    /// The signature does not verify with the pinned key.
    BadSignature = "bad_signature", Trust;
    /// The file belongs to another e-mail.
    WrongAccount = "wrong_account", Trust;
    /// The shop now presents another signing key.
    KeyChanged = "key_changed", Trust;
    /// The file's key id is neither published by the shop nor built in for it.
    UnknownKey = "unknown_key", Trust;
    /// The file was issued before the one already cached (a replay): the newer data stays.
    OlderLicenseFile = "older_license_file", Trust;
    /// The OS keychain cannot be reached.
    KeychainUnavailable = "keychain_unavailable", Local;
    /// The keychain has no entry for this account.
    NoSecret = "no_secret", Local;
    /// A cache or configuration file is damaged.
    CorruptFile = "corrupt_file", Local;
    /// Reading or writing a local file failed.
    Io = "io", Local;
    /// No account with this e-mail is configured.
    UnknownAccount = "unknown_account", Local;
    /// The account is configured already.
    AccountExists = "account_exists", Local;
    /// The read-only policy forbids orders, tickets and account changes on this computer.
    ReadOnlyPolicy = "read_only_policy", Local;
    /// The `AllowedShopHosts` policy does not name this shop.
    ShopNotAllowed = "shop_not_allowed", Local;
    /// A central policy is set but could not be used.
    InvalidPolicy = "invalid_policy", Local;
    /// This computer's clock differs from the shop's by more than a few minutes.
    ClockSkew = "clock_skew", Local;
}

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
    /// The period ended at its renewal, which is not paid yet: a change now would be priced on
    /// a period that is over (0 days left, a free upgrade).
    #[error("the renewal of {date} is due; changes are possible once it is paid")]
    RenewalDue {
        /// The renewal date (the end of the period that is over).
        date: DateTime<Utc>,
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
    /// The certificate comes from an issuer this computer does not trust while a proxy is in
    /// use, or from a certification authority (not a self-signed certificate): typically a
    /// proxy or firewall that inspects TLS, whose root certificate IT must put into the store.
    #[error(
        "the certificate was issued by {issuer:?}, which this computer does not trust{}; a network \
         that inspects TLS needs that root certificate in the system's certificate store",
        through(.proxy)
    )]
    TlsIntercepted {
        /// The issuer's distinguished name (RFC 4514 order, e.g. `CN=…, O=…, C=DE`).
        issuer: String,
        /// The proxy in use (without credentials), if any.
        proxy: Option<String>,
    },
    /// A proxy refused or failed.
    #[error("proxy error: {0}")]
    Proxy(String),
    /// The proxy answered 407: it wants credentials, or refused the stored ones.
    #[error(
        "the proxy {proxy} requires a login{}; store it with: fe2-license proxy login --proxy {proxy} --username NAME",
        if *.rejected { " and refused the stored one" } else { "" }
    )]
    ProxyAuthRequired {
        /// The proxy (scheme, host and port).
        proxy: String,
        /// Credentials were sent and refused.
        rejected: bool,
    },
    /// The chosen proxy does not answer (refused, not found, no answer in time).
    #[error(
        "the proxy {proxy} does not answer ({reason}); check the proxy setting or whether it runs"
    )]
    ProxyUnreachable {
        /// The proxy (scheme, host and port).
        proxy: String,
        /// What failed.
        reason: String,
    },
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
    /// Not a usable proxy setting; names the value (credentials removed) and why.
    #[error("invalid proxy setting {0}")]
    InvalidProxy(String),
    /// The order reference is refused before anything is sent (`details` names the problem).
    #[error("invalid order reference: {0:?}")]
    InvalidReference(crate::reference::ReferenceProblem),
    /// The shop redirected to another origin; `shop_url` is the address it answers from.
    #[error("the shop answers from another address: {shop_url}")]
    ShopMoved {
        /// The shop's URL at the new origin (checked like a typed one).
        shop_url: String,
    },

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
    /// No trusted key has the file's key id.
    #[error("the license file is signed with key {kid:?}, which the shop does not publish")]
    UnknownKey {
        /// The file's key id (cut to 64 characters).
        kid: String,
    },
    /// The file is older than the cached one: a replay of earlier data.
    #[error("the license file was issued {presented}, before the cached one ({cached})")]
    OlderLicenseFile {
        /// `issued` of the cached file (RFC 3339).
        cached: String,
        /// `issued` of the file the shop presented (RFC 3339).
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
    /// The read-only policy is in force.
    #[error(
        "your administrator set this computer to read-only: no orders, tickets or account changes"
    )]
    ReadOnlyPolicy,
    /// A central policy is set but could not be used (names each, and why).
    #[error("a policy could not be used: {0}")]
    InvalidPolicy(String),
    /// This computer's clock is this many seconds ahead of the shop's (negative: behind).
    #[error("this computer's clock is {seconds} s off the shop's; set the time (e.g. from the domain's time server)")]
    ClockSkew {
        /// Seconds ahead of the shop (negative: behind).
        seconds: i64,
    },
    /// The shop host is not in the `AllowedShopHosts` policy.
    #[error("your administrator does not allow the shop {host}")]
    ShopNotAllowed {
        /// The shop's `host[:port]`.
        host: String,
        /// The hosts the policy allows.
        allowed: Vec<String>,
    },
}

impl Error {
    /// The stable machine code (the Shop API's code where one exists).
    pub fn code(&self) -> &str {
        match self {
            Error::Shop { code, .. } => code,
            known => known.known_code().map_or("internal", ErrorCode::as_str),
        }
    }

    /// The code as the enum of known codes; `None` only for a shop's code this client does not
    /// know ([`Error::Shop`]).
    pub fn known_code(&self) -> Option<ErrorCode> {
        Some(match self {
            Error::TrialLicense => ErrorCode::TrialLicense,
            Error::SubscriptionNotActive { .. } => ErrorCode::SubscriptionNotActive,
            Error::NoPaidOrder => ErrorCode::NoPaidOrder,
            Error::LegacyPackage { .. } => ErrorCode::LegacyPackage,
            Error::RenewalDue { .. } => ErrorCode::RenewalDue,
            Error::UnknownItem { .. } => ErrorCode::UnknownItem,
            Error::InvalidQuantity { .. } => ErrorCode::InvalidQuantity,
            Error::NoChange => ErrorCode::NoChange,
            Error::InvalidEmail(_) => ErrorCode::InvalidEmail,
            Error::UnknownTopic(_) => ErrorCode::UnknownTopic,
            Error::BadRequest(_) => ErrorCode::BadRequest,
            Error::RequiresAmobilePro => ErrorCode::RequiresAmobilePro,
            Error::AlreadyActive => ErrorCode::AlreadyActive,
            Error::EmailInUse => ErrorCode::EmailInUse,
            Error::LicenseExists => ErrorCode::LicenseExists,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Error::NotFound => ErrorCode::NotFound,
            Error::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Error::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Error::IdempotencyKeyReuse => ErrorCode::IdempotencyKeyReuse,
            Error::QuoteChanged { .. } => ErrorCode::QuoteChanged,
            Error::Internal(_) => ErrorCode::Internal,
            Error::Timeout => ErrorCode::Timeout,
            Error::Unreachable(_) => ErrorCode::Unreachable,
            Error::Tls(_) => ErrorCode::Tls,
            Error::TlsIntercepted { .. } => ErrorCode::TlsIntercepted,
            Error::Proxy(_) => ErrorCode::Proxy,
            Error::ProxyAuthRequired { .. } => ErrorCode::ProxyAuthRequired,
            Error::ProxyUnreachable { .. } => ErrorCode::ProxyUnreachable,
            Error::ShopUnavailable { .. } => ErrorCode::ShopUnavailable,
            Error::NotAShopApi(_) => ErrorCode::NotAShopApi,
            Error::ResponseTooLarge => ErrorCode::ResponseTooLarge,
            Error::InsecureUrl(_) => ErrorCode::InsecureUrl,
            Error::InvalidUrl(_) => ErrorCode::InvalidUrl,
            Error::InvalidProxy(_) => ErrorCode::InvalidProxy,
            Error::InvalidReference(_) => ErrorCode::InvalidReference,
            Error::ShopMoved { .. } => ErrorCode::ShopMoved,
            Error::MalformedLicenseFile(_) => ErrorCode::MalformedLicenseFile,
            Error::UnsupportedAlgorithm(_) => ErrorCode::UnsupportedAlgorithm,
            Error::BadSignature => ErrorCode::BadSignature,
            Error::WrongAccount { .. } => ErrorCode::WrongAccount,
            Error::KeyChanged { .. } => ErrorCode::KeyChanged,
            Error::UnknownKey { .. } => ErrorCode::UnknownKey,
            Error::OlderLicenseFile { .. } => ErrorCode::OlderLicenseFile,
            Error::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
            Error::NoSecret(_) => ErrorCode::NoSecret,
            Error::CorruptFile { .. } => ErrorCode::CorruptFile,
            Error::Io { .. } => ErrorCode::Io,
            Error::UnknownAccount(_) => ErrorCode::UnknownAccount,
            Error::AccountExists(_) => ErrorCode::AccountExists,
            Error::ReadOnlyPolicy => ErrorCode::ReadOnlyPolicy,
            Error::ShopNotAllowed { .. } => ErrorCode::ShopNotAllowed,
            Error::InvalidPolicy(_) => ErrorCode::InvalidPolicy,
            Error::ClockSkew { .. } => ErrorCode::ClockSkew,
            Error::Shop { .. } => return None,
        })
    }

    /// The class of this error; a shop's unknown code counts as a refusal.
    pub fn class(&self) -> ErrorClass {
        self.known_code()
            .map_or(ErrorClass::Refusal, ErrorCode::class)
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
            | Error::RenewalDue { .. }
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
            | Error::InvalidReference(_)
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
            Error::RenewalDue { date } => json!({ "renewal_date": date }),
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
            Error::ShopMoved { shop_url } => json!({ "shop_url": shop_url }),
            Error::ClockSkew { seconds } => json!({ "seconds": seconds }),
            Error::ShopNotAllowed { host, allowed } => json!({ "host": host, "allowed": allowed }),
            Error::InvalidReference(problem) => serde_json::to_value(problem).unwrap_or_default(),
            Error::UnknownKey { kid } => json!({ "kid": kid }),
            Error::OlderLicenseFile { cached, presented } => {
                json!({ "cached": cached, "presented": presented })
            }
            Error::TlsIntercepted { issuer, proxy } => json!({ "issuer": issuer, "proxy": proxy }),
            // `problem` picks the UI's sentence, as for an order reference.
            Error::ProxyAuthRequired { proxy, rejected } => json!({
                "proxy": proxy,
                "problem": if *rejected { "rejected" } else { "missing" },
            }),
            Error::ProxyUnreachable { proxy, .. } => json!({ "proxy": proxy }),
            _ => json!({}),
        }
    }

    /// True when the shop could not be reached or did not answer usefully: show cached data
    /// offline ([`ErrorClass::is_offline`]).
    pub fn is_offline(&self) -> bool {
        self.class().is_offline()
    }
}

/// ` through the proxy X` for an error's text, empty without a proxy.
fn through(proxy: &Option<String>) -> String {
    proxy
        .as_ref()
        .map_or_else(String::new, |p| format!(" (through the proxy {p})"))
}

/// An error as it travels: over IPC, in the cache file and in the CLI's JSON (docs/ipc.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(from = "StoredErrorInfo")]
pub struct ErrorInfo {
    /// [`Error::code`]: an [`ErrorCode`], or a shop's code this version does not know.
    #[cfg_attr(feature = "ts", ts(as = "WireErrorCode"))]
    pub code: String,
    /// The code's class.
    pub class: ErrorClass,
    /// English text for logs; the UI translates `code`.
    pub message: String,
    /// Machine-readable details ([`Error::details`]).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub details: Value,
}

/// [`ErrorInfo`] as older versions stored it: without `class` (taken from the code then).
#[derive(Deserialize)]
struct StoredErrorInfo {
    code: String,
    #[serde(default)]
    class: Option<ErrorClass>,
    message: String,
    #[serde(default)]
    details: Value,
}

impl From<StoredErrorInfo> for ErrorInfo {
    fn from(stored: StoredErrorInfo) -> Self {
        Self {
            class: stored.class.unwrap_or_else(|| ErrorClass::of(&stored.code)),
            code: stored.code,
            message: stored.message,
            details: stored.details,
        }
    }
}

impl From<&Error> for ErrorInfo {
    fn from(error: &Error) -> Self {
        Self {
            code: error.code().to_string(),
            class: error.class(),
            message: error.to_string(),
            details: error.details(),
        }
    }
}

/// The TypeScript type of a code as it travels: a known [`ErrorCode`] or a shop's own.
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(untagged)]
pub enum WireErrorCode {
    /// A code this version knows.
    Known(ErrorCode),
    /// A shop's code this version does not know.
    Other(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_offline_is_network_or_a_useless_answer() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
        }
        let offline: Vec<&str> = ErrorCode::ALL
            .iter()
            .filter(|c| c.class().is_offline())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            offline,
            [
                "internal",
                "timeout",
                "unreachable",
                "proxy",
                "proxy_auth_required",
                "proxy_unreachable",
                "shop_unavailable",
                "not_a_shop_api",
                "response_too_large"
            ]
        );
        let shop_own = Error::Shop {
            status: 418,
            code: "teapot".into(),
            message: "no".into(),
        };
        assert_eq!(
            (shop_own.code(), shop_own.class()),
            ("teapot", ErrorClass::Refusal)
        );
        assert_eq!(ErrorClass::of("teapot"), ErrorClass::Refusal);
    }

    #[test]
    fn proxy_errors_say_what_to_do_and_name_the_proxy() {
        let missing = Error::ProxyAuthRequired {
            proxy: "http://proxy.stadt.de:8080".into(),
            rejected: false,
        };
        assert!(missing.is_offline());
        assert!(missing
            .to_string()
            .contains("fe2-license proxy login --proxy http://proxy.stadt.de:8080"));
        assert_eq!(missing.details()["problem"], "missing");
        let rejected = Error::ProxyAuthRequired {
            proxy: "http://p:1".into(),
            rejected: true,
        };
        assert!(rejected.to_string().contains("refused the stored one"));
        assert_eq!(rejected.details()["problem"], "rejected");
        let unreachable = Error::ProxyUnreachable {
            proxy: "http://p:1".into(),
            reason: "connection refused".into(),
        };
        assert!(unreachable.is_offline() && unreachable.to_string().contains("http://p:1"));
        let intercepted = Error::TlsIntercepted {
            issuer: "CN=Stadt Musterstadt Proxy CA, O=Stadt Musterstadt".into(),
            proxy: Some("http://p:1".into()),
        };
        assert_eq!(intercepted.class(), ErrorClass::Insecure);
        assert!(!intercepted.is_offline());
        let text = intercepted.to_string();
        assert!(text.contains("Stadt Musterstadt Proxy CA") && text.contains("root certificate"));
        assert_eq!(
            intercepted.details()["issuer"],
            "CN=Stadt Musterstadt Proxy CA, O=Stadt Musterstadt"
        );
    }

    #[test]
    fn a_stored_error_without_a_class_takes_the_codes() {
        let stored = r#"{"code":"timeout","message":"late","details":{}}"#;
        let info: ErrorInfo = serde_json::from_str(stored).unwrap();
        assert_eq!(info.class, ErrorClass::Network);
        let json = serde_json::to_value(ErrorInfo::from(&Error::BadSignature)).unwrap();
        assert_eq!(json["class"], "trust");
    }
}
