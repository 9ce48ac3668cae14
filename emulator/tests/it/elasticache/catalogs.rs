//! Catalogs per family and node type: each family's own parameter names (redis2.8's `slave`
//! names, later families' `replica` names and additions), maxmemory per node type, scaling
//! targets the engine version runs.

use super::super::common::TestEmulator;
use super::{create_cluster, ec, wait_cluster};

/// A family's default parameter names and its node-type specific parameters.
pub(super) fn default_names(emu: &TestEmulator, family: &str) -> (Vec<String>, serde_json::Value) {
    let v = ec(
        emu,
        &[
            "describe-engine-default-parameters",
            "--cache-parameter-group-family",
            family,
            // The CLI's paginator keeps only EngineDefaults.Parameters.
            "--no-paginate",
        ],
    );
    let d = &v["EngineDefaults"];
    let names = d["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ParameterName"].as_str().unwrap().to_string())
        .collect();
    (names, d["CacheNodeTypeSpecificParameters"].clone())
}

#[test]
fn families_report_their_own_parameters() {
    let emu = TestEmulator::start();
    let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
    let (r28, specific) = default_names(&emu, "redis2.8");
    assert!(has(&r28, "min-slaves-to-write") && has(&r28, "close-on-slave-write"));
    assert!(!r28.iter().any(|n| n.contains("replica")), "{r28:?}");
    assert!(!has(&r28, "cluster-enabled"));
    let maxmemory = specific
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ParameterName"] == "maxmemory")
        .expect("maxmemory among the node-type specific parameters");
    let value_of = |t: &str| {
        maxmemory["CacheNodeTypeSpecificValues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["CacheNodeType"] == t)
            .map(|v| v["Value"].as_str().unwrap().parse::<u64>().unwrap())
    };
    assert_eq!(value_of("cache.t3.micro"), Some(536_870_912));
    assert!(value_of("cache.r6g.large").unwrap() > value_of("cache.m6g.large").unwrap());

    let (r50, _) = default_names(&emu, "redis5.0");
    assert!(has(&r50, "min-replicas-to-write") && !has(&r50, "min-slaves-to-write"));
    assert!(!has(&r50, "acllog-max-len"));
    let (r6, _) = default_names(&emu, "redis6.x");
    assert!(has(&r6, "acllog-max-len"));
    let (r7, _) = default_names(&emu, "redis7");
    assert!(has(&r7, "acl-pubsub-default"));
    let (_, m) = default_names(&emu, "memcached1.6");
    assert_eq!(m[0]["ParameterName"], "max_cache_memory");

    // A redis2.8 group takes its family's names, not later ones.
    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "old",
            "--cache-parameter-group-family",
            "redis2.8",
            "--description",
            "old",
        ],
    );
    let set = |name: &str| {
        super::ec_raw(
            &emu,
            &[
                "modify-cache-parameter-group",
                "--cache-parameter-group-name",
                "old",
                "--parameter-name-values",
                &format!("ParameterName={name},ParameterValue=1"),
            ],
        )
    };
    set("min-slaves-to-write").json();
    set("min-replicas-to-write").fails_with("InvalidParameterValue");
}

#[test]
fn scaling_targets_follow_the_engine_version() {
    let emu = TestEmulator::start();
    create_cluster(
        &emu,
        "new",
        "redis",
        1,
        &[
            "--engine-version",
            "7.1",
            "--cache-node-type",
            "cache.r5.large",
        ],
    );
    create_cluster(
        &emu,
        "old",
        "redis",
        1,
        &[
            "--engine-version",
            "5.0.5",
            "--cache-node-type",
            "cache.r5.large",
        ],
    );
    wait_cluster(&emu, "new");
    wait_cluster(&emu, "old");
    let mods = |id: &str| {
        let v = ec(
            &emu,
            &[
                "list-allowed-node-type-modifications",
                "--cache-cluster-id",
                id,
            ],
        );
        let list = |k: &str| -> Vec<String> {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect()
        };
        (list("ScaleUpModifications"), list("ScaleDownModifications"))
    };
    let (up, down) = mods("new");
    assert!(up.contains(&"cache.r6g.xlarge".to_string()), "{up:?}");
    assert!(down.contains(&"cache.t4g.medium".to_string()), "{down:?}");
    assert!(!down.contains(&"cache.m1.small".to_string()));
    // Current generation (M4 and R4 among them) for scaling up; previous generation only down.
    assert!(up.contains(&"cache.r4.xlarge".to_string()), "{up:?}");
    assert!(up.contains(&"cache.m4.xlarge".to_string()), "{up:?}");
    assert!(
        !up.iter()
            .any(|t| t.starts_with("cache.r3.") || t.starts_with("cache.m3.")),
        "{up:?}"
    );
    assert!(down.contains(&"cache.m3.medium".to_string()), "{down:?}");
    let (up, down) = mods("old");
    assert!(up.contains(&"cache.r5.xlarge".to_string()), "{up:?}");
    assert!(
        !up.iter().chain(&down).any(|t| t.contains("g.")),
        "{up:?} {down:?}"
    );
}
