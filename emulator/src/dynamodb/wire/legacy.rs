//! The legacy (non-expression) parameters where DynamoDB Local reads them differently.

use serde_json::Value;

/// An `AttributeUpdates` entry with a `Value` and no `Action` is a PUT: the API reference
/// names PUT the default Action ("PUT (default)"), and AWS writes the value (recorded:
/// nubo-db/dynamodb-conformance tests/tier3/legacy-api/attributeUpdates.test.ts).
/// DynamoDB Local ignores such an entry. Returns the request to send instead, when it differs.
pub fn attribute_updates_default_put(op: &str, input: &Value) -> Option<Value> {
    if op != "UpdateItem" {
        return None;
    }
    let updates = input.get("AttributeUpdates")?.as_object()?;
    let bare = |u: &Value| u.get("Action").is_none() && u.get("Value").is_some();
    if !updates.values().any(bare) {
        return None;
    }
    let mut out = input.clone();
    for u in out["AttributeUpdates"]
        .as_object_mut()?
        .values_mut()
        .filter(|u| bare(u))
    {
        u["Action"] = Value::from("PUT");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_without_an_action_is_a_put() {
        let input = json!({"TableName": "t", "Key": {"pk": {"S": "a"}},
            "AttributeUpdates": {"a": {"Value": {"S": "x"}}, "b": {"Action": "DELETE"}}});
        let out = attribute_updates_default_put("UpdateItem", &input).unwrap();
        assert_eq!(out["AttributeUpdates"]["a"]["Action"], "PUT");
        assert!(out["AttributeUpdates"]["b"].get("Value").is_none());
        assert_eq!(out["AttributeUpdates"]["b"]["Action"], "DELETE");
        let given = json!({"AttributeUpdates": {"a": {"Action": "ADD", "Value": {"N": "1"}}}});
        assert!(attribute_updates_default_put("UpdateItem", &given).is_none());
        assert!(attribute_updates_default_put("PutItem", &input).is_none());
    }
}
