//! Runs effects with no lock held and records their outcomes back into the state: node
//! starts (in parallel), readiness, CONFIG/ACL/REPLICAOF commands, snapshots, failovers, and
//! cluster formation and slot migration.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::elasticache::domain::cluster_mode;
use crate::elasticache::domain::migration;
use crate::elasticache::domain::snapshots;
use crate::elasticache::effects::{
    Capture, Effect, Launch, MigrationJob, MigrationStep, Promotion,
};
use crate::elasticache::engine;
use crate::elasticache::persist::Persist;
use crate::elasticache::runtime::{self, CacheBackend, RunningNode};
use crate::elasticache::state::{Cx, Pending, SnapshotStatus};
use crate::elasticache::store::{lock, Key, Store};

/// What jobs need: the store, the node backend, and where state is saved.
#[derive(Clone)]
pub struct Env {
    pub store: Arc<Store>,
    pub backend: Arc<dyn CacheBackend>,
    pub persist: Option<Arc<Persist>>,
    pub data_root: PathBuf,
    /// Cache nodes an account may run per region (`--max-cache-nodes`).
    pub max_nodes: usize,
    pub hooks: Arc<NodeHooks>,
}

/// Test hooks that make nodes as slow as a busy machine can, so its races are covered
/// without load.
#[derive(Debug, Default)]
pub struct NodeHooks {
    /// This many coming parameter applications find their node unreachable, as a node too
    /// busy to answer in time would (`ElastiCache::busy_nodes`).
    pub busy: AtomicUsize,
    /// Microseconds per key that nodes started from now on take to write their AOF or RDB
    /// (the engine's `rdb-key-save-delay`; `ElastiCache::slow_rewrites`).
    pub key_save_delay_us: AtomicU64,
    /// Milliseconds a node start takes to return after its node runs, as a container
    /// start's inspect can on a busy machine (`ElastiCache::slow_start_returns`).
    pub start_return_delay_ms: AtomicU64,
}

/// An `Env` that does not keep the service alive (the monitor holds one).
pub struct WeakEnv {
    store: Weak<Store>,
    backend: Arc<dyn CacheBackend>,
    persist: Option<Arc<Persist>>,
    data_root: PathBuf,
    max_nodes: usize,
    hooks: Arc<NodeHooks>,
}

impl WeakEnv {
    pub fn upgrade(&self) -> Option<Env> {
        Some(Env {
            store: self.store.upgrade()?,
            backend: self.backend.clone(),
            persist: self.persist.clone(),
            data_root: self.data_root.clone(),
            max_nodes: self.max_nodes,
            hooks: self.hooks.clone(),
        })
    }
}

impl Env {
    pub fn downgrade(&self) -> WeakEnv {
        WeakEnv {
            store: Arc::downgrade(&self.store),
            backend: self.backend.clone(),
            persist: self.persist.clone(),
            data_root: self.data_root.clone(),
            max_nodes: self.max_nodes,
            hooks: self.hooks.clone(),
        }
    }

    pub fn save(&self) {
        if let Some(p) = &self.persist {
            p.save(&self.store);
        }
    }

    /// Runs `f` on the region's state under its lock (and the account's global datastores),
    /// then returns its result with the effects it recorded.
    pub fn with_region<T>(
        &self,
        key: &Key,
        f: impl FnOnce(&mut Cx) -> T,
    ) -> (T, Vec<Effect>, Vec<RunningNode>, Vec<String>) {
        let region = self.store.region(key);
        let globals = self.store.globals(&key.0);
        let mut r = lock(&region);
        let mut g = lock(&globals);
        let mut cx = Cx::new(
            &key.0,
            &key.1,
            &mut r,
            &mut g,
            self.backend.as_ref(),
            &self.data_root,
            self.persist.is_some(),
        );
        cx.max_nodes = self.max_nodes;
        let out = f(&mut cx);
        let effects = std::mem::take(&mut cx.effects);
        let doomed = std::mem::take(&mut cx.doomed);
        let settle = std::mem::take(&mut cx.settle);
        (out, effects, doomed, settle)
    }
}

