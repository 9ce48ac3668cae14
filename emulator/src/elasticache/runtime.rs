//! The runtime behind cache nodes: a `CacheBackend` starts one engine per node. The default
//! `ProcessBackend` runs each node as its own redis-server / valkey-server / memcached on a
//! loopback address, through the supervisor (so nodes die with the emulator).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::tls::Ca;

use crate::config::Config;
use crate::supervisor::{Managed, Probe, ProcessSpec, Supervisor, SupervisorError};

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
}

/// A started node: its address and whatever keeps it alive (dropping it stops the node).
pub struct RunningNode {
    pub addr: SocketAddr,
    pub probe: Probe,
    pub data_dir: PathBuf,
    /// Unix socket the emulator controls a TLS-only node through.
    control: Option<PathBuf>,
    /// Keep `data_dir` when the node stops (emulator shutdown with a state dir).
    keep_data: bool,
    _handle: Option<Managed>,
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
        if let Some(sock) = self.control.take() {
            control_map().remove(&self.addr);
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
    fn start(&self, spec: &NodeSpec) -> Result<RunningNode, RuntimeError>;
    /// PEM of the CA that signs TLS nodes' certificates.
    fn ca_pem(&self) -> Result<String, RuntimeError>;
}

/// Control sockets of TLS-only nodes, by the node's reported address.
fn control_map() -> std::sync::MutexGuard<'static, HashMap<SocketAddr, PathBuf>> {
    static MAP: OnceLock<Mutex<HashMap<SocketAddr, PathBuf>>> = OnceLock::new();
    MAP.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

pub struct ProcessBackend {
    supervisor: Supervisor,
    redis: PathBuf,
    valkey: Option<PathBuf>,
    memcached: PathBuf,
    tls_dir: PathBuf,
    keep_ca: bool,
    ca: OnceLock<Result<Ca, String>>,
}

/// Next loopback address to try, shared by every backend of the process (tests run several
/// emulators at once). Starts at a pid-derived offset so emulators in different processes
/// rarely probe the same addresses at the same moment.
fn next_ip() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        (std::process::id() % 1024) * 256,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl ProcessBackend {
    pub fn new(config: &Config, supervisor: Supervisor) -> Self {
        Self {
            supervisor,
            redis: config.redis_server.clone(),
            valkey: config.valkey_server.clone(),
            memcached: config.memcached.clone(),
            // With a state dir the CA outlives the emulator, so clients keep trusting it.
            tls_dir: match &config.state_dir {
                Some(d) => d.join("elasticache-tls"),
                None => config.runtime_dir.join("tls"),
            },
            keep_ca: config.state_dir.is_some(),
            ca: OnceLock::new(),
        }
    }

    /// The CA, generated on first use.
    fn ca(&self) -> Result<&Ca, RuntimeError> {
        self.ca
            .get_or_init(|| {
                if self.keep_ca {
                    Ca::load_or_generate(&self.tls_dir)
                } else {
                    Ca::generate(&self.tls_dir)
                }
                .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| RuntimeError::Tls(e.clone()))
    }

    /// Each node gets its own loopback address so every node can listen on the port AWS
    /// would give it (6379 / 11211). Falls back to a free port on 127.0.0.1.
    fn allocate(
        &self,
        port: u16,
        preferred: Option<SocketAddr>,
    ) -> Result<SocketAddr, RuntimeError> {
        if let Some(addr) = preferred.filter(|a| TcpListener::bind(a).is_ok()) {
            return Ok(addr);
        }
        // 127.100.0.1 .. 127.254.255.254, far from 127.0.0.1 where other services live. The
        // counter never hands out the same address twice, so nodes started a moment apart
        // cannot collide before they bind.
        const SPAN: u32 = 155 * 256 * 254;
        for _ in 0..64 {
            let n = next_ip() % SPAN;
            let ip = Ipv4Addr::new(
                127,
                100 + (n / (256 * 254)) as u8,
                ((n / 254) % 256) as u8,
                (n % 254) as u8 + 1,
            );
            let addr = SocketAddr::from((ip, port));
            if TcpListener::bind(addr).is_ok() {
                return Ok(addr);
            }
        }
        let p = crate::supervisor::free_port()?;
        if p == 0 {
            return Err(RuntimeError::NoAddress(port));
        }
        Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, p)))
    }
}

