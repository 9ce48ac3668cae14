//! What a PutItem into a table with vector indexes consumes, where DynamoDB Local (which has
//! no vector indexes) counts otherwise. The rules are AWS's as recorded by
//! paritysuite/dynamodb-conformance `tests/tier2/vectorSearch/consumedCapacity.test.ts`
//! (eu-west-2 and us-east-1, 2026):
//! - a vector attribute is billed as its name plus 4 bytes per dimension, whatever numbers it
//!   holds (a read and the 400 KB limit still size it by its numbers, as DynamoDB Local does);
//! - with `INDEXES`, a `VectorIndexes` map beside the classic fields gives each index whose
//!   stored entry the write changed its `VectorWriteRequestBytes`: the entry's size (keys,
//!   vector, what the index projects) held to a 1024-byte floor; an index the write leaves as
//!   it was (an identical overwrite, an attribute it does not project, an item it does not
//!   hold) is left out, and so is the map when no index is;
//! - `TOTAL` carries no vector fields.
//!
//! Only PutItem is recorded; other writes keep DynamoDB Local's figures.

use serde_json::{json, Map, Value};

use super::score::parse_vector;
use super::store::{canonical_number, IndexDef};
use crate::dynamodb::backend::sizes::item_size;

/// AWS's floor on one index's VectorWriteRequestBytes.
const FLOOR: u64 = 1024;

/// Bytes `name: value` counts for: a valid vector of an index reading the attribute is billed
/// at 4 bytes per dimension; anything else at its item size.
fn attribute_size(name: &str, value: &Value, defs: &[IndexDef]) -> u64 {
    let vector = defs
        .iter()
        .find(|d| d.attr == name && parse_vector(value, d.dims).is_some());
    match vector {
        Some(d) => name.len() as u64 + 4 * d.dims as u64,
        None => item_size(&json!({ name: value })),
    }
}

/// An item (or index entry) at the size a write bills it.
pub fn billed_size(item: &Value, defs: &[IndexDef]) -> u64 {
    item.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| attribute_size(k, v, defs))
        .sum()
}

/// A value in one spelling, so an overwrite with the same data compares equal to what the
/// backend stored (numbers canonical, sets sorted).
fn canonical(v: &Value) -> Value {
    let Some((t, x)) = v.as_object().and_then(|m| m.iter().next()) else {
        return v.clone();
    };
    let sorted = |list: Vec<String>| {
        let mut list = list;
        list.sort();
        json!(list)
    };
    let strings = |x: &Value, f: &dyn Fn(&str) -> String| -> Vec<String> {
        x.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(f)
            .collect()
    };
    let out = match t.as_str() {
        "N" => json!(canonical_number(x.as_str().unwrap_or_default())),
        "NS" => sorted(strings(x, &canonical_number)),
        "SS" | "BS" => sorted(strings(x, &str::to_string)),
        "L" => Value::Array(x.as_array().into_iter().flatten().map(canonical).collect()),
        "M" => Value::Object(
            x.as_object()
                .into_iter()
                .flatten()
                .map(|(k, e)| (k.clone(), canonical(e)))
                .collect(),
        ),
        _ => x.clone(),
    };
    json!({ t: out })
}

/// What `item` stores in the index: the table keys, the vector, the search schema and the
/// projected attributes (all of them under `ALL`); None when the index does not hold it.
fn entry(def: &IndexDef, keys: &[String], item: &Value) -> Option<Map<String, Value>> {
    def.entry(item)?;
    let all = item.as_object()?;
    let wanted = |k: &str| match &def.projected {
        None => true,
        Some(p) => {
            k == def.attr
                || keys.iter().any(|n| n == k)
                || def.schema.iter().any(|n| n == k)
                || p.iter().any(|n| n == k)
        }
    };
    Some(
        all.iter()
            .filter(|(k, _)| wanted(k))
            .map(|(k, v)| (k.clone(), canonical(v)))
            .collect(),
    )
}

/// `VectorIndexes` of a write from `old` to `new`: each index whose entry changed, with the
/// new entry's billed size (the removed one's when the item left the index), at least 1024.
pub fn vector_indexes(
    defs: &[IndexDef],
    key_schema: &Value,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Map<String, Value> {
    let keys: Vec<String> = key_schema
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| Some(k["AttributeName"].as_str()?.to_string()))
        .collect();
    let mut out = Map::new();
    for d in defs {
        let before = old.and_then(|i| entry(d, &keys, i));
        let after = new.and_then(|i| entry(d, &keys, i));
        if before == after {
            continue;
        }
        let Some(changed) = after.or(before) else {
            continue;
        };
        let bytes = billed_size(&Value::Object(changed), defs).max(FLOOR);
        out.insert(
            d.name.clone(),
            json!({"VectorWriteRequestBytes": bytes as f64}),
        );
    }
    out
}

/// Write units of a PutItem replacing `old` with `new` when items are sized by `size`:
/// the larger of the two, in 1 KB steps, at least one (Developer Guide, "DynamoDB read and
/// write operations").
fn put_units(old: Option<&Value>, new: &Value, size: &dyn Fn(&Value) -> u64) -> f64 {
    let bytes = size(new).max(old.map_or(0, size));
    bytes.div_ceil(1024).max(1) as f64
}

