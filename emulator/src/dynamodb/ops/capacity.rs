//! The provisioned-capacity model, opt-in (`--enforce-capacity`): a provisioned table throttles
//! reads and writes beyond its capacity units as AWS does, so applications can test their
//! back-off. On-demand tables are never throttled here.
//!
//! Per table, one token bucket for reads and one for writes: refilled at the provisioned units
//! per second and holding up to 300 seconds of unused capacity (AWS's burst capacity: "DynamoDB
//! currently retains up to five minutes (300 seconds) of unused read and write capacity",
//! Developer Guide, burst capacity). A request is admitted while its tables have a whole unit
//! left; what it consumed is then charged (DynamoDB Local counts units by AWS's item-size rules,
//! so the proxy asks it for `ConsumedCapacity` and leaves it out of the answer when the caller
//! did not ask). Not modelled: global secondary index capacity, PartiQL statements, the
//! capacity that failed conditional writes consume.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::state::Bucket;
use crate::dynamodb::wire::table_name;
use crate::protocol::json::json_response;

/// What an admitted request must do once answered.
pub struct Admitted {
    write: bool,
    /// The caller did not ask for ConsumedCapacity: leave it out of the answer.
    strip: bool,
}

/// The tables a data-plane request reads (false) or writes (true); None for operations the
/// model does not cover.
fn tables_of(op: &str, input: &Value) -> Option<(bool, Vec<String>)> {
    let names = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    let transact = |kinds: &[&str]| {
        input["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| kinds.iter().filter_map(|k| table_name(&i[*k]["TableName"])))
            .collect::<Vec<_>>()
    };
    Some(match op {
        "GetItem" | "Query" | "Scan" => (false, vec![table_name(&input["TableName"])?]),
        "PutItem" | "UpdateItem" | "DeleteItem" => (true, vec![table_name(&input["TableName"])?]),
        "BatchGetItem" => (false, names(&input["RequestItems"])?),
        "BatchWriteItem" => (true, names(&input["RequestItems"])?),
        "TransactGetItems" => (false, transact(&["Get"])),
        "TransactWriteItems" => (
            true,
            transact(&["Put", "Update", "Delete", "ConditionCheck"]),
        ),
        _ => return None,
    })
}

impl DynamoDb {
    /// Before a request is forwarded: None when it is not metered; else the request as it is
    /// to be sent (asking for ConsumedCapacity), or AWS's throttling answer.
    pub(in crate::dynamodb) async fn admit(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
    ) -> Option<Result<(Admitted, Value), Response>> {
        let buckets = self.capacity.as_ref()?;
        let (write, tables) = tables_of(op, input)?;
        for t in &tables {
            let key = (ctx.account.clone(), ctx.region.clone(), t.to_string());
            let known = buckets.tables.lock().unwrap().contains_key(&key);
            if !known {
                let rates = self.provisioned_rates(ctx, t).await;
                buckets
                    .tables
                    .lock()
                    .unwrap()
                    .entry(key.clone())
                    .or_insert_with(|| rates.map(|(r, w)| [Bucket::new(r), Bucket::new(w)]));
            }
            let mut all = buckets.tables.lock().unwrap();
            let Some(Some(pair)) = all.get_mut(&key) else {
                continue;
            };
            let b = &mut pair[usize::from(write)];
            b.refill();
            if b.tokens < 1.0 {
                return Some(Err(throttled(ctx, t, write)));
            }
        }
        let asked = input["ReturnConsumedCapacity"]
            .as_str()
            .is_some_and(|v| v != "NONE");
        let mut sent = input.clone();
        if !asked {
            sent["ReturnConsumedCapacity"] = json!("TOTAL");
        }
        Some(Ok((
            Admitted {
                write,
                strip: !asked,
            },
            sent,
        )))
    }

    /// After a successful answer: charges what it consumed; the answer without the
    /// ConsumedCapacity the caller did not ask for.
    pub(in crate::dynamodb) fn charge(
        &self,
        ctx: &RequestContext,
        admitted: &Admitted,
        body: Bytes,
    ) -> Bytes {
        let Some(buckets) = self.capacity.as_ref() else {
            return body;
        };
        let Ok(mut v) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        let used: Vec<(String, f64)> = match &v["ConsumedCapacity"] {
            Value::Array(list) => list.iter().filter_map(units).collect(),
            c @ Value::Object(_) => units(c).into_iter().collect(),
            _ => vec![],
        };
        {
            let mut all = buckets.tables.lock().unwrap();
            for (t, n) in used {
                let key = (ctx.account.clone(), ctx.region.clone(), t);
                if let Some(Some(pair)) = all.get_mut(&key) {
                    let b = &mut pair[usize::from(admitted.write)];
                    b.refill();
                    b.tokens -= n;
                }
            }
        }
        if !admitted.strip {
            return body;
        }
        if let Some(o) = v.as_object_mut() {
            o.remove("ConsumedCapacity");
        }
        Bytes::from(v.to_string())
    }

    /// A table's provisioned read and write units; None for on-demand (or unknown) tables.
    async fn provisioned_rates(&self, ctx: &RequestContext, table: &str) -> Option<(f64, f64)> {
        let d = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
            .ok()?;
        let pt = &d["Table"]["ProvisionedThroughput"];
        let (r, w) = (
            pt["ReadCapacityUnits"].as_f64()?,
            pt["WriteCapacityUnits"].as_f64()?,
        );
        (r > 0.0 && w > 0.0).then_some((r, w))
    }
}

fn units(c: &Value) -> Option<(String, f64)> {
    Some((table_name(&c["TableName"])?, c["CapacityUnits"].as_f64()?))
}

/// AWS's answer when a provisioned table's capacity is exhausted (API reference:
/// ProvisionedThroughputExceededException and ThrottlingReason, `Table` + `Read`/`Write` +
/// `ProvisionedThroughputExceeded`, the resource being the table's ARN).
fn throttled(ctx: &RequestContext, table: &str, write: bool) -> Response {
    let kind = if write { "Write" } else { "Read" };
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
            "ThrottlingReasons": [{
                "reason": format!("Table{kind}ProvisionedThroughputExceeded"),
                "resource": format!("arn:aws:dynamodb:{}:{}:table/{table}", ctx.region, ctx.account),
            }],
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_of_every_metered_operation() {
        let t = |op: &str, v: Value| tables_of(op, &v);
        assert_eq!(
            t("GetItem", json!({"TableName": "A"})),
            Some((false, vec!["A".into()]))
        );
        assert_eq!(
            t(
                "BatchWriteItem",
                json!({"RequestItems": {"A": [], "B": []}})
            ),
            Some((true, vec!["A".into(), "B".into()]))
        );
        assert_eq!(
            t(
                "TransactWriteItems",
                json!({"TransactItems": [{"Put": {"TableName": "A"}}, {"ConditionCheck": {"TableName": "B"}}]})
            ),
            Some((true, vec!["A".into(), "B".into()]))
        );
        assert_eq!(t("ExecuteStatement", json!({"Statement": "x"})), None);
    }
}
