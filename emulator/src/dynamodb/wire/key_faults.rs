//! Key values of the wrong type (a non-scalar one included) in batch writes and transactions,
//! found against the tables' key and index schemas, worded and placed as AWS answers them.
//!
//! DynamoDB Local answers a non-scalar key value with a bare `Invalid attribute value type`,
//! a mismatching index key without the attribute, types or index, a transaction's key check
//! as a top-level error or with the wrong text, and names another index than AWS for an empty
//! index key value. AWS, as recorded in nubo-db/dynamodb-conformance
//! `tests/tier3/error-messages/transactWriteItems.test.ts`, `batchWriteItem.test.ts`,
//! `transactGetItems.test.ts` and `tests/tier2/transactions/transactWrite.test.ts` (four
//! regions, 2026-06):
//! - TransactWriteItems cancels the transaction: the action's reason is `ValidationError`
//!   with, for a Put item's table key, `Type mismatch for key <k> expected: <T> actual: <U>`;
//!   for the Key of an Update, Delete or ConditionCheck, `The provided key element does not
//!   match the schema`; for an index key a Put or an Update's SET writes, `Type mismatch for
//!   Index Key <a> Expected: <T> Actual: <U> IndexName: <index>`.
//! - TransactGetItems cancels too, a Key that does not fit the schema being the Get's
//!   `ValidationError`.
//! - BatchWriteItem answers a top-level ValidationException: a table key not of its type is
//!   `The provided key element does not match the schema`, an index key the text above.
//! - The index named is the first by name of those keyed on the attribute (recorded: `gsi1`,
//!   where `gsi1`, `gsi2` and `lsi1` key on it).
//!
//! Pure: the schemas come from the caller (DescribeTable, on the error path only).

use std::collections::HashMap;

use serde_json::{json, Value};

use super::updated::{tokens, Tok};

pub const SCHEMA_MISMATCH: &str = "The provided key element does not match the schema";
const INVALID: &str = "One or more parameter values were invalid: ";
const CANCELLED: &str =
    "Transaction cancelled, please refer cancellation reasons for specific reasons";
const EMPTY_INDEX_KEY: &str =
    "One or more parameter values are not valid. A value specified for a secondary index key is not supported.";

/// A table's key attributes and its secondary indexes' key attributes, with their types.
#[derive(Debug, Default)]
pub struct Schema {
    /// The table's key attributes, HASH first.
    keys: Vec<String>,
    /// Secondary indexes by name, each with its key attributes (HASH first).
    indexes: Vec<(String, Vec<String>)>,
    types: HashMap<String, String>,
}

fn hash_first(key_schema: &Value) -> Vec<String> {
    let mut keys: Vec<(bool, String)> = key_schema
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| Some((k["KeyType"] != "HASH", k["AttributeName"].as_str()?.into())))
        .collect();
    keys.sort_by_key(|(range, _)| *range);
    keys.into_iter().map(|(_, n)| n).collect()
}

impl Schema {
    /// From a DescribeTable answer's `Table`.
    pub fn of(table: &Value) -> Schema {
        let mut indexes: Vec<(String, Vec<String>)> =
            ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                .iter()
                .filter_map(|m| table[*m].as_array())
                .flatten()
                .filter_map(|i| {
                    Some((i["IndexName"].as_str()?.into(), hash_first(&i["KeySchema"])))
                })
                .collect();
        indexes.sort();
        let types = super::attribute_types(table);
        Schema {
            keys: hash_first(&table["KeySchema"]),
            indexes,
            types,
        }
    }

    fn type_of(&self, attr: &str) -> &str {
        self.types.get(attr).map_or("", String::as_str)
    }

    /// The first index by name keyed on `attr`.
    fn first_index_on(&self, attr: &str) -> Option<&str> {
        self.indexes
            .iter()
            .find(|(_, keys)| keys.iter().any(|k| k == attr))
            .map(|(n, _)| n.as_str())
    }
}

/// An attribute value's type (`S`, `L`, ...).
fn type_of(v: &Value) -> Option<&str> {
    v.as_object()?.keys().next().map(String::as_str)
}

