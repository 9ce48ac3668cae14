//! Snapshots of clusters and replication groups: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::snapshots::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx};

pub fn create_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "SnapshotName").unwrap_or("").to_string();
    let snap = match (s(input, "ReplicationGroupId"), s(input, "CacheClusterId")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_combination(
                "Only one of ReplicationGroupId or CacheClusterId can be specified.",
            ))
        }
        (Some(rg), None) => snapshot_of_group(cx, &rg.to_ascii_lowercase(), &name, "manual")?,
        (None, Some(c)) => snapshot_of_cluster(cx, c, &name, "manual")?,
        (None, None) => {
            return Err(ApiError::invalid_combination(
                "Either ReplicationGroupId or CacheClusterId must be specified.",
            ))
        }
    };
    let arn = cx.arn("snapshot", &name);
    cx.tag_new(&arn, input);
    Ok(json!({"Snapshot": snap}))
}

pub fn copy_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let src = s(input, "SourceSnapshotName").unwrap_or("");
    let target = s(input, "TargetSnapshotName").unwrap_or("").to_string();
    let orig = cx
        .st
        .snapshots
        .get(src)
        .cloned()
        .ok_or_else(|| snap_not_found(src))?;
    snapshot_exists(cx, &target)?;
    let mut copy = orig;
    copy.snapshot_name = target.clone();
    copy.snapshot_source = "manual".into();
    copy.arn = cx.arn("snapshot", &target);
    let mut out = render(&copy);
    out["SnapshotStatus"] = "creating".into();
    let (from, to) = (snapshot_dir(cx, src), snapshot_dir(cx, &target));
    if std::fs::create_dir_all(&to).is_ok() {
        for f in std::fs::read_dir(&from).into_iter().flatten().flatten() {
            let _ = std::fs::copy(f.path(), to.join(f.file_name()));
        }
    }
    cx.st.snapshots.insert(target, copy);
    Ok(json!({"Snapshot": out}))
}

pub fn delete_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "SnapshotName").unwrap_or("");
    let snap = remove_snapshot(cx, name).ok_or_else(|| snap_not_found(name))?;
    let mut snap = render(&snap);
    snap["SnapshotStatus"] = "deleting".into();
    Ok(json!({"Snapshot": snap}))
}

pub fn describe_snapshots(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if let Some(n) = s(input, "SnapshotName") {
        if !cx.st.snapshots.contains_key(n) {
            return Err(snap_not_found(n));
        }
    }
    if let Some(c) = s(input, "CacheClusterId") {
        cache_clusters::get(cx, c)?;
    }
    let list: Vec<Value> = cx
        .st
        .snapshots
        .values()
        .filter(|sn| s(input, "SnapshotName").is_none_or(|n| sn.snapshot_name == n))
        .filter(|sn| {
            s(input, "CacheClusterId").is_none_or(|n| sn.cache_cluster_id.as_deref() == Some(n))
        })
        .filter(|sn| {
            s(input, "ReplicationGroupId")
                .is_none_or(|n| sn.replication_group_id.as_deref() == Some(n))
        })
        .filter(|sn| s(input, "SnapshotSource").is_none_or(|n| sn.snapshot_source == n))
        .map(render)
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"Snapshots": page, "Marker": marker}))
}
