//! ElastiCache: the resource model, model-driven Query handlers, and the runtime that backs
//! every cache node with a real redis-server or memcached process.
//!
//! Flow: form params -> `protocol::query::QueryModel::decode_input` (validated JSON of the
//! input shape) -> lock the caller's (account, region) (`store`) -> one handler per
//! operation (`handlers`) changes the state and records node work as `effects` -> unlock ->
//! `jobs` runs the effects (node starts, CONFIG/ACL/REPLICAOF, snapshots, failovers) and
//! records their outcomes -> JSON of the output shape -> `encode_output` (XML). Readiness is
//! awaited in the background and flips statuses to `available`. With `--state-dir`,
//! `persist` saves every change and a restarted emulator brings every node back from its
//! data dir.

mod advertise;
pub mod auto_snapshots;
mod domain;
mod effects;
mod engine;
mod error;
mod jobs;
#[cfg(test)]
mod layout_tests;
mod model;
pub mod monitor;
mod ops;
mod persist;
mod restore;
pub mod runtime;
mod state;
mod store;
mod tls;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;

use crate::config::Config;
use crate::context::RequestContext;
use crate::protocol::query::{xml_response, QueryError};
use crate::supervisor::Supervisor;

pub use error::ApiError;
use runtime::{CacheBackend, RunningNode};
use state::Region;
use store::{lock, Key};

/// How long an answer waits for a promotion on the nodes (a planned switch waits for the
/// replica's link and catch-up, bounded; a cluster failover is asked for twice).
const PROMOTION_WAIT: Duration = Duration::from_secs(60);

