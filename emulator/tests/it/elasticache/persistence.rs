//! `--state-dir`: ElastiCache resources and the data in their nodes survive a restart of the
//! emulator binary, after SIGTERM (nodes save and stop) and after SIGKILL (the AOF, fsynced
//! every second, carries the writes).

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::common::{
    aws_at, engines_of, kill_binary, post_query, running, start_binary, suite_backend,
};
use super::eventually;
use emulator::config::CacheBackendKind;

const ACCT: &str = "200000000071";
const REGION: &str = "us-west-2";
const TOKEN: &str = "pers-token-000000001";
const USER_PASS: &str = "pers-user-password-01";

struct Emu {
    child: Child,
    url: String,
}

impl Drop for Emu {
    fn drop(&mut self) {
        kill_binary(&mut self.child);
    }
}

impl Emu {
    fn start(state: &Path) -> Self {
        let (child, url) = start_binary(&["--state-dir", state.to_str().unwrap()]);
        Emu { child, url }
    }

    fn ec(&self, args: &[&str]) -> Value {
        let mut full = vec!["elasticache"];
        full.extend_from_slice(args);
        aws_at(&self.url, ACCT, REGION, &full).json()
    }

    /// CreateCacheCluster of `nodes` cache.t3.micro nodes of `engine`.
    fn create_cluster(&self, id: &str, engine: &str, nodes: u32) {
        let args = super::create_cluster_args(id, engine, nodes);
        self.ec(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Engine processes (redis-server / memcached) the emulator runs.
    fn engines(&self) -> Vec<u32> {
        engines_of(self.pid())
    }

    /// Sends `signal` and waits for the emulator and its engines to be gone.
    fn stop(mut self, signal: i32) {
        let engines = self.engines();
        // SAFETY: plain kill(2) on a child we spawned.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
        let status = self.child.wait().unwrap();
        if signal == libc::SIGTERM {
            assert!(status.success(), "emulator exit after SIGTERM: {status}");
        }
        // Containers outlive a SIGKILLed emulator; the next one removes them before it starts
        // its nodes (nodes.rs checks that).
        if signal == libc::SIGKILL && suite_backend() != CacheBackendKind::Process {
            return;
        }
        for pid in engines {
            eventually("engine gone with the emulator", || !running(pid));
        }
    }

    fn cluster(&self, id: &str) -> Value {
        self.ec(&[
            "describe-cache-clusters",
            "--cache-cluster-id",
            id,
            "--show-cache-node-info",
        ])["CacheClusters"][0]
            .clone()
    }

    fn group(&self, id: &str) -> Value {
        self.ec(&["describe-replication-groups", "--replication-group-id", id])["ReplicationGroups"]
            [0]
        .clone()
    }

    fn wait_available(&self, what: &str, get: impl Fn() -> Value, status: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = get();
            if v[status] == "available" {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{what} not available: {v}"
            );
            // Each poll runs the AWS CLI (a Python start-up): poll gently, other tests run too.
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn ca(&self, dir: &Path) -> String {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let pem = rt.block_on(async {
            reqwest::get(format!("{}/_emulator/ca.pem", self.url))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        let path = dir.join("ca.pem");
        std::fs::write(&path, pem).unwrap();
        path.display().to_string()
    }
}

fn hp(ep: &Value) -> (String, u16) {
    (
        ep["Address"].as_str().expect("address").to_string(),
        ep["Port"].as_u64().expect("port") as u16,
    )
}

/// redis-cli over TLS with the AUTH token; (success, output).
fn tls_cli(ca: &str, ep: &(String, u16), cmd: &[&str]) -> (bool, String) {
    super::redis_cli_tls(ca, ep, TOKEN, cmd)
}

/// A connection as the user group's user (the replication group uses RBAC).
fn user_conn(ep: &(String, u16)) -> redis::RedisResult<redis::Connection> {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(ep.0.clone(), ep.1),
        redis: redis::RedisConnectionInfo {
            username: Some("pers-user".into()),
            password: Some(USER_PASS.into()),
            ..Default::default()
        },
    };
    redis::Client::open(info)?.get_connection_with_timeout(Duration::from_secs(2))
}

fn plain_conn(ep: &(String, u16)) -> redis::Connection {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(ep.0.clone(), ep.1),
        redis: Default::default(),
    };
    redis::Client::open(info)
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap()
}

fn get(c: &mut redis::Connection, k: &str) -> Option<String> {
    redis::cmd("GET").arg(k).query(c).unwrap()
}

fn set(c: &mut redis::Connection, k: &str, v: &str) {
    redis::cmd("SET").arg(k).arg(v).query::<()>(c).unwrap()
}

/// Waits until `needle` is in an AOF file under `root` (written by the node, so a SIGKILL of
/// the node or the emulator cannot lose it).
fn in_aof(root: &Path, needle: &str) {
    fn found(dir: &Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                let p = e.path();
                if p.is_dir() {
                    found(&p, needle)
                } else {
                    p.to_string_lossy().contains("appendonlydir")
                        && std::fs::read(&p)
                            .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
                }
            })
    }
    super::eventually(&format!("{needle} in an AOF"), || {
        found(root, needle.as_bytes())
    });
}

fn until_value(c: &mut redis::Connection, k: &str, v: &str) {
    let start = Instant::now();
    while get(c, k).as_deref() != Some(v) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{k} never reached {v}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Everything the test checks after a restart, as it was before.
#[derive(Debug, PartialEq)]
struct Endpoints {
    tls: (String, u16),
    primary: (String, u16),
    replica: (String, u16),
    group_primary: (String, u16),
    serverless: (String, u16),
}

fn endpoints(emu: &Emu) -> Endpoints {
    let node = |id: &str| {
        let c = emu.wait_available(id, || emu.cluster(id), "CacheClusterStatus");
        hp(&c["CacheNodes"][0]["Endpoint"])
    };
    let g = emu.wait_available("pers-rg", || emu.group("pers-rg"), "Status");
    let sc = emu.wait_available(
        "pers-sc",
        || {
            emu.ec(&[
                "describe-serverless-caches",
                "--serverless-cache-name",
                "pers-sc",
            ])["ServerlessCaches"][0]
                .clone()
        },
        "Status",
    );
    Endpoints {
        tls: node("pers-tls"),
        primary: node("pers-rg-001"),
        replica: node("pers-rg-002"),
        group_primary: hp(&g["NodeGroups"][0]["PrimaryEndpoint"]),
        serverless: hp(&sc["Endpoint"]),
    }
}

fn create_all(emu: &Emu) {
    emu.ec(&[
        "create-cache-parameter-group",
        "--cache-parameter-group-name",
        "pers-pg",
        "--cache-parameter-group-family",
        "redis7",
        "--description",
        "kept",
    ]);
    emu.ec(&[
        "modify-cache-parameter-group",
        "--cache-parameter-group-name",
        "pers-pg",
        "--parameter-name-values",
        "ParameterName=maxmemory-policy,ParameterValue=allkeys-lru",
    ]);
    emu.ec(&[
        "create-cache-cluster",
        "--cache-cluster-id",
        "pers-tls",
        "--engine",
        "redis",
        "--engine-version",
        "7.1",
        "--cache-node-type",
        "cache.t3.micro",
        "--cache-parameter-group-name",
        "pers-pg",
        "--transit-encryption-enabled",
        "--auth-token",
        TOKEN,
    ]);
    emu.ec(&[
        "create-user",
        "--user-id",
        "pers-user",
        "--user-name",
        "pers-user",
        "--engine",
        "redis",
        "--passwords",
        USER_PASS,
        "--access-string",
        "on ~* +@all",
    ]);
    emu.ec(&[
        "create-user-group",
        "--user-group-id",
        "pers-ug",
        "--engine",
        "redis",
        "--user-ids",
        "default",
        "pers-user",
    ]);
    emu.ec(&[
        "create-replication-group",
        "--replication-group-id",
        "pers-rg",
        "--replication-group-description",
        "kept",
        "--engine",
        "redis",
        "--cache-node-type",
        "cache.t3.micro",
        "--num-cache-clusters",
        "2",
        "--user-group-ids",
        "pers-ug",
    ]);
    emu.ec(&[
        "create-serverless-cache",
        "--serverless-cache-name",
        "pers-sc",
        "--engine",
        "redis",
    ]);
}

#[test]
fn state_dir_brings_back_resources_endpoints_and_data_after_sigterm_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let ca_dir = tempfile::tempdir().unwrap();

    let emu = Emu::start(&state);
    create_all(&emu);
    let before = endpoints(&emu);
    let ca = emu.ca(ca_dir.path());
    assert_eq!(
        tls_cli(&ca, &before.tls, &["SET", "tls-key", "one"]).1,
        "OK"
    );
    let mut p = user_conn(&before.primary).unwrap();
    set(&mut p, "rg-key", "two");
    until_value(&mut user_conn(&before.replica).unwrap(), "rg-key", "two");
    set(&mut plain_conn(&before.serverless), "sc-key", "three");
    emu.stop(libc::SIGTERM);
    assert!(state.join("elasticache.json").is_file());

    // Restart: the endpoints answer as soon as the restore is done.
    let started = Instant::now();
    let emu = Emu::start(&state);
    let start_to_ping = loop {
        if tls_cli(&ca, &before.tls, &["PING"]) == (true, "PONG".to_string()) {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "restored node never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!("emulator start to restored TLS node PING: {start_to_ping:?}");
    let after = endpoints(&emu);
    assert_eq!(after, before, "endpoints changed across the restart");
    // The CA is the same: the old ca.pem still verifies the nodes.
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), {
        let again = tempfile::tempdir().unwrap();
        std::fs::read_to_string(emu.ca(again.path())).unwrap()
    });
    for ep in [&after.primary, &after.replica] {
        let mut c = user_conn(ep).expect("ACL user re-applied");
        assert_eq!(redis::cmd("PING").query::<String>(&mut c).unwrap(), "PONG");
    }
    assert_eq!(tls_cli(&ca, &after.tls, &["GET", "tls-key"]).1, "one");
    // Parameter-group values reach the restarted engine again.
    let (_, policy) = tls_cli(&ca, &after.tls, &["CONFIG", "GET", "maxmemory-policy"]);
    assert!(policy.contains("allkeys-lru"), "{policy}");
    let mut p = user_conn(&after.primary).unwrap();
    assert_eq!(get(&mut p, "rg-key").as_deref(), Some("two"));
    let mut r = user_conn(&after.replica).unwrap();
    assert_eq!(get(&mut r, "rg-key").as_deref(), Some("two"));
    // Replication runs again: a write to the restored primary reaches the restored replica.
    set(&mut p, "after-restart", "four");
    until_value(&mut r, "after-restart", "four");
    assert_eq!(
        get(&mut plain_conn(&after.serverless), "sc-key").as_deref(),
        Some("three")
    );
    // The control plane came back too.
    let params = emu.ec(&[
        "describe-cache-parameters",
        "--cache-parameter-group-name",
        "pers-pg",
        "--source",
        "user",
    ]);
    let policy = params["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ParameterName"] == "maxmemory-policy")
        .expect("modified parameter kept");
    assert_eq!(policy["ParameterValue"], "allkeys-lru");
    let ug = emu.ec(&["describe-user-groups", "--user-group-id", "pers-ug"]);
    assert_eq!(ug["UserGroups"][0]["ReplicationGroups"][0], "pers-rg");
    let users = emu.ec(&["describe-users", "--user-id", "pers-user"]);
    assert_eq!(users["Users"][0]["UserName"], "pers-user");
    let g = emu.group("pers-rg");
    assert_eq!(
        g["MemberClusters"],
        serde_json::json!(["pers-rg-001", "pers-rg-002"])
    );
    assert_eq!(emu.cluster("pers-tls")["AuthTokenEnabled"], true);

