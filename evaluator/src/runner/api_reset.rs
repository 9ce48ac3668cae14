//! `--reset api`: empty an account through the AWS API itself, so any endpoint can be scored.
//! Listing or deleting what an endpoint does not support is not an error (nothing to delete).

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::driver::{Driver, Invocation};
use super::RunConfig;

fn call(
    drv: &mut dyn Driver,
    env: &[(String, String)],
    cwd: &Path,
    region: &str,
    args: &[&str],
) -> Option<Value> {
    let mut argv: Vec<String> = vec!["aws".into()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.extend([
        "--region".into(),
        region.to_string(),
        "--output".into(),
        "json".into(),
    ]);
    let out = drv
        .run(&Invocation {
            argv: &argv,
            env,
            cwd,
            timeout: Duration::from_secs(60),
        })
        .ok()?;
    if out.exit_code != Some(0) {
        return None;
    }
    if out.stdout.trim().is_empty() {
        return Some(Value::Null);
    }
    serde_json::from_str(&out.stdout).ok()
}

fn strings(v: &Option<Value>, list: &str, field: &str) -> Vec<String> {
    v.as_ref()
        .and_then(|v| v.get(list))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| {
                    if field.is_empty() {
                        i.as_str()
                    } else {
                        i.get(field).and_then(Value::as_str)
                    }
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn reset(
    drv: &mut dyn Driver,
    cfg: &RunConfig,
    env: &[(String, String)],
    cwd: &Path,
) -> Result<(), String> {
    for region in &cfg.api_regions {
        let r = region.as_str();
        if cfg.api_services.iter().any(|s| s.starts_with("dynamodb")) {
            reset_dynamodb(drv, env, cwd, r)?;
        }
        if cfg.api_services.iter().any(|s| s == "elasticache") {
            reset_elasticache(drv, env, cwd, r);
        }
    }
    Ok(())
}

fn reset_dynamodb(
    drv: &mut dyn Driver,
    env: &[(String, String)],
    cwd: &Path,
    r: &str,
) -> Result<(), String> {
    // Global tables (2017 version) go away when their last replica is removed.
    let globals = call(drv, env, cwd, r, &["dynamodb", "list-global-tables"]);
    for g in globals
        .as_ref()
        .and_then(|v| v.get("GlobalTables"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let Some(name) = g.get("GlobalTableName").and_then(Value::as_str) else {
            continue;
        };
        for region in strings(&Some(g.clone()), "ReplicationGroup", "RegionName") {
            let update = format!("Delete={{RegionName={region}}}");
            call(
                drv,
                env,
                cwd,
                r,
                &[
                    "dynamodb",
                    "update-global-table",
                    "--global-table-name",
                    name,
                    "--replica-updates",
                    &update,
                ],
            );
        }
    }
    let backups = call(drv, env, cwd, r, &["dynamodb", "list-backups"]);
    for arn in strings(&backups, "BackupSummaries", "BackupArn") {
        call(
            drv,
            env,
            cwd,
            r,
            &["dynamodb", "delete-backup", "--backup-arn", &arn],
        );
    }
    // A table still being created or updated refuses deletion for a moment: retry, bounded.
    let mut left = Vec::new();
    for round in 0..20 {
        let tables = call(drv, env, cwd, r, &["dynamodb", "list-tables"]);
        left = strings(&tables, "TableNames", "");
        if left.is_empty() {
            return Ok(());
        }
        for t in &left {
            // Tables with deletion protection need it turned off first (from the second round).
            if round > 0 {
                let unprotect = [
                    "dynamodb",
                    "update-table",
                    "--table-name",
                    t.as_str(),
                    "--no-deletion-protection-enabled",
                ];
                call(drv, env, cwd, r, &unprotect);
            }
            call(
                drv,
                env,
                cwd,
                r,
                &["dynamodb", "delete-table", "--table-name", t],
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "tables left in {r} after reset: {}",
        left.join(", ")
    ))
}

fn reset_elasticache(drv: &mut dyn Driver, env: &[(String, String)], cwd: &Path, r: &str) {
    let ec = |args: &[&str]| -> Vec<String> {
        let mut v = vec!["elasticache"];
        v.extend_from_slice(args);
        v.into_iter().map(str::to_string).collect()
    };
    let mut run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        call(drv, env, cwd, r, &refs)
    };
    let globals = run(ec(&["describe-global-replication-groups"]));
    for id in strings(
        &globals,
        "GlobalReplicationGroups",
        "GlobalReplicationGroupId",
    ) {
        run(ec(&[
            "delete-global-replication-group",
            "--global-replication-group-id",
            &id,
            "--no-retain-primary-replication-group",
        ]));
    }
    let groups = run(ec(&["describe-replication-groups"]));
    for id in strings(&groups, "ReplicationGroups", "ReplicationGroupId") {
        run(ec(&[
            "delete-replication-group",
            "--replication-group-id",
            &id,
        ]));
    }
    let clusters = run(ec(&["describe-cache-clusters"]));
    for id in strings(&clusters, "CacheClusters", "CacheClusterId") {
        run(ec(&["delete-cache-cluster", "--cache-cluster-id", &id]));
    }
    let serverless = run(ec(&["describe-serverless-caches"]));
    for id in strings(&serverless, "ServerlessCaches", "ServerlessCacheName") {
        run(ec(&[
            "delete-serverless-cache",
            "--serverless-cache-name",
            &id,
        ]));
    }
    let snaps = run(ec(&["describe-snapshots"]));
    for id in strings(&snaps, "Snapshots", "SnapshotName") {
        run(ec(&["delete-snapshot", "--snapshot-name", &id]));
    }
    let ugroups = run(ec(&["describe-user-groups"]));
    for id in strings(&ugroups, "UserGroups", "UserGroupId") {
        run(ec(&["delete-user-group", "--user-group-id", &id]));
    }
    let users = run(ec(&["describe-users"]));
    for id in strings(&users, "Users", "UserId") {
        if id != "default" {
            run(ec(&["delete-user", "--user-id", &id]));
        }
    }
    let pgroups = run(ec(&["describe-cache-parameter-groups"]));
    for id in strings(&pgroups, "CacheParameterGroups", "CacheParameterGroupName") {
        if !id.starts_with("default.") {
            run(ec(&[
                "delete-cache-parameter-group",
                "--cache-parameter-group-name",
                &id,
            ]));
        }
    }
    let sgroups = run(ec(&["describe-cache-subnet-groups"]));
    for id in strings(&sgroups, "CacheSubnetGroups", "CacheSubnetGroupName") {
        if id != "default" {
            run(ec(&[
                "delete-cache-subnet-group",
                "--cache-subnet-group-name",
                &id,
            ]));
        }
    }
}