/// Runs what a request or a monitor pass decided: node starts in parallel, then the other
/// effects in order, then the stops (a final snapshot is taken before its node goes).
/// Returns the readiness watches of the started nodes.
pub async fn run(
    env: &Env,
    key: &Key,
    effects: Vec<Effect>,
    doomed: Vec<RunningNode>,
) -> Vec<JoinHandle<()>> {
    let mut starts = vec![];
    let mut rest = vec![];
    for e in effects {
        match e {
            Effect::Start(l) => starts.push(l),
            other => rest.push(other),
        }
    }
    let tasks: Vec<_> = starts
        .into_iter()
        .map(|l| {
            let backend = env.backend.clone();
            let hooks = env.hooks.clone();
            tokio::task::spawn_blocking(move || {
                let started = backend.start(&l.spec);
                let late = hooks.start_return_delay_ms.load(Ordering::SeqCst);
                if late > 0 {
                    std::thread::sleep(Duration::from_millis(late));
                }
                (l, started)
            })
        })
        .collect();
    let mut watches = vec![];
    for t in tasks {
        let Ok((l, started)) = t.await else {
            continue;
        };
        if let Some(p) = attach(env, key, &l, started) {
            watches.push(watch(env.clone(), key.clone(), p));
        }
    }
    if !rest.is_empty() {
        let (env2, key2) = (env.clone(), key.clone());
        let _ = tokio::task::spawn_blocking(move || {
            for e in rest {
                apply(&env2, &key2, e);
            }
        })
        .await;
    }
    if !doomed.is_empty() {
        // Several at once: a cluster may have 40 nodes, each stop waits for its process.
        drop(tokio::task::spawn_blocking(move || {
            runtime::stop_in_parallel(doomed, drop)
        }));
    }
    watches
}

/// Gives a started process to its node record; a record gone meanwhile (deleted) stops it.
fn attach(
    env: &Env,
    key: &Key,
    l: &Launch,
    started: Result<RunningNode, runtime::RuntimeError>,
) -> Option<Pending> {
    let region = env.store.region(key);
    let run = match started {
        Ok(run) => run,
        Err(e) => {
            let mut r = lock(&region);
            r.node_ready(&l.owner, l.serverless, l.serial, false);
            tracing::warn!("starting a node of {}: {e}", l.owner);
            return None;
        }
    };
    let pending = Pending {
        cluster_id: l.owner.clone(),
        serverless: l.serverless,
        serial: l.serial,
        probe: run.probe.clone(),
        config: l.config.clone(),
        acl: l.acl.clone(),
        addr: run.addr,
        auth: l.spec.auth_token.clone(),
        restored: l.restored,
    };
    let orphan = {
        // Checked under the region's lock: a shutdown closes the store before it takes the
        // nodes region by region, so a node is either taken with the others or stopped here.
        let mut r = lock(&region);
        if env.store.is_closing() {
            Some(run)
        } else {
            r.attach(l, run)
        }
    };
    match orphan {
        Some(run) => {
            drop(tokio::task::spawn_blocking(move || drop(run)));
            None
        }
        None => Some(pending),
    }
}

/// One non-start effect, on the wire.
fn apply(env: &Env, key: &Key, effect: Effect) {
    match effect {
        Effect::Start(_) => {}
        Effect::Commands {
            addr,
            auth,
            commands,
        } => {
            for cmd in &commands {
                let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
                engine::command(addr, auth.as_deref(), &args);
            }
        }
        Effect::Snapshot {
            name,
            dir,
            captures,
        } => snapshot(env, key, &name, &dir, &captures),
        Effect::Promote(p) => promote(&p),
        Effect::Migration(job) => {
            let outcome = migrate(&job);
            if let Some(region) = env.store.existing(key) {
                migration::record(&mut lock(&region), &job, outcome);
            }
            env.save();
        }
    }
}

