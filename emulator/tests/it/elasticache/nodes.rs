//! Real nodes: they answer their protocol at the reported address, and no process outlives
//! its cluster, its group, or the emulator (graceful stop, SIGTERM, SIGKILL).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::super::common::{aws_cli, TestEmulator};
use super::{ec, eventually, wait_cluster, wait_group};

fn ask(addr: &str, port: u64, req: &[u8]) -> String {
    let mut s = TcpStream::connect((addr, port as u16)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.write_all(req).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn alive(pid: u32) -> bool {
    // A zombie is gone for our purposes only once reaped; /proc/<pid> disappears then.
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn redis_and_memcached_nodes_answer_at_their_reported_address() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "r1",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "1",
        ],
    );
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "m1",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-nodes",
            "2",
        ],
    );
    let r = wait_cluster(&emu, "r1");
    let ep = &r["CacheNodes"][0]["Endpoint"];
    assert_eq!(
        ask(
            ep["Address"].as_str().unwrap(),
            ep["Port"].as_u64().unwrap(),
            b"PING\r\n"
        ),
        "+PONG\r\n"
    );
    let m = wait_cluster(&emu, "m1");
    let nodes = m["CacheNodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for n in nodes {
        let ep = &n["Endpoint"];
        let v = ask(
            ep["Address"].as_str().unwrap(),
            ep["Port"].as_u64().unwrap(),
            b"version\r\n",
        );
        assert!(v.starts_with("VERSION "), "{v}");
    }
    assert!(m["ConfigurationEndpoint"]["Address"].is_string());
    assert_eq!(emu.child_pids().len(), 3);
}

#[test]
fn replicas_replicate_from_their_primary() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "rg",
            "--replication-group-description",
            "d",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "2",
        ],
    );
    let g = wait_group(&emu, "rg");
    let ng = &g["NodeGroups"][0];
    let p = &ng["PrimaryEndpoint"];
    let (pa, pp) = (p["Address"].as_str().unwrap(), p["Port"].as_u64().unwrap());
    assert_eq!(ask(pa, pp, b"SET k v\r\n"), "+OK\r\n");
    let r = &ng["ReaderEndpoint"];
    let (ra, rp) = (r["Address"].as_str().unwrap(), r["Port"].as_u64().unwrap());
    let start = Instant::now();
    loop {
        if ask(ra, rp, b"GET k\r\n") == "$1\r\nv\r\n" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "replica never synced"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn auth_token_sets_requirepass() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "sec",
            "--replication-group-description",
            "d",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--transit-encryption-enabled",
            "--auth-token",
            "0123456789abcdef0123",
        ],
    );
    let g = wait_group(&emu, "sec");
    assert_eq!(g["AuthTokenEnabled"], true);
    let p = &g["NodeGroups"][0]["PrimaryEndpoint"];
    let (a, port) = (p["Address"].as_str().unwrap(), p["Port"].as_u64().unwrap());
    assert!(ask(a, port, b"PING\r\n").starts_with("-NOAUTH"));
    assert_eq!(
        ask(a, port, b"AUTH 0123456789abcdef0123\r\nPING\r\n"),
        "+OK\r\n+PONG\r\n"
    );
}

#[test]
fn deletes_and_reset_leave_no_child_process() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "c1",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    ec(
        &emu,
        &[
            "create-replication-group",
            "--replication-group-id",
            "g1",
            "--replication-group-description",
            "d",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--num-cache-clusters",
            "3",
        ],
    );
    wait_cluster(&emu, "c1");
    wait_group(&emu, "g1");
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 4);
    ec(&emu, &["delete-cache-cluster", "--cache-cluster-id", "c1"]);
    eventually("cluster node stopped", || emu.child_pids().len() == 3);
    ec(
        &emu,
        &["delete-replication-group", "--replication-group-id", "g1"],
    );
    eventually("group nodes stopped", || emu.child_pids().is_empty());
    for pid in pids {
        eventually("process gone", || !alive(pid));
    }
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "c2",
            "--engine",
            "memcached",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 1);
    drop(emu);
    for pid in pids {
        eventually("process gone after emulator stop", || !alive(pid));
    }
}

/// Pids whose parent is `ppid` (from /proc/<pid>/stat).
fn children_of(ppid: u32) -> Vec<u32> {
    let mut out = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command: state, ppid, ...
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(ppid) && fields[0] != "Z" {
            out.push(pid);
        }
    }
    out
}

