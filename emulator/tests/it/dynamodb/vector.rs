//! Vector indexes and SearchVectors, through raw HTTP (the pinned CLI predates them). Search
//! results are compared with a brute-force computation done here, in float32 as AWS scores.

use serde_json::{json, Value};

use super::raw_at;
pub(super) use super::{ok, op};
use crate::common::TestEmulator;

mod capacity;
mod conditions;

fn err(account: &str, name: &str, body: Value) -> (String, String) {
    let (status, out) = op(account, name, body);
    assert_eq!(status, 400, "{name}: {out}");
    let ty = out["__type"].as_str().unwrap_or_default();
    (
        ty.rsplit('#').next().unwrap_or(ty).to_string(),
        out["message"].as_str().unwrap_or_default().to_string(),
    )
}

const DIMS: usize = 4;
const CATS: [&str; 3] = ["a", "b", "c"];

fn index(name: &str, distance: &str) -> Value {
    json!({
        "IndexName": name,
        "VectorAttribute": {"AttributeName": "v"},
        "Dimensions": DIMS,
        "DistanceFunction": distance,
        "Projection": {"ProjectionType": "ALL"},
        "SearchSchema": [
            {"AttributeName": "cat", "SearchSchemaElementType": "HASH"},
            {"AttributeName": "price", "SearchSchemaElementType": "INLINE_FILTER"}
        ]
    })
}

fn attribute_definitions() -> Value {
    json!([
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "cat", "AttributeType": "S"},
        {"AttributeName": "price", "AttributeType": "N"}
    ])
}

