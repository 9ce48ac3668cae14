//! ConsumedCapacity of PutItem into a table with vector indexes, as AWS
//! answered paritysuite/dynamodb-conformance `tests/tier2/vectorSearch/consumedCapacity.test.ts`
//! (eu-west-2 and us-east-1, 2026): the vector billed at its name plus 4 bytes per dimension,
//! and under INDEXES a `VectorIndexes` map of the indexes whose entry the write changed.

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::ok;

const ACC: &str = "200000000431";
const TABLE: &str = "VecCap";
/// A 38-digit integer: 20 bytes as a number, 4 as a billed dimension.
const WIDE: &str = "12345678901234567890123456789012345678";

fn vec_of(ns: &[f64]) -> Value {
    json!({"L": ns.iter().map(|n| json!({"N": n.to_string()})).collect::<Vec<_>>()})
}

fn wide(dims: usize) -> Value {
    json!({"L": vec![json!({"N": WIDE}); dims]})
}

/// The recorded fixture: two indexes on `embedding` (ALL and KEYS_ONLY), one of six
/// dimensions, one under a longer name.
fn setup() {
    static CREATED: OnceLock<()> = OnceLock::new();
    CREATED.get_or_init(create_table);
}

fn create_table() {
    let index = |name: &str, attr: &str, dims: usize, projection: &str| {
        json!({"IndexName": name, "VectorAttribute": {"AttributeName": attr},
            "Dimensions": dims, "DistanceFunction": "COSINE",
            "Projection": {"ProjectionType": projection}})
    };
    ok(
        ACC,
        "CreateTable",
        json!({
            "TableName": TABLE,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "VectorIndexes": [
                index("vix", "embedding", 3, "ALL"),
                index("vkeys", "embedding", 3, "KEYS_ONLY"),
                index("vdims", "sixdimvec", 6, "ALL"),
                index("vname", "embeddingWithALongerName", 3, "ALL"),
            ]
        }),
    );
}

fn put(item: Value, rcc: &str) -> Value {
    let out = ok(
        ACC,
        "PutItem",
        json!({"TableName": TABLE, "Item": item, "ReturnConsumedCapacity": rcc}),
    );
    out["ConsumedCapacity"].clone()
}

/// Each index's VectorWriteRequestBytes for writing `item` (None: not reported).
fn vector_bytes(item: Value) -> [Option<f64>; 4] {
    let cc = put(item, "INDEXES");
    ["vix", "vkeys", "vdims", "vname"]
        .map(|n| cc["VectorIndexes"][n]["VectorWriteRequestBytes"].as_f64())
}

/// An item of exactly `target` billed bytes (key of two characters, the vector, a pad).
fn billed_item(target: usize, key: &str, attr: &str, dims: usize) -> Value {
    let fixed = "pk".len() + key.len() + attr.len() + 4 * dims + "pad".len();
    json!({"pk": {"S": key}, attr: wide(dims), "pad": {"S": "p".repeat(target - fixed)}})
}

#[test]
fn put_item_reports_vector_write_bytes_under_indexes_only() {
    setup();
    // INDEXES: the classic fields and a map of the indexes the item went into.
    let cc = put(
        json!({"pk": {"S": "fresh-write"}, "embedding": vec_of(&[0.0, 1.0, 0.0])}),
        "INDEXES",
    );
    assert_eq!(cc["CapacityUnits"], 1.0, "{cc}");
    assert_eq!(cc["Table"]["CapacityUnits"], 1.0, "{cc}");
    assert_eq!(
        cc["VectorIndexes"],
        json!({"vix": {"VectorWriteRequestBytes": 1024.0}, "vkeys": {"VectorWriteRequestBytes": 1024.0}}),
        "{cc}"
    );
    // TOTAL: no vector fields, no Table.
    let cc = put(
        json!({"pk": {"S": "total-write"}, "embedding": vec_of(&[0.0, 0.0, 1.0])}),
        "TOTAL",
    );
    assert_eq!(cc, json!({"TableName": TABLE, "CapacityUnits": 1.0}));
    // An item in no index: no map at all.
    let cc = put(
        json!({"pk": {"S": "plain-write"}, "label": {"S": "no-vector"}}),
        "INDEXES",
    );
    assert_eq!(cc["CapacityUnits"], 1.0, "{cc}");
    assert!(cc.get("VectorIndexes").is_none(), "{cc}");
    // An identical overwrite changes no entry.
    let item = json!({"pk": {"S": "idempotent"}, "embedding": vec_of(&[0.5, 0.5, 0.0])});
    assert_eq!(vector_bytes(item.clone())[0], Some(1024.0));
    let cc = put(item, "INDEXES");
    assert_eq!(cc["CapacityUnits"], 1.0, "{cc}");
    assert!(cc.get("VectorIndexes").is_none(), "{cc}");
}

