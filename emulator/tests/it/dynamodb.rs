//! DynamoDB integration tests (through the real AWS CLI, and raw HTTP for bad input).
//!
//! One emulator (and so one DynamoDB Local JVM) is shared by every test here; each test uses
//! its own account, which DynamoDB Local keeps in its own database.

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::common::{create_table_args, CliResult, TestEmulator};

mod bulk;
mod capacity;
mod constraints;
mod errors;
mod multi_key;
mod ordering;
mod partiql;
mod partiql_recorded;
mod recorded;
mod s3_sts;
mod sourced_errors;
mod start;
mod transactions_recorded;
mod value_layers;
mod vector;
mod write_log;

fn emu() -> &'static TestEmulator {
    static EMU: OnceLock<TestEmulator> = OnceLock::new();
    EMU.get_or_init(TestEmulator::start)
}

struct Caller {
    account: &'static str,
    region: &'static str,
}

impl Caller {
    fn aws(&self, args: &[&str]) -> CliResult {
        emu().aws_as(self.account, self.region, args)
    }
    fn ok(&self, args: &[&str]) -> Value {
        self.aws(args).json()
    }
    fn in_region(&self, region: &'static str) -> Caller {
        Caller {
            account: self.account,
            region,
        }
    }
    fn create_table(&self, name: &str, extra: &[&str]) -> Value {
        self.ok(&create_table_args(name, extra))
    }
    fn put(&self, table: &str, pk: &str, v: &str) {
        let item = json!({"pk": {"S": pk}, "v": {"S": v}}).to_string();
        self.ok(&[
            "dynamodb",
            "put-item",
            "--table-name",
            table,
            "--item",
            &item,
        ]);
    }
    /// Items sorted by key, for comparisons.
    fn items(&self, table: &str) -> Vec<Value> {
        let out = self.ok(&[
            "dynamodb",
            "scan",
            "--table-name",
            table,
            "--consistent-read",
        ]);
        let mut items = out["Items"].as_array().cloned().unwrap_or_default();
        items.sort_by_key(|i| i["pk"]["S"].as_str().unwrap_or("").to_string());
        items
    }
}

impl Caller {
    /// ImportTable of a one-key on-demand table; its ImportTableDescription.
    fn import_table(&self, table: &str, bucket: &str, prefix: &str, compression: &str) -> Value {
        let src = format!("S3Bucket={bucket},S3KeyPrefix={prefix}");
        let params = format!("TableName={table},AttributeDefinitions=[{{AttributeName=pk,AttributeType=S}}],KeySchema=[{{AttributeName=pk,KeyType=HASH}}],BillingMode=PAY_PER_REQUEST");
        self.ok(&[
            "dynamodb",
            "import-table",
            "--s3-bucket-source",
            &src,
            "--input-format",
            "DYNAMODB_JSON",
            "--input-compression-type",
            compression,
            "--table-creation-parameters",
            &params,
        ])["ImportTableDescription"]
            .clone()
    }

    fn enable_pitr(&self, table: &str) {
        self.ok(&[
            "dynamodb",
            "update-continuous-backups",
            "--table-name",
            table,
            "--point-in-time-recovery-specification",
            "PointInTimeRecoveryEnabled=true",
        ]);
    }
}

fn caller(account: &'static str) -> Caller {
    Caller {
        account,
        region: "us-east-1",
    }
}

