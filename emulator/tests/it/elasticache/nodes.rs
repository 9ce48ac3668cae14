//! Real nodes: they answer their protocol at the reported address, and no process outlives
//! its cluster, its group, or the emulator (graceful stop, SIGTERM, SIGKILL).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use super::super::common::{
    aws_at, engines_of, remove_containers_of, running, start_binary, suite_backend, TestEmulator,
};
use super::{create_cluster, create_group, ec, eventually, wait_cluster, wait_group};
use emulator::config::CacheBackendKind;

fn ask(addr: &str, port: u64, req: &[u8]) -> String {
    let mut s = TcpStream::connect((addr, port as u16)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.write_all(req).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn alive(pid: u32) -> bool {
    // A zombie is gone for our purposes only once reaped; /proc/<pid> disappears then.
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn redis_and_memcached_nodes_answer_at_their_reported_address() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "r1", "redis", 1, &[]);
    create_cluster(&emu, "m1", "memcached", 2, &[]);
    let r = wait_cluster(&emu, "r1");
    let ep = &r["CacheNodes"][0]["Endpoint"];
    assert_eq!(
        ask(
            ep["Address"].as_str().unwrap(),
            ep["Port"].as_u64().unwrap(),
            b"PING\r\n"
        ),
        "+PONG\r\n"
    );
    let m = wait_cluster(&emu, "m1");
    let nodes = m["CacheNodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for n in nodes {
        let ep = &n["Endpoint"];
        let v = ask(
            ep["Address"].as_str().unwrap(),
            ep["Port"].as_u64().unwrap(),
            b"version\r\n",
        );
        assert!(v.starts_with("VERSION "), "{v}");
    }
    assert!(m["ConfigurationEndpoint"]["Address"].is_string());
    assert_eq!(emu.child_pids().len(), 3);
}

#[test]
fn replicas_replicate_from_their_primary() {
    let emu = TestEmulator::start();
    let g = create_group(&emu, "rg", &["--num-cache-clusters", "2"]);
    let ng = &g["NodeGroups"][0];
    let p = &ng["PrimaryEndpoint"];
    let (pa, pp) = (p["Address"].as_str().unwrap(), p["Port"].as_u64().unwrap());
    assert_eq!(ask(pa, pp, b"SET k v\r\n"), "+OK\r\n");
    let r = &ng["ReaderEndpoint"];
    let (ra, rp) = (r["Address"].as_str().unwrap(), r["Port"].as_u64().unwrap());
    let start = Instant::now();
    loop {
        if ask(ra, rp, b"GET k\r\n") == "$1\r\nv\r\n" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "replica never synced"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn auth_token_sets_requirepass() {
    let emu = TestEmulator::start();
    let g = create_group(&emu, "sec", &["--auth-token", "0123456789abcdef0123"]);
    assert_eq!(g["AuthTokenEnabled"], true);
    let p = &g["NodeGroups"][0]["PrimaryEndpoint"];
    let (a, port) = (p["Address"].as_str().unwrap(), p["Port"].as_u64().unwrap());
    assert!(ask(a, port, b"PING\r\n").starts_with("-NOAUTH"));
    assert_eq!(
        ask(a, port, b"AUTH 0123456789abcdef0123\r\nPING\r\n"),
        "+OK\r\n+PONG\r\n"
    );
}

#[test]
fn deletes_and_reset_leave_no_child_process() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "c1", "redis", 1, &[]);
    ec(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "g1",
            "--replication-group-description",
            "d",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "3",
        ],
    );
    wait_cluster(&emu, "c1");
    wait_group(&emu, "g1");
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 4);
    ec(&emu, &["delete-cache-cluster", "--cache-cluster-id", "c1"]);
    eventually("cluster node stopped", || emu.child_pids().len() == 3);
    ec(
        &emu,
        &["delete-replication-group", "--replication-group-id", "g1"],
    );
    eventually("group nodes stopped", || emu.child_pids().is_empty());
    for pid in pids {
        eventually("process gone", || !alive(pid));
    }
    create_cluster(&emu, "c2", "memcached", 1, &[]);
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 1);
    drop(emu);
    for pid in pids {
        eventually("process gone after emulator stop", || !alive(pid));
    }
}

