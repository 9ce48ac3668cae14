//! Batch writes and transactions where DynamoDB Local's answers differ from AWS's: key values
//! that do not fit the tables' schemas (`wire::key_faults`, error path only), and
//! TransactWriteItems' ConsumedCapacity.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::backend::sizes::item_size;
use crate::dynamodb::state::TableKey;
use crate::dynamodb::wire::items::key_of;
use crate::dynamodb::wire::key_faults::{self, Schema};
use crate::dynamodb::wire::{errors, table_name};

/// The table a transaction action (`{"Put": {...}}` and the like) names.
fn action_table(action: &Value) -> Option<String> {
    table_name(&action.as_object()?.values().next()?["TableName"])
}

/// The tables a batch write or transaction names, in request order, once each.
fn request_tables(op: &str, input: &Value) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    let names: Vec<String> = match op {
        "BatchWriteItem" => input["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|m| {
                m.keys()
                    .filter_map(|k| table_name(&Value::String(k.clone())))
            })
            .collect(),
        _ => input["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(action_table)
            .collect(),
    };
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn validation_body(message: &str) -> Value {
    errors::body(
        "com.amazon.coral.validate#ValidationException",
        message,
        &Map::new(),
    )
}

impl DynamoDb {
    /// AWS's answer for a BatchWriteItem, TransactWriteItems or TransactGetItems that DynamoDB
    /// Local refused over a key value that does not fit a table's or index's key schema; None
    /// to keep `out`. `code` and `message` are DynamoDB Local's; `out` the answer so far. One
    /// DescribeTable per table, on the error path only.
    pub(in crate::dynamodb) async fn key_fault_answer(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
        code: &str,
        message: &str,
        out: &Value,
    ) -> Option<Value> {
        if !matches!(
            op,
            "BatchWriteItem" | "TransactWriteItems" | "TransactGetItems"
        ) {
            return None;
        }
        let validation = code == "ValidationException";
        let invalid_type = validation && message == "Invalid attribute value type";
        let empty_index = validation && key_faults::empty_index_key_attribute(message).is_some();
        let index_mismatch = validation
            && op == "BatchWriteItem"
            && message.starts_with(
                "One or more parameter values were invalid: Type mismatch for Index Key",
            );
        let cancelled = code == "TransactionCanceledException";
        let reasons = out["CancellationReasons"].as_array();
        let reason_validation =
            reasons.is_some_and(|l| l.iter().any(|r| r["Code"] == "ValidationError"));
        // DynamoDB Local cancels a TransactGetItems over a bad Key without any reasons.
        let bare_get_cancel = cancelled && op == "TransactGetItems" && reasons.is_none();
        if !(invalid_type
            || empty_index
            || index_mismatch
            || (cancelled && reason_validation)
            || bare_get_cancel)
        {
            return None;
        }
        let mut schemas: HashMap<String, Schema> = HashMap::new();
        for t in request_tables(op, input) {
            if let Ok(d) = self
                .call_ctx(ctx, "DescribeTable", &json!({"TableName": t}))
                .await
            {
                schemas.insert(t, Schema::of(&d["Table"]));
            }
        }
        if empty_index {
            let attr = key_faults::empty_index_key_attribute(message)?;
            let s = request_tables(op, input)
                .into_iter()
                .filter_map(|t| schemas.get(&t))
                .find(|s| key_faults::has_index_on(s, attr))?;
            let fixed = key_faults::empty_index_key_message(message, s)?;
            return Some(validation_body(&fixed));
        }
        if op == "BatchWriteItem" {
            let m = key_faults::batch_write_fault(input, &schemas)?;
            return Some(validation_body(&m));
        }
        let faults: Vec<Option<String>> = input["TransactItems"]
            .as_array()?
            .iter()
            .map(|a| {
                let s = schemas.get(&action_table(a)?)?;
                match op {
                    "TransactGetItems" => key_faults::get_action_fault(a, s),
                    _ => key_faults::write_action_fault(a, s),
                }
            })
            .collect();
        if faults.iter().all(Option::is_none) {
            return None;
        }
        if cancelled && reason_validation {
            // DynamoDB Local's reasons kept (a failed condition elsewhere stays), the
            // validation ones worded as AWS words them.
            let mut fixed = out.clone();
            let list = fixed["CancellationReasons"].as_array_mut()?;
            for (r, f) in list.iter_mut().zip(&faults) {
                if let (true, Some(m)) = (r["Code"] == "ValidationError", f) {
                    r["Message"] = Value::String(m.clone());
                }
            }
            return Some(fixed);
        }
        Some(key_faults::cancellation(&faults))
    }
}

