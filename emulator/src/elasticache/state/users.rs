//! RBAC users and user groups as records. Saved under `--state-dir` with the API's member
//! names, the format earlier versions wrote as JSON documents, so their saved users and
//! groups load as they are.

use serde::{Deserialize, Serialize};

use super::parts::api_enum;
use crate::elasticache::runtime::EngineKind;

api_enum! {
    /// User.Status and UserGroup.Status as stored (changes complete at once; the responses
    /// of Modify and Delete say `modifying` and `deleting`).
    UserStatus {
        Active = "active",
    }
}

api_enum! {
    /// Authentication.Type.
    AuthenticationType {
        Password = "password",
        NoPassword = "no-password",
        Iam = "iam",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Authentication {
    #[serde(rename = "Type")]
    pub kind: AuthenticationType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_count: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserRecord {
    pub user_id: String,
    pub user_name: String,
    pub status: UserStatus,
    pub engine: EngineKind,
    pub minimum_engine_version: String,
    pub access_string: String,
    pub user_group_ids: Vec<String>,
    pub authentication: Authentication,
    #[serde(rename = "ARN")]
    pub arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserGroupRecord {
    pub user_group_id: String,
    pub status: UserStatus,
    /// As given, lower-cased (AWS does not restrict it here).
    pub engine: String,
    pub user_ids: Vec<String>,
    pub minimum_engine_version: String,
    pub replication_groups: Vec<String>,
    pub serverless_caches: Vec<String>,
    #[serde(rename = "ARN")]
    pub arn: String,
}
