//! How long DynamoDB is away after its JVM is killed: N items written (PutItem, 8 clients;
//! the log compacted or not as it grows), the JVM killed, then the time until a GetItem is
//! answered again (the new JVM's start plus the write log's replay), and the item count after.
//!
//! `cargo run --release -p emulator --example replay_bench [-- --items N]`

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};

#[path = "ddb/mod.rs"]
mod ddb;
#[path = "ddb/served.rs"]
mod served;
use served::Served;
// Only its load generator is used here.
#[allow(dead_code)]
#[path = "ddb/load.rs"]
mod load;

const ACCOUNT: &str = "300000000003";

fn put(_: &str, i: usize) -> Value {
    json!({"TableName": "Replayed", "Item": {"pk": {"S": format!("k{i:07}")}, "v": {"S": "x".repeat(100)}, "n": {"N": i.to_string()}}})
}

#[tokio::main]
async fn main() -> Result<()> {
    let items: usize = std::env::args()
        .skip_while(|a| a != "--items")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(50_000);
    let served = Served::start(|_| {}).await?;
    let (url, state) = (served.url.clone(), served.state.clone());
    let client = reqwest::Client::new();
    ddb::call(
        &client,
        &url,
        ACCOUNT,
        "CreateTable",
        &json!({"TableName": "Replayed", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
    )
    .await
    .context("creating the table (run scripts/setup)")?;
    let started = Instant::now();
    let stats = load::run(&client, &url, ACCOUNT, "PutItem", 8, items, put).await?;
    println!(
        "{items} items written in {:.1?} ({:.0}/s); write log {}",
        started.elapsed(),
        stats.rps,
        state.dynamodb.status()["write_log"]
    );
    let jvm = state.supervisor.pids();
    anyhow::ensure!(jvm.len() == 1, "one DynamoDB Local: {jvm:?}");
    let killed = Instant::now();
    unsafe {
        libc::kill(jvm[0] as i32, libc::SIGKILL);
    }
    let key = json!({"TableName": "Replayed", "Key": {"pk": {"S": "k0000000"}}});
    loop {
        if ddb::call(&client, &url, ACCOUNT, "GetItem", &key)
            .await
            .is_ok()
        {
            break;
        }
        anyhow::ensure!(
            killed.elapsed() < Duration::from_secs(600),
            "no answer after the kill"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let back = killed.elapsed();
    let mut count = 0;
    let mut from: Option<Value> = None;
    loop {
        let mut req = json!({"TableName": "Replayed", "Select": "COUNT"});
        if let Some(k) = from.take() {
            req["ExclusiveStartKey"] = k;
        }
        let page = ddb::call(&client, &url, ACCOUNT, "Scan", &req).await?;
        count += page["Count"].as_u64().unwrap_or(0);
        match page.get("LastEvaluatedKey") {
            Some(k) if k.is_object() => from = Some(k.clone()),
            _ => break,
        }
    }
    println!("kill to the first answer: {back:.2?}; items after: {count}");
    served.stop().await?;
    Ok(())
}
