//! Snapshots: what a snapshot records of a cluster or group, where its RDB files live.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::{self};
use crate::elasticache::domain::replication_groups;
use crate::elasticache::effects::{Capture, Effect};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{now, Cx, NodeSnapshot, ReplGroup, SnapshotRecord, SnapshotStatus};

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
    let snap = SnapshotRecord {
        snapshot_name: name.into(),
        cache_cluster_id: Some(d.cache_cluster_id.clone()),
        replication_group_id: d.replication_group_id.clone(),
        replication_group_description: None,
        snapshot_status: SnapshotStatus::Creating,
        snapshot_source: source.into(),
        cache_node_type: d.cache_node_type.clone(),
        engine: c.engine,
        engine_version: d.engine_version.clone(),
        num_cache_nodes: Some(c.nodes.len()),
        preferred_availability_zone: Some(d.preferred_availability_zone.clone()),
        cache_cluster_create_time: Some(d.cache_cluster_create_time.clone()),
        preferred_maintenance_window: d.preferred_maintenance_window.clone(),
        topic_arn: d
            .notification_configuration
            .as_ref()
            .map(|t| t.topic_arn.clone()),
        port: c.port,
        cache_parameter_group_name: d.cache_parameter_group.cache_parameter_group_name.clone(),
        cache_subnet_group_name: d.cache_subnet_group_name.clone(),
        vpc_id: vpc(cx),
        auto_minor_version_upgrade: d.auto_minor_version_upgrade,
        snapshot_retention_limit: d.snapshot_retention_limit,
        snapshot_window: d.snapshot_window.clone(),
        num_node_groups: None,
        automatic_failover: None,
        node_snapshots: c
            .nodes
            .iter()
            .map(|n| NodeSnapshot {
                cache_cluster_id: None,
                node_group_id: None,
                cache_node_id: n.id.clone(),
                cache_size: String::new(),
                cache_node_create_time: n.created.clone(),
                snapshot_create_time: Some(now()),
            })
            .collect(),
        arn: cx.arn("snapshot", name),
    };
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

pub(crate) fn vpc(cx: &Cx) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}/{}", cx.account, cx.region));
    format!("vpc-{}", &hex::encode(h)[..8])
}

/// Where a snapshot's RDB files live: one `<node group>.rdb` per captured node.
pub(crate) fn snapshot_dir(cx: &Cx, name: &str) -> std::path::PathBuf {
    cx.dir("snapshots").join(name)
}

/// Drops a snapshot and its RDB files.
pub fn remove_snapshot(cx: &mut Cx, name: &str) -> Option<SnapshotRecord> {
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
    snap: SnapshotRecord,
    captures: Vec<Capture>,
) -> ApiResult<Value> {
    // While a snapshot is being created AWS reports an empty CacheSize.
    let mut out = render(&snap);
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
    cx.st.snapshots.insert(name.to_string(), snap);
    Ok(out)
}

/// The event of a finished snapshot. A group's names the group and is filed on the cache
/// cluster of the node it was taken from, its first shard's (AWS's recorded answer in
/// botocore's DescribeEvents example: "... of replication group with ID 'clustered-redis'" with
/// SourceIdentifier `clustered-redis-0001-001`, SourceType `cache-cluster`); a cluster's says
/// the same of the cluster, on the cluster.
pub fn finished_event(snap: &SnapshotRecord, ok: bool) -> Option<(String, &'static str, String)> {
    let name = &snap.snapshot_name;
    let outcome = if ok { "succeeded" } else { "failed" };
    let (source, kind, what, id) = match (&snap.cache_cluster_id, &snap.replication_group_id) {
        (Some(c), _) => (c.clone(), "cache-cluster", "cache cluster", c.clone()),
        (None, Some(g)) => match snap
            .node_snapshots
            .first()
            .and_then(|n| n.cache_cluster_id.clone())
        {
            Some(node) => (node, "cache-cluster", "replication group", g.clone()),
            None => (
                g.clone(),
                "replication-group",
                "replication group",
                g.clone(),
            ),
        },
        (None, None) => return None,
    };
    Some((
        source,
        kind,
        format!("Snapshot {outcome} for snapshot with ID '{name}' of {what} with ID '{id}'"),
    ))
}

/// The Snapshot shape: the record and the members every snapshot reports alike.
pub fn render(snap: &SnapshotRecord) -> Value {
    let mut v = json!(snap);
    v["DataTiering"] = "disabled".into();
    v
}

/// A snapshot of a whole replication group (one node snapshot per node group primary).
pub fn snapshot_of_group(cx: &mut Cx, id: &str, name: &str, source: &str) -> ApiResult<Value> {
    snapshot_exists(cx, name)?;
    let rg = cx
        .st
        .repl_groups
        .get(id)
        .ok_or_else(|| replication_groups::not_found(id))?;
    let snap = group_snapshot_record(cx, id, rg, name, source)?;
    let captures = group_captures(cx, rg);
    store_snapshot(cx, name, snap, captures)
}

/// The Snapshot record of a group: the group's settings and its first member's.
fn group_snapshot_record(
    cx: &Cx,
    id: &str,
    rg: &ReplGroup,
    name: &str,
    source: &str,
) -> ApiResult<SnapshotRecord> {
    let first = rg
        .groups
        .first()
        .and_then(|g| g.members.first())
        .and_then(|m| cx.st.clusters.get(m))
        .ok_or_else(|| ApiError::new("InvalidReplicationGroupState", "No member clusters"))?;
    let d = &first.rec;
    let node_snapshots = rg
        .groups
        .iter()
        .filter_map(|g| {
            let m = g.members.first()?;
            let n = cx.st.clusters.get(m)?.nodes.first()?;
            Some(NodeSnapshot {
                cache_cluster_id: Some(m.clone()),
                node_group_id: Some(g.id.clone()),
                cache_node_id: n.id.clone(),
                cache_size: String::new(),
                cache_node_create_time: n.created.clone(),
                snapshot_create_time: Some(now()),
            })
        })
        .collect();
    Ok(SnapshotRecord {
        snapshot_name: name.into(),
        cache_cluster_id: None,
        replication_group_id: Some(id.into()),
        replication_group_description: Some(rg.rec.description.clone()),
        snapshot_status: SnapshotStatus::Creating,
        snapshot_source: source.into(),
        cache_node_type: d.cache_node_type.clone(),
        engine: first.engine,
        engine_version: d.engine_version.clone(),
        num_cache_nodes: None,
        preferred_availability_zone: None,
        cache_cluster_create_time: None,
        preferred_maintenance_window: d.preferred_maintenance_window.clone(),
        topic_arn: None,
        port: first.port,
        cache_parameter_group_name: d.cache_parameter_group.cache_parameter_group_name.clone(),
        cache_subnet_group_name: d.cache_subnet_group_name.clone(),
        vpc_id: vpc(cx),
        auto_minor_version_upgrade: d.auto_minor_version_upgrade,
        snapshot_retention_limit: Some(rg.rec.snapshot_retention_limit),
        snapshot_window: Some(rg.rec.snapshot_window.clone()),
        num_node_groups: Some(rg.groups.len()),
        automatic_failover: Some(rg.rec.automatic_failover),
        node_snapshots,
        arn: cx.arn("snapshot", name),
    })
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