/// A lookup key with other attributes than the table's key, or a value not of its type.
fn key_fault(key: &Value, s: &Schema) -> Option<String> {
    let key = key.as_object()?;
    let fits = key.len() == s.keys.len()
        && s.keys.iter().all(|k| {
            key.get(k)
                .and_then(type_of)
                .is_some_and(|t| t == s.type_of(k))
        });
    (!fits).then(|| SCHEMA_MISMATCH.to_string())
}

/// The first table key attribute of an item (HASH, then RANGE) given a value of another type
/// (a missing one is left to DynamoDB Local): the attribute and both types.
fn item_key_mismatch<'a>(item: &'a Value, s: &'a Schema) -> Option<(&'a str, &'a str, &'a str)> {
    s.keys.iter().find_map(|k| {
        let got = type_of(item.get(k)?)?;
        let want = s.type_of(k);
        (got != want).then_some((k.as_str(), want, got))
    })
}

/// The first index key value (indexes by name, HASH first) not of the attribute's type.
fn index_fault(value: &dyn Fn(&str) -> Option<Value>, s: &Schema) -> Option<String> {
    s.indexes.iter().find_map(|(name, keys)| {
        keys.iter().find_map(|a| {
            let v = value(a)?;
            let got = type_of(&v)?;
            let want = s.type_of(a);
            (got != want).then(|| {
                format!("{INVALID}Type mismatch for Index Key {a} Expected: {want} Actual: {got} IndexName: {name}")
            })
        })
    })
}

/// The values an update expression's SET assigns straight to top-level attributes
/// (`name = :value`, `#alias` resolved); other actions and operands are left out.
fn set_values(update: &Value) -> HashMap<String, Value> {
    let expr = update["UpdateExpression"].as_str().unwrap_or_default();
    let toks = tokens(expr);
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let ends = |i: usize| match toks.get(i) {
        None | Some(Tok::Punct(',')) => true,
        Some(Tok::Word(w)) => ["REMOVE", "ADD", "DELETE", "SET"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(w)),
        _ => false,
    };
    let mut out = HashMap::new();
    let mut in_set = false;
    let mut at_start = false;
    for i in 0..toks.len() {
        match &toks[i] {
            Tok::Word(w)
                if ["SET", "REMOVE", "ADD", "DELETE"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(w)) =>
            {
                in_set = w.eq_ignore_ascii_case("SET");
                at_start = true;
            }
            Tok::Punct(',') => at_start = in_set,
            Tok::Word(w) if in_set && at_start => {
                at_start = false;
                let (Some(Tok::Punct('=')), Some(v)) = (toks.get(i + 1), word(i + 2)) else {
                    continue;
                };
                if !v.starts_with(':') || !ends(i + 3) {
                    continue;
                }
                let name = match w.strip_prefix('#') {
                    Some(_) => update["ExpressionAttributeNames"][w.as_str()].as_str(),
                    None => Some(w.as_str()),
                };
                let value = &update["ExpressionAttributeValues"][v];
                if let (Some(n), false) = (name, value.is_null()) {
                    out.insert(n.to_string(), value.clone());
                }
            }
            _ => at_start = false,
        }
    }
    out
}

/// The reason AWS cancels one TransactWriteItems action with, if its key values do not fit
/// `s` (`{"Put": {...}}` and the like).
pub fn write_action_fault(action: &Value, s: &Schema) -> Option<String> {
    let (kind, a) = action.as_object()?.iter().next()?;
    match kind.as_str() {
        "Put" => {
            let item = &a["Item"];
            if let Some((k, want, got)) = item_key_mismatch(item, s) {
                return Some(format!(
                    "{INVALID}Type mismatch for key {k} expected: {want} actual: {got}"
                ));
            }
            index_fault(&|n| item.get(n).cloned(), s)
        }
        "Update" => key_fault(&a["Key"], s).or_else(|| {
            let set = set_values(a);
            index_fault(&|n| set.get(n).cloned(), s)
        }),
        "Delete" | "ConditionCheck" => key_fault(&a["Key"], s),
        _ => None,
    }
}