fn run_emulator_and_kill(signal: i32) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["--port", "0", "--runtime-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    {
        use std::io::BufRead;
        let out = child.stdout.take().unwrap();
        let mut r = std::io::BufReader::new(out);
        r.read_line(&mut line).unwrap();
        std::mem::forget(r);
    }
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let out = Command::new(aws_cli())
        .args([
            "elasticache",
            "create-cache-cluster",
            "--cache-cluster-id",
            "k1",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
        ])
        .env("AWS_ACCESS_KEY_ID", "123456789012")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &url)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nodes = children_of(child.id());
    assert_eq!(nodes.len(), 1, "one redis-server child expected");
    // SAFETY: plain kill(2) on a child we spawned.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    child.wait().unwrap();
    for pid in nodes {
        eventually("node gone after the emulator died", || {
            !alive(pid) || is_zombie(pid)
        });
    }
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

#[test]
fn sigterm_of_the_emulator_stops_its_nodes() {
    run_emulator_and_kill(libc::SIGTERM);
}

#[test]
fn sigkill_of_the_emulator_stops_its_nodes() {
    run_emulator_and_kill(libc::SIGKILL);
}

#[test]
fn serverless_cache_endpoint_is_a_real_node() {
    let emu = TestEmulator::start();
    let c = ec(
        &emu,
        &[
            "create-serverless-cache",
            "--serverless-cache-name",
            "sc",
            "--engine",
            "redis",
        ],
    );
    assert_eq!(c["ServerlessCache"]["Status"], "creating");
    let start = Instant::now();
    let sc = loop {
        let v = ec(
            &emu,
            &[
                "describe-serverless-caches",
                "--serverless-cache-name",
                "sc",
            ],
        );
        let sc = v["ServerlessCaches"][0].clone();
        if sc["Status"] == "available" {
            break sc;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{sc}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let ep = &sc["Endpoint"];
    assert_eq!(
        ask(
            ep["Address"].as_str().unwrap(),
            ep["Port"].as_u64().unwrap(),
            b"PING\r\n"
        ),
        "+PONG\r\n"
    );
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 1);
    ec(
        &emu,
        &["delete-serverless-cache", "--serverless-cache-name", "sc"],
    );
    eventually("serverless node stopped", || emu.child_pids().is_empty());
}

#[test]
fn a_node_whose_process_dies_is_reported_failed() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "k",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    wait_cluster(&emu, "k");
    let pid = emu.child_pids()[0];
    // SAFETY: plain kill(2) of a node process this test's emulator started.
    unsafe {
        libc::kill(pid as i32, libc::SIGKILL);
    }
    eventually("node reported failed", || {
        let v = ec(
            &emu,
            &[
                "describe-cache-clusters",
                "--cache-cluster-id",
                "k",
                "--show-cache-node-info",
            ],
        );
        v["CacheClusters"][0]["CacheNodes"][0]["CacheNodeStatus"] == "failed"
    });
}

#[test]
fn snapshots_hold_the_data_and_restore_it() {
    let emu = TestEmulator::start();
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "src",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
        ],
    );
    let c = wait_cluster(&emu, "src");
    let ep = &c["CacheNodes"][0]["Endpoint"];
    let (a, p) = (
        ep["Address"].as_str().unwrap().to_string(),
        ep["Port"].as_u64().unwrap(),
    );
    assert_eq!(ask(&a, p, b"SET greeting hello\r\n"), "+OK\r\n");
    ec(
        &emu,
        &[
            "create-snapshot",
            "--cache-cluster-id",
            "src",
            "--snapshot-name",
            "snap",
        ],
    );
    let d = ec(&emu, &["describe-snapshots", "--snapshot-name", "snap"]);
    assert_eq!(d["Snapshots"][0]["SnapshotStatus"], "available");
    assert!(d["Snapshots"][0]["NodeSnapshots"][0]["CacheSize"]
        .as_str()
        .unwrap()
        .ends_with(" MB"));
    ec(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "copy",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--snapshot-name",
            "snap",
        ],
    );
    let c = wait_cluster(&emu, "copy");
    let ep = &c["CacheNodes"][0]["Endpoint"];
    let got = ask(
        ep["Address"].as_str().unwrap(),
        ep["Port"].as_u64().unwrap(),
        b"GET greeting\r\n",
    );
    assert_eq!(got, "$5\r\nhello\r\n");
    let r = super::ec_raw(
        &emu,
        &[
            "create-cache-cluster",
            "--cache-cluster-id",
            "x",
            "--engine",
            "redis",
            "--cache-node-type",
            "cache.t3.micro",
            "--snapshot-name",
            "nope",
        ],
    );
    assert!(r.stderr.contains("(SnapshotNotFoundFault)"), "{}", r.stderr);
}
