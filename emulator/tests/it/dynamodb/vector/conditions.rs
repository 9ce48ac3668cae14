//! SearchConditionExpression as the Developer Guide's "SearchConditionExpression reference for
//! vector indexes" describes it: every operator and combinator filters as a brute-force pass
//! does, and every refusal answers ValidationException, 400, with its exact text.

use serde_json::{json, Value};

use super::{
    assert_same, brute_force, create, err, index, ok, put_items, rng, search, vector_value, DIMS,
};

const COMPARATOR: &str =
    "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression";

fn price(item: &Value) -> Option<f64> {
    item["price"]["N"].as_str()?.parse().ok()
}

#[test]
fn every_operator_and_combinator_filters_as_brute_force_does() {
    let acc = "200000000411";
    create(acc, "Ops", Some(json!([index("emb", "EUCLIDEAN")])));
    let mut items = put_items(acc, "Ops", 60, 5, false);
    // Items of the partition without the inline filter attribute.
    let mut seed = 17;
    for i in 0..3 {
        let v: Vec<f32> = (0..DIMS).map(|_| rng(&mut seed)).collect();
        let item = json!({"pk": {"S": format!("m{i}")}, "cat": {"S": "a"}, "v": vector_value(&v)});
        ok(acc, "PutItem", json!({"TableName": "Ops", "Item": item}));
        items.push(item);
    }
    let in_a = items.iter().filter(|i| i["cat"]["S"] == "a").count();
    let q = [0.3, -0.7, 0.1, 0.4];
    let values = json!({":c": {"S": "a"}, ":p": {"N": "12"}, ":lo": {"N": "9"}, ":hi": {"N": "30"},
        ":x": {"N": "3"}, ":y": {"N": "45"}});
    type Keep = fn(Option<f64>) -> bool;
    let cases: Vec<(&str, Keep)> = vec![
        ("cat = :c", |_| true),
        ("cat = :c AND price = :p", |p| p == Some(12.0)),
        ("cat = :c AND price BETWEEN :lo AND :hi", |p| {
            p.is_some_and(|p| (9.0..=30.0).contains(&p))
        }),
        (
            "cat = :c AND price IN (:x, :p, :y)",
            |p| matches!(p, Some(x) if [3.0, 12.0, 45.0].contains(&x)),
        ),
        (
            "cat = :c AND (price = :x OR price = :y)",
            |p| matches!(p, Some(x) if [3.0, 45.0].contains(&x)),
        ),
        // DynamoDB's expression semantics: an item without the attribute never equals.
        ("cat = :c AND NOT price = :p", |p| p != Some(12.0)),
        ("cat = :c AND NOT price BETWEEN :lo AND :hi", |p| {
            !p.is_some_and(|p| (9.0..=30.0).contains(&p))
        }),
        (
            "(cat = :c) AND ((price BETWEEN :lo AND :y) AND NOT (price BETWEEN :hi AND :y))",
            |p| p.is_some_and(|p| (9.0..30.0).contains(&p)),
        ),
        (
            "cat = :c and (price between :lo and :hi or price in (:x))",
            |p| p.is_some_and(|p| (9.0..=30.0).contains(&p) || p == 3.0),
        ),
    ];
    for (expr, keep) in cases {
        let used: serde_json::Map<String, Value> = values
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| expr.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let cond = json!({"SearchConditionExpression": expr, "ExpressionAttributeValues": used});
        let got = search(acc, "Ops", "emb", &q, 100, cond);
        let want = brute_force(&items, "EUCLIDEAN", &q, 100, |i| {
            i["cat"]["S"] == "a" && keep(price(i))
        });
        assert!(!want.is_empty(), "{expr}");
        if expr != "cat = :c" {
            assert!(want.len() < in_a, "{expr} filters nothing");
        }
        assert_same(&got, &want);
    }
    // Names through aliases, as Query and Scan take them.
    let cond = json!({"SearchConditionExpression": "#c = :c AND #p BETWEEN :hi AND :y",
        "ExpressionAttributeNames": {"#c": "cat", "#p": "price"},
        "ExpressionAttributeValues": {":c": {"S": "a"}, ":hi": {"N": "30"}, ":y": {"N": "45"}}});
    let want = brute_force(&items, "EUCLIDEAN", &q, 100, |i| {
        i["cat"]["S"] == "a" && price(i).is_some_and(|p| (30.0..=45.0).contains(&p))
    });
    assert_same(&search(acc, "Ops", "emb", &q, 100, cond), &want);
}

