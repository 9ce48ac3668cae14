//! STS GetCallerIdentity and the local S3 behind DynamoDB import/export, through the real
//! AWS CLI on the same endpoint.

use serde_json::{json, Value};

use super::caller;

#[test]
fn get_caller_identity_names_the_callers_account() {
    let c = caller("200000000201");
    let id = c.ok(&["sts", "get-caller-identity"]);
    assert_eq!(id["Account"], "200000000201");
    assert_eq!(id["Arn"], "arn:aws:iam::200000000201:root");
    assert_eq!(id["UserId"], "200000000201");
    // Any region answers.
    let west = c.in_region("eu-west-1").ok(&["sts", "get-caller-identity"]);
    assert_eq!(west["Account"], "200000000201");
}

#[test]
fn buckets_and_objects_through_s3api_and_s3() {
    let c = caller("200000000202");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.json");
    std::fs::write(&file, b"{\"Item\":{\"pk\":{\"S\":\"x\"}}}\n").unwrap();
    c.aws(&["s3api", "head-bucket", "--bucket", "ddb-io-202"])
        .fails_with("404");
    c.aws(&[
        "s3api",
        "put-object",
        "--bucket",
        "ddb-io-202",
        "--key",
        "k",
        "--body",
        file.to_str().unwrap(),
    ])
    .fails_with("NoSuchBucket");
    c.ok(&["s3api", "create-bucket", "--bucket", "ddb-io-202"]);
    c.ok(&["s3api", "head-bucket", "--bucket", "ddb-io-202"]);
    let names: Vec<String> = c.ok(&["s3api", "list-buckets"])["Buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["ddb-io-202"]);
    // Another account owns nothing and cannot take the name.
    let other = caller("200000000203");
    assert_eq!(other.ok(&["s3api", "list-buckets"])["Buckets"], json!([]));
    other
        .in_region("us-west-2")
        .aws(&[
            "s3api",
            "create-bucket",
            "--bucket",
            "ddb-io-202",
            "--create-bucket-configuration",
            "LocationConstraint=us-west-2",
        ])
        .fails_with("BucketAlreadyExists");
    let put = c.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "ddb-io-202",
        "--key",
        "in/data.json",
        "--body",
        file.to_str().unwrap(),
    ]);
    assert!(put["ETag"].as_str().unwrap().starts_with('"'));
    let head = c.ok(&[
        "s3api",
        "head-object",
        "--bucket",
        "ddb-io-202",
        "--key",
        "in/data.json",
    ]);
    assert_eq!(head["ContentLength"], 26);
    let out = dir.path().join("back.json");
    c.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "ddb-io-202",
        "--key",
        "in/data.json",
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());
    c.aws(&[
        "s3api",
        "get-object",
        "--bucket",
        "ddb-io-202",
        "--key",
        "nope",
        out.to_str().unwrap(),
    ])
    .fails_with("NoSuchKey");
    let listed = c.ok(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "ddb-io-202",
        "--prefix",
        "in/",
    ]);
    assert_eq!(listed["Contents"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["Contents"][0]["Key"], "in/data.json");
    // ImportTable reads what the client uploaded.
    let import = c.ok(&[
        "dynamodb", "import-table",
        "--s3-bucket-source", "S3Bucket=ddb-io-202,S3KeyPrefix=in",
        "--input-format", "DYNAMODB_JSON",
        "--table-creation-parameters",
        "TableName=FromS3,AttributeDefinitions=[{AttributeName=pk,AttributeType=S}],KeySchema=[{AttributeName=pk,KeyType=HASH}],BillingMode=PAY_PER_REQUEST",
    ]);
    assert_eq!(
        import["ImportTableDescription"]["ImportStatus"],
        "IN_PROGRESS"
    );
    assert_eq!(c.items("FromS3").len(), 1);
    c.aws(&["s3api", "delete-bucket", "--bucket", "ddb-io-202"])
        .fails_with("BucketNotEmpty");
    let ls = c.aws(&["s3", "ls", "s3://ddb-io-202/", "--recursive"]);
    assert!(ls.stdout.contains("in/data.json"), "{ls:?}");
    let versions = c.ok(&["s3api", "list-object-versions", "--bucket", "ddb-io-202"]);
    assert_eq!(versions["Versions"][0]["Key"], "in/data.json");
    assert_eq!(versions["Versions"][0]["VersionId"], "null");
    c.ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        "ddb-io-202",
        "--key",
        "in/data.json",
        "--version-id",
        "null",
    ]);
    c.ok(&["s3api", "delete-bucket", "--bucket", "ddb-io-202"]);
    c.aws(&["s3api", "head-bucket", "--bucket", "ddb-io-202"])
        .fails_with("404");
}

