//! The wire contract, with no state and no I/O: model checks (`model`, `validate`), AWS's error
//! answers (`errors`), ARNs both ways (`arn`), what a write names (`items`) and the members AWS
//! adds to an answer (`patch`, `updated`), PartiQL as AWS reads it (`partiql`; index-qualified reads, `partiql_index`; NextTokens bound to their read, `partiql_tokens`), the body reader (`body`), request values as AWS's Java service echoes them (`java_print`), SearchVectors' strict body reader (`strict`), attribute values by the layer that checks them (`values`), UpdateItem's statement charge (`update_size`), legacy parameters as AWS reads them (`legacy`), key values checked against the tables' schemas in batch writes and transactions (`key_faults`); below, the small readers and error builders every layer uses.

pub mod arn;
pub mod body;
pub mod constraints;
pub mod errors;
pub mod hand_checks;
pub mod items;
pub mod java_print;
pub mod key_faults;
pub mod legacy;
pub mod model;
pub mod partiql;
pub mod partiql_index;
pub mod partiql_tokens;
pub mod patch;
pub mod strict;
pub mod update_size;
pub mod updated;
pub mod validate;
pub mod values;

use serde_json::Value;

use crate::protocol::json::JsonError;

pub const DYNAMODB_PREFIX: &str = "DynamoDB_20120810";
pub const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810";

pub type OpResult = Result<Value, JsonError>;

/// A DynamoDB error (`com.amazonaws.dynamodb.v20120810#Code`, HTTP 400).
pub fn ddb_err(code: &str, message: impl Into<String>) -> JsonError {
    JsonError::dynamodb(code, message)
}

pub fn validation(message: impl Into<String>) -> JsonError {
    model::validation(message)
}

pub fn table_not_found(name: &str) -> JsonError {
    ddb_err(
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {name} not found"),
    )
}

/// Table name from a `TableName` member that may also be a table ARN.
pub fn table_name(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    Some(match s.split_once(":table/") {
        Some((_, rest)) if s.starts_with("arn:") => rest.split('/').next().unwrap_or(rest).into(),
        _ => s.into(),
    })
}

/// A table description's attribute definitions, name to type (`S`, `N`, `B`).
pub fn attribute_types<C: FromIterator<(String, String)>>(table: &Value) -> C {
    table["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some((
                d["AttributeName"].as_str()?.to_string(),
                d["AttributeType"].as_str()?.to_string(),
            ))
        })
        .collect()
}

pub fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// True when `needle` occurs in `hay` (a vectorized scan; no parse on the hot path).
pub fn memchr(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}
