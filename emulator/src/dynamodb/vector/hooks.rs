//! Data-plane writes into tables with vector indexes: which items each request names, locked
//! while the backend applies it, then applied to the index (see `store`). Puts carry
//! their item; updates and PartiQL writes are read back by key (only the backend knows their
//! result); a PartiQL statement whose key we cannot read makes the table's indexes resync.

use bytes::Bytes;
use serde_json::{json, Value};

use super::capacity;
use super::partiql;
use super::search::run_fill;
use super::store::{item_id, key_of, VectorStore, Write};
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::call;
use crate::dynamodb::backend::Backend;
use crate::dynamodb::state::{State, TableKey};
use crate::dynamodb::wire::items::partiql_table;
use crate::dynamodb::wire::{memchr, str_of, table_name};

enum Change {
    Put(Value),
    /// An update (or a put whose outcome is not certain): read back after the write.
    Reread(Value),
    Delete(Value),
}

/// What one write request does to tables with vector indexes, and the item locks it holds.
pub struct Plan {
    changes: Vec<(TableKey, Change)>,
    /// Tables a PartiQL statement wrote.
    whole: Vec<TableKey>,
    /// A PutItem asked for its ConsumedCapacity: what its answer needs.
    metered: Option<Metered>,
    _locks: Vec<tokio::sync::OwnedMutexGuard<()>>,
}

/// A PutItem's item before the write (read under its lock), for its ConsumedCapacity.
struct Metered {
    table: TableKey,
    old: Option<Value>,
    new: Value,
    /// `INDEXES` (else `TOTAL`).
    indexes: bool,
}

/// Every item change a write request names, by table.
fn changes(op: &str, input: &Value) -> (Vec<(String, Change)>, Vec<String>) {
    let mut out = vec![];
    let mut whole = vec![];
    let name = |v: &Value| table_name(v).unwrap_or_default();
    match op {
        "PutItem" => out.push((
            name(&input["TableName"]),
            Change::Put(input["Item"].clone()),
        )),
        "UpdateItem" => out.push((
            name(&input["TableName"]),
            Change::Reread(input["Key"].clone()),
        )),
        "DeleteItem" => out.push((
            name(&input["TableName"]),
            Change::Delete(input["Key"].clone()),
        )),
        "BatchWriteItem" => {
            for (t, reqs) in input["RequestItems"].as_object().into_iter().flatten() {
                for r in reqs.as_array().into_iter().flatten() {
                    if let Some(item) = r["PutRequest"].get("Item") {
                        out.push((name(&json!(t)), Change::Put(item.clone())));
                    } else if let Some(k) = r["DeleteRequest"].get("Key") {
                        out.push((name(&json!(t)), Change::Delete(k.clone())));
                    }
                }
            }
        }
        "TransactWriteItems" => {
            for t in input["TransactItems"].as_array().into_iter().flatten() {
                if let Some(p) = t.get("Put") {
                    out.push((name(&p["TableName"]), Change::Put(p["Item"].clone())));
                } else if let Some(u) = t.get("Update") {
                    out.push((name(&u["TableName"]), Change::Reread(u["Key"].clone())));
                } else if let Some(d) = t.get("Delete") {
                    out.push((name(&d["TableName"]), Change::Delete(d["Key"].clone())));
                }
            }
        }
        "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => {
            let list = match op {
                "ExecuteStatement" => vec![input.clone()],
                _ => input["Statements"]
                    .as_array()
                    .or_else(|| input["TransactStatements"].as_array())
                    .cloned()
                    .unwrap_or_default(),
            };
            for s in &list {
                let Some(stmt) = str_of(s, "Statement") else {
                    continue;
                };
                let Some(t) = partiql_table(stmt) else {
                    continue;
                };
                // A PartiQL write names one item by its whole key; it is read back. A
                // statement we cannot read the key from makes the whole table resync.
                let params = s["Parameters"].as_array().cloned().unwrap_or_default();
                match partiql::key_values(stmt, &params) {
                    Some(k) => out.push((t, Change::Reread(k))),
                    None => whole.push(t),
                }
            }
        }
        _ => {}
    }
    (out, whole)
}