/// The reason AWS cancels one TransactGetItems `Get` with, if its Key does not fit `s`.
pub fn get_action_fault(action: &Value, s: &Schema) -> Option<String> {
    key_fault(&action["Get"]["Key"], s)
}

/// BatchWriteItem's first request (in request order) whose key values do not fit its table's
/// schema: AWS's top-level message.
pub fn batch_write_fault(input: &Value, schemas: &HashMap<String, Schema>) -> Option<String> {
    let tables = input["RequestItems"].as_object()?;
    tables.iter().find_map(|(table, requests)| {
        let s = schemas.get(&super::table_name(&json!(table))?)?;
        requests.as_array()?.iter().find_map(|r| {
            if let Some(item) = r["PutRequest"].get("Item") {
                if item_key_mismatch(item, s).is_some() {
                    return Some(SCHEMA_MISMATCH.to_string());
                }
                index_fault(&|n| item.get(n).cloned(), s)
            } else {
                key_fault(&r["DeleteRequest"]["Key"], s)
            }
        })
    })
}

/// TransactionCanceledException's message and reasons: `faults` per action, `None` where an
/// action has none.
pub fn cancellation(faults: &[Option<String>]) -> Value {
    let codes: Vec<&str> = faults
        .iter()
        .map(|f| {
            if f.is_some() {
                "ValidationError"
            } else {
                "None"
            }
        })
        .collect();
    let reasons: Vec<Value> = faults
        .iter()
        .map(|f| match f {
            Some(m) => json!({"Code": "ValidationError", "Message": m}),
            None => json!({"Code": "None"}),
        })
        .collect();
    json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": format!("{CANCELLED} [{}]", codes.join(", ")),
        "CancellationReasons": reasons,
    })
}

/// The attribute an empty-index-key message names (`... IndexName: <i>, IndexKey: <a>`).
pub fn empty_index_key_attribute(message: &str) -> Option<&str> {
    if !message.starts_with(EMPTY_INDEX_KEY) {
        return None;
    }
    message.rsplit_once(", IndexKey: ").map(|(_, a)| a)
}

/// An empty-index-key message naming, as AWS does, the first index by name keyed on its
/// attribute in `s`; None when `s` has no such index.
pub fn empty_index_key_message(message: &str, s: &Schema) -> Option<String> {
    let attr = empty_index_key_attribute(message)?;
    let (head, _) = message.rsplit_once("IndexName: ")?;
    let index = s.first_index_on(attr)?;
    Some(format!("{head}IndexName: {index}, IndexKey: {attr}"))
}

