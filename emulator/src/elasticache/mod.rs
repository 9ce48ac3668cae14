//! ElastiCache: the resource model, model-driven Query handlers, and the runtime that backs
//! every cache node with a real redis-server or memcached process.

use axum::response::Response;

use crate::config::Config;
use crate::context::RequestContext;
use crate::protocol::query::QueryError;
use crate::supervisor::Supervisor;

pub struct ElastiCache {
    #[allow(dead_code)]
    config: Config,
    #[allow(dead_code)]
    supervisor: Supervisor,
}

impl ElastiCache {
    pub fn new(config: Config, supervisor: Supervisor) -> Self {
        Self { config, supervisor }
    }

    /// One Query request, already form-decoded (`Action`, `Version`, parameters).
    pub async fn handle(&self, ctx: RequestContext, params: Vec<(String, String)>) -> Response {
        let action = params
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        QueryError::bad_request(
            "InvalidAction",
            format!("The action {action} is not valid for this web service."),
        )
        .into_response_with_id(&ctx.request_id)
    }

    pub async fn reset(&self, _account: Option<&str>) {}

    pub async fn shutdown(&self) {}

    pub fn status(&self) -> serde_json::Value {
        serde_json::json!({"backend": "process"})
    }
}
