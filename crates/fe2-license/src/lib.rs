//! FE2 License Manager core: every business rule of FE2 licenses lives here once.
//!
//! The reference shop, the desktop app and the command line all call this crate, so a
//! price, an eligibility decision or the license file format cannot differ between them.

pub mod budget;
pub mod clock;
pub mod eligibility;
pub mod email;
pub mod error;
pub mod expiry;
pub mod license_file;
pub mod model;
pub mod money;
pub mod pricing;
pub mod reference;
pub mod reminder;
pub mod text;

#[cfg(feature = "client")]
pub mod alerts;
#[cfg(feature = "client")]
pub mod atomic_file;
#[cfg(feature = "client")]
pub mod audit;
#[cfg(feature = "client")]
pub mod cache;
#[cfg(feature = "client")]
pub mod calendar;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod config;
#[cfg(feature = "client")]
pub mod paths;
#[cfg(feature = "client")]
pub mod policy;
#[cfg(feature = "client")]
pub mod secrets;
#[cfg(feature = "client")]
pub mod service;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorClass, ErrorCode, ErrorInfo, Result};
