//! Benchmark: how long a DescribeCacheClusters of one account takes while another account
//! takes a large snapshot (SAVE of ~MB megabytes) and creates a cluster. Node work runs with
//! no lock held, so the describe should not wait for either. Prints p50/p95/max of the
//! describes during the busy window, and of the same-account describes for comparison.
//!
//! `cargo run -p emulator --release --example lock_bench [-- MB]` (default 300)

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use common::{call_as, stats, tag};

#[path = "common/mod.rs"]
mod common;

const BUSY: &str = "300000000001";
const OTHER: &str = "300000000002";

/// Fills a node with `mb` megabytes of 1 KiB values.
fn fill(addr: &str, mb: usize) -> Result<()> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let mut c = client.get_connection()?;
    let value = vec![b'x'; 1024];
    for batch in 0..mb {
        let mut p = redis::pipe();
        for i in 0..1024 {
            p.set(format!("k{batch}:{i}"), &value).ignore();
        }
        p.query::<()>(&mut c)?;
    }
    Ok(())
}

async fn wait_available(client: &reqwest::Client, url: &str, id: &str) -> Result<String> {
    let t0 = Instant::now();
    loop {
        let xml = call_as(
            client,
            url,
            BUSY,
            format!("Action=DescribeCacheClusters&Version=2015-02-02&CacheClusterId={id}&ShowCacheNodeInfo=true"),
        )
        .await?;
        if tag(&xml, "CacheClusterStatus") == Some("available") {
            return Ok(xml);
        }
        if t0.elapsed() > Duration::from_secs(30) {
            bail!("{id} never became available");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Describes as `account` until `until` says stop; the latency of each.
async fn describe_loop(
    client: reqwest::Client,
    url: String,
    account: &'static str,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Vec<Duration>> {
    let mut out = vec![];
    while !*stop.borrow() {
        let t0 = Instant::now();
        call_as(
            &client,
            &url,
            account,
            "Action=DescribeCacheClusters&Version=2015-02-02".into(),
        )
        .await?;
        out.push(t0.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<()> {
    let mb: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(300);
    let dir = tempfile::tempdir()?;
    let config = emulator::Config::from_env(dir.path().to_path_buf());
    // The emulator gets a runtime of its own, so a request it blocks cannot stall the
    // client's timers: the latencies are what a separate client would see.
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> Result<()> {
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async move {
            let state = emulator::gateway::AppState::new(config)?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            url_tx.send(format!("http://{}", listener.local_addr()?))?;
            emulator::run(listener, state, async {
                let _ = stop_rx.await;
            })
            .await?;
            anyhow::Ok(())
        })
    });
    let url = url_rx.recv()?;
    let client = reqwest::Client::new();

    call_as(&client, &url, BUSY, "Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=big&Engine=redis&CacheNodeType=cache.r6g.large&NumCacheNodes=1".into()).await?;
    let xml = wait_available(&client, &url, "big").await?;
    let addr = format!(
        "{}:{}",
        tag(&xml, "Address").context("no address")?,
        tag(&xml, "Port").context("no port")?
    );
    let t = Instant::now();
    tokio::task::spawn_blocking(move || fill(&addr, mb)).await??;
    println!("filled {mb} MB in {:.1} s", t.elapsed().as_secs_f64());
    // The other account has a cluster too, so its describe has something to render.
    call_as(&client, &url, OTHER, "Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=calm&Engine=redis&CacheNodeType=cache.t3.micro&NumCacheNodes=1".into()).await?;

    let (tx, rx) = tokio::sync::watch::channel(false);
    let other = tokio::spawn(describe_loop(
        client.clone(),
        url.clone(),
        OTHER,
        rx.clone(),
    ));
    let same = tokio::spawn(describe_loop(client.clone(), url.clone(), BUSY, rx));
    let t = Instant::now();
    let (snap, create) = tokio::join!(
        call_as(&client, &url, BUSY, "Action=CreateSnapshot&Version=2015-02-02&CacheClusterId=big&SnapshotName=big-snap".into()),
        call_as(&client, &url, BUSY, "Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=new&Engine=redis&CacheNodeType=cache.t3.micro&NumCacheNodes=1".into()),
    );
    snap?;
    create?;
    // The snapshot is done once it is available.
    loop {
        let xml = call_as(
            &client,
            &url,
            BUSY,
            "Action=DescribeSnapshots&Version=2015-02-02&SnapshotName=big-snap".into(),
        )
        .await?;
        match tag(&xml, "SnapshotStatus") {
            Some("available") => break,
            Some("failed") => bail!("the snapshot failed"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let busy = t.elapsed();
    tx.send(true)?;
    let (other, same) = (other.await??, same.await??);
    println!(
        "snapshot of {mb} MB and a cluster create took {:.2} s; describes meanwhile:",
        busy.as_secs_f64()
    );
    println!(
        "{} describes in the other account, {} in the busy one",
        other.len(),
        same.len()
    );
    stats("other account", other);
    stats("same account", same);
    for id in ["big", "new"] {
        call_as(
            &client,
            &url,
            BUSY,
            format!("Action=DeleteCacheCluster&Version=2015-02-02&CacheClusterId={id}"),
        )
        .await?;
    }
    call_as(
        &client,
        &url,
        OTHER,
        "Action=DeleteCacheCluster&Version=2015-02-02&CacheClusterId=calm".into(),
    )
    .await?;
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the emulator thread panicked"))??;
    Ok(())
}
