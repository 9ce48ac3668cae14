//! Index-qualified PartiQL SELECTs whose WHERE names attributes the index does not project:
//! refused when keyed on the index, else sent so that those attributes read as missing
//! (`wire::partiql_index`). One DescribeTable per such statement, for the index's keys and
//! projection.

use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::wire::partiql::select_index;
use crate::dynamodb::wire::partiql_index::{key_names, strings, unprojected_filter, Filter, Index};
use crate::protocol::json::JsonError;

/// The HASH attribute of a key schema.
fn hash_of(schema: &Value) -> Option<&str> {
    schema.as_array()?.iter().find(|k| k["KeyType"] == "HASH")?["AttributeName"].as_str()
}

impl DynamoDb {
    /// ExecuteStatement's input as it is to be sent (None: unchanged), or AWS's refusal.
    pub(in crate::dynamodb) async fn index_filter(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<Option<Value>, JsonError> {
        let statement = input["Statement"].as_str().unwrap_or_default();
        let Some((table, index)) = select_index(statement) else {
            return Ok(None);
        };
        if !statement.to_ascii_lowercase().contains("where") {
            return Ok(None);
        }
        let Ok(out) = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
        else {
            return Ok(None);
        };
        let t = &out["Table"];
        let Some(ix) = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
            .iter()
            .filter_map(|m| t[*m].as_array())
            .flatten()
            .find(|i| i["IndexName"] == index.as_str())
        else {
            return Ok(None);
        };
        let projection = &ix["Projection"];
        if projection["ProjectionType"] == "ALL" {
            return Ok(None);
        }
        let Some(hash) = hash_of(&ix["KeySchema"]) else {
            return Ok(None);
        };
        let mut held = key_names(&t["KeySchema"]);
        held.extend(key_names(&ix["KeySchema"]));
        held.extend(strings(&projection["NonKeyAttributes"]));
        let projects = |n: &str| held.iter().any(|h| h == n);
        let index = Index {
            name: &index,
            hash,
            projects: &projects,
        };
        match unprojected_filter(statement, &index) {
            Filter::Keep => Ok(None),
            Filter::Refuse(message) => Err(JsonError::validation(message)),
            Filter::Rewrite(s, dropped) => {
                let mut sent = input.clone();
                sent["Statement"] = json!(s);
                if let Some(params) = sent["Parameters"].as_array_mut() {
                    let mut i = 0;
                    params.retain(|_| {
                        i += 1;
                        !dropped.contains(&(i - 1))
                    });
                }
                if sent["Parameters"].as_array().is_some_and(Vec::is_empty) {
                    sent.as_object_mut().map(|o| o.remove("Parameters"));
                }
                Ok(Some(sent))
            }
        }
    }
}
