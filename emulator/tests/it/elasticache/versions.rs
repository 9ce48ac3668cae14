//! Engine versions as AWS takes them: from Redis OSS 6 on (and for Valkey) a request names
//! major.minor or `6.x`, never a patch; the cluster, its snapshots and the engine catalog report
//! the patch release AWS runs; modifies only upgrade.

use super::super::common::TestEmulator;
use super::{create_cluster, ec, ec_raw, wait_cluster};

#[test]
fn creates_take_the_versions_aws_takes_and_report_the_patch_release() {
    let emu = TestEmulator::start();
    // (engine, requested, reported)
    let accepted = [
        ("redis", "6.x", "6.0.5"),
        ("redis", "6.0", "6.0.5"),
        ("redis", "6.2", "6.2.6"),
        ("redis", "7.0", "7.0.7"),
        ("redis", "7.1", "7.1.0"),
        ("redis", "5.0.6", "5.0.6"),
        ("valkey", "8.0", "8.0.1"),
        ("memcached", "1.6.22", "1.6.22"),
    ];
    for (i, (engine, requested, reported)) in accepted.iter().enumerate() {
        let id = format!("v-ok-{i}");
        let c = create_cluster(&emu, &id, engine, 1, &["--engine-version", requested]);
        assert_eq!(c["CacheCluster"]["EngineVersion"], *reported, "{requested}");
        let c = wait_cluster(&emu, &id);
        assert_eq!(c["EngineVersion"], *reported, "{requested}");
    }
    // (engine, requested, code, message)
    let refused = [
        (
            "redis",
            "6.2.6",
            "InvalidParameterValue",
            "Specific version selection is not allowed for '6.2.6', please use '6.2'",
        ),
        (
            "redis",
            "7.1.0",
            "InvalidParameterValue",
            "Specific version selection is not allowed for '7.1.0', please use '7.1'",
        ),
        (
            "valkey",
            "8.0.1",
            "InvalidParameterValue",
            "Specific version selection is not allowed for '8.0.1', please use '8.0'",
        ),
        (
            "redis",
            "7.x",
            "InvalidParameterCombination",
            "Cannot find version 7.x for redis",
        ),
        (
            "redis",
            "6",
            "InvalidParameterCombination",
            "Cannot find version 6 for redis",
        ),
        (
            "redis",
            "7.2",
            "InvalidParameterCombination",
            "Cannot find version 7.2 for redis",
        ),
        (
            "memcached",
            "1.6",
            "InvalidParameterCombination",
            "Cannot find version 1.6 for memcached",
        ),
    ];
    for (i, (engine, requested, code, message)) in refused.iter().enumerate() {
        let id = format!("v-bad-{i}");
        let r = ec_raw(
            &emu,
            &[
                "create-cache-cluster",
                "--cache-cluster-id",
                &id,
                "--engine",
                engine,
                "--cache-node-type",
                "cache.t3.micro",
                "--num-cache-nodes",
                "1",
                "--engine-version",
                requested,
            ],
        );
        r.fails_with_message(code, message);
        ec_raw(
            &emu,
            &["describe-cache-clusters", "--cache-cluster-id", &id],
        )
        .fails_with("CacheClusterNotFound");
    }
    // The catalog lists what a create names and describes the release it runs.
    let v = ec(
        &emu,
        &[
            "describe-cache-engine-versions",
            "--engine",
            "redis",
            "--engine-version",
            "6.2",
        ],
    );
    let e = &v["CacheEngineVersions"][0];
    assert_eq!(e["EngineVersion"], "6.2");
    assert_eq!(e["CacheParameterGroupFamily"], "redis6.x");
    assert_eq!(e["CacheEngineVersionDescription"], "redis version 6.2.6");
    // A snapshot reports the version its cluster runs.
    let s = ec(
        &emu,
        &[
            "create-snapshot",
            "--cache-cluster-id",
            "v-ok-2",
            "--snapshot-name",
            "v-snap",
        ],
    );
    assert_eq!(s["Snapshot"]["EngineVersion"], "6.2.6");
}

