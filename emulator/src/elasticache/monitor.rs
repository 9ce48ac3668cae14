//! The monitor: a few times a second it looks at every region's nodes, fails over node
//! groups whose primary died (AWS detects a failure within seconds), recovers other dead
//! nodes in place, and takes automatic snapshots and online-migration steps.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::elasticache::auto_snapshots;
use crate::elasticache::domain::cluster_mode;
use crate::elasticache::domain::failover;
use crate::elasticache::domain::migration;
use crate::elasticache::domain::recovery;
use crate::elasticache::engine;
use crate::elasticache::jobs::{self, WeakEnv};
use crate::elasticache::store::lock;

/// One monitor pass over every region; false once the service is gone. Each region is looked
/// at once under its lock (which nodes are dead, which node groups must fail over); the
/// replicas' offsets are asked with no lock held; then failover and recovery decide on that
/// one view, so a node that died in between waits for the next pass.
pub async fn monitor_pass(
    env: &WeakEnv,
    clock: &auto_snapshots::Clock,
    gate: &MonitorGate,
    waits: &mut failover::Waits,
) -> bool {
    let Some(env) = env.upgrade().filter(|e| !e.store.is_closing()) else {
        return false;
    };
    let now = clock.now();
    let mut changed = false;
    for (key, region) in env.store.regions() {
        let (dead, candidates) = {
            let r = lock(&region);
            let dead = recovery::dead_nodes(&r);
            let candidates = failover::candidates(&r, &dead);
            (dead, candidates)
        };
        let scope = format!("{}/{}", key.0, key.1);
        waits.keep_only(&scope, &candidates);
        let mut chosen = vec![];
        for c in candidates {
            let asked = c.replicas.clone();
            let asked_at = Instant::now();
            let offsets = tokio::task::spawn_blocking(move || {
                asked
                    .into_iter()
                    .map(|(m, addr, auth)| (m, replication_offset(addr, auth.as_deref())))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default();
            if let Some(best) = failover::decide(waits, &scope, &c, &offsets, asked_at) {
                chosen.push((c.group, c.node_group, c.primary, best));
            }
        }
        gate.pass_point().await;
        let (reshards, effects, doomed, _) = env.with_region(&key, |cx| {
            failover::auto_failover(cx, &chosen);
            recovery::recover_dead_nodes(cx, &dead);
            auto_snapshots::run(cx, now);
            migration::monitor(cx);
            cluster_mode::reshard_jobs(cx.st)
        });
        if !effects.is_empty() || !doomed.is_empty() {
            changed = true;
            drop(jobs::run(&env, &key, effects, doomed).await);
        }
        for job in reshards {
            jobs::reshard(env.clone(), key.clone(), job);
        }
    }
    if changed {
        env.save();
    }
    true
}

/// How much of the replication stream a replica has processed; None if it does not answer.
/// Asked with a timeout long enough for a busy machine: a replica that misses it is waited
/// for (`failover::PATIENCE`), never counted as having nothing.
fn replication_offset(
    addr: std::net::SocketAddr,
    auth: Option<&str>,
) -> Option<failover::Progress> {
    let info = engine::info_within(addr, auth, "replication", Duration::from_secs(2))?;
    failover::progress(&info)
}

/// A test hook: holds a monitor pass after it has looked at the state and chosen, before it
/// decides, so a test can make a node die exactly in between. Unarmed it costs one load.
#[derive(Debug, Default)]
pub struct MonitorGate {
    armed: AtomicBool,
    reached: AtomicBool,
}

impl MonitorGate {
    /// The next pass stops between choosing and deciding until `release`.
    pub fn hold(&self) {
        self.reached.store(false, Ordering::SeqCst);
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Waits until a held pass has stopped at the gate; false if none did within `timeout`.
    pub fn wait_held(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        while !self.reached.load(Ordering::SeqCst) {
            if start.elapsed() >= timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    pub fn release(&self) {
        self.armed.store(false, Ordering::SeqCst);
    }

    /// Where a pass stops while the gate is armed (at most a minute: a test that forgets to
    /// release it does not stop the monitor for good).
    async fn pass_point(&self) {
        if !self.armed.load(Ordering::SeqCst) {
            return;
        }
        self.reached.store(true, Ordering::SeqCst);
        let start = Instant::now();
        while self.armed.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
