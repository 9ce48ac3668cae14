//! The forwarded item operations' write hooks: after a successful write, record item images
//! for point-in-time recovery and copy them to the table's replicas in other regions.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::state::{now, Change, TableKey};
use crate::dynamodb::vector::store::Write;
use crate::dynamodb::wire::items::{key_of, key_string, touched};

impl DynamoDb {
    pub(in crate::dynamodb) async fn after_write(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
    ) {
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