pub struct ElastiCache {
    env: jobs::Env,
    /// Set once the saved nodes have been recorded again (their processes may still be
    /// starting); requests wait for it, so nobody sees a half-loaded state.
    restored: Arc<tokio::sync::OnceCell<()>>,
    /// Saved serverless caches to start again (consumed by the restore).
    saved_serverless: Arc<Mutex<persist::ServerlessSerials>>,
    /// The store is live: the restore began, or a reset replaced the loaded state. Until
    /// then a shutdown leaves the saved file as it is.
    restore_began: Arc<AtomicBool>,
    /// Whether the node monitor (automatic failover) runs; started on the first request
    /// because construction may happen outside the runtime.
    monitoring: AtomicBool,
    /// The clock automatic snapshots follow (offset by tests, see `auto_snapshots`).
    clock: Arc<auto_snapshots::Clock>,
    /// What the windows AWS chooses are drawn from: `--seed`, else random per run.
    seed: u64,
    /// Holds the monitor between choosing and deciding, for tests of that window.
    gate: Arc<monitor::MonitorGate>,
    /// `--node-ports` / `--advertise-host`: answers name nodes by the advertised host.
    published: Option<crate::config::PublishedNodes>,
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
            env: jobs::Env {
                store: Arc::new(store),
                backend,
                persist,
                data_root: config
                    .state_dir
                    .clone()
                    .unwrap_or_else(|| config.runtime_dir.clone()),
                // Published nodes share one port range: never more nodes than it holds.
                max_nodes: config
                    .published
                    .as_ref()
                    .map_or(config.max_cache_nodes, |p| {
                        config.max_cache_nodes.min(p.ports.len())
                    }),
                hooks: Arc::default(),
            },
            restored: Arc::new(tokio::sync::OnceCell::new()),
            saved_serverless: Arc::new(Mutex::new(serverless)),
            restore_began: Arc::new(AtomicBool::new(false)),
            monitoring: AtomicBool::new(false),
            clock: Arc::default(),
            seed: config.seed.unwrap_or_else(rand::random),
            gate: Arc::default(),
            published: config.published.clone(),
        };
        // Nodes come back in the background so the gateway listens at once; without a
        // runtime here (tests build the service first), the first request restores.
        if me.env.persist.is_some() {
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

    /// The restore of the saved nodes, as a future to run once: it records every node
    /// again (statuses say they are coming back) and leaves their starts to the background.
    fn restore_job(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        self.env.persist.as_ref()?;
        let restorer = restore::Restorer {
            env: self.env.clone(),
            began: self.restore_began.clone(),
            serverless: self.saved_serverless.clone(),
        };
        Some(restorer.run())
    }

    /// Waits until the saved nodes are recorded again (at once without a state dir).
    async fn ensure_restored(&self) {
        if self.env.persist.is_none() || self.restored.initialized() {
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
        let key: Key = (ctx.account.clone(), ctx.region.clone());
        let (result, effects, doomed, settle) =
            self.env
                .with_region(&key, |cx| match ops::handler(&action) {
                    Some(handler) => {
                        cx.seed = self.seed;
                        handler(cx, &input)
                    }
                    None => Err(ApiError::new(
                        "InvalidAction",
                        format!("The action {action} is not valid for this web service."),
                    )),
                });
        let read_only = action.starts_with("Describe") || action.starts_with("List");
        if !read_only {
            self.env.save();
        }
        // Node work runs with no lock held. The response still carries the status AWS answers
        // with (creating, modifying, ...), but a describe right after sees the settled state
        // (bounded), so the AWS CLI's waiters (15 s between polls) never sleep through a
        // Redis Cluster that forms in a second or two.
        if !effects.is_empty() || !doomed.is_empty() {
            // A failover the answer reports (the new primary's endpoint) is done on the nodes
            // before the answer, however busy the machine: a client that writes to the new
            // primary right away must not find a replica still catching up.
            let wait = if effects
                .iter()
                .any(|e| matches!(e, effects::Effect::Promote(_)))
            {
                PROMOTION_WAIT
            } else {
                Duration::from_secs(5)
            };
            let (env, key) = (self.env.clone(), key.clone());
            let job = tokio::spawn(async move {
                let started = jobs::run(&env, &key, effects, doomed).await;
                for h in started {
                    let _ = h.await;
                }
            });
            let _ = tokio::time::timeout(wait, job).await;
        }
        if !settle.is_empty() {
            jobs::settle(&self.env, &key, settle);
        }
        match result {
            Ok(mut out) => {
                if let Some(p) = &self.published {
                    advertise::endpoints(&mut out, p);
                }
                xml_response(
                    StatusCode::OK,
                    model.encode_output(op, &out, &ctx.request_id),
                )
            }
            Err(e) => model
                .error(&e.code, e.message)
                .into_response_with_id(&ctx.request_id),
        }
    }

    /// Test hook: the next `n` parameter applications to a started node find it too busy to
    /// answer (the node is asked again, as a real busy node would be).
    pub fn busy_nodes(&self, n: usize) {
        self.env.hooks.busy.store(n, Ordering::SeqCst);
    }

    /// Test hook: nodes started from now on take `per_key` for each key they write to their
    /// AOF or RDB, so turning the AOF on over restored data takes a while.
    pub fn slow_rewrites(&self, per_key: std::time::Duration) {
        let us = u64::try_from(per_key.as_micros()).unwrap_or(u64::MAX);
        self.env.hooks.key_save_delay_us.store(us, Ordering::SeqCst);
    }

    /// Test hook: node starts from now on return `delay` after their node runs.
    pub fn slow_start_returns(&self, delay: std::time::Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.env
            .hooks
            .start_return_delay_ms
            .store(ms, Ordering::SeqCst);
    }

    /// The monitor's test hook (see `monitor::MonitorGate`).
    pub fn monitor_gate(&self) -> Arc<monitor::MonitorGate> {
        self.gate.clone()
    }

    /// Checks nodes of every replication group a few times a second and fails over groups
    /// whose primary died (AWS detects a failure within seconds).
    fn start_monitor(&self) {
        if self.monitoring.swap(true, Ordering::SeqCst) {
            return;
        }
        // The monitor holds the store weakly: it ends with the service.
        let env = self.env.downgrade();
        let (clock, gate) = (self.clock.clone(), self.gate.clone());
        tokio::spawn(async move {
            let mut waits = domain::failover::Waits::default();
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if !monitor::monitor_pass(&env, &clock, &gate, &mut waits).await {
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
        } else if self.env.persist.is_some() {
            self.settle_restore().await;
            self.restore_began.store(true, Ordering::SeqCst);
        }
        let dropped = self.env.store.remove(account);
        // Nodes stop first, then their data and snapshot files go.
        let dir = match account {
            Some(a) => self.env.data_root.join("elasticache").join(a),
            None => self.env.data_root.join("elasticache"),
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
        match (&self.env.persist, account) {
            (Some(p), None) => p.remove(),
            (Some(p), Some(_)) => p.save(&self.env.store),
            (None, _) => {}
        }
    }

    /// Without a state dir everything goes (nodes and their data). With one, the state is
    /// saved and the nodes stop keeping their data for the next start.
    pub async fn shutdown(&self) {
        self.env.store.close();
        let Some(p) = self.env.persist.clone() else {
            return self.reset(None).await;
        };
        if !self.settle_restore().await {
            // Nothing was started: the saved state stands as it was loaded.
            return;
        }
        p.save(&self.env.store);
        let store = self.env.store.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let nodes = persist::take_nodes(&store);
            persist::stop_keeping_data(nodes);
        })
        .await;
    }

    /// PEM of the CA that signs TLS nodes' certificates (`GET /_emulator/ca.pem`).
    pub fn ca_pem(&self) -> Result<String, runtime::RuntimeError> {
        self.env.backend.ca_pem()
    }

    pub fn status(&self) -> serde_json::Value {
        let regions = self.env.store.regions();
        let nodes: usize = regions.iter().map(|(_, r)| lock(r).node_count()).sum();
        serde_json::json!({
            "backend": self.env.backend.name(),
            "regions": regions.len(),
            "nodes": nodes,
        })
    }
}
