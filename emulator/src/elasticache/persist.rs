//! `--state-dir`: every ElastiCache resource is saved to one JSON file after each change and
//! at shutdown, and a restarted emulator starts every saved node again from its data dir.
//!
//! Layout under the state dir:
//! - `elasticache.json`: all accounts and regions (rewritten atomically: temp file + rename)
//! - `elasticache/<account>/<region>/<cluster>-<node>-<serial>/`: a node's data dir
//!   (redis/valkey: `appendonlydir/` with fsync every second, `dump.rdb` written at shutdown,
//!   `nodes.conf` in cluster mode)
//! - `elasticache/<account>/<region>/serverless-<name>-<serial>/`: a serverless cache's node
//! - `elasticache/<account>/<region>/snapshots/<name>/<node group>.rdb`: snapshot files
//! - `elasticache-tls/ca.pem`, `ca.key`: the CA that signs TLS nodes' certificates
//!
//! Memcached nodes restart empty: memcached keeps nothing on disk.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jobs::{self, Env};
use super::runtime::{EngineKind, RunningNode};
use super::state::{Cx, Region};
use super::store::{lock, Key, Store};
use super::{acl, cluster, clusters, handlers};

/// Start serial of each saved serverless cache's node, per (account, region).
pub type ServerlessSerials = HashMap<Key, BTreeMap<String, u64>>;

/// Bumped when the saved shape changes incompatibly.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    regions: Vec<Value>,
    globals: &'a HashMap<String, BTreeMap<String, Value>>,
}

#[derive(Serialize)]
struct RegionRef<'a> {
    account: &'a str,
    region: &'a str,
    /// Start serial of each serverless cache's node (names its data dir).
    serverless_serials: BTreeMap<&'a str, u64>,
    state: &'a Region,
}

#[derive(Deserialize)]
struct Saved {
    version: u32,
    regions: Vec<SavedRegion>,
    #[serde(default)]
    globals: HashMap<String, BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
struct SavedRegion {
    account: String,
    region: String,
    #[serde(default)]
    serverless_serials: BTreeMap<String, u64>,
    state: Region,
}

/// The saved file of one emulator; writes are serialized so a later state is never
/// overwritten by an earlier one.
pub struct Persist {
    file: PathBuf,
    lock: Mutex<()>,
}

impl Persist {
    pub fn new(state_dir: &Path) -> Self {
        if let Err(e) = std::fs::create_dir_all(state_dir) {
            tracing::warn!("state dir {}: {e}", state_dir.display());
        }
        Self {
            file: state_dir.join("elasticache.json"),
            lock: Mutex::new(()),
        }
    }

    /// Reads the saved store; the serverless serials are what `restore` starts again.
    /// A file that cannot be read is moved aside (never silently overwritten).
    pub fn load(&self) -> Option<(Store, ServerlessSerials)> {
        let bytes = std::fs::read(&self.file).ok()?;
        let saved = serde_json::from_slice::<Saved>(&bytes)
            .map_err(|e| e.to_string())
            .and_then(|s| {
                if s.version == VERSION {
                    Ok(s)
                } else {
                    Err(format!("unknown version {}", s.version))
                }
            });
        let saved = match saved {
            Ok(s) => s,
            Err(e) => {
                let aside = self.file.with_extension(format!(
                    "json.unreadable-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs()
                ));
                tracing::warn!(
                    "{}: {e}; moved to {} and starting empty",
                    self.file.display(),
                    aside.display()
                );
                let _ = std::fs::rename(&self.file, aside);
                return None;
            }
        };
        let mut regions = HashMap::new();
        let mut serials = HashMap::new();
        for r in saved.regions {
            let key = (r.account, r.region);
            serials.insert(key.clone(), r.serverless_serials);
            regions.insert(key, r.state);
        }
        Some((Store::from_parts(regions, saved.globals), serials))
    }

    /// Writes the current store (atomically: temp file + rename). Each region is
    /// serialized under its own lock, one after another.
    pub fn save(&self, store: &Store) {
        let _order = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut regions = vec![];
        for ((account, region), state) in store.regions() {
            let state = lock(&state);
            let saved = serde_json::to_value(RegionRef {
                account: &account,
                region: &region,
                serverless_serials: state
                    .serverless_nodes
                    .iter()
                    .map(|(n, (serial, _))| (n.as_str(), *serial))
                    .collect(),
                state: &state,
            });
            match saved {
                Ok(v) => regions.push(v),
                Err(e) => {
                    tracing::warn!("saving ElastiCache state: {e}");
                    return;
                }
            }
        }
        let globals = store.all_globals();
        let bytes = match serde_json::to_vec(&SavedRef {
            version: VERSION,
            regions,
            globals: &globals,
        }) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("saving ElastiCache state: {e}");
                return;
            }
        };
        let tmp = self.file.with_extension("json.tmp");
        let written = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &self.file));
        if let Err(e) = written {
            tracing::warn!("saving {}: {e}", self.file.display());
        }
    }

    /// Drops the saved file (reset of every account).
    pub fn remove(&self) {
        let _order = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let _ = std::fs::remove_file(&self.file);
    }
}

