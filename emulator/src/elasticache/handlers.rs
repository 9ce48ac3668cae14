//! One handler per operation (dispatch), plus the smaller resource families: snapshots,
//! serverless caches, global datastores, events, tags, reserved nodes, service updates.

use serde_json::{json, Map, Value};

use super::catalog;
use super::clusters::{self, paginate};
use super::error::{ApiError, ApiResult};
use super::state::{now, s, strings, Cx};
use super::{groups, replication, users};

pub fn dispatch(cx: &mut Cx, action: &str, input: &Value) -> ApiResult<Value> {
    match action {
        "CreateCacheCluster" => clusters::create(cx, input),
        "DescribeCacheClusters" => clusters::describe(cx, input),
        "ModifyCacheCluster" => clusters::modify(cx, input),
        "RebootCacheCluster" => clusters::reboot(cx, input),
        "DeleteCacheCluster" => clusters::delete(cx, input),
        "CreateReplicationGroup" => replication::create(cx, input),
        "DescribeReplicationGroups" => replication::describe(cx, input),
        "ModifyReplicationGroup" => replication::modify(cx, input),
        "DeleteReplicationGroup" => replication::delete(cx, input),
        "IncreaseReplicaCount" => replication::increase_replicas(cx, input),
        "DecreaseReplicaCount" => replication::decrease_replicas(cx, input),
        "ModifyReplicationGroupShardConfiguration" => replication::modify_shards(cx, input),
        "TestFailover" => replication::test_failover(cx, input),
        "StartMigration" => replication::start_migration(cx, input),
        "TestMigration" => replication::test_migration(cx, input),
        "CompleteMigration" => replication::complete_migration(cx, input),
        "CreateCacheParameterGroup" => groups::create_param_group(cx, input),
        "DescribeCacheParameterGroups" => groups::describe_param_groups(cx, input),
        "DescribeCacheParameters" => groups::describe_parameters(cx, input),
        "DescribeEngineDefaultParameters" => groups::engine_defaults(cx, input),
        "ModifyCacheParameterGroup" => groups::modify_param_group(cx, input),
        "ResetCacheParameterGroup" => groups::reset_param_group(cx, input),
        "DeleteCacheParameterGroup" => groups::delete_param_group(cx, input),
        "CreateCacheSubnetGroup" => groups::create_subnet_group(cx, input),
        "DescribeCacheSubnetGroups" => groups::describe_subnet_groups(cx, input),
        "ModifyCacheSubnetGroup" => groups::modify_subnet_group(cx, input),
        "DeleteCacheSubnetGroup" => groups::delete_subnet_group(cx, input),
        "CreateCacheSecurityGroup" => groups::create_security_group(cx, input),
        "DescribeCacheSecurityGroups" => groups::describe_security_groups(cx, input),
        "DeleteCacheSecurityGroup" => groups::delete_security_group(cx, input),
        "AuthorizeCacheSecurityGroupIngress" => groups::authorize_ingress(cx, input),
        "RevokeCacheSecurityGroupIngress" => groups::revoke_ingress(cx, input),
        "CreateUser" => users::create_user(cx, input),
        "DescribeUsers" => users::describe_users(cx, input),
        "ModifyUser" => users::modify_user(cx, input),
        "DeleteUser" => users::delete_user(cx, input),
        "CreateUserGroup" => users::create_user_group(cx, input),
        "DescribeUserGroups" => users::describe_user_groups(cx, input),
        "ModifyUserGroup" => users::modify_user_group(cx, input),
        "DeleteUserGroup" => users::delete_user_group(cx, input),
        "CreateSnapshot" => create_snapshot(cx, input),
        "CopySnapshot" => copy_snapshot(cx, input),
        "DeleteSnapshot" => delete_snapshot(cx, input),
        "DescribeSnapshots" => describe_snapshots(cx, input),
        "CreateServerlessCache" => create_serverless(cx, input),
        "DescribeServerlessCaches" => describe_serverless(cx, input),
        "ModifyServerlessCache" => modify_serverless(cx, input),
        "DeleteServerlessCache" => delete_serverless(cx, input),
        "CreateServerlessCacheSnapshot" => create_serverless_snapshot(cx, input),
        "CopyServerlessCacheSnapshot" => copy_serverless_snapshot(cx, input),
        "DeleteServerlessCacheSnapshot" => delete_serverless_snapshot(cx, input),
        "DescribeServerlessCacheSnapshots" => describe_serverless_snapshots(cx, input),
        "ExportServerlessCacheSnapshot" => export_serverless_snapshot(cx, input),
        "CreateGlobalReplicationGroup" => create_global(cx, input),
        "DescribeGlobalReplicationGroups" => describe_global(cx, input),
        "ModifyGlobalReplicationGroup" => modify_global(cx, input),
        "DeleteGlobalReplicationGroup" => delete_global(cx, input),
        "DisassociateGlobalReplicationGroup" => disassociate_global(cx, input),
        "FailoverGlobalReplicationGroup" => failover_global(cx, input),
        "IncreaseNodeGroupsInGlobalReplicationGroup" => resize_global(cx, input, true),
        "DecreaseNodeGroupsInGlobalReplicationGroup" => resize_global(cx, input, false),
        "RebalanceSlotsInGlobalReplicationGroup" => rebalance_global(cx, input),
        "DescribeEvents" => describe_events(cx, input),
        "AddTagsToResource" => add_tags(cx, input),
        "ListTagsForResource" => list_tags(cx, input),
        "RemoveTagsFromResource" => remove_tags(cx, input),
        "DescribeReservedCacheNodes" => describe_reserved(cx, input),
        "DescribeReservedCacheNodesOfferings" => describe_offerings(cx, input),
        "PurchaseReservedCacheNodesOffering" => purchase_offering(cx, input),
        "DescribeServiceUpdates" => describe_service_updates(cx, input),
        "DescribeUpdateActions" => describe_update_actions(cx, input),
        "BatchApplyUpdateAction" => batch_update(cx, input, true),
        "BatchStopUpdateAction" => batch_update(cx, input, false),
        "DescribeCacheEngineVersions" => describe_engine_versions(cx, input),
        "ListAllowedNodeTypeModifications" => allowed_modifications(cx, input),
        other => Err(ApiError::new(
            "InvalidAction",
            format!("The action {other} is not valid for this web service."),
        )),
    }
}

