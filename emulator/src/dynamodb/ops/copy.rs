//! Whole-table work several families share: a table recreated from a description and filled
//! with items (restores, replicas, imports), every item of a table, and a table's items at a
//! point in time.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::service::{sse_description, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::scan_table;
use crate::dynamodb::state::{Pitr, TableKey, TableMeta};
use crate::dynamodb::vector::index::key_attributes;
use crate::dynamodb::vector::store::{item_id, Write};
use crate::dynamodb::wire::items::key_string;
use crate::dynamodb::wire::{ddb_err, table_name, OpResult};
use crate::protocol::json::JsonError;

/// What a restore copies: the source's description, our record of it, and its items.
pub(super) struct Source<'a> {
    pub desc: &'a Value,
    pub meta: &'a TableMeta,
    pub items: &'a [Value],
}

/// CreateTable input that recreates `desc` (keys, indexes, billing) under `target`.
pub(super) fn recreate_input(desc: &Value, target: &str, input: &Value) -> Value {
    let billing = input["BillingModeOverride"]
        .as_str()
        .or_else(|| desc["BillingModeSummary"]["BillingMode"].as_str())
        .unwrap_or("PROVISIONED")
        .to_string();
    let mut req = json!({
        "TableName": target,
        "AttributeDefinitions": desc["AttributeDefinitions"],
        "KeySchema": desc["KeySchema"],
        "BillingMode": billing,
    });
    let pt = |v: &Value| json!({"ReadCapacityUnits": v["ReadCapacityUnits"], "WriteCapacityUnits": v["WriteCapacityUnits"]});
    if billing == "PROVISIONED" {
        req["ProvisionedThroughput"] = input
            .get("ProvisionedThroughputOverride")
            .cloned()
            .unwrap_or_else(|| pt(&desc["ProvisionedThroughput"]));
    }
    let index = |i: &Value, with_pt: bool| {
        let mut o = json!({"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]});
        if with_pt {
            o["ProvisionedThroughput"] = pt(&i["ProvisionedThroughput"]);
        }
        o
    };
    if let Some(lsi) = input
        .get("LocalSecondaryIndexOverride")
        .cloned()
        .or_else(|| {
            desc["LocalSecondaryIndexes"]
                .as_array()
                .map(|l| Value::Array(l.iter().map(|i| index(i, false)).collect()))
        })
    {
        req["LocalSecondaryIndexes"] = lsi;
    }
    if let Some(gsi) = input
        .get("GlobalSecondaryIndexOverride")
        .cloned()
        .or_else(|| {
            desc["GlobalSecondaryIndexes"].as_array().map(|l| {
                Value::Array(
                    l.iter()
                        .map(|i| index(i, billing == "PROVISIONED"))
                        .collect(),
                )
            })
        })
    {
        req["GlobalSecondaryIndexes"] = gsi;
    }
    // Descriptions also list the attributes only vector search schemas use; DynamoDB Local
    // refuses definitions no key schema names.
    let keys = key_attributes(&req);
    if let Some(defs) = req["AttributeDefinitions"].as_array_mut() {
        defs.retain(|d| {
            d["AttributeName"]
                .as_str()
                .is_some_and(|a| keys.iter().any(|k| k == a))
        });
    }
    req
}

impl DynamoDb {
    /// Every item of a table (see `scan_table`).
    pub(super) async fn scan_all(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Vec<Value>, JsonError> {
        scan_table(&self.backend, account, region, name).await
    }

    /// Writes items with BatchWriteItem, 25 at a time, retrying unprocessed ones.
    pub(super) async fn put_items(
        &self,
        account: &str,
        region: &str,
        name: &str,
        items: &[Value],
    ) -> Result<(), JsonError> {
        let key = TableKey::new(account, region, name);
        let key_schema = self
            .vectors
            .get(&key)
            .map(|t| t.read().unwrap().key_schema.clone());
        for chunk in items.chunks(25) {
            let mut reqs: Vec<Value> = chunk
                .iter()
                .map(|i| json!({"PutRequest": {"Item": i}}))
                .collect();
            // A table with vector indexes gets the items too, in order with other writes.
            let _locks = match &key_schema {
                Some(ks) => {
                    let ids = chunk
                        .iter()
                        .filter_map(|i| item_id(i, ks))
                        .map(|id| (name.to_string(), id));
                    self.vectors.lock_items(ids).await
                }
                None => vec![],
            };
            for _ in 0..10 {
                let out = self
                    .call(
                        account,
                        region,
                        "BatchWriteItem",
                        &json!({"RequestItems": {name: reqs}}),
                    )
                    .await?;
                match out["UnprocessedItems"][name].as_array() {
                    Some(left) if !left.is_empty() => reqs = left.clone(),
                    _ => break,
                }
            }
            if key_schema.is_some() {
                let writes: Vec<Write> = chunk
                    .iter()
                    .map(|i| Write {
                        item_or_key: i,
                        item: Some(i),
                    })
                    .collect();
                self.vectors.apply(&key, &writes);
            }
        }
        Ok(())
    }

    /// Creates `target` like `desc` and fills it with `items`; returns the new description.
    pub(super) async fn restore_into(
        &self,
        ctx: &RequestContext,
        src: Source<'_>,
        input: &Value,
        summary: Value,
    ) -> OpResult {
        let Source {
            desc,
            meta: source_meta,
            items,
        } = src;
        let target = table_name(&input["TargetTableName"]).unwrap_or_default();
        let target = target.as_str();
        let req = recreate_input(desc, target, input);
        let mut meta = TableMeta {
            billing_mode: Some(req["BillingMode"].as_str().unwrap_or("PROVISIONED").into()),
            sse: match input.get("SSESpecificationOverride") {
                Some(spec) => sse_description(spec, &ctx.account, &ctx.region),
                None => source_meta.sse.clone(),
            },
            table_class: source_meta.table_class.clone(),
            vector_indexes: source_meta.vector_indexes.clone(),
            vector_attr_defs: source_meta.vector_attr_defs.clone(),
            restore_summary: Some(summary.clone()),
            ..Default::default()
        };
        if let Some(done) = meta.restore_summary.as_mut() {
            done["RestoreInProgress"] = json!(false);
        }
        let mut out = match self
            .create_table_in(&ctx.account, &ctx.region, req, meta)
            .await
        {
            Ok(d) => d,
            Err(e) if e.code() == "ResourceInUseException" => {
                return Err(ddb_err(
                    "TableAlreadyExistsException",
                    format!("Table already exists: {target}"),
                ))
            }
            Err(e) => return Err(e),
        };
        self.put_items(&ctx.account, &ctx.region, target, items)
            .await?;
        out["RestoreSummary"] = summary;
        Ok(json!({"TableDescription": out}))
    }
}

/// The table's items at time `t`, rebuilt from the base snapshot and the changes up to `t`.
pub(super) fn items_at(pitr: &Pitr, ks: &Value, t: f64) -> Vec<Value> {
    let mut items: BTreeMap<String, Value> = pitr
        .base
        .iter()
        .map(|i| (key_string(i, ks), i.clone()))
        .collect();
    for c in pitr.changes.iter().filter(|c| c.at <= t) {
        let k = key_string(&c.key, ks);
        match &c.item {
            Some(i) => items.insert(k, i.clone()),
            None => items.remove(&k),
        };
    }
    items.into_values().collect()
}

/// S3's answer for a missing bucket, which failed imports and bulk operations report.
pub(super) const NO_SUCH_BUCKET: &str = "The specified bucket does not exist";

pub(super) struct ImportRead {
    pub items: Vec<Value>,
    pub errors: u64,
    pub bytes: u64,
}

/// Every object under the key prefix, read as DynamoDB JSON: `{"Item": {...}}` values one
/// after another (newlines between them or not). A value without `Item` is an error; a
/// file that stops parsing counts one error for the rest.
pub(super) fn read_import(
    root: &std::path::Path,
    bucket: &str,
    prefix: &str,
    gzip: bool,
) -> ImportRead {
    let mut out = ImportRead {
        items: vec![],
        errors: 0,
        bytes: 0,
    };
    let objects = crate::s3::store::list(root, bucket).unwrap_or_default();
    for o in objects.iter().filter(|o| o.key.starts_with(prefix)) {
        let Ok((raw, _)) = crate::s3::store::get(root, bucket, &o.key) else {
            continue;
        };
        out.bytes += raw.len() as u64;
        let data = if gzip {
            let mut d = vec![];
            match std::io::Read::read_to_end(
                &mut flate2::read::MultiGzDecoder::new(&raw[..]),
                &mut d,
            ) {
                Ok(_) => d,
                Err(_) => {
                    out.errors += 1;
                    continue;
                }
            }
        } else {
            raw
        };
        for v in serde_json::Deserializer::from_slice(&data).into_iter::<Value>() {
            match v {
                Ok(v) => match v.get("Item") {
                    Some(i) if i.is_object() => out.items.push(i.clone()),
                    _ => out.errors += 1,
                },
                Err(_) => {
                    out.errors += 1;
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::state::Change;

    #[test]
    fn history_replays_up_to_the_requested_time() {
        let ks = json!([{"AttributeName": "pk", "KeyType": "HASH"}]);
        let item = |k: &str, v: &str| json!({"pk": {"S": k}, "v": {"S": v}});
        let pitr = Pitr {
            enabled_at: 10.0,
            base: vec![item("a", "1")],
            changes: vec![
                Change {
                    at: 11.0,
                    key: json!({"pk": {"S": "b"}}),
                    item: Some(item("b", "2")),
                },
                Change {
                    at: 12.0,
                    key: json!({"pk": {"S": "a"}}),
                    item: None,
                },
            ],
        };
        assert_eq!(items_at(&pitr, &ks, 10.5), vec![item("a", "1")]);
        assert_eq!(
            items_at(&pitr, &ks, 11.0),
            vec![item("a", "1"), item("b", "2")]
        );
        assert_eq!(items_at(&pitr, &ks, 99.0), vec![item("b", "2")]);
    }

    #[test]
    fn restores_recreate_keys_indexes_and_billing() {
        let desc = json!({
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6, "NumberOfDecreasesToday": 0},
            "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": [], "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}, "IndexStatus": "ACTIVE"}],
        });
        let req = recreate_input(&desc, "T2", &json!({}));
        assert_eq!(req["BillingMode"], "PROVISIONED");
        assert_eq!(
            req["ProvisionedThroughput"],
            json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 6})
        );
        assert_eq!(
            req["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"],
            2
        );
        assert!(req["GlobalSecondaryIndexes"][0]
            .get("IndexStatus")
            .is_none());
        let ppr = recreate_input(
            &desc,
            "T3",
            &json!({"BillingModeOverride": "PAY_PER_REQUEST"}),
        );
        assert!(ppr.get("ProvisionedThroughput").is_none());
    }
}
