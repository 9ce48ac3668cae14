//! ModifyReplicationGroup's rules, step by step: AUTH, the group's own settings, a new
//! primary, its user groups, and the settings its members share.

use serde_json::Value;

use crate::elasticache::domain::cache_cluster_modify;
use crate::elasticache::domain::cache_clusters::{self, AuthChange};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{now, s, strings, Cx, ReplGroup, Switch};

/// A new AUTH token (or its removal) reaches every member.
pub fn change_auth(cx: &mut Cx, id: &str, change: &AuthChange) {
    let members: Vec<String> = cx.st.repl_groups[id]
        .groups
        .iter()
        .flat_map(|g| g.members.clone())
        .collect();
    for m in &members {
        cache_clusters::set_auth(cx, m, change);
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(id) {
        rg.rec.auth_token_enabled = !matches!(change, AuthChange::Delete);
        rg.rec.auth_token_last_modified_date = Some(now());
    }
}

/// The group's own settings: description, failover and Multi-AZ (checked against each
/// other), snapshots, node type, minor upgrades.
pub fn change_settings(rg: &mut ReplGroup, input: &Value) -> ApiResult<()> {
    let d = &mut rg.rec;
    if let Some(v) = s(input, "ReplicationGroupDescription") {
        d.description = v.into();
    }
    if let Some(b) = input["AutomaticFailoverEnabled"].as_bool() {
        if !b && rg.cluster_mode {
            return Err(ApiError::invalid_combination(
                "Automatic failover cannot be disabled for cluster mode enabled replication groups.",
            ));
        }
        d.automatic_failover = b.into();
    }
    if let Some(b) = input["MultiAZEnabled"].as_bool() {
        if b && d.automatic_failover != Switch::Enabled {
            return Err(ApiError::invalid_combination(
                "Multi-AZ requires automatic failover to be enabled.",
            ));
        }
        d.multi_az = b.into();
    }
    if let Some(v) = input["SnapshotRetentionLimit"].as_i64() {
        d.snapshot_retention_limit = v;
    }
    if let Some(v) = s(input, "SnapshotWindow") {
        d.snapshot_window = v.into();
    }
    if let Some(v) = s(input, "CacheNodeType") {
        d.cache_node_type = v.into();
    }
    if let Some(v) = input["AutoMinorVersionUpgrade"].as_bool() {
        d.auto_minor_version_upgrade = v;
    }
    Ok(())
}

/// PrimaryClusterId: the named member moves to the front of its node group. Returns the
/// group's new order, to promote on the nodes.
pub fn reorder_primary(rg: &mut ReplGroup, input: &Value) -> ApiResult<Option<Vec<String>>> {
    let Some(p) = s(input, "PrimaryClusterId") else {
        return Ok(None);
    };
    let p = p.to_ascii_lowercase();
    let Some(g) = rg.groups.iter_mut().find(|g| g.members.contains(&p)) else {
        return Err(cache_clusters::not_found(&p));
    };
    g.members.retain(|m| *m != p);
    g.members.insert(0, p);
    Ok(Some(g.members.clone()))
}

/// UserGroupIdsToAdd / UserGroupIdsToRemove. Returns the new list when it changed.
pub fn change_user_groups(rg: &mut ReplGroup, input: &Value) -> Option<Vec<String>> {
    let add = strings(input, "UserGroupIdsToAdd");
    let remove = strings(input, "UserGroupIdsToRemove");
    if add.is_empty() && remove.is_empty() {
        return None;
    }
    let mut cur = rg.rec.user_groups().to_vec();
    cur.retain(|g| !remove.contains(g));
    cur.extend(add);
    rg.rec.user_group_ids = Some(cur.clone());
    Some(cur)
}

/// The settings every member reports as the group's.
pub fn copy_to_members(cx: &mut Cx, members: &[String], input: &Value) {
    for m in members {
        if let Some(c) = cx.st.clusters.get_mut(m) {
            cache_cluster_modify::change_group_settings(&mut c.rec, input);
        }
    }
}
