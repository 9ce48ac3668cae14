//! Automatic failover keeps every write a replica acknowledged: the replica that replicated
//! most is promoted, a dead primary is never brought back empty in its place, and neither a
//! node dying while the monitor decides nor a replica slow to answer changes that. The
//! monitor's gate (`ElastiCache::monitor_gate`) holds a pass between choosing and deciding,
//! so the races are covered without relying on load.

use std::time::{Duration, Instant};

use super::super::common::{post_query, running, TestEmulator};
use super::hp;
use super::semantics::{get, member_endpoints, pid_of, redis_at, replicated, set};
use super::{create_group, ec, event_messages, eventually, wait_group};

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) of a node process this test's emulator started.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

/// Kills the node process and waits until it has exited (a zombie counts: the emulator's
/// supervisor sees it as gone from then on).
fn kill_node(pid: u32) {
    signal(pid, libc::SIGKILL);
    let start = Instant::now();
    while running(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{pid} survived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The group's primary endpoint through one raw Query request (no CLI start-up per poll).
pub(super) fn primary_fast(emu: &TestEmulator, id: &str) -> (String, u16) {
    let (status, body) = post_query(
        &emu.url(),
        "123456789012",
        "us-east-1",
        &format!("Action=DescribeReplicationGroups&Version=2015-02-02&ReplicationGroupId={id}"),
    );
    assert_eq!(status, 200, "{body}");
    let ep = body
        .split_once("<PrimaryEndpoint>")
        .and_then(|(_, r)| r.split_once("</PrimaryEndpoint>"))
        .map(|(e, _)| e)
        .unwrap_or_else(|| panic!("no primary endpoint: {body}"));
    let field = |tag: &str| {
        ep.split_once(&format!("<{tag}>"))
            .and_then(|(_, r)| r.split_once(&format!("</{tag}>")))
            .map(|(v, _)| v.to_string())
            .unwrap()
    };
    (field("Address"), field("Port").parse().unwrap())
}

/// Waits until the group names another primary than `old`, then asserts the old one was
/// never brought back in place: its recovery, if any, comes after the failover's event
/// (an in-place recovery files "Recovering cache nodes" with no failover before it).
fn await_failover(
    emu: &TestEmulator,
    id: &str,
    old: &(String, u16),
    old_member: &str,
) -> (String, u16) {
    let start = Instant::now();
    let new = loop {
        let p = primary_fast(emu, id);
        if p != *old {
            break p;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no failover");
        std::thread::sleep(Duration::from_millis(50));
    };
    let ev = ec(
        emu,
        &[
            "describe-events",
            "--source-identifier",
            old_member,
            "--source-type",
            "cache-cluster",
        ],
    );
    // Newest first.
    let msgs = event_messages(&ev);
    let failover = msgs
        .iter()
        .position(|m| m.starts_with("Failover from primary node"));
    let first_recovery = msgs
        .iter()
        .rposition(|m| m.starts_with("Recovering cache nodes"));
    assert!(
        failover.is_some() && first_recovery.is_none_or(|r| r < failover.unwrap()),
        "the dead primary was restarted in place: {msgs:?}"
    );
    new
}

pub(super) fn writable(ep: &(String, u16)) -> redis::Connection {
    let start = Instant::now();
    loop {
        let mut n = redis_at(ep, None, None);
        if set(&mut n, "probe", "1").is_ok() {
            return n;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{ep:?} never writable"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(super) fn write_keys(c: &mut redis::Connection, prefix: &str, n: usize) {
    for i in 0..n {
        set(c, &format!("{prefix}{i}"), &i.to_string()).unwrap();
    }
}

pub(super) fn assert_keys(c: &mut redis::Connection, prefix: &str, n: usize) {
    let keys: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let got: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query(c).unwrap();
    for (i, v) in got.into_iter().enumerate() {
        assert_eq!(v, Some(i.to_string()), "{prefix}{i} lost");
    }
}

/// Waits until `n` replicas acknowledged everything written to `c` so far.
pub(super) fn acked_by(c: &mut redis::Connection, n: i64) {
    let start = Instant::now();
    loop {
        let acked: i64 = redis::cmd("WAIT").arg(n).arg(1000).query(c).unwrap();
        if acked >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "only {acked} replicas acknowledged"
        );
    }
}

/// For a failure message: the group's events and each member's replication state as its
/// node reports it (role, master, offsets, replication ids).
fn replication_report(emu: &TestEmulator, id: &str) -> String {
    let g = &ec(
        emu,
        &["describe-replication-groups", "--replication-group-id", id],
    )["ReplicationGroups"][0];
    let mut out = vec![];
    for m in g["MemberClusters"].as_array().into_iter().flatten() {
        let m = m.as_str().unwrap_or_default();
        let c = &ec(
            emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                m,
                "--show-cache-node-info",
            ],
        )["CacheClusters"][0];
        let ep = hp(&c["CacheNodes"][0]["Endpoint"]);
        let info: String = super::semantics::try_redis(&ep, None, None)
            .and_then(|mut c| redis::cmd("INFO").arg("replication").query(&mut c))
            .unwrap_or_else(|e| format!("no answer: {e}"));
        let keep = [
            "role",
            "master_host",
            "master_port",
            "master_link_status",
            "slave_repl_offset",
            "master_repl_offset",
            "master_replid",
            "master_replid2",
        ];
        let info: Vec<&str> = info
            .lines()
            .filter(|l| keep.iter().any(|k| l.starts_with(&format!("{k}:"))))
            .collect();
        out.push(format!("{m} at {ep:?}: {}", info.join(" ")));
    }
    let events = event_messages(&ec(
        emu,
        &[
            "describe-events",
            "--source-identifier",
            id,
            "--source-type",
            "replication-group",
        ],
    ));
    format!(
        "members: {}; group events (newest first): {events:?}",
        out.join("; ")
    )
}

/// The member cluster whose node listens on `ep`.
pub(super) fn member_at(emu: &TestEmulator, id: &str, ep: &(String, u16)) -> String {
    let g = wait_group(emu, id);
    let members = g["NodeGroups"][0]["NodeGroupMembers"].as_array().unwrap();
    members
        .iter()
        .find(|m| hp(&m["ReadEndpoint"]) == *ep)
        .map(|m| m["CacheClusterId"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no member at {ep:?}: {g}"))
}

#[test]
fn automatic_failover_promotes_a_replica_when_the_primary_dies() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "auto",
        &["--num-cache-clusters", "3", "--automatic-failover-enabled"],
    );
    let old = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    let old_member = member_at(&emu, "auto", &old);
    let mut c = redis_at(&old, None, None);
    for i in 0..200 {
        set(&mut c, &format!("k{i}"), &i.to_string()).unwrap();
    }
    // Acknowledged by at least one replica before the crash.
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut c).unwrap();
    assert!(acked >= 1);
    let pid = pid_of(&emu, &old);
    let killed = Instant::now();
    // SAFETY: kill(2) of a node process this test's emulator started.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    let new = loop {
        let v = ec(
            &emu,
            &[
                "describe-replication-groups",
                "--replication-group-id",
                "auto",
            ],
        );
        let p = hp(&v["ReplicationGroups"][0]["NodeGroups"][0]["PrimaryEndpoint"]);
        if p != old {
            break p;
        }
        assert!(killed.elapsed() < Duration::from_secs(60), "no failover");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut n = redis_at(&new, None, None);
    while set(&mut n, "after", "x").is_err() {
        assert!(killed.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "automatic failover: kill to a write on the new primary: {} ms",
        killed.elapsed().as_millis()
    );
    let missing = (0..200)
        .filter(|i| get(&mut n, &format!("k{i}")) != Some(i.to_string()))
        .count();
    assert_eq!(
        missing,
        0,
        "keys lost on the new primary {new:?} (old {old:?}); {}",
        replication_report(&emu, "auto")
    );
    // The failed node is replaced by a fresh replica of the new primary.
    let g = wait_group(&emu, "auto");
    let nodes = member_endpoints(&emu, &g);
    assert_eq!(nodes.len(), 3);
    for ep in &nodes[1..] {
        replicated(&mut redis_at(ep, None, None), "after", "x");
    }
    // AWS's events for the failed member, oldest first: the failover, then its replacement
    // (TestFailover's API reference lists this sequence).
    let new_member = member_at(&emu, "auto", &new);
    eventually("the replacement's recovery is reported", || {
        let mut m = event_messages(&ec(
            &emu,
            &[
                "describe-events",
                "--source-identifier",
                &old_member,
                "--source-type",
                "cache-cluster",
            ],
        ));
        m.reverse();
        m.ends_with(&[
            format!(
                "Failover from primary node {old_member} to replica node {new_member} completed"
            ),
            "Recovering cache nodes 0001".to_string(),
            "Finished recovery for cache nodes 0001".to_string(),
        ])
    });
}

/// The race of issue 26: the monitor looked at the group while the primary was alive, the
/// primary dies, then the monitor decides. The decision must not restart the primary in
/// place (empty: it has no state dir) and let the replicas resync from it; the next pass
/// fails over to a replica that has every acknowledged write.
#[test]
fn a_primary_dying_between_look_and_decision_is_failed_over_not_restarted_empty() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "race",
        &["--num-cache-clusters", "3", "--automatic-failover-enabled"],
    );
    let old = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    let old_member = member_at(&emu, "race", &old);
    let mut c = redis_at(&old, None, None);
    write_keys(&mut c, "k", 200);
    acked_by(&mut c, 2);
    let gate = emu.state.elasticache.monitor_gate();
    gate.hold();
    assert!(
        gate.wait_held(Duration::from_secs(30)),
        "no monitor pass reached the gate"
    );
    // The held pass saw the primary alive; it dies before the pass decides.
    kill_node(pid_of(&emu, &old));
    gate.release();
    let new = await_failover(&emu, "race", &old, &old_member);
    let mut n = writable(&new);
    assert_keys(&mut n, "k", 200);
    let g = wait_group(&emu, "race");
    for ep in &member_endpoints(&emu, &g)[1..] {
        replicated(&mut redis_at(ep, None, None), "probe", "1");
    }
}

/// A replica that does not answer INFO in time (a busy machine) is not taken as having
/// replicated nothing: the failover waits for it rather than promote a replica that lags.
/// Here the replica holding the acknowledged writes is stopped while the primary dies, and
/// the other one lags behind by 32 MB it never received.
#[test]
fn a_silent_replica_holding_the_writes_is_waited_for_not_passed_over() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "silent",
        &["--num-cache-clusters", "3", "--automatic-failover-enabled"],
    );
    let nodes = member_endpoints(&emu, &g);
    let (old, ahead, behind) = (&nodes[0], &nodes[1], &nodes[2]);
    let old_member = member_at(&emu, "silent", old);
    let (ahead_pid, behind_pid) = (pid_of(&emu, ahead), pid_of(&emu, behind));
    let mut c = redis_at(old, None, None);
    let state = |ep: &(String, u16)| -> String {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query(&mut redis_at(ep, None, None))
            .unwrap_or_default();
        info.lines()
            .filter(|l| {
                ["master_link_status", "slave_repl_offset", "master_replid:"]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let before = format!("ahead {} / behind {}", state(ahead), state(behind));
    signal(behind_pid, libc::SIGSTOP);
    // More than the stopped replica's socket buffers hold, so it stays behind.
    let pad = "x".repeat(1 << 20);
    for i in 0..32 {
        set(&mut c, &format!("pad{i}"), &pad).unwrap();
    }
    write_keys(&mut c, "k", 200);
    acked_by(&mut c, 1);
    let acked = format!("ahead {}", state(ahead));
    signal(ahead_pid, libc::SIGSTOP);
    kill_node(pid_of(&emu, old));
    let killed = std::time::Instant::now();
    signal(behind_pid, libc::SIGCONT);
    // Monitor passes find the replica with the writes silent: the monitor is not stuck on it
    // (a pass still comes round), and there is no failover yet. The replica answers again
    // well within the failover's patience (15 s), however slow the machine.
    let gate = emu.state.elasticache.monitor_gate();
    gate.hold();
    assert!(
        gate.wait_held(Duration::from_secs(20)),
        "the monitor hangs on the silent replica"
    );
    gate.release();
    std::thread::sleep(Duration::from_secs(3).saturating_sub(killed.elapsed()));
    assert_eq!(
        primary_fast(&emu, "silent"),
        *old,
        "failed over without the silent replica"
    );
    assert!(
        killed.elapsed() < Duration::from_secs(12),
        "the test itself outlasted the failover's patience ({:?})",
        killed.elapsed()
    );
    signal(ahead_pid, libc::SIGCONT);
    let resumed = killed.elapsed();
    let new = await_failover(&emu, "silent", old, &old_member);
    assert_eq!(
        new,
        *ahead,
        "the lagging replica was promoted (the replica with the writes resumed {resumed:?} after \
         the kill, the failover seen {:?} after it; before the writes: {before}; once \
         acknowledged: {acked}; pids {ahead_pid} / {behind_pid}, now {:?})\n{}",
        killed.elapsed(),
        emu.child_pids(),
        replication_report(&emu, "silent")
    );
    let mut n = writable(&new);
    assert_keys(&mut n, "k", 200);
}

/// Issue 26's acceptance: 50 kills of the primary in a row, each after writes acknowledged by
/// a replica (`WAIT 1`); no acknowledged write is ever lost.
#[test]
fn fifty_primary_kills_in_a_row_lose_no_acknowledged_write() {
    let kills: usize = std::env::var("AWSEMU_FAILOVER_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "fifty",
        &["--num-cache-clusters", "3", "--automatic-failover-enabled"],
    );
    let mut primary = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    let started = Instant::now();
    for round in 0..kills {
        let mut c = writable(&primary);
        write_keys(&mut c, &format!("r{round}:"), 20);
        acked_by(&mut c, 1);
        drop(c);
        kill_node(pid_of(&emu, &primary));
        let killed = Instant::now();
        loop {
            let p = primary_fast(&emu, "fifty");
            if p != primary {
                primary = p;
                break;
            }
            assert!(
                killed.elapsed() < Duration::from_secs(60),
                "round {round}: no failover"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut n = writable(&primary);
        for r in 0..=round {
            assert_keys(&mut n, &format!("r{r}:"), 20);
        }
    }
    eprintln!(
        "{kills} primary kills, no acknowledged write lost: {} ms",
        started.elapsed().as_millis()
    );
}

/// A node too busy to take its parameters when it first answers (the stress run's
/// `pers-tls`, which ended `incompatible-network` after three unanswered CONFIG SETs) is asked
/// again while its process runs: it becomes available with its parameters.
#[test]
fn a_node_too_busy_to_take_its_parameters_is_asked_again_not_failed() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "busy-pg",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "busy",
        ],
    );
    ec(
        &emu,
        &[
            "modify-cache-parameter-group",
            "--cache-parameter-group-name",
            "busy-pg",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=allkeys-lfu",
        ],
    );
    // More unanswered attempts than the three the emulator once allowed.
    emu.state.elasticache.busy_nodes(5);
    super::create_cluster(
        &emu,
        "busy",
        "redis",
        1,
        &["--cache-parameter-group-name", "busy-pg"],
    );
    let c = super::wait_cluster(&emu, "busy");
    assert_eq!(c["CacheNodes"][0]["CacheNodeStatus"], "available", "{c}");
    let node = hp(&c["CacheNodes"][0]["Endpoint"]);
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query(&mut redis_at(&node, None, None))
        .unwrap();
    assert_eq!(got[1], "allkeys-lfu");
}
