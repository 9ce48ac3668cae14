//! Online migration: a customer's Redis replicated into a replication group's primary or a
//! serverless cache's node (REPLICAOF), then cut over (REPLICAOF NO ONE). The rules decide
//! from the state alone; the node work is recorded as effects and its outcome comes back
//! through `record`, as AWS reports it: statuses and events.

use std::net::SocketAddr;

use serde_json::Value;

use crate::elasticache::domain::replication_groups::{self, key};
use crate::elasticache::domain::serverless::{self, serverless_not_found};
use crate::elasticache::effects::{Effect, MigrationJob, MigrationStep, MigrationTarget, Source};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{
    s, CutoverMode, Cx, GroupMigration, GroupStatus, MigrationStatus, MigrationSummary, Region,
    ServerlessMigration,
};

/// Where a StartMigration or CompleteMigration goes: exactly one of the two identifiers.
pub enum Target {
    Group(String),
    Serverless(String),
}

pub fn target(input: &Value) -> ApiResult<Target> {
    match (
        s(input, "ReplicationGroupId"),
        s(input, "ServerlessCacheName"),
    ) {
        (Some(_), Some(_)) => Err(ApiError::invalid_combination(
            "Specify either ReplicationGroupId or ServerlessCacheName, not both.",
        )),
        (Some(rg), None) => Ok(Target::Group(rg.to_string())),
        (None, Some(name)) => Ok(Target::Serverless(name.to_string())),
        (None, None) => Err(ApiError::invalid_value(
            "Either ReplicationGroupId or ServerlessCacheName must be specified.",
        )),
    }
}

/// The one endpoint of CustomerNodeEndpointList (the port defaults to Redis's).
fn one_source(input: &Value) -> ApiResult<Source> {
    let list = input["CustomerNodeEndpointList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if list.len() != 1 {
        return Err(ApiError::invalid_value(format!(
            "CustomerNodeEndpointList must have exactly one endpoint (got {}).",
            list.len()
        )));
    }
    let host = s(&list[0], "Address").unwrap_or("").trim().to_string();
    if host.is_empty() {
        return Err(ApiError::invalid_value(
            "The customer node endpoint must have an Address.",
        ));
    }
    let port = list[0]["Port"].as_i64().unwrap_or(6379);
    let port = u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| {
        ApiError::invalid_value(format!(
            "Invalid port {port} for the customer node endpoint: valid ports are 1 to 65535."
        ))
    })?;
    Ok(Source { host, port })
}

fn not_under_migration(id: &str) -> ApiError {
    ApiError::new(
        "ReplicationGroupNotUnderMigrationFault",
        format!("Replication group {id} is not under migration."),
    )
}

fn already_under_migration(id: &str) -> ApiError {
    ApiError::new(
        "ReplicationGroupAlreadyUnderMigrationFault",
        format!("Replication group {id} is already under migration."),
    )
}

/// Whether a group is under migration: its record counts only while the group says so.
fn group_migrating(r: &Region, id: &str) -> bool {
    r.group_migrations.contains_key(id)
        && r.repl_groups
            .get(id)
            .is_some_and(|g| g.rec.status == GroupStatus::Migrating)
}

/// The primary node of a group without cluster mode, with its token.
fn primary_of(cx: &Cx, id: &str) -> Option<(SocketAddr, Option<String>)> {
    let rg = cx.st.repl_groups.get(id)?;
    let c = cx.st.clusters.get(rg.groups.first()?.members.first()?)?;
    Some((c.nodes.first()?.addr?, c.auth_token.clone()))
}

/// The checks StartMigration and TestMigration share: the group id (its key), its one
/// source, a group that can replicate from it.
fn group_ready(cx: &Cx, id: &str, input: &Value) -> ApiResult<(String, Source)> {
    let id = key(cx, id)?;
    if group_migrating(cx.st, &id) {
        return Err(already_under_migration(&id));
    }
    replication_groups::require_available(cx, &id)?;
    if cx.st.repl_groups[&id].cluster_mode {
        // Its nodes refuse REPLICAOF; each shard would follow the source's shard of the
        // same slots, which the emulator does not do.
        return Err(ApiError::invalid_value(format!(
            "Replication group {id} has cluster mode enabled: online migration here is supported into cluster-mode disabled groups only."
        )));
    }
    Ok((id, one_source(input)?))
}