/// One TransactWriteItems action asking for its ConsumedCapacity, read before it runs.
struct Action {
    kind: String,
    table: String,
    /// The item's key (None when a Put's table is not known to us).
    key: Option<Value>,
    /// The item's size before the transaction.
    before: u64,
    /// A Put's item size.
    put: u64,
}

/// A TransactWriteItems that asked for its ConsumedCapacity.
pub struct WriteSizes {
    actions: Vec<Action>,
    /// `INDEXES` (else `TOTAL`).
    indexes: bool,
}

/// Transactional units (Developer Guide, "DynamoDB read and write operations": two write units
/// per KB written, two read units per 4 KB read, at least one KB or 4 KB).
fn write_units(bytes: u64) -> f64 {
    2.0 * bytes.div_ceil(1024).max(1) as f64
}

fn read_units(bytes: u64) -> f64 {
    2.0 * bytes.div_ceil(4096).max(1) as f64
}

/// The units DynamoDB Local counted for a table's secondary indexes (an `INDEXES` entry).
fn index_units(entry: &Value) -> f64 {
    ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
        .iter()
        .filter_map(|m| entry[*m].as_object())
        .flat_map(|m| m.values())
        .filter_map(|c| c["CapacityUnits"].as_f64())
        .sum()
}

/// One entry per table in the order the actions first name it: `units` the table's own, of
/// `kind`; DynamoDB Local's index entries kept (writes only) and counted in the total.
fn entries(
    list: &[(String, f64)],
    kind: &str,
    indexes: bool,
    backend: &[Value],
    keep_indexes: bool,
) -> Value {
    let mut tables: Vec<(String, f64)> = vec![];
    for (t, n) in list {
        match tables.iter_mut().find(|(x, _)| x == t) {
            Some((_, sum)) => *sum += n,
            None => tables.push((t.clone(), *n)),
        }
    }
    let out = tables.into_iter().map(|(t, n)| {
        let theirs = backend.iter().find(|e| e["TableName"] == t.as_str());
        let ix = match (keep_indexes, theirs) {
            (true, Some(e)) => index_units(e),
            _ => 0.0,
        };
        let mut e = json!({"TableName": t, "CapacityUnits": n + ix, kind: n + ix});
        if indexes {
            e["Table"] = json!({"CapacityUnits": n, kind: n});
            for m in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
                if let (true, Some(x)) = (keep_indexes, theirs.and_then(|e| e.get(m))) {
                    e[m] = x.clone();
                }
            }
        }
        e
    });
    Value::Array(out.collect())
}

/// A TransactWriteItems asking for `TOTAL` as sent: asking DynamoDB Local for `INDEXES`, so
/// that its index units can be told from the table's.
pub fn transact_write_request(sizes: &WriteSizes, input: &Value) -> Option<Value> {
    if sizes.indexes {
        return None;
    }
    let mut v = input.clone();
    v["ReturnConsumedCapacity"] = json!("INDEXES");
    Some(v)
}

