//! The forwarded item operations' write hooks: after a successful write, record item images
//! for point-in-time recovery and copy them to the table's replicas in other regions.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::copy::{Contents, COPY_PAGE};
use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::Pages;
use crate::dynamodb::state::{item_files, now, Change, TableKey};
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
        let dir = self.items_dir();
        let replicas = {
            let st = self.state.lock().unwrap();
            let Some(meta) = st.table(key) else {
                return;
            };
            if let Some(p) = &meta.pitr {
                // Appended under the lock, so the file keeps the order of the writes.
                let path = item_files::changes_path(&dir, &p.files);
                if let Err(e) = item_files::append_changes(&path, changes) {
                    tracing::warn!(table = %key.name, "point-in-time history: {e}");
                }
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
    }

    /// After a PartiQL write: diff the whole table against what we knew, a page at a time
    /// (only keys and digests of the known items are held).
    async fn resync_whole(&self, ctx: &RequestContext, table: &str) {
        let key = TableKey::new(&ctx.account, &ctx.region, table);
        let Some(meta) = self.meta(&key) else { return };
        if meta.pitr.is_none() && meta.replicas.is_empty() {
            return;
        }
        let ks = &meta.key_schema;
        // The previous state: PITR history when kept, else the first replica's contents.
        let mut previous: BTreeMap<String, (u64, Value)> = BTreeMap::new();
        let mut known = |page: Vec<Value>| {
            for i in page {
                previous.insert(key_string(&i, ks), (digest(&i), key_of(&i, ks)));
            }
        };
        if let Some(p) = &meta.pitr {
            let history = Contents::History(&p.files, f64::INFINITY);
            let Ok(mut pages) = self.open_pages(&history, ks).await else {
                return;
            };
            loop {
                match pages.page(COPY_PAGE) {
                    Ok(page) if !page.is_empty() => known(page),
                    Ok(_) => break,
                    Err(_) => return,
                }
            }
        } else if let Some(r) = meta.replicas.iter().next() {
            let mut pages = Pages::new(&ctx.account, r, table);
            while let Ok(Some(page)) = pages.next(&self.backend).await {
                known(page);
            }
        }
        let at = now();
        let mut changes = vec![];
        let mut pages = Pages::new(&ctx.account, &ctx.region, table);
        loop {
            let page = match pages.next(&self.backend).await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(_) => return,
            };
            for item in page {
                let was = previous.remove(&key_string(&item, ks));
                if was.is_none_or(|(d, _)| d != digest(&item)) {
                    changes.push(Change {
                        at,
                        key: key_of(&item, ks),
                        item: Some(item),
                    });
                }
            }
        }
        for (_, (_, key)) in previous {
            changes.push(Change {
                at,
                key,
                item: None,
            });
        }
        self.apply_changes(&key, &changes).await;
    }
}

/// A digest of an item's JSON, to tell whether it changed without keeping it.
fn digest(item: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    item.to_string().hash(&mut h);
    h.finish()
}
