//! Cache clusters: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_cluster_modify as modify;
use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cache_clusters::*;
use crate::elasticache::domain::cache_clusters::{check_id, paginate, start_nodes, NodeShape};
use crate::elasticache::domain::catalog;
use crate::elasticache::domain::cluster_settings::ClusterSettings;
use crate::elasticache::domain::{regions, replication_groups};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{
    s, strings, ApplyStatus, Cluster, ClusterStatus, Cx, Endpoint, NodeComeback,
};

pub fn create_cache_cluster(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = check_id(
        "Cache cluster",
        s(input, "CacheClusterId").unwrap_or(""),
        50,
    )?;
    if cx.st.clusters.contains_key(&id) {
        return Err(ApiError::new(
            "CacheClusterAlreadyExists",
            format!("Cache cluster {id} already exists."),
        ));
    }
    if let Some(rg_id) = s(input, "ReplicationGroupId") {
        regions::check_zones_of(cx.region, input)?;
        return crate::elasticache::domain::replication_groups::add_replica_cluster(
            cx, &id, rg_id, input,
        );
    }
    let settings = ClusterSettings::from_input(cx, input, "memcached")?;
    let num = node_count_of(
        settings.engine,
        input["NumCacheNodes"].as_i64().unwrap_or(1),
    )?;
    crate::elasticache::domain::limits::region_quota(cx.st, num, cx.max_nodes)?;
    if settings.engine == EngineKind::Memcached && settings.auth_token.is_some() {
        return Err(ApiError::invalid_combination(
            "AuthToken is not supported for memcached.",
        ));
    }
    let zones = regions::node_zones(
        cx.region,
        input,
        "PreferredAvailabilityZones",
        num,
        cx.st.clusters.len(),
        None,
    )?;
    let mut rec = settings.cluster_record(cx, &id, &regions::preferred_of(&zones), None);
    let mut shape = settings.shape();
    if let Some(snap) = s(input, "SnapshotName") {
        shape.seed_rdb = Some(crate::elasticache::domain::snapshots::snapshot_file(
            cx, snap, 0,
        )?);
    }
    let mut nodes = start_nodes(cx, &id, &shape, 0, num, None)?;
    for (n, z) in nodes.iter_mut().zip(&zones) {
        n.az = Some(z.clone());
    }
    if settings.engine == EngineKind::Memcached {
        rec.configuration_endpoint = nodes.first().and_then(|n| n.addr).map(Endpoint::from);
    }
    let arn = cx.arn("cluster", &id);
    cx.tag_new(&arn, input);
    cx.st.clusters.insert(
        id.clone(),
        Cluster {
            rec,
            engine: settings.engine,
            port: settings.port,
            auth_token: settings.auth_token,
            nodes,
        },
    );
    Ok(json!({"CacheCluster": render(cx, &id, false)}))
}

pub fn describe_cache_clusters(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let show = input["ShowCacheNodeInfo"].as_bool().unwrap_or(false);
    let ids: Vec<String> = match s(input, "CacheClusterId") {
        Some(id) => vec![get(cx, id)?.rec.cache_cluster_id.clone()],
        None => {
            let not_in_rg =
                input["ShowCacheClustersNotInReplicationGroups"].as_bool() == Some(true);
            cx.st
                .clusters
                .iter()
                .filter(|(_, c)| !not_in_rg || c.rec.replication_group_id.is_none())
                .map(|(k, _)| k.clone())
                .collect()
        }
    };
    let list: Vec<Value> = ids.iter().map(|id| render(cx, id, show)).collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"CacheClusters": page, "Marker": marker}))
}

pub fn modify_cache_cluster(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let raw = s(input, "CacheClusterId").unwrap_or("");
    let id = get(cx, raw)?.rec.cache_cluster_id.clone();
    modify::check_input(cx, &id, input)?;
    let upgrade = modify::version_change(cx, &id, input)?;
    if let Some(change) = auth_change(input)? {
        set_auth(cx, &id, &change);
    }
    let (added, removed) = modify::resize(cx, &id, input)?;
    let grows = !added.is_empty();
    modify::apply_resize(cx, &id, added, &removed)?;
    if let Some(c) = cx.st.clusters.get_mut(&id) {
        modify::change_settings(&mut c.rec, input);
        if let Some(u) = &upgrade {
            modify::apply_version(&mut c.rec, u);
        }
    }
    // AWS's text for more nodes ("Viewing ElastiCache events"); other changes: ours.
    let what = if grows {
        "Increasing number of requested nodes"
    } else {
        "Cache cluster modified"
    };
    cx.st.event(&id, "cache-cluster", what);
    Ok(json!({"CacheCluster": render(cx, &id, false)}))
}