fn run_emulator_and_kill(signal: i32) {
    let dir = tempfile::tempdir().unwrap();
    let runtime_dir = dir.path().display().to_string();
    let (mut child, url) = start_binary(&["--runtime-dir", &runtime_dir]);
    aws_at(
        &url,
        "123456789012",
        "us-east-1",
        &[
            "elasticache",
            "create-cache-cluster",
            "--cache-cluster-id",
            "k1",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    )
    .json();
    let nodes = engines_of(child.id());
    let pid = child.id();
    if nodes.len() != 1 {
        let _ = child.kill();
        let _ = child.wait();
        remove_containers_of(pid);
        panic!("one redis-server expected, found {nodes:?}");
    }
    // SAFETY: plain kill(2) on a child we spawned.
    unsafe {
        libc::kill(pid as i32, signal);
    }
    child.wait().unwrap();
    // Containers outlive a SIGKILLed emulator: the next emulator to start removes them.
    let next = (signal == libc::SIGKILL && suite_backend() != CacheBackendKind::Process)
        .then(|| start_binary(&[]).0);
    for pid in nodes {
        eventually("node gone after the emulator died", || !running(pid));
    }
    if let Some(mut next) = next {
        // SAFETY: plain kill(2) on a child we spawned.
        unsafe {
            libc::kill(next.id() as i32, libc::SIGTERM);
        }
        let _ = next.wait();
    }
}

#[test]
fn sigterm_of_the_emulator_stops_its_nodes() {
    run_emulator_and_kill(libc::SIGTERM);
}

#[test]
fn sigkill_of_the_emulator_stops_its_nodes() {
    run_emulator_and_kill(libc::SIGKILL);
}

#[test]
fn serverless_cache_endpoint_is_a_real_node() {
    let emu = TestEmulator::start();
    let c = ec(
        &emu,
        &[
            "create-serverless-cache",
            "--serverless-cache-name",
            "sc",
            "--engine",
            "redis",
        ],
    );
    assert_eq!(c["ServerlessCache"]["Status"], "creating");
    let start = Instant::now();
    let sc = loop {
        let v = ec(
            &emu,
            &[
                "describe-serverless-caches",
                "--serverless-cache-name",
                "sc",
            ],
        );
        let sc = v["ServerlessCaches"][0].clone();
        if sc["Status"] == "available" {
            break sc;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{sc}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let ep = &sc["Endpoint"];
    assert_eq!(
        ask(
            ep["Address"].as_str().unwrap(),
            ep["Port"].as_u64().unwrap(),
            b"PING\r\n"
        ),
        "+PONG\r\n"
    );
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 1);
    ec(
        &emu,
        &["delete-serverless-cache", "--serverless-cache-name", "sc"],
    );
    eventually("serverless node stopped", || emu.child_pids().is_empty());
}

#[test]
fn a_node_whose_process_dies_is_recovered() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "k", "redis", 1, &[]);
    wait_cluster(&emu, "k");
    let pid = emu.child_pids()[0];
    // SAFETY: plain kill(2) of a node process this test's emulator started.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    // As ElastiCache replaces a failed node: a new process, and events saying so.
    eventually("node recovered", || {
        let pids = emu.child_pids();
        pids.len() == 1 && pids[0] != pid
    });
    let v = wait_cluster(&emu, "k");
    assert_eq!(v["CacheClusterStatus"], "available");
    let events = ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "k",
            "--source-type",
            "cache-cluster",
        ],
    );
    let messages = super::event_messages(&events);
    assert!(
        messages
            .iter()
            .any(|m| m == "Finished recovery for cache nodes 0001"),
        "{messages:?}"
    );
}

#[test]
fn snapshots_hold_the_data_and_restore_it() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "src", "redis", 1, &[]);
    let c = wait_cluster(&emu, "src");
    let ep = &c["CacheNodes"][0]["Endpoint"];
    let (a, p) = (
        ep["Address"].as_str().unwrap().to_string(),
        ep["Port"].as_u64().unwrap(),
    );
    assert_eq!(ask(&a, p, b"SET greeting hello\r\n"), "+OK\r\n");
    ec(
        &emu,
        &[
            "create-snapshot",
            "--cache-cluster-id",
            "src",
            "--snapshot-name",
            "snap",
        ],
    );
    let d = ec(&emu, &["describe-snapshots", "--snapshot-name", "snap"]);
    assert_eq!(d["Snapshots"][0]["SnapshotStatus"], "available");
    assert!(d["Snapshots"][0]["NodeSnapshots"][0]["CacheSize"]
        .as_str()
        .unwrap()
        .ends_with(" MB"));
    create_cluster(&emu, "copy", "redis", 1, &["--snapshot-name", "snap"]);
    let c = wait_cluster(&emu, "copy");
    let ep = &c["CacheNodes"][0]["Endpoint"];
    let got = ask(
        ep["Address"].as_str().unwrap(),
        ep["Port"].as_u64().unwrap(),
        b"GET greeting\r\n",
    );
    assert_eq!(got, "$5\r\nhello\r\n");
    let r = super::ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "x",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--snapshot-name",
            "nope",
        ],
    );
    assert!(r.stderr.contains("(SnapshotNotFoundFault)"), "{}", r.stderr);
}

