//! The ConsumedCapacity of PartiQL reads, which DynamoDB Local leaves out: an ExecuteStatement
//! SELECT (`select_capacity`) and the SELECTs of a BatchExecuteStatement (`batch_capacity`).
//! Only when asked for; the rows are read again by the proxy to size them.

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::backend::sizes::item_size;
use crate::dynamodb::wire::partiql::{select_index, select_table};
use crate::dynamodb::wire::partiql_index::{key_names, strings, walk};
use crate::dynamodb::wire::partiql_tokens::unwrap;

/// Read units for `bytes` read at once: 4 KB blocks, at least one.
fn blocks(bytes: u64) -> f64 {
    bytes.div_ceil(4096).max(1) as f64
}

impl DynamoDb {
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
        let keys = key_names(schema);
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
        if unwrap(&mut req).is_err() {
            return body;
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
        let read = blocks(rows.iter().map(item_size).sum()) * rate;
        // A local index serves attributes it does not project from the table, row by row.
        let mut fetched = 0.0;
        if let (Some(("LocalSecondaryIndexes", ix)), Some(wanted)) = (found, &w.names) {
            let projection = &ix["Projection"];
            let mut held = key_names(&t["KeySchema"]);
            held.extend(key_names(&ix["KeySchema"]));
            held.extend(strings(&projection["NonKeyAttributes"]));
            let all = projection["ProjectionType"] == "ALL";
            if !all && wanted.iter().any(|n| !held.contains(n)) {
                let table_keys = key_names(&t["KeySchema"]);
                for row in &rows {
                    let key: Map<String, Value> = table_keys
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

    /// A BatchExecuteStatement of SELECTs with the ConsumedCapacity asked for: each member
    /// answered without an error is one item read by its whole key, rounded up to 4 KB and
    /// halved unless that member asks for ConsistentRead, summed per table in the order the
    /// tables first appear (nubo-db/dynamodb-conformance
    /// `tests/tier2/partiql/batchExecuteStatement.test.ts`: half a unit for a small item,
    /// twice that consistent, a mixed batch the sum). A batch with writes keeps DynamoDB
    /// Local's answer.
    pub(in crate::dynamodb) async fn batch_capacity(
        &self,
        ctx: &RequestContext,
        input: &Value,
        body: Bytes,
    ) -> Bytes {
        if input["ReturnConsumedCapacity"].as_str().unwrap_or("NONE") == "NONE" {
            return body;
        }
        let members = input["Statements"].as_array().cloned().unwrap_or_default();
        let statement = |m: &Value| m["Statement"].as_str().unwrap_or_default().to_string();
        let tables: Option<Vec<String>> = members
            .iter()
            .map(|m| select_table(&statement(m)))
            .collect();
        let Some(tables) = tables else {
            return body;
        };
        let Ok(mut out) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        if out.get("ConsumedCapacity").is_some() {
            return body;
        }
        let mut keys: Map<String, Value> = Map::new();
        let mut per_table: Vec<(String, f64)> = vec![];
        for (i, (m, table)) in members.iter().zip(&tables).enumerate() {
            if out["Responses"][i].get("Error").is_some() {
                continue;
            }
            if !keys.contains_key(table) {
                let d = self
                    .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
                    .await
                    .unwrap_or_default();
                keys.insert(table.clone(), json!(key_names(&d["Table"]["KeySchema"])));
            }
            let table_keys = strings(&keys[table]);
            let table_keys: Vec<&str> = table_keys.iter().map(String::as_str).collect();
            let Some(w) = walk(&statement(m), &table_keys) else {
                continue;
            };
            let given = m["Parameters"].as_array().cloned().unwrap_or_default();
            let params: Vec<Value> = w
                .params
                .iter()
                .filter_map(|&p| given.get(p).cloned())
                .collect();
            let mut req = json!({"Statement": w.statement, "ConsistentRead": true});
            if !params.is_empty() {
                req["Parameters"] = json!(params);
            }
            let size = match self.call_ctx(ctx, "ExecuteStatement", &req).await {
                Ok(got) => got["Items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(item_size)
                    .sum(),
                Err(_) => 0,
            };
            let rate = if m["ConsistentRead"] == true {
                1.0
            } else {
                0.5
            };
            match per_table.iter_mut().find(|(t, _)| t == table) {
                Some((_, u)) => *u += blocks(size) * rate,
                None => per_table.push((table.clone(), blocks(size) * rate)),
            }
        }
        if per_table.is_empty() {
            return body;
        }
        let list: Vec<Value> = per_table
            .into_iter()
            .map(|(t, u)| json!({"TableName": t, "CapacityUnits": u}))
            .collect();
        out["ConsumedCapacity"] = json!(list);
        Bytes::from(out.to_string())
    }
}
