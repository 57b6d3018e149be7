//! A command's error as the UI receives it: `{code, message, details}` (docs/ipc.md).

use fe2_license::service::ErrorInfo;
use serde::{Serialize, Serializer};

/// A core error crossing IPC; the UI translates its `code`.
#[derive(Debug)]
pub struct IpcError(pub fe2_license::Error);

impl From<fe2_license::Error> for IpcError {
    fn from(error: fe2_license::Error) -> Self {
        Self(error)
    }
}

impl Serialize for IpcError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ErrorInfo::from(&self.0).serialize(serializer)
    }
}

/// What every command returns.
pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_code_message_and_details() {
        let error = IpcError(fe2_license::Error::TooManyAttempts {
            retry_after_secs: 60,
        });
        let json = serde_json::to_value(&error).unwrap_or_default();
        assert_eq!(json["code"], "too_many_attempts");
        assert_eq!(json["details"]["retry_after"], 60);
        assert!(json["message"].as_str().is_some_and(|m| m.contains("60")));
    }
}
