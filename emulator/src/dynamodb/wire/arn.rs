//! DynamoDB Local writes `arn:aws:dynamodb:ddblocal:000000000000:`; callers see their own
//! account and region, and their ARNs are mapped back before forwarding.

use bytes::Bytes;
use serde_json::Value;

const LOCAL: &str = "arn:aws:dynamodb:ddblocal:000000000000:";

fn replace(body: Bytes, from: &str, to: &str) -> Bytes {
    let hay = body.as_ref();
    let needle = from.as_bytes();
    if memchr::memmem::find(hay, needle).is_none() {
        return body;
    }
    match std::str::from_utf8(hay) {
        Ok(s) => Bytes::from(s.replace(from, to)),
        Err(_) => body,
    }
}

pub fn to_caller(body: Bytes, account: &str, region: &str) -> Bytes {
    replace(
        body,
        LOCAL,
        &format!("arn:aws:dynamodb:{region}:{account}:"),
    )
}

pub fn to_backend(body: Bytes, account: &str, region: &str) -> Bytes {
    replace(
        body,
        &format!("arn:aws:dynamodb:{region}:{account}:"),
        LOCAL,
    )
}

/// DynamoDB Local's stream records name its placeholder region (`"awsRegion":"ddblocal"`);
/// AWS's name the region of the table, which is the caller's (the stream ARN read is theirs).
/// The key-value pair cannot come from an item: item attributes are typed (`{"S": ...}`).
pub fn records_to_caller(body: Bytes, region: &str) -> Bytes {
    replace(
        body,
        r#""awsRegion":"ddblocal""#,
        &format!(r#""awsRegion":"{region}""#),
    )
}

/// The plain table name of a table ARN (`arn:aws:dynamodb:r:a:table/T[/...]`).
pub fn table_of(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("arn:")?.split_once(":table/")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// AWS accepts a table ARN wherever a table name goes; DynamoDB Local does not everywhere
/// (transactions refuse it). Rewrites the request to plain names and returns, for batch
/// operations, which names the caller gave as ARNs so the response can name them as given.
pub fn names_for_backend(input: &Value) -> (Value, Vec<(String, String)>) {
    let mut v = input.clone();
    let mut given = vec![];
    if let Some(t) = v.get_mut("TableName") {
        to_name(t);
    }
    if let Some(items) = v.get_mut("TransactItems").and_then(Value::as_array_mut) {
        for item in items {
            if let Some(ops) = item.as_object_mut() {
                for op in ops.values_mut() {
                    if let Some(t) = op.get_mut("TableName") {
                        to_name(t);
                    }
                }
            }
        }
    }
    if let Some(req) = v.get_mut("RequestItems").and_then(Value::as_object_mut) {
        let arns: Vec<String> = req
            .keys()
            .filter(|k| table_of(k).is_some())
            .cloned()
            .collect();
        for arn in arns {
            let name = table_of(&arn).unwrap_or_default().to_string();
            if let Some(x) = req.remove(&arn) {
                req.insert(name.clone(), x);
            }
            given.push((name, arn));
        }
    }
    (v, given)
}

fn to_name(t: &mut Value) {
    if let Some(n) = t.as_str().and_then(table_of) {
        *t = Value::String(n.to_string());
    }
}

/// Names tables in a batch response's maps as the caller named them in the request.
pub fn names_as_given(out: &mut Value, given: &[(String, String)]) {
    for member in [
        "Responses",
        "UnprocessedKeys",
        "UnprocessedItems",
        "ItemCollectionMetrics",
    ] {
        if let Some(m) = out.get_mut(member).and_then(Value::as_object_mut) {
            for (name, arn) in given {
                if let Some(x) = m.remove(name) {
                    m.insert(arn.clone(), x);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_both_ways() {
        let b =
            Bytes::from_static(br#"{"TableArn":"arn:aws:dynamodb:ddblocal:000000000000:table/T"}"#);
        let c = to_caller(b, "111122223333", "eu-west-1");
        assert_eq!(
            c.as_ref(),
            br#"{"TableArn":"arn:aws:dynamodb:eu-west-1:111122223333:table/T"}"#
        );
        let back = to_backend(c, "111122223333", "eu-west-1");
        assert!(std::str::from_utf8(&back).unwrap().contains(LOCAL));
    }

    #[test]
    fn table_arns_become_names_and_batch_keys_come_back_as_given() {
        let arn = "arn:aws:dynamodb:us-east-1:111122223333:table/T";
        let input = serde_json::json!({
            "TransactItems": [{"Put": {"TableName": arn, "Item": {}}}],
            "RequestItems": {arn: {"Keys": []}, "U": {"Keys": []}},
        });
        let (v, given) = names_for_backend(&input);
        assert_eq!(v["TransactItems"][0]["Put"]["TableName"], "T");
        assert!(v["RequestItems"].get("T").is_some() && v["RequestItems"].get("U").is_some());
        let mut out = serde_json::json!({"Responses": {"T": [], "U": []}, "UnprocessedKeys": {}});
        names_as_given(&mut out, &given);
        assert!(out["Responses"].get(arn).is_some() && out["Responses"].get("U").is_some());
        assert_eq!(table_of("arn:aws:dynamodb:r:1:table/T/stream/x"), Some("T"));
        assert_eq!(table_of("T"), None);
    }

    #[test]
    fn untouched_without_arn() {
        let b = Bytes::from_static(b"{}");
        assert_eq!(to_caller(b.clone(), "1", "r"), b);
        let rec = Bytes::from_static(
            br#"{"Records":[{"eventSource":"aws:dynamodb","awsRegion":"ddblocal","dynamodb":{"NewImage":{"awsRegion":{"S":"ddblocal"}}}}]}"#,
        );
        assert_eq!(
            records_to_caller(rec, "eu-west-1"),
            Bytes::from_static(
                br#"{"Records":[{"eventSource":"aws:dynamodb","awsRegion":"eu-west-1","dynamodb":{"NewImage":{"awsRegion":{"S":"ddblocal"}}}}]}"#
            )
        );
    }
}
