//! The default backend: every node its own engine process on its own loopback address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use super::{CacheBackend, EngineKind, NodeSpec, RunningNode, RuntimeError};
use crate::config::{Config, PublishedNodes};
use crate::elasticache::engine;
use crate::elasticache::tls::Ca;
use crate::supervisor::{Probe, ProcessSpec, Supervisor};

pub struct ProcessBackend {
    supervisor: Supervisor,
    redis: PathBuf,
    valkey: Option<PathBuf>,
    memcached: PathBuf,
    tls_dir: PathBuf,
    keep_ca: bool,
    ca: OnceLock<Result<Ca, String>>,
    /// `--node-ports` / `--advertise-host`: ports of a range instead of loopback addresses.
    published: Option<PublishedNodes>,
}

/// Loopback addresses nodes take: 127.100.0.1 .. 127.254.255.254 (`allocate`).
const SPAN: u32 = 155 * 256 * 254;

/// Next loopback address to try, shared by every backend of the process (tests run several
/// emulators at once). Starts at a random point of the span: emulators in other processes
/// then walk far-apart stretches of it, so one rarely takes an address another's stopped
/// node will want back at its restart (starts derived from the pid were 256 apart, all
/// within the first 262,144 addresses).
fn next_ip() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        rand::random::<u32>() % SPAN,
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
            published: config.published.clone(),
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
        if let Some(p) = &self.published {
            return super::published::allocate(p, preferred);
        }
        if let Some(addr) = preferred.filter(|a| TcpListener::bind(a).is_ok()) {
            return Ok(addr);
        }
        // Far from 127.0.0.1 where other services live. The counter never hands out the same
        // address twice, so nodes started a moment apart cannot collide before they bind.
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

/// How a node runs: its engine command line and where it answers. The container backend
/// runs the same command line inside a container.
pub(super) struct Plan {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub addr: SocketAddr,
    pub probe: Probe,
    /// The control socket, already registered with the engine module.
    pub control: Option<PathBuf>,
}

impl Plan {
    /// Undoes the control socket registration of a node that did not start.
    pub fn abandon(&mut self) {
        if let Some(sock) = self.control.take() {
            engine::forget_control_socket(self.addr);
            let _ = std::fs::remove_file(sock);
        }
    }
}

impl CacheBackend for ProcessBackend {
    fn name(&self) -> &'static str {
        "process"
    }

    fn ca_pem(&self) -> Result<String, RuntimeError> {
        Ok(self.ca()?.pem.clone())
    }

    fn reserve(&self, spec: &NodeSpec) -> Result<SocketAddr, RuntimeError> {
        self.allocate(spec.port, spec.preferred)
    }

    fn address_free(&self, addr: SocketAddr) -> bool {
        match &self.published {
            Some(p) => super::published::free(p, addr.port()),
            None => TcpListener::bind(addr).is_ok(),
        }
    }

    fn start(&self, spec: &NodeSpec) -> Result<RunningNode, RuntimeError> {
        let mut plan = self.plan(spec)?;
        let mut proc_spec = ProcessSpec::new(&spec.label, &plan.program).args(plan.args.clone());
        if spec.engine != EngineKind::Memcached {
            proc_spec = proc_spec.cwd(&spec.data_dir);
        }
        let handle = match self.supervisor.spawn(&proc_spec) {
            Ok(h) => h,
            Err(e) => {
                plan.abandon();
                return Err(e.into());
            }
        };
        Ok(RunningNode {
            addr: plan.addr,
            probe: plan.probe,
            data_dir: spec.data_dir.clone(),
            control: plan.control,
            keep_data: false,
            _handle: Some(handle),
            container: None,
            _lease: self.lease(plan.addr),
        })
    }
}