// ---- snapshots ----

fn snapshot_exists(cx: &Cx, name: &str) -> ApiResult<()> {
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
        .map(|n| json!({"CacheNodeId": n.id, "CacheSize": cache_size(n.addr, c.auth_token.as_deref()), "CacheNodeCreateTime": n.created, "SnapshotCreateTime": now()}))
        .collect();
    snap.insert("NodeSnapshots".into(), Value::Array(nodes));
    snap.insert("ARN".into(), cx.arn("snapshot", name).into());
    snap.insert("DataTiering".into(), "disabled".into());
    let captures: Vec<Capture> = c
        .nodes
        .iter()
        .take(1)
        .map(|n| {
            (
                "0001".to_string(),
                n.addr,
                c.auth_token.clone(),
                n.run.as_ref().map(|r| r.data_dir.clone()),
            )
        })
        .collect();
    store_snapshot(cx, name, snap, &captures)
}

fn vpc(cx: &Cx) -> Value {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}/{}", cx.account, cx.region));
    Value::String(format!("vpc-{}", &hex::encode(h)[..8]))
}

/// The node's dataset size as AWS prints it ("3 MB"), read from the running engine.
fn cache_size(addr: Option<std::net::SocketAddr>, auth: Option<&str>) -> String {
    addr.and_then(|a| super::engine::used_memory(a, auth))
        .map(|b| format!("{} MB", b.div_ceil(1024 * 1024)))
        .unwrap_or_default()
}

/// Where a snapshot's RDB files live: one `<node group>.rdb` per captured node.
fn snapshot_dir(cx: &Cx, name: &str) -> std::path::PathBuf {
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

/// A node to capture into a snapshot: node group id, address, auth token, data dir.
type Capture = (
    String,
    Option<std::net::SocketAddr>,
    Option<String>,
    Option<std::path::PathBuf>,
);

/// Saves each node's dataset (SAVE) and copies its dump.rdb into the snapshot's directory.
fn capture(cx: &Cx, name: &str, nodes: &[Capture]) -> bool {
    let dir = snapshot_dir(cx, name);
    if std::fs::create_dir_all(&dir).is_err() {
        return false;
    }
    nodes.iter().all(|(group, addr, auth, data_dir)| {
        let (Some(addr), Some(data_dir)) = (addr, data_dir) else {
            return false;
        };
        super::engine::save_rdb(*addr, auth.as_deref())
            && std::fs::copy(data_dir.join("dump.rdb"), dir.join(format!("{group}.rdb"))).is_ok()
    })
}

fn store_snapshot(
    cx: &mut Cx,
    name: &str,
    snap: Map<String, Value>,
    nodes: &[Capture],
) -> ApiResult<Value> {
    let saved = capture(cx, name, nodes);
    // While a snapshot is being created AWS reports an empty CacheSize.
    let mut out = Value::Object(snap.clone());
    for n in out["NodeSnapshots"].as_array_mut().into_iter().flatten() {
        n["CacheSize"] = "".into();
        if let Some(o) = n.as_object_mut() {
            o.remove("SnapshotCreateTime");
        }
    }
    let mut stored = snap;
    // SAVE runs synchronously, so the stored snapshot is complete (or failed) at once while
    // the response reports the creation, as AWS does.
    stored.insert(
        "SnapshotStatus".into(),
        if saved { "available" } else { "failed" }.into(),
    );
    cx.st
        .snapshots
        .insert(name.to_string(), Value::Object(stored));
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
            Some(json!({"CacheClusterId": m, "NodeGroupId": g.id, "CacheNodeId": n.id, "CacheSize": cache_size(n.addr, c.auth_token.as_deref()),
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
            Some((
                g.id.clone(),
                n.addr,
                c.auth_token.clone(),
                n.run.as_ref().map(|r| r.data_dir.clone()),
            ))
        })
        .collect();
    store_snapshot(cx, name, snap, &captures)
}

fn create_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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

fn snap_not_found(n: &str) -> ApiError {
    ApiError::new("SnapshotNotFoundFault", format!("Snapshot {n} not found."))
}

fn copy_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
    copy["SnapshotName"] = target.clone().into();
    copy["SnapshotSource"] = "manual".into();
    copy["ARN"] = cx.arn("snapshot", &target).into();
    let mut out = copy.clone();
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

fn delete_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "SnapshotName").unwrap_or("");
    let mut snap = remove_snapshot(cx, name).ok_or_else(|| snap_not_found(name))?;
    snap["SnapshotStatus"] = "deleting".into();
    Ok(json!({"Snapshot": snap}))
}

