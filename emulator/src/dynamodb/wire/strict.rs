//! SearchVectors reads its body with a strict deserializer before any member is checked, as
//! AWS was recorded answering (paritysuite/dynamodb-conformance,
//! `tests/tier3/error-messages/searchVectors.test.ts`, eu-west-2 and us-east-1, 2026-10): an
//! explicit `null` for a member, or a member of the wrong JSON type, is a
//! SerializationException quoting the deserializer (`invalid type: null, expected a string at
//! line 1 column N`); a missing required member is a ValidationException naming it (`missing
//! field `TableName` at line 1 column N`), before any constraint check.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::model::validation;
use crate::protocol::json::JsonError;

/// The members AWS's deserializer reads, with the types its messages name (required ones
/// without `Option`, so a `null` is refused; optional ones accept `null` as absent).
#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct SearchVectorsInput {
    TableName: String,
    IndexName: String,
    SearchVector: Vec<IgnoredAny>,
    TopK: i32,
    SearchConditionExpression: Option<String>,
    ProjectionExpression: Option<String>,
    ReturnConsumedCapacity: Option<String>,
    ExpressionAttributeNames: Option<IgnoredAny>,
    ExpressionAttributeValues: Option<IgnoredAny>,
}

/// AWS's answer for a SearchVectors body its deserializer refuses.
pub fn search_vectors(body: &[u8]) -> Result<(), JsonError> {
    match serde_json::from_slice::<SearchVectorsInput>(body) {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().starts_with("missing field") => Err(validation(e.to_string())),
        Err(e) => Err(JsonError::coral("SerializationException", e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> (String, String) {
        let e = search_vectors(body.as_bytes()).unwrap_err();
        (e.type_name, e.message)
    }

    #[test]
    fn nulls_and_missing_members_get_the_deserializers_texts() {
        let ok = r#"{"TableName":"t","IndexName":"vix","SearchVector":[{"N":"1"}],"TopK":1}"#;
        assert!(search_vectors(ok.as_bytes()).is_ok());
        let null =
            |m: &str| answer(&ok.replace(&format!("\"{m}\":"), &format!("\"{m}\":null,\"x\":")));
        let (t, m) = null("IndexName");
        assert!(t.ends_with("#SerializationException"), "{t}");
        assert!(
            m.starts_with("invalid type: null, expected a string at line 1 column "),
            "{m}"
        );
        assert!(null("SearchVector")
            .1
            .starts_with("invalid type: null, expected a sequence at line 1 column "));
        assert!(null("TopK")
            .1
            .starts_with("invalid type: null, expected i32 at line 1 column "));
        let (t, m) = answer(r#"{"IndexName":"ab","SearchVector":[{"N":"1"}],"TopK":1}"#);
        assert!(t.ends_with("#ValidationException"), "{t}");
        assert!(
            m.starts_with("missing field `TableName` at line 1 column "),
            "{m}"
        );
        // Optional members may be null.
        let with_null = ok.replace("\"TopK\":1", "\"TopK\":1,\"ProjectionExpression\":null");
        assert!(search_vectors(with_null.as_bytes()).is_ok());
    }
}