    // SIGKILL: nothing is saved at exit; the AOF (fsync every second) carries the write.
    set(&mut p, "killed-key", "five");
    in_aof(&state, "killed-key");
    emu.stop(libc::SIGKILL);
    let emu = Emu::start(&state);
    assert_eq!(endpoints(&emu), before);
    let mut p = user_conn(&before.primary).unwrap();
    assert_eq!(get(&mut p, "killed-key").as_deref(), Some("five"));
    assert_eq!(get(&mut p, "after-restart").as_deref(), Some("four"));

    // Deleting removes the nodes and their data for good.
    emu.ec(&["delete-cache-cluster", "--cache-cluster-id", "pers-tls"]);
    emu.ec(&[
        "delete-replication-group",
        "--replication-group-id",
        "pers-rg",
    ]);
    emu.ec(&[
        "delete-serverless-cache",
        "--serverless-cache-name",
        "pers-sc",
    ]);
    emu.ec(&["delete-user-group", "--user-group-id", "pers-ug"]);
    emu.ec(&["delete-user", "--user-id", "pers-user"]);
    emu.ec(&[
        "delete-cache-parameter-group",
        "--cache-parameter-group-name",
        "pers-pg",
    ]);
    eventually("every engine stopped", || emu.engines().is_empty());
    emu.stop(libc::SIGTERM);
    let nodes_dir = state.join("elasticache").join(ACCT).join(REGION);
    let left: Vec<String> = std::fs::read_dir(&nodes_dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("pers-") || n.starts_with("serverless-"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "node data left behind: {left:?}");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(state.join("elasticache.json")).unwrap()).unwrap();
    let region = saved["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account"] == ACCT && r["region"] == REGION)
        .expect("region saved");
    assert_eq!(region["state"]["clusters"], serde_json::json!({}));
    assert_eq!(region["state"]["repl_groups"], serde_json::json!({}));
    // Events stay, as AWS keeps them for a while.
    assert!(region["state"]["events"].as_array().unwrap().len() > 3);
}

