//! The default mode's durability: DynamoDB Local runs in memory, and every request it
//! acknowledged that changed something is appended here before its caller is answered. A new
//! JVM (after a crash, or an emulator restarted on its state dir) is given the log again, in
//! order, so it comes back with every acknowledged write at in-memory speed (a database file
//! cost DynamoDB Local 24-36% of its write throughput here; README, "Crash safety").
//!
//! Order: replaying requests gives the same tables only if each item sees its writes in the
//! order the backend applied them. Writes that name their items hold a lock per item (one of
//! `STRIPES`, by table and key value) from before they are sent until they are appended;
//! everything else that writes (table changes, PartiQL writes, anything we cannot key) holds
//! the gate alone, as do replays and compactions.
//!
//! Framing: a header line `op account region length` (then ` s` for a compaction's snapshot
//! batch), then the body as sent, then `\n`. A torn last record (the emulator killed
//! mid-append, before the caller was answered) is ignored.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Item locks: enough that unrelated writes rarely wait on each other.
const STRIPES: usize = 1024;

/// Requests that change nothing, never logged.
const READS: &[&str] = &[
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
    "DescribeTable",
    "ListTables",
    "DescribeTimeToLive",
    "ListTagsOfResource",
    "DescribeLimits",
    "DescribeEndpoints",
];

/// Table changes kept through a compaction, in order after the table's CreateTable.
const TABLE_CHANGES: &[&str] = &[
    "UpdateTable",
    "UpdateTimeToLive",
    "TagResource",
    "UntagResource",
];

/// One logged request.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub op: String,
    pub account: String,
    pub region: String,
    pub body: Bytes,
    /// A compaction's batch of items: no item of it is in another snapshot record, so the
    /// snapshot records next to each other may be replayed in any order.
    pub snapshot: bool,
}

/// What a request needs to hold while it runs.
#[derive(Debug, PartialEq)]
pub enum Access {
    /// Changes nothing.
    Read,
    /// Writes these items (stripe numbers, sorted, distinct).
    Items(Vec<usize>),
    /// Writes what we cannot key: runs alone.
    Alone,
}

/// Held while a request runs and until it is appended.
pub enum Guard<'a> {
    Read,
    Items(
        #[allow(dead_code)] RwLockReadGuard<'a, ()>,
        #[allow(dead_code)] Vec<MutexGuard<'a, ()>>,
    ),
    Alone(#[allow(dead_code)] RwLockWriteGuard<'a, ()>),
}

type TableRef = (String, String, String);

/// What the log knows of a live table: its key attributes (to key its item writes) and the
/// requests that shaped it (kept through compactions).
#[derive(Clone, Debug, Default)]
pub struct TableLog {
    pub keys: Vec<String>,
    pub changes: Vec<Record>,
}

pub struct WriteLog {
    path: PathBuf,
    file: Mutex<File>,
    gate: RwLock<()>,
    stripes: Box<[tokio::sync::Mutex<()>]>,
    tables: Mutex<HashMap<TableRef, TableLog>>,
    bytes: AtomicU64,
    compact_at: AtomicU64,
    /// Compacted when past this and twice the size after the last compaction.
    floor: u64,
    compacting: AtomicBool,
    compactions: AtomicU64,
}

