//! ModifyCacheCluster's rules, step by step: the node count (nodes to start or to stop) and
//! the settings the cluster reports.

use serde_json::Value;

use crate::elasticache::domain::cache_clusters::{
    node_count_of, not_found, require_available, start_nodes, NodeShape,
};
use crate::elasticache::domain::{catalog, cluster_settings, groups, regions, versions};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{
    s, strings, CacheClusterRecord, ClusterStatus, Cx, Node, NodeComeback, Notification,
    SecurityGroupMembership,
};

/// What a modify names, checked before anything changes: the node type (one AWS offers for
/// the engine), the zones (of the request's region), the parameter group.
pub fn check_input(cx: &Cx, id: &str, input: &Value) -> ApiResult<()> {
    let c = &cx.st.clusters[id];
    if let Some(t) = s(input, "CacheNodeType") {
        cluster_settings::check_node_type(c.engine, &c.rec.engine_version, t)?;
    }
    regions::check_zones_of(cx.region, input)?;
    check_param_group(cx, id, input)
}

/// The parameter group to switch to must exist and be of the family of the version the
/// cluster will run.
fn check_param_group(cx: &Cx, id: &str, input: &Value) -> ApiResult<()> {
    if let Some(pg) = s(input, "CacheParameterGroupName") {
        let c = &cx.st.clusters[id];
        let version = s(input, "EngineVersion")
            .map(str::to_owned)
            .unwrap_or_else(|| versions::requestable(c.engine, &c.rec.engine_version));
        match catalog::family_of(c.engine.as_str(), &version) {
            Some(family) => cluster_settings::check_family(cx, pg, family)?,
            None => {
                groups::param_group_family(cx, pg).ok_or_else(|| {
                    ApiError::new(
                        "CacheParameterGroupNotFound",
                        format!("CacheParameterGroup {pg} not found."),
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// EngineVersion: an upgrade of the cluster (never down). Across families, a cluster on its
/// family's default group moves to the new family's default; one on a group of its own must
/// name a group of the new family (AWS's upgrade guide: "Upgrading engine versions").
/// Checked before anything changes; `apply_version` records it.
pub fn version_change(cx: &Cx, id: &str, input: &Value) -> ApiResult<Option<VersionChange>> {
    let Some(requested) = s(input, "EngineVersion") else {
        return Ok(None);
    };
    let c = &cx.st.clusters[id];
    let to = versions::upgrade(c.engine, &c.rec.engine_version, requested)?;
    let current_pg = c
        .rec
        .cache_parameter_group
        .cache_parameter_group_name
        .clone();
    let family = catalog::family_of(c.engine.as_str(), &c.rec.engine_version);
    let new_pg = if s(input, "CacheParameterGroupName").is_some() || family == Some(to.family) {
        None
    } else if current_pg.starts_with("default.") {
        Some(catalog::default_group(
            to.family,
            current_pg.ends_with(".cluster.on"),
        ))
    } else {
        cluster_settings::check_family(cx, &current_pg, to.family)?;
        None
    };
    Ok(Some(VersionChange {
        actual: to.actual,
        param_group: new_pg,
    }))
}

/// A checked engine upgrade: the version to report and the default group to move to.
pub struct VersionChange {
    actual: &'static str,
    param_group: Option<String>,
}

pub fn apply_version(rec: &mut CacheClusterRecord, change: &VersionChange) {
    rec.engine_version = change.actual.into();
    if let Some(pg) = &change.param_group {
        rec.cache_parameter_group.cache_parameter_group_name = pg.clone();
    }
}

/// NumCacheNodes: the nodes started to grow to it, or the node ids to remove to shrink to it.
pub fn resize(cx: &mut Cx, id: &str, input: &Value) -> ApiResult<(Vec<Node>, Vec<String>)> {
    let Some(n) = input["NumCacheNodes"].as_i64() else {
        return Ok((vec![], vec![]));
    };
    let (shape, have) = {
        let c = &cx.st.clusters[id];
        (NodeShape::of(c), c.nodes.len())
    };
    let n = node_count_of(shape.engine, n)?;
    if n != have {
        require_available(&cx.st.clusters[id], id)?;
    }
    if n > have {
        crate::elasticache::domain::limits::region_quota(cx.st, n - have, cx.max_nodes)?;
        // New nodes: NewAvailabilityZones, cross-az spreading, else the cluster's zone.
        let current = cx.st.clusters[id].rec.preferred_availability_zone.clone();
        let single = (current != "Multiple").then_some(current.as_str());
        let zones = regions::node_zones(
            cx.region,
            input,
            "NewAvailabilityZones",
            n - have,
            have,
            single,
        )?;
        let mut nodes = start_nodes(cx, id, &shape, have, n - have, None)?;
        for (node, z) in nodes.iter_mut().zip(zones) {
            node.az = Some(z);
        }
        return Ok((nodes, vec![]));
    }
    if n < have {
        let to_remove = strings(input, "CacheNodeIdsToRemove");
        if to_remove.len() != have - n {
            return Err(ApiError::invalid_value(format!(
                "Cannot remove {} nodes: CacheNodeIdsToRemove must list exactly {} node ids.",
                have - n,
                have - n
            )));
        }
        return Ok((vec![], to_remove));
    }
    Ok((vec![], vec![]))
}

/// Records the resize: removed nodes stop after the response, new ones join the cluster
/// (which is `modifying` until they answer).
pub fn apply_resize(cx: &mut Cx, id: &str, added: Vec<Node>, removed: &[String]) -> ApiResult<()> {
    let c = cx.st.clusters.get_mut(id).ok_or_else(|| not_found(id))?;
    for rid in removed {
        let Some(pos) = c.nodes.iter().position(|n| &n.id == rid) else {
            return Err(ApiError::invalid_value(format!(
                "Cache node {rid} not found."
            )));
        };
        let mut node = c.nodes.remove(pos);
        if let Some(run) = node.run.take() {
            cx.doomed.push(run);
        }
    }
    let grew = !added.is_empty();
    let from = c.nodes.len();
    c.nodes.extend(added.into_iter().map(|mut n| {
        n.on_ready = Some(NodeComeback::Added { from });
        n
    }));
    if grew || !removed.is_empty() {
        let zones: Vec<String> = c
            .nodes
            .iter()
            .map(|n| {
                n.az.clone()
                    .unwrap_or_else(|| c.rec.preferred_availability_zone.clone())
            })
            .collect();
        c.rec.preferred_availability_zone = regions::preferred_of(&zones);
    }
    if grew {
        c.rec.cache_cluster_status = ClusterStatus::Modifying;
    }
    Ok(())
}

/// The settings a member shares with its replication group (which also changes them).
pub fn change_group_settings(rec: &mut CacheClusterRecord, input: &Value) {
    if let Some(v) = input["SnapshotRetentionLimit"].as_i64() {
        rec.snapshot_retention_limit = Some(v);
    }
    if let Some(v) = s(input, "SnapshotWindow") {
        rec.snapshot_window = Some(v.into());
    }
    if let Some(v) = s(input, "CacheNodeType") {
        rec.cache_node_type = v.into();
    }
}

/// The settings the input changes, as the cluster reports them.
pub fn change_settings(rec: &mut CacheClusterRecord, input: &Value) {
    change_group_settings(rec, input);
    if let Some(v) = s(input, "PreferredMaintenanceWindow") {
        rec.preferred_maintenance_window = v.into();
    }
    if let Some(v) = input["AutoMinorVersionUpgrade"].as_bool() {
        rec.auto_minor_version_upgrade = v;
    }
    if let Some(pg) = s(input, "CacheParameterGroupName") {
        rec.cache_parameter_group.cache_parameter_group_name = pg.into();
    }
    if let Some(t) = s(input, "NotificationTopicArn") {
        rec.notification_configuration = Some(Notification {
            topic_arn: t.into(),
            topic_status: s(input, "NotificationTopicStatus")
                .unwrap_or("active")
                .into(),
        });
    }
    let sgs = strings(input, "SecurityGroupIds");
    if !sgs.is_empty() {
        rec.security_groups = Some(SecurityGroupMembership::active(&sgs));
    }
}
