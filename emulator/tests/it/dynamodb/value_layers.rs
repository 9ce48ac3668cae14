//! Malformed numbers and sets with a repeated member, worded by the layer each operation runs,
//! as AWS answered paritysuite/dynamodb-conformance
//! (https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/error-messages/valueLayers.test.ts,
//! eu-west-2, us-east-1, eu-west-1, us-west-2, 2026-10). Transactions answer the older layer,
//! as three of those four regions do.

use serde_json::{json, Value};

use super::{ok, op};

const ENV: &str = "1 validation error detected: ";
const OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const NOT_NUMERIC: &str = "The parameter cannot be converted to a numeric value";
const INVALID: &str = "One or more parameter values were invalid: ";

/// The four number shapes sent to every operation.
const SHAPES: [&str; 4] = ["abc", "", "1e126", "1e2147483647"];

fn current() -> Vec<String> {
    vec![
        format!("{NOT_NUMERIC}: abc"),
        format!("{NOT_NUMERIC}: "),
        OVERFLOW.into(),
        OVERFLOW.into(),
    ]
}

fn older() -> Vec<String> {
    vec![
        format!("{NOT_NUMERIC}: abc"),
        NOT_NUMERIC.into(),
        OVERFLOW.into(),
        UNDERFLOW.into(),
    ]
}

fn enveloped(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|m| format!("{ENV}{m}")).collect()
}

