//! ExecuteStatement NextTokens bound to what their SELECT reads. DynamoDB Local's token holds
//! only the last key read, so one minted reading an index continues a read of another index
//! with the same key shape; AWS refuses it (nubo-db/dynamodb-conformance
//! `tests/tier2/partiql/indexQualifier.test.ts`, "rejects a token minted against one index and
//! replayed against another"). The proxy hands out DynamoDB Local's token wrapped
//! with the table and index it was minted on, and unwraps it only for a read of the same.
//! AWS's text for the refusal is not recorded: DynamoDB Local's own for a bad token is used.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use super::partiql::{select_index, select_table};
use crate::protocol::json::JsonError;

const PREFIX: &str = "pq1.";
pub const INVALID: &str = "Invalid NextToken";

/// What a SELECT reads: `table` or `table"."index`; None for another statement.
fn source(statement: &str) -> Option<String> {
    match select_index(statement) {
        Some((t, i)) => Some(format!("{t}\".\"{i}")),
        None => select_table(statement),
    }
}

/// The answer's NextToken wrapped with what the request's SELECT reads.
pub fn wrap(input: &Value, out: &mut Value) {
    let Some(from) = input["Statement"].as_str().and_then(source) else {
        return;
    };
    let Some(token) = out.get("NextToken").and_then(Value::as_str) else {
        return;
    };
    let inner = json!({"from": from, "token": token}).to_string();
    out["NextToken"] = json!(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(inner)));
}

/// The request with DynamoDB Local's token back in place of ours; AWS's refusal when ours was
/// minted reading something else. Tokens not ours are left to DynamoDB Local.
pub fn unwrap(input: &mut Value) -> Result<(), JsonError> {
    let Some(ours) = input["NextToken"]
        .as_str()
        .and_then(|t| t.strip_prefix(PREFIX))
    else {
        return Ok(());
    };
    let inner: Option<Value> = URL_SAFE_NO_PAD
        .decode(ours)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let from = input["Statement"].as_str().and_then(source);
    match inner {
        Some(v) if from.is_some() && v["from"].as_str() == from.as_deref() => {
            input["NextToken"] = v["token"].clone();
            Ok(())
        }
        _ => Err(JsonError::validation(INVALID)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_continues_only_a_read_of_what_minted_it() {
        let on = |s: &str| json!({"Statement": s});
        let mut out = json!({"Items": [], "NextToken": "local"});
        wrap(&on(r#"SELECT * FROM "T"."a" WHERE g = 'y'"#), &mut out);
        let token = out["NextToken"].clone();
        assert!(token.as_str().unwrap().starts_with(PREFIX));
        let mut same = on(r#"SELECT pk FROM "T"."a" WHERE g = 'y'"#);
        same["NextToken"] = token.clone();
        unwrap(&mut same).unwrap();
        assert_eq!(same["NextToken"], "local");
        for other in [
            r#"SELECT * FROM "T"."b" WHERE g = 'y'"#,
            r#"SELECT * FROM "T""#,
        ] {
            let mut v = on(other);
            v["NextToken"] = token.clone();
            assert!(unwrap(&mut v).is_err(), "{other}");
        }
        // DynamoDB Local's own tokens pass through.
        let mut v = on(r#"SELECT * FROM "T""#);
        v["NextToken"] = json!("eyJ");
        unwrap(&mut v).unwrap();
        assert_eq!(v["NextToken"], "eyJ");
    }
}
