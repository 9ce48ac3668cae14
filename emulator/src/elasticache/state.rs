//! Resource state of one (account, region): cache clusters with their running nodes,
//! replication groups, and every other resource as a typed record (`state/`), with status
//! enums of AWS's exact strings. Everything but the processes is serde, so `persist` can
//! save it under `--state-dir`; the records keep the API's member names, the format the
//! untyped version saved.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::elasticache::effects::{Effect, Launch, Source};

mod cache_cluster;
mod global_datastore;
mod groups;
mod parts;
mod replication_group;
mod reserved_node;
mod serverless;
mod snapshot;
mod users;

use crate::elasticache::runtime::{CacheBackend, EngineKind, RunningNode};
use crate::supervisor::Probe;
pub use cache_cluster::{
    ApplyStatus, CacheClusterRecord, ClusterStatus, NodeStatus, Notification, ParameterGroupStatus,
    SecurityGroupMembership,
};
pub use global_datastore::{
    GlobalDatastoreRecord, GlobalMember, GlobalNodeGroup, GlobalRole, GlobalStatus, MemberStatus,
};
pub use groups::{
    AvailabilityZone, Ec2Grant, ParamGroupRecord, SecurityGroupRecord, Subnet, SubnetGroupRecord,
};
pub use parts::{Endpoint, Event, LogDelivery, Switch, Tag};
pub use replication_group::{GroupStatus, ReplicationGroupRecord};
pub use reserved_node::{RecurringCharge, ReservedNodeRecord, ReservedState};
pub use serverless::{
    CutoverMode, MigrationStatus, MigrationSummary, ServerlessCacheConfiguration, ServerlessRecord,
    ServerlessSnapshotRecord, ServerlessSnapshotStatus, ServerlessStatus,
};
pub use snapshot::{NodeSnapshot, SnapshotRecord, SnapshotStatus};
pub use users::{Authentication, AuthenticationType, UserGroupRecord, UserRecord, UserStatus};

/// A cache node. `run` holds the process; dropping it stops the node.
#[derive(Debug, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    pub serial: u64,
    pub status: NodeStatus,
    pub created: String,
    pub addr: Option<SocketAddr>,
    /// The node's availability zone, when it is not the cluster's (cross-az Memcached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[serde(skip)]
    pub run: Option<RunningNode>,
    /// What to report once this process answers: a reboot or a replacement after failover.
    #[serde(skip)]
    pub on_ready: Option<NodeComeback>,
}

/// Why a node's new process was started, for the event AWS files when it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeComeback {
    /// RebootCacheCluster: "Cache node NNNN restarted".
    Rebooted,
    /// The failed primary replaced by a fresh replica: "Finished recovery for cache nodes NNNN".
    Replaced,
    /// A node ModifyCacheCluster added to a cluster of `from` nodes: "Added cache node NNNN in
    /// availability zone X", and once every node answers "Finished modifying number of nodes
    /// from N to M" (AWS's texts as its "Viewing ElastiCache events" page shows them).
    Added { from: usize },
}

