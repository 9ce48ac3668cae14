//! Bulk operations (StartBulkPutItems and its Describe/List/Cancel). Bulk puts from S3 are
//! not implemented: StartBulkPutItems refuses after the table check, so no operation ever
//! exists and the other three answer exactly that (no fake success).

use serde_json::{json, Value};

use super::state::TableKey;
use super::{ddb_err, table_name, validation, DynamoDb, OpResult};
use crate::context::RequestContext;

impl DynamoDb {
    pub(super) async fn start_bulk_put_items(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        if self
            .meta(&TableKey::new(&ctx.account, &ctx.region, &name))
            .is_none()
        {
            self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        }
        Err(validation(
            "StartBulkPutItems is not supported by this emulator; load items with BatchWriteItem or ImportTable",
        ))
    }

    pub(super) fn describe_bulk_operation(&self, input: &Value) -> OpResult {
        Err(bulk_not_found(input))
    }

    pub(super) fn cancel_bulk_operation(&self, input: &Value) -> OpResult {
        Err(bulk_not_found(input))
    }

    pub(super) fn list_bulk_operations(&self) -> OpResult {
        Ok(json!({"BulkOperationsSummaryList": []}))
    }
}

fn bulk_not_found(input: &Value) -> crate::protocol::json::JsonError {
    let arn = input["BulkOperationArn"].as_str().unwrap_or_default();
    ddb_err(
        "ResourceNotFoundException",
        format!("Requested resource not found: Bulk operation: {arn} not found"),
    )
}
