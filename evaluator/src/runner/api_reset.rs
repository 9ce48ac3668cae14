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

/// What one kind of resource is: how to list it, which field names it, how to delete one.
struct Kind {
    what: &'static str,
    list: &'static [&'static str],
    items: &'static str,
    id: &'static str,
    /// The delete command; the id is appended after the last argument.
    delete: &'static [&'static str],
    /// Ids that AWS provides in every account and that cannot be deleted.
    keep: fn(&str) -> bool,
}

fn keep_none(_: &str) -> bool {
    false
}

fn keep_default(id: &str) -> bool {
    id == "default"
}

fn keep_default_prefix(id: &str) -> bool {
    id.starts_with("default.")
}

/// ElastiCache, in dependency order (a global datastore before its groups, keeping the primary
/// group, which AWS requires and which goes next; a group before its members; clusters before the
/// parameter and subnet groups they use; user groups before users).
const ELASTICACHE: &[Kind] = &[
    Kind {
        what: "global replication group",
        list: &["elasticache", "describe-global-replication-groups"],
        items: "GlobalReplicationGroups",
        id: "GlobalReplicationGroupId",
        delete: &[
            "elasticache",
            "delete-global-replication-group",
            "--retain-primary-replication-group",
            "--global-replication-group-id",
        ],
        keep: keep_none,
    },
    Kind {
        what: "replication group",
        list: &["elasticache", "describe-replication-groups"],
        items: "ReplicationGroups",
        id: "ReplicationGroupId",
        delete: &[
            "elasticache",
            "delete-replication-group",
            "--replication-group-id",
        ],
        keep: keep_none,
    },
    Kind {
        what: "cache cluster",
        list: &["elasticache", "describe-cache-clusters"],
        items: "CacheClusters",
        id: "CacheClusterId",
        delete: &["elasticache", "delete-cache-cluster", "--cache-cluster-id"],
        keep: keep_none,
    },
    Kind {
        what: "serverless cache",
        list: &["elasticache", "describe-serverless-caches"],
        items: "ServerlessCaches",
        id: "ServerlessCacheName",
        delete: &[
            "elasticache",
            "delete-serverless-cache",
            "--serverless-cache-name",
        ],
        keep: keep_none,
    },
    Kind {
        what: "serverless cache snapshot",
        list: &["elasticache", "describe-serverless-cache-snapshots"],
        items: "ServerlessCacheSnapshots",
        id: "ServerlessCacheSnapshotName",
        delete: &[
            "elasticache",
            "delete-serverless-cache-snapshot",
            "--serverless-cache-snapshot-name",
        ],
        keep: keep_none,
    },
    Kind {
        what: "snapshot",
        list: &["elasticache", "describe-snapshots"],
        items: "Snapshots",
        id: "SnapshotName",
        delete: &["elasticache", "delete-snapshot", "--snapshot-name"],
        keep: keep_none,
    },
    Kind {
        what: "user group",
        list: &["elasticache", "describe-user-groups"],
        items: "UserGroups",
        id: "UserGroupId",
        delete: &["elasticache", "delete-user-group", "--user-group-id"],
        keep: keep_none,
    },
    Kind {
        what: "user",
        list: &["elasticache", "describe-users"],
        items: "Users",
        id: "UserId",
        delete: &["elasticache", "delete-user", "--user-id"],
        keep: keep_default,
    },
    Kind {
        what: "cache parameter group",
        list: &["elasticache", "describe-cache-parameter-groups"],
        items: "CacheParameterGroups",
        id: "CacheParameterGroupName",
        delete: &[
            "elasticache",
            "delete-cache-parameter-group",
            "--cache-parameter-group-name",
        ],
        keep: keep_default_prefix,
    },
    Kind {
        what: "cache subnet group",
        list: &["elasticache", "describe-cache-subnet-groups"],
        items: "CacheSubnetGroups",
        id: "CacheSubnetGroupName",
        delete: &[
            "elasticache",
            "delete-cache-subnet-group",
            "--cache-subnet-group-name",
        ],
        keep: keep_default,
    },
    Kind {
        what: "cache security group",
        list: &["elasticache", "describe-cache-security-groups"],
        items: "CacheSecurityGroups",
        id: "CacheSecurityGroupName",
        delete: &[
            "elasticache",
            "delete-cache-security-group",
            "--cache-security-group-name",
        ],
        keep: keep_default,
    },
];

/// Resources the API offers no way to delete: listed after the reset so the report says what
/// stayed behind.
struct Undeletable {
    what: &'static str,
    list: &'static [&'static str],
    items: &'static str,
    why: &'static str,
}

const DYNAMODB_UNDELETABLE: &[Undeletable] = &[
    Undeletable {
        what: "stream",
        list: &["dynamodbstreams", "list-streams"],
        items: "Streams",
        why: "a deleted table's stream stays readable for 24 hours; no API call deletes a stream",
    },
    Undeletable {
        what: "export",
        list: &["dynamodb", "list-exports"],
        items: "ExportSummaries",
        why: "exports are a history; no API call deletes one",
    },
    Undeletable {
        what: "import",
        list: &["dynamodb", "list-imports"],
        items: "ImportSummaryList",
        why: "imports are a history; no API call deletes one",
    },
];

