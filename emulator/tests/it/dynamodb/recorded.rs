//! Response members checked against what AWS itself answered (sources in the audit table
//! of `emulator/src/dynamodb/README.md`): Kinesis destinations, exports, imports; UpdateItem's
//! updated attributes and PartiQL's index answers as paritysuite/dynamodb-conformance recorded
//! them against AWS.

use serde_json::{json, Value};

use super::{caller, Caller};

#[test]
fn enable_kinesis_destination_echoes_the_configuration_as_given() {
    let c = caller("200000000951");
    c.create_table("Kds", &[]);
    let stream = "arn:aws:kinesis:us-east-1:200000000951:stream/Orders";
    let plain = c.ok(&[
        "dynamodb",
        "enable-kinesis-streaming-destination",
        "--table-name",
        "Kds",
        "--stream-arn",
        stream,
    ]);
    assert_eq!(plain["DestinationStatus"], "ENABLING");
    assert_eq!(plain["EnableKinesisStreamingConfiguration"], json!({}));
    let other = "arn:aws:kinesis:us-east-1:200000000951:stream/Other";
    let micro = c.ok(&[
        "dynamodb",
        "enable-kinesis-streaming-destination",
        "--table-name",
        "Kds",
        "--stream-arn",
        other,
        "--enable-kinesis-streaming-configuration",
        "ApproximateCreationDateTimePrecision=MICROSECOND",
    ]);
    assert_eq!(
        micro["EnableKinesisStreamingConfiguration"],
        json!({"ApproximateCreationDateTimePrecision": "MICROSECOND"})
    );
}

fn export(c: &Caller, table: &str, bucket: &str, extra: &[&str]) -> Value {
    let arn = format!("arn:aws:dynamodb:us-east-1:{}:table/{table}", c.account);
    let mut args = vec![
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        &arn,
        "--s3-bucket",
        bucket,
    ];
    args.extend_from_slice(extra);
    c.ok(&args)["ExportDescription"].clone()
}

#[test]
fn exports_answer_as_started_with_a_client_token_and_no_unasked_export_type() {
    let c = caller("200000000952");
    c.ok(&["s3api", "create-bucket", "--bucket", "exp-952"]);
    c.create_table("Exp", &[]);
    c.enable_pitr("Exp");
    let first = export(&c, "Exp", "exp-952", &["--client-token", "tok-952"]);
    assert_eq!(first["ExportStatus"], "IN_PROGRESS");
    assert_eq!(first["ClientToken"], "tok-952");
    assert_eq!(first["ExportFormat"], "DYNAMODB_JSON");
    for absent in [
        "ExportType",
        "EndTime",
        "ExportManifest",
        "ItemCount",
        "BilledSizeBytes",
    ] {
        assert!(first.get(absent).is_none(), "{absent} in {first}");
    }
    let arn = first["ExportArn"].as_str().unwrap();
    let done = &c.ok(&["dynamodb", "describe-export", "--export-arn", arn])["ExportDescription"];
    assert_eq!(done["ExportStatus"], "COMPLETED");
    assert_eq!(done["ClientToken"], "tok-952");
    assert!(done.get("ExportType").is_none(), "{done}");
    for present in ["EndTime", "ExportManifest", "ItemCount", "BilledSizeBytes"] {
        assert!(done.get(present).is_some(), "{present} missing from {done}");
    }
    let second = export(&c, "Exp", "exp-952", &["--export-type", "FULL_EXPORT"]);
    assert_eq!(second["ExportType"], "FULL_EXPORT");
    // The list names FULL_EXPORT either way, newest first.
    let list = c.ok(&["dynamodb", "list-exports"])["ExportSummaries"].clone();
    assert_eq!(
        list,
        json!([
            {"ExportArn": second["ExportArn"], "ExportStatus": "COMPLETED", "ExportType": "FULL_EXPORT"},
            {"ExportArn": first["ExportArn"], "ExportStatus": "COMPLETED", "ExportType": "FULL_EXPORT"},
        ])
    );
}

