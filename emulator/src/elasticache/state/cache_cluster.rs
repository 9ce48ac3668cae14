//! A cache cluster's record: the CacheCluster members that are not derived from its nodes.
//! Saved under `--state-dir` with the API's member names, the format earlier versions wrote
//! as a JSON document, so their saved clusters load as they are.

use serde::{Deserialize, Serialize};

use super::parts::{api_enum, Endpoint, LogDelivery};

api_enum! {
    /// CacheClusterStatus.
    ClusterStatus {
        Creating = "creating",
        Available = "available",
        Modifying = "modifying",
        Deleting = "deleting",
        Rebooting = "rebooting cache cluster nodes",
    }
}

api_enum! {
    /// CacheNodeStatus (a node whose process died reports `failed` instead).
    NodeStatus {
        Creating = "creating",
        Available = "available",
        Rebooting = "rebooting",
        IncompatibleNetwork = "incompatible-network",
    }
}

api_enum! {
    /// CacheParameterGroup.ParameterApplyStatus.
    ApplyStatus {
        InSync = "in-sync",
        PendingReboot = "pending-reboot",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterGroupStatus {
    pub cache_parameter_group_name: String,
    pub parameter_apply_status: ApplyStatus,
    /// Nodes still running with parameters older than the group's (until rebooted).
    pub cache_node_ids_to_reboot: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Notification {
    pub topic_arn: String,
    pub topic_status: String,
}

/// A VPC security group of the cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupMembership {
    pub security_group_id: String,
    pub status: String,
}

impl SecurityGroupMembership {
    pub fn active(ids: &[String]) -> Vec<Self> {
        ids.iter()
            .map(|g| Self {
                security_group_id: g.clone(),
                status: "active".into(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CacheClusterRecord {
    pub cache_cluster_id: String,
    pub cache_node_type: String,
    pub engine_version: String,
    pub cache_cluster_status: ClusterStatus,
    pub preferred_availability_zone: String,
    pub cache_cluster_create_time: String,
    pub preferred_maintenance_window: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_configuration: Option<Notification>,
    pub cache_parameter_group: ParameterGroupStatus,
    pub cache_subnet_group_name: String,
    pub auto_minor_version_upgrade: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Vec<SecurityGroupMembership>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_group_id: Option<String>,
    /// Memcached clusters have no snapshots and no AUTH: these stay unset for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_retention_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token_last_modified_date: Option<String>,
    pub transit_encryption_enabled: bool,
    pub at_rest_encryption_enabled: bool,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub replication_group_log_delivery_enabled: bool,
    pub log_delivery_configurations: Vec<LogDelivery>,
    /// Memcached: the first node's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_endpoint: Option<Endpoint>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_aws_strings_both_ways() {
        let pg: ParameterGroupStatus = serde_json::from_value(serde_json::json!({
            "CacheParameterGroupName": "pg", "ParameterApplyStatus": "pending-reboot",
            "CacheNodeIdsToReboot": ["0001"]}))
        .unwrap();
        assert_eq!(pg.parameter_apply_status, ApplyStatus::PendingReboot);
        assert_eq!(
            serde_json::to_value(ClusterStatus::Rebooting).unwrap(),
            "rebooting cache cluster nodes"
        );
        assert_eq!(
            serde_json::from_value::<NodeStatus>("incompatible-network".into()).unwrap(),
            NodeStatus::IncompatibleNetwork
        );
    }
}
