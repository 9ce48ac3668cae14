//! Cache clusters: create / describe / modify / reboot / delete, node start-up, rendering.

use std::net::SocketAddr;

use serde_json::{json, Value};

use crate::elasticache::effects::{self, Effect, Launch};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::{EngineKind, NodeSpec};
use crate::elasticache::state::{now, s, Cluster, ClusterStatus, Cx, Endpoint, Node, NodeStatus};

/// AWS's identifier rule for clusters and replication groups: a letter first, then letters,
/// digits and single hyphens, no trailing hyphen; stored lower-cased.
pub fn check_id(kind: &str, id: &str, max: usize) -> ApiResult<String> {
    let ok = !id.is_empty()
        && id.len() <= max
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid_value(format!(
            "{kind} identifier '{id}' is invalid: it must be 1 to {max} alphanumeric characters or hyphens, begin with a letter, and contain no two consecutive hyphens or a trailing hyphen."
        )))
    }
}

/// What every node of a cluster runs.
#[derive(Debug, Clone)]
pub struct NodeShape {
    pub engine: EngineKind,
    /// The engine version the API reports.
    pub version: Option<String>,
    pub port: u16,
    pub auth: Option<String>,
    /// Snapshot file the nodes start from (restores).
    pub seed_rdb: Option<std::path::PathBuf>,
    /// The cache parameter group whose user values the engine gets.
    pub param_group: String,
    /// ACL SETUSER commands (users of the replication group's user groups).
    pub acl: Vec<Vec<String>>,
    /// In-transit encryption: TLS-only nodes.
    pub tls: bool,
    /// Nodes of a cluster-mode replication group.
    pub cluster: bool,
}

impl NodeShape {
    pub fn of(c: &Cluster) -> Self {
        Self {
            engine: c.engine,
            version: Some(c.rec.engine_version.clone()),
            port: c.port,
            auth: c.auth_token.clone(),
            seed_rdb: None,
            param_group: c
                .rec
                .cache_parameter_group
                .cache_parameter_group_name
                .clone(),
            acl: vec![],
            tls: c.rec.transit_encryption_enabled,
            cluster: false,
        }
    }
}

