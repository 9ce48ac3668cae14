//! Global datastores: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::global_datastores::*;
use crate::elasticache::domain::limits;
use crate::elasticache::domain::replication_groups;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{
    s, strings, Cx, GlobalDatastoreRecord, GlobalMember, GlobalNodeGroup, GlobalRole, GlobalStatus,
    GroupStatus, MemberStatus, Switch,
};

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
    let n = rg.groups.len();
    // The datastore's node groups are the primary's shards, with their slots.
    let node_groups = rg.cluster_mode.then(|| {
        rg.groups
            .iter()
            .enumerate()
            .map(|(i, g)| GlobalNodeGroup {
                global_node_group_id: format!("{id}-{}", g.id),
                slots: Some(g.slots.clone().unwrap_or_else(|| global_slots(i, n))),
            })
            .collect()
    });
    let rec = GlobalDatastoreRecord {
        global_replication_group_id: id.clone(),
        global_replication_group_description: s(input, "GlobalReplicationGroupDescription")
            .unwrap_or(" ")
            .into(),
        status: GlobalStatus::Available,
        cache_node_type: rg.rec.cache_node_type.clone(),
        engine: first.map_or(crate::elasticache::runtime::EngineKind::Redis, |c| c.engine),
        engine_version: first.map(|c| c.rec.engine_version.clone()),
        members: vec![GlobalMember {
            replication_group_id: primary.clone(),
            replication_group_region: cx.region.into(),
            role: GlobalRole::Primary,
            automatic_failover: rg.rec.automatic_failover,
            status: MemberStatus::Associated,
        }],
        cluster_enabled: rg.cluster_mode,
        auth_token_enabled: rg.rec.auth_token_enabled,
        transit_encryption_enabled: rg.rec.transit_encryption_enabled,
        at_rest_encryption_enabled: rg.rec.at_rest_encryption_enabled,
        arn: format!(
            "arn:aws:elasticache::{}:globalreplicationgroup:{id}",
            cx.account
        ),
        global_node_groups: node_groups,
    };
    // Created at once; the answer shows the creation as AWS reports it.
    let mut out = render(&rec);
    out["Status"] = "creating".into();
    out["Members"][0]["Status"] = "associating".into();
    cx.globals.insert(id, rec);
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn describe_global_replication_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let show = input["ShowMemberInfo"].as_bool().unwrap_or(false);
    let shape = |g: &GlobalDatastoreRecord| {
        if show {
            render(g)
        } else {
            render_summary(g)
        }
    };
    let list: Vec<Value> = match s(input, "GlobalReplicationGroupId") {
        Some(id) => vec![cx
            .globals
            .get(id)
            .map(shape)
            .ok_or_else(|| global_not_found(id))?],
        None => cx.globals.values().map(shape).collect(),
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"GlobalReplicationGroups": page, "Marker": marker}))
}

pub fn modify_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let (_, g) = global_get(cx, input)?;
    if let Some(v) = s(input, "EngineVersion") {
        let running = g.engine_version.clone().unwrap_or_default();
        let to = crate::elasticache::domain::versions::upgrade(g.engine, &running, v)?;
        g.engine_version = Some(to.actual.into());
    }
    if let Some(d) = s(input, "GlobalReplicationGroupDescription") {
        g.global_replication_group_description = d.into();
    }
    if let Some(v) = s(input, "CacheNodeType") {
        g.cache_node_type = v.into();
    }
    if let Some(b) = input["AutomaticFailoverEnabled"].as_bool() {
        for m in &mut g.members {
            m.automatic_failover = Switch::from(b);
        }
    }
    let mut out = render_summary(g);
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn delete_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let (id, g) = global_get(cx, input)?;
    if input["RetainPrimaryReplicationGroup"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value(
            "RetainPrimaryReplicationGroup must be true.",
        ));
    }
    if g.members.iter().any(|m| m.role == GlobalRole::Secondary) {
        return Err(ApiError::new(
            "InvalidGlobalReplicationGroupState",
            "Disassociate every secondary replication group before deleting the global datastore.",
        ));
    }
    let g = cx
        .globals
        .remove(&id)
        .ok_or_else(|| global_not_found(&id))?;
    let mut out = render(&g);
    out["Status"] = "deleting".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn disassociate_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let rg = s(input, "ReplicationGroupId").unwrap_or("").to_string();
    let region = s(input, "ReplicationGroupRegion").unwrap_or("").to_string();
    let (_, g) = global_get(cx, input)?;
    let mut out = render(g);
    let pos = g
        .members
        .iter()
        .position(|m| m.is(&rg, &region))
        .ok_or_else(|| {
            ApiError::invalid_value(format!(
                "Replication group {rg} in {region} is not a member of this global datastore."
            ))
        })?;
    if g.members[pos].role == GlobalRole::Primary {
        return Err(ApiError::invalid_value(
            "The primary replication group cannot be disassociated.",
        ));
    }
    g.members.remove(pos);
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn failover_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let region = s(input, "PrimaryRegion").unwrap_or("").to_string();
    let rg = s(input, "PrimaryReplicationGroupId")
        .unwrap_or("")
        .to_string();
    let (_, g) = global_get(cx, input)?;
    if !g.members.iter().any(|m| m.is(&rg, &region)) {
        return Err(ApiError::invalid_value(format!(
            "Replication group {rg} in {region} is not a member of this global datastore."
        )));
    }
    for m in g.members.iter_mut() {
        m.role = if m.is(&rg, &region) {
            GlobalRole::Primary
        } else {
            GlobalRole::Secondary
        };
    }
    let mut out = render(g);
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

pub fn rebalance_slots_in_global_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let (_, g) = global_get(cx, input)?;
    if let Some(list) = g.global_node_groups.as_mut().filter(|l| !l.is_empty()) {
        respread(list);
    }
    let mut out = render(g);
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

/// The slots split evenly over the node groups again.
fn respread(list: &mut [GlobalNodeGroup]) {
    let len = list.len();
    for (i, x) in list.iter_mut().enumerate() {
        x.slots = Some(global_slots(i, len));
    }
}

fn resize_global(cx: &mut Cx, input: &Value, increase: bool) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let n = input["NodeGroupCount"].as_i64().unwrap_or(0);
    let retain = strings(input, "GlobalNodeGroupsToRetain");
    let remove = strings(input, "GlobalNodeGroupsToRemove");
    let (id, g) = global_get(cx, input)?;
    if !g.cluster_enabled {
        return Err(ApiError::new(
            "InvalidGlobalReplicationGroupState",
            "Node groups can only be changed on cluster mode enabled global datastores.",
        ));
    }
    // A decrease answers with the node groups as they are when the removal starts.
    let before = render(g);
    let mut list = g.global_node_groups.clone().unwrap_or_default();
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
            list.push(GlobalNodeGroup {
                global_node_group_id: format!("{id}-{:04}", i + 1),
                slots: None,
            });
        }
    } else if !retain.is_empty() {
        list.retain(|x| retain.contains(&x.global_node_group_id));
    } else if !remove.is_empty() {
        list.retain(|x| !remove.contains(&x.global_node_group_id));
    } else {
        list.truncate(n as usize);
    }
    respread(&mut list);
    g.global_node_groups = Some(list);
    let mut out = if increase { render(g) } else { before };
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