fn describe_snapshots(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if let Some(n) = s(input, "SnapshotName") {
        if !cx.st.snapshots.contains_key(n) {
            return Err(snap_not_found(n));
        }
    }
    if let Some(c) = s(input, "CacheClusterId") {
        clusters::get(cx, c)?;
    }
    let list: Vec<Value> = cx
        .st
        .snapshots
        .values()
        .filter(|sn| s(input, "SnapshotName").is_none_or(|n| sn["SnapshotName"] == n))
        .filter(|sn| s(input, "CacheClusterId").is_none_or(|n| sn["CacheClusterId"] == n))
        .filter(|sn| s(input, "ReplicationGroupId").is_none_or(|n| sn["ReplicationGroupId"] == n))
        .filter(|sn| s(input, "SnapshotSource").is_none_or(|n| sn["SnapshotSource"] == n))
        .cloned()
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"Snapshots": page, "Marker": marker}))
}

// ---- serverless caches ----

fn serverless_not_found(n: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheNotFoundFault",
        format!("Serverless cache {n} not found."),
    )
}

fn create_serverless(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = clusters::check_id(
        "Serverless cache",
        s(input, "ServerlessCacheName").unwrap_or(""),
        40,
    )?;
    if cx.st.serverless.contains_key(&name) {
        return Err(ApiError::new(
            "ServerlessCacheAlreadyExistsFault",
            format!("Serverless cache {name} already exists."),
        ));
    }
    let engine = s(input, "Engine").unwrap_or("").to_ascii_lowercase();
    let (major, full) = match engine.as_str() {
        "redis" => (s(input, "MajorEngineVersion").unwrap_or("7"), "7.1"),
        "valkey" => (s(input, "MajorEngineVersion").unwrap_or("8"), "8.0"),
        "memcached" => (s(input, "MajorEngineVersion").unwrap_or("1.6"), "1.6.22"),
        _ => {
            return Err(ApiError::invalid_value(format!(
                "Invalid engine {engine}: valid values are redis, valkey, memcached."
            )))
        }
    };
    let kind =
        super::runtime::EngineKind::parse(&engine).unwrap_or(super::runtime::EngineKind::Redis);
    let serial = cx.serial();
    let run = start_serverless_node(cx, &name, kind, serial, None)?;
    // One engine process serves both endpoints: reads go to the same node.
    let endpoint = json!({"Address": run.addr.ip().to_string(), "Port": run.addr.port()});
    let arn = cx.arn("serverlesscache", &name);
    let mut doc = json!({
        "ServerlessCacheName": name, "Description": s(input, "Description").unwrap_or(""),
        "CreateTime": now(), "Status": "creating", "Engine": engine, "MajorEngineVersion": major,
        "FullEngineVersion": full, "SecurityGroupIds": strings(input, "SecurityGroupIds"),
        "Endpoint": endpoint, "ReaderEndpoint": endpoint,
        "ARN": arn, "SubnetIds": strings(input, "SubnetIds"),
        "SnapshotRetentionLimit": input["SnapshotRetentionLimit"].as_i64().unwrap_or(0),
        "DailySnapshotTime": s(input, "DailySnapshotTime").unwrap_or("04:00"),
        "NetworkType": "ipv4",
    });
    if let Some(l) = input.get("CacheUsageLimits") {
        doc["CacheUsageLimits"] = l.clone();
    }
    if let Some(u) = s(input, "UserGroupId") {
        doc["UserGroupId"] = u.into();
    }
    cx.tag_new(&arn, input);
    cx.st.serverless_nodes.insert(name.clone(), (serial, run));
    cx.st.serverless.insert(name, doc.clone());
    Ok(json!({"ServerlessCache": doc}))
}

/// Starts the one engine process behind a serverless cache (data dir named by `serial`,
/// reused after an emulator restart) and records the probe to await.
fn start_serverless_node(
    cx: &mut Cx,
    name: &str,
    kind: super::runtime::EngineKind,
    serial: u64,
    preferred: Option<std::net::SocketAddr>,
) -> ApiResult<super::runtime::RunningNode> {
    let spec = super::runtime::NodeSpec {
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
    let run = cx.backend.start(&spec).map_err(|e| {
        ApiError::new(
            "InsufficientCacheClusterCapacity",
            format!("Could not start serverless cache {name}: {e}"),
        )
    })?;
    let persistent = cx.persistent && kind != super::runtime::EngineKind::Memcached;
    cx.pending.push(super::state::Pending {
        cluster_id: name.to_string(),
        serverless: true,
        serial,
        probe: run.probe.clone(),
        config: if persistent {
            super::runtime::aof_config()
        } else {
            vec![]
        },
        acl: vec![],
        addr: run.addr,
        auth: None,
        restored: preferred.is_some(),
    });
    Ok(run)
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
    let run = start_serverless_node(cx, name, kind, serial, preferred)?;
    let endpoint = json!({"Address": run.addr.ip().to_string(), "Port": run.addr.port()});
    if let Some(doc) = cx.st.serverless.get_mut(name) {
        doc["Endpoint"] = endpoint.clone();
        doc["ReaderEndpoint"] = endpoint;
    }
    cx.st
        .serverless_nodes
        .insert(name.to_string(), (serial, run));
    Ok(())
}

fn serverless_available(cx: &Cx, name: &str) -> ApiResult<()> {
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

fn describe_serverless(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "ServerlessCacheName") {
        Some(n) => vec![cx
            .st
            .serverless
            .get(n)
            .cloned()
            .ok_or_else(|| serverless_not_found(n))?],
        None => cx.st.serverless.values().cloned().collect(),
    };
    Ok(json!({"ServerlessCaches": list}))
}

fn modify_serverless(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    serverless_available(cx, name)?;
    let c = cx
        .st
        .serverless
        .get_mut(name)
        .ok_or_else(|| serverless_not_found(name))?;
    for k in [
        "Description",
        "CacheUsageLimits",
        "SnapshotRetentionLimit",
        "DailySnapshotTime",
        "UserGroupId",
    ] {
        if let Some(v) = input.get(k) {
            c[k] = v.clone();
        }
    }
    if input.get("SecurityGroupIds").is_some() {
        c["SecurityGroupIds"] = json!(strings(input, "SecurityGroupIds"));
    }
    let mut out = c.clone();
    out["Status"] = "modifying".into();
    Ok(json!({"ServerlessCache": out}))
}

fn delete_serverless(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    let mut c = cx
        .st
        .serverless
        .remove(name)
        .ok_or_else(|| serverless_not_found(name))?;
    if let Some((_, run)) = cx.st.serverless_nodes.remove(name) {
        cx.doomed.push(run);
    }
    cx.st.event(
        name,
        "serverless-cache",
        format!("Serverless cache {name} deleted"),
    );
    c["Status"] = "deleting".into();
    Ok(json!({"ServerlessCache": c}))
}

fn ss_not_found(n: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheSnapshotNotFoundFault",
        format!("Serverless cache snapshot {n} not found."),
    )
}

