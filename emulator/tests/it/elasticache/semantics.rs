//! Issue 6: what the ElastiCache API promises holds on the wire. Every test talks to the
//! addresses the API reports with a real client (the `redis` crate, or memcached's text
//! protocol).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::common::TestEmulator;
use super::{
    create_cluster, create_group, ec, event_messages, eventually, hp, redis_cli, redis_cli_tls,
    wait_cluster, wait_group,
};

/// A connection with optional `user:password` (no password: unauthenticated).
pub(super) fn redis_at(
    ep: &(String, u16),
    user: Option<&str>,
    pass: Option<&str>,
) -> redis::Connection {
    try_redis(ep, user, pass).unwrap()
}

pub(super) fn try_redis(
    ep: &(String, u16),
    user: Option<&str>,
    pass: Option<&str>,
) -> redis::RedisResult<redis::Connection> {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(ep.0.clone(), ep.1),
        redis: redis::RedisConnectionInfo {
            db: 0,
            username: user.map(str::to_owned),
            password: pass.map(str::to_owned),
            ..Default::default()
        },
    };
    redis::Client::open(info)?.get_connection_with_timeout(Duration::from_secs(2))
}

/// `key:I` = I for I below `n`, through any connection (a cluster client's too).
pub(super) fn set_numbered(c: &mut impl redis::ConnectionLike, n: i64) {
    for i in 0..n {
        redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query::<()>(c)
            .unwrap();
    }
}

/// Every key `set_numbered` wrote is there with its value.
pub(super) fn assert_numbered(c: &mut impl redis::ConnectionLike, n: i64) {
    for i in 0..n {
        let v: Option<i64> = redis::cmd("GET").arg(format!("key:{i}")).query(c).unwrap();
        assert_eq!(v, Some(i), "key:{i}");
    }
}

pub(super) fn get(c: &mut redis::Connection, k: &str) -> Option<String> {
    redis::cmd("GET").arg(k).query(c).unwrap()
}

pub(super) fn set(c: &mut redis::Connection, k: &str, v: &str) -> redis::RedisResult<()> {
    redis::cmd("SET").arg(k).arg(v).query(c)
}

