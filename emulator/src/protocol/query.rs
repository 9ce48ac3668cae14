//! AWS Query protocol (ElastiCache): form decoding, XML encoding, error envelope.
//! Model-driven: see elasticache::model.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `<ErrorResponse>` as the Query protocol sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// `Sender` for client faults, `Receiver` for server faults.
    pub sender: bool,
}

impl QueryError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            sender: status.is_client_error(),
        }
    }
    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            if self.sender { "Sender" } else { "Receiver" },
            escape(&self.code),
            escape(&self.message),
            escape(request_id)
        )
    }
    pub fn into_response_with_id(self, request_id: &str) -> Response {
        xml_response(self.status, self.to_xml(request_id))
    }
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let id = uuid::Uuid::new_v4().to_string();
        self.into_response_with_id(&id)
    }
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    r
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` (body or query string) into ordered pairs.
pub fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}
