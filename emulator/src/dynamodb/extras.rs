//! Smaller control-plane pieces: contributor insights, endpoints, limits, resource policies,
//! Kinesis streaming destinations, and import/export to a local directory standing in for S3.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::backups::items_at;
use super::state::{now, State, TableKey};
use super::tables::revision;
use super::{ddb_err, str_of, table_name, table_not_found, validation, DynamoDb, OpResult};
use crate::context::RequestContext;
use crate::protocol::json::JsonError;

pub fn describe_endpoints(ctx: &RequestContext) -> Value {
    json!({"Endpoints": [{"Address": format!("dynamodb.{}.amazonaws.com", ctx.region), "CachePeriodInMinutes": 1440}]})
}

/// The default quotas of a new AWS account.
pub fn describe_limits() -> Value {
    json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    })
}

fn page_token(input: &Value, len: usize) -> Result<usize, JsonError> {
    match str_of(input, "NextToken") {
        None => Ok(0),
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= len)
            .ok_or_else(|| validation(format!("Invalid NextToken: {t}"))),
    }
}

impl DynamoDb {
    /// Table (and index, when named) must exist; returns the table's key and description.
    async fn table_and_index(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(TableKey, Value), JsonError> {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let desc = self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        if let Some(idx) = str_of(input, "IndexName") {
            let found = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                .iter()
                .any(|k| {
                    desc[*k]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|i| i["IndexName"] == idx))
                });
            if !found {
                return Err(ddb_err(
                    "ResourceNotFoundException",
                    format!(
                        "Requested resource not found: Index: {idx} not found for table {name}"
                    ),
                ));
            }
        }
        Ok((TableKey::new(&ctx.account, &ctx.region, &name), desc))
    }

    pub(super) async fn update_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let action = str_of(input, "ContributorInsightsAction").unwrap_or_default();
        let status = match action {
            "ENABLE" => "ENABLED",
            "DISABLE" => "DISABLED",
            other => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]"
                )))
            }
        };
        let (key, _) = self.table_and_index(ctx, input).await?;
        let index = str_of(input, "IndexName").unwrap_or("").to_string();
        {
            let mut st = self.state.lock().unwrap();
            let m = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            m.insights
                .insert(index.clone(), (status.to_string(), now()));
        }
        self.persist();
        let mut out = json!({"TableName": key.name, "ContributorInsightsStatus": if status == "ENABLED" { "ENABLING" } else { "DISABLING" }});
        if !index.is_empty() {
            out["IndexName"] = json!(index);
        }
        Ok(out)
    }

    pub(super) async fn describe_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let (key, desc) = self.table_and_index(ctx, input).await?;
        let index = str_of(input, "IndexName").unwrap_or("").to_string();
        let entry = self
            .meta(&key)
            .and_then(|m| m.insights.get(&index).cloned());
        let mut out = json!({"TableName": key.name});
        if !index.is_empty() {
            out["IndexName"] = json!(index);
        }
        match entry {
            Some((status, at)) => {
                out["ContributorInsightsStatus"] = json!(status);
                out["LastUpdateDateTime"] = json!(at);
                if status == "ENABLED" {
                    let ms = (at * 1000.0) as u64;
                    let has_sort = desc["KeySchema"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|x| x["KeyType"] == "RANGE"));
                    let kinds: &[&str] = if has_sort {
                        &["PKC", "SKC", "PKT", "SKT"]
                    } else {
                        &["PKC", "PKT"]
                    };
                    out["ContributorInsightsRuleList"] = json!(kinds
                        .iter()
                        .map(|k| format!("DynamoDBContributorInsights-{k}-{}-{ms}", key.name))
                        .collect::<Vec<_>>());
                }
            }
            None => out["ContributorInsightsStatus"] = json!("DISABLED"),
        }
        Ok(out)
    }

    pub(super) fn list_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let table = table_name(&input["TableName"]);
        let max = input["MaxResults"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let mut all: Vec<(f64, Value)> = vec![];
        {
            let st = self.state.lock().unwrap();
            for (k, m) in st.tables_of(&ctx.account, &ctx.region) {
                if table.as_ref().is_some_and(|t| *t != k.name) {
                    continue;
                }
                for (idx, (status, at)) in &m.insights {
                    let mut s = json!({"TableName": k.name, "ContributorInsightsStatus": status});
                    if !idx.is_empty() {
                        s["IndexName"] = json!(idx);
                    }
                    all.push((*at, s));
                }
            }
        }
        // Oldest first, so pages are stable while insights are added.
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let start = page_token(input, all.len())?;
        let end = (start + max).min(all.len());
        let mut out = json!({"ContributorInsightsSummaries": all[start..end].iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()});
        if end < all.len() {
            out["NextToken"] = json!(end.to_string());
        }
        Ok(out)
    }

    // ---- resource policies ----

    async fn policy_table(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<TableKey, JsonError> {
        let arn = str_of(input, "ResourceArn").unwrap_or_default();
        let prefix = format!("arn:aws:dynamodb:{}:{}:table/", ctx.region, ctx.account);
        let name = arn
            .strip_prefix(&prefix)
            .map(|r| r.split('/').next().unwrap_or(r))
            .ok_or_else(|| validation(format!("Invalid ResourceArn provided as input {arn}")))?;
        self.describe_raw(&ctx.account, &ctx.region, name).await?;
        Ok(TableKey::new(&ctx.account, &ctx.region, name))
    }

    pub(super) async fn put_resource_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let key = self.policy_table(ctx, input).await?;
        let policy = str_of(input, "Policy").unwrap_or_default();
        if serde_json::from_str::<Value>(policy)
            .map(|v| !v.is_object())
            .unwrap_or(true)
        {
            return Err(validation(
                "Invalid policy document: the policy must be a JSON object",
            ));
        }
        let rev = {
            let mut st = self.state.lock().unwrap();
            let m = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            let current = m.policy.as_ref().map(|p| p.1.clone());
            check_expected_revision(
                &key,
                current.as_deref(),
                str_of(input, "ExpectedRevisionId"),
            )?;
            match &m.policy {
                // An identical document is no change: AWS keeps its revision.
                Some((p, rev)) if p == policy => rev.clone(),
                _ => {
                    let rev = next_revision(current.as_deref());
                    m.policy = Some((policy.to_string(), rev.clone()));
                    rev
                }
            }
        };
        self.persist();
        Ok(json!({"RevisionId": rev}))
    }

    pub(super) async fn get_resource_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let key = self.policy_table(ctx, input).await?;
        match self.meta(&key).and_then(|m| m.policy) {
            Some((p, rev)) => Ok(json!({"Policy": p, "RevisionId": rev})),
            None => Err(policy_not_found(&key)),
        }
    }

    pub(super) async fn delete_resource_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
        let key = self.policy_table(ctx, input).await?;
        let rev = {
            let mut st = self.state.lock().unwrap();
            let m = st
                .table_mut(&key)
                .ok_or_else(|| table_not_found(&key.name))?;
            let current = m.policy.as_ref().map(|p| p.1.clone());
            let Some(current) = current else {
                return Err(policy_not_found(&key));
            };
            check_expected_revision(&key, Some(&current), str_of(input, "ExpectedRevisionId"))?;
            m.policy = None;
            current
        };
        self.persist();
        Ok(json!({"RevisionId": rev}))
    }

    // ---- Kinesis streaming destinations ----

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

    pub(super) async fn kinesis_enable(&self, ctx: &RequestContext, input: &Value) -> OpResult {
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
        Ok(
            json!({"TableName": key.name, "StreamArn": arn, "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision}}),
        )
    }

    pub(super) async fn kinesis_disable(&self, ctx: &RequestContext, input: &Value) -> OpResult {
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

    pub(super) async fn kinesis_update(&self, ctx: &RequestContext, input: &Value) -> OpResult {
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

    pub(super) async fn kinesis_describe(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        self.describe_raw(&ctx.account, &ctx.region, &name).await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let list = self.meta(&key).map(|m| m.kinesis).unwrap_or_default();
        Ok(json!({"TableName": name, "KinesisDataStreamDestinations": list}))
    }

    // ---- import / export (a local directory stands in for S3) ----

    fn s3_root(&self) -> PathBuf {
        self.config.s3_root()
    }

    pub(super) async fn export_table(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableArn"]).unwrap_or_default();
        let bucket = str_of(input, "S3Bucket").unwrap_or_default().to_string();
        let prefix = str_of(input, "S3Prefix")
            .unwrap_or("")
            .trim_matches('/')
            .to_string();
        let format = str_of(input, "ExportFormat")
            .unwrap_or("DYNAMODB_JSON")
            .to_string();
        if format != "DYNAMODB_JSON" {
            return Err(validation(format!(
                "ExportFormat {format} is not supported by this emulator; use DYNAMODB_JSON"
            )));
        }
        if bucket.is_empty() || bucket.contains('/') || bucket.contains("..") {
            return Err(validation(format!("Invalid S3Bucket: {bucket}")));
        }
        let table_arn = str_of(input, "TableArn").unwrap_or_default();
        let missing = || {
            ddb_err(
                "TableNotFoundException",
                format!("Table not found: {table_arn}"),
            )
        };
        self.describe_raw(&ctx.account, &ctx.region, &name)
            .await
            .map_err(|_| missing())?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = self.meta(&key).ok_or_else(missing)?;
        let Some(pitr) = &meta.pitr else {
            return Err(ddb_err(
                "PointInTimeRecoveryUnavailableException",
                format!("Point in time recovery is not enabled for table '{name}'"),
            ));
        };
        let start = now();
        let t = input["ExportTime"].as_f64().unwrap_or(start);
        if t < pitr.enabled_at || t > start {
            return Err(ddb_err(
                "InvalidExportTimeException",
                format!("Export time {t} is outside the restorable window"),
            ));
        }
        let id = format!(
            "{:014}-{:08x}",
            (start * 1000.0) as u64,
            rand::random::<u32>()
        );
        let arn = format!("{}/export/{id}", key.arn());
        if crate::s3::store::bucket(&self.s3_root(), &bucket).is_none() {
            // AWS accepts the export and fails it once it reaches the bucket.
            let desc = json!({
                "ExportArn": arn, "ExportStatus": "FAILED", "StartTime": start, "EndTime": now(),
                "TableArn": key.arn(), "TableId": meta.table_id, "ExportTime": t,
                "S3Bucket": bucket, "S3Prefix": prefix, "S3SseAlgorithm": "AES256",
                "ExportFormat": format, "ExportType": "FULL_EXPORT",
                "FailureCode": "S3NoSuchBucket", "FailureMessage": NO_SUCH_BUCKET,
            });
            return self.record_job(ctx, arn, desc, EXPORTS);
        }
        let items = items_at(pitr, &meta.key_schema, t);
        let manifest = export_objects(
            &self.s3_root(),
            &bucket,
            &prefix,
            &id,
            &items,
            &key.arn(),
            &arn,
            t,
        )
        .map_err(|e| ddb_err("InternalServerError", format!("export write failed: {e}")))?;
        let billed: usize = items.iter().map(|i| i.to_string().len()).sum();
        let desc = json!({
            "ExportArn": arn, "ExportStatus": "COMPLETED", "StartTime": start, "EndTime": now(),
            "ExportManifest": manifest,
            "TableArn": key.arn(), "TableId": meta.table_id, "ExportTime": t,
            "S3Bucket": bucket, "S3Prefix": prefix, "S3SseAlgorithm": "AES256",
            "ExportFormat": format, "ItemCount": items.len(), "ExportType": "FULL_EXPORT",
            "BilledSizeBytes": billed,
        });
        self.record_job(ctx, arn, desc, EXPORTS)
    }

    /// Keeps a finished job and answers it as just started, as AWS does.
    fn record_job(
        &self,
        ctx: &RequestContext,
        arn: String,
        desc: Value,
        kind: JobKind,
    ) -> OpResult {
        let mut st = self.state.lock().unwrap();
        (kind.store)(&mut st).insert(arn, (ctx.account.clone(), desc.clone()));
        drop(st);
        self.persist();
        let mut out = desc;
        out[kind.status_member] = json!("IN_PROGRESS");
        Ok(json!({ kind.description: out }))
    }

    pub(super) fn describe_export(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let st = self.state.lock().unwrap();
        describe_job(&st.exports, ctx, input, EXPORTS)
    }

    pub(super) fn list_exports(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let st = self.state.lock().unwrap();
        list_jobs(&st.exports, ctx, input, EXPORTS)
    }

    pub(super) async fn import_table(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let src = &input["S3BucketSource"];
        let bucket = str_of(src, "S3Bucket").unwrap_or_default();
        let prefix = str_of(src, "S3KeyPrefix").unwrap_or("").trim_matches('/');
        let format = str_of(input, "InputFormat").unwrap_or_default();
        if format != "DYNAMODB_JSON" {
            return Err(validation(format!(
                "InputFormat {format} is not supported by this emulator; use DYNAMODB_JSON"
            )));
        }
        if bucket.is_empty()
            || bucket.contains('/')
            || bucket.contains("..")
            || prefix.contains("..")
        {
            return Err(validation(format!(
                "Invalid S3BucketSource: {bucket}/{prefix}"
            )));
        }
        let params = input["TableCreationParameters"].clone();
        check_import_billing(&params)?;
        if crate::s3::store::bucket(&self.s3_root(), bucket).is_none() {
            // Accepted, then FAILED; no table is created.
            let name = table_name(&params["TableName"]).unwrap_or_default();
            let key = TableKey::new(&ctx.account, &ctx.region, &name);
            let start = now();
            let arn = format!(
                "{}/import/{:014}-{:08x}",
                key.arn(),
                (start * 1000.0) as u64,
                rand::random::<u32>()
            );
            let desc = json!({
                "ImportArn": arn, "ImportStatus": "FAILED", "TableArn": key.arn(),
                "S3BucketSource": src, "InputFormat": format, "TableCreationParameters": params,
                "StartTime": start, "EndTime": now(), "ProcessedItemCount": 0,
                "ImportedItemCount": 0, "ErrorCount": 0, "ProcessedSizeBytes": 0,
                "InputCompressionType": input["InputCompressionType"].as_str().unwrap_or("NONE"),
                "FailureCode": "S3NoSuchBucket", "FailureMessage": NO_SUCH_BUCKET,
            });
            return self.record_job(ctx, arn, desc, IMPORTS);
        }
        let compression = input["InputCompressionType"].as_str().unwrap_or("NONE");
        if compression == "ZSTD" {
            return Err(validation(
                "InputCompressionType ZSTD is not supported by this emulator; use NONE or GZIP",
            ));
        }
        let read = read_import(&self.s3_root(), bucket, prefix, compression == "GZIP");
        let (items, errors, size) = (read.items, read.errors, read.bytes);
        let name = table_name(&params["TableName"]).unwrap_or_default();
        let start = now();
        self.create_table_in(
            &ctx.account,
            &ctx.region,
            params.clone(),
            Default::default(),
        )
        .await?;
        self.put_items(&ctx.account, &ctx.region, &name, &items)
            .await?;
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let table_id = self.meta(&key).map(|m| m.table_id).unwrap_or_default();
        let arn = format!(
            "{}/import/{:014}-{:08x}",
            key.arn(),
            (start * 1000.0) as u64,
            rand::random::<u32>()
        );
        // Items AWS could not read fail the import; the good ones stay imported.
        let status = if errors > 0 { "FAILED" } else { "COMPLETED" };
        let desc = json!({
            "ImportArn": arn, "ImportStatus": status, "TableArn": key.arn(), "TableId": table_id,
            "S3BucketSource": src, "InputFormat": format, "TableCreationParameters": params,
            "StartTime": start, "EndTime": now(), "ProcessedItemCount": items.len() as u64 + errors,
            "ImportedItemCount": items.len(), "ErrorCount": errors, "ProcessedSizeBytes": size,
            "InputCompressionType": input["InputCompressionType"].as_str().unwrap_or("NONE"),
        });
        self.record_job(ctx, arn, desc, IMPORTS)
    }

    pub(super) fn describe_import(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let st = self.state.lock().unwrap();
        describe_job(&st.imports, ctx, input, IMPORTS)
    }

    pub(super) fn list_imports(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let st = self.state.lock().unwrap();
        list_jobs(&st.imports, ctx, input, IMPORTS)
    }
}

/// Exports and imports are kept alike (ARN -> owner account and description) and differ only
/// in member names.
struct JobKind {
    store: fn(&mut State) -> &mut Jobs,
    arn_member: &'static str,
    status_member: &'static str,
    description: &'static str,
    not_found: (&'static str, &'static str),
    summary_members: &'static [&'static str],
    list_member: &'static str,
    page_size_member: &'static str,
}

const EXPORTS: JobKind = JobKind {
    store: |st| &mut st.exports,
    arn_member: "ExportArn",
    status_member: "ExportStatus",
    description: "ExportDescription",
    not_found: ("ExportNotFoundException", "Export not found"),
    summary_members: &["ExportArn", "ExportStatus", "ExportType"],
    list_member: "ExportSummaries",
    page_size_member: "MaxResults",
};

const IMPORTS: JobKind = JobKind {
    store: |st| &mut st.imports,
    arn_member: "ImportArn",
    status_member: "ImportStatus",
    description: "ImportTableDescription",
    not_found: ("ImportNotFoundException", "Import not found"),
    summary_members: &[
        "ImportArn",
        "ImportStatus",
        "TableArn",
        "S3BucketSource",
        "InputFormat",
        "StartTime",
        "EndTime",
    ],
    list_member: "ImportSummaryList",
    page_size_member: "PageSize",
};

type Jobs = std::collections::BTreeMap<String, (String, Value)>;

fn describe_job(jobs: &Jobs, ctx: &RequestContext, input: &Value, kind: JobKind) -> OpResult {
    let arn = str_of(input, kind.arn_member).unwrap_or_default();
    match jobs.get(arn).filter(|(a, _)| *a == ctx.account) {
        Some((_, d)) => Ok(json!({ kind.description: d })),
        None => Err(ddb_err(
            kind.not_found.0,
            format!("{}: {arn}", kind.not_found.1),
        )),
    }
}

fn list_jobs(jobs: &Jobs, ctx: &RequestContext, input: &Value, kind: JobKind) -> OpResult {
    let table = str_of(input, "TableArn");
    let all: Vec<Value> = jobs
        .values()
        .filter(|(a, d)| *a == ctx.account && table.is_none_or(|t| d["TableArn"] == t))
        .map(|(_, d)| {
            let summary: Map<String, Value> = kind
                .summary_members
                .iter()
                .map(|m| (m.to_string(), d[*m].clone()))
                .collect();
            Value::Object(summary)
        })
        .collect();
    page(all, input, kind.list_member, kind.page_size_member)
}

const NO_SUCH_BUCKET: &str = "The specified bucket does not exist";

/// ImportTable refuses a billing mode and throughput that do not fit, before it starts.
fn check_import_billing(params: &Value) -> Result<(), JsonError> {
    let provisioned = params["BillingMode"].as_str().unwrap_or("PROVISIONED") == "PROVISIONED";
    let throughput = params
        .get("ProvisionedThroughput")
        .is_some_and(|t| !t.is_null());
    if provisioned && !throughput {
        return Err(validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"));
    }
    if !provisioned && throughput {
        return Err(validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
    }
    Ok(())
}

/// ExpectedRevisionId (`NO_POLICY` for "none may exist") against the current revision, with
/// AWS's PolicyNotFoundException texts.
fn check_expected_revision(
    key: &TableKey,
    current: Option<&str>,
    expected: Option<&str>,
) -> Result<(), JsonError> {
    let prefix = "Resource-based policy not found for the provided ResourceArn:";
    match (expected, current) {
        (None, _) | (Some("NO_POLICY"), None) => Ok(()),
        (Some(e), Some(c)) if e == c => Ok(()),
        (Some("NO_POLICY"), Some(c)) => Err(ddb_err(
            "PolicyNotFoundException",
            format!("{prefix} Requested policy update expecting none to be present for table {}, but a policy exists with revision id {c}.", key.name),
        )),
        (Some(e), Some(c)) => Err(ddb_err(
            "PolicyNotFoundException",
            format!("{prefix} Requested update for policy with revision id {e}, but the policy associated to target table {} has revision id {c}.", key.name),
        )),
        (Some(_), None) => Err(policy_not_found(key)),
    }
}

/// Revision ids are times in milliseconds that only grow.
fn next_revision(current: Option<&str>) -> String {
    let now: u64 = revision().parse().unwrap_or(0);
    let after = current
        .and_then(|c| c.parse::<u64>().ok())
        .map_or(0, |c| c + 1);
    now.max(after).to_string()
}

fn policy_not_found(key: &TableKey) -> JsonError {
    ddb_err(
        "PolicyNotFoundException",
        format!(
            "Resource-based policy not found for the provided ResourceArn: {}",
            key.arn()
        ),
    )
}

fn page(all: Vec<Value>, input: &Value, field: &str, size_member: &str) -> OpResult {
    let max = input[size_member].as_u64().unwrap_or(25).clamp(1, 25) as usize;
    let start = page_token(input, all.len())?;
    let end = (start + max).min(all.len());
    let mut out = Map::new();
    out.insert(field.into(), Value::Array(all[start..end].to_vec()));
    if end < all.len() {
        out.insert("NextToken".into(), json!(end.to_string()));
    }
    Ok(Value::Object(out))
}

pub(super) struct ImportRead {
    pub items: Vec<Value>,
    pub errors: u64,
    pub bytes: u64,
}

/// Every object under the key prefix, read as DynamoDB JSON: `{"Item": {...}}` values one
/// after another (newlines between them or not). A value without `Item` is an error; a
/// file that stops parsing counts one error for the rest.
pub(super) fn read_import(
    root: &std::path::Path,
    bucket: &str,
    prefix: &str,
    gzip: bool,
) -> ImportRead {
    let mut out = ImportRead {
        items: vec![],
        errors: 0,
        bytes: 0,
    };
    let objects = crate::s3::store::list(root, bucket).unwrap_or_default();
    for o in objects.iter().filter(|o| o.key.starts_with(prefix)) {
        let Ok((raw, _)) = crate::s3::store::get(root, bucket, &o.key) else {
            continue;
        };
        out.bytes += raw.len() as u64;
        let data = if gzip {
            let mut d = vec![];
            match std::io::Read::read_to_end(
                &mut flate2::read::MultiGzDecoder::new(&raw[..]),
                &mut d,
            ) {
                Ok(_) => d,
                Err(_) => {
                    out.errors += 1;
                    continue;
                }
            }
        } else {
            raw
        };
        for v in serde_json::Deserializer::from_slice(&data).into_iter::<Value>() {
            match v {
                Ok(v) => match v.get("Item") {
                    Some(i) if i.is_object() => out.items.push(i.clone()),
                    _ => out.errors += 1,
                },
                Err(_) => {
                    out.errors += 1;
                    break;
                }
            }
        }
    }
    out
}

/// Writes an export as AWS lays it out under the prefix: `AWSDynamoDB/_started`, one gzipped
/// data file of `{"Item": ...}` lines, and the manifests. Returns the summary manifest's key.
#[allow(clippy::too_many_arguments)]
fn export_objects(
    root: &std::path::Path,
    bucket: &str,
    prefix: &str,
    id: &str,
    items: &[Value],
    table_arn: &str,
    export_arn: &str,
    time: f64,
) -> Result<String, crate::s3::store::StoreError> {
    use std::io::Write;
    let base = if prefix.is_empty() {
        "AWSDynamoDB".to_string()
    } else {
        format!("{prefix}/AWSDynamoDB")
    };
    let lines: String = items
        .iter()
        .map(|i| format!("{}\n", json!({"Item": i})))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines.as_bytes())?;
    let data = gz.finish()?;
    let data_key = format!("{base}/{id}/data/{:032x}.json.gz", rand::random::<u128>());
    let put = |k: &str, b: &[u8]| crate::s3::store::put(root, bucket, k, b);
    put(&format!("{base}/_started"), b"")?;
    put(&data_key, &data)?;
    let files =
        json!({"itemCount": items.len(), "md5Checksum": "", "etag": "", "dataFileS3Key": data_key});
    put(
        &format!("{base}/{id}/manifest-files.json"),
        format!("{files}\n").as_bytes(),
    )?;
    let summary = json!({
        "version": "2020-06-30", "exportArn": export_arn, "startTime": time, "endTime": now(),
        "tableArn": table_arn, "exportTime": time, "s3Bucket": bucket, "s3Prefix": prefix,
        "s3SseAlgorithm": "AES256", "manifestFilesS3Key": format!("{base}/{id}/manifest-files.json"),
        "billedSizeBytes": lines.len(), "itemCount": items.len(), "outputFormat": "DYNAMODB_JSON",
    });
    let summary_key = format!("{base}/{id}/manifest-summary.json");
    put(&summary_key, summary.to_string().as_bytes())?;
    Ok(summary_key)
}
