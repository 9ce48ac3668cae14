//! Node-type specific parameters (CacheNodeTypeSpecificParameters) carry the values AWS
//! documents per node type ("Redis OSS node-type specific parameters" and "Memcached
//! node-type specific parameters", ParameterGroups.Engine.html): maxmemory and the replica
//! (`slave` before redis5.0) output buffer limits, Memcached's max_cache_memory and num_threads.

use serde_json::Value;

use super::super::common::TestEmulator;
use super::catalogs::default_names;
use super::ec;

/// The value `specific` (a CacheNodeTypeSpecificParameters list) gives `param` on `node_type`.
fn value(specific: &Value, param: &str, node_type: &str) -> Option<String> {
    specific
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ParameterName"] == param)?["CacheNodeTypeSpecificValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["CacheNodeType"] == node_type)
        .map(|v| v["Value"].as_str().unwrap().to_string())
}

fn group_specific(emu: &TestEmulator, group: &str) -> Value {
    let v = ec(
        emu,
        &[
            "describe-cache-parameters",
            "--cache-parameter-group-name",
            group,
            "--no-paginate",
        ],
    );
    v["CacheNodeTypeSpecificParameters"].clone()
}

#[test]
fn node_type_parameters_carry_the_documented_values() {
    let emu = TestEmulator::start();
    let s = |x: &str| Some(x.to_string());

    let (_, r7) = default_names(&emu, "redis7");
    assert_eq!(value(&r7, "maxmemory", "cache.m5.large"), s("6854542746"));
    assert_eq!(value(&r7, "maxmemory", "cache.t4g.small"), s("1471026299"));
    assert_eq!(
        value(
            &r7,
            "client-output-buffer-limit-replica-hard-limit",
            "cache.r5.large"
        ),
        s("1403718103")
    );

    // redis2.8 names the limits `slave`, as botocore's recorded response does.
    let r28 = group_specific(&emu, "default.redis2.8");
    assert_eq!(value(&r28, "maxmemory", "cache.m1.small"), s("943718400"));
    assert_eq!(
        value(
            &r28,
            "client-output-buffer-limit-slave-soft-limit",
            "cache.t2.micro"
        ),
        s("58195968")
    );
    assert_eq!(
        value(
            &r28,
            "client-output-buffer-limit-replica-soft-limit",
            "cache.t2.micro"
        ),
        None
    );

    ec(
        &emu,
        &[
            "create-cache-parameter-group",
            "--cache-parameter-group-name",
            "mc",
            "--cache-parameter-group-family",
            "memcached1.6",
            "--description",
            "mc",
        ],
    );
    let mc = group_specific(&emu, "mc");
    assert_eq!(value(&mc, "max_cache_memory", "cache.m5.large"), s("6537"));
    assert_eq!(
        value(&mc, "max_cache_memory", "cache.r6g.large"),
        s("13387")
    );
    assert_eq!(value(&mc, "num_threads", "cache.m5.large"), s("2"));
    assert_eq!(value(&mc, "num_threads", "cache.r6g.16xlarge"), s("64"));
}
