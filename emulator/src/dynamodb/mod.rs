//! DynamoDB and DynamoDB Streams: a proxy in front of DynamoDB Local that owns the control
//! plane DynamoDB Local lacks.
//!
//! Every request is checked against the pinned API model (operation known, required members
//! present), then either handled here (tables' control plane, tags, backups, point-in-time
//! recovery, global tables, settings) or forwarded to the backend with the caller's account
//! as access key, so DynamoDB Local keeps one database per account and region.

mod arn;
mod backend;
mod backups;
mod bulk;
mod errors;
mod extras;
mod global;
mod model;
mod partiql;
mod pool;
mod sizes;
mod state;
mod tables;
mod validate;
mod vector_index;
mod vector_search;
mod vector_store;
mod vector_writes;
mod writes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::config::Config;
use crate::context::RequestContext;
use crate::protocol::json::{json_response, JsonError, CONTENT_TYPE};
use crate::supervisor::Supervisor;

use backend::Backend;
use state::State;

/// Operations answered here (with or without the backend's help); the rest pass through.
const OWNED: &[&str] = &[
    "CreateTable",
    "DescribeTable",
    "UpdateTable",
    "DeleteTable",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
    "CreateBackup",
    "DescribeBackup",
    "DeleteBackup",
    "ListBackups",
    "RestoreTableFromBackup",
    "UpdateContinuousBackups",
    "DescribeContinuousBackups",
    "RestoreTableToPointInTime",
    "CreateGlobalTable",
    "DescribeGlobalTable",
    "ListGlobalTables",
    "UpdateGlobalTable",
    "DescribeGlobalTableSettings",
    "UpdateGlobalTableSettings",
    "DescribeTableReplicaAutoScaling",
    "UpdateTableReplicaAutoScaling",
    "DescribeContributorInsights",
    "UpdateContributorInsights",
    "ListContributorInsights",
    "DescribeEndpoints",
    "DescribeLimits",
    "PutResourcePolicy",
    "GetResourcePolicy",
    "DeleteResourcePolicy",
    "EnableKinesisStreamingDestination",
    "DisableKinesisStreamingDestination",
    "UpdateKinesisStreamingDestination",
    "DescribeKinesisStreamingDestination",
    "ExportTableToPointInTime",
    "DescribeExport",
    "ListExports",
    "ImportTable",
    "DescribeImport",
    "ListImports",
    "SearchVectors",
    "StartBulkPutItems",
    "DescribeBulkOperation",
    "ListBulkOperations",
    "CancelBulkOperation",
];

pub const DYNAMODB_PREFIX: &str = "DynamoDB_20120810";
pub const STREAMS_PREFIX: &str = "DynamoDBStreams_20120810";

pub struct DynamoDb {
    config: Config,
    backend: Arc<Backend>,
    state: Mutex<State>,
    /// Tables whose writes need a hook (point-in-time history or replicas); zero keeps the
    /// data plane a pure pass-through.
    hooked: AtomicUsize,
    /// Tables with vector indexes, whose writes are checked first; zero skips the check.
    vector_tables: AtomicUsize,
    /// Per-index sizes and counts, kept until their table changes (see `sizes`).
    index_stats: Mutex<HashMap<state::TableKey, sizes::IndexStats>>,
    /// The vector indexes, kept current by every write path.
    vectors: Arc<vector_store::VectorStore>,
}

type OpResult = Result<Value, JsonError>;

/// A DynamoDB error (`com.amazonaws.dynamodb.v20120810#Code`, HTTP 400).
fn ddb_err(code: &str, message: impl Into<String>) -> JsonError {
    JsonError::dynamodb(code, message)
}

fn validation(message: impl Into<String>) -> JsonError {
    model::validation(message)
}

fn table_not_found(name: &str) -> JsonError {
    ddb_err(
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {name} not found"),
    )
}

