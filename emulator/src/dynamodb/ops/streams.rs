//! DynamoDB Streams: its four operations are forwarded; what is ours is the set of streams a
//! reset hid (DynamoDB Local keeps the streams of deleted tables), left out of ListStreams,
//! and `AT_TIMESTAMP` shard iterators, which AWS added after DynamoDB Local was written.

use bytes::Bytes;
use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::call_service;
use crate::dynamodb::wire::{arn, validation, OpResult, STREAMS_PREFIX};

/// An `AT_TIMESTAMP` iterator: the time (epoch seconds) and DynamoDB Local's `TRIM_HORIZON`
/// iterator, whose records before that time are skipped.
const AT_TIMESTAMP: &str = "awsemu-at-timestamp:";

/// True when the streams request `op` is answered by `at_timestamp` or `records_after`.
pub fn is_at_timestamp(op: &str, input: &Value) -> bool {
    match op {
        "GetShardIterator" => input["ShardIteratorType"] == "AT_TIMESTAMP",
        "GetRecords" => input["ShardIterator"]
            .as_str()
            .is_some_and(|i| i.starts_with(AT_TIMESTAMP)),
        _ => false,
    }
}

impl DynamoDb {
    /// Every stream DynamoDB Local lists for one account and region (caller-form ARNs).
    pub(in crate::dynamodb) async fn stream_arns(
        &self,
        account: &str,
        region: &str,
    ) -> Vec<String> {
        let mut out = vec![];
        let mut start: Option<Value> = None;
        loop {
            let mut req = json!({});
            if let Some(s) = start.take() {
                req["ExclusiveStartStreamArn"] = s;
            }
            let body = arn::to_backend(Bytes::from(req.to_string()), account, region);
            let Ok(res) = self
                .backend
                .call(
                    account,
                    region,
                    &format!("{STREAMS_PREFIX}.ListStreams"),
                    body,
                )
                .await
            else {
                break;
            };
            let v: Value = serde_json::from_slice(&arn::to_caller(res.body, account, region))
                .unwrap_or(Value::Null);
            out.extend(
                v["Streams"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["StreamArn"].as_str().map(str::to_owned)),
            );
            match v.get("LastEvaluatedStreamArn") {
                // The next request goes through `to_backend` like this one.
                Some(s) if s.is_string() && res.status == 200 => start = Some(s.clone()),
                _ => break,
            }
        }
        out
    }

    /// ListStreams without the streams a reset hid.
    pub(in crate::dynamodb) fn drop_hidden_streams(&self, out: &mut Value) {
        let st = self.state.lock().unwrap();
        if let Some(list) = out.get_mut("Streams").and_then(Value::as_array_mut) {
            list.retain(|s| {
                s["StreamArn"]
                    .as_str()
                    .is_none_or(|a| !st.hidden_streams.contains(a))
            });
        }
    }

    /// GetShardIterator of type AT_TIMESTAMP: the shard from its start, records before the
    /// time skipped by `records_after`.
    pub(in crate::dynamodb) async fn at_timestamp(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let Some(ts) = input["Timestamp"].as_f64() else {
            // Not confirmed against AWS: its text for a missing Timestamp was not found.
            return Err(validation(
                "Timestamp must be provided when ShardIteratorType is AT_TIMESTAMP",
            ));
        };
        let mut req = input.clone();
        req["ShardIteratorType"] = json!("TRIM_HORIZON");
        if let Some(o) = req.as_object_mut() {
            o.remove("Timestamp");
        }
        let (account, region) = (&ctx.account, &ctx.region);
        let out = call_service(
            &self.backend,
            account,
            region,
            STREAMS_PREFIX,
            "GetShardIterator",
            &req,
        )
        .await?;
        let inner = out["ShardIterator"].as_str().unwrap_or_default();
        Ok(json!({"ShardIterator": format!("{AT_TIMESTAMP}{ts}:{inner}")}))
    }

    /// GetRecords through an AT_TIMESTAMP iterator: records older than its time are left
    /// out; once a record at or after it is read, the next iterator is DynamoDB Local's own.
    /// DynamoDB Local dates its records to the minute, so a record of the time's own minute
    /// is kept (none at or after the time is ever lost; a few seconds before may show).
    pub(in crate::dynamodb) async fn records_after(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let wrapped = input["ShardIterator"].as_str().unwrap_or_default();
        let (ts, inner) = wrapped
            .strip_prefix(AT_TIMESTAMP)
            .and_then(|r| r.split_once(':'))
            .and_then(|(t, i)| Some((t.parse::<f64>().ok()?, i)))
            .ok_or_else(|| validation("Invalid ShardIterator"))?;
        let mut req = input.clone();
        req["ShardIterator"] = json!(inner);
        let (account, region) = (&ctx.account, &ctx.region);
        let mut out = call_service(
            &self.backend,
            account,
            region,
            STREAMS_PREFIX,
            "GetRecords",
            &req,
        )
        .await?;
        let from = (ts / 60.0).floor() * 60.0;
        let mut reached = false;
        if let Some(records) = out.get_mut("Records").and_then(Value::as_array_mut) {
            records.retain(|r| {
                r["dynamodb"]["ApproximateCreationDateTime"]
                    .as_f64()
                    .is_none_or(|t| t >= from)
            });
            reached = !records.is_empty();
            for r in records.iter_mut() {
                // DynamoDB Local's placeholder region, as `arn::records_to_caller` replaces it.
                r["awsRegion"] = json!(region);
            }
        }
        if !reached {
            if let Some(next) = out["NextShardIterator"].as_str().map(str::to_owned) {
                out["NextShardIterator"] = json!(format!("{AT_TIMESTAMP}{ts}:{next}"));
            }
        }
        Ok(out)
    }
}
