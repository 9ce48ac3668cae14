//! A replication group's record: the ReplicationGroup members that are not derived from its
//! members and node groups. Saved under `--state-dir` with the API's member names, the format
//! earlier versions wrote as a JSON document, so their saved groups load as they are.

use serde::{Deserialize, Serialize};

use super::parts::{api_enum, LogDelivery, Switch};
use crate::elasticache::runtime::EngineKind;

api_enum! {
    /// ReplicationGroup.Status.
    GroupStatus {
        Creating = "creating",
        Available = "available",
        Modifying = "modifying",
        /// An online migration into the group is running.
        Migrating = "migrating",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationGroupRecord {
    pub replication_group_id: String,
    pub description: String,
    pub status: GroupStatus,
    pub automatic_failover: Switch,
    #[serde(rename = "MultiAZ")]
    pub multi_az: Switch,
    pub snapshot_retention_limit: i64,
    pub snapshot_window: String,
    pub cache_node_type: String,
    pub auth_token_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token_last_modified_date: Option<String>,
    pub transit_encryption_enabled: bool,
    pub at_rest_encryption_enabled: bool,
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Unset until the group has had user groups (then a list, possibly empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_group_ids: Option<Vec<String>>,
    pub log_delivery_configurations: Vec<LogDelivery>,
    pub replication_group_create_time: String,
    pub auto_minor_version_upgrade: bool,
    pub engine: EngineKind,
}

impl ReplicationGroupRecord {
    /// The user groups whose users the group's nodes know.
    pub fn user_groups(&self) -> &[String] {
        self.user_group_ids.as_deref().unwrap_or_default()
    }
}