#[test]
fn imports_answer_as_started_and_name_owner_token_and_log_group() {
    let c = caller("200000000953");
    c.ok(&["s3api", "create-bucket", "--bucket", "imp-953"]);
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("b");
    let good = |pk: &str| json!({"Item": {"pk": {"S": pk}}});
    let bad = json!({"pk": {"S": "bad"}});
    std::fs::write(&body, format!("{}\n{}{bad}\n", good("a"), good("b"))).unwrap();
    c.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "imp-953",
        "--key",
        "in/d.json",
        "--body",
        body.to_str().unwrap(),
    ]);
    let logs = "arn:aws:logs:us-east-1:200000000953:log-group:/aws-dynamodb/imports:*";
    let started = c.import_table("Imp", "imp-953", "in", "NONE");
    assert_eq!(started["ImportStatus"], "IN_PROGRESS");
    for counter in ["ProcessedItemCount", "ImportedItemCount", "ErrorCount"] {
        assert_eq!(started[counter], 0, "{counter}");
    }
    for absent in [
        "EndTime",
        "FailureCode",
        "FailureMessage",
        "ProcessedSizeBytes",
    ] {
        assert!(started.get(absent).is_none(), "{absent} in {started}");
    }
    assert!(started["ClientToken"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert_eq!(started["CloudWatchLogGroupArn"], logs);
    assert_eq!(started["S3BucketSource"]["S3BucketOwner"], "200000000953");
    assert!(started["TableId"].as_str().is_some_and(|t| t.len() == 36));
    let arn = started["ImportArn"].as_str().unwrap();
    let d = &c.ok(&["dynamodb", "describe-import", "--import-arn", arn])["ImportTableDescription"];
    assert_eq!(d["ImportStatus"], "FAILED");
    assert_eq!(d["FailureCode"], "ItemValidationError");
    assert!(d["FailureMessage"]
        .as_str()
        .unwrap()
        .starts_with("Some of the items failed"));
    assert_eq!(d["ClientToken"], started["ClientToken"]);
    assert_eq!(d["TableId"], started["TableId"]);
    assert!(d.get("EndTime").is_some() && d.get("ProcessedSizeBytes").is_some());
    // A missing bucket: no table, yet a TableId, as AWS's recorded output shows.
    let missing = c.import_table("Never", "no-such-953", "in", "NONE");
    assert!(missing["TableId"].as_str().is_some_and(|t| t.len() == 36));
    let summaries = c.ok(&["dynamodb", "list-imports"])["ImportSummaryList"].clone();
    assert_eq!(summaries.as_array().unwrap().len(), 2);
    for s in summaries.as_array().unwrap() {
        assert_eq!(s["CloudWatchLogGroupArn"], logs);
        assert!(s.get("ClientToken").is_none(), "{s}");
    }
}

/// https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier1/updateItem/basic.test.ts
/// and tests/tier1/updateItem/paths.test.ts: UPDATED_NEW / UPDATED_OLD answer the fragment a
/// nested SET changed, not its whole top-level map.
#[test]
fn updated_values_answer_only_the_nested_fragment_written() {
    let c = caller("200000000954");
    c.create_table("Frag", &[]);
    let item =
        json!({"pk": {"S": "k"}, "parent": {"M": {"keep": {"S": "k"}, "child": {"S": "old"}}}});
    c.ok(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Frag",
        "--item",
        &item.to_string(),
    ]);
    let update = |expr: &str, values: Value, rv: &str| {
        c.ok(&[
            "dynamodb",
            "update-item",
            "--table-name",
            "Frag",
            "--key",
            r#"{"pk": {"S": "k"}}"#,
            "--update-expression",
            expr,
            "--expression-attribute-values",
            &values.to_string(),
            "--return-values",
            rv,
        ])
    };
    let new = update(
        "SET parent.child = :v",
        json!({":v": {"S": "new"}}),
        "UPDATED_NEW",
    );
    assert_eq!(
        new,
        json!({"Attributes": {"parent": {"M": {"child": {"S": "new"}}}}})
    );
    let old = update(
        "SET parent.child = :v",
        json!({":v": {"S": "newer"}}),
        "UPDATED_OLD",
    );
    assert_eq!(
        old,
        json!({"Attributes": {"parent": {"M": {"child": {"S": "new"}}}}})
    );
    let both = update(
        "SET parent.b = :x, parent.c = :y",
        json!({":x": {"S": "x"}, ":y": {"S": "y"}}),
        "UPDATED_NEW",
    );
    assert_eq!(
        both,
        json!({"Attributes": {"parent": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}}}})
    );
    // The stored item keeps its siblings.
    let got = c.ok(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Frag",
        "--key",
        r#"{"pk": {"S": "k"}}"#,
    ]);
    assert_eq!(got["Item"]["parent"]["M"]["keep"], json!({"S": "k"}));
}