/// StartMigration into a group: its primary replicates from the source; the group is
/// `migrating` until CompleteMigration. The response says `modifying`, as AWS's does.
pub fn start_group(cx: &mut Cx, id: &str, input: &Value) -> ApiResult<Value> {
    if input.get("AutoCutover").is_some() || input.get("ClearTargetCacheData").is_some() {
        return Err(ApiError::invalid_combination(
            "AutoCutover and ClearTargetCacheData apply to serverless caches only.",
        ));
    }
    let (id, source) = group_ready(cx, id, input)?;
    let node = primary_of(cx, &id);
    cx.st.group_migrations.insert(
        id.clone(),
        GroupMigration {
            source: source.clone(),
            completing: false,
        },
    );
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        rg.rec.status = GroupStatus::Migrating;
    }
    cx.st.event(
        &id,
        "replication-group",
        format!(
            "Migration started for {id} from {}:{}",
            source.host, source.port
        ),
    );
    cx.effects.push(Effect::Migration(MigrationJob {
        target: MigrationTarget::Group(id.clone()),
        source,
        node,
        step: MigrationStep::Sync {
            clear: false,
            require_empty: false,
        },
    }));
    let mut out = replication_groups::render(cx, &id);
    out["Status"] = "modifying".into();
    Ok(out)
}

/// TestMigration: the emulator connects to the source; the outcome is an event (AWS's
/// test is asynchronous too). Nothing on the group changes.
pub fn test_group(cx: &mut Cx, id: &str, input: &Value) -> ApiResult<Value> {
    let (id, source) = group_ready(cx, id, input)?;
    cx.effects.push(Effect::Migration(MigrationJob {
        target: MigrationTarget::Group(id.clone()),
        source,
        node: None,
        step: MigrationStep::Test,
    }));
    Ok(replication_groups::render(cx, &id))
}

/// CompleteMigration of a group: the cutover runs once the lock is released; without
/// `force` a primary that is not in sync with the source is not promoted.
pub fn complete_group(cx: &mut Cx, id: &str, force: bool) -> ApiResult<Value> {
    let id = key(cx, id)?;
    if !group_migrating(cx.st, &id) {
        return Err(not_under_migration(&id));
    }
    let node = primary_of(cx, &id);
    let Some(m) = cx.st.group_migrations.get_mut(&id) else {
        return Err(not_under_migration(&id));
    };
    if !m.completing {
        m.completing = true;
        let source = m.source.clone();
        cx.effects.push(Effect::Migration(MigrationJob {
            target: MigrationTarget::Group(id.clone()),
            source,
            node,
            step: MigrationStep::CutOver { force },
        }));
    }
    Ok(replication_groups::render(cx, &id))
}

// Serverless caches.

fn serverless_not_under_migration(name: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheNotUnderMigrationFault",
        format!("Serverless cache {name} is not under migration."),
    )
}

fn serverless_state(name: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        "InvalidServerlessCacheStateFault",
        format!("Serverless cache {name}: {why}"),
    )
}

/// The current start serial of a serverless cache's node.
fn serial_of(r: &Region, name: &str) -> Option<u64> {
    r.serverless_nodes.get(name).map(|(serial, _)| *serial)
}

/// The migration of a cache, unless it was left by a cache of the same name since deleted.
fn current(r: &Region, name: &str) -> Option<ServerlessMigration> {
    let m = r.serverless_migrations.get(name)?;
    (r.serverless.contains_key(name) && serial_of(r, name) == Some(m.serial)).then(|| m.clone())
}

/// Writes the cache's MigrationSummary (or removes it once the migration is over).
fn summarize(r: &mut Region, name: &str) {
    let m = current(r, name);
    let Some(rec) = r.serverless.get_mut(name) else {
        return;
    };
    rec.migration = m.map(|m| MigrationSummary {
        status: m.status,
        migration_endpoint: rec.endpoint.clone(),
        cutover_mode: m.cutover_mode,
    });
}

fn set_status(r: &mut Region, name: &str, status: MigrationStatus) {
    if let Some(m) = r.serverless_migrations.get_mut(name) {
        m.status = status;
    }
    summarize(r, name);
}

/// Records `step` of a serverless cache's migration for `jobs`, on its current node.
fn push_serverless_step(cx: &mut Cx, name: &str, serial: u64, source: Source, step: MigrationStep) {
    let node = serverless_node(cx.st, name);
    cx.effects.push(Effect::Migration(MigrationJob {
        target: MigrationTarget::Serverless {
            name: name.to_string(),
            serial,
        },
        source,
        node,
        step,
    }));
}

