//! ExportTableToPointInTime and ImportTable through the local S3 (`crate::s3`), and their
//! job records.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::copy::{io_failed, Contents, ImportPages, COPY_PAGE, NO_SUCH_BUCKET};
use super::service::{page_token, DynamoDb};
use crate::context::RequestContext;
use crate::dynamodb::state::item_files::ItemPages;
use crate::dynamodb::state::{now, State, TableKey};
use crate::dynamodb::wire::{ddb_err, str_of, table_name, validation, OpResult};
use crate::protocol::json::JsonError;

impl DynamoDb {
    fn s3_root(&self) -> PathBuf {
        self.config.s3_root()
    }

    pub(super) async fn export_table_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> OpResult {
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
        let asked = requested(input);
        if crate::s3::store::bucket(&self.s3_root(), &bucket).is_none() {
            // AWS accepts the export and fails it once it reaches the bucket.
            let mut desc = json!({
                "ExportArn": arn, "ExportStatus": "FAILED", "StartTime": start, "EndTime": now(),
                "TableArn": key.arn(), "TableId": meta.table_id, "ExportTime": t,
                "S3Bucket": bucket, "S3Prefix": prefix, "S3SseAlgorithm": "AES256",
                "ExportFormat": format,
                "FailureCode": "S3NoSuchBucket", "FailureMessage": NO_SUCH_BUCKET,
            });
            merge(&mut desc, &asked);
            return self.record_job(ctx, arn, desc, EXPORTS);
        }
        let mut pages = self
            .open_pages(&Contents::History(&pitr.files, t), &meta.key_schema)
            .await?;
        let export = Export {
            root: self.s3_root(),
            bucket: bucket.clone(),
            prefix: prefix.clone(),
            id: id.clone(),
            table_arn: key.arn(),
            export_arn: arn.clone(),
            table_id: meta.table_id.clone(),
            start,
            time: t,
        };
        // File work only: off the async workers.
        let written = tokio::task::spawn_blocking(move || export.write(&mut pages))
            .await
            .map_err(|e| io_failed(std::io::Error::other(e)))?;
        let (manifest, count, billed) = written
            .map_err(|e| ddb_err("InternalServerError", format!("export write failed: {e}")))?;
        let mut desc = json!({
            "ExportArn": arn, "ExportStatus": "COMPLETED", "StartTime": start, "EndTime": now(),
            "ExportManifest": manifest,
            "TableArn": key.arn(), "TableId": meta.table_id, "ExportTime": t,
            "S3Bucket": bucket, "S3Prefix": prefix, "S3SseAlgorithm": "AES256",
            "ExportFormat": format, "ItemCount": count, "BilledSizeBytes": billed,
        });
        merge(&mut desc, &asked);
        self.record_job(ctx, arn, desc, EXPORTS)
    }

    /// Keeps a finished job and answers it as just started, as AWS does: IN_PROGRESS, its
    /// counters at zero, nothing only an ended job has (scylladb test/alternator
    /// test_import.py and test_export.py, measured against AWS).
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
        if let Some(o) = out.as_object_mut() {
            for m in kind.unfinished {
                o.remove(*m);
            }
            for m in kind.counters {
                o.insert(m.to_string(), json!(0));
            }
        }
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
        let asked = import_members(ctx, input);
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
            // AWS allocates the TableId up front, even for a table it never makes.
            let mut desc = json!({
                "ImportArn": arn, "ImportStatus": "FAILED", "TableArn": key.arn(),
                "TableId": uuid::Uuid::new_v4().to_string(),
                "InputFormat": format, "TableCreationParameters": params,
                "StartTime": start, "EndTime": now(), "ProcessedItemCount": 0,
                "ImportedItemCount": 0, "ErrorCount": 0, "ProcessedSizeBytes": 0,
                "InputCompressionType": input["InputCompressionType"].as_str().unwrap_or("NONE"),
                "FailureCode": "S3NoSuchBucket", "FailureMessage": NO_SUCH_BUCKET,
            });
            merge(&mut desc, &asked);
            return self.record_job(ctx, arn, desc, IMPORTS);
        }
        let compression = input["InputCompressionType"].as_str().unwrap_or("NONE");
        if compression == "ZSTD" {
            return Err(validation(
                "InputCompressionType ZSTD is not supported by this emulator; use NONE or GZIP",
            ));
        }
        let name = table_name(&params["TableName"]).unwrap_or_default();
        let start = now();
        self.create_table_in(
            &ctx.account,
            &ctx.region,
            params.clone(),
            Default::default(),
        )
        .await?;
        let mut read = ImportPages::new(&self.s3_root(), bucket, prefix, compression == "GZIP");
        let (imported, _) = self
            .put_import(&ctx.account, &ctx.region, &name, &mut read)
            .await?;
        let (errors, size) = (read.errors, read.bytes);
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
        let mut desc = json!({
            "ImportArn": arn, "ImportStatus": status, "TableArn": key.arn(), "TableId": table_id,
            "InputFormat": format, "TableCreationParameters": params,
            "StartTime": start, "EndTime": now(), "ProcessedItemCount": imported + errors,
            "ImportedItemCount": imported, "ErrorCount": errors, "ProcessedSizeBytes": size,
            "InputCompressionType": input["InputCompressionType"].as_str().unwrap_or("NONE"),
        });
        if errors > 0 {
            // Developer Guide, "Import format quotas and validation".
            desc["FailureCode"] = json!("ItemValidationError");
            desc["FailureMessage"] = json!(ITEM_VALIDATION);
        }
        merge(&mut desc, &asked);
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
    /// Summary members AWS names even when the request left them out.
    summary_defaults: &'static [(&'static str, &'static str)],
    newest_first: bool,
    list_member: &'static str,
    page_size_member: &'static str,
    /// What the first answer lacks, and the counters it reports as zero.
    unfinished: &'static [&'static str],
    counters: &'static [&'static str],
}

