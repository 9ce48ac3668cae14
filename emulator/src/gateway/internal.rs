//! `/_emulator/*`: health, reset (all accounts or one), state dump, the CA, and the clock that
//! scheduled work (automatic snapshots) follows.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/state", get(state_dump))
        .route("/_emulator/ca.pem", get(ca_pem))
        .route("/_emulator/clock", post(clock))
}

/// The CA that signs TLS cache nodes' certificates, for clients to trust.
async fn ca_pem(State(s): State<Arc<AppState>>) -> axum::response::Response {
    match s.elasticache.ca_pem() {
        Ok(pem) => ([("content-type", "application/x-pem-file")], pem).into_response(),
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("no CA: {e}"),
        )
            .into_response(),
    }
}

async fn health(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "services": {
            "dynamodb": s.dynamodb.status(),
            "elasticache": s.elasticache.status(),
        },
        "children": s.supervisor.pids().len(),
    }))
}

#[derive(Deserialize)]
struct ResetQuery {
    account: Option<String>,
}

async fn reset(State(s): State<Arc<AppState>>, Query(q): Query<ResetQuery>) -> impl IntoResponse {
    let account = q.account.as_deref();
    s.elasticache.reset(account).await;
    s.dynamodb.reset(account).await;
    s.s3.reset(account);
    Json(serde_json::json!({"reset": account.unwrap_or("all")}))
}

#[derive(Deserialize)]
struct ClockQuery {
    /// Seconds the clock of scheduled work (automatic snapshots) runs ahead of the system's.
    offset: i64,
}

async fn clock(State(s): State<Arc<AppState>>, Query(q): Query<ClockQuery>) -> impl IntoResponse {
    s.elasticache.set_clock_offset(q.offset);
    Json(serde_json::json!({"offset": q.offset}))
}

async fn state_dump(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    Json(serde_json::json!({
        "dynamodb": s.dynamodb.status(),
        "elasticache": s.elasticache.status(),
        "children": s.supervisor.pids(),
    }))
}