fn serverless_node(r: &Region, name: &str) -> Option<(SocketAddr, Option<String>)> {
    let (_, run) = r.serverless_nodes.get(name)?;
    Some((run.as_ref()?.addr, None))
}

fn cache_doc(cx: &Cx, name: &str) -> ApiResult<Value> {
    cx.st
        .serverless
        .get(name)
        .map(serverless::render)
        .ok_or_else(|| serverless_not_found(name))
}

/// PrepareMigration: checks the cache and the source settings and records the migration
/// (`preparing`); the source is then PINGed with no lock held (`ready` or `failed`).
pub fn prepare(cx: &mut Cx, name: &str, input: &Value) -> ApiResult<Value> {
    let doc = cache_doc(cx, name)?;
    if current(cx.st, name).is_some() {
        return Err(ApiError::new(
            "ServerlessCacheAlreadyUnderMigrationFault",
            format!("Serverless cache {name} is already under migration."),
        ));
    }
    if doc["Status"] != "available" {
        return Err(serverless_state(
            name,
            format!("not available (current state: {}).", doc["Status"]),
        ));
    }
    if doc["Engine"] == "memcached" {
        return Err(ApiError::invalid_value(
            "Online migration is supported into valkey and redis serverless caches only.",
        ));
    }
    let source = one_source(input)?;
    let tls = &input["SourceTlsConfiguration"];
    if s(tls, "SourceTlsMode").is_some_and(|m| m != "none") {
        return Err(ApiError::invalid_value(
            "SourceTlsMode verify-ca is not supported here: nodes replicate from the source in plaintext.",
        ));
    }
    let secret_arn = s(
        &input["SourceAuthenticationConfiguration"]["SecretManagerConfig"],
        "SecretArn",
    )
    .map(str::to_owned);
    if let Some(arn) = &secret_arn {
        if !arn.starts_with("arn:") {
            return Err(ApiError::invalid_value(format!(
                "Invalid SecretArn {arn}: expected a Secrets Manager secret ARN."
            )));
        }
    }
    let serial = serial_of(cx.st, name).ok_or_else(|| serverless_not_found(name))?;
    cx.st.serverless_migrations.insert(
        name.to_string(),
        ServerlessMigration {
            source: source.clone(),
            serial,
            status: MigrationStatus::Preparing,
            cutover_mode: CutoverMode::Manual,
            stopped: false,
            checking: false,
            secret_arn,
            live: true,
        },
    );
    summarize(cx.st, name);
    cx.effects.push(Effect::Migration(MigrationJob {
        target: MigrationTarget::Serverless {
            name: name.to_string(),
            serial,
        },
        source,
        node: None,
        step: MigrationStep::Test,
    }));
    cache_doc(cx, name)
}

/// StartMigration into a serverless cache: the data sync from the prepared source. After a
/// StopMigration it requires ClearTargetCacheData; without it the sync fails if the cache
/// holds data.
pub fn start_serverless(cx: &mut Cx, name: &str, input: &Value) -> ApiResult<Value> {
    cache_doc(cx, name)?;
    let m = current(cx.st, name).ok_or_else(|| serverless_not_under_migration(name))?;
    match m.status {
        MigrationStatus::Ready | MigrationStatus::Stopped | MigrationStatus::Failed => {}
        MigrationStatus::Preparing => {
            return Err(serverless_state(
                name,
                "the migration is still being prepared.",
            ))
        }
        other => {
            return Err(serverless_state(
                name,
                format!("the data sync cannot start while the migration is {other}."),
            ))
        }
    }
    let clear = input["ClearTargetCacheData"].as_bool().unwrap_or(false);
    if m.stopped && !clear {
        return Err(ApiError::invalid_value(
            "ClearTargetCacheData is required to restart the data sync after StopMigration.",
        ));
    }
    let auto = input["AutoCutover"].as_bool().unwrap_or(false);
    if let Some(rec) = cx.st.serverless_migrations.get_mut(name) {
        rec.status = MigrationStatus::Syncing;
        rec.cutover_mode = if auto {
            CutoverMode::Auto
        } else {
            CutoverMode::Manual
        };
        rec.stopped = false;
        rec.checking = false;
        rec.live = true;
    }
    summarize(cx.st, name);
    cx.st.event(
        name,
        "serverless-cache",
        format!(
            "Data sync started for {name} from {}:{}",
            m.source.host, m.source.port
        ),
    );
    push_serverless_step(
        cx,
        name,
        m.serial,
        m.source,
        MigrationStep::Sync {
            clear,
            require_empty: !clear,
        },
    );
    cache_doc(cx, name)
}