/// Whether a request's tables have an index keyed on `attr` (to pick the table an
/// empty-index-key message is about).
pub fn has_index_on(s: &Schema, attr: &str) -> bool {
    s.first_index_on(attr).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composite() -> Schema {
        let def = |n: &str| json!({"AttributeName": n, "AttributeType": "S"});
        let key = |h: &str, r: Option<&str>| {
            let mut k = vec![json!({"AttributeName": h, "KeyType": "HASH"})];
            if let Some(r) = r {
                k.push(json!({"AttributeName": r, "KeyType": "RANGE"}));
            }
            Value::Array(k)
        };
        Schema::of(&json!({
            "AttributeDefinitions": [def("pk"), def("sk"), def("lsi1sk"), def("lsi2sk")],
            "KeySchema": key("pk", Some("sk")),
            "LocalSecondaryIndexes": [
                {"IndexName": "lsi1", "KeySchema": key("pk", Some("lsi1sk"))},
                {"IndexName": "lsi2", "KeySchema": key("pk", Some("lsi2sk"))}
            ],
            "GlobalSecondaryIndexes": [
                {"IndexName": "gsi2", "KeySchema": key("lsi1sk", Some("lsi2sk"))},
                {"IndexName": "gsi1", "KeySchema": key("lsi1sk", None)}
            ]
        }))
    }

    #[test]
    fn put_keys_name_the_key_and_index_keys_the_first_index_by_name() {
        let s = composite();
        let put = |item: Value| json!({"Put": {"TableName": "T", "Item": item}});
        assert_eq!(
            write_action_fault(&put(json!({"pk": {"L": []}, "sk": {"S": "a"}})), &s).unwrap(),
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: L"
        );
        assert_eq!(
            write_action_fault(
                &put(json!({"pk": {"S": "a"}, "sk": {"S": "a"}, "lsi1sk": {"N": "5"}})),
                &s
            )
            .unwrap(),
            "One or more parameter values were invalid: Type mismatch for Index Key lsi1sk Expected: S Actual: N IndexName: gsi1"
        );
        assert_eq!(
            write_action_fault(&put(json!({"pk": {"S": "a"}, "sk": {"S": "a"}})), &s),
            None
        );
    }

    #[test]
    fn lookup_keys_do_not_match_the_schema() {
        let s = composite();
        let del = |key: Value| json!({"Delete": {"TableName": "T", "Key": key}});
        for key in [
            json!({"pk": {"N": "5"}, "sk": {"S": "a"}}),
            json!({"pk": {"M": {}}, "sk": {"S": "a"}}),
            json!({"pk": {"S": "a"}}),
            json!({}),
        ] {
            assert_eq!(
                write_action_fault(&del(key), &s).as_deref(),
                Some(SCHEMA_MISMATCH)
            );
        }
        let get = json!({"Get": {"TableName": "T", "Key": {}}});
        assert_eq!(get_action_fault(&get, &s).as_deref(), Some(SCHEMA_MISMATCH));
    }

    #[test]
    fn update_set_values_of_index_keys() {
        let s = composite();
        let upd = |expr: &str, v: Value| {
            json!({"Update": {"TableName": "T", "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}},
                "UpdateExpression": expr, "ExpressionAttributeNames": {"#l": "lsi1sk"},
                "ExpressionAttributeValues": {":v": v, ":w": {"S": "x"}}}})
        };
        let want = "One or more parameter values were invalid: Type mismatch for Index Key lsi1sk Expected: S Actual: L IndexName: gsi1";
        for expr in [
            "SET lsi1sk = :v",
            "set a = :w, #l = :v REMOVE b",
            "REMOVE b SET #l = :v",
        ] {
            assert_eq!(
                write_action_fault(&upd(expr, json!({"L": []})), &s).as_deref(),
                Some(want),
                "{expr}"
            );
        }
        // An operand that is not a bare value is not judged here.
        assert_eq!(
            write_action_fault(&upd("SET lsi1sk = :v + :w", json!({"N": "1"})), &s),
            None
        );
    }

    #[test]
    fn batch_writes_answer_the_first_fault_in_request_order() {
        let input = |reqs: Value| json!({"RequestItems": {"T": reqs}});
        let schemas = HashMap::from([("T".to_string(), composite())]);
        let find = |reqs: Value| batch_write_fault(&input(reqs), &schemas);
        assert_eq!(
            find(json!([{"PutRequest": {"Item": {"pk": {"L": []}, "sk": {"S": "a"}}}}])).as_deref(),
            Some(SCHEMA_MISMATCH)
        );
        assert_eq!(
            find(json!([{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "a"}, "lsi2sk": {"N": "1"}}}}]))
                .unwrap(),
            "One or more parameter values were invalid: Type mismatch for Index Key lsi2sk Expected: S Actual: N IndexName: gsi2"
        );
        assert_eq!(
            find(json!([{"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"S": "a"}}}}])),
            None
        );
    }

    #[test]
    fn cancellations_list_every_action() {
        let v = cancellation(&[None, Some("m".into())]);
        assert_eq!(
            v["message"],
            "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]"
        );
        assert_eq!(
            v["CancellationReasons"],
            json!([{"Code": "None"}, {"Code": "ValidationError", "Message": "m"}])
        );
    }

    #[test]
    fn empty_index_keys_name_the_first_index_by_name() {
        let s = composite();
        let m = "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: lsi1, IndexKey: lsi1sk";
        assert_eq!(
            empty_index_key_message(m, &s).unwrap(),
            m.replace("IndexName: lsi1", "IndexName: gsi1")
        );
        assert_eq!(empty_index_key_attribute("other"), None);
    }
}
