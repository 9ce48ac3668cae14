//! StartBulkPutItems from the local S3 and the operations that read its record, through raw
//! HTTP (the pinned CLI predates them) with the CLI's s3api for the bucket.

use serde_json::{json, Value};

use super::{caller, op};

fn code(out: &Value) -> &str {
    let t = out["__type"].as_str().unwrap_or_default();
    t.rsplit('#').next().unwrap_or(t)
}

#[test]
fn bulk_puts_load_items_from_s3_and_are_described_listed_and_not_cancelled() {
    let acc = "200000000405";
    let c = caller(acc);
    c.create_table("Bulk", &[]);
    c.ok(&["s3api", "create-bucket", "--bucket", "bulk-in-405"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("part.json");
    // Three items, then a value without `Item`, which fails alone.
    std::fs::write(
        &file,
        b"{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}}\n{\"Item\":{\"pk\":{\"S\":\"b\"}}}\n{\"Item\":{\"pk\":{\"S\":\"c\"}}}\n{\"NotAnItem\":{}}\n",
    )
    .unwrap();
    c.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "bulk-in-405",
        "--key",
        "in/part.json",
        "--body",
        file.to_str().unwrap(),
    ]);
    let start = json!({"TableName": "Bulk", "ClientToken": "token-1",
        "InputS3Configuration": {"S3Bucket": "bulk-in-405", "S3KeyPrefix": "in/", "InputFormat": "DYNAMODB_JSON"},
        "OutputS3Configuration": {"OutputType": ["ERROR"]}});
    let (status, out) = op(acc, "StartBulkPutItems", start.clone());
    assert_eq!(status, 200, "{out}");
    let d = &out["BulkOperationDescription"];
    assert_eq!(d["BulkOperationStatus"], "COMPLETED_WITH_ERRORS", "{out}");
    assert_eq!(d["ProcessedItemCount"], 4);
    assert_eq!(d["FailedItemCount"], 1);
    let arn = d["BulkOperationArn"].as_str().unwrap().to_string();
    assert!(
        arn.starts_with(&format!("arn:aws:dynamodb:us-east-1:{acc}:table/Bulk/")),
        "{arn}"
    );
    let items = c.items("Bulk");
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0]["n"]["N"], "1");

    // The same ClientToken answers the same operation; other parameters are refused.
    let (_, again) = op(acc, "StartBulkPutItems", start.clone());
    assert_eq!(again["BulkOperationDescription"]["BulkOperationArn"], arn);
    let mut other = start.clone();
    other["InputS3Configuration"]["S3KeyPrefix"] = json!("elsewhere/");
    let (status, out) = op(acc, "StartBulkPutItems", other);
    assert_eq!(status, 400);
    assert_eq!(code(&out), "IdempotentParameterMismatchException", "{out}");

    let (status, out) = op(
        acc,
        "DescribeBulkOperation",
        json!({"BulkOperationArn": arn}),
    );
    assert_eq!(status, 200);
    assert_eq!(out["BulkOperationDescription"]["FailedItemCount"], 1);

    // A missing bucket fails the operation, as imports do.
    let mut missing = start;
    missing.as_object_mut().unwrap().remove("ClientToken");
    missing["InputS3Configuration"]["S3Bucket"] = json!("no-such-bucket-405");
    let (_, out) = op(acc, "StartBulkPutItems", missing);
    assert_eq!(
        out["BulkOperationDescription"]["BulkOperationStatus"],
        "FAILED"
    );
    assert_eq!(
        out["BulkOperationDescription"]["FailureCode"],
        "S3NoSuchBucket"
    );

    let (_, list) = op(acc, "ListBulkOperations", json!({"MaxResults": 1}));
    let page = list["BulkOperationsSummaryList"].as_array().unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["BulkOperationArn"], arn);
    let token = list["NextToken"]
        .as_str()
        .expect("a second page")
        .to_string();
    let (_, list) = op(
        acc,
        "ListBulkOperations",
        json!({"MaxResults": 1, "NextToken": token}),
    );
    assert_eq!(
        list["BulkOperationsSummaryList"][0]["BulkOperationStatus"],
        "FAILED"
    );
    assert!(list.get("NextToken").is_none());

    // Finished operations cannot be cancelled; unknown ones do not exist.
    let (status, out) = op(acc, "CancelBulkOperation", json!({"BulkOperationArn": arn}));
    assert_eq!(status, 400);
    assert_eq!(code(&out), "ValidationException", "{out}");
    let unknown = format!("{arn}0");
    for name in ["DescribeBulkOperation", "CancelBulkOperation"] {
        let (_, out) = op(acc, name, json!({"BulkOperationArn": unknown}));
        assert_eq!(code(&out), "ResourceNotFoundException", "{name}: {out}");
    }
    // Another account sees none of them; a missing table is not found.
    let (_, out) = op("200000000406", "ListBulkOperations", json!({}));
    assert_eq!(out["BulkOperationsSummaryList"], json!([]));
    let (_, out) = op(
        acc,
        "StartBulkPutItems",
        json!({"TableName": "Nope",
            "InputS3Configuration": {"S3Bucket": "bulk-in-405", "InputFormat": "DYNAMODB_JSON"},
            "OutputS3Configuration": {"OutputType": ["ERROR"]}}),
    );
    assert_eq!(code(&out), "ResourceNotFoundException", "{out}");
}
