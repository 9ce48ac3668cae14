//! `emulator --port N`: serve ElastiCache and DynamoDB on 127.0.0.1:N (`--bind` for more).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use emulator::gateway::AppState;
use emulator::Config;

#[derive(Parser, Debug)]
#[command(
    name = "emulator",
    version,
    about = "Local AWS endpoint: ElastiCache on real redis-server/memcached, DynamoDB over DynamoDB Local"
)]
struct Args {
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = 4566, env = "AWSEMU_PORT")]
    port: u16,
    /// Address the API listener binds, and published cache nodes too (`--node-ports`);
    /// loopback by default (`--host` / `AWSEMU_HOST` are the older names).
    #[arg(long, alias = "host", env = "AWSEMU_BIND")]
    bind: Option<String>,
    /// Cache nodes listen on ports of this range (FIRST-LAST, default 4510-4559 when
    /// `--advertise-host` is given) on the `--bind` address, so they can be published.
    #[arg(long, env = "AWSEMU_NODE_PORTS", value_parser = emulator::config::NodePorts::parse)]
    node_ports: Option<emulator::config::NodePorts>,
    /// The host clients reach cache nodes at: every endpoint the API reports names it
    /// (default `localhost` when `--node-ports` is given).
    #[arg(long, env = "AWSEMU_ADVERTISE_HOST")]
    advertise_host: Option<String>,
    /// Keep state here so a restarted emulator comes back with its resources.
    #[arg(long, env = "AWSEMU_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Proxy DynamoDB to this endpoint instead of starting DynamoDB Local.
    #[arg(long, env = "AWSEMU_DYNAMODB_ENDPOINT")]
    dynamodb_endpoint: Option<String>,
    /// Directory holding DynamoDBLocal.jar (default: the cache scripts/setup fills).
    #[arg(long, env = "AWSEMU_DYNAMODB_LOCAL_DIR")]
    dynamodb_local_dir: Option<PathBuf>,
    /// Scratch directory for child logs and node data (default: a fresh temp dir, removed at exit).
    #[arg(long, env = "AWSEMU_RUNTIME_DIR")]
    runtime_dir: Option<PathBuf>,
    /// Run DynamoDB Local without the write log (a JVM crash then loses every table; by
    /// default every acknowledged write is logged and replayed into a restarted JVM).
    #[arg(long, env = "AWSEMU_DYNAMODB_IN_MEMORY")]
    dynamodb_in_memory: bool,
    /// Provisioned DynamoDB tables throttle beyond their read and write capacity units (with
    /// AWS's 300 s of burst capacity), answering ProvisionedThroughputExceededException.
    #[arg(long, env = "AWSEMU_ENFORCE_CAPACITY")]
    enforce_capacity: bool,
    /// ElastiCache cache nodes allowed per account and region (AWS's default quota).
    #[arg(long, default_value_t = emulator::config::DEFAULT_MAX_CACHE_NODES, env = "AWSEMU_MAX_CACHE_NODES")]
    max_cache_nodes: usize,
    /// Where ElastiCache nodes run: `process` (the installed redis-server / valkey-server /
    /// memcached), or one `docker` / `podman` container per node.
    #[arg(long, default_value = "process", env = "AWSEMU_CACHE_BACKEND", value_parser = parse_backend)]
    cache_backend: emulator::config::CacheBackendKind,
    /// Container image for an engine or one engine version, `ENGINE[:VERSION]=IMAGE`
    /// (repeatable; e.g. `redis:6.2=redis:6.2-alpine`, `memcached=localhost/awsemu-memcached:1.6`).
    #[arg(long = "cache-image", env = "AWSEMU_CACHE_IMAGES", value_delimiter = ',', value_parser = parse_image)]
    cache_images: Vec<emulator::elasticache::runtime::ImageOverride>,
    /// Seed for the values AWS chooses at random (ElastiCache's default maintenance and
    /// snapshot windows): the same seed gives the same windows for the same resources.
    #[arg(long, env = "AWSEMU_SEED")]
    seed: Option<u64>,
}