/// Table name from a `TableName` member that may also be a table ARN.
fn table_name(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    Some(match s.split_once(":table/") {
        Some((_, rest)) if s.starts_with("arn:") => rest.split('/').next().unwrap_or(rest).into(),
        _ => s.into(),
    })
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl DynamoDb {
    pub fn new(config: Config, supervisor: Supervisor) -> Self {
        let state = config
            .state_dir
            .as_deref()
            .map(state::load)
            .unwrap_or_default();
        let me = Self {
            backend: Arc::new(Backend::new(config.clone(), supervisor)),
            state: Mutex::new(state),
            hooked: AtomicUsize::new(0),
            vector_tables: AtomicUsize::new(0),
            index_stats: Mutex::default(),
            vectors: Arc::new(vector_store::VectorStore::new(config.state_dir.as_deref())),
            config,
        };
        me.refresh_hooked();
        me.load_vector_indexes();
        me
    }

    /// One request: `target` is the X-Amz-Target header (e.g. `DynamoDB_20120810.PutItem`).
    pub async fn handle(&self, ctx: RequestContext, target: Option<&str>, body: Bytes) -> Response {
        match self.handle_inner(&ctx, target, body).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    }

    async fn handle_inner(
        &self,
        ctx: &RequestContext,
        target: Option<&str>,
        body: Bytes,
    ) -> Result<Response, JsonError> {
        let target = target.unwrap_or("");
        let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
        let model = match prefix {
            DYNAMODB_PREFIX => model::dynamodb(),
            STREAMS_PREFIX => model::streams(),
            _ => return Err(unknown_operation()),
        };
        if !model.has(op) {
            return Err(unknown_operation());
        }
        let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&body).map_err(|_| serialization())?
        };
        if !input.is_object() {
            return Err(serialization());
        }
        model.check_required(op, &input)?;
        if prefix == STREAMS_PREFIX || !OWNED.contains(&op) {
            return self.forward(ctx, target, op, body, &input).await;
        }
        model.check_constraints(op, &input)?;
        let out = match op {
            "CreateTable" => self.create_table(ctx, input).await?,
            "DescribeTable" => self.describe_table(ctx, &input).await?,
            "UpdateTable" => self.update_table(ctx, input).await?,
            "DeleteTable" => self.delete_table(ctx, &input).await?,
            "TagResource" => self.tag_resource(ctx, &input)?,
            "UntagResource" => self.untag_resource(ctx, &input)?,
            "ListTagsOfResource" => self.list_tags(ctx, &input)?,
            "CreateBackup" => self.create_backup(ctx, &input).await?,
            "DescribeBackup" => self.describe_backup(ctx, &input)?,
            "DeleteBackup" => self.delete_backup(ctx, &input)?,
            "ListBackups" => self.list_backups(ctx, &input)?,
            "RestoreTableFromBackup" => self.restore_from_backup(ctx, &input).await?,
            "UpdateContinuousBackups" => self.update_continuous_backups(ctx, &input).await?,
            "DescribeContinuousBackups" => self.describe_continuous_backups(ctx, &input).await?,
            "RestoreTableToPointInTime" => self.restore_to_point_in_time(ctx, &input).await?,
            "CreateGlobalTable" => self.create_global_table(ctx, &input).await?,
            "DescribeGlobalTable" => self.describe_global_table(ctx, &input)?,
            "ListGlobalTables" => self.list_global_tables(ctx, &input)?,
            "UpdateGlobalTable" => self.update_global_table(ctx, &input).await?,
            "DescribeGlobalTableSettings" => {
                self.describe_global_table_settings(ctx, &input).await?
            }
            "UpdateGlobalTableSettings" => self.update_global_table_settings(ctx, &input).await?,
            "DescribeTableReplicaAutoScaling" => {
                self.describe_replica_auto_scaling(ctx, &input).await?
            }
            "UpdateTableReplicaAutoScaling" => {
                self.update_replica_auto_scaling(ctx, &input).await?
            }
            "DescribeContributorInsights" => {
                self.describe_contributor_insights(ctx, &input).await?
            }
            "UpdateContributorInsights" => self.update_contributor_insights(ctx, &input).await?,
            "ListContributorInsights" => self.list_contributor_insights(ctx, &input)?,
            "DescribeEndpoints" => extras::describe_endpoints(ctx),
            "DescribeLimits" => extras::describe_limits(),
            "PutResourcePolicy" => self.put_resource_policy(ctx, &input).await?,
            "GetResourcePolicy" => self.get_resource_policy(ctx, &input).await?,
            "DeleteResourcePolicy" => self.delete_resource_policy(ctx, &input).await?,
            "EnableKinesisStreamingDestination" => self.kinesis_enable(ctx, &input).await?,
            "DisableKinesisStreamingDestination" => self.kinesis_disable(ctx, &input).await?,
            "UpdateKinesisStreamingDestination" => self.kinesis_update(ctx, &input).await?,
            "DescribeKinesisStreamingDestination" => self.kinesis_describe(ctx, &input).await?,
            "ExportTableToPointInTime" => self.export_table(ctx, &input).await?,
            "DescribeExport" => self.describe_export(ctx, &input)?,
            "ListExports" => self.list_exports(ctx, &input)?,
            "ImportTable" => self.import_table(ctx, &input).await?,
            "DescribeImport" => self.describe_import(ctx, &input)?,
            "ListImports" => self.list_imports(ctx, &input)?,
            "SearchVectors" => self.search_vectors(ctx, &input).await?,
            "StartBulkPutItems" => self.start_bulk_put_items(ctx, &input).await?,
            "DescribeBulkOperation" => self.describe_bulk_operation(ctx, &input)?,
            "ListBulkOperations" => self.list_bulk_operations(ctx, &input)?,
            "CancelBulkOperation" => self.cancel_bulk_operation(ctx, &input)?,
            _ => return Err(unknown_operation()),
        };
        Ok(json_response(StatusCode::OK, &out))
    }

    /// Passes a request through to the backend, rewriting ARNs both ways, then runs the
    /// write hooks (point-in-time history, replication) when any table needs them.
    async fn forward(
        &self,
        ctx: &RequestContext,
        target: &str,
        op: &str,
        body: Bytes,
        input: &Value,
    ) -> Result<Response, JsonError> {
        validate::before_forward(op, input)?;
        // Writes into tables with vector indexes: checked, their items locked until the
        // index has them (so it follows the order the backend applied them in).
        let vector_writes =
            if self.vector_tables.load(Ordering::Relaxed) > 0 && writes::is_write(op) {
                self.check_vector_writes(ctx, op, input)?;
                Some(self.plan_vector_writes(ctx, op, input).await)
            } else {
                None
            };
        let mut given = vec![];
        let body = if memchr(&body, b"arn:aws:dynamodb:") {
            let (v, g) = arn::names_for_backend(input);
            given = g;
            Bytes::from(v.to_string())
        } else {
            body
        };
        let body = arn::to_backend(body, &ctx.account, &ctx.region);
        let res = self
            .backend
            .call(&ctx.account, &ctx.region, target, body)
            .await
            .map_err(|e| backend_unavailable(&e, &self.backend.log_path()))?;
        if res.status != 200 {
            let out = arn::to_caller(res.body, &ctx.account, &ctx.region);
            return Ok(self.error_response(ctx, op, input, res.status, &out).await);
        }
        if let Some(plan) = vector_writes {
            self.apply_vector_writes(plan, &res.body).await;
        }
        if self.hooked.load(Ordering::Relaxed) > 0 && writes::is_write(op) {
            self.after_write(ctx, op, input).await;
        }
        let mut out = arn::to_caller(res.body, &ctx.account, &ctx.region);
        let list_streams = op == "ListStreams" && target.starts_with(STREAMS_PREFIX);
        if writes::needs_patch(op, input) || !given.is_empty() || list_streams {
            if let Ok(mut v) = serde_json::from_slice::<Value>(&out) {
                self.patch_write_response(ctx, op, input, &mut v);
                arn::names_as_given(&mut v, &given);
                if list_streams {
                    self.drop_hidden_streams(&mut v);
                }
                out = Bytes::from(v.to_string());
            }
        }
        let mut r = Response::new(Body::from(out));
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
        Ok(r)
    }

    /// DynamoDB Local's error rewritten to AWS's body shape and message (see `errors`).
    async fn error_response(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
        status: u16,
        body: &[u8],
    ) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
            let mut r = Response::new(Body::from(body.to_vec()));
            *r.status_mut() = status;
            return r;
        };
        let type_name = obj
            .get("__type")
            .and_then(Value::as_str)
            .unwrap_or("com.amazonaws.dynamodb.v20120810#InternalServerError");
        let code = type_name.rsplit('#').next().unwrap_or(type_name);
        let message = obj
            .get("message")
            .or_else(|| obj.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let key_names = if errors::needs_schema(op, code, message) {
            self.key_names(ctx, input).await
        } else {
            vec![]
        };
        let facts = errors::Facts { input, key_names };
        let message = errors::message(op, code, message, &facts);
        let mut out = errors::body(type_name, &message, &obj);
        if let Some(reasons) = out.get_mut("CancellationReasons") {
            let mut schemas = HashMap::new();
            if errors::reasons_need_schema(reasons) {
                for t in transact_tables(input) {
                    let types = self.key_schema(ctx, &t, None).await;
                    schemas.insert(t, types);
                }
            }
            errors::fix_reasons(reasons, input, &|t| {
                schemas.get(t).cloned().unwrap_or_default()
            });
        }
        json_response(status, &out)
    }

    /// Key attributes with their types, HASH first, of a table or one of its indexes (empty
    /// when the table is unknown). Error path only: one DescribeTable.
    async fn key_schema(
        &self,
        ctx: &RequestContext,
        table: &str,
        index: Option<&str>,
    ) -> Vec<(String, String)> {
        let Ok(out) = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
        else {
            return vec![];
        };
        let t = &out["Table"];
        let schema = match index {
            Some(ix) => ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
                .iter()
                .filter_map(|m| t[*m].as_array())
                .flatten()
                .find(|i| i["IndexName"] == ix)
                .map(|i| &i["KeySchema"]),
            None => Some(&t["KeySchema"]),
        };
        let type_of = |name: &str| {
            t["AttributeDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| d["AttributeName"] == name)
                .and_then(|d| d["AttributeType"].as_str())
                .unwrap_or_default()
                .to_string()
        };
        let mut keys: Vec<(bool, String)> = schema
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|k| {
                Some((
                    k["KeyType"] != "HASH",
                    k["AttributeName"].as_str()?.to_string(),
                ))
            })
            .collect();
        keys.sort_by_key(|(range, _)| *range);
        keys.into_iter()
            .map(|(_, n)| {
                let ty = type_of(&n);
                (n, ty)
            })
            .collect()
    }

    /// Key attribute names (HASH first) of the table or index a request names.
    async fn key_names(&self, ctx: &RequestContext, input: &Value) -> Vec<String> {
        let Some(name) = table_name(&input["TableName"]) else {
            return vec![];
        };
        self.key_schema(ctx, &name, input["IndexName"].as_str())
            .await
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    /// Calls the backend as `account` in `region` and parses its answer; backend errors come
    /// back as the same AWS-shaped error.
    async fn call(&self, account: &str, region: &str, op: &str, input: &Value) -> OpResult {
        call_backend(&self.backend, account, region, op, input).await
    }

    async fn call_ctx(&self, ctx: &RequestContext, op: &str, input: &Value) -> OpResult {
        self.call(&ctx.account, &ctx.region, op, input).await
    }

    /// Recounts tables that need write hooks.
    fn refresh_hooked(&self) {
        let st = self.state.lock().unwrap();
        let n = st
            .tables
            .values()
            .filter(|(_, m)| m.pitr.is_some() || !m.replicas.is_empty())
            .count();
        self.hooked.store(n, Ordering::Relaxed);
        let v = st
            .tables
            .values()
            .filter(|(_, m)| !m.vector_indexes.is_empty())
            .count();
        self.vector_tables.store(v, Ordering::Relaxed);
    }

    /// Saves the control plane when `--state-dir` is set.
    fn persist(&self) {
        if let Some(dir) = &self.config.state_dir {
            let st = self.state.lock().unwrap();
            state::save(dir, &st);
        }
    }

    fn changed(&self) {
        self.refresh_hooked();
        self.persist();
    }

    /// Drops every table and control-plane record of one account, or of all, and hides the
    /// streams DynamoDB Local keeps for deleted tables.
    pub async fn reset(&self, account: Option<&str>) {
        self.vectors.reset(account);
        let pairs: Vec<(String, String)> = {
            let st = self.state.lock().unwrap();
            st.seen
                .iter()
                .filter(|(a, _)| account.is_none_or(|x| x == a))
                .cloned()
                .collect()
        };
        let mut hidden = vec![];
        if self.backend.is_started() {
            for (acc, region) in &pairs {
                self.drop_all_tables(acc, region).await;
                hidden.extend(self.stream_arns(acc, region).await);
            }
        }
        {
            let mut st = self.state.lock().unwrap();
            let kept: Vec<String> = st.hidden_streams.iter().cloned().collect();
            st.reset(account);
            st.hidden_streams.extend(kept);
            st.hidden_streams.extend(hidden);
        }
        self.changed();
    }

    /// Every stream DynamoDB Local lists for one account and region (caller-form ARNs).
    async fn stream_arns(&self, account: &str, region: &str) -> Vec<String> {
        let mut out = vec![];
        let mut start: Option<Value> = None;
        loop {
            let mut req = json!({});
            if let Some(s) = start.take() {
                req["ExclusiveStartStreamArn"] = s;
            }
            let body = arn::to_backend(Bytes::from(req.to_string()), account, region);
            let Ok(res) = self
                .backend
                .call(
                    account,
                    region,
                    &format!("{STREAMS_PREFIX}.ListStreams"),
                    body,
                )
                .await
            else {
                break;
            };
            let v: Value = serde_json::from_slice(&arn::to_caller(res.body, account, region))
                .unwrap_or(Value::Null);
            out.extend(
                v["Streams"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["StreamArn"].as_str().map(str::to_owned)),
            );
            match v.get("LastEvaluatedStreamArn") {
                // The next request goes through `to_backend` like this one.
                Some(s) if s.is_string() && res.status == 200 => start = Some(s.clone()),
                _ => break,
            }
        }
        out
    }

    /// ListStreams without the streams a reset hid.
    fn drop_hidden_streams(&self, out: &mut Value) {
        let st = self.state.lock().unwrap();
        if let Some(list) = out.get_mut("Streams").and_then(Value::as_array_mut) {
            list.retain(|s| {
                s["StreamArn"]
                    .as_str()
                    .is_none_or(|a| !st.hidden_streams.contains(a))
            });
        }
    }

    async fn drop_all_tables(&self, account: &str, region: &str) {
        let mut start: Option<Value> = None;
        let mut names = vec![];
        loop {
            let mut req = json!({});
            if let Some(s) = start.take() {
                req["ExclusiveStartTableName"] = s;
            }
            let Ok(out) = self.call(account, region, "ListTables", &req).await else {
                break;
            };
            if let Some(n) = out["TableNames"].as_array() {
                names.extend(n.iter().filter_map(|x| x.as_str().map(str::to_owned)));
            }
            match out.get("LastEvaluatedTableName") {
                Some(s) if !s.is_null() => start = Some(s.clone()),
                _ => break,
            }
        }
        for n in names {
            let _ = self
                .call(account, region, "DeleteTable", &json!({"TableName": n}))
                .await;
        }
    }

    /// Stops DynamoDB Local.
    pub async fn shutdown(&self) {
        self.persist();
        self.backend.shutdown().await;
    }

    pub fn status(&self) -> Value {
        let st = self.state.lock().unwrap();
        json!({
            "backend": if self.config.dynamodb_endpoint.is_some() { "endpoint" } else { "dynamodb-local" },
            "endpoint": self.config.dynamodb_endpoint,
            "started": self.backend.is_started(),
            "url": self.backend.current_url(),
            "log": self.backend.log_path(),
            "tables": st.tables.len(),
            "backups": st.backups.len(),
            "global_tables": st.global_tables.len(),
        })
    }
}

