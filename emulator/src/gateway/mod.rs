//! One HTTP server for every service: detects the protocol and dispatches.
//!
//! - `X-Amz-Target: DynamoDB_20120810.*` / `DynamoDBStreams_20120810.*` (AWS JSON 1.0) -> dynamodb
//! - a form body or query string with `Action=` (AWS Query) -> elasticache
//! - a SigV4 scope naming `s3` (REST) -> s3; a Query request for STS -> sts
//! - `/_emulator/*` -> internal routes (health, reset, state)

mod internal;

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::BodyExt;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::context::RequestContext;
use crate::dynamodb::DynamoDb;
use crate::elasticache::ElastiCache;
use crate::protocol::json::JsonError;
use crate::protocol::query::{decode_form, QueryError};
use crate::s3::{S3Request, S3};
use crate::supervisor::Supervisor;

/// Largest request body accepted (DynamoDB's own limit is 16 MB per request).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

pub struct AppState {
    pub config: Config,
    pub supervisor: Supervisor,
    pub dynamodb: DynamoDb,
    pub elasticache: ElastiCache,
    pub s3: S3,
}

impl AppState {
    pub fn new(config: Config) -> Result<Arc<Self>, crate::supervisor::SupervisorError> {
        let supervisor = Supervisor::new(&config.runtime_dir)?;
        Ok(Arc::new(Self {
            dynamodb: DynamoDb::new(config.clone(), supervisor.clone()),
            elasticache: ElastiCache::new(config.clone(), supervisor.clone()),
            s3: S3::new(config.s3_root()),
            supervisor,
            config,
        }))
    }

    pub async fn shutdown(&self) {
        self.elasticache.shutdown().await;
        self.dynamodb.shutdown().await;
        self.supervisor.stop_all();
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    internal::routes().fallback(dispatch).with_state(state)
}

/// Serves until `shutdown` resolves, then stops every child process.
pub async fn run(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    state.shutdown().await;
    result
}

enum Protocol {
    Json(Option<String>),
    Query,
    Unknown,
}

fn detect(req: &Request) -> Protocol {
    let headers = req.headers();
    if let Some(t) = headers.get("x-amz-target") {
        return Protocol::Json(t.to_str().ok().map(str::to_owned));
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/x-amz-json") {
        return Protocol::Json(None);
    }
    if ct.starts_with("application/x-www-form-urlencoded")
        || req.uri().query().is_some_and(|q| q.contains("Action="))
    {
        return Protocol::Query;
    }
    Protocol::Unknown
}

async fn dispatch(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let ctx = RequestContext::from_authorization(
        req.headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
    );
    let protocol = detect(&req);
    let query = req.uri().query().map(str::to_owned);
    let is_s3 = crate::s3::is_s3(&ctx) && !matches!(protocol, Protocol::Json(_));
    let method = req.method().clone();
    let streaming = crate::s3::is_streaming(req.headers());
    let path = req.uri().path().to_owned();
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match read_body(req.into_body()).await {
        Ok(b) => b,
        Err(too_large) => {
            let msg = format!("Request body exceeds the maximum size of {MAX_BODY} bytes ({too_large} bytes or more received)");
            return match protocol {
                Protocol::Query => {
                    QueryError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", msg)
                        .into_response_with_id(&ctx.request_id)
                }
                _ => JsonError::coral("RequestEntityTooLarge", msg)
                    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
                    .into_response(),
            };
        }
    };
    let request_id = ctx.request_id.clone();
    let mut response = match protocol {
        _ if is_s3 => state.s3.handle(
            &ctx,
            S3Request {
                method: &method,
                host: host.as_deref(),
                path: &path,
                query: query.as_deref(),
                streaming,
                body,
            },
        ),
        Protocol::Json(target) => state.dynamodb.handle(ctx, target.as_deref(), body).await,
        Protocol::Query => {
            let mut params = query.map(|q| decode_form(q.as_bytes())).unwrap_or_default();
            params.extend(decode_form(&body));
            if crate::sts::is_sts(&ctx, &params) {
                crate::sts::handle(&ctx, &params)
            } else {
                state.elasticache.handle(ctx, params).await
            }
        }
        Protocol::Unknown => JsonError::coral(
            "UnknownOperationException",
            "Request carries neither an X-Amz-Target header (AWS JSON) nor an Action parameter (AWS Query)",
        )
        .into_response(),
    };
    if let Ok(v) = request_id.parse() {
        response
            .headers_mut()
            .entry("x-amzn-requestid")
            .or_insert(v);
    }
    response
}

/// Reads the body up to MAX_BODY; Err carries how much was seen when the limit was passed.
async fn read_body(body: Body) -> Result<bytes::Bytes, usize> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(_) => Err(MAX_BODY + 1),
    }
}
