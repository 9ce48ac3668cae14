//! ModifyReplicationGroup's rules, step by step: AUTH, the group's own settings, a new
//! primary, its user groups, and the settings its members share.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_cluster_modify;
use crate::elasticache::domain::cache_clusters::{self, AuthChange};
use crate::elasticache::domain::replication_groups::enabled;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{now, s, strings, Cx, ReplGroup};

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
        let enabled = !matches!(change, AuthChange::Delete);
        rg.doc.insert("AuthTokenEnabled".into(), enabled.into());
        rg.doc
            .insert("AuthTokenLastModifiedDate".into(), now().into());
    }
}

/// The group's own settings: description, failover and Multi-AZ (checked against each
/// other), snapshots, node type, minor upgrades.
pub fn change_settings(rg: &mut ReplGroup, input: &Value) -> ApiResult<()> {
    let d = &mut rg.doc;
    if let Some(v) = s(input, "ReplicationGroupDescription") {
        d.insert("Description".into(), v.into());
    }
    if let Some(b) = input["AutomaticFailoverEnabled"].as_bool() {
        if !b && rg.cluster_mode {
            return Err(ApiError::invalid_combination(
                "Automatic failover cannot be disabled for cluster mode enabled replication groups.",
            ));
        }
        d.insert("AutomaticFailover".into(), enabled(b).into());
    }
    if let Some(b) = input["MultiAZEnabled"].as_bool() {
        if b && d["AutomaticFailover"] != "enabled" {
            return Err(ApiError::invalid_combination(
                "Multi-AZ requires automatic failover to be enabled.",
            ));
        }
        d.insert("MultiAZ".into(), enabled(b).into());
    }
    for k in [
        "SnapshotRetentionLimit",
        "SnapshotWindow",
        "CacheNodeType",
        "AutoMinorVersionUpgrade",
    ] {
        if let Some(v) = input.get(k) {
            d.insert(k.into(), v.clone());
        }
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
    let d = &mut rg.doc;
    let mut cur = strings(&Value::Object(d.clone()), "UserGroupIds");
    cur.retain(|g| !remove.contains(g));
    cur.extend(add);
    d.insert("UserGroupIds".into(), json!(cur));
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