impl CacheBackend for ProcessBackend {
    fn name(&self) -> &'static str {
        "process"
    }

    fn ca_pem(&self) -> Result<String, RuntimeError> {
        Ok(self.ca()?.pem.clone())
    }

    fn start(&self, spec: &NodeSpec) -> Result<RunningNode, RuntimeError> {
        std::fs::create_dir_all(&spec.data_dir)?;
        if let Some(seed) = &spec.seed_rdb {
            // redis-server loads dump.rdb from its --dir when it starts.
            std::fs::copy(seed, spec.data_dir.join("dump.rdb"))?;
        }
        let addr = self.allocate(spec.port, spec.preferred)?;
        let mut control = None;
        let (proc_spec, probe) = match spec.engine {
            EngineKind::Memcached => (
                ProcessSpec::new(&spec.label, &self.memcached)
                    .args([
                        "-p".to_string(),
                        addr.port().to_string(),
                        "-l".into(),
                        addr.ip().to_string(),
                        "-U".into(),
                        "0".into(),
                        "-m".into(),
                        "64".into(),
                    ])
                    .args(spec.extra_args.clone())
                    // memcached refuses to run as root unless told which user to be.
                    .args(if unsafe { libc::geteuid() } == 0 {
                        vec!["-u".to_string(), "root".to_string()]
                    } else {
                        vec![]
                    }),
                Probe::MemcachedVersion(addr),
            ),
            EngineKind::Redis | EngineKind::Valkey => {
                let program = match (spec.engine, &self.valkey) {
                    (EngineKind::Valkey, Some(v)) => v.clone(),
                    _ => self.redis.clone(),
                };
                let mut args: Vec<String> = vec![
                    "--bind".into(),
                    addr.ip().to_string(),
                    "--save".into(),
                    "".into(),
                    "--appendonly".into(),
                    // An engine with appendonly on loads only its AOF: a node without one
                    // yet (new, or seeded from a snapshot's dump.rdb) starts from dump.rdb
                    // and turns the AOF on once up (CONFIG SET, see `aof_config`).
                    if spec.persistent && spec.data_dir.join("appendonlydir").is_dir() {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                    "--appendfsync".into(),
                    "everysec".into(),
                    "--dir".into(),
                    spec.data_dir.display().to_string(),
                    "--daemonize".into(),
                    "no".into(),
                    "--protected-mode".into(),
                    "no".into(),
                    // Full syncs start at once (the default waits 5 s for more replicas), so a
                    // group reported available has replicas that hold the primary's data.
                    "--repl-diskless-sync-delay".into(),
                    "0".into(),
                ];
                if let Some(pass) = &spec.auth_token {
                    args.extend(["--requirepass".into(), pass.clone()]);
                    args.extend(["--masterauth".into(), pass.clone()]);
                }
                let probe = if spec.tls {
                    let files = self
                        .ca()?
                        .issue(addr.ip(), &spec.data_dir.join("tls"))
                        .map_err(|e| RuntimeError::Tls(e.to_string()))?;
                    // A short path: unix socket paths are limited to ~100 bytes.
                    let sock = control_socket_path()?;
                    args.extend([
                        "--port".into(),
                        "0".into(),
                        "--tls-port".into(),
                        addr.port().to_string(),
                        "--tls-cert-file".into(),
                        files.cert.display().to_string(),
                        "--tls-key-file".into(),
                        files.key.display().to_string(),
                        "--tls-ca-cert-file".into(),
                        files.ca.display().to_string(),
                        "--tls-auth-clients".into(),
                        "no".into(),
                        "--tls-replication".into(),
                        "yes".into(),
                        "--unixsocket".into(),
                        sock.display().to_string(),
                        "--unixsocketperm".into(),
                        "700".into(),
                    ]);
                    control_map().insert(addr, sock.clone());
                    control = Some(sock);
                    Probe::Tcp(addr)
                } else {
                    args.extend(["--port".into(), addr.port().to_string()]);
                    Probe::RedisPing(addr)
                };
                if spec.cluster {
                    args.extend([
                        "--cluster-enabled".into(),
                        "yes".into(),
                        "--cluster-config-file".into(),
                        "nodes.conf".into(),
                        "--cluster-node-timeout".into(),
                        "3000".into(),
                        "--cluster-announce-ip".into(),
                        addr.ip().to_string(),
                    ]);
                    if spec.tls {
                        args.extend(["--tls-cluster".into(), "yes".into()]);
                    }
                }
                // Cluster nodes refuse `replicaof`; they replicate through CLUSTER REPLICATE.
                if let Some(primary) = spec.replica_of.filter(|_| !spec.cluster) {
                    args.extend([
                        "--replicaof".into(),
                        primary.ip().to_string(),
                        primary.port().to_string(),
                    ]);
                }
                (
                    ProcessSpec::new(&spec.label, program)
                        .args(args)
                        .cwd(&spec.data_dir),
                    probe,
                )
            }
        };
        let handle = match self.supervisor.spawn(&proc_spec) {
            Ok(h) => h,
            Err(e) => {
                if let Some(sock) = control {
                    control_map().remove(&addr);
                    let _ = std::fs::remove_file(sock);
                }
                return Err(e.into());
            }
        };
        Ok(RunningNode {
            addr,
            probe,
            data_dir: spec.data_dir.clone(),
            control,
            keep_data: false,
            _handle: Some(handle),
        })
    }
}