#[test]
fn import_and_export_to_a_missing_bucket_fail_as_on_aws() {
    let c = caller("200000000204");
    let import = c.ok(&[
        "dynamodb", "import-table",
        "--s3-bucket-source", "S3Bucket=no-such-bucket-204",
        "--input-format", "DYNAMODB_JSON",
        "--table-creation-parameters",
        "TableName=NeverMade,AttributeDefinitions=[{AttributeName=pk,AttributeType=S}],KeySchema=[{AttributeName=pk,KeyType=HASH}],BillingMode=PAY_PER_REQUEST",
    ]);
    let d = &import["ImportTableDescription"];
    assert_eq!(d["ImportStatus"], "IN_PROGRESS");
    let arn = d["ImportArn"].as_str().unwrap();
    let described = c.ok(&["dynamodb", "describe-import", "--import-arn", arn]);
    let d = &described["ImportTableDescription"];
    assert_eq!(d["ImportStatus"], "FAILED");
    assert_eq!(d["FailureCode"], "S3NoSuchBucket");
    assert!(d["FailureMessage"]
        .as_str()
        .unwrap()
        .contains("The specified bucket does not exist"));
    let tables = c.ok(&["dynamodb", "list-tables"]);
    assert_eq!(tables["TableNames"], json!([]), "no table is created");

    c.create_table("Exp", &[]);
    c.enable_pitr("Exp");
    let export = c.ok(&[
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        "arn:aws:dynamodb:us-east-1:200000000204:table/Exp",
        "--s3-bucket",
        "no-such-bucket-204",
    ]);
    let arn = export["ExportDescription"]["ExportArn"].as_str().unwrap();
    let described = c.ok(&["dynamodb", "describe-export", "--export-arn", arn]);
    let d = &described["ExportDescription"];
    assert_eq!(d["ExportStatus"], "FAILED");
    assert_eq!(d["FailureCode"], "S3NoSuchBucket");
    let missing = "arn:aws:dynamodb:us-east-1:200000000204:table/NoSuchTable";
    c.aws(&[
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        missing,
        "--s3-bucket",
        "no-such-bucket-204",
    ])
    .fails_with_message(
        "TableNotFoundException",
        &format!("Table not found: {missing}"),
    );
}