const ELASTICACHE_UNDELETABLE: &[Undeletable] = &[Undeletable {
    what: "reserved cache node",
    list: &["elasticache", "describe-reserved-cache-nodes"],
    items: "ReservedCacheNodes",
    why: "a reservation is a purchase; no API call cancels it",
}];

fn count(v: &Option<Value>, list: &str) -> usize {
    v.as_ref()
        .and_then(|v| v.get(list))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// Empties the worker's account through the API in every region the corpus uses. Returns what
/// could not be deleted (one line each); an error only when tables remain, since a table left
/// behind would change the next example's world.
pub fn reset(
    drv: &mut dyn Driver,
    cfg: &RunConfig,
    env: &[(String, String)],
    cwd: &Path,
) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    for region in &cfg.api_regions {
        let r = region.as_str();
        let ddb = cfg.api_services.iter().any(|s| s.starts_with("dynamodb"));
        if ddb {
            reset_dynamodb(drv, env, cwd, r)?;
            undeletable(drv, env, cwd, r, DYNAMODB_UNDELETABLE, &mut notes);
        }
        if cfg.api_services.iter().any(|s| s == "elasticache") {
            reset_elasticache(drv, env, cwd, r, &mut notes);
            undeletable(drv, env, cwd, r, ELASTICACHE_UNDELETABLE, &mut notes);
        }
    }
    Ok(notes)
}

fn undeletable(
    drv: &mut dyn Driver,
    env: &[(String, String)],
    cwd: &Path,
    r: &str,
    kinds: &[Undeletable],
    notes: &mut Vec<String>,
) {
    for k in kinds {
        let n = count(&call(drv, env, cwd, r, k.list), k.items);
        if n > 0 {
            notes.push(format!("{r}: {n} {}(s) left ({})", k.what, k.why));
        }
    }
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
    // User backups can be deleted; system and AWS Backup ones are reported by the next list.
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
    // Its indexes, streams settings, TTL, PITR, insights, Kinesis destinations, resource
    // policy and tags go with it.
    let mut left = Vec::new();
    for round in 0..20 {
        let tables = call(drv, env, cwd, r, &["dynamodb", "list-tables"]);
        left = strings(&tables, "TableNames", "");
        if left.is_empty() {
            let backups = call(drv, env, cwd, r, &["dynamodb", "list-backups"]);
            let n = count(&backups, "BackupSummaries");
            if n > 0 {
                return Err(format!(
                    "{r}: {n} backup(s) left after reset (system or AWS Backup backups cannot be deleted through DynamoDB)"
                ));
            }
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

fn reset_elasticache(
    drv: &mut dyn Driver,
    env: &[(String, String)],
    cwd: &Path,
    r: &str,
    notes: &mut Vec<String>,
) {
    // Deletions are asynchronous and ordered (a parameter group in use cannot go): repeat
    // until nothing deletable is listed, bounded.
    let mut left: Vec<(String, String)> = Vec::new();
    for round in 0..10 {
        left.clear();
        // A global datastore can only be deleted once its secondaries are disassociated.
        let globals = call(
            drv,
            env,
            cwd,
            r,
            &[
                "elasticache",
                "describe-global-replication-groups",
                "--show-member-info",
            ],
        );
        for g in globals
            .as_ref()
            .and_then(|v| v.get("GlobalReplicationGroups"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let Some(gid) = g.get("GlobalReplicationGroupId").and_then(Value::as_str) else {
                continue;
            };
            for m in g
                .get("Members")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
            {
                let field = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                if field("Role") != "SECONDARY" {
                    continue;
                }
                let (rg, rr) = (field("ReplicationGroupId"), field("ReplicationGroupRegion"));
                call(
                    drv,
                    env,
                    cwd,
                    r,
                    &[
                        "elasticache",
                        "disassociate-global-replication-group",
                        "--global-replication-group-id",
                        gid,
                        "--replication-group-id",
                        &rg,
                        "--replication-group-region",
                        &rr,
                    ],
                );
            }
        }
        for k in ELASTICACHE {
            let listed = call(drv, env, cwd, r, k.list);
            // Members of a replication group go with their group.
            let skip_member = k.items == "CacheClusters";
            let items: Vec<Value> = listed
                .as_ref()
                .and_then(|v| v.get(k.items))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for item in items {
                let Some(id) = item.get(k.id).and_then(Value::as_str) else {
                    continue;
                };
                if (k.keep)(id) {
                    continue;
                }
                let status = ["Status", "CacheClusterStatus", "SnapshotStatus"]
                    .iter()
                    .find_map(|f| item.get(*f).and_then(Value::as_str))
                    .unwrap_or("");
                left.push((k.what.to_string(), id.to_string()));
                if status == "deleting"
                    || (skip_member && item.get("ReplicationGroupId").is_some() && round == 0)
                {
                    continue;
                }
                let mut argv: Vec<&str> = k.delete.to_vec();
                argv.push(id);
                call(drv, env, cwd, r, &argv);
            }
        }
        if left.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(if round < 3 { 200 } else { 1000 }));
    }
    for (what, id) in left {
        notes.push(format!(
            "{r}: {what} {id} left (still listed after 10 rounds of deletes)"
        ));
    }
}