/// Endpoint of every member cluster's node, primary first.
pub(super) fn member_endpoints(emu: &TestEmulator, g: &Value) -> Vec<(String, u16)> {
    let mut out = vec![];
    let members = g["NodeGroups"][0]["NodeGroupMembers"].as_array().unwrap();
    let mut ids: Vec<(bool, String)> = members
        .iter()
        .map(|m| {
            (
                m["CurrentRole"] != "primary",
                m["CacheClusterId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ids.sort();
    for (_, id) in ids {
        let c = wait_cluster(emu, &id);
        out.push(hp(&c["CacheNodes"][0]["Endpoint"]));
    }
    out
}

pub(super) fn replicated(c: &mut redis::Connection, k: &str, v: &str) {
    let start = Instant::now();
    while get(c, k).as_deref() != Some(v) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{k} never replicated"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn auth_token_is_required_and_rotate_set_delete_apply_to_every_node() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "auth",
        &[
            "--num-cache-clusters",
            "2",
            "--auth-token",
            "first-token-000000001",
        ],
    );
    let nodes = member_endpoints(&emu, &g);
    assert_eq!(nodes.len(), 2);
    for n in &nodes {
        let mut anon = redis_at(n, None, None);
        let e = redis::cmd("PING").query::<String>(&mut anon).unwrap_err();
        assert_eq!(e.code(), Some("NOAUTH"), "{e}");
        let mut ok = redis_at(n, None, Some("first-token-000000001"));
        assert_eq!(redis::cmd("PING").query::<String>(&mut ok).unwrap(), "PONG");
    }
    let modify = |token: Option<&str>, strategy: &str| {
        let mut a = vec![
            "modify-replication-group",
            "--replication-group-id",
            "auth",
            "--auth-token-update-strategy",
            strategy,
            "--apply-immediately",
        ];
        if let Some(t) = token {
            a.extend(["--auth-token", t]);
        }
        ec(&emu, &a)
    };
    modify(Some("second-token-00000002"), "ROTATE");
    for n in &nodes {
        assert!(try_redis(n, None, Some("first-token-000000001")).is_ok());
        assert!(try_redis(n, None, Some("second-token-00000002")).is_ok());
    }
    modify(Some("second-token-00000002"), "SET");
    for n in &nodes {
        assert!(try_redis(n, None, Some("first-token-000000001")).is_err());
        assert!(try_redis(n, None, Some("second-token-00000002")).is_ok());
    }
    let out = modify(None, "DELETE");
    assert_eq!(out["ReplicationGroup"]["AuthTokenEnabled"], false);
    for n in &nodes {
        let mut anon = redis_at(n, None, None);
        assert_eq!(
            redis::cmd("PING").query::<String>(&mut anon).unwrap(),
            "PONG"
        );
    }
}

/// Every character AWS allows in an AUTH token (printable ASCII but space, '/', '"', '@').
const ODD_TOKEN: &str = "Ab1!&#$^<>-%*()_+=~`'{}[]|\\:;,.?";
const ODD_TOKEN_2: &str = "zZ9?.,;:\\|][}{'`~=+_)(*%-><^$#&!";

#[test]
fn auth_tokens_with_every_allowed_character_work_end_to_end() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "odd-pg",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "odd",
        ],
    );
    let g = create_group(
        &emu,
        "odd",
        &[
            "--num-cache-clusters",
            "2",
            "--engine-version",
            "7.1",
            "--cache-parameter-group-name",
            "odd-pg",
            "--auth-token",
            ODD_TOKEN,
        ],
    );
    let nodes = member_endpoints(&emu, &g);
    let e = redis::cmd("PING")
        .query::<String>(&mut redis_at(&nodes[0], None, None))
        .unwrap_err();
    assert_eq!(e.code(), Some("NOAUTH"), "{e}");
    let mut p = redis_at(&nodes[0], None, Some(ODD_TOKEN));
    set(&mut p, "k", "v").unwrap();
    // The replica authenticates to its primary with the same token (masterauth).
    replicated(&mut redis_at(&nodes[1], None, Some(ODD_TOKEN)), "k", "v");
    // A parameter change reaches the nodes through the emulator's own AUTH.
    ec(
        &emu,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "odd-pg",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=allkeys-lfu",
        ],
    );
    for n in &nodes {
        eventually("maxmemory-policy applied", || {
            let got: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg("maxmemory-policy")
                .query(&mut redis_at(n, None, Some(ODD_TOKEN)))
                .unwrap();
            got.get(1).map(String::as_str) == Some("allkeys-lfu")
        });
    }
    // A snapshot: SAVE is sent with the token.
    ec(
        &emu,
        &[
            "create-snapshot",
            "--replication-group-id",
            "odd",
            "--snapshot-name",
            "odd-snap",
        ],
    );
    eventually("snapshot available", || {
        ec(&emu, &["describe-snapshots", "--snapshot-name", "odd-snap"])["Snapshots"][0]
            ["SnapshotStatus"]
            == "available"
    });
    // A group's snapshot event names the group and is filed on the cluster of the node it was
    // taken from (AWS's recorded DescribeEvents answer).
    let ev = ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "odd-001",
            "--source-type",
            "cache-cluster",
        ],
    );
    assert!(
        super::event_messages(&ev).contains(
            &"Snapshot succeeded for snapshot with ID 'odd-snap' of replication group with ID 'odd'"
                .to_string()
        ),
        "{ev}"
    );
    // Rotation to another odd token: both work, then SET keeps only the new one.
    let modify = |strategy: &str| {
        ec(
            &emu,
            &[
                "modify-replication-group",
                "--replication-group-id",
                "odd",
                "--auth-token",
                ODD_TOKEN_2,
                "--auth-token-update-strategy",
                strategy,
                "--apply-immediately",
            ],
        )
    };
    modify("ROTATE");
    for n in &nodes {
        assert!(try_redis(n, None, Some(ODD_TOKEN)).is_ok());
        assert!(try_redis(n, None, Some(ODD_TOKEN_2)).is_ok());
    }
    modify("SET");
    for n in &nodes {
        assert!(try_redis(n, None, Some(ODD_TOKEN)).is_err());
        let mut c = redis_at(n, None, Some(ODD_TOKEN_2));
        assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    }
    // Characters AWS refuses are refused.
    for bad in [
        "abcdefghijklmnop/",
        "abcdefghijklmnop@",
        "abcdefghijklmnop\"",
        "abcdefgh ijklmnop",
    ] {
        let r = super::ec_raw(
            &emu,
            &[
                "create-replication-group",
                "--replication-group-id",
                "bad",
                "--replication-group-description",
                "bad",
                "--engine",
                "redis",
                "--cache-node-type",
                "cache.t3.micro",
                "--auth-token",
                bad,
            ],
        );
        r.fails_with("InvalidParameterValue");
        assert!(r.stderr.contains("printable ASCII"), "{bad}: {}", r.stderr);
    }
}