impl DynamoDb {
    /// Before a TransactWriteItems that asks for ConsumedCapacity: each action's item and its
    /// size. DynamoDB Local counts a table's items together (two 1.5 KB puts: 4 units, where
    /// AWS charges 4 each), so the proxy counts them (`transact_write_answer`).
    pub(in crate::dynamodb) async fn transact_write_sizes(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
    ) -> Option<WriteSizes> {
        let rcc = input["ReturnConsumedCapacity"].as_str();
        if op != "TransactWriteItems" || !matches!(rcc, Some("TOTAL" | "INDEXES")) {
            return None;
        }
        let mut actions = vec![];
        for a in input["TransactItems"].as_array()? {
            let Some((kind, body)) = a.as_object().and_then(|o| o.iter().next()) else {
                continue;
            };
            let Some(table) = table_name(&body["TableName"]) else {
                continue;
            };
            let key = match kind.as_str() {
                "Put" => self
                    .meta(&TableKey::new(&ctx.account, &ctx.region, &table))
                    .map(|m| key_of(&body["Item"], &m.key_schema)),
                _ => Some(body["Key"].clone()),
            };
            let before = match &key {
                Some(k) => self.item_bytes(ctx, &table, k).await,
                None => 0,
            };
            actions.push(Action {
                kind: kind.clone(),
                table,
                key,
                before,
                put: item_size(&body["Item"]),
            });
        }
        Some(WriteSizes {
            actions,
            indexes: rcc == Some("INDEXES"),
        })
    }

    /// After a successful TransactWriteItems: its client token remembered, and (when asked
    /// for) its ConsumedCapacity as AWS counts it, one entry per table: two write units per KB
    /// of each action's item (the larger of before and after; a ConditionCheck by the item it
    /// checks), index units as DynamoDB Local counts them; a same-token replay two read units
    /// per 4 KB of each item as stored, nothing written (nubo-db/dynamodb-conformance
    /// `tests/tier2/transactions/transactWrite.test.ts`, eu-west-2).
    pub(in crate::dynamodb) async fn transact_write_answer(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
        sizes: Option<WriteSizes>,
        body: Bytes,
    ) -> Bytes {
        if op != "TransactWriteItems" {
            return body;
        }
        let replay = input["ClientRequestToken"].as_str().is_some_and(|t| {
            self.client_tokens
                .replayed(op, &ctx.account, &ctx.region, t)
        });
        let Some(sizes) = sizes else {
            return body;
        };
        let Ok(mut out) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        // Left out when the caller did not ask (the capacity model asked for it).
        let Some(theirs) = out["ConsumedCapacity"].as_array().cloned() else {
            return body;
        };
        let mut list = vec![];
        for a in &sizes.actions {
            let now = match (&a.key, a.kind.as_str(), replay) {
                (Some(k), _, true) | (Some(k), "Update", false) => {
                    self.item_bytes(ctx, &a.table, k).await
                }
                (_, "Put", false) => a.put,
                (_, "ConditionCheck", false) => a.before,
                _ => 0,
            };
            let units = if replay {
                read_units(now)
            } else {
                write_units(a.before.max(now))
            };
            list.push((a.table.clone(), units));
        }
        let kind = if replay {
            "ReadCapacityUnits"
        } else {
            "WriteCapacityUnits"
        };
        out["ConsumedCapacity"] = entries(&list, kind, sizes.indexes, &theirs, !replay);
        Bytes::from(out.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_count_each_item_and_keep_the_backends_index_units() {
        let theirs = vec![json!({"TableName": "B", "CapacityUnits": 6.0,
            "Table": {"CapacityUnits": 2.0},
            "GlobalSecondaryIndexes": {"g": {"CapacityUnits": 2.0}},
            "LocalSecondaryIndexes": {"l": {"CapacityUnits": 2.0}}})];
        let list = [
            ("A".to_string(), 2.0),
            ("B".to_string(), 4.0),
            ("A".to_string(), 2.0),
        ];
        assert_eq!(
            entries(&list, "WriteCapacityUnits", false, &theirs, true),
            json!([
                {"TableName": "A", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
                {"TableName": "B", "CapacityUnits": 8.0, "WriteCapacityUnits": 8.0}
            ])
        );
        let e = entries(&list, "ReadCapacityUnits", true, &theirs, false);
        assert_eq!(
            e[1],
            json!({"TableName": "B", "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0,
                "Table": {"CapacityUnits": 4.0, "ReadCapacityUnits": 4.0}})
        );
        assert_eq!(
            (write_units(1536), read_units(1536), write_units(0)),
            (4.0, 2.0, 2.0)
        );
    }
}