/// https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier2/partiql/executeStatementIndex.test.ts:
/// unprojected GSI columns listed in statement order; a batch SELECT that is not keyed by the
/// whole primary key fails in its slot with AWS's text.
#[test]
fn partiql_index_refusals_take_aws_order_and_text() {
    let c = caller("200000000955");
    c.ok(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Idx",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=S",
        "AttributeName=g,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--global-secondary-indexes",
        "IndexName=gsi2,KeySchema=[{AttributeName=g,KeyType=HASH}],Projection={ProjectionType=KEYS_ONLY}",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    c.aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"SELECT alternate, mymap FROM "Idx"."gsi2" WHERE g = 'a'"#,
    ])
    .fails_with_message(
        "ValidationException",
        "One or more parameter values were invalid: Global secondary index gsi2 does not project [alternate, mymap]",
    );
    let statements = json!([
        {"Statement": r#"SELECT * FROM "Idx"."gsi2" WHERE g = 'a'"#},
        {"Statement": r#"SELECT * FROM "Idx" WHERE pk = 'p'"#},
    ]);
    let out = c.ok(&[
        "dynamodb",
        "batch-execute-statement",
        "--statements",
        &statements.to_string(),
    ]);
    let slots = out["Responses"].as_array().unwrap();
    assert_eq!(slots.len(), 2, "{out}");
    for slot in slots {
        assert_eq!(slot["Error"]["Code"], "ValidationError", "{out}");
        assert_eq!(
            slot["Error"]["Message"],
            "Select statements within BatchExecuteStatement must specify the primary key in the where clause.",
        );
    }
}

/// https://github.com/nubo-db/dynamodb-conformance/blob/main/tests/tier1/createTable/config.test.ts
/// and `tests/tier1/updateTable/config.test.ts`, recorded on AWS: the OnDemandThroughput a
/// table is given comes back in its description, and UpdateTable with only it changes it.
#[test]
fn on_demand_throughput_is_kept_and_updated() {
    let acc = "200000000956";
    super::ok(
        acc,
        "CreateTable",
        json!({"TableName": "Capped",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "OnDemandThroughput": {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}}),
    );
    let d = super::ok(acc, "DescribeTable", json!({"TableName": "Capped"}));
    assert_eq!(
        d["Table"]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}),
        "{d}"
    );
    super::ok(
        acc,
        "UpdateTable",
        json!({"TableName": "Capped",
            "OnDemandThroughput": {"MaxReadRequestUnits": 20, "MaxWriteRequestUnits": 15}}),
    );
    super::ok(
        acc,
        "UpdateTable",
        json!({"TableName": "Capped", "OnDemandThroughput": {"MaxReadRequestUnits": 25}}),
    );
    let d = super::ok(acc, "DescribeTable", json!({"TableName": "Capped"}));
    assert_eq!(
        d["Table"]["OnDemandThroughput"],
        json!({"MaxReadRequestUnits": 25, "MaxWriteRequestUnits": 15}),
        "{d}"
    );
}

/// https://github.com/nubo-db/dynamodb-conformance/blob/main/tests/tier3/legacy-api/attributeUpdates.test.ts
/// (recorded on AWS) and the API reference ("PUT (default)"): an AttributeUpdates entry with a
/// Value and no Action writes the value.
#[test]
fn attribute_updates_without_an_action_put_the_value() {
    let acc = "200000000957";
    super::ok(
        acc,
        "CreateTable",
        json!({"TableName": "Legacy",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
    super::ok(
        acc,
        "UpdateItem",
        json!({"TableName": "Legacy", "Key": {"pk": {"S": "k"}},
            "AttributeUpdates": {"col": {"Value": {"S": "written"}}}}),
    );
    let got = super::ok(
        acc,
        "GetItem",
        json!({"TableName": "Legacy", "Key": {"pk": {"S": "k"}}, "ConsistentRead": true}),
    );
    assert_eq!(got["Item"]["col"], json!({"S": "written"}), "{got}");
}