#[test]
fn parameter_groups_reach_the_engine() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "p",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "d",
        ],
    );
    ec(
        &emu,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "p",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=allkeys-lru",
        ],
    );
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "c",
            "--engine",
            "redis",
            "--engine-version",
            "7.0",
            "--cache-node-type",
            "cache.t3.micro",
            "--cache-parameter-group-name",
            "p",
        ],
    );
    let c = wait_cluster(&emu, "c");
    let ep = &c["CacheNodes"][0]["Endpoint"];
    let (a, p) = (
        ep["Address"].as_str().unwrap().to_string(),
        ep["Port"].as_u64().unwrap(),
    );
    let get = |a: &str| ask(a, p, b"CONFIG GET maxmemory-policy\r\n");
    assert!(get(&a).contains("allkeys-lru"), "{}", get(&a));
    ec(
        &emu,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "p",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=volatile-ttl",
        ],
    );
    assert!(get(&a).contains("volatile-ttl"), "{}", get(&a));
    ec(
        &emu,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "p",
            "--parameter-name-values",
            "ParameterName=databases,ParameterValue=32",
        ],
    );
    let v = ec(
        &emu,
        &["describe-cache-clusters", "--cache-cluster-id", "c"],
    );
    assert_eq!(
        v["CacheClusters"][0]["CacheParameterGroup"]["ParameterApplyStatus"],
        "pending-reboot"
    );
    ec(
        &emu,
        &[
            "reset-cache-parameter-group",
            "--cache-parameter-group-name",
            "p",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy",
        ],
    );
    assert!(get(&a).contains("volatile-lru"), "{}", get(&a));
}

#[test]
fn test_failover_promotes_the_replica_for_real() {
    let emu = TestEmulator::start();
    let before = create_group(
        &emu,
        "fo",
        &["--num-cache-clusters", "2", "--automatic-failover-enabled"],
    );
    let old = before["NodeGroups"][0]["PrimaryEndpoint"].clone();
    ec(
        &emu,
        &[
            "test-failover",
            "--replication-group-id",
            "fo",
            "--node-group-id",
            "0001",
        ],
    );
    let after = wait_group(&emu, "fo");
    let new = after["NodeGroups"][0]["PrimaryEndpoint"].clone();
    assert_ne!(old, new);
    let addr = |e: &serde_json::Value| {
        (
            e["Address"].as_str().unwrap().to_string(),
            e["Port"].as_u64().unwrap(),
        )
    };
    let (na, np) = addr(&new);
    assert_eq!(ask(&na, np, b"SET after failover\r\n"), "+OK\r\n");
    let (oa, op) = addr(&old);
    eventually("old primary follows the new one", || {
        ask(&oa, op, b"GET after\r\n") == "$8\r\nfailover\r\n"
    });
    assert!(ask(&oa, op, b"SET x y\r\n").starts_with("-READONLY"));
}

#[test]
fn reset_of_one_account_stops_only_its_nodes() {
    let emu = TestEmulator::start();
    let mk = |account: &str| {
        emu.aws_as(
            account,
            "us-east-1",
            &[
                "elasticache",
                "create-cache-cluster",
                "--cache-cluster-id",
                "c",
                "--engine",
                "memcached",
                "--cache-node-type",
                "cache.t3.micro",
            ],
        )
        .json();
    };
    mk("111111111111");
    mk("222222222222");
    assert_eq!(emu.child_pids().len(), 2);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(format!(
                "{}/_emulator/reset?account=111111111111",
                emu.url()
            ))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    });
    assert_eq!(
        emu.child_pids().len(),
        1,
        "reset returns after the nodes stopped"
    );
    let gone = emu
        .aws_as(
            "111111111111",
            "us-east-1",
            &["elasticache", "describe-cache-clusters"],
        )
        .json();
    assert_eq!(gone["CacheClusters"].as_array().unwrap().len(), 0);
    let kept = emu
        .aws_as(
            "222222222222",
            "us-east-1",
            &["elasticache", "describe-cache-clusters"],
        )
        .json();
    assert_eq!(kept["CacheClusters"].as_array().unwrap().len(), 1);
}

