//! PartiQL answers as AWS gave them, recorded by paritysuite/dynamodb-conformance (each test
//! run against AWS first; eu-west-2 and us-east-1, 2026-10): `tests/tier3/error-messages/
//! partiqlGrammar.test.ts`, `partiqlFunctions.test.ts`, `partiqlParameterNumbers.test.ts` and
//! `tests/tier2/partiql/whereOverlap.test.ts`.

use serde_json::{json, Value};

use super::{ok, op};

/// An on-demand table: `pk` of `pk_type`, and `sk` (S) when `composite`.
fn table(account: &str, name: &str, pk_type: &str, composite: bool) {
    let mut defs = vec![json!({"AttributeName": "pk", "AttributeType": pk_type})];
    let mut keys = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    if composite {
        defs.push(json!({"AttributeName": "sk", "AttributeType": "S"}));
        keys.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
    }
    ok(
        account,
        "CreateTable",
        json!({"TableName": name, "AttributeDefinitions": defs, "KeySchema": keys,
            "BillingMode": "PAY_PER_REQUEST"}),
    );
}

/// ExecuteStatement refused: asserts a ValidationException with exactly `message`.
fn refused(account: &str, statement: &str, params: Option<Value>, message: &str) {
    let mut body = json!({"Statement": statement});
    if let Some(p) = params {
        body["Parameters"] = p;
    }
    let (status, out) = op(account, "ExecuteStatement", body);
    assert_eq!(status, 400, "{statement}: {out}");
    assert!(
        out["__type"]
            .as_str()
            .is_some_and(|t| t.ends_with("#ValidationException")),
        "{statement}: {out}"
    );
    assert_eq!(out["message"], message, "{statement}");
}

const NWF: &str = "Statement wasn't well formed, can't be processed: ";

