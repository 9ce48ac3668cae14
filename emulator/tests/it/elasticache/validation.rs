//! What AWS checks before any node starts: node types of its list for the engine and version,
//! zones of the request's region, parameter groups of the version's family, parameter values
//! of their type and allowed values. A refused request leaves nothing behind.

use super::super::common::TestEmulator;
use super::{create_cluster, ec, ec_raw, wait_cluster};

fn create(emu: &TestEmulator, id: &str, engine: &str, extra: &[&str]) -> super::CliResult {
    let mut args = vec![
        "create-cache-cluster",
        "--cache-cluster-id",
        id,
        "--engine",
        engine,
        "--num-cache-nodes",
        "1",
    ];
    args.extend_from_slice(extra);
    ec_raw(emu, &args)
}

#[test]
fn creates_are_checked_before_any_node_starts() {
    let emu = TestEmulator::start();
    create(
        &emu,
        "typo",
        "redis",
        &["--cache-node-type", "cache.t3.mirco"],
    )
    .fails_with_message(
        "InvalidParameterValue",
        "Invalid Cache Node Type: cache.t3.mirco",
    );
    create(&emu, "none", "redis", &[]).fails_with_message(
        "InvalidParameterValue",
        "The parameter CacheNodeType must be provided and must not be null.",
    );
    // Graviton types run Redis OSS from 5.0.6 on.
    create(
        &emu,
        "old-graviton",
        "redis",
        &[
            "--cache-node-type",
            "cache.t4g.micro",
            "--engine-version",
            "5.0.5",
        ],
    )
    .fails_with("InvalidParameterCombination");
    // Zones of another region, or none AWS has.
    for az in ["us-west-2a", "us-east-1z"] {
        create(
            &emu,
            "elsewhere",
            "redis",
            &[
                "--cache-node-type",
                "cache.t3.micro",
                "--preferred-availability-zone",
                az,
            ],
        )
        .fails_with("InvalidParameterValue");
    }
    ec_raw(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "rg-elsewhere",
            "--replication-group-description",
            "x",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "2",
            "--preferred-cache-cluster-a-zs",
            "us-east-1a",
            "eu-west-1b",
        ],
    )
    .fails_with("InvalidParameterValue");
    // A parameter group of another family.
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "five",
            "--cache-parameter-group-family",
            "redis5.0",
            "--description",
            "five",
        ],
    );
    create(
        &emu,
        "wrong-family",
        "redis",
        &[
            "--cache-node-type",
            "cache.t3.micro",
            "--engine-version",
            "7.1",
            "--cache-parameter-group-name",
            "five",
        ],
    )
    .fails_with_message(
        "InvalidParameterCombination",
        "Expected a parameter group of family redis7 but found one of family redis5.0",
    );
    let all = ec(&emu, &["describe-cache-clusters"]);
    assert_eq!(all["CacheClusters"], serde_json::json!([]), "{all}");
    let groups = ec(&emu, &["describe-replication-groups"]);
    assert_eq!(groups["ReplicationGroups"], serde_json::json!([]));

    // What AWS offers is accepted: a Graviton type on a current version, in a zone of us-east-1.
    create_cluster(
        &emu,
        "graviton",
        "valkey",
        1,
        &["--preferred-availability-zone", "us-east-1f"],
    );
    let c = wait_cluster(&emu, "graviton");
    assert_eq!(c["PreferredAvailabilityZone"], "us-east-1f");
    let c = ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "graviton",
            "--cache-node-type",
            "cache.t4g.small",
            "--apply-immediately",
        ],
    );
    assert_eq!(c["CacheCluster"]["CacheNodeType"], "cache.t4g.small");
    ec_raw(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "graviton",
            "--cache-node-type",
            "cache.t4g.huge",
        ],
    )
    .fails_with_message(
        "InvalidParameterValue",
        "Invalid Cache Node Type: cache.t4g.huge",
    );
}

#[test]
fn parameter_values_are_checked_against_their_type() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "checked",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "checked",
        ],
    );
    let modify = |name: &str, value: &str| {
        ec_raw(
            &emu,
            &[
                "modify-cache-parameter-group",
                "--cache-parameter-group-name",
                "checked",
                "--parameter-name-values",
                &format!("ParameterName={name},ParameterValue={value}"),
            ],
        )
    };
    for (name, bad) in [
        ("maxmemory-policy", "most-recent"),
        ("timeout", "10"),
        ("timeout", "soon"),
        ("active-defrag-cycle-max", "76"),
        ("activedefrag", "maybe"),
    ] {
        modify(name, bad).fails_with("InvalidParameterValue");
    }
    for (name, good) in [
        ("maxmemory-policy", "allkeys-lru"),
        ("timeout", "0"),
        ("timeout", "300"),
        ("active-defrag-cycle-max", "75"),
    ] {
        modify(name, good).json();
    }
    let p = ec(
        &emu,
        &[
            "describe-cache-parameters",
            "--cache-parameter-group-name",
            "checked",
            "--source",
            "user",
        ],
    );
    let value = |n: &str| {
        p["Parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["ParameterName"] == n)
            .map(|x| x["ParameterValue"].clone())
    };
    assert_eq!(value("maxmemory-policy"), Some("allkeys-lru".into()));
    assert_eq!(value("timeout"), Some("300".into()));
}
