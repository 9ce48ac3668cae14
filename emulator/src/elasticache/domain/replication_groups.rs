//! Replication groups: member clusters named as AWS names them (`<rg>-001` without cluster
//! mode, `<rg>-0001-001` with it); replicas run `--replicaof` their node group's primary.

use serde_json::{json, Map, Value};

use crate::elasticache::domain::cache_clusters::{self, start_nodes, NodeShape};
use crate::elasticache::domain::cluster_settings::ClusterSettings;
use crate::elasticache::domain::{limits, regions};
use crate::elasticache::effects::{Effect, Promotion};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{
    s, Cluster, ClusterStatus, Cx, GroupStatus, NodeGroup, ReplGroup, Switch,
};

pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        "ReplicationGroupNotFoundFault",
        format!("ReplicationGroup {id} not found."),
    )
}

pub(crate) fn key(cx: &Cx, id: &str) -> ApiResult<String> {
    let k = id.to_ascii_lowercase();
    if cx.st.repl_groups.contains_key(&k) {
        Ok(k)
    } else {
        Err(not_found(id))
    }
}

/// Evenly split hash slots over `n` shards: "0-5461", "5462-10922", ...
pub(crate) fn slots(i: usize, n: usize) -> String {
    let start = 16384 * i / n;
    let end = 16384 * (i + 1) / n - 1;
    format!("{start}-{end}")
}

/// Member clusters are named after their node group id: `<rg>-<group>-<member>`.
pub(crate) fn member_name(rg: &str, cluster_mode: bool, group: &str, member: usize) -> String {
    if cluster_mode {
        format!("{rg}-{group}-{:03}", member + 1)
    } else {
        format!("{rg}-{:03}", member + 1)
    }
}

/// Starts one member cluster (one node) of a group, replicating from `primary` if given.
pub(crate) fn start_member(
    cx: &mut Cx,
    settings: &ClusterSettings,
    shape: &NodeShape,
    rg: &str,
    cluster_id: &str,
    az: &str,
    primary: Option<&str>,
) -> ApiResult<()> {
    let primary_addr = primary.and_then(|p| {
        cx.st
            .clusters
            .get(p)
            .and_then(|c| c.nodes.first())
            .and_then(|n| n.addr)
    });
    let rec = settings.cluster_record(cx, cluster_id, az, Some(rg));
    let mut shape = shape.clone();
    if let Some(g) = cx.st.repl_groups.get(rg) {
        shape.cluster = g.cluster_mode;
    }
    if shape.acl.is_empty() {
        if let Some(g) = cx.st.repl_groups.get(rg) {
            shape.acl = crate::elasticache::domain::acl::commands_for(cx, g.rec.user_groups());
        }
    }
    let nodes = start_nodes(cx, cluster_id, &shape, 0, 1, primary_addr)?;
    cx.st.clusters.insert(
        cluster_id.to_string(),
        Cluster {
            rec,
            engine: settings.engine,
            port: settings.port,
            auth_token: settings.auth_token.clone(),
            nodes,
        },
    );
    Ok(())
}

/// Settings of an existing group, to start more members like the first.
pub(crate) fn settings_of(cx: &Cx, rg: &ReplGroup) -> ApiResult<ClusterSettings> {
    let first = rg
        .groups
        .iter()
        .flat_map(|g| g.members.first())
        .next()
        .and_then(|m| cx.st.clusters.get(m))
        .ok_or_else(|| {
            ApiError::new(
                "InvalidReplicationGroupState",
                "Replication group has no member clusters.",
            )
        })?;
    settings_of_cluster(cx, first)
}

