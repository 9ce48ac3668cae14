//! ElastiCache: the resource model, model-driven Query handlers, and the runtime that backs
//! every cache node with a real redis-server or memcached process.
//!
//! Flow: form params -> `protocol::query::QueryModel::decode_input` (validated JSON of the
//! input shape) -> one handler per operation (`handlers`) working on the caller's
//! `state::Region` under a lock -> JSON of the output shape -> `encode_output` (XML).
//! Nodes start synchronously (a spawn is cheap); readiness is awaited in the background and
//! flips statuses to `available`. With `--state-dir`, `persist` saves every change and a
//! restarted emulator brings every node back from its data dir.

mod acl;
pub mod auto_snapshots;
mod catalog;
mod cluster;
mod clusters;
mod engine;
mod error;
mod groups;
mod handlers;
mod limits;
mod model;
mod persist;
mod replication;
pub mod runtime;
mod state;
mod tls;
mod users;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;

use crate::config::Config;
use crate::context::RequestContext;
use crate::protocol::query::{xml_response, QueryError};
use crate::supervisor::Supervisor;

pub use error::ApiError;
use runtime::{CacheBackend, RunningNode};
use state::{Cx, Pending, Region};

type Key = (String, String);

/// Everything, under one lock: per (account, region) state and per-account global datastores.
#[derive(Default)]
struct Store {
    regions: HashMap<Key, Region>,
    globals: HashMap<String, BTreeMap<String, serde_json::Value>>,
}

pub struct ElastiCache {
    backend: Arc<dyn CacheBackend>,
    store: Arc<Mutex<Store>>,
    /// Node data and snapshot files: the state dir when given, else the runtime dir.
    data_root: PathBuf,
    /// The saved state (`--state-dir`).
    persist: Option<Arc<persist::Persist>>,
    /// Set once the saved nodes have been started again (or there was nothing to restore);
    /// requests wait for it, so nobody sees a half-restored state.
    restored: Arc<tokio::sync::OnceCell<()>>,
    /// Saved serverless caches to start again (consumed by the restore).
    saved_serverless: Arc<Mutex<persist::ServerlessSerials>>,
    /// The store is live: the restore began, or a reset replaced the loaded state. Until
    /// then a shutdown leaves the saved file as it is.
    restore_began: Arc<AtomicBool>,
    /// Cache nodes an account may run per region (`--max-cache-nodes`).
    max_nodes: usize,
    /// Whether the node monitor (automatic failover) runs; started on the first request
    /// because construction may happen outside the runtime.
    monitoring: AtomicBool,
    /// The clock automatic snapshots follow (offset by tests, see `auto_snapshots`).
    clock: Arc<auto_snapshots::Clock>,
}

impl ElastiCache {
    pub fn new(config: Config, supervisor: Supervisor) -> Self {
        let backend = runtime::backend_for(&config, supervisor);
        Self::with_backend(config, backend)
    }

