//! Bulk operations: StartBulkPutItems reads DynamoDB JSON items from the local S3 (as
//! ImportTable does) and writes them into an existing table, then DescribeBulkOperation,
//! ListBulkOperations and CancelBulkOperation see the record. The load runs inside the
//! request, so an operation is finished (COMPLETED, COMPLETED_WITH_ERRORS or FAILED) by the
//! time anyone can describe or cancel it.

use serde_json::{json, Map, Value};

use super::copy::{ImportPages, NO_SUCH_BUCKET};
use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::state::{now, TableKey};
use crate::dynamodb::wire::{ddb_err, str_of, table_name, validation, OpResult};
use crate::protocol::json::JsonError;

const PAGE: usize = 25;

impl DynamoDb {
    pub(super) async fn start_bulk_put_items(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        // Existence first (ResourceNotFoundException), as for every table operation.
        self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let src = &input["InputS3Configuration"];
        let bucket = str_of(src, "S3Bucket").unwrap_or_default();
        let prefix = str_of(src, "S3KeyPrefix").unwrap_or("").trim_matches('/');
        let format = str_of(src, "InputFormat").unwrap_or_default();
        if format != "DYNAMODB_JSON" {
            return Err(validation(format!(
                "InputFormat {format} is not supported by this emulator; use DYNAMODB_JSON"
            )));
        }
        let compression = str_of(src, "InputCompressionType").unwrap_or("NONE");
        if compression == "ZSTD" {
            return Err(validation(
                "InputCompressionType ZSTD is not supported by this emulator; use NONE or GZIP",
            ));
        }
        if bucket.contains('/') || bucket.contains("..") || prefix.contains("..") {
            return Err(validation(format!(
                "Invalid InputS3Configuration: {bucket}/{prefix}"
            )));
        }
        if let Some(token) = str_of(input, "ClientToken") {
            if let Some(done) = self.same_token(ctx, token, input)? {
                return Ok(json!({"BulkOperationDescription": done}));
            }
        }
        let table_id = self.meta(&key).map(|m| m.table_id).unwrap_or_default();
        let start = now();
        let arn = format!(
            "{}/bulk-operation/{:014}-{:08x}",
            key.arn(),
            (start * 1000.0) as u64,
            rand::random::<u32>()
        );
        let mut desc = json!({
            "BulkOperationArn": arn,
            "TableDetails": [{"TableName": key.arn(), "TableId": table_id}],
            "InputS3Configuration": src,
            "OutputS3Configuration": input["OutputS3Configuration"],
            "StartTime": start,
        });
        for m in ["ClientToken", "MaxWriteRequestUnits", "PerformanceTier"] {
            if let Some(v) = input.get(m) {
                desc[m] = v.clone();
            }
        }
        let root = self.config.s3_root();
        if crate::s3::store::bucket(&root, bucket).is_none() {
            desc["BulkOperationStatus"] = json!("FAILED");
            desc["FailureCode"] = json!("S3NoSuchBucket");
            desc["FailureMessage"] = json!(NO_SUCH_BUCKET);
            desc["ProcessedItemCount"] = json!(0);
            desc["FailedItemCount"] = json!(0);
        } else {
            let mut read = ImportPages::new(&root, bucket, prefix, compression == "GZIP");
            let (count, put_bytes) = self
                .put_import(&ctx.account, &ctx.region, &name, &mut read)
                .await?;
            desc["BulkOperationStatus"] = json!(if read.errors > 0 {
                "COMPLETED_WITH_ERRORS"
            } else {
                "COMPLETED"
            });
            desc["ProcessedItemCount"] = json!(count + read.errors);
            desc["FailedItemCount"] = json!(read.errors);
            desc["ProcessedInputBytes"] = json!(read.bytes);
            desc["TotalInputBytes"] = json!(read.bytes);
            desc["BulkOperationUsage"] =
                json!([{"TableName": key.arn(), "BulkPutBytes": put_bytes}]);
        }
        desc["EndTime"] = json!(now());
        {
            let mut st = self.state.lock().unwrap();
            st.bulk_operations
                .insert(arn, (ctx.account.clone(), desc.clone()));
        }
        self.persist();
        Ok(json!({"BulkOperationDescription": desc}))
    }

