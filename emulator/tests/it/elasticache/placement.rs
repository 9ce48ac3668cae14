//! Placement: cross-az Memcached nodes and a replication group's members spread over the
//! region's zones; named zones are honored; PreferredAvailabilityZone is `Multiple` when a
//! cluster's nodes are in several zones.

use std::collections::BTreeSet;

use super::super::common::TestEmulator;
use super::{create_cluster, create_group, ec, ec_raw, wait_cluster};

fn node_zones(c: &serde_json::Value) -> Vec<String> {
    c["CacheNodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["CustomerAvailabilityZone"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cross_az_memcached_nodes_spread_over_the_regions_zones() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "spread", "memcached", 3, &["--az-mode", "cross-az"]);
    let c = wait_cluster(&emu, "spread");
    let zones = node_zones(&c);
    let distinct: BTreeSet<&String> = zones.iter().collect();
    assert_eq!(distinct.len(), 3, "{zones:?}");
    assert!(
        zones.iter().all(|z| z.starts_with("us-east-1")),
        "{zones:?}"
    );
    assert_eq!(c["PreferredAvailabilityZone"], "Multiple");
    // Each node's creation names its zone.
    let events = ec(
        &emu,
        &[
            "describe-events",
            "--source-identifier",
            "spread",
            "--source-type",
            "cache-cluster",
        ],
    );
    let messages = super::event_messages(&events);
    for (i, z) in zones.iter().enumerate() {
        let m = format!("Added cache node {:04} in availability zone {z}", i + 1);
        assert!(messages.contains(&m), "{m}: {messages:?}");
    }

    // Named zones, as many as nodes (repeats allowed).
    create_cluster(
        &emu,
        "named",
        "memcached",
        2,
        &["--preferred-availability-zones", "us-east-1d", "us-east-1d"],
    );
    let c = wait_cluster(&emu, "named");
    assert_eq!(node_zones(&c), ["us-east-1d", "us-east-1d"]);
    assert_eq!(c["PreferredAvailabilityZone"], "us-east-1d");
    ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "too-few",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "3",
            "--preferred-availability-zones",
            "us-east-1a",
        ],
    )
    .fails_with("InvalidParameterValue");

    // Single-az by default: every node in one zone.
    create_cluster(&emu, "single", "memcached", 2, &[]);
    let c = wait_cluster(&emu, "single");
    let zones = node_zones(&c);
    assert_eq!(zones[0], zones[1]);
    assert_eq!(c["PreferredAvailabilityZone"], zones[0].as_str());

    // New nodes go where NewAvailabilityZones says; the cluster becomes Multiple.
    ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "single",
            "--num-cache-nodes",
            "3",
            "--new-availability-zones",
            "us-east-1f",
            "--apply-immediately",
        ],
    );
    let c = wait_cluster(&emu, "single");
    assert_eq!(node_zones(&c)[2], "us-east-1f");
    assert_eq!(c["PreferredAvailabilityZone"], "Multiple");
}

#[test]
fn replication_group_members_are_in_different_zones() {
    let emu = TestEmulator::start();
    let g = create_group(
        &emu,
        "multi",
        &[
            "--num-cache-clusters",
            "3",
            "--automatic-failover-enabled",
            "--multi-az-enabled",
        ],
    );
    let zones: BTreeSet<String> = g["NodeGroups"][0]["NodeGroupMembers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["PreferredAvailabilityZone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(zones.len(), 3, "{g}");

    let g = create_group(
        &emu,
        "pinned",
        &[
            "--num-cache-clusters",
            "2",
            "--preferred-cache-cluster-a-zs",
            "us-east-1e",
            "us-east-1c",
        ],
    );
    let members = g["MemberClusters"].as_array().unwrap();
    let az = |id: &serde_json::Value| {
        ec(
            &emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                id.as_str().unwrap(),
            ],
        )["CacheClusters"][0]["PreferredAvailabilityZone"]
            .clone()
    };
    assert_eq!(az(&members[0]), "us-east-1e");
    assert_eq!(az(&members[1]), "us-east-1c");
}