/// Engine flags (memcached) and CONFIG SET pairs (redis/valkey) of a node of `shape`.
pub(crate) fn engine_settings(cx: &Cx, shape: &NodeShape) -> (Vec<String>, Vec<(String, String)>) {
    let values: Vec<(String, String)> = cx
        .st
        .param_groups
        .get(&shape.param_group)
        .map(|pg| {
            pg.values
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if shape.engine == EngineKind::Memcached {
        return (
            crate::elasticache::runtime::memcached_flags(&values),
            vec![],
        );
    }
    // Parameters set in a user's group reach the engine with CONFIG SET once it is up.
    let mut config = values;
    if cx.persistent {
        config.extend(crate::elasticache::runtime::aof_config());
    }
    (vec![], config)
}

/// Records the start of one node process with its data in
/// `<data root>/.../<cluster>-<node>-<serial>` (an existing dir is the node's data from before
/// an emulator restart): its address is reserved now, the process starts after the lock is
/// released (`jobs`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn launch(
    cx: &mut Cx,
    cluster_id: &str,
    node_id: &str,
    serial: u64,
    shape: &NodeShape,
    replica_of: Option<SocketAddr>,
    preferred: Option<SocketAddr>,
    restored: bool,
) -> ApiResult<SocketAddr> {
    let (extra_args, config) = engine_settings(cx, shape);
    let engine = shape.engine;
    let mut spec = NodeSpec {
        label: format!("ec-{}-{}-{cluster_id}-{node_id}", cx.account, cx.region),
        engine,
        engine_version: shape.version.clone(),
        port: shape.port,
        data_dir: cx.dir(&format!("{cluster_id}-{node_id}-{serial}")),
        auth_token: shape.auth.clone(),
        replica_of,
        seed_rdb: shape.seed_rdb.clone(),
        tls: shape.tls && engine != EngineKind::Memcached,
        cluster: shape.cluster && engine != EngineKind::Memcached,
        extra_args,
        preferred,
        persistent: cx.persistent,
    };
    // A node restored after an emulator restart keeps its saved address even if it is still
    // held: the restore waits for it to be freed before the start (`restore::await_free`).
    let addr = match preferred.filter(|_| restored) {
        Some(saved) => saved,
        None => cx.backend.reserve(&spec).map_err(|e| {
            super::limits::reserve_error(e, &format!("cache node {node_id} of {cluster_id}"))
        })?,
    };
    spec.preferred = Some(addr);
    cx.effects.push(Effect::Start(Box::new(Launch {
        spec,
        owner: cluster_id.to_string(),
        serverless: false,
        serial,
        config,
        acl: shape.acl.clone(),
        restored,
    })));
    Ok(addr)
}

/// Starts `count` nodes (ids 0001..) for a cluster, recording probes to await.
pub fn start_nodes(
    cx: &mut Cx,
    cluster_id: &str,
    shape: &NodeShape,
    first: usize,
    count: usize,
    replica_of: Option<SocketAddr>,
) -> ApiResult<Vec<Node>> {
    let mut nodes = vec![];
    for i in first..first + count {
        let node_id = format!("{:04}", i + 1);
        let serial = cx.serial();
        let addr = launch(
            cx, cluster_id, &node_id, serial, shape, replica_of, None, false,
        )?;
        nodes.push(Node {
            id: node_id,
            serial,
            status: NodeStatus::Creating,
            created: now(),
            addr: Some(addr),
            az: None,
            run: None,
            on_ready: None,
        });
    }
    Ok(nodes)
}

/// Starts the nodes of a saved cluster again after an emulator restart, each from its own
/// data dir and at its old address when that is free (else a new one, which describe then
/// reports). Memcached nodes come back empty: memcached keeps nothing on disk.
pub fn restart_nodes(
    cx: &mut Cx,
    cluster_id: &str,
    shape: &NodeShape,
    replica_of: Option<SocketAddr>,
) -> ApiResult<()> {
    let saved: Vec<(String, u64, Option<SocketAddr>)> = cx
        .st
        .clusters
        .get(cluster_id)
        .map(|c| {
            c.nodes
                .iter()
                .map(|n| (n.id.clone(), n.serial, n.addr))
                .collect()
        })
        .unwrap_or_default();
    let mut started = vec![];
    for (node_id, serial, addr) in saved {
        let addr = launch(
            cx, cluster_id, &node_id, serial, shape, replica_of, addr, true,
        )?;
        started.push((node_id, addr));
    }
    let Some(c) = cx.st.clusters.get_mut(cluster_id) else {
        return Ok(());
    };
    for (node_id, addr) in started {
        if let Some(n) = c.nodes.iter_mut().find(|n| n.id == node_id) {
            n.addr = Some(addr);
        }
    }
    if c.engine == EngineKind::Memcached && c.rec.configuration_endpoint.is_some() {
        if let Some(a) = c.nodes.first().and_then(|n| n.addr) {
            c.rec.configuration_endpoint = Some(a.into());
        }
    }
    Ok(())
}

/// NumCacheNodes checked: redis/valkey cache clusters have exactly one node, memcached ones
/// 1 to 40 (AWS's default per-cluster quota, NodeQuotaForClusterExceeded beyond it).
pub(crate) fn node_count_of(engine: EngineKind, n: i64) -> ApiResult<usize> {
    if engine != EngineKind::Memcached && n != 1 {
        return Err(ApiError::invalid_value(format!(
            "Invalid value {n} for parameter NumCacheNodes: a {} cache cluster has exactly 1 node.",
            engine.as_str()
        )));
    }
    if n > crate::elasticache::domain::limits::MAX_MEMCACHED_NODES {
        return crate::elasticache::domain::limits::cluster_quota(
            n as usize,
            crate::elasticache::domain::limits::MAX_MEMCACHED_NODES as usize,
        )
        .map(|_| 0);
    }
    crate::elasticache::domain::limits::in_range(
        "NumCacheNodes",
        n,
        1,
        crate::elasticache::domain::limits::MAX_MEMCACHED_NODES,
    )
}

/// The CacheCluster shape of a stored cluster: its record, the members every cluster reports
/// alike, and those derived from its nodes.
pub fn render(cx: &Cx, id: &str, show_nodes: bool) -> Value {
    match cx.st.clusters.get(id) {
        Some(c) => render_cluster(c, show_nodes),
        None => Value::Null,
    }
}

pub fn render_cluster(c: &Cluster, show_nodes: bool) -> Value {
    let mut d = json!(c.rec);
    d["ClientDownloadLandingPage"] =
        "https://console.aws.amazon.com/elasticache/home#client-download:".into();
    d["Engine"] = c.engine.as_str().into();
    d["NumCacheNodes"] = c.nodes.len().into();
    d["PendingModifiedValues"] = json!({});
    d["CacheSecurityGroups"] = json!([]);
    d["NetworkType"] = "ipv4".into();
    d["IpDiscovery"] = "ipv4".into();
    if show_nodes {
        let nodes: Vec<Value> = c.nodes.iter().map(|n| render_node(c, n)).collect();
        d["CacheNodes"] = Value::Array(nodes);
    }
    d
}

fn render_node(c: &Cluster, n: &Node) -> Value {
    // A node whose process died reports it instead of its last known status.
    let dead = n.run.as_ref().is_some_and(|r| !r.is_alive());
    let mut o = json!({
        "CacheNodeId": n.id,
        "CacheNodeStatus": if dead { "failed" } else { n.status.as_str() },
        "CacheNodeCreateTime": n.created,
        "ParameterGroupStatus": "in-sync",
        "CustomerAvailabilityZone": n.az.as_deref().unwrap_or(&c.rec.preferred_availability_zone),
    });
    if let Some(a) = n.addr {
        o["Endpoint"] = json!(Endpoint::from(a));
    }
    o
}

pub fn get<'c>(cx: &'c Cx, id: &str) -> ApiResult<&'c Cluster> {
    cx.st
        .clusters
        .get(&id.to_ascii_lowercase())
        .ok_or_else(|| not_found(id))
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        "CacheClusterNotFound",
        format!("CacheCluster not found: {id}"),
    )
}