/// StopMigration: only while the data is syncing; the migration stays open (`stopped`).
pub fn stop(cx: &mut Cx, name: &str) -> ApiResult<Value> {
    cache_doc(cx, name)?;
    let m = current(cx.st, name).ok_or_else(|| serverless_not_under_migration(name))?;
    match m.status {
        MigrationStatus::Syncing => {}
        MigrationStatus::CuttingOver => {
            return Err(serverless_state(
                name,
                "the migration is cutting over and cannot be stopped.",
            ))
        }
        _ => return Err(serverless_not_under_migration(name)),
    }
    if let Some(rec) = cx.st.serverless_migrations.get_mut(name) {
        rec.stopped = true;
    }
    set_status(cx.st, name, MigrationStatus::Stopped);
    cx.st.event(
        name,
        "serverless-cache",
        format!("Data sync stopped for {name}"),
    );
    push_serverless_step(cx, name, m.serial, m.source, MigrationStep::Stop);
    cache_doc(cx, name)
}

/// CompleteMigration of a serverless cache: the cutover of a syncing migration.
pub fn complete_serverless(cx: &mut Cx, name: &str, force: bool) -> ApiResult<Value> {
    cache_doc(cx, name)?;
    let m = current(cx.st, name).ok_or_else(|| serverless_not_under_migration(name))?;
    match m.status {
        MigrationStatus::Syncing => {}
        MigrationStatus::CuttingOver => return cache_doc(cx, name),
        MigrationStatus::Failed => {
            return Err(ApiError::new(
                "MigrationHealthFault",
                format!("The migration of {name} failed; start the data sync again first."),
            ))
        }
        other => {
            return Err(serverless_state(
                name,
                format!("the data sync is not running (migration {other})."),
            ))
        }
    }
    set_status(cx.st, name, MigrationStatus::CuttingOver);
    push_serverless_step(
        cx,
        name,
        m.serial,
        m.source,
        MigrationStep::CutOver { force },
    );
    cache_doc(cx, name)
}

/// Monitor pass: records left by deleted groups and caches go; migrations with automatic
/// cutover get their sync checked (and are cut over once in sync), one check at a time.
pub fn monitor(cx: &mut Cx) {
    for job in settle_records(cx.st) {
        cx.effects.push(Effect::Migration(job));
    }
    auto_cutovers(cx);
}

/// Drops records of deleted groups and caches, and settles migrations an emulator restart
/// cut short: its nodes come back on their own, so a group's migration ends and a cache's
/// data sync is `stopped` (a PrepareMigration's PING is sent again).
fn settle_records(r: &mut Region) -> Vec<MigrationJob> {
    let stale: Vec<String> = r
        .serverless_migrations
        .keys()
        .filter(|n| current(r, n).is_none())
        .cloned()
        .collect();
    for name in stale {
        r.serverless_migrations.remove(&name);
    }
    let cut: Vec<String> = r
        .group_migrations
        .keys()
        .filter(|id| {
            r.repl_groups
                .get(*id)
                .is_some_and(|g| g.rec.status != GroupStatus::Migrating)
        })
        .cloned()
        .collect();
    let groups = &r.repl_groups;
    r.group_migrations.retain(|id, _| groups.contains_key(id));
    for id in cut {
        r.group_migrations.remove(&id);
        r.event(
            &id,
            "replication-group",
            format!("Migration stopped for {id}: its nodes restarted"),
        );
    }
    let mut jobs = vec![];
    let restored: Vec<String> = r
        .serverless_migrations
        .iter()
        .filter(|(_, m)| !m.live)
        .map(|(n, _)| n.clone())
        .collect();
    for name in restored {
        let Some(m) = r.serverless_migrations.get_mut(&name) else {
            continue;
        };
        m.live = true;
        m.checking = false;
        match m.status {
            MigrationStatus::Preparing => jobs.push(MigrationJob {
                target: MigrationTarget::Serverless {
                    name: name.clone(),
                    serial: m.serial,
                },
                source: m.source.clone(),
                node: None,
                step: MigrationStep::Test,
            }),
            MigrationStatus::Syncing | MigrationStatus::CuttingOver => {
                m.stopped = true;
                set_status(r, &name, MigrationStatus::Stopped);
                r.event(
                    &name,
                    "serverless-cache",
                    format!("Data sync stopped for {name}: its node restarted"),
                );
            }
            _ => {}
        }
    }
    jobs
}

