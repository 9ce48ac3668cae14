//! Members AWS adds to a successful write answer that DynamoDB Local leaves out.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::items::{key_of, touched};
use super::table_name;

/// Whether the answer needs fields DynamoDB Local leaves out: item collection metrics (tables
/// with local secondary indexes) and per-kind capacity units of transactions.
pub fn needs_patch(op: &str, input: &Value) -> bool {
    input["ReturnItemCollectionMetrics"] == "SIZE"
        || (op.starts_with("Transact")
            && input
                .get("ReturnConsumedCapacity")
                .is_some_and(|v| v != "NONE"))
}

/// One item collection (all items sharing a partition key) of a small table.
fn collection_metrics(key: &Value, key_schema: &Value) -> Value {
    let hash: Vec<Value> = key_schema
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["KeyType"] == "HASH")
        .cloned()
        .collect();
    json!({"ItemCollectionKey": key_of(key, &Value::Array(hash)), "SizeEstimateRangeGB": [0.0, 1.0]})
}

/// Adds item collection metrics (tables with local secondary indexes: `lsi_schema` gives the
/// key schema of such a table by name) and per-kind capacity units of transactions.
pub fn write_response(
    op: &str,
    input: &Value,
    out: &mut Value,
    lsi_schema: &dyn Fn(&str) -> Option<Value>,
) {
    if input["ReturnItemCollectionMetrics"] == "SIZE" && out.get("ItemCollectionMetrics").is_none()
    {
        match op {
            "PutItem" | "UpdateItem" | "DeleteItem" => {
                if let Some(ks) = table_name(&input["TableName"]).and_then(|t| lsi_schema(&t)) {
                    let k = if op == "PutItem" {
                        &input["Item"]
                    } else {
                        &input["Key"]
                    };
                    out["ItemCollectionMetrics"] = collection_metrics(k, &ks);
                }
            }
            "BatchWriteItem" | "TransactWriteItems" => {
                let t = touched(op, input);
                let mut m = Map::new();
                for (table, keys) in t.keys {
                    let Some(ks) = lsi_schema(&table) else {
                        continue;
                    };
                    let mut seen = BTreeSet::new();
                    let list: Vec<Value> = keys
                        .iter()
                        .map(|k| collection_metrics(k, &ks))
                        .filter(|c| seen.insert(c.to_string()))
                        .collect();
                    m.insert(table, Value::Array(list));
                }
                if !m.is_empty() {
                    out["ItemCollectionMetrics"] = Value::Object(m);
                }
            }
            _ => {}
        }
    }
    let kind = match op {
        "TransactGetItems" => "ReadCapacityUnits",
        "TransactWriteItems" => "WriteCapacityUnits",
        _ => return,
    };
    for c in out["ConsumedCapacity"].as_array_mut().into_iter().flatten() {
        if c.get(kind).is_none() {
            if let Some(u) = c.get("CapacityUnits").cloned() {
                c[kind] = u;
            }
        }
    }
}
