//! One handler per operation (dispatch), plus the smaller resource families: snapshots,
//! serverless caches, global datastores, events, tags, reserved nodes, service updates.

use serde_json::{json, Map, Value};

use super::catalog;
use super::clusters::{self};
use super::effects::{Capture, Effect, Launch};
use super::error::{ApiError, ApiResult};
use super::state::{now, s, Cx};
use super::{groups, replication};

// ---- snapshots ----

pub(crate) fn snapshot_exists(cx: &Cx, name: &str) -> ApiResult<()> {
    if cx.st.snapshots.contains_key(name) {
        return Err(ApiError::new(
            "SnapshotAlreadyExistsFault",
            format!("Snapshot {name} already exists."),
        ));
    }
    Ok(())
}

/// A snapshot of a standalone (or member) cluster.
pub fn snapshot_of_cluster(cx: &mut Cx, id: &str, name: &str, source: &str) -> ApiResult<Value> {
    snapshot_exists(cx, name)?;
    let c = clusters::get(cx, id)?;
    if c.engine == super::runtime::EngineKind::Memcached {
        return Err(ApiError::new(
            "SnapshotFeatureNotSupportedFault",
            "Snapshots are not supported for memcached clusters.",
        ));
    }
    let d = &c.doc;
    let mut snap = Map::new();
    snap.insert("SnapshotName".into(), name.into());
    snap.insert("CacheClusterId".into(), d["CacheClusterId"].clone());
    if let Some(rg) = d.get("ReplicationGroupId") {
        snap.insert("ReplicationGroupId".into(), rg.clone());
    }
    snap.insert("SnapshotStatus".into(), "creating".into());
    snap.insert("SnapshotSource".into(), source.into());
    for k in [
        "CacheNodeType",
        "Engine",
        "EngineVersion",
        "NumCacheNodes",
        "PreferredAvailabilityZone",
        "CacheClusterCreateTime",
        "PreferredMaintenanceWindow",
    ] {
        snap.insert(k.into(), d[k].clone());
    }
    if let Some(t) = d.get("NotificationConfiguration") {
        snap.insert("TopicArn".into(), t["TopicArn"].clone());
    }
    snap.insert("Port".into(), c.port.into());
    snap.insert(
        "CacheParameterGroupName".into(),
        d["CacheParameterGroup"]["CacheParameterGroupName"].clone(),
    );
    snap.insert(
        "CacheSubnetGroupName".into(),
        d["CacheSubnetGroupName"].clone(),
    );
    snap.insert("VpcId".into(), vpc(cx));
    for k in [
        "AutoMinorVersionUpgrade",
        "SnapshotRetentionLimit",
        "SnapshotWindow",
    ] {
        snap.insert(k.into(), d[k].clone());
    }
    let nodes: Vec<Value> = c
        .nodes
        .iter()
        .map(|n| json!({"CacheNodeId": n.id, "CacheSize": "", "CacheNodeCreateTime": n.created, "SnapshotCreateTime": now()}))
        .collect();
    snap.insert("NodeSnapshots".into(), Value::Array(nodes));
    snap.insert("ARN".into(), cx.arn("snapshot", name).into());
    snap.insert("DataTiering".into(), "disabled".into());
    let captures: Vec<Capture> = c
        .nodes
        .iter()
        .take(1)
        .map(|n| Capture {
            group: "0001".to_string(),
            index: 0,
            addr: n.addr,
            auth: c.auth_token.clone(),
            data_dir: n.run.as_ref().map(|r| r.data_dir.clone()),
        })
        .collect();
    store_snapshot(cx, name, snap, captures)
}

pub(crate) fn vpc(cx: &Cx) -> Value {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}/{}", cx.account, cx.region));
    Value::String(format!("vpc-{}", &hex::encode(h)[..8]))
}

/// Where a snapshot's RDB files live: one `<node group>.rdb` per captured node.
pub(crate) fn snapshot_dir(cx: &Cx, name: &str) -> std::path::PathBuf {
    cx.dir("snapshots").join(name)
}

/// Drops a snapshot and its RDB files.
pub fn remove_snapshot(cx: &mut Cx, name: &str) -> Option<Value> {
    let snap = cx.st.snapshots.remove(name)?;
    let _ = std::fs::remove_dir_all(snapshot_dir(cx, name));
    Some(snap)
}