#[test]
fn acl_users_of_a_user_group_are_enforced_and_changes_apply_at_once() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-user",
            "--user-id",
            "reader",
            "--user-name",
            "reader",
            "--engine",
            "redis",
            "--passwords",
            "reader-password-00001",
            "--access-string",
            "on ~app:* +get",
        ],
    );
    ec(
        &emu,
        &[
            "create-user",
            "--user-id",
            "open",
            "--user-name",
            "open",
            "--engine",
            "redis",
            "--no-password-required",
            "--access-string",
            "on ~* +@all",
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
            "reader",
            "open",
        ],
    );
    let g = create_group(
        &emu,
        "rbac",
        &["--num-cache-clusters", "2", "--user-group-ids", "ug"],
    );
    let nodes = member_endpoints(&emu, &g);
    // A no-password user authenticates with any password.
    let mut admin = redis_at(&nodes[0], Some("open"), Some("anything"));
    set(&mut admin, "app:1", "one").unwrap();
    set(&mut admin, "other", "x").unwrap();
    for n in &nodes {
        let mut r = redis_at(n, Some("reader"), Some("reader-password-00001"));
        replicated(&mut r, "app:1", "one");
        let e = redis::cmd("GET")
            .arg("other")
            .query::<Option<String>>(&mut r);
        assert_eq!(e.unwrap_err().code(), Some("NOPERM"));
    }
    let mut r = redis_at(&nodes[0], Some("reader"), Some("reader-password-00001"));
    assert_eq!(
        set(&mut r, "app:2", "no").unwrap_err().code(),
        Some("NOPERM")
    );
    // ModifyUser: the new access string holds at once on every node.
    ec(
        &emu,
        &[
            "modify-user",
            "--user-id",
            "reader",
            "--access-string",
            "on ~app:* +get +set",
        ],
    );
    let mut r = redis_at(&nodes[0], Some("reader"), Some("reader-password-00001"));
    set(&mut r, "app:2", "yes").unwrap();
    // ModifyUserGroup removing the user: it can no longer log in anywhere.
    ec(
        &emu,
        &[
            "modify-user-group",
            "--user-group-id",
            "ug",
            "--user-ids-to-remove",
            "reader",
        ],
    );
    for n in &nodes {
        assert!(try_redis(n, Some("reader"), Some("reader-password-00001")).is_err());
    }
    // DeleteUser: gone from every node at once.
    assert!(try_redis(&nodes[1], Some("open"), Some("x")).is_ok());
    ec(&emu, &["delete-user", "--user-id", "open"]);
    for n in &nodes {
        assert!(try_redis(n, Some("open"), Some("x")).is_err());
    }
}

#[test]
fn three_cache_clusters_replicate_and_replica_count_changes_are_real() {
    let emu = TestEmulator::start();
    let g = create_group(&emu, "repl", &["--num-cache-clusters", "3"]);
    assert_eq!(emu.child_pids().len(), 3);
    let ng = &g["NodeGroups"][0];
    let mut primary = redis_at(&hp(&ng["PrimaryEndpoint"]), None, None);
    set(&mut primary, "k", "v").unwrap();
    let mut reader = redis_at(&hp(&ng["ReaderEndpoint"]), None, None);
    replicated(&mut reader, "k", "v");
    let nodes = member_endpoints(&emu, &g);
    assert_eq!(nodes.len(), 3);
    for n in &nodes[1..] {
        let mut c = redis_at(n, None, None);
        replicated(&mut c, "k", "v");
        let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut c).unwrap();
        assert_eq!(role[0], redis::Value::BulkString(b"slave".to_vec()));
        assert!(set(&mut c, "x", "y").unwrap_err().code() == Some("READONLY"));
    }
    let out = ec(
        &emu,
        &[
            "increase-replica-count",
            "--replication-group-id",
            "repl",
            "--new-replica-count",
            "3",
            "--apply-immediately",
        ],
    )["ReplicationGroup"]
        .clone();
    // As AWS answers: modifying, the new replica among the member clusters but not yet among
    // the shard's members.
    assert_eq!(out["Status"], "modifying");
    assert_eq!(out["NodeGroups"][0]["Status"], "modifying");
    let ids = |g: &Value| -> Vec<String> {
        g["NodeGroups"][0]["NodeGroupMembers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["CacheClusterId"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&out), ["repl-001", "repl-002", "repl-003"]);
    assert_eq!(
        out["MemberClusters"],
        serde_json::json!(["repl-001", "repl-002", "repl-003", "repl-004"])
    );
    let g = wait_group(&emu, "repl");
    assert_eq!(ids(&g).len(), 4);
    // AWS's recorded DescribeEvents texts, oldest first, each dated in its message.
    let mut msgs = super::event_messages(&ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "repl",
            "--source-type",
            "replication-group",
        ],
    ));
    msgs.reverse();
    let at = |prefix: &str| {
        msgs.iter()
            .position(|m| {
                m.strip_prefix(prefix)
                    .is_some_and(|t| t.len() == 24 && t.ends_with('Z') && t.contains('T'))
            })
            .unwrap_or_else(|| panic!("no {prefix:?} event: {msgs:?}"))
    };
    assert!(
        at("Increase replica count started for replication group repl on ")
            < at("Increase replica count completed for replication group repl on "),
        "{msgs:?}"
    );
    let nodes = member_endpoints(&emu, &g);
    assert_eq!(nodes.len(), 4);
    assert_eq!(emu.child_pids().len(), 4);
    for n in &nodes[1..] {
        replicated(&mut redis_at(n, None, None), "k", "v");
    }
    ec(
        &emu,
        &[
            "decrease-replica-count",
            "--replication-group-id",
            "repl",
            "--new-replica-count",
            "1",
            "--apply-immediately",
        ],
    );
    eventually("removed replicas stopped", || emu.child_pids().len() == 2);
    let g = wait_group(&emu, "repl");
    assert_eq!(member_endpoints(&emu, &g).len(), 2);
}