/// MaxRecords/Marker paging over an already ordered list (marker = offset).
pub fn paginate(list: Vec<Value>, input: &Value) -> ApiResult<(Vec<Value>, Value)> {
    let max = input["MaxRecords"].as_i64().unwrap_or(100);
    if !(20..=100).contains(&max) && input.get("MaxRecords").is_some() {
        return Err(ApiError::invalid_value(
            "MaxRecords must be between 20 and 100.",
        ));
    }
    let start: usize = match s(input, "Marker") {
        Some(m) => m
            .parse()
            .map_err(|_| ApiError::invalid_value(format!("Invalid marker: {m}")))?,
        None => 0,
    };
    let total = list.len();
    let page: Vec<Value> = list.into_iter().skip(start).take(max as usize).collect();
    let next = start + page.len();
    let marker = if next < total {
        Value::String(next.to_string())
    } else {
        Value::Null
    };
    Ok((page, marker))
}

pub(crate) fn require_available(c: &Cluster, id: &str) -> ApiResult<()> {
    let st = c.rec.cache_cluster_status;
    if st != ClusterStatus::Available {
        return Err(ApiError::new(
            "InvalidCacheClusterState",
            format!("Cache cluster {id} is not in available state (current state: {st})."),
        ));
    }
    Ok(())
}

/// An AUTH token change asked for by ModifyCacheCluster / ModifyReplicationGroup.
#[derive(Debug, Clone)]
pub enum AuthChange {
    /// Replace every password with this one.
    Set(String),
    /// Add this password; the current one stays valid until the next SET.
    Rotate(String),
    Delete,
}

pub fn auth_change(input: &Value) -> ApiResult<Option<AuthChange>> {
    let token = s(input, "AuthToken").map(str::to_owned);
    if let Some(t) = &token {
        crate::elasticache::domain::limits::auth_token(t)?;
    }
    match (s(input, "AuthTokenUpdateStrategy"), token) {
        (None, None) => Ok(None),
        (Some("DELETE"), None) => Ok(Some(AuthChange::Delete)),
        (Some("DELETE"), Some(_)) => Err(ApiError::invalid_combination(
            "AuthToken cannot be given with AuthTokenUpdateStrategy DELETE.",
        )),
        (Some(_), None) => Err(ApiError::missing("AuthToken")),
        (Some("SET"), Some(t)) => Ok(Some(AuthChange::Set(t))),
        (_, Some(t)) => Ok(Some(AuthChange::Rotate(t))),
    }
}

/// Applies an AUTH token change to a cluster's running nodes.
pub fn set_auth(cx: &mut Cx, id: &str, change: &AuthChange) {
    let Some(c) = cx.st.clusters.get_mut(id) else {
        return;
    };
    if c.engine == EngineKind::Memcached {
        return;
    }
    let (new, rotate) = match change {
        AuthChange::Set(t) => (Some(t.clone()), false),
        AuthChange::Rotate(t) => (Some(t.clone()), c.auth_token.is_some()),
        AuthChange::Delete => (None, false),
    };
    for n in &c.nodes {
        let Some(addr) = n.addr else { continue };
        let value = new.clone().unwrap_or_default();
        let mut commands = effects::config_set(&[("masterauth".to_string(), value.clone())]);
        if rotate {
            // Both passwords work until the next SET.
            commands.push(vec![
                "ACL".into(),
                "SETUSER".into(),
                "default".into(),
                format!(">{value}"),
            ]);
        } else {
            commands.extend(effects::config_set(&[("requirepass".to_string(), value)]));
        }
        cx.effects.push(Effect::Commands {
            addr,
            auth: c.auth_token.clone(),
            commands,
        });
    }
    c.auth_token = new;
    c.rec.auth_token_enabled = Some(c.auth_token.is_some());
    c.rec.auth_token_last_modified_date = Some(now());
}

/// Drops a cluster, queues its processes for stopping and detaches it from its group.
pub fn remove_cluster(cx: &mut Cx, id: &str) {
    if let Some(mut c) = cx.st.clusters.remove(id) {
        for n in &mut c.nodes {
            if let Some(run) = n.run.take() {
                cx.doomed.push(run);
            }
        }
        if let Some(rg) = c.rec.replication_group_id.as_deref() {
            if let Some(g) = cx.st.repl_groups.get_mut(rg) {
                for ng in &mut g.groups {
                    ng.members.retain(|m| m != id);
                }
            }
        }
        let arn = cx.arn("cluster", id);
        cx.st.tags.remove(&arn);
    }
}
