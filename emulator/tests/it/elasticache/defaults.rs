//! A create call that names no engine version gets what AWS gives: the latest version of the
//! engine, with its family's default parameter group; DescribeCacheEngineVersions agrees.

use serde_json::Value;

use super::super::common::TestEmulator;
use super::{create_cluster, create_group, ec};

/// The one default version DescribeCacheEngineVersions --default-only reports for `engine`.
fn default_of(emu: &TestEmulator, engine: &str) -> (String, String) {
    let v = ec(
        emu,
        &[
            "describe-cache-engine-versions",
            "--engine",
            engine,
            "--default-only",
        ],
    );
    let list = v["CacheEngineVersions"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{engine}: {v}");
    (
        list[0]["EngineVersion"].as_str().unwrap().to_string(),
        list[0]["CacheParameterGroupFamily"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn pg_of(c: &Value) -> &str {
    c["CacheParameterGroup"]["CacheParameterGroupName"]
        .as_str()
        .unwrap()
}

#[test]
fn clusters_without_an_engine_version_get_the_latest_one() {
    let emu = TestEmulator::start();
    // Listed as major.minor from Redis OSS 6 on; a cluster reports the patch release it runs.
    for (engine, version, runs, family) in [
        ("redis", "7.1", "7.1.0", "redis7"),
        ("valkey", "9.1", "9.1.0", "valkey9"),
        ("memcached", "1.6.22", "1.6.22", "memcached1.6"),
    ] {
        assert_eq!(
            default_of(&emu, engine),
            (version.to_string(), family.to_string())
        );
        let c =
            create_cluster(&emu, &format!("dflt-{engine}"), engine, 1, &[])["CacheCluster"].clone();
        assert_eq!(c["EngineVersion"], runs, "{engine}");
        assert_eq!(pg_of(&c), format!("default.{family}"));
    }
    // A user's group of the default family fits a create that names no version.
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "mine7",
            "--cache-parameter-group-family",
            "redis7",
            "--description",
            "mine",
        ],
    );
    let c = create_cluster(
        &emu,
        "with-mine",
        "redis",
        1,
        &["--cache-parameter-group-name", "mine7"],
    );
    assert_eq!(pg_of(&c["CacheCluster"]), "mine7");
    assert_eq!(c["CacheCluster"]["EngineVersion"], "7.1.0");
}

#[test]
fn cluster_mode_groups_without_an_engine_version_use_the_latest_cluster_on_group() {
    let emu = TestEmulator::start();
    let named = create_group(
        &emu,
        "named-on",
        &[
            "--cache-parameter-group-name",
            "default.redis7.cluster.on",
            "--num-node-groups",
            "2",
            "--replicas-per-node-group",
            "0",
        ],
    );
    let implied = create_group(
        &emu,
        "implied-on",
        &["--num-node-groups", "2", "--replicas-per-node-group", "0"],
    );
    for g in [&named, &implied] {
        assert_eq!(g["ClusterEnabled"], true);
        for m in g["MemberClusters"].as_array().unwrap() {
            let c = &ec(
                &emu,
                &[
                    "describe-cache-clusters",
                    "--cache-cluster-id",
                    m.as_str().unwrap(),
                ],
            )["CacheClusters"][0];
            assert_eq!(c["EngineVersion"], "7.1.0");
            assert_eq!(pg_of(c), "default.redis7.cluster.on");
        }
    }
    // An older family's group still needs its version named.
    let r = super::ec_raw(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "old-pg",
            "--replication-group-description",
            "old",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--cache-parameter-group-name",
            "default.redis5.0",
        ],
    );
    r.fails_with("InvalidParameterCombination");
}