#[test]
fn test_failover_promotes_a_replica_and_records_events() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "fo",
        &["--num-cache-clusters", "3", "--automatic-failover-enabled"],
    );
    let old = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    let mut c = redis_at(&old, None, None);
    set(&mut c, "before", "1").unwrap();
    let _: i64 = redis::cmd("WAIT").arg(2).arg(5000).query(&mut c).unwrap();
    let started = Instant::now();
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
    let g = wait_group(&emu, "fo");
    let new = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    assert_ne!(old, new);
    let mut n = redis_at(&new, None, None);
    while set(&mut n, "after", "2").is_err() {
        assert!(started.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "failover time (TestFailover call to a write on the new primary): {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(get(&mut n, "before").as_deref(), Some("1"));
    let mut o = redis_at(&old, None, None);
    replicated(&mut o, "after", "2");
    assert_eq!(set(&mut o, "x", "y").unwrap_err().code(), Some("READONLY"));
    // AWS's events in AWS's order (TestFailover's API reference, recorded event logs),
    // oldest first. The old primary stays on as a replica here, so no recovery follows.
    let old_member = g["NodeGroups"][0]["NodeGroupMembers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| hp(&m["ReadEndpoint"]) == old)
        .map(|m| m["CacheClusterId"].as_str().unwrap().to_string())
        .unwrap();
    let new_member = g["NodeGroups"][0]["NodeGroupMembers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["CurrentRole"] == "primary")
        .map(|m| m["CacheClusterId"].as_str().unwrap().to_string())
        .unwrap();
    let messages = |id: &str, kind: &str| {
        let ev = ec(
            &emu,
            &[
                "describe-events",
                "--source-identifier",
                id,
                "--source-type",
                kind,
            ],
        );
        let mut m = event_messages(&ev);
        m.reverse();
        m
    };
    let done =
        format!("Failover from primary node {old_member} to replica node {new_member} completed");
    let group = messages("fo", "replication-group");
    let from = group
        .iter()
        .position(|m| m == "Test Failover API called for node group 0001")
        .unwrap_or_else(|| panic!("{group:?}"));
    assert_eq!(
        group[from + 1..],
        [
            format!("Failover to replica node {new_member} completed"),
            done.clone()
        ],
        "{group:?}"
    );
    assert_eq!(
        messages(&old_member, "cache-cluster").last(),
        Some(&done),
        "the old primary's cluster names the failover"
    );
}

/// The pid of the redis-server listening on `ep` (redis titles its process `host:port`).
pub(super) fn pid_of(emu: &TestEmulator, ep: &(String, u16)) -> u32 {
    let want = format!("{}:{}", ep.0, ep.1);
    *emu.child_pids()
        .iter()
        .find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.replace('\0', " ").contains(&want))
        })
        .unwrap_or_else(|| panic!("no process for {want}"))
}

fn all_keys(c: &mut redis::Connection) -> BTreeMap<String, String> {
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(c).unwrap();
    keys.into_iter()
        .map(|k| {
            let v = get(c, &k).unwrap();
            (k, v)
        })
        .collect()
}

fn restore_and_dump(emu: &TestEmulator, cluster: &str, snapshot: &str) -> BTreeMap<String, String> {
    ec(
        emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            cluster,
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--snapshot-name",
            snapshot,
        ],
    );
    let c = wait_cluster(emu, cluster);
    all_keys(&mut redis_at(
        &hp(&c["CacheNodes"][0]["Endpoint"]),
        None,
        None,
    ))
}