/// What `restore` needs; cloned out of the service so it can run in the background.
pub struct Restorer {
    pub env: Env,
    /// Set once a restore began (shutdown skips stopping what never started).
    pub began: Arc<AtomicBool>,
    /// Start serials of the saved serverless caches (taken by the restore).
    pub serverless: Arc<Mutex<ServerlessSerials>>,
}

impl Restorer {
    /// Records every saved node again (its cluster says it is coming back) and returns once
    /// that is done, so the API answers at once; the processes start in the background,
    /// where their settings are applied and cluster-mode groups become whole again.
    pub async fn run(self) {
        self.began.store(true, Ordering::SeqCst);
        let serials =
            std::mem::take(&mut *self.serverless.lock().unwrap_or_else(|p| p.into_inner()));
        let started = Instant::now();
        prune(&self.env.data_root, &self.env.store, &serials);
        let none = BTreeMap::new();
        let mut work = vec![];
        for (key, _) in self.env.store.regions() {
            let ((), effects, doomed, _) = self.env.with_region(&key, |cx| {
                restart_region(cx, serials.get(&key).unwrap_or(&none));
            });
            work.push((key, effects, doomed));
        }
        let count: usize = work.iter().map(|(_, e, _)| e.len()).sum();
        let env = self.env.clone();
        tokio::spawn(async move {
            let mut watches = vec![];
            for (key, effects, doomed) in work {
                watches.extend(jobs::run(&env, &key, effects, doomed).await);
            }
            let _ = tokio::time::timeout(Duration::from_secs(30), async {
                for h in watches {
                    let _ = h.await;
                }
            })
            .await;
            reform_clusters(&env).await;
            env.save();
            tracing::info!(
                "ElastiCache: {count} nodes restored in {} ms",
                started.elapsed().as_millis()
            );
        });
    }
}

/// A cluster-mode group re-forms by itself from its nodes.conf files when its nodes kept
/// their addresses; one whose cluster is not whole within a few seconds is formed again.
async fn reform_clusters(env: &Env) {
    let mut jobs = vec![];
    for (key, region) in env.store.regions() {
        let r = lock(&region);
        for (id, rg) in &r.repl_groups {
            if !rg.cluster_mode || rg.forming {
                continue;
            }
            if let Some((shards, auth)) = cluster::shards_of(&r, id) {
                jobs.push((key.clone(), id.clone(), shards, auth));
            }
        }
    }
    let mut tasks = vec![];
    for (key, id, shards, auth) in jobs {
        tasks.push(tokio::task::spawn_blocking(move || {
            let result = cluster::ensure_formed(&shards, auth.as_deref());
            (key, id, result)
        }));
    }
    for t in tasks {
        let Ok((key, id, result)) = t.await else {
            continue;
        };
        if let Err(e) = result {
            tracing::warn!("cluster {id} after restart: {e}");
            if let Some(region) = env.store.existing(&key) {
                lock(&region).event(
                    &id,
                    "replication-group",
                    format!("Cluster re-formation after restart failed: {e}"),
                );
            }
        }
    }
}

/// Removes node and snapshot dirs that no saved resource owns (a delete whose clean-up a
/// killed emulator never finished).
fn prune(root: &Path, store: &Store, serverless: &ServerlessSerials) {
    let base = root.join("elasticache");
    let entries = |dir: &Path| -> Vec<(String, PathBuf)> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let none = BTreeMap::new();
    for (account, account_dir) in entries(&base) {
        for (region, region_dir) in entries(&account_dir) {
            let key = (account.clone(), region.clone());
            let Some(r) = store.existing(&key) else {
                let _ = std::fs::remove_dir_all(&region_dir);
                continue;
            };
            let r = lock(&r);
            let mut keep: std::collections::BTreeSet<String> = r
                .clusters
                .iter()
                .flat_map(|(id, c)| {
                    c.nodes
                        .iter()
                        .map(move |n| format!("{id}-{}-{}", n.id, n.serial))
                })
                .collect();
            keep.extend(
                serverless
                    .get(&key)
                    .unwrap_or(&none)
                    .iter()
                    .map(|(name, serial)| format!("serverless-{name}-{serial}")),
            );
            for (name, path) in entries(&region_dir) {
                if name == "snapshots" {
                    for (snap, snap_dir) in entries(&path) {
                        if !r.snapshots.contains_key(&snap) {
                            let _ = std::fs::remove_dir_all(snap_dir);
                        }
                    }
                } else if !keep.contains(&name) {
                    let _ = std::fs::remove_dir_all(path);
                }
            }
        }
    }
}

