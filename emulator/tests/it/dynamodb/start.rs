//! The emulator binary starts DynamoDB Local with itself, before any DynamoDB request, so the
//! first one finds the JVM running; with `--dynamodb-endpoint` there is nothing to start.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{kill_binary, start_binary};

fn status(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state: Value = rt.block_on(async {
        reqwest::get(format!("{url}/_emulator/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    state["dynamodb"].clone()
}

#[test]
fn the_binary_starts_dynamodb_local_before_the_first_request() {
    let (mut child, url) = start_binary(&[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    // Only the internal state route is asked: no DynamoDB request starts the JVM.
    let started = loop {
        let s = status(&url);
        if s["started"] == true {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local never started: {s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    kill_binary(&mut child);
    assert_eq!(started["backend"], "dynamodb-local");
    assert!(started["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http://127.0.0.1:")));
}

#[test]
fn with_an_endpoint_nothing_is_started() {
    // A closed port: a start would fail, and none is tried until a request needs it.
    let (mut child, url) = start_binary(&["--dynamodb-endpoint", "http://127.0.0.1:9"]);
    std::thread::sleep(Duration::from_millis(500));
    let s = status(&url);
    kill_binary(&mut child);
    assert_eq!(s["backend"], "endpoint");
    assert_eq!(s["started"], false, "{s}");
}
