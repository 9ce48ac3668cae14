//! What crash safety costs DynamoDB: PutItem and GetItem through the emulator in its default
//! mode (DynamoDB Local in memory behind the write log), with `--dynamodb-in-memory` (no log:
//! a JVM crash loses every table) and on a database file (the mode before the log, which a
//! state dir written by an older version keeps; here on tmpfs, as the old default was).
//! Same client, same process, rounds alternating between the three (each round led by the
//! next); medians shown. `AA=1` makes the first in memory too, to see the noise.
//!
//! `cargo run --release -p emulator --example durability_bench [-- --requests N]`

use anyhow::{Context, Result};
use serde_json::{json, Value};

#[path = "ddb/mod.rs"]
mod ddb;
#[path = "ddb/served.rs"]
mod served;
use served::Served;
#[path = "ddb/load.rs"]
mod load;
use load::{median, ms};

const ACCOUNT: &str = "300000000002";
const ITEMS: usize = 1000;
const ROUNDS: usize = 6;

fn body_for(op: &str, i: usize) -> Value {
    let key = format!("k{:05}", i % ITEMS);
    match op {
        "GetItem" => json!({"TableName": "Bench", "Key": {"pk": {"S": key}}}),
        _ => {
            json!({"TableName": "Bench", "Item": {"pk": {"S": key}, "v": {"S": "x".repeat(100)}, "n": {"N": i.to_string()}}})
        }
    }
}

struct Emulator {
    name: &'static str,
    served: Served,
    /// A state dir the emulator runs on, removed after it.
    _state: Option<tempfile::TempDir>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let requests: usize = std::env::args()
        .skip_while(|a| a != "--requests")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(3000);
    // A state dir holding a database file and no write log: the mode before the log, on tmpfs
    // as the default was.
    let older = tempfile::tempdir_in("/dev/shm").context("tmpfs")?;
    std::fs::create_dir_all(older.path().join("dynamodb"))?;
    std::fs::write(older.path().join("dynamodb/older.db"), b"")?;
    let older_dir = older.path().to_path_buf();
    let aa = std::env::var("AA").is_ok();
    let emulators = vec![
        Emulator {
            name: "default (write log)",
            served: Served::start(|c| c.dynamodb_in_memory = aa).await?,
            _state: None,
        },
        Emulator {
            name: "--dynamodb-in-memory",
            served: Served::start(|c| c.dynamodb_in_memory = true).await?,
            _state: None,
        },
        Emulator {
            name: "database file (tmpfs)",
            served: Served::start(|c| c.state_dir = Some(older_dir)).await?,
            _state: Some(older),
        },
    ];
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()?;
    // Every JVM runs before any is loaded, and each is warmed again once all are (a JVM that
    // compiles its hot code while others start runs slower for the whole run).
    for e in &emulators {
        ddb::call(&client, &e.served.url, ACCOUNT, "ListTables", &json!({}))
            .await
            .with_context(|| format!("DynamoDB Local in {} (run scripts/setup)", e.name))?;
    }
    for e in &emulators {
        ddb::call(
            &client,
            &e.served.url,
            ACCOUNT,
            "CreateTable",
            &json!({"TableName": "Bench", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
        )
        .await?;
        for i in 0..ITEMS {
            ddb::call(
                &client,
                &e.served.url,
                ACCOUNT,
                "PutItem",
                &body_for("PutItem", i),
            )
            .await?;
        }
    }
    for _ in 0..2 {
        for e in &emulators {
            for op in ["GetItem", "PutItem"] {
                load::run(&client, &e.served.url, ACCOUNT, op, 8, 2000, body_for).await?;
            }
        }
    }
    println!(
        "requests per cell: {requests}, rounds: {ROUNDS} (the three alternate; medians shown)"
    );
    print!("| op | conc |");
    for e in &emulators {
        print!(" {} req/s (p50 ms) |", e.name);
    }
    println!(" default / in memory | file / in memory |");
    println!("|---|---|---|---|---|---|---|");
    for op in ["PutItem", "GetItem"] {
        for conc in [1usize, 8] {
            let mut cells: Vec<Vec<load::Stats>> = emulators.iter().map(|_| vec![]).collect();
            for _ in 0..ROUNDS {
                for (e, cell) in emulators.iter().zip(cells.iter_mut()) {
                    cell.push(
                        load::run(
                            &client,
                            &e.served.url,
                            ACCOUNT,
                            op,
                            conc,
                            requests,
                            body_for,
                        )
                        .await?,
                    );
                }
            }
            let m: Vec<load::Stats> = cells.into_iter().map(median).collect();
            print!("| {op} | {conc} |");
            for s in &m {
                print!(" {:.0} ({}) |", s.rps, ms(s.p50));
            }
            println!(" {:.3} | {:.3} |", m[0].rps / m[1].rps, m[2].rps / m[1].rps);
        }
    }
    for e in emulators {
        e.served.stop().await?;
    }
    Ok(())
}
