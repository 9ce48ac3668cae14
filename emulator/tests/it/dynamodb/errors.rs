//! AWS's error codes and messages where DynamoDB Local's differ, through the real AWS CLI
//! (and raw HTTP for the body shape), one test per class of difference.

use serde_json::{json, Value};

use super::{caller, raw, raw_as, Caller};

const ENV: &str = "1 validation error detected: ";

fn table(c: &Caller, name: &str) {
    c.create_table(name, &[]);
}

fn update(
    c: &Caller,
    t: &str,
    expr: &str,
    values: Option<Value>,
    names: Option<Value>,
) -> crate::common::CliResult {
    let mut args = vec![
        "dynamodb".to_string(),
        "update-item".into(),
        "--table-name".into(),
        t.into(),
        "--key".into(),
        r#"{"pk":{"S":"k"}}"#.into(),
        "--update-expression".into(),
        expr.into(),
    ];
    if let Some(v) = values {
        args.push("--expression-attribute-values".into());
        args.push(v.to_string());
    }
    if let Some(n) = names {
        args.push("--expression-attribute-names".into());
        args.push(n.to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    c.aws(&refs)
}

#[test]
fn request_validation_messages_carry_the_envelope() {
    let c = caller("200000000101");
    table(&c, "Env");
    let v = json!({":a": {"S": "x"}});
    update(&c, "Env", "SET a = :a SET b = :a", Some(v.clone()), None).fails_with_message(
        "ValidationException",
        &format!("{ENV}Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"),
    );
    update(&c, "Env", "SET s = :a, s.n = :a", Some(v.clone()), None).fails_with_message(
        "ValidationException",
        &format!("{ENV}Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [s], path two: [s, n]"),
    );
    update(&c, "Env", "SET a = :a", Some(v.clone()), Some(json!({"#count": "count"})))
        .fails_with_message(
            "ValidationException",
            &format!("{ENV}Value provided in ExpressionAttributeNames unused in expressions: keys: {{#count}}"),
        );
    update(
        &c,
        "Env",
        "SET a = :a",
        Some(json!({":a": {"S": "x"}, ":u": {"S": "y"}})),
        None,
    )
    .fails_with_message(
        "ValidationException",
        &format!(
            "{ENV}Value provided in ExpressionAttributeValues unused in expressions: keys: {{:u}}"
        ),
    );
    c.aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Env",
        "--item",
        r#"{"pk":{"S":"k"},"s":{"SS":[]}}"#,
    ])
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}One or more parameter values were invalid: An string set  may not be empty"),
    );
    c.aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Env",
        "--item",
        r#"{"pk":{"S":"k"}}"#,
        "--condition-expression",
        "attribute_exists(pk)",
        "--expression-attribute-values",
        "{}",
    ])
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}ExpressionAttributeValues must not be empty"),
    );
    c.aws(&[
        "dynamodb", "query", "--table-name", "Env",
        "--key-condition-expression", "pk = :a",
        "--expression-attribute-values", r#"{":a":{"S":"k"}}"#,
        "--select", "SPECIFIC_ATTRIBUTES",
    ])
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
    );
    c.aws(&["dynamodb", "scan", "--table-name", "Env", "--select", "SPECIFIC_ATTRIBUTES"])
        .fails_with_message(
            "ValidationException",
            &format!("{ENV}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
        );
    // Reads send unused names bare.
    c.aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Env",
        "--key",
        r#"{"pk":{"S":"k"}}"#,
        "--projection-expression",
        "pk",
        "--expression-attribute-names",
        r##"{"#count":"count"}"##,
    ])
    .fails_with_message(
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}",
    );
}

