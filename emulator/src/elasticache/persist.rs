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
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::elasticache::runtime::{EngineKind, RunningNode};
use crate::elasticache::state::Region;
use crate::elasticache::store::{lock, Globals, Key, Store};

/// Start serial of each saved serverless cache's node, per (account, region).
pub type ServerlessSerials = HashMap<Key, BTreeMap<String, u64>>;

/// Bumped when the saved shape changes incompatibly.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    regions: Vec<Value>,
    globals: &'a HashMap<String, Globals>,
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
    globals: HashMap<String, Globals>,
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
                .is_some_and(|d| d.engine != EngineKind::Memcached);
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
    crate::elasticache::runtime::stop_in_parallel(nodes, |(run, redis, auth)| {
        if redis {
            crate::elasticache::engine::save_rdb(run.addr, auth.as_deref());
        }
        run.stop_keeping_data();
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::elasticache::domain::cache_clusters::render_cluster;
    use crate::elasticache::domain::groups::{
        render_param_group, render_security_group, render_subnet_group,
    };
    use crate::elasticache::domain::replication_groups::record_doc;
    use crate::elasticache::domain::tags::render_event;
    use crate::elasticache::domain::users::{render_user, render_user_group};
    use crate::elasticache::domain::{global_datastores, reserved_nodes, serverless, snapshots};
    use crate::elasticache::state::{
        ApplyStatus, AuthenticationType, ClusterStatus, CutoverMode, GlobalRole, GroupStatus,
        MigrationStatus, NodeStatus, ServerlessMigration, ServerlessStatus, SnapshotStatus, Switch,
    };

    /// `elasticache.json` as the version before the typed records wrote it: a memcached and a
    /// redis cluster, two replication groups (one in cluster mode), a snapshot of a cluster and
    /// of a group, users and a user group, parameter, subnet and security groups, two
    /// serverless caches and a snapshot, tags, a reservation and a global datastore.
    const SAVED_V1: &str = include_str!("testdata/saved-state-v1.json");

    #[test]
    fn saved_global_datastores_load_into_typed_records_that_render_as_before() {
        let saved: Saved = serde_json::from_str(SAVED_V1).unwrap();
        let raw: Value = serde_json::from_str(SAVED_V1).unwrap();
        let account = &saved.globals["111122223333"];
        let gd = &account["sgaui-gd"];
        assert_eq!(gd.members[0].role, GlobalRole::Primary);
        assert!(gd.members[0].is("rg1", "us-west-2"));
        assert_eq!(gd.engine_version.as_deref(), Some("7.1"));
        for (id, g) in account {
            assert_eq!(
                global_datastores::render(g),
                raw["globals"]["111122223333"][id],
                "{id}"
            );
        }
    }

    fn saved_region() -> (Region, Value) {
        let saved: Saved = serde_json::from_str(SAVED_V1).unwrap();
        let raw: Value = serde_json::from_str(SAVED_V1).unwrap();
        let region = saved.regions.into_iter().next().unwrap().state;
        (region, raw["regions"][0]["state"].clone())
    }

    #[test]
    fn a_state_file_of_the_untyped_version_loads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("elasticache.json"), SAVED_V1).unwrap();
        assert!(Persist::new(dir.path()).load().is_some());
        // Not moved aside as unreadable.
        assert!(dir.path().join("elasticache.json").exists());
    }

    #[test]
    fn saved_cache_clusters_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let rc1 = &region.clusters["rc1"];
        assert_eq!(rc1.rec.cache_cluster_status, ClusterStatus::Available);
        assert_eq!(rc1.rec.snapshot_retention_limit, Some(3));
        assert_eq!(
            rc1.rec.cache_parameter_group.cache_parameter_group_name,
            "pg1"
        );
        // A reboot-only parameter of pg1 changed after rc1 started.
        let pg = &rc1.rec.cache_parameter_group;
        assert_eq!(pg.parameter_apply_status, ApplyStatus::PendingReboot);
        assert_eq!(pg.cache_node_ids_to_reboot, ["0001"]);
        let sgs = rc1.rec.security_groups.as_ref().unwrap();
        assert_eq!(sgs[0].security_group_id, "sg-1");
        assert!(rc1.rec.notification_configuration.is_some());
        assert_eq!(rc1.nodes[0].status, NodeStatus::Available);
        let mc1 = &region.clusters["mc1"];
        assert_eq!(mc1.rec.snapshot_window, None);
        assert_eq!(mc1.rec.configuration_endpoint.as_ref().unwrap().port, 11211);
        assert_eq!(
            region.clusters["rg1-002"]
                .rec
                .replication_group_id
                .as_deref(),
            Some("rg1")
        );
        // Every member the untyped document held is rendered again, with the same value.
        for (id, c) in &region.clusters {
            assert_eq!(render_cluster(c, false), raw["clusters"][id]["doc"], "{id}");
        }
    }

    #[test]
    fn saved_replication_groups_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let rg1 = &region.repl_groups["rg1"];
        assert_eq!(rg1.rec.status, GroupStatus::Available);
        assert_eq!(rg1.rec.automatic_failover, Switch::Enabled);
        assert_eq!(rg1.rec.multi_az, Switch::Disabled);
        assert_eq!(rg1.rec.user_groups(), ["ug1"]);
        let log = &rg1.rec.log_delivery_configurations[0];
        assert_eq!(log.log_type.as_deref(), Some("slow-log"));
        assert_eq!(
            log.destination_details.as_ref().unwrap()["CloudWatchLogsDetails"]["LogGroup"],
            "lg"
        );
        let rg2 = &region.repl_groups["rg2"];
        assert!(rg2.cluster_mode);
        assert_eq!(rg2.rec.user_group_ids, None);
        for (id, rg) in &region.repl_groups {
            assert_eq!(
                Value::Object(record_doc(rg)),
                raw["repl_groups"][id]["doc"],
                "{id}"
            );
        }
    }

    #[test]
    fn saved_snapshots_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let s1 = &region.snapshots["s1"];
        assert_eq!(s1.snapshot_status, SnapshotStatus::Available);
        assert_eq!(s1.cache_cluster_id.as_deref(), Some("rc1"));
        assert_eq!(s1.node_snapshots[0].cache_size, "1 MB");
        let s2 = &region.snapshots["s2"];
        assert_eq!(s2.replication_group_id.as_deref(), Some("rg1"));
        assert_eq!(s2.num_node_groups, Some(1));
        assert_eq!(s2.automatic_failover, Some(Switch::Enabled));
        assert_eq!(s2.node_snapshots[0].node_group_id.as_deref(), Some("0001"));
        for (name, snap) in &region.snapshots {
            assert_eq!(snapshots::render(snap), raw["snapshots"][name], "{name}");
        }
    }

    #[test]
    fn saved_users_and_user_groups_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let u1 = &region.users["u1"];
        assert_eq!(u1.authentication.kind, AuthenticationType::Password);
        assert_eq!(u1.authentication.password_count, Some(1));
        assert_eq!(u1.user_group_ids, ["ug1"]);
        assert_eq!(
            region.users["u2"].authentication.kind,
            AuthenticationType::Iam
        );
        let ug1 = &region.user_groups["ug1"];
        assert_eq!(ug1.user_ids, ["default", "u1"]);
        assert_eq!(ug1.replication_groups, ["rg1"]);
        for (id, u) in &region.users {
            assert_eq!(render_user(u), raw["users"][id], "{id}");
        }
        for (id, g) in &region.user_groups {
            assert_eq!(render_user_group(g), raw["user_groups"][id], "{id}");
        }
    }

    #[test]
    fn saved_parameter_groups_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let pg1 = &region.param_groups["pg1"];
        assert_eq!(pg1.rec.cache_parameter_group_family, "redis7");
        assert_eq!(pg1.rec.description, "my pg");
        assert_eq!(pg1.values["maxmemory-policy"], "allkeys-lru");
        for (name, pg) in &region.param_groups {
            assert_eq!(
                render_param_group(&pg.rec),
                raw["param_groups"][name]["doc"],
                "{name}"
            );
        }
    }

    #[test]
    fn saved_subnet_and_security_groups_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let sn1 = &region.subnet_groups["sn1"];
        assert_eq!(sn1.subnets[1].subnet_identifier, "subnet-2");
        assert_eq!(sn1.subnets[1].subnet_availability_zone.name, "us-west-2b");
        let sg1 = &region.security_groups["sg1"];
        assert_eq!(sg1.description, "sec");
        assert_eq!(sg1.ec2_security_groups[0].name, "web");
        assert_eq!(sg1.ec2_security_groups[0].owner_id, "111122223333");
        for (name, g) in &region.subnet_groups {
            assert_eq!(render_subnet_group(g), raw["subnet_groups"][name], "{name}");
        }
        for (name, g) in &region.security_groups {
            assert_eq!(
                render_security_group(g),
                raw["security_groups"][name],
                "{name}"
            );
        }
    }

    #[test]
    fn saved_serverless_caches_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let sv1 = &region.serverless["sv1"];
        assert_eq!(sv1.status, ServerlessStatus::Available);
        assert_eq!(sv1.endpoint, sv1.reader_endpoint);
        assert_eq!(sv1.daily_snapshot_time, "04:00");
        for (name, c) in &region.serverless {
            assert_eq!(serverless::render(c), raw["serverless"][name], "{name}");
        }
        for (name, snap) in &region.serverless_snapshots {
            assert_eq!(
                serverless::render_snapshot(snap),
                raw["serverless_snapshots"][name],
                "{name}"
            );
        }
    }

    #[test]
    fn a_saved_serverless_migration_loads_with_typed_statuses() {
        // A record as the untyped version saved it (its statuses were strings).
        let saved = json!({"source": {"host": "10.0.0.1", "port": 6379}, "serial": 3,
            "status": "cutting-over", "cutover_mode": "auto", "stopped": false,
            "checking": false, "secret_arn": null});
        let m: ServerlessMigration = serde_json::from_value(saved.clone()).unwrap();
        assert_eq!(m.status, MigrationStatus::CuttingOver);
        assert_eq!(m.cutover_mode, CutoverMode::Auto);
        assert_eq!(serde_json::to_value(&m).unwrap(), saved);
    }

    #[test]
    fn saved_tags_and_events_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let tags = &region.tags["arn:aws:elasticache:us-west-2:111122223333:cluster:rc1"];
        assert_eq!(tags[0].key.as_deref(), Some("team"));
        assert_eq!(tags[0].value.as_deref(), Some("cache"));
        for (arn, list) in &region.tags {
            assert_eq!(json!(list), raw["tags"][arn], "{arn}");
        }
        assert_eq!(region.events[0].source_type, "cache-parameter-group");
        for (i, e) in region.events.iter().enumerate() {
            assert_eq!(render_event(e), raw["events"][i], "{i}");
        }
    }

    #[test]
    fn saved_reserved_nodes_load_into_typed_records_that_render_as_before() {
        let (region, raw) = saved_region();
        let r = region.reserved.values().next().unwrap();
        assert_eq!(r.duration, 31536000);
        assert_eq!(r.recurring_charges[0].recurring_charge_frequency, "Hourly");
        for (id, r) in &region.reserved {
            assert_eq!(reserved_nodes::render(r), raw["reserved"][id], "{id}");
        }
    }
}