fn ss_exists(cx: &Cx, n: &str) -> ApiResult<()> {
    if cx.st.serverless_snapshots.contains_key(n) {
        return Err(ApiError::new(
            "ServerlessCacheSnapshotAlreadyExistsFault",
            format!("Serverless cache snapshot {n} already exists."),
        ));
    }
    Ok(())
}

fn create_serverless_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheSnapshotName")
        .unwrap_or("")
        .to_string();
    let cache = s(input, "ServerlessCacheName").unwrap_or("");
    serverless_available(cx, cache)?;
    let c = cx
        .st
        .serverless
        .get(cache)
        .cloned()
        .ok_or_else(|| serverless_not_found(cache))?;
    ss_exists(cx, &name)?;
    let arn = cx.arn("serverlesscachesnapshot", &name);
    let doc = json!({
        "ServerlessCacheSnapshotName": name, "ARN": arn, "SnapshotType": "manual",
        "Status": "creating", "CreateTime": now(), "BytesUsedForCache": "0",
        "ServerlessCacheConfiguration": {"ServerlessCacheName": cache, "Engine": c["Engine"], "MajorEngineVersion": c["MajorEngineVersion"]},
    });
    cx.tag_new(&arn, input);
    let mut stored = doc.clone();
    stored["Status"] = "available".into();
    cx.st.serverless_snapshots.insert(name, stored);
    Ok(json!({"ServerlessCacheSnapshot": doc}))
}

fn copy_serverless_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let src = s(input, "SourceServerlessCacheSnapshotName").unwrap_or("");
    let target = s(input, "TargetServerlessCacheSnapshotName")
        .unwrap_or("")
        .to_string();
    let orig = cx
        .st
        .serverless_snapshots
        .get(src)
        .cloned()
        .ok_or_else(|| ss_not_found(src))?;
    ss_exists(cx, &target)?;
    let mut copy = orig;
    copy["ServerlessCacheSnapshotName"] = target.clone().into();
    copy["ARN"] = cx.arn("serverlesscachesnapshot", &target).into();
    copy["CreateTime"] = now().into();
    let mut out = copy.clone();
    out["Status"] = "creating".into();
    cx.st.serverless_snapshots.insert(target, copy);
    Ok(json!({"ServerlessCacheSnapshot": out}))
}

fn delete_serverless_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let n = s(input, "ServerlessCacheSnapshotName").unwrap_or("");
    let mut snap = cx
        .st
        .serverless_snapshots
        .remove(n)
        .ok_or_else(|| ss_not_found(n))?;
    snap["Status"] = "deleting".into();
    Ok(json!({"ServerlessCacheSnapshot": snap}))
}

fn describe_serverless_snapshots(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if let Some(n) = s(input, "ServerlessCacheSnapshotName") {
        if !cx.st.serverless_snapshots.contains_key(n) {
            return Err(ss_not_found(n));
        }
    }
    let list: Vec<Value> = cx
        .st
        .serverless_snapshots
        .values()
        .filter(|v| {
            s(input, "ServerlessCacheSnapshotName")
                .is_none_or(|n| v["ServerlessCacheSnapshotName"] == n)
        })
        .filter(|v| {
            s(input, "ServerlessCacheName")
                .is_none_or(|n| v["ServerlessCacheConfiguration"]["ServerlessCacheName"] == n)
        })
        .cloned()
        .collect();
    Ok(json!({"ServerlessCacheSnapshots": list}))
}

fn export_serverless_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let n = s(input, "ServerlessCacheSnapshotName").unwrap_or("");
    let snap = cx
        .st
        .serverless_snapshots
        .get(n)
        .cloned()
        .ok_or_else(|| ss_not_found(n))?;
    Ok(json!({"ServerlessCacheSnapshot": snap}))
}

// ---- global datastores ----

fn global_not_found(n: &str) -> ApiError {
    ApiError::new(
        "GlobalReplicationGroupNotFoundFault",
        format!("Global replication group {n} not found."),
    )
}

