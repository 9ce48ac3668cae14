//! On-demand backups (holding the table's items) and point-in-time recovery (a base snapshot
//! plus every item change since recovery was enabled).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::sizes::item_size;
use super::state::{now, Backup, Pitr, TableKey, TableMeta};
use super::tables::patch_description;
use super::vector_store::Write;
use super::writes::key_string;
use super::{ddb_err, str_of, table_name, validation, DynamoDb, OpResult};
use crate::context::RequestContext;
use crate::protocol::json::JsonError;

/// What a restore copies: the source's description, our record of it, and its items.
struct Source<'a> {
    desc: &'a Value,
    meta: &'a TableMeta,
    items: &'a [Value],
}

fn backup_not_found(arn: &str) -> JsonError {
    ddb_err(
        "BackupNotFoundException",
        format!("Backup not found: {arn}"),
    )
}

fn table_missing(name: &str) -> JsonError {
    ddb_err("TableNotFoundException", format!("Table not found: {name}"))
}

/// CreateTable input that recreates `desc` (keys, indexes, billing) under `target`.
pub(super) fn recreate_input(desc: &Value, target: &str, input: &Value) -> Value {
    let billing = input["BillingModeOverride"]
        .as_str()
        .or_else(|| desc["BillingModeSummary"]["BillingMode"].as_str())
        .unwrap_or("PROVISIONED")
        .to_string();
    let mut req = json!({
        "TableName": target,
        "AttributeDefinitions": desc["AttributeDefinitions"],
        "KeySchema": desc["KeySchema"],
        "BillingMode": billing,
    });
    let pt = |v: &Value| json!({"ReadCapacityUnits": v["ReadCapacityUnits"], "WriteCapacityUnits": v["WriteCapacityUnits"]});
    if billing == "PROVISIONED" {
        req["ProvisionedThroughput"] = input
            .get("ProvisionedThroughputOverride")
            .cloned()
            .unwrap_or_else(|| pt(&desc["ProvisionedThroughput"]));
    }
    let index = |i: &Value, with_pt: bool| {
        let mut o = json!({"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]});
        if with_pt {
            o["ProvisionedThroughput"] = pt(&i["ProvisionedThroughput"]);
        }
        o
    };
    if let Some(lsi) = input
        .get("LocalSecondaryIndexOverride")
        .cloned()
        .or_else(|| {
            desc["LocalSecondaryIndexes"]
                .as_array()
                .map(|l| Value::Array(l.iter().map(|i| index(i, false)).collect()))
        })
    {
        req["LocalSecondaryIndexes"] = lsi;
    }
    if let Some(gsi) = input
        .get("GlobalSecondaryIndexOverride")
        .cloned()
        .or_else(|| {
            desc["GlobalSecondaryIndexes"].as_array().map(|l| {
                Value::Array(
                    l.iter()
                        .map(|i| index(i, billing == "PROVISIONED"))
                        .collect(),
                )
            })
        })
    {
        req["GlobalSecondaryIndexes"] = gsi;
    }
    // Descriptions also list the attributes only vector search schemas use; DynamoDB Local
    // refuses definitions no key schema names.
    let keys = super::vector_index::key_attributes(&req);
    if let Some(defs) = req["AttributeDefinitions"].as_array_mut() {
        defs.retain(|d| {
            d["AttributeName"]
                .as_str()
                .is_some_and(|a| keys.iter().any(|k| k == a))
        });
    }
    req
}

/// Items per page of our own scans.
pub(super) const SCAN_PAGE: u32 = 100;

/// Every item of a table (consistent scan, all pages). Pages are bounded by a Limit:
/// DynamoDB Local reads every item after the start key for each page it cuts at 1 MB, so
/// unbounded pages make a whole scan quadratic (4,000 items of 768 dimensions: 28 s).
pub(super) async fn scan_table(
    backend: &super::backend::Backend,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Vec<Value>, JsonError> {
    let mut items = vec![];
    scan_pages(backend, account, region, name, |page| items.extend(page)).await?;
    Ok(items)
}

/// `scan_table` a page at a time, each handed to `page`.
pub(super) async fn scan_pages(
    backend: &super::backend::Backend,
    account: &str,
    region: &str,
    name: &str,
    mut page: impl FnMut(Vec<Value>),
) -> Result<(), JsonError> {
    let mut start: Option<Value> = None;
    loop {
        let mut req = json!({"TableName": name, "ConsistentRead": true, "Limit": SCAN_PAGE});
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let mut out = super::call_backend(backend, account, region, "Scan", &req).await?;
        if let Value::Array(list) = out["Items"].take() {
            page(list);
        }
        match out.get("LastEvaluatedKey") {
            Some(k) if !k.is_null() => start = Some(k.clone()),
            _ => return Ok(()),
        }
    }
}

impl DynamoDb {
    /// Every item of a table (see `scan_table`).
    pub(super) async fn scan_all(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Vec<Value>, JsonError> {
        scan_table(&self.backend, account, region, name).await
    }

    /// Writes items with BatchWriteItem, 25 at a time, retrying unprocessed ones.
    pub(super) async fn put_items(
        &self,
        account: &str,
        region: &str,
        name: &str,
        items: &[Value],
    ) -> Result<(), JsonError> {
        let key = TableKey::new(account, region, name);
        let key_schema = self
            .vectors
            .get(&key)
            .map(|t| t.read().unwrap().key_schema.clone());
        for chunk in items.chunks(25) {
            let mut reqs: Vec<Value> = chunk
                .iter()
                .map(|i| json!({"PutRequest": {"Item": i}}))
                .collect();
            // A table with vector indexes gets the items too, in order with other writes.
            let _locks = match &key_schema {
                Some(ks) => {
                    let ids = chunk
                        .iter()
                        .filter_map(|i| super::vector_store::item_id(i, ks))
                        .map(|id| (name.to_string(), id));
                    self.vectors.lock_items(ids).await
                }
                None => vec![],
            };
            for _ in 0..10 {
                let out = self
                    .call(
                        account,
                        region,
                        "BatchWriteItem",
                        &json!({"RequestItems": {name: reqs}}),
                    )
                    .await?;
                match out["UnprocessedItems"][name].as_array() {
                    Some(left) if !left.is_empty() => reqs = left.clone(),
                    _ => break,
                }
            }
            if key_schema.is_some() {
                let writes: Vec<Write> = chunk
                    .iter()
                    .map(|i| Write {
                        item_or_key: i,
                        item: Some(i),
                    })
                    .collect();
                self.vectors.apply(&key, &writes);
            }
        }
        Ok(())
    }

    /// Creates `target` like `desc` and fills it with `items`; returns the new description.
    async fn restore_into(
        &self,
        ctx: &RequestContext,
        src: Source<'_>,
        input: &Value,
        summary: Value,
    ) -> OpResult {
        let Source {
            desc,
            meta: source_meta,
            items,
        } = src;
        let target = table_name(&input["TargetTableName"]).unwrap_or_default();
        let target = target.as_str();
        let req = recreate_input(desc, target, input);
        let mut meta = TableMeta {
            billing_mode: Some(req["BillingMode"].as_str().unwrap_or("PROVISIONED").into()),
            sse: match input.get("SSESpecificationOverride") {
                Some(spec) => super::tables::sse_description(spec, &ctx.account, &ctx.region),
                None => source_meta.sse.clone(),
            },
            table_class: source_meta.table_class.clone(),
            vector_indexes: source_meta.vector_indexes.clone(),
            vector_attr_defs: source_meta.vector_attr_defs.clone(),
            restore_summary: Some(summary.clone()),
            ..Default::default()
        };
        if let Some(done) = meta.restore_summary.as_mut() {
            done["RestoreInProgress"] = json!(false);
        }
        let mut out = match self
            .create_table_in(&ctx.account, &ctx.region, req, meta)
            .await
        {
            Ok(d) => d,
            Err(e) if e.code() == "ResourceInUseException" => {
                return Err(ddb_err(
                    "TableAlreadyExistsException",
                    format!("Table already exists: {target}"),
                ))
            }
            Err(e) => return Err(e),
        };
        self.put_items(&ctx.account, &ctx.region, target, items)
            .await?;
        out["RestoreSummary"] = summary;
        Ok(json!({"TableDescription": out}))
    }

    pub(super) async fn create_backup(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let backup_name = str_of(input, "BackupName").unwrap_or_default().to_string();
        let desc = match self.describe_raw(&ctx.account, &ctx.region, &name).await {
            Ok(d) => d,
            Err(e) if e.code() == "ResourceNotFoundException" => return Err(table_missing(&name)),
            Err(e) => return Err(e),
        };
        let items = self.scan_all(&ctx.account, &ctx.region, &name).await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = self.meta(&key).unwrap_or_default();
        let created = now();
        let arn = format!(
            "{}/backup/{:014}-{:08x}",
            key.arn(),
            (created * 1000.0) as u64,
            rand::random::<u32>()
        );
        let size: u64 = items.iter().map(item_size).sum();
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
            items,
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

    pub(super) async fn restore_from_backup(
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
            items: &b.items,
        };
        self.restore_into(ctx, src, input, summary).await
    }

    // ---- point-in-time recovery ----

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
        let pitr = if enable {
            match meta.pitr {
                Some(p) => Some(p),
                None => {
                    let base = self.scan_all(&ctx.account, &ctx.region, &name).await?;
                    Some(Pitr {
                        enabled_at: now(),
                        base,
                        changes: vec![],
                    })
                }
            }
        } else {
            None
        };
        let meta = {
            let mut st = self.state.lock().unwrap();
            let m = st.table_mut(&key).ok_or_else(|| table_missing(&name))?;
            m.pitr = pitr;
            m.clone()
        };
        self.changed();
        Ok(Self::continuous_description(&meta))
    }

    pub(super) async fn restore_to_point_in_time(
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
        let items = items_at(&pitr, &meta.key_schema, t);
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
            items: &items,
        };
        self.restore_into(ctx, src, input, summary).await
    }
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
        "ItemCount": b.items.len(),
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

/// The table's items at time `t`, rebuilt from the base snapshot and the changes up to `t`.
pub(super) fn items_at(pitr: &Pitr, ks: &Value, t: f64) -> Vec<Value> {
    let mut items: BTreeMap<String, Value> = pitr
        .base
        .iter()
        .map(|i| (key_string(i, ks), i.clone()))
        .collect();
    for c in pitr.changes.iter().filter(|c| c.at <= t) {
        let k = key_string(&c.key, ks);
        match &c.item {
            Some(i) => items.insert(k, i.clone()),
            None => items.remove(&k),
        };
    }
    items.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::state::Change;

    #[test]
    fn history_replays_up_to_the_requested_time() {
        let ks = json!([{"AttributeName": "pk", "KeyType": "HASH"}]);
        let item = |k: &str, v: &str| json!({"pk": {"S": k}, "v": {"S": v}});
        let pitr = Pitr {
            enabled_at: 10.0,
            base: vec![item("a", "1")],
            changes: vec![
                Change {
                    at: 11.0,
                    key: json!({"pk": {"S": "b"}}),
                    item: Some(item("b", "2")),
                },
                Change {
                    at: 12.0,
                    key: json!({"pk": {"S": "a"}}),
                    item: None,
                },
            ],
        };
        assert_eq!(items_at(&pitr, &ks, 10.5), vec![item("a", "1")]);
        assert_eq!(
            items_at(&pitr, &ks, 11.0),
            vec![item("a", "1"), item("b", "2")]
        );
        assert_eq!(items_at(&pitr, &ks, 99.0), vec![item("b", "2")]);
    }

    #[test]
    fn restores_recreate_keys_indexes_and_billing() {
        let desc = json!({
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6, "NumberOfDecreasesToday": 0},
            "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": [], "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}, "IndexStatus": "ACTIVE"}],
        });
        let req = recreate_input(&desc, "T2", &json!({}));
        assert_eq!(req["BillingMode"], "PROVISIONED");
        assert_eq!(
            req["ProvisionedThroughput"],
            json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 6})
        );
        assert_eq!(
            req["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"],
            2
        );
        assert!(req["GlobalSecondaryIndexes"][0]
            .get("IndexStatus")
            .is_none());
        let ppr = recreate_input(
            &desc,
            "T3",
            &json!({"BillingModeOverride": "PAY_PER_REQUEST"}),
        );
        assert!(ppr.get("ProvisionedThroughput").is_none());
    }
}