/// The SearchVectors request of these tests, `f` applied.
fn req(table: &str, idx: &str, f: &dyn Fn(&mut Value)) -> Value {
    let mut r = json!({"TableName": table, "IndexName": idx, "TopK": 3,
        "SearchVector": [{"N": "1"}, {"N": "0"}, {"N": "0"}, {"N": "0"}],
        "SearchConditionExpression": "cat = :c",
        "ExpressionAttributeValues": {":c": {"S": "a"}}});
    f(&mut r);
    r
}

fn refused(acc: &str, r: Value, text: &str) {
    let what = r.to_string();
    let (code, msg) = err(acc, "SearchVectors", r);
    assert_eq!(code, "ValidationException", "{what}");
    assert_eq!(msg, text, "{what}");
}

fn expr(e: &'static str) -> impl Fn(&mut Value) {
    move |r: &mut Value| r["SearchConditionExpression"] = json!(e)
}

#[test]
fn refusals_answer_their_exact_texts_in_order() {
    let acc = "200000000412";
    let plain = json!({"IndexName": "plain", "VectorAttribute": {"AttributeName": "v"},
        "Dimensions": DIMS, "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"}});
    create(acc, "Refuse", Some(json!([index("emb", "COSINE"), plain])));
    put_items(acc, "Refuse", 6, 2, false);
    let emb = |f: &dyn Fn(&mut Value)| req("Refuse", "emb", f);
    let no_expression = |r: &mut Value| {
        let o = r.as_object_mut().unwrap();
        o.remove("SearchConditionExpression");
        o.remove("ExpressionAttributeValues");
    };
    let cases: Vec<(Value, &str)> = vec![
        (emb(&no_expression), "SearchConditionExpression must be provided when SearchSchema has a HASH key"),
        (emb(&expr("cat > :c")), COMPARATOR),
        // Only `=` compares, on INLINE_FILTER attributes too (AWS as recorded:
        // paritysuite/dynamodb-conformance, searchVectors.test.ts).
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("cat = :c AND price < :p");
            r["ExpressionAttributeValues"][":p"] = json!({"N": "1"});
        }), COMPARATOR),
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("cat = :c AND price <> :p");
            r["ExpressionAttributeValues"][":p"] = json!({"N": "1"});
        }), COMPARATOR),
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("cat = :c OR price > :p");
            r["ExpressionAttributeValues"][":p"] = json!({"N": "1"});
        }), COMPARATOR),
        (emb(&expr("attribute_exists(price) AND cat = :c")), COMPARATOR),
        (emb(&expr("  ")), "Invalid SearchConditionExpression: The expression can not be empty;"),
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("#y = :c");
            r["ExpressionAttributeNames"] = json!({"#c": "cat"});
        }), "Invalid SearchConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #y"),
        (emb(&expr("cat = :nope")), "Invalid SearchConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
        (emb(&|r| r["ExpressionAttributeValues"][":u"] = json!({"S": "x"})),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}"),
        (emb(&|r| r["ExpressionAttributeNames"] = json!({"#u": "x"})),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"),
        (emb(&|r| r["ExpressionAttributeNames"] = json!({})), "ExpressionAttributeNames must not be empty"),
        (emb(&|r| r["ExpressionAttributeValues"] = json!({})), "ExpressionAttributeValues must not be empty"),
        (emb(&expr("cat.x = :c")), "Invalid SearchConditionExpression: conditions on nested attributes are not supported; document path: cat.x"),
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("cat = :c AND price[0] = :c");
        }), "Invalid SearchConditionExpression: conditions on nested attributes are not supported; document path: price[0]"),
        (emb(&expr("cat = :c AND pk = :c")), "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: pk"),
        (emb(&expr("cat = :c AND")), "Invalid SearchConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""),
        (emb(&expr("cat = price")), "Invalid SearchConditionExpression: Syntax error; token: \"price\", near: \"= price\""),
        (req("Refuse", "plain", &|r| {
            r.as_object_mut().unwrap().remove("SearchConditionExpression");
        }), "ExpressionAttributeValues can only be specified when using expressions"),
        (req("Refuse", "plain", &|r| {
            no_expression(r);
            r["ExpressionAttributeNames"] = json!({"#k": "pk"});
        }), "ExpressionAttributeNames can only be specified when using expressions"),
        (req("Refuse", "plain", &|r| {
            no_expression(r);
            r["ProjectionExpression"] = json!("#k");
            r["ExpressionAttributeNames"] = json!({"#k": "pk", "#u": "x"});
        }), "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"),
        // The order: request members before the expression, the expression left to right,
        // then unused placeholders, then the SearchSchema, then the partition key's pin.
        (emb(&|r| {
            r["TopK"] = json!(101);
            r["SearchConditionExpression"] = json!("cat >");
        }), "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive"),
        (emb(&|r| {
            r["IndexName"] = json!("nope");
            r["SearchConditionExpression"] = json!("cat >");
        }), "The table does not have the specified index: nope"),
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("cat = :nope");
            r["ExpressionAttributeNames"] = json!({"#u": "x"});
        }), "Invalid SearchConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"),
        (emb(&|r| {
            r["SearchConditionExpression"] = json!("pk = :c");
            r["ExpressionAttributeValues"][":u"] = json!({"S": "x"});
        }), "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}"),
        (emb(&expr("cat > :c AND pk = :c")), "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: pk"),
    ];
    for (r, text) in cases {
        refused(acc, r, text);
    }
    // The body is read strictly first, as AWS was recorded answering (paritysuite, above).
    let (code, msg) = err(acc, "SearchVectors", emb(&|r| r["TopK"] = Value::Null));
    assert_eq!(code, "SerializationException");
    assert!(
        msg.starts_with("invalid type: null, expected i32 at line 1 column "),
        "{msg}"
    );
    let (code, msg) = err(
        acc,
        "SearchVectors",
        emb(&|r| {
            r.as_object_mut().unwrap().remove("TableName");
            r["IndexName"] = json!("ab");
        }),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("missing field `TableName` at line 1 column "),
        "{msg}"
    );
    // Names only a ProjectionExpression uses are used.
    let r = req("Refuse", "plain", &|r| {
        no_expression(r);
        r["ProjectionExpression"] = json!("#k");
        r["ExpressionAttributeNames"] = json!({"#k": "pk"});
    });
    let out = ok(acc, "SearchVectors", r);
    assert_eq!(out["SearchResults"].as_array().unwrap().len(), 3, "{out}");
    assert_eq!(
        out["SearchResults"][0]["Item"].as_object().unwrap().len(),
        1,
        "{out}"
    );
}

