//! Bad input gets AWS's error code and message, and the emulator keeps serving.

use super::super::common::{post_query, TestEmulator};
use super::{ec, ec_raw};

/// POSTs a raw Query body; returns (status, body).
fn post(emu: &TestEmulator, body: &str) -> (u16, String) {
    post_query(&emu.url(), "123456789012", "us-east-1", body)
}

fn code_of(xml: &str) -> &str {
    let start = xml.find("<Code>").map(|i| i + 6).unwrap_or(0);
    let end = xml.find("</Code>").unwrap_or(start);
    &xml[start..end]
}

fn still_serving(emu: &TestEmulator) {
    let v = ec(
        emu,
        &["describe-cache-engine-versions", "--engine", "memcached"],
    );
    assert!(!v["CacheEngineVersions"].as_array().unwrap().is_empty());
}

#[test]
fn missing_required_parameter() {
    let emu = TestEmulator::start();
    // The CLI checks required parameters itself, so send the request by hand.
    let (status, body) = post(
        &emu,
        "Action=CreateCacheCluster&Version=2015-02-02&Engine=redis",
    );
    assert_eq!(status, 400);
    assert_eq!(code_of(&body), "MissingParameter");
    assert!(
        body.contains("The request must contain the parameter CacheClusterId"),
        "{body}"
    );
    assert!(body.contains("<Type>Sender</Type>"));
    still_serving(&emu);
}

#[test]
fn bad_enum_value() {
    let emu = TestEmulator::start();
    let r = ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "c1",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
            "--az-mode",
            "everywhere",
        ],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("An error occurred (InvalidParameterValue) when calling the CreateCacheCluster operation"), "{}", r.stderr);
    assert!(r.stderr.contains("everywhere"), "{}", r.stderr);
    assert!(
        emu.child_pids().is_empty(),
        "nothing may start on invalid input"
    );
    still_serving(&emu);
}

#[test]
fn wrong_combination() {
    let emu = TestEmulator::start();
    let r = ec_raw(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "g",
            "--replication-group-description",
            "d",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "2",
            "--num-node-groups",
            "2",
        ],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("An error occurred (InvalidParameterCombination) when calling the CreateReplicationGroup operation"), "{}", r.stderr);
    still_serving(&emu);
}

#[test]
fn unknown_action() {
    let emu = TestEmulator::start();
    let (status, body) = post(&emu, "Action=MakeCoffee&Version=2015-02-02");
    assert_eq!(status, 400);
    assert_eq!(code_of(&body), "InvalidAction");
    assert!(
        body.contains("The action MakeCoffee is not valid for this web service."),
        "{body}"
    );
    still_serving(&emu);
}

#[test]
fn malformed_bodies() {
    let emu = TestEmulator::start();
    let (status, body) = post(
        &emu,
        "Action=CreateCacheCluster&CacheClusterId=c1&NumCacheNodes=lots",
    );
    assert_eq!(status, 400);
    assert_eq!(code_of(&body), "InvalidParameterValue");
    let (status, body) = post(&emu, "Action=DescribeCacheClusters&MaxRecords=%ZZ&Marker=x");
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        &emu,
        "Action=CreateCacheSubnetGroup&CacheSubnetGroupName=s&CacheSubnetGroupDescription=d&SubnetIds.SubnetIdentifier.first=subnet-1",
    );
    assert_eq!(status, 400);
    assert_eq!(code_of(&body), "MalformedQueryString");
    let (status, body) = post(&emu, "\u{0}\u{1}garbage");
    assert_eq!(status, 400);
    assert_eq!(code_of(&body), "MissingAction");
    still_serving(&emu);
}

#[test]
fn not_found_faults_carry_the_model_status() {
    let emu = TestEmulator::start();
    let r = ec_raw(
        &emu,
        &["describe-cache-clusters", "--cache-cluster-id", "nope"],
    );
    assert!(r.stderr.contains("An error occurred (CacheClusterNotFound) when calling the DescribeCacheClusters operation"), "{}", r.stderr);
    let (status, body) = post(
        &emu,
        "Action=DeleteReplicationGroup&ReplicationGroupId=nope",
    );
    assert_eq!(status, 404);
    assert_eq!(code_of(&body), "ReplicationGroupNotFoundFault");
    let r = ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "dup",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "dup",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    assert!(
        r.stderr.contains("(CacheClusterAlreadyExists)"),
        "{}",
        r.stderr
    );
}

#[test]
fn accounts_and_regions_are_isolated() {
    let emu = TestEmulator::start();
    let mk = |account: &str, region: &str| {
        emu.aws_as(
            account,
            region,
            &[
                "elasticache",
                "create-cache-parameter-group",
                "--cache-parameter-group-name",
                "p",
                "--cache-parameter-group-family",
                "redis7",
                "--description",
                "d",
            ],
        )
    };
    assert_eq!(mk("111111111111", "us-east-1").code, 0);
    assert_eq!(mk("222222222222", "us-east-1").code, 0);
    assert_eq!(mk("111111111111", "eu-west-1").code, 0);
    let again = mk("111111111111", "us-east-1");
    assert!(
        again.stderr.contains("CacheParameterGroupAlreadyExists"),
        "{}",
        again.stderr
    );
    let other = emu.aws_as(
        "333333333333",
        "us-east-1",
        &[
            "elasticache",
            "describe-cache-parameter-groups",
            "--cache-parameter-group-name",
            "p",
        ],
    );
    assert!(
        other.stderr.contains("CacheParameterGroupNotFound"),
        "{}",
        other.stderr
    );
}
