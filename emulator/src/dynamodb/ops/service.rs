//! The handle every operation works through (`DynamoDb`: configuration, backend, records,
//! vector indexes) and what several families share: backend calls, table records, and the
//! table description with the fields DynamoDB Local omits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::config::Config;
use crate::context::RequestContext;
use crate::dynamodb::backend::scan::call;
use crate::dynamodb::backend::sizes::IndexSizes;
use crate::dynamodb::backend::Backend;
use crate::dynamodb::state::{self, now, State, TableKey, TableMeta};
use crate::dynamodb::vector::hooks;
use crate::dynamodb::vector::index::{describe, IndexState};
use crate::dynamodb::vector::search;
use crate::dynamodb::vector::store::VectorStore;
use crate::dynamodb::wire::{ddb_err, str_of, table_name, validation, OpResult};
use crate::protocol::json::JsonError;
use crate::supervisor::Supervisor;

pub struct DynamoDb {
    pub(in crate::dynamodb) config: Config,
    pub(in crate::dynamodb) backend: Arc<Backend>,
    pub(in crate::dynamodb) state: Mutex<State>,
    /// Tables whose writes need a hook (point-in-time history or replicas); zero keeps the
    /// data plane a pure pass-through.
    pub(in crate::dynamodb) hooked: AtomicUsize,
    /// Tables with vector indexes, whose writes are checked first; zero skips the check.
    pub(in crate::dynamodb) vector_tables: AtomicUsize,
    /// Per-index sizes and counts, kept until their table changes.
    pub(in crate::dynamodb) index_sizes: IndexSizes,
    /// The vector indexes, kept current by every write path.
    pub(in crate::dynamodb) vectors: Arc<VectorStore>,
    /// Provisioned-capacity buckets, with `--enforce-capacity` only.
    pub(in crate::dynamodb) capacity: Option<crate::dynamodb::state::CapacityBuckets>,
    /// Transactions' client request tokens seen lately (a replay's ConsumedCapacity differs).
    pub(in crate::dynamodb) client_tokens: crate::dynamodb::state::client_tokens::ClientTokens,
}

/// Members DynamoDB Local does not need (or would handle differently): we keep them.
const OWNED_CREATE_MEMBERS: &[&str] = &[
    "Tags",
    "SSESpecification",
    "TableClass",
    "DeletionProtectionEnabled",
    "ResourcePolicy",
    "OnDemandThroughput",
    "WarmThroughput",
];

pub fn sse_description(spec: &Value, account: &str, region: &str) -> Option<Value> {
    if !spec
        .get("Enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return None;
    }
    let key = str_of(spec, "KMSMasterKeyId").unwrap_or("alias/aws/dynamodb");
    let key_arn = if key.starts_with("arn:") {
        key.to_string()
    } else if let Some(alias) = key.strip_prefix("alias/") {
        format!("arn:aws:kms:{region}:{account}:alias/{alias}")
    } else {
        format!("arn:aws:kms:{region}:{account}:key/{key}")
    };
    Some(json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}))
}

