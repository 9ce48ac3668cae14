//! SearchVectors: an exact search over the proxy's vector index (`vector::search`), its hits
//! read back from the table.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::call;
use crate::dynamodb::state::TableKey;
use crate::dynamodb::vector::condition::{condition, holds};
use crate::dynamodb::vector::score::Distance;
use crate::dynamodb::vector::search::{self, projected, projection_names, query_vector, MAX_TOP_K};
use crate::dynamodb::vector::store::{item_id, IndexDef, Write};
use crate::dynamodb::wire::{ddb_err, table_name, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    pub(super) async fn search_vectors(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = match self.meta(&key) {
            Some(m) => m,
            None => {
                // Our record may be missing for a table created behind our back.
                self.describe_raw(&ctx.account, &ctx.region, &name)
                    .await
                    .map_err(|_| {
                        ddb_err("ResourceNotFoundException", "Requested resource not found")
                    })?;
                self.meta(&key).unwrap_or_default()
            }
        };
        let top_k = input["TopK"].as_i64().unwrap_or(0);
        if !(1..=MAX_TOP_K).contains(&top_k) {
            // AWS's text as recorded (paritysuite/dynamodb-conformance, searchVectors.test.ts).
            return Err(validation(format!(
                "Provided TopK value '{top_k}' is out of valid range. The value must be between 1 and {MAX_TOP_K} inclusive"
            )));
        }
        let index_name = input["IndexName"].as_str().unwrap_or_default();
        let index = meta
            .vector_indexes
            .iter()
            .find(|i| i["IndexName"] == index_name)
            .cloned()
            .ok_or_else(|| {
                validation(format!(
                    "The table does not have the specified index: {index_name}"
                ))
            })?;
        let def = IndexDef::of(&index);
        let (dims, distance) = (def.dims, def.distance);
        let query = query_vector(&input["SearchVector"], dims)?;
        if distance == Distance::Cosine && query.iter().all(|x| *x == 0.0) {
            return Err(validation(
                "SearchVector must not be a zero vector for the COSINE distance function",
            ));
        }
        let empty = Map::new();
        let names = input["ExpressionAttributeNames"]
            .as_object()
            .unwrap_or(&empty);
        let cond = condition(input, &def)?;
        let keys: Vec<String> = meta
            .key_schema
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["AttributeName"].as_str().map(str::to_owned))
            .collect();
        let allowed = projected(&index, &keys);
        let explicit = input["ProjectionExpression"].is_string();
        let vector_attr = index["VectorAttribute"]["AttributeName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let vector_attr = vector_attr.as_str();
        let wanted = match input["ProjectionExpression"].as_str() {
            Some(p) => {
                let w = projection_names(p, names)?;
                if let Some(allowed) = &allowed {
                    if let Some(a) = w.iter().find(|a| !allowed.contains(a)) {
                        return Err(validation(format!(
                            "ProjectionExpression names {a}, which vector index {index_name} does not project"
                        )));
                    }
                }
                Some(w)
            }
            None => allowed,
        };
        let table = search::table(&self.backend, &self.vectors, &key, &meta).ok_or_else(|| {
            validation(format!(
                "The table does not have the specified index: {index_name}"
            ))
        })?;
        let keep = |attrs: &Value| cond.as_ref().is_none_or(|c| holds(c, attrs));
        let ks = &meta.key_schema;
        // The hits are read back from the table: an item gone or changed behind the index's
        // back (a TTL deletion) is repaired and the search runs again.
        let mut rounds = 0;
        let (top, items) = loop {
            let top = {
                let t = table.read().unwrap();
                let Some(ix) = t.index(index_name) else {
                    return Err(validation(format!(
                        "The table does not have the specified index: {index_name}"
                    )));
                };
                if !ix.built {
                    return Err(validation(format!(
                        "Cannot search backfilling vector index: {index_name}"
                    )));
                }
                ix.top(&query, top_k as usize, &keep)
            };
            let keys: Vec<Value> = top.iter().map(|(_, k)| k.clone()).collect();
            let items = self
                .get_items(
                    &ctx.account,
                    &ctx.region,
                    &name,
                    &keys,
                    ks,
                    wanted.as_deref(),
                )
                .await?;
            rounds += 1;
            // Whole items are compared with the index; projected ones only tell which are gone.
            let writes: Vec<Write> = keys
                .iter()
                .filter_map(|k| {
                    let id = item_id(k, ks)?;
                    let item = items.get(&id);
                    let stale = match (&wanted, item) {
                        (_, None) => !self.vectors.agrees(&key, &[(id, None)]),
                        (None, Some(i)) => !self.vectors.agrees(&key, &[(id, Some(i))]),
                        (Some(_), Some(_)) => false,
                    };
                    stale.then_some(Write {
                        item_or_key: item.unwrap_or(k),
                        item,
                    })
                })
                .collect();
            if rounds == 4 || writes.is_empty() {
                break (top, items);
            }
            self.vectors.apply(&key, &writes);
        };
        let results: Vec<Value> = top
            .into_iter()
            .filter_map(|(score, k)| Some((score, items.get(&item_id(&k, ks)?)?)))
            .map(|(score, item)| {
                // The vector attribute is answered only when a ProjectionExpression names it,
                // and then as the index's float32 copy (recorded on AWS:
                // nubo-db/dynamodb-conformance tests/tier2/vectorSearch/search.test.ts).
                let item: Map<String, Value> = item
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| explicit || k.as_str() != vector_attr)
                    .filter(|(k, _)| wanted.as_ref().is_none_or(|w| w.contains(k)))
                    .map(|(k, v)| match k.as_str() == vector_attr {
                        true => (k.clone(), search::index_copy(v)),
                        false => (k.clone(), v.clone()),
                    })
                    .collect();
                json!({"Item": item, "Score": score as f64})
            })
            .collect();
        let mut out = json!({"SearchResults": results});
        if matches!(
            input["ReturnConsumedCapacity"].as_str(),
            Some("TOTAL" | "INDEXES")
        ) {
            // AWS meters vector searches in bytes; ours is the query vector's float32 size.
            out["ConsumedCapacity"] = json!({"VectorSearchRequestBytes": (dims * 4) as f64});
        }
        Ok(out)
    }

    /// A PartiQL SELECT of a vector index (`FROM "t"."ix"`): AWS refuses it as a scan of an
    /// index type that has none (recorded: nubo-db/dynamodb-conformance
    /// tests/tier2/vectorSearch/partiql.test.ts); DynamoDB Local knows no such index.
    pub(in crate::dynamodb) fn vector_index_read(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(), JsonError> {
        let statement = input["Statement"].as_str().unwrap_or_default();
        let Some((table, index)) = crate::dynamodb::wire::partiql::select_index(statement) else {
            return Ok(());
        };
        let vector = self
            .meta(&TableKey::new(&ctx.account, &ctx.region, &table))
            .is_some_and(|m| m.vector_indexes.iter().any(|i| i["IndexName"] == index));
        if vector {
            return Err(validation(
                "Scan operation not supported on this index type",
            ));
        }
        Ok(())
    }

    /// Items by key (consistent BatchGetItem), by id; missing items are absent. With
    /// `attrs`, only those attributes and the key are read.
    async fn get_items(
        &self,
        account: &str,
        region: &str,
        table: &str,
        keys: &[Value],
        key_schema: &Value,
        attrs: Option<&[String]>,
    ) -> Result<HashMap<String, Value>, JsonError> {
        let mut out = HashMap::new();
        let mut pending: Vec<Value> = keys.to_vec();
        let mut read = json!({"ConsistentRead": true});
        if let Some(attrs) = attrs {
            let mut names: Vec<String> = attrs.to_vec();
            for k in key_schema.as_array().into_iter().flatten() {
                if let Some(n) = k["AttributeName"].as_str() {
                    names.push(n.to_string());
                }
            }
            names.sort();
            names.dedup();
            let placeholders: Vec<String> = (0..names.len()).map(|i| format!("#p{i}")).collect();
            read["ProjectionExpression"] = json!(placeholders.join(", "));
            read["ExpressionAttributeNames"] = Value::Object(
                placeholders
                    .into_iter()
                    .zip(names)
                    .map(|(p, n)| (p, json!(n)))
                    .collect(),
            );
        }
        for _ in 0..10 {
            if pending.is_empty() {
                break;
            }
            let mut req = read.clone();
            req["Keys"] = json!(pending);
            let req = json!({"RequestItems": {table: req}});
            let got = call(&self.backend, account, region, "BatchGetItem", &req).await?;
            for item in got["Responses"][table].as_array().into_iter().flatten() {
                if let Some(id) = item_id(item, key_schema) {
                    out.insert(id, item.clone());
                }
            }
            pending = got["UnprocessedKeys"][table]["Keys"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        Ok(out)
    }
}
