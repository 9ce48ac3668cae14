//! Replication groups: member clusters named as AWS names them (`<rg>-001` without cluster
//! mode, `<rg>-0001-001` with it); replicas run `--replicaof` their node group's primary.

use serde_json::{json, Map, Value};

use super::clusters::{self, check_id, start_nodes, ClusterSettings, NodeShape};
use super::error::{ApiError, ApiResult};
use super::limits;
use super::runtime::EngineKind;
use super::state::{now, s, strings, Cluster, Cx, NodeGroup, ReplGroup};

pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        "ReplicationGroupNotFoundFault",
        format!("ReplicationGroup {id} not found."),
    )
}

fn key(cx: &Cx, id: &str) -> ApiResult<String> {
    let k = id.to_ascii_lowercase();
    if cx.st.repl_groups.contains_key(&k) {
        Ok(k)
    } else {
        Err(not_found(id))
    }
}

/// Evenly split hash slots over `n` shards: "0-5461", "5462-10922", ...
fn slots(i: usize, n: usize) -> String {
    let start = 16384 * i / n;
    let end = 16384 * (i + 1) / n - 1;
    format!("{start}-{end}")
}

/// Member clusters are named after their node group id: `<rg>-<group>-<member>`.
fn member_name(rg: &str, cluster_mode: bool, group: &str, member: usize) -> String {
    if cluster_mode {
        format!("{rg}-{group}-{:03}", member + 1)
    } else {
        format!("{rg}-{:03}", member + 1)
    }
}

/// Starts one member cluster (one node) of a group, replicating from `primary` if given.
fn start_member(
    cx: &mut Cx,
    settings: &ClusterSettings,
    shape: &NodeShape,
    rg: &str,
    cluster_id: &str,
    az_index: usize,
    primary: Option<&str>,
) -> ApiResult<()> {
    let primary_addr = primary.and_then(|p| {
        cx.st
            .clusters
            .get(p)
            .and_then(|c| c.nodes.first())
            .and_then(|n| n.addr)
    });
    let az = cx.az(az_index);
    let doc = settings.cluster_doc(cx, cluster_id, 1, &az, Some(rg));
    let mut shape = shape.clone();
    if let Some(g) = cx.st.repl_groups.get(rg) {
        shape.cluster = g.cluster_mode;
    }
    if shape.acl.is_empty() {
        if let Some(g) = cx.st.repl_groups.get(rg) {
            let groups = super::acl::groups_of(&g.doc);
            shape.acl = super::acl::commands_for(cx, &groups);
        }
    }
    let nodes = start_nodes(cx, cluster_id, &shape, 0, 1, primary_addr)?;
    cx.st.clusters.insert(
        cluster_id.to_string(),
        Cluster {
            doc,
            engine: settings.engine,
            port: settings.port,
            auth_token: settings.auth_token.clone(),
            nodes,
        },
    );
    Ok(())
}

/// Settings of an existing group, to start more members like the first.
fn settings_of(cx: &Cx, rg: &ReplGroup) -> ApiResult<ClusterSettings> {
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
    // As a Value, a field the first member lacks (a memcached cluster has no SnapshotWindow)
    // reads as null instead of panicking.
    let d = &Value::Object(first.doc.clone());
    let mut input = json!({
        "Engine": d["Engine"], "EngineVersion": d["EngineVersion"], "CacheNodeType": d["CacheNodeType"],
        "CacheParameterGroupName": d["CacheParameterGroup"]["CacheParameterGroupName"],
        "CacheSubnetGroupName": d["CacheSubnetGroupName"], "Port": first.port,
        "TransitEncryptionEnabled": d["TransitEncryptionEnabled"],
        "AtRestEncryptionEnabled": d["AtRestEncryptionEnabled"],
        "PreferredMaintenanceWindow": d["PreferredMaintenanceWindow"],
        "SnapshotWindow": d["SnapshotWindow"],
    });
    if let Some(t) = &first.auth_token {
        input["AuthToken"] = t.clone().into();
    }
    ClusterSettings::from_input(cx, &input, "redis")
}

