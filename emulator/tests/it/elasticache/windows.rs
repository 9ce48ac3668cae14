//! Windows AWS chooses when a create names none: 60 minutes inside the region's documented
//! 8-hour block (maintenance on a random day), different from create to create, reproducible
//! with `--seed`; a window the request names is kept as it is.

use std::collections::BTreeSet;

use super::super::common::TestEmulator;
use super::{create_cluster, create_group, ec};

/// Minutes after 00:00 of `hh:mm` (the last two fields of `ddd:hh:mm` too).
fn minutes(t: &str) -> u32 {
    let mut p = t.rsplitn(3, ':');
    let m: u32 = p.next().unwrap().parse().unwrap();
    let h: u32 = p.next().unwrap().parse().unwrap();
    h * 60 + m
}

/// Asserts `window` lasts 60 minutes and starts and ends inside the block starting at
/// `block` (minutes after 00:00 UTC).
fn inside(window: &str, block: u32) {
    let (a, b) = window.split_once('-').unwrap();
    let (s, e) = (minutes(a), minutes(b));
    assert_eq!((e + 1440 - s) % 1440, 60, "{window}");
    let from_block = (s + 1440 - block) % 1440;
    assert!(
        from_block + 60 <= 480,
        "{window} outside the block at {block}"
    );
}

fn windows_of(c: &serde_json::Value) -> (String, String) {
    (
        c["PreferredMaintenanceWindow"]
            .as_str()
            .unwrap()
            .to_string(),
        c["SnapshotWindow"].as_str().unwrap().to_string(),
    )
}

#[test]
fn unnamed_windows_are_drawn_inside_the_regions_block() {
    let emu = TestEmulator::start_with(|c| c.seed = Some(2026));
    let mut maintenance = BTreeSet::new();
    let mut snapshot = BTreeSet::new();
    for i in 0..6 {
        let c = create_cluster(&emu, &format!("w{i}"), "redis", 1, &[])["CacheCluster"].clone();
        let (m, s) = windows_of(&c);
        // us-east-1's block is 03:00-11:00 UTC.
        inside(&m, 3 * 60);
        inside(&s, 3 * 60);
        maintenance.insert(m);
        snapshot.insert(s);
    }
    assert!(maintenance.len() > 1, "{maintenance:?}");
    assert!(snapshot.len() > 1, "{snapshot:?}");
    let days: BTreeSet<&str> = maintenance.iter().map(|m| &m[..3]).collect();
    assert!(days.len() > 1, "{maintenance:?}");

    // eu-west-1's block wraps midnight: 22:00-06:00 UTC.
    let c = emu.aws_as(
        "123456789012",
        "eu-west-1",
        &[
            "elasticache",
            "create-replication-group",
            "--replication-group-id",
            "dublin",
            "--replication-group-description",
            "d",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    let g = c.json()["ReplicationGroup"].clone();
    inside(g["SnapshotWindow"].as_str().unwrap(), 22 * 60);

    // Named windows are kept exactly.
    let c = create_cluster(
        &emu,
        "named",
        "redis",
        1,
        &[
            "--preferred-maintenance-window",
            "sun:23:00-mon:01:30",
            "--snapshot-window",
            "15:00-16:00",
        ],
    )["CacheCluster"]
        .clone();
    assert_eq!(
        windows_of(&c),
        ("sun:23:00-mon:01:30".into(), "15:00-16:00".into())
    );
}

#[test]
fn a_seed_reproduces_the_draw() {
    let first = TestEmulator::start_with(|c| c.seed = Some(99));
    let again = TestEmulator::start_with(|c| c.seed = Some(99));
    let other = TestEmulator::start_with(|c| c.seed = Some(100));
    let w = |emu: &TestEmulator| {
        let c = create_cluster(emu, "same", "redis", 1, &[])["CacheCluster"].clone();
        let g = create_group(emu, "same-rg", &[]);
        let member = ec(
            emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                g["MemberClusters"][0].as_str().unwrap(),
            ],
        )["CacheClusters"][0]
            .clone();
        (
            windows_of(&c),
            windows_of(&member),
            g["SnapshotWindow"].clone(),
        )
    };
    let (a, b) = (w(&first), w(&again));
    assert_eq!(a, b);
    // The group reports its members' snapshot window.
    assert_eq!(a.2, a.1 .1.as_str());
    // Another seed draws again (two windows of 7 days x 15 starts each: equal by chance
    // with a probability far below one in a thousand).
    assert_ne!((a.0, a.1), {
        let c = w(&other);
        (c.0, c.1)
    });
}
