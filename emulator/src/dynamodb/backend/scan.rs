//! Calls into the backend with their answers parsed, and paged scans of whole tables.

use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{Backend, BackendError};
use crate::dynamodb::wire::{arn, ddb_err, errors, str_of, OpResult, DYNAMODB_PREFIX};
use crate::protocol::json::JsonError;

/// One backend call as `account` in `region`, its answer parsed; backend errors come back as
/// the same AWS-shaped error. A free function so background work can call without `DynamoDb`.
pub async fn call(
    backend: &Backend,
    account: &str,
    region: &str,
    op: &str,
    input: &Value,
) -> OpResult {
    call_service(backend, account, region, DYNAMODB_PREFIX, op, input).await
}

/// `call` for either service (`prefix`: DynamoDB's or DynamoDB Streams' target prefix).
pub async fn call_service(
    backend: &Backend,
    account: &str,
    region: &str,
    prefix: &str,
    op: &str,
    input: &Value,
) -> OpResult {
    let body = Bytes::from(input.to_string());
    let body = arn::to_backend(body, account, region);
    let target = format!("{prefix}.{op}");
    let mut res = backend
        .call(account, region, &target, body.clone())
        .await
        .map_err(|e| unavailable(&e, &backend.log_path()))?;
    if res.status == 500 && !ITEM_WRITES.contains(&op) {
        // DynamoDB Local now and then fails a request with an unexplained 500 while another
        // request creates or deletes the same table (seen about once in 100,000 fuzz
        // requests); asked again, it answers. Writes of items are not repeated.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        res = backend
            .call(account, region, &target, body)
            .await
            .map_err(|e| unavailable(&e, &backend.log_path()))?;
    }
    let out = arn::to_caller(res.body, account, region);
    let v: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
    if res.status == 200 {
        return Ok(v);
    }
    let type_name = str_of(&v, "__type")
        .unwrap_or("com.amazonaws.dynamodb.v20120810#InternalServerError")
        .to_string();
    let message = str_of(&v, "message")
        .or_else(|| str_of(&v, "Message"))
        .unwrap_or("");
    let code = type_name.rsplit('#').next().unwrap_or(&type_name);
    let facts = errors::Facts {
        input,
        key_names: vec![],
        key_types: vec![],
    };
    let message = errors::message(op, code, message, &facts);
    Err(JsonError {
        status: StatusCode::from_u16(res.status).unwrap_or(StatusCode::BAD_REQUEST),
        type_name,
        message,
    })
}

/// Operations that write items: never sent twice.
const ITEM_WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
];

pub fn unavailable(e: &BackendError, log: &std::path::Path) -> JsonError {
    ddb_err(
        "InternalServerError",
        format!("DynamoDB backend unavailable: {e} (log: {})", log.display()),
    )
    .with_status(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Items per page of our own scans.
pub const SCAN_PAGE: u32 = 100;

/// Every item of a table, a page at a time, each handed to `page`.
pub async fn scan_pages(
    backend: &Backend,
    account: &str,
    region: &str,
    name: &str,
    mut page: impl FnMut(Vec<Value>),
) -> Result<(), JsonError> {
    let mut pages = Pages::new(account, region, name);
    while let Some(list) = pages.next(backend).await? {
        page(list);
    }
    Ok(())
}

/// A consistent scan of a whole table, a bounded page per `next`: for work that awaits
/// between pages (writing them elsewhere) and must not hold the table. Pages are bounded by a
/// Limit: DynamoDB Local reads every item after the start key for each page it cuts at 1 MB,
/// so unbounded pages make a whole scan quadratic (4,000 items of 768 dimensions: 28 s).
pub struct Pages {
    account: String,
    region: String,
    name: String,
    start: Option<Value>,
    done: bool,
}

impl Pages {
    pub fn new(account: &str, region: &str, name: &str) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
            name: name.into(),
            start: None,
            done: false,
        }
    }

    /// The next page (never empty), or None once the table was read.
    pub async fn next(&mut self, backend: &Backend) -> Result<Option<Vec<Value>>, JsonError> {
        while !self.done {
            let mut req =
                json!({"TableName": self.name, "ConsistentRead": true, "Limit": SCAN_PAGE});
            if let Some(s) = self.start.take() {
                req["ExclusiveStartKey"] = s;
            }
            let mut out = call(backend, &self.account, &self.region, "Scan", &req).await?;
            match out.get("LastEvaluatedKey") {
                Some(k) if !k.is_null() => self.start = Some(k.clone()),
                _ => self.done = true,
            }
            if let Value::Array(list) = out["Items"].take() {
                if !list.is_empty() {
                    return Ok(Some(list));
                }
            }
        }
        Ok(None)
    }
}