/// Adds what DynamoDB Local leaves out of a TableDescription.
pub fn patch_description(desc: &mut Value, meta: &TableMeta, key: &TableKey) {
    let Some(d) = desc.as_object_mut() else {
        return;
    };
    d.insert("TableId".into(), json!(meta.table_id));
    // Ours: a JVM given the write log again (after a crash or a restart) dates its tables anew.
    if meta.created > 0.0 && d.contains_key("CreationDateTime") {
        d.insert("CreationDateTime".into(), json!(meta.created));
    }
    clean_throughput(d.get_mut("ProvisionedThroughput"));
    if let (Some(t), Some(pt)) = (
        meta.last_increase,
        d.get_mut("ProvisionedThroughput")
            .and_then(Value::as_object_mut),
    ) {
        pt.entry("LastIncreaseDateTime").or_insert(json!(t));
    }
    if let (Some(last), Some(pt)) = (
        meta.decreases.last(),
        d.get_mut("ProvisionedThroughput")
            .and_then(Value::as_object_mut),
    ) {
        let today = meta
            .decreases
            .iter()
            .filter(|x| same_utc_day(**x, now()))
            .count();
        pt.insert("LastDecreaseDateTime".into(), json!(last));
        pt.insert("NumberOfDecreasesToday".into(), json!(today));
    }
    for idx in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
        if let Some(list) = d.get_mut(idx).and_then(Value::as_array_mut) {
            for i in list {
                clean_throughput(i.get_mut("ProvisionedThroughput"));
            }
        }
    }
    if let Some(mode) = &meta.billing_mode {
        let mut s = json!({"BillingMode": mode});
        if let Some(t) = meta.last_update_to_ppr {
            s["LastUpdateToPayPerRequestDateTime"] = json!(t);
        }
        d.insert("BillingModeSummary".into(), s);
    }
    if let Some(sse) = &meta.sse {
        d.insert("SSEDescription".into(), sse.clone());
    }
    add_warm_throughput(d, meta.warm.as_ref());
    // DynamoDB Local drops OnDemandThroughput; AWS describes what the table was given
    // (nubo-db/dynamodb-conformance tests/tier1/createTable/config.test.ts).
    if let Some(o) = &meta.on_demand {
        d.insert("OnDemandThroughput".into(), o.clone());
    }
    if let Some(c) = &meta.table_class {
        d.insert("TableClassSummary".into(), json!({"TableClass": c}));
    }
    d.insert(
        "DeletionProtectionEnabled".into(),
        json!(meta.deletion_protection),
    );
    if meta.global_version.as_deref() == Some("2019.11.21") && !meta.replicas.is_empty() {
        d.insert("GlobalTableVersion".into(), json!("2019.11.21"));
        let replicas: Vec<Value> = meta
            .replicas
            .iter()
            .map(|r| {
                let status = meta
                    .replica_status
                    .get(r)
                    .cloned()
                    .unwrap_or_else(|| "ACTIVE".into());
                json!({"RegionName": r, "ReplicaStatus": status})
            })
            .collect();
        d.insert("Replicas".into(), Value::Array(replicas));
    }
    if let Some(r) = &meta.restore_summary {
        d.insert("RestoreSummary".into(), r.clone());
    }
    let _ = key;
}

/// A new table or index starts with a warm throughput of 12,000 read and 4,000 write units per
/// second ("A new on-demand table starts with a warm throughput of 12,000 read units per second
/// and 4,000 write units per second", DynamoDB Developer Guide, Understanding DynamoDB warm
/// throughput in different scenarios); it rises with provisioned capacity set higher, and with
/// a WarmThroughput the table was given. Nothing warms up here, so its status is ACTIVE (for an
/// index AWS documents only UPDATING or ACTIVE).
const WARM_READ: u64 = 12_000;
const WARM_WRITE: u64 = 4_000;

fn warm_of(pt: &Value, given: Option<&Value>) -> Value {
    let units = |pt_key: &str, given_key: &str, floor: u64| {
        let provisioned = pt[pt_key].as_u64().unwrap_or(0);
        let given = given.and_then(|g| g[given_key].as_u64()).unwrap_or(0);
        floor.max(provisioned).max(given)
    };
    json!({
        "ReadUnitsPerSecond": units("ReadCapacityUnits", "ReadUnitsPerSecond", WARM_READ),
        "WriteUnitsPerSecond": units("WriteCapacityUnits", "WriteUnitsPerSecond", WARM_WRITE),
        "Status": "ACTIVE",
    })
}

fn add_warm_throughput(d: &mut serde_json::Map<String, Value>, given: Option<&Value>) {
    let table = warm_of(
        d.get("ProvisionedThroughput").unwrap_or(&Value::Null),
        given,
    );
    d.insert("WarmThroughput".into(), table);
    if let Some(list) = d
        .get_mut("GlobalSecondaryIndexes")
        .and_then(Value::as_array_mut)
    {
        for i in list {
            // An on-demand table's indexes report zero provisioned capacity, as its own
            // ProvisionedThroughput does.
            if i.get("ProvisionedThroughput").is_none() {
                i["ProvisionedThroughput"] = json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0});
            }
            let w = warm_of(&i["ProvisionedThroughput"], None);
            i["WarmThroughput"] = w;
        }
    }
}

pub fn same_utc_day(a: f64, b: f64) -> bool {
    (a / 86_400.0).floor() == (b / 86_400.0).floor()
}

/// DynamoDB Local reports never-happened increases/decreases as 0; AWS omits them.
fn clean_throughput(pt: Option<&mut Value>) {
    if let Some(pt) = pt.and_then(Value::as_object_mut) {
        for k in ["LastIncreaseDateTime", "LastDecreaseDateTime"] {
            if pt.get(k).and_then(Value::as_f64) == Some(0.0) {
                pt.remove(k);
            }
        }
        pt.entry("NumberOfDecreasesToday").or_insert(json!(0));
    }
}

fn set_index_status(desc: &mut Value, status: &str) {
    if let Some(list) = desc
        .get_mut("GlobalSecondaryIndexes")
        .and_then(Value::as_array_mut)
    {
        for i in list {
            i["IndexStatus"] = json!(status);
        }
    }
}

