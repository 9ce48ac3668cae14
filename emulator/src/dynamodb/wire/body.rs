//! Reads a request body into JSON. AWS reads requests nested well past serde_json's default
//! 128-level limit: a PutItem, DeleteItem or TransactWriteItems carrying a map nested 100
//! levels (about 200 JSON levels) is answered with its validation errors in request order, not
//! refused as unreadable (paritysuite/dynamodb-conformance
//! https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/validation-ordering/deepRequests.test.ts,
//! eu-west-2 and us-east-1, 2026-10). Bodies are read up to `MAX_DEPTH` JSON levels (ours: a
//! bound that keeps every recursive reader on a worker's stack); deeper ones are unreadable.

use serde::Deserialize;
use serde_json::Value;

/// Deepest JSON nesting read (objects and arrays); 255 attribute levels.
pub const MAX_DEPTH: usize = 512;

/// The body as JSON, or `None` when it is not JSON or nests deeper than `MAX_DEPTH`.
pub fn parse(body: &[u8]) -> Option<Value> {
    if depth(body) > MAX_DEPTH {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    de.disable_recursion_limit();
    let v = Value::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(v)
}

/// The deepest bracket nesting outside strings (an over-estimate for malformed input, which
/// the parser refuses anyway).
fn depth(body: &[u8]) -> usize {
    let (mut cur, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &b in body {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                cur += 1;
                max = max.max(cur);
            }
            b'}' | b']' => cur = cur.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        let mut v = r#"{"S":"leaf"}"#.to_string();
        for _ in 0..levels {
            v = format!(r#"{{"M":{{"n":{v}}}}}"#);
        }
        format!(r#"{{"TableName":"t","Item":{{"d":{v}}}}}"#)
    }

    #[test]
    fn reads_past_serde_jsons_default_limit() {
        // 100 map levels: about 200 JSON levels, past serde_json's 128.
        let body = nested(100);
        assert!(serde_json::from_str::<Value>(&body).is_err());
        let v = parse(body.as_bytes()).expect("read");
        assert_eq!(v["TableName"], "t");
    }

    #[test]
    fn refuses_deeper_than_the_bound_and_non_json() {
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_none());
        assert!(parse(b"{\"a\": 1} x").is_none());
        assert!(parse(b"{\"a\": \"[[[[\"}").is_some());
        assert_eq!(depth(br#"{"a":"{{\"{{"}"#), 1);
    }
}