/// One online migration step on the wire; what went wrong, in words for an event.
fn migrate(job: &MigrationJob) -> Result<(), String> {
    let (host, port) = (job.source.host.as_str(), job.source.port);
    if job.step == MigrationStep::Test {
        return engine::migration::ping_source(host, port);
    }
    let silent = || "the target node does not answer".to_string();
    let (addr, auth) = job.node.clone().ok_or_else(silent)?;
    let auth = auth.as_deref();
    match job.step {
        MigrationStep::Test => Ok(()),
        MigrationStep::Sync {
            clear,
            require_empty,
        } => {
            if clear && !engine::command(addr, auth, &["FLUSHALL"]) {
                return Err(silent());
            }
            if require_empty {
                match engine::migration::key_count(addr, auth) {
                    Some(0) => {}
                    Some(n) => {
                        return Err(format!(
                            "the target cache holds {n} keys; start again with ClearTargetCacheData"
                        ))
                    }
                    None => return Err(silent()),
                }
            }
            let port = port.to_string();
            if engine::command(addr, auth, &["REPLICAOF", host, &port]) {
                Ok(())
            } else {
                Err(silent())
            }
        }
        MigrationStep::CutOver { force } => {
            if !force {
                match engine::migration::in_sync(addr, auth) {
                    Some(true) => {}
                    Some(false) => {
                        return Err(format!("data is not in sync with the source {host}:{port}"))
                    }
                    None => return Err(silent()),
                }
            }
            promote_alone(addr, auth)
        }
        MigrationStep::Stop => promote_alone(addr, auth),
    }
}

/// REPLICAOF NO ONE: the node stops following the source and keeps its data.
fn promote_alone(addr: std::net::SocketAddr, auth: Option<&str>) -> Result<(), String> {
    if engine::command(addr, auth, &["REPLICAOF", "NO", "ONE"]) {
        Ok(())
    } else {
        Err("the target node does not answer".into())
    }
}

/// SAVE on each node and a copy of its dump.rdb; then the snapshot is available (or failed)
/// with each node snapshot's size as AWS prints it ("3 MB").
fn snapshot(env: &Env, key: &Key, name: &str, dir: &std::path::Path, captures: &[Capture]) {
    let mut ok = std::fs::create_dir_all(dir).is_ok();
    let mut sizes = vec![];
    for c in captures {
        let (Some(addr), Some(data_dir)) = (c.addr, c.data_dir.as_ref()) else {
            ok = false;
            continue;
        };
        let size = engine::used_memory(addr, c.auth.as_deref())
            .map(|b| format!("{} MB", b.div_ceil(1024 * 1024)))
            .unwrap_or_default();
        sizes.push((c.index, size));
        ok = ok
            && engine::save_rdb(addr, c.auth.as_deref())
            && std::fs::copy(
                data_dir.join("dump.rdb"),
                dir.join(format!("{}.rdb", c.group)),
            )
            .is_ok();
    }
    let region = env.store.region(key);
    let kept = {
        let mut r = lock(&region);
        match r.snapshots.get_mut(name) {
            Some(snap) => {
                snap.snapshot_status = if ok {
                    SnapshotStatus::Available
                } else {
                    SnapshotStatus::Failed
                };
                for (i, size) in sizes {
                    if let Some(n) = snap.node_snapshots.get_mut(i) {
                        n.cache_size = size;
                    }
                }
                if let Some((id, kind, msg)) = snapshots::finished_event(snap, ok) {
                    r.event(&id, kind, msg);
                }
                true
            }
            None => false,
        }
    };
    if !kept {
        // Deleted while it was taken.
        let _ = std::fs::remove_dir_all(dir);
    }
    env.save();
}

