//! Replication groups: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_cluster_modify as cluster_modify;
use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cache_clusters::check_id;
use crate::elasticache::domain::failover::failover_events;
use crate::elasticache::domain::limits;
use crate::elasticache::domain::replication_group_create as create;
use crate::elasticache::domain::replication_group_modify as modify;
use crate::elasticache::domain::replication_groups::*;
use crate::elasticache::domain::shard_changes;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{s, strings, Cx, GroupStatus, ReplGroup, Switch};

pub fn create_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = check_id(
        "Replication group",
        s(input, "ReplicationGroupId").unwrap_or(""),
        40,
    )?;
    if cx.st.repl_groups.contains_key(&id) {
        return Err(ApiError::new(
            "ReplicationGroupAlreadyExists",
            format!("Replication group {id} already exists."),
        ));
    }
    let ngc = input["NodeGroupConfiguration"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mode = create::create_mode(input, &ngc)?;
    let mut input_eff = input.clone();
    if mode.cluster_mode && input.get("ClusterMode").is_none() {
        // Selects the `.cluster.on` default parameter group.
        input_eff["ClusterMode"] = "enabled".into();
    }
    let global_id = s(input, "GlobalReplicationGroupId");
    if let Some(gid) = global_id {
        create::take_global_settings(cx, gid, &mut input_eff)?;
    }
    // An existing cluster adopted as the primary.
    let adopted = s(input, "PrimaryClusterId").map(str::to_ascii_lowercase);
    let adopted = adopted.as_deref();
    let settings = create::new_group_settings(cx, &input_eff, adopted)?;
    let groups = if mode.cluster_mode {
        create::sharded_layout(&id, input, &ngc, mode.num_groups)?
    } else {
        vec![create::single_shard_layout(
            &id,
            input,
            mode.auto_failover,
            adopted,
        )?]
    };
    create::check_members_free(cx, &groups, adopted)?;
    let ug = create::user_groups_of(cx, input, &settings)?;
    create::check_quotas(cx, &groups, &settings, mode.cluster_mode, adopted.is_some())?;
    let members = create::Members {
        settings: &settings,
        cluster_mode: mode.cluster_mode,
        user_groups: &ug,
        snapshot: s(input, "SnapshotName"),
        adopted,
        zones: create::named_zones(input, &ngc, mode.cluster_mode),
    };
    create::start_members(cx, &id, &groups, &members)?;
    let rec = create::new_group_record(cx, &id, input, &mode, &settings, &ug);
    create::link_user_groups(cx, &id, &ug);
    if let Some(gid) = global_id {
        create::join_global(cx, gid, &id, mode.auto_failover);
    }
    let arn = cx.arn("replicationgroup", &id);
    cx.tag_new(&arn, input);
    cx.st.repl_groups.insert(
        id.clone(),
        ReplGroup {
            rec,
            cluster_mode: mode.cluster_mode,
            forming: mode.cluster_mode && settings.engine != EngineKind::Memcached,
            form_started: false,
            reshard: None,
            rejoining: false,
            adding_replicas: false,
            groups,
        },
    );
    let mut out = render(cx, &id);
    // While the group is being created AWS reports failover as still being switched on.
    if out["Status"] == "creating" && out["AutomaticFailover"] == "enabled" {
        out["AutomaticFailover"] = json!("enabling");
    }
    Ok(json!({"ReplicationGroup": out}))
}

pub fn describe_replication_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let ids: Vec<String> = match s(input, "ReplicationGroupId") {
        Some(id) => vec![key(cx, id)?],
        None => cx.st.repl_groups.keys().cloned().collect(),
    };
    let list = ids.iter().map(|id| render(cx, id)).collect();
    let (page, marker) = cache_clusters::paginate(list, input)?;
    Ok(json!({"ReplicationGroups": page, "Marker": marker}))
}

pub fn modify_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    // An engine upgrade or a parameter group reaches every member; checked on the primary.
    let upgrade = match cx.st.repl_groups[&id]
        .groups
        .first()
        .and_then(|g| g.members.first())
        .cloned()
    {
        Some(primary) => {
            cluster_modify::check_input(cx, &primary, input)?;
            cluster_modify::version_change(cx, &primary, input)?
        }
        None => None,
    };
    if let Some(change) = cache_clusters::auth_change(input)? {
        modify::change_auth(cx, &id, &change);
    }
    let rg = cx
        .st
        .repl_groups
        .get_mut(&id)
        .ok_or_else(|| not_found(&id))?;
    modify::change_settings(rg, input)?;
    let previous = rg
        .groups
        .iter()
        .map(|g| g.members.first().cloned())
        .collect::<Vec<_>>();
    let promoted = modify::reorder_primary(rg, input)?;
    let acl_groups = modify::change_user_groups(rg, input);
    let members: Vec<String> = rg.groups.iter().flat_map(|g| g.members.clone()).collect();
    if let Some(order) = &promoted {
        // The node group's primary before the reorder.
        let was = previous
            .into_iter()
            .flatten()
            .find(|m| order.contains(m))
            .unwrap_or_default();
        promote(cx, order, &was);
    }
    if let Some(groups) = &acl_groups {
        let commands = crate::elasticache::domain::acl::commands_for(cx, groups);
        crate::elasticache::domain::acl::push(cx, &id, &commands);
    }
    modify::copy_to_members(cx, &members, input);
    for m in &members {
        if let Some(c) = cx.st.clusters.get_mut(m) {
            if let Some(u) = &upgrade {
                cluster_modify::apply_version(&mut c.rec, u);
            }
            if let Some(pg) = s(input, "CacheParameterGroupName") {
                c.rec.cache_parameter_group.cache_parameter_group_name = pg.into();
            }
        }
    }
    cx.st.event(
        &id,
        "replication-group",
        format!("Replication group {id} modified"),
    );
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn delete_replication_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    let retain = input["RetainPrimaryCluster"].as_bool().unwrap_or(false);
    if let Some(snap) = s(input, "FinalSnapshotIdentifier") {
        crate::elasticache::domain::snapshots::snapshot_of_group(cx, &id, snap, "manual")?;
    }
    if cx
        .globals
        .values()
        .any(|g| g.members.iter().any(|m| m.is(&id, cx.region)))
    {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            format!(
                "Replication group {id} is a member of a global datastore; disassociate it first."
            ),
        ));
    }
    let mut out = render(cx, &id);
    out["Status"] = "deleting".into();
    if let Some(rid) = out["ReplicationGroupId"].as_str() {
        crate::elasticache::auto_snapshots::drop_for(cx, rid);
    }
    let rg = cx
        .st
        .repl_groups
        .remove(&id)
        .ok_or_else(|| not_found(&id))?;
    for (gi, g) in rg.groups.iter().enumerate() {
        for (mi, m) in g.members.iter().enumerate() {
            if retain && gi == 0 && mi == 0 {
                if let Some(c) = cx.st.clusters.get_mut(m) {
                    c.rec.replication_group_id = None;
                }
                continue;
            }
            cache_clusters::remove_cluster(cx, m);
        }
    }
    for g in cx.st.user_groups.values_mut() {
        g.replication_groups.retain(|r| *r != id);
    }
    let arn = cx.arn("replicationgroup", &id);
    cx.st.tags.remove(&arn);
    cx.st.event(
        &id,
        "replication-group",
        format!("Replication group {id} deleted"),
    );
    Ok(json!({"ReplicationGroup": out}))
}