/// Starts the nodes of one region again: primaries first, so replicas replicate from their
/// primary's (possibly new) address.
fn restart_region(cx: &mut Cx, serverless: &BTreeMap<String, u64>) {
    let primary_of = |cx: &Cx, id: &str| -> Option<String> {
        let rg_id = cx
            .st
            .clusters
            .get(id)?
            .doc
            .get("ReplicationGroupId")?
            .as_str()?;
        let rg = cx.st.repl_groups.get(rg_id)?;
        let ng = rg
            .groups
            .iter()
            .find(|g| g.members.iter().any(|m| m == id))?;
        ng.members.first().filter(|p| *p != id).cloned()
    };
    let (replicas, primaries): (Vec<String>, Vec<String>) = cx
        .st
        .clusters
        .keys()
        .cloned()
        .partition(|id| primary_of(cx, id).is_some());
    // Until its nodes answer again, a cluster says so (AWS's status while nodes restart),
    // and so does its group.
    for c in cx.st.clusters.values_mut() {
        if c.doc.get("CacheClusterStatus").and_then(Value::as_str) == Some("available") {
            c.doc.insert(
                "CacheClusterStatus".into(),
                "rebooting cache cluster nodes".into(),
            );
            for n in &mut c.nodes {
                n.status = "rebooting".into();
            }
        }
    }
    for rg in cx.st.repl_groups.values_mut() {
        if rg.doc.get("Status").and_then(Value::as_str) == Some("available") {
            rg.doc.insert("Status".into(), "modifying".into());
        }
    }
    for id in primaries.into_iter().chain(replicas) {
        let Some(c) = cx.st.clusters.get(&id) else {
            continue;
        };
        let mut shape = clusters::NodeShape::of(c);
        let rg = c
            .doc
            .get("ReplicationGroupId")
            .and_then(Value::as_str)
            .and_then(|g| cx.st.repl_groups.get(g));
        if let Some(rg) = rg {
            shape.cluster = rg.cluster_mode;
            shape.acl = acl::commands_for(cx, &acl::groups_of(&rg.doc));
        }
        let replica_of = primary_of(cx, &id)
            .and_then(|p| cx.st.clusters.get(&p))
            .and_then(|p| p.nodes.first())
            .and_then(|n| n.addr);
        if let Err(e) = clusters::restart_nodes(cx, &id, &shape, replica_of) {
            tracing::warn!("restarting {id}: {}", e.message);
            if let Some(c) = cx.st.clusters.get_mut(&id) {
                for n in c.nodes.iter_mut().filter(|n| n.run.is_none()) {
                    n.status = "incompatible-network".into();
                }
            }
            cx.st.event(&id, "cache-cluster", e.message);
        }
    }
    for rg in cx.st.repl_groups.values_mut() {
        // A group still forming when the emulator stopped forms once its nodes answer.
        rg.form_started = false;
    }
    for (name, serial) in serverless {
        if let Err(e) = handlers::restart_serverless(cx, name, *serial) {
            tracing::warn!("restarting serverless cache {name}: {}", e.message);
        }
    }
}

/// A node to stop at shutdown: the process, whether it is redis/valkey, its AUTH token.
pub type Stopping = (RunningNode, bool, Option<String>);

/// Takes every running node out of the store for a shutdown that keeps their data.
pub fn take_nodes(store: &Store) -> Vec<Stopping> {
    let mut out = vec![];
    for (_, region) in store.regions() {
        let mut r = lock(&region);
        let r = &mut *r;
        for c in r.clusters.values_mut() {
            let redis = c.engine != EngineKind::Memcached;
            for n in &mut c.nodes {
                if let Some(run) = n.run.take() {
                    out.push((run, redis, c.auth_token.clone()));
                }
            }
        }
        for (name, (_, run)) in std::mem::take(&mut r.serverless_nodes) {
            let Some(run) = run else { continue };
            let redis = r
                .serverless
                .get(&name)
                .is_some_and(|d| d["Engine"] != "memcached");
            out.push((run, redis, None));
        }
        for rg in r.repl_groups.values_mut() {
            // Nodes of a slot migration cut short: they leave the cluster anyway.
            rg.reshard = None;
        }
    }
    out
}

/// Stops nodes at shutdown: redis/valkey write dump.rdb first (the AOF is already on disk),
/// and every data dir stays for the next start.
pub fn stop_keeping_data(nodes: Vec<Stopping>) {
    super::runtime::stop_in_parallel(nodes, |(run, redis, auth)| {
        if redis {
            super::engine::save_rdb(run.addr, auth.as_deref());
        }
        run.stop_keeping_data();
    });
}
