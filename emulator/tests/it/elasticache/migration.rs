//! Issue 15 point 5: online migration is real. A plain redis-server plays the customer's
//! source; a replication group's primary or a serverless cache's node replicates from it,
//! and the cutover promotes it. Operations the pinned AWS CLI does not know (PrepareMigration,
//! StopMigration, the serverless members) are sent as Query requests by hand.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::common::{aws_with, post_query, CliResult, TestEmulator};
use super::{create_group, ec, ec_raw, eventually, wait_group};

/// Runs `aws elasticache <args>` with the emulator's own ElastiCache model (the pinned newest
/// botocore's), for the operations the pinned CLI's model lacks.
pub fn aws_newest(emu: &TestEmulator, args: &[&str]) -> CliResult {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("elasticache/2015-02-02");
    std::fs::create_dir_all(&dir).unwrap();
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/elasticache.json");
    std::fs::copy(model, dir.join("service-2.json")).unwrap();
    let mut full = vec!["elasticache"];
    full.extend_from_slice(args);
    aws_with(
        &emu.url(),
        "123456789012",
        "us-east-1",
        &full,
        &[("AWS_DATA_PATH", data.path())],
    )
}

/// The customer's redis-server on a loopback port; killed when dropped (also on a failed
/// assertion, as the test unwinds).
struct Source {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Source {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (run scripts/setup)");
        let me = Source {
            child,
            port,
            _dir: dir,
        };
        eventually("the source answers", || me.try_conn().is_ok());
        me
    }

    fn try_conn(&self) -> redis::RedisResult<redis::Connection> {
        conn_at("127.0.0.1", self.port)
    }

    fn conn(&self) -> redis::Connection {
        self.try_conn().unwrap()
    }

