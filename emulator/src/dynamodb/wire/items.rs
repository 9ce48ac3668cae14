//! What a data-plane write names: its tables and item keys (pure; no I/O).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::{str_of, table_name};

pub fn is_write(op: &str) -> bool {
    matches!(
        op,
        "PutItem"
            | "UpdateItem"
            | "DeleteItem"
            | "BatchWriteItem"
            | "TransactWriteItems"
            | "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction"
    )
}

/// Key attributes of `item` in key-schema order: a stable identity for the item.
pub fn key_of(item: &Value, key_schema: &Value) -> Value {
    let mut m = Map::new();
    for k in key_schema.as_array().into_iter().flatten() {
        if let Some(n) = k["AttributeName"].as_str() {
            if let Some(v) = item.get(n) {
                m.insert(n.to_string(), v.clone());
            }
        }
    }
    Value::Object(m)
}

pub fn key_string(item: &Value, key_schema: &Value) -> String {
    key_of(item, key_schema).to_string()
}

/// What a write touched: per table, the keys (or items) named, or None when only a whole
/// table resync can tell (PartiQL).
#[derive(Default)]
pub struct Touched {
    pub keys: BTreeMap<String, Vec<Value>>,
    pub whole: BTreeSet<String>,
}

impl Touched {
    fn key(&mut self, table: Option<String>, k: &Value) {
        if let Some(t) = table {
            if k.is_object() {
                self.keys.entry(t).or_default().push(k.clone());
            }
        }
    }
}

/// Table named by a PartiQL write (`INSERT INTO "T"`, `UPDATE "T"`, `DELETE FROM "T"`).
pub fn partiql_table(stmt: &str) -> Option<String> {
    let words: Vec<&str> = stmt.split_whitespace().collect();
    let first = words.first()?.to_ascii_uppercase();
    let raw = match first.as_str() {
        "INSERT" | "DELETE" => words.get(2)?,
        "UPDATE" => words.get(1)?,
        _ => return None,
    };
    let name = raw.trim_matches(|c| c == '"' || c == '\'');
    let name = name.split('.').next().unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

pub fn touched(op: &str, input: &Value) -> Touched {
    let mut t = Touched::default();
    match op {
        "PutItem" => t.key(table_name(&input["TableName"]), &input["Item"]),
        "UpdateItem" | "DeleteItem" => t.key(table_name(&input["TableName"]), &input["Key"]),
        "BatchWriteItem" => {
            for (table, reqs) in input["RequestItems"].as_object().into_iter().flatten() {
                for r in reqs.as_array().into_iter().flatten() {
                    let k = r["PutRequest"]["Item"]
                        .as_object()
                        .map(|_| &r["PutRequest"]["Item"])
                        .unwrap_or(&r["DeleteRequest"]["Key"]);
                    t.key(table_name(&json!(table)), k);
                }
            }
        }
        "TransactWriteItems" => {
            for item in input["TransactItems"].as_array().into_iter().flatten() {
                if let Some(p) = item.get("Put") {
                    t.key(table_name(&p["TableName"]), &p["Item"]);
                }
                for op in ["Update", "Delete"] {
                    if let Some(p) = item.get(op) {
                        t.key(table_name(&p["TableName"]), &p["Key"]);
                    }
                }
            }
        }
        "ExecuteStatement" => {
            if let Some(n) = str_of(input, "Statement").and_then(partiql_table) {
                t.whole.insert(n);
            }
        }
        "BatchExecuteStatement" | "ExecuteTransaction" => {
            let list = input["Statements"]
                .as_array()
                .or_else(|| input["TransactStatements"].as_array());
            for s in list.into_iter().flatten() {
                if let Some(n) = str_of(s, "Statement").and_then(partiql_table) {
                    t.whole.insert(n);
                }
            }
        }
        _ => {}
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partiql_tables() {
        assert_eq!(
            partiql_table(r#"INSERT INTO "Music" VALUE {'a': 1}"#).as_deref(),
            Some("Music")
        );
        assert_eq!(
            partiql_table(r#"update Music SET x=1 WHERE a='b'"#).as_deref(),
            Some("Music")
        );
        assert_eq!(
            partiql_table(r#"DELETE FROM "T" WHERE a='b'"#).as_deref(),
            Some("T")
        );
        assert_eq!(partiql_table("SELECT * FROM T"), None);
    }

    #[test]
    fn keys_follow_the_schema_order() {
        let ks = json!([{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]);
        let i1 = json!({"b": {"S": "2"}, "x": {"N": "1"}, "a": {"S": "1"}});
        let i2 = json!({"a": {"S": "1"}, "b": {"S": "2"}});
        assert_eq!(key_string(&i1, &ks), key_string(&i2, &ks));
    }

    #[test]
    fn batch_writes_name_every_key() {
        let input = json!({"RequestItems": {"T": [
            {"PutRequest": {"Item": {"a": {"S": "1"}}}},
            {"DeleteRequest": {"Key": {"a": {"S": "2"}}}}
        ]}});
        let t = touched("BatchWriteItem", &input);
        assert_eq!(t.keys["T"].len(), 2);
    }
}
