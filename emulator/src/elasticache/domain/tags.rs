//! Tags: which ARNs name an existing resource.

use serde_json::{json, Value};

use crate::elasticache::domain::groups;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{Cx, Event};

/// Checks that an ARN names an existing resource of this account and region.
pub(crate) fn resource_exists(cx: &Cx, arn: &str) -> ApiResult<()> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "elasticache" {
        return Err(ApiError::new(
            "InvalidARN",
            format!("The ARN {arn} is not valid."),
        ));
    }
    let (kind, id) = (parts[5], parts[6]);
    let wrong_place = parts[3] != cx.region || parts[4] != cx.account;
    let found = !wrong_place
        && match kind {
            "cluster" => cx.st.clusters.contains_key(id),
            "replicationgroup" => cx.st.repl_groups.contains_key(id),
            "snapshot" => cx.st.snapshots.contains_key(id),
            "parametergroup" => groups::param_group_family(cx, id).is_some(),
            "subnetgroup" => id == "default" || cx.st.subnet_groups.contains_key(id),
            "securitygroup" => cx.st.security_groups.contains_key(id),
            "user" => id == "default" || cx.st.users.contains_key(id),
            "usergroup" => cx.st.user_groups.contains_key(id),
            "serverlesscache" => cx.st.serverless.contains_key(id),
            "serverlesscachesnapshot" => cx.st.serverless_snapshots.contains_key(id),
            "reserved-instance" => cx.st.reserved.contains_key(id),
            _ => {
                return Err(ApiError::new(
                    "InvalidARN",
                    format!("The ARN {arn} is not valid."),
                ))
            }
        };
    if found {
        return Ok(());
    }
    let (code, what) = match kind {
        "cluster" => ("CacheClusterNotFound", "CacheCluster"),
        "replicationgroup" => ("ReplicationGroupNotFoundFault", "ReplicationGroup"),
        "snapshot" => ("SnapshotNotFoundFault", "Snapshot"),
        "parametergroup" => ("CacheParameterGroupNotFound", "CacheParameterGroup"),
        "subnetgroup" => ("CacheSubnetGroupNotFoundFault", "CacheSubnetGroup"),
        "securitygroup" => ("CacheSecurityGroupNotFound", "CacheSecurityGroup"),
        "user" => ("UserNotFound", "User"),
        "usergroup" => ("UserGroupNotFound", "UserGroup"),
        "serverlesscache" => ("ServerlessCacheNotFoundFault", "ServerlessCache"),
        "serverlesscachesnapshot" => (
            "ServerlessCacheSnapshotNotFoundFault",
            "ServerlessCacheSnapshot",
        ),
        _ => ("ReservedCacheNodeNotFound", "ReservedCacheNode"),
    };
    Err(ApiError::new(code, format!("{what} not found: {id}")))
}

pub(crate) fn tag_list(cx: &Cx, arn: &str) -> Value {
    json!({"TagList": cx.st.tags.get(arn).cloned().unwrap_or_default()})
}

/// The Event shape (every member is the record's).
pub fn render_event(e: &Event) -> Value {
    json!(e)
}