/// Makes `primary` the primary of its node group and points the followers at it.
fn promote(p: &Promotion) {
    let auth = p.auth.as_deref();
    if p.cluster_mode {
        // Cluster nodes refuse REPLICAOF: the replica takes over its primary's slots.
        if let Err(e) = engine::cluster::failover(p.primary, auth, p.others_alive) {
            tracing::warn!("cluster failover to {}: {e}", p.primary);
        }
        for (addr, auth) in &p.followers {
            let _ = engine::cluster::follow(*addr, p.primary, auth.as_deref());
        }
        return;
    }
    // A node slow to answer on a busy machine is asked again: a promotion that did not
    // reach the new primary would leave the group without a writable node.
    let persist = |f: &dyn Fn() -> bool| {
        for _ in 0..5 {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    if let Some((old, old_auth)) = &p.previous {
        catch_up(*old, old_auth.as_deref(), p.primary, auth);
    }
    persist(&|| engine::command(p.primary, auth, &["REPLICAOF", "NO", "ONE"]));
    let (ip, port) = (p.primary.ip().to_string(), p.primary.port().to_string());
    for (addr, auth) in &p.followers {
        persist(&|| engine::command(*addr, auth.as_deref(), &["REPLICAOF", &ip, &port]));
    }
    if let Some((old, old_auth)) = &p.previous {
        // Writes held meanwhile now get the replica's READONLY, as after AWS's switch.
        engine::command(*old, old_auth.as_deref(), &["CLIENT", "UNPAUSE"]);
    }
}

/// How long a planned switch waits for a replica still in its first sync (a group just
/// created on a busy machine) before it pauses the old primary's writes.
const LINK_WAIT: Duration = Duration::from_secs(30);

/// How long a planned switch holds the old primary's writes for the new primary to catch up.
const CATCH_UP: Duration = Duration::from_secs(10);

/// A planned switch loses no acknowledged write, as Redis's own FAILOVER command: once the
/// replica's link is up, the old primary stops taking writes (they wait), and the new primary
/// is promoted once it has everything the old one had; after `CATCH_UP` it is promoted anyway
/// (a switch is never refused for a slow replica).
fn catch_up(
    old: std::net::SocketAddr,
    old_auth: Option<&str>,
    new: std::net::SocketAddr,
    auth: Option<&str>,
) {
    use engine::until;
    // Pausing first would hold every write for as long as a first sync takes.
    if !until(LINK_WAIT, || engine::replica_linked_at(new, auth)) {
        tracing::warn!("planned failover to {new}: its link to {old} is not up");
    }
    let deadline = std::time::Instant::now() + CATCH_UP;
    let left = || deadline.saturating_duration_since(std::time::Instant::now());
    // A busy old primary is asked again within the budget: a switch that skipped the pause
    // or the offset would promote a replica that may lack the last acknowledged writes.
    let ms = (CATCH_UP + Duration::from_secs(5)).as_millis().to_string();
    if !until(left(), || {
        engine::command(old, old_auth, &["CLIENT", "PAUSE", &ms, "WRITE"])
    }) {
        tracing::warn!("planned failover to {new}: the old primary {old} could not be paused");
        return;
    }
    let offset = |addr, auth, field| {
        engine::info_field_within(addr, auth, "replication", field, Duration::from_secs(1))
    };
    let mut target = None;
    if !until(left(), || {
        target = offset(old, old_auth, "master_repl_offset");
        target.is_some()
    }) {
        tracing::warn!("planned failover to {new}: the old primary {old} gave no offset");
        return;
    }
    let target = target.unwrap_or_default();
    if !until(left(), || {
        offset(new, auth, "slave_repl_offset").is_some_and(|o| o >= target)
    }) {
        tracing::warn!(
            "planned failover to {new}: the replica did not catch up within {CATCH_UP:?}"
        );
    }
}

/// How long a started node may take to answer and take its parameters, while its process runs.
const READY_CAP: Duration = Duration::from_secs(180);

/// Whether the node's process still runs.
fn still_running(env: &Env, key: &Key, p: &Pending) -> bool {
    env.store
        .existing(key)
        .is_some_and(|r| lock(&r).node_running(&p.cluster_id, p.serverless, p.serial))
}

/// Waits until a started node answers its protocol. A node is given as long as its process
/// runs (a busy machine can make a start slow, and AWS does not fail a slow node); it fails
/// once the process exits, its record goes, or after `READY_CAP`.
async fn ready(env: &Env, key: &Key, p: &Pending, start: std::time::Instant) -> bool {
    loop {
        if engine::wait_ready(&p.probe, Duration::from_secs(1)).await {
            return true;
        }
        if !still_running(env, key, p) {
            tracing::warn!(cluster = %p.cluster_id, "node process exited before it answered");
            return false;
        }
        if start.elapsed() >= READY_CAP {
            tracing::warn!(cluster = %p.cluster_id, "node did not answer within {READY_CAP:?}");
            return false;
        }
    }
}

/// Applies the node's parameters. `config_set` answers None only when the node could not be
/// reached in time (a busy machine, a node still loading its data): asked again while the
/// node's process runs, up to the readiness cap; parameters the engine refuses are skipped.
async fn apply_parameters(env: &Env, key: &Key, p: &Pending, start: std::time::Instant) -> bool {
    loop {
        let busy = env
            .hooks
            .busy
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let (addr, auth, mut config) = (p.addr, p.auth.clone(), p.config.clone());
        let delay = env.hooks.key_save_delay_us.load(Ordering::SeqCst);
        if delay > 0 {
            // Before the AOF is turned on, so its first rewrite is slow.
            config.insert(0, ("rdb-key-save-delay".into(), delay.to_string()));
        }
        let applied = !busy
            && tokio::task::spawn_blocking(move || {
                engine::config_set(addr, auth.as_deref(), &config).is_some()
            })
            .await
            .unwrap_or(false);
        if applied {
            if p.config
                .iter()
                .any(|(k, v)| k == "appendonly" && v == "yes")
            {
                aof_written(env, key, p, start).await;
            }
            return true;
        }
        if !still_running(env, key, p) || start.elapsed() >= READY_CAP {
            tracing::warn!(cluster = %p.cluster_id, "node's parameters could not be applied");
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Turning the AOF on rewrites it from the node's data in the background; until that is done
/// a killed node would come back from an AOF that does not name its writes. A node is available
/// once its AOF holds its data (bounded: a node is never failed for a slow rewrite).
async fn aof_written(env: &Env, key: &Key, p: &Pending, start: std::time::Instant) {
    while still_running(env, key, p) && start.elapsed() < READY_CAP {
        let (addr, auth) = (p.addr, p.auth.clone());
        let done = tokio::task::spawn_blocking(move || {
            // One INFO per poll for the three fields.
            let info =
                engine::info_within(addr, auth.as_deref(), "persistence", Duration::from_secs(1))
                    .unwrap_or_default();
            let field = |f| engine::numeric_field(&info, f);
            field("aof_enabled") == Some(1)
                && field("aof_rewrite_in_progress") == Some(0)
                && field("aof_rewrite_scheduled") == Some(0)
        })
        .await
        .unwrap_or(false);
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for a started node to answer its protocol, applies its parameters and users, joins
/// or forms its cluster, then marks it available.
pub fn watch(env: Env, key: Key, p: Pending) -> JoinHandle<()> {
    tokio::spawn(async move {
        let start = std::time::Instant::now();
        let mut ok = ready(&env, &key, &p, start).await;
        if ok && !p.config.is_empty() {
            ok = apply_parameters(&env, &key, &p, start).await;
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
        let Some(region) = env.store.existing(&key) else {
            return;
        };
        let job = {
            let r = lock(&region);
            Some(&*r)
                .filter(|_| ok && !p.restored)
                .and_then(|r| cluster_mode::join_job(r, &p))
        };
        if let Some((node, peer, primary, auth)) = job {
            let joined = tokio::task::spawn_blocking(move || {
                engine::cluster::join(node, peer, primary, auth.as_deref())
            })
            .await;
            if let Ok(Err(e)) = joined {
                tracing::warn!("cluster join of {node}: {e}");
            }
        }
        let formation = {
            let mut r = lock(&region);
            r.node_ready(&p.cluster_id, p.serverless, p.serial, ok);
            cluster_mode::formation_job(&mut r, &p)
        };
        if let Some((rg, shards, auth)) = formation {
            let result = tokio::task::spawn_blocking(move || {
                engine::cluster::form(&shards, auth.as_deref())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            cluster_mode::formed(&mut lock(&region), &rg, result);
        }
        env.save();
    })
}

/// Groups whose change needed no new node (removals) become available again once the
/// response, which reports them `modifying` as AWS does, has been built; the request returns
/// after this, so a waiter's first poll already sees the settled state.
pub fn settle(env: &Env, key: &Key, ids: Vec<String>) {
    if let Some(region) = env.store.existing(key) {
        let mut r = lock(&region);
        for id in ids {
            r.refresh_group_status(&id);
        }
    }
    env.save();
}

/// Slot migration runs on its own: a large keyspace takes a while.
pub(crate) fn reshard(env: Env, key: Key, job: cluster_mode::ReshardJob) {
    let (rg, layout, leaving, staying, auth) = job;
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(move || {
            engine::cluster::reshard(&layout, &leaving, &staying, auth.as_deref())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let retired = match env.store.existing(&key) {
            Some(region) => cluster_mode::resharded(&mut lock(&region), &rg, result),
            None => vec![],
        };
        let _ = tokio::task::spawn_blocking(move || drop(retired)).await;
        env.save();
    });
}
