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

use super::runtime::CacheBackend;
use super::runtime::{EngineKind, RunningNode};
use super::state::{Cx, Region};
use super::{acl, cluster, clusters, handlers, Key, Store};

/// Start serial of each saved serverless cache's node, per (account, region).
pub type ServerlessSerials = HashMap<Key, BTreeMap<String, u64>>;

/// Bumped when the saved shape changes incompatibly.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    regions: Vec<RegionRef<'a>>,
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
        let mut store = Store {
            globals: saved.globals,
            ..Store::default()
        };
        let mut serials = HashMap::new();
        for r in saved.regions {
            let key = (r.account, r.region);
            serials.insert(key.clone(), r.serverless_serials);
            store.regions.insert(key, r.state);
        }
        Some((store, serials))
    }

    /// Writes the current store (atomically: temp file + rename).
    pub fn save(&self, store: &Mutex<Store>) {
        let _order = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = {
            let st = store.lock().unwrap_or_else(|p| p.into_inner());
            let mut regions: Vec<RegionRef> = st
                .regions
                .iter()
                .map(|((account, region), state)| RegionRef {
                    account,
                    region,
                    serverless_serials: state
                        .serverless_nodes
                        .iter()
                        .map(|(n, (serial, _))| (n.as_str(), *serial))
                        .collect(),
                    state,
                })
                .collect();
            regions.sort_by_key(|r| (r.account, r.region));
            serde_json::to_vec(&SavedRef {
                version: VERSION,
                regions,
                globals: &st.globals,
            })
        };
        let bytes = match bytes {
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
#[derive(Clone)]
pub struct Restorer {
    pub store: Arc<Mutex<Store>>,
    pub backend: Arc<dyn CacheBackend>,
    pub data_root: PathBuf,
    pub persist: Arc<Persist>,
    /// Set once a restore began (shutdown skips stopping what never started).
    pub began: Arc<AtomicBool>,
    /// Start serials of the saved serverless caches (taken by the restore).
    pub serverless: Arc<Mutex<ServerlessSerials>>,
}

impl Restorer {
    /// Starts every saved node again and waits (bounded) until they answer, their settings
    /// are applied and cluster-mode groups are whole again.
    pub async fn run(self) {
        self.began.store(true, Ordering::SeqCst);
        let serials =
            std::mem::take(&mut *self.serverless.lock().unwrap_or_else(|p| p.into_inner()));
        let started = Instant::now();
        let (store, backend, root) = (
            self.store.clone(),
            self.backend.clone(),
            self.data_root.clone(),
        );
        let pending = tokio::task::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            let st = &mut *guard;
            prune(&root, st, &serials);
            let mut out = vec![];
            for ((account, region), r) in st.regions.iter_mut() {
                let globals = st.globals.entry(account.clone()).or_default();
                let mut cx = Cx::new(account, region, r, globals, backend.as_ref(), &root, true);
                let none = BTreeMap::new();
                let key = (account.clone(), region.clone());
                restart_region(&mut cx, serials.get(&key).unwrap_or(&none));
                out.push((key, std::mem::take(&mut cx.pending)));
            }
            out
        })
        .await
        .unwrap_or_default();
        let count: usize = pending.iter().map(|(_, p)| p.len()).sum();
        let mut handles = vec![];
        for ((account, region), list) in pending {
            for p in list {
                handles.push(super::watch(
                    self.store.clone(),
                    Some(self.persist.clone()),
                    account.clone(),
                    region.clone(),
                    p,
                ));
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), async {
            for h in handles {
                let _ = h.await;
            }
        })
        .await;
        self.reform_clusters().await;
        self.persist.save(&self.store);
        tracing::info!(
            "ElastiCache: {count} nodes restored in {} ms",
            started.elapsed().as_millis()
        );
    }

    /// A cluster-mode group re-forms by itself from its nodes.conf files when its nodes kept
    /// their addresses; one whose cluster is not whole within a few seconds is formed again.
    async fn reform_clusters(&self) {
        let jobs: Vec<(Key, String, Vec<cluster::Shard>, Option<String>)> = {
            let st = self.store.lock().unwrap_or_else(|p| p.into_inner());
            let mut jobs = vec![];
            for (key, r) in &st.regions {
                for (id, rg) in &r.repl_groups {
                    if !rg.cluster_mode || rg.forming {
                        continue;
                    }
                    if let Some((shards, auth)) = cluster::shards_of(r, id) {
                        jobs.push((key.clone(), id.clone(), shards, auth));
                    }
                }
            }
            jobs
        };
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
                let mut st = self.store.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(r) = st.regions.get_mut(&key) {
                    r.event(
                        &id,
                        "replication-group",
                        format!("Cluster re-formation after restart failed: {e}"),
                    );
                }
            }
        }
    }
}

/// Removes node and snapshot dirs that no saved resource owns (a delete whose clean-up a
/// killed emulator never finished).
fn prune(root: &Path, st: &Store, serverless: &ServerlessSerials) {
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
            let Some(r) = st.regions.get(&key) else {
                let _ = std::fs::remove_dir_all(&region_dir);
                continue;
            };
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
pub fn take_nodes(store: &mut Store) -> Vec<Stopping> {
    let mut out = vec![];
    for r in store.regions.values_mut() {
        for c in r.clusters.values_mut() {
            let redis = c.engine != EngineKind::Memcached;
            for n in &mut c.nodes {
                if let Some(run) = n.run.take() {
                    out.push((run, redis, c.auth_token.clone()));
                }
            }
        }
        for (name, (_, run)) in std::mem::take(&mut r.serverless_nodes) {
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
