//! After a successful write: record item images for point-in-time recovery and copy them to
//! the table's replicas in other regions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::state::{now, Change, TableKey};
use super::vector_store::Write;
use super::{str_of, table_name, DynamoDb};
use crate::context::RequestContext;

pub fn is_write(op: &str) -> bool {
    matches!(
        op,
        "PutItem"
            | "UpdateItem"
            | "DeleteItem"
            | "BatchWriteItem"
            | "TransactWriteItems"
            | "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction"
    )
}

/// Key attributes of `item` in key-schema order: a stable identity for the item.
pub fn key_of(item: &Value, key_schema: &Value) -> Value {
    let mut m = Map::new();
    for k in key_schema.as_array().into_iter().flatten() {
        if let Some(n) = k["AttributeName"].as_str() {
            if let Some(v) = item.get(n) {
                m.insert(n.to_string(), v.clone());
            }
        }
    }
    Value::Object(m)
}

pub fn key_string(item: &Value, key_schema: &Value) -> String {
    key_of(item, key_schema).to_string()
}

/// What a write touched: per table, the keys (or items) named, or None when only a whole
/// table resync can tell (PartiQL).
#[derive(Default)]
struct Touched {
    keys: BTreeMap<String, Vec<Value>>,
    whole: BTreeSet<String>,
}

impl Touched {
    fn key(&mut self, table: Option<String>, k: &Value) {
        if let Some(t) = table {
            if k.is_object() {
                self.keys.entry(t).or_default().push(k.clone());
            }
        }
    }
}

/// Table named by a PartiQL write (`INSERT INTO "T"`, `UPDATE "T"`, `DELETE FROM "T"`).
pub fn partiql_table(stmt: &str) -> Option<String> {
    let words: Vec<&str> = stmt.split_whitespace().collect();
    let first = words.first()?.to_ascii_uppercase();
    let raw = match first.as_str() {
        "INSERT" | "DELETE" => words.get(2)?,
        "UPDATE" => words.get(1)?,
        _ => return None,
    };
    let name = raw.trim_matches(|c| c == '"' || c == '\'');
    let name = name.split('.').next().unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

fn touched(op: &str, input: &Value) -> Touched {
    let mut t = Touched::default();
    match op {
        "PutItem" => t.key(table_name(&input["TableName"]), &input["Item"]),
        "UpdateItem" | "DeleteItem" => t.key(table_name(&input["TableName"]), &input["Key"]),
        "BatchWriteItem" => {
            for (table, reqs) in input["RequestItems"].as_object().into_iter().flatten() {
                for r in reqs.as_array().into_iter().flatten() {
                    let k = r["PutRequest"]["Item"]
                        .as_object()
                        .map(|_| &r["PutRequest"]["Item"])
                        .unwrap_or(&r["DeleteRequest"]["Key"]);
                    t.key(table_name(&json!(table)), k);
                }
            }
        }
        "TransactWriteItems" => {
            for item in input["TransactItems"].as_array().into_iter().flatten() {
                if let Some(p) = item.get("Put") {
                    t.key(table_name(&p["TableName"]), &p["Item"]);
                }
                for op in ["Update", "Delete"] {
                    if let Some(p) = item.get(op) {
                        t.key(table_name(&p["TableName"]), &p["Key"]);
                    }
                }
            }
        }
        "ExecuteStatement" => {
            if let Some(n) = str_of(input, "Statement").and_then(partiql_table) {
                t.whole.insert(n);
            }
        }
        "BatchExecuteStatement" | "ExecuteTransaction" => {
            let list = input["Statements"]
                .as_array()
                .or_else(|| input["TransactStatements"].as_array());
            for s in list.into_iter().flatten() {
                if let Some(n) = str_of(s, "Statement").and_then(partiql_table) {
                    t.whole.insert(n);
                }
            }
        }
        _ => {}
    }
    t
}

impl DynamoDb {
    pub(super) async fn after_write(&self, ctx: &RequestContext, op: &str, input: &Value) {
        let t = touched(op, input);
        for (table, keys) in t.keys {
            let key = TableKey::new(&ctx.account, &ctx.region, &table);
            let Some(meta) = self.meta(&key) else {
                continue;
            };
            if meta.pitr.is_none() && meta.replicas.is_empty() {
                continue;
            }
            let mut changes = vec![];
            for k in keys {
                let k = key_of(&k, &meta.key_schema);
                let got = self
                    .call(
                        &ctx.account,
                        &ctx.region,
                        "GetItem",
                        &json!({"TableName": table, "Key": k, "ConsistentRead": true}),
                    )
                    .await;
                let Ok(got) = got else { continue };
                let item = got.get("Item").filter(|i| i.is_object()).cloned();
                changes.push(Change {
                    at: now(),
                    key: k,
                    item,
                });
            }
            self.apply_changes(&key, &changes).await;
        }
        for table in t.whole {
            self.resync_whole(ctx, &table).await;
        }
    }

    /// Records changes in the history and copies them to the replicas.
    async fn apply_changes(&self, key: &TableKey, changes: &[Change]) {
        let replicas = {
            let mut st = self.state.lock().unwrap();
            let Some(meta) = st.table_mut(key) else {
                return;
            };
            if let Some(p) = meta.pitr.as_mut() {
                p.changes.extend(changes.iter().cloned());
            }
            meta.replicas.clone()
        };
        for region in &replicas {
            for c in changes {
                let (op, req) = match &c.item {
                    Some(i) => ("PutItem", json!({"TableName": key.name, "Item": i})),
                    None => ("DeleteItem", json!({"TableName": key.name, "Key": c.key})),
                };
                if let Err(e) = self.call(&key.account, region, op, &req).await {
                    tracing::warn!(table = %key.name, %region, "replication failed: {}", e.message);
                }
            }
            // A replica with vector indexes keeps them current like any write.
            let replica = TableKey::new(&key.account, region, &key.name);
            let writes: Vec<Write> = changes
                .iter()
                .map(|c| Write {
                    item_or_key: c.item.as_ref().unwrap_or(&c.key),
                    item: c.item.as_ref(),
                })
                .collect();
            self.vectors.apply(&replica, &writes);
        }
        self.persist();
    }

    /// After a PartiQL write: diff the whole table against what we knew.
    async fn resync_whole(&self, ctx: &RequestContext, table: &str) {
        let key = TableKey::new(&ctx.account, &ctx.region, table);
        let Some(meta) = self.meta(&key) else { return };
        if meta.pitr.is_none() && meta.replicas.is_empty() {
            return;
        }
        let Ok(now_items) = self.scan_all(&ctx.account, &ctx.region, table).await else {
            return;
        };
        let ks = &meta.key_schema;
        let current: BTreeMap<String, Value> = now_items
            .into_iter()
            .map(|i| (key_string(&i, ks), i))
            .collect();
        // The previous state: PITR history when kept, else the first replica's contents.
        let previous: BTreeMap<String, Value> = if let Some(p) = &meta.pitr {
            let mut m: BTreeMap<String, Value> = p
                .base
                .iter()
                .map(|i| (key_string(i, ks), i.clone()))
                .collect();
            for c in &p.changes {
                let k = key_string(&c.key, ks);
                match &c.item {
                    Some(i) => m.insert(k, i.clone()),
                    None => m.remove(&k),
                };
            }
            m
        } else if let Some(r) = meta.replicas.iter().next() {
            self.scan_all(&ctx.account, r, table)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|i| (key_string(&i, ks), i))
                .collect()
        } else {
            BTreeMap::new()
        };
        let at = now();
        let mut changes = vec![];
        for (k, item) in &current {
            if previous.get(k) != Some(item) {
                changes.push(Change {
                    at,
                    key: key_of(item, ks),
                    item: Some(item.clone()),
                });
            }
        }
        for (k, item) in &previous {
            if !current.contains_key(k) {
                changes.push(Change {
                    at,
                    key: key_of(item, ks),
                    item: None,
                });
            }
        }
        self.apply_changes(&key, &changes).await;
    }
}

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

