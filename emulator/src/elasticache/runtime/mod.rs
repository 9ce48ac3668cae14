//! The runtime behind cache nodes: a `CacheBackend` starts one engine per node. The default
//! `ProcessBackend` (`process.rs`) runs each node as its own redis-server / valkey-server /
//! memcached on a loopback address, through the supervisor (so nodes die with the emulator).

mod container;
mod images;
mod process;
mod published;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use super::engine;
use crate::supervisor::{Managed, Probe, SupervisorError};

pub use container::ContainerBackend;
pub use images::{ImageOverride, ImageTable};
pub use process::ProcessBackend;

/// The node backend the configuration asks for.
pub fn backend_for(
    config: &crate::config::Config,
    supervisor: crate::supervisor::Supervisor,
) -> std::sync::Arc<dyn CacheBackend> {
    use crate::config::CacheBackendKind;
    match config.cache_backend {
        CacheBackendKind::Process => std::sync::Arc::new(ProcessBackend::new(config, supervisor)),
        CacheBackendKind::Docker | CacheBackendKind::Podman => {
            std::sync::Arc::new(ContainerBackend::new(config, supervisor))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Redis,
    Valkey,
    Memcached,
}

impl EngineKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "redis" => Some(Self::Redis),
            "valkey" => Some(Self::Valkey),
            "memcached" => Some(Self::Memcached),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Valkey => "valkey",
            Self::Memcached => "memcached",
        }
    }
    pub fn default_port(self) -> u16 {
        match self {
            Self::Memcached => 11211,
            _ => 6379,
        }
    }
}

/// What one node should run.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// Unique label (account/region/cluster/node), names the log file.
    pub label: String,
    pub engine: EngineKind,
    /// The engine version the API reports (picks the container image); None: the newest.
    pub engine_version: Option<String>,
    /// The port clients expect (AWS's default or the requested one).
    pub port: u16,
    pub data_dir: PathBuf,
    /// `requirepass` for redis/valkey.
    pub auth_token: Option<String>,
    /// Primary to replicate from (redis/valkey).
    pub replica_of: Option<SocketAddr>,
    /// An RDB file (a snapshot) to load at start-up.
    pub seed_rdb: Option<PathBuf>,
    /// In-transit encryption: the node speaks TLS only (redis/valkey).
    pub tls: bool,
    /// Cluster mode: a Redis Cluster node (joined by `cluster::form` / `cluster::join`).
    pub cluster: bool,
    /// Engine start-up flags from the parameter group (memcached has no CONFIG SET).
    pub extra_args: Vec<String>,
    /// The address to take again if it is free (a node restarted after an emulator restart).
    pub preferred: Option<SocketAddr>,
    /// `--state-dir`: redis/valkey keep an append-only file (fsync every second), so a killed
    /// emulator loses at most about a second of writes.
    pub persistent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("no free loopback address for port {0}")]
    NoAddress(u16),
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
    #[error("node data dir: {0}")]
    Io(#[from] std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("container: {0}")]
    Container(String),
    /// Every port of `--node-ports` is taken.
    #[error("every node port of {0} is in use")]
    PortsExhausted(crate::config::NodePorts),
}

/// A started node: its address and whatever keeps it alive (dropping it stops the node).
pub struct RunningNode {
    pub addr: SocketAddr,
    pub probe: Probe,
    pub data_dir: PathBuf,
    /// Unix socket the emulator controls a TLS-only node through.
    pub(super) control: Option<PathBuf>,
    /// Keep `data_dir` when the node stops (emulator shutdown with a state dir).
    pub(super) keep_data: bool,
    pub(super) _handle: Option<Managed>,
    /// The container a container-backend node runs in; dropping it removes the container.
    pub(super) container: Option<Box<dyn NodeGuard>>,
    /// Its port of `--node-ports`, held until the node stops.
    _lease: Option<published::Lease>,
}

/// What keeps a node that is not a supervised child running (a container).
pub(super) trait NodeGuard: Send {
    fn is_alive(&self) -> bool;
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunningNode({})", self.addr)
    }
}

impl RunningNode {
    /// Whether the engine process is still running (it may crash or be killed).
    pub fn is_alive(&self) -> bool {
        self._handle.as_ref().is_some_and(Managed::is_alive)
            || self.container.as_ref().is_some_and(|c| c.is_alive())
    }

    /// Stops the process but leaves its data dir for the next emulator (shutdown with a
    /// state dir). Every other stop (delete, reset, replacement) removes the data.
    pub fn stop_keeping_data(mut self) {
        self.keep_data = true;
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        // Stop the process before its data goes.
        self._handle.take();
        self.container.take();
        if let Some(sock) = self.control.take() {
            engine::forget_control_socket(self.addr);
            let _ = std::fs::remove_file(sock);
        }
        if !self.keep_data {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// Where cache nodes run. `process` is the default; containers or pods fit the same shape.
pub trait CacheBackend: Send + Sync {
    fn name(&self) -> &'static str;
    /// The address a node of `spec` will listen on (its `preferred` one when free), chosen
    /// before it starts so the state names it at once; `start` is then given it as
    /// `preferred`.
    fn reserve(&self, spec: &NodeSpec) -> Result<SocketAddr, RuntimeError>;
    /// Whether a node could take `addr` now (nothing else listens there).
    fn address_free(&self, addr: SocketAddr) -> bool {
        std::net::TcpListener::bind(addr).is_ok()
    }
    /// Starts the node; called with no lock held, possibly for several nodes at once.
    fn start(&self, spec: &NodeSpec) -> Result<RunningNode, RuntimeError>;
    /// PEM of the CA that signs TLS nodes' certificates.
    fn ca_pem(&self) -> Result<String, RuntimeError>;
}

/// Runs `stop` on every item from a few threads at once. Each node stop waits for its process
/// to exit (or its grace period), so stopping many nodes one after another adds up to seconds.
pub fn stop_in_parallel<T: Send>(items: Vec<T>, stop: impl Fn(T) + Sync) {
    const WORKERS: usize = 32;
    let workers = items.len().min(WORKERS);
    if workers <= 1 {
        items.into_iter().for_each(stop);
        return;
    }
    let queue = Mutex::new(items);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop();
                match next {
                    Some(item) => stop(item),
                    None => break,
                }
            });
        }
    });
}

/// CONFIG SET pairs that turn on the append-only file of a persistent redis/valkey node.
pub fn aof_config() -> Vec<(String, String)> {
    vec![
        ("appendfsync".to_string(), "everysec".to_string()),
        ("appendonly".to_string(), "yes".to_string()),
    ]
}

/// memcached command-line flags for ElastiCache memcached parameters (unknown ones: none).
pub fn memcached_flags(params: &[(String, String)]) -> Vec<String> {
    let mut out = vec![];
    for (k, v) in params {
        let flag: &[&str] = match (k.as_str(), v.as_str()) {
            ("max_item_size", _) => &["-I"],
            ("chunk_size", _) => &["-n"],
            ("chunk_size_growth_factor", _) => &["-f"],
            ("binding_protocol", _) => &["-B"],
            ("cas_disabled", "1") => &["-C"],
            ("error_on_memory_exhausted", "1") => &["-M"],
            _ => &[],
        };
        match flag {
            ["-C"] | ["-M"] => out.push(flag[0].to_string()),
            [f] => out.extend([f.to_string(), v.clone()]),
            _ => {}
        }
    }
    out
}
