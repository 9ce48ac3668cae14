//! A hanging endpoint cannot hold a run: the per-example time budget ends the example with a
//! clear outcome, and the run goes on to its report.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::common;

/// Answers GET (the reachability probe) at once and never answers anything else.
fn hanging_endpoint() -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while !stop2.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((mut s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(Duration::from_millis(500)))
                        .unwrap();
                    // The whole request head, so closing after the answer resets nothing.
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf) {
                            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                            _ => break,
                        }
                    }
                    if head.starts_with(b"GET ") {
                        let _ = s.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                    } else {
                        held.push(s);
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (url, stop)
}

#[test]
fn a_hanging_endpoint_ends_the_example_at_its_budget() {
    let (url, stop) = hanging_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let out = common::evaluator()
        .args([
            "run",
            "--endpoint",
            &url,
            "--reset",
            "none",
            "--jobs",
            "1",
            "--example-timeout",
            "4",
            "--progress-every",
            "1",
            "--filter",
            r"^elasticache/describe-cache-engine-versions\.rst#1$",
            "--service",
            "elasticache",
            "--corpus",
            "awscli-rst",
        ])
        .arg("--report-dir")
        .arg(dir.path())
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json"))
            .unwrap_or_else(|e| panic!("no report ({e}):\n{stderr}")),
    )
    .unwrap();
    let e = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["examples"].as_array().unwrap())
        .find(|e| e["id"] == "elasticache/describe-cache-engine-versions.rst#1")
        .unwrap();
    assert_eq!(e["outcome"], "fail-exit", "{e}");
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.contains("time budget of 4 s ran out during the step at line"),
        "{reason}"
    );
    assert!(e["duration_ms"].as_u64().unwrap() < 10_000, "{e}");
    assert!(took < Duration::from_secs(60), "the run took {took:?}");
    // Without a terminal the run says where it is while it waits.
    assert!(
        stderr.contains(
            "0/1 done, 0 failed; running: elasticache/describe-cache-engine-versions.rst#1"
        ),
        "{stderr}"
    );
}