/// The RDB file of node group `index` of a snapshot (the first one if it has fewer).
pub fn snapshot_file(cx: &Cx, name: &str, index: usize) -> ApiResult<std::path::PathBuf> {
    if !cx.st.snapshots.contains_key(name) {
        return Err(snap_not_found(name));
    }
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(snapshot_dir(cx, name))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.get(index).or(files.first()).cloned().ok_or_else(|| {
        ApiError::new(
            "InvalidSnapshotState",
            format!("Snapshot {name} holds no data to restore."),
        )
    })
}

/// Records a snapshot as `creating` and the capture of its nodes (SAVE, then a copy of each
/// dump.rdb), which `jobs` runs once the lock is released and which makes it available.
pub(crate) fn store_snapshot(
    cx: &mut Cx,
    name: &str,
    snap: Map<String, Value>,
    captures: Vec<Capture>,
) -> ApiResult<Value> {
    // While a snapshot is being created AWS reports an empty CacheSize.
    let mut out = Value::Object(snap.clone());
    for n in out["NodeSnapshots"].as_array_mut().into_iter().flatten() {
        if let Some(o) = n.as_object_mut() {
            o.remove("SnapshotCreateTime");
        }
    }
    cx.effects.push(Effect::Snapshot {
        name: name.to_string(),
        dir: snapshot_dir(cx, name),
        captures,
    });
    cx.st
        .snapshots
        .insert(name.to_string(), Value::Object(snap));
    cx.st
        .event(name, "cache-cluster", format!("Snapshot {name} created"));
    Ok(out)
}

/// A snapshot of a whole replication group (one node snapshot per node group primary).
pub fn snapshot_of_group(cx: &mut Cx, id: &str, name: &str, source: &str) -> ApiResult<Value> {
    snapshot_exists(cx, name)?;
    let rg = cx
        .st
        .repl_groups
        .get(id)
        .ok_or_else(|| replication::not_found(id))?;
    let first = rg
        .groups
        .first()
        .and_then(|g| g.members.first())
        .and_then(|m| cx.st.clusters.get(m))
        .ok_or_else(|| ApiError::new("InvalidReplicationGroupState", "No member clusters"))?;
    let d = &first.doc;
    let mut snap = Map::new();
    snap.insert("SnapshotName".into(), name.into());
    snap.insert("ReplicationGroupId".into(), id.into());
    snap.insert(
        "ReplicationGroupDescription".into(),
        rg.doc["Description"].clone(),
    );
    snap.insert("SnapshotStatus".into(), "creating".into());
    snap.insert("SnapshotSource".into(), source.into());
    for k in [
        "CacheNodeType",
        "Engine",
        "EngineVersion",
        "PreferredMaintenanceWindow",
    ] {
        snap.insert(k.into(), d[k].clone());
    }
    snap.insert("Port".into(), first.port.into());
    snap.insert(
        "CacheParameterGroupName".into(),
        d["CacheParameterGroup"]["CacheParameterGroupName"].clone(),
    );
    snap.insert(
        "CacheSubnetGroupName".into(),
        d["CacheSubnetGroupName"].clone(),
    );
    snap.insert("VpcId".into(), vpc(cx));
    snap.insert(
        "AutoMinorVersionUpgrade".into(),
        d["AutoMinorVersionUpgrade"].clone(),
    );
    snap.insert(
        "SnapshotRetentionLimit".into(),
        rg.doc["SnapshotRetentionLimit"].clone(),
    );
    snap.insert("SnapshotWindow".into(), rg.doc["SnapshotWindow"].clone());
    snap.insert("NumNodeGroups".into(), rg.groups.len().into());
    snap.insert(
        "AutomaticFailover".into(),
        rg.doc["AutomaticFailover"].clone(),
    );
    let nodes: Vec<Value> = rg
        .groups
        .iter()
        .filter_map(|g| {
            let m = g.members.first()?;
            let c = cx.st.clusters.get(m)?;
            let n = c.nodes.first()?;
            Some(json!({"CacheClusterId": m, "NodeGroupId": g.id, "CacheNodeId": n.id, "CacheSize": "",
                "CacheNodeCreateTime": n.created, "SnapshotCreateTime": now()}))
        })
        .collect();
    snap.insert("NodeSnapshots".into(), Value::Array(nodes));
    snap.insert("ARN".into(), cx.arn("snapshot", name).into());
    snap.insert("DataTiering".into(), "disabled".into());
    let captures: Vec<Capture> = rg
        .groups
        .iter()
        .filter_map(|g| {
            let c = cx.st.clusters.get(g.members.first()?)?;
            let n = c.nodes.first()?;
            Some((g, c, n))
        })
        .enumerate()
        .map(|(index, (g, c, n))| Capture {
            group: g.id.clone(),
            index,
            addr: n.addr,
            auth: c.auth_token.clone(),
            data_dir: n.run.as_ref().map(|r| r.data_dir.clone()),
        })
        .collect();
    store_snapshot(cx, name, snap, captures)
}

