//! DynamoDB Streams: its four operations are forwarded; what is ours is the set of streams a
//! reset hid (DynamoDB Local keeps the streams of deleted tables), left out of ListStreams.

use bytes::Bytes;
use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::dynamodb::wire::{arn, STREAMS_PREFIX};

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
}
