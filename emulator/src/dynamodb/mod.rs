//! DynamoDB and DynamoDB Streams: a proxy in front of DynamoDB Local that owns the control
//! plane DynamoDB Local lacks.
//!
//! The façade: decode, check against the pinned API model (`wire::model`), then by the
//! operation table (`ops`) either answer here (`ops::dispatch`) or forward to the backend with
//! the caller's account as access key (so DynamoDB Local keeps one database per account and
//! region), with the answer's patches and the write hooks; DynamoDB Local's errors are
//! rewritten to AWS's (`wire::errors`). Layers, arrows down only (`layout_tests.rs`):
//! mod → ops → {vector, wire, backend, state}; vector → backend.

mod backend;
#[cfg(test)]
mod layout_tests;
mod ops;
mod state;
mod vector;
mod wire;

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::context::RequestContext;
use crate::protocol::json::{json_response, JsonError, CONTENT_TYPE};

use backend::scan;
use ops::Owner;
use state::TableKey;
use wire::{arn, errors, items, memchr, model, patch, table_name, validate};

pub use ops::DynamoDb;
pub use wire::{DYNAMODB_PREFIX, STREAMS_PREFIX};

impl DynamoDb {
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
        // An empty body is an empty input (and is forwarded as one).
        let (input, body): (Value, Bytes) = if body.iter().all(u8::is_ascii_whitespace) {
            (json!({}), Bytes::from_static(b"{}"))
        } else {
            let v = wire::body::parse(&body).ok_or_else(serialization)?;
            (v, body)
        };
        if !input.is_object() {
            return Err(serialization());
        }
        if prefix == DYNAMODB_PREFIX && op == "SearchVectors" {
            wire::strict::search_vectors(&body)?;
        }
        model.check_types(op, &input)?;
        model.check_constraints(op, &input)?;
        let Some(owner) = ops::owner(prefix == STREAMS_PREFIX, op) else {
            return Err(unknown_operation());
        };
        if prefix == STREAMS_PREFIX && ops::streams::is_at_timestamp(op, &input) {
            let out = match op {
                "GetShardIterator" => self.at_timestamp(ctx, &input).await?,
                _ => self.records_after(ctx, &input).await?,
            };
            return Ok(json_response(StatusCode::OK, &out));
        }
        if owner != Owner::Ours {
            return self.forward(ctx, target, op, owner, body, &input).await;
        }
        let table = table_name(&input["TableName"]).unwrap_or_default();
        let out = ops::dispatch(self, ctx, op, input).await;
        if let (Some(b), "CreateTable" | "UpdateTable" | "DeleteTable") = (&self.capacity, op) {
            // Capacity is read again on the table's next metered request.
            b.forget(&ctx.account, &ctx.region, &table);
        }
        let out = out?;
        Ok(json_response(StatusCode::OK, &out))
    }

    /// Passes a request through to the backend, rewriting ARNs both ways, then runs the
    /// write hooks (point-in-time history, replication) when any table needs them.
    async fn forward(
        &self,
        ctx: &RequestContext,
        target: &str,
        op: &str,
        owner: Owner,
        body: Bytes,
        input: &Value,
    ) -> Result<Response, JsonError> {
        validate::before_forward(op, input)?;
        if op == "TransactWriteItems" {
            if let Some(faults) = validate::transaction_value_depths(input) {
                let out = wire::key_faults::cancellation(&faults);
                return Ok(json_response(StatusCode::BAD_REQUEST, &out));
            }
        }
        if op == "ExecuteStatement" {
            self.overlapping_sort_ranges(ctx, input)?;
            if self.vector_tables.load(Ordering::Relaxed) > 0 {
                self.vector_index_read(ctx, input)?;
            }
        }
        // An index read's conditions on attributes the index lacks (`ops::partiql_index`):
        // refused, or sent rewritten; errors are still worded from the caller's statement.
        // A NextToken of ours goes back to DynamoDB Local as its own (`wire::partiql_tokens`).
        let body = match op {
            "ExecuteStatement" => {
                let mut sent = self.index_filter(ctx, input).await?;
                if input.get("NextToken").is_some() {
                    wire::partiql_tokens::unwrap(sent.get_or_insert_with(|| input.clone()))?;
                }
                match sent {
                    Some(sent) => Bytes::from(sent.to_string()),
                    None => body,
                }
            }
            _ => body,
        };
        // A batch statement whose parameters AWS refuses fails in its own slot; the others go
        // to the backend.
        let slot_errors = match op {
            "BatchExecuteStatement" => wire::partiql::batch_parameter_errors(input),
            _ => vec![],
        };
        let defaulted = wire::legacy::attribute_updates_default_put(op, input);
        let (body, input) = match &defaulted {
            Some(v) => (Bytes::from(v.to_string()), v),
            None => (body, input),
        };
        let kept;
        let (body, input) = if slot_errors.is_empty() {
            (body, input)
        } else {
            kept = patch::without_slots(input, &slot_errors);
            if kept["Statements"].as_array().is_none_or(Vec::is_empty) {
                let mut out = json!({"Responses": []});
                patch::splice_slot_errors(&mut out, &slot_errors);
                return Ok(json_response(StatusCode::OK, &out));
            }
            (Bytes::from(kept.to_string()), &kept)
        };
        // The capacity model (opt-in): throttled here, or sent asking for ConsumedCapacity.
        let metered = match self.admit(ctx, op, input).await {
            Some(Err(throttled)) => return Ok(throttled),
            Some(Ok((admitted, sent))) => Some((admitted, sent)),
            None => None,
        };
        let (admitted, body, input) = match &metered {
            Some((a, sent)) => (Some(a), Bytes::from(sent.to_string()), sent),
            None => (None, body, input),
        };
        // TransactWriteItems asking for ConsumedCapacity: its items read first, and sent asking
        // for INDEXES (`ops::transactions`).
        let write_sizes = self.transact_write_sizes(ctx, op, input).await;
        let widened = write_sizes
            .as_ref()
            .and_then(|s| ops::transactions::transact_write_request(s, input));
        let (body, input) = match &widened {
            Some(v) => (Bytes::from(v.to_string()), v),
            None => (body, input),
        };
        // Writes into tables with vector indexes: checked, their items locked until the
        // index has them (so it follows the order the backend applied them in).
        let vector_writes = if self.vector_tables.load(Ordering::Relaxed) > 0 && items::is_write(op)
        {
            vector::index::check_writes(&self.state.lock().unwrap(), ctx, op, input)?;
            Some(vector::hooks::plan(&self.backend, &self.vectors, ctx, op, input).await)
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
        let transaction = self.transaction_sizes(ctx, op, input).await;
        let res = self
            .backend
            .call(&ctx.account, &ctx.region, target, body)
            .await
            .map_err(|e| scan::unavailable(&e, &self.backend.log_path()))?;
        if res.status != 200 {
            let out = arn::to_caller(res.body, &ctx.account, &ctx.region);
            return Ok(self.error_response(ctx, op, input, res.status, &out).await);
        }
        let res_body = match admitted {
            Some(a) => self.charge(ctx, a, res.body),
            None => res.body,
        };
        // A PutItem into a vector table: its ConsumedCapacity as AWS counts it.
        let res_body = match &vector_writes {
            Some(plan) => vector::hooks::metered(&self.vectors, plan, res_body),
            None => res_body,
        };
        if let Some(plan) = vector_writes {
            vector::hooks::apply(&self.backend, &self.vectors, plan, &res_body).await;
        }
        let res_body = match transaction {
            Some(sizes) => self.transaction_capacity(ctx, sizes, res_body).await,
            None => res_body,
        };
        let res_body = self
            .transact_write_answer(ctx, op, input, write_sizes, res_body)
            .await;
        if op == "ExecuteTransaction" {
            self.note_transaction_token(ctx, input);
        }
        let res_body = match op {
            "ExecuteStatement" => self.select_capacity(ctx, input, res_body).await,
            "BatchExecuteStatement" => self.batch_capacity(ctx, input, res_body).await,
            _ => res_body,
        };
        if self.hooked.load(Ordering::Relaxed) > 0 && items::is_write(op) {
            self.after_write(ctx, op, input).await;
        }
        let mut out = arn::to_caller(res_body, &ctx.account, &ctx.region);
        if op == "GetRecords" {
            out = arn::records_to_caller(out, &ctx.region);
        }
        if op == "BatchExecuteStatement" {
            out = self.multi_key_slots(ctx, input, out).await;
        }
        if op == "ExecuteStatement" && memchr(&out, b"\"NextToken\"") {
            if let Ok(mut v) = serde_json::from_slice::<Value>(&out) {
                wire::partiql_tokens::wrap(input, &mut v);
                out = Bytes::from(v.to_string());
            }
        }
        let list_streams = op == "ListStreams" && target.starts_with(STREAMS_PREFIX);
        let patched = patch::needs_patch(op, input) || !given.is_empty() || list_streams;
        if owner == Owner::ForwardPatched && patched {
            if let Ok(mut v) = serde_json::from_slice::<Value>(&out) {
                patch::write_response(op, input, &mut v, &|table: &str| {
                    self.meta(&TableKey::new(&ctx.account, &ctx.region, table))
                        .filter(|m| m.has_lsi)
                        .map(|m| m.key_schema)
                });
                arn::names_as_given(&mut v, &given);
                if list_streams {
                    self.drop_hidden_streams(&mut v);
                }
                out = Bytes::from(v.to_string());
            }
        }
        if !slot_errors.is_empty() {
            if let Ok(mut v) = serde_json::from_slice::<Value>(&out) {
                patch::splice_slot_errors(&mut v, &slot_errors);
                out = Bytes::from(v.to_string());
            }
        }
        let mut r = Response::new(Body::from(out));
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
        Ok(r)
    }

    /// A SELECT whose OR branches read overlapping sort-key ranges of one partition, which
    /// AWS refuses and DynamoDB Local runs (`wire::partiql::overlapping_branches`); the key
    /// schema is our table record's.
    fn overlapping_sort_ranges(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(), JsonError> {
        let statement = input["Statement"].as_str().unwrap_or_default();
        let Some(table) = wire::partiql::select_table(statement) else {
            return Ok(());
        };
        let Some(meta) = self.meta(&TableKey::new(&ctx.account, &ctx.region, &table)) else {
            return Ok(());
        };
        let key = |kind: &str| {
            meta.key_schema
                .as_array()
                .into_iter()
                .flatten()
                .find(|k| k["KeyType"] == kind)
                .and_then(|k| k["AttributeName"].as_str())
                .map(str::to_string)
        };
        let (Some(hash), Some(range)) = (key("HASH"), key("RANGE")) else {
            return Ok(());
        };
        let params = input["Parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if wire::partiql::overlapping_branches(statement, params, &hash, &range) {
            return Err(JsonError::validation(wire::partiql::OVERLAP));
        }
        Ok(())
    }

    /// Whether a SELECT reads a global secondary index whose key has more than one HASH or
    /// more than one RANGE attribute, which AWS refuses ahead of the checks DynamoDB Local
    /// makes first (`wire::partiql::MULTI_KEY_INDEX`). Error path only: one DescribeTable.
    async fn reads_multi_key_index(&self, ctx: &RequestContext, statement: &str) -> bool {
        let Some((table, index)) = wire::partiql::select_index(statement) else {
            return false;
        };
        let Ok(out) = self
            .call_ctx(ctx, "DescribeTable", &json!({"TableName": table}))
            .await
        else {
            return false;
        };
        let gsis = out["Table"]["GlobalSecondaryIndexes"].as_array().cloned();
        let Some(gsi) = gsis.into_iter().flatten().find(|g| g["IndexName"] == index) else {
            return false;
        };
        let keys = gsi["KeySchema"].as_array().cloned().unwrap_or_default();
        let count = |kind: &str| keys.iter().filter(|k| k["KeyType"] == kind).count();
        count("HASH") > 1 || count("RANGE") > 1
    }

    /// BatchExecuteStatement slots DynamoDB Local refuses as not keyed by the whole primary key
    /// that read a multi-attribute key index: AWS reports that index's refusal instead
    /// (paritysuite/dynamodb-conformance
    /// `tests/tier3/error-messages/partiqlMultiAttributeIndex.test.ts`).
    async fn multi_key_slots(&self, ctx: &RequestContext, input: &Value, out: Bytes) -> Bytes {
        let statement = |i: usize| input["Statements"][i]["Statement"].as_str();
        let statements = input["Statements"].as_array().map_or(0, Vec::len);
        let any_index = (0..statements)
            .any(|i| wire::partiql::select_index(statement(i).unwrap_or_default()).is_some());
        let Some(mut v) = any_index
            .then(|| serde_json::from_slice::<Value>(&out).ok())
            .flatten()
        else {
            return out;
        };
        let mut changed = false;
        for (i, r) in v["Responses"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(e) = r.get_mut("Error") else {
                continue;
            };
            if e["Code"] != "ValidationError"
                || e["Message"] != "Only single item select is supported"
            {
                continue;
            }
            let s = statement(i).unwrap_or_default();
            if self.reads_multi_key_index(ctx, s).await {
                e["Message"] = json!(wire::partiql::MULTI_KEY_INDEX);
                changed = true;
            }
        }
        if changed {
            Bytes::from(v.to_string())
        } else {
            out
        }
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
        if let Some(message) = errors::internal_failure_of_input(op, input, status) {
            let out = errors::body(
                "com.amazon.coral.validate#ValidationException",
                &message,
                &Map::new(),
            );
            return json_response(StatusCode::BAD_REQUEST, &out);
        }
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
        let (key_names, key_types) = if errors::needs_schema(op, code, message) {
            self.request_keys(ctx, input).await.into_iter().unzip()
        } else {
            (vec![], vec![])
        };
        let facts = errors::Facts {
            input,
            key_names,
            key_types,
        };
        let mut message = errors::message(op, code, message, &facts);
        if op == "ExecuteStatement" {
            let statement = input["Statement"].as_str().unwrap_or_default();
            let raw = obj.get("message").or_else(|| obj.get("Message"));
            let raw = raw.and_then(Value::as_str).unwrap_or_default();
            if wire::partiql::after_multi_key_refusal(statement, raw)
                && self.reads_multi_key_index(ctx, statement).await
            {
                message = wire::partiql::MULTI_KEY_INDEX.to_string();
            }
        }
        let type_name = match op {
            "ExecuteStatement" => wire::partiql::error_type(type_name),
            _ => type_name,
        };
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
        let raw = obj.get("message").or_else(|| obj.get("Message"));
        let raw = raw.and_then(Value::as_str).unwrap_or_default();
        if let Some(fixed) = self.key_fault_answer(ctx, op, input, code, raw, &out).await {
            return json_response(status, &fixed);
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

    /// Key attributes and their types (HASH first) of the table or index a request names.
    async fn request_keys(&self, ctx: &RequestContext, input: &Value) -> Vec<(String, String)> {
        let Some(name) = table_name(&input["TableName"]) else {
            return vec![];
        };
        self.key_schema(ctx, &name, input["IndexName"].as_str())
            .await
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
            let named = st.item_stems();
            // Under the lock: a backup or history is named by its record as its file appears.
            state::item_files::prune(&self.config.dynamodb_items_dir(), |s| named.contains(s));
        }
        self.changed();
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

    /// Starts the embedded DynamoDB Local in the background (see `Backend::prestart`).
    pub fn prestart(&self) {
        self.backend.prestart();
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
            "write_log": self.backend.write_log_status(),
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

fn unknown_operation() -> JsonError {
    JsonError::coral("UnknownOperationException", "")
}

fn serialization() -> JsonError {
    JsonError::coral(
        "SerializationException",
        "Start of structure or map found where not expected",
    )
}