fn auto_cutovers(cx: &mut Cx) {
    let names: Vec<String> = cx.st.serverless_migrations.keys().cloned().collect();
    for name in names {
        let Some(m) = current(cx.st, &name) else {
            continue;
        };
        if m.status != MigrationStatus::Syncing || m.cutover_mode != CutoverMode::Auto || m.checking
        {
            continue;
        }
        let Some(node) = serverless_node(cx.st, &name) else {
            continue;
        };
        if let Some(rec) = cx.st.serverless_migrations.get_mut(&name) {
            rec.checking = true;
        }
        cx.effects.push(Effect::Migration(MigrationJob {
            target: MigrationTarget::Serverless {
                name,
                serial: m.serial,
            },
            source: m.source,
            node: Some(node),
            step: MigrationStep::CutOver { force: false },
        }));
    }
}

/// Records what a migration step did on the wire (under the region's lock).
pub fn record(r: &mut Region, job: &MigrationJob, outcome: Result<(), String>) {
    match &job.target {
        MigrationTarget::Group(id) => record_group(r, id, job.step, outcome),
        MigrationTarget::Serverless { name, serial } => {
            let live = current(r, name).filter(|m| m.serial == *serial);
            if let Some(m) = live {
                record_serverless(r, name, &m, job.step, outcome);
            }
        }
    }
}

fn record_group(r: &mut Region, id: &str, step: MigrationStep, outcome: Result<(), String>) {
    let kind = "replication-group";
    match (step, outcome) {
        (MigrationStep::Test, Ok(())) => {
            r.event(id, kind, format!("Test Migration successful for {id}"))
        }
        (MigrationStep::Test, Err(e)) => {
            r.event(id, kind, format!("Test Migration failed for {id}: {e}"))
        }
        (_, _) if !group_migrating(r, id) => {}
        (MigrationStep::Sync { .. }, Ok(())) => {}
        (MigrationStep::Sync { .. }, Err(e)) => {
            r.event(id, kind, format!("Migration failed for {id}: {e}"))
        }
        (MigrationStep::CutOver { .. }, Ok(())) => {
            r.group_migrations.remove(id);
            if let Some(rg) = r.repl_groups.get_mut(id) {
                rg.rec.status = GroupStatus::Available;
            }
            r.event(id, kind, format!("Complete Migration successful for {id}"));
        }
        (MigrationStep::CutOver { .. }, Err(e)) => {
            if let Some(m) = r.group_migrations.get_mut(id) {
                m.completing = false;
            }
            r.event(id, kind, format!("Complete Migration failed for {id}: {e}"));
        }
        (MigrationStep::Stop, _) => {}
    }
}

