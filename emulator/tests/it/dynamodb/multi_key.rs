//! Global secondary indexes with multi-attribute keys (several HASH or RANGE attributes), as
//! AWS answered paritysuite/dynamodb-conformance (each test run against AWS first; eu-west-2
//! and us-east-1, 2026-10): `tests/tier3/error-messages/partiqlMultiAttributeIndex.test.ts`.
//! Queries of such an index (`tests/tier1/query/multiAttributeGsiKey.test.ts`) and the reads
//! and writes PartiQL still runs (`tests/tier2/partiql/multiAttributeIndex.test.ts`) already
//! answered as AWS did through DynamoDB Local 11.1.0.

use serde_json::{json, Value};

use super::{ok, op};

const REFUSED: &str = "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.";

/// An on-demand table keyed by `id` with one GSI `gsi` keyed by `hash` then `range`
/// attributes (all S), holding one item with every attribute.
fn table(account: &str, name: &str, hash: &[&str], range: &[&str]) {
    let names: Vec<&str> = ["id"].iter().chain(hash).chain(range).copied().collect();
    let defs: Vec<Value> = names
        .iter()
        .map(|n| json!({"AttributeName": n, "AttributeType": "S"}))
        .collect();
    let keys: Vec<Value> = hash
        .iter()
        .map(|n| json!({"AttributeName": n, "KeyType": "HASH"}))
        .chain(
            range
                .iter()
                .map(|n| json!({"AttributeName": n, "KeyType": "RANGE"})),
        )
        .collect();
    ok(
        account,
        "CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": defs,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": keys,
                "Projection": {"ProjectionType": "ALL"}}]}),
    );
    let mut item = json!({"id": {"S": "i1"}});
    for (n, v) in hash.iter().chain(range).zip(["a", "x", "m", "n"]) {
        item[*n] = json!({"S": v});
    }
    ok(account, "PutItem", json!({"TableName": name, "Item": item}));
}

fn refused(account: &str, statement: &str) {
    let (status, out) = op(account, "ExecuteStatement", json!({"Statement": statement}));
    assert_eq!(status, 400, "{statement}: {out}");
    assert_eq!(
        out["__type"], "com.amazon.coral.validate#ValidationException",
        "{statement}"
    );
    assert_eq!(out["message"], REFUSED, "{statement}");
}

#[test]
fn a_select_on_a_multi_attribute_index_is_refused_in_aws_words() {
    let a = "270000000101";
    table(a, "pqMultiHhRr", &["h1", "h2"], &["r1", "r2"]);
    table(a, "pqMultiHhR", &["h1", "h2"], &["r1"]);
    refused(a, r#"SELECT * FROM "pqMultiHhRr"."gsi" WHERE h1 = 'a'"#);
    refused(a, r#"SELECT * FROM "pqMultiHhR"."gsi" WHERE h1 = 'a'"#);
    refused(
        a,
        r#"SELECT id FROM "pqMultiHhRr"."gsi" WHERE h1 = 'a' AND h2 = 'x' ORDER BY r1 DESC"#,
    );
}

#[test]
fn the_refusal_comes_before_key_types_where_and_count() {
    let a = "270000000102";
    table(a, "pqMultiOrder", &["h1", "h2"], &["r1"]);
    let g = r#""pqMultiOrder"."gsi""#;
    refused(a, &format!("SELECT * FROM {g} WHERE h1 = 5"));
    refused(a, &format!("SELECT * FROM {g} WHERE id = 'i1'"));
    refused(a, &format!("SELECT * FROM {g}"));
    refused(a, &format!("SELECT COUNT(*) FROM {g}"));
}

#[test]
fn in_a_batch_only_the_index_read_fails_with_the_refusal() {
    let a = "270000000103";
    table(a, "pqMultiBatch", &["h1", "h2"], &["r1"]);
    table(a, "pqMultiCtrl", &["h1"], &["r1"]);
    let out = ok(
        a,
        "BatchExecuteStatement",
        json!({"Statements": [
            {"Statement": r#"SELECT * FROM "pqMultiCtrl"."gsi" WHERE h1 = 'a' AND r1 = 'x'"#},
            {"Statement": r#"SELECT * FROM "pqMultiBatch"."gsi" WHERE h1 = 'a' AND h2 = 'x' AND r1 = 'm'"#},
            {"Statement": r#"SELECT * FROM "pqMultiBatch" WHERE id = 'i1'"#},
        ]}),
    );
    let r = &out["Responses"];
    assert_eq!(
        r[0]["Error"],
        json!({"Code": "ValidationError",
            "Message": "Select statements within BatchExecuteStatement must specify the primary key in the where clause."})
    );
    assert_eq!(
        r[1]["Error"],
        json!({"Code": "ValidationError", "Message": REFUSED})
    );
    assert!(r[2].get("Error").is_none(), "{out}");
    assert_eq!(r[2]["Item"]["id"], json!({"S": "i1"}));
}
