//! Planned switches and reshards lose no acknowledged write, however far behind the engine
//! is when the API asks: a replica that has not applied its primary's stream, a replica whose
//! link to its primary is down, a slot map that names an owner the group's records do not.
//! Each test holds the engine in that state on purpose (the engine's own commands), so the
//! races are covered without load.

use std::time::{Duration, Instant};

use super::super::common::TestEmulator;
use super::failover::{acked_by, assert_keys, member_at, primary_fast, writable, write_keys};
use super::hp;
use super::semantics::{assert_numbered, member_endpoints, redis_at, set_numbered};
use super::{create_group, ec, eventually, wait_group, wait_group_within};

fn info(ep: &(String, u16), section: &str) -> String {
    redis::cmd("INFO")
        .arg(section)
        .query(&mut redis_at(ep, None, None))
        .unwrap()
}

fn is_primary(ep: &(String, u16)) -> bool {
    info(ep, "replication").contains("role:master")
}

fn config_set(ep: &(String, u16), name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(&mut redis_at(ep, None, None))
        .unwrap();
}

fn config_get(ep: &(String, u16), name: &str) -> String {
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(&mut redis_at(ep, None, None))
        .unwrap();
    got.get(1).cloned().unwrap_or_default()
}

/// Takes `replica`'s link to its primary down (a `masterauth` the primary refuses) and mends
/// it after `down`, from the thread returned.
fn break_link(replica: &(String, u16), down: Duration) -> std::thread::JoinHandle<()> {
    let auth = config_get(replica, "masterauth");
    config_set(replica, "masterauth", "not-the-primarys-password");
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("master")
        .query(&mut redis_at(replica, None, None))
        .unwrap();
    eventually("the replica's link is down", || {
        info(replica, "replication").contains("master_link_status:down")
    });
    let replica = replica.clone();
    std::thread::spawn(move || {
        std::thread::sleep(down);
        config_set(&replica, "masterauth", &auth);
    })
}

/// A one-shard cluster-mode group with one replica: (primary, replica) node endpoints.
fn one_shard_cluster(
    emu: &TestEmulator,
    id: &str,
) -> (serde_json::Value, (String, u16), (String, u16)) {
    let g = create_group(
        emu,
        id,
        &[
            "--num-node-groups",
            "1",
            "--replicas-per-node-group",
            "1",
            "--cache-parameter-group-name",
            "default.redis7.cluster.on",
        ],
    );
    let nodes = member_endpoints(emu, &g);
    assert_eq!(nodes.len(), 2);
    let (a, b) = (nodes[0].clone(), nodes[1].clone());
    if is_primary(&a) {
        (g, a, b)
    } else {
        (g, b, a)
    }
}

/// ModifyReplicationGroup's PrimaryClusterId switches to a replica that has received but not
/// applied the last acknowledged writes: `CLIENT PAUSE WRITE` on a replica holds its primary's
/// stream unapplied, and REPLICAOF NO ONE during the pause drops what it holds. The switch
/// must wait until the replica has applied everything the old primary acknowledged.
#[test]
fn a_planned_switch_waits_for_the_replica_to_apply_every_acknowledged_write() {
    let emu = TestEmulator::start();
    let g = create_group(&emu, "planned", &["--num-cache-clusters", "2"]);
    let nodes = member_endpoints(&emu, &g);
    let (old, new) = (&nodes[0], &nodes[1]);
    let new_member = member_at(&emu, "planned", new);
    let mut c = redis_at(old, None, None);
    write_keys(&mut c, "linked", 1);
    acked_by(&mut c, 1);
    // Shorter than the switch's patience for a slow replica (10 s), long enough that the
    // API's answer comes while the replica still holds the writes unapplied.
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(2000)
        .arg("WRITE")
        .query(&mut redis_at(new, None, None))
        .unwrap();
    write_keys(&mut c, "k", 200);
    ec(
        &emu,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "planned",
            "--primary-cluster-id",
            &new_member,
            "--apply-immediately",
        ],
    );
    eventually("the switch", || primary_fast(&emu, "planned") == *new);
    let mut n = writable(new);
    assert_keys(&mut n, "k", 200);
    // The old primary follows the new one with the same data.
    let mut o = redis_at(old, None, None);
    eventually("the old primary follows", || {
        info(old, "replication").contains("master_link_status:up")
    });
    assert_keys(&mut o, "k", 200);
}