/// AWS prefixes global datastore ids with a fixed string per region ("dsdfu" in us-west-1,
/// "sgaui" in us-west-2); other regions get a stable prefix derived from the region name.
fn global_prefix(cx: &Cx) -> String {
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

fn global_slots(i: usize, n: usize) -> String {
    format!("{}-{}", 16384 * i / n, 16384 * (i + 1) / n - 1)
}

fn create_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let suffix = s(input, "GlobalReplicationGroupIdSuffix").unwrap_or("");
    let primary = s(input, "PrimaryReplicationGroupId")
        .unwrap_or("")
        .to_ascii_lowercase();
    let id = format!("{}-{suffix}", global_prefix(cx));
    if cx.globals.contains_key(&id) {
        return Err(ApiError::new(
            "GlobalReplicationGroupAlreadyExistsFault",
            format!("Global replication group {id} already exists."),
        ));
    }
    let rg = cx
        .st
        .repl_groups
        .get(&primary)
        .ok_or_else(|| replication::not_found(&primary))?;
    if rg.doc["Status"] != "available" {
        return Err(ApiError::new(
            "InvalidReplicationGroupState",
            format!("Replication group {primary} is not available."),
        ));
    }
    let first = rg
        .groups
        .first()
        .and_then(|g| g.members.first())
        .and_then(|m| cx.st.clusters.get(m));
    let version = first
        .map(|c| c.doc["EngineVersion"].clone())
        .unwrap_or(Value::Null);
    let engine = first
        .map(|c| c.doc["Engine"].clone())
        .unwrap_or("redis".into());
    let n = rg.groups.len();
    let mut doc = json!({
        "GlobalReplicationGroupId": id,
        "GlobalReplicationGroupDescription": s(input, "GlobalReplicationGroupDescription").unwrap_or(" "),
        "Status": "creating",
        "CacheNodeType": rg.doc["CacheNodeType"], "Engine": engine, "EngineVersion": version,
        "Members": [{"ReplicationGroupId": primary, "ReplicationGroupRegion": cx.region, "Role": "PRIMARY",
                     "AutomaticFailover": rg.doc["AutomaticFailover"], "Status": "associating"}],
        "ClusterEnabled": rg.cluster_mode,
        "AuthTokenEnabled": rg.doc["AuthTokenEnabled"],
        "TransitEncryptionEnabled": rg.doc["TransitEncryptionEnabled"],
        "AtRestEncryptionEnabled": rg.doc["AtRestEncryptionEnabled"],
        "ARN": format!("arn:aws:elasticache::{}:globalreplicationgroup:{id}", cx.account),
    });
    if rg.cluster_mode {
        // The datastore's node groups are the primary's shards, with their slots.
        doc["GlobalNodeGroups"] = Value::Array(
            rg.groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let slots = g.slots.clone().unwrap_or_else(|| global_slots(i, n));
                    json!({"GlobalNodeGroupId": format!("{id}-{}", g.id), "Slots": slots})
                })
                .collect(),
        );
    }
    let mut stored = doc.clone();
    stored["Status"] = "available".into();
    stored["Members"][0]["Status"] = "associated".into();
    cx.globals.insert(id, stored);
    Ok(json!({"GlobalReplicationGroup": doc}))
}

fn global_get<'c>(cx: &'c mut Cx, input: &Value) -> ApiResult<(String, &'c mut Value)> {
    let id = s(input, "GlobalReplicationGroupId")
        .unwrap_or("")
        .to_string();
    let g = cx
        .globals
        .get_mut(&id)
        .ok_or_else(|| global_not_found(&id))?;
    Ok((id, g))
}

fn describe_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let show = input["ShowMemberInfo"].as_bool().unwrap_or(false);
    let list: Vec<Value> = match s(input, "GlobalReplicationGroupId") {
        Some(id) => vec![cx
            .globals
            .get(id)
            .cloned()
            .ok_or_else(|| global_not_found(id))?],
        None => cx.globals.values().cloned().collect(),
    };
    let list = list
        .into_iter()
        .map(|mut g| {
            if !show {
                if let Some(o) = g.as_object_mut() {
                    o.remove("Members");
                    o.remove("GlobalNodeGroups");
                }
            }
            g
        })
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"GlobalReplicationGroups": page, "Marker": marker}))
}

fn modify_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let (_, g) = global_get(cx, input)?;
    if let Some(d) = s(input, "GlobalReplicationGroupDescription") {
        g["GlobalReplicationGroupDescription"] = d.into();
    }
    for k in ["CacheNodeType", "EngineVersion"] {
        if let Some(v) = input.get(k) {
            g[k] = v.clone();
        }
    }
    if let Some(b) = input["AutomaticFailoverEnabled"].as_bool() {
        for m in g["Members"].as_array_mut().into_iter().flatten() {
            m["AutomaticFailover"] = if b { "enabled" } else { "disabled" }.into();
        }
    }
    let mut out = g.clone();
    out["Status"] = "modifying".into();
    if let Some(o) = out.as_object_mut() {
        o.remove("Members");
        o.remove("GlobalNodeGroups");
    }
    Ok(json!({"GlobalReplicationGroup": out}))
}

fn delete_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let (id, g) = global_get(cx, input)?;
    if input["RetainPrimaryReplicationGroup"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value(
            "RetainPrimaryReplicationGroup must be true.",
        ));
    }
    let secondaries = g["Members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Role"] == "SECONDARY")
        .count();
    if secondaries > 0 {
        return Err(ApiError::new(
            "InvalidGlobalReplicationGroupState",
            "Disassociate every secondary replication group before deleting the global datastore.",
        ));
    }
    let mut g = cx
        .globals
        .remove(&id)
        .ok_or_else(|| global_not_found(&id))?;
    g["Status"] = "deleting".into();
    Ok(json!({"GlobalReplicationGroup": g}))
}

fn disassociate_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let rg = s(input, "ReplicationGroupId").unwrap_or("").to_string();
    let region = s(input, "ReplicationGroupRegion").unwrap_or("").to_string();
    let (_, g) = global_get(cx, input)?;
    let out = g.clone();
    let members = g["Members"]
        .as_array_mut()
        .ok_or_else(|| global_not_found(""))?;
    let pos = members
        .iter()
        .position(|m| {
            m["ReplicationGroupId"] == rg.as_str() && m["ReplicationGroupRegion"] == region.as_str()
        })
        .ok_or_else(|| {
            ApiError::invalid_value(format!(
                "Replication group {rg} in {region} is not a member of this global datastore."
            ))
        })?;
    if members[pos]["Role"] == "PRIMARY" {
        return Err(ApiError::invalid_value(
            "The primary replication group cannot be disassociated.",
        ));
    }
    members.remove(pos);
    let mut out = out;
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

