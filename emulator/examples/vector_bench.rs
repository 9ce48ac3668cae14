//! SearchVectors over many items: loads N items with D-dimension vectors (BatchWriteItem, 4
//! writers), then times searches with and without a HASH condition, and a search right after
//! a write. SearchVectors is an exact search over the proxy's vector index (every vector
//! scored), so its cost grows with the table; this shows by how much, and the emulator's
//! memory. With `--puts P` it also compares PutItem throughput into a table with one vector
//! index against one without.
//!
//! `cargo run --release -p emulator --example vector_bench [-- --items N --dims D --searches S --puts P --backfill]`

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

#[path = "ddb/mod.rs"]
mod ddb;
#[path = "ddb/served.rs"]
mod served;
use served::Served;

const ACCOUNT: &str = "300000000002";

async fn call(client: &reqwest::Client, url: &str, op: &str, body: &Value) -> Result<Value> {
    ddb::call(client, url, ACCOUNT, op, body).await
}

fn arg(name: &str, default: usize) -> Result<usize> {
    Ok(std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(default))
}

/// Deterministic pseudo-random numbers in [-1, 1).
fn rng(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

fn vector(seed: &mut u64, dims: usize) -> Vec<Value> {
    (0..dims)
        .map(|_| json!({"N": format!("{:.6}", rng(seed))}))
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The emulator's resident memory (this process: it runs in-process), in MB.
fn rss_mb() -> u64 {
    status_mb("VmRSS:")
}

/// A memory figure of /proc/self/status (`VmRSS:` now, `VmHWM:` the peak), in MB.
fn status_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

/// PutItem throughput (8 writers) into a table with one vector index and into one without,
/// in alternating rounds; prints both and their ratio.
async fn put_ratio(
    client: &reqwest::Client,
    url: &str,
    puts: usize,
    dims: usize,
    seed: &mut u64,
) -> Result<()> {
    for (name, indexed) in [("Plain", false), ("Indexed", true)] {
        let mut t = json!({"TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"});
        if indexed {
            t["VectorIndexes"] = json!([{"IndexName": "by_v", "VectorAttribute": {"AttributeName": "v"},
                "Dimensions": dims, "DistanceFunction": "COSINE",
                "Projection": {"ProjectionType": "KEYS_ONLY"}}]);
        }
        call(client, url, "CreateTable", &t).await?;
    }
    let bodies: Vec<Value> = (0..puts)
        .map(|i| json!({"pk": {"S": format!("p{i:07}")}, "v": {"L": vector(seed, dims)}}))
        .collect();
    let bodies = std::sync::Arc::new(bodies);
    let (mut plain, mut indexed) = (vec![], vec![]);
    for round in 0..3 {
        for (name, out) in [("Plain", &mut plain), ("Indexed", &mut indexed)] {
            let t0 = Instant::now();
            let mut tasks = vec![];
            for w in 0..8 {
                let (client, url, bodies) = (client.clone(), url.to_string(), bodies.clone());
                tasks.push(tokio::spawn(async move {
                    for i in (w..bodies.len()).step_by(8) {
                        let mut item = bodies[i].clone();
                        item["r"] = json!({"N": round.to_string()});
                        call(
                            &client,
                            &url,
                            "PutItem",
                            &json!({"TableName": name, "Item": item}),
                        )
                        .await?;
                    }
                    anyhow::Ok(())
                }));
            }
            for t in tasks {
                t.await??;
            }
            out.push(puts as f64 / t0.elapsed().as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (p, i) = (median(&mut plain), median(&mut indexed));
    println!(
        "PutItem of {dims}-dimension items, 8 writers, median of 3 rounds: without index {p:.0}/s, with one vector index {i:.0}/s, ratio {:.2}",
        i / p
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let items = arg("--items", 5000)?;
    let dims = arg("--dims", 128)?;
    let searches = arg("--searches", 20)?;
    let served = Served::start(|_| {}).await?;
    let url = served.url.clone();
    let client = reqwest::Client::new();
    call(
        &client,
        &url,
        "CreateTable",
        &json!({"TableName": "Vectors",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "cat", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "VectorIndexes": [
                {"IndexName": "all", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": dims,
                 "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"}},
                {"IndexName": "by_cat", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": dims,
                 "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"},
                 "SearchSchema": [{"AttributeName": "cat", "SearchSchemaElementType": "HASH"}]}]}),
    )
    .await
    .context("creating the table (is DynamoDB Local installed? run scripts/setup)")?;
    let load = Instant::now();
    let mut loaders = vec![];
    for w in 0..4 {
        let (client, url) = (client.clone(), url.clone());
        loaders.push(tokio::spawn(async move {
            let mut seed = 1000 + w as u64;
            for start in (w * 25..items).step_by(100) {
                let reqs: Vec<Value> = (start..(start + 25).min(items))
                    .map(|i| {
                        json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i:07}")},
                            "cat": {"S": format!("c{}", i % 10)}, "v": {"L": vector(&mut seed, dims)}}}})
                    })
                    .collect();
                let mut req = json!({"RequestItems": {"Vectors": reqs}});
                loop {
                    let out = call(&client, &url, "BatchWriteItem", &req).await?;
                    match out["UnprocessedItems"].as_object() {
                        Some(u) if !u.is_empty() => req = json!({"RequestItems": u}),
                        _ => break,
                    }
                }
            }
            anyhow::Ok(())
        }));
    }
    for l in loaders {
        l.await??;
    }
    let mut seed = 1;
    println!(
        "{items} items of {dims} dimensions loaded in {:.1} s",
        load.elapsed().as_secs_f64()
    );
    println!("| index | condition | searches | first ms | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    for (index, cond) in [("all", false), ("by_cat", true)] {
        let mut lat = vec![];
        for _ in 0..searches {
            let mut req = json!({"TableName": "Vectors", "IndexName": index, "TopK": 10,
                "SearchVector": vector(&mut seed, dims)});
            if cond {
                req["SearchConditionExpression"] = json!("cat = :c");
                req["ExpressionAttributeValues"] = json!({":c": {"S": "c3"}});
            }
            let t0 = Instant::now();
            let out = call(&client, &url, "SearchVectors", &req).await?;
            lat.push(t0.elapsed());
            if out["SearchResults"].as_array().map(Vec::len) != Some(10) {
                bail!("expected 10 results: {out}");
            }
        }
        let first = lat[0];
        lat.sort();
        println!(
            "| {index} | {} | {searches} | {} | {} | {} | {} |",
            if cond {
                "cat = :c (1/10 of items)"
            } else {
                "none"
            },
            ms(first),
            ms(lat[lat.len() / 2]),
            ms(lat[(lat.len() * 99 / 100).min(lat.len() - 1)]),
            ms(lat[lat.len() - 1])
        );
    }
    // A write, then a search: no rescan, the index already has the item.
    let mut after_write = vec![];
    for i in 0..5 {
        let v = vector(&mut seed, dims);
        call(
            &client,
            &url,
            "PutItem",
            &json!({"TableName": "Vectors",
            "Item": {"pk": {"S": format!("w{i}")}, "cat": {"S": "c0"}, "v": {"L": v.clone()}}}),
        )
        .await?;
        let t0 = Instant::now();
        let out = call(
            &client,
            &url,
            "SearchVectors",
            &json!({"TableName": "Vectors",
            "IndexName": "all", "TopK": 10, "SearchVector": v}),
        )
        .await?;
        after_write.push(t0.elapsed());
        if out["SearchResults"][0]["Item"]["pk"]["S"] != format!("w{i}") {
            bail!("the item just written is not the best hit: {out}");
        }
    }
    after_write.sort();
    println!(
        "search right after a PutItem (5 rounds): p50 {} ms, max {} ms",
        ms(after_write[2]),
        ms(after_write[4])
    );
    println!("emulator resident memory: {} MB", rss_mb());
    if std::env::args().any(|a| a == "--backfill") {
        // An index added to the loaded table: UpdateTable answers at once, the backfill (a
        // scan of the table) runs until the index is ACTIVE.
        let t0 = Instant::now();
        call(&client, &url, "UpdateTable", &json!({"TableName": "Vectors",
            "VectorIndexUpdates": [{"Create": {"IndexName": "later", "VectorAttribute": {"AttributeName": "v"},
                "Dimensions": dims, "DistanceFunction": "EUCLIDEAN",
                "Projection": {"ProjectionType": "KEYS_ONLY"}}}]})).await?;
        let answered = t0.elapsed();
        loop {
            let d = call(
                &client,
                &url,
                "DescribeTable",
                &json!({"TableName": "Vectors"}),
            )
            .await?;
            let later = d["Table"]["VectorIndexes"]
                .as_array()
                .and_then(|l| l.iter().find(|i| i["IndexName"] == "later").cloned());
            if later.is_some_and(|i| i["IndexStatus"] == "ACTIVE") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "index added over {items} items: UpdateTable answered in {} ms, ACTIVE after {:.1} s; peak memory so far {} MB",
            ms(answered),
            t0.elapsed().as_secs_f64(),
            status_mb("VmHWM:")
        );
    }
    let puts = arg("--puts", 0)?;
    if puts > 0 {
        put_ratio(&client, &url, puts, dims, &mut seed).await?;
    }
    served.stop().await?;
    Ok(())
}
