//! Control-plane records DynamoDB Local does not keep: table ids, tags, backups (with their
//! items), point-in-time history, global tables and the smaller per-table settings.
//! Everything is keyed by account and region; with `--state-dir` it is saved as JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod client_tokens;
pub mod item_files;

/// Seconds since the epoch, as DynamoDB's JSON timestamps.
pub fn now() -> f64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
pub struct TableKey {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl TableKey {
    pub fn new(account: &str, region: &str, name: &str) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
            name: name.into(),
        }
    }
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.region, self.account, self.name
        )
    }
}

/// One change recorded for point-in-time recovery: the item's image after the write.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub at: f64,
    pub key: Value,
    /// None when the item was deleted.
    pub item: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pitr {
    pub enabled_at: f64,
    /// The stem of the history's files in the items dir: the items when recovery was
    /// enabled and every change since (`item_files`).
    #[serde(default)]
    pub files: String,
    /// Kept in the record by versions before the files; moved into them at start.
    #[serde(default, skip_serializing)]
    pub base: Vec<Value>,
    #[serde(default, skip_serializing)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableMeta {
    pub table_id: String,
    pub created: f64,
    pub key_schema: Value,
    pub tags: Vec<(String, String)>,
    pub sse: Option<Value>,
    pub table_class: Option<String>,
    /// Set once the billing mode was given explicitly or changed.
    pub billing_mode: Option<String>,
    pub last_update_to_ppr: Option<f64>,
    pub pitr: Option<Pitr>,
    /// Insights per index (None key = the table itself): status and last update.
    pub insights: BTreeMap<String, (String, f64)>,
    pub kinesis: Vec<Value>,
    pub policy: Option<(String, String)>,
    /// 2019.11.21 replicas: other regions holding a copy.
    pub replicas: BTreeSet<String>,
    pub restore_summary: Option<Value>,
    pub autoscaling_write: Option<Value>,
    pub autoscaling_read: Option<Value>,
    pub deletion_protection: bool,
    /// Vector index definitions (DynamoDB Local has none), in creation order.
    #[serde(default)]
    pub vector_indexes: Vec<Value>,
    /// Attribute definitions only search schemas name, which DynamoDB Local would refuse.
    #[serde(default)]
    pub vector_attr_defs: BTreeMap<String, Value>,
    /// "2017.11.29" or "2019.11.21" when the table is part of a global table.
    pub global_version: Option<String>,
    /// Status the next describe reports once (e.g. a replica still being created).
    pub replica_status: BTreeMap<String, String>,
    pub last_increase: Option<f64>,
    /// When the table's provisioned throughput was lowered (AWS counts them per UTC day).
    #[serde(default)]
    pub decreases: Vec<f64>,
    pub has_lsi: bool,
    /// The WarmThroughput the table was given (CreateTable, UpdateTable), if any.
    #[serde(default)]
    pub warm: Option<Value>,
    /// The OnDemandThroughput the table was given (CreateTable, UpdateTable), if any.
    #[serde(default)]
    pub on_demand: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub arn: String,
    pub name: String,
    pub table: TableKey,
    pub table_id: String,
    pub created: f64,
    pub size_bytes: u64,
    pub backup_type: String,
    /// DescribeTable of the source at backup time (ARNs already rewritten).
    pub description: Value,
    pub meta: TableMeta,
    /// The stem of the file holding the items (`item_files::backup_path`).
    #[serde(default)]
    pub items_file: String,
    #[serde(default)]
    pub item_count: u64,
    /// Kept in the record by versions before the files; moved into one at start.
    #[serde(default, skip_serializing)]
    pub items: Vec<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GlobalTable {
    pub account: String,
    pub name: String,
    pub regions: Vec<String>,
    pub created: f64,
    pub write_capacity: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub seen: BTreeSet<(String, String)>,
    pub tables: BTreeMap<String, (TableKey, TableMeta)>,
    pub backups: BTreeMap<String, Backup>,
    /// Keyed by "account/name".
    pub global_tables: BTreeMap<String, GlobalTable>,
    pub exports: BTreeMap<String, (String, Value)>,
    pub imports: BTreeMap<String, (String, Value)>,
    /// Streams (caller-form ARNs) that DynamoDB Local still lists after a reset deleted their
    /// tables; a reset leaves nothing behind, so ListStreams leaves them out.
    #[serde(default)]
    pub hidden_streams: BTreeSet<String>,
    /// StartBulkPutItems operations: ARN -> (owner account, description).
    #[serde(default)]
    pub bulk_operations: BTreeMap<String, (String, Value)>,
}

fn table_id(k: &TableKey) -> String {
    format!("{}\u{1}{}\u{1}{}", k.account, k.region, k.name)
}

impl State {
    pub fn table(&self, k: &TableKey) -> Option<&TableMeta> {
        self.tables.get(&table_id(k)).map(|(_, m)| m)
    }
    pub fn table_mut(&mut self, k: &TableKey) -> Option<&mut TableMeta> {
        self.tables.get_mut(&table_id(k)).map(|(_, m)| m)
    }
    pub fn insert_table(&mut self, k: TableKey, m: TableMeta) {
        self.tables.insert(table_id(&k), (k, m));
    }
    pub fn remove_table(&mut self, k: &TableKey) -> Option<TableMeta> {
        self.tables.remove(&table_id(k)).map(|(_, m)| m)
    }
    pub fn tables_of(
        &self,
        account: &str,
        region: &str,
    ) -> impl Iterator<Item = (&TableKey, &TableMeta)> {
        let (a, r) = (account.to_string(), region.to_string());
        self.tables
            .values()
            .filter(move |(k, _)| k.account == a && k.region == r)
            .map(|(k, m)| (k, m))
    }
    /// The stems of every file the records name (backups' items, histories).
    pub fn item_stems(&self) -> BTreeSet<String> {
        let backups = self.backups.values().map(|b| b.items_file.clone());
        let histories = self
            .tables
            .values()
            .filter_map(|(_, m)| m.pitr.as_ref().map(|p| p.files.clone()));
        backups.chain(histories).collect()
    }

    /// Drops every record of `account` (all accounts when None).
    pub fn reset(&mut self, account: Option<&str>) {
        match account {
            None => *self = State::default(),
            Some(a) => {
                self.seen.retain(|(acc, _)| acc != a);
                self.tables.retain(|_, (k, _)| k.account != a);
                self.backups.retain(|_, b| b.table.account != a);
                self.global_tables.retain(|_, g| g.account != a);
                self.exports.retain(|_, (acc, _)| acc != a);
                self.imports.retain(|_, (acc, _)| acc != a);
                self.bulk_operations.retain(|_, (acc, _)| acc != a);
            }
        }
    }
}

/// Where the control plane is saved between runs.
pub fn state_file(dir: &std::path::Path) -> PathBuf {
    dir.join("dynamodb-control.json")
}

pub fn load(dir: &std::path::Path) -> State {
    std::fs::read(state_file(dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Moves the items and histories older versions kept in the record into the items dir, and
/// removes files no record names any more.
pub fn move_items_to_files(state: &mut State, dir: &std::path::Path) {
    let write = |path: PathBuf, items: &[Value]| {
        let mut w = item_files::ItemWriter::create(&path)?;
        w.append(items)?;
        w.finish()
    };
    for b in state.backups.values_mut() {
        if b.items_file.is_empty() {
            b.items_file = item_files::new_stem("backup");
            let items = std::mem::take(&mut b.items);
            b.item_count = items.len() as u64;
            if let Err(e) = write(item_files::backup_path(dir, &b.items_file), &items) {
                tracing::warn!("moving backup {} to its file: {e}", b.arn);
            }
        }
    }
    for (_, m) in state.tables.values_mut() {
        if let Some(p) = m.pitr.as_mut().filter(|p| p.files.is_empty()) {
            p.files = item_files::new_stem("pitr");
            let base = std::mem::take(&mut p.base);
            let changes = std::mem::take(&mut p.changes);
            let moved = write(item_files::base_path(dir, &p.files), &base).and_then(|_| {
                item_files::append_changes(&item_files::changes_path(dir, &p.files), &changes)
            });
            if let Err(e) = moved {
                tracing::warn!("moving a point-in-time history to its files: {e}");
            }
        }
    }
    let named = state.item_stems();
    item_files::prune(dir, |s| named.contains(s));
}

pub fn save(dir: &std::path::Path, state: &State) {
    let path = state_file(dir);
    let tmp = path.with_extension("json.tmp");
    if let Ok(bytes) = serde_json::to_vec(state) {
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_histories_saved_in_records_move_into_files() {
        let dir = tempfile::tempdir().unwrap();
        let item = |k: &str| serde_json::json!({"pk": {"S": k}});
        let key = TableKey::new("1", "r", "t");
        let mut old = State::default();
        let meta = TableMeta {
            pitr: Some(Pitr {
                enabled_at: 1.0,
                files: String::new(),
                base: vec![],
                changes: vec![],
            }),
            ..Default::default()
        };
        old.insert_table(key.clone(), meta.clone());
        old.backups.insert(
            "arn".into(),
            Backup {
                arn: "arn".into(),
                name: "b".into(),
                table: key.clone(),
                table_id: String::new(),
                created: 1.0,
                size_bytes: 0,
                backup_type: "USER".into(),
                description: Value::Null,
                meta,
                items_file: String::new(),
                item_count: 0,
                items: vec![item("a"), item("c")],
            },
        );
        // As the versions before the files wrote it: items and history in the record.
        let mut saved = serde_json::to_value(&old).unwrap();
        let rec = saved["tables"].as_object_mut().unwrap().values_mut().next();
        rec.unwrap()[1]["pitr"].as_object_mut().unwrap().extend([
            ("base".to_string(), serde_json::json!([item("a")])),
            (
                "changes".to_string(),
                serde_json::json!([{"at": 2.0, "key": item("b"), "item": item("b")}]),
            ),
        ]);
        saved["backups"]["arn"]["items"] = serde_json::json!([item("a"), item("c")]);
        std::fs::write(
            dir.path().join("stray.jsonl"),
            b"{}\n", // a file no record names
        )
        .unwrap();
        let mut state: State = serde_json::from_value(saved).unwrap();
        move_items_to_files(&mut state, dir.path());

        let b = &state.backups["arn"];
        assert_eq!(b.item_count, 2);
        let mut r =
            item_files::ItemReader::open(&item_files::backup_path(dir.path(), &b.items_file))
                .unwrap();
        assert_eq!(r.page(10).unwrap(), vec![item("a"), item("c")]);
        let p = state.table(&key).unwrap().pitr.clone().unwrap();
        let mut h = item_files::ItemPages::history(dir.path(), &p.files, 9.0, |v| {
            v["pk"]["S"].as_str().unwrap_or_default().to_string()
        })
        .unwrap();
        assert_eq!(h.page(10).unwrap(), vec![item("a"), item("b")]);
        assert!(!dir.path().join("stray.jsonl").exists());
        // Saved again, the record no longer carries them.
        let again = serde_json::to_string(&state).unwrap();
        assert!(!again.contains("\"items\"") && !again.contains("\"base\""));
    }

    #[test]
    fn records_saved_before_vector_indexes_and_bulk_operations_still_load() {
        let mut meta = serde_json::to_value(TableMeta::default()).unwrap();
        let m = meta.as_object_mut().unwrap();
        assert!(m.remove("vector_indexes").is_some());
        assert!(m.remove("vector_attr_defs").is_some());
        let back: TableMeta = serde_json::from_value(meta).unwrap();
        assert!(back.vector_indexes.is_empty());
        let mut state = serde_json::to_value(State::default()).unwrap();
        assert!(state
            .as_object_mut()
            .unwrap()
            .remove("bulk_operations")
            .is_some());
        let back: State = serde_json::from_value(state).unwrap();
        assert!(back.bulk_operations.is_empty());
    }
}

// ---- provisioned capacity (`--enforce-capacity`; kept in memory, not saved) ----

/// Seconds of unused capacity a bucket keeps.
const BURST_SECONDS: f64 = 300.0;

pub struct Bucket {
    rate: f64,
    pub tokens: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(rate: f64) -> Self {
        // A new table has one second of capacity and no unused capacity saved yet.
        Bucket {
            rate,
            tokens: rate,
            at: Instant::now(),
        }
    }

    pub fn refill(&mut self) {
        let now = Instant::now();
        let max = self.rate * BURST_SECONDS;
        self.tokens = (self.tokens + self.rate * (now - self.at).as_secs_f64()).min(max);
        self.at = now;
    }
}

/// Account, region and table name.
pub type TableId = (String, String, String);

/// Read and write buckets of the provisioned tables seen (None: an on-demand table).
#[derive(Default)]
pub struct CapacityBuckets {
    pub tables: Mutex<HashMap<TableId, Option<[Bucket; 2]>>>,
}

impl CapacityBuckets {
    /// Forgets a table's capacity (created, updated or deleted): read again on next use.
    pub fn forget(&self, account: &str, region: &str, table: &str) {
        self.tables.lock().unwrap().remove(&(
            account.to_string(),
            region.to_string(),
            table.to_string(),
        ));
    }
}

#[cfg(test)]
mod capacity_tests {
    use super::*;

    #[test]
    fn buckets_keep_five_minutes_of_unused_capacity() {
        let mut b = Bucket::new(10.0);
        b.at -= std::time::Duration::from_secs(1000);
        b.refill();
        assert_eq!(b.tokens, 3000.0);
    }
}