/// Settings of an existing cluster, to start more like it.
pub(crate) fn settings_of_cluster(cx: &Cx, first: &Cluster) -> ApiResult<ClusterSettings> {
    let d = &first.rec;
    let mut input = json!({
        "Engine": first.engine.as_str(),
        "EngineVersion": crate::elasticache::domain::versions::requestable(first.engine, &d.engine_version),
        "CacheNodeType": d.cache_node_type,
        "CacheParameterGroupName": d.cache_parameter_group.cache_parameter_group_name,
        "CacheSubnetGroupName": d.cache_subnet_group_name, "Port": first.port,
        "TransitEncryptionEnabled": d.transit_encryption_enabled,
        "AtRestEncryptionEnabled": d.at_rest_encryption_enabled,
        "PreferredMaintenanceWindow": d.preferred_maintenance_window,
        "SnapshotWindow": d.snapshot_window,
    });
    if let Some(t) = &first.auth_token {
        input["AuthToken"] = t.clone().into();
    }
    ClusterSettings::from_input(cx, &input, "redis")
}

/// Adds a standalone cluster as a read replica of an existing (non-cluster-mode) group.
pub fn add_replica_cluster(cx: &mut Cx, id: &str, rg_id: &str, _input: &Value) -> ApiResult<Value> {
    let rg_key = key(cx, rg_id)?;
    let rg = &cx.st.repl_groups[&rg_key];
    if rg.cluster_mode {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            "Cannot add a cache cluster to a cluster-mode enabled replication group.",
        ));
    }
    let settings = settings_of(cx, rg)?;
    let primary = rg.groups[0].members[0].clone();
    let n = rg.groups[0].members.len();
    if n as i64 >= limits::MAX_CACHE_CLUSTERS {
        return Err(ApiError::invalid_value(format!(
            "Replication group {rg_key} already has {n} cache clusters, the most it can have."
        )));
    }
    limits::region_quota(cx.st, 1, cx.max_nodes)?;
    let az = s(_input, "PreferredAvailabilityZone")
        .map(str::to_owned)
        .unwrap_or_else(|| regions::zone(cx.region, n));
    start_member(
        cx,
        &settings,
        &settings.shape(),
        &rg_key,
        id,
        &az,
        Some(&primary),
    )?;
    if let Some(g) = cx.st.repl_groups.get_mut(&rg_key) {
        g.groups[0].members.push(id.to_string());
        g.rec.status = GroupStatus::Modifying;
    }
    Ok(json!({"CacheCluster": cache_clusters::render(cx, id, false)}))
}

pub(crate) fn endpoint(cx: &Cx, cluster: &str) -> Option<Value> {
    let a = cx.st.clusters.get(cluster)?.nodes.first()?.addr?;
    Some(json!({"Address": a.ip().to_string(), "Port": a.port()}))
}

/// The ReplicationGroup shape: the record, the members every group reports alike, and those
/// derived from its members and node groups.
pub fn render(cx: &Cx, id: &str) -> Value {
    let Some(rg) = cx.st.repl_groups.get(id) else {
        return Value::Null;
    };
    let mut d = record_doc(rg);
    let mut members: Vec<Value> = rg
        .groups
        .iter()
        .flat_map(|g| g.members.iter().cloned())
        .map(Value::from)
        .collect();
    members.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    d.insert("MemberClusters".into(), Value::Array(members));
    let groups = rg
        .groups
        .iter()
        .map(|g| render_node_group(cx, rg, g))
        .collect();
    d.insert("NodeGroups".into(), Value::Array(groups));
    if !rg.cluster_mode && rg.rec.snapshot_retention_limit > 0 {
        // Automatic backups are taken from a replica when there is one.
        if let Some(g) = rg.groups.first() {
            if let Some(m) = g.members.get(1).or(g.members.first()) {
                d.insert("SnapshottingClusterId".into(), m.clone().into());
            }
        }
    }
    d.insert("GlobalReplicationGroupInfo".into(), global_info(cx, id));
    if rg.cluster_mode {
        // Like AWS's DNS name, the configuration endpoint names a node that serves, and does
        // not move with a failover: the first shard's first-named member whose node runs and
        // answered (a failed node's replacement serves once it has rejoined).
        let serving = |m: &String| {
            cx.st.member_alive(m)
                && cx
                    .st
                    .clusters
                    .get(m)
                    .and_then(|c| c.nodes.first())
                    .is_some_and(|n| {
                        n.status == crate::elasticache::state::NodeStatus::Available
                            && n.on_ready.is_none()
                    })
        };
        if let Some(e) = rg
            .groups
            .first()
            .and_then(|g| {
                let mut named: Vec<&String> = g.members.iter().collect();
                named.sort();
                named.iter().find(|m| serving(m)).or(named.first()).copied()
            })
            .and_then(|m| endpoint(cx, m))
        {
            d.insert("ConfigurationEndpoint".into(), e);
        }
    }
    Value::Object(d)
}

