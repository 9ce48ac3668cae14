//! PartiQL answers as AWS gave them to nubo-db/dynamodb-conformance (each test run against AWS
//! first, eu-west-2): `tests/tier2/partiql/executeStatement.test.ts`,
//! `batchExecuteStatement.test.ts`, `executeTransaction.test.ts`, `indexQualifier.test.ts` and
//! `tests/tier3/error-messages/partiqlIndexQualifier.test.ts`.

use serde_json::{json, Value};

use super::{ok, op};

/// An on-demand table keyed by `pk` (S).
fn hash_table(account: &str, name: &str) {
    ok(
        account,
        "CreateTable",
        json!({"TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
}

fn statement(account: &str, statement: &str) -> Value {
    ok(account, "ExecuteStatement", json!({"Statement": statement}))
}

/// The strings of a list attribute.
fn strings(list: &Value) -> Vec<&str> {
    list["L"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["S"].as_str())
        .collect()
}

#[test]
fn returning_modified_answers_only_the_paths_written() {
    let a = "200000007701";
    hash_table(a, "Ret");
    let put = |pk: &str, item: Value| {
        let mut item = item;
        item["pk"] = json!({"S": pk});
        ok(a, "PutItem", json!({"TableName": "Ret", "Item": item}));
    };
    let abc = json!({"tags": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}});
    let run = |pk: &str, action: &str, which: &str| -> Value {
        statement(
            a,
            &format!(r#"UPDATE "Ret" {action} WHERE pk = '{pk}' RETURNING MODIFIED {which} *"#),
        )["Items"]
            .clone()
    };
    // A nested map path: the leaf alone, old or new; no sibling, no key.
    for (which, want) in [("NEW", "new"), ("OLD", "old")] {
        let pk = format!("nested-{which}");
        put(
            &pk,
            json!({"profile": {"M": {"sub": {"S": "old"}, "sib": {"S": "keep"}}}}),
        );
        let items = run(&pk, "SET profile.sub = 'new'", which);
        assert_eq!(
            items,
            json!([{"profile": {"M": {"sub": {"S": want}}}}]),
            "{which}"
        );
    }
    // List indices: the elements they reach, dense, in ascending index order whatever the
    // statement's order.
    for (n, (action, which, want)) in [
        ("SET tags[2] = 'y'", "NEW", vec!["y"]),
        ("SET tags[2] = 'y'", "OLD", vec!["c"]),
        ("SET tags[2] = 'y', tags[0] = 'x'", "NEW", vec!["x", "y"]),
        ("SET tags[2] = 'y', tags[0] = 'x'", "OLD", vec!["a", "c"]),
        ("REMOVE tags[1]", "OLD", vec!["b"]),
        // The index now reaches the element shifted into it.
        ("REMOVE tags[1]", "NEW", vec!["c"]),
        ("REMOVE tags[2]", "OLD", vec!["c"]),
    ]
    .into_iter()
    .enumerate()
    {
        let pk = format!("list-{n}");
        put(&pk, abc.clone());
        let items = run(&pk, action, which);
        assert_eq!(
            items.as_array().map(Vec::len),
            Some(1),
            "{action} {which}: {items}"
        );
        let row = items[0].as_object().unwrap();
        assert_eq!(row.keys().collect::<Vec<_>>(), ["tags"], "{action} {which}");
        assert_eq!(strings(&row["tags"]), want, "{action} {which}");
    }
    // Appending at exactly the old length reaches the new element in the new item only; past
    // it, nothing is reached and no row is answered.
    let ab = json!({"tags": {"L": [{"S": "a"}, {"S": "b"}]}});
    for (n, (action, which, want)) in [
        (
            "SET tags[2] = 'c'",
            "NEW",
            json!([{"tags": {"L": [{"S": "c"}]}}]),
        ),
        ("SET tags[2] = 'c'", "OLD", json!([])),
        ("SET tags[5] = 'c'", "NEW", json!([])),
        ("REMOVE tags[2]", "NEW", json!([])),
    ]
    .into_iter()
    .enumerate()
    {
        let pk = format!("short-{n}");
        put(&pk, ab.clone());
        assert_eq!(run(&pk, action, which), want, "{action} {which}");
    }
    let after = ok(
        a,
        "GetItem",
        json!({"TableName": "Ret", "Key": {"pk": {"S": "short-2"}}}),
    );
    assert_eq!(strings(&after["Item"]["tags"]), ["a", "b", "c"]);
}

#[test]
fn an_insert_of_an_existing_item_is_a_duplicate_item_exception() {
    let a = "200000007702";
    hash_table(a, "Dup");
    let insert = r#"INSERT INTO "Dup" VALUE {'pk': 'd', 'data': 'first'}"#;
    statement(a, insert);
    let (status, out) = op(a, "ExecuteStatement", json!({"Statement": insert}));
    assert_eq!(status, 400, "{out}");
    assert_eq!(
        out["__type"],
        "com.amazonaws.dynamodb.v20120810#DuplicateItemException"
    );
    // A batch slot keeps the short code.
    let out = ok(
        a,
        "BatchExecuteStatement",
        json!({"Statements": [{"Statement": insert}]}),
    );
    assert_eq!(
        out["Responses"][0]["Error"]["Code"], "DuplicateItem",
        "{out}"
    );
}

#[test]
fn a_misspelt_batch_member_expects_data_manipulation() {
    let a = "200000007703";
    hash_table(a, "Slect");
    ok(
        a,
        "PutItem",
        json!({"TableName": "Slect", "Item": {"pk": {"S": "k"}, "data": {"S": "valid"}}}),
    );
    let out = ok(
        a,
        "BatchExecuteStatement",
        json!({"Statements": [
            {"Statement": r#"SLECT * FROM "Slect" WHERE pk = 'k'"#},
            {"Statement": r#"SELECT * FROM "Slect" WHERE pk = 'k'"#},
        ]}),
    );
    assert_eq!(
        out["Responses"][0]["Error"],
        json!({"Code": "ValidationError",
            "Message": "Statement wasn't well formed, can't be processed: Expected data manipulation"})
    );
    assert_eq!(out["Responses"][1]["Item"]["data"]["S"], "valid");
}
