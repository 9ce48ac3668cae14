//! The emulator binary leaves no child process behind, whether stopped with SIGTERM or killed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::aws_cli;

struct Running {
    child: Child,
    url: String,
}

fn start_binary() -> Running {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("emulator"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator binary (cargo build --workspace --bins)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Running { child, url }
}

fn aws(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(aws_cli())
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "123456789012")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap()
}

/// Pids whose parent is `pid` (direct children), read from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // Field 4 (ppid) follows the parenthesized command name.
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let ppid = after
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(p);
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    // A zombie still has /proc/<pid>; count it as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s
                .rsplit_once(')')
                .map(|(_, r)| r.trim_start())
                .unwrap_or("");
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

fn wait_gone(pids: &[u32], within: Duration) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() || start.elapsed() > within {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts children: DynamoDB Local (through a DynamoDB call) and a redis node.
fn start_children(r: &Running) -> Vec<u32> {
    let out = aws(&r.url, &["dynamodb", "list-tables"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = aws(
        &r.url,
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
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let mut r = start_binary();
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
    let mut r = start_binary();
    let kids = start_children(&r);
    r.child.kill().unwrap();
    r.child.wait().unwrap();
    assert_eq!(wait_gone(&kids, Duration::from_secs(5)), Vec::<u32>::new());
}