#[test]
fn create_table_answers_creating_then_active_with_our_fields() {
    let c = caller("200000000001");
    let out = c.create_table("Lifecycle", &["--sse-specification", "Enabled=true"]);
    let d = &out["TableDescription"];
    assert_eq!(d["TableStatus"], "CREATING");
    assert_eq!(
        d["TableArn"],
        "arn:aws:dynamodb:us-east-1:200000000001:table/Lifecycle"
    );
    assert!(d["TableId"].as_str().is_some_and(|s| s.len() == 36));
    assert_eq!(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(d["SSEDescription"]["Status"], "ENABLED");
    let again = c.ok(&["dynamodb", "describe-table", "--table-name", "Lifecycle"]);
    assert_eq!(again["Table"]["TableStatus"], "ACTIVE");
    assert_eq!(again["Table"]["TableId"], d["TableId"]);
    let dup = c.aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Lifecycle",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    dup.fails_with("ResourceInUseException");
    let del = c.ok(&["dynamodb", "delete-table", "--table-name", "Lifecycle"]);
    assert_eq!(del["TableDescription"]["TableStatus"], "DELETING");
    let gone = c.aws(&["dynamodb", "describe-table", "--table-name", "Lifecycle"]);
    gone.fails_with("ResourceNotFoundException");
}

#[test]
fn accounts_do_not_see_each_other() {
    let a = caller("200000000002");
    let b = caller("200000000003");
    a.create_table("Private", &[]);
    let listed = b.ok(&["dynamodb", "list-tables"]);
    assert!(!listed["TableNames"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "Private"));
}

#[test]
fn restored_backup_equals_source() {
    let c = caller("200000000004");
    c.create_table("Source", &[]);
    for i in 0..30 {
        c.put("Source", &format!("k{i:02}"), &format!("value {i}"));
    }
    let before = c.items("Source");
    let backup = c.ok(&[
        "dynamodb",
        "create-backup",
        "--table-name",
        "Source",
        "--backup-name",
        "first",
    ]);
    let arn = backup["BackupDetails"]["BackupArn"]
        .as_str()
        .unwrap()
        .to_string();
    // Changes after the backup must not reach the restored table.
    c.put("Source", "k00", "changed");
    c.put("Source", "new", "new");
    let restored = c.ok(&[
        "dynamodb",
        "restore-table-from-backup",
        "--target-table-name",
        "Restored",
        "--backup-arn",
        &arn,
    ]);
    assert_eq!(
        restored["TableDescription"]["RestoreSummary"]["SourceBackupArn"],
        arn
    );
    assert_eq!(c.items("Restored"), before);
    let desc = c.ok(&["dynamodb", "describe-table", "--table-name", "Restored"]);
    assert_eq!(
        desc["Table"]["KeySchema"],
        json!([{"AttributeName": "pk", "KeyType": "HASH"}])
    );
    assert_eq!(
        desc["Table"]["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    let listed = c.ok(&["dynamodb", "list-backups", "--table-name", "Source"]);
    assert_eq!(listed["BackupSummaries"].as_array().unwrap().len(), 1);
    let again = c.aws(&[
        "dynamodb",
        "restore-table-from-backup",
        "--target-table-name",
        "Restored",
        "--backup-arn",
        &arn,
    ]);
    again.fails_with("TableAlreadyExistsException");
}

fn epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn restores_to_two_points_in_time_give_two_states() {
    let c = caller("200000000005");
    c.create_table("History", &[]);
    c.put("History", "a", "1");
    let not_yet = c.aws(&[
        "dynamodb",
        "restore-table-to-point-in-time",
        "--source-table-name",
        "History",
        "--target-table-name",
        "Nope",
        "--use-latest-restorable-time",
    ]);
    assert!(
        not_yet
            .stderr
            .contains("PointInTimeRecoveryUnavailableException"),
        "{}",
        not_yet.stderr
    );
    c.enable_pitr("History");
    // The CLI sends restore times in whole seconds: keep each state over a second boundary.
    let pause = || std::thread::sleep(std::time::Duration::from_millis(1100));
    c.put("History", "b", "2");
    pause();
    let t1 = epoch().floor();
    pause();
    c.put("History", "a", "changed");
    c.ok(&[
        "dynamodb",
        "delete-item",
        "--table-name",
        "History",
        "--key",
        r#"{"pk":{"S":"b"}}"#,
    ]);
    pause();
    let t2 = epoch().floor();
    let restore = |target: &str, t: f64| {
        c.ok(&[
            "dynamodb",
            "restore-table-to-point-in-time",
            "--source-table-name",
            "History",
            "--target-table-name",
            target,
            "--restore-date-time",
            &format!("{t:.0}"),
        ])
    };
    restore("AtT1", t1);
    restore("AtT2", t2);
    let v = |items: Vec<Value>| -> Vec<(String, String)> {
        items
            .iter()
            .map(|i| {
                (
                    i["pk"]["S"].as_str().unwrap().to_string(),
                    i["v"]["S"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        v(c.items("AtT1")),
        vec![("a".into(), "1".into()), ("b".into(), "2".into())]
    );
    assert_eq!(v(c.items("AtT2")), vec![("a".into(), "changed".into())]);
    let too_early = c.aws(&[
        "dynamodb",
        "restore-table-to-point-in-time",
        "--source-table-name",
        "History",
        "--target-table-name",
        "TooEarly",
        "--restore-date-time",
        "1000000000",
    ]);
    too_early.fails_with("InvalidRestoreTimeException");
}

#[test]
fn a_write_in_one_replica_region_is_read_in_another() {
    let east = caller("200000000006");
    let west = east.in_region("eu-west-1");
    east.create_table("Global", &[]);
    east.put("Global", "before", "x");
    let upd = east.ok(&[
        "dynamodb",
        "update-table",
        "--table-name",
        "Global",
        "--replica-updates",
        "Create={RegionName=eu-west-1}",
    ]);
    assert_eq!(
        upd["TableDescription"]["Replicas"][0]["RegionName"],
        "eu-west-1"
    );
    assert_eq!(
        upd["TableDescription"]["Replicas"][0]["ReplicaStatus"],
        "CREATING"
    );
    let desc = east.ok(&["dynamodb", "describe-table", "--table-name", "Global"]);
    assert_eq!(desc["Table"]["Replicas"][0]["ReplicaStatus"], "ACTIVE");
    assert_eq!(desc["Table"]["GlobalTableVersion"], "2019.11.21");
    // Existing items were copied, new writes flow both ways.
    assert_eq!(west.items("Global").len(), 1);
    east.put("Global", "from-east", "1");
    west.put("Global", "from-west", "2");
    let get = |c: &Caller, pk: &str| {
        c.ok(&[
            "dynamodb",
            "get-item",
            "--table-name",
            "Global",
            "--key",
            &json!({"pk": {"S": pk}}).to_string(),
        ])["Item"]["v"]["S"]
            .clone()
    };
    assert_eq!(get(&west, "from-east"), "1");
    assert_eq!(get(&east, "from-west"), "2");
    let arn = west.ok(&["dynamodb", "describe-table", "--table-name", "Global"])["Table"]
        ["TableArn"]
        .clone();
    assert_eq!(arn, "arn:aws:dynamodb:eu-west-1:200000000006:table/Global");
}

#[test]
fn tags_given_at_create_are_listed() {
    let c = caller("200000000007");
    let out = c.create_table(
        "Tagged",
        &["--tags", "Key=Owner,Value=blueTeam", "Key=Env,Value=prod"],
    );
    let arn = out["TableDescription"]["TableArn"]
        .as_str()
        .unwrap()
        .to_string();
    let tags = c.ok(&["dynamodb", "list-tags-of-resource", "--resource-arn", &arn]);
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "Owner", "Value": "blueTeam"}, {"Key": "Env", "Value": "prod"}])
    );
    c.ok(&[
        "dynamodb",
        "untag-resource",
        "--resource-arn",
        &arn,
        "--tag-keys",
        "Owner",
    ]);
    let tags = c.ok(&["dynamodb", "list-tags-of-resource", "--resource-arn", &arn]);
    assert_eq!(tags["Tags"], json!([{"Key": "Env", "Value": "prod"}]));
}

#[test]
fn a_deletion_protected_table_refuses_deletion() {
    let c = caller("200000000008");
    c.create_table("Protected", &["--deletion-protection-enabled"]);
    let refused = c.aws(&["dynamodb", "delete-table", "--table-name", "Protected"]);
    assert_ne!(refused.code, 0);
    refused.fails_with("ValidationException");
    assert!(
        c.ok(&["dynamodb", "describe-table", "--table-name", "Protected"])["Table"]
            ["DeletionProtectionEnabled"]
            .as_bool()
            .unwrap()
    );
    c.ok(&[
        "dynamodb",
        "update-table",
        "--table-name",
        "Protected",
        "--no-deletion-protection-enabled",
    ]);
    c.ok(&["dynamodb", "delete-table", "--table-name", "Protected"]);
}

/// Raw requests the CLI would never send.
fn raw(target: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    raw_as("200000000009", target, body)
}

/// A raw request as `account` in us-east-1 (also for operations the pinned CLI lacks).
fn raw_as(account: &str, target: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    raw_at(&emu().url(), account, target, body)
}

/// One operation as `account` over raw HTTP: status and answer.
fn op(account: &str, name: &str, body: Value) -> (u16, Value) {
    raw_as(
        account,
        Some(&format!("DynamoDB_20120810.{name}")),
        body.to_string().into_bytes(),
    )
}

/// One operation that must succeed; its answer.
fn ok(account: &str, name: &str, body: Value) -> Value {
    let (status, out) = op(account, name, body);
    assert_eq!(status, 200, "{name}: {out}");
    out
}

/// A raw request to the emulator at `url` (tests that start their own).
fn raw_at(url: &str, account: &str, target: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let url = url.to_string();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut req = reqwest::Client::new()
            .post(format!("{url}/"))
            .header("content-type", "application/x-amz-json-1.0")
            .header("authorization", auth)
            .body(body);
        if let Some(t) = target {
            req = req.header("x-amz-target", t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    })
}

fn assert_serving() {
    let (status, out) = raw(Some("DynamoDB_20120810.ListTables"), b"{}".to_vec());
    assert_eq!(status, 200, "{out}");
    assert!(out["TableNames"].is_array());
}

#[test]
fn bad_input_gets_aws_errors_and_the_emulator_keeps_serving() {
    let (s, e) = raw(Some("DynamoDB_20120810.GetItem"), b"{not json".to_vec());
    assert_eq!(s, 400);
    assert_eq!(
        e["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    assert_serving();

    // A member of the wrong JSON type fails to deserialize: 400, never the backend's 500.
    for (op, body, message) in [
        (
            "Scan",
            r#"{"TableName":"t1","Limit":"ten"}"#,
            "STRING_VALUE cannot be converted to Integer",
        ),
        (
            "DescribeTable",
            r#"{"TableName":5}"#,
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            "GetItem",
            r#"{"TableName":"t1","Key":{"k":{"N":5}}}"#,
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            "Scan",
            r#"{"TableName":"t1","ConsistentRead":"yes"}"#,
            "Unexpected token received from parser",
        ),
        (
            "Scan",
            r#"{"TableName":["t1"]}"#,
            "Start of list found where not expected",
        ),
        (
            "Scan",
            r#"{"TableName":true}"#,
            "TRUE_VALUE cannot be converted to String",
        ),
        (
            "GetItem",
            r#"{"TableName":"t1","Key":"k"}"#,
            "Unexpected field type",
        ),
        (
            "PutItem",
            r#"{"TableName":"t1","Item":{"k":{"L":["x"]}}}"#,
            "Unexpected value type in payload",
        ),
        (
            "PutItem",
            r#"{"TableName":"t1","Item":{"k":{"B":"abc"}}}"#,
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        (
            "PutItem",
            r#"{"TableName":"t1","Item":{"k":{"B":1}}}"#,
            "only base-64-encoded strings are convertible to bytes",
        ),
        (
            "Scan",
            r#"{"TableName":{"a":1}}"#,
            "Start of structure or map found where not expected",
        ),
    ] {
        let (s, e) = raw(
            Some(&format!("DynamoDB_20120810.{op}")),
            body.as_bytes().to_vec(),
        );
        assert_eq!(s, 400, "{body}: {e}");
        assert_eq!(
            e["__type"], "com.amazon.coral.service#SerializationException",
            "{body}"
        );
        assert_eq!(e["message"], message, "{body}");
    }
    assert_serving();

    let (s, e) = raw(Some("DynamoDB_20120810.NoSuchThing"), b"{}".to_vec());
    assert_eq!(s, 400);
    assert_eq!(
        e["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );

    let (s, e) = raw(None, b"{}".to_vec());
    assert_eq!(s, 400);
    assert_eq!(
        e["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    assert_serving();

    let (s, e) = raw(
        Some("DynamoDB_20120810.PutItem"),
        br#"{"TableName":"Tbl"}"#.to_vec(),
    );
    assert_eq!(s, 400);
    assert_eq!(e["__type"], "com.amazon.coral.validate#ValidationException");
    assert_eq!(
        e["message"],
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null"
    );

    let big = vec![b' '; emulator::gateway::MAX_BODY + 1];
    let (s, e) = raw(Some("DynamoDB_20120810.ListTables"), big);
    assert_eq!(s, 413);
    assert_eq!(
        e["__type"],
        "com.amazon.coral.service#RequestEntityTooLarge"
    );
    assert_serving();
}

#[test]
fn state_dir_keeps_tables_items_backups_and_tags_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_path_buf();
    let start = || {
        let s = state.clone();
        TestEmulator::start_with(move |c| c.state_dir = Some(s))
    };
    let acct = "200000000010";
    let table_id;
    {
        let emu = start();
        let out = emu
            .aws_as(
                acct,
                "us-east-1",
                &[
                    "dynamodb",
                    "create-table",
                    "--table-name",
                    "Durable",
                    "--attribute-definitions",
                    "AttributeName=pk,AttributeType=S",
                    "--key-schema",
                    "AttributeName=pk,KeyType=HASH",
                    "--billing-mode",
                    "PAY_PER_REQUEST",
                    "--tags",
                    "Key=k,Value=v",
                ],
            )
            .json();
        table_id = out["TableDescription"]["TableId"].clone();
        emu.aws_as(
            acct,
            "us-east-1",
            &[
                "dynamodb",
                "put-item",
                "--table-name",
                "Durable",
                "--item",
                r#"{"pk":{"S":"kept"}}"#,
            ],
        )
        .json();
        emu.aws_as(
            acct,
            "us-east-1",
            &[
                "dynamodb",
                "create-backup",
                "--table-name",
                "Durable",
                "--backup-name",
                "kept",
            ],
        )
        .json();
    }
    let emu = start();
    let run = |args: &[&str]| emu.aws_as(acct, "us-east-1", args).json();
    let items = run(&["dynamodb", "scan", "--table-name", "Durable"]);
    assert_eq!(items["Items"], json!([{"pk": {"S": "kept"}}]));
    let desc = run(&["dynamodb", "describe-table", "--table-name", "Durable"]);
    assert_eq!(desc["Table"]["TableId"], table_id);
    let backups = run(&["dynamodb", "list-backups"]);
    assert_eq!(backups["BackupSummaries"][0]["BackupName"], "kept");
    let arn = desc["Table"]["TableArn"].as_str().unwrap().to_string();
    let tags = run(&["dynamodb", "list-tags-of-resource", "--resource-arn", &arn]);
    assert_eq!(tags["Tags"], json!([{"Key": "k", "Value": "v"}]));
}

#[test]
fn a_dead_dynamodb_local_is_restarted() {
    let emu = TestEmulator::start();
    let acct = "200000000011";
    let list = || emu.aws_as(acct, "us-east-1", &["dynamodb", "list-tables"]);
    list().json();
    let pids = emu.child_pids();
    assert_eq!(pids.len(), 1, "{pids:?}");
    unsafe {
        libc::kill(pids[0] as i32, libc::SIGKILL);
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The next request notices, starts a new JVM and is answered.
    assert!(list().json()["TableNames"].is_array());
    let after = emu.child_pids();
    assert_eq!(after.len(), 1);
    assert_ne!(after[0], pids[0]);
}

#[test]
fn an_external_endpoint_is_used_instead_of_dynamodb_local() {
    let acct = "200000000012";
    // Make sure the shared emulator's DynamoDB Local runs, then point a second emulator at it.
    emu()
        .aws_as(acct, "us-east-1", &["dynamodb", "list-tables"])
        .json();
    let url = emu().state.dynamodb.status()["url"]
        .as_str()
        .expect("DynamoDB Local URL")
        .to_string();
    let proxy = TestEmulator::start_with(move |c| c.dynamodb_endpoint = Some(url));
    proxy
        .aws_as(
            acct,
            "us-east-1",
            &[
                "dynamodb",
                "create-table",
                "--table-name",
                "ViaEndpoint",
                "--attribute-definitions",
                "AttributeName=pk,AttributeType=S",
                "--key-schema",
                "AttributeName=pk,KeyType=HASH",
                "--billing-mode",
                "PAY_PER_REQUEST",
            ],
        )
        .json();
    assert!(proxy.child_pids().is_empty(), "no JVM of its own");
    let names = emu()
        .aws_as(acct, "us-east-1", &["dynamodb", "list-tables"])
        .json();
    assert_eq!(names["TableNames"], json!(["ViaEndpoint"]));
}

#[test]
fn an_export_can_be_imported_into_a_new_table() {
    let c = caller("200000000013");
    c.ok(&["s3api", "create-bucket", "--bucket", "bkt"]);
    c.create_table("ToExport", &[]);
    for i in 0..5 {
        c.put("ToExport", &format!("e{i}"), "v");
    }
    let arn = "arn:aws:dynamodb:us-east-1:200000000013:table/ToExport";
    let refused = c.aws(&[
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        arn,
        "--s3-bucket",
        "bkt",
    ]);
    assert!(
        refused
            .stderr
            .contains("PointInTimeRecoveryUnavailableException"),
        "{}",
        refused.stderr
    );
    c.enable_pitr("ToExport");
    let export = c.ok(&[
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        arn,
        "--s3-bucket",
        "bkt",
        "--s3-prefix",
        "exp200000000013",
    ]);
    let export_arn = export["ExportDescription"]["ExportArn"]
        .as_str()
        .unwrap()
        .to_string();
    let described = c.ok(&["dynamodb", "describe-export", "--export-arn", &export_arn]);
    assert_eq!(described["ExportDescription"]["ExportStatus"], "COMPLETED");
    assert_eq!(described["ExportDescription"]["ItemCount"], 5);
    // As on AWS, the export's data files are gzipped `{"Item": ...}` lines under data/.
    let manifest = described["ExportDescription"]["ExportManifest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        manifest.starts_with("exp200000000013/AWSDynamoDB/"),
        "{manifest}"
    );
    let data = manifest.replace("manifest-summary.json", "data/");
    let listed = c.ok(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "bkt",
        "--prefix",
        &data,
    ]);
    assert!(listed["Contents"][0]["Key"]
        .as_str()
        .unwrap()
        .ends_with(".json.gz"));
    let source = format!("S3Bucket=bkt,S3KeyPrefix={data}");
    let import = c.ok(&[
        "dynamodb", "import-table",
        "--s3-bucket-source", &source,
        "--input-format", "DYNAMODB_JSON",
        "--input-compression-type", "GZIP",
        "--table-creation-parameters",
        "TableName=Imported,AttributeDefinitions=[{AttributeName=pk,AttributeType=S}],KeySchema=[{AttributeName=pk,KeyType=HASH}],BillingMode=PAY_PER_REQUEST",
    ]);
    // The first answer reports zero, as AWS's does; the count is in DescribeImport.
    let import_arn = import["ImportTableDescription"]["ImportArn"]
        .as_str()
        .unwrap();
    let done = c.ok(&["dynamodb", "describe-import", "--import-arn", import_arn]);
    assert_eq!(done["ImportTableDescription"]["ImportedItemCount"], 5);
    assert_eq!(c.items("Imported"), c.items("ToExport"));
}

#[test]
fn a_2017_global_table_replicates_between_its_regions() {
    let east = caller("200000000014");
    let west = east.in_region("us-west-2");
    let streams = [
        "--stream-specification",
        "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
    ];
    east.create_table("Gt2017", &streams);
    // Streams with both images are a precondition, as on AWS.
    west.create_table("Gt2017", &[]);
    let refused = east.aws(&[
        "dynamodb",
        "create-global-table",
        "--global-table-name",
        "Gt2017",
        "--replication-group",
        "RegionName=us-east-1",
        "RegionName=us-west-2",
    ]);
    refused.fails_with("ValidationException");
    west.ok(&["dynamodb", "delete-table", "--table-name", "Gt2017"]);
    west.create_table("Gt2017", &streams);
    let created = east.ok(&[
        "dynamodb",
        "create-global-table",
        "--global-table-name",
        "Gt2017",
        "--replication-group",
        "RegionName=us-east-1",
        "RegionName=us-west-2",
    ]);
    assert_eq!(
        created["GlobalTableDescription"]["GlobalTableStatus"],
        "CREATING"
    );
    east.put("Gt2017", "x", "from-east");
    assert_eq!(west.items("Gt2017").len(), 1);
    let listed = west.ok(&[
        "dynamodb",
        "list-global-tables",
        "--region-name",
        "us-west-2",
    ]);
    assert_eq!(listed["GlobalTables"][0]["GlobalTableName"], "Gt2017");
}

/// DynamoDB Local gives every index its table's size; AWS counts what each index holds.
#[test]
fn index_sizes_count_only_what_each_index_holds() {
    let c = caller("200000000015");
    c.ok(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Sparse",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=S",
        "AttributeName=album,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--local-secondary-indexes",
        r#"[{"IndexName":"ByAlbum","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"album","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]"#,
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    // pk(2+1) sk(2+1) album(5+3) notes(5+10): only the first item carries the index key.
    for item in [
        r#"{"pk":{"S":"a"},"sk":{"S":"1"},"album":{"S":"xyz"},"notes":{"S":"0123456789"}}"#,
        r#"{"pk":{"S":"a"},"sk":{"S":"2"},"notes":{"S":"0123456789"}}"#,
    ] {
        c.ok(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Sparse",
            "--item",
            item,
        ]);
    }
    let created = c.ok(&[
        "dynamodb",
        "update-table",
        "--table-name",
        "Sparse",
        "--attribute-definitions",
        "AttributeName=notes,AttributeType=S",
        "--global-secondary-index-updates",
        r#"[{"Create":{"IndexName":"ByNotes","KeySchema":[{"AttributeName":"notes","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]"#,
    ]);
    let g = &created["TableDescription"]["GlobalSecondaryIndexes"][0];
    assert_eq!(g["IndexStatus"], "CREATING");
    assert_eq!(
        (g["IndexSizeBytes"].as_u64(), g["ItemCount"].as_u64()),
        (Some(0), Some(0))
    );
    let t = c.ok(&["dynamodb", "describe-table", "--table-name", "Sparse"])["Table"].clone();
    assert_eq!(t["TableSizeBytes"], 3 + 3 + 8 + 15 + 3 + 3 + 15);
    assert_eq!(t["ItemCount"], 2);
    let l = &t["LocalSecondaryIndexes"][0];
    assert_eq!(l["IndexSizeBytes"], 3 + 3 + 8);
    assert_eq!(l["ItemCount"], 1);
    // The next describe after the create sees the index built, holding both items whole.
    let g = &t["GlobalSecondaryIndexes"][0];
    assert_eq!(g["IndexStatus"], "ACTIVE");
    assert_eq!(g["IndexSizeBytes"], t["TableSizeBytes"]);
    assert_eq!(g["ItemCount"], 2);
    // Figures follow a later write.
    c.ok(&[
        "dynamodb",
        "delete-item",
        "--table-name",
        "Sparse",
        "--key",
        r#"{"pk":{"S":"a"},"sk":{"S":"1"}}"#,
    ]);
    let t = c.ok(&["dynamodb", "describe-table", "--table-name", "Sparse"])["Table"].clone();
    assert_eq!(t["LocalSecondaryIndexes"][0]["ItemCount"], 0);
    assert_eq!(t["LocalSecondaryIndexes"][0]["IndexSizeBytes"], 0);
    assert_eq!(t["GlobalSecondaryIndexes"][0]["ItemCount"], 1);
}

#[test]
fn a_reset_leaves_no_streams_of_deleted_tables() {
    let c = caller("200000000301");
    c.create_table(
        "Streamed",
        &[
            "--stream-specification",
            "StreamEnabled=true,StreamViewType=NEW_IMAGE",
        ],
    );
    let listed = c.ok(&["dynamodbstreams", "list-streams"]);
    assert_eq!(listed["Streams"].as_array().map(Vec::len), Some(1));
    emu().reset_account("200000000301");
    let listed = c.ok(&["dynamodbstreams", "list-streams"]);
    assert_eq!(listed["Streams"], json!([]), "{listed}");
    // A table created after the reset has its stream listed.
    c.create_table(
        "Streamed",
        &[
            "--stream-specification",
            "StreamEnabled=true,StreamViewType=NEW_IMAGE",
        ],
    );
    let listed = c.ok(&["dynamodbstreams", "list-streams"]);
    assert_eq!(listed["Streams"].as_array().map(Vec::len), Some(1));
}

/// Every record of the table's stream in the caller's region, from the start.
fn stream_records(c: &Caller, table: &str) -> Vec<Value> {
    let desc = c.ok(&["dynamodb", "describe-table", "--table-name", table]);
    let stream = desc["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap_or_else(|| panic!("no stream: {desc}"))
        .to_string();
    assert!(stream.contains(&format!(":{}:", c.region)), "{stream}");
    let shards = c.ok(&[
        "dynamodbstreams",
        "describe-stream",
        "--stream-arn",
        &stream,
    ]);
    let mut out = vec![];
    for shard in shards["StreamDescription"]["Shards"].as_array().unwrap() {
        let it = c.ok(&[
            "dynamodbstreams",
            "get-shard-iterator",
            "--stream-arn",
            &stream,
            "--shard-id",
            shard["ShardId"].as_str().unwrap(),
            "--shard-iterator-type",
            "TRIM_HORIZON",
        ])["ShardIterator"]
            .as_str()
            .unwrap()
            .to_string();
        let got = c.ok(&["dynamodbstreams", "get-records", "--shard-iterator", &it]);
        out.extend(got["Records"].as_array().unwrap().iter().cloned());
    }
    out
}

#[test]
fn stream_records_name_the_tables_region() {
    let c = caller("200000000302").in_region("eu-west-1");
    c.create_table(
        "Regional",
        &[
            "--stream-specification",
            "StreamEnabled=true,StreamViewType=NEW_IMAGE",
        ],
    );
    c.put("Regional", "a", "1");
    let records = stream_records(&c, "Regional");
    let regions: Vec<&Value> = records.iter().map(|r| &r["awsRegion"]).collect();
    assert_eq!(regions, [&json!("eu-west-1")], "{records:?}");
}

/// AT_TIMESTAMP, which AWS added after DynamoDB Local was written: records from that time on.
#[test]
fn at_timestamp_iterators_start_at_their_time() {
    let account = "200000000304";
    let c = caller(account);
    c.create_table(
        "Timed",
        &[
            "--stream-specification",
            "StreamEnabled=true,StreamViewType=NEW_IMAGE",
        ],
    );
    c.put("Timed", "old", "1");
    c.put("Timed", "new", "2");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let desc = c.ok(&["dynamodb", "describe-table", "--table-name", "Timed"]);
    let stream = desc["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    let shards = c.ok(&[
        "dynamodbstreams",
        "describe-stream",
        "--stream-arn",
        &stream,
    ]);
    let shard = shards["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_string();
    let call = |op: &str, body: Value| {
        raw_as(
            account,
            Some(&format!("DynamoDBStreams_20120810.{op}")),
            body.to_string().into_bytes(),
        )
    };
    // Records from the time on: a time before the writes reads both, one after them none
    // (the iterator goes on, as AWS's does), the time of the writes their own.
    let read = |ts: f64| {
        let (status, it) = call(
            "GetShardIterator",
            json!({"StreamArn": stream, "ShardId": shard, "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ts}),
        );
        assert_eq!(status, 200, "{it}");
        let (status, got) = call("GetRecords", json!({"ShardIterator": it["ShardIterator"]}));
        assert_eq!(status, 200, "{got}");
        assert!(got["NextShardIterator"].is_string(), "{got}");
        let keys: Vec<Value> = got["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["awsRegion"], "us-east-1");
                r["dynamodb"]["Keys"]["pk"]["S"].clone()
            })
            .collect();
        keys
    };
    assert_eq!(read(now - 3600.0), [json!("old"), json!("new")]);
    assert_eq!(read(now + 120.0), Vec::<Value>::new());
    assert!(read(now).contains(&json!("new")));
    let (status, e) = call(
        "GetShardIterator",
        json!({"StreamArn": stream, "ShardId": shard, "ShardIteratorType": "AT_TIMESTAMP"}),
    );
    assert_eq!(
        (status, e["__type"].as_str()),
        (400, Some("com.amazon.coral.validate#ValidationException")),
        "{e}"
    );
}

#[test]
fn each_replica_has_its_own_stream_in_its_region() {
    let east = caller("200000000303");
    let west = east.in_region("eu-west-1");
    east.create_table(
        "GlobalStreamed",
        &[
            "--stream-specification",
            "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
        ],
    );
    east.ok(&[
        "dynamodb",
        "update-table",
        "--table-name",
        "GlobalStreamed",
        "--replica-updates",
        "Create={RegionName=eu-west-1}",
    ]);
    west.put("GlobalStreamed", "from-west", "1");
    let records = stream_records(&west, "GlobalStreamed");
    let keys: Vec<(&Value, &Value)> = records
        .iter()
        .map(|r| (&r["awsRegion"], &r["dynamodb"]["Keys"]["pk"]["S"]))
        .collect();
    assert_eq!(
        keys,
        [(&json!("eu-west-1"), &json!("from-west"))],
        "{records:?}"
    );
    assert_ne!(
        east.ok(&[
            "dynamodb",
            "describe-table",
            "--table-name",
            "GlobalStreamed"
        ])["Table"]["LatestStreamArn"],
        west.ok(&[
            "dynamodb",
            "describe-table",
            "--table-name",
            "GlobalStreamed"
        ])["Table"]["LatestStreamArn"]
    );
}

#[test]
fn tables_and_indexes_report_warm_throughput() {
    let c = caller("200000000304");
    let created = c.create_table(
        "Warm",
        &[
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "AttributeName=g,AttributeType=S",
            "--global-secondary-indexes",
            r#"[{"IndexName":"GIdx","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]"#,
        ],
    );
    let d = &created["TableDescription"];
    assert_eq!(d["WarmThroughput"]["ReadUnitsPerSecond"], 12000, "{d}");
    assert_eq!(d["WarmThroughput"]["WriteUnitsPerSecond"], 4000, "{d}");
    assert!(
        d["BillingModeSummary"]
            .get("LastUpdateToPayPerRequestDateTime")
            .is_none(),
        "{d}"
    );
    assert_eq!(
        d["GlobalSecondaryIndexes"][0]["WarmThroughput"]["ReadUnitsPerSecond"], 12000,
        "{d}"
    );
    c.ok(&[
        "dynamodb",
        "update-table",
        "--table-name",
        "Warm",
        "--warm-throughput",
        "ReadUnitsPerSecond=20000",
    ]);
    let t = &c.ok(&["dynamodb", "describe-table", "--table-name", "Warm"])["Table"];
    assert_eq!(t["WarmThroughput"]["ReadUnitsPerSecond"], 20000, "{t}");
    assert_eq!(t["WarmThroughput"]["WriteUnitsPerSecond"], 4000, "{t}");
    assert_eq!(t["WarmThroughput"]["Status"], "ACTIVE", "{t}");
}