const EXPORTS: JobKind = JobKind {
    store: |st| &mut st.exports,
    arn_member: "ExportArn",
    status_member: "ExportStatus",
    description: "ExportDescription",
    not_found: ("ExportNotFoundException", "Export not found"),
    summary_members: &["ExportArn", "ExportStatus", "ExportType"],
    // ListExports names FULL_EXPORT and lists a table's newest export first, though the
    // description omits an ExportType not asked for (scylladb test/alternator/test_export.py).
    summary_defaults: &[("ExportType", "FULL_EXPORT")],
    newest_first: true,
    list_member: "ExportSummaries",
    page_size_member: "MaxResults",
    unfinished: &[
        "EndTime",
        "ExportManifest",
        "ItemCount",
        "BilledSizeBytes",
        "FailureCode",
        "FailureMessage",
    ],
    counters: &[],
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
        "CloudWatchLogGroupArn",
    ],
    summary_defaults: &[],
    newest_first: false,
    list_member: "ImportSummaryList",
    page_size_member: "PageSize",
    unfinished: &[
        "EndTime",
        "FailureCode",
        "FailureMessage",
        "ProcessedSizeBytes",
    ],
    counters: &["ProcessedItemCount", "ImportedItemCount", "ErrorCount"],
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
    let mine = jobs
        .values()
        .filter(|(a, d)| *a == ctx.account && table.is_none_or(|t| d["TableArn"] == t));
    // ARNs hold the start time, so key order is start order.
    let ordered: Vec<_> = if kind.newest_first {
        mine.rev().collect()
    } else {
        mine.collect()
    };
    let all: Vec<Value> = ordered
        .into_iter()
        .map(|(_, d)| {
            let mut summary: Map<String, Value> = kind
                .summary_members
                .iter()
                .filter_map(|m| d.get(*m).map(|v| (m.to_string(), v.clone())))
                .collect();
            for (m, v) in kind.summary_defaults {
                summary.entry(*m).or_insert_with(|| json!(v));
            }
            Value::Object(summary)
        })
        .collect();
    page(all, input, kind.list_member, kind.page_size_member)
}

const ITEM_VALIDATION: &str = "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details.";

/// A client's ClientToken, or one made up as AWS does when a request carries none.
fn client_token(input: &Value) -> Value {
    json!(str_of(input, "ClientToken")
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()))
}

/// What an export's description takes from its request: its ClientToken, and an
/// ExportType only when one was asked for (scylladb test/alternator/test_export.py).
fn requested(input: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ClientToken".into(), client_token(input));
    if let Some(t) = input.get("ExportType") {
        m.insert("ExportType".into(), t.clone());
    }
    m
}