#[test]
fn imports_read_every_object_under_the_prefix_gzipped_or_not() {
    use std::io::Write;
    let c = caller("200000000205");
    c.ok(&["s3api", "create-bucket", "--bucket", "ddb-import-205"]);
    let dir = tempfile::tempdir().unwrap();
    let upload = |key: &str, data: &[u8]| {
        let f = dir.path().join("body");
        std::fs::write(&f, data).unwrap();
        c.ok(&[
            "s3api",
            "put-object",
            "--bucket",
            "ddb-import-205",
            "--key",
            key,
            "--body",
            f.to_str().unwrap(),
        ]);
    };
    let item = |pk: &str| json!({"Item": {"pk": {"S": pk}, "data": {"S": "d"}}}).to_string();
    // Lines, then values with no separator at all, in a file without extension.
    let plain = format!(
        "{}\n{}\n{}{}",
        item("m0"),
        item("m1"),
        item("m10"),
        item("m11")
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(item("m2").as_bytes()).unwrap();
    let files = [
        ("yes/plain", plain.into_bytes()),
        ("no/other.json", item("skipped").into_bytes()),
    ];
    for (key, data) in files {
        upload(key, &data);
    }
    let import = |table: &str, prefix: &str, compression: &str| {
        let started = c.import_table(table, "ddb-import-205", prefix, compression);
        let arn = started["ImportArn"].as_str().unwrap();
        c.ok(&["dynamodb", "describe-import", "--import-arn", arn])["ImportTableDescription"]
            .clone()
    };
    let d = import("Plain", "yes", "NONE");
    assert_eq!(d["ImportStatus"], "COMPLETED");
    assert_eq!(d["ProcessedItemCount"], 4);
    assert_eq!(d["ImportedItemCount"], 4);
    assert!(d["ProcessedSizeBytes"].as_u64().unwrap() > 0);
    let pks: Vec<String> = c
        .items("Plain")
        .iter()
        .map(|i| i["pk"]["S"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(pks, vec!["m0", "m1", "m10", "m11"]);

    upload("gz/data.json", &gz.finish().unwrap());
    let d = import("Gzipped", "gz", "GZIP");
    assert_eq!(d["ImportStatus"], "COMPLETED");
    assert_eq!(d["ImportedItemCount"], 1);

    // A value without the Item wrapper is an error: FAILED, and the good item stays.
    upload(
        "bad/x",
        format!("{}{}", item("ok1"), json!({"pk": {"S": "bad"}})).as_bytes(),
    );
    let d = import("Partly", "bad", "NONE");
    assert_eq!(d["ImportStatus"], "FAILED");
    assert_eq!(d["ErrorCount"], 1);
    assert_eq!(d["ProcessedItemCount"], 2);
    assert_eq!(d["ImportedItemCount"], 1);
    assert_eq!(c.items("Partly").len(), 1);
}

/// AWS's import rules ("Import format quotas and validation", Developer Guide): items sharing a
/// key overwrite each other until one remains and are not errors; an item without the table's
/// key, or with a key of another type, is an error, and the other items are still imported.
#[test]
fn imports_keep_one_item_per_key_and_count_items_without_a_valid_key_as_errors() {
    let c = caller("200000000206");
    c.ok(&["s3api", "create-bucket", "--bucket", "ddb-import-206"]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("body");
    let item = |pk: Value, v: &str| json!({"Item": {"pk": pk, "v": {"S": v}}}).to_string();
    let lines = [
        item(json!({"S": "a"}), "first"),
        item(json!({"S": "b"}), "only"),
        item(json!({"S": "a"}), "second"),
        item(json!({"N": "1"}), "wrong type"),
        json!({"Item": {"other": {"S": "no key"}}}).to_string(),
        item(json!({"S": "a"}), "third"),
    ];
    std::fs::write(&f, lines.join("\n")).unwrap();
    c.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "ddb-import-206",
        "--key",
        "dup/data.json",
        "--body",
        f.to_str().unwrap(),
    ]);
    let started = c.import_table("Dups", "ddb-import-206", "dup", "NONE");
    let arn = started["ImportArn"].as_str().unwrap();
    let d = c.ok(&["dynamodb", "describe-import", "--import-arn", arn])["ImportTableDescription"]
        .clone();
    assert_eq!(d["ErrorCount"], 2, "{d}");
    assert_eq!(d["ProcessedItemCount"], 6, "{d}");
    let mut items: Vec<(String, String)> = c
        .items("Dups")
        .iter()
        .map(|i| {
            (
                i["pk"]["S"].as_str().unwrap().to_string(),
                i["v"]["S"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    items.sort();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[1], ("b".to_string(), "only".to_string()));
    assert_eq!(items[0].0, "a");
}

/// An export's manifests as the Developer Guide shows them ("DynamoDB table export output
/// format"): ISO 8601 times, the table's id, and the data object's MD5 (base64) and ETag.
#[test]
fn export_manifests_carry_iso_times_the_table_id_and_the_data_objects_checksums() {
    let c = caller("200000000207");
    c.ok(&["s3api", "create-bucket", "--bucket", "ddb-export-207"]);
    let table = c.create_table("Exported", &[]);
    let table_id = table["TableDescription"]["TableId"].clone();
    c.ok(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Exported",
        "--item",
        r#"{"pk": {"S": "a"}}"#,
    ]);
    c.enable_pitr("Exported");
    let arn = format!("arn:aws:dynamodb:us-east-1:{}:table/Exported", c.account);
    let started = c.ok(&[
        "dynamodb",
        "export-table-to-point-in-time",
        "--table-arn",
        &arn,
        "--s3-bucket",
        "ddb-export-207",
    ]);
    let export_arn = started["ExportDescription"]["ExportArn"].as_str().unwrap();
    let done = c.ok(&["dynamodb", "describe-export", "--export-arn", export_arn]);
    let summary_key = done["ExportDescription"]["ExportManifest"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let get = |key: &str| {
        let out = dir.path().join("object");
        c.ok(&[
            "s3api",
            "get-object",
            "--bucket",
            "ddb-export-207",
            "--key",
            key,
            out.to_str().unwrap(),
        ]);
        std::fs::read(&out).unwrap()
    };
    let summary: Value = serde_json::from_slice(&get(&summary_key)).unwrap();
    let iso = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$").unwrap();
    for t in ["startTime", "endTime", "exportTime"] {
        let v = summary[t].as_str().unwrap_or_default();
        assert!(iso.is_match(v), "{t}: {summary}");
    }
    assert_eq!(summary["tableId"], table_id);
    assert_eq!(summary["itemCount"], 1);
    let files: Value =
        serde_json::from_slice(&get(summary["manifestFilesS3Key"].as_str().unwrap())).unwrap();
    let data = get(files["dataFileS3Key"].as_str().unwrap());
    let head = c.ok(&[
        "s3api",
        "head-object",
        "--bucket",
        "ddb-export-207",
        "--key",
        files["dataFileS3Key"].as_str().unwrap(),
    ]);
    assert_eq!(
        head["ETag"].as_str().unwrap().trim_matches('"'),
        files["etag"].as_str().unwrap()
    );
    assert_eq!(data.len() as u64, head["ContentLength"].as_u64().unwrap());
    assert_eq!(files["md5Checksum"].as_str().unwrap().len(), 24, "{files}");
}