impl WriteLog {
    /// Opens (or creates) the log at `path`; its records are read by `records`.
    pub fn open(path: PathBuf, floor: u64) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let bytes = file.metadata()?.len();
        Ok(Self {
            path,
            file: Mutex::new(file),
            gate: RwLock::new(()),
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            tables: Mutex::new(HashMap::new()),
            bytes: AtomicU64::new(bytes),
            compact_at: AtomicU64::new(floor.max(bytes * 2)),
            floor,
            compactions: AtomicU64::new(0),
            compacting: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What `op` with `body` must hold (see the module's note on order).
    pub fn access(&self, account: &str, region: &str, op: &str, body: &[u8]) -> Access {
        if READS.contains(&op) {
            return Access::Read;
        }
        let Ok(input) = serde_json::from_slice::<Value>(body) else {
            return Access::Alone;
        };
        match op {
            "ExecuteStatement" | "BatchExecuteStatement" | "ExecuteTransaction" => {
                if statements(op, &input).all(is_select) {
                    Access::Read
                } else {
                    Access::Alone
                }
            }
            "PutItem" | "DeleteItem" | "UpdateItem" | "BatchWriteItem" | "TransactWriteItems" => {
                let tables = self.tables.lock().unwrap();
                let mut stripes = vec![];
                for (table, item) in named_items(op, &input) {
                    let t = (account.to_string(), region.to_string(), table);
                    let Some(keys) = tables.get(&t).map(|t| &t.keys) else {
                        return Access::Alone;
                    };
                    match stripe(&t, keys, item) {
                        Some(s) => stripes.push(s),
                        None => return Access::Alone,
                    }
                }
                stripes.sort_unstable();
                stripes.dedup();
                Access::Items(stripes)
            }
            _ => Access::Alone,
        }
    }

    /// Waits for what `access` needs (item locks in ascending order, so two writes never wait
    /// on each other's).
    pub async fn enter(&self, access: &Access) -> Guard<'_> {
        match access {
            Access::Read => Guard::Read,
            Access::Alone => Guard::Alone(self.gate.write().await),
            Access::Items(stripes) => {
                let gate = self.gate.read().await;
                let mut held = Vec::with_capacity(stripes.len());
                for s in stripes {
                    held.push(self.stripes[*s].lock().await);
                }
                Guard::Items(gate, held)
            }
        }
    }

    /// The gate alone, for a replay or a compaction.
    pub async fn alone(&self) -> RwLockWriteGuard<'_, ()> {
        self.gate.write().await
    }

    /// Appends a request that writes (its `access` is not `Read`) the backend acknowledged
    /// (status 200), while its guard is held.
    /// Answers whether the log has grown enough to be compacted.
    pub fn append(
        &self,
        op: &str,
        account: &str,
        region: &str,
        body: &Bytes,
        response: &[u8],
    ) -> std::io::Result<bool> {
        let body = match op {
            "BatchWriteItem" => processed_only(body, response),
            _ => body.clone(),
        };
        let record = Record {
            op: op.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            body,
            snapshot: false,
        };
        self.note(&record);
        let framed = frame(&record);
        self.file.lock().unwrap().write_all(&framed)?;
        let size =
            self.bytes.fetch_add(framed.len() as u64, Ordering::Relaxed) + framed.len() as u64;
        Ok(size > self.compact_at.load(Ordering::Relaxed)
            && !self.compacting.swap(true, Ordering::AcqRel))
    }

    /// Follows the tables a record creates, changes or deletes.
    pub fn note(&self, r: &Record) {
        let is_change = TABLE_CHANGES.contains(&r.op.as_str());
        if r.op != "CreateTable" && r.op != "DeleteTable" && !is_change {
            return;
        }
        let Ok(input) = serde_json::from_slice::<Value>(&r.body) else {
            return;
        };
        let name = input["TableName"]
            .as_str()
            .or_else(|| input["ResourceArn"].as_str())
            .map(table_of)
            .unwrap_or_default();
        let key = (r.account.clone(), r.region.clone(), name);
        let mut tables = self.tables.lock().unwrap();
        match r.op.as_str() {
            "CreateTable" => {
                let keys = ["HASH", "RANGE"]
                    .iter()
                    .filter_map(|kind| {
                        input["KeySchema"]
                            .as_array()?
                            .iter()
                            .find(|k| k["KeyType"] == *kind)?["AttributeName"]
                            .as_str()
                            .map(str::to_string)
                    })
                    .collect();
                tables.insert(
                    key,
                    TableLog {
                        keys,
                        changes: vec![r.clone()],
                    },
                );
            }
            "DeleteTable" => {
                tables.remove(&key);
            }
            _ => {
                if let Some(t) = tables.get_mut(&key) {
                    t.changes.push(r.clone());
                }
            }
        }
    }

    /// Forgets every table (before a replay rebuilds them).
    pub fn forget_tables(&self) {
        self.tables.lock().unwrap().clear();
    }

    /// The live tables, for a compaction.
    pub fn tables(&self) -> Vec<(TableRef, TableLog)> {
        let mut v: Vec<_> = self
            .tables
            .lock()
            .unwrap()
            .iter()
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Starts the log's replacement (a compaction, under the gate): written beside it, then
    /// renamed over it by `Rewrite::finish`.
    pub fn rewrite(&self) -> std::io::Result<Rewrite> {
        let tmp = self.path.with_extension("compacting");
        Ok(Rewrite {
            out: std::io::BufWriter::new(File::create(&tmp)?),
            tmp,
        })
    }

    /// A compaction ended (done or failed): the next one may start.
    pub fn compacted(&self) {
        self.compacting.store(false, Ordering::Release);
    }

    pub fn compactions(&self) -> u64 {
        self.compactions.load(Ordering::Relaxed)
    }

    pub fn size(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// A compacted log being written.
pub struct Rewrite {
    tmp: PathBuf,
    out: std::io::BufWriter<File>,
}

impl Rewrite {
    pub fn push(&mut self, r: &Record) -> std::io::Result<()> {
        self.out.write_all(&frame(r))
    }

    /// Puts the new log in place of `log`'s.
    pub fn finish(self, log: &WriteLog) -> std::io::Result<()> {
        let f = self.out.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&self.tmp, &log.path)?;
        let file = OpenOptions::new().append(true).open(&log.path)?;
        let size = file.metadata()?.len();
        *log.file.lock().unwrap() = file;
        log.bytes.store(size, Ordering::Relaxed);
        log.compactions.fetch_add(1, Ordering::Relaxed);
        log.compact_at
            .store(log.floor.max(size * 2), Ordering::Relaxed);
        Ok(())
    }
}

/// The records of the log at `path`, in order (none when there is no log); a torn last
/// record ends them.
pub fn records(path: &Path) -> std::io::Result<impl Iterator<Item = Record>> {
    let file = match File::open(path) {
        Ok(f) => Some(BufReader::new(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut reader = file;
    Ok(std::iter::from_fn(move || {
        let r = reader.as_mut()?;
        let next = read_record(r);
        if next.is_none() {
            reader = None;
        }
        next
    }))
}

fn read_record(r: &mut impl BufRead) -> Option<Record> {
    let mut header = String::new();
    r.read_line(&mut header).ok()?;
    let mut parts = header.trim_end_matches('\n').split(' ');
    let (op, account, region, len) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let len: usize = len.parse().ok()?;
    let snapshot = parts.next() == Some("s");
    let mut body = vec![0; len + 1];
    r.read_exact(&mut body).ok()?;
    if body.pop() != Some(b'\n') {
        return None;
    }
    Some(Record {
        op: op.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        body: Bytes::from(body),
        snapshot,
    })
}

fn frame(r: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(r.body.len() + 64);
    let flag = if r.snapshot { " s" } else { "" };
    out.extend_from_slice(
        format!(
            "{} {} {} {}{flag}\n",
            r.op,
            r.account,
            r.region,
            r.body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&r.body);
    out.push(b'\n');
    out
}

/// A table's name from a TableName or a table ARN.
fn table_of(s: &str) -> String {
    match s.split_once(":table/") {
        Some((_, rest)) if s.starts_with("arn:") => rest.split('/').next().unwrap_or(rest).into(),
        _ => s.into(),
    }
}

fn statements<'a>(op: &str, input: &'a Value) -> Box<dyn Iterator<Item = &'a str> + 'a> {
    let list = match op {
        "ExecuteStatement" => return Box::new(input["Statement"].as_str().into_iter()),
        "ExecuteTransaction" => &input["TransactStatements"],
        _ => &input["Statements"],
    };
    Box::new(
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["Statement"].as_str()),
    )
}

fn is_select(statement: &str) -> bool {
    statement
        .trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("select"))
}

/// Every (table, item or key) a keyed write names.
fn named_items<'a>(op: &str, input: &'a Value) -> Vec<(String, &'a Value)> {
    let name = |v: &Value| v.as_str().map(table_of).unwrap_or_default();
    match op {
        "PutItem" => vec![(name(&input["TableName"]), &input["Item"])],
        "DeleteItem" | "UpdateItem" => vec![(name(&input["TableName"]), &input["Key"])],
        "BatchWriteItem" => input["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(t, reqs)| {
                reqs.as_array().into_iter().flatten().map(move |r| {
                    let item = r["PutRequest"]
                        .get("Item")
                        .or_else(|| r["DeleteRequest"].get("Key"))
                        .unwrap_or(&Value::Null);
                    (table_of(t), item)
                })
            })
            .collect(),
        "TransactWriteItems" => input["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                let (kind, member) = ["Put", "Update", "Delete", "ConditionCheck"]
                    .iter()
                    .find_map(|k| t.get(*k).map(|v| (*k, v)))?;
                let item = if kind == "Put" {
                    &member["Item"]
                } else {
                    &member["Key"]
                };
                Some((name(&member["TableName"]), item))
            })
            .collect(),
        _ => vec![],
    }
}

/// The lock of an item: its table and key values (numbers by value, so `1` and `1.0` share
/// one). None when a key attribute is missing.
fn stripe(table: &TableRef, keys: &[String], item: &Value) -> Option<usize> {
    if keys.is_empty() {
        return None;
    }
    let mut h = DefaultHasher::new();
    table.hash(&mut h);
    for k in keys {
        let v = item.get(k)?.as_object()?;
        let (kind, value) = v.iter().next()?;
        let value = value.as_str()?;
        kind.hash(&mut h);
        match kind.as_str() {
            "N" => value.trim().parse::<f64>().ok()?.to_bits().hash(&mut h),
            _ => value.hash(&mut h),
        }
    }
    Some((h.finish() % STRIPES as u64) as usize)
}

/// A BatchWriteItem's request without what the backend left unprocessed (DynamoDB Local
/// processes everything; kept exact should it not).
fn processed_only(body: &Bytes, response: &[u8]) -> Bytes {
    if memchr::memmem::find(response, b"UnprocessedItems").is_none() {
        return body.clone();
    }
    let (Ok(mut input), Ok(out)) = (
        serde_json::from_slice::<Value>(body),
        serde_json::from_slice::<Value>(response),
    ) else {
        return body.clone();
    };
    let Some(left) = out["UnprocessedItems"]
        .as_object()
        .filter(|m| !m.is_empty())
    else {
        return body.clone();
    };
    if let Some(items) = input["RequestItems"].as_object_mut() {
        for (table, reqs) in items.iter_mut() {
            let Some(skip) = left.get(table).and_then(Value::as_array) else {
                continue;
            };
            if let Some(list) = reqs.as_array_mut() {
                list.retain(|r| !skip.contains(r));
            }
        }
        items.retain(|_, reqs| reqs.as_array().is_some_and(|l| !l.is_empty()));
    }
    Bytes::from(input.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> (tempfile::TempDir, WriteLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = WriteLog::open(dir.path().join("writes.log"), 1 << 20).unwrap();
        (dir, log)
    }

    fn append(log: &WriteLog, op: &str, body: &str) {
        log.append(op, "a", "r", &Bytes::from(body.to_string()), b"{}")
            .unwrap();
    }

    const CREATE: &str = r#"{"TableName":"T","KeySchema":[{"AttributeName":"s","KeyType":"RANGE"},{"AttributeName":"h","KeyType":"HASH"}]}"#;

    #[test]
    fn records_come_back_in_order_and_a_torn_last_one_is_dropped() {
        let (_d, log) = log();
        append(&log, "CreateTable", CREATE);
        append(&log, "PutItem", "{\"TableName\":\"T\",\n\"Item\":{}}");
        let got: Vec<Record> = records(log.path()).unwrap().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].op, "PutItem");
        assert_eq!(&got[1].body[..], b"{\"TableName\":\"T\",\n\"Item\":{}}");
        // The emulator killed in the middle of an append: the record was never acknowledged.
        let mut f = OpenOptions::new().append(true).open(log.path()).unwrap();
        f.write_all(b"PutItem a r 100\n{\"Tab").unwrap();
        assert_eq!(records(log.path()).unwrap().count(), 2);
        assert_eq!(
            records(&log.path().with_extension("none")).unwrap().count(),
            0
        );
    }