#[test]
fn modifies_upgrade_and_never_downgrade() {
    let emu = TestEmulator::start();
    create_cluster(&emu, "up", "redis", 1, &["--engine-version", "6.2"]);
    wait_cluster(&emu, "up");
    let modify = |version: &str, extra: &[&str]| {
        let mut args = vec![
            "modify-cache-cluster",
            "--cache-cluster-id",
            "up",
            "--engine-version",
            version,
            "--apply-immediately",
        ];
        args.extend_from_slice(extra);
        ec_raw(&emu, &args)
    };
    modify("6.2.6", &[]).fails_with_message(
        "InvalidParameterValue",
        "Specific version selection is not allowed for '6.2.6', please use '6.2'",
    );
    modify("7.4", &[]).fails_with_message(
        "InvalidParameterCombination",
        "Cannot find version 7.4 for redis",
    );
    // A group of the old family cannot go with the new version.
    modify("7.1", &["--cache-parameter-group-name", "default.redis6.x"]).fails_with_message(
        "InvalidParameterCombination",
        "Expected a parameter group of family redis7 but found one of family redis6.x",
    );
    // Up across families: the default group follows the family.
    let c = modify("7.1", &[]).json()["CacheCluster"].clone();
    assert_eq!(c["EngineVersion"], "7.1.0");
    assert_eq!(
        c["CacheParameterGroup"]["CacheParameterGroupName"],
        "default.redis7"
    );
    // Down is refused, the same version is accepted.
    modify("6.2", &[]).fails_with("InvalidParameterCombination");
    modify("7.0", &[]).fails_with("InvalidParameterCombination");
    let c = modify("7.1", &[]).json()["CacheCluster"].clone();
    assert_eq!(c["EngineVersion"], "7.1.0");

    // A cluster on a group of its own must name a group of the new family.
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "mine6",
            "--cache-parameter-group-family",
            "redis6.x",
            "--description",
            "mine",
        ],
    );
    create_cluster(
        &emu,
        "own",
        "redis",
        1,
        &[
            "--engine-version",
            "6.x",
            "--cache-parameter-group-name",
            "mine6",
        ],
    );
    wait_cluster(&emu, "own");
    ec_raw(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "own",
            "--engine-version",
            "7.0",
        ],
    )
    .fails_with_message(
        "InvalidParameterCombination",
        "Expected a parameter group of family redis7 but found one of family redis6.x",
    );
    // Within the family the group stays.
    let c = ec(
        &emu,
        &[
            "modify-cache-cluster",
            "--cache-cluster-id",
            "own",
            "--engine-version",
            "6.2",
        ],
    )["CacheCluster"]
        .clone();
    assert_eq!(c["EngineVersion"], "6.2.6");
    assert_eq!(c["CacheParameterGroup"]["CacheParameterGroupName"], "mine6");

    // A replication group upgrades every member.
    super::create_group(
        &emu,
        "rg-up",
        &["--engine-version", "6.2", "--num-cache-clusters", "2"],
    );
    let g = ec(
        &emu,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "rg-up",
            "--engine-version",
            "7.0",
            "--apply-immediately",
        ],
    )["ReplicationGroup"]
        .clone();
    for m in g["MemberClusters"].as_array().unwrap() {
        let c = &ec(
            &emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                m.as_str().unwrap(),
            ],
        )["CacheClusters"][0];
        assert_eq!(c["EngineVersion"], "7.0.7", "{c}");
        assert_eq!(
            c["CacheParameterGroup"]["CacheParameterGroupName"],
            "default.redis7"
        );
    }
    ec_raw(
        &emu,
        &[
            "modify-replication-group",
            "--replication-group-id",
            "rg-up",
            "--engine-version",
            "6.2",
        ],
    )
    .fails_with("InvalidParameterCombination");
}
