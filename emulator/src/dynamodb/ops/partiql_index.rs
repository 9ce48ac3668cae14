//! PartiQL SELECTs as AWS serves them where DynamoDB Local does otherwise: an index read
//! whose WHERE names attributes the index does not project is refused when keyed on the
//! index, else sent so that those attributes read as missing (`wire::partiql_index`); and the
//! ConsumedCapacity asked for, which DynamoDB Local leaves out (`select_capacity`). One
//! DescribeTable per such statement, for the keys and projection.

use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use bytes::Bytes;

use crate::dynamodb::backend::sizes::item_size;
use crate::dynamodb::wire::partiql::{select_index, select_table};
use crate::dynamodb::wire::partiql_index::{unprojected_filter, walk, Filter, Index};
use crate::protocol::json::JsonError;

/// The HASH attribute of a key schema.
fn hash_of(schema: &Value) -> Option<&str> {
    schema.as_array()?.iter().find(|k| k["KeyType"] == "HASH")?["AttributeName"].as_str()
}

fn names(list: &Value, member: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k[member].as_str().map(str::to_string))
        .collect()
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

impl DynamoDb {
    /// ExecuteStatement's input as it is to be sent (None: unchanged), or AWS's refusal.
    pub(in crate::dynamodb) async fn index_filter(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<Option<Value>, JsonError> {
        let statement = input["Statement"].as_str().unwrap_or_default();
        let Some((table, index)) = select_index(statement) else {
            return Ok(None);
        };
        if !statement.to_ascii_lowercase().contains("where") {
            return Ok(None);
        }
        let Ok(out) = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
        else {
            return Ok(None);
        };
        let t = &out["Table"];
        let Some(ix) = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
            .iter()
            .filter_map(|m| t[*m].as_array())
            .flatten()
            .find(|i| i["IndexName"] == index.as_str())
        else {
            return Ok(None);
        };
        let projection = &ix["Projection"];
        if projection["ProjectionType"] == "ALL" {
            return Ok(None);
        }
        let Some(hash) = hash_of(&ix["KeySchema"]) else {
            return Ok(None);
        };
        let mut held = names(&t["KeySchema"], "AttributeName");
        held.extend(names(&ix["KeySchema"], "AttributeName"));
        held.extend(strings(&projection["NonKeyAttributes"]));
        let projects = |n: &str| held.iter().any(|h| h == n);
        let index = Index {
            name: &index,
            hash,
            projects: &projects,
        };
        match unprojected_filter(statement, &index) {
            Filter::Keep => Ok(None),
            Filter::Refuse(message) => Err(JsonError::validation(message)),
            Filter::Rewrite(s) => {
                let mut sent = input.clone();
                sent["Statement"] = json!(s);
                Ok(Some(sent))
            }
        }
    }

    /// A SELECT's answer with the ConsumedCapacity asked for (DynamoDB Local gives none): the
    /// rows its key conditions walk (read again, every attribute, same Limit and NextToken),
    /// their sizes summed and rounded up to 4 KB, half that when eventually consistent; on the
    /// index it reads, and, for a local index asked for attributes it does not project, each
    /// walked row's item fetched from the table on the table arm, each rounded up on its own.
    /// As AWS answered nubo-db/dynamodb-conformance `tests/tier2/partiql/executeStatement.test.ts`
    /// and `indexQualifier.test.ts` (index and table arms, rows walked not kept, a bounded
    /// read charged less, consistency doubling both arms).
    pub(in crate::dynamodb) async fn select_capacity(
        &self,
        ctx: &RequestContext,
        input: &Value,
        body: Bytes,
    ) -> Bytes {
        let mode = input["ReturnConsumedCapacity"].as_str().unwrap_or("NONE");
        if mode == "NONE" {
            return body;
        }
        let statement = input["Statement"].as_str().unwrap_or_default();
        let (table, index) = match select_index(statement) {
            Some((t, i)) => (t, Some(i)),
            None => match select_table(statement) {
                Some(t) => (t, None),
                None => return body,
            },
        };
        let Ok(mut out) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        if out.get("ConsumedCapacity").is_some() {
            return body;
        }
        let Ok(described) = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
        else {
            return body;
        };
        let t = &described["Table"];
        let found = index.as_ref().and_then(|ix| {
            ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                .iter()
                .find_map(|m| {
                    let i = t[*m]
                        .as_array()?
                        .iter()
                        .find(|i| i["IndexName"] == ix.as_str())?;
                    Some((*m, i))
                })
        });
        let schema = match found {
            Some((_, i)) => &i["KeySchema"],
            None if index.is_some() => return body,
            None => &t["KeySchema"],
        };
        let keys = names(schema, "AttributeName");
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let Some(w) = walk(statement, &keys) else {
            return body;
        };
        let mut req = json!({"Statement": w.statement});
        if !w.params.is_empty() {
            let given = input["Parameters"].as_array().cloned().unwrap_or_default();
            let params: Option<Vec<Value>> =
                w.params.iter().map(|&i| given.get(i).cloned()).collect();
            let Some(params) = params else {
                return body;
            };
            req["Parameters"] = json!(params);
        }
        for member in ["Limit", "NextToken", "ConsistentRead"] {
            if let Some(v) = input.get(member) {
                req[member] = v.clone();
            }
        }
        let Ok(walked) = self.call_ctx(ctx, "ExecuteStatement", &req).await else {
            return body;
        };
        let rows = walked["Items"].as_array().cloned().unwrap_or_default();
        let rate = if input["ConsistentRead"] == true {
            1.0
        } else {
            0.5
        };
        let blocks = |bytes: u64| bytes.div_ceil(4096).max(1) as f64;
        let read = blocks(rows.iter().map(item_size).sum()) * rate;
        // A local index serves attributes it does not project from the table, row by row.
        let mut fetched = 0.0;
        if let (Some(("LocalSecondaryIndexes", ix)), Some(wanted)) = (found, &w.names) {
            let projection = &ix["Projection"];
            let mut held = names(&t["KeySchema"], "AttributeName");
            held.extend(names(&ix["KeySchema"], "AttributeName"));
            held.extend(strings(&projection["NonKeyAttributes"]));
            let all = projection["ProjectionType"] == "ALL";
            if !all && wanted.iter().any(|n| !held.contains(n)) {
                let table_keys = names(&t["KeySchema"], "AttributeName");
                for row in &rows {
                    let key: serde_json::Map<String, Value> = table_keys
                        .iter()
                        .filter_map(|k| Some((k.clone(), row.get(k)?.clone())))
                        .collect();
                    let req = json!({"TableName": table, "Key": key,
                        "ConsistentRead": input["ConsistentRead"] == true});
                    if let Ok(got) = self.call_ctx(ctx, "GetItem", &req).await {
                        fetched += blocks(got.get("Item").map_or(0, item_size)) * rate;
                    }
                }
            }
        }
        let mut c = json!({"TableName": table, "CapacityUnits": read + fetched});
        if mode == "INDEXES" {
            match (found, &index) {
                (Some((kind, _)), Some(ix)) => {
                    c["Table"] = json!({"CapacityUnits": fetched});
                    c[kind] = json!({ix.as_str(): {"CapacityUnits": read}});
                }
                _ => c["Table"] = json!({"CapacityUnits": read}),
            }
        }
        out["ConsumedCapacity"] = c;
        Bytes::from(out.to_string())
    }
}