#[test]
fn other_wording_matches_aws() {
    let c = caller("200000000102");
    table(&c, "Words");
    let scan = |extra: &[&str]| {
        let mut a = vec!["dynamodb", "scan", "--table-name", "Words"];
        a.extend_from_slice(extra);
        c.aws(&a)
    };
    scan(&["--select", "count"]).fails_with_message(
        "ValidationException",
        &format!("{ENV}Value 'count' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"),
    );
    scan(&["--segment", "1"]).fails_with_message(
        "ValidationException",
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
    );
    scan(&["--segment", "5", "--total-segments", "5"]).fails_with_message(
        "ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments",
    );
    update(
        &c,
        "Words",
        "ADD s :e",
        Some(json!({":e": {"SS": []}})),
        None,
    )
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}One or more parameter values were invalid: An string set  may not be empty"),
    );
    c.aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Words",
        "--key-condition-expression",
        "wrongName = :a",
        "--expression-attribute-values",
        r#"{":a":{"S":"k"}}"#,
    ])
    .fails_with_message(
        "ValidationException",
        "Query condition missed key schema element: pk",
    );
    c.aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Words",
        "--key",
        r#"{"pk":{"S":"k"},"sk":{"S":"x"}}"#,
    ])
    .fails_with_message(
        "ValidationException",
        "The provided key element does not match the schema",
    );
    let long = json!({"pk": {"S": "x".repeat(2049)}}).to_string();
    c.aws(&["dynamodb", "put-item", "--table-name", "Words", "--item", &long])
        .fails_with_message(
            "ValidationException",
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        );
    c.aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"SELECT * FROM "Words"."nope""#,
    ])
    .fails_with_message(
        "ValidationException",
        "The table does not have the specified index",
    );
    c.aws(&["dynamodb", "scan", "--table-name", "Missing"])
        .fails_with_message("ResourceNotFoundException", "Requested resource not found");
    c.aws(&[
        "dynamodb",
        "get-resource-policy",
        "--resource-arn",
        "arn:aws:dynamodb:us-east-1:200000000102:table/Missing",
    ])
    .fails_with_message(
        "ResourceNotFoundException",
        "Requested resource not found: Table: Missing not found",
    );
    c.aws(&[
        "dynamodb", "import-table",
        "--s3-bucket-source", "S3Bucket=somebucket",
        "--input-format", "DYNAMODB_JSON",
        "--table-creation-parameters",
        "TableName=Imp,AttributeDefinitions=[{AttributeName=pk,AttributeType=S}],KeySchema=[{AttributeName=pk,KeyType=HASH}],BillingMode=PROVISIONED",
    ])
    .fails_with_message(
        "ValidationException",
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
    );
}

#[test]
fn checks_aws_makes_before_it_looks_at_the_table() {
    let c = caller("200000000103");
    c.aws(&[
        "dynamodb", "batch-get-item", "--request-items",
        r##"{"users":{"Keys":[{"username":{"S":"u0"}}],"ProjectionExpression":"#rl","ExpressionAttributeNames":{"#rl":"username","#count":"count"}}}"##,
    ])
    .fails_with_message(
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}",
    );
    c.aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Nowhere",
        "--key",
        r#"{"id":{"S":"x"}}"#,
        "--expression-attribute-names",
        "{}",
    ])
    .fails_with_message(
        "ValidationException",
        "ExpressionAttributeNames can only be specified when using expressions",
    );
}

