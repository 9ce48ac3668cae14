//! Replication groups: one function per action, named after it.

use serde_json::{json, Map, Value};

use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cache_clusters::{check_id, ClusterSettings};
use crate::elasticache::domain::limits;
use crate::elasticache::domain::replication_groups::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{now, s, strings, Cx, NodeGroup, ReplGroup};

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
    if input.get("NumCacheClusters").is_some()
        && (input.get("NumNodeGroups").is_some() || input.get("ReplicasPerNodeGroup").is_some())
    {
        return Err(ApiError::invalid_combination(
            "NumCacheClusters cannot be combined with NumNodeGroups or ReplicasPerNodeGroup.",
        ));
    }
    // Replica counts are checked whatever mode the group ends up in.
    if let Some(n) = limits::int(input, "ReplicasPerNodeGroup") {
        limits::in_range("ReplicasPerNodeGroup", n, 0, limits::MAX_REPLICAS)?;
    }
    for c in &ngc {
        if let Some(n) = limits::int(c, "ReplicaCount") {
            limits::in_range("ReplicaCount", n, 0, limits::MAX_REPLICAS)?;
        }
    }
    let num_groups = match limits::int(input, "NumNodeGroups") {
        Some(n) => limits::in_range("NumNodeGroups", n, 1, limits::MAX_NODE_GROUPS)?,
        None => ngc.len().max(1),
    };
    let pg_cluster_on =
        s(input, "CacheParameterGroupName").is_some_and(|p| p.contains("cluster.on"));
    let cluster_mode =
        num_groups > 1 || ngc.len() > 1 || input["ClusterMode"] == "enabled" || pg_cluster_on;
    let auto_failover = input["AutomaticFailoverEnabled"]
        .as_bool()
        .unwrap_or(cluster_mode);
    let multi_az = input["MultiAZEnabled"].as_bool().unwrap_or(false);
    if cluster_mode && !auto_failover {
        return Err(ApiError::invalid_combination(
            "Redis with cluster mode enabled cannot be created with automatic failover disabled.",
        ));
    }
    if multi_az && !auto_failover {
        return Err(ApiError::invalid_combination(
            "Multi-AZ requires automatic failover to be enabled.",
        ));
    }
    limits::in_range(
        "NodeGroupConfiguration",
        ngc.len() as i64,
        0,
        limits::MAX_NODE_GROUPS,
    )?;
    let mut input_eff = input.clone();
    if cluster_mode && input.get("ClusterMode").is_none() {
        // Selects the `.cluster.on` default parameter group.
        input_eff["ClusterMode"] = "enabled".into();
    }
    // A secondary of a global datastore takes the datastore's engine and node type.
    let global_id = s(input, "GlobalReplicationGroupId").map(str::to_owned);
    if let Some(gid) = &global_id {
        let g = cx.globals.get(gid).ok_or_else(|| {
            ApiError::new(
                "GlobalReplicationGroupNotFoundFault",
                format!("Global replication group {gid} not found."),
            )
        })?;
        if g["Members"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["ReplicationGroupRegion"] == cx.region)
        {
            return Err(ApiError::invalid_value(format!(
                "Global replication group {gid} already has a member in {}.",
                cx.region
            )));
        }
        for k in ["Engine", "EngineVersion", "CacheNodeType"] {
            input_eff[k] = g[k].clone();
        }
    }
    // Adopt an existing cluster as the primary.
    let primary_existing = s(input, "PrimaryClusterId").map(str::to_ascii_lowercase);
    let settings = if let Some(p) = &primary_existing {
        let c = cx
            .st
            .clusters
            .get(p)
            .ok_or_else(|| cache_clusters::not_found(p))?;
        if c.doc.get("ReplicationGroupId").is_some() {
            return Err(ApiError::new(
                "InvalidCacheClusterState",
                format!("Cache cluster {p} already belongs to a replication group."),
            ));
        }
        let tmp = ReplGroup {
            doc: Map::new(),
            cluster_mode: false,
            forming: false,
            form_started: false,
            reshard: None,
            rejoining: false,
            groups: vec![NodeGroup {
                id: "0001".into(),
                slots: None,
                members: vec![p.clone()],
            }],
        };
        settings_of(cx, &tmp)?
    } else {
        ClusterSettings::from_input(cx, &input_eff, "redis")?
    };
    if settings.engine == EngineKind::Memcached {
        return Err(ApiError::invalid_value(
            "Replication groups are supported for the redis and valkey engines only.",
        ));
    }
    let mut groups = vec![];
    if cluster_mode {
        let replicas_default = match limits::int(input, "ReplicasPerNodeGroup") {
            Some(n) => limits::in_range("ReplicasPerNodeGroup", n, 0, limits::MAX_REPLICAS)?,
            None => 1,
        };
        let n = num_groups.max(ngc.len());
        for g in 0..n {
            let conf = ngc.get(g);
            let replicas = match conf.and_then(|c| limits::int(c, "ReplicaCount")) {
                Some(r) => limits::in_range("ReplicaCount", r, 0, limits::MAX_REPLICAS)?,
                None => replicas_default,
            };
            let gid = conf
                .and_then(|c| s(c, "NodeGroupId"))
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{:04}", g + 1));
            let slot = conf
                .and_then(|c| s(c, "Slots"))
                .map(str::to_owned)
                .unwrap_or_else(|| slots(g, n));
            let members: Vec<String> = (0..=replicas)
                .map(|m| member_name(&id, true, &gid, m))
                .collect();
            groups.push(NodeGroup {
                id: gid,
                slots: Some(slot),
                members,
            });
        }
    } else {
        let n = match limits::int(input, "NumCacheClusters") {
            Some(n) => limits::in_range("NumCacheClusters", n, 1, limits::MAX_CACHE_CLUSTERS)?,
            None => 1,
        };
        if auto_failover && n < 2 && primary_existing.is_none() {
            return Err(ApiError::invalid_value(
                "NumCacheClusters must be at least 2 when automatic failover is enabled.",
            ));
        }
        let mut members: Vec<String> = vec![];
        if let Some(p) = &primary_existing {
            members.push(p.clone());
        }
        let mut i = 0;
        while members.len() < n {
            let name = member_name(&id, false, "0001", i);
            i += 1;
            if !members.contains(&name) {
                members.push(name);
            }
        }
        groups.push(NodeGroup {
            id: "0001".into(),
            slots: None,
            members,
        });
    }
    for g in &groups {
        for m in &g.members {
            if primary_existing.as_deref() != Some(m.as_str()) && cx.st.clusters.contains_key(m) {
                return Err(ApiError::new(
                    "CacheClusterAlreadyExists",
                    format!("Cache cluster {m} already exists."),
                ));
            }
        }
    }
    let ug = strings(input, "UserGroupIds");
    for u in &ug {
        if !cx.st.user_groups.contains_key(u) {
            return Err(ApiError::new(
                "UserGroupNotFound",
                format!("User group {u} not found."),
            ));
        }
    }
    if !ug.is_empty() && settings.auth_token.is_some() {
        return Err(ApiError::invalid_combination(
            "AuthToken and UserGroupIds cannot both be specified.",
        ));
    }
    let total: usize = groups.iter().map(|g| g.members.len()).sum();
    if cluster_mode {
        limits::cluster_quota(
            total,
            limits::max_cluster_nodes(settings.engine, &settings.engine_version),
        )?;
    }
    let adopted = usize::from(primary_existing.is_some());
    limits::region_quota(cx.st, total - adopted, cx.max_nodes)?;
    let acl = crate::elasticache::domain::acl::commands_for(cx, &ug);
    let mut az_i = 0;
    for (gi, g) in groups.iter().enumerate() {
        let mut settings_g = settings.shape();
        settings_g.acl = acl.clone();
        settings_g.cluster = cluster_mode;
        if let Some(snap) = s(input, "SnapshotName") {
            settings_g.seed_rdb = Some(crate::elasticache::domain::snapshots::snapshot_file(
                cx, snap, gi,
            )?);
        }
        let primary = g.members[0].clone();
        for (mi, m) in g.members.iter().enumerate() {
            if primary_existing.as_deref() == Some(m.as_str()) {
                if let Some(c) = cx.st.clusters.get_mut(m) {
                    c.doc.insert("ReplicationGroupId".into(), id.clone().into());
                }
                continue;
            }
            let from = if mi == 0 {
                None
            } else {
                Some(primary.as_str())
            };
            start_member(cx, &settings, &settings_g, &id, m, az_i, from)?;
            az_i += 1;
        }
    }
    let mut doc = Map::new();
    doc.insert("ReplicationGroupId".into(), id.clone().into());
    doc.insert(
        "Description".into(),
        s(input, "ReplicationGroupDescription").unwrap_or("").into(),
    );
    doc.insert("Status".into(), "creating".into());
    doc.insert("PendingModifiedValues".into(), json!({}));
    doc.insert(
        "AutomaticFailover".into(),
        if auto_failover { "enabled" } else { "disabled" }.into(),
    );
    doc.insert(
        "MultiAZ".into(),
        if multi_az { "enabled" } else { "disabled" }.into(),
    );
    doc.insert(
        "SnapshotRetentionLimit".into(),
        input["SnapshotRetentionLimit"].as_i64().unwrap_or(0).into(),
    );
    doc.insert(
        "SnapshotWindow".into(),
        s(input, "SnapshotWindow").unwrap_or("06:00-07:00").into(),
    );
    doc.insert("ClusterEnabled".into(), cluster_mode.into());
    doc.insert("CacheNodeType".into(), settings.node_type.clone().into());
    doc.insert(
        "AuthTokenEnabled".into(),
        settings.auth_token.is_some().into(),
    );
    doc.insert("TransitEncryptionEnabled".into(), settings.transit.into());
    doc.insert("AtRestEncryptionEnabled".into(), settings.at_rest.into());
    doc.insert("ARN".into(), cx.arn("replicationgroup", &id).into());
    if !ug.is_empty() {
        for u in &ug {
            if let Some(a) = cx
                .st
                .user_groups
                .get_mut(u)
                .and_then(|g| g["ReplicationGroups"].as_array_mut())
            {
                a.push(id.clone().into());
            }
        }
        doc.insert("UserGroupIds".into(), json!(ug));
    }
    doc.insert(
        "LogDeliveryConfigurations".into(),
        Value::Array(settings.log_delivery.clone()),
    );
    doc.insert("ReplicationGroupCreateTime".into(), now().into());
    doc.insert("DataTiering".into(), "disabled".into());
    doc.insert("AutoMinorVersionUpgrade".into(), settings.auto_minor.into());
    doc.insert("NetworkType".into(), "ipv4".into());
    doc.insert("IpDiscovery".into(), "ipv4".into());
    doc.insert(
        "ClusterMode".into(),
        if cluster_mode { "enabled" } else { "disabled" }.into(),
    );
    doc.insert("Engine".into(), settings.engine.as_str().into());
    if let Some(gid) = &global_id {
        let failover = doc["AutomaticFailover"].clone();
        if let Some(members) = cx
            .globals
            .get_mut(gid)
            .and_then(|g| g["Members"].as_array_mut())
        {
            members.push(
                json!({"ReplicationGroupId": id, "ReplicationGroupRegion": cx.region,
                "Role": "SECONDARY", "AutomaticFailover": failover, "Status": "associated"}),
            );
        }
    }
    let arn = cx.arn("replicationgroup", &id);
    cx.tag_new(&arn, input);
    cx.st.repl_groups.insert(
        id.clone(),
        ReplGroup {
            doc,
            cluster_mode,
            forming: cluster_mode && settings.engine != EngineKind::Memcached,
            form_started: false,
            reshard: None,
            rejoining: false,
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
    if let Some(change) = cache_clusters::auth_change(input)? {
        let members: Vec<String> = cx.st.repl_groups[&id]
            .groups
            .iter()
            .flat_map(|g| g.members.clone())
            .collect();
        for m in &members {
            cache_clusters::set_auth(cx, m, &change);
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            let enabled = !matches!(change, cache_clusters::AuthChange::Delete);
            rg.doc.insert("AuthTokenEnabled".into(), enabled.into());
            rg.doc
                .insert("AuthTokenLastModifiedDate".into(), now().into());
        }
    }
    let rg = cx
        .st
        .repl_groups
        .get_mut(&id)
        .ok_or_else(|| not_found(&id))?;
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
        d.insert(
            "AutomaticFailover".into(),
            if b { "enabled" } else { "disabled" }.into(),
        );
    }
    if let Some(b) = input["MultiAZEnabled"].as_bool() {
        if b && d["AutomaticFailover"] != "enabled" {
            return Err(ApiError::invalid_combination(
                "Multi-AZ requires automatic failover to be enabled.",
            ));
        }
        d.insert(
            "MultiAZ".into(),
            if b { "enabled" } else { "disabled" }.into(),
        );
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
    let mut promoted = None;
    if let Some(p) = s(input, "PrimaryClusterId") {
        let p = p.to_ascii_lowercase();
        if let Some(g) = rg.groups.iter_mut().find(|g| g.members.contains(&p)) {
            g.members.retain(|m| *m != p);
            g.members.insert(0, p);
            promoted = Some(g.members.clone());
        } else {
            return Err(cache_clusters::not_found(&p));
        }
    }
    let add = strings(input, "UserGroupIdsToAdd");
    let remove = strings(input, "UserGroupIdsToRemove");
    let mut acl_groups = None;
    if !add.is_empty() || !remove.is_empty() {
        let mut cur = strings(&Value::Object(d.clone()), "UserGroupIds");
        cur.retain(|g| !remove.contains(g));
        cur.extend(add);
        d.insert("UserGroupIds".into(), json!(cur));
        acl_groups = Some(cur);
    }
    let members: Vec<String> = rg.groups.iter().flat_map(|g| g.members.clone()).collect();
    if let Some(order) = &promoted {
        promote(cx, order);
    }
    if let Some(groups) = &acl_groups {
        let commands = crate::elasticache::domain::acl::commands_for(cx, groups);
        crate::elasticache::domain::acl::push(cx, &id, &commands);
    }
    for m in members {
        if let Some(c) = cx.st.clusters.get_mut(&m) {
            for k in ["SnapshotRetentionLimit", "SnapshotWindow", "CacheNodeType"] {
                if let Some(v) = input.get(k) {
                    c.doc.insert(k.into(), v.clone());
                }
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
    if cx.globals.values().any(|g| {
        g["Members"].as_array().into_iter().flatten().any(|m| {
            m["ReplicationGroupId"] == id.as_str() && m["ReplicationGroupRegion"] == cx.region
        })
    }) {
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
                    c.doc.remove("ReplicationGroupId");
                }
                continue;
            }
            cache_clusters::remove_cluster(cx, m);
        }
    }
    for g in cx.st.user_groups.values_mut() {
        if let Some(a) = g["ReplicationGroups"].as_array_mut() {
            a.retain(|r| r != id.as_str());
        }
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
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn decrease_replica_count(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    require_immediately(input)?;
    require_available(cx, &id)?;
    // AWS answers with the group as it is when the removal starts: every member still
    // listed, the group and its shards modifying.
    let mut before = render(cx, &id);
    before["Status"] = "modifying".into();
    for ng in before["NodeGroups"].as_array_mut().into_iter().flatten() {
        ng["Status"] = "modifying".into();
    }
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
            rg.doc.insert("Status".into(), "modifying".into());
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
    let mut before = render(cx, &id);
    before["Status"] = "modifying".into();
    for ng in before["NodeGroups"].as_array_mut().into_iter().flatten() {
        ng["Status"] = "modifying".into();
    }
    if want == 0 || want == have {
        return Err(ApiError::invalid_value(format!(
            "NodeGroupCount {want} must differ from the current count {have} and be at least 1."
        )));
    }
    if want < have {
        let mut remove = strings(input, "NodeGroupsToRemove");
        let retain = strings(input, "NodeGroupsToRetain");
        if remove.is_empty() && retain.is_empty() {
            return Err(ApiError::invalid_value(
                "NodeGroupsToRemove or NodeGroupsToRetain is required when decreasing the node group count.",
            ));
        }
        if remove.is_empty() {
            remove = cx.st.repl_groups[&id]
                .groups
                .iter()
                .filter(|g| !retain.contains(&g.id))
                .map(|g| g.id.clone())
                .collect();
        }
        if have - remove.len() != want {
            return Err(ApiError::invalid_value(
                "The node groups to remove do not match NodeGroupCount.",
            ));
        }
        let doomed: Vec<String> = cx.st.repl_groups[&id]
            .groups
            .iter()
            .filter(|g| remove.contains(&g.id))
            .flat_map(|g| g.members.clone())
            .collect();
        // Their processes keep serving until their slots have moved to the remaining shards.
        let mut retiring = vec![];
        for m in doomed {
            if let Some(run) = cx
                .st
                .clusters
                .get_mut(&m)
                .and_then(|c| c.nodes.first_mut())
                .and_then(|n| n.run.take())
            {
                retiring.push(run);
            }
            cache_clusters::remove_cluster(cx, &m);
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            rg.reshard = Some(crate::elasticache::state::Reshard {
                retiring,
                started: false,
            });
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            rg.groups.retain(|g| !remove.contains(&g.id));
        }
    } else {
        let settings = settings_of(cx, &cx.st.repl_groups[&id])?;
        let replicas = cx.st.repl_groups[&id].groups[0]
            .members
            .len()
            .saturating_sub(1);
        let existing: usize = cx.st.repl_groups[&id]
            .groups
            .iter()
            .map(|g| g.members.len())
            .sum();
        let adding = (want - have) * (replicas + 1);
        limits::cluster_quota(
            existing + adding,
            limits::max_cluster_nodes(settings.engine, &settings.engine_version),
        )?;
        limits::region_quota(cx.st, adding, cx.max_nodes)?;
        let mut next = have;
        let mut added = vec![];
        while have + added.len() < want {
            let gid = format!("{:04}", next + 1);
            if cx.st.repl_groups[&id].groups.iter().any(|g| g.id == gid) {
                next += 1;
                continue;
            }
            let members: Vec<String> = (0..=replicas)
                .map(|m| member_name(&id, true, &gid, m))
                .collect();
            for (mi, m) in members.iter().enumerate() {
                let from = if mi == 0 {
                    None
                } else {
                    Some(members[0].clone())
                };
                start_member(
                    cx,
                    &settings,
                    &settings.shape(),
                    &id,
                    m,
                    mi,
                    from.as_deref(),
                )?;
            }
            added.push(NodeGroup {
                id: gid,
                slots: None,
                members,
            });
            next += 1;
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            rg.groups.extend(added);
            rg.reshard = Some(crate::elasticache::state::Reshard::default());
        }
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        let n = rg.groups.len();
        for (i, g) in rg.groups.iter_mut().enumerate() {
            g.slots = Some(slots(i, n));
        }
        rg.doc.insert("Status".into(), "modifying".into());
    }
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
    if rg.doc["AutomaticFailover"] != "enabled" {
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
    g.members.push(old);
    let order = g.members.clone();
    promote(cx, &order);
    cx.st.event(
        &id,
        "replication-group",
        format!("Test Failover API called for node group {gid}"),
    );
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}