    #[test]
    fn item_writes_are_keyed_by_table_and_key_value() {
        let (_d, log) = log();
        let access = |op: &str, body: &str| log.access("a", "r", op, body.as_bytes());
        // A table the log has not seen created: nothing to key by, so the write runs alone.
        assert_eq!(
            access(
                "PutItem",
                r#"{"TableName":"T","Item":{"h":{"S":"x"},"s":{"N":"1"}}}"#
            ),
            Access::Alone
        );
        append(&log, "CreateTable", CREATE);
        let put = access(
            "PutItem",
            r#"{"TableName":"T","Item":{"h":{"S":"x"},"s":{"N":"1"},"v":{"S":"a"}}}"#,
        );
        let update = access(
            "UpdateItem",
            r#"{"TableName":"T","Key":{"s":{"N":"1.0"},"h":{"S":"x"}}}"#,
        );
        assert!(matches!(put, Access::Items(ref s) if s.len() == 1));
        assert_eq!(put, update, "the same item, whatever the number's spelling");
        assert_eq!(
            access("DeleteItem", r#"{"TableName":"T","Key":{"h":{"S":"x"}}}"#),
            Access::Alone,
            "a key without its sort key"
        );
        assert_eq!(access("GetItem", "{}"), Access::Read);
        assert_eq!(
            access("ExecuteStatement", r#"{"Statement":"  select * from T"}"#),
            Access::Read
        );
        assert_eq!(
            access("ExecuteStatement", r#"{"Statement":"UPDATE T SET v=1"}"#),
            Access::Alone
        );
        assert_eq!(access("UpdateTable", r#"{"TableName":"T"}"#), Access::Alone);
        append(&log, "DeleteTable", r#"{"TableName":"T"}"#);
        assert_eq!(
            access(
                "PutItem",
                r#"{"TableName":"T","Item":{"h":{"S":"x"},"s":{"N":"1"}}}"#
            ),
            Access::Alone
        );
    }

    #[test]
    fn a_table_keeps_its_changes_until_it_is_deleted() {
        let (_d, log) = log();
        append(&log, "CreateTable", CREATE);
        append(&log, "UpdateTimeToLive", r#"{"TableName":"T"}"#);
        append(
            &log,
            "TagResource",
            r#"{"ResourceArn":"arn:aws:dynamodb:ddblocal:000000000000:table/T","Tags":[]}"#,
        );
        append(&log, "PutItem", r#"{"TableName":"T","Item":{}}"#);
        let t = log.tables();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].1.keys, ["h", "s"]);
        let ops: Vec<&str> = t[0].1.changes.iter().map(|r| r.op.as_str()).collect();
        assert_eq!(ops, ["CreateTable", "UpdateTimeToLive", "TagResource"]);
        append(&log, "DeleteTable", r#"{"TableName":"T"}"#);
        assert!(log.tables().is_empty());
    }

    #[test]
    fn a_batch_logs_only_what_was_processed() {
        let body = Bytes::from(
            r#"{"RequestItems":{"T":[{"PutRequest":{"Item":{"h":{"S":"1"}}}},{"PutRequest":{"Item":{"h":{"S":"2"}}}}]}}"#,
        );
        let out = br#"{"UnprocessedItems":{"T":[{"PutRequest":{"Item":{"h":{"S":"2"}}}}]}}"#;
        let kept: Value = serde_json::from_slice(&processed_only(&body, out)).unwrap();
        assert_eq!(kept["RequestItems"]["T"].as_array().unwrap().len(), 1);
        assert_eq!(processed_only(&body, br#"{"UnprocessedItems":{}}"#), body);
    }

    #[test]
    fn a_replaced_log_holds_only_the_new_records() {
        let (_d, log) = log();
        append(&log, "CreateTable", CREATE);
        append(&log, "PutItem", r#"{"TableName":"T","Item":{}}"#);
        let first = records(log.path()).unwrap().next().unwrap();
        let batch = Record {
            op: "BatchWriteItem".into(),
            snapshot: true,
            ..first.clone()
        };
        let mut w = log.rewrite().unwrap();
        w.push(&first).unwrap();
        w.push(&batch).unwrap();
        w.finish(&log).unwrap();
        append(&log, "DeleteTable", r#"{"TableName":"T"}"#);
        let got: Vec<(String, bool)> = records(log.path())
            .unwrap()
            .map(|r| (r.op, r.snapshot))
            .collect();
        assert_eq!(
            got,
            [
                ("CreateTable".into(), false),
                ("BatchWriteItem".into(), true),
                ("DeleteTable".into(), false)
            ]
        );
        assert_eq!(log.size(), std::fs::metadata(log.path()).unwrap().len());
    }
}