/// Plain names of the tables a transaction names.
fn transact_tables(input: &Value) -> Vec<String> {
    let mut out: Vec<String> = input["TransactItems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i.as_object()?.values().next()?["TableName"]
                .as_str()
                .map(str::to_owned)
        })
        .map(|t| arn::table_of(&t).map(str::to_owned).unwrap_or(t))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// True when `needle` occurs in `hay` (a vectorized scan; no parse on the hot path).
fn memchr(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

fn unknown_operation() -> JsonError {
    JsonError::coral("UnknownOperationException", "")
}

fn serialization() -> JsonError {
    JsonError::coral(
        "SerializationException",
        "Start of structure or map found where not expected",
    )
}

/// One backend call as `account` in `region`, its answer parsed; backend errors come back as
/// the same AWS-shaped error. A free function so background work can call without `DynamoDb`.
async fn call_backend(
    backend: &Backend,
    account: &str,
    region: &str,
    op: &str,
    input: &Value,
) -> OpResult {
    let body = Bytes::from(input.to_string());
    let body = arn::to_backend(body, account, region);
    let res = backend
        .call(account, region, &format!("{DYNAMODB_PREFIX}.{op}"), body)
        .await
        .map_err(|e| backend_unavailable(&e, &backend.log_path()))?;
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
    };
    let message = errors::message(op, code, message, &facts);
    Err(JsonError {
        status: StatusCode::from_u16(res.status).unwrap_or(StatusCode::BAD_REQUEST),
        type_name,
        message,
    })
}

fn backend_unavailable(e: &backend::BackendError, log: &std::path::Path) -> JsonError {
    ddb_err(
        "InternalServerError",
        format!("DynamoDB backend unavailable: {e} (log: {})", log.display()),
    )
    .with_status(StatusCode::INTERNAL_SERVER_ERROR)
}
