//! AWS's limits through the real AWS CLI: the error code and message, checked before any node
//! starts (no process is left behind by a rejected request).

use super::super::common::{post_query, CliResult, TestEmulator};
use super::{create_cluster, create_group, ec, ec_raw, wait_cluster};

/// Asserts the call failed with `code` and a message containing every one of `parts`.
fn fails(r: &CliResult, code: &str, parts: &[&str]) {
    r.fails_with(code);
    for p in parts {
        assert!(r.stderr.contains(p), "expected {p:?} in: {}", r.stderr);
    }
}

fn create_rg(emu: &TestEmulator, id: &str, extra: &[&str]) -> CliResult {
    let mut args = vec![
        "create-replication-group",
        "--replication-group-id",
        id,
        "--replication-group-description",
        "limits",
        "--engine",
        "redis",
        "--cache-node-type",
        "cache.t3.micro",
    ];
    args.extend_from_slice(extra);
    ec_raw(emu, &args)
}

#[test]
fn out_of_range_counts_are_rejected_before_any_node_starts() {
    let emu = TestEmulator::start();
    // Regression: a negative ReplicaCount used to panic the handler (capacity overflow).
    let r = create_rg(
        &emu,
        "neg",
        &[
            "--num-node-groups",
            "2",
            "--node-group-configuration",
            "NodeGroupId=0001,ReplicaCount=-1,Slots=0-8191",
            "NodeGroupId=0002,ReplicaCount=1,Slots=8192-16383",
        ],
    );
    // AWS's text names neither the parameter nor the value.
    fails(
        &r,
        "InvalidParameterValue",
        &["The number of replicas per node group must be within 0 and 5."],
    );
    // One shard given without NumNodeGroups: still checked.
    let r = create_rg(
        &emu,
        "one",
        &["--node-group-configuration", "ReplicaCount=-1"],
    );
    fails(
        &r,
        "InvalidParameterValue",
        &["The number of replicas per node group must be within 0 and 5."],
    );
    let r = create_rg(
        &emu,
        "six",
        &[
            "--num-node-groups",
            "2",
            "--node-group-configuration",
            "NodeGroupId=0001,ReplicaCount=6",
            "NodeGroupId=0002,ReplicaCount=1",
        ],
    );
    fails(
        &r,
        "InvalidParameterValue",
        &["The number of replicas per node group must be within 0 and 5."],
    );
    for n in ["-1", "6"] {
        let r = create_rg(
            &emu,
            "rpng",
            &["--num-node-groups", "2", "--replicas-per-node-group", n],
        );
        fails(
            &r,
            "InvalidParameterValue",
            &["The number of replicas per node group must be within 0 and 5."],
        );
    }
    for n in ["0", "7", "-3"] {
        let r = create_rg(&emu, "ncc", &["--num-cache-clusters", n]);
        fails(
            &r,
            "InvalidParameterValue",
            &["NumCacheClusters", n, "between 1 and 6"],
        );
    }
    for n in ["0", "501", "-2"] {
        let r = create_rg(&emu, "nng", &["--num-node-groups", n]);
        fails(
            &r,
            "InvalidParameterValue",
            &["NumNodeGroups", n, "between 1 and 500"],
        );
    }
    // 100 shards of 5 replicas is 600 nodes: over the 500 of one cluster.
    let r = create_rg(
        &emu,
        "big",
        &[
            "--engine-version",
            "7.1",
            "--num-node-groups",
            "100",
            "--replicas-per-node-group",
            "5",
        ],
    );
    fails(
        &r,
        "NodeQuotaForClusterExceeded",
        &["at most 500 nodes in a cluster"],
    );
    for p in ["0", "65536", "-1"] {
        let r = create_rg(&emu, "port", &["--num-cache-clusters", "1", "--port", p]);
        fails(
            &r,
            "InvalidParameterValue",
            &["Port", p, "between 1 and 65535"],
        );
    }
    let mc = |n: &str| {
        ec_raw(
            &emu,
            &[
                "create-cache-cluster",
                "--cache-cluster-id",
                "mc",
                "--engine",
                "memcached",
                "--cache-node-type",
                "cache.t3.micro",
                "--num-cache-nodes",
                n,
            ],
        )
    };
    fails(
        &mc("41"),
        "NodeQuotaForClusterExceeded",
        &["at most 40 nodes"],
    );
    fails(
        &mc("0"),
        "InvalidParameterValue",
        &["NumCacheNodes", "between 1 and 40"],
    );
    fails(&mc("-5"), "InvalidParameterValue", &["NumCacheNodes", "-5"]);
    let r = ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "rc",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "2",
        ],
    );
    fails(&r, "InvalidParameterValue", &["NumCacheNodes"]);
    assert!(
        emu.child_pids().is_empty(),
        "a rejected create started nodes"
    );
    let all = ec(&emu, &["describe-replication-groups"]);
    assert_eq!(all["ReplicationGroups"], serde_json::json!([]));

    // The same bounds hold when a live group changes.
    create_group(&emu, "live", &["--num-cache-clusters", "2"]);
    let before = emu.child_pids().len();
    for (op, n, msg) in [
        ("increase-replica-count", "6", "between 0 and 5"),
        ("increase-replica-count", "-1", "between 0 and 5"),
        ("decrease-replica-count", "-1", "between 0 and 5"),
    ] {
        let r = ec_raw(
            &emu,
            &[
                op,
                "--replication-group-id",
                "live",
                "--apply-immediately",
                "--new-replica-count",
                n,
            ],
        );
        fails(&r, "InvalidParameterValue", &["NewReplicaCount", n, msg]);
    }
    let r = ec_raw(
        &emu,
        &[
            "increase-replica-count",
            "--replication-group-id",
            "live",
            "--apply-immediately",
            "--replica-configuration",
            "NodeGroupId=0001,NewReplicaCount=-1",
        ],
    );
    fails(&r, "InvalidParameterValue", &["NewReplicaCount", "-1"]);
    assert_eq!(emu.child_pids().len(), before);
}