/// A table keyed by string `pk` in `account`.
fn table(account: &str) -> &'static str {
    ok(
        account,
        "CreateTable",
        json!({"TableName": "layers", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    );
    "layers"
}

/// The ValidationException message `name` answers `body` with.
fn refusal(account: &str, name: &str, body: Value) -> String {
    let (status, out) = op(account, name, body);
    assert_eq!(status, 400, "{name}: {out}");
    let code = out["__type"].as_str().unwrap_or_default();
    assert!(code.ends_with("#ValidationException"), "{name}: {out}");
    out["message"].as_str().unwrap_or_default().to_string()
}

fn each_shape(account: &str, name: &str, body: impl Fn(Value) -> Value) -> Vec<String> {
    SHAPES
        .iter()
        .map(|n| refusal(account, name, body(json!({"N": n}))))
        .collect()
}

#[test]
fn writes_refuse_malformed_numbers_inside_the_envelope() {
    let a = "200000001301";
    let t = table(a);
    let cases = [
        ("1e99999999999", OVERFLOW.to_string()),
        ("1e-99999999999", UNDERFLOW.into()),
        ("1e2147483647", OVERFLOW.into()),
        ("1e-131", UNDERFLOW.into()),
        ("abc", format!("{NOT_NUMERIC}: abc")),
        ("", format!("{NOT_NUMERIC}: ")),
        (" 1", format!("{NOT_NUMERIC}:  1")),
        ("0x10", format!("{NOT_NUMERIC}: 0x10")),
        ("NaN", format!("{NOT_NUMERIC}: NaN")),
        (
            "1234567890123456789012345678901234567890",
            "Attempting to store more than 38 significant digits in a Number".into(),
        ),
    ];
    for (n, want) in cases {
        let item = json!({"TableName": t, "Item": {"pk": {"S": "vl-n"}, "n": {"N": n}}});
        assert_eq!(refusal(a, "PutItem", item), format!("{ENV}{want}"), "{n:?}");
    }
    let want = enveloped(current());
    let member = each_shape(
        a,
        "PutItem",
        |v| json!({"TableName": t, "Item": {"pk": {"S": "vl-n"}, "n": {"NS": ["1", v["N"]]}}}),
    );
    let nested = each_shape(
        a,
        "PutItem",
        |v| json!({"TableName": t, "Item": {"pk": {"S": "vl-n"}, "n": {"M": {"x": {"L": [v]}}}}}),
    );
    let condition = each_shape(a, "PutItem", |v| {
        json!({"TableName": t, "Item": {"pk": {"S": "vl-n"}},
            "ConditionExpression": "attribute_not_exists(pk) OR n = :v",
            "ExpressionAttributeValues": {":v": v}})
    });
    let expected = each_shape(
        a,
        "PutItem",
        |v| json!({"TableName": t, "Item": {"pk": {"S": "vl-n"}}, "Expected": {"n": {"Value": v}}}),
    );
    let updates = each_shape(a, "UpdateItem", |v| {
        json!({"TableName": t, "Key": {"pk": {"S": "vl-n"}},
            "AttributeUpdates": {"n": {"Action": "PUT", "Value": v}}})
    });
    let update_key = each_shape(a, "UpdateItem", |v| {
        json!({"TableName": t, "Key": {"pk": v}, "UpdateExpression": "SET n = :o",
            "ExpressionAttributeValues": {":o": {"N": "1"}}})
    });
    let delete = each_shape(a, "DeleteItem", |v| {
        json!({"TableName": t, "Key": {"pk": {"S": "vl-n"}}, "ConditionExpression": "n = :v",
            "ExpressionAttributeValues": {":v": v}})
    });
    for (what, got) in [
        ("set member", member),
        ("nested", nested),
        ("condition", condition),
        ("expected", expected),
        ("AttributeUpdates", updates),
        ("update key", update_key),
        ("delete condition", delete),
    ] {
        assert_eq!(got, want, "{what}");
    }
    let get = ok(
        a,
        "GetItem",
        json!({"TableName": t, "Key": {"pk": {"S": "vl-n"}}, "ConsistentRead": true}),
    );
    assert_eq!(get.get("Item"), None, "nothing written");
}

#[test]
fn reads_refuse_malformed_numbers_bare_and_the_older_layer_as_bigdecimal_reads_them() {
    let a = "200000001302";
    let t = table(a);
    let get = each_shape(a, "GetItem", |v| json!({"TableName": t, "Key": {"pk": v}}));
    let batch_get = each_shape(
        a,
        "BatchGetItem",
        |v| json!({"RequestItems": {t: {"Keys": [{"pk": v}]}}}),
    );
    let query = each_shape(a, "Query", |v| {
        json!({"TableName": t, "KeyConditionExpression": "pk = :p", "FilterExpression": "n = :v",
            "ExpressionAttributeValues": {":p": {"S": "vl-n"}, ":v": v}})
    });
    assert_eq!([get, batch_get, query], [current(), current(), current()]);
    let batch_write = each_shape(
        a,
        "BatchWriteItem",
        |v| json!({"RequestItems": {t: [{"PutRequest": {"Item": {"pk": {"S": "vl-n"}, "n": v}}}]}}),
    );
    let transact_put = each_shape(
        a,
        "TransactWriteItems",
        |v| json!({"TransactItems": [{"Put": {"TableName": t, "Item": {"pk": {"S": "vl-n"}, "n": v}}}]}),
    );
    let transact_get = each_shape(
        a,
        "TransactGetItems",
        |v| json!({"TransactItems": [{"Get": {"TableName": t, "Key": {"pk": v}}}]}),
    );
    assert_eq!(
        [batch_write, transact_put, transact_get],
        [older(), older(), older()]
    );
    let transact_update = each_shape(a, "TransactWriteItems", |v| {
        json!({"TransactItems": [{"Update": {"TableName": t, "Key": {"pk": {"S": "vl-n"}},
            "UpdateExpression": "SET n = :v", "ExpressionAttributeValues": {":v": v}}}]})
    });
    let wrapped: Vec<String> = older()
        .into_iter()
        .map(|m| format!("ExpressionAttributeValues contains invalid value: {m} for key :v"))
        .collect();
    assert_eq!(transact_update, wrapped);
}

/// SS b, a, b; BS /w==, AA==, AA==; NS 2, 1, 2.
fn dupes() -> [Value; 3] {
    [
        json!({"SS": ["b", "a", "b"]}),
        json!({"BS": ["/w==", "AA==", "AA=="]}),
        json!({"NS": ["2", "1", "2"]}),
    ]
}

fn dupe_current() -> Vec<String> {
    vec![
        format!("{INVALID}Input collection [\"a\", \"b\", \"b\"] contains duplicates."),
        format!(
            "{INVALID}Input collection [\"AA==\",\"/w==\",\"AA==\"]of type BS contains duplicates."
        ),
        format!("{INVALID}Input collection contains duplicates."),
    ]
}

fn dupe_older() -> Vec<String> {
    vec![
        format!("{INVALID}Input collection [b, a, b] contains duplicates."),
        format!("{INVALID}Input collection [/w==, AA==, AA==]of type BS contains duplicates."),
        "Input collection contains duplicates".into(),
    ]
}

fn each_set(account: &str, name: &str, body: impl Fn(&Value) -> Value) -> Vec<String> {
    dupes()
        .iter()
        .map(|d| refusal(account, name, body(d)))
        .collect()
}

#[test]
fn duplicate_set_members_by_operation() {
    let a = "200000001303";
    let t = table(a);
    let item = each_set(
        a,
        "PutItem",
        |d| json!({"TableName": t, "Item": {"pk": {"S": "vl-d"}, "s": d}}),
    );
    let expected = each_set(
        a,
        "PutItem",
        |d| json!({"TableName": t, "Item": {"pk": {"S": "vl-d"}}, "Expected": {"s": {"Value": d}}}),
    );
    let updates = each_set(a, "UpdateItem", |d| {
        json!({"TableName": t, "Key": {"pk": {"S": "vl-d"}},
            "AttributeUpdates": {"s": {"Action": "PUT", "Value": d}}})
    });
    let update_condition = each_set(a, "UpdateItem", |d| {
        json!({"TableName": t, "Key": {"pk": {"S": "vl-d"}}, "UpdateExpression": "SET o = :o",
            "ConditionExpression": "attribute_not_exists(pk) OR s = :t",
            "ExpressionAttributeValues": {":o": {"N": "1"}, ":t": d}})
    });
    let delete_key = each_set(
        a,
        "DeleteItem",
        |d| json!({"TableName": t, "Key": {"pk": d}}),
    );
    let want = enveloped(dupe_current());
    assert_eq!(
        [item, expected, updates, update_condition, delete_key],
        [want.clone(), want.clone(), want.clone(), want.clone(), want]
    );
    let get = each_set(a, "GetItem", |d| json!({"TableName": t, "Key": {"pk": d}}));
    let batch_get = each_set(
        a,
        "BatchGetItem",
        |d| json!({"RequestItems": {t: {"Keys": [{"pk": d}]}}}),
    );
    let query_key = each_set(a, "Query", |d| {
        json!({"TableName": t, "KeyConditionExpression": "pk = :t",
            "ExpressionAttributeValues": {":t": d}})
    });
    let start_key = each_set(a, "Query", |d| {
        json!({"TableName": t, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "vl-d"}}, "ExclusiveStartKey": {"pk": d}})
    });
    let query_filter = each_set(a, "Query", |d| {
        json!({"TableName": t,
            "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "vl-d"}]}},
            "QueryFilter": {"s": {"ComparisonOperator": "EQ", "AttributeValueList": [d]}}})
    });
    let bare = dupe_current();
    assert_eq!(
        [get, batch_get, query_key, start_key, query_filter],
        [bare.clone(), bare.clone(), bare.clone(), bare.clone(), bare]
    );
    let batch_put = each_set(
        a,
        "BatchWriteItem",
        |d| json!({"RequestItems": {t: [{"PutRequest": {"Item": {"pk": {"S": "vl-d"}, "s": d}}}]}}),
    );
    let batch_delete = each_set(
        a,
        "BatchWriteItem",
        |d| json!({"RequestItems": {t: [{"DeleteRequest": {"Key": {"pk": d}}}]}}),
    );
    let transact_delete = each_set(
        a,
        "TransactWriteItems",
        |d| json!({"TransactItems": [{"Delete": {"TableName": t, "Key": {"pk": d}}}]}),
    );
    let transact_get = each_set(
        a,
        "TransactGetItems",
        |d| json!({"TransactItems": [{"Get": {"TableName": t, "Key": {"pk": d}}}]}),
    );
    let old = dupe_older();
    assert_eq!(
        [batch_put, batch_delete, transact_delete, transact_get],
        [old.clone(), old.clone(), old.clone(), old]
    );
    let condition_check = each_set(a, "TransactWriteItems", |d| {
        json!({"TransactItems": [{"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "vl-d"}},
            "ConditionExpression": "attribute_not_exists(pk) OR s = :t",
            "ExpressionAttributeValues": {":t": d}}}]})
    });
    let wrapped: Vec<String> = dupe_older()
        .into_iter()
        .map(|m| format!("ExpressionAttributeValues contains invalid value: {m} for key :t"))
        .collect();
    assert_eq!(condition_check, wrapped);
}