/// memcached's text protocol: the first reply line to `cmd`.
fn memcached(ep: &(String, u16), cmd: &str) -> Option<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut s = std::net::TcpStream::connect((ep.0.as_str(), ep.1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(cmd.as_bytes()).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}

#[test]
fn state_dir_brings_back_a_redis_cluster_memcached_nodes_and_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let emu = Emu::start(&state);
    emu.ec(&[
        "create-replication-group",
        "--replication-group-id",
        "pers-clu",
        "--replication-group-description",
        "kept",
        "--engine",
        "redis",
        "--cache-node-type",
        "cache.t3.micro",
        "--num-node-groups",
        "2",
        "--replicas-per-node-group",
        "1",
    ]);
    emu.create_cluster("pers-mc", "memcached", 2);
    let g = emu.wait_available("pers-clu", || emu.group("pers-clu"), "Status");
    let mc = emu.wait_available("pers-mc", || emu.cluster("pers-mc"), "CacheClusterStatus");
    let config_ep = hp(&g["ConfigurationEndpoint"]);
    let url = format!("redis://{}:{}/", config_ep.0, config_ep.1);
    let client = redis::cluster::ClusterClient::new(vec![url.clone()]).unwrap();
    let mut c = client.get_connection().unwrap();
    for i in 0..200 {
        redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query::<()>(&mut c)
            .unwrap();
    }
    let mc_nodes: Vec<(String, u16)> = mc["CacheNodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| hp(&n["Endpoint"]))
        .collect();
    assert_eq!(
        memcached(&mc_nodes[0], "set k 0 0 1\r\nx\r\n").as_deref(),
        Some("STORED")
    );
    emu.ec(&[
        "create-snapshot",
        "--replication-group-id",
        "pers-clu",
        "--snapshot-name",
        "pers-snap",
    ]);
    let members: Vec<Value> = g["MemberClusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| emu.cluster(m.as_str().unwrap())["CacheNodes"][0]["Endpoint"].clone())
        .collect();
    emu.stop(libc::SIGTERM);

    // Someone else took one replica's address meanwhile: that node comes back elsewhere, the
    // API reports where, and the cluster is formed again around it.
    let taken = hp(&members[3]);
    let squatter = std::net::TcpListener::bind((taken.0.as_str(), taken.1)).unwrap();
    // Data of a cluster whose delete a killed emulator never finished cleaning up.
    let region_dir = state.join("elasticache").join(ACCT).join(REGION);
    let stray = region_dir.join("gone-0001-99");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("dump.rdb"), b"x").unwrap();
    let emu = Emu::start(&state);
    let g2 = emu.wait_available("pers-clu", || emu.group("pers-clu"), "Status");
    drop(squatter);
    assert_eq!(
        g2["ConfigurationEndpoint"],
        g["ConfigurationEndpoint"],
        "{}",
        emu.ec(&["describe-events", "--source-identifier", "pers-clu"])
    );
    let members2: Vec<Value> = g2["MemberClusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| emu.cluster(m.as_str().unwrap())["CacheNodes"][0]["Endpoint"].clone())
        .collect();
    assert_eq!(members2[..3], members[..3]);
    assert_ne!(members2[3], members[3], "a taken address was reused");
    // Every node sees a whole cluster again, and every key is where the slots say.
    for ep in &members2 {
        let mut n = plain_conn(&hp(ep));
        let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut n).unwrap();
        assert!(info.contains("cluster_state:ok"), "{ep}: {info}");
        assert!(info.contains("cluster_known_nodes:4"), "{ep}: {info}");
    }
    let client = redis::cluster::ClusterClient::new(vec![url]).unwrap();
    let mut c = client.get_connection().unwrap();
    for i in 0..200 {
        let v: i64 = redis::cmd("GET")
            .arg(format!("key:{i}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(v, i);
    }
    // memcached keeps nothing on disk: its nodes come back empty at the same addresses.
    let mc2 = emu.wait_available("pers-mc", || emu.cluster("pers-mc"), "CacheClusterStatus");
    assert_eq!(mc2["CacheNodes"], mc["CacheNodes"]);
    assert_eq!(mc2["ConfigurationEndpoint"], mc["ConfigurationEndpoint"]);
    for ep in &mc_nodes {
        assert!(memcached(ep, "version\r\n").is_some_and(|v| v.starts_with("VERSION")));
    }
    assert_eq!(memcached(&mc_nodes[0], "get k\r\n").as_deref(), Some("END"));
    // The snapshot and its files are kept, and a group restores from it.
    let snaps = emu.ec(&["describe-snapshots", "--snapshot-name", "pers-snap"]);
    assert_eq!(snaps["Snapshots"][0]["SnapshotStatus"], "available");
    emu.ec(&[
        "create-replication-group",
        "--replication-group-id",
        "pers-back",
        "--replication-group-description",
        "from the kept snapshot",
        "--engine",
        "redis",
        "--cache-node-type",
        "cache.t3.micro",
        "--num-cache-clusters",
        "1",
        "--snapshot-name",
        "pers-snap",
    ]);
    let back = emu.wait_available("pers-back", || emu.group("pers-back"), "Status");
    let mut b = plain_conn(&hp(&back["NodeGroups"][0]["PrimaryEndpoint"]));
    let keys: i64 = redis::cmd("DBSIZE").query(&mut b).unwrap();
    assert!(keys > 0, "restored group is empty");
    assert!(!stray.exists(), "orphaned node data kept");
    // A reset of the account clears its saved state and its data.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{}/_emulator/reset?account={ACCT}", emu.url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    });
    eventually("every engine stopped", || emu.engines().is_empty());
    assert!(!region_dir.exists(), "data left after reset");
    let saved = std::fs::read_to_string(state.join("elasticache.json")).unwrap();
    assert!(!saved.contains(ACCT), "reset account still saved");
    emu.stop(libc::SIGTERM);
    // And stays reset after a restart.
    let emu = Emu::start(&state);
    let all = emu.ec(&["describe-replication-groups"]);
    assert_eq!(all["ReplicationGroups"], serde_json::json!([]));
    emu.stop(libc::SIGTERM);
}

/// A node killed with SIGKILL is noticed and started again at its address from its AOF, with
/// every write older than a second, and the recovery shows in the events.
#[test]
fn a_killed_node_is_recovered_with_its_data() {
    let state = tempfile::tempdir().unwrap();
    let emu = Emu::start(state.path());
    emu.create_cluster("phoenix", "redis", 1);
    let ep = eventually_available(&emu, "phoenix");
    let mut c = plain_conn(&ep);
    for i in 0..200 {
        set(&mut c, &format!("k{i}"), &format!("v{i}"));
    }
    // appendfsync everysec: an acknowledged write reaches the AOF within about a second.
    in_aof(state.path(), "k199");
    let node = emu.engines();
    assert_eq!(node.len(), 1);
    // SAFETY: plain kill(2) on a process the emulator spawned.
    unsafe {
        libc::kill(node[0] as i32, libc::SIGKILL);
    }
    eventually("a new node process", || {
        let now = emu.engines();
        now.len() == 1 && now != node
    });
    let start = Instant::now();
    let mut c = loop {
        let info = redis::ConnectionInfo {
            addr: redis::ConnectionAddr::Tcp(ep.0.clone(), ep.1),
            redis: Default::default(),
        };
        // Connected and done loading its AOF (a loading node answers LOADING).
        if let Ok(mut c) = redis::Client::open(info)
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(2))
        {
            if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                break c;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "node never came back"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    for i in 0..200 {
        assert_eq!(get(&mut c, &format!("k{i}")), Some(format!("v{i}")));
    }
    let events = emu.ec(&[
        "describe-events",
        "--source-identifier",
        "phoenix",
        "--source-type",
        "cache-cluster",
    ]);
    let messages = super::event_messages(&events);
    assert!(
        messages.iter().any(|m| m == "Recovering cache nodes 0001"),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m == "Finished recovery for cache nodes 0001"),
        "{messages:?}"
    );
    emu.stop(libc::SIGTERM);
}

/// The endpoint of a cache cluster's only node once it is available.
fn eventually_available(emu: &Emu, id: &str) -> (String, u16) {
    let start = Instant::now();
    loop {
        let v = emu.ec(&[
            "describe-cache-clusters",
            "--cache-cluster-id",
            id,
            "--show-cache-node-info",
        ]);
        let c = &v["CacheClusters"][0];
        if c["CacheClusterStatus"] == "available" {
            return hp(&c["CacheNodes"][0]["Endpoint"]);
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{id}: {c}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A node comes back at its saved address even when that address is still held for a while
/// as the emulator starts again (on a busy machine the previous emulator's node may still be
/// exiting): its endpoint does not change.
#[test]
fn a_restored_node_waits_for_its_address_and_keeps_its_endpoint() {
    let state = tempfile::tempdir().unwrap();
    let emu = Emu::start(state.path());
    emu.create_cluster("held", "redis", 1);
    let before = eventually_available(&emu, "held");
    emu.stop(libc::SIGTERM);
    // The address is held (by this test) across the restart, then freed.
    let squatter = std::net::TcpListener::bind((before.0.as_str(), before.1)).unwrap();
    let freer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        drop(squatter);
    });
    let emu = Emu::start(state.path());
    let after = eventually_available(&emu, "held");
    freer.join().unwrap();
    assert_eq!(after, before, "the node moved to another address");
    let mut c = plain_conn(&after);
    set(&mut c, "k", "v");
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
}

/// After a restart the API answers as soon as the saved state is loaded, while the nodes are
/// still coming back, and says so: a cluster reported `available` answers on its endpoint,
/// the others report `rebooting cache cluster nodes` with `rebooting` nodes until they do.
#[test]
fn after_a_restart_statuses_say_which_nodes_are_back() {
    let state = tempfile::tempdir().unwrap();
    let emu = Emu::start(state.path());
    let ids: Vec<String> = (0..4).map(|i| format!("back-{i}")).collect();
    for id in &ids {
        emu.create_cluster(id, "redis", 1);
    }
    for id in &ids {
        eventually_available(&emu, id);
    }
    emu.stop(libc::SIGTERM);
    let emu = Emu::start(state.path());
    let describe = || {
        let (_, xml) = post_query(
            &emu.url,
            ACCT,
            REGION,
            "Action=DescribeCacheClusters&Version=2015-02-02&ShowCacheNodeInfo=true",
        );
        // (status, node status, address, port) of each cluster, in order.
        let field = |block: &str, name: &str| -> String {
            let open = format!("<{name}>");
            let from = block.find(&open).map(|i| i + open.len()).unwrap_or(0);
            let to = block[from..].find('<').map(|i| i + from).unwrap_or(from);
            block[from..to].to_string()
        };
        xml.split("<CacheCluster>")
            .skip(1)
            .map(|c| {
                let node = c.split("<CacheNode>").nth(1).unwrap_or("");
                (
                    field(c, "CacheClusterStatus"),
                    field(node, "CacheNodeStatus"),
                    field(node, "Address"),
                    field(node, "Port").parse::<u16>().unwrap_or(0),
                )
            })
            .collect::<Vec<_>>()
    };
    let start = Instant::now();
    let mut saw_rebooting = false;
    loop {
        let clusters = describe();
        assert_eq!(clusters.len(), ids.len(), "{clusters:?}");
        for (status, node, addr, port) in &clusters {
            match status.as_str() {
                "available" => {
                    assert_eq!(node, "available");
                    let info = redis::ConnectionInfo {
                        addr: redis::ConnectionAddr::Tcp(addr.clone(), *port),
                        redis: Default::default(),
                    };
                    let mut c = redis::Client::open(info)
                        .unwrap()
                        .get_connection_with_timeout(Duration::from_secs(2))
                        .expect("an available node answers");
                    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
                    assert_eq!(pong, "PONG");
                }
                "rebooting cache cluster nodes" => {
                    assert_eq!(node, "rebooting");
                    saw_rebooting = true;
                }
                other => panic!("status after a restart: {other}"),
            }
        }
        if clusters.iter().all(|c| c.0 == "available") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never all back: {clusters:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "restart: all {} clusters available {} ms after the first answer (rebooting seen: {saw_rebooting})",
        ids.len(),
        start.elapsed().as_millis()
    );
    emu.stop(libc::SIGTERM);
}

/// Turning the AOF on rewrites it from the node's data in the background; a node killed
/// before that ends would come back from an AOF without its data. A node is available only
/// once its AOF holds everything: here a node restored from a snapshot is made slow to
/// rewrite (`slow_rewrites`: 2 ms a key, 2 s for its 1,000 keys), written to as soon as it is
/// available, and killed.
#[test]
fn a_node_is_available_only_once_its_aof_holds_its_data() {
    use super::super::common::TestEmulator;
    use super::semantics::pid_of;
    use super::{create_cluster, ec, wait_cluster};
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_path_buf();
    let emu = TestEmulator::start_with(|c| c.state_dir = Some(dir));
    create_cluster(&emu, "seed", "redis", 1, &[]);
    let seed = hp(&wait_cluster(&emu, "seed")["CacheNodes"][0]["Endpoint"]);
    let mut c = plain_conn(&seed);
    for i in 0..1000 {
        set(&mut c, &format!("seed{i}"), &i.to_string());
    }
    ec(
        &emu,
        &[
            "create-snapshot",
            "--cache-cluster-id",
            "seed",
            "--snapshot-name",
            "seed-snap",
        ],
    );
    eventually("snapshot available", || {
        ec(
            &emu,
            &["describe-snapshots", "--snapshot-name", "seed-snap"],
        )["Snapshots"][0]["SnapshotStatus"]
            == "available"
    });
    emu.state
        .elasticache
        .slow_rewrites(Duration::from_millis(2));
    create_cluster(&emu, "heir", "redis", 1, &["--snapshot-name", "seed-snap"]);
    let ep = hp(&wait_cluster(&emu, "heir")["CacheNodes"][0]["Endpoint"]);
    let mut c = plain_conn(&ep);
    for i in 0..100 {
        set(&mut c, &format!("late{i}"), &i.to_string());
    }
    in_aof(state.path(), "late99");
    let pid = pid_of(&emu, &ep);
    // SAFETY: plain kill(2) on a node process the emulator spawned.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    let at = format!("{}:{}", ep.0, ep.1);
    eventually("the node is started again", || {
        emu.child_pids().iter().any(|p| {
            *p != pid
                && std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                    .is_ok_and(|c| c.replace('\0', " ").contains(&at))
        }) && running_at(&ep)
    });
    let mut c = plain_conn(&ep);
    for i in 0..1000 {
        assert_eq!(
            get(&mut c, &format!("seed{i}")),
            Some(i.to_string()),
            "seed{i}"
        );
    }
    for i in 0..100 {
        assert_eq!(
            get(&mut c, &format!("late{i}")),
            Some(i.to_string()),
            "late{i}"
        );
    }
}

/// A node whose start is still returning when the emulator stops (a container start's
/// inspect on a busy machine) is stopped, not recorded after the shutdown took the nodes:
/// recorded then, it would outlive the emulator (a container left behind in CI).
#[test]
fn a_node_start_still_returning_at_shutdown_is_stopped() {
    use super::super::common::TestEmulator;
    use super::semantics::pid_of;
    use super::{create_cluster, wait_cluster};
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_path_buf();
    let emu = TestEmulator::start_with(|c| c.state_dir = Some(dir));
    create_cluster(&emu, "late", "redis", 1, &[]);
    let ep = hp(&wait_cluster(&emu, "late")["CacheNodes"][0]["Endpoint"]);
    let late = Duration::from_secs(5);
    emu.state.elasticache.slow_start_returns(late);
    let pid = pid_of(&emu, &ep);
    // SAFETY: plain kill(2) on a node process the emulator spawned.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    let at = format!("{}:{}", ep.0, ep.1);
    let engines_at = || -> Vec<u32> {
        emu.child_pids()
            .into_iter()
            .filter(|p| {
                *p != pid
                    && std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                        .is_ok_and(|c| c.replace('\0', " ").contains(&at))
            })
            .collect()
    };
    eventually("the node is started again", || !engines_at().is_empty());
    // The start has not returned (it returns `late` after the node runs): stop the service
    // now, on the emulator's own runtime, which keeps running so the start can return.
    let svc = emu.state.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move { svc.elasticache.shutdown().await });
    std::thread::sleep(late + Duration::from_secs(2));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !engines_at().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        engines_at(),
        Vec::<u32>::new(),
        "a node started during the shutdown still runs"
    );
}

/// A node answers PING at `ep` (done loading: a loading node answers LOADING).
fn running_at(ep: &(String, u16)) -> bool {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(ep.0.clone(), ep.1),
        redis: Default::default(),
    };
    redis::Client::open(info)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .is_ok_and(|mut c| redis::cmd("PING").query::<String>(&mut c).is_ok())
}