fn cluster_status(cx: &Cx, m: &str) -> Option<ClusterStatus> {
    cx.st.clusters.get(m).map(|c| c.rec.cache_cluster_status)
}

/// One NodeGroup: its status (settled once every member is available), endpoints without
/// cluster mode, slots with it, and its members.
fn render_node_group(cx: &Cx, rg: &ReplGroup, g: &NodeGroup) -> Value {
    let mut o = Map::new();
    o.insert("NodeGroupId".into(), g.id.clone().into());
    let settled = g
        .members
        .iter()
        .all(|m| cluster_status(cx, m) == Some(ClusterStatus::Available));
    let ng_status = if settled {
        "available".into()
    } else if rg.rec.status == GroupStatus::Creating {
        rg.rec.status.as_str().into()
    } else {
        Value::from("modifying")
    };
    o.insert("Status".into(), ng_status);
    if !rg.cluster_mode {
        if let Some(p) = g.members.first().and_then(|p| endpoint(cx, p)) {
            o.insert("PrimaryEndpoint".into(), p);
        }
        let reader = g.members.get(1).or(g.members.first());
        if let Some(r) = reader.and_then(|r| endpoint(cx, r)) {
            o.insert("ReaderEndpoint".into(), r);
        }
    }
    if let Some(sl) = &g.slots {
        o.insert("Slots".into(), sl.clone().into());
    }
    o.insert(
        "NodeGroupMembers".into(),
        Value::Array(render_node_group_members(cx, rg, g)),
    );
    Value::Object(o)
}

/// A replica being added to a live shard is listed in MemberClusters at once but among the
/// shard's members only once it exists (AWS's IncreaseReplicaCount answer shows the members
/// from before the call).
fn render_node_group_members(cx: &Cx, rg: &ReplGroup, g: &NodeGroup) -> Vec<Value> {
    let shard_live = g
        .members
        .first()
        .is_some_and(|p| cluster_status(cx, p).is_some_and(|st| st != ClusterStatus::Creating));
    g.members
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            *i == 0
                || !shard_live
                || cluster_status(cx, m).is_none_or(|st| st != ClusterStatus::Creating)
        })
        .map(|(i, m)| {
            let az = cx
                .st
                .clusters
                .get(m)
                .map(|c| c.rec.preferred_availability_zone.as_str());
            let mut v =
                json!({"CacheClusterId": m, "CacheNodeId": "0001", "PreferredAvailabilityZone": az});
            if !rg.cluster_mode {
                if let Some(e) = endpoint(cx, m) {
                    v["ReadEndpoint"] = e;
                }
                v["CurrentRole"] = if i == 0 { "primary" } else { "replica" }.into();
            }
            v
        })
        .collect()
}

/// The global datastore this group is a member of, and its role there (empty if none).
fn global_info(cx: &Cx, id: &str) -> Value {
    let membership = cx.globals.values().find_map(|g| {
        let m = g.members.iter().find(|m| m.is(id, cx.region))?;
        Some((g, m.role))
    });
    let Some((g, role)) = membership else {
        return json!({});
    };
    json!({"GlobalReplicationGroupId": g.global_replication_group_id, "GlobalReplicationGroupMemberRole": role})
}

