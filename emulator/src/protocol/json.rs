//! AWS JSON 1.0 error shaping (DynamoDB, DynamoDB Streams).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// An error as DynamoDB sends it: `{"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    pub status: StatusCode,
    /// Fully qualified type, e.g. `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`.
    pub type_name: String,
    pub message: String,
}

impl JsonError {
    /// A DynamoDB error code in the `com.amazonaws.dynamodb.v20120810` namespace (HTTP 400).
    pub fn dynamodb(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            type_name: format!("com.amazonaws.dynamodb.v20120810#{code}"),
            message: message.into(),
        }
    }
    /// A Coral framework error (`com.amazon.coral.service#...`), as AWS sends for
    /// malformed requests and unknown operations.
    pub fn coral(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            type_name: format!("com.amazon.coral.service#{code}"),
            message: message.into(),
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::coral("ValidationException", message)
    }
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
    pub fn code(&self) -> &str {
        self.type_name.rsplit('#').next().unwrap_or(&self.type_name)
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"__type": self.type_name, "message": self.message});
        json_response(self.status, &body)
    }
}

pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_the_suffix() {
        let e = JsonError::dynamodb("ResourceNotFoundException", "x");
        assert_eq!(e.code(), "ResourceNotFoundException");
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