fn parse_backend(s: &str) -> Result<emulator::config::CacheBackendKind, String> {
    emulator::config::CacheBackendKind::parse(s)
        .ok_or_else(|| format!("{s:?}: expected process, docker or podman"))
}

fn parse_image(s: &str) -> Result<emulator::elasticache::runtime::ImageOverride, String> {
    emulator::elasticache::runtime::ImageOverride::parse(s).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AWSEMU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let (runtime_dir, _tmp) = match &args.runtime_dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            (d.clone(), None)
        }
        None => {
            let t = tempfile_dir()?;
            (t.clone(), Some(RemoveOnDrop(t)))
        }
    };
    let mut config = Config::from_env(runtime_dir);
    config.state_dir = args.state_dir.clone();
    config.dynamodb_in_memory |= args.dynamodb_in_memory;
    config.enforce_capacity |= args.enforce_capacity;
    config.max_cache_nodes = args.max_cache_nodes;
    config.seed = args.seed;
    config.cache_backend = args.cache_backend;
    config.cache_images = args.cache_images.clone();
    if args.dynamodb_endpoint.is_some() {
        config.dynamodb_endpoint = args.dynamodb_endpoint.clone();
    }
    if let Some(d) = &args.dynamodb_local_dir {
        config.dynamodb_local_dir = d.clone();
    }
    let bind = args
        .bind
        .clone()
        .or_else(|| std::env::var("AWSEMU_HOST").ok())
        .unwrap_or_else(|| "127.0.0.1".into());
    // Either option turns published nodes on; without them nodes keep their own loopback
    // addresses (hundreds of nodes, each on the engine's usual port).
    if args.node_ports.is_some() || args.advertise_host.is_some() {
        let published = emulator::config::PublishedNodes {
            ports: args
                .node_ports
                .unwrap_or(emulator::config::DEFAULT_NODE_PORTS),
            bind: resolve(&bind)?,
            host: args
                .advertise_host
                .clone()
                .unwrap_or_else(|| emulator::config::DEFAULT_ADVERTISE_HOST.into()),
        };
        if published.ports.len() < config.max_cache_nodes {
            tracing::info!(
                "node ports {} hold {} nodes: the node quota is {} per account and region",
                published.ports,
                published.ports.len(),
                published.ports.len()
            );
        }
        config.published = Some(published);
    }
    let listener = tokio::net::TcpListener::bind((bind.as_str(), args.port))
        .await
        .with_context(|| format!("binding {bind}:{}", args.port))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(config)?;
    // DynamoDB Local's JVM starts now, beside the listener, not on the first request.
    state.dynamodb.prestart();
    println!("emulator listening on http://{addr}");
    emulator::run(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// The IP address `--bind` names (nodes bind an address, not a name).
fn resolve(bind: &str) -> anyhow::Result<std::net::IpAddr> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = bind.parse() {
        return Ok(ip);
    }
    (bind, 0)
        .to_socket_addrs()
        .with_context(|| format!("resolving --bind {bind}"))?
        .map(|a| a.ip())
        .find(std::net::IpAddr::is_ipv4)
        .with_context(|| format!("--bind {bind} has no IPv4 address"))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}

/// Prefix of default runtime dirs: `awsemu-<pid>` in the temp dir.
const RUNTIME_PREFIX: &str = "awsemu-";

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    emulator::supervisor::remove_dead_runtime_dirs(&std::env::temp_dir(), RUNTIME_PREFIX);
    // DynamoDB Local's tmpfs databases of killed emulators, named the same way.
    emulator::supervisor::remove_dead_runtime_dirs(
        std::path::Path::new(emulator::config::SHM_DIR),
        RUNTIME_PREFIX,
    );
    let dir = std::env::temp_dir().join(format!("{RUNTIME_PREFIX}{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
