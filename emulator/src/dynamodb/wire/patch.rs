//! Members AWS adds to a successful write answer that DynamoDB Local leaves out.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::items::{key_of, touched};
use super::table_name;

/// Whether the answer needs fields DynamoDB Local leaves out: item collection metrics (tables
/// with local secondary indexes) and per-kind capacity units of transactions; or UpdateItem's
/// updated attributes cut to the paths it writes (`updated`); or BatchExecuteStatement's slot
/// errors in AWS's words; a TransactGetItems projection, which can leave an item empty; or a
/// PartiQL `RETURNING MODIFIED` answer cut to the paths written.
pub fn needs_patch(op: &str, input: &Value) -> bool {
    input["ReturnItemCollectionMetrics"] == "SIZE"
        || op == "BatchExecuteStatement"
        || (op == "ExecuteStatement" && modified_targets(input).is_some())
        || (op == "UpdateItem"
            && matches!(
                input["ReturnValues"].as_str(),
                Some("UPDATED_OLD" | "UPDATED_NEW")
            ))
        || (op.starts_with("Transact")
            && input
                .get("ReturnConsumedCapacity")
                .is_some_and(|v| v != "NONE"))
        || (op == "TransactGetItems" && projects(input))
}

/// Whether a TransactGetItems projects any Get (which can leave an item with nothing).
fn projects(input: &Value) -> bool {
    input["TransactItems"].as_array().is_some_and(|l| {
        l.iter()
            .any(|i| i["Get"].get("ProjectionExpression").is_some())
    })
}

/// A SELECT in BatchExecuteStatement that is not a single-item read by the whole primary key
/// (an index-qualified one included) fails in its own slot with AWS's text, where DynamoDB
/// Local has its own
/// (https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier2/partiql/executeStatementIndex.test.ts,
/// "rejects index-qualified and partial-key SELECT statements per slot").
///
/// A statement refused as malformed carries the parser's detail where DynamoDB Local echoes
/// the statement (paritysuite/dynamodb-conformance
/// `tests/tier3/error-messages/partiqlGrammar.test.ts`, "an empty WHERE in
/// BatchExecuteStatement").
fn batch_select_errors(input: &Value, out: &mut Value) {
    const MALFORMED: &str = "Statement wasn't well formed, can't be processed: ";
    for (i, r) in out["Responses"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(e) = r.get_mut("Error") else {
            continue;
        };
        if e["Code"] == "ValidationError" && e["Message"] == "Only single item select is supported"
        {
            e["Message"] = json!(
                "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
            );
        }
        let statement = input["Statements"][i]["Statement"]
            .as_str()
            .unwrap_or_default();
        let echoed = e["Message"]
            .as_str()
            .and_then(|m| m.strip_prefix(MALFORMED));
        if e["Code"] == "ValidationError" && echoed.is_some_and(|m| m.trim() == statement.trim()) {
            if let Some(detail) = super::partiql::malformed_detail(statement) {
                e["Message"] = json!(format!("{MALFORMED}{detail}"));
            }
        }
    }
}

/// BatchExecuteStatement's input without the statements that fail in their own slots
/// (`errors`: slot index and message, in index order).
pub fn without_slots(input: &Value, errors: &[(usize, String)]) -> Value {
    let mut v = input.clone();
    if let Some(list) = v["Statements"].as_array_mut() {
        let mut i = 0;
        list.retain(|_| {
            i += 1;
            !errors.iter().any(|(e, _)| *e == i - 1)
        });
    }
    v
}

/// Puts the slots `without_slots` took out back in their places, as `ValidationError`s (the
/// per-statement code AWS answers, paritysuite/dynamodb-conformance
/// `tests/tier3/error-messages/partiqlParameterNumbers.test.ts`).
pub fn splice_slot_errors(out: &mut Value, errors: &[(usize, String)]) {
    let Some(list) = out
        .as_object_mut()
        .map(|o| o.entry("Responses").or_insert_with(|| json!([])))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for (i, message) in errors {
        let slot = json!({"Error": {"Code": "ValidationError", "Message": message}});
        list.insert((*i).min(list.len()), slot);
    }
}

