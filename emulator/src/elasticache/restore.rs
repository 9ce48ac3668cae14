//! After a restart with `--state-dir`: every saved node is recorded again at its old address
//! (its cluster says it is coming back), the API answers at once, and the processes start in
//! the background from their data dirs; cluster-mode groups become whole again.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::elasticache::domain::acl;
use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cluster_mode;
use crate::elasticache::domain::serverless;
use crate::elasticache::effects::Effect;
use crate::elasticache::engine;
use crate::elasticache::jobs::{self, Env};
use crate::elasticache::persist::ServerlessSerials;
use crate::elasticache::state::{ClusterStatus, Cx, GroupStatus, NodeStatus};
use crate::elasticache::store::{lock, Store};

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
        let saved: Vec<SocketAddr> = work
            .iter()
            .flat_map(|(_, effects, _)| effects)
            .filter_map(|e| match e {
                Effect::Start(l) => l.spec.preferred,
                _ => None,
            })
            .collect();
        tokio::spawn(async move {
            let backend = env.backend.clone();
            let _ = tokio::task::spawn_blocking(move || {
                await_free(&saved, ADDRESS_WAIT, Duration::from_millis(20), |a| {
                    backend.address_free(a)
                })
            })
            .await;
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

/// How long restored nodes wait for their saved addresses: the nodes of the emulator that
/// ran before die with it, but on a busy machine some may still hold their address when
/// this one starts, and a node that took another address would change its endpoint.
const ADDRESS_WAIT: Duration = Duration::from_secs(15);

/// Waits until every address in `addrs` can be bound (or `limit` passes); answers those
/// still taken (their nodes then start elsewhere, as with a foreign process on the address).
fn await_free(
    addrs: &[SocketAddr],
    limit: Duration,
    poll: Duration,
    free: impl Fn(SocketAddr) -> bool,
) -> Vec<SocketAddr> {
    let deadline = Instant::now() + limit;
    let mut taken: Vec<SocketAddr> = addrs.to_vec();
    loop {
        taken.retain(|a| !free(*a));
        if taken.is_empty() || Instant::now() >= deadline {
            if !taken.is_empty() {
                tracing::warn!(?taken, "saved node addresses still taken; those nodes move");
            }
            return taken;
        }
        std::thread::sleep(poll);
    }
}

/// A cluster-mode group re-forms by itself from its nodes.conf files when its nodes kept
/// their addresses; one whose cluster is not whole within a few seconds is formed again.
async fn reform_clusters(env: &Env) {
    let mut jobs = vec![];
    for (key, region) in env.store.regions() {
        let mut r = lock(&region);
        let mut unformed = vec![];
        for (id, rg) in &r.repl_groups {
            if !rg.cluster_mode || rg.forming {
                continue;
            }
            match cluster_mode::shards_of(&r, id) {
                Some((shards, auth)) => jobs.push((key.clone(), id.clone(), shards, auth)),
                None => unformed.push(id.clone()),
            }
        }
        // Nothing to check (a node never came back): the group says what its members say.
        for id in unformed {
            if let Some(rg) = r.repl_groups.get_mut(&id) {
                rg.rejoining = false;
            }
            r.refresh_group_status(&id);
        }
    }
    let mut tasks = vec![];
    for (key, id, shards, auth) in jobs {
        tasks.push(tokio::task::spawn_blocking(move || {
            let result = engine::cluster::ensure_formed(&shards, auth.as_deref());
            (key, id, result)
        }));
    }
    for t in tasks {
        let Ok((key, id, result)) = t.await else {
            continue;
        };
        let Some(region) = env.store.existing(&key) else {
            continue;
        };
        let mut r = lock(&region);
        if let Err(e) = result {
            tracing::warn!("cluster {id} after restart: {e}");
            r.event(
                &id,
                "replication-group",
                format!("Cluster re-formation after restart failed: {e}"),
            );
        }
        if let Some(rg) = r.repl_groups.get_mut(&id) {
            rg.rejoining = false;
        }
        r.refresh_group_status(&id);
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
    let (replicas, primaries): (Vec<String>, Vec<String>) = cx
        .st
        .clusters
        .keys()
        .cloned()
        .partition(|id| primary_of(cx, id).is_some());
    mark_coming_back(cx);
    for id in primaries.into_iter().chain(replicas) {
        restart_cluster(cx, &id);
    }
    for rg in cx.st.repl_groups.values_mut() {
        // A group still forming when the emulator stopped forms once its nodes answer.
        rg.form_started = false;
        // A formed one is whole again only once `reform_clusters` has checked it.
        rg.rejoining = rg.cluster_mode && !rg.forming;
    }
    for (name, serial) in serverless {
        if let Err(e) = serverless::restart_serverless(cx, name, *serial) {
            tracing::warn!("restarting serverless cache {name}: {}", e.message);
        }
    }
}

/// The primary of a replica member of a replication group (None for a primary or a
/// standalone cluster).
fn primary_of(cx: &Cx, id: &str) -> Option<String> {
    let rg_id = cx
        .st
        .clusters
        .get(id)?
        .rec
        .replication_group_id
        .as_deref()?;
    let rg = cx.st.repl_groups.get(rg_id)?;
    let ng = rg
        .groups
        .iter()
        .find(|g| g.members.iter().any(|m| m == id))?;
    ng.members.first().filter(|p| *p != id).cloned()
}

/// Until its nodes answer again, a cluster says so (AWS's status while nodes restart), and
/// so does its group.
fn mark_coming_back(cx: &mut Cx) {
    for c in cx.st.clusters.values_mut() {
        if c.rec.cache_cluster_status == ClusterStatus::Available {
            c.rec.cache_cluster_status = ClusterStatus::Rebooting;
            for n in &mut c.nodes {
                n.status = NodeStatus::Rebooting;
            }
        }
    }
    for rg in cx.st.repl_groups.values_mut() {
        if rg.rec.status == GroupStatus::Available {
            rg.rec.status = GroupStatus::Modifying;
        }
    }
}

/// Starts one cluster's nodes from their data dirs, a replica following its primary.
fn restart_cluster(cx: &mut Cx, id: &str) {
    let Some(c) = cx.st.clusters.get(id) else {
        return;
    };
    let mut shape = cache_clusters::NodeShape::of(c);
    let rg = c
        .rec
        .replication_group_id
        .as_deref()
        .and_then(|g| cx.st.repl_groups.get(g));
    if let Some(rg) = rg {
        shape.cluster = rg.cluster_mode;
        shape.acl = acl::commands_for(cx, rg.rec.user_groups());
    }
    let replica_of = primary_of(cx, id)
        .and_then(|p| cx.st.clusters.get(&p))
        .and_then(|p| p.nodes.first())
        .and_then(|n| n.addr);
    if let Err(e) = cache_clusters::restart_nodes(cx, id, &shape, replica_of) {
        tracing::warn!("restarting {id}: {}", e.message);
        if let Some(c) = cx.st.clusters.get_mut(id) {
            for n in c.nodes.iter_mut().filter(|n| n.run.is_none()) {
                n.status = NodeStatus::IncompatibleNetwork;
            }
        }
        cx.st.event(id, "cache-cluster", e.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindable(a: SocketAddr) -> bool {
        std::net::TcpListener::bind(a).is_ok()
    }

    #[test]
    fn an_address_freed_within_the_wait_is_waited_for_and_one_held_is_answered() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let freed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (held_at, freed_at) = (held.local_addr().unwrap(), freed.local_addr().unwrap());
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(freed);
        });
        let start = Instant::now();
        let taken = await_free(
            &[held_at, freed_at],
            Duration::from_secs(2),
            Duration::from_millis(10),
            bindable,
        );
        assert_eq!(taken, vec![held_at]);
        assert!(start.elapsed() >= Duration::from_secs(2));
        t.join().unwrap();
        assert_eq!(
            await_free(
                &[freed_at],
                Duration::from_secs(2),
                Duration::from_millis(10),
                bindable
            ),
            vec![]
        );
        drop(held);
    }
}
