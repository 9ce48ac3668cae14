//! What the pinned API models say about each operation's input: used to reject unknown
//! operations and missing required members the way AWS does, before anything is forwarded.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::constraints::Constraints;
use super::hand_checks;
use crate::protocol::json::JsonError;

const DYNAMODB_MODEL: &str = include_str!("../../../models/dynamodb.json");
const STREAMS_MODEL: &str = include_str!("../../../models/dynamodbstreams.json");

pub struct Model {
    /// Operation name -> input shape name (every operation of both models has one).
    inputs: HashMap<String, String>,
    shapes: Value,
    constraints: Constraints,
}

fn load(text: &str) -> Model {
    let v: Value = serde_json::from_str(text).expect("embedded model is valid JSON");
    let inputs = v["operations"]
        .as_object()
        .map(|ops| {
            ops.iter()
                .filter_map(|(n, op)| Some((n.clone(), op["input"]["shape"].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Model {
        inputs,
        constraints: Constraints::compile(&v["shapes"]),
        shapes: v["shapes"].clone(),
    }
}

pub fn dynamodb() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| load(DYNAMODB_MODEL))
}

pub fn streams() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| load(STREAMS_MODEL))
}

impl Model {
    pub fn has(&self, op: &str) -> bool {
        self.inputs.contains_key(op)
    }

    #[cfg(test)]
    pub fn operations(&self) -> impl Iterator<Item = &str> {
        self.inputs.keys().map(String::as_str)
    }
}

impl Model {
    /// A member whose JSON type is not its shape's type fails to deserialize, before any
    /// validation: AWS answers 400 SerializationException (a 500 from the backend would make
    /// SDKs retry). Texts as AWS sends them: recorded in public SDK threads ("STRING_VALUE
    /// cannot be converted to Integer", "Start of structure or map found where not expected",
    /// "Start of list found where not expected", "Unexpected field type") and in an open
    /// DynamoDB test suite's per-type table of AWS's answers (TRUE_VALUE / DECIMAL_VALUE forms,
    /// "Unexpected value type in payload" for a scalar list member or map value, the base64
    /// texts of a binary value, "Unexpected token received from parser" for a string boolean).
    pub fn check_types(&self, op: &str, input: &Value) -> Result<(), JsonError> {
        match self.inputs.get(op) {
            Some(shape) => self.types(shape, input, false),
            None => Ok(()),
        }
    }

    /// `element`: `v` is a list member or a map value (AWS words a scalar there differently).
    fn types(&self, shape_name: &str, v: &Value, element: bool) -> Result<(), JsonError> {
        let shape = &self.shapes[shape_name];
        let kind = shape["type"].as_str().unwrap_or("");
        let wrong = |m: &str| Err(serialization_error(m));
        let java = |kind: &str| match kind {
            "integer" => "Integer",
            "long" => "Long",
            "double" => "Double",
            "boolean" => "Boolean",
            _ => "String",
        };
        match (kind, v) {
            (_, Value::Null) => Ok(()),
            ("structure", Value::Object(obj)) => {
                for (name, val) in obj {
                    if let Some(target) = shape["members"][name]["shape"].as_str() {
                        self.types(target, val, false)?;
                    }
                }
                Ok(())
            }
            ("map", Value::Object(obj)) => match shape["value"]["shape"].as_str() {
                Some(target) => obj.values().try_for_each(|x| self.types(target, x, true)),
                None => Ok(()),
            },
            ("list", Value::Array(items)) => match shape["member"]["shape"].as_str() {
                Some(target) => items.iter().try_for_each(|x| self.types(target, x, true)),
                None => Ok(()),
            },
            (_, Value::Object(_)) => wrong("Start of structure or map found where not expected"),
            (_, Value::Array(_)) => wrong("Start of list found where not expected"),
            ("structure", _) if element => wrong("Unexpected value type in payload"),
            ("structure" | "map" | "list", _) => wrong("Unexpected field type"),
            ("blob", Value::String(s)) => match base64_problem(s) {
                Some(m) => wrong(&m),
                None => Ok(()),
            },
            ("blob", _) => wrong("only base-64-encoded strings are convertible to bytes"),
            ("boolean", Value::String(_)) => wrong("Unexpected token received from parser"),
            ("integer" | "long" | "double", Value::String(_)) => wrong(&format!(
                "STRING_VALUE cannot be converted to {}",
                java(kind)
            )),
            ("string" | "integer" | "long" | "double" | "boolean", Value::Bool(b)) => {
                if kind == "boolean" {
                    return Ok(());
                }
                let token = if *b { "TRUE_VALUE" } else { "FALSE_VALUE" };
                wrong(&format!("{token} cannot be converted to {}", java(kind)))
            }
            ("string" | "boolean", Value::Number(n)) => {
                let token = if n.is_f64() {
                    "DECIMAL_VALUE"
                } else {
                    "NUMBER_VALUE"
                };
                wrong(&format!("{token} cannot be converted to {}", java(kind)))
            }
            // A whole number the member's type cannot hold (DynamoDB Local failed with a 500);
            // the text follows the form of the others.
            ("integer", Value::Number(n))
                if !n.is_f64() && n.as_i64().is_none_or(|i| i32::try_from(i).is_err()) =>
            {
                wrong("NUMBER_VALUE cannot be converted to Integer")
            }
            ("long", Value::Number(n)) if !n.is_f64() && n.as_i64().is_none() => {
                wrong("NUMBER_VALUE cannot be converted to Long")
            }
            _ => Ok(()),
        }
    }
}

/// Why AWS cannot decode `s` as base64, in its words.
fn base64_problem(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(4) {
        return Some(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            s.len()
        ));
    }
    let body = s.trim_end_matches('=');
    let valid = s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    (!valid).then(|| "Invalid last non-pad Base64 character dectected".to_string())
}

