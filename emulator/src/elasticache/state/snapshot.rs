//! A snapshot's record: what it kept of its cluster or group, and its node snapshots. Saved
//! under `--state-dir` with the API's member names, the format earlier versions wrote as a
//! JSON document, so their saved snapshots load as they are.

use serde::{Deserialize, Serialize};

use super::parts::{api_enum, Switch};
use crate::elasticache::runtime::EngineKind;

api_enum! {
    /// SnapshotStatus.
    SnapshotStatus {
        Creating = "creating",
        Available = "available",
        /// The nodes could not be saved.
        Failed = "failed",
    }
}

/// One node's part of a snapshot (a group's names its cluster and node group).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NodeSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_group_id: Option<String>,
    pub cache_node_id: String,
    /// Empty while the snapshot is being created.
    pub cache_size: String,
    pub cache_node_create_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_create_time: Option<String>,
}

/// Members marked "cluster" are those of a cache cluster's snapshot, "group" those of a
/// replication group's.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapshotRecord {
    pub snapshot_name: String,
    /// Cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_cluster_id: Option<String>,
    /// Group, or a cluster that is a group's member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_group_id: Option<String>,
    /// Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_group_description: Option<String>,
    pub snapshot_status: SnapshotStatus,
    /// `manual` or `automated`.
    pub snapshot_source: String,
    pub cache_node_type: String,
    pub engine: EngineKind,
    pub engine_version: String,
    /// Cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_cache_nodes: Option<usize>,
    /// Cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_availability_zone: Option<String>,
    /// Cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_cluster_create_time: Option<String>,
    pub preferred_maintenance_window: String,
    /// Cluster with notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<String>,
    pub port: u16,
    pub cache_parameter_group_name: String,
    pub cache_subnet_group_name: String,
    pub vpc_id: String,
    pub auto_minor_version_upgrade: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_retention_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_window: Option<String>,
    /// Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_node_groups: Option<usize>,
    /// Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic_failover: Option<Switch>,
    pub node_snapshots: Vec<NodeSnapshot>,
    #[serde(rename = "ARN")]
    pub arn: String,
}

impl SnapshotRecord {
    /// Whether this is an automatic snapshot of cluster or group `id` (a member cluster's
    /// snapshot counts as its group's).
    pub fn automatic_of(&self, id: &str) -> bool {
        self.snapshot_source == "automated"
            && match &self.replication_group_id {
                Some(rg) => rg == id,
                None => self.cache_cluster_id.as_deref() == Some(id),
            }
    }
}