#[test]
fn reserved_words_are_named_through_aliases_only() {
    let acc = "200000000413";
    ok(
        acc,
        "CreateTable",
        json!({
            "TableName": "Words",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "name", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "VectorIndexes": [{"IndexName": "emb", "VectorAttribute": {"AttributeName": "v"},
                "Dimensions": DIMS, "DistanceFunction": "DOT_PRODUCT", "Projection": {"ProjectionType": "ALL"},
                "SearchSchema": [
                    {"AttributeName": "name", "SearchSchemaElementType": "HASH"},
                    {"AttributeName": "status", "SearchSchemaElementType": "INLINE_FILTER"}]}]
        }),
    );
    let mut seed = 5;
    let items: Vec<Value> = (0..12)
        .map(|i| {
            let v: Vec<f32> = (0..DIMS).map(|_| rng(&mut seed)).collect();
            let name = ["x", "y"][i % 2];
            json!({"pk": {"S": format!("w{i}")}, "name": {"S": name},
                "status": {"N": (i % 4).to_string()}, "v": vector_value(&v)})
        })
        .collect();
    for item in &items {
        ok(acc, "PutItem", json!({"TableName": "Words", "Item": item}));
    }
    let values = json!({":n": {"S": "x"}, ":s": {"N": "2"}});
    let (code, msg) = err(
        acc,
        "SearchVectors",
        json!({"TableName": "Words", "IndexName": "emb", "TopK": 5,
        "SearchVector": [{"N": "1"}, {"N": "0.5"}, {"N": "0"}, {"N": "-1"}],
        "SearchConditionExpression": "name = :n AND #s = :s",
        "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": values}),
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(msg, "Invalid SearchConditionExpression: Attribute name is a reserved keyword; reserved keyword: name");
    let q = [1.0, 0.5, 0.0, -1.0];
    let cond = json!({"SearchConditionExpression": "#n = :n AND #s = :s",
        "ExpressionAttributeNames": {"#n": "name", "#s": "status"}, "ExpressionAttributeValues": values});
    let want = brute_force(&items, "DOT_PRODUCT", &q, 5, |i| {
        i["name"]["S"] == "x" && i["status"]["N"] == "2"
    });
    assert_eq!(want.len(), 3);
    assert_same(&search(acc, "Words", "emb", &q, 5, cond), &want);
}
