//! Kinesis streaming destinations: kept faithfully per table; nothing is sent to Kinesis.

use serde_json::{json, Value};

use super::service::DynamoDb;
use crate::context::RequestContext;
use crate::dynamodb::state::TableKey;
use crate::dynamodb::wire::{ddb_err, str_of, table_name, table_not_found, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    async fn kinesis_input(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(TableKey, String), JsonError> {
        let arn = str_of(input, "StreamArn").unwrap_or_default().to_string();
        if !arn.starts_with("arn:aws:kinesis:") || !arn.contains(":stream/") {
            return Err(validation(format!("Invalid StreamArn: {arn}")));
        }
        let name = table_name(&input["TableName"]).unwrap_or_default();
        self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        Ok((TableKey::new(&ctx.account, &ctx.region, &name), arn))
    }

    fn set_destination(
        &self,
        key: &TableKey,
        arn: &str,
        f: impl FnOnce(Option<&mut Value>) -> Result<Option<Value>, JsonError>,
    ) -> Result<(), JsonError> {
        let mut st = self.state.lock().unwrap();
        let m = st
            .table_mut(key)
            .ok_or_else(|| table_not_found(&key.name))?;
        let pos = m.kinesis.iter().position(|d| d["StreamArn"] == arn);
        let new = f(pos.map(|p| &mut m.kinesis[p]))?;
        if let Some(v) = new {
            m.kinesis.push(v);
        }
        drop(st);
        self.persist();
        Ok(())
    }

    pub(super) async fn enable_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (key, arn) = self.kinesis_input(ctx, input).await?;
        let precision = input["EnableKinesisStreamingConfiguration"]
            ["ApproximateCreationDateTimePrecision"]
            .as_str()
            .unwrap_or("MILLISECOND")
            .to_string();
        self.set_destination(&key, &arn, |d| match d {
            Some(d) if d["DestinationStatus"] == "ACTIVE" => Err(validation(format!(
                "Table {} is already streaming to the Kinesis stream {arn}",
                key.name
            ))),
            Some(d) => {
                d["DestinationStatus"] = json!("ACTIVE");
                d["ApproximateCreationDateTimePrecision"] = json!(precision);
                Ok(None)
            }
            None => Ok(Some(json!({"StreamArn": arn, "DestinationStatus": "ACTIVE", "ApproximateCreationDateTimePrecision": precision}))),
        })?;
        // AWS echoes the configuration as given: `{}` when none was (AWS's own lab,
        // aws-samples/amazon-dynamodb-labs change-data-capture/ex2/enable-kds-streams).
        let given = input
            .get("EnableKinesisStreamingConfiguration")
            .cloned()
            .unwrap_or_else(|| json!({}));
        Ok(
            json!({"TableName": key.name, "StreamArn": arn, "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": given}),
        )
    }

    pub(super) async fn disable_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (key, arn) = self.kinesis_input(ctx, input).await?;
        self.set_destination(&key, &arn, |d| match d {
            Some(d) if d["DestinationStatus"] == "ACTIVE" => {
                d["DestinationStatus"] = json!("DISABLED");
                Ok(None)
            }
            _ => Err(ddb_err(
                "ResourceNotFoundException",
                format!(
                    "Requested resource not found: Table {} is not streaming to {arn}",
                    key.name
                ),
            )),
        })?;
        Ok(json!({"TableName": key.name, "StreamArn": arn, "DestinationStatus": "DISABLING"}))
    }

    pub(super) async fn update_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (key, arn) = self.kinesis_input(ctx, input).await?;
        let cfg = input["UpdateKinesisStreamingConfiguration"].clone();
        let precision = cfg["ApproximateCreationDateTimePrecision"].clone();
        self.set_destination(&key, &arn, |d| match d {
            Some(d) if d["DestinationStatus"] == "ACTIVE" => {
                if !precision.is_null() {
                    d["ApproximateCreationDateTimePrecision"] = precision.clone();
                }
                Ok(None)
            }
            _ => Err(ddb_err(
                "ResourceNotFoundException",
                format!(
                    "Requested resource not found: Table {} is not streaming to {arn}",
                    key.name
                ),
            )),
        })?;
        Ok(
            json!({"TableName": key.name, "StreamArn": arn, "DestinationStatus": "UPDATING", "UpdateKinesisStreamingConfiguration": cfg}),
        )
    }

    pub(super) async fn describe_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let list = self.meta(&key).map(|m| m.kinesis).unwrap_or_default();
        Ok(json!({"TableName": name, "KinesisDataStreamDestinations": list}))
    }
}