#[test]
fn memcached_clusters_scale_out_and_in() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "m", "memcached", 1, &[]);
    wait_cluster(&emu, "m");
    let r = ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "m",
            "--num-cache-nodes",
            "3",
            "--apply-immediately",
        ],
    );
    assert_eq!(r["CacheCluster"]["CacheClusterStatus"], "modifying");
    let c = wait_cluster(&emu, "m");
    assert_eq!(c["CacheNodes"].as_array().unwrap().len(), 3);
    assert_eq!(emu.child_pids().len(), 3);
    // AWS's texts for a scale-out, as its "Viewing ElastiCache events" page shows them.
    let zone = c["PreferredAvailabilityZone"].as_str().unwrap();
    let v = ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "m",
            "--source-type",
            "cache-cluster",
        ],
    );
    let events = super::event_messages(&v);
    for want in [
        "Increasing number of requested nodes".to_string(),
        format!("Added cache node 0002 in availability zone {zone}"),
        format!("Added cache node 0003 in availability zone {zone}"),
        "Finished modifying number of nodes from 1 to 3".to_string(),
    ] {
        assert!(events.contains(&want), "{want:?} not in {events:?}");
    }
    ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "m",
            "--num-cache-nodes",
            "1",
            "--cache-node-ids-to-remove",
            "0002",
            "0003",
            "--apply-immediately",
        ],
    );
    eventually("removed nodes stopped", || emu.child_pids().len() == 1);
    let c = wait_cluster(&emu, "m");
    assert_eq!(c["CacheNodes"][0]["CacheNodeId"], "0001");
}

#[test]
fn auth_token_rotate_set_and_delete_reach_the_engine() {
    let emu = TestEmulator::start();
    let g = create_group(&emu, "sec", &["--auth-token", "0123456789abcdef0123"]);
    let p = &g["NodeGroups"][0]["PrimaryEndpoint"];
    let (a, port) = (
        p["Address"].as_str().unwrap().to_string(),
        p["Port"].as_u64().unwrap(),
    );
    let a = a.as_str();
    // ROTATE: old and new tokens both work.
    ec(
        &emu,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "sec",
            "--auth-token",
            "rotated-token-0000000",
            "--auth-token-update-strategy",
            "ROTATE",
            "--apply-immediately",
        ],
    );
    assert_eq!(ask(a, port, b"AUTH 0123456789abcdef0123\r\n"), "+OK\r\n");
    assert_eq!(ask(a, port, b"AUTH rotated-token-0000000\r\n"), "+OK\r\n");
    // SET: only the new one.
    ec(
        &emu,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "sec",
            "--auth-token",
            "rotated-token-0000000",
            "--auth-token-update-strategy",
            "SET",
            "--apply-immediately",
        ],
    );
    assert!(ask(a, port, b"AUTH 0123456789abcdef0123\r\n").starts_with("-WRONGPASS"));
    assert_eq!(ask(a, port, b"AUTH rotated-token-0000000\r\n"), "+OK\r\n");
    // DELETE: no password at all.
    let g = ec(
        &emu,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "sec",
            "--auth-token-update-strategy",
            "DELETE",
            "--apply-immediately",
        ],
    );
    assert_eq!(g["ReplicationGroup"]["AuthTokenEnabled"], false);
    assert_eq!(ask(a, port, b"PING\r\n"), "+PONG\r\n");
}

#[test]
fn user_groups_become_acl_users_on_the_nodes() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-user",
            "--user-id",
            "u1",
            "--user-name",
            "app",
            "--engine",
            "redis",
            "--passwords",
            "app-password-0000001",
            "--access-string",
            "on ~app:* +@all",
        ],
    );
    ec(
        &emu,
        &[
            "create-user-group",
            "--user-group-id",
            "ug",
            "--engine",
            "redis",
            "--user-ids",
            "default",
            "u1",
        ],
    );
    let g = create_group(&emu, "rbac", &["--user-group-ids", "ug"]);
    let p = &g["NodeGroups"][0]["PrimaryEndpoint"];
    let (a, port) = (
        p["Address"].as_str().unwrap().to_string(),
        p["Port"].as_u64().unwrap(),
    );
    let a = a.as_str();
    assert_eq!(
        ask(a, port, b"AUTH app app-password-0000001\r\nSET app:1 x\r\n"),
        "+OK\r\n+OK\r\n"
    );
    assert!(ask(a, port, b"AUTH app app-password-0000001\r\nSET other x\r\n").contains("-NOPERM"));
    ec(
        &emu,
        &[
            "modify-user",
            "--user-id",
            "u1",
            "--passwords",
            "app-password-0000002",
        ],
    );
    assert_eq!(
        ask(a, port, b"AUTH app app-password-0000002\r\n"),
        "+OK\r\n"
    );
    assert!(ask(a, port, b"AUTH app app-password-0000001\r\n").starts_with("-WRONGPASS"));
}
