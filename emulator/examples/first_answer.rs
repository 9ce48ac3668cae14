//! DynamoDB's first answer after start: spawns the emulator binary and sends ListTables over
//! raw HTTP every 5 ms until one succeeds; prints each run's time from spawn to that answer
//! and the median, with the load average (a busy machine's figures are several times a quiet
//! one's).
//!
//! `cargo build --release -p emulator && cargo run --release -p emulator --example
//! first_answer [-- --runs N]` (default 5 runs).

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::json;

#[path = "ddb/binary.rs"]
mod binary;
#[path = "ddb/mod.rs"]
mod ddb;

fn runs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn first_answer(client: &reqwest::Client) -> Result<Duration> {
    let start = Instant::now();
    let emu = binary::Emulator::spawn()?;
    loop {
        if ddb::call(client, &emu.url, "300000000003", "ListTables", &json!({}))
            .await
            .is_ok()
        {
            return Ok(start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("no answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    // A fresh connection per attempt: nothing kept from a refused one.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut times = vec![];
    for run in 1..=runs() {
        let t = first_answer(&client).await?;
        println!(
            "run {run}: first ListTables answer {:.0} ms after spawn (load {})",
            t.as_secs_f64() * 1000.0,
            load()
        );
        times.push(t);
        // The previous emulator and its JVM are gone before the next start.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    times.sort();
    println!(
        "median {:.0} ms, min {:.0} ms, max {:.0} ms over {} runs",
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        times.len()
    );
    Ok(())
}
