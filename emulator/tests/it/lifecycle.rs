//! The emulator binary leaves no child process behind, whether stopped with SIGTERM or killed.

use std::process::Child;
use std::time::{Duration, Instant};

use super::common::{aws_at, children_of, running, start_binary};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

struct Running {
    child: Child,
    url: String,
}

fn start() -> Running {
    let (child, url) = start_binary(&[]);
    Running { child, url }
}

fn wait_gone(pids: &[u32], within: Duration) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| running(*p)).collect();
        if left.is_empty() || start.elapsed() > within {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts children: DynamoDB Local (through a DynamoDB call) and a redis node.
fn start_children(r: &Running) -> Vec<u32> {
    aws_at(&r.url, ACCOUNT, REGION, &["dynamodb", "list-tables"]).json();
    aws_at(
        &r.url,
        ACCOUNT,
        REGION,
        &[
            "elasticache",
            "create-cache-cluster",
            "--cache-cluster-id",
            "life",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "1",
        ],
    )
    .json();
    let start = Instant::now();
    loop {
        let kids = children_of(r.child.id());
        if kids.len() >= 2 || start.elapsed() > Duration::from_secs(20) {
            assert!(
                kids.len() >= 2,
                "expected java and redis-server children, got {kids:?}"
            );
            return kids;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_every_child() {
    let mut r = start();
    let kids = start_children(&r);
    unsafe {
        libc::kill(r.child.id() as i32, libc::SIGTERM);
    }
    let status = r.child.wait().unwrap();
    assert!(status.success(), "emulator exit after SIGTERM: {status}");
    assert_eq!(wait_gone(&kids, Duration::from_secs(5)), Vec::<u32>::new());
}

#[test]
fn sigkill_of_the_emulator_takes_its_children_down() {
    let mut r = start();
    let kids = start_children(&r);
    let dir = std::env::temp_dir().join(format!("awsemu-{}", r.child.id()));
    assert!(dir.is_dir(), "runtime dir {} while running", dir.display());
    r.child.kill().unwrap();
    r.child.wait().unwrap();
    assert_eq!(wait_gone(&kids, Duration::from_secs(5)), Vec::<u32>::new());
    // A killed emulator cannot remove its runtime dir; the next one to start does.
    assert!(dir.is_dir());
    let mut next = start();
    assert!(!dir.exists(), "{} left behind", dir.display());
    unsafe {
        libc::kill(next.child.id() as i32, libc::SIGTERM);
    }
    next.child.wait().unwrap();
}

#[test]
fn sigterm_stops_many_nodes_at_once() {
    let mut r = start();
    for (id, n) in [("many-a", "40"), ("many-b", "20")] {
        aws_at(
            &r.url,
            ACCOUNT,
            REGION,
            &[
                "elasticache",
                "create-cache-cluster",
                "--cache-cluster-id",
                id,
                "--engine",
                "memcached",
                "--cache-node-type",
                "cache.t3.micro",
                "--num-cache-nodes",
                n,
            ],
        )
        .json();
    }
    let kids = children_of(r.child.id());
    assert_eq!(kids.len(), 60, "one process per node");
    let sent = Instant::now();
    unsafe {
        libc::kill(r.child.id() as i32, libc::SIGTERM);
    }
    let status = r.child.wait().unwrap();
    let took = sent.elapsed();
    assert!(status.success(), "emulator exit after SIGTERM: {status}");
    assert_eq!(wait_gone(&kids, Duration::from_secs(5)), Vec::<u32>::new());
    // One stop after another took about 12 s for these 60 nodes; in parallel, well under 1 s.
    eprintln!("SIGTERM to exit with 60 nodes: {took:?}");
    assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
}