fn failover_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let region = s(input, "PrimaryRegion").unwrap_or("").to_string();
    let rg = s(input, "PrimaryReplicationGroupId")
        .unwrap_or("")
        .to_string();
    let (_, g) = global_get(cx, input)?;
    let members = g["Members"]
        .as_array_mut()
        .ok_or_else(|| global_not_found(""))?;
    if !members.iter().any(|m| {
        m["ReplicationGroupId"] == rg.as_str() && m["ReplicationGroupRegion"] == region.as_str()
    }) {
        return Err(ApiError::invalid_value(format!(
            "Replication group {rg} in {region} is not a member of this global datastore."
        )));
    }
    for m in members.iter_mut() {
        let is_new = m["ReplicationGroupId"] == rg.as_str()
            && m["ReplicationGroupRegion"] == region.as_str();
        m["Role"] = if is_new { "PRIMARY" } else { "SECONDARY" }.into();
    }
    let mut out = g.clone();
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

fn resize_global(cx: &mut Cx, input: &Value, increase: bool) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let n = input["NodeGroupCount"].as_i64().unwrap_or(0);
    let retain = strings(input, "GlobalNodeGroupsToRetain");
    let remove = strings(input, "GlobalNodeGroupsToRemove");
    let (id, g) = global_get(cx, input)?;
    if g["ClusterEnabled"] != true {
        return Err(ApiError::new(
            "InvalidGlobalReplicationGroupState",
            "Node groups can only be changed on cluster mode enabled global datastores.",
        ));
    }
    // A decrease answers with the node groups as they are when the removal starts.
    let before = g.clone();
    let mut list = g["GlobalNodeGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let have = list.len() as i64;
    if increase && n <= have || !increase && (n >= have || n < 1) {
        return Err(ApiError::invalid_value(format!(
            "NodeGroupCount {n} is not valid for a global datastore with {have} node groups."
        )));
    }
    // Bounded before the loop below adds one node group per step up to `n`.
    super::limits::in_range("NodeGroupCount", n, 1, super::limits::MAX_NODE_GROUPS)?;
    if increase {
        for i in have..n {
            list.push(json!({"GlobalNodeGroupId": format!("{id}-{:04}", i + 1)}));
        }
    } else if !retain.is_empty() {
        list.retain(|x| retain.iter().any(|r| x["GlobalNodeGroupId"] == r.as_str()));
    } else if !remove.is_empty() {
        list.retain(|x| !remove.iter().any(|r| x["GlobalNodeGroupId"] == r.as_str()));
    } else {
        list.truncate(n as usize);
    }
    let len = list.len();
    for (i, x) in list.iter_mut().enumerate() {
        x["Slots"] = global_slots(i, len).into();
    }
    g["GlobalNodeGroups"] = Value::Array(list);
    let mut out = if increase { g.clone() } else { before };
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

fn rebalance_global(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if input["ApplyImmediately"].as_bool() != Some(true) {
        return Err(ApiError::invalid_value("ApplyImmediately must be true."));
    }
    let (_, g) = global_get(cx, input)?;
    let mut list = g["GlobalNodeGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let len = list.len();
    for (i, x) in list.iter_mut().enumerate() {
        x["Slots"] = global_slots(i, len).into();
    }
    if len > 0 {
        g["GlobalNodeGroups"] = Value::Array(list);
    }
    let mut out = g.clone();
    out["Status"] = "modifying".into();
    Ok(json!({"GlobalReplicationGroup": out}))
}

// ---- events ----

fn describe_events(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    const TYPES: &[&str] = &[
        "cache-cluster",
        "cache-parameter-group",
        "cache-security-group",
        "cache-subnet-group",
        "replication-group",
        "serverless-cache",
        "serverless-cache-snapshot",
        "user",
        "user-group",
    ];
    let ty = s(input, "SourceType");
    if let Some(t) = ty {
        if !TYPES.contains(&t) {
            return Err(ApiError::invalid_value(format!("Invalid SourceType: {t}")));
        }
    }
    let id = s(input, "SourceIdentifier");
    if id.is_some() && ty.is_none() {
        return Err(ApiError::invalid_combination(
            "SourceType is required when SourceIdentifier is given.",
        ));
    }
    let now_secs = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    let end = input["EndTime"].as_f64().unwrap_or(now_secs + 1.0);
    let start = match (input["StartTime"].as_f64(), input["Duration"].as_i64()) {
        (Some(s), _) => s,
        (None, Some(d)) => end - (d as f64) * 60.0,
        (None, None) => now_secs - 3600.0,
    };
    let parse = |d: &Value| {
        d.as_str()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(|t| t.unix_timestamp() as f64)
            .unwrap_or(0.0)
    };
    let mut list: Vec<Value> = cx
        .st
        .events
        .iter()
        .filter(|e| ty.is_none_or(|t| e["SourceType"] == t))
        .filter(|e| id.is_none_or(|i| e["SourceIdentifier"] == i))
        .filter(|e| {
            let t = parse(&e["Date"]);
            t >= start.floor() && t <= end
        })
        .cloned()
        .collect();
    list.reverse();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"Events": page, "Marker": marker}))
}

// ---- tags ----