impl DynamoDb {
    pub(super) fn patch_write_response(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
        out: &mut Value,
    ) {
        let lsi_schema = |table: &str| {
            self.meta(&TableKey::new(&ctx.account, &ctx.region, table))
                .filter(|m| m.has_lsi)
                .map(|m| m.key_schema)
        };
        if input["ReturnItemCollectionMetrics"] == "SIZE"
            && out.get("ItemCollectionMetrics").is_none()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partiql_tables() {
        assert_eq!(
            partiql_table(r#"INSERT INTO "Music" VALUE {'a': 1}"#).as_deref(),
            Some("Music")
        );
        assert_eq!(
            partiql_table(r#"update Music SET x=1 WHERE a='b'"#).as_deref(),
            Some("Music")
        );
        assert_eq!(
            partiql_table(r#"DELETE FROM "T" WHERE a='b'"#).as_deref(),
            Some("T")
        );
        assert_eq!(partiql_table("SELECT * FROM T"), None);
    }

    #[test]
    fn keys_follow_the_schema_order() {
        let ks = json!([{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]);
        let i1 = json!({"b": {"S": "2"}, "x": {"N": "1"}, "a": {"S": "1"}});
        let i2 = json!({"a": {"S": "1"}, "b": {"S": "2"}});
        assert_eq!(key_string(&i1, &ks), key_string(&i2, &ks));
    }

    #[test]
    fn batch_writes_name_every_key() {
        let input = json!({"RequestItems": {"T": [
            {"PutRequest": {"Item": {"a": {"S": "1"}}}},
            {"DeleteRequest": {"Key": {"a": {"S": "2"}}}}
        ]}});
        let t = touched("BatchWriteItem", &input);
        assert_eq!(t.keys["T"].len(), 2);
    }
}