/// The vector-table items `op` writes, locked (see `VectorStore::lock_items`); a PutItem that
/// asks for its ConsumedCapacity reads the item it replaces (see `capacity`).
pub async fn plan(
    backend: &Backend,
    vectors: &VectorStore,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Plan {
    let (list, mut whole) = changes(op, input);
    let key = |t: &str| TableKey::new(&ctx.account, &ctx.region, t);
    let mut ids = vec![];
    let mut changes = vec![];
    for (t, c) in list {
        let k = key(&t);
        let Some(table) = vectors.get(&k) else {
            continue;
        };
        let ks = table.read().unwrap().key_schema.clone();
        let (Change::Put(v) | Change::Reread(v) | Change::Delete(v)) = &c;
        match item_id(v, &ks) {
            Some(id) => {
                ids.push((t.clone(), id));
                changes.push((k, c));
            }
            // Not a whole key (a PartiQL condition on other attributes): resync.
            None => whole.push(t),
        }
    }
    let whole = whole
        .into_iter()
        .map(|t| key(&t))
        .filter(|k| vectors.get(k).is_some())
        .collect();
    let locks = vectors.lock_items(ids.into_iter()).await;
    let metered = match (op, input["ReturnConsumedCapacity"].as_str()) {
        ("PutItem", Some(rcc @ ("TOTAL" | "INDEXES"))) if !changes.is_empty() => {
            let table = changes[0].0.clone();
            let old = item_before(backend, vectors, &table, &input["Item"]).await;
            old.map(|old| Metered {
                table,
                old,
                new: input["Item"].clone(),
                indexes: rcc == "INDEXES",
            })
        }
        _ => None,
    };
    Plan {
        changes,
        whole,
        metered,
        _locks: locks,
    }
}

/// The stored item a write names (Some(None) when there is none); None when it cannot be read.
async fn item_before(
    backend: &Backend,
    vectors: &VectorStore,
    k: &TableKey,
    item: &Value,
) -> Option<Option<Value>> {
    let ks = vectors.get(k)?.read().unwrap().key_schema.clone();
    let req = json!({"TableName": k.name, "Key": key_of(item, &ks), "ConsistentRead": true});
    let got = call(backend, &k.account, &k.region, "GetItem", &req)
        .await
        .ok()?;
    Some(got.get("Item").cloned())
}

/// A successful answer's ConsumedCapacity made AWS's for a PutItem into a vector table (see
/// `capacity`); other answers as they are.
pub fn metered(vectors: &VectorStore, plan: &Plan, body: Bytes) -> Bytes {
    let Some(m) = &plan.metered else {
        return body;
    };
    let Some(table) = vectors.get(&m.table) else {
        return body;
    };
    let Ok(mut out) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    if out.get("ConsumedCapacity").is_none() {
        return body;
    }
    {
        let t = table.read().unwrap();
        let defs: Vec<_> = t.indexes.iter().map(|i| i.def.clone()).collect();
        capacity::fix_put(
            &mut out["ConsumedCapacity"],
            &defs,
            &t.key_schema,
            m.old.as_ref(),
            &m.new,
            m.indexes,
        );
    }
    Bytes::from(out.to_string())
}

/// After the backend applied the write: its items into the indexes (then the locks go).
pub async fn apply(backend: &Backend, vectors: &VectorStore, plan: Plan, response: &[u8]) {
    // A batch that left items unprocessed: which puts landed is read back.
    let unsure = response.starts_with(b"{")
        && !memchr(response, br#""UnprocessedItems":{}"#)
        && memchr(response, b"UnprocessedItems");
    let mut reads = vec![];
    for (k, c) in &plan.changes {
        let read = match c {
            Change::Reread(key) => Some(key),
            Change::Put(item) if unsure => Some(item),
            _ => None,
        };
        if let Some(key) = read {
            let ks = vectors
                .get(k)
                .map(|t| t.read().unwrap().key_schema.clone())
                .unwrap_or_default();
            let req = json!({"TableName": k.name, "Key": key_of(key, &ks), "ConsistentRead": true});
            let got = call(backend, &k.account, &k.region, "GetItem", &req).await;
            reads.push(got.ok().and_then(|g| g.get("Item").cloned()));
        }
    }
    let mut reads = reads.iter();
    let mut by_table: Vec<(&TableKey, Vec<Write>)> = vec![];
    for (k, c) in &plan.changes {
        let w = match c {
            Change::Put(item) if !unsure => Write {
                item_or_key: item,
                item: Some(item),
            },
            Change::Put(v) | Change::Reread(v) => {
                let item = reads.next().and_then(Option::as_ref);
                Write {
                    item_or_key: item.unwrap_or(v),
                    item,
                }
            }
            Change::Delete(key) => Write {
                item_or_key: key,
                item: None,
            },
        };
        match by_table.iter_mut().find(|(t, _)| *t == k) {
            Some((_, list)) => list.push(w),
            None => by_table.push((k, vec![w])),
        }
    }
    for (k, writes) in by_table {
        vectors.apply(k, &writes);
    }
    for k in &plan.whole {
        refresh(backend, vectors, k).await;
    }
}

/// After a PartiQL write: the indexes made to hold the table's items, from a scan (the
/// statement's items are only known to the backend). Skipped while a backfill runs: its
/// scan is still to finish.
async fn refresh(backend: &Backend, vectors: &VectorStore, key: &TableKey) {
    if vectors.begin_fill(key, true) {
        run_fill(backend, vectors, key).await;
    }
}

/// At start: every saved table's vector indexes, from their journals.
pub fn load(vectors: &VectorStore, st: &State) {
    let tables: Vec<(TableKey, Value, Vec<Value>)> = {
        st.tables
            .iter()
            .filter(|(_, (_, m))| !m.vector_indexes.is_empty())
            .map(|(_, (k, m))| (k.clone(), m.key_schema.clone(), m.vector_indexes.clone()))
            .collect()
    };
    for (k, ks, defs) in tables {
        vectors.sync(&k, &ks, &defs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_shape_names_its_items() {
        let (c, w) = changes(
            "TransactWriteItems",
            &json!({"TransactItems": [
                {"Put": {"TableName": "A", "Item": {"k": {"S": "1"}}}},
                {"Update": {"TableName": "A", "Key": {"k": {"S": "2"}}}},
                {"Delete": {"TableName": "B", "Key": {"k": {"S": "3"}}}},
                {"ConditionCheck": {"TableName": "B", "Key": {"k": {"S": "4"}}}}
            ]}),
        );
        assert_eq!(c.len(), 3);
        assert!(w.is_empty());
        assert!(matches!(c[1].1, Change::Reread(_)));
        let (c, _) = changes(
            "BatchWriteItem",
            &json!({"RequestItems": {"A": [
                {"PutRequest": {"Item": {"k": {"S": "1"}}}},
                {"DeleteRequest": {"Key": {"k": {"S": "2"}}}}
            ]}}),
        );
        assert!(matches!(c[1].1, Change::Delete(_)));
        let (c, w) = changes(
            "BatchExecuteStatement",
            &json!({"Statements": [
                {"Statement": "UPDATE \"A\" SET x = 1 WHERE k = '1'"},
                {"Statement": "DELETE FROM \"A\" WHERE k = '1' OR k = '2'"}
            ]}),
        );
        assert!(matches!(&c[0].1, Change::Reread(k) if *k == json!({"k": {"S": "1"}})));
        assert_eq!(w, vec!["A".to_string()]);
    }
}
