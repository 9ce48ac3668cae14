//! Point-in-time recovery: a base snapshot taken when it is enabled plus every item change
//! since (recorded by the write hooks in `items`), restored as of a requested second.

use serde_json::{json, Value};

use super::copy::{io_failed, Contents, Source};
use super::service::{patch_description, table_missing, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::state::{item_files, now, Pitr, TableKey, TableMeta};
use crate::dynamodb::wire::{ddb_err, table_name, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    fn continuous_description(meta: &TableMeta) -> Value {
        let pitr = match &meta.pitr {
            Some(p) => json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": 35,
                "EarliestRestorableDateTime": p.enabled_at,
                "LatestRestorableDateTime": now(),
            }),
            None => json!({"PointInTimeRecoveryStatus": "DISABLED"}),
        };
        json!({"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": pitr,
        }})
    }

    async fn existing_meta(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(TableKey, TableMeta), JsonError> {
        match self.describe_raw(&ctx.account, &ctx.region, name).await {
            Ok(_) => {}
            Err(e) if e.code() == "ResourceNotFoundException" => return Err(table_missing(name)),
            Err(e) => return Err(e),
        }
        let key = TableKey::new(&ctx.account, &ctx.region, name);
        let meta = self.meta(&key).ok_or_else(|| table_missing(name))?;
        Ok((key, meta))
    }

    pub(super) async fn describe_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let (_, meta) = self.existing_meta(ctx, &name).await?;
        Ok(Self::continuous_description(&meta))
    }

    pub(super) async fn update_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let spec = &input["PointInTimeRecoverySpecification"];
        let Some(enable) = spec["PointInTimeRecoveryEnabled"].as_bool() else {
            return Err(validation(
                "1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null",
            ));
        };
        if let Some(days) = spec["RecoveryPeriodInDays"].as_i64() {
            if !(1..=35).contains(&days) {
                return Err(validation("RecoveryPeriodInDays must be between 1 and 35"));
            }
        }
        let (key, meta) = self.existing_meta(ctx, &name).await?;
        let dir = self.items_dir();
        let pitr = match (enable, meta.pitr) {
            (true, Some(p)) => Some(p),
            (true, None) => {
                let files = item_files::new_stem("pitr");
                let base = item_files::base_path(&dir, &files);
                let (written, _) = self
                    .scan_to_file(&ctx.account, &ctx.region, &name, &base)
                    .await?;
                written.finish().map_err(io_failed)?;
                Some(Pitr {
                    enabled_at: now(),
                    files,
                    base: vec![],
                    changes: vec![],
                })
            }
            (false, _) => None,
        };
        let (meta, ended) = {
            let mut st = self.state.lock().unwrap();
            let Some(m) = st.table_mut(&key) else {
                if let Some(p) = &pitr {
                    item_files::remove(&dir, &p.files);
                }
                return Err(table_missing(&name));
            };
            let ended = std::mem::replace(&mut m.pitr, pitr);
            (
                m.clone(),
                ended.filter(|e| Some(&e.files) != m.pitr.as_ref().map(|p| &p.files)),
            )
        };
        self.changed();
        if let Some(e) = ended {
            item_files::remove(&dir, &e.files);
        }
        Ok(Self::continuous_description(&meta))
    }

    pub(super) async fn restore_table_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let source = table_name(&input["SourceTableName"])
            .or_else(|| table_name(&input["SourceTableArn"]))
            .ok_or_else(|| {
                validation("Either SourceTableName or SourceTableArn must be provided")
            })?;
        let use_latest = input["UseLatestRestorableTime"].as_bool().unwrap_or(false);
        let at = input["RestoreDateTime"].as_f64();
        if use_latest && at.is_some() {
            return Err(validation(
                "Only one of RestoreDateTime or UseLatestRestorableTime can be specified",
            ));
        }
        let (key, meta) = self.existing_meta(ctx, &source).await?;
        let Some(pitr) = meta.pitr.clone() else {
            return Err(ddb_err(
                "PointInTimeRecoveryUnavailableException",
                format!("Point in time recovery is not enabled for table '{source}'"),
            ));
        };
        let latest = now();
        let t = match at {
            Some(t) if !use_latest => t,
            _ => latest,
        };
        if t < pitr.enabled_at || t > latest {
            return Err(ddb_err(
                "InvalidRestoreTimeException",
                format!(
                    "Restore time {t} is not within the restorable window [{}, {latest}]",
                    pitr.enabled_at
                ),
            ));
        }
        let mut desc = self
            .describe_raw(&ctx.account, &ctx.region, &source)
            .await?;
        patch_description(&mut desc, &meta, &key);
        let summary = json!({
            "SourceTableArn": key.arn(),
            "RestoreDateTime": t,
            "RestoreInProgress": true,
        });
        let src = Source {
            desc: &desc,
            meta: &meta,
            items: Contents::History(&pitr.files, t),
        };
        self.restore_into(ctx, src, input, summary).await
    }
}