    fn endpoint(&self) -> String {
        format!("Address=127.0.0.1,Port={}", self.port)
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn conn_at(host: &str, port: u16) -> redis::RedisResult<redis::Connection> {
    redis::Client::open(format!("redis://{host}:{port}/"))?
        .get_connection_with_timeout(Duration::from_secs(2))
}

fn get(c: &mut redis::Connection, k: &str) -> Option<String> {
    redis::cmd("GET").arg(k).query(c).unwrap()
}

fn set(c: &mut redis::Connection, k: &str, v: &str) -> redis::RedisResult<()> {
    redis::cmd("SET").arg(k).arg(v).query(c)
}

/// One field of INFO replication.
fn replication(c: &mut redis::Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO").arg("replication").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn wait_value(c: &mut redis::Connection, k: &str, v: &str) {
    let start = Instant::now();
    while get(c, k).as_deref() != Some(v) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{k} never became {v}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn endpoint_of(v: &Value) -> (String, u16) {
    (
        v["Address"].as_str().expect("address").to_string(),
        v["Port"].as_u64().expect("port") as u16,
    )
}

/// A Query request as the default account; (HTTP status, body).
fn query(emu: &TestEmulator, params: &[(&str, &str)]) -> (u16, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Version", "2015-02-02")
        .extend_pairs(params)
        .finish();
    post_query(&emu.url(), "123456789012", "us-east-1", &body)
}

/// The text of the first `<name>` element inside `xml`, if any.
fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

/// A Query request that must succeed; its body.
fn ok(emu: &TestEmulator, params: &[(&str, &str)]) -> String {
    let (status, body) = query(emu, params);
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

/// A Query request that must fail with `code`.
fn fails(emu: &TestEmulator, params: &[(&str, &str)], code: &str) {
    let (status, body) = query(emu, params);
    assert!(status >= 400, "{params:?} succeeded: {body}");
    assert_eq!(tag(&body, "Code"), Some(code), "{params:?}: {body}");
}

fn events_of(emu: &TestEmulator, id: &str, kind: &str) -> Vec<String> {
    let v = ec(
        emu,
        &[
            "describe-events",
            "--source-identifier",
            id,
            "--source-type",
            kind,
        ],
    );
    super::event_messages(&v)
}

fn wait_event(emu: &TestEmulator, id: &str, kind: &str, starts: &str) {
    eventually(&format!("event {starts:?} for {id}"), || {
        events_of(emu, id, kind)
            .iter()
            .any(|m| m.starts_with(starts))
    });
}

fn group_status(emu: &TestEmulator, id: &str) -> String {
    let v = ec(
        emu,
        &["describe-replication-groups", "--replication-group-id", id],
    );
    v["ReplicationGroups"][0]["Status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_replication_group_replicates_from_the_source_and_cuts_over() {
    let source = Source::start();
    let mut src = source.conn();
    for i in 0..50 {
        set(&mut src, &format!("k{i}"), &format!("v{i}")).unwrap();
    }
    let emu = TestEmulator::start();
    let g = create_group(&emu, "mig", &["--num-cache-clusters", "2"]);
    let primary = endpoint_of(&g["NodeGroups"][0]["PrimaryEndpoint"]);
    let members = g["NodeGroups"][0]["NodeGroupMembers"].as_array().unwrap();
    let replica = members
        .iter()
        .find(|m| m["CurrentRole"] == "replica")
        .map(|m| endpoint_of(&m["ReadEndpoint"]))
        .unwrap();
    let ep = source.endpoint();

    // TestMigration connects to the source and says how it went, changing nothing.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_ep = format!(
        "Address=127.0.0.1,Port={}",
        dead.local_addr().unwrap().port()
    );
    drop(dead);
    let t = ec(
        &emu,
        &[
            "test-migration",
            "--replication-group-id",
            "mig",
            "--customer-node-endpoint-list",
            &dead_ep,
        ],
    );
    assert_eq!(t["ReplicationGroup"]["Status"], "available");
    wait_event(
        &emu,
        "mig",
        "replication-group",
        "Test Migration failed for mig",
    );
    ec(
        &emu,
        &[
            "test-migration",
            "--replication-group-id",
            "mig",
            "--customer-node-endpoint-list",
            &ep,
        ],
    );
    wait_event(
        &emu,
        "mig",
        "replication-group",
        "Test Migration successful for mig",
    );
    let mut p = conn_at(&primary.0, primary.1).unwrap();
    assert_eq!(replication(&mut p, "role"), "master");
    assert_eq!(get(&mut p, "k0"), None);

    // Errors decided before anything starts.
    ec_raw(
        &emu,
        &["complete-migration", "--replication-group-id", "mig"],
    )
    .fails_with("ReplicationGroupNotUnderMigrationFault");
    ec_raw(
        &emu,
        &[
            "start-migration",
            "--replication-group-id",
            "nope",
            "--customer-node-endpoint-list",
            &ep,
        ],
    )
    .fails_with("ReplicationGroupNotFoundFault");
    let two = [
        ("Action", "StartMigration"),
        ("ReplicationGroupId", "mig"),
        ("CustomerNodeEndpointList.member.1.Address", "127.0.0.1"),
        ("CustomerNodeEndpointList.member.1.Port", "6379"),
        ("CustomerNodeEndpointList.member.2.Address", "127.0.0.2"),
        ("CustomerNodeEndpointList.member.2.Port", "6379"),
    ];
    fails(&emu, &two, "InvalidParameterValue");
    let port = source.port.to_string();
    let both = [
        ("Action", "StartMigration"),
        ("ReplicationGroupId", "mig"),
        ("ServerlessCacheName", "sc"),
        ("CustomerNodeEndpointList.member.1.Address", "127.0.0.1"),
        ("CustomerNodeEndpointList.member.1.Port", &port),
    ];
    fails(&emu, &both, "InvalidParameterCombination");
    let neither = [
        ("Action", "StartMigration"),
        ("CustomerNodeEndpointList.member.1.Address", "127.0.0.1"),
        ("CustomerNodeEndpointList.member.1.Port", &port),
    ];
    fails(&emu, &neither, "InvalidParameterValue");
    fails(
        &emu,
        &[("Action", "CompleteMigration")],
        "InvalidParameterValue",
    );
    assert_eq!(group_status(&emu, "mig"), "available");

    // StartMigration: the primary (and through it the replica) follows the source.
    let s = ec(
        &emu,
        &[
            "start-migration",
            "--replication-group-id",
            "mig",
            "--customer-node-endpoint-list",
            &ep,
        ],
    );
    assert_eq!(s["ReplicationGroup"]["Status"], "modifying");
    assert_eq!(group_status(&emu, "mig"), "migrating");
    wait_value(&mut p, "k49", "v49");
    assert_eq!(replication(&mut p, "role"), "slave");
    assert_eq!(replication(&mut p, "master_port"), port);
    let mut r = conn_at(&replica.0, replica.1).unwrap();
    wait_value(&mut r, "k0", "v0");
    set(&mut src, "later", "1").unwrap();
    wait_value(&mut p, "later", "1");
    ec_raw(
        &emu,
        &[
            "start-migration",
            "--replication-group-id",
            "mig",
            "--customer-node-endpoint-list",
            &ep,
        ],
    )
    .fails_with("ReplicationGroupAlreadyUnderMigrationFault");
    ec_raw(
        &emu,
        &[
            "test-migration",
            "--replication-group-id",
            "mig",
            "--customer-node-endpoint-list",
            &ep,
        ],
    )
    .fails_with("ReplicationGroupAlreadyUnderMigrationFault");

    // The source starts asking for a password and drops the link: without Force the data
    // is not in sync, so the group stays migrating and an event says why.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("secret-pass")
        .query(&mut src)
        .unwrap();
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("replica")
        .query(&mut src)
        .unwrap();
    eventually("the link to the source is down", || {
        replication(&mut p, "master_link_status") == "down"
    });
    let c = ec(
        &emu,
        &["complete-migration", "--replication-group-id", "mig"],
    );
    assert_eq!(c["ReplicationGroup"]["Status"], "migrating");
    wait_event(
        &emu,
        "mig",
        "replication-group",
        "Complete Migration failed for mig",
    );
    assert_eq!(group_status(&emu, "mig"), "migrating");
    assert_eq!(replication(&mut p, "role"), "slave");

    // The source is reachable again: once in sync, CompleteMigration promotes the primary.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg("")
        .query(&mut src)
        .unwrap();
    set(&mut src, "last", "2").unwrap();
    wait_value(&mut p, "last", "2");
    eventually("in sync", || {
        replication(&mut p, "master_link_status") == "up"
            && replication(&mut p, "master_sync_in_progress") == "0"
    });
    ec(
        &emu,
        &["complete-migration", "--replication-group-id", "mig"],
    );
    wait_event(
        &emu,
        "mig",
        "replication-group",
        "Complete Migration successful for mig",
    );
    let g = wait_group(&emu, "mig");
    assert_eq!(g["Status"], "available");
    assert_eq!(replication(&mut p, "role"), "master");
    set(&mut p, "after", "3").unwrap();
    wait_value(&mut r, "after", "3");
    assert_eq!(get(&mut p, "k7").as_deref(), Some("v7"));
    // Writes on the source no longer reach the group.
    set(&mut src, "gone", "x").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&mut p, "gone"), None);
    ec_raw(
        &emu,
        &["complete-migration", "--replication-group-id", "mig"],
    )
    .fails_with("ReplicationGroupNotUnderMigrationFault");
}

/// Creates a serverless cache and waits until it is available; its endpoint.
fn create_serverless(emu: &TestEmulator, name: &str) -> (String, u16) {
    ec(
        emu,
        &[
            "create-serverless-cache",
            "--serverless-cache-name",
            name,
            "--engine",
            "redis",
        ],
    );
    let mut ep = None;
    eventually("serverless cache available", || {
        let v = ec(
            emu,
            &[
                "describe-serverless-caches",
                "--serverless-cache-name",
                name,
            ],
        );
        let c = &v["ServerlessCaches"][0];
        ep = Some(endpoint_of(&c["Endpoint"]));
        c["Status"] == "available"
    });
    ep.unwrap()
}

/// DescribeServerlessCaches through the newest model: the cache's `<Migration>`, if any.
fn migration_of(emu: &TestEmulator, name: &str) -> Option<String> {
    let body = ok(
        emu,
        &[
            ("Action", "DescribeServerlessCaches"),
            ("ServerlessCacheName", name),
        ],
    );
    tag(&body, "Migration").map(str::to_owned)
}

fn wait_migration_status(emu: &TestEmulator, name: &str, status: &str) {
    eventually(&format!("migration of {name} {status}"), || {
        migration_of(emu, name).is_some_and(|m| tag(&m, "Status") == Some(status))
    });
}

#[test]
fn a_serverless_cache_is_prepared_synced_stopped_restarted_and_cut_over() {
    let source = Source::start();
    let mut src = source.conn();
    for i in 0..20 {
        set(&mut src, &format!("s{i}"), &format!("v{i}")).unwrap();
    }
    let emu = TestEmulator::start();
    let (host, port) = create_serverless(&emu, "sc");
    let mut node = conn_at(&host, port).unwrap();
    let sport = source.port.to_string();
    let name = ("ServerlessCacheName", "sc");
    let endpoint = [
        ("CustomerNodeEndpointList.member.1.Address", "127.0.0.1"),
        ("CustomerNodeEndpointList.member.1.Port", sport.as_str()),
    ];
    let mut prepare_params = vec![("Action", "PrepareMigration"), name];
    prepare_params.extend_from_slice(&endpoint);
    let prepare = || prepare_params.clone();

    // Nothing to stop, start or complete before PrepareMigration.
    for action in ["StopMigration", "StartMigration", "CompleteMigration"] {
        fails(
            &emu,
            &[("Action", action), name],
            "ServerlessCacheNotUnderMigrationFault",
        );
    }
    fails(
        &emu,
        &[
            ("Action", "PrepareMigration"),
            ("ServerlessCacheName", "nope"),
            endpoint[0],
            endpoint[1],
        ],
        "ServerlessCacheNotFoundFault",
    );
    let mut two = prepare();
    two.extend_from_slice(&[
        ("CustomerNodeEndpointList.member.2.Address", "127.0.0.2"),
        ("CustomerNodeEndpointList.member.2.Port", "6379"),
    ]);
    fails(&emu, &two, "InvalidParameterValue");
    assert_eq!(migration_of(&emu, "sc"), None);

    // PrepareMigration: the migration exists and is ready once the source answered.
    let body = ok(&emu, &prepare());
    let m = tag(&body, "Migration").expect("Migration in the answer");
    assert_eq!(tag(m, "Status"), Some("preparing"));
    assert_eq!(tag(m, "CutoverMode"), Some("manual"));
    assert_eq!(tag(m, "Address"), Some(host.as_str()));
    assert_eq!(tag(m, "Port"), Some(port.to_string().as_str()));
    wait_migration_status(&emu, "sc", "ready");
    fails(
        &emu,
        &prepare(),
        "ServerlessCacheAlreadyUnderMigrationFault",
    );
    fails(
        &emu,
        &[("Action", "StopMigration"), name],
        "ServerlessCacheNotUnderMigrationFault",
    );
    fails(
        &emu,
        &[("Action", "CompleteMigration"), name],
        "InvalidServerlessCacheStateFault",
    );

    // StartMigration: the data sync brings the source's keys into the cache's node.
    let body = ok(&emu, &[("Action", "StartMigration"), name]);
    assert!(tag(&body, "ServerlessCacheName").is_some(), "{body}");
    assert_eq!(
        migration_of(&emu, "sc")
            .as_deref()
            .and_then(|m| tag(m, "Status")),
        Some("syncing")
    );
    wait_value(&mut node, "s19", "v19");
    assert_eq!(replication(&mut node, "role"), "slave");

    // StopMigration: the sync stops, the data stays, the node is on its own.
    ok(&emu, &[("Action", "StopMigration"), name]);
    wait_migration_status(&emu, "sc", "stopped");
    eventually("the node stopped following the source", || {
        replication(&mut node, "role") == "master"
    });
    assert_eq!(get(&mut node, "s0").as_deref(), Some("v0"));
    fails(
        &emu,
        &[("Action", "StopMigration"), name],
        "ServerlessCacheNotUnderMigrationFault",
    );
    set(&mut src, "while-stopped", "1").unwrap();
    set(&mut node, "local-only", "1").unwrap();

    // Restarting the sync after a stop requires ClearTargetCacheData.
    fails(
        &emu,
        &[("Action", "StartMigration"), name],
        "InvalidParameterValue",
    );
    fails(
        &emu,
        &[
            ("Action", "StartMigration"),
            name,
            ("ClearTargetCacheData", "false"),
        ],
        "InvalidParameterValue",
    );
    ok(
        &emu,
        &[
            ("Action", "StartMigration"),
            name,
            ("ClearTargetCacheData", "true"),
        ],
    );
    wait_value(&mut node, "while-stopped", "1");
    assert_eq!(get(&mut node, "local-only"), None);
    wait_migration_status(&emu, "sc", "syncing");

    // CompleteMigration cuts over: the migration is gone, the node takes writes.
    eventually("in sync", || {
        replication(&mut node, "master_link_status") == "up"
    });
    let body = ok(&emu, &[("Action", "CompleteMigration"), name]);
    let m = tag(&body, "Migration").expect("Migration while cutting over");
    assert_eq!(tag(m, "Status"), Some("cutting-over"));
    eventually("the migration is over", || {
        migration_of(&emu, "sc").is_none()
    });
    wait_event(
        &emu,
        "sc",
        "serverless-cache",
        "Complete Migration successful for sc",
    );
    assert_eq!(replication(&mut node, "role"), "master");
    set(&mut node, "mine", "1").unwrap();
    assert_eq!(get(&mut node, "s5").as_deref(), Some("v5"));
    fails(
        &emu,
        &[("Action", "StopMigration"), name],
        "ServerlessCacheNotUnderMigrationFault",
    );
}

#[test]
fn a_serverless_sync_into_a_cache_with_data_fails_and_auto_cutover_completes_by_itself() {
    let source = Source::start();
    let mut src = source.conn();
    set(&mut src, "from-source", "1").unwrap();
    let emu = TestEmulator::start();
    let (host, port) = create_serverless(&emu, "auto");
    let mut node = conn_at(&host, port).unwrap();
    set(&mut node, "already-here", "1").unwrap();
    let sport = source.port.to_string();
    let name = ("ServerlessCacheName", "auto");
    ok(
        &emu,
        &[
            ("Action", "PrepareMigration"),
            name,
            ("CustomerNodeEndpointList.member.1.Address", "127.0.0.1"),
            ("CustomerNodeEndpointList.member.1.Port", &sport),
        ],
    );
    wait_migration_status(&emu, "auto", "ready");

    // Without ClearTargetCacheData the sync fails: the target holds data.
    ok(&emu, &[("Action", "StartMigration"), name]);
    wait_migration_status(&emu, "auto", "failed");
    wait_event(
        &emu,
        "auto",
        "serverless-cache",
        "Data sync failed for auto",
    );
    assert_eq!(replication(&mut node, "role"), "master");
    assert_eq!(get(&mut node, "from-source"), None);
    fails(
        &emu,
        &[("Action", "CompleteMigration"), name],
        "MigrationHealthFault",
    );

    // With it, and AutoCutover: synced, then cut over with no CompleteMigration.
    let body = ok(
        &emu,
        &[
            ("Action", "StartMigration"),
            name,
            ("ClearTargetCacheData", "true"),
            ("AutoCutover", "true"),
        ],
    );
    assert_eq!(tag(&body, "CutoverMode"), Some("auto"));
    eventually("the migration is over", || {
        migration_of(&emu, "auto").is_none()
    });
    wait_event(
        &emu,
        "auto",
        "serverless-cache",
        "Complete Migration successful for auto",
    );
    assert_eq!(replication(&mut node, "role"), "master");
    assert_eq!(get(&mut node, "from-source").as_deref(), Some("1"));
    assert_eq!(get(&mut node, "already-here"), None);

    // A cache deleted mid-migration leaves nothing to its successor of the same name.
    let prepare = [
        ("Action", "PrepareMigration"),
        name,
        ("CustomerNodeEndpointList.member.1.Address", "127.0.0.1"),
        ("CustomerNodeEndpointList.member.1.Port", sport.as_str()),
    ];
    ok(&emu, &prepare);
    wait_migration_status(&emu, "auto", "ready");
    ec(
        &emu,
        &["delete-serverless-cache", "--serverless-cache-name", "auto"],
    );
    create_serverless(&emu, "auto");
    assert_eq!(migration_of(&emu, "auto"), None);
    fails(
        &emu,
        &[("Action", "StartMigration"), name],
        "ServerlessCacheNotUnderMigrationFault",
    );
    ok(&emu, &prepare);
    wait_migration_status(&emu, "auto", "ready");
}