#[test]
fn malformed_statements_carry_the_parser_detail() {
    let a = "200000000981";
    table(a, "Str", "S", false);
    table(a, "Num", "N", false);
    let leftover = format!("{NWF}Unexpected token after expression");
    let cases: Vec<(&str, String)> = vec![
        (r#"SELECT * FROM "Num" WHERE pk = 1 foo"#, leftover.clone()),
        (r#"SELECT * FROM "Num" WHERE pk = 1 e5"#, leftover.clone()),
        (
            r#"INSERT INTO "Num" VALUE {'pk': 970001} foo"#,
            leftover.clone(),
        ),
        (
            r#"UPDATE "Num" SET a = 9 WHERE pk = 970002 foo"#,
            leftover.clone(),
        ),
        (
            r#"DELETE FROM "Num" WHERE pk = 970003 foo"#,
            leftover.clone(),
        ),
        (r#"SELECT * FROM "Num" WHERE pk = 1)"#, leftover.clone()),
        (
            r#"DELETE FROM "Num" WHERE pk = 970004 ORDER BY pk"#,
            leftover.clone(),
        ),
        (
            r#"SELECT * FROM "Num" ORDER BY pk WHERE pk = 1"#,
            leftover.clone(),
        ),
        (r#"INSERT INTO "Str" t VALUE {'pk': 'x'}"#, leftover.clone()),
        (
            r#"FROM "Str" SET c = 1 WHERE pk = 'pq-ff-msg'"#,
            leftover.clone(),
        ),
        (r#"SELECT * FROM "Num" WHERE pk = 1e2147483648"#, NWF.into()),
        (
            r#"SELECT * FROM "Num" WHERE pk = 1e99999999999"#,
            NWF.into(),
        ),
        (
            r#"SELECT * FROM "Num" WHERE pk = 1.5e-2147483647"#,
            NWF.into(),
        ),
        (r#"SELECT * FROM "Num" WHERE pk = 1 # note"#, NWF.into()),
        (r#"SELECT * FROM "Num" WHERE pk = 1 /* note"#, NWF.into()),
        (
            r#"SELECT * FROM "Str" WHERE"#,
            format!("{NWF}Unexpected term"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE;"#,
            format!("{NWF}Unexpected term"),
        ),
        (
            r#"UPDATE "Str" SET a = 1 WHERE"#,
            format!("{NWF}Unexpected term"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE NOT"#,
            format!("{NWF}Unexpected term"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE ("#,
            format!("{NWF}Unexpected term"),
        ),
        (
            r#"SELECT * FROM "S-never-created" WHERE"#,
            format!("{NWF}Unexpected term"),
        ),
        ("SELECT * FROM", format!("{NWF}Unexpected term")),
        (
            r#"SELECT * FROM "Str" WHERE pk = 'p1' AND"#,
            format!("{NWF}Missing right-hand side expression of infix operator"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE pk = 'p1' OR"#,
            format!("{NWF}Missing right-hand side expression of infix operator"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE ORDER BY pk"#,
            format!("{NWF}Unexpected keyword"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE pk = 'a' AND x IS FOO"#,
            format!("{NWF}Expected type name"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE IS NULL"#,
            format!("{NWF}Unexpected operator"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE pk = LIKE"#,
            format!("{NWF}Unexpected operator"),
        ),
        (
            "DELETE FROM",
            format!("{NWF}Expected identifier for simple path"),
        ),
        (
            "DELETE FROM;",
            format!("{NWF}Expected identifier for simple path"),
        ),
        (
            "DELETE FROM WHERE pk = 'a'",
            format!("{NWF}Expected identifier for simple path"),
        ),
        (
            r#"SELECT * FROM "Str" WHERE pk = 'k' AND attribute_exists(m.inner)"#,
            format!("{NWF}Invalid path dot component"),
        ),
        (
            r#"UPDATE "Str" SET m.inner = set_add(m.inner, <<'y'>>) WHERE pk = 'k'"#,
            format!("{NWF}Invalid path dot component"),
        ),
        ("x IS INT4", "Unsupported operation: IsType".into()),
        (
            "x IS DOUBLE PRECISION",
            "Unsupported operation: IsType".into(),
        ),
        (
            "x IS CHARACTER VARYING",
            "Unsupported operation: IsType".into(),
        ),
    ];
    for (statement, message) in &cases {
        refused(a, statement, None, message);
    }
    // A refused statement writes nothing.
    let got = ok(
        a,
        "GetItem",
        json!({"TableName": "Num", "Key": {"pk": {"N": "970001"}}, "ConsistentRead": true}),
    );
    assert_eq!(got.get("Item"), None, "{got}");
}

#[test]
fn malformed_statements_in_transactions_and_batches() {
    let a = "200000000982";
    table(a, "Str", "S", false);
    let empty = r#"SELECT * FROM "Str" WHERE"#;
    let (status, out) = op(
        a,
        "ExecuteTransaction",
        json!({"TransactStatements": [{"Statement": empty}]}),
    );
    assert_eq!(status, 400, "{out}");
    assert_eq!(
        out["message"],
        format!("Validation failed in TransactStatements[0]: {NWF}Unexpected term")
    );
    let out = ok(
        a,
        "BatchExecuteStatement",
        json!({"Statements": [{"Statement": empty}]}),
    );
    assert_eq!(
        out["Responses"],
        json!([{"Error": {"Code": "ValidationError", "Message": format!("{NWF}Unexpected term")}}])
    );
}

#[test]
fn number_literals_out_of_range_name_their_path() {
    let a = "200000000983";
    table(a, "Num", "N", false);
    let over =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    let under =
        "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    let digits = "Attempting to store more than 38 significant digits in a Number";
    for (statement, message) in [
        (
            r#"SELECT * FROM "Num" WHERE pk = 1e126"#,
            format!("{over} under root"),
        ),
        (
            r#"SELECT * FROM "Num" WHERE pk = 1e-131"#,
            format!("{under} under root"),
        ),
        (
            r#"SELECT * FROM "Num" WHERE pk = 123456789012345678901234567890123456789"#,
            format!("{digits} under root"),
        ),
        (
            r#"INSERT INTO "Num" VALUE {'pk': 1e126}"#,
            format!("{over} under root"),
        ),
        (
            r#"UPDATE "Num" SET a = 1e-131 WHERE pk = 970005"#,
            format!("{under} under root"),
        ),
        (
            r#"INSERT INTO "Num" VALUE {'pk': 970006, 'm': {'x': 1e126}}"#,
            format!("{over} under root.x"),
        ),
        (
            r#"INSERT INTO "Num" VALUE {'pk': 970007, 'l': [1, 1e126]}"#,
            format!("{over} under root[1]"),
        ),
    ] {
        refused(a, statement, None, &message);
    }
}

const UNCONVERTIBLE: &str = "The parameter cannot be converted to a numeric value";
const NEST: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

#[test]
fn number_parameters_are_read_as_aws_reads_them() {
    let a = "200000000984";
    table(a, "Comp", "S", true);
    let positions = [
        r#"SELECT * FROM "Comp" WHERE pk = 'pq-pn' AND n = ?"#,
        r#"INSERT INTO "Comp" VALUE {'pk': 'pq-pn-insert', 'sk': 's', 'n': ?}"#,
        r#"UPDATE "Comp" SET n = ? WHERE pk = 'pq-pn' AND sk = 's'"#,
        r#"SELECT * FROM "Comp" WHERE pk = ?"#,
    ];
    let underflow =
        "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    for statement in positions {
        for n in [
            "1e99999999999",
            "-1e99999999999",
            "1e-99999999999",
            "1e2147483648",
            "1e-2147483648",
        ] {
            refused(
                a,
                statement,
                Some(json!([{"N": n}])),
                &format!("{UNCONVERTIBLE}: {n}"),
            );
        }
        refused(
            a,
            statement,
            Some(json!([{"N": "1e2147483647"}])),
            underflow,
        );
        refused(a, statement, Some(json!([{"N": ""}])), UNCONVERTIBLE);
    }
    let bad = format!("{UNCONVERTIBLE}: 1e99999999999");
    for p in [
        json!({"L": [{"N": "1"}, {"N": "1e99999999999"}]}),
        json!({"M": {"x": {"N": "1e99999999999"}}}),
        json!({"NS": ["1", "1e99999999999"]}),
    ] {
        refused(a, positions[0], Some(json!([p])), &bad);
    }
    let (status, out) = op(
        a,
        "ExecuteTransaction",
        json!({"TransactStatements": [{"Statement": positions[2],
            "Parameters": [{"N": "1e99999999999"}]}]}),
    );
    assert_eq!((status, out["message"].as_str()), (400, Some(bad.as_str())));
    // In a batch, in its own slot; the other statements still run.
    ok(
        a,
        "PutItem",
        json!({"TableName": "Comp", "Item": {"pk": {"S": "pq-pn"}, "sk": {"S": "s"}}}),
    );
    let keyed = r#"SELECT * FROM "Comp" WHERE pk = 'pq-pn' AND sk = 's' AND n = ?"#;
    let out = ok(
        a,
        "BatchExecuteStatement",
        json!({"Statements": [
            {"Statement": keyed, "Parameters": [{"N": "1e99999999999"}]},
            {"Statement": r#"SELECT * FROM "Comp" WHERE pk = 'pq-pn' AND sk = 's'"#},
            {"Statement": keyed, "Parameters": [{"N": ""}]},
        ]}),
    );
    let slots = out["Responses"].as_array().unwrap();
    assert_eq!(slots.len(), 3, "{out}");
    assert_eq!(
        slots[0]["Error"],
        json!({"Code": "ValidationError", "Message": bad})
    );
    assert_eq!(slots[1]["Item"]["sk"], json!({"S": "s"}), "{out}");
    assert_eq!(
        slots[2]["Error"],
        json!({"Code": "ValidationError", "Message": UNCONVERTIBLE})
    );
}

/// `depth` map levels around `leaf`.
fn deep(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |v, _| json!({"M": {"n": v}}))
}

#[test]
fn parameters_report_nesting_or_numbers_in_document_order() {
    let a = "200000000985";
    table(a, "Comp", "S", true);
    let pair = r#"SELECT * FROM "Comp" WHERE pk = 'pq-pn' AND x = ? AND y = ?"#;
    let single = r#"SELECT * FROM "Comp" WHERE pk = 'pq-pn' AND x = ?"#;
    let abc = json!({"N": "abc"});
    let unconvertible = format!("{UNCONVERTIBLE}: abc");
    for depth in [40, 100] {
        let d = deep(depth, json!({"S": "leaf"}));
        refused(a, pair, Some(json!([d, abc])), NEST);
        refused(a, pair, Some(json!([abc, d])), &unconvertible);
        refused(a, single, Some(json!([{"M": {"d": d, "bad": abc}}])), NEST);
        refused(
            a,
            single,
            Some(json!([{"M": {"bad": abc, "d": d}}])),
            &unconvertible,
        );
        refused(a, single, Some(json!([deep(depth, abc.clone())])), NEST);
        refused(a, pair, Some(json!([d, {"N": "1e126"}])), NEST);
        let (status, out) = op(
            a,
            "ExecuteTransaction",
            json!({"TransactStatements": [{
                "Statement": r#"UPDATE "Comp" SET x = ? SET y = ? WHERE pk = 'pq-pn' AND sk = '1'"#,
                "Parameters": [d, abc]}]}),
        );
        assert_eq!((status, out["message"].as_str()), (400, Some(NEST)));
        let out = ok(
            a,
            "BatchExecuteStatement",
            json!({"Statements": [{"Statement": pair, "Parameters": [d, abc]}]}),
        );
        assert_eq!(
            out["Responses"],
            json!([{"Error": {"Code": "ValidationError", "Message": NEST}}])
        );
    }
}

#[test]
fn set_add_of_a_bag_with_a_repeated_member_lists_it() {
    let a = "200000000986";
    table(a, "Str", "S", false);
    ok(
        a,
        "PutItem",
        json!({"TableName": "Str", "Item": {"pk": {"S": "pq-fn-msg"}, "ss": {"SS": ["a", "b", "c"]}}}),
    );
    refused(
        a,
        r#"UPDATE "Str" SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'pq-fn-msg'"#,
        None,
        "One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
    );
}

#[test]
fn or_branches_overlapping_on_the_sort_key_are_refused_unless_negated() {
    let a = "200000000987";
    table(a, "Comp", "S", true);
    for sk in ["1", "2", "3"] {
        ok(
            a,
            "PutItem",
            json!({"TableName": "Comp", "Item": {"pk": {"S": "pq-overlap"}, "sk": {"S": sk}}}),
        );
    }
    let overlap = "Overlapping conditions with range keys are not supported in where clause";
    for condition in ["x = '1'", "x <> '1'"] {
        refused(
            a,
            &format!(
                r#"SELECT * FROM "Comp" WHERE pk = 'a' AND {condition} OR pk = 'a' AND sk = '2'"#
            ),
            None,
            overlap,
        );
    }
    let p = "pk = 'pq-overlap'";
    let sort_keys = |w: String| -> Vec<String> {
        let out = ok(
            a,
            "ExecuteStatement",
            json!({"Statement": format!(r#"SELECT * FROM "Comp" WHERE {w}"#), "ConsistentRead": true}),
        );
        let mut sks: Vec<String> = out["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sk"]["S"].as_str().unwrap().to_string())
            .collect();
        sks.sort();
        sks
    };
    for (left, want) in [
        (format!("{p} AND NOT sk = '1'"), vec!["2", "3"]),
        (format!("{p} AND sk <> '1'"), vec!["2", "3"]),
        (
            format!("{p} AND NOT begins_with(sk, 'x')"),
            vec!["1", "2", "3"],
        ),
        (format!("{p} AND NOT sk IN ['1', '3']"), vec!["2"]),
        (format!("{p} AND NOT sk > '5'"), vec!["1", "2", "3"]),
        (format!("{p} AND NOT (sk = '1')"), vec!["2", "3"]),
    ] {
        assert_eq!(
            sort_keys(format!("{left} OR {p} AND sk = '2'")),
            want,
            "{left}"
        );
    }
    assert_eq!(
        sort_keys(format!("{p} OR {p} AND NOT sk = '1'")),
        vec!["1", "2", "3"]
    );
}
