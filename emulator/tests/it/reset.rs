//! `/_emulator/reset` leaves nothing: an account that held one resource of every kind answers,
//! after a reset, exactly as it did before anything was created, through every list and
//! describe call of DynamoDB, DynamoDB Streams, ElastiCache and the local S3.

use serde_json::Value;

use super::common::{create_table_args, running, TestEmulator};
use super::elasticache::{create_cluster, create_group, wait_cluster};

/// The account `TestEmulator::aws` and the ElastiCache test helpers use.
const USED: &str = "123456789012";
const REGION: &str = "us-east-1";

/// Every list/describe call whose answer must match a fresh account's.
const LISTS: &[&[&str]] = &[
    &["dynamodb", "list-tables"],
    &["dynamodb", "list-backups"],
    &["dynamodb", "list-global-tables"],
    &["dynamodb", "list-exports"],
    &["dynamodb", "list-imports"],
    &["dynamodb", "list-contributor-insights"],
    &["dynamodbstreams", "list-streams"],
    &["elasticache", "describe-cache-clusters"],
    &["elasticache", "describe-replication-groups"],
    &["elasticache", "describe-cache-parameter-groups"],
    &["elasticache", "describe-cache-subnet-groups"],
    &["elasticache", "describe-users"],
    &["elasticache", "describe-user-groups"],
    &["elasticache", "describe-snapshots"],
    &["elasticache", "describe-serverless-caches"],
    &["elasticache", "describe-serverless-cache-snapshots"],
    &["elasticache", "describe-global-replication-groups"],
    &["elasticache", "describe-events"],
    &["s3api", "list-buckets"],
];

fn answer(emu: &TestEmulator, account: &str, args: &[&str]) -> Value {
    emu.aws_as(account, REGION, args).json()
}

fn create_one_of_each(emu: &TestEmulator) {
    let ok = |args: &[&str]| emu.aws_as(USED, REGION, args).json();
    ok(&create_table_args(
        "Everything",
        &[
            "--stream-specification",
            "StreamEnabled=true,StreamViewType=NEW_IMAGE",
        ],
    ));
    ok(&[
        "dynamodb",
        "create-backup",
        "--table-name",
        "Everything",
        "--backup-name",
        "backup1",
    ]);
    ok(&[
        "dynamodb",
        "update-contributor-insights",
        "--table-name",
        "Everything",
        "--contributor-insights-action",
        "ENABLE",
    ]);
    ok(&[
        "dynamodb",
        "update-continuous-backups",
        "--table-name",
        "Everything",
        "--point-in-time-recovery-specification",
        "PointInTimeRecoveryEnabled=true",
    ]);
    ok(&["s3api", "create-bucket", "--bucket", "reset-everything"]);
    ok(&[
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        &format!("arn:aws:dynamodb:{REGION}:{USED}:table/Everything"),
        "--s3-bucket",
        "reset-everything",
    ]);
    ok(&[
        "dynamodb", "import-table",
        "--s3-bucket-source", "S3Bucket=reset-everything",
        "--input-format", "DYNAMODB_JSON",
        "--table-creation-parameters",
        "TableName=Imported,AttributeDefinitions=[{AttributeName=pk,AttributeType=S}],KeySchema=[{AttributeName=pk,KeyType=HASH}],BillingMode=PAY_PER_REQUEST",
    ]);
    ok(&[
        "elasticache",
        "create-cache-parameter-group",
        "--cache-parameter-group-name",
        "pg1",
        "--cache-parameter-group-family",
        "redis7",
        "--description",
        "d",
    ]);
    ok(&[
        "elasticache",
        "create-user",
        "--user-id",
        "u1",
        "--user-name",
        "u1",
        "--engine",
        "redis",
        "--access-string",
        "on ~* +@all",
        "--no-password-required",
    ]);
    ok(&[
        "elasticache",
        "create-user-group",
        "--user-group-id",
        "ug1",
        "--engine",
        "redis",
        "--user-ids",
        "default",
        "u1",
    ]);
    create_cluster(emu, "c1", "redis", 1, &[]);
    wait_cluster(emu, "c1");
    ok(&[
        "elasticache",
        "create-snapshot",
        "--cache-cluster-id",
        "c1",
        "--snapshot-name",
        "s1",
    ]);
    ok(&[
        "elasticache",
        "create-serverless-cache",
        "--serverless-cache-name",
        "sc1",
        "--engine",
        "redis",
    ]);
}

#[test]
fn a_reset_account_looks_like_a_fresh_one() {
    let emu = TestEmulator::start();
    let fresh: Vec<Value> = LISTS.iter().map(|a| answer(&emu, USED, a)).collect();
    create_one_of_each(&emu);
    create_group(&emu, "rg1", &["--num-cache-clusters", "1"]);
    let before: Vec<Value> = LISTS.iter().map(|a| answer(&emu, USED, a)).collect();
    // Each call shows the resource it lists before the reset (else the test proves nothing).
    for ((args, f), b) in LISTS.iter().zip(&fresh).zip(&before) {
        let not_created = [
            "describe-cache-subnet-groups",
            "list-global-tables",
            "describe-global-replication-groups",
            "describe-serverless-cache-snapshots",
        ];
        if !not_created.contains(&args[1]) {
            assert_ne!(f, b, "{args:?} shows nothing of what was created");
        }
    }
    let nodes = emu.child_pids();
    emu.reset_account(USED);
    for ((args, f), _) in LISTS.iter().zip(&fresh).zip(&before) {
        assert_eq!(&answer(&emu, USED, args), f, "{args:?} after reset");
    }
    // The cache node processes of the account are gone too (DynamoDB Local stays).
    let left: Vec<u32> = nodes
        .into_iter()
        .filter(|p| running(*p) && emu.child_pids().contains(p))
        .collect();
    assert!(left.len() <= 1, "only DynamoDB Local may be left: {left:?}");
}
