//! Global datastores: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::global_datastores::*;
use crate::elasticache::domain::limits;
use crate::elasticache::domain::replication_groups;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, strings, Cx, GroupStatus, Switch};

pub fn create_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let suffix = s(input, "GlobalReplicationGroupIdSuffix").unwrap_or("");
    let primary = s(input, "PrimaryReplicationGroupId")
        .unwrap_or("")
        .to_ascii_lowercase();
    let id = format!("{}-{suffix}", global_prefix(cx));
    if cx.globals.contains_key(&id) {
        return Err(ApiError::new(
            "GlobalReplicationGroupAlreadyExistsFault",
            format!("Global replication group {id} already exists."),
        ));
    }
    let rg = cx
        .st
        .repl_groups
        .get(&primary)
        .ok_or_else(|| replication_groups::not_found(&primary))?;
    if rg.rec.status != GroupStatus::Available {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            format!("Replication group {primary} is not available."),
        ));
    }
    let first = rg
        .groups
        .first()
        .and_then(|g| g.members.first())
        .and_then(|m| cx.st.clusters.get(m));
    let version = first
        .map(|c| Value::from(c.rec.engine_version.clone()))
        .unwrap_or(Value::Null);
    let engine = first.map(|c| c.engine.as_str()).unwrap_or("redis");
    let n = rg.groups.len();
    let mut doc = json!({
        "GlobalReplicationGroupId": id,
        "GlobalReplicationGroupDescription": s(input, "GlobalReplicationGroupDescription").unwrap_or(" "),
        "Status": "creating",
        "CacheNodeType": rg.rec.cache_node_type, "Engine": engine, "EngineVersion": version,
        "Members": [{"ReplicationGroupId": primary, "ReplicationGroupRegion": cx.region, "Role": "PRIMARY",
                     "AutomaticFailover": rg.rec.automatic_failover, "Status": "associating"}],
        "ClusterEnabled": rg.cluster_mode,
        "AuthTokenEnabled": rg.rec.auth_token_enabled,
        "TransitEncryptionEnabled": rg.rec.transit_encryption_enabled,
        "AtRestEncryptionEnabled": rg.rec.at_rest_encryption_enabled,
        "ARN": format!("arn:aws:elasticache::{}:globalreplicationgroup:{id}", cx.account),
    });
    if rg.cluster_mode {
        // The datastore's node groups are the primary's shards, with their slots.
        doc["GlobalNodeGroups"] = Value::Array(
            rg.groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let slots = g.slots.clone().unwrap_or_else(|| global_slots(i, n));
                    json!({"GlobalNodeGroupId": format!("{id}-{}", g.id), "Slots": slots})
                })
                .collect(),
        );
    }
    let mut stored = doc.clone();
    stored["Status"] = "available".into();
    stored["Members"][0]["Status"] = "associated".into();
    cx.globals.insert(id, stored);
    Ok(json!({"GlobalReplicationGroup": doc}))
}

pub fn describe_global_replication_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let show = input["ShowMemberInfo"].as_bool().unwrap_or(false);
    let list: Vec<Value> = match s(input, "GlobalReplicationGroupId") {
        Some(id) => vec![cx
            .globals
            .get(id)
            .cloned()
            .ok_or_else(|| global_not_found(id))?],
        None => cx.globals.values().cloned().collect(),
    };
    let list = list
        .into_iter()
        .map(|mut g| {
            if !show {
                if let Some(o) = g.as_object_mut() {
                    o.remove("Members");
                    o.remove("GlobalNodeGroups");
                }
            }
            g
        })
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"GlobalReplicationGroups": page, "Marker": marker}))
}

pub fn modify_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let (_, g) = global_get(cx, input)?;
    if let Some(d) = s(input, "GlobalReplicationGroupDescription") {
        g["GlobalReplicationGroupDescription"] = d.into();
    }
    for k in ["CacheNodeType", "EngineVersion"] {
        if let Some(v) = input.get(k) {
            g[k] = v.clone();
        }
    }
    if let Some(b) = input["AutomaticFailoverEnabled"].as_bool() {
        for m in g["Members"].as_array_mut().into_iter().flatten() {
            m["AutomaticFailover"] = json!(Switch::from(b));
        }
    }
    let mut out = g.clone();
    out["Status"] = "modifying".into();
    if let Some(o) = out.as_object_mut() {
        o.remove("Members");
        o.remove("GlobalNodeGroups");
    }
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn delete_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let (id, g) = global_get(cx, input)?;
    if input["RetainPrimaryReplicationGroup"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value(
            "RetainPrimaryReplicationGroup must be true.",
        ));
    }
    let secondaries = g["Members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Role"] == "SECONDARY")
        .count();
    if secondaries > 0 {
        return Err(ApiError::new(
            "InvalidGlobalReplicationGroupState",
            "Disassociate every secondary replication group before deleting the global datastore.",
        ));
    }
    let mut g = cx
        .globals
        .remove(&id)
        .ok_or_else(|| global_not_found(&id))?;
    g["Status"] = "deleting".into();
    Ok(json!({"GlobalReplicationGroup": g}))
}

