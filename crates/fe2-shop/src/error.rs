//! Every failure of the shop leaves as WordPress-style JSON `{code, message, data: {status, …}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fe2_license::Error;
use serde_json::{json, Value};

/// A request's failure: the core's error, answered with its Shop API code and status.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// Result of a handler step.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        Self(Error::Internal(format!("database: {error}")))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(error: serde_json::Error) -> Self {
        Self(Error::Internal(format!("stored JSON: {error}")))
    }
}

/// The error body of the Shop API for `error`.
pub fn error_body(error: &Error) -> Value {
    let status = error.http_status();
    let mut data = match error.details() {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    data.insert("status".to_string(), json!(status));
    json!({ "code": error.code(), "message": error.to_string(), "data": data })
}

/// What a client is told of any internal failure; the details go to the server log only,
/// because SQLite and parser text would show an attacker the shop's insides.
pub const INTERNAL_MESSAGE: &str = "the shop failed to answer";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = match self.0 {
            Error::Internal(details) => {
                eprintln!("fe2-shop: internal error: {details}");
                Error::Internal(INTERNAL_MESSAGE.to_string())
            }
            other => other,
        };
        let status =
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(error_body(&error))).into_response();
        if let Error::TooManyAttempts { retry_after_secs } = error {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// The core error that stands for a bare HTTP status (axum's own 404/405/413 and the like).
pub fn error_for_status(status: StatusCode) -> Error {
    match status.as_u16() {
        401 => Error::InvalidCredentials,
        404 => Error::NotFound,
        405 => Error::MethodNotAllowed,
        413 => Error::PayloadTooLarge,
        400..=499 => Error::BadRequest(
            status
                .canonical_reason()
                .unwrap_or("the request was refused")
                .to_string(),
        ),
        _ => Error::Internal(INTERNAL_MESSAGE.to_string()),
    }
}
