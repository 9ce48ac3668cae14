//! CreateReplicationGroup's rules, step by step: the mode the group takes, its settings, the
//! layout of its node groups, the checks made before any node starts, and its record.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cluster_settings::ClusterSettings;
use crate::elasticache::domain::global_datastores::global_not_found;
use crate::elasticache::domain::limits;
use crate::elasticache::domain::replication_groups::{
    member_name, settings_of_cluster, slots, start_member,
};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{
    now, s, strings, Cx, GlobalMember, GlobalRole, GroupStatus, MemberStatus, NodeGroup,
    ReplicationGroupRecord, Switch,
};

/// The shape a new group takes from its input.
pub struct CreateMode {
    pub num_groups: usize,
    pub cluster_mode: bool,
    pub auto_failover: bool,
    pub multi_az: bool,
}

/// Checks the counts and switches of the input (in AWS's order) and decides the mode.
pub fn create_mode(input: &Value, ngc: &[Value]) -> ApiResult<CreateMode> {
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
    for c in ngc {
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
    Ok(CreateMode {
        num_groups,
        cluster_mode,
        auto_failover,
        multi_az,
    })
}

/// A secondary of a global datastore takes the datastore's engine and node type (into
/// `input`); a region holds one member of a datastore at most.
pub fn take_global_settings(cx: &Cx, gid: &str, input: &mut Value) -> ApiResult<()> {
    let g = cx.globals.get(gid).ok_or_else(|| global_not_found(gid))?;
    if g.members
        .iter()
        .any(|m| m.replication_group_region == cx.region)
    {
        return Err(ApiError::invalid_value(format!(
            "Global replication group {gid} already has a member in {}.",
            cx.region
        )));
    }
    input["Engine"] = json!(g.engine);
    // The datastore reports the version its primary runs; a member is created naming its minor.
    input["EngineVersion"] = json!(g
        .engine_version
        .as_deref()
        .map(|v| crate::elasticache::domain::versions::requestable(g.engine, v)));
    input["CacheNodeType"] = json!(g.cache_node_type);
    Ok(())
}

/// The settings of the new members: those of an adopted primary, else the input's.
pub fn new_group_settings(
    cx: &Cx,
    input: &Value,
    adopted: Option<&str>,
) -> ApiResult<ClusterSettings> {
    let settings = match adopted {
        Some(p) => {
            let c = cx
                .st
                .clusters
                .get(p)
                .ok_or_else(|| cache_clusters::not_found(p))?;
            if c.rec.replication_group_id.is_some() {
                return Err(ApiError::new(
                    "InvalidCacheClusterState",
                    format!("Cache cluster {p} already belongs to a replication group."),
                ));
            }
            settings_of_cluster(cx, c)?
        }
        None => ClusterSettings::from_input(cx, input, "redis")?,
    };
    if settings.engine == EngineKind::Memcached {
        return Err(ApiError::invalid_value(
            "Replication groups are supported for the redis and valkey engines only.",
        ));
    }
    Ok(settings)
}

/// Cluster mode: `NumNodeGroups` shards (or one per configuration), each a primary and its
/// replicas, the hash slots split evenly unless configured.
pub fn sharded_layout(
    id: &str,
    input: &Value,
    ngc: &[Value],
    num_groups: usize,
) -> ApiResult<Vec<NodeGroup>> {
    let replicas_default = match limits::int(input, "ReplicasPerNodeGroup") {
        Some(n) => limits::in_range("ReplicasPerNodeGroup", n, 0, limits::MAX_REPLICAS)?,
        None => 1,
    };
    let n = num_groups.max(ngc.len());
    let mut groups = vec![];
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
            .map(|m| member_name(id, true, &gid, m))
            .collect();
        groups.push(NodeGroup {
            id: gid,
            slots: Some(slot),
            members,
        });
    }
    Ok(groups)
}

/// Without cluster mode: one node group of `NumCacheClusters` members, an adopted primary first.
pub fn single_shard_layout(
    id: &str,
    input: &Value,
    auto_failover: bool,
    adopted: Option<&str>,
) -> ApiResult<NodeGroup> {
    let n = match limits::int(input, "NumCacheClusters") {
        Some(n) => limits::in_range("NumCacheClusters", n, 1, limits::MAX_CACHE_CLUSTERS)?,
        None => 1,
    };
    if auto_failover && n < 2 && adopted.is_none() {
        return Err(ApiError::invalid_value(
            "NumCacheClusters must be at least 2 when automatic failover is enabled.",
        ));
    }
    let mut members: Vec<String> = adopted.into_iter().map(str::to_owned).collect();
    let mut i = 0;
    while members.len() < n {
        let name = member_name(id, false, "0001", i);
        i += 1;
        if !members.contains(&name) {
            members.push(name);
        }
    }
    Ok(NodeGroup {
        id: "0001".into(),
        slots: None,
        members,
    })
}

/// No new member may take the name of an existing cluster.
pub fn check_members_free(cx: &Cx, groups: &[NodeGroup], adopted: Option<&str>) -> ApiResult<()> {
    for m in groups.iter().flat_map(|g| &g.members) {
        if adopted != Some(m.as_str()) && cx.st.clusters.contains_key(m) {
            return Err(ApiError::new(
                "CacheClusterAlreadyExists",
                format!("Cache cluster {m} already exists."),
            ));
        }
    }
    Ok(())
}

/// The input's user groups, which must exist and exclude an AUTH token.
pub fn user_groups_of(
    cx: &Cx,
    input: &Value,
    settings: &ClusterSettings,
) -> ApiResult<Vec<String>> {
    let ug = strings(input, "UserGroupIds");
    if let Some(u) = ug.iter().find(|u| !cx.st.user_groups.contains_key(*u)) {
        return Err(ApiError::new(
            "UserGroupNotFound",
            format!("User group {u} not found."),
        ));
    }
    if !ug.is_empty() && settings.auth_token.is_some() {
        return Err(ApiError::invalid_combination(
            "AuthToken and UserGroupIds cannot both be specified.",
        ));
    }
    Ok(ug)
}