#[test]
fn a_vector_index_is_charged_on_the_change_to_its_entry() {
    setup();
    let item = |note: &str| json!({"pk": {"S": "projection"}, "embedding": vec_of(&[0.25, 0.5, 0.75]), "note": {"S": note}});
    vector_bytes(item("before"));
    // Only the ALL index projects `note`.
    let [vix, vkeys, ..] = vector_bytes(item("after!"));
    assert!(vix.is_some_and(|b| b > 0.0));
    assert_eq!(vkeys, None);
    vector_bytes(item("settled"));
    assert_eq!(vector_bytes(item("settled")), [None; 4]);
}

#[test]
fn vector_write_bytes_follow_each_term_of_the_entry() {
    setup();
    let blob = "x".repeat(1500);
    let entry =
        |key: &str, attr: &str, v: Value| json!({"pk": {"S": key}, attr: v, "blob": {"S": blob}});
    // The floor.
    let [vix, ..] = vector_bytes(json!({"pk": {"S": "f0"}, "embedding": vec_of(&[0.0, 1.0, 0.0])}));
    assert_eq!(vix, Some(1024.0));
    // Per index, not per write.
    let [vix, vkeys, ..] = vector_bytes(entry("3a", "embedding", vec_of(&[1.0, 0.0, 0.0])));
    let three = vix.unwrap();
    assert!(three > 1024.0);
    assert_eq!(vkeys, Some(1024.0));
    // Four bytes per dimension (`sixdimvec` is as long as `embedding`).
    let [_, _, six, _] = vector_bytes(entry(
        "6b",
        "sixdimvec",
        vec_of(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
    ));
    assert_eq!(six.unwrap() - three, 12.0);
    // The vector attribute's name by its length.
    let [.., named] = vector_bytes(entry(
        "nc",
        "embeddingWithALongerName",
        vec_of(&[1.0, 0.0, 0.0]),
    ));
    assert_eq!(
        named.unwrap() - three,
        ("embeddingWithALongerName".len() - "embedding".len()) as f64
    );
    // A projected attribute by its item size (`note` + `n`).
    let mut noted = entry("td", "embedding", vec_of(&[1.0, 0.0, 0.0]));
    noted["note"] = json!({"S": "n"});
    let [with_note, ..] = vector_bytes(noted);
    assert_eq!(with_note.unwrap() - three, 5.0);
}

#[test]
fn a_vector_is_billed_at_four_bytes_per_dimension() {
    setup();
    let total = |units: f64| json!({"TableName": TABLE, "CapacityUnits": units});
    assert_eq!(
        put(billed_item(1024, "a3", "embedding", 3), "TOTAL"),
        total(1.0)
    );
    assert_eq!(
        put(billed_item(1025, "b3", "embedding", 3), "TOTAL"),
        total(2.0)
    );
    assert_eq!(
        put(billed_item(1024, "a6", "sixdimvec", 6), "TOTAL"),
        total(1.0)
    );
    assert_eq!(
        put(billed_item(1025, "b6", "sixdimvec", 6), "TOTAL"),
        total(2.0)
    );
    // Under INDEXES the table's share moves with the total.
    let cc = put(billed_item(1024, "c3", "embedding", 3), "INDEXES");
    assert_eq!(
        (&cc["CapacityUnits"], &cc["Table"]),
        (&json!(1.0), &json!({"CapacityUnits": 1.0})),
        "{cc}"
    );
    // A read sizes the vector by its numbers: 4096 billed bytes, more than 4 KB stored.
    let item = billed_item(4096, "r6", "sixdimvec", 6);
    ok(ACC, "PutItem", json!({"TableName": TABLE, "Item": item}));
    let read = ok(
        ACC,
        "GetItem",
        json!({"TableName": TABLE, "Key": {"pk": {"S": "r6"}}, "ConsistentRead": true,
            "ReturnConsumedCapacity": "TOTAL"}),
    );
    assert_eq!(read["ConsumedCapacity"]["CapacityUnits"], 2.0, "{read}");
}