/// Checks that an ARN names an existing resource of this account and region.
fn resource_exists(cx: &Cx, arn: &str) -> ApiResult<()> {
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

fn tag_list(cx: &Cx, arn: &str) -> Value {
    json!({"TagList": cx.st.tags.get(arn).cloned().unwrap_or_default()})
}

fn add_tags(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let arn = s(input, "ResourceName").unwrap_or("").to_string();
    resource_exists(cx, &arn)?;
    let list = cx.st.tags.entry(arn.clone()).or_default();
    for t in input["Tags"].as_array().into_iter().flatten() {
        list.retain(|x| x["Key"] != t["Key"]);
        list.push(t.clone());
    }
    if list.len() > 50 {
        return Err(ApiError::new(
            "TagQuotaPerResourceExceeded",
            "A resource can have at most 50 tags.",
        ));
    }
    Ok(tag_list(cx, &arn))
}

fn list_tags(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let arn = s(input, "ResourceName").unwrap_or("").to_string();
    resource_exists(cx, &arn)?;
    Ok(tag_list(cx, &arn))
}

fn remove_tags(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let arn = s(input, "ResourceName").unwrap_or("").to_string();
    resource_exists(cx, &arn)?;
    let keys = strings(input, "TagKeys");
    let list = cx.st.tags.entry(arn.clone()).or_default();
    for k in &keys {
        if !list.iter().any(|t| t["Key"] == k.as_str()) {
            return Err(ApiError::new("TagNotFound", format!("Tag {k} not found.")));
        }
    }
    list.retain(|t| !keys.iter().any(|k| t["Key"] == k.as_str()));
    Ok(tag_list(cx, &arn))
}

// ---- reserved nodes ----

fn offering_matches(o: &Value, input: &Value) -> bool {
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

fn describe_offerings(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let list: Vec<Value> = catalog::offerings()
        .into_iter()
        .filter(|o| offering_matches(o, input))
        .collect();
    if let Some(id) = s(input, "ReservedCacheNodesOfferingId") {
        if list.is_empty() {
            return Err(ApiError::new(
                "ReservedCacheNodesOfferingNotFound",
                format!("ReservedCacheNodesOffering {id} not found."),
            ));
        }
    }
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"ReservedCacheNodesOfferings": page, "Marker": marker}))
}

fn purchase_offering(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let oid = s(input, "ReservedCacheNodesOfferingId").unwrap_or("");
    let o = catalog::offerings()
        .into_iter()
        .find(|o| o["ReservedCacheNodesOfferingId"] == oid)
        .ok_or_else(|| {
            ApiError::new(
                "ReservedCacheNodesOfferingNotFound",
                format!("ReservedCacheNodesOffering {oid} not found."),
            )
        })?;
    let started = time::OffsetDateTime::now_utc();
    let id = s(input, "ReservedCacheNodeId")
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let f = time::macros::format_description!(
                "ri-[year]-[month]-[day]-[hour]-[minute]-[second]-[subsecond digits:3]"
            );
            started.format(&f).unwrap_or_default()
        });
    if cx.st.reserved.contains_key(&id) {
        return Err(ApiError::new(
            "ReservedCacheNodeAlreadyExists",
            format!("Reserved cache node {id} already exists."),
        ));
    }
    let count = input["CacheNodeCount"].as_i64().unwrap_or(1);
    let arn = cx.arn("reserved-instance", &id);
    let doc = json!({
        "ReservedCacheNodeId": id, "ReservedCacheNodesOfferingId": oid, "CacheNodeType": o["CacheNodeType"],
        "StartTime": super::state::fmt_time(started), "Duration": o["Duration"], "FixedPrice": o["FixedPrice"],
        "UsagePrice": o["UsagePrice"], "CacheNodeCount": count, "ProductDescription": o["ProductDescription"],
        "OfferingType": o["OfferingType"], "State": "payment-pending", "RecurringCharges": o["RecurringCharges"],
        "ReservationARN": arn,
    });
    cx.tag_new(&arn, input);
    cx.st.reserved.insert(id, doc.clone());
    Ok(json!({"ReservedCacheNode": doc}))
}

fn describe_reserved(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if let Some(id) = s(input, "ReservedCacheNodeId") {
        if !cx.st.reserved.contains_key(id) {
            return Err(ApiError::new(
                "ReservedCacheNodeNotFound",
                format!("Reserved cache node {id} not found."),
            ));
        }
    }
    let list: Vec<Value> = cx
        .st
        .reserved
        .values()
        .filter(|r| s(input, "ReservedCacheNodeId").is_none_or(|v| r["ReservedCacheNodeId"] == v))
        .filter(|r| offering_matches(r, input))
        .cloned()
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"ReservedCacheNodes": page, "Marker": marker}))
}

// ---- service updates and update actions ----

fn describe_service_updates(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let statuses = strings(input, "ServiceUpdateStatus");
    let list: Vec<Value> = catalog::service_updates()
        .into_iter()
        .filter(|u| s(input, "ServiceUpdateName").is_none_or(|n| u["ServiceUpdateName"] == n))
        .filter(|u| {
            statuses.is_empty()
                || statuses
                    .iter()
                    .any(|st| u["ServiceUpdateStatus"] == st.as_str())
        })
        .collect();
    if let Some(n) = s(input, "ServiceUpdateName") {
        if list.is_empty() {
            return Err(ApiError::new(
                "ServiceUpdateNotFoundFault",
                format!("Service update {n} not found."),
            ));
        }
    }
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"ServiceUpdates": page, "Marker": marker}))
}