/// A PutItem's ConsumedCapacity (`cc`, DynamoDB Local's) made AWS's: the table's units with
/// vectors billed at 4 bytes per dimension, and under `INDEXES` the `VectorIndexes` map.
pub fn fix_put(
    cc: &mut Value,
    defs: &[IndexDef],
    key_schema: &Value,
    old: Option<&Value>,
    new: &Value,
    indexes: bool,
) {
    if !cc.is_object() {
        return;
    }
    // DynamoDB Local counted the vector by its numbers: move its table figure to ours, and
    // every total that holds it (index units, if any, stay as they were).
    let delta = put_units(old, new, &|i| billed_size(i, defs)) - put_units(old, new, &item_size);
    if delta != 0.0 {
        for path in [
            &["CapacityUnits"][..],
            &["WriteCapacityUnits"],
            &["Table", "CapacityUnits"],
            &["Table", "WriteCapacityUnits"],
        ] {
            let mut at = Some(&mut *cc);
            for p in path {
                at = at.and_then(|v| v.get_mut(*p));
            }
            if let Some(v) = at {
                if let Some(n) = v.as_f64() {
                    *v = json!(n + delta);
                }
            }
        }
    }
    if indexes {
        let map = vector_indexes(defs, key_schema, old, Some(new));
        if !map.is_empty() {
            cc["VectorIndexes"] = Value::Object(map);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> Vec<IndexDef> {
        let def = |name: &str, attr: &str, dims: u64, projection: Value| {
            IndexDef::of(
                &json!({"IndexName": name, "VectorAttribute": {"AttributeName": attr},
                "Dimensions": dims, "DistanceFunction": "COSINE", "Projection": projection}),
            )
        };
        vec![
            def("vix", "embedding", 3, json!({"ProjectionType": "ALL"})),
            def(
                "vkeys",
                "embedding",
                3,
                json!({"ProjectionType": "KEYS_ONLY"}),
            ),
            def("vdims", "sixdimvec", 6, json!({"ProjectionType": "ALL"})),
        ]
    }

    fn ks() -> Value {
        json!([{"AttributeName": "pk", "KeyType": "HASH"}])
    }

    fn vec3() -> Value {
        json!({"L": [{"N": "1"}, {"N": "0"}, {"N": "0"}]})
    }

    #[test]
    fn a_vector_is_billed_by_its_name_and_dimensions() {
        let wide = json!({"N": "12345678901234567890123456789012345678"});
        let item = json!({"pk": {"S": "a3"}, "embedding": {"L": [wide, wide, wide]}});
        assert_eq!(billed_size(&item, &defs()), 4 + 9 + 12);
        // Not a vector of the index's dimension: its item size.
        let item = json!({"pk": {"S": "a3"}, "embedding": {"L": [wide]}});
        assert_eq!(
            billed_size(&item, &defs()),
            4 + item_size(&json!({"embedding": {"L": [wide]}}))
        );
    }

    #[test]
    fn only_changed_entries_are_charged_at_least_1024_bytes() {
        let d = defs();
        let blob = "x".repeat(1500);
        let new = json!({"pk": {"S": "3a"}, "embedding": vec3(), "blob": {"S": blob}});
        let m = vector_indexes(&d, &ks(), None, Some(&new));
        assert_eq!(
            Value::Object(m),
            json!({"vix": {"VectorWriteRequestBytes": (4 + 21 + 4 + 1500) as f64},
                   "vkeys": {"VectorWriteRequestBytes": 1024.0}})
        );
        // The same item again, its numbers spelled otherwise: nothing changed.
        let again = json!({"pk": {"S": "3a"}, "embedding": {"L": [{"N": "1.0"}, {"N": "0"}, {"N": "0e3"}]}, "blob": {"S": blob}});
        assert!(vector_indexes(&d, &ks(), Some(&new), Some(&again)).is_empty());
        // A change the KEYS_ONLY index does not project.
        let noted = json!({"pk": {"S": "3a"}, "embedding": vec3(), "blob": {"S": "y"}});
        let m = vector_indexes(&d, &ks(), Some(&new), Some(&noted));
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["vix"]);
        // No vector: in no index.
        let plain = json!({"pk": {"S": "p"}, "label": {"S": "x"}});
        assert!(vector_indexes(&d, &ks(), None, Some(&plain)).is_empty());
    }

    #[test]
    fn table_units_follow_the_billed_size() {
        let wide = json!({"N": "12345678901234567890123456789012345678"});
        // 1024 billed bytes: 4 (pk) + 21 (vector) + 3 + 996 (pad).
        let item = json!({"pk": {"S": "a3"}, "embedding": {"L": [wide, wide, wide]},
            "pad": {"S": "p".repeat(996)}});
        assert_eq!(billed_size(&item, &defs()), 1024);
        let mut cc =
            json!({"TableName": "T", "CapacityUnits": 2.0, "Table": {"CapacityUnits": 2.0}});
        fix_put(&mut cc, &defs(), &ks(), None, &item, false);
        assert_eq!(
            cc,
            json!({"TableName": "T", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}})
        );
    }
}