    /// The operation an earlier request with this ClientToken started, when its parameters
    /// are the same; a mismatch is refused as AWS refuses it.
    fn same_token(
        &self,
        ctx: &RequestContext,
        token: &str,
        input: &Value,
    ) -> Result<Option<Value>, JsonError> {
        let st = self.state.lock().unwrap();
        let Some((_, d)) = st
            .bulk_operations
            .values()
            .find(|(acc, d)| *acc == ctx.account && d["ClientToken"] == token)
        else {
            return Ok(None);
        };
        let same = d["InputS3Configuration"] == input["InputS3Configuration"]
            && d["OutputS3Configuration"] == input["OutputS3Configuration"]
            && d["TableDetails"][0]["TableName"]
                .as_str()
                .and_then(|a| a.rsplit('/').next())
                == table_name(&input["TableName"]).as_deref();
        if !same {
            return Err(ddb_err(
                "IdempotentParameterMismatchException",
                "The ClientToken was already used with different parameters",
            ));
        }
        Ok(Some(d.clone()))
    }

    fn bulk_operation(&self, ctx: &RequestContext, input: &Value) -> Result<Value, JsonError> {
        let arn = input["BulkOperationArn"].as_str().unwrap_or_default();
        let st = self.state.lock().unwrap();
        st.bulk_operations
            .get(arn)
            .filter(|(acc, _)| *acc == ctx.account)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| {
                ddb_err(
                    "ResourceNotFoundException",
                    format!("Requested resource not found: Bulk operation: {arn} not found"),
                )
            })
    }

    pub(super) fn describe_bulk_operation(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let d = self.bulk_operation(ctx, input)?;
        Ok(json!({"BulkOperationDescription": d}))
    }

    /// Only a running operation can be cancelled, and ours are finished when they answer.
    pub(super) fn cancel_bulk_operation(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let d = self.bulk_operation(ctx, input)?;
        Err(validation(format!(
            "Bulk operation {} is {} and cannot be cancelled",
            d["BulkOperationArn"].as_str().unwrap_or_default(),
            d["BulkOperationStatus"].as_str().unwrap_or_default()
        )))
    }

    pub(super) fn list_bulk_operations(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let all: Vec<Value> = {
            let st = self.state.lock().unwrap();
            let mut v: Vec<&Value> = st
                .bulk_operations
                .values()
                .filter(|(acc, d)| {
                    *acc == ctx.account
                        && d["BulkOperationArn"]
                            .as_str()
                            .is_some_and(|a| a.contains(&format!(":{}:", ctx.region)))
                })
                .map(|(_, d)| d)
                .collect();
            v.sort_by(|a, b| {
                a["StartTime"]
                    .as_f64()
                    .unwrap_or(0.0)
                    .total_cmp(&b["StartTime"].as_f64().unwrap_or(0.0))
            });
            v.into_iter()
                .map(|d| {
                    let mut s = Map::new();
                    for m in [
                        "BulkOperationArn",
                        "BulkOperationStatus",
                        "StartTime",
                        "EndTime",
                    ] {
                        if let Some(x) = d.get(m) {
                            s.insert(m.into(), x.clone());
                        }
                    }
                    Value::Object(s)
                })
                .collect()
        };
        let max = input["MaxResults"]
            .as_u64()
            .unwrap_or(PAGE as u64)
            .clamp(1, PAGE as u64) as usize;
        // Tokens are hex, as the model's pattern requires: the start offset in 16 digits.
        let start = match input["NextToken"].as_str() {
            None => 0,
            Some(t) => usize::from_str_radix(t, 16)
                .ok()
                .filter(|s| *s <= all.len())
                .ok_or_else(|| validation("Invalid NextToken"))?,
        };
        let end = (start + max).min(all.len());
        let mut out = json!({"BulkOperationsSummaryList": all[start..end]});
        if end < all.len() {
            out["NextToken"] = json!(format!("{end:016x}"));
        }
        Ok(out)
    }
}