/// Every (available service update x redis group / standalone cluster) pair is an action.
fn all_update_actions(cx: &Cx) -> Vec<(String, String, Value)> {
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

fn describe_update_actions(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let rgs = strings(input, "ReplicationGroupIds");
    let ccs = strings(input, "CacheClusterIds");
    let statuses = strings(input, "UpdateActionStatus");
    let list: Vec<Value> = all_update_actions(cx)
        .into_iter()
        .map(|(_, _, v)| v)
        .filter(|v| s(input, "ServiceUpdateName").is_none_or(|n| v["ServiceUpdateName"] == n))
        .filter(|v| rgs.is_empty() || rgs.iter().any(|r| v["ReplicationGroupId"] == r.as_str()))
        .filter(|v| ccs.is_empty() || ccs.iter().any(|r| v["CacheClusterId"] == r.as_str()))
        .filter(|v| {
            statuses.is_empty()
                || statuses
                    .iter()
                    .any(|r| v["UpdateActionStatus"] == r.as_str())
        })
        .filter(|v| s(input, "Engine").is_none_or(|e| v["Engine"] == e))
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"UpdateActions": page, "Marker": marker}))
}

fn batch_update(cx: &mut Cx, input: &Value, apply: bool) -> ApiResult<Value> {
    let name = s(input, "ServiceUpdateName").unwrap_or("").to_string();
    let update = catalog::service_updates()
        .into_iter()
        .find(|u| u["ServiceUpdateName"] == name.as_str())
        .ok_or_else(|| {
            ApiError::new(
                "ServiceUpdateNotFoundFault",
                format!("Service update {name} not found."),
            )
        })?;
    let rgs = strings(input, "ReplicationGroupIds");
    let ccs = strings(input, "CacheClusterIds");
    if rgs.is_empty() && ccs.is_empty() {
        return Err(ApiError::invalid_combination(
            "Either ReplicationGroupIds or CacheClusterIds must be given.",
        ));
    }
    let mut processed = vec![];
    let mut unprocessed = vec![];
    let targets = rgs
        .iter()
        .map(|r| {
            (
                "ReplicationGroupId",
                format!("rg:{r}"),
                r.clone(),
                cx.st.repl_groups.contains_key(r),
            )
        })
        .chain(ccs.iter().map(|c| {
            (
                "CacheClusterId",
                format!("cc:{c}"),
                c.clone(),
                cx.st.clusters.contains_key(c),
            )
        }))
        .collect::<Vec<_>>();
    for (field, key, id, exists) in targets {
        if !exists || update["ServiceUpdateStatus"] != "available" {
            let mut u = json!({"ServiceUpdateName": name, "ErrorType": "InvalidParameterValue",
                "ErrorMessage": if exists { "The service update is not available".to_string() } else { format!("{id} not found") }});
            u[field] = id.into();
            unprocessed.push(u);
            continue;
        }
        let status = if apply {
            "waiting-to-start"
        } else {
            "stopping"
        };
        // Nothing to patch on a local process: an applied update completes immediately.
        let stored = if apply { "complete" } else { "stopped" };
        cx.st
            .update_actions
            .insert((name.clone(), key), (stored.into(), now()));
        let mut p = json!({"ServiceUpdateName": name, "UpdateActionStatus": status});
        p[field] = id.into();
        processed.push(p);
    }
    Ok(json!({"ProcessedUpdateActions": processed, "UnprocessedUpdateActions": unprocessed}))
}

// ---- engine versions and node types ----

fn describe_engine_versions(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let engine = s(input, "Engine").map(str::to_ascii_lowercase);
    let default_only = input["DefaultOnly"].as_bool().unwrap_or(false);
    let mut list: Vec<(&str, &str, &str)> = catalog::ENGINE_VERSIONS
        .iter()
        .copied()
        .filter(|(e, _, _)| engine.as_deref().is_none_or(|x| x == *e))
        .filter(|(_, v, _)| s(input, "EngineVersion").is_none_or(|x| x == *v))
        .filter(|(_, _, f)| s(input, "CacheParameterGroupFamily").is_none_or(|x| x == *f))
        .collect();
    list.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    if default_only {
        list.retain(|(e, v, _)| {
            super::runtime::EngineKind::parse(e).is_some_and(|k| catalog::default_version(k) == *v)
        });
    }
    let out: Vec<Value> = list
        .into_iter()
        .map(|(e, v, f)| {
            // AWS's own casing: "Redis", "Valkey", but "memcached".
            let title = match e {
                "redis" => "Redis",
                "valkey" => "Valkey",
                _ => "memcached",
            };
            json!({"Engine": e, "EngineVersion": v, "CacheParameterGroupFamily": f,
                "CacheEngineDescription": title, "CacheEngineVersionDescription": format!("{e} version {v}")})
        })
        .collect();
    let (page, marker) = paginate(out, input)?;
    Ok(json!({"CacheEngineVersions": page, "Marker": marker}))
}

fn allowed_modifications(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let node_type = match (s(input, "CacheClusterId"), s(input, "ReplicationGroupId")) {
        (Some(c), _) => {
            let c = clusters::get(cx, c)?;
            if c.engine == super::runtime::EngineKind::Memcached {
                return Err(ApiError::invalid_value(
                    "Node type modification is not supported for memcached clusters.",
                ));
            }
            c.doc["CacheNodeType"].as_str().unwrap_or("").to_string()
        }
        (None, Some(r)) => cx
            .st
            .repl_groups
            .get(&r.to_ascii_lowercase())
            .ok_or_else(|| replication::not_found(r))?
            .doc["CacheNodeType"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        (None, None) => {
            return Err(ApiError::invalid_combination(
                "Either CacheClusterId or ReplicationGroupId must be given.",
            ))
        }
    };
    let (up, down) = catalog::allowed_modifications(&node_type);
    Ok(json!({"ScaleUpModifications": up, "ScaleDownModifications": down}))
}
