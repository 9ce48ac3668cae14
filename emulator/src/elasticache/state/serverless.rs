//! Serverless caches and their snapshots as records. Saved under `--state-dir` with the
//! API's member names, the format earlier versions wrote as JSON documents, so their saved
//! caches and snapshots load as they are.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parts::{api_enum, Endpoint};
use crate::elasticache::runtime::EngineKind;

api_enum! {
    /// ServerlessCache.Status.
    ServerlessStatus {
        Creating = "creating",
        Available = "available",
        CreateFailed = "create-failed",
    }
}

api_enum! {
    /// ServerlessCacheSnapshot.Status as stored (taken at once; CreateServerlessCacheSnapshot
    /// and CopyServerlessCacheSnapshot answer `creating`).
    ServerlessSnapshotStatus {
        Available = "available",
    }
}

api_enum! {
    /// MigrationSummary.Status: the phases of an online migration into a serverless cache.
    MigrationStatus {
        Preparing = "preparing",
        Ready = "ready",
        Failed = "failed",
        Syncing = "syncing",
        Stopped = "stopped",
        CuttingOver = "cutting-over",
    }
}

api_enum! {
    /// MigrationSummary.CutoverMode (StartMigration's AutoCutover).
    CutoverMode {
        Manual = "manual",
        Auto = "auto",
    }
}

/// An online migration into the cache, while it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MigrationSummary {
    pub status: MigrationStatus,
    pub migration_endpoint: Endpoint,
    pub cutover_mode: CutoverMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerlessRecord {
    pub serverless_cache_name: String,
    pub description: String,
    pub create_time: String,
    pub status: ServerlessStatus,
    pub engine: EngineKind,
    pub major_engine_version: String,
    pub full_engine_version: String,
    pub security_group_ids: Vec<String>,
    /// One engine process serves both endpoints.
    pub endpoint: Endpoint,
    pub reader_endpoint: Endpoint,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub subnet_ids: Vec<String>,
    pub snapshot_retention_limit: i64,
    pub daily_snapshot_time: String,
    /// Passed through as given (DataStorage and ECPUPerSecond limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_usage_limits: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<MigrationSummary>,
}

/// What a serverless snapshot records of its cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerlessCacheConfiguration {
    pub serverless_cache_name: String,
    pub engine: EngineKind,
    pub major_engine_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerlessSnapshotRecord {
    pub serverless_cache_snapshot_name: String,
    #[serde(rename = "ARN")]
    pub arn: String,
    /// `manual`.
    pub snapshot_type: String,
    pub status: ServerlessSnapshotStatus,
    pub create_time: String,
    pub bytes_used_for_cache: String,
    pub serverless_cache_configuration: ServerlessCacheConfiguration,
}
