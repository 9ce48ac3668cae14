//! ElastiCache through the real AWS CLI: every action, real nodes, process cleanup, bad input.

mod actions;
mod automatic_snapshots;
mod catalogs;
mod defaults;
mod empty_strings;
mod errors;
mod failover;
mod limits;
mod migration;
mod node_type_parameters;
mod nodes;
mod persistence;
mod placement;
pub mod published;
mod semantics;
mod switches;
mod validation;
mod versions;
mod windows;

use std::time::{Duration, Instant};

use super::common::{CliResult, TestEmulator};

/// Runs `aws elasticache <op> <args>` and returns the parsed JSON (asserts success).
pub fn ec(emu: &TestEmulator, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["elasticache"];
    full.extend_from_slice(args);
    emu.aws(&full).json()
}

/// Runs `aws elasticache ...` and returns the raw result (for expected failures).
pub fn ec_raw(emu: &TestEmulator, args: &[&str]) -> CliResult {
    let mut full = vec!["elasticache"];
    full.extend_from_slice(args);
    emu.aws(&full)
}

/// Starts a redis replication group of cache.t3.micro nodes (plus `extra` arguments) and waits
/// until it is `available`.
pub fn create_group(emu: &TestEmulator, id: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "create-replication-group",
        "--replication-group-id",
        id,
        "--replication-group-description",
        "test group",
        "--engine",
        "redis",
        "--cache-node-type",
        "cache.t3.micro",
    ];
    args.extend_from_slice(extra);
    ec(emu, &args);
    wait_group(emu, id)
}

/// CreateCacheCluster arguments: `nodes` cache.t3.micro nodes of `engine`.
pub fn create_cluster_args(id: &str, engine: &str, nodes: u32) -> Vec<String> {
    [
        "create-cache-cluster",
        "--cache-cluster-id",
        id,
        "--engine",
        engine,
        "--cache-node-type",
        "cache.t3.micro",
        "--num-cache-nodes",
        &nodes.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// Creates a cache cluster of `nodes` cache.t3.micro nodes (plus `extra` arguments); answers
/// the create call's output without waiting.
pub fn create_cluster(
    emu: &TestEmulator,
    id: &str,
    engine: &str,
    nodes: u32,
    extra: &[&str],
) -> serde_json::Value {
    let base = create_cluster_args(id, engine, nodes);
    let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    ec(emu, &args)
}

/// Polls DescribeCacheClusters until the cluster is `available`.
pub fn wait_cluster(emu: &TestEmulator, id: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let v = ec(
            emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                id,
                "--show-cache-node-info",
            ],
        );
        let c = v["CacheClusters"][0].clone();
        if c["CacheClusterStatus"] == "available" {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{id} not available: {c}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls DescribeReplicationGroups until the group is `available`.
pub fn wait_group(emu: &TestEmulator, id: &str) -> serde_json::Value {
    wait_group_within(emu, id, Duration::from_secs(60))
}

/// `wait_group` for work that takes longer (a reshard moves slots key by key).
pub fn wait_group_within(emu: &TestEmulator, id: &str, limit: Duration) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let v = ec(
            emu,
            &["describe-replication-groups", "--replication-group-id", id],
        );
        let g = v["ReplicationGroups"][0].clone();
        if g["Status"] == "available" {
            return g;
        }
        assert!(start.elapsed() < limit, "{id} not available: {g}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The messages of a cache cluster's events.
pub fn event_messages(events: &serde_json::Value) -> Vec<String> {
    events["Events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["Message"].as_str().map(str::to_owned))
        .collect()
}

/// Polls until `pred` holds (process bookkeeping after a stop is asynchronous).
pub fn eventually(what: &str, mut pred: impl FnMut() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `redis-cli` (the real client) with `args`; returns (success, stdout + stderr).
pub fn redis_cli(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("redis-cli")
        .args(args)
        .output()
        .expect("redis-cli (run scripts/setup)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_string())
}

/// redis-cli over TLS, trusting `ca`, with an AUTH token; (success, output).
pub fn redis_cli_tls(ca: &str, ep: &(String, u16), token: &str, cmd: &[&str]) -> (bool, String) {
    let port = ep.1.to_string();
    let mut a = vec![
        "--tls",
        "--cacert",
        ca,
        "-h",
        ep.0.as_str(),
        "-p",
        port.as_str(),
        "-a",
        token,
        "--no-auth-warning",
    ];
    a.extend_from_slice(cmd);
    redis_cli(&a)
}

/// Writes `n` keys through a cluster client that starts from `url` (a configuration
/// endpoint), then reads each back: every shard must be reachable where CLUSTER SLOTS says.
pub fn cluster_round_trip(url: &str, n: i64) {
    let client = redis::cluster::ClusterClient::new(vec![url.to_string()]).unwrap();
    let mut c = client.get_connection().unwrap();
    for i in 0..n {
        let _: () = redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query(&mut c)
            .unwrap();
    }
    for i in 0..n {
        let v: i64 = redis::cmd("GET")
            .arg(format!("key:{i}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(v, i, "key:{i} through {url}");
    }
}

/// An endpoint's (Address, Port).
pub fn hp(ep: &serde_json::Value) -> (String, u16) {
    (
        ep["Address"].as_str().expect("address").to_string(),
        ep["Port"].as_u64().expect("port") as u16,
    )
}

/// CreateReplicationGroup arguments of a cluster-mode group: two shards of a primary and a
/// replica.
pub const TWO_SHARDS: &[&str] = &[
    "--num-node-groups",
    "2",
    "--replicas-per-node-group",
    "1",
    "--cache-parameter-group-name",
    "default.redis7.cluster.on",
];