pub fn increase_replica_count(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    require_immediately(input)?;
    require_available(cx, &id)?;
    apply_replica_change(cx, &id, input, true)?;
    // Recorded DescribeEvents answer (aws-controllers-k8s/community#540); the completion is
    // filed when the group is available again (`Region::refresh_group_status`).
    cx.st.event(
        &id,
        "replication-group",
        format!(
            "Increase replica count started for replication group {id} on {}",
            crate::elasticache::state::now()
        ),
    );
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        rg.adding_replicas = true;
    }
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn decrease_replica_count(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    require_immediately(input)?;
    require_available(cx, &id)?;
    // AWS answers with the group as it is when the removal starts: every member still
    // listed, the group and its shards modifying.
    let before = render_modifying(cx, &id);
    let to_remove = strings(input, "ReplicasToRemove");
    if !to_remove.is_empty() {
        let rg = &cx.st.repl_groups[&id];
        for r in &to_remove {
            if !rg
                .groups
                .iter()
                .any(|g| g.members.iter().skip(1).any(|m| m == r))
            {
                return Err(ApiError::invalid_value(format!(
                    "{r} is not a replica of replication group {id}."
                )));
            }
        }
        for r in &to_remove {
            cache_clusters::remove_cluster(cx, r);
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            rg.rec.status = GroupStatus::Modifying;
        }
        cx.settle.push(id.clone());
    } else {
        apply_replica_change(cx, &id, input, false)?;
    }
    Ok(json!({"ReplicationGroup": before}))
}

pub fn modify_replication_group_shard_configuration(
    cx: &mut Cx,
    input: &Value,
) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    require_immediately(input)?;
    if !cx.st.repl_groups[&id].cluster_mode {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            "Shard configuration can only be modified on cluster mode enabled replication groups.",
        ));
    }
    require_available(cx, &id)?;
    let want = limits::in_range(
        "NodeGroupCount",
        limits::int(input, "NodeGroupCount").unwrap_or(0),
        1,
        limits::MAX_NODE_GROUPS,
    )?;
    let have = cx.st.repl_groups[&id].groups.len();
    let before = render_modifying(cx, &id);
    if want == 0 || want == have {
        return Err(ApiError::invalid_value(format!(
            "NodeGroupCount {want} must differ from the current count {have} and be at least 1."
        )));
    }
    let layout = shard_changes::layout(cx, &id);
    if want < have {
        shard_changes::remove_shards(cx, &id, input, want)?;
    } else {
        shard_changes::add_shards(cx, &id, want)?;
    }
    shard_changes::respread_slots(cx, &id, &layout);
    cx.settle.push(id.clone());
    if want < have {
        return Ok(json!({"ReplicationGroup": before}));
    }
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn test_failover(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    let gid = s(input, "NodeGroupId").unwrap_or("").to_string();
    require_available(cx, &id)?;
    let rg = cx
        .st
        .repl_groups
        .get_mut(&id)
        .ok_or_else(|| not_found(&id))?;
    if rg.rec.automatic_failover != Switch::Enabled {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            format!("Automatic failover is not enabled on replication group {id}."),
        ));
    }
    let g = rg.groups.iter_mut().find(|g| g.id == gid).ok_or_else(|| {
        ApiError::new(
            "NodeGroupNotFoundFault",
            format!("Node group {gid} not found."),
        )
    })?;
    if g.members.len() < 2 {
        return Err(ApiError::new(
            "TestFailoverNotAvailableFault",
            format!("Node group {gid} has no replica to fail over to."),
        ));
    }
    let old = g.members.remove(0);
    g.members.push(old.clone());
    let order = g.members.clone();
    promote(cx, &order, &old);
    cx.st.event(
        &id,
        "replication-group",
        format!("Test Failover API called for node group {gid}"),
    );
    // The old primary stays on as a replica of the new one (no replacement to report).
    failover_events(cx, &id, &old, &order[0]);
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}