#[test]
fn snapshots_restore_every_key_copy_and_survive_deletion() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "src", "redis", 1, &[]);
    let c = wait_cluster(&emu, "src");
    let mut conn = redis_at(&hp(&c["CacheNodes"][0]["Endpoint"]), None, None);
    for i in 0..500 {
        set(&mut conn, &format!("key:{i}"), &format!("value-{i}")).unwrap();
    }
    let want = all_keys(&mut conn);
    assert_eq!(want.len(), 500);
    ec(
        &emu,
        &[
            "create-snapshot",
            "--cache-cluster-id",
            "src",
            "--snapshot-name",
            "s1",
        ],
    );
    assert_eq!(restore_and_dump(&emu, "from-s1", "s1"), want);
    // The finished snapshot is an event of the cluster it was taken of.
    let ev = ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "src",
            "--source-type",
            "cache-cluster",
        ],
    );
    assert!(
        super::event_messages(&ev).contains(
            &"Snapshot succeeded for snapshot with ID 's1' of cache cluster with ID 'src'"
                .to_string()
        ),
        "{ev}"
    );
    ec(
        &emu,
        &[
            "copy-snapshot",
            "--source-snapshot-name",
            "s1",
            "--target-snapshot-name",
            "s1-copy",
        ],
    );
    assert_eq!(restore_and_dump(&emu, "from-copy", "s1-copy"), want);
    // Written after s1: only the final snapshot has it.
    set(&mut conn, "late", "yes").unwrap();
    ec(
        &emu,
        &[
            "delete-cache-cluster",
            "--cache-cluster-id",
            "src",
            "--final-snapshot-identifier",
            "final",
        ],
    );
    let mut want_final = want.clone();
    want_final.insert("late".into(), "yes".into());
    assert_eq!(restore_and_dump(&emu, "from-final", "final"), want_final);
}

#[test]
fn parameter_group_changes_reach_every_node_and_reset_restores_defaults() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "pg",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "d",
        ],
    );
    let g = create_group(
        &emu,
        "pgrp",
        &[
            "--num-cache-clusters",
            "2",
            "--engine-version",
            "7.0",
            "--cache-parameter-group-name",
            "pg",
        ],
    );
    let nodes = member_endpoints(&emu, &g);
    let config = |ep: &(String, u16), name: &str| -> String {
        let v: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query(&mut redis_at(ep, None, None))
            .unwrap();
        v[1].clone()
    };
    ec(
        &emu,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "pg",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=allkeys-lfu",
            "ParameterName=timeout,ParameterValue=300",
        ],
    );
    for n in &nodes {
        assert_eq!(config(n, "maxmemory-policy"), "allkeys-lfu");
        assert_eq!(config(n, "timeout"), "300");
    }
    let members = g["MemberClusters"].as_array().unwrap();
    for m in members {
        let v = ec(
            &emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                m.as_str().unwrap(),
            ],
        );
        assert_eq!(
            v["CacheClusters"][0]["CacheParameterGroup"]["ParameterApplyStatus"],
            "in-sync"
        );
    }
    ec(
        &emu,
        &[
            "reset-cache-parameter-group",
            "--cache-parameter-group-name",
            "pg",
            "--reset-all-parameters",
        ],
    );
    for n in &nodes {
        assert_eq!(config(n, "maxmemory-policy"), "volatile-lru");
        assert_eq!(config(n, "timeout"), "0");
    }
}

fn mc(ep: &(String, u16), req: &str) -> String {
    let mut s = TcpStream::connect((ep.0.as_str(), ep.1)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    let mut buf = [0u8; 512];
    while !(out.ends_with("END\r\n") || out.ends_with("STORED\r\n") || out.starts_with("VERSION")) {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    out
}

fn node_endpoints(c: &Value) -> BTreeMap<String, (String, u16)> {
    c["CacheNodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["CacheNodeId"].as_str().unwrap().to_string(),
                hp(&n["Endpoint"]),
            )
        })
        .collect()
}

#[test]
fn reboot_restarts_exactly_the_listed_nodes() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "mc", "memcached", 3, &[]);
    let before = node_endpoints(&wait_cluster(&emu, "mc"));
    for ep in before.values() {
        assert_eq!(mc(ep, "set k 0 0 1\r\nv\r\n"), "STORED\r\n");
    }
    let pids: std::collections::BTreeSet<u32> = emu.child_pids().into_iter().collect();
    let r = ec(
        &emu,
        &[
            "reboot-cache-cluster",
            "--cache-cluster-id",
            "mc",
            "--cache-node-ids-to-reboot",
            "0002",
        ],
    );
    assert_eq!(
        r["CacheCluster"]["CacheClusterStatus"],
        "rebooting cache cluster nodes"
    );
    let after = node_endpoints(&wait_cluster(&emu, "mc"));
    eventually("old process stopped", || emu.child_pids().len() == 3);
    let now: std::collections::BTreeSet<u32> = emu.child_pids().into_iter().collect();
    assert_eq!(
        pids.difference(&now).count(),
        1,
        "exactly one process replaced"
    );
    // AWS's events: the node shut down, then restarted once it answers.
    let ev = ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "mc",
            "--source-type",
            "cache-cluster",
        ],
    );
    assert_eq!(
        event_messages(&ev)[..2],
        ["Cache node 0002 restarted", "Cache node 0002 shutdown"],
        "{ev}"
    );
    // Memcached keeps nothing across a restart; the other nodes keep their items.
    assert_eq!(mc(&after["0002"], "get k\r\n"), "END\r\n");
    for id in ["0001", "0003"] {
        assert_eq!(after[id], before[id]);
        assert_eq!(mc(&after[id], "get k\r\n"), "VALUE k 0 1\r\nv\r\nEND\r\n");
    }
}

