//! What a request (or the monitor) decided must happen on nodes. Handlers only record
//! effects while they hold the region's lock; `jobs` runs them once it is released.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::elasticache::runtime::NodeSpec;

/// A node to start. Its address was reserved when the handler ran (so the state and the
/// response already name it); the process starts after the lock is released.
#[derive(Debug)]
pub struct Launch {
    pub spec: NodeSpec,
    /// A cache cluster id, or a serverless cache name when `serverless`.
    pub owner: String,
    pub serverless: bool,
    /// The start serial of the node record this process belongs to.
    pub serial: u64,
    /// Engine parameters to apply (CONFIG SET) once the node answers.
    pub config: Vec<(String, String)>,
    /// ACL SETUSER commands for the node's replication group users.
    pub acl: Vec<Vec<String>>,
    /// Started again after an emulator restart (rejoins a cluster through its nodes.conf).
    pub restored: bool,
}

/// One node to capture into a snapshot.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The node group id (names the RDB file) and index of the node snapshot it fills.
    pub group: String,
    pub index: usize,
    pub addr: Option<SocketAddr>,
    pub auth: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// One node group as the engine should see it (cluster mode).
#[derive(Debug, Clone)]
pub struct Shard {
    pub primary: SocketAddr,
    pub replicas: Vec<SocketAddr>,
    pub slots: Vec<(u16, u16)>,
}

/// Replication after a failover: `primary` takes over, `followers` replicate from it.
#[derive(Debug)]
pub struct Promotion {
    pub cluster_mode: bool,
    pub primary: SocketAddr,
    pub auth: Option<String>,
    pub followers: Vec<(SocketAddr, Option<String>)>,
    /// Cluster mode: whether the old primary's group still has every replica alive (a
    /// coordinated failover is possible; otherwise a takeover).
    pub others_alive: bool,
    /// The old primary when its node still runs (a planned switch: TestFailover, a new
    /// PrimaryClusterId): the new primary catches up with it before it takes over.
    pub previous: Option<(SocketAddr, Option<String>)>,
}

#[derive(Debug)]
pub enum Effect {
    Start(Box<Launch>),
    /// Commands sent to one node in order (CONFIG SET, ACL SETUSER/DELUSER, ...); a command
    /// the engine refuses is skipped, as an unknown parameter is.
    Commands {
        addr: SocketAddr,
        auth: Option<String>,
        commands: Vec<Vec<String>>,
    },
    /// SAVE on each node, its dump.rdb copied into `dir`; the snapshot becomes available
    /// (or failed) and its node snapshots get their sizes.
    Snapshot {
        name: String,
        dir: PathBuf,
        captures: Vec<Capture>,
    },
    Promote(Promotion),
    Migration(MigrationJob),
}

/// The customer's Redis endpoint a migration replicates from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Source {
    pub host: String,
    pub port: u16,
}

/// What an online migration changes: a replication group or a serverless cache (with the
/// start serial of its node, so a cache created again is not touched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationTarget {
    Group(String),
    Serverless { name: String, serial: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationStep {
    /// PING the source from the emulator; nothing on the target changes.
    Test,
    /// REPLICAOF the source on the target node; `clear` flushes the target first, while
    /// `require_empty` fails the sync if the target holds data.
    Sync { clear: bool, require_empty: bool },
    /// Promote the target node (REPLICAOF NO ONE), unless it is not in sync and not `force`d.
    CutOver { force: bool },
    /// REPLICAOF NO ONE: the data sync stops, the data stays.
    Stop,
}

/// One step of an online migration; its outcome is recorded back by `domain::migration`.
#[derive(Debug, Clone)]
pub struct MigrationJob {
    pub target: MigrationTarget,
    pub source: Source,
    /// The node that receives the data, with its token (None for a plain test).
    pub node: Option<(SocketAddr, Option<String>)>,
    pub step: MigrationStep,
}

/// `CONFIG SET name value` for each pair, as commands.
pub fn config_set(pairs: &[(String, String)]) -> Vec<Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| vec!["CONFIG".into(), "SET".into(), k.clone(), v.clone()])
        .collect()
}
