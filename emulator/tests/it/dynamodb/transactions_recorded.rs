//! Batch writes and transactions answered as AWS was recorded answering them in
//! nubo-db/dynamodb-conformance (the file is named on each test): key values that do not fit
//! the table's or an index's key schema, and ConsumedCapacity.

use serde_json::{json, Value};

use super::{ok, op};

fn def(name: &str, ty: &str) -> Value {
    json!({"AttributeName": name, "AttributeType": ty})
}

fn key(hash: &str, range: Option<&str>) -> Value {
    let mut k = vec![json!({"AttributeName": hash, "KeyType": "HASH"})];
    if let Some(r) = range {
        k.push(json!({"AttributeName": r, "KeyType": "RANGE"}));
    }
    Value::Array(k)
}

/// A one-key string table `Hash` and a composite table `Comp` whose `lsi1sk` is keyed by
/// `lsi1`, `gsi1` and `gsi2` (listed out of name order), as the suite's shared tables are.
fn tables(account: &str) {
    let all = json!({"ProjectionType": "ALL"});
    ok(
        account,
        "CreateTable",
        json!({"TableName": "Hash", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S")], "KeySchema": key("pk", None)}),
    );
    ok(
        account,
        "CreateTable",
        json!({"TableName": "Comp", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [def("pk", "S"), def("sk", "S"), def("lsi1sk", "S"), def("lsi2sk", "S")],
        "KeySchema": key("pk", Some("sk")),
        "LocalSecondaryIndexes": [
            {"IndexName": "lsi1", "KeySchema": key("pk", Some("lsi1sk")), "Projection": all},
            {"IndexName": "lsi2", "KeySchema": key("pk", Some("lsi2sk")), "Projection": all}
        ],
        "GlobalSecondaryIndexes": [
            {"IndexName": "gsi2", "KeySchema": key("lsi1sk", Some("lsi2sk")), "Projection": all},
            {"IndexName": "gsi1", "KeySchema": key("lsi1sk", None), "Projection": all}
        ]}),
    );
}

/// `name` refused with `code` and exactly `message`; the answer.
fn refused(account: &str, name: &str, body: Value, code: &str, message: &str) -> Value {
    let (status, out) = op(account, name, body);
    assert_eq!(status, 400, "{name}: {out}");
    let t = out["__type"].as_str().unwrap_or_default();
    assert!(t.ends_with(&format!("#{code}")), "{name}: {out}");
    assert_eq!(out["message"], message, "{name}: {out}");
    out
}

/// A transaction cancelled with these reasons (`None` or a ValidationError's message).
fn cancelled(account: &str, name: &str, items: Value, reasons: &[Option<&str>]) {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r.map_or("None", |_| "ValidationError"))
        .collect();
    let out = refused(
        account,
        name,
        json!({"TransactItems": items}),
        "TransactionCanceledException",
        &format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
    );
    let want: Vec<Value> = reasons
        .iter()
        .map(|r| match r {
            Some(m) => json!({"Code": "ValidationError", "Message": m}),
            None => json!({"Code": "None"}),
        })
        .collect();
    assert_eq!(out["CancellationReasons"], Value::Array(want), "{out}");
}

const SCHEMA: &str = "The provided key element does not match the schema";

fn index_mismatch(actual: &str) -> String {
    format!("One or more parameter values were invalid: Type mismatch for Index Key lsi1sk Expected: S Actual: {actual} IndexName: gsi1")
}

/// nubo-db/dynamodb-conformance `tests/tier3/error-messages/transactWriteItems.test.ts` and
/// `tests/tier2/transactions/transactWrite.test.ts`: a wrong-typed or non-scalar key value
/// cancels the transaction with a ValidationError reason (DynamoDB Local: a top-level
/// `Invalid attribute value type` for a non-scalar one, and no details for an index key).
#[test]
fn transaction_key_values_of_the_wrong_type_cancel_it() {
    let acc = "200000009601";
    tables(acc);
    let tw = "TransactWriteItems";
    let put = |table: &str, item: Value| json!({"Put": {"TableName": table, "Item": item}});
    cancelled(
        acc,
        tw,
        json!([put("Hash", json!({"pk": {"L": [{"S": "x"}]}}))]),
        &[Some(
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: L",
        )],
    );
    for (v, t) in [(json!({"N": "5"}), "N"), (json!({"L": [{"S": "x"}]}), "L")] {
        let item = json!({"pk": {"S": "a"}, "sk": {"S": "b"}, "lsi1sk": v});
        cancelled(
            acc,
            tw,
            json!([put("Comp", item)]),
            &[Some(&index_mismatch(t))],
        );
        let update = json!({"Update": {"TableName": "Comp",
            "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}},
            "UpdateExpression": "SET lsi1sk = :v", "ExpressionAttributeValues": {":v": v}}});
        cancelled(acc, tw, json!([update]), &[Some(&index_mismatch(t))]);
    }
    // The Key of an Update, Delete or ConditionCheck: the schema-mismatch reason.
    for k in [json!({"N": "5"}), json!({"L": [{"S": "x"}]})] {
        let items = [
            json!({"Update": {"TableName": "Hash", "Key": {"pk": k},
                "UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}}),
            json!({"Delete": {"TableName": "Hash", "Key": {"pk": k}}}),
            json!({"ConditionCheck": {"TableName": "Hash", "Key": {"pk": k},
                "ConditionExpression": "attribute_not_exists(pk)"}}),
        ];
        for item in items {
            cancelled(acc, tw, json!([item]), &[Some(SCHEMA)]);
        }
    }
    // Every action has its place; the others are None. Nothing was written.
    cancelled(
        acc,
        tw,
        json!([put("Hash", json!({"pk": {"S": "ok"}})),
            {"Delete": {"TableName": "Hash", "Key": {"pk": {"M": {}}}}}]),
        &[None, Some(SCHEMA)],
    );
    let got = ok(
        acc,
        "GetItem",
        json!({"TableName": "Hash", "Key": {"pk": {"S": "ok"}}}),
    );
    assert!(got.get("Item").is_none(), "{got}");
}

/// nubo-db/dynamodb-conformance `tests/tier3/error-messages/transactGetItems.test.ts`
/// ("missing key attribute"): a Key that does not fit the schema cancels the transaction
/// (DynamoDB Local: a TransactionCanceledException with its own text and no reasons).
#[test]
fn transaction_gets_with_a_bad_key_are_cancelled() {
    let acc = "200000009602";
    tables(acc);
    let get = |k: Value| json!({"Get": {"TableName": "Hash", "Key": k}});
    cancelled(
        acc,
        "TransactGetItems",
        json!([get(json!({}))]),
        &[Some(SCHEMA)],
    );
    cancelled(
        acc,
        "TransactGetItems",
        json!([
            get(json!({"pk": {"S": "a"}})),
            get(json!({"pk": {"L": []}}))
        ]),
        &[None, Some(SCHEMA)],
    );
}

/// nubo-db/dynamodb-conformance `tests/tier3/error-messages/batchWriteItem.test.ts` (four
/// regions) and `transactWriteItems.test.ts`: BatchWriteItem answers a top-level
/// ValidationException; an empty index key names the first index by name keyed on the
/// attribute, in transactions too (DynamoDB Local names `lsi1`).
#[test]
fn batch_write_key_values_of_the_wrong_type_and_empty_index_keys() {
    let acc = "200000009603";
    tables(acc);
    let bw = |table: &str, item: Value| json!({"RequestItems": {table: [{"PutRequest": {"Item": item}}]}});
    let v = "ValidationException";
    refused(
        acc,
        "BatchWriteItem",
        bw("Hash", json!({"pk": {"L": [{"S": "x"}]}})),
        v,
        SCHEMA,
    );
    refused(
        acc,
        "BatchWriteItem",
        json!({"RequestItems": {"Hash": [{"DeleteRequest": {"Key": {"pk": {"M": {}}}}}]}}),
        v,
        SCHEMA,
    );
    for (val, t) in [(json!({"N": "5"}), "N"), (json!({"L": [{"S": "x"}]}), "L")] {
        let item = json!({"pk": {"S": "a"}, "sk": {"S": "b"}, "lsi1sk": val});
        refused(
            acc,
            "BatchWriteItem",
            bw("Comp", item),
            v,
            &index_mismatch(t),
        );
    }
    let empty = "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: gsi1, IndexKey: lsi1sk";
    let item = json!({"pk": {"S": "a"}, "sk": {"S": "b"}, "lsi1sk": {"S": ""}});
    refused(acc, "BatchWriteItem", bw("Comp", item.clone()), v, empty);
    refused(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "Comp", "Item": item}}]}),
        v,
        empty,
    );
}