    /// The service on a given node backend (containers, or a test double).
    pub fn with_backend(config: Config, backend: Arc<dyn CacheBackend>) -> Self {
        let persist = config
            .state_dir
            .as_deref()
            .map(|d| Arc::new(persist::Persist::new(d)));
        let (store, serverless) = persist.as_ref().and_then(|p| p.load()).unwrap_or_default();
        let me = Self {
            backend,
            store: Arc::new(Mutex::new(store)),
            data_root: config
                .state_dir
                .clone()
                .unwrap_or_else(|| config.runtime_dir.clone()),
            persist,
            restored: Arc::new(tokio::sync::OnceCell::new()),
            saved_serverless: Arc::new(Mutex::new(serverless)),
            restore_began: Arc::new(AtomicBool::new(false)),
            max_nodes: config.max_cache_nodes,
            monitoring: AtomicBool::new(false),
            clock: Arc::default(),
        };
        // Nodes come back in the background so the gateway listens at once; without a
        // runtime here (tests build the service first), the first request restores.
        if me.persist.is_some() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let (cell, job) = (me.restored.clone(), me.restore_job());
                rt.spawn(async move {
                    if let Some(job) = job {
                        cell.get_or_init(|| job).await;
                    }
                });
            }
        }
        me
    }

    /// The restore of the saved nodes, as a future to run once.
    fn restore_job(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let persist = self.persist.clone()?;
        let restorer = persist::Restorer {
            store: self.store.clone(),
            backend: self.backend.clone(),
            data_root: self.data_root.clone(),
            persist,
            began: self.restore_began.clone(),
            serverless: self.saved_serverless.clone(),
        };
        Some(restorer.run())
    }

    /// Waits until the saved nodes run again (at once without a state dir).
    async fn ensure_restored(&self) {
        if self.persist.is_none() || self.restored.initialized() {
            return;
        }
        self.restored
            .get_or_init(|| async {
                if let Some(job) = self.restore_job() {
                    job.await;
                }
            })
            .await;
    }

    /// Marks the restore done without running it if it has not begun (waits for one that
    /// has); true if saved nodes were started.
    async fn settle_restore(&self) -> bool {
        self.restored.get_or_init(|| async {}).await;
        self.restore_began.load(Ordering::SeqCst)
    }

    /// Saves the state now (with a state dir).
    fn save(&self) {
        if let Some(p) = &self.persist {
            p.save(&self.store);
        }
    }

    /// One Query request, already form-decoded (`Action`, `Version`, parameters).
    pub async fn handle(&self, ctx: RequestContext, params: Vec<(String, String)>) -> Response {
        self.ensure_restored().await;
        self.start_monitor();
        let model = model::model();
        let Some(action) = params
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone())
        else {
            return QueryError::bad_request(
                "MissingAction",
                "The request must contain the parameter Action",
            )
            .into_response_with_id(&ctx.request_id);
        };
        let Some(op) = model.operation(&action) else {
            return QueryError::bad_request(
                "InvalidAction",
                format!("The action {action} is not valid for this web service."),
            )
            .into_response_with_id(&ctx.request_id);
        };
        let input = match model.decode_input(op, &params) {
            Ok(v) => v,
            Err(e) => return e.into_response_with_id(&ctx.request_id),
        };
        let (result, pending, doomed, settle) = {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            let store = &mut *store;
            let region = store
                .regions
                .entry((ctx.account.clone(), ctx.region.clone()))
                .or_default();
            let globals = store.globals.entry(ctx.account.clone()).or_default();
            let mut cx = Cx::new(
                &ctx.account,
                &ctx.region,
                region,
                globals,
                self.backend.as_ref(),
                &self.data_root,
                self.persist.is_some(),
            );
            cx.max_nodes = self.max_nodes;
            let result = handlers::dispatch(&mut cx, &action, &input);
            let settle = std::mem::take(&mut cx.settle);
            (
                result,
                std::mem::take(&mut cx.pending),
                std::mem::take(&mut cx.doomed),
                settle,
            )
        };
        self.stop_later(doomed);
        if !(action.starts_with("Describe") || action.starts_with("List")) {
            self.save();
        }
        if !settle.is_empty() {
            self.settle_later(ctx.account.clone(), ctx.region.clone(), settle);
        }
        let started: Vec<_> = pending
            .into_iter()
            .map(|p| self.watch(ctx.account.clone(), ctx.region.clone(), p))
            .collect();
        // Answer once the nodes this request started are up (bounded). The response still
        // carries the status AWS answers with (creating, modifying, ...), but a describe right
        // after sees the settled state, so the AWS CLI's waiters (15 s between polls) never
        // sleep through a Redis Cluster that forms in a second or two.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            for h in started {
                let _ = h.await;
            }
        })
        .await;
        match result {
            Ok(out) => xml_response(
                StatusCode::OK,
                model.encode_output(op, &out, &ctx.request_id),
            ),
            Err(e) => model
                .error(&e.code, e.message)
                .into_response_with_id(&ctx.request_id),
        }
    }

    /// Stops nodes off the request path, several at once (a cluster may have 40).
    fn stop_later(&self, doomed: Vec<RunningNode>) {
        if doomed.is_empty() {
            return;
        }
        tokio::task::spawn_blocking(move || runtime::stop_in_parallel(doomed, drop));
    }

    /// Lets groups whose members were only removed report `modifying` for a moment, as the
    /// response did, then re-evaluates them.
    fn settle_later(&self, account: String, region: String, ids: Vec<String>) {
        let (store, persist) = (self.store.clone(), self.persist.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            {
                let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(r) = store.regions.get_mut(&(account, region)) {
                    for id in ids {
                        r.refresh_group_status(&id);
                    }
                }
            }
            if let Some(p) = persist {
                p.save(&store);
            }
        });
    }

    /// Waits for a started node to answer its protocol, then marks it available.
    fn watch(&self, account: String, region: String, p: Pending) -> tokio::task::JoinHandle<()> {
        watch(self.store.clone(), self.persist.clone(), account, region, p)
    }

    /// Checks nodes of every replication group a few times a second and fails over groups
    /// whose primary died (AWS detects a failure within seconds).
    fn start_monitor(&self) {
        if self.monitoring.swap(true, Ordering::SeqCst) {
            return;
        }
        let store = Arc::downgrade(&self.store);
        let backend = self.backend.clone();
        let data_root = self.data_root.clone();
        let persist = self.persist.clone();
        let clock = self.clock.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if !monitor_pass(&store, &backend, &data_root, persist.as_ref(), &clock).await {
                    break;
                }
            }
        });
    }

    /// Moves the clock automatic snapshots follow by `seconds` from the system clock.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock.set_offset(seconds);
    }

    pub async fn reset(&self, account: Option<&str>) {
        // Every saved node is about to go: only a reset of one account needs the others back.
        if account.is_some() {
            self.ensure_restored().await;
        } else if self.persist.is_some() {
            self.settle_restore().await;
            self.restore_began.store(true, Ordering::SeqCst);
        }
        let dropped: Vec<Region> = {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            store
                .globals
                .retain(|a, _| account.is_some_and(|acc| acc != a));
            let keys: Vec<Key> = store
                .regions
                .keys()
                .filter(|(a, _)| account.is_none_or(|acc| acc == a))
                .cloned()
                .collect();
            keys.into_iter()
                .filter_map(|k| store.regions.remove(&k))
                .collect()
        };
        // Nodes stop first, then their data and snapshot files go.
        let dir = match account {
            Some(a) => self.data_root.join("elasticache").join(a),
            None => self.data_root.join("elasticache"),
        };
        let _ = tokio::task::spawn_blocking(move || {
            let mut dropped = dropped;
            let nodes: Vec<RunningNode> =
                dropped.iter_mut().flat_map(Region::take_running).collect();
            runtime::stop_in_parallel(nodes, drop);
            drop(dropped);
            let _ = std::fs::remove_dir_all(dir);
        })
        .await;
        match (&self.persist, account) {
            (Some(p), None) => p.remove(),
            (Some(p), Some(_)) => p.save(&self.store),
            (None, _) => {}
        }
    }

    /// Without a state dir everything goes (nodes and their data). With one, the state is
    /// saved and the nodes stop keeping their data for the next start.
    pub async fn shutdown(&self) {
        let Some(p) = self.persist.clone() else {
            return self.reset(None).await;
        };
        if !self.settle_restore().await {
            // Nothing was started: the saved state stands as it was loaded.
            return;
        }
        p.save(&self.store);
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let nodes = {
                let mut st = store.lock().unwrap_or_else(|e| e.into_inner());
                persist::take_nodes(&mut st)
            };
            persist::stop_keeping_data(nodes);
        })
        .await;
    }

    /// PEM of the CA that signs TLS nodes' certificates (`GET /_emulator/ca.pem`).
    pub fn ca_pem(&self) -> Result<String, runtime::RuntimeError> {
        self.backend.ca_pem()
    }

    pub fn status(&self) -> serde_json::Value {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let nodes: usize = store.regions.values().map(Region::node_count).sum();
        serde_json::json!({
            "backend": self.backend.name(),
            "regions": store.regions.len(),
            "nodes": nodes,
        })
    }
}