pub fn reboot_cache_cluster(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let raw = s(input, "CacheClusterId").unwrap_or("");
    let id = get(cx, raw)?.rec.cache_cluster_id.clone();
    let ids = strings(input, "CacheNodeIdsToReboot");
    {
        let c = &cx.st.clusters[&id];
        require_available(c, &id)?;
        for n in &ids {
            if !c.nodes.iter().any(|x| &x.id == n) {
                return Err(ApiError::invalid_value(format!(
                    "Cache node {n} not found in cluster {id}."
                )));
            }
        }
    }
    // A reboot restarts the engine: start fresh processes on the same settings.
    let shape = NodeShape::of(&cx.st.clusters[&id]);
    // A rebooted replica comes back replicating from its node group's primary.
    let replica_of = cx.st.clusters[&id]
        .rec
        .replication_group_id
        .as_deref()
        .and_then(|rg| cx.st.repl_groups.get(rg))
        .and_then(|g| g.groups.iter().find(|ng| ng.members.contains(&id)))
        .and_then(|ng| ng.members.first().filter(|p| **p != id))
        .and_then(|p| cx.st.clusters.get(p))
        .and_then(|p| p.nodes.first())
        .and_then(|n| n.addr);
    let mut restarted = vec![];
    for nid in &ids {
        let idx: usize = nid.parse::<usize>().unwrap_or(1).saturating_sub(1);
        let mut fresh = start_nodes(cx, &id, &shape, idx, 1, replica_of)?;
        restarted.push((nid.clone(), fresh.remove(0)));
    }
    let c = cx.st.clusters.get_mut(&id).ok_or_else(|| not_found(&id))?;
    for (nid, mut fresh) in restarted {
        if let Some(n) = c.nodes.iter_mut().find(|n| n.id == nid) {
            if let Some(old) = n.run.take() {
                cx.doomed.push(old);
            }
            fresh.created = n.created.clone();
            fresh.on_ready = Some(NodeComeback::Rebooted);
            *n = fresh;
        }
    }
    c.rec.cache_cluster_status = ClusterStatus::Rebooting;
    // Rebooted nodes started with the group's current parameters.
    let pg = &mut c.rec.cache_parameter_group;
    pg.cache_node_ids_to_reboot.retain(|n| !ids.contains(n));
    if pg.cache_node_ids_to_reboot.is_empty() {
        pg.parameter_apply_status = ApplyStatus::InSync;
    }
    let out = render(cx, &id, false);
    // AWS files one shutdown per node now and "Cache node NNNN restarted" once it answers.
    for nid in &ids {
        cx.st
            .event(&id, "cache-cluster", format!("Cache node {nid} shutdown"));
    }
    Ok(json!({"CacheCluster": out}))
}

pub fn delete_cache_cluster(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let raw = s(input, "CacheClusterId").unwrap_or("");
    let id = get(cx, raw)?.rec.cache_cluster_id.clone();
    {
        let c = &cx.st.clusters[&id];
        if let Some(rg) = c.rec.replication_group_id.as_deref() {
            let is_last_or_primary = cx.st.repl_groups.get(rg).is_some_and(|g| {
                g.cluster_mode || g.groups.iter().any(|ng| ng.members.first() == Some(&id))
            });
            if is_last_or_primary {
                return Err(ApiError::new(
                    "InvalidCacheClusterState",
                    format!("Cannot delete the primary or a cluster-mode member cluster {id} of replication group {rg}."),
                ));
            }
        }
        let st = c.rec.cache_cluster_status;
        if st == ClusterStatus::Creating || st == ClusterStatus::Deleting {
            return Err(ApiError::new(
                "InvalidCacheClusterState",
                format!("Cache cluster {id} is not in available state (current state: {st})."),
            ));
        }
    }
    if let Some(snap) = s(input, "FinalSnapshotIdentifier") {
        crate::elasticache::domain::snapshots::snapshot_of_cluster(cx, &id, snap, "manual")?;
    }
    crate::elasticache::auto_snapshots::drop_for(cx, &id);
    let mut out = render(cx, &id, false);
    out["CacheClusterStatus"] = "deleting".into();
    remove_cluster(cx, &id);
    cx.st.event(&id, "cache-cluster", "Cache cluster deleted");
    Ok(json!({"CacheCluster": out}))
}

pub fn list_allowed_node_type_modifications(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    // The node type, and the engine version the cluster (or the group's primary) runs.
    let cluster = match (s(input, "CacheClusterId"), s(input, "ReplicationGroupId")) {
        (Some(c), _) => {
            let c = cache_clusters::get(cx, c)?;
            if c.engine == crate::elasticache::runtime::EngineKind::Memcached {
                return Err(ApiError::invalid_value(
                    "Node type modification is not supported for memcached clusters.",
                ));
            }
            c
        }
        (None, Some(r)) => {
            let g = cx
                .st
                .repl_groups
                .get(&r.to_ascii_lowercase())
                .ok_or_else(|| replication_groups::not_found(r))?;
            g.groups
                .first()
                .and_then(|ng| ng.members.first())
                .and_then(|m| cx.st.clusters.get(m))
                .ok_or_else(|| replication_groups::not_found(r))?
        }
        (None, None) => {
            return Err(ApiError::invalid_combination(
                "Either CacheClusterId or ReplicationGroupId must be given.",
            ))
        }
    };
    let (up, down) = catalog::allowed_modifications(
        cluster.engine,
        &cluster.rec.engine_version,
        &cluster.rec.cache_node_type,
    );
    Ok(json!({"ScaleUpModifications": up, "ScaleDownModifications": down}))
}