/// nubo-db/dynamodb-conformance `tests/tier2/transactions/transactWrite.test.ts` (eu-west-2):
/// two write units per KB of each item (DynamoDB Local counts a table's items together), a
/// ConditionCheck as a write, and a same-token replay as a transactional read of the stored
/// item (2 units for a 1.5 KB item that cost 4 to write), with no write units.
#[test]
fn transact_write_capacity_counts_each_item_and_a_replay_reads() {
    let acc = "200000009604";
    tables(acc);
    let tw = |body: Value| ok(acc, "TransactWriteItems", body);
    let put = |pk: &str| json!({"Put": {"TableName": "Hash", "Item": {"pk": {"S": pk}, "v": {"N": "1"}}}});
    let out = tw(json!({"ReturnConsumedCapacity": "TOTAL", "TransactItems": [put("a"), put("b")]}));
    assert_eq!(
        out["ConsumedCapacity"],
        json!([{"TableName": "Hash", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}])
    );
    ok(
        acc,
        "PutItem",
        json!({"TableName": "Comp", "Item": {"pk": {"S": "c"}, "sk": {"S": "x"}}}),
    );
    let check = json!({"ConditionCheck": {"TableName": "Comp",
        "Key": {"pk": {"S": "c"}, "sk": {"S": "x"}}, "ConditionExpression": "attribute_exists(pk)"}});
    let out = tw(json!({"ReturnConsumedCapacity": "INDEXES", "TransactItems": [put("c"), check]}));
    assert_eq!(
        out["ConsumedCapacity"][1],
        json!({"TableName": "Comp", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0,
            "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}})
    );
    let big = json!({"Put": {"TableName": "Hash",
        "Item": {"pk": {"S": "r"}, "big": {"S": "x".repeat(1536)}}}});
    let body = json!({"ClientRequestToken": "replay-1", "ReturnConsumedCapacity": "INDEXES",
        "TransactItems": [big]});
    let first = tw(body.clone());
    assert_eq!(
        first["ConsumedCapacity"],
        json!([{"TableName": "Hash", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
            "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}}])
    );
    let replay = tw(body);
    assert_eq!(
        replay["ConsumedCapacity"],
        json!([{"TableName": "Hash", "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0,
            "Table": {"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}}])
    );
    // Not asked for: none.
    let out = tw(json!({"TransactItems": [put("d")]}));
    assert!(out.get("ConsumedCapacity").is_none(), "{out}");
}

/// nubo-db/dynamodb-conformance `tests/tier2/transactions/transactGet.test.ts`: under INDEXES
/// the table's share is by kind too, and a projection that matches nothing on a present item
/// leaves Item out (DynamoDB Local answers `{}`).
#[test]
fn transact_get_indexes_capacity_and_projections_matching_nothing() {
    let acc = "200000009605";
    tables(acc);
    ok(
        acc,
        "PutItem",
        json!({"TableName": "Hash", "Item": {"pk": {"S": "p"}, "real": {"S": "here"}}}),
    );
    let get = |extra: Value| {
        let mut g = json!({"TableName": "Hash", "Key": {"pk": {"S": "p"}}});
        for (k, v) in extra.as_object().unwrap() {
            g[k] = v.clone();
        }
        json!({"Get": g})
    };
    let out = ok(
        acc,
        "TransactGetItems",
        json!({"ReturnConsumedCapacity": "INDEXES", "TransactItems": [get(json!({}))]}),
    );
    assert_eq!(
        out["ConsumedCapacity"][0]["Table"],
        json!({"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}),
        "{out}"
    );
    let nothing = get(json!({"ProjectionExpression": "#x",
        "ExpressionAttributeNames": {"#x": "doesNotExist"}}));
    let some =
        get(json!({"ProjectionExpression": "#r", "ExpressionAttributeNames": {"#r": "real"}}));
    let out = ok(acc, "TransactGetItems", json!({"TransactItems": [nothing]}));
    assert_eq!(out, json!({"Responses": [{}]}));
    let out = ok(acc, "TransactGetItems", json!({"TransactItems": [some]}));
    assert_eq!(
        out,
        json!({"Responses": [{"Item": {"real": {"S": "here"}}}]})
    );
}

/// nubo-db/dynamodb-conformance `tests/tier3/error-messages/transactWriteItems.test.ts` and
/// `batchWriteItem.test.ts` ("empty-binary index key"): a top-level ValidationException naming
/// the index, never a cancellation; DynamoDB Local answers these as AWS does (pinned).
#[test]
fn empty_binary_index_keys_are_top_level_errors() {
    let acc = "200000009606";
    ok(
        acc,
        "CreateTable",
        json!({"TableName": "GsiB", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S"), def("bidx", "B")],
            "KeySchema": key("pk", None),
            "GlobalSecondaryIndexes": [{"IndexName": "gsib", "KeySchema": key("bidx", None),
                "Projection": {"ProjectionType": "ALL"}}]}),
    );
    let v = "ValidationException";
    let put = "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: gsib, IndexKey: bidx";
    let item = json!({"pk": {"S": "a"}, "bidx": {"B": ""}});
    refused(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "GsiB", "Item": item}}]}),
        v,
        put,
    );
    refused(
        acc,
        "BatchWriteItem",
        json!({"RequestItems": {"GsiB": [{"PutRequest": {"Item": item}}]}}),
        v,
        put,
    );
    refused(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [{"Update": {"TableName": "GsiB", "Key": {"pk": {"S": "a"}},
            "UpdateExpression": "SET bidx = :v", "ExpressionAttributeValues": {":v": {"B": ""}}}}]}),
        v,
        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty binary value.",
    );
}

/// paritysuite/dynamodb-conformance `tests/tier3/limits/nestingDepth.test.ts` (recorded on
/// AWS): an Update's expression value nested 32 levels cancels the transaction with a
/// ValidationError reason; a ConditionCheck's is evaluated (here: false), not measured; a Put
/// item nested as deep is refused with the request.
#[test]
fn nesting_in_transaction_values_cancels_or_is_evaluated() {
    let acc = "200000009607";
    ok(
        acc,
        "CreateTable",
        json!({"TableName": "Deep", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [def("pk", "S")], "KeySchema": key("pk", None)}),
    );
    ok(
        acc,
        "PutItem",
        json!({"TableName": "Deep", "Item": {"pk": {"S": "x"}, "marker": {"S": "m"}}}),
    );
    let mut deep = json!({"S": "leaf"});
    for _ in 0..32 {
        deep = json!({"M": {"n": deep}});
    }
    let nesting = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
    let (status, out) = op(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "Deep", "Item": {"pk": {"S": "y"}}}},
            {"Update": {"TableName": "Deep", "Key": {"pk": {"S": "x"}},
                "UpdateExpression": "SET d = :deep", "ExpressionAttributeValues": {":deep": deep}}}
        ]}),
    );
    assert_eq!(status, 400, "{out}");
    assert!(out["__type"]
        .as_str()
        .unwrap()
        .ends_with("#TransactionCanceledException"));
    assert_eq!(
        out["CancellationReasons"],
        json!([{"Code": "None"}, {"Code": "ValidationError", "Message": nesting}])
    );
    let (status, out) = op(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [{"ConditionCheck": {"TableName": "Deep", "Key": {"pk": {"S": "x"}},
            "ConditionExpression": "#d = :deep", "ExpressionAttributeNames": {"#d": "data"},
            "ExpressionAttributeValues": {":deep": deep}}}]}),
    );
    assert_eq!(status, 400, "{out}");
    assert_eq!(
        out["CancellationReasons"][0]["Code"], "ConditionalCheckFailed",
        "{out}"
    );
    let (status, out) = op(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "Deep",
            "Item": {"pk": {"S": "z"}, "d": deep}}}]}),
    );
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["message"], nesting);
    // 40 maps deep, an Update's or a ConditionCheck's value is refused with the request
    // (paritysuite/dynamodb-conformance tests/tier3/validation-ordering/deepRequests.test.ts).
    let mut deeper = deep.clone();
    for _ in 0..8 {
        deeper = json!({"M": {"n": deeper}});
    }
    for action in [
        json!({"Update": {"TableName": "Deep", "Key": {"pk": {"S": "x"}},
            "UpdateExpression": "SET d = :deep", "ExpressionAttributeValues": {":deep": deeper}}}),
        json!({"ConditionCheck": {"TableName": "Deep", "Key": {"pk": {"S": "x"}},
            "ConditionExpression": "d = :deep", "ExpressionAttributeValues": {":deep": deeper}}}),
    ] {
        let (status, out) = op(
            acc,
            "TransactWriteItems",
            json!({"TransactItems": [action]}),
        );
        assert_eq!(status, 400, "{out}");
        assert_eq!(
            out["message"],
            format!("ExpressionAttributeValues contains invalid value: {nesting} for key :deep")
        );
    }
    // Nothing of the cancelled transaction was written.
    let got = ok(
        acc,
        "GetItem",
        json!({"TableName": "Deep", "Key": {"pk": {"S": "y"}}, "ConsistentRead": true}),
    );
    assert!(got.get("Item").is_none(), "{got}");
}