/// SerializationException, as DynamoDB names it.
fn serialization_error(message: &str) -> JsonError {
    JsonError {
        status: axum::http::StatusCode::BAD_REQUEST,
        type_name: "com.amazon.coral.service#SerializationException".into(),
        message: message.into(),
    }
}

impl Model {
    /// Every constraint of the model on the input (required members, lengths, ranges, enums,
    /// patterns, nested members), AWS's texts in AWS's order, in one ValidationException.
    pub fn check_constraints(&self, op: &str, input: &Value) -> Result<(), JsonError> {
        let Some(shape) = self.inputs.get(op) else {
            return Ok(());
        };
        if let Some(text) = hand_checks::check(op, input) {
            return Err(validation(text));
        }
        let errors = self
            .constraints
            .violations(shape, input, hand_checks::replaced(op));
        if errors.is_empty() {
            return match hand_checks::cross_member(op, input) {
                Some(text) => Err(validation(text)),
                None => Ok(()),
            };
        }
        let n = errors.len();
        Err(validation(format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            errors.join("; ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_62_operations_are_known() {
        assert_eq!(dynamodb().operations().count(), 62);
        assert_eq!(streams().operations().count(), 4);
    }

    fn refusal(op: &str, input: serde_json::Value) -> String {
        dynamodb()
            .check_constraints(op, &input)
            .unwrap_err()
            .message
    }

    #[test]
    fn batch_get_table_name_keys_join_the_other_members() {
        // https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/validation-ordering/batchOperations.test.ts
        let keys = "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";
        let rcc = "Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]";
        assert_eq!(
            refusal(
                "BatchGetItem",
                serde_json::json!({"RequestItems": {"bad!name": {"Keys": [{"pk": {"S": "a"}}]}}, "ReturnConsumedCapacity": "BOGUS"})
            ),
            format!("2 validation errors detected: Value '{{\"bad!name\":{{\"Keys\":[{{\"pk\":{{\"S\":\"a\"}}}}]}}}}' at 'requestItems' failed to satisfy constraint: {keys}; {rcc}")
        );
        // BatchWriteItem reports the enum alone; a table ARN key is not a table name.
        assert_eq!(
            refusal(
                "BatchWriteItem",
                serde_json::json!({"RequestItems": {"bad!name": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}, "ReturnConsumedCapacity": "BOGUS"})
            ),
            format!("1 validation error detected: {rcc}")
        );
        assert!(dynamodb()
            .check_constraints(
                "BatchGetItem",
                &serde_json::json!({"RequestItems": {"arn:aws:dynamodb:us-east-1:1:table/T": {"Keys": [{}]}, "Music.v2": {"Keys": [{}]}}})
            )
            .is_ok());
    }

    #[test]
    fn table_key_schema_holds_two_elements() {
        // nubo-db/dynamodb-conformance tests/tier3/error-messages/createTable.test.ts
        let e = |n: &str| serde_json::json!({"AttributeName": n, "KeyType": if n == "pk" {"HASH"} else {"RANGE"}});
        let input = serde_json::json!({"TableName": "three", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [], "KeySchema": [e("pk"), e("sk"), e("extra")]});
        assert_eq!(
            refusal("CreateTable", input),
            "1 validation error detected: Value '[KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement(attributeName=sk, keyType=RANGE), KeySchemaElement(attributeName=extra, keyType=RANGE)]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2"
        );
        // An index key schema keeps the model's bounds (multi-attribute keys).
        let gsi = serde_json::json!({"TableName": "three", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [], "KeySchema": [e("pk")],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": [e("pk"), e("sk"), e("extra")], "Projection": {"ProjectionType": "ALL"}}]});
        assert!(dynamodb().check_constraints("CreateTable", &gsi).is_ok());
    }

    #[test]
    fn constraints_use_corals_messages() {
        let e = dynamodb()
            .check_constraints(
                "CreateBackup",
                &serde_json::json!({"TableName": "Music", "BackupName": "ab", "Limit": 1}),
            )
            .unwrap_err();
        assert!(
            e.message.starts_with("1 validation error detected"),
            "{}",
            e.message
        );
        assert!(e.message.contains("Value 'ab' at 'backupName' failed to satisfy constraint: Member must have length greater than or equal to 3"), "{}", e.message);
        let e = dynamodb()
            .check_constraints(
                "ListBackups",
                &serde_json::json!({"Limit": 0, "BackupType": "NOPE"}),
            )
            .unwrap_err();
        assert!(e.message.contains("at 'limit'"), "{}", e.message);
        assert!(e.message.contains("enum value set"), "{}", e.message);
        assert!(dynamodb()
            .check_constraints(
                "CreateBackup",
                &serde_json::json!({"TableName": "Music", "BackupName": "b-1"})
            )
            .is_ok());
    }

    #[test]
    fn missing_required_members_are_named() {
        let e = dynamodb()
            .check_constraints("GetItem", &serde_json::json!({}))
            .unwrap_err();
        assert!(
            e.message.starts_with("2 validation errors detected"),
            "{}",
            e.message
        );
        assert!(e.message.contains("'tableName'"));
        assert!(e.message.contains("'key'"));
        assert!(dynamodb()
            .check_constraints(
                "GetItem",
                &serde_json::json!({"TableName": "Music", "Key": {}})
            )
            .is_ok());
    }
}