/// A fresh unix socket path for a node's control connection.
fn control_socket_path() -> Result<PathBuf, RuntimeError> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join("awsemu-ctl");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(format!(
        "{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )))
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

/// A redis crate connection to a node (over its control socket when it speaks TLS only).
pub fn redis_connection(
    addr: SocketAddr,
    auth: Option<&str>,
) -> redis::RedisResult<redis::Connection> {
    connect(addr, auth, Duration::from_secs(2))
}

/// A redis crate connection whose connect, reads and writes give up after `timeout`. The
/// crate sends AUTH as a RESP array, so a token may hold any character AWS allows.
fn connect(
    addr: SocketAddr,
    auth: Option<&str>,
    timeout: Duration,
) -> redis::RedisResult<redis::Connection> {
    let target = match control_map().get(&addr).cloned() {
        Some(path) => redis::ConnectionAddr::Unix(path),
        None => redis::ConnectionAddr::Tcp(addr.ip().to_string(), addr.port()),
    };
    let info = redis::ConnectionInfo {
        addr: target,
        redis: redis::RedisConnectionInfo {
            password: auth.map(str::to_owned),
            ..Default::default()
        },
    };
    let c = redis::Client::open(info)?.get_connection_with_timeout(timeout)?;
    c.set_read_timeout(Some(timeout))?;
    c.set_write_timeout(Some(timeout))?;
    Ok(c)
}

/// A connection for one control command. A token the node refuses (it has none, or a change
/// of token is under way) is tried again without one: the command then runs as an
/// unauthenticated client would, which is what a node without a password allows.
fn control(addr: SocketAddr, auth: Option<&str>, timeout: Duration) -> Option<redis::Connection> {
    match connect(addr, auth, timeout) {
        Ok(c) => Some(c),
        Err(e) if auth.is_some() && !e.is_io_error() => connect(addr, None, timeout).ok(),
        Err(_) => None,
    }
}

/// Polls `probe` until it answers or `timeout` passes.
pub async fn wait_ready(probe: &Probe, timeout: Duration) -> bool {
    let start = Instant::now();
    let mut delay = Duration::from_millis(1);
    loop {
        if probe.check().await {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(25));
    }
}

/// `used_memory` of a redis node (INFO memory), with a short timeout; None if unreachable.
pub fn used_memory(addr: SocketAddr, auth: Option<&str>) -> Option<u64> {
    info_field(addr, auth, "memory", "used_memory")
}

/// One numeric field of a redis node's INFO section, with a short timeout.
pub fn info_field(addr: SocketAddr, auth: Option<&str>, section: &str, field: &str) -> Option<u64> {
    let mut c = control(addr, auth, Duration::from_millis(200))?;
    let info: String = redis::cmd("INFO").arg(section).query(&mut c).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}

/// Runs SAVE on a redis node so that `<data dir>/dump.rdb` holds its current dataset.
pub fn save_rdb(addr: SocketAddr, auth: Option<&str>) -> bool {
    control(addr, auth, Duration::from_secs(10))
        .is_some_and(|mut c| redis::cmd("SAVE").query::<()>(&mut c).is_ok())
}

/// Sends `CONFIG SET name value` for each pair. Parameters the engine does not know
/// (ElastiCache-only ones such as reserved-memory-percent) are answered with an error and
/// skipped. Returns how many were applied, or None if the node could not be reached.
pub fn config_set(
    addr: SocketAddr,
    auth: Option<&str>,
    pairs: &[(String, String)],
) -> Option<usize> {
    let mut c = control(addr, auth, Duration::from_secs(2))?;
    let mut applied = 0;
    for (k, v) in pairs {
        match redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query::<()>(&mut c)
        {
            Ok(()) => applied += 1,
            Err(e) if e.is_io_error() => return None,
            Err(_) => {}
        }
    }
    Some(applied)
}

/// Sends one command; whether the node accepted it.
pub fn command(addr: SocketAddr, auth: Option<&str>, args: &[&str]) -> bool {
    let Some((name, rest)) = args.split_first() else {
        return false;
    };
    control(addr, auth, Duration::from_secs(2)).is_some_and(|mut c| {
        redis::cmd(name)
            .arg(rest)
            .query::<redis::Value>(&mut c)
            .is_ok()
    })
}
