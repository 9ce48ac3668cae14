//! Memory of whole-table work: loads a table of vectors into the emulator binary (a child
//! process), then measures how far the emulator's peak RSS rises while it backs the table up
//! and restores it, and while it restores the table to a point in time and exports it. The
//! peak is reset (`/proc/PID/clear_refs`) before each measured step, so the load does not
//! count. Checks that every restored table has every item.
//!
//! `cargo build --release -p emulator && cargo run --release -p emulator --example ddb_rss
//! [-- --items N --dims D]` (defaults: 100,000 items of 768 numbers).

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

#[path = "ddb/binary.rs"]
mod binary;
#[path = "ddb/mod.rs"]
mod ddb;

use binary::Emulator;

const ACCOUNT: &str = "300000000002";

impl Emulator {
    /// KiB of one line of /proc/PID/status (VmRSS, VmHWM).
    fn status_kib(&self, field: &str) -> Result<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        s.lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .context("no such field")
    }

    /// Sets the peak RSS back to the current RSS.
    fn reset_peak(&self) -> Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .context("resetting the peak RSS (needs Linux and the right to write clear_refs)")
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn call(client: &reqwest::Client, url: &str, op: &str, body: Value) -> Result<Value> {
    ddb::call(client, url, ACCOUNT, op, &body).await
}

async fn count(client: &reqwest::Client, url: &str, table: &str) -> Result<u64> {
    let mut n = 0;
    let mut start: Option<Value> = None;
    loop {
        // Bounded pages: DynamoDB Local answers a 500 to unbounded scans of large tables.
        let mut req = json!({"TableName": table, "Select": "COUNT", "Limit": 500});
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let out = call(client, url, "Scan", req).await?;
        n += out["Count"].as_u64().unwrap_or(0);
        match out.get("LastEvaluatedKey") {
            Some(k) if !k.is_null() => start = Some(k.clone()),
            _ => return Ok(n),
        }
    }
}

/// Runs `step` with the peak reset before it; prints the rise of the peak over the RSS
/// before, and the time.
async fn measured<F: std::future::Future<Output = Result<()>>>(
    emu: &Emulator,
    name: &str,
    step: F,
) -> Result<u64> {
    emu.reset_peak()?;
    let before = emu.status_kib("VmRSS:")?;
    let t = Instant::now();
    step.await?;
    let peak = emu.status_kib("VmHWM:")?;
    let rise = peak.saturating_sub(before);
    println!(
        "{name}: {:.1} s, RSS before {} MB, peak {} MB, rise {} MB",
        t.elapsed().as_secs_f64(),
        before / 1024,
        peak / 1024,
        rise / 1024
    );
    Ok(rise)
}

#[tokio::main]
async fn main() -> Result<()> {
    let items = arg("--items", 100_000);
    let dims = arg("--dims", 768);
    let emu = Emulator::spawn()?;
    let client = reqwest::Client::new();
    let url = emu.url.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while call(&client, &url, "ListTables", json!({})).await.is_err() {
        if Instant::now() > deadline {
            bail!("the emulator did not answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    call(
        &client,
        &url,
        "CreateTable",
        json!({"TableName": "Vectors", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    )
    .await?;
    // The load: 8 writers of 25-item batches.
    let t = Instant::now();
    let workers = 8;
    let mut tasks = vec![];
    for w in 0..workers {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w * 25;
            while i < items {
                let batch: Vec<Value> = (i..(i + 25).min(items))
                    .map(|n| {
                        let v: Vec<Value> = (0..dims)
                            .map(|d| json!({"N": format!("{:.6}", ((n * 31 + d * 7) % 1000) as f64 / 1000.0)}))
                            .collect();
                        json!({"PutRequest": {"Item": {"pk": {"S": format!("item-{n:07}")}, "v": {"L": v}}}})
                    })
                    .collect();
                let mut req = json!({"RequestItems": {"Vectors": batch}});
                loop {
                    let out = call(&client, &url, "BatchWriteItem", req.clone()).await?;
                    match out["UnprocessedItems"]["Vectors"].as_array() {
                        Some(left) if !left.is_empty() => {
                            req = json!({"RequestItems": {"Vectors": left}})
                        }
                        _ => break,
                    }
                }
                i += workers * 25;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!(
        "load: {items} items of {dims} numbers in {:.1} s, emulator RSS {} MB",
        t.elapsed().as_secs_f64(),
        emu.status_kib("VmRSS:")? / 1024
    );
    // Enabled after the load: its snapshot of the table is whole-table work too.
    let enable = measured(&emu, "point-in-time recovery enabled", async {
        call(
            &client,
            &url,
            "UpdateContinuousBackups",
            json!({"TableName": "Vectors",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
        )
        .await?;
        Ok(())
    })
    .await?;
    // Point-in-time restores need a time after the snapshot.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64();

    let backup = measured(&emu, "backup and restore", async {
        let out = call(
            &client,
            &url,
            "CreateBackup",
            json!({"TableName": "Vectors", "BackupName": "vectors-backup"}),
        )
        .await?;
        let arn = out["BackupDetails"]["BackupArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        call(
            &client,
            &url,
            "RestoreTableFromBackup",
            json!({"TargetTableName": "FromBackup", "BackupArn": arn}),
        )
        .await?;
        Ok(())
    })
    .await?;
    let pitr = measured(&emu, "point-in-time restore", async {
        call(
            &client,
            &url,
            "RestoreTableToPointInTime",
            json!({"SourceTableName": "Vectors", "TargetTableName": "FromHistory",
                "RestoreDateTime": at}),
        )
        .await?;
        Ok(())
    })
    .await?;
    for table in ["FromBackup", "FromHistory"] {
        let n = count(&client, &url, table).await?;
        if n != items as u64 {
            bail!("{table} has {n} items, not {items}");
        }
    }
    println!("every restored table has all {items} items");
    println!(
        "peak RSS rise: point-in-time recovery enabled {} MB, backup and restore {} MB, \
         point-in-time restore {} MB",
        enable / 1024,
        backup / 1024,
        pitr / 1024
    );
    Ok(())
}
