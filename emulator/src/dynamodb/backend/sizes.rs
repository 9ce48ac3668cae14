//! Item and index sizes as DynamoDB reports them.
//!
//! DynamoDB Local gives every secondary index the size and item count of its whole table; AWS
//! counts only the items an index holds (sparse indexes) and only what it projects. We scan
//! each index and sum its entries, and remember the figures until the table's own size or item
//! count moves, so a describe of an unchanged table costs no scan.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Value};

use super::scan::{call, SCAN_PAGE};
use super::Backend;
use crate::dynamodb::state::TableKey;
use crate::protocol::json::JsonError;

/// (table size, item count, creation time bits) the figures were computed at, and per index
/// (size, count).
type IndexStats = ((u64, u64, u64), HashMap<String, (u64, u64)>);

/// Per-index sizes and counts of each table, kept until their table changes.
#[derive(Default)]
pub struct IndexSizes(Mutex<HashMap<TableKey, IndexStats>>);

/// An item's size as DynamoDB bills it: attribute names plus values.
pub fn item_size(item: &Value) -> u64 {
    item.as_object()
        .map(|m| m.iter().map(|(k, v)| k.len() as u64 + value_size(v)).sum())
        .unwrap_or(0)
}

/// Bytes of a base64 text once decoded.
fn decoded_len(b64: &str) -> u64 {
    let body = b64.trim_end_matches('=');
    (body.len() * 3 / 4) as u64
}

fn value_size(v: &Value) -> u64 {
    let Some((t, x)) = v.as_object().and_then(|m| m.iter().next()) else {
        return 0;
    };
    match t.as_str() {
        "S" => x.as_str().map_or(0, |s| s.len() as u64),
        "B" => x.as_str().map_or(0, decoded_len),
        // Numbers: about one byte per two significant digits, plus one.
        "N" => x.as_str().map_or(0, |s| {
            let digits = s.trim_start_matches('-').replace('.', "");
            let sig = digits
                .trim_start_matches('0')
                .trim_end_matches('0')
                .len()
                .max(1);
            sig.div_ceil(2) as u64 + 1
        }),
        "BOOL" | "NULL" => 1,
        "SS" => x.as_array().map_or(0, |a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.len() as u64)
                .sum()
        }),
        "BS" => x.as_array().map_or(0, |a| {
            a.iter().filter_map(Value::as_str).map(decoded_len).sum()
        }),
        "NS" => x
            .as_array()
            .map_or(0, |a| a.iter().map(|n| value_size(&json!({"N": n}))).sum()),
        "L" => {
            3 + x
                .as_array()
                .map_or(0, |a| a.iter().map(|e| 1 + value_size(e)).sum())
        }
        "M" => {
            3 + x.as_object().map_or(0, |m| {
                m.iter()
                    .map(|(k, e)| 1 + k.len() as u64 + value_size(e))
                    .sum()
            })
        }
        _ => 0,
    }
}

fn index_names(desc: &Value) -> Vec<(String, bool)> {
    let mut out = vec![];
    for (list, global) in [
        ("LocalSecondaryIndexes", false),
        ("GlobalSecondaryIndexes", true),
    ] {
        for i in desc[list].as_array().into_iter().flatten() {
            if let Some(n) = i["IndexName"].as_str() {
                out.push((n.to_string(), global));
            }
        }
    }
    out
}

impl IndexSizes {
    /// Replaces DynamoDB Local's per-index size and item count with what each index holds.
    /// Indexes still being built keep the zeros AWS shows while backfilling.
    pub async fn fix(&self, backend: &Backend, key: &TableKey, desc: &mut Value) {
        let indexes = index_names(desc);
        if indexes.is_empty() {
            return;
        }
        let table = (
            desc["TableSizeBytes"].as_u64().unwrap_or(0),
            desc["ItemCount"].as_u64().unwrap_or(0),
            desc["CreationDateTime"].as_f64().unwrap_or(0.0).to_bits(),
        );
        let cached = self
            .0
            .lock()
            .unwrap()
            .get(key)
            .filter(|(at, per)| *at == table && indexes.iter().all(|(n, _)| per.contains_key(n)))
            .map(|(_, per)| per.clone());
        let per = match cached {
            Some(p) => p,
            None => {
                let mut per = HashMap::new();
                for (name, global) in &indexes {
                    match measure_index(backend, key, name, *global).await {
                        Ok(s) => {
                            per.insert(name.clone(), s);
                        }
                        // A table deleted meanwhile: leave the backend's figures.
                        Err(_) => return,
                    }
                }
                self.0
                    .lock()
                    .unwrap()
                    .insert(key.clone(), (table, per.clone()));
                per
            }
        };
        for list in ["LocalSecondaryIndexes", "GlobalSecondaryIndexes"] {
            for i in desc
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let creating = i["IndexStatus"].as_str() == Some("CREATING");
                let Some((size, count)) = i["IndexName"].as_str().and_then(|n| per.get(n)) else {
                    continue;
                };
                let (size, count) = if creating { (0, 0) } else { (*size, *count) };
                i["IndexSizeBytes"] = json!(size);
                i["ItemCount"] = json!(count);
            }
        }
    }
}

/// Scans one index, all pages: (bytes of its entries, number of entries).
async fn measure_index(
    backend: &Backend,
    key: &TableKey,
    index: &str,
    global: bool,
) -> Result<(u64, u64), JsonError> {
    let (mut size, mut count) = (0, 0);
    let mut start: Option<Value> = None;
    loop {
        // Bounded pages: see `scan::Pages`.
        let mut req = json!({"TableName": key.name, "IndexName": index, "Limit": SCAN_PAGE});
        if !global {
            req["ConsistentRead"] = json!(true);
        }
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let out = call(backend, &key.account, &key.region, "Scan", &req).await?;
        for item in out["Items"].as_array().into_iter().flatten() {
            size += item_size(item);
            count += 1;
        }
        match out.get("LastEvaluatedKey") {
            Some(k) if !k.is_null() => start = Some(k.clone()),
            _ => return Ok((size, count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_sizes_count_names_and_values() {
        assert_eq!(
            item_size(&json!({"Artist": {"S": "A"}, "SongTitle": {"S": "xyz"}})),
            6 + 1 + 9 + 3
        );
        assert_eq!(item_size(&json!({"n": {"N": "12345"}})), 1 + 4);
    }

    #[test]
    fn binary_counts_decoded_bytes() {
        // "aGVsbG8=" is "hello".
        assert_eq!(item_size(&json!({"b": {"B": "aGVsbG8="}})), 1 + 5);
        assert_eq!(
            item_size(&json!({"b": {"BS": ["aGk=", "aGVsbG8="]}})),
            1 + 2 + 5
        );
    }

    #[test]
    fn indexes_are_listed_local_then_global() {
        let d = json!({
            "LocalSecondaryIndexes": [{"IndexName": "l"}],
            "GlobalSecondaryIndexes": [{"IndexName": "g"}],
        });
        assert_eq!(
            index_names(&d),
            vec![("l".to_string(), false), ("g".to_string(), true)]
        );
    }
}