#[test]
fn memcached_nodes_are_real_and_modify_adds_and_removes_them() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "mem", "memcached", 2, &[]);
    let nodes = node_endpoints(&wait_cluster(&emu, "mem"));
    assert_eq!(nodes.len(), 2);
    for ep in nodes.values() {
        assert!(mc(ep, "version\r\n").starts_with("VERSION "));
    }
    ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "mem",
            "--num-cache-nodes",
            "4",
            "--apply-immediately",
        ],
    );
    let nodes = node_endpoints(&wait_cluster(&emu, "mem"));
    assert_eq!(nodes.len(), 4);
    for ep in nodes.values() {
        assert_eq!(mc(ep, "set a 0 0 1\r\n1\r\n"), "STORED\r\n");
    }
    ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "mem",
            "--num-cache-nodes",
            "2",
            "--cache-node-ids-to-remove",
            "0001",
            "0003",
            "--apply-immediately",
        ],
    );
    // A removed node's process leaves the supervisor's list when it is told to stop and
    // closes its port when it has stopped: both must happen.
    eventually("removed nodes stopped", || {
        emu.child_pids().len() == 2
            && ["0001", "0003"].iter().all(|id| {
                let ep = &nodes[*id];
                TcpStream::connect((ep.0.as_str(), ep.1)).is_err()
            })
    });
    let left = node_endpoints(&wait_cluster(&emu, "mem"));
    assert_eq!(left.keys().cloned().collect::<Vec<_>>(), ["0002", "0004"]);
    for ep in left.values() {
        assert_eq!(mc(ep, "get a\r\n"), "VALUE a 0 1\r\n1\r\nEND\r\n");
    }
}

#[test]
fn transit_encryption_makes_nodes_speak_tls_only_with_the_emulators_ca() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "tls",
        &[
            "--num-cache-clusters",
            "2",
            "--transit-encryption-enabled",
            "--auth-token",
            "tls-token-00000000001",
        ],
    );
    assert_eq!(g["TransitEncryptionEnabled"], true);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pem = rt.block_on(async {
        let r = reqwest::get(format!("{}/_emulator/ca.pem", emu.url()))
            .await
            .unwrap();
        assert!(r.status().is_success());
        r.text().await.unwrap()
    });
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let ca = ca.to_str().unwrap();
    let nodes = member_endpoints(&emu, &g);
    let tls =
        |ep: &(String, u16), cmd: &[&str]| redis_cli_tls(ca, ep, "tls-token-00000000001", cmd);
    for ep in &nodes {
        // Plaintext is refused: the port only speaks TLS.
        let plain = try_redis(ep, None, Some("tls-token-00000000001"))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
        assert!(plain.is_err(), "plaintext worked on {ep:?}");
        assert_eq!(tls(ep, &["PING"]), (true, "PONG".to_string()));
        // A TLS client that does not trust the emulator's CA fails verification.
        let port = ep.1.to_string();
        let (_, untrusted) = redis_cli(&[
            "--tls",
            "-h",
            &ep.0,
            "-p",
            &port,
            "-a",
            "x",
            "--no-auth-warning",
            "PING",
        ]);
        assert_ne!(untrusted, "PONG");
    }
    // Replication runs over TLS too.
    assert_eq!(tls(&nodes[0], &["SET", "secret", "42"]).1, "OK");
    let start = Instant::now();
    while tls(&nodes[1], &["GET", "secret"]).1 != "42" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "replica never synced over TLS"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The slot ranges of CLUSTER SLOTS, as `start-end`.
fn engine_slots(c: &mut redis::Connection) -> Vec<String> {
    let slots: Vec<Vec<redis::Value>> = redis::cmd("CLUSTER").arg("SLOTS").query(c).unwrap();
    slots
        .iter()
        .map(|r| match (&r[0], &r[1]) {
            (redis::Value::Int(a), redis::Value::Int(b)) => format!("{a}-{b}"),
            other => panic!("unexpected CLUSTER SLOTS entry {other:?}"),
        })
        .collect()
}