fn modified_targets(input: &Value) -> Option<Vec<Vec<super::updated::Elem>>> {
    super::partiql::modified_targets(input["Statement"].as_str()?)
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

/// Adds item collection metrics (tables with local secondary indexes: `lsi_schema` gives the
/// key schema of such a table by name) and per-kind capacity units of transactions.
pub fn write_response(
    op: &str,
    input: &Value,
    out: &mut Value,
    lsi_schema: &dyn Fn(&str) -> Option<Value>,
) {
    if op == "UpdateItem" {
        super::updated::trim(input, out);
    }
    if let (Some(paths), "ExecuteStatement") = (modified_targets(input), op) {
        super::updated::modified(&paths, out);
    }
    if op == "BatchExecuteStatement" {
        batch_select_errors(input, out);
    }
    if input["ReturnItemCollectionMetrics"] == "SIZE" && out.get("ItemCollectionMetrics").is_none()
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
    if op == "TransactGetItems" {
        // A projection that matches nothing on a present item: AWS leaves Item out where
        // DynamoDB Local answers `{}` (nubo-db/dynamodb-conformance
        // `tests/tier2/transactions/transactGet.test.ts`).
        let responses = out.get_mut("Responses").and_then(Value::as_array_mut);
        for r in responses.into_iter().flatten() {
            if r.get("Item")
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                r.as_object_mut().map(|o| o.remove("Item"));
            }
        }
    }
    let kind = match op {
        "TransactGetItems" => "ReadCapacityUnits",
        "TransactWriteItems" => "WriteCapacityUnits",
        _ => return,
    };
    // By kind on the entry and, under INDEXES, on the table's share (same source: an INDEXES
    // TransactGetItems answers `Table.ReadCapacityUnits`).
    // An entry already by kind (a replayed TransactWriteItems reads) is left as it is.
    let by_kind = |c: &Map<String, Value>| {
        c.contains_key("ReadCapacityUnits") || c.contains_key("WriteCapacityUnits")
    };
    let list = out
        .get_mut("ConsumedCapacity")
        .and_then(Value::as_array_mut);
    for c in list.into_iter().flatten().filter_map(Value::as_object_mut) {
        if !by_kind(c) {
            if let Some(u) = c.get("CapacityUnits").cloned() {
                c.insert(kind.into(), u);
            }
        }
        if let Some(t) = c.get_mut("Table").and_then(Value::as_object_mut) {
            if let (false, Some(u)) = (by_kind(t), t.get("CapacityUnits").cloned()) {
                t.insert(kind.into(), u);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_select_slot_errors_take_aws_text() {
        let mut out = json!({"Responses": [
            {"Error": {"Code": "ValidationError", "Message": "Only single item select is supported"}},
            {"TableName": "T"},
            {"Error": {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}}
        ]});
        write_response("BatchExecuteStatement", &json!({}), &mut out, &|_| None);
        assert_eq!(
            out["Responses"][0]["Error"]["Message"],
            "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
        );
        assert_eq!(out["Responses"][1], json!({"TableName": "T"}));
        assert_eq!(
            out["Responses"][2]["Error"]["Message"],
            "The conditional request failed"
        );
    }

    #[test]
    fn batch_malformed_and_parameter_slots() {
        let empty = "SELECT * FROM \"S\" WHERE";
        let input = json!({"Statements": [{"Statement": empty}]});
        let mut out = json!({"Responses": [{"Error": {"Code": "ValidationError",
            "Message": format!("Statement wasn't well formed, can't be processed: {empty}")}}]});
        write_response("BatchExecuteStatement", &input, &mut out, &|_| None);
        assert_eq!(
            out["Responses"][0]["Error"]["Message"],
            "Statement wasn't well formed, can't be processed: Unexpected term"
        );
        let input =
            json!({"Statements": [{"Statement": "a"}, {"Statement": "b"}, {"Statement": "c"}]});
        let errors = vec![(0, "x".to_string()), (2, "y".to_string())];
        assert_eq!(
            without_slots(&input, &errors),
            json!({"Statements": [{"Statement": "b"}]})
        );
        let mut out = json!({"Responses": [{"TableName": "T"}]});
        splice_slot_errors(&mut out, &errors);
        assert_eq!(
            out["Responses"],
            json!([{"Error": {"Code": "ValidationError", "Message": "x"}}, {"TableName": "T"},
                {"Error": {"Code": "ValidationError", "Message": "y"}}])
        );
    }
}
