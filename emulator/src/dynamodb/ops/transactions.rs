//! Batch writes and transactions where DynamoDB Local's answers differ from AWS's: key values
//! that do not fit the tables' schemas (`wire::key_faults`, error path only).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
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
                .call_ctx(ctx, "DescribeTable", &serde_json::json!({"TableName": t}))
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