/// The group as AWS answers when a change starts: it and its shards `modifying`.
pub fn render_modifying(cx: &Cx, id: &str) -> Value {
    let mut v = render(cx, id);
    v["Status"] = "modifying".into();
    for ng in v["NodeGroups"].as_array_mut().into_iter().flatten() {
        ng["Status"] = "modifying".into();
    }
    v
}

/// The members of the shape that do not depend on the group's members.
pub fn record_doc(rg: &ReplGroup) -> Map<String, Value> {
    let mut d = match json!(rg.rec) {
        Value::Object(d) => d,
        _ => Map::new(),
    };
    d.insert("PendingModifiedValues".into(), json!({}));
    d.insert("ClusterEnabled".into(), rg.cluster_mode.into());
    d.insert("ClusterMode".into(), json!(Switch::from(rg.cluster_mode)));
    d.insert("DataTiering".into(), "disabled".into());
    d.insert("NetworkType".into(), "ipv4".into());
    d.insert("IpDiscovery".into(), "ipv4".into());
    d
}

pub(crate) fn require_available(cx: &Cx, id: &str) -> ApiResult<()> {
    let st = cx.st.repl_groups[id].rec.status;
    if st != GroupStatus::Available {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            format!("Replication group {id} is not in available state (current state: {st})."),
        ));
    }
    Ok(())
}

pub(crate) fn require_immediately(input: &Value) -> ApiResult<()> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value(
            "ApplyImmediately must be true for this operation.",
        ));
    }
    Ok(())
}

