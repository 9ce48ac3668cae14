//! A global datastore's record (per account: it spans regions). Saved under `--state-dir`
//! with the API's member names, the format earlier versions wrote as a JSON document, so
//! their saved datastores load as they are.

use serde::{Deserialize, Serialize};

use super::parts::{api_enum, Switch};
use crate::elasticache::runtime::EngineKind;

api_enum! {
    /// GlobalReplicationGroup.Status as stored (changes complete at once; the responses say
    /// `creating`, `modifying` or `deleting`).
    GlobalStatus {
        Available = "available",
    }
}

api_enum! {
    /// GlobalReplicationGroupMember.Role.
    GlobalRole {
        Primary = "PRIMARY",
        Secondary = "SECONDARY",
    }
}

api_enum! {
    /// GlobalReplicationGroupMember.Status as stored (CreateGlobalReplicationGroup answers
    /// `associating`).
    MemberStatus {
        Associated = "associated",
    }
}

/// A replication group of the datastore, in its region.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalMember {
    pub replication_group_id: String,
    pub replication_group_region: String,
    pub role: GlobalRole,
    pub automatic_failover: Switch,
    pub status: MemberStatus,
}

impl GlobalMember {
    pub fn is(&self, rg: &str, region: &str) -> bool {
        self.replication_group_id == rg && self.replication_group_region == region
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalNodeGroup {
    pub global_node_group_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalDatastoreRecord {
    pub global_replication_group_id: String,
    pub global_replication_group_description: String,
    pub status: GlobalStatus,
    pub cache_node_type: String,
    pub engine: EngineKind,
    /// The primary's first member's (null if it had none, as before).
    pub engine_version: Option<String>,
    pub members: Vec<GlobalMember>,
    pub cluster_enabled: bool,
    pub auth_token_enabled: bool,
    pub transit_encryption_enabled: bool,
    pub at_rest_encryption_enabled: bool,
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Cluster mode: the primary's shards, with their slots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_node_groups: Option<Vec<GlobalNodeGroup>>,
}