#[test]
fn the_region_node_quota_is_enforced_per_account_and_can_be_raised() {
    let emu = TestEmulator::start_with(|c| c.max_cache_nodes = 5);
    let quota_msg = "Customer node quota exceeded. You can have at most 5 nodes in this region.";
    create_cluster(&emu, "mc", "memcached", 1, &[]);
    wait_cluster(&emu, "mc");
    create_group(
        &emu,
        "clu",
        &["--num-node-groups", "2", "--replicas-per-node-group", "0"],
    );
    create_group(&emu, "rg", &["--num-cache-clusters", "2"]);
    let five = emu.child_pids().len();
    assert_eq!(five, 5);
    let checks: Vec<Vec<&str>> = vec![
        vec![
            "create-cache-cluster",
            "--cache-cluster-id",
            "one-more",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "1",
        ],
        vec![
            "increase-replica-count",
            "--replication-group-id",
            "rg",
            "--apply-immediately",
            "--new-replica-count",
            "2",
        ],
        vec![
            "modify-cache-cluster",
            "--cache-cluster-id",
            "mc",
            "--num-cache-nodes",
            "2",
            "--apply-immediately",
        ],
        vec![
            "modify-replication-group-shard-configuration",
            "--replication-group-id",
            "clu",
            "--node-group-count",
            "3",
            "--apply-immediately",
        ],
        vec![
            "create-cache-cluster",
            "--cache-cluster-id",
            "rg-003",
            "--replication-group-id",
            "rg",
        ],
    ];
    for args in &checks {
        let r = ec_raw(&emu, args);
        r.fails_with("NodeQuotaForCustomerExceeded");
        assert!(r.stderr.contains(quota_msg), "{args:?}: {}", r.stderr);
    }
    assert_eq!(
        emu.child_pids().len(),
        five,
        "a rejected call started nodes"
    );
    // Out-of-range shard counts are rejected as such, not as a quota problem.
    for n in ["0", "501"] {
        let r = ec_raw(
            &emu,
            &[
                "modify-replication-group-shard-configuration",
                "--replication-group-id",
                "clu",
                "--node-group-count",
                n,
                "--apply-immediately",
            ],
        );
        fails(&r, "InvalidParameterValue", &["NodeGroupCount", n]);
    }
    // The quota is per account: another account still has all of its own.
    let other = emu.aws_as(
        "222233334444",
        "us-east-1",
        &[
            "elasticache",
            "create-cache-cluster",
            "--cache-cluster-id",
            "theirs",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "5",
        ],
    );
    assert_eq!(other.json()["CacheCluster"]["NumCacheNodes"], 5);
    // Deleting frees quota.
    ec(&emu, &["delete-cache-cluster", "--cache-cluster-id", "mc"]);
    create_cluster(&emu, "after", "memcached", 1, &[]);
}

/// POSTs a raw Query body (what the CLI would refuse to send); returns (status, body).
fn post(emu: &TestEmulator, body: &str) -> (u16, String) {
    post_query(&emu.url(), "123456789012", "us-east-1", body)
}

#[test]
fn raw_negative_and_non_numeric_counts_get_invalid_parameter_value() {
    let emu = TestEmulator::start();
    let base = "Action=CreateReplicationGroup&Version=2015-02-02&ReplicationGroupId=raw\
                &ReplicationGroupDescription=raw&Engine=redis&CacheNodeType=cache.t3.micro";
    // A replica count out of range gets AWS's own text, which names neither.
    let (status, body) = post(
        &emu,
        &format!("{base}&NodeGroupConfiguration.NodeGroupConfiguration.1.ReplicaCount=-1"),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("<Code>InvalidParameterValue</Code>")
            && body.contains("The number of replicas per node group must be within 0 and 5."),
        "{body}"
    );
    for (extra, name, value) in [
        ("&NumCacheClusters=abc", "NumCacheClusters", "abc"),
        ("&NumNodeGroups=2.5", "NumNodeGroups", "2.5"),
        ("&Port=x", "Port", "x"),
    ] {
        let (status, body) = post(&emu, &format!("{base}{extra}"));
        assert_eq!(status, 400, "{extra}: {body}");
        assert!(
            body.contains("<Code>InvalidParameterValue</Code>"),
            "{extra}: {body}"
        );
        assert!(
            body.contains(name) && body.contains(value),
            "{extra}: {body}"
        );
    }
    assert!(emu.child_pids().is_empty());
}