/// One monitor pass over every region; false once the service is gone.
async fn monitor_pass(
    store: &Weak<Mutex<Store>>,
    backend: &Arc<dyn CacheBackend>,
    data_root: &std::path::Path,
    persist: Option<&Arc<persist::Persist>>,
    clock: &auto_snapshots::Clock,
) -> bool {
    let Some(store) = store.upgrade() else {
        return false;
    };
    let (st, be, dir) = (store.clone(), backend.clone(), data_root.to_path_buf());
    let persistent = persist.is_some();
    let now = clock.now();
    let found = tokio::task::spawn_blocking(move || {
        let mut guard = st.lock().unwrap_or_else(|p| p.into_inner());
        let store = &mut *guard;
        let mut found = vec![];
        for ((account, region), r) in store.regions.iter_mut() {
            let globals = store.globals.entry(account.clone()).or_default();
            let mut cx = Cx::new(account, region, r, globals, be.as_ref(), &dir, persistent);
            replication::auto_failover(&mut cx);
            clusters::recover_dead_nodes(&mut cx);
            auto_snapshots::run(&mut cx, now);
            let (pending, doomed) = (
                std::mem::take(&mut cx.pending),
                std::mem::take(&mut cx.doomed),
            );
            if !pending.is_empty() || !doomed.is_empty() {
                found.push((account.clone(), region.clone(), pending, doomed));
            }
        }
        found
    })
    .await
    .unwrap_or_default();
    let reshards = {
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        let mut jobs = vec![];
        for (key, r) in guard.regions.iter_mut() {
            for job in cluster::reshard_jobs(r) {
                jobs.push((key.clone(), job));
            }
        }
        jobs
    };
    if let Some(p) = persist.filter(|_| !found.is_empty()) {
        p.save(&store);
    }
    for (key, (rg, layout, leaving, staying, auth)) in reshards {
        let store = store.clone();
        let persist = persist.cloned();
        // Slot migration runs on its own: a large keyspace takes a while.
        tokio::spawn(async move {
            let result = tokio::task::spawn_blocking(move || {
                cluster::reshard(&layout, &leaving, &staying, auth.as_deref())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            let retired = {
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                match guard.regions.get_mut(&key) {
                    Some(r) => cluster::resharded(r, &rg, result),
                    None => vec![],
                }
            };
            let _ = tokio::task::spawn_blocking(move || drop(retired)).await;
            if let Some(p) = persist {
                p.save(&store);
            }
        });
    }
    for (account, region, pending, doomed) in found {
        drop(tokio::task::spawn_blocking(move || drop(doomed)));
        for p in pending {
            drop(watch(
                store.clone(),
                persist.cloned(),
                account.clone(),
                region.clone(),
                p,
            ));
        }
    }
    true
}

/// Waits for a started node to answer its protocol, then marks it available.
fn watch(
    store: Arc<Mutex<Store>>,
    persist: Option<Arc<persist::Persist>>,
    account: String,
    region: String,
    p: Pending,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ok = engine::wait_ready(&p.probe, Duration::from_secs(20)).await;
        if ok && !p.config.is_empty() {
            let (addr, auth, config) = (p.addr, p.auth.clone(), p.config.clone());
            ok = tokio::task::spawn_blocking(move || {
                engine::config_set(addr, auth.as_deref(), &config).is_some()
            })
            .await
            .unwrap_or(false);
        }
        if ok && !p.acl.is_empty() {
            let (addr, auth, acl) = (p.addr, p.auth.clone(), p.acl.clone());
            let _ = tokio::task::spawn_blocking(move || {
                for cmd in &acl {
                    let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
                    engine::command(addr, auth.as_deref(), &args);
                }
            })
            .await;
        }
        let key = (account, region);
        let job = {
            let store = store.lock().unwrap_or_else(|e| e.into_inner());
            store
                .regions
                .get(&key)
                .filter(|_| ok && !p.restored)
                .and_then(|r| cluster::join_job(r, &p))
        };
        if let Some((node, peer, primary, auth)) = job {
            let joined = tokio::task::spawn_blocking(move || {
                cluster::join(node, peer, primary, auth.as_deref())
            })
            .await;
            if let Ok(Err(e)) = joined {
                tracing::warn!("cluster join of {node}: {e}");
            }
        }
        let formation = {
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            let Some(r) = store.regions.get_mut(&key) else {
                return;
            };
            r.node_ready(&p, ok);
            cluster::formation_job(r, &p)
        };
        if let Some((rg, shards, auth)) = formation {
            let result =
                tokio::task::spawn_blocking(move || cluster::form(&shards, auth.as_deref()))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(r) = store.regions.get_mut(&key) {
                cluster::formed(r, &rg, result);
            }
        }
        if let Some(persist) = persist {
            persist.save(&store);
        }
    })
}
