//! Snapshots: what a snapshot records of a cluster or group, where its RDB files live.

use serde_json::{json, Map, Value};

use crate::elasticache::domain::cache_clusters::{self};
use crate::elasticache::domain::replication_groups;
use crate::elasticache::effects::{Capture, Effect};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{now, Cx, ReplGroup};

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
    let c = cache_clusters::get(cx, id)?;
    if c.engine == crate::elasticache::runtime::EngineKind::Memcached {
        return Err(ApiError::new(
            "SnapshotFeatureNotSupportedFault",
            "Snapshots are not supported for memcached clusters.",
        ));
    }
    let d = &c.rec;
    let mut snap = Map::new();
    snap.insert("SnapshotName".into(), name.into());
    snap.insert("CacheClusterId".into(), json!(d.cache_cluster_id));
    if let Some(rg) = &d.replication_group_id {
        snap.insert("ReplicationGroupId".into(), json!(rg));
    }
    snap.insert("SnapshotStatus".into(), "creating".into());
    snap.insert("SnapshotSource".into(), source.into());
    for (k, v) in [
        ("CacheNodeType", json!(d.cache_node_type)),
        ("Engine", json!(c.engine.as_str())),
        ("EngineVersion", json!(d.engine_version)),
        ("NumCacheNodes", json!(c.nodes.len())),
        (
            "PreferredAvailabilityZone",
            json!(d.preferred_availability_zone),
        ),
        ("CacheClusterCreateTime", json!(d.cache_cluster_create_time)),
        (
            "PreferredMaintenanceWindow",
            json!(d.preferred_maintenance_window),
        ),
    ] {
        snap.insert(k.into(), v);
    }
    if let Some(t) = &d.notification_configuration {
        snap.insert("TopicArn".into(), json!(t.topic_arn));
    }
    snap.insert("Port".into(), c.port.into());
    snap.insert(
        "CacheParameterGroupName".into(),
        json!(d.cache_parameter_group.cache_parameter_group_name),
    );
    snap.insert(
        "CacheSubnetGroupName".into(),
        json!(d.cache_subnet_group_name),
    );
    snap.insert("VpcId".into(), vpc(cx));
    snap.insert(
        "AutoMinorVersionUpgrade".into(),
        json!(d.auto_minor_version_upgrade),
    );
    snap.insert(
        "SnapshotRetentionLimit".into(),
        json!(d.snapshot_retention_limit),
    );
    snap.insert("SnapshotWindow".into(), json!(d.snapshot_window));
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
        .ok_or_else(|| replication_groups::not_found(id))?;
    let snap = group_snapshot_doc(cx, id, rg, name, source)?;
    let captures = group_captures(cx, rg);
    store_snapshot(cx, name, snap, captures)
}

/// The Snapshot record of a group: the group's settings and its first member's.
fn group_snapshot_doc(
    cx: &Cx,
    id: &str,
    rg: &ReplGroup,
    name: &str,
    source: &str,
) -> ApiResult<Map<String, Value>> {
    let first = rg
        .groups
        .first()
        .and_then(|g| g.members.first())
        .and_then(|m| cx.st.clusters.get(m))
        .ok_or_else(|| ApiError::new("InvalidReplicationGroupState", "No member clusters"))?;
    let d = &first.rec;
    let mut snap = Map::new();
    snap.insert("SnapshotName".into(), name.into());
    snap.insert("ReplicationGroupId".into(), id.into());
    snap.insert(
        "ReplicationGroupDescription".into(),
        json!(rg.rec.description),
    );
    snap.insert("SnapshotStatus".into(), "creating".into());
    snap.insert("SnapshotSource".into(), source.into());
    for (k, v) in [
        ("CacheNodeType", json!(d.cache_node_type)),
        ("Engine", json!(first.engine.as_str())),
        ("EngineVersion", json!(d.engine_version)),
        (
            "PreferredMaintenanceWindow",
            json!(d.preferred_maintenance_window),
        ),
    ] {
        snap.insert(k.into(), v);
    }
    snap.insert("Port".into(), first.port.into());
    snap.insert(
        "CacheParameterGroupName".into(),
        json!(d.cache_parameter_group.cache_parameter_group_name),
    );
    snap.insert(
        "CacheSubnetGroupName".into(),
        json!(d.cache_subnet_group_name),
    );
    snap.insert("VpcId".into(), vpc(cx));
    snap.insert(
        "AutoMinorVersionUpgrade".into(),
        json!(d.auto_minor_version_upgrade),
    );
    snap.insert(
        "SnapshotRetentionLimit".into(),
        json!(rg.rec.snapshot_retention_limit),
    );
    snap.insert("SnapshotWindow".into(), json!(rg.rec.snapshot_window));
    snap.insert("NumNodeGroups".into(), rg.groups.len().into());
    snap.insert("AutomaticFailover".into(), json!(rg.rec.automatic_failover));
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
    Ok(snap)
}

/// The RDB files to take: one per node group primary.
fn group_captures(cx: &Cx, rg: &ReplGroup) -> Vec<Capture> {
    rg.groups
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
        .collect()
}

pub(crate) fn snap_not_found(n: &str) -> ApiError {
    ApiError::new("SnapshotNotFoundFault", format!("Snapshot {n} not found."))
}
