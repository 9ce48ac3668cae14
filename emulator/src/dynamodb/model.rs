//! What the pinned API models say about each operation's input: used to reject unknown
//! operations and missing required members the way AWS does, before anything is forwarded.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::protocol::json::JsonError;

const DYNAMODB_MODEL: &str = include_str!("../../models/dynamodb.json");
const STREAMS_MODEL: &str = include_str!("../../models/dynamodbstreams.json");

pub struct Model {
    /// Operation name -> required top-level input members.
    required: HashMap<String, Vec<String>>,
}

fn parse(text: &str) -> HashMap<String, Vec<String>> {
    let v: Value = serde_json::from_str(text).expect("embedded model is valid JSON");
    let shapes = &v["shapes"];
    let mut out = HashMap::new();
    if let Some(ops) = v["operations"].as_object() {
        for (name, op) in ops {
            let required = op["input"]["shape"]
                .as_str()
                .and_then(|s| shapes[s]["required"].as_array())
                .map(|r| {
                    r.iter()
                        .filter_map(|m| m.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.insert(name.clone(), required);
        }
    }
    out
}

pub fn dynamodb() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| Model {
        required: parse(DYNAMODB_MODEL),
    })
}

pub fn streams() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| Model {
        required: parse(STREAMS_MODEL),
    })
}

impl Model {
    pub fn has(&self, op: &str) -> bool {
        self.required.contains_key(op)
    }

    #[cfg(test)]
    pub fn operations(&self) -> impl Iterator<Item = &str> {
        self.required.keys().map(String::as_str)
    }

    /// Coral's message for missing required members, e.g.
    /// `1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null`.
    pub fn check_required(&self, op: &str, input: &Value) -> Result<(), JsonError> {
        let Some(required) = self.required.get(op) else {
            return Ok(());
        };
        let missing: Vec<String> = required
            .iter()
            .filter(|m| input.get(m.as_str()).is_none_or(Value::is_null))
            .map(|m| {
                format!(
                    "Value null at '{}' failed to satisfy constraint: Member must not be null",
                    lower_first(m)
                )
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let n = missing.len();
        Err(validation(format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            missing.join("; ")
        )))
    }
}

/// ValidationException in the namespace DynamoDB uses for input validation.
pub fn validation(message: impl Into<String>) -> JsonError {
    JsonError {
        status: axum::http::StatusCode::BAD_REQUEST,
        type_name: "com.amazon.coral.validate#ValidationException".into(),
        message: message.into(),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_57_operations_are_known() {
        assert_eq!(dynamodb().operations().count(), 57);
        assert_eq!(streams().operations().count(), 4);
    }

    #[test]
    fn missing_required_members_are_named() {
        let e = dynamodb()
            .check_required("GetItem", &serde_json::json!({}))
            .unwrap_err();
        assert!(
            e.message.starts_with("2 validation errors detected"),
            "{}",
            e.message
        );
        assert!(e.message.contains("'tableName'"));
        assert!(e.message.contains("'key'"));
        assert!(dynamodb()
            .check_required("GetItem", &serde_json::json!({"TableName": "t", "Key": {}}))
            .is_ok());
    }
}