fn record_serverless(
    r: &mut Region,
    name: &str,
    m: &ServerlessMigration,
    step: MigrationStep,
    outcome: Result<(), String>,
) {
    let kind = "serverless-cache";
    match (step, outcome) {
        (MigrationStep::Test, result) if m.status == MigrationStatus::Preparing => match result {
            Ok(()) => {
                set_status(r, name, MigrationStatus::Ready);
                r.event(name, kind, format!("Migration prepared for {name}"));
            }
            Err(e) => {
                set_status(r, name, MigrationStatus::Failed);
                r.event(
                    name,
                    kind,
                    format!("Migration preparation failed for {name}: {e}"),
                );
            }
        },
        (MigrationStep::Sync { .. }, Err(e)) if m.status == MigrationStatus::Syncing => {
            set_status(r, name, MigrationStatus::Failed);
            r.event(name, kind, format!("Data sync failed for {name}: {e}"));
        }
        (MigrationStep::CutOver { .. }, Ok(())) if m.status != MigrationStatus::Stopped => {
            r.serverless_migrations.remove(name);
            summarize(r, name);
            r.event(
                name,
                kind,
                format!("Complete Migration successful for {name}"),
            );
        }
        (MigrationStep::CutOver { .. }, Err(e)) => {
            if let Some(rec) = r.serverless_migrations.get_mut(name) {
                rec.checking = false;
            }
            // An automatic cutover's check that finds the data not yet in sync just waits
            // for the next pass; a requested cutover goes back to syncing and says why.
            if m.status == MigrationStatus::CuttingOver {
                set_status(r, name, MigrationStatus::Syncing);
                r.event(
                    name,
                    kind,
                    format!("Complete Migration failed for {name}: {e}"),
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::elasticache::state::{Endpoint, ServerlessRecord, ServerlessStatus};

    use super::*;

    #[test]
    fn exactly_one_target_is_named() {
        let both = json!({"ReplicationGroupId": "g", "ServerlessCacheName": "s"});
        assert_eq!(
            target(&both).err().unwrap().code,
            "InvalidParameterCombination"
        );
        assert_eq!(
            target(&json!({})).err().unwrap().code,
            "InvalidParameterValue"
        );
        assert!(matches!(
            target(&json!({"ServerlessCacheName": "s"})),
            Ok(Target::Serverless(n)) if n == "s"
        ));
        assert!(matches!(
            target(&json!({"ReplicationGroupId": "g"})),
            Ok(Target::Group(g)) if g == "g"
        ));
    }

    #[test]
    fn the_source_is_one_endpoint_with_a_valid_port() {
        let one = |list: Value| one_source(&json!({"CustomerNodeEndpointList": list}));
        assert_eq!(
            one(json!([{"Address": "10.0.0.1"}])).unwrap(),
            Source {
                host: "10.0.0.1".into(),
                port: 6379
            }
        );
        assert_eq!(
            one(json!([{"Address": "h", "Port": 7000}])).unwrap().port,
            7000
        );
        for bad in [
            json!([]),
            json!([{"Address": "a", "Port": 1}, {"Address": "b", "Port": 2}]),
            json!([{"Port": 6379}]),
            json!([{"Address": "a", "Port": 0}]),
            json!([{"Address": "a", "Port": 70000}]),
        ] {
            assert_eq!(
                one(bad.clone()).err().map(|e| e.code),
                Some("InvalidParameterValue".to_string()),
                "{bad}"
            );
        }
        assert!(one_source(&json!({})).is_err());
    }

    fn cache(name: &str) -> ServerlessRecord {
        let endpoint = Endpoint {
            address: "a".into(),
            port: 1,
        };
        ServerlessRecord {
            serverless_cache_name: name.into(),
            description: String::new(),
            create_time: String::new(),
            status: ServerlessStatus::Available,
            engine: crate::elasticache::runtime::EngineKind::Redis,
            major_engine_version: "7".into(),
            full_engine_version: "7.1".into(),
            security_group_ids: vec![],
            endpoint: endpoint.clone(),
            reader_endpoint: endpoint,
            arn: String::new(),
            subnet_ids: vec![],
            snapshot_retention_limit: 0,
            daily_snapshot_time: "04:00".into(),
            cache_usage_limits: None,
            user_group_id: None,
            migration: None,
        }
    }

    fn record(status: MigrationStatus, serial: u64) -> ServerlessMigration {
        ServerlessMigration {
            source: Source {
                host: "127.0.0.1".into(),
                port: 6379,
            },
            serial,
            status,
            cutover_mode: CutoverMode::Manual,
            stopped: false,
            checking: false,
            secret_arn: None,
            live: false,
        }
    }

    #[test]
    fn a_restart_stops_syncs_and_forgets_deleted_caches() {
        let mut r = Region::default();
        for (name, status) in [
            ("syncing", MigrationStatus::Syncing),
            ("preparing", MigrationStatus::Preparing),
            ("gone", MigrationStatus::Syncing),
        ] {
            r.serverless.insert(name.into(), cache(name));
            r.serverless_nodes.insert(name.into(), (7, None));
            r.serverless_migrations
                .insert(name.into(), record(status, 7));
        }
        r.serverless.remove("gone");
        let jobs = settle_records(&mut r);
        assert!(!r.serverless_migrations.contains_key("gone"));
        let m = &r.serverless_migrations["syncing"];
        assert!(m.stopped && m.live);
        let summary = r.serverless["syncing"].migration.as_ref().unwrap();
        assert_eq!(summary.status, MigrationStatus::Stopped);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].step, MigrationStep::Test);
        assert_eq!(
            r.serverless_migrations["preparing"].status,
            MigrationStatus::Preparing
        );
        assert!(settle_records(&mut r).is_empty(), "settled once");
    }
}
