//! JSON errors: every 4xx/5xx answer is `{"error":{"status","code","message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chaintrail_screen::ScreenError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// Work stopped because its request stopped waiting (only ever seen in logs and metrics:
    /// the client already got its `timeout`).
    pub fn cancelled(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, CANCELLED, message)
    }
}

/// The code of [`ApiError::cancelled`].
pub const CANCELLED: &str = "cancelled";

/// The body of an error answer.
pub fn error_body(status: StatusCode, code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"status": status.as_u16(), "code": code, "message": message}})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = error_body(self.status, self.code, &self.message);
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<ScreenError> for ApiError {
    fn from(err: ScreenError) -> ApiError {
        match err {
            ScreenError::BadAddress(message) => ApiError::bad_request("bad_address", message),
            ScreenError::Cancelled => ApiError::cancelled(err.to_string()),
            other => ApiError::internal(other.to_string()),
        }
    }
}