pub fn create(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
            .ok_or_else(|| clusters::not_found(p))?;
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
    let acl = super::acl::commands_for(cx, &ug);
    let mut az_i = 0;
    for (gi, g) in groups.iter().enumerate() {
        let mut settings_g = settings.shape();
        settings_g.acl = acl.clone();
        settings_g.cluster = cluster_mode;
        if let Some(snap) = s(input, "SnapshotName") {
            settings_g.seed_rdb = Some(super::handlers::snapshot_file(cx, snap, gi)?);
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
    start_member(
        cx,
        &settings,
        &settings.shape(),
        &rg_key,
        id,
        n,
        Some(&primary),
    )?;
    if let Some(g) = cx.st.repl_groups.get_mut(&rg_key) {
        g.groups[0].members.push(id.to_string());
        g.doc.insert("Status".into(), "modifying".into());
    }
    Ok(json!({"CacheCluster": clusters::render(cx, id, false)}))
}

fn endpoint(cx: &Cx, cluster: &str) -> Option<Value> {
    let a = cx.st.clusters.get(cluster)?.nodes.first()?.addr?;
    Some(json!({"Address": a.ip().to_string(), "Port": a.port()}))
}

pub fn render(cx: &Cx, id: &str) -> Value {
    let Some(rg) = cx.st.repl_groups.get(id) else {
        return Value::Null;
    };
    let mut d = rg.doc.clone();
    let status = d["Status"].clone();
    let members: Vec<Value> = rg
        .groups
        .iter()
        .flat_map(|g| g.members.iter().cloned())
        .map(Value::from)
        .collect();
    let mut sorted = members.clone();
    sorted.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    d.insert("MemberClusters".into(), Value::Array(sorted));
    let groups: Vec<Value> = rg
        .groups
        .iter()
        .map(|g| {
            let mut o = Map::new();
            o.insert("NodeGroupId".into(), g.id.clone().into());
            let settled = g.members.iter().all(|m| {
                cx.st
                    .clusters
                    .get(m)
                    .is_some_and(|c| c.doc["CacheClusterStatus"] == "available")
            });
            let ng_status = if settled {
                "available".into()
            } else if status == "creating" {
                status.clone()
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
            // A replica being added to a live shard is listed in MemberClusters at once but
            // among the shard's members only once it exists (AWS's IncreaseReplicaCount answer
            // shows the members from before the call).
            let status_of = |m: &String| {
                cx.st
                    .clusters
                    .get(m)
                    .map(|c| c.doc["CacheClusterStatus"].clone())
            };
            let shard_live = g
                .members
                .first()
                .is_some_and(|p| status_of(p).is_some_and(|st| st != "creating"));
            let nm: Vec<Value> = g
                .members
                .iter()
                .enumerate()
                .filter(|(i, m)| {
                    *i == 0 || !shard_live || status_of(m).is_none_or(|st| st != "creating")
                })
                .map(|(i, m)| {
                    let az = cx
                        .st
                        .clusters
                        .get(m)
                        .map(|c| c.doc["PreferredAvailabilityZone"].clone())
                        .unwrap_or(Value::Null);
                    let mut v = json!({"CacheClusterId": m, "CacheNodeId": "0001", "PreferredAvailabilityZone": az});
                    if !rg.cluster_mode {
                        if let Some(e) = endpoint(cx, m) {
                            v["ReadEndpoint"] = e;
                        }
                        v["CurrentRole"] = if i == 0 { "primary" } else { "replica" }.into();
                    }
                    v
                })
                .collect();
            o.insert("NodeGroupMembers".into(), Value::Array(nm));
            Value::Object(o)
        })
        .collect();
    d.insert("NodeGroups".into(), Value::Array(groups));
    if !rg.cluster_mode && rg.doc["SnapshotRetentionLimit"].as_i64().unwrap_or(0) > 0 {
        // Automatic backups are taken from a replica when there is one.
        if let Some(g) = rg.groups.first() {
            if let Some(m) = g.members.get(1).or(g.members.first()) {
                d.insert("SnapshottingClusterId".into(), m.clone().into());
            }
        }
    }
    d.insert("GlobalReplicationGroupInfo".into(), json!({}));
    if rg.cluster_mode {
        if let Some(e) = rg
            .groups
            .first()
            .and_then(|g| g.members.first())
            .and_then(|m| endpoint(cx, m))
        {
            d.insert("ConfigurationEndpoint".into(), e);
        }
    }
    let is_me =
        |m: &Value| m["ReplicationGroupId"] == id && m["ReplicationGroupRegion"] == cx.region;
    if let Some(g) = cx
        .globals
        .values()
        .find(|g| g["Members"].as_array().into_iter().flatten().any(is_me))
    {
        let role = g["Members"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| is_me(m))
            .map(|m| m["Role"].clone())
            .unwrap_or(Value::Null);
        d.insert(
            "GlobalReplicationGroupInfo".into(),
            json!({"GlobalReplicationGroupId": g["GlobalReplicationGroupId"], "GlobalReplicationGroupMemberRole": role}),
        );
    }
    Value::Object(d)
}

pub fn describe(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let ids: Vec<String> = match s(input, "ReplicationGroupId") {
        Some(id) => vec![key(cx, id)?],
        None => cx.st.repl_groups.keys().cloned().collect(),
    };
    let list = ids.iter().map(|id| render(cx, id)).collect();
    let (page, marker) = clusters::paginate(list, input)?;
    Ok(json!({"ReplicationGroups": page, "Marker": marker}))
}

fn require_available(cx: &Cx, id: &str) -> ApiResult<()> {
    let st = cx.st.repl_groups[id].doc["Status"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if st != "available" {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            format!("Replication group {id} is not in available state (current state: {st})."),
        ));
    }
    Ok(())
}

pub fn modify(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if let Some(change) = clusters::auth_change(input)? {
        let members: Vec<String> = cx.st.repl_groups[&id]
            .groups
            .iter()
            .flat_map(|g| g.members.clone())
            .collect();
        for m in &members {
            clusters::set_auth(cx, m, &change);
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            let enabled = !matches!(change, clusters::AuthChange::Delete);
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
            return Err(clusters::not_found(&p));
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
        let commands = super::acl::commands_for(cx, groups);
        super::acl::push(cx, &id, &commands);
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

pub fn delete(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    let retain = input["RetainPrimaryCluster"].as_bool().unwrap_or(false);
    if let Some(snap) = s(input, "FinalSnapshotIdentifier") {
        super::handlers::snapshot_of_group(cx, &id, snap, "manual")?;
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
        super::auto_snapshots::drop_for(cx, rid);
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
            clusters::remove_cluster(cx, m);
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

fn require_immediately(input: &Value) -> ApiResult<()> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value(
            "ApplyImmediately must be true for this operation.",
        ));
    }
    Ok(())
}

/// Adds or removes replicas so that each named (or every) node group has `want` replicas.
fn set_replicas(cx: &mut Cx, id: &str, group: Option<&str>, want: usize) -> ApiResult<()> {
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
        let have = g.members.len() - 1;
        if want > have {
            let primary = g.members[0].clone();
            let mut i = 0;
            while g.members.len() - 1 < want {
                let name = member_name(id, cluster_mode, &g.id, i);
                i += 1;
                if g.members.contains(&name) || cx.st.clusters.contains_key(&name) {
                    continue;
                }
                start_member(
                    cx,
                    &settings,
                    &settings.shape(),
                    id,
                    &name,
                    g.members.len(),
                    Some(&primary),
                )?;
                g.members.push(name);
            }
        } else {
            while g.members.len() - 1 > want {
                if let Some(m) = g.members.pop() {
                    clusters::remove_cluster(cx, &m);
                }
            }
        }
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(id) {
        rg.groups = new_groups;
        rg.doc.insert("Status".into(), "modifying".into());
    }
    cx.settle.push(id.to_string());
    Ok(())
}

pub fn increase_replicas(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    require_immediately(input)?;
    require_available(cx, &id)?;
    apply_replica_change(cx, &id, input, true)?;
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn decrease_replicas(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
            clusters::remove_cluster(cx, r);
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

fn apply_replica_change(cx: &mut Cx, id: &str, input: &Value, increase: bool) -> ApiResult<()> {
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
            .map(|g| g.members.len() - 1)
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
            .map(|g| n.saturating_sub(g.members.len() - 1))
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
            adding += n.saturating_sub(g.members.len() - 1);
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

pub fn modify_shards(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
            clusters::remove_cluster(cx, &m);
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            rg.reshard = Some(super::state::Reshard {
                retiring,
                started: false,
            });
        }
        if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
            rg.groups.retain(|g| !remove.contains(&g.id));
        }
    } else {
        let settings = settings_of(cx, &cx.st.repl_groups[&id])?;
        let replicas = cx.st.repl_groups[&id].groups[0].members.len() - 1;
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
            rg.reshard = Some(super::state::Reshard::default());
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

/// Makes the first member's node the primary (REPLICAOF NO ONE) and points every other
/// member's node at it.
fn promote(cx: &Cx, members: &[String]) {
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
        .and_then(|c| c.doc.get("ReplicationGroupId"))
        .and_then(Value::as_str)
        .and_then(|rg| cx.st.repl_groups.get(rg))
        .is_some_and(|g| g.cluster_mode && !g.forming);
    if cluster_mode {
        // Cluster nodes refuse REPLICAOF: the replica takes over its primary's slots.
        let alive = |m: &String| {
            cx.st
                .clusters
                .get(m)
                .and_then(|c| c.nodes.first())
                .and_then(|n| n.run.as_ref())
                .is_some_and(|r| r.is_alive())
        };
        let others_alive = members[1..].iter().all(alive);
        if let Err(e) = super::cluster::failover(primary, auth.as_deref(), others_alive) {
            tracing::warn!("cluster failover to {primary}: {e}");
        }
        for m in members[1..].iter().filter(|m| alive(m)) {
            if let Some((addr, auth)) = node(m) {
                let _ = super::cluster::follow(addr, primary, auth.as_deref());
            }
        }
        return;
    }
    super::engine::command(primary, auth.as_deref(), &["REPLICAOF", "NO", "ONE"]);
    let (ip, port) = (primary.ip().to_string(), primary.port().to_string());
    for m in &members[1..] {
        if let Some((addr, auth)) = node(m) {
            super::engine::command(addr, auth.as_deref(), &["REPLICAOF", &ip, &port]);
        }
    }
}

/// Automatic failover, run periodically: in every available group with AutomaticFailover
/// enabled whose primary process is gone, promotes the replica that has replicated the most
/// (so writes it acknowledged survive), and replaces the failed node with a fresh replica.
pub fn auto_failover(cx: &mut Cx) {
    let mut work = vec![];
    for (rid, rg) in &cx.st.repl_groups {
        if rg.doc["AutomaticFailover"] != "enabled" || rg.doc["Status"] != "available" {
            continue;
        }
        for g in &rg.groups {
            let dead = |m: &String| {
                cx.st
                    .clusters
                    .get(m)
                    .and_then(|c| c.nodes.first())
                    .and_then(|n| n.run.as_ref())
                    .is_some_and(|r| !r.is_alive())
            };
            let Some(primary) = g.members.first() else {
                continue;
            };
            if !dead(primary) {
                continue;
            }
            let best = g.members[1..]
                .iter()
                .filter(|m| !dead(m))
                .filter_map(|m| {
                    let c = cx.st.clusters.get(m)?;
                    let addr = c.nodes.first()?.addr?;
                    let offset = super::engine::info_field(
                        addr,
                        c.auth_token.as_deref(),
                        "replication",
                        "slave_repl_offset",
                    )
                    .unwrap_or(0);
                    Some((offset, m.clone()))
                })
                .max_by_key(|(offset, _)| *offset);
            if let Some((_, chosen)) = best {
                work.push((rid.clone(), g.id.clone(), primary.clone(), chosen));
            }
        }
    }
    for (rid, gid, old, chosen) in work {
        let order = {
            let Some(g) = cx
                .st
                .repl_groups
                .get_mut(&rid)
                .and_then(|rg| rg.groups.iter_mut().find(|g| g.id == gid))
            else {
                continue;
            };
            g.members.retain(|m| *m != chosen && *m != old);
            g.members.insert(0, chosen.clone());
            g.members.push(old.clone());
            g.members.clone()
        };
        promote(cx, &order);
        cx.st.event(
            &rid,
            "replication-group",
            format!("Failover from primary node {old} to replica node {chosen} completed"),
        );
        replace_failed(cx, &rid, &old, &chosen);
    }
}

/// Starts a fresh process for a failed member, replicating from the group's new primary.
fn replace_failed(cx: &mut Cx, rg: &str, failed: &str, primary: &str) {
    let Some(c) = cx.st.clusters.get(failed) else {
        return;
    };
    let mut shape = NodeShape::of(c);
    if let Some(g) = cx.st.repl_groups.get(rg) {
        shape.cluster = g.cluster_mode;
        let groups = super::acl::groups_of(&g.doc);
        shape.acl = super::acl::commands_for(cx, &groups);
    }
    let primary_addr = cx
        .st
        .clusters
        .get(primary)
        .and_then(|c| c.nodes.first())
        .and_then(|n| n.addr);
    let Ok(mut fresh) = start_nodes(cx, failed, &shape, 0, 1, primary_addr) else {
        cx.st.event(
            failed,
            "cache-cluster",
            "Cache node 0001 could not be replaced",
        );
        return;
    };
    let Some(c) = cx.st.clusters.get_mut(failed) else {
        return;
    };
    if let Some(n) = c.nodes.first_mut() {
        if let Some(old) = n.run.take() {
            cx.doomed.push(old);
        }
        let mut node = fresh.remove(0);
        node.created = n.created.clone();
        *n = node;
    }
    cx.st
        .event(failed, "cache-cluster", "Recovering cache nodes 0001");
}

pub fn start_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if cx.st.migrating.contains_key(&id) {
        return Err(ApiError::new(
            "ReplicationGroupAlreadyUnderMigrationFault",
            format!("Replication group {id} is already under migration."),
        ));
    }
    require_available(cx, &id)?;
    cx.st
        .migrating
        .insert(id.clone(), input["CustomerNodeEndpointList"].clone());
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        rg.doc.insert("Status".into(), "modifying".into());
    }
    cx.st.event(&id, "replication-group", "Migration started");
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn test_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if cx.st.migrating.contains_key(&id) {
        return Err(ApiError::new(
            "ReplicationGroupAlreadyUnderMigrationFault",
            format!("Replication group {id} is already under migration."),
        ));
    }
    require_available(cx, &id)?;
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn complete_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if cx.st.migrating.remove(&id).is_none() {
        return Err(ApiError::new(
            "ReplicationGroupNotUnderMigrationFault",
            format!("Replication group {id} is not under migration."),
        ));
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        rg.doc.insert("Status".into(), "available".into());
    }
    cx.st.event(&id, "replication-group", "Migration completed");
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
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