/// Members of every import's description, as the Developer Guide's recorded
/// describe-import outputs show ("Import format quotas and validation"): the bucket's
/// owner filled in, the ClientToken, and the log group AWS reports to.
fn import_members(ctx: &RequestContext, input: &Value) -> Map<String, Value> {
    let mut src = input["S3BucketSource"].clone();
    if src.get("S3BucketOwner").is_none() {
        src["S3BucketOwner"] = json!(ctx.account);
    }
    let logs = format!(
        "arn:aws:logs:{}:{}:log-group:/aws-dynamodb/imports:*",
        ctx.region, ctx.account
    );
    let mut m = Map::new();
    m.insert("S3BucketSource".into(), src);
    m.insert("ClientToken".into(), client_token(input));
    m.insert("CloudWatchLogGroupArn".into(), json!(logs));
    m
}

fn merge(desc: &mut Value, members: &Map<String, Value>) {
    for (k, v) in members {
        desc[k.as_str()] = v.clone();
    }
}

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

/// Writes an export as AWS lays it out under the prefix: `AWSDynamoDB/_started`, one gzipped
/// data file of `{"Item": ...}` lines, and the manifests. Returns the summary manifest's key.
/// Where an export writes: its bucket and prefix, and what its manifests name.
struct Export {
    root: PathBuf,
    bucket: String,
    prefix: String,
    id: String,
    table_arn: String,
    export_arn: String,
    table_id: String,
    /// When the export started, and the point in time it exports.
    start: f64,
    time: f64,
}

/// A writer that hashes what passes through it.
struct Hashed<'a, W: std::io::Write> {
    out: W,
    md5: &'a mut md5::Md5,
}

impl<W: std::io::Write> std::io::Write for Hashed<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        md5::Digest::update(self.md5, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Export {
    /// Writes the data object (gzipped JSON lines, a page of items at a time) and the
    /// manifests; returns the summary's key, the item count and the items' size.
    fn write(
        &self,
        pages: &mut ItemPages,
    ) -> Result<(String, u64, u64), crate::s3::store::StoreError> {
        use std::io::Write;
        let base = if self.prefix.is_empty() {
            "AWSDynamoDB".to_string()
        } else {
            format!("{}/AWSDynamoDB", self.prefix)
        };
        let (root, bucket) = (&self.root, &self.bucket);
        let put = |k: &str, b: &[u8]| crate::s3::store::put(root, bucket, k, b);
        put(&format!("{base}/_started"), b"")?;
        let data_key = format!(
            "{base}/{}/data/{:032x}.json.gz",
            self.id,
            rand::random::<u128>()
        );
        let (mut count, mut items_size, mut lines_size) = (0u64, 0u64, 0u64);
        let mut md5 = md5::Md5::default();
        crate::s3::store::put_with(root, bucket, &data_key, |out| {
            let hashed = Hashed { out, md5: &mut md5 };
            let mut gz = flate2::write::GzEncoder::new(hashed, flate2::Compression::default());
            loop {
                let page = pages.page(COPY_PAGE)?;
                if page.is_empty() {
                    break;
                }
                for i in page {
                    let item = i.to_string();
                    let line = format!("{{\"Item\":{item}}}\n");
                    gz.write_all(line.as_bytes())?;
                    count += 1;
                    items_size += item.len() as u64;
                    lines_size += line.len() as u64;
                }
            }
            gz.finish().map(|_| ())
        })?;
        let id = &self.id;
        // The data object's MD5, base64 as S3's Content-MD5, and hex as its ETag.
        let digest = md5::Digest::finalize(md5);
        let files = json!({
            "itemCount": count,
            "md5Checksum": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest),
            "etag": hex::encode(digest),
            "dataFileS3Key": data_key,
        });
        put(
            &format!("{base}/{id}/manifest-files.json"),
            format!("{files}\n").as_bytes(),
        )?;
        // The summary's format: "DynamoDB table export output format", Developer Guide,
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html
        let at = |t: f64| {
            crate::s3::iso(std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(t.max(0.0)))
        };
        let summary = json!({
            "version": "2020-06-30", "exportArn": self.export_arn, "startTime": at(self.start),
            "endTime": at(now()), "tableArn": self.table_arn, "tableId": self.table_id,
            "exportTime": at(self.time),
            "s3Bucket": bucket, "s3Prefix": self.prefix, "s3SseAlgorithm": "AES256",
            "s3SseKmsKeyId": null,
            "manifestFilesS3Key": format!("{base}/{id}/manifest-files.json"),
            "billedSizeBytes": lines_size, "itemCount": count, "outputFormat": "DYNAMODB_JSON",
        });
        let summary_key = format!("{base}/{id}/manifest-summary.json");
        put(&summary_key, summary.to_string().as_bytes())?;
        Ok((summary_key, count, items_size))
    }
}
