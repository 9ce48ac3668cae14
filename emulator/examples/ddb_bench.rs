//! Proxy overhead benchmark: GetItem and PutItem through the emulator against straight to
//! DynamoDB Local (the same JVM the emulator started), same client, same run, at concurrency
//! 1 and 32, and through a bare proxy (the floor of any HTTP proxy here). Prints p50/p99
//! latency and throughput, and the ratios to direct.
//!
//! `cargo run --release -p emulator --example ddb_bench [-- --requests N]`

use anyhow::{Context, Result};
use serde_json::{json, Value};

#[path = "ddb/bare_proxy.rs"]
mod bare_proxy;
#[path = "ddb/mod.rs"]
mod ddb;
#[path = "ddb/served.rs"]
mod served;
use served::Served;
#[path = "ddb/load.rs"]
mod load;
use load::{median, ms};

const ACCOUNT: &str = "300000000001";
const ITEMS: usize = 1000;
const ROUNDS: usize = 5;

#[derive(Clone)]
struct Target {
    url: String,
}

async fn call(client: &reqwest::Client, url: &str, op: &str, body: &Value) -> Result<Value> {
    ddb::call(client, url, ACCOUNT, op, body).await
}

async fn run(
    client: &reqwest::Client,
    t: &Target,
    op: &'static str,
    conc: usize,
    total: usize,
) -> Result<load::Stats> {
    load::run(client, &t.url, ACCOUNT, op, conc, total, body_for).await
}

fn body_for(op: &str, i: usize) -> Value {
    let key = format!("k{:05}", i % ITEMS);
    match op {
        "GetItem" => json!({"TableName": "Bench", "Key": {"pk": {"S": key}}}),
        "DescribeLimits" => json!({}),
        _ => {
            json!({"TableName": "Bench", "Item": {"pk": {"S": key}, "v": {"S": "x".repeat(100)}, "n": {"N": i.to_string()}}})
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let requests: usize = std::env::args()
        .skip_while(|a| a != "--requests")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(2000);
    let served = Served::start(|_| {}).await?;
    let (emu_url, state) = (served.url.clone(), served.state.clone());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()?;
    call(
        &client,
        &emu_url,
        "CreateTable",
        &json!({"TableName": "Bench", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
    )
    .await
    .context("creating the table (is DynamoDB Local installed? run scripts/setup)")?;
    let direct_url = state.dynamodb.status()["url"]
        .as_str()
        .context("DynamoDB Local URL")?
        .to_string();
    for i in 0..ITEMS {
        call(&client, &emu_url, "PutItem", &body_for("PutItem", i)).await?;
    }
    let backend: std::net::SocketAddr = direct_url
        .trim_start_matches("http://")
        .parse()
        .context("DynamoDB Local address")?;
    let bare_url = bare_proxy::start(backend).await?;
    // Index 0 is DynamoDB Local itself, 1 the emulator in front of it, 2 the bare proxy (the
    // floor of any HTTP proxy on this machine).
    let targets = [
        Target { url: direct_url },
        Target { url: emu_url },
        Target { url: bare_url },
    ];
    // Warm up every path (JIT, connection pools).
    for t in &targets {
        for op in ["GetItem", "PutItem"] {
            run(&client, t, op, 8, 2000).await?;
        }
    }
    println!("requests per cell: {requests}, rounds: {ROUNDS} (direct, emulator and bare proxy alternate; medians shown)");
    println!("| op | conc | direct p50 ms | emu p50 ms | added p50 ms | direct p99 ms | emu p99 ms | direct req/s | emu req/s | throughput ratio | bare proxy added p50 ms | bare proxy ratio |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for op in ["GetItem", "PutItem"] {
        for conc in [1usize, 32] {
            let (mut d, mut e, mut b) = (vec![], vec![], vec![]);
            // Alternating rounds spread background noise over the paths alike.
            for _ in 0..ROUNDS {
                d.push(run(&client, &targets[0], op, conc, requests).await?);
                e.push(run(&client, &targets[1], op, conc, requests).await?);
                b.push(run(&client, &targets[2], op, conc, requests).await?);
            }
            let (d, e, b) = (median(d), median(e), median(b));
            println!(
                "| {op} | {conc} | {} | {} | {:.3} | {} | {} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} |",
                ms(d.p50),
                ms(e.p50),
                (e.p50.as_secs_f64() - d.p50.as_secs_f64()) * 1000.0,
                ms(d.p99),
                ms(e.p99),
                d.rps,
                e.rps,
                e.rps / d.rps,
                (b.p50.as_secs_f64() - d.p50.as_secs_f64()) * 1000.0,
                b.rps / d.rps
            );
        }
    }
    // The emulator's own floor: an operation it answers without the backend.
    let floor = median({
        let mut v = vec![];
        for _ in 0..ROUNDS {
            v.push(run(&client, &targets[1], "DescribeLimits", 1, requests).await?);
        }
        v
    });
    println!(
        "emulator-only round trip (DescribeLimits, conc 1): p50 {} ms, p99 {} ms, {:.0} req/s",
        ms(floor.p50),
        ms(floor.p99),
        floor.rps
    );
    served.stop().await?;
    Ok(())
}