/// Adds or removes replicas so that each named (or every) node group has `want` replicas.
pub(crate) fn set_replicas(
    cx: &mut Cx,
    id: &str,
    group: Option<&str>,
    want: usize,
) -> ApiResult<()> {
    let settings = settings_of(cx, &cx.st.repl_groups[id])?;
    let (cluster_mode, groups) = {
        let rg = &cx.st.repl_groups[id];
        (rg.cluster_mode, rg.groups.clone())
    };
    let mut new_groups = groups.clone();
    for g in new_groups.iter_mut() {
        if group.is_some_and(|x| x != g.id) {
            continue;
        }
        let have = g.members.len().saturating_sub(1);
        if want > have {
            let primary = g.members[0].clone();
            let mut i = 0;
            while g.members.len().saturating_sub(1) < want {
                let name = member_name(id, cluster_mode, &g.id, i);
                i += 1;
                if g.members.contains(&name) || cx.st.clusters.contains_key(&name) {
                    continue;
                }
                // A new replica goes to the next zone after its shard's members.
                let az = regions::zone(cx.region, g.members.len());
                start_member(
                    cx,
                    &settings,
                    &settings.shape(),
                    id,
                    &name,
                    &az,
                    Some(&primary),
                )?;
                g.members.push(name);
            }
        } else {
            while g.members.len().saturating_sub(1) > want {
                if let Some(m) = g.members.pop() {
                    cache_clusters::remove_cluster(cx, &m);
                }
            }
        }
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(id) {
        rg.groups = new_groups;
        rg.rec.status = GroupStatus::Modifying;
    }
    cx.settle.push(id.to_string());
    Ok(())
}

pub(crate) fn apply_replica_change(
    cx: &mut Cx,
    id: &str,
    input: &Value,
    increase: bool,
) -> ApiResult<()> {
    let configs = input["ReplicaConfiguration"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(n) = input["NewReplicaCount"].as_i64() {
        if !configs.is_empty() {
            return Err(ApiError::invalid_combination(
                "Either NewReplicaCount or ReplicaConfiguration can be specified, not both.",
            ));
        }
        let n = limits::in_range("NewReplicaCount", n, 0, limits::MAX_REPLICAS)?;
        let cur = cx.st.repl_groups[id]
            .groups
            .iter()
            .map(|g| g.members.len().saturating_sub(1))
            .max()
            .unwrap_or(0);
        if increase && n <= cur || !increase && n >= cur {
            return Err(ApiError::invalid_value(format!(
                "NewReplicaCount {n} must be {} than the current replica count {cur}.",
                if increase { "greater" } else { "less" }
            )));
        }
        let adding: usize = cx.st.repl_groups[id]
            .groups
            .iter()
            .map(|g| n.saturating_sub(g.members.len().saturating_sub(1)))
            .sum();
        limits::region_quota(cx.st, adding, cx.max_nodes)?;
        set_replicas(cx, id, None, n)
    } else if !configs.is_empty() {
        // Every shard's request is checked before any node starts or stops.
        let mut plan = vec![];
        let mut adding = 0;
        for c in configs {
            let gid = s(&c, "NodeGroupId").unwrap_or("").to_string();
            let Some(g) = cx.st.repl_groups[id].groups.iter().find(|g| g.id == gid) else {
                return Err(ApiError::new(
                    "NodeGroupNotFoundFault",
                    format!("Node group {gid} not found."),
                ));
            };
            let n = limits::int(&c, "NewReplicaCount")
                .ok_or_else(|| ApiError::missing("NewReplicaCount"))?;
            let n = limits::in_range("NewReplicaCount", n, 0, limits::MAX_REPLICAS)?;
            adding += n.saturating_sub(g.members.len().saturating_sub(1));
            plan.push((gid, n));
        }
        limits::region_quota(cx.st, adding, cx.max_nodes)?;
        for (gid, n) in plan {
            set_replicas(cx, id, Some(&gid), n)?;
        }
        Ok(())
    } else {
        Err(ApiError::missing("NewReplicaCount"))
    }
}

/// Makes the first member's node the primary (REPLICAOF NO ONE, or a cluster failover) and
/// points every other member's node at it, once the lock is released. `previous` is the
/// member that was primary.
pub(crate) fn promote(cx: &mut Cx, members: &[String], previous: &str) {
    let node = |m: &String| {
        let c = cx.st.clusters.get(m)?;
        Some((c.nodes.first()?.addr?, c.auth_token.clone()))
    };
    let Some((primary, auth)) = members.first().and_then(node) else {
        return;
    };
    let cluster_mode = members
        .first()
        .and_then(|m| cx.st.clusters.get(m))
        .and_then(|c| c.rec.replication_group_id.as_deref())
        .and_then(|rg| cx.st.repl_groups.get(rg))
        .is_some_and(|g| g.cluster_mode && !g.forming);
    let alive = |m: &String| cx.st.member_alive(m);
    let others_alive = members[1..].iter().all(alive);
    // A dead cluster node cannot be told to follow; a plain replica's REPLICAOF just fails.
    let followers = members[1..]
        .iter()
        .filter(|m| !cluster_mode || alive(m))
        .filter_map(node)
        .collect();
    let previous = Some(previous.to_string())
        .filter(|p| members.first() != Some(p) && alive(p))
        .as_ref()
        .and_then(node);
    cx.effects.push(Effect::Promote(Promotion {
        cluster_mode,
        primary,
        auth,
        followers,
        others_alive,
        previous,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_named_as_aws_names_them() {
        assert_eq!(member_name("rg", false, "0001", 0), "rg-001");
        assert_eq!(member_name("rg", false, "0001", 2), "rg-003");
        assert_eq!(member_name("rg", true, "0002", 0), "rg-0002-001");
    }

    #[test]
    fn slots_cover_the_keyspace_without_gaps() {
        assert_eq!(slots(0, 1), "0-16383");
        let parts: Vec<String> = (0..3).map(|i| slots(i, 3)).collect();
        assert_eq!(parts, ["0-5460", "5461-10921", "10922-16383"]);
    }
}