impl DynamoDb {
    pub fn new(config: Config, supervisor: Supervisor) -> Self {
        let mut state = config
            .state_dir
            .as_deref()
            .map(state::load)
            .unwrap_or_default();
        state::move_items_to_files(&mut state, &config.dynamodb_items_dir());
        let me = Self {
            backend: Backend::new(config.clone(), supervisor),
            state: Mutex::new(state),
            hooked: AtomicUsize::new(0),
            vector_tables: AtomicUsize::new(0),
            index_sizes: IndexSizes::default(),
            vectors: Arc::new(VectorStore::new(config.state_dir.as_deref())),
            capacity: config
                .enforce_capacity
                .then(crate::dynamodb::state::CapacityBuckets::default),
            client_tokens: Default::default(),
            config,
        };
        me.refresh_hooked();
        hooks::load(&me.vectors, &me.state.lock().unwrap());
        me
    }

    /// Calls the backend as `account` in `region` and parses its answer; backend errors come
    /// back as the same AWS-shaped error.
    pub(in crate::dynamodb) async fn call(
        &self,
        account: &str,
        region: &str,
        op: &str,
        input: &Value,
    ) -> OpResult {
        call(&self.backend, account, region, op, input).await
    }

    pub(in crate::dynamodb) async fn call_ctx(
        &self,
        ctx: &RequestContext,
        op: &str,
        input: &Value,
    ) -> OpResult {
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
    pub(in crate::dynamodb) fn persist(&self) {
        if let Some(dir) = &self.config.state_dir {
            let st = self.state.lock().unwrap();
            state::save(dir, &st);
        }
    }

    pub(in crate::dynamodb) fn changed(&self) {
        self.refresh_hooked();
        self.persist();
    }
}

impl DynamoDb {
    pub(in crate::dynamodb) fn meta(&self, key: &TableKey) -> Option<TableMeta> {
        self.state.lock().unwrap().table(key).cloned()
    }

