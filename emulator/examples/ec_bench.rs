//! Benchmark: from CreateCacheCluster (one redis node) to the node answering PING, and to
//! `available` in DescribeCacheClusters. Runs an in-process emulator on a free port and talks
//! plain Query-protocol HTTP to it, so the AWS CLI's own start-up is not measured.
//!
//! `cargo run -p emulator --release --example ec_bench [-- ROUNDS]`

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use common::{call, stats, tag};

#[path = "common/mod.rs"]
mod common;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn ping(addr: &str) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    if s.write_all(b"PING\r\n").await.is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf).await, Ok(n) if buf[..n].starts_with(b"+PONG"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20);
    let dir = tempfile::tempdir()?;
    let config = emulator::Config::from_env(dir.path().to_path_buf());
    let state = emulator::gateway::AppState::new(config)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator::run(listener, state, async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::new();

    let (mut to_response, mut to_ping, mut to_available) = (vec![], vec![], vec![]);
    for i in 0..rounds {
        let id = format!("bench-{i}");
        let t0 = Instant::now();
        call(
            &client,
            &url,
            format!("Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId={id}&Engine=redis&CacheNodeType=cache.t3.micro&NumCacheNodes=1"),
        )
        .await?;
        to_response.push(t0.elapsed());
        let describe = format!(
            "Action=DescribeCacheClusters&Version=2015-02-02&CacheClusterId={id}&ShowCacheNodeInfo=true"
        );
        let xml = call(&client, &url, describe.clone()).await?;
        let addr = format!(
            "{}:{}",
            tag(&xml, "Address").context("no node address")?,
            tag(&xml, "Port").context("no node port")?
        );
        while !ping(&addr).await {
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("{id} never answered PING at {addr}");
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        to_ping.push(t0.elapsed());
        loop {
            let xml = call(&client, &url, describe.clone()).await?;
            if tag(&xml, "CacheClusterStatus") == Some("available") {
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("{id} never became available");
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        to_available.push(t0.elapsed());
        call(
            &client,
            &url,
            format!("Action=DeleteCacheCluster&Version=2015-02-02&CacheClusterId={id}"),
        )
        .await?;
    }
    println!("create-cache-cluster (1 redis node), {rounds} rounds:");
    stats("create response", to_response);
    stats("node answers PING", to_ping);
    stats("describe shows available", to_available);
    let _ = stop_tx.send(());
    server.await??;
    Ok(())
}
