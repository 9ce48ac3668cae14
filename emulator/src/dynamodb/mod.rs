//! DynamoDB and DynamoDB Streams: a proxy in front of DynamoDB Local that owns the control
//! plane DynamoDB Local lacks.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::config::Config;
use crate::context::RequestContext;
use crate::protocol::json::JsonError;
use crate::supervisor::Supervisor;

pub struct DynamoDb {
    #[allow(dead_code)]
    config: Config,
    #[allow(dead_code)]
    supervisor: Supervisor,
}

impl DynamoDb {
    pub fn new(config: Config, supervisor: Supervisor) -> Self {
        Self { config, supervisor }
    }

    /// One request: `target` is the X-Amz-Target header (e.g. `DynamoDB_20120810.PutItem`).
    pub async fn handle(
        &self,
        _ctx: RequestContext,
        target: Option<&str>,
        _body: Bytes,
    ) -> Response {
        JsonError::coral(
            "UnknownOperationException",
            format!("operation {} is not implemented yet", target.unwrap_or("?")),
        )
        .with_status(StatusCode::BAD_REQUEST)
        .into_response()
    }

    /// Drops every table and control-plane record of one account, or of all.
    pub async fn reset(&self, _account: Option<&str>) {}

    /// Stops DynamoDB Local.
    pub async fn shutdown(&self) {}

    pub fn status(&self) -> serde_json::Value {
        serde_json::json!({"backend": "dynamodb-local"})
    }
}