#[test]
fn cluster_mode_is_a_real_redis_cluster_with_the_reported_slots() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "clu",
        &[
            "--num-node-groups",
            "3",
            "--replicas-per-node-group",
            "1",
            "--engine-version",
            "7.0",
            "--cache-parameter-group-name",
            "default.redis7.cluster.on",
        ],
    );
    assert_eq!(emu.child_pids().len(), 6);
    let (host, port) = hp(&g["ConfigurationEndpoint"]);
    let client =
        redis::cluster::ClusterClient::new(vec![format!("redis://{host}:{port}/")]).unwrap();
    let mut c = client.get_connection().unwrap();
    set_numbered(&mut c, 300);
    assert_numbered(&mut c, 300);
    // The engine's slot map is the API's NodeGroups[].Slots, one primary per node group.
    let mut plain = redis_at(&(host.clone(), port), None, None);
    let mut engine = engine_slots(&mut plain);
    let mut api: Vec<String> = g["NodeGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ng| ng["Slots"].as_str().unwrap().to_string())
        .collect();
    engine.sort();
    api.sort();
    assert_eq!(engine, api);
    // Every shard holds part of the data.
    for ng in g["NodeGroups"].as_array().unwrap() {
        // Cluster-mode members show no role; a shard's nodes all hold its keys.
        let n: i64 = ng["NodeGroupMembers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let c = wait_cluster(&emu, m["CacheClusterId"].as_str().unwrap());
                let ep = hp(&c["CacheNodes"][0]["Endpoint"]);
                redis::cmd("DBSIZE")
                    .query::<i64>(&mut redis_at(&ep, None, None))
                    .unwrap()
            })
            .max()
            .unwrap();
        assert!(n > 0, "shard {} holds no key", ng["NodeGroupId"]);
    }
    // TestFailover in cluster mode: a cluster failover; the client still reads everything.
    ec(
        &emu,
        &[
            "test-failover",
            "--replication-group-id",
            "clu",
            "--node-group-id",
            "0001",
        ],
    );
    let after = wait_group(&emu, "clu");
    // The configuration endpoint stays where it was: its node still runs, as a replica now.
    assert_eq!(after["ConfigurationEndpoint"], g["ConfigurationEndpoint"]);
    let mut c = client.get_connection().unwrap();
    assert_numbered(&mut c, 300);
    redis::cmd("SET")
        .arg("after")
        .arg(1)
        .query::<()>(&mut c)
        .unwrap();
    // Adding and removing shards migrates slots with their keys; no key is lost.
    let events = || {
        ec(
            &emu,
            &[
                "describe-events",
                "--source-identifier",
                "clu",
                "--source-type",
                "replication-group",
            ],
        )
    };
    let check = |g: &Value, shards: usize| {
        let client =
            redis::cluster::ClusterClient::new(vec![format!("redis://{host}:{port}/")]).unwrap();
        let mut c = client.get_connection().unwrap();
        for i in 0..300 {
            let v: i64 = redis::cmd("GET")
                .arg(format!("key:{i}"))
                .query(&mut c)
                .unwrap_or_else(|e| panic!("key:{i}: {e}; events: {}", events()));
            assert_eq!(v, i);
        }
        let mut engine = engine_slots(&mut redis_at(&(host.clone(), port), None, None));
        let mut api: Vec<String> = g["NodeGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ng| ng["Slots"].as_str().unwrap().to_string())
            .collect();
        engine.sort();
        api.sort();
        assert_eq!(api.len(), shards);
        assert_eq!(engine, api, "events: {}", events());
    };
    let reshard = |args: &[&str], shards: usize| {
        let mut a = vec![
            "modify-replication-group-shard-configuration",
            "--replication-group-id",
            "clu",
            "--apply-immediately",
        ];
        a.extend_from_slice(args);
        let started = Instant::now();
        ec(&emu, &a);
        let g = super::wait_group_within(&emu, "clu", Duration::from_secs(90));
        eprintln!(
            "reshard to {shards} shards: {} ms",
            started.elapsed().as_millis()
        );
        check(&g, shards);
    };
    reshard(&["--node-group-count", "4"], 4);
    // AWS's recorded DescribeEvents texts for a scale-out, oldest first; the slots each node
    // group hands on to the next when three shards' slots spread over four.
    let mut msgs = super::event_messages(&events());
    msgs.reverse();
    let from = msgs
        .iter()
        .position(|m| m == "Scaling out replication group clu from 3 node groups to 4 node groups")
        .unwrap_or_else(|| panic!("{msgs:?}"));
    assert_eq!(
        msgs[from..],
        [
            "Scaling out replication group clu from 3 node groups to 4 node groups",
            "Modified replication group clu to add 1 new node groups - 0004",
            "Migrating slots from node groups 0001, 0002, 0003 to 0002, 0003, 0004 to rebalance slots",
            "Moved a total of 1365 slots out of 1365 slots from shard 0001 to shard 0002",
            "Moved a total of 2730 slots out of 2730 slots from shard 0002 to shard 0003",
            "Moved a total of 4096 slots out of 4096 slots from shard 0003 to shard 0004",
        ]
    );
    assert_eq!(emu.child_pids().len(), 8);
    reshard(
        &[
            "--node-group-count",
            "2",
            "--node-groups-to-remove",
            "0002",
            "0004",
        ],
        2,
    );
    eventually("removed shards stopped", || emu.child_pids().len() == 4);
}