pub fn disassociate_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let rg = s(input, "ReplicationGroupId").unwrap_or("").to_string();
    let region = s(input, "ReplicationGroupRegion").unwrap_or("").to_string();
    let (_, g) = global_get(cx, input)?;
    let out = g.clone();
    let members = g["Members"]
        .as_array_mut()
        .ok_or_else(|| global_not_found(""))?;
    let pos = members
        .iter()
        .position(|m| {
            m["ReplicationGroupId"] == rg.as_str() && m["ReplicationGroupRegion"] == region.as_str()
        })
        .ok_or_else(|| {
            ApiError::invalid_value(format!(
                "Replication group {rg} in {region} is not a member of this global datastore."
            ))
        })?;
    if members[pos]["Role"] == "PRIMARY" {
        return Err(ApiError::invalid_value(
            "The primary replication group cannot be disassociated.",
        ));
    }
    members.remove(pos);
    let mut out = out;
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn failover_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let region = s(input, "PrimaryRegion").unwrap_or("").to_string();
    let rg = s(input, "PrimaryReplicationGroupId")
        .unwrap_or("")
        .to_string();
    let (_, g) = global_get(cx, input)?;
    let members = g["Members"]
        .as_array_mut()
        .ok_or_else(|| global_not_found(""))?;
    if !members.iter().any(|m| {
        m["ReplicationGroupId"] == rg.as_str() && m["ReplicationGroupRegion"] == region.as_str()
    }) {
        return Err(ApiError::invalid_value(format!(
            "Replication group {rg} in {region} is not a member of this global datastore."
        )));
    }
    for m in members.iter_mut() {
        let is_new = m["ReplicationGroupId"] == rg.as_str()
            && m["ReplicationGroupRegion"] == region.as_str();
        m["Role"] = if is_new { "PRIMARY" } else { "SECONDARY" }.into();
    }
    let mut out = g.clone();
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn rebalance_slots_in_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let (_, g) = global_get(cx, input)?;
    let mut list = g["GlobalNodeGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let len = list.len();
    for (i, x) in list.iter_mut().enumerate() {
        x["Slots"] = global_slots(i, len).into();
    }
    if len > 0 {
        g["GlobalNodeGroups"] = Value::Array(list);
    }
    let mut out = g.clone();
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

fn resize_global(cx: &mut Cx, input: &Value, increase: bool) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let n = input["NodeGroupCount"].as_i64().unwrap_or(0);
    let retain = strings(input, "GlobalNodeGroupsToRetain");
    let remove = strings(input, "GlobalNodeGroupsToRemove");
    let (id, g) = global_get(cx, input)?;
    if g["ClusterEnabled"] != true {
        return Err(ApiError::new(
            "InvalidGlobalReplicationGroupState",
            "Node groups can only be changed on cluster mode enabled global datastores.",
        ));
    }
    // A decrease answers with the node groups as they are when the removal starts.
    let before = g.clone();
    let mut list = g["GlobalNodeGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let have = list.len() as i64;
    if increase && n <= have || !increase && (n >= have || n < 1) {
        return Err(ApiError::invalid_value(format!(
            "NodeGroupCount {n} is not valid for a global datastore with {have} node groups."
        )));
    }
    // Bounded before the loop below adds one node group per step up to `n`.
    limits::in_range("NodeGroupCount", n, 1, limits::MAX_NODE_GROUPS)?;
    if increase {
        for i in have..n {
            list.push(json!({"GlobalNodeGroupId": format!("{id}-{:04}", i + 1)}));
        }
    } else if !retain.is_empty() {
        list.retain(|x| retain.iter().any(|r| x["GlobalNodeGroupId"] == r.as_str()));
    } else if !remove.is_empty() {
        list.retain(|x| !remove.iter().any(|r| x["GlobalNodeGroupId"] == r.as_str()));
    } else {
        list.truncate(n as usize);
    }
    let len = list.len();
    for (i, x) in list.iter_mut().enumerate() {
        x["Slots"] = global_slots(i, len).into();
    }
    g["GlobalNodeGroups"] = Value::Array(list);
    let mut out = if increase { g.clone() } else { before };
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn increase_node_groups_in_global_replication_group(
    cx: &mut Cx,
    input: &Value,
) -> ApiResult<Value> {
    resize_global(cx, input, true)
}

pub fn decrease_node_groups_in_global_replication_group(
    cx: &mut Cx,
    input: &Value,
) -> ApiResult<Value> {
    resize_global(cx, input, false)
}