/// TestFailover of a group without cluster mode while the replica's link is down (a group just
/// created on a busy machine, its replica still in its first sync): the link stays down
/// longer than the switch holds the old primary's writes (10 s), while the primary takes
/// writes. The switch waits for the link before it pauses and compares offsets, so the new
/// primary has every acknowledged write.
#[test]
fn a_planned_switch_waits_for_a_replica_whose_link_is_down() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "unlinked",
        &["--num-cache-clusters", "2", "--automatic-failover-enabled"],
    );
    let nodes = member_endpoints(&emu, &g);
    let (primary, replica) = if is_primary(&nodes[0]) {
        (nodes[0].clone(), nodes[1].clone())
    } else {
        (nodes[1].clone(), nodes[0].clone())
    };
    let mut c = redis_at(&primary, None, None);
    write_keys(&mut c, "before", 100);
    acked_by(&mut c, 1);
    let mender = break_link(&replica, Duration::from_secs(12));
    write_keys(&mut c, "during", 100);
    ec(
        &emu,
        &[
            "test-failover",
            "--replication-group-id",
            "unlinked",
            "--node-group-id",
            "0001",
        ],
    );
    mender.join().unwrap();
    wait_group(&emu, "unlinked");
    eventually("the replica is promoted", || is_primary(&replica));
    let mut n = redis_at(&replica, None, None);
    assert_keys(&mut n, "before", 100);
    assert_keys(&mut n, "during", 100);
}

/// TestFailover in cluster mode while the replica's replication link is down (a group just
/// formed, a replica resyncing): the engine's coordinated failover needs the link, and gives
/// up after its own timeout (5 s) if the replica cannot catch up. The link is held down
/// longer than that (a `masterauth` the primary refuses) while the primary takes writes; the
/// promotion waits for the link rather than being lost in the engine while the API names the
/// new primary.
#[test]
fn a_cluster_failover_waits_for_the_replicas_link_to_its_primary() {
    let emu = TestEmulator::start();
    let (_, primary, replica) = one_shard_cluster(&emu, "linkless");
    let mut c = redis_at(&primary, None, None);
    write_keys(&mut c, "{t}before", 100);
    acked_by(&mut c, 1);
    let mender = break_link(&replica, Duration::from_secs(7));
    write_keys(&mut c, "{t}during", 100);
    let held = Instant::now();
    ec(
        &emu,
        &[
            "test-failover",
            "--replication-group-id",
            "linkless",
            "--node-group-id",
            "0001",
        ],
    );
    mender.join().unwrap();
    assert!(held.elapsed() >= Duration::from_secs(7));
    wait_group(&emu, "linkless");
    eventually("the replica is promoted", || is_primary(&replica));
    let mut n = redis_at(&replica, None, None);
    assert_keys(&mut n, "{t}before", 100);
    assert_keys(&mut n, "{t}during", 100);
}

/// A reshard moves slots from the owners the engine's slot map names. When the map names an
/// owner that is not among the group's primaries as the emulator knows them (here: the
/// engine failed over behind the API's back, as when an engine failover outlives the API's
/// wait), none of that owner's slots may be handed to the new shard without their keys: the
/// reshard fails instead, and every key stays readable.
#[test]
fn a_reshard_never_gives_away_the_slots_of_an_owner_it_does_not_know() {
    let emu = TestEmulator::start();
    let (g, _, replica) = one_shard_cluster(&emu, "stranger");
    let (host, port) = hp(&g["ConfigurationEndpoint"]);
    let url = format!("redis://{host}:{port}/");
    let client = redis::cluster::ClusterClient::new(vec![url.clone()]).unwrap();
    let mut c = client.get_connection().unwrap();
    set_numbered(&mut c, 300);
    let _: () = redis::cmd("CLUSTER")
        .arg("FAILOVER")
        .query(&mut redis_at(&replica, None, None))
        .unwrap();
    eventually("the engine's own failover", || is_primary(&replica));
    ec(
        &emu,
        &[
            "modify-replication-group-shard-configuration",
            "--replication-group-id",
            "stranger",
            "--node-group-count",
            "2",
            "--apply-immediately",
        ],
    );
    wait_group_within(&emu, "stranger", Duration::from_secs(120));
    let client = redis::cluster::ClusterClient::new(vec![url]).unwrap();
    let mut c = client.get_connection().unwrap();
    assert_numbered(&mut c, 300);
}
