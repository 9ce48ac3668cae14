//! What crash safety costs DynamoDB: PutItem and GetItem through the emulator in its default
//! mode (DynamoDB Local in memory behind the write log), with `--dynamodb-in-memory` (no log:
//! a JVM crash loses every table) and on a database file (the mode before the log, which a
//! state dir written by an older version keeps; here on tmpfs, as the old default was).
//! Same client, same process, rounds alternating between the three (each round led by the
//! next); medians shown. `AA=1` makes the first in memory too, to see the noise.
//!
//! `cargo run --release -p emulator --example durability_bench [-- --requests N]`

use anyhow::{Context, Result};
use emulator::gateway::AppState;
use emulator::Config;
use serde_json::{json, Value};

#[path = "ddb/mod.rs"]
mod ddb;
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
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dirs: Vec<tempfile::TempDir>,
}

async fn start(
    name: &'static str,
    tweak: impl FnOnce(&mut Config, &mut Vec<tempfile::TempDir>),
) -> Result<Emulator> {
    let runtime = tempfile::tempdir()?;
    let mut config = Config::from_env(runtime.path().to_path_buf());
    let mut dirs = vec![runtime];
    tweak(&mut config, &mut dirs);
    let state = AppState::new(config)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator::run(listener, state, async {
        let _ = rx.await;
    }));
    Ok(Emulator {
        name,
        url,
        stop,
        server,
        _dirs: dirs,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let requests: usize = std::env::args()
        .skip_while(|a| a != "--requests")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(3000);
    let emulators = vec![
        start("default (write log)", |c, _| {
            c.dynamodb_in_memory = std::env::var("AA").is_ok()
        })
        .await?,
        start("--dynamodb-in-memory", |c, _| c.dynamodb_in_memory = true).await?,
        start("database file (tmpfs)", |c, dirs| {
            // A state dir holding a database file and no write log: the mode before the log.
            let state = tempfile::tempdir_in("/dev/shm").expect("tmpfs");
            std::fs::create_dir_all(state.path().join("dynamodb")).expect("state dir");
            std::fs::write(state.path().join("dynamodb/older.db"), b"").expect("state dir");
            c.state_dir = Some(state.path().to_path_buf());
            dirs.push(state);
        })
        .await?,
    ];
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()?;
    // Every JVM runs before any is loaded, and each is warmed again once all are (a JVM that
    // compiles its hot code while others start runs slower for the whole run).
    for e in &emulators {
        ddb::call(&client, &e.url, ACCOUNT, "ListTables", &json!({}))
            .await
            .with_context(|| format!("DynamoDB Local in {} (run scripts/setup)", e.name))?;
    }
    for e in &emulators {
        ddb::call(
            &client,
            &e.url,
            ACCOUNT,
            "CreateTable",
            &json!({"TableName": "Bench", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
        )
        .await?;
        for i in 0..ITEMS {
            ddb::call(&client, &e.url, ACCOUNT, "PutItem", &body_for("PutItem", i)).await?;
        }
    }
    for _ in 0..2 {
        for e in &emulators {
            for op in ["GetItem", "PutItem"] {
                load::run(&client, &e.url, ACCOUNT, op, 8, 2000, body_for).await?;
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
                        load::run(&client, &e.url, ACCOUNT, op, conc, requests, body_for).await?,
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
        let _ = e.stop.send(());
        e.server.await??;
    }
    Ok(())
}
