//! What the DynamoDB benchmarks share: a DynamoDB JSON call to an endpoint as an account.

use anyhow::{bail, Result};
use serde_json::Value;

/// One DynamoDB operation as `account`; the answer's JSON, or an error naming the operation.
pub async fn call(
    client: &reqwest::Client,
    url: &str,
    account: &str,
    op: &str,
    body: &Value,
) -> Result<Value> {
    let r = client
        .post(format!("{url}/"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("DynamoDB_20120810.{op}"))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={account}/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await?;
    let status = r.status();
    let v: Value = serde_json::from_slice(&r.bytes().await?).unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{op} failed: {status} {v}");
    }
    Ok(v)
}
