//! PartiQL answers as AWS gave them to nubo-db/dynamodb-conformance (recorded against AWS;
//! eu-west-2 where a test names its region): `tests/tier2/partiql/executeStatement.test.ts`,
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

/// A table keyed by `pk` and `sk` with a KEYS_ONLY and an INCLUDE (`projattr`) global index on
/// `g`, and a KEYS_ONLY local index on `l`; `nonproj` is projected by none.
fn index_table(account: &str, name: &str) {
    let s = |n: &str| json!({"AttributeName": n, "AttributeType": "S"});
    let key = |n: &str, k: &str| json!({"AttributeName": n, "KeyType": k});
    ok(
        account,
        "CreateTable",
        json!({"TableName": name,
            "AttributeDefinitions": [s("pk"), s("sk"), s("g"), s("l")],
            "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
            "GlobalSecondaryIndexes": [
                {"IndexName": "gsi-keys", "KeySchema": [key("g", "HASH")],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}},
                {"IndexName": "gsi-inc", "KeySchema": [key("g", "HASH")],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["projattr"]}}],
            "LocalSecondaryIndexes": [
                {"IndexName": "lsi-keys", "KeySchema": [key("pk", "HASH"), key("l", "RANGE")],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
    for (sk, np) in [("s1", "np1"), ("s2", "np2")] {
        ok(
            account,
            "PutItem",
            json!({"TableName": name, "Item": {"pk": {"S": "p"}, "sk": {"S": sk},
                "g": {"S": "y"}, "l": {"S": sk}, "projattr": {"S": "pa"}, "nonproj": {"S": np}}}),
        );
    }
}

/// The sort keys an ExecuteStatement answers, sorted.
fn sort_keys(out: &Value) -> Vec<String> {
    let mut v: Vec<String> = out["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["sk"]["S"].as_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

#[test]
fn an_index_read_filtering_on_an_attribute_the_index_lacks() {
    let a = "200000007704";
    index_table(a, "Idx");
    // Keyed on the index's partition key: refused, one text for both kinds of index.
    for (statement, index) in [
        (
            r#"SELECT pk FROM "Idx"."gsi-inc" WHERE g = 'y' AND nonproj = 'np1'"#,
            "gsi-inc",
        ),
        (
            r#"SELECT pk FROM "Idx"."gsi-inc" WHERE g IN ['y', 'z'] AND NOT nonproj IS MISSING"#,
            "gsi-inc",
        ),
        (
            r#"SELECT pk FROM "Idx"."gsi-keys" WHERE g = 'y' AND begins_with(nonproj, 'np')"#,
            "gsi-keys",
        ),
        (
            r#"SELECT pk FROM "Idx"."lsi-keys" WHERE pk = 'p' AND l BETWEEN 'a' AND 'z' AND nonproj = 'np1'"#,
            "lsi-keys",
        ),
    ] {
        let (status, out) = op(a, "ExecuteStatement", json!({"Statement": statement}));
        assert_eq!(status, 400, "{statement}: {out}");
        assert_eq!(
            out["message"],
            format!("One or more parameter values were invalid: Secondary index {index} does not project one or more filter attributes: [nonproj]"),
            "{statement}"
        );
    }
    // Unkeyed, the index is scanned and the attribute is absent from its rows.
    for (s, want) in [
        (
            r#"SELECT pk, sk FROM "Idx"."gsi-inc" WHERE nonproj = 'np1'"#,
            vec![],
        ),
        (
            r#"SELECT pk, sk FROM "Idx"."lsi-keys" WHERE nonproj = 'np1'"#,
            vec![],
        ),
        (
            r#"SELECT pk, sk FROM "Idx"."gsi-keys" WHERE NOT nonproj = 'np1'"#,
            vec!["s1", "s2"],
        ),
        (
            r#"SELECT pk, sk FROM "Idx"."gsi-keys" WHERE nonproj IS MISSING"#,
            vec!["s1", "s2"],
        ),
        (
            r#"SELECT pk, sk FROM "Idx"."gsi-inc" WHERE (g = 'y' AND nonproj = 'np1') OR (projattr = 'pa' AND sk = 's2')"#,
            vec!["s2"],
        ),
        // A projected attribute still filters.
        (
            r#"SELECT pk, sk FROM "Idx"."gsi-inc" WHERE projattr = 'pa' AND NOT nonproj = 'np1'"#,
            vec!["s1", "s2"],
        ),
        (
            r#"SELECT pk, sk FROM "Idx"."gsi-inc" WHERE g = 'y' AND projattr = 'pa'"#,
            vec!["s1", "s2"],
        ),
    ] {
        assert_eq!(sort_keys(&statement(a, s)), want, "{s}");
    }
    // Parameters of the conditions made constants are not sent.
    let out = ok(
        a,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT pk, sk FROM "Idx"."gsi-inc" WHERE sk = ? OR nonproj = ?"#,
            "Parameters": [{"S": "s2"}, {"S": "np1"}]}),
    );
    assert_eq!(sort_keys(&out), ["s2"]);
    let out = ok(
        a,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT pk, sk FROM "Idx"."gsi-inc" WHERE nonproj = ?"#,
            "Parameters": [{"S": "np1"}]}),
    );
    assert_eq!(sort_keys(&out), Vec::<String>::new());
}

#[test]
fn a_select_answers_the_capacity_asked_for_on_the_arm_it_reads() {
    let a = "200000007705";
    index_table(a, "Cap");
    let read = |s: &str, extra: Value| -> Value {
        let mut body = json!({"Statement": s, "ReturnConsumedCapacity": "INDEXES"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        ok(a, "ExecuteStatement", body)["ConsumedCapacity"].clone()
    };
    // A table read: half a unit for a small item, read eventually consistent.
    let c = ok(
        a,
        "ExecuteStatement",
        json!({"Statement": r#"SELECT * FROM "Cap" WHERE pk = 'p' AND sk = 's1'"#,
            "ReturnConsumedCapacity": "TOTAL"}),
    )["ConsumedCapacity"]
        .clone();
    assert_eq!(c, json!({"TableName": "Cap", "CapacityUnits": 0.5}));
    // A keyed index read: all of it on the index, none on the table.
    let c = read(
        r#"SELECT pk FROM "Cap"."gsi-keys" WHERE g = 'y'"#,
        json!({}),
    );
    assert_eq!(c["Table"]["CapacityUnits"], 0.0);
    assert_eq!(
        c["GlobalSecondaryIndexes"]["gsi-keys"]["CapacityUnits"],
        0.5
    );
    assert_eq!(c["CapacityUnits"], 0.5);
    // A local index asked for what it does not project reaches back to the table, charged
    // on the rows walked (a filter keeping none costs the same), fewer under a Limit, and
    // twice as much consistent.
    let back = r#"SELECT nonproj FROM "Cap"."lsi-keys" WHERE pk = 'p'"#;
    let all = read(back, json!({}));
    assert_eq!(all["Table"]["CapacityUnits"], 1.0, "{all}");
    assert_eq!(
        all["LocalSecondaryIndexes"]["lsi-keys"]["CapacityUnits"],
        0.5
    );
    let none = read(
        r#"SELECT nonproj FROM "Cap"."lsi-keys" WHERE pk = 'p' AND sk = 'none'"#,
        json!({}),
    );
    assert_eq!(none["Table"], all["Table"]);
    let one = read(back, json!({"Limit": 1}));
    assert_eq!(one["Table"]["CapacityUnits"], 0.5);
    let consistent = read(back, json!({"ConsistentRead": true}));
    assert_eq!(consistent["Table"]["CapacityUnits"], 2.0);
    assert_eq!(
        consistent["LocalSecondaryIndexes"]["lsi-keys"]["CapacityUnits"],
        1.0
    );
    // Projected attributes only: no table arm.
    let c = read(
        r#"SELECT l FROM "Cap"."lsi-keys" WHERE pk = 'p'"#,
        json!({}),
    );
    assert_eq!(c["Table"]["CapacityUnits"], 0.0);
}

#[test]
fn batch_selects_are_charged_by_each_members_consistency() {
    let a = "200000007706";
    hash_table(a, "Batch");
    for k in ["a", "b"] {
        ok(
            a,
            "PutItem",
            json!({"TableName": "Batch", "Item": {"pk": {"S": k}, "val": {"S": k}}}),
        );
    }
    let total = |members: &[(&str, Option<bool>)]| -> f64 {
        let statements: Vec<Value> = members
            .iter()
            .map(|(k, consistent)| {
                let mut s = json!({"Statement": r#"SELECT * FROM "Batch" WHERE pk = ?"#,
                    "Parameters": [{"S": k}]});
                if let Some(c) = consistent {
                    s["ConsistentRead"] = json!(c);
                }
                s
            })
            .collect();
        let out = ok(
            a,
            "BatchExecuteStatement",
            json!({"Statements": statements, "ReturnConsumedCapacity": "TOTAL"}),
        );
        out["ConsumedCapacity"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["CapacityUnits"].as_f64().unwrap())
            .sum()
    };
    assert_eq!(total(&[("a", None)]), 0.5);
    assert_eq!(total(&[("a", Some(false))]), 0.5);
    assert_eq!(total(&[("a", Some(true))]), 1.0);
    assert_eq!(total(&[("a", Some(true)), ("b", None)]), 1.5);
}

#[test]
fn a_transaction_replayed_under_its_token_is_charged_as_a_read() {
    let a = "200000007707";
    hash_table(a, "Replay");
    statement(a, r#"INSERT INTO "Replay" VALUE {'pk': 'c', 'n': 0}"#);
    let run = || {
        ok(
            a,
            "ExecuteTransaction",
            json!({"ClientRequestToken": "replay-token-1", "ReturnConsumedCapacity": "INDEXES",
                "TransactStatements": [{"Statement": r#"UPDATE "Replay" SET n = n + 1 WHERE pk = 'c'"#}]}),
        )["ConsumedCapacity"][0]
            .clone()
    };
    let first = run();
    let replay = run();
    assert_eq!(first["WriteCapacityUnits"], 2.0, "{first}");
    assert!(first.get("ReadCapacityUnits").is_none(), "{first}");
    assert_eq!(replay["ReadCapacityUnits"], 2.0, "{replay}");
    assert!(replay.get("WriteCapacityUnits").is_none(), "{replay}");
    let item = ok(
        a,
        "GetItem",
        json!({"TableName": "Replay", "Key": {"pk": {"S": "c"}}, "ConsistentRead": true}),
    );
    assert_eq!(item["Item"]["n"]["N"], "1");
}

#[test]
fn a_next_token_continues_only_a_read_of_the_index_that_minted_it() {
    let a = "200000007708";
    index_table(a, "Tok");
    let page = |s: &str, token: Option<&Value>| {
        let mut body = json!({"Statement": s, "Limit": 1});
        if let Some(t) = token {
            body["NextToken"] = t.clone();
        }
        op(a, "ExecuteStatement", body)
    };
    let inc = r#"SELECT pk, sk FROM "Tok"."gsi-inc" WHERE g = 'y'"#;
    let (status, first) = page(inc, None);
    assert_eq!(status, 200, "{first}");
    let token = first["NextToken"].clone();
    assert!(token.is_string(), "{first}");
    // The same read goes on to the other row.
    let (status, second) = page(inc, Some(&token));
    assert_eq!(status, 200, "{second}");
    let mut seen = sort_keys(&first);
    seen.extend(sort_keys(&second));
    seen.sort();
    assert_eq!(seen, ["s1", "s2"]);
    // Another index with the same key shape refuses it.
    let (status, out) = page(
        r#"SELECT pk, sk FROM "Tok"."gsi-keys" WHERE g = 'y'"#,
        Some(&token),
    );
    assert_eq!(status, 400, "{out}");
    assert!(
        out["__type"]
            .as_str()
            .is_some_and(|t| t.ends_with("#ValidationException")),
        "{out}"
    );
}
