//! Load for the DynamoDB benchmarks: requests from concurrent clients, latency percentiles and
//! throughput, medians over rounds.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::Value;

pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
    pub rps: f64,
}

/// `total` requests of `op` over `conc` concurrent clients (bodies from `body_for(op, i)`).
pub async fn run(
    client: &reqwest::Client,
    url: &str,
    account: &'static str,
    op: &'static str,
    conc: usize,
    total: usize,
    body_for: fn(&str, usize) -> Value,
) -> Result<Stats> {
    let per = total / conc;
    let start = Instant::now();
    let mut tasks = vec![];
    for w in 0..conc {
        let client = client.clone();
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let body = body_for(op, w * per + i);
                let t0 = Instant::now();
                super::ddb::call(&client, &url, account, op, &body).await?;
                lat.push(t0.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = start.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Ok(Stats {
        p50: pct(0.50),
        p99: pct(0.99),
        rps: all.len() as f64 / elapsed.as_secs_f64(),
    })
}

/// Per-metric medians over rounds.
pub fn median(mut v: Vec<Stats>) -> Stats {
    let mid = v.len() / 2;
    v.sort_by_key(|s| s.p50);
    let p50 = v[mid].p50;
    v.sort_by_key(|s| s.p99);
    let p99 = v[mid].p99;
    v.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    Stats {
        p50,
        p99,
        rps: v[mid].rps,
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}
