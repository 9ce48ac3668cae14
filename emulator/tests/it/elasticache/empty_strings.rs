//! IaC modules send `""` for every option the user left unset: AWS treats an empty optional
//! string of a request as not given, so these creates and modifies behave as if it were absent.

use super::super::common::TestEmulator;
use super::{ec, wait_cluster, wait_group};

#[test]
fn empty_optional_strings_are_not_given() {
    let emu = TestEmulator::start();
    let c = ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "empties",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "1",
            "--engine-version",
            "",
            "--cache-parameter-group-name",
            "",
            "--cache-subnet-group-name",
            "",
            "--preferred-availability-zone",
            "",
            "--preferred-maintenance-window",
            "",
            "--snapshot-window",
            "",
            "--notification-topic-arn",
            "",
            "--snapshot-name",
            "",
        ],
    )["CacheCluster"]
        .clone();
    assert!(
        c["CacheParameterGroup"]["CacheParameterGroupName"]
            .as_str()
            .unwrap()
            .starts_with("default.redis7"),
        "{c}"
    );
    assert_eq!(c["CacheSubnetGroupName"], "default");
    assert!(c.get("NotificationConfiguration").is_none(), "{c}");
    assert_ne!(c["PreferredMaintenanceWindow"], "");
    assert_ne!(c["SnapshotWindow"], "");
    let c = wait_cluster(&emu, "empties");
    assert!(
        c["EngineVersion"].as_str().unwrap().starts_with("7.1"),
        "{c}"
    );
    assert!(
        c["PreferredAvailabilityZone"]
            .as_str()
            .unwrap()
            .starts_with("us-east-1"),
        "{c}"
    );
    // Modify with empty options changes nothing and is accepted.
    let m = ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "empties",
            "--engine-version",
            "",
            "--cache-node-type",
            "",
            "--cache-parameter-group-name",
            "",
            "--preferred-maintenance-window",
            "",
            "--apply-immediately",
        ],
    )["CacheCluster"]
        .clone();
    assert_eq!(m["EngineVersion"], c["EngineVersion"]);
    assert_eq!(m["CacheNodeType"], "cache.t3.micro");
    assert_eq!(
        m["PreferredMaintenanceWindow"],
        c["PreferredMaintenanceWindow"]
    );

    ec(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "empty-rg",
            "--replication-group-description",
            "empties",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "2",
            "--engine-version",
            "",
            "--cache-parameter-group-name",
            "",
            "--cache-subnet-group-name",
            "",
            "--primary-cluster-id",
            "",
            "--auth-token",
            "",
            "--kms-key-id",
            "",
            "--snapshot-window",
            "",
        ],
    );
    let g = wait_group(&emu, "empty-rg");
    assert_eq!(g["MemberClusters"].as_array().unwrap().len(), 2, "{g}");
    assert_eq!(g["AuthTokenEnabled"], false, "{g}");
    assert_ne!(g["SnapshotWindow"], "");
    // Filters sent empty list everything, as if absent.
    let all = ec(&emu, &["describe-cache-clusters", "--cache-cluster-id", ""]);
    assert_eq!(all["CacheClusters"].as_array().unwrap().len(), 3, "{all}");
}