fn create(account: &str, table: &str, indexes: Option<Value>) -> Value {
    let mut req = json!({
        "TableName": table,
        "AttributeDefinitions": attribute_definitions(),
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    match indexes {
        Some(ix) => req["VectorIndexes"] = ix,
        // As on AWS, a definition nothing uses is refused.
        None => {
            req["AttributeDefinitions"] = json!([{"AttributeName": "pk", "AttributeType": "S"}])
        }
    }
    ok(account, "CreateTable", req)
}

/// Deterministic pseudo-random numbers in [-1, 1).
fn rng(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

fn vector_value(v: &[f32]) -> Value {
    json!({"L": v.iter().map(|x| json!({"N": x.to_string()})).collect::<Vec<_>>()})
}

/// `n` items: categories a/b/c, prices 0..n. With `invalid` (possible only before the table
/// has a vector index, which refuses them) every 7th has a wrong-length vector and every 11th
/// a string instead of a vector; neither is indexed.
fn put_items(account: &str, table: &str, n: usize, seed: u64, invalid: bool) -> Vec<Value> {
    let mut seed = seed;
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let len = if invalid && i % 7 == 3 {
                DIMS + 1
            } else {
                DIMS
            };
            let v: Vec<f32> = (0..len).map(|_| rng(&mut seed)).collect();
            let mut item = json!({
                "pk": {"S": format!("k{i:03}")},
                "cat": {"S": CATS[i % 3]},
                "price": {"N": i.to_string()},
                "v": vector_value(&v)
            });
            if invalid && i % 11 == 5 {
                item["v"] = json!({"S": "not a vector"});
            }
            item
        })
        .collect();
    for chunk in items.chunks(25) {
        let reqs: Vec<Value> = chunk
            .iter()
            .map(|i| json!({"PutRequest": {"Item": i}}))
            .collect();
        let out = ok(
            account,
            "BatchWriteItem",
            json!({"RequestItems": {table: reqs}}),
        );
        assert_eq!(out["UnprocessedItems"], json!({}), "{out}");
    }
    items
}

fn vector_of(item: &Value) -> Option<Vec<f32>> {
    let l = item["v"]["L"].as_array()?;
    if l.len() != DIMS {
        return None;
    }
    l.iter()
        .map(|e| e["N"].as_str()?.parse::<f32>().ok())
        .collect()
}

fn score(distance: &str, a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    match distance {
        "DOT_PRODUCT" => dot,
        "EUCLIDEAN" => a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt(),
        _ => {
            let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
            let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
            1.0 - dot / (na * nb)
        }
    }
}

/// The expected (pk, score) list: the filter applied, then the best `k`.
fn brute_force(
    items: &[Value],
    distance: &str,
    q: &[f32],
    k: usize,
    keep: impl Fn(&Value) -> bool,
) -> Vec<(String, f32)> {
    let mut hits: Vec<(String, f32)> = items
        .iter()
        .filter(|i| keep(i))
        .filter_map(|i| {
            let v = vector_of(i)?;
            Some((i["pk"]["S"].as_str()?.to_string(), score(distance, q, &v)))
        })
        .collect();
    hits.sort_by(|a, b| {
        if distance == "DOT_PRODUCT" {
            b.1.total_cmp(&a.1)
        } else {
            a.1.total_cmp(&b.1)
        }
    });
    hits.truncate(k);
    hits
}

fn search(account: &str, table: &str, idx: &str, q: &[f32], k: usize, cond: Value) -> Value {
    let mut req = json!({
        "TableName": table,
        "IndexName": idx,
        "SearchVector": q.iter().map(|x| json!({"N": x.to_string()})).collect::<Vec<_>>(),
        "TopK": k,
    });
    for (k, v) in cond.as_object().unwrap() {
        req[k] = v.clone();
    }
    ok(account, "SearchVectors", req)
}

fn assert_same(got: &Value, want: &[(String, f32)]) {
    let results = got["SearchResults"].as_array().expect("SearchResults");
    let got: Vec<(String, f64)> = results
        .iter()
        .map(|r| {
            (
                r["Item"]["pk"]["S"].as_str().unwrap().to_string(),
                r["Score"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), want.len(), "got {got:?}, want {want:?}");
    for ((gk, gs), (wk, ws)) in got.iter().zip(want) {
        assert_eq!(gk, wk, "got {got:?}, want {want:?}");
        assert!((gs - *ws as f64).abs() < 1e-5, "score {gs} vs {ws}");
    }
}

/// DescribeTable until every vector index is ACTIVE (a backfill runs in the background).
fn wait_active(account: &str, table: &str) -> Value {
    for _ in 0..300 {
        let d = ok(account, "DescribeTable", json!({"TableName": table}));
        let all = d["Table"]["VectorIndexes"]
            .as_array()
            .is_some_and(|l| l.iter().all(|i| i["IndexStatus"] == "ACTIVE"));
        if all {
            return d;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("vector indexes of {table} never became ACTIVE");
}

fn cat_is(c: &str) -> Value {
    json!({
        "SearchConditionExpression": "#c = :c",
        "ExpressionAttributeNames": {"#c": "cat"},
        "ExpressionAttributeValues": {":c": {"S": c}}
    })
}

#[test]
fn search_matches_brute_force_for_every_distance_function() {
    let acc = "200000000401";
    create(
        acc,
        "Docs",
        Some(json!([
            index("by_cosine", "COSINE"),
            index("by_euclid", "EUCLIDEAN"),
            index("by_dot", "DOT_PRODUCT")
        ])),
    );
    let items = put_items(acc, "Docs", 60, 7, false);
    let mut seed = 99;
    for (idx, distance) in [
        ("by_cosine", "COSINE"),
        ("by_euclid", "EUCLIDEAN"),
        ("by_dot", "DOT_PRODUCT"),
    ] {
        let q: Vec<f32> = (0..DIMS).map(|_| rng(&mut seed)).collect();
        // The vector index partition key alone.
        let got = search(acc, "Docs", idx, &q, 5, cat_is("a"));
        let want = brute_force(&items, distance, &q, 5, |i| i["cat"]["S"] == "a");
        assert_eq!(want.len(), 5);
        assert_same(&got, &want);
        // With an inline filter on a number.
        let cond = json!({
            "SearchConditionExpression": "cat = :c AND price BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {":c": {"S": "b"}, ":lo": {"N": "10"}, ":hi": {"N": "40"}}
        });
        let got = search(acc, "Docs", idx, &q, 100, cond);
        let want = brute_force(&items, distance, &q, 100, |i| {
            let p: f64 = i["price"]["N"].as_str().unwrap().parse().unwrap();
            i["cat"]["S"] == "b" && (10.0..=40.0).contains(&p)
        });
        assert!(want.len() > 3 && want.len() < 20, "{want:?}");
        assert_same(&got, &want);
    }
    // Whole items come back under ProjectionType ALL; a projection narrows them.
    let q = [0.5, -0.5, 0.25, 1.0];
    let mut cond = cat_is("c");
    cond["ProjectionExpression"] = json!("pk, price");
    let got = search(acc, "Docs", "by_cosine", &q, 3, cond);
    let first = &got["SearchResults"][0]["Item"];
    assert!(
        first.get("price").is_some() && first.get("v").is_none(),
        "{got}"
    );
    // Capacity is reported in the model's VectorCapacity shape.
    let mut cond = cat_is("c");
    cond["ReturnConsumedCapacity"] = json!("TOTAL");
    let got = search(acc, "Docs", "by_dot", &q, 3, cond);
    assert!(got["ConsumedCapacity"]["VectorSearchRequestBytes"].is_number());
}

#[test]
fn an_index_added_to_a_table_with_items_backfills_and_follows_writes() {
    let acc = "200000000402";
    create(acc, "Later", None);
    let mut items = put_items(acc, "Later", 40, 3, true);
    let valid = items.iter().filter(|i| vector_of(i).is_some()).count() as u64;
    let out = ok(
        acc,
        "UpdateTable",
        json!({
            "TableName": "Later",
            "AttributeDefinitions": attribute_definitions(),
            "VectorIndexUpdates": [{"Create": index("emb", "EUCLIDEAN")}]
        }),
    );
    let ix = &out["TableDescription"]["VectorIndexes"][0];
    assert_eq!(ix["IndexStatus"], "CREATING", "{out}");
    assert_eq!(ix["Backfilling"], true);
    // The backfill runs in the background; a search meanwhile is refused as AWS documents.
    let q = [0.1, 0.2, -0.3, 0.4];
    let mut early = cat_is("a");
    early["TableName"] = json!("Later");
    early["IndexName"] = json!("emb");
    early["TopK"] = json!(1);
    early["SearchVector"] = json!(q
        .iter()
        .map(|x| json!({"N": x.to_string()}))
        .collect::<Vec<_>>());
    let (status, body) = op(acc, "SearchVectors", early);
    if status != 200 {
        assert_eq!(
            body["message"], "Cannot search backfilling vector index: emb",
            "{body}"
        );
    }
    let d = wait_active(acc, "Later");
    let ix = &d["Table"]["VectorIndexes"][0];
    assert_eq!(ix["IndexStatus"], "ACTIVE", "{d}");
    // An ACTIVE index no longer reports Backfilling.
    assert!(ix.get("Backfilling").is_none(), "{d}");
    assert_eq!(ix["ItemCount"], valid);
    assert_eq!(ix["Dimensions"], DIMS);
    assert_eq!(ix["DistanceFunction"], "EUCLIDEAN");
    assert_eq!(
        ix["IndexArn"],
        format!("arn:aws:dynamodb:us-east-1:{acc}:table/Later/index/emb")
    );
    // The search schema's attributes are described with the table's.
    let defs = d["Table"]["AttributeDefinitions"].to_string();
    assert!(
        defs.contains("\"cat\"") && defs.contains("\"price\""),
        "{defs}"
    );

    let want = brute_force(&items, "EUCLIDEAN", &q, 4, |i| i["cat"]["S"] == "a");
    assert_same(&search(acc, "Later", "emb", &q, 4, cat_is("a")), &want);

    // Delete the best hit and move another item onto the query vector.
    let best = want[0].0.clone();
    ok(
        acc,
        "DeleteItem",
        json!({"TableName": "Later", "Key": {"pk": {"S": best}}}),
    );
    items.retain(|i| i["pk"]["S"] != best.as_str());
    let moved = want[3].0.clone();
    ok(
        acc,
        "UpdateItem",
        json!({"TableName": "Later", "Key": {"pk": {"S": moved}},
               "UpdateExpression": "SET v = :v",
               "ExpressionAttributeValues": {":v": vector_value(&q)}}),
    );
    for i in items.iter_mut() {
        if i["pk"]["S"] == moved.as_str() {
            i["v"] = vector_value(&q);
        }
    }
    let got = search(acc, "Later", "emb", &q, 4, cat_is("a"));
    let want = brute_force(&items, "EUCLIDEAN", &q, 4, |i| i["cat"]["S"] == "a");
    assert_eq!(want[0].0, moved);
    assert_eq!(want[0].1, 0.0);
    assert_same(&got, &want);

    // A table with a vector index stays on demand.
    let (code, _) = err(
        acc,
        "UpdateTable",
        json!({"TableName": "Later", "BillingMode": "PROVISIONED",
               "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    );
    assert_eq!(code, "ValidationException");

    // Deleting the index answers DELETING, then it is gone from the description and search.
    let out = ok(
        acc,
        "UpdateTable",
        json!({"TableName": "Later", "VectorIndexUpdates": [{"Delete": {"IndexName": "emb"}}]}),
    );
    assert_eq!(
        out["TableDescription"]["VectorIndexes"][0]["IndexStatus"], "DELETING",
        "{out}"
    );
    let d = ok(acc, "DescribeTable", json!({"TableName": "Later"}));
    assert!(d["Table"].get("VectorIndexes").is_none(), "{d}");
    let (code, msg) = err(
        acc,
        "SearchVectors",
        json!({"TableName": "Later", "IndexName": "emb", "TopK": 1,
               "SearchVector": [{"N": "1"}, {"N": "1"}, {"N": "1"}, {"N": "1"}]}),
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(msg, "The table does not have the specified index: emb");
}

#[test]
fn vector_index_definitions_are_validated() {
    let acc = "200000000403";
    let base = || {
        json!({
            "TableName": "Bad",
            "AttributeDefinitions": attribute_definitions(),
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "VectorIndexes": [index("emb", "COSINE")]
        })
    };
    let mut provisioned = base();
    provisioned["BillingMode"] = json!("PROVISIONED");
    provisioned["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    let cases: Vec<(Value, &str)> = vec![
        (provisioned, "only supported for PAY_PER_REQUEST tables"),
        (
            {
                let mut r = base();
                r["VectorIndexes"][0]["Dimensions"] = json!(4097);
                r
            },
            "between 1 and 4096",
        ),
        (
            {
                let mut r = base();
                r["VectorIndexes"][0]["DistanceFunction"] = json!("MANHATTAN");
                r
            },
            "enum value set",
        ),
        (
            {
                let mut r = base();
                r["VectorIndexes"][0]["IndexName"] = json!("ab");
                r
            },
            "Member must have length greater than or equal to 3",
        ),
        (
            {
                let mut r = base();
                r["AttributeDefinitions"] = json!([{"AttributeName": "pk", "AttributeType": "S"}]);
                r
            },
            "One element in SearchSchema is not defined in attribute definitions",
        ),
        (
            {
                let mut r = base();
                let mut other = index("emb2", "DOT_PRODUCT");
                other["Dimensions"] = json!(8);
                r["VectorIndexes"] = json!([index("emb", "COSINE"), other]);
                r
            },
            "must use the same dimensions.",
        ),
    ];
    for (req, text) in cases {
        let (code, msg) = err(acc, "CreateTable", req);
        assert_eq!(code, "ValidationException");
        assert!(msg.contains(text), "{msg} lacks {text}");
    }
    // None of the refused requests created the table.
    let (code, _) = err(acc, "DescribeTable", json!({"TableName": "Bad"}));
    assert_eq!(code, "ResourceNotFoundException");
}

#[test]
fn searches_are_validated() {
    let acc = "200000000404";
    create(acc, "Srch", Some(json!([index("emb", "COSINE")])));
    put_items(acc, "Srch", 5, 1, false);
    let req = |f: &dyn Fn(&mut Value)| {
        let mut r = json!({"TableName": "Srch", "IndexName": "emb", "TopK": 2,
            "SearchVector": [{"N": "1"}, {"N": "0"}, {"N": "0"}, {"N": "0"}],
            "SearchConditionExpression": "cat = :c",
            "ExpressionAttributeValues": {":c": {"S": "a"}}});
        f(&mut r);
        r
    };
    let (code, msg) = err(
        acc,
        "SearchVectors",
        req(&|r| r["TableName"] = json!("Nope")),
    );
    assert_eq!(code, "ResourceNotFoundException", "{msg}");
    let cases: Vec<(Value, &str)> = vec![
        (
            req(&|r| r["IndexName"] = json!("nope")),
            "The table does not have the specified index: nope",
        ),
        (
            req(&|r| r["TopK"] = json!(101)),
            "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive",
        ),
        (
            req(&|r| r["SearchVector"] = json!([{"N": "1"}, {"N": "0"}])),
            "Input search vector dimension 2 does not match vector index dimension 4",
        ),
        // The values are checked before the dimension (AWS as recorded:
        // paritysuite/dynamodb-conformance, searchVectors.test.ts).
        (
            req(&|r| r["SearchVector"] = json!([{"L": [{"N": "1"}, {"N": "0"}, {"N": "0"}, {"N": "0"}]}])),
            "Search vector contains invalid values. All values in the search vector must be a 32-bit floating-point number attribute",
        ),
        (
            req(&|r| {
                let o = r.as_object_mut().unwrap();
                o.remove("SearchConditionExpression");
                o.remove("ExpressionAttributeValues");
            }),
            "SearchConditionExpression must be provided when SearchSchema has a HASH key",
        ),
        (
            req(&|r| r["SearchConditionExpression"] = json!("cat > :c")),
            "Invalid comparator used in SearchConditionExpression",
        ),
        (
            req(&|r| r["SearchConditionExpression"] = json!("cat = :c AND pk = :c")),
            "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: pk",
        ),
    ];
    for (r, text) in cases {
        let (code, msg) = err(acc, "SearchVectors", r);
        assert_eq!(code, "ValidationException");
        assert!(msg.contains(text), "{msg} lacks {text}");
    }
    // A KEYS_ONLY index cannot return other attributes.
    ok(
        acc,
        "UpdateTable",
        json!({"TableName": "Srch", "VectorIndexUpdates": [{"Create": {
            "IndexName": "keys", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": DIMS,
            "DistanceFunction": "EUCLIDEAN", "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}),
    );
    wait_active(acc, "Srch");
    let mut r = req(&|r| {
        let o = r.as_object_mut().unwrap();
        o.remove("SearchConditionExpression");
        o.remove("ExpressionAttributeValues");
    });
    r["IndexName"] = json!("keys");
    let out = ok(acc, "SearchVectors", r.clone());
    assert_eq!(out["SearchResults"].as_array().unwrap().len(), 2);
    assert_eq!(
        out["SearchResults"][0]["Item"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["pk"]
    );
    r["ProjectionExpression"] = json!("v");
    let (_, msg) = err(acc, "SearchVectors", r);
    assert!(msg.contains("does not project"), "{msg}");
}

#[test]
fn a_restored_backup_keeps_its_vector_indexes() {
    let acc = "200000000407";
    create(acc, "Orig", Some(json!([index("emb", "DOT_PRODUCT")])));
    let items = put_items(acc, "Orig", 20, 5, false);
    let backup = ok(
        acc,
        "CreateBackup",
        json!({"TableName": "Orig", "BackupName": "vec-backup"}),
    );
    let arn = backup["BackupDetails"]["BackupArn"].as_str().unwrap();
    ok(
        acc,
        "RestoreTableFromBackup",
        json!({"TargetTableName": "Copy", "BackupArn": arn}),
    );
    let d = ok(acc, "DescribeTable", json!({"TableName": "Copy"}));
    assert_eq!(d["Table"]["VectorIndexes"][0]["IndexName"], "emb", "{d}");
    let q = [1.0, -1.0, 0.5, 0.0];
    let want = brute_force(&items, "DOT_PRODUCT", &q, 3, |i| i["cat"]["S"] == "b");
    assert_same(&search(acc, "Copy", "emb", &q, 3, cat_is("b")), &want);
}

#[test]
fn writes_of_invalid_vectors_are_refused() {
    let acc = "200000000408";
    create(acc, "Strict", Some(json!([index("emb", "COSINE")])));
    let put = |v: Value| {
        op(
            acc,
            "PutItem",
            json!({"TableName": "Strict", "Item": {"pk": {"S": "x"}, "v": v}}),
        )
    };
    // AWS's texts as recorded (nubo-db/dynamodb-conformance
    // tests/tier3/error-messages/vectorWrites.test.ts, eu-west-2, 2026-08).
    let refused = |v: Value, text: &str| {
        let (status, out) = put(v);
        assert_eq!(status, 400, "{out}");
        assert_eq!(out["message"], text, "{out}");
    };
    refused(
        vector_value(&[1.0, 2.0, 3.0, 4.0, 5.0]),
        "One or more parameter values were invalid. Invalid size for parameter v, Expected: 4, Actual: 5 IndexName: emb",
    );
    refused(
        json!({"S": "x"}),
        "One or more parameter values were invalid. Invalid type for parameter v, Expected: 32-bit floating point number list IndexName: emb",
    );
    refused(
        json!({"L": [{"N": "1"}, {"S": "2"}, {"N": "3"}, {"N": "4"}]}),
        "One or more parameter values were invalid. Invalid type for parameter v[1], Expected: 32-bit floating point number, Actual: S. IndexName: emb",
    );
    let (status, _) = op(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "Strict",
            "Item": {"pk": {"S": "y"}, "v": {"NS": ["1", "2", "3", "4"]}}}}]}),
    );
    assert_eq!(status, 400);
    // Nothing was written; an item without the vector attribute and a valid one are.
    let (_, got) = op(
        acc,
        "GetItem",
        json!({"TableName": "Strict", "Key": {"pk": {"S": "x"}}}),
    );
    assert!(got.get("Item").is_none(), "{got}");
    ok(
        acc,
        "PutItem",
        json!({"TableName": "Strict", "Item": {"pk": {"S": "plain"}}}),
    );
    ok(
        acc,
        "PutItem",
        json!({"TableName": "Strict", "Item": {"pk": {"S": "x"}, "v": vector_value(&[1.0, 0.0, 0.0, 0.0])}}),
    );
}

#[test]
fn vector_indexes_survive_a_restart_with_a_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_path_buf();
    let start = || {
        let s = state.clone();
        TestEmulator::start_with(move |c| c.state_dir = Some(s))
    };
    let acc = "200000000409";
    let call = |emu: &TestEmulator, name: &str, body: Value| {
        let (status, out) = raw_at(
            &emu.url(),
            acc,
            Some(&format!("DynamoDB_20120810.{name}")),
            body.to_string().into_bytes(),
        );
        assert_eq!(status, 200, "{name}: {out}");
        out
    };
    let q = [0.3, 0.1, -0.2, 0.9];
    let before = {
        let emu = start();
        call(
            &emu,
            "CreateTable",
            json!({"TableName": "Kept", "AttributeDefinitions": attribute_definitions(),
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST", "VectorIndexes": [index("emb", "COSINE")]}),
        );
        call(
            &emu,
            "PutItem",
            json!({"TableName": "Kept", "Item": {"pk": {"S": "one"}, "cat": {"S": "a"},
                "v": vector_value(&[0.3, 0.1, -0.2, 1.0])}}),
        );
        let mut req = cat_is("a");
        req["TableName"] = json!("Kept");
        req["IndexName"] = json!("emb");
        req["TopK"] = json!(1);
        req["SearchVector"] = json!(q
            .iter()
            .map(|x| json!({"N": x.to_string()}))
            .collect::<Vec<_>>());
        (call(&emu, "SearchVectors", req.clone()), req)
    };
    let emu = start();
    let d = call(&emu, "DescribeTable", json!({"TableName": "Kept"}));
    assert_eq!(d["Table"]["VectorIndexes"][0]["IndexName"], "emb", "{d}");
    assert_eq!(d["Table"]["VectorIndexes"][0]["ItemCount"], 1);
    let after = call(&emu, "SearchVectors", before.1);
    assert_eq!(after, before.0);
    assert_eq!(after["SearchResults"][0]["Item"]["pk"]["S"], "one");
}

#[test]
fn batch_transaction_and_partiql_writes_keep_the_index_current() {
    let acc = "200000000410";
    create(acc, "Paths", Some(json!([index("emb", "COSINE")])));
    let mut items: std::collections::BTreeMap<String, Value> =
        put_items(acc, "Paths", 30, 11, false)
            .into_iter()
            .map(|i| (i["pk"]["S"].as_str().unwrap().to_string(), i))
            .collect();
    let q = [0.5, -0.1, 0.2, 0.7];
    let near = |d: f32| vector_value(&[q[0] + d, q[1], q[2] - d, q[3]]);
    let item = |pk: &str, cat: &str, price: u32, v: Value| json!({"pk": {"S": pk}, "cat": {"S": cat}, "price": {"N": price.to_string()}, "v": v});
    // BatchWriteItem: one delete, one put.
    let put = item("k100", "a", 100, near(0.01));
    ok(
        acc,
        "BatchWriteItem",
        json!({"RequestItems": {"Paths": [
            {"DeleteRequest": {"Key": {"pk": {"S": "k000"}}}},
            {"PutRequest": {"Item": put}}
        ]}}),
    );
    items.remove("k000");
    items.insert("k100".into(), put);
    // TransactWriteItems: a put, an update of a vector, a delete.
    let put = item("k101", "a", 101, near(0.02));
    ok(
        acc,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "Paths", "Item": put}},
            {"Update": {"TableName": "Paths", "Key": {"pk": {"S": "k003"}},
                "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": near(0.0)}}},
            {"Delete": {"TableName": "Paths", "Key": {"pk": {"S": "k006"}}}}
        ]}),
    );
    items.insert("k101".into(), put);
    items.get_mut("k003").unwrap()["v"] = near(0.0);
    items.remove("k006");
    // PartiQL: a hash attribute changed, a delete, an insert.
    for stmt in [
        "UPDATE \"Paths\" SET cat = 'b' WHERE pk = 'k009'",
        "DELETE FROM \"Paths\" WHERE pk = 'k012'",
        "INSERT INTO \"Paths\" VALUE {'pk': 'k102', 'cat': 'a', 'price': 102, 'v': [0.5, -0.1, 0.19, 0.71]}",
    ] {
        ok(acc, "ExecuteStatement", json!({"Statement": stmt}));
    }
    items.get_mut("k009").unwrap()["cat"] = json!({"S": "b"});
    items.remove("k012");
    items.insert(
        "k102".into(),
        item("k102", "a", 102, vector_value(&[0.5, -0.1, 0.19, 0.71])),
    );
    let all: Vec<Value> = items.values().cloned().collect();
    let want = brute_force(&all, "COSINE", &q, 8, |i| i["cat"]["S"] == "a");
    assert_eq!(want[0].0, "k003");
    assert_same(&search(acc, "Paths", "emb", &q, 8, cat_is("a")), &want);
    // With an inline filter on price too.
    let mut cond = cat_is("a");
    cond["SearchConditionExpression"] = json!("#c = :c AND price BETWEEN :p AND :q");
    cond["ExpressionAttributeValues"][":p"] = json!({"N": "15"});
    cond["ExpressionAttributeValues"][":q"] = json!({"N": "1000"});
    let want = brute_force(&all, "COSINE", &q, 5, |i| {
        let p = i["price"]["N"].as_str().unwrap().parse::<u32>().unwrap();
        i["cat"]["S"] == "a" && (15..=1000).contains(&p)
    });
    assert_same(&search(acc, "Paths", "emb", &q, 5, cond), &want);
    let d = ok(acc, "DescribeTable", json!({"TableName": "Paths"}));
    assert_eq!(
        d["Table"]["VectorIndexes"][0]["ItemCount"],
        all.len(),
        "{d}"
    );
}

/// nubo-db/dynamodb-conformance tests/tier2/vectorSearch/search.test.ts (recorded on AWS): the
/// vector attribute is left out of results unless a ProjectionExpression names it, and then it
/// is the index's float32 copy while the table keeps every digit.
#[test]
fn results_carry_the_vector_only_when_asked_and_as_float32() {
    let acc = "200000000433";
    create(acc, "Precise", Some(json!([index("emb", "COSINE")])));
    let precise = ["0.1", "16777217", "1", "2.5"];
    let v: Vec<Value> = precise.iter().map(|n| json!({"N": n})).collect();
    ok(
        acc,
        "PutItem",
        json!({"TableName": "Precise", "Item": {"pk": {"S": "f32"}, "cat": {"S": "a"},
            "price": {"N": "3"}, "v": {"L": v}}}),
    );
    let q = [0.1, 1.0, 1.0, 2.5];
    let plain = search(acc, "Precise", "emb", &q, 1, cat_is("a"));
    let item = &plain["SearchResults"][0]["Item"];
    let mut names: Vec<&String> = item.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["cat", "pk", "price"], "{plain}");
    let mut asked = cat_is("a");
    asked["ProjectionExpression"] = json!("pk, v");
    let projected = search(acc, "Precise", "emb", &q, 1, asked);
    assert_eq!(
        projected["SearchResults"][0]["Item"],
        json!({"pk": {"S": "f32"}, "v": {"L": [{"N": "0.1"}, {"N": "1.6777216E7"}, {"N": "1.0"}, {"N": "2.5"}]}}),
        "{projected}"
    );
    let stored = ok(
        acc,
        "GetItem",
        json!({"TableName": "Precise", "Key": {"pk": {"S": "f32"}}, "ConsistentRead": true}),
    );
    assert_eq!(stored["Item"]["v"], json!({"L": v}));
}

/// nubo-db/dynamodb-conformance tests/tier2/vectorSearch/updateLifecycle.test.ts and
/// partiql.test.ts (recorded on AWS): one online index action per UpdateTable, refused as the
/// GSI machinery refuses it; a PartiQL SELECT of a vector index is refused, the base table is
/// read as ever.
#[test]
fn vector_indexes_take_one_online_action_and_no_partiql_reads() {
    let acc = "200000000434";
    create(acc, "Online", Some(json!([index("emb", "COSINE")])));
    let (status, out) = op(
        acc,
        "UpdateTable",
        json!({"TableName": "Online", "VectorIndexUpdates": [
            {"Create": index("emb2", "COSINE")}, {"Create": index("emb3", "COSINE")}]}),
    );
    assert_eq!(status, 400, "{out}");
    assert!(
        out["__type"]
            .as_str()
            .unwrap()
            .ends_with("#LimitExceededException"),
        "{out}"
    );
    assert_eq!(
        out["message"],
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
    );
    let (status, out) = op(
        acc,
        "ExecuteStatement",
        json!({"Statement": "SELECT * FROM \"Online\".\"emb\""}),
    );
    assert_eq!(status, 400, "{out}");
    assert_eq!(
        out["message"],
        "Scan operation not supported on this index type"
    );
    ok(
        acc,
        "ExecuteStatement",
        json!({"Statement": "SELECT * FROM \"Online\" WHERE pk = 'a'"}),
    );
}
