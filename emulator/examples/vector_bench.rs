//! SearchVectors over many items: loads N items with D-dimension vectors (BatchWriteItem),
//! then times searches with and without a HASH condition. SearchVectors is an exact search
//! over a scan, so its cost grows with the table; this shows by how much.
//!
//! `cargo run --release -p emulator --example vector_bench [-- --items N --dims D --searches S]`

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use emulator::gateway::AppState;
use emulator::Config;
use serde_json::{json, Value};

const ACCOUNT: &str = "300000000002";

async fn call(client: &reqwest::Client, url: &str, op: &str, body: &Value) -> Result<Value> {
    let r = client
        .post(format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={ACCOUNT}/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await?;
    let status = r.status();
    let v: Value = serde_json::from_slice(&r.bytes().await?).unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{op} failed: {status} {v}");
    }
    Ok(v)
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

#[tokio::main]
async fn main() -> Result<()> {
    let items = arg("--items", 5000)?;
    let dims = arg("--dims", 128)?;
    let searches = arg("--searches", 20)?;
    let dir = tempfile::tempdir()?;
    let state = AppState::new(Config::from_env(dir.path().to_path_buf()))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator::run(listener, state.clone(), async {
        let _ = rx.await;
    }));
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
    let mut seed = 1;
    let load = Instant::now();
    for start in (0..items).step_by(25) {
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
    println!(
        "{items} items of {dims} dimensions loaded in {:.1} s",
        load.elapsed().as_secs_f64()
    );
    println!("| index | condition | searches | p50 ms | max ms |");
    println!("|---|---|---|---|---|");
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
        lat.sort();
        println!(
            "| {index} | {} | {searches} | {} | {} |",
            if cond {
                "cat = :c (1/10 of items)"
            } else {
                "none"
            },
            ms(lat[lat.len() / 2]),
            ms(lat[lat.len() - 1])
        );
    }
    let _ = tx.send(());
    server.await??;
    Ok(())
}