pub(crate) fn snap_not_found(n: &str) -> ApiError {
    ApiError::new("SnapshotNotFoundFault", format!("Snapshot {n} not found."))
}

// ---- serverless caches ----

pub(crate) fn serverless_not_found(n: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheNotFoundFault",
        format!("Serverless cache {n} not found."),
    )
}

/// Records the start of the one engine process behind a serverless cache (data dir named by
/// `serial`, reused after an emulator restart); its address is reserved now.
pub(crate) fn start_serverless_node(
    cx: &mut Cx,
    name: &str,
    kind: super::runtime::EngineKind,
    serial: u64,
    preferred: Option<std::net::SocketAddr>,
) -> ApiResult<std::net::SocketAddr> {
    let mut spec = super::runtime::NodeSpec {
        label: format!("ec-{}-{}-serverless-{name}", cx.account, cx.region),
        engine: kind,
        port: kind.default_port(),
        data_dir: cx.dir(&format!("serverless-{name}-{serial}")),
        auth_token: None,
        replica_of: None,
        seed_rdb: None,
        // Serverless nodes stay plaintext: clients of the emulator's serverless endpoint
        // connect without TLS.
        tls: false,
        cluster: false,
        extra_args: vec![],
        preferred,
        persistent: cx.persistent,
    };
    let addr = cx.backend.reserve(&spec).map_err(|e| {
        ApiError::new(
            "InsufficientCacheClusterCapacity",
            format!("Could not start serverless cache {name}: {e}"),
        )
    })?;
    spec.preferred = Some(addr);
    let persistent = cx.persistent && kind != super::runtime::EngineKind::Memcached;
    cx.effects.push(Effect::Start(Box::new(Launch {
        spec,
        owner: name.to_string(),
        serverless: true,
        serial,
        config: if persistent {
            super::runtime::aof_config()
        } else {
            vec![]
        },
        acl: vec![],
        restored: preferred.is_some(),
    })));
    Ok(addr)
}

/// Starts a saved serverless cache again after an emulator restart (its endpoint follows
/// the node if the old address is taken).
pub fn restart_serverless(cx: &mut Cx, name: &str, serial: u64) -> ApiResult<()> {
    let Some(doc) = cx.st.serverless.get(name) else {
        return Ok(());
    };
    let kind = s(doc, "Engine")
        .and_then(super::runtime::EngineKind::parse)
        .unwrap_or(super::runtime::EngineKind::Redis);
    let preferred = doc["Endpoint"]["Address"]
        .as_str()
        .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        .zip(doc["Endpoint"]["Port"].as_u64())
        .map(|(ip, port)| std::net::SocketAddr::from((ip, port as u16)));
    let addr = start_serverless_node(cx, name, kind, serial, preferred)?;
    let endpoint = json!({"Address": addr.ip().to_string(), "Port": addr.port()});
    if let Some(doc) = cx.st.serverless.get_mut(name) {
        doc["Endpoint"] = endpoint.clone();
        doc["ReaderEndpoint"] = endpoint;
    }
    cx.st
        .serverless_nodes
        .insert(name.to_string(), (serial, None));
    Ok(())
}

pub(crate) fn serverless_available(cx: &Cx, name: &str) -> ApiResult<()> {
    let c = cx
        .st
        .serverless
        .get(name)
        .ok_or_else(|| serverless_not_found(name))?;
    if c["Status"] != "available" {
        return Err(ApiError::new(
            "InvalidServerlessCacheStateFault",
            format!(
                "Serverless cache {name} is not available (current state: {}).",
                c["Status"]
            ),
        ));
    }
    Ok(())
}

pub(crate) fn ss_not_found(n: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheSnapshotNotFoundFault",
        format!("Serverless cache snapshot {n} not found."),
    )
}

pub(crate) fn ss_exists(cx: &Cx, n: &str) -> ApiResult<()> {
    if cx.st.serverless_snapshots.contains_key(n) {
        return Err(ApiError::new(
            "ServerlessCacheSnapshotAlreadyExistsFault",
            format!("Serverless cache snapshot {n} already exists."),
        ));
    }
    Ok(())
}

// ---- global datastores ----

pub(crate) fn global_not_found(n: &str) -> ApiError {
    ApiError::new(
        "GlobalReplicationGroupNotFoundFault",
        format!("Global replication group {n} not found."),
    )
}