// UpdateItem's statement charge: 3, plus 19 and the target and operand per SET or ADD, 1 and
// the target per REMOVE or DELETE; refused over 409,600 before the condition, whatever the
// finished item's size (paritysuite/dynamodb-conformance
// tests/tier3/limits/itemSizeBySurface.test.ts, eu-west-2, 2026-08 and 2026-10).

const MAX_ITEM: usize = 409_600;
const UPDATE_TOO_LARGE: &str = "Item size to update has exceeded the maximum allowed size";

/// UpdateItem of `SET b = :pad` plus `clause` at `pk`, `pad` bytes of padding: accepted or not.
fn update_with(a: &str, t: &str, pk: &str, clause: &str, pad: usize, values: Value) -> bool {
    let expr = match clause.strip_prefix("SET ") {
        Some(rest) => format!("SET b = :pad, {rest}"),
        None if clause.is_empty() => "SET b = :pad".to_string(),
        None => format!("SET b = :pad {clause}"),
    };
    let mut values = values;
    values[":pad"] = json!({"S": "x".repeat(pad)});
    let (status, out) = op(
        a,
        "UpdateItem",
        json!({"TableName": t, "Key": {"pk": {"S": pk}}, "UpdateExpression": expr,
            "ExpressionAttributeValues": values}),
    );
    if status == 200 {
        return true;
    }
    assert_eq!(out["message"], UPDATE_TOO_LARGE, "{clause}: {out}");
    false
}

