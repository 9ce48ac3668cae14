//! Every one of the 77 ElastiCache actions, driven once with valid input through the AWS CLI
//! (the two its pinned model lacks through the same CLI reading the emulator's newest model).

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::common::TestEmulator;
use super::{wait_cluster, wait_group};

/// `DescribeCacheClusters` -> `describe-cache-clusters`.
fn cli_name(op: &str) -> String {
    let mut out = String::new();
    for (i, c) in op.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

struct Walk<'a> {
    emu: &'a TestEmulator,
    covered: BTreeSet<String>,
}

impl Walk<'_> {
    /// Calls operation `op` (API name) with CLI args; asserts success and JSON output.
    fn call(&mut self, op: &str, args: &[&str]) -> Value {
        let name = cli_name(op);
        let mut full = vec!["elasticache", name.as_str()];
        full.extend_from_slice(args);
        let r = self.emu.aws(&full);
        assert_eq!(r.code, 0, "{op} failed: {}\n{}", r.stderr, r.stdout);
        self.covered.insert(op.to_string());
        r.json()
    }

    /// `call` for an operation the pinned CLI's model lacks.
    fn call_newest(&mut self, op: &str, args: &[&str]) -> Value {
        let name = cli_name(op);
        let mut full = vec![name.as_str()];
        full.extend_from_slice(args);
        let r = super::migration::aws_newest(self.emu, &full);
        assert_eq!(r.code, 0, "{op} failed: {}\n{}", r.stderr, r.stdout);
        self.covered.insert(op.to_string());
        r.json()
    }
}