#[test]
fn transaction_cancellation_reasons_are_awss() {
    let c = caller("200000000104");
    table(&c, "TxT");
    c.put("TxT", "a", "v");
    let items = json!([
        {"Put": {"TableName": "TxT", "Item": {"pk": {"S": "b"}}}},
        {"Put": {"TableName": "TxT", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    .to_string();
    c.aws(&["dynamodb", "transact-write-items", "--transact-items", &items])
        .fails_with_message(
            "TransactionCanceledException",
            "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
        );
}

#[test]
fn error_bodies_have_awss_shape() {
    let c = caller("200000000009");
    table(&c, "Shape");
    c.put("Shape", "a", "old");
    let put = |extra: Value| {
        let mut body = json!({"TableName": "Shape", "Item": {"pk": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(pk)"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        raw(
            Some("DynamoDB_20120810.PutItem"),
            body.to_string().into_bytes(),
        )
    };
    let (status, e) = put(json!({}));
    assert_eq!(status, 400);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    assert_eq!(e["message"], "The conditional request failed");
    assert!(e.get("Message").is_none(), "{e}");
    let (status, e) = put(json!({"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}));
    assert_eq!(status, 400);
    assert_eq!(e["message"], "The conditional request failed");
    assert_eq!(e["Item"], json!({"pk": {"S": "a"}, "v": {"S": "old"}}));

    let tx = |items: Value| {
        raw(
            Some("DynamoDB_20120810.TransactWriteItems"),
            json!({"TransactItems": items}).to_string().into_bytes(),
        )
    };
    let (status, e) = tx(json!([{"ConditionCheck": {"TableName": "Shape",
        "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}]));
    assert_eq!(status, 400);
    assert_eq!(
        e["CancellationReasons"],
        json!([{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
            "Item": {"pk": {"S": "a"}, "v": {"S": "old"}}}]),
        "{e}"
    );
    let (_, e) = tx(json!([{"Put": {"TableName": "Shape", "Item": {"pk": {"N": "1"}}}}]));
    assert_eq!(
        e["CancellationReasons"][0]["Message"],
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        "{e}"
    );
}

#[test]
fn table_arns_work_wherever_a_table_name_does() {
    let c = caller("200000000105");
    table(&c, "ByArn");
    let arn = "arn:aws:dynamodb:us-east-1:200000000105:table/ByArn";
    let items = json!([{"Put": {"TableName": arn, "Item": {"pk": {"S": "t1"}}}}]).to_string();
    c.ok(&[
        "dynamodb",
        "transact-write-items",
        "--transact-items",
        &items,
    ]);
    let gets = json!([{"Get": {"TableName": arn, "Key": {"pk": {"S": "t1"}}}}]).to_string();
    let got = c.ok(&["dynamodb", "transact-get-items", "--transact-items", &gets]);
    assert_eq!(got["Responses"][0]["Item"]["pk"]["S"], "t1");
    let req = json!({arn: {"Keys": [{"pk": {"S": "t1"}}]}}).to_string();
    let got = c.ok(&["dynamodb", "batch-get-item", "--request-items", &req]);
    assert_eq!(got["Responses"][arn][0]["pk"]["S"], "t1", "{got}");
    let got = c.ok(&[
        "dynamodb",
        "get-item",
        "--table-name",
        arn,
        "--key",
        r#"{"pk":{"S":"t1"}}"#,
    ]);
    assert_eq!(got["Item"]["pk"]["S"], "t1");
    let d = c.ok(&["dynamodb", "describe-table", "--table-name", arn]);
    assert_eq!(d["Table"]["TableName"], "ByArn");
}

#[test]
fn resource_policies_keep_awss_revisions() {
    let c = caller("200000000106");
    table(&c, "Pol");
    let arn = "arn:aws:dynamodb:us-east-1:200000000106:table/Pol";
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::200000000106:root"}, "Action": "dynamodb:GetItem",
        "Resource": arn}]})
    .to_string();
    let put = |extra: &[&str]| {
        let mut a = vec![
            "dynamodb",
            "put-resource-policy",
            "--resource-arn",
            arn,
            "--policy",
            &policy,
        ];
        a.extend_from_slice(extra);
        c.aws(&a)
    };
    let first = put(&["--expected-revision-id", "NO_POLICY"]).json()["RevisionId"]
        .as_str()
        .unwrap()
        .to_string();
    let again = put(&[]).json()["RevisionId"].as_str().unwrap().to_string();
    assert_eq!(first, again, "an identical policy keeps its revision");
    put(&["--expected-revision-id", "NO_POLICY"]).fails_with_message(
        "PolicyNotFoundException",
        &format!("Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table Pol, but a policy exists with revision id {first}."),
    );
    put(&["--expected-revision-id", "123"]).fails_with_message(
        "PolicyNotFoundException",
        &format!("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id 123, but the policy associated to target table Pol has revision id {first}."),
    );
    c.aws(&[
        "dynamodb",
        "delete-resource-policy",
        "--resource-arn",
        arn,
        "--expected-revision-id",
        "unknown",
    ])
    .fails_with("PolicyNotFoundException");
    c.ok(&[
        "dynamodb",
        "delete-resource-policy",
        "--resource-arn",
        arn,
        "--expected-revision-id",
        &first,
    ]);
    c.aws(&["dynamodb", "get-resource-policy", "--resource-arn", arn])
        .fails_with_message(
            "PolicyNotFoundException",
            &format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
        );
}

#[test]
fn keys_off_the_schema_and_existing_tables_get_aws_texts() {
    let c = caller("200000000104");
    table(&c, "Keys");
    let schema = "The provided key element does not match the schema";
    c.aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Keys",
        "--key",
        r#"{"pk":{"N":"1"}}"#,
    ])
    .fails_with_message("ValidationException", schema);
    c.aws(&[
        "dynamodb",
        "delete-item",
        "--table-name",
        "Keys",
        "--key",
        r#"{"other":{"S":"1"}}"#,
    ])
    .fails_with_message("ValidationException", schema);
    c.aws(&[
        "dynamodb",
        "batch-write-item",
        "--request-items",
        r#"{"Keys":[{"PutRequest":{"Item":{"other":{"S":"a"}}}}]}"#,
    ])
    .fails_with_message("ValidationException", schema);
    c.aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Keys",
        "--item",
        r#"{"other":{"S":"a"}}"#,
    ])
    .fails_with_message(
        "ValidationException",
        "One or more parameter values were invalid: Missing the key pk in the item",
    );
    c.aws(&crate::common::create_table_args("Keys", &[]))
        .fails_with_message("ResourceInUseException", "Table already exists: Keys");
}

#[test]
fn put_item_texts_name_what_is_wrong() {
    let c = caller("200000000107");
    table(&c, "PutTexts");
    let put = |item: &str, extra: &[&str]| {
        let mut args = vec![
            "dynamodb",
            "put-item",
            "--table-name",
            "PutTexts",
            "--item",
            item,
        ];
        args.extend_from_slice(extra);
        c.aws(&args)
    };
    put(r#"{"pk":{"N":"1"}}"#, &[]).fails_with_message(
        "ValidationException",
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
    );
    // Inside the envelope, as DeleteItem was recorded answering "as PutItem and UpdateItem do"
    // (paritysuite/dynamodb-conformance tests/tier3/error-messages/deleteItem.test.ts, 2026-10).
    put(r#"{"pk":{"S":"a"}}"#, &["--return-values", "UPDATED_NEW"]).fails_with_message(
        "ValidationException",
        "1 validation error detected: ReturnValues can only be ALL_OLD or NONE",
    );
    let (status, e) = raw_as(
        "200000000107",
        Some("DynamoDB_20120810.PutItem"),
        json!({"TableName": "PutTexts", "Item": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"})
            .to_string()
            .into_bytes(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        e["__type"], "com.amazon.coral.validate#ValidationException",
        "{e}"
    );
    assert_eq!(
        e["message"],
        "1 validation error detected: ReturnValues can only be ALL_OLD or NONE"
    );
}

#[test]
fn create_table_key_schema_and_batch_texts_are_aws_s() {
    let c = caller("200000000108");
    let create = |defs: &str, keys: &str| {
        c.aws(&[
            "dynamodb",
            "create-table",
            "--table-name",
            "KeyTexts",
            "--billing-mode",
            "PAY_PER_REQUEST",
            "--attribute-definitions",
            defs,
            "--key-schema",
            keys,
        ])
    };
    let two =
        r#"[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}]"#;
    let cases = [
        (
            r#"[{"AttributeName":"b","AttributeType":"S"}]"#,
            r#"[{"AttributeName":"a","KeyType":"HASH"}]"#,
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]",
        ),
        (
            two,
            r#"[{"AttributeName":"a","KeyType":"HASH"}]"#,
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            two,
            r#"[{"AttributeName":"a","KeyType":"RANGE"},{"AttributeName":"b","KeyType":"HASH"}]"#,
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
    ];
    for (defs, keys, message) in cases {
        create(defs, keys).fails_with_message("ValidationException", message);
    }
    // AWS's text, passed through unchanged.
    table(&c, "KeyTexts");
    let put = json!({"PutRequest": {"Item": {"pk": {"S": "d"}}}});
    c.aws(&[
        "dynamodb",
        "batch-write-item",
        "--request-items",
        &json!({"KeyTexts": [put.clone(), put]}).to_string(),
    ])
    .fails_with_message(
        "ValidationException",
        "Provided list of item keys contains duplicates",
    );
}

/// AWS's answers recorded by paritysuite/dynamodb-conformance (tests/tier3/error-messages:
/// updateItem, putItem, batchGetItem, queryKeyConditionOperands, indexReads,
/// partiqlFunctions).
#[test]
fn expression_query_and_partiql_texts_are_aws_s() {
    let c = caller("200000000109");
    table(&c, "Recorded");
    let w = json!({":w": {"S": "x"}}).to_string();
    c.aws(&[
        "dynamodb",
        "update-item",
        "--table-name",
        "Recorded",
        "--key",
        r#"{"pk":{"S":"k"}}"#,
        "--update-expression",
        "SET b = :w",
        "--condition-expression",
        "a = :v",
        "--expression-attribute-values",
        &w,
    ])
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"),
    );
    c.aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Recorded",
        "--item",
        r#"{"pk":{"S":"k"}}"#,
        "--expression-attribute-values",
        &w,
    ])
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}ExpressionAttributeValues can only be specified when using expressions"),
    );
    let keys: Vec<Value> = (0..101)
        .map(|i| json!({"pk": {"S": format!("k{i}")}}))
        .collect();
    c.aws(&[
        "dynamodb",
        "batch-get-item",
        "--request-items",
        &json!({"Recorded": {"Keys": keys}}).to_string(),
    ])
    .fails_with_message(
        "ValidationException",
        &format!("{ENV}Value at 'RequestItems.Recorded.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100"),
    );
    c.aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "RecordedKeys",
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--attribute-definitions",
        r#"[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}]"#,
        "--key-schema",
        r#"[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]"#,
        "--global-secondary-indexes",
        r#"[{"IndexName":"gsi1","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]"#,
    ])
    .json();
    let query = |expr: &str| {
        c.aws(&[
            "dynamodb",
            "query",
            "--table-name",
            "RecordedKeys",
            "--key-condition-expression",
            expr,
            "--expression-attribute-values",
            r#"{":p":{"S":"q"},":a":{"N":"1"},":b":{"N":"5"}}"#,
        ])
    };
    query("pk = :p AND sk > :a AND sk < :b").fails_with_message(
        "ValidationException",
        "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key",
    );
    query("pk = :p AND sk > :a AND extra = :b").fails_with_message(
        "ValidationException",
        "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)",
    );
    let statement = |s: &str, extra: &[&str]| {
        let mut args = vec!["dynamodb", "execute-statement", "--statement", s];
        args.extend_from_slice(extra);
        c.aws(&args)
    };
    statement(
        r#"SELECT * FROM "RecordedKeys"."gsi1""#,
        &["--consistent-read"],
    )
    .fails_with_message(
        "ValidationException",
        "Strongly consistent read is not supported on Global Secondary Indexes",
    );
    statement(
        r#"UPDATE "Recorded" SET t = set_add(ss, <<'x'>>) WHERE pk = 'k'"#,
        &[],
    )
    .fails_with_message(
        "ValidationException",
        "The first argument to SET_ADD must equal the assignment value at 1:27:7",
    );
    statement(
        r#"SELECT * FROM "Recorded" WHERE pk = 'k' AND EXISTS(ss)"#,
        &[],
    )
    .fails_with_message(
        "ValidationException",
        "Unrecognized function: exists at 1:45:6",
    );
}

/// Numbers with exponents AWS reads in full (paritysuite/dynamodb-conformance,
/// tests/tier3/limits/numberExponent.test.ts, recorded against AWS): past a 32-bit exponent an
/// overflow or underflow, past a 64-bit one unconvertible, zero range-checked by its exponent.
#[test]
fn number_exponents_are_range_checked_as_aws_reads_them() {
    let c = caller("200000000109");
    table(&c, "Exps");
    let put = |n: &str, pk: &str| {
        c.aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Exps",
            "--item",
            &json!({"pk": {"S": pk}, "val": {"N": n}}).to_string(),
        ])
    };
    let overflow =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    let underflow =
        "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    for (n, text) in [
        ("1e99999999999", overflow),
        ("1e2147483648", overflow),
        ("1e-99999999999", underflow),
        ("0e126", overflow),
        ("0e-131", underflow),
        (
            "1e9223372036854775808",
            "The parameter cannot be converted to a numeric value: 1e9223372036854775808",
        ),
    ] {
        // Inside the envelope on PutItem and UpdateItem (paritysuite/dynamodb-conformance
        // tests/tier3/error-messages/valueLayers.test.ts).
        put(n, "rejected").fails_with_message("ValidationException", &format!("{ENV}{text}"));
    }
    put("0e125", "zero").json();
    let got = c.ok(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Exps",
        "--key",
        r#"{"pk": {"S": "zero"}}"#,
        "--consistent-read",
    ]);
    assert_eq!(got["Item"]["val"], json!({"N": "0"}));
    // In an expression's values too.
    c.aws(&[
        "dynamodb",
        "update-item",
        "--table-name",
        "Exps",
        "--key",
        r#"{"pk": {"S": "zero"}}"#,
        "--update-expression",
        "SET m = :v",
        "--expression-attribute-values",
        r#"{":v": {"N": "1e99999999999"}}"#,
    ])
    .fails_with_message("ValidationException", &format!("{ENV}{overflow}"));
}
