//! On-demand backups, holding the table's description and items; restores recreate the table.

use serde_json::{json, Map, Value};

use super::copy::{io_failed, Contents, Source};
use super::service::{table_missing, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::state::{item_files, now, Backup, TableKey};
use crate::dynamodb::wire::{ddb_err, str_of, table_name, validation, OpResult};
use crate::protocol::json::JsonError;

fn backup_not_found(arn: &str) -> JsonError {
    ddb_err(
        "BackupNotFoundException",
        format!("Backup not found: {arn}"),
    )
}

impl DynamoDb {
    pub(super) async fn create_backup(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let backup_name = str_of(input, "BackupName").unwrap_or_default().to_string();
        let desc = match self.describe_raw(&ctx.account, &ctx.region, &name).await {
            Ok(d) => d,
            Err(e) if e.code() == "ResourceNotFoundException" => return Err(table_missing(&name)),
            Err(e) => return Err(e),
        };
        let stem = item_files::new_stem("backup");
        let (written, size) = self
            .scan_to_file(
                &ctx.account,
                &ctx.region,
                &name,
                &item_files::backup_path(&self.items_dir(), &stem),
            )
            .await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = self.meta(&key).unwrap_or_default();
        let created = now();
        let arn = format!(
            "{}/backup/{:014}-{:08x}",
            key.arn(),
            (created * 1000.0) as u64,
            rand::random::<u32>()
        );
        let item_count = written.finish().map_err(io_failed)?;
        let backup = Backup {
            arn: arn.clone(),
            name: backup_name,
            table: key,
            table_id: meta.table_id.clone(),
            created,
            size_bytes: size,
            backup_type: "USER".into(),
            description: desc,
            meta,
            items_file: stem,
            item_count,
            items: vec![],
        };
        let mut details = backup_details(&backup);
        details["BackupStatus"] = json!("CREATING");
        self.state.lock().unwrap().backups.insert(arn, backup);
        self.persist();
        Ok(json!({"BackupDetails": details}))
    }

    fn find_backup(&self, ctx: &RequestContext, arn: &str) -> Result<Backup, JsonError> {
        let st = self.state.lock().unwrap();
        st.backups
            .get(arn)
            .filter(|b| b.table.account == ctx.account && b.table.region == ctx.region)
            .cloned()
            .ok_or_else(|| backup_not_found(arn))
    }

    pub(super) fn describe_backup(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let b = self.find_backup(ctx, str_of(input, "BackupArn").unwrap_or_default())?;
        Ok(json!({"BackupDescription": backup_description(&b, "AVAILABLE")}))
    }

    pub(super) fn delete_backup(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let arn = str_of(input, "BackupArn").unwrap_or_default();
        let b = self.find_backup(ctx, arn)?;
        self.state.lock().unwrap().backups.remove(arn);
        self.persist();
        item_files::remove(&self.items_dir(), &b.items_file);
        Ok(json!({"BackupDescription": backup_description(&b, "DELETED")}))
    }

    pub(super) fn list_backups(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let table = table_name(&input["TableName"]);
        let lower = input["TimeRangeLowerBound"].as_f64();
        let upper = input["TimeRangeUpperBound"].as_f64();
        let btype = str_of(input, "BackupType").unwrap_or("USER");
        if !["USER", "SYSTEM", "AWS_BACKUP", "ALL"].contains(&btype) {
            return Err(validation(format!(
                "1 validation error detected: Value '{btype}' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]"
            )));
        }
        let limit = input["Limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let start = str_of(input, "ExclusiveStartBackupArn");
        let st = self.state.lock().unwrap();
        let mut list: Vec<&Backup> = st
            .backups
            .values()
            .filter(|b| b.table.account == ctx.account && b.table.region == ctx.region)
            .filter(|b| table.as_ref().is_none_or(|t| *t == b.table.name))
            .filter(|b| lower.is_none_or(|l| b.created >= l))
            .filter(|b| upper.is_none_or(|u| b.created <= u))
            .filter(|b| btype == "ALL" || b.backup_type == btype)
            .collect();
        list.sort_by(|a, b| a.created.total_cmp(&b.created).then(a.arn.cmp(&b.arn)));
        let from = match start {
            Some(s) => list
                .iter()
                .position(|b| b.arn == s)
                .map(|p| p + 1)
                .unwrap_or(0),
            None => 0,
        };
        let page: Vec<&Backup> = list.iter().skip(from).take(limit).copied().collect();
        let mut out = Map::new();
        out.insert(
            "BackupSummaries".into(),
            Value::Array(page.iter().map(|b| backup_summary(b)).collect()),
        );
        if from + page.len() < list.len() {
            if let Some(last) = page.last() {
                out.insert("LastEvaluatedBackupArn".into(), json!(last.arn));
            }
        }
        Ok(Value::Object(out))
    }

    pub(super) async fn restore_table_from_backup(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let arn = str_of(input, "BackupArn").unwrap_or_default();
        let b = self.find_backup(ctx, arn)?;
        let summary = json!({
            "SourceBackupArn": b.arn,
            "SourceTableArn": b.table.arn(),
            "RestoreDateTime": b.created,
            "RestoreInProgress": true,
        });
        let src = Source {
            desc: &b.description,
            meta: &b.meta,
            items: Contents::Backup(&b.items_file),
        };
        self.restore_into(ctx, src, input, summary).await
    }

    // ---- point-in-time recovery ----
}

fn backup_details(b: &Backup) -> Value {
    json!({
        "BackupArn": b.arn,
        "BackupName": b.name,
        "BackupSizeBytes": b.size_bytes,
        "BackupStatus": "AVAILABLE",
        "BackupType": b.backup_type,
        "BackupCreationDateTime": b.created,
    })
}

fn backup_summary(b: &Backup) -> Value {
    json!({
        "TableName": b.table.name,
        "TableId": b.table_id,
        "TableArn": b.table.arn(),
        "BackupArn": b.arn,
        "BackupName": b.name,
        "BackupCreationDateTime": b.created,
        "BackupStatus": "AVAILABLE",
        "BackupType": b.backup_type,
        "BackupSizeBytes": b.size_bytes,
    })
}

fn backup_description(b: &Backup, status: &str) -> Value {
    let d = &b.description;
    let mut details = backup_details(b);
    details["BackupStatus"] = json!(status);
    let billing = d["BillingModeSummary"]["BillingMode"]
        .as_str()
        .unwrap_or("PROVISIONED");
    let source = json!({
        "TableName": b.table.name,
        "TableId": b.table_id,
        "TableArn": b.table.arn(),
        "TableSizeBytes": d["TableSizeBytes"],
        "KeySchema": d["KeySchema"],
        "TableCreationDateTime": d["CreationDateTime"],
        "ProvisionedThroughput": {
            "ReadCapacityUnits": d["ProvisionedThroughput"]["ReadCapacityUnits"],
            "WriteCapacityUnits": d["ProvisionedThroughput"]["WriteCapacityUnits"],
        },
        "ItemCount": b.item_count,
        "BillingMode": billing,
    });
    let mut features = Map::new();
    let strip = |l: &Value, gsi: bool| -> Value {
        Value::Array(
            l.as_array()
                .map(|a| {
                    a.iter()
                        .map(|i| {
                            let mut o = json!({"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]});
                            if gsi && i.get("ProvisionedThroughput").is_some() {
                                o["ProvisionedThroughput"] = json!({
                                    "ReadCapacityUnits": i["ProvisionedThroughput"]["ReadCapacityUnits"],
                                    "WriteCapacityUnits": i["ProvisionedThroughput"]["WriteCapacityUnits"],
                                });
                            }
                            o
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )
    };
    if d.get("LocalSecondaryIndexes").is_some() {
        features.insert(
            "LocalSecondaryIndexes".into(),
            strip(&d["LocalSecondaryIndexes"], false),
        );
    }
    if d.get("GlobalSecondaryIndexes").is_some() {
        features.insert(
            "GlobalSecondaryIndexes".into(),
            strip(&d["GlobalSecondaryIndexes"], true),
        );
    }
    if let Some(s) = d.get("StreamSpecification") {
        features.insert("StreamDescription".into(), s.clone());
    }
    if let Some(s) = d.get("SSEDescription") {
        features.insert("SSEDescription".into(), s.clone());
    }
    json!({
        "BackupDetails": details,
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": Value::Object(features),
    })
}