#[test]
fn memcached_parameters_take_effect_at_start_and_after_reboot() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "mpg",
            "--cache-parameter-group-family",
            "memcached1.6",
            "--description",
            "d",
        ],
    );
    let set_item_size = |v: &str| {
        let p = format!("ParameterName=max_item_size,ParameterValue={v}");
        ec(
            &emu,
            &[
                "modify-cache-parameter-group",
                "--cache-parameter-group-name",
                "mpg",
                "--parameter-name-values",
                &p,
            ],
        );
    };
    set_item_size("2097152");
    create_cluster(
        &emu,
        "mp",
        "memcached",
        1,
        &["--cache-parameter-group-name", "mpg"],
    );
    let item_size = |c: &Value| {
        let ep = hp(&c["CacheNodes"][0]["Endpoint"]);
        mc(&ep, "stats settings\r\n")
            .lines()
            .find_map(|l| l.strip_prefix("STAT item_size_max ").map(str::to_owned))
            .unwrap()
    };
    let c = wait_cluster(&emu, "mp");
    assert_eq!(item_size(&c), "2097152");
    // memcached has no runtime configuration: the change waits for a reboot.
    set_item_size("4194304");
    let c = wait_cluster(&emu, "mp");
    assert_eq!(
        c["CacheParameterGroup"]["ParameterApplyStatus"],
        "pending-reboot"
    );
    assert_eq!(item_size(&c), "2097152");
    ec(
        &emu,
        &[
            "reboot-cache-cluster",
            "--cache-cluster-id",
            "mp",
            "--cache-node-ids-to-reboot",
            "0001",
        ],
    );
    let c = wait_cluster(&emu, "mp");
    assert_eq!(c["CacheParameterGroup"]["ParameterApplyStatus"], "in-sync");
    assert_eq!(item_size(&c), "4194304");
}

#[test]
fn cluster_mode_fails_over_a_dead_primary_without_losing_acknowledged_writes() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "cfo",
        &[
            "--num-node-groups",
            "2",
            "--replicas-per-node-group",
            "1",
            "--engine-version",
            "7.0",
            "--cache-parameter-group-name",
            "default.redis7.cluster.on",
        ],
    );
    let (host, port) = hp(&g["ConfigurationEndpoint"]);
    let client =
        redis::cluster::ClusterClient::new(vec![format!("redis://{host}:{port}/")]).unwrap();
    let mut c = client.get_connection().unwrap();
    for i in 0..200 {
        redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query::<()>(&mut c)
            .unwrap();
    }
    // Every shard's primary has its writes on its replica before the crash.
    let shard0: Vec<String> = g["NodeGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ng| ng["NodeGroupId"] == "0001")
        .unwrap()["NodeGroupMembers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["CacheClusterId"].as_str().unwrap().to_string())
        .collect();
    let victim = hp(&wait_cluster(&emu, &shard0[0])["CacheNodes"][0]["Endpoint"]);
    let mut v = redis_at(&victim, None, None);
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut v).unwrap();
    assert_eq!(acked, 1);
    let killed = Instant::now();
    // SAFETY: kill(2) of a node process this test's emulator started.
    unsafe {
        libc::kill(pid_of(&emu, &victim) as i32, libc::SIGKILL);
    }
    let start = Instant::now();
    loop {
        // The configuration endpoint follows the live nodes, as AWS's DNS name does.
        let g = ec(
            &emu,
            &[
                "describe-replication-groups",
                "--replication-group-id",
                "cfo",
            ],
        );
        let (host, port) = hp(&g["ReplicationGroups"][0]["ConfigurationEndpoint"]);
        let client =
            redis::cluster::ClusterClient::new(vec![format!("redis://{host}:{port}/")]).unwrap();
        let ok = client.get_connection().is_ok_and(|mut c| {
            (0..200).all(|i| {
                redis::cmd("GET")
                    .arg(format!("key:{i}"))
                    .query::<i64>(&mut c)
                    .is_ok_and(|v| v == i)
            }) && redis::cmd("SET")
                .arg("after")
                .arg(1)
                .query::<()>(&mut c)
                .is_ok()
        });
        if ok {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "cluster never recovered: {}",
            ec(
                &emu,
                &[
                    "describe-events",
                    "--source-identifier",
                    "cfo",
                    "--source-type",
                    "replication-group"
                ]
            )
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "cluster-mode automatic failover: kill to all keys readable and a write accepted: {} ms",
        killed.elapsed().as_millis()
    );
    wait_group(&emu, "cfo");
}
