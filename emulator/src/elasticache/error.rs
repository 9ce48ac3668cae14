//! Handler errors: a wire code from the model's error shapes plus a message. The HTTP status
//! and fault side come from the model when the response is written.

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", message)
    }
    pub fn invalid_combination(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterCombination", message)
    }
    pub fn missing(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