    /// DescribeTable through the backend, patched; None when the table does not exist.
    pub(super) async fn describe_raw(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<Value, JsonError> {
        let out = self
            .call(
                account,
                region,
                "DescribeTable",
                &json!({"TableName": name}),
            )
            .await?;
        let mut desc = out["Table"].clone();
        let key = TableKey::new(account, region, name);
        let meta = self.ensure_meta(&key, &desc);
        patch_description(&mut desc, &meta, &key);
        self.index_sizes.fix(&self.backend, &key, &mut desc).await;
        self.describe_vector_indexes(&key, &mut desc, &[]);
        Ok(desc)
    }

    /// Our record for a table the backend knows (created before we kept one, e.g. by another
    /// emulator over the same `--dynamodb-endpoint`).
    fn ensure_meta(&self, key: &TableKey, desc: &Value) -> TableMeta {
        let mut st = self.state.lock().unwrap();
        if let Some(m) = st.table(key) {
            return m.clone();
        }
        let m = TableMeta {
            table_id: uuid::Uuid::new_v4().to_string(),
            created: desc["CreationDateTime"].as_f64().unwrap_or_else(now),
            key_schema: desc["KeySchema"].clone(),
            ..Default::default()
        };
        st.seen.insert((key.account.clone(), key.region.clone()));
        st.insert_table(key.clone(), m.clone());
        m
    }

    /// Creates a table in the backend and records it; used by CreateTable, restores and replicas.
    pub(super) async fn create_table_in(
        &self,
        account: &str,
        region: &str,
        mut input: Value,
        mut meta: TableMeta,
    ) -> OpResult {
        let Some(obj) = input.as_object_mut() else {
            return Err(validation("Table creation parameters must be a structure"));
        };
        let name =
            table_name(&obj.get("TableName").cloned().unwrap_or_default()).unwrap_or_default();
        obj.insert("TableName".into(), json!(name));
        for m in OWNED_CREATE_MEMBERS {
            obj.remove(*m);
        }
        let out = self.call(account, region, "CreateTable", &input).await?;
        let mut desc = out["TableDescription"].clone();
        let key = TableKey::new(account, region, &name);
        meta.table_id = uuid::Uuid::new_v4().to_string();
        meta.created = desc["CreationDateTime"].as_f64().unwrap_or_else(now);
        meta.key_schema = desc["KeySchema"].clone();
        meta.has_lsi = desc.get("LocalSecondaryIndexes").is_some();
        if meta.billing_mode.as_deref() == Some("PAY_PER_REQUEST") {
            meta.last_update_to_ppr = Some(meta.created);
        }
        {
            let mut st = self.state.lock().unwrap();
            st.seen.insert((account.to_string(), region.to_string()));
            st.insert_table(key.clone(), meta.clone());
        }
        // A new table is empty: its vector indexes are built (a journal left by an older
        // table of the name goes).
        self.vectors.drop_table(&key);
        if self
            .vectors
            .sync(&key, &meta.key_schema, &meta.vector_indexes)
        {
            self.vectors.fill_from(&key, &[], false);
        }
        self.changed();
        patch_description(&mut desc, &meta, &key);
        desc["TableStatus"] = json!("CREATING");
        set_index_status(&mut desc, "CREATING");
        Ok(desc)
    }
    /// Adds `VectorIndexes` to a table's description, with each index's counts.
    pub(super) fn describe_vector_indexes(
        &self,
        key: &TableKey,
        desc: &mut Value,
        fresh: &[String],
    ) {
        let Some(meta) = self.meta(key) else {
            return;
        };
        if meta.vector_indexes.is_empty() {
            return;
        }
        let Some(table) = search::table(&self.backend, &self.vectors, key, &meta) else {
            return;
        };
        let states: Vec<IndexState> = {
            let t = table.read().unwrap();
            meta.vector_indexes
                .iter()
                .map(|d| {
                    let name = d["IndexName"].as_str().unwrap_or_default();
                    t.index(name).map_or_else(IndexState::default, |i| {
                        let (count, bytes) = i.stats();
                        IndexState {
                            built: i.built,
                            count,
                            bytes,
                        }
                    })
                })
                .collect()
        };
        describe(desc, &meta, &key.arn(), &states, fresh);
    }
}

pub fn table_missing(name: &str) -> JsonError {
    ddb_err("TableNotFoundException", format!("Table not found: {name}"))
}

pub fn page_token(input: &Value, len: usize) -> Result<usize, JsonError> {
    match str_of(input, "NextToken") {
        None => Ok(0),
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= len)
            .ok_or_else(|| validation(format!("Invalid NextToken: {t}"))),
    }
}

pub fn revision() -> String {
    format!("{}", (now() * 1000.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_key_ids_become_arns() {
        let d = sse_description(
            &json!({"Enabled": true, "KMSMasterKeyId": "abcd"}),
            "1",
            "r",
        )
        .unwrap();
        assert_eq!(d["KMSMasterKeyArn"], "arn:aws:kms:r:1:key/abcd");
        assert!(sse_description(&json!({"Enabled": false}), "1", "r").is_none());
    }

    #[test]
    fn descriptions_get_the_fields_dynamodb_local_omits() {
        let key = TableKey::new("1", "r", "T");
        let meta = TableMeta {
            table_id: "id".into(),
            billing_mode: Some("PAY_PER_REQUEST".into()),
            table_class: Some("STANDARD_INFREQUENT_ACCESS".into()),
            deletion_protection: true,
            ..Default::default()
        };
        let mut d =
            json!({"ProvisionedThroughput": {"LastIncreaseDateTime": 0.0, "ReadCapacityUnits": 0}});
        patch_description(&mut d, &meta, &key);
        assert_eq!(d["TableId"], "id");
        assert_eq!(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
        assert_eq!(
            d["TableClassSummary"]["TableClass"],
            "STANDARD_INFREQUENT_ACCESS"
        );
        assert_eq!(d["DeletionProtectionEnabled"], true);
        assert!(d["ProvisionedThroughput"]
            .get("LastIncreaseDateTime")
            .is_none());
        assert_eq!(d["ProvisionedThroughput"]["NumberOfDecreasesToday"], 0);
        // A new on-demand table: AWS's starting warm throughput.
        assert_eq!(
            d["WarmThroughput"],
            json!({"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"})
        );
    }

    #[test]
    fn warm_throughput_rises_with_capacity_and_what_was_given() {
        let key = TableKey::new("1", "r", "T");
        let meta = TableMeta {
            warm: Some(json!({"ReadUnitsPerSecond": 15000})),
            ..Default::default()
        };
        let mut d = json!({
            "TableStatus": "CREATING",
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 9000},
            "GlobalSecondaryIndexes": [{"IndexStatus": "CREATING",
                "ProvisionedThroughput": {"ReadCapacityUnits": 20000, "WriteCapacityUnits": 1}}],
        });
        patch_description(&mut d, &meta, &key);
        assert_eq!(
            d["WarmThroughput"],
            json!({"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 9000, "Status": "ACTIVE"})
        );
        assert_eq!(
            d["GlobalSecondaryIndexes"][0]["WarmThroughput"],
            json!({"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"})
        );
    }
}