/// AWS prefixes global datastore ids with a fixed string per region ("dsdfu" in us-west-1,
/// "sgaui" in us-west-2); other regions get a stable prefix derived from the region name.
pub(crate) fn global_prefix(cx: &Cx) -> String {
    match cx.region {
        "us-west-1" => "dsdfu".into(),
        "us-west-2" => "sgaui".into(),
        region => {
            use sha2::{Digest, Sha256};
            let h = Sha256::digest(region.as_bytes());
            h.iter()
                .map(|b| (b'a' + (b % 26)) as char)
                .take(5)
                .collect()
        }
    }
}

pub(crate) fn global_slots(i: usize, n: usize) -> String {
    format!("{}-{}", 16384 * i / n, 16384 * (i + 1) / n - 1)
}

pub(crate) fn global_get<'c>(cx: &'c mut Cx, input: &Value) -> ApiResult<(String, &'c mut Value)> {
    let id = s(input, "GlobalReplicationGroupId")
        .unwrap_or("")
        .to_string();
    let g = cx
        .globals
        .get_mut(&id)
        .ok_or_else(|| global_not_found(&id))?;
    Ok((id, g))
}

// ---- events ----

// ---- tags ----

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

// ---- reserved nodes ----

pub(crate) fn offering_matches(o: &Value, input: &Value) -> bool {
    s(input, "ReservedCacheNodesOfferingId").is_none_or(|v| o["ReservedCacheNodesOfferingId"] == v)
        && s(input, "CacheNodeType").is_none_or(|v| o["CacheNodeType"] == v)
        && s(input, "ProductDescription").is_none_or(|v| o["ProductDescription"] == v)
        && s(input, "OfferingType").is_none_or(|v| o["OfferingType"] == v)
        && s(input, "Duration").is_none_or(|v| {
            let secs = match v {
                "1" | "31536000" => 31536000,
                "3" | "94608000" => 94608000,
                _ => 0,
            };
            o["Duration"] == secs
        })
}

// ---- service updates and update actions ----

/// Every (available service update x redis group / standalone cluster) pair is an action.
pub(crate) fn all_update_actions(cx: &Cx) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for u in catalog::service_updates() {
        if u["ServiceUpdateStatus"] != "available" {
            continue;
        }
        let name = u["ServiceUpdateName"].as_str().unwrap_or("").to_string();
        let targets: Vec<(String, String, String, usize, Value)> = cx
            .st
            .repl_groups
            .iter()
            .map(|(id, g)| {
                let n = g.groups.iter().map(|x| x.members.len()).sum();
                let created = g.doc["ReplicationGroupCreateTime"].clone();
                (
                    format!("rg:{id}"),
                    id.clone(),
                    g.doc["Engine"].as_str().unwrap_or("redis").to_string(),
                    n,
                    created,
                )
            })
            .chain(
                cx.st
                    .clusters
                    .iter()
                    .filter(|(_, c)| c.doc.get("ReplicationGroupId").is_none())
                    .map(|(id, c)| {
                        (
                            format!("cc:{id}"),
                            id.clone(),
                            c.engine.as_str().to_string(),
                            c.nodes.len(),
                            c.doc["CacheClusterCreateTime"].clone(),
                        )
                    }),
            )
            .collect();
        for (key, id, engine, nodes, created) in targets {
            let (status, modified) = cx
                .st
                .update_actions
                .get(&(name.clone(), key.clone()))
                .map(|(s, t)| (s.clone(), Value::from(t.clone())))
                .unwrap_or_else(|| ("not-applied".into(), created.clone()));
            let done = if status == "complete" { nodes } else { 0 };
            let mut v = json!({
                "ServiceUpdateName": name, "ServiceUpdateReleaseDate": u["ServiceUpdateReleaseDate"],
                "ServiceUpdateSeverity": u["ServiceUpdateSeverity"], "ServiceUpdateStatus": u["ServiceUpdateStatus"],
                "ServiceUpdateRecommendedApplyByDate": u["ServiceUpdateRecommendedApplyByDate"],
                "ServiceUpdateType": u["ServiceUpdateType"], "UpdateActionStatus": status,
                "NodesUpdated": format!("{done}/{nodes}"), "SlaMet": "n/a", "Engine": engine,
                "UpdateActionAvailableDate": created, "UpdateActionStatusModifiedDate": modified,
                "EstimatedUpdateTime": u["EstimatedUpdateTime"],
            });
            if key.starts_with("rg:") {
                v["ReplicationGroupId"] = id.clone().into();
            } else {
                v["CacheClusterId"] = id.clone().into();
            }
            out.push((name.clone(), key, v));
        }
    }
    out
}

// ---- engine versions and node types ----