impl ProcessBackend {
    /// Prepares a node's data dir (a snapshot to restore, TLS files) and its command line.
    pub(super) fn plan(&self, spec: &NodeSpec) -> Result<Plan, RuntimeError> {
        std::fs::create_dir_all(&spec.data_dir)?;
        if let Some(seed) = &spec.seed_rdb {
            // redis-server loads dump.rdb from its --dir when it starts.
            std::fs::copy(seed, spec.data_dir.join("dump.rdb"))?;
        }
        let addr = self.allocate(spec.port, spec.preferred)?;
        if spec.engine == EngineKind::Memcached {
            return Ok(Plan {
                program: self.memcached.clone(),
                args: memcached_args(spec, addr, self.bind_ip(addr)),
                addr,
                probe: Probe::MemcachedVersion(addr),
                control: None,
            });
        }
        let program = match (spec.engine, &self.valkey) {
            (EngineKind::Valkey, Some(v)) => v.clone(),
            _ => self.redis.clone(),
        };
        let mut args = redis_args(spec, self.bind_ip(addr));
        let (probe, control) = if spec.tls {
            let (tls, sock) = self.tls_args(spec, addr)?;
            args.extend(tls);
            (Probe::Tcp(addr), Some(sock))
        } else {
            args.extend(["--port".into(), addr.port().to_string()]);
            (Probe::RedisPing(addr), None)
        };
        args.extend(cluster_args(spec, addr, self.published.as_ref()));
        // Cluster nodes refuse `replicaof`; they replicate through CLUSTER REPLICATE.
        if let Some(primary) = spec.replica_of.filter(|_| !spec.cluster) {
            args.extend([
                "--replicaof".into(),
                primary.ip().to_string(),
                primary.port().to_string(),
            ]);
        }
        Ok(Plan {
            program,
            args,
            addr,
            probe,
            control,
        })
    }

    /// A started node's hold on its published port.
    pub(super) fn lease(&self, addr: SocketAddr) -> Option<super::published::Lease> {
        self.published
            .as_ref()
            .map(|_| super::published::lease(addr))
    }

    /// The address a node listens on: its own, or `--bind` for published nodes.
    fn bind_ip(&self, addr: SocketAddr) -> IpAddr {
        self.published.as_ref().map_or(addr.ip(), |p| p.bind)
    }

    /// The name clients reach published nodes at (their certificates carry it).
    fn advertised_host(&self) -> Option<&str> {
        self.published.as_ref().map(|p| p.host.as_str())
    }

    /// A TLS-only node: its certificate from our CA, and a unix socket for our own commands.
    fn tls_args(
        &self,
        spec: &NodeSpec,
        addr: SocketAddr,
    ) -> Result<(Vec<String>, PathBuf), RuntimeError> {
        let files = self
            .ca()?
            .issue(
                addr.ip(),
                self.advertised_host(),
                &spec.data_dir.join("tls"),
            )
            .map_err(|e| RuntimeError::Tls(e.to_string()))?;
        // A short path: unix socket paths are limited to ~100 bytes.
        let sock = control_socket_path()?;
        let args = vec![
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
        ];
        engine::register_control_socket(addr, sock.clone());
        Ok((args, sock))
    }
}

fn memcached_args(spec: &NodeSpec, addr: SocketAddr, bind: IpAddr) -> Vec<String> {
    let mut args = vec![
        "-p".to_string(),
        addr.port().to_string(),
        "-l".into(),
        bind.to_string(),
        "-U".into(),
        "0".into(),
        "-m".into(),
        "64".into(),
    ];
    args.extend(spec.extra_args.clone());
    // memcached refuses to run as root unless told which user to be.
    if unsafe { libc::geteuid() } == 0 {
        args.extend(["-u".to_string(), "root".to_string()]);
    }
    args
}

/// What every redis/valkey node runs with, before its port (plain or TLS).
fn redis_args(spec: &NodeSpec, bind: IpAddr) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--bind".into(),
        bind.to_string(),
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
    args
}

/// Nodes find each other at their own address (`cluster-announce-ip`); published nodes tell
/// clients the advertised host instead (CLUSTER SLOTS, MOVED), where the port is the same.
fn cluster_args(
    spec: &NodeSpec,
    addr: SocketAddr,
    published: Option<&PublishedNodes>,
) -> Vec<String> {
    if !spec.cluster {
        return vec![];
    }
    let mut args = vec![
        "--cluster-enabled".into(),
        "yes".into(),
        "--cluster-config-file".into(),
        "nodes.conf".into(),
        "--cluster-node-timeout".into(),
        "3000".into(),
        "--cluster-announce-ip".into(),
        addr.ip().to_string(),
    ];
    if let Some(p) = published {
        args.extend([
            "--cluster-announce-hostname".into(),
            p.host.clone(),
            "--cluster-preferred-endpoint-type".into(),
            "hostname".into(),
        ]);
    }
    if spec.tls {
        args.extend(["--tls-cluster".into(), "yes".into()]);
    }
    args
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
