//! `--node-ports` / `--advertise-host`: nodes on ports of a range, every endpoint named by the
//! advertised host, cluster clients routed by the announced hostname, TLS certificates valid
//! for it, and the range as the node quota. (The image tests run the same from outside a
//! container: `image.rs`.)

use std::net::TcpListener;

use emulator::config::{NodePorts, PublishedNodes};
use serde_json::Value;

use super::{
    cluster_round_trip, create_group, ec, eventually, hp, redis_cli, wait_group, TWO_SHARDS,
};
use crate::common::TestEmulator;

/// A range of `len` ports on loopback whose ports and cluster bus ports are free, searched
/// from `from` (each test its own start: tests run at once; below the ephemeral ports other
/// tests' nodes may fall back to).
pub fn free_range(from: u16, len: u16) -> NodePorts {
    'search: for first in (from..from + 2_000).step_by(31) {
        for port in first..first + len {
            let bind = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
            if !bind(port) || !bind(NodePorts::bus(port)) {
                continue 'search;
            }
        }
        return NodePorts {
            first,
            last: first + len - 1,
        };
    }
    panic!("no free range of {len} ports from {from}");
}

fn published(ports: NodePorts, host: &str) -> TestEmulator {
    TestEmulator::start_with(|c| {
        c.published = Some(PublishedNodes {
            ports,
            bind: "127.0.0.1".parse().unwrap(),
            host: host.into(),
        })
    })
}

/// Every `Address` of an answer, with its port.
fn addresses(v: &Value, out: &mut Vec<(String, u16)>) {
    match v {
        Value::Object(o) => {
            if let (Some(a), Some(p)) = (o.get("Address"), o.get("Port")) {
                out.push((a.as_str().unwrap().into(), p.as_u64().unwrap() as u16));
            }
            o.values().for_each(|x| addresses(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| addresses(x, out)),
        _ => {}
    }
}

#[test]
fn replicas_failover_and_cluster_mode_work_on_advertised_ports() {
    let ports = free_range(21_000, 12);
    let emu = published(ports, "localhost");
    let g = create_group(
        &emu,
        "pub-rg",
        &["--num-cache-clusters", "2", "--automatic-failover-enabled"],
    );
    let mut seen = vec![];
    addresses(&g, &mut seen);
    let clusters = ec(&emu, &["describe-cache-clusters", "--show-cache-node-info"]);
    addresses(&clusters, &mut seen);
    assert!(seen.len() >= 5, "{seen:?}");
    for (a, p) in &seen {
        assert_eq!(a, "localhost");
        assert!(ports.contains(*p), "{p} outside {ports}");
    }
    let (h, p) = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    let port = p.to_string();
    assert_eq!(
        redis_cli(&["-h", &h, "-p", &port, "SET", "k", "before"]).1,
        "OK"
    );
    ec(
        &emu,
        &[
            "test-failover",
            "--replication-group-id",
            "pub-rg",
            "--node-group-id",
            "0001",
        ],
    );
    let after = wait_group(&emu, "pub-rg");
    let (h2, p2) = hp(&after["NodeGroups"][0]["PrimaryEndpoint"]);
    assert_eq!(h2, "localhost");
    assert_ne!(p2, p);
    let port2 = p2.to_string();
    assert_eq!(
        redis_cli(&["-h", &h2, "-p", &port2, "GET", "k"]).1,
        "before"
    );
    assert_eq!(
        redis_cli(&["-h", &h2, "-p", &port2, "SET", "k", "after"]).1,
        "OK"
    );
    eventually("the old primary follows the new one", || {
        redis_cli(&["-h", &h, "-p", &port, "GET", "k"]).1 == "after"
    });

    // Cluster mode: CLUSTER SLOTS names the advertised host, so a cluster client that knows
    // only the configuration endpoint reaches every shard.
    let c = create_group(&emu, "pub-cm", TWO_SHARDS);
    let (ch, cp) = hp(&c["ConfigurationEndpoint"]);
    assert_eq!(ch, "localhost");
    assert!(ports.contains(cp));
    let (_, slots) = redis_cli(&["-h", &ch, "-p", &cp.to_string(), "CLUSTER", "SLOTS"]);
    assert!(slots.contains("localhost"), "{slots}");
    cluster_round_trip(&format!("redis://{ch}:{cp}/"), 100);
}

#[test]
fn tls_names_the_advertised_host_and_the_range_is_the_quota() {
    let ports = free_range(23_000, 3);
    let emu = published(ports, "cache.awsemu.test");
    let g = create_group(
        &emu,
        "pub-tls",
        &[
            "--num-cache-clusters",
            "1",
            "--transit-encryption-enabled",
            "--auth-token",
            "a-token-of-sixteen-chars",
        ],
    );
    let (h, p) = hp(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    assert_eq!(h, "cache.awsemu.test");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let url = format!("{}/_emulator/ca.pem", emu.url());
    let pem = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() });
    std::fs::write(&ca, pem).unwrap();
    let verify = |name: &str| {
        let out = std::process::Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{p}")])
            .args(["-CAfile", ca.to_str().unwrap(), "-verify_return_error"])
            .args(["-verify_hostname", name])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("openssl");
        out.status.success()
    };
    assert!(verify("cache.awsemu.test"), "the advertised host is a SAN");
    assert!(
        !verify("elsewhere.awsemu.test"),
        "a name it does not carry fails"
    );

    // Three ports: a fourth node is over the quota (the region's count), and so is a node
    // that finds every port taken by another account.
    let three_memcached = |account: &str, id: &str| {
        let n = "3";
        let args = ["--cache-cluster-id", id, "--engine", "memcached"];
        let mut full = vec!["elasticache", "create-cache-cluster"];
        full.extend(args);
        full.extend([
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            n,
        ]);
        emu.aws_as(account, "us-east-1", &full)
    };
    let e = three_memcached("123456789012", "too-many");
    assert!(
        e.stderr.contains("NodeQuotaForCustomerExceeded"),
        "{}",
        e.stderr
    );
    let other = three_memcached("210987654321", "other");
    assert!(
        other.stderr.contains("NodeQuotaForCustomerExceeded"),
        "{}",
        other.stderr
    );
}