impl NodeComeback {
    /// AWS's texts, from recorded DescribeEvents logs of a reboot / engine patch and of a
    /// TestFailover (whose API reference lists "Finished recovery for cache nodes <node-id>").
    pub fn message(self, node_id: &str, az: &str) -> String {
        match self {
            Self::Rebooted => format!("Cache node {node_id} restarted"),
            Self::Replaced => format!("Finished recovery for cache nodes {node_id}"),
            Self::Added { .. } => format!("Added cache node {node_id} in availability zone {az}"),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Cluster {
    /// Saved as `doc`: the name of the untyped document it replaced.
    #[serde(rename = "doc")]
    pub rec: CacheClusterRecord,
    pub engine: EngineKind,
    pub port: u16,
    pub auth_token: Option<String>,
    pub nodes: Vec<Node>,
}

impl Cluster {
    pub fn all_nodes_available(&self) -> bool {
        self.nodes.iter().all(|n| n.status == NodeStatus::Available)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeGroup {
    pub id: String,
    pub slots: Option<String>,
    /// Member cache cluster ids; the first is the primary.
    pub members: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReplGroup {
    /// Saved as `doc`: the name of the untyped document it replaced.
    #[serde(rename = "doc")]
    pub rec: ReplicationGroupRecord,
    pub cluster_mode: bool,
    pub groups: Vec<NodeGroup>,
    /// Cluster mode: the engine cluster is not formed yet (the group stays `creating`).
    pub forming: bool,
    /// Cluster formation has been started in the background.
    pub form_started: bool,
    /// Cluster mode: slots still to move to the layout of `groups` (ModifyReplicationGroupShardConfiguration).
    /// Not saved: a migration cut short by a stop is not resumed (its leaving nodes are gone).
    #[serde(skip)]
    pub reshard: Option<Reshard>,
    /// Cluster mode, after an emulator restart: the restarted nodes are not yet known to form
    /// the whole cluster again (the group stays `modifying` until they do).
    #[serde(skip)]
    pub rejoining: bool,
    /// An IncreaseReplicaCount is under way: its completion is filed when the group is
    /// available again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adding_replicas: bool,
}

/// A pending slot migration; the nodes of removed shards run until their slots moved.
#[derive(Debug, Default)]
pub struct Reshard {
    pub retiring: Vec<RunningNode>,
    pub started: bool,
    /// Node groups added by a scale-out (named in its events).
    pub added: Vec<String>,
    /// Slots to move: (from node group, to node group, how many).
    pub moves: Vec<(String, String, usize)>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ParamGroup {
    /// Saved as `doc`: the name of the untyped document it replaced.
    #[serde(rename = "doc")]
    pub rec: ParamGroupRecord,
    /// Values set by the user; everything else is the family default.
    pub values: BTreeMap<String, String>,
}

/// Something started whose readiness is awaited in the background.
#[derive(Debug)]
pub struct Pending {
    /// A cache cluster id, or a serverless cache name when `serverless`.
    pub cluster_id: String,
    pub serverless: bool,
    pub serial: u64,
    pub probe: Probe,
    /// Engine parameters to apply (CONFIG SET) once the node answers.
    pub config: Vec<(String, String)>,
    /// ACL SETUSER commands for the node's replication group users.
    pub acl: Vec<Vec<String>>,
    pub addr: SocketAddr,
    pub auth: Option<String>,
    /// A node restarted from its data dir after an emulator restart: a cluster-mode node
    /// rejoins through its nodes.conf, not through a fresh MEET.
    pub restored: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupMigration {
    pub source: Source,
    /// A CompleteMigration's cutover is running (a second one adds nothing).
    pub completing: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerlessMigration {
    pub source: Source,
    /// The start serial of the cache's node when the migration was prepared.
    pub serial: u64,
    pub status: MigrationStatus,
    pub cutover_mode: CutoverMode,
    /// The data sync was stopped: the target holds partial data, so a restart must clear it.
    pub stopped: bool,
    /// An automatic cutover's check is running (the monitor does not start another).
    pub checking: bool,
    pub secret_arn: Option<String>,
    /// Recorded by this emulator process: false for a record loaded after a restart, whose
    /// node came back on its own (not replicating) and whose pending step was lost.
    #[serde(skip)]
    pub live: bool,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Region {
    pub clusters: BTreeMap<String, Cluster>,
    pub repl_groups: BTreeMap<String, ReplGroup>,
    pub param_groups: BTreeMap<String, ParamGroup>,
    pub subnet_groups: BTreeMap<String, SubnetGroupRecord>,
    pub security_groups: BTreeMap<String, SecurityGroupRecord>,
    pub users: BTreeMap<String, UserRecord>,
    /// Passwords of each user (the API never returns them; the engines need them).
    pub user_passwords: BTreeMap<String, Vec<String>>,
    pub user_groups: BTreeMap<String, UserGroupRecord>,
    pub snapshots: BTreeMap<String, SnapshotRecord>,
    pub serverless: BTreeMap<String, ServerlessRecord>,
    /// The node behind each serverless cache, with its start serial (saved apart by
    /// `persist`); the process is None until it has started.
    #[serde(skip)]
    pub serverless_nodes: BTreeMap<String, (u64, Option<RunningNode>)>,
    pub serverless_snapshots: BTreeMap<String, ServerlessSnapshotRecord>,
    pub reserved: BTreeMap<String, ReservedNodeRecord>,
    /// (service update name, "rg:<id>" or "cc:<id>") -> (update action status, when set).
    #[serde(with = "pairs")]
    pub update_actions: BTreeMap<(String, String), (String, String)>,
    /// Online migrations into replication groups, by group id. A record counts only while
    /// its group is `migrating` (a group deleted and created again starts afresh).
    pub group_migrations: BTreeMap<String, GroupMigration>,
    /// Online migrations into serverless caches, by cache name (from PrepareMigration until
    /// the cutover); a record whose node serial is not the cache's is left from a deleted one.
    pub serverless_migrations: BTreeMap<String, ServerlessMigration>,
    pub tags: BTreeMap<String, Vec<Tag>>,
    pub events: Vec<Event>,
    pub next_serial: u64,
}

/// A map with tuple keys as a list of pairs (JSON object keys must be strings).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Map = BTreeMap<(String, String), (String, String)>;

    pub fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        m.iter().collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        Ok(Vec::<((String, String), (String, String))>::deserialize(d)?
            .into_iter()
            .collect())
    }
}

impl Region {
    /// Takes every running node process out of the region (to stop them all at once).
    pub fn take_running(&mut self) -> Vec<RunningNode> {
        let mut out: Vec<RunningNode> = self
            .clusters
            .values_mut()
            .flat_map(|c| c.nodes.iter_mut().filter_map(|n| n.run.take()))
            .collect();
        out.extend(
            std::mem::take(&mut self.serverless_nodes)
                .into_values()
                .filter_map(|(_, run)| run),
        );
        for rg in self.repl_groups.values_mut() {
            if let Some(rs) = rg.reshard.as_mut() {
                out.append(&mut rs.retiring);
            }
        }
        out
    }

    pub fn node_count(&self) -> usize {
        self.clusters.values().map(|c| c.nodes.len()).sum::<usize>() + self.serverless_nodes.len()
    }

    pub fn event(&mut self, source_id: &str, source_type: &str, message: impl Into<String>) {
        self.events.push(Event {
            source_identifier: source_id.into(),
            source_type: source_type.into(),
            message: message.into(),
            date: now(),
        });
    }

    /// A started process for a node record (matched by owner and serial). Returns it when
    /// the record is gone (deleted or replaced meanwhile): the caller stops it.
    pub fn attach(&mut self, l: &Launch, run: RunningNode) -> Option<RunningNode> {
        if l.serverless {
            return match self.serverless_nodes.get_mut(&l.owner) {
                Some((serial, slot)) if *serial == l.serial && slot.is_none() => {
                    let addr = run.addr;
                    *slot = Some(run);
                    if let Some(rec) = self.serverless.get_mut(&l.owner) {
                        rec.endpoint = addr.into();
                        rec.reader_endpoint = addr.into();
                    }
                    None
                }
                _ => Some(run),
            };
        }
        let node = self
            .clusters
            .get_mut(&l.owner)
            .and_then(|c| c.nodes.iter_mut().find(|n| n.serial == l.serial))
            .filter(|n| n.run.is_none());
        match node {
            Some(n) => {
                // The reserved address, unless it was taken before the process bound it.
                n.addr = Some(run.addr);
                n.run = Some(run);
                None
            }
            None => Some(run),
        }
    }

    /// Whether the node of a single-node member cluster (a replication group's member) runs.
    pub fn member_alive(&self, cluster: &str) -> bool {
        self.clusters
            .get(cluster)
            .and_then(|c| c.nodes.first())
            .and_then(|n| n.run.as_ref())
            .is_some_and(|r| r.is_alive())
    }

    /// Whether the process of a started node still runs; false once it exited or its record
    /// is gone (deleted, or replaced by another start).
    pub fn node_running(&self, owner: &str, serverless: bool, serial: u64) -> bool {
        let run = if serverless {
            self.serverless_nodes
                .get(owner)
                .filter(|(s, _)| *s == serial)
                .and_then(|(_, run)| run.as_ref())
        } else {
            self.clusters
                .get(owner)
                .and_then(|c| c.nodes.iter().find(|n| n.serial == serial))
                .and_then(|n| n.run.as_ref())
        };
        run.is_some_and(|r| r.is_alive())
    }

    /// A background probe finished: the node is available (or failed).
    pub fn node_ready(&mut self, owner: &str, serverless: bool, serial: u64, ok: bool) {
        if serverless {
            let current = self
                .serverless_nodes
                .get(owner)
                .is_some_and(|(s, _)| *s == serial);
            if let Some(rec) = self.serverless.get_mut(owner).filter(|_| current) {
                let was = rec.status;
                rec.status = if ok {
                    ServerlessStatus::Available
                } else {
                    ServerlessStatus::CreateFailed
                };
                if was == rec.status {
                    // A restart after an emulator restart: nothing happened to report.
                    return;
                }
                let msg = if ok { "created" } else { "failed to start" };
                self.event(
                    owner,
                    "serverless-cache",
                    format!("Serverless cache {owner} {msg}"),
                );
            }
            return;
        }
        let Some(c) = self.clusters.get_mut(owner) else {
            return;
        };
        let Some(n) = c.nodes.iter_mut().find(|n| n.serial == serial) else {
            return;
        };
        n.status = if ok {
            NodeStatus::Available
        } else {
            NodeStatus::IncompatibleNetwork
        };
        let comeback = n.on_ready.take().filter(|_| ok);
        let node_id = n.id.clone();
        let az =
            n.az.clone()
                .unwrap_or_else(|| c.rec.preferred_availability_zone.clone());
        let all_up = c.all_nodes_available();
        let status = c.rec.cache_cluster_status;
        let mut events: Vec<String> = comeback
            .map(|c| c.message(&node_id, &az))
            .into_iter()
            .collect();
        if let (Some(NodeComeback::Added { from }), true) = (comeback, all_up) {
            events.push(format!(
                "Finished modifying number of nodes from {from} to {}",
                c.nodes.len()
            ));
        }
        if all_up && status != ClusterStatus::Available && status != ClusterStatus::Deleting {
            if status == ClusterStatus::Creating {
                // AWS's texts, as its own CLI reference shows them (`aws elasticache
                // describe-events` example): each node in its zone, then the cluster.
                for n in &c.nodes {
                    let az =
                        n.az.as_deref()
                            .unwrap_or(&c.rec.preferred_availability_zone);
                    events.push(format!(
                        "Added cache node {} in availability zone {az}",
                        n.id
                    ));
                }
                events.push("Cache cluster created".to_string());
            }
            c.rec.cache_cluster_status = ClusterStatus::Available;
        }
        if !ok {
            events.push(format!("Cache node {node_id} failed to start"));
        }
        let rg = c.rec.replication_group_id.clone();
        let cid = owner.to_string();
        for e in events {
            self.event(&cid, "cache-cluster", e);
        }
        if let Some(rg) = rg {
            self.refresh_group_status(&rg);
        }
    }

    /// A replication group is available once every member cluster is.
    pub fn refresh_group_status(&mut self, rg_id: &str) {
        let Some(rg) = self.repl_groups.get(rg_id) else {
            return;
        };
        let all_up = rg.groups.iter().flat_map(|g| g.members.iter()).all(|m| {
            self.clusters
                .get(m)
                .is_some_and(|c| c.rec.cache_cluster_status == ClusterStatus::Available)
        });
        let status = rg.rec.status;
        let busy = rg.forming || rg.reshard.is_some() || rg.rejoining;
        if all_up && !busy && (status == GroupStatus::Creating || status == GroupStatus::Modifying)
        {
            let mut adding_replicas = false;
            if let Some(rg) = self.repl_groups.get_mut(rg_id) {
                rg.rec.status = GroupStatus::Available;
                adding_replicas = std::mem::take(&mut rg.adding_replicas);
            }
            if adding_replicas {
                // Recorded DescribeEvents answer (aws-controllers-k8s/community#540).
                self.event(
                    rg_id,
                    "replication-group",
                    format!(
                        "Increase replica count completed for replication group {rg_id} on {}",
                        now()
                    ),
                );
            }
            if status == GroupStatus::Creating {
                self.event(
                    rg_id,
                    "replication-group",
                    format!("Replication group {rg_id} created"),
                );
                let failover = self
                    .repl_groups
                    .get(rg_id)
                    .is_some_and(|g| g.rec.automatic_failover == Switch::Enabled);
                if failover {
                    self.event(
                        rg_id,
                        "replication-group",
                        format!(
                            "Automatic failover has been turned on for replication group {rg_id}"
                        ),
                    );
                }
            }
        }
    }
}

/// What a handler works with: the caller's region, the backend, and the side effects to
/// run after the lock is released.
pub struct Cx<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub st: &'a mut Region,
    /// Global datastores span regions: one map per account.
    pub globals: &'a mut BTreeMap<String, GlobalDatastoreRecord>,
    pub backend: &'a dyn CacheBackend,
    /// Where node data and snapshot files go: the state dir when given, else the runtime dir.
    pub data_root: &'a Path,
    /// Nodes keep their data across emulator restarts (`--state-dir`).
    pub persistent: bool,
    /// Cache nodes this account may run in this region (`--max-cache-nodes`).
    pub max_nodes: usize,
    /// Node work to run once the lock is released (`jobs`).
    pub effects: Vec<Effect>,
    pub doomed: Vec<RunningNode>,
    /// Replication groups whose change completes without new nodes (removals): they
    /// settle to `available` shortly after the response.
    pub settle: Vec<String>,
    /// What the windows AWS chooses are drawn from (`--seed`; set by the façade).
    pub seed: u64,
}

impl<'a> Cx<'a> {
    pub fn new(
        account: &'a str,
        region: &'a str,
        st: &'a mut Region,
        globals: &'a mut BTreeMap<String, GlobalDatastoreRecord>,
        backend: &'a dyn CacheBackend,
        data_root: &'a Path,
        persistent: bool,
    ) -> Self {
        Self {
            account,
            region,
            st,
            globals,
            backend,
            data_root,
            persistent,
            max_nodes: crate::config::DEFAULT_MAX_CACHE_NODES,
            effects: vec![],
            doomed: vec![],
            settle: vec![],
            seed: 0,
        }
    }

    pub fn arn(&self, kind: &str, id: &str) -> String {
        format!(
            "arn:aws:elasticache:{}:{}:{kind}:{id}",
            self.region, self.account
        )
    }

    /// The directory of one node's (or one snapshot's) files under the data root.
    pub fn dir(&self, name: &str) -> std::path::PathBuf {
        node_dir(self.data_root, self.account, self.region, name)
    }

    pub fn serial(&mut self) -> u64 {
        self.st.next_serial += 1;
        self.st.next_serial
    }

    /// Stores tags given at creation.
    pub fn tag_new(&mut self, arn: &str, input: &Value) {
        let tags = tags_of(input);
        if !tags.is_empty() {
            self.st.tags.insert(arn.to_string(), tags);
        }
    }
}

/// `<root>/elasticache/<account>/<region>/<name>`: where a node's data dir lives.
pub fn node_dir(root: &Path, account: &str, region: &str, name: &str) -> std::path::PathBuf {
    root.join("elasticache")
        .join(account)
        .join(region)
        .join(name)
}

/// Now, ISO 8601 with milliseconds and Z (what the Query protocol sends).
pub fn now() -> String {
    fmt_time(time::OffsetDateTime::now_utc())
}

pub fn fmt_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&f).unwrap_or_default()
}

/// The Tags member of a decoded input.
pub fn tags_of(input: &Value) -> Vec<Tag> {
    input["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Tag {
            key: s(t, "Key").map(str::to_owned),
            value: s(t, "Value").map(str::to_owned),
        })
        .collect()
}

/// Reads a string member of a decoded input.
pub fn s<'v>(input: &'v Value, name: &str) -> Option<&'v str> {
    input.get(name).and_then(Value::as_str)
}

pub fn strings(input: &Value, name: &str) -> Vec<String> {
    input[name]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}