#[test]
fn update_item_charges_the_statement_not_only_the_finished_item() {
    let a = "200000001304";
    let t = table(a);
    // A one-byte key: the single SET's 22 bytes bind, 19 under the finished-item cap.
    assert!(update_with(a, t, "K", "", MAX_ITEM - 23, json!({})));
    assert!(!update_with(a, t, "L", "", MAX_ITEM - 22, json!({})));
    let seed = |pk: &str, item: Value| {
        let mut item = item;
        item["pk"] = json!({"S": pk});
        ok(a, "PutItem", json!({"TableName": t, "Item": item}));
    };
    // (clause, what the item holds, values, the clause's charge)
    let ten = json!({"S": "y".repeat(10)});
    let cases = [
        // A path operand: 1 plus 14 and the element per element.
        (
            "SET c = m.z",
            json!({"m": {"M": {"z": ten}}}),
            json!({}),
            19 + 1 + 1 + 15 + 15,
        ),
        (
            "SET l = list_append(l, :new)",
            json!({"l": {"L": [{"S": "e"}]}}),
            json!({":new": {"L": [ten]}}),
            19 + 1 + 37 + 16 + (3 + 1 + 10),
        ),
        (
            "SET n = n - :one",
            json!({"n": {"N": "1"}}),
            json!({":one": {"N": "1"}}),
            19 + 1 + 37 + 16 + 2,
        ),
        (
            "REMOVE l[10]",
            json!({"l": {"L": vec![json!({"S": "e"}); 11]}}),
            json!({}),
            1 + 1 + 4 + 2,
        ),
        (
            "DELETE ss :rm",
            json!({"ss": {"SS": ["ppppp", "q".repeat(20)]}}),
            json!({":rm": {"SS": ["q".repeat(20)]}}),
            1 + 2,
        ),
    ];
    for (i, (clause, item, values, charge)) in cases.into_iter().enumerate() {
        let pad = MAX_ITEM - 23 - charge;
        let (fits, over) = (format!("C{i}"), format!("D{i}"));
        seed(&fits, item.clone());
        seed(&over, item);
        assert!(
            update_with(a, t, &fits, clause, pad, values.clone()),
            "{clause}"
        );
        assert!(
            !update_with(a, t, &over, clause, pad + 1, values),
            "{clause}"
        );
    }
    // Before the condition: a failing one still answers the size.
    seed("order", json!({"c": {"S": "x"}}));
    let (status, out) = op(
        a,
        "UpdateItem",
        json!({"TableName": t, "Key": {"pk": {"S": "order"}},
            "UpdateExpression": "SET c = if_not_exists(c, :huge)",
            "ConditionExpression": "attribute_exists(nope)",
            "ExpressionAttributeValues": {":huge": {"S": "h".repeat(409_700)}}}),
    );
    assert_eq!(
        (status, out["message"].as_str()),
        (400, Some(UPDATE_TOO_LARGE))
    );
}