fn model_operations() -> BTreeSet<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/elasticache.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["operations"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_action_answers_through_the_cli() {
    let emu = TestEmulator::start();
    let mut w = Walk {
        emu: &emu,
        covered: BTreeSet::new(),
    };

    // Parameter, subnet and security groups.
    let pg = w.call(
        "CreateCacheParameterGroup",
        &[
            "--cache-parameter-group-name",
            "pg1",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "test group",
        ],
    );
    assert_eq!(
        pg["CacheParameterGroup"]["CacheParameterGroupFamily"],
        "redis7"
    );
    let all = w.call("DescribeCacheParameterGroups", &[]);
    assert!(all["CacheParameterGroups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["CacheParameterGroupName"] == "default.redis7"));
    w.call(
        "ModifyCacheParameterGroup",
        &[
            "--cache-parameter-group-name",
            "pg1",
            "--parameter-name-values",
            "ParameterName=maxmemory-policy,ParameterValue=allkeys-lru",
        ],
    );
    let params = w.call(
        "DescribeCacheParameters",
        &["--cache-parameter-group-name", "pg1", "--source", "user"],
    );
    let mp = params["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ParameterName"] == "maxmemory-policy")
        .cloned();
    assert_eq!(mp.unwrap()["ParameterValue"], "allkeys-lru");
    w.call(
        "ResetCacheParameterGroup",
        &[
            "--cache-parameter-group-name",
            "pg1",
            "--reset-all-parameters",
        ],
    );
    let d = w.call(
        "DescribeEngineDefaultParameters",
        &["--cache-parameter-group-family", "redis7"],
    );
    assert!(!d["EngineDefaults"]["Parameters"]
        .as_array()
        .unwrap()
        .is_empty());
    w.call(
        "CreateCacheSubnetGroup",
        &[
            "--cache-subnet-group-name",
            "sn1",
            "--cache-subnet-group-description",
            "subnets",
            "--subnet-ids",
            "subnet-12345678",
        ],
    );
    w.call(
        "DescribeCacheSubnetGroups",
        &["--cache-subnet-group-name", "sn1"],
    );
    let m = w.call(
        "ModifyCacheSubnetGroup",
        &[
            "--cache-subnet-group-name",
            "sn1",
            "--cache-subnet-group-description",
            "changed",
        ],
    );
    assert_eq!(
        m["CacheSubnetGroup"]["CacheSubnetGroupDescription"],
        "changed"
    );
    w.call(
        "CreateCacheSecurityGroup",
        &[
            "--cache-security-group-name",
            "sec1",
            "--description",
            "sec",
        ],
    );
    w.call("DescribeCacheSecurityGroups", &[]);
    let a = w.call(
        "AuthorizeCacheSecurityGroupIngress",
        &[
            "--cache-security-group-name",
            "sec1",
            "--ec2-security-group-name",
            "web",
            "--ec2-security-group-owner-id",
            "111122223333",
        ],
    );
    assert_eq!(
        a["CacheSecurityGroup"]["EC2SecurityGroups"][0]["Status"],
        "authorized"
    );
    w.call(
        "RevokeCacheSecurityGroupIngress",
        &[
            "--cache-security-group-name",
            "sec1",
            "--ec2-security-group-name",
            "web",
            "--ec2-security-group-owner-id",
            "111122223333",
        ],
    );

    // A standalone redis cluster.
    let c = w.call(
        "CreateCacheCluster",
        &[
            "--cache-cluster-id",
            "c1",
            "--engine",
            "redis",
            "--engine-version",
            "7.0",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "1",
            "--cache-parameter-group-name",
            "pg1",
            "--cache-subnet-group-name",
            "sn1",
        ],
    );
    assert_eq!(c["CacheCluster"]["CacheClusterStatus"], "creating");
    wait_cluster(&emu, "c1");
    w.call(
        "DescribeCacheClusters",
        &["--cache-cluster-id", "c1", "--show-cache-node-info"],
    );
    let m = w.call(
        "ModifyCacheCluster",
        &[
            "--cache-cluster-id",
            "c1",
            "--snapshot-window",
            "01:00-02:00",
            "--apply-immediately",
        ],
    );
    assert_eq!(m["CacheCluster"]["SnapshotWindow"], "01:00-02:00");
    let r = w.call(
        "RebootCacheCluster",
        &[
            "--cache-cluster-id",
            "c1",
            "--cache-node-ids-to-reboot",
            "0001",
        ],
    );
    assert_eq!(
        r["CacheCluster"]["CacheClusterStatus"],
        "rebooting cache cluster nodes"
    );
    wait_cluster(&emu, "c1");
    let s = w.call(
        "CreateSnapshot",
        &["--cache-cluster-id", "c1", "--snapshot-name", "s1"],
    );
    assert_eq!(s["Snapshot"]["SnapshotStatus"], "creating");
    w.call(
        "CopySnapshot",
        &[
            "--source-snapshot-name",
            "s1",
            "--target-snapshot-name",
            "s2",
        ],
    );
    let snaps = w.call("DescribeSnapshots", &[]);
    assert_eq!(snaps["Snapshots"].as_array().unwrap().len(), 2);
    w.call("DeleteSnapshot", &["--snapshot-name", "s2"]);
    let arn = "arn:aws:elasticache:us-east-1:123456789012:cluster:c1";
    w.call(
        "AddTagsToResource",
        &[
            "--resource-name",
            arn,
            "--tags",
            "Key=team,Value=cache",
            "Key=env,Value=test",
        ],
    );
    let t = w.call("ListTagsForResource", &["--resource-name", arn]);
    assert_eq!(t["TagList"].as_array().unwrap().len(), 2);
    let t = w.call(
        "RemoveTagsFromResource",
        &["--resource-name", arn, "--tag-keys", "env"],
    );
    assert_eq!(t["TagList"].as_array().unwrap().len(), 1);
    let mods = w.call(
        "ListAllowedNodeTypeModifications",
        &["--cache-cluster-id", "c1"],
    );
    assert!(!mods["ScaleUpModifications"].as_array().unwrap().is_empty());

    // A replication group without cluster mode.
    let g = w.call(
        "CreateReplicationGroup",
        &[
            "--replication-group-id",
            "rg1",
            "--replication-group-description",
            "group",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "2",
            "--automatic-failover-enabled",
        ],
    );
    assert_eq!(
        g["ReplicationGroup"]["MemberClusters"],
        serde_json::json!(["rg1-001", "rg1-002"])
    );
    wait_group(&emu, "rg1");
    w.call("DescribeReplicationGroups", &[]);
    let m = w.call(
        "ModifyReplicationGroup",
        &[
            "--replication-group-id",
            "rg1",
            "--replication-group-description",
            "renamed",
            "--apply-immediately",
        ],
    );
    assert_eq!(m["ReplicationGroup"]["Description"], "renamed");
    let i = w.call(
        "IncreaseReplicaCount",
        &[
            "--replication-group-id",
            "rg1",
            "--new-replica-count",
            "2",
            "--apply-immediately",
        ],
    );
    assert_eq!(
        i["ReplicationGroup"]["MemberClusters"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    wait_group(&emu, "rg1");
    w.call(
        "DecreaseReplicaCount",
        &[
            "--replication-group-id",
            "rg1",
            "--new-replica-count",
            "1",
            "--apply-immediately",
        ],
    );
    let g = wait_group(&emu, "rg1");
    assert_eq!(g["MemberClusters"].as_array().unwrap().len(), 2);
    let f = w.call(
        "TestFailover",
        &["--replication-group-id", "rg1", "--node-group-id", "0001"],
    );
    assert_eq!(
        f["ReplicationGroup"]["NodeGroups"][0]["NodeGroupMembers"][0]["CacheClusterId"],
        "rg1-002"
    );
    w.call(
        "TestMigration",
        &[
            "--replication-group-id",
            "rg1",
            "--customer-node-endpoint-list",
            "Address=10.0.0.1,Port=6379",
        ],
    );
    w.call(
        "StartMigration",
        &[
            "--replication-group-id",
            "rg1",
            "--customer-node-endpoint-list",
            "Address=10.0.0.1,Port=6379",
        ],
    );
    w.call("CompleteMigration", &["--replication-group-id", "rg1"]);

    // A cluster-mode group and a global datastore around it.
    w.call(
        "CreateReplicationGroup",
        &[
            "--replication-group-id",
            "rg2",
            "--replication-group-description",
            "sharded",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-node-groups",
            "2",
            "--replicas-per-node-group",
            "0",
        ],
    );
    wait_group(&emu, "rg2");
    let s = w.call(
        "ModifyReplicationGroupShardConfiguration",
        &[
            "--replication-group-id",
            "rg2",
            "--node-group-count",
            "3",
            "--apply-immediately",
        ],
    );
    assert_eq!(
        s["ReplicationGroup"]["NodeGroups"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    wait_group(&emu, "rg2");
    let g = w.call(
        "CreateGlobalReplicationGroup",
        &[
            "--global-replication-group-id-suffix",
            "g1",
            "--primary-replication-group-id",
            "rg2",
        ],
    );
    let gid = g["GlobalReplicationGroup"]["GlobalReplicationGroupId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(gid.ends_with("-g1"), "{gid}");
    // A secondary in another region of the same account.
    let sec = emu.aws_as(
        "123456789012",
        "us-west-2",
        &[
            "elasticache",
            "create-replication-group",
            "--replication-group-id",
            "rg2-west",
            "--replication-group-description",
            "secondary",
            "--global-replication-group-id",
            &gid,
            "--num-node-groups",
            "3",
            "--replicas-per-node-group",
            "0",
        ],
    );
    sec.json();
    let d = w.call(
        "DescribeGlobalReplicationGroups",
        &["--global-replication-group-id", &gid, "--show-member-info"],
    );
    assert_eq!(
        d["GlobalReplicationGroups"][0]["Members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    w.call(
        "ModifyGlobalReplicationGroup",
        &[
            "--global-replication-group-id",
            &gid,
            "--apply-immediately",
            "--global-replication-group-description",
            "global",
        ],
    );
    w.call(
        "IncreaseNodeGroupsInGlobalReplicationGroup",
        &[
            "--global-replication-group-id",
            &gid,
            "--node-group-count",
            "4",
            "--apply-immediately",
        ],
    );
    let keep = format!("{gid}-0001");
    w.call(
        "DecreaseNodeGroupsInGlobalReplicationGroup",
        &[
            "--global-replication-group-id",
            &gid,
            "--node-group-count",
            "1",
            "--global-node-groups-to-retain",
            &keep,
            "--apply-immediately",
        ],
    );
    w.call(
        "RebalanceSlotsInGlobalReplicationGroup",
        &["--global-replication-group-id", &gid, "--apply-immediately"],
    );
    let f = w.call(
        "FailoverGlobalReplicationGroup",
        &[
            "--global-replication-group-id",
            &gid,
            "--primary-region",
            "us-west-2",
            "--primary-replication-group-id",
            "rg2-west",
        ],
    );
    assert!(f["GlobalReplicationGroup"]["Members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["ReplicationGroupId"] == "rg2-west" && m["Role"] == "PRIMARY"));
    w.call(
        "DisassociateGlobalReplicationGroup",
        &[
            "--global-replication-group-id",
            &gid,
            "--replication-group-id",
            "rg2",
            "--replication-group-region",
            "us-east-1",
        ],
    );
    w.call(
        "DeleteGlobalReplicationGroup",
        &[
            "--global-replication-group-id",
            &gid,
            "--retain-primary-replication-group",
        ],
    );
    let del = w.call("DeleteReplicationGroup", &["--replication-group-id", "rg2"]);
    assert_eq!(del["ReplicationGroup"]["Status"], "deleting");
    w.call("DeleteReplicationGroup", &["--replication-group-id", "rg1"]);

    // Users and user groups.
    w.call(
        "CreateUser",
        &[
            "--user-id",
            "u1",
            "--user-name",
            "alice",
            "--engine",
            "redis",
            "--passwords",
            "a-very-long-password-1",
            "--access-string",
            "on ~* +@all",
        ],
    );
    let u = w.call("DescribeUsers", &[]);
    assert!(u["Users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["UserId"] == "default"));
    w.call(
        "ModifyUser",
        &["--user-id", "u1", "--access-string", "on ~app:* +@read"],
    );
    w.call(
        "CreateUserGroup",
        &[
            "--user-group-id",
            "ug1",
            "--engine",
            "redis",
            "--user-ids",
            "default",
            "u1",
        ],
    );
    w.call("DescribeUserGroups", &[]);
    w.call(
        "ModifyUserGroup",
        &["--user-group-id", "ug1", "--user-ids-to-remove", "u1"],
    );
    w.call("DeleteUserGroup", &["--user-group-id", "ug1"]);
    w.call("DeleteUser", &["--user-id", "u1"]);

    // Serverless caches and their snapshots.
    let sc = w.call(
        "CreateServerlessCache",
        &["--serverless-cache-name", "sc1", "--engine", "redis"],
    );
    assert_eq!(sc["ServerlessCache"]["Status"], "creating");
    w.call("DescribeServerlessCaches", &[]);
    w.call(
        "ModifyServerlessCache",
        &["--serverless-cache-name", "sc1", "--description", "changed"],
    );
    w.call(
        "CreateServerlessCacheSnapshot",
        &[
            "--serverless-cache-snapshot-name",
            "ss1",
            "--serverless-cache-name",
            "sc1",
        ],
    );
    w.call(
        "CopyServerlessCacheSnapshot",
        &[
            "--source-serverless-cache-snapshot-name",
            "ss1",
            "--target-serverless-cache-snapshot-name",
            "ss2",
        ],
    );
    let ss = w.call("DescribeServerlessCacheSnapshots", &[]);
    assert_eq!(ss["ServerlessCacheSnapshots"].as_array().unwrap().len(), 2);
    w.call(
        "ExportServerlessCacheSnapshot",
        &[
            "--serverless-cache-snapshot-name",
            "ss1",
            "--s3-bucket-name",
            "my-bucket",
        ],
    );
    w.call(
        "DeleteServerlessCacheSnapshot",
        &["--serverless-cache-snapshot-name", "ss2"],
    );
    // A migration into it: the source does not answer, so preparing fails, which still lets
    // a data sync start (and be stopped).
    let p = w.call_newest(
        "PrepareMigration",
        &[
            "--serverless-cache-name",
            "sc1",
            "--customer-node-endpoint-list",
            "Address=10.0.0.1,Port=6379",
        ],
    );
    assert_eq!(p["ServerlessCache"]["Migration"]["CutoverMode"], "manual");
    super::eventually("preparing is over", || {
        let d = super::migration::aws_newest(
            &emu,
            &[
                "describe-serverless-caches",
                "--serverless-cache-name",
                "sc1",
            ],
        )
        .json();
        d["ServerlessCaches"][0]["Migration"]["Status"] != "preparing"
    });
    w.call_newest("StartMigration", &["--serverless-cache-name", "sc1"]);
    let s = w.call_newest("StopMigration", &["--serverless-cache-name", "sc1"]);
    assert_eq!(s["ServerlessCache"]["Migration"]["Status"], "stopped");
    w.call("DeleteServerlessCache", &["--serverless-cache-name", "sc1"]);

    // Catalogs, events, reserved nodes, service updates.
    let v = w.call("DescribeCacheEngineVersions", &["--engine", "redis"]);
    assert!(v["CacheEngineVersions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["Engine"] == "redis"));
    let ev = w.call(
        "DescribeEvents",
        &[
            "--source-type",
            "cache-cluster",
            "--source-identifier",
            "c1",
            "--duration",
            "60",
        ],
    );
    assert!(!ev["Events"].as_array().unwrap().is_empty());
    let off = w.call(
        "DescribeReservedCacheNodesOfferings",
        &[
            "--cache-node-type",
            "cache.t3.small",
            "--product-description",
            "redis",
        ],
    );
    let oid = off["ReservedCacheNodesOfferings"][0]["ReservedCacheNodesOfferingId"]
        .as_str()
        .unwrap()
        .to_string();
    w.call(
        "PurchaseReservedCacheNodesOffering",
        &[
            "--reserved-cache-nodes-offering-id",
            &oid,
            "--reserved-cache-node-id",
            "rn1",
        ],
    );
    let rn = w.call("DescribeReservedCacheNodes", &[]);
    assert_eq!(rn["ReservedCacheNodes"][0]["ReservedCacheNodeId"], "rn1");
    // The catalog's updates have a status as of today: one past its end date is expired, and
    // applying it is refused per target.
    let su = w.call("DescribeServiceUpdates", &[]);
    let first = &su["ServiceUpdates"][0];
    let upd = first["ServiceUpdateName"].as_str().unwrap().to_string();
    let b = w.call(
        "BatchApplyUpdateAction",
        &["--service-update-name", &upd, "--cache-cluster-ids", "c1"],
    );
    if first["ServiceUpdateStatus"] == "available" {
        assert_eq!(
            b["ProcessedUpdateActions"][0]["UpdateActionStatus"],
            "waiting-to-start"
        );
    } else {
        assert_eq!(
            b["UnprocessedUpdateActions"][0]["ErrorMessage"], "The service update is not available",
            "{b}"
        );
    }
    w.call("DescribeUpdateActions", &["--cache-cluster-ids", "c1"]);
    w.call(
        "BatchStopUpdateAction",
        &["--service-update-name", &upd, "--cache-cluster-ids", "c1"],
    );

    // Tear down.
    let d = w.call("DeleteCacheCluster", &["--cache-cluster-id", "c1"]);
    assert_eq!(d["CacheCluster"]["CacheClusterStatus"], "deleting");
    w.call(
        "DeleteCacheSecurityGroup",
        &["--cache-security-group-name", "sec1"],
    );
    w.call(
        "DeleteCacheSubnetGroup",
        &["--cache-subnet-group-name", "sn1"],
    );
    w.call(
        "DeleteCacheParameterGroup",
        &["--cache-parameter-group-name", "pg1"],
    );

    let missing: Vec<String> = model_operations().difference(&w.covered).cloned().collect();
    assert!(missing.is_empty(), "actions never driven: {missing:?}");
    assert_eq!(w.covered.len(), 77);
}