/// The node quotas: per cluster-mode group, and per account and region.
pub fn check_quotas(
    cx: &Cx,
    groups: &[NodeGroup],
    settings: &ClusterSettings,
    cluster_mode: bool,
    adopted: bool,
) -> ApiResult<()> {
    let total: usize = groups.iter().map(|g| g.members.len()).sum();
    if cluster_mode {
        limits::cluster_quota(
            total,
            limits::max_cluster_nodes(settings.engine, &settings.engine_version),
        )?;
    }
    limits::region_quota(cx.st, total - usize::from(adopted), cx.max_nodes)
}

/// What the members start with.
pub struct Members<'a> {
    pub settings: &'a ClusterSettings,
    pub cluster_mode: bool,
    pub user_groups: &'a [String],
    pub snapshot: Option<&'a str>,
    pub adopted: Option<&'a str>,
    /// Zones the request names per node group, primary first (may be shorter than the group).
    pub zones: Vec<Vec<String>>,
}

/// The zones a create names for each node group's members, primary first:
/// PreferredCacheClusterAZs for a single shard, each NodeGroupConfiguration's
/// PrimaryAvailabilityZone and ReplicaAvailabilityZones in cluster mode.
pub fn named_zones(input: &Value, ngc: &[Value], cluster_mode: bool) -> Vec<Vec<String>> {
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|z| z.as_str().map(str::to_owned))
            .collect()
    };
    if !cluster_mode {
        return vec![list(&input["PreferredCacheClusterAZs"])];
    }
    ngc.iter()
        .map(|g| match g["PrimaryAvailabilityZone"].as_str() {
            Some(p) => std::iter::once(p.to_owned())
                .chain(list(&g["ReplicaAvailabilityZones"]))
                .collect(),
            None => vec![],
        })
        .collect()
}

/// Starts every member of every node group (an adopted primary joins as it is); replicas
/// replicate from their group's primary.
pub fn start_members(cx: &mut Cx, id: &str, groups: &[NodeGroup], m: &Members) -> ApiResult<()> {
    let acl = crate::elasticache::domain::acl::commands_for(cx, m.user_groups);
    for (gi, g) in groups.iter().enumerate() {
        let mut shape = m.settings.shape();
        shape.acl = acl.clone();
        shape.cluster = m.cluster_mode;
        if let Some(snap) = m.snapshot {
            shape.seed_rdb = Some(crate::elasticache::domain::snapshots::snapshot_file(
                cx, snap, gi,
            )?);
        }
        let primary = g.members[0].clone();
        for (mi, name) in g.members.iter().enumerate() {
            if m.adopted == Some(name.as_str()) {
                if let Some(c) = cx.st.clusters.get_mut(name) {
                    c.rec.replication_group_id = Some(id.into());
                }
                continue;
            }
            let from = (mi > 0).then_some(primary.as_str());
            // As AWS places a Multi-AZ group: a shard's members each in another zone
            // (round robin from the shard's own offset), unless the request names them.
            let az = m
                .zones
                .get(gi)
                .and_then(|z| z.get(mi))
                .cloned()
                .unwrap_or_else(|| crate::elasticache::domain::regions::zone(cx.region, gi + mi));
            start_member(cx, m.settings, &shape, id, name, &az, from)?;
        }
    }
    Ok(())
}

/// The new group's record.
pub fn new_group_record(
    cx: &Cx,
    id: &str,
    input: &Value,
    mode: &CreateMode,
    settings: &ClusterSettings,
    user_groups: &[String],
) -> ReplicationGroupRecord {
    ReplicationGroupRecord {
        replication_group_id: id.into(),
        description: s(input, "ReplicationGroupDescription").unwrap_or("").into(),
        status: GroupStatus::Creating,
        automatic_failover: mode.auto_failover.into(),
        multi_az: mode.multi_az.into(),
        snapshot_retention_limit: input["SnapshotRetentionLimit"].as_i64().unwrap_or(0),
        snapshot_window: settings.snapshot_window.clone(),
        cache_node_type: settings.node_type.clone(),
        auth_token_enabled: settings.auth_token.is_some(),
        auth_token_last_modified_date: None,
        transit_encryption_enabled: settings.transit,
        at_rest_encryption_enabled: settings.at_rest,
        arn: cx.arn("replicationgroup", id),
        user_group_ids: (!user_groups.is_empty()).then(|| user_groups.to_vec()),
        log_delivery_configurations: settings.log_delivery.clone(),
        replication_group_create_time: now(),
        auto_minor_version_upgrade: settings.auto_minor,
        engine: settings.engine,
    }
}

/// Each user group lists the replication groups that use it.
pub fn link_user_groups(cx: &mut Cx, id: &str, user_groups: &[String]) {
    for u in user_groups {
        if let Some(g) = cx.st.user_groups.get_mut(u) {
            g.replication_groups.push(id.into());
        }
    }
}

/// Records the new group as the datastore's secondary in this region.
pub fn join_global(cx: &mut Cx, gid: &str, id: &str, auto_failover: bool) {
    let region = cx.region;
    if let Some(g) = cx.globals.get_mut(gid) {
        g.members.push(GlobalMember {
            replication_group_id: id.into(),
            replication_group_region: region.into(),
            role: GlobalRole::Secondary,
            automatic_failover: Switch::from(auto_failover),
            status: MemberStatus::Associated,
        });
    }
}
