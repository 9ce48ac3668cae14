//! The proxy's vector indexes (DynamoDB Local has none): per table and index, every indexed
//! item's key, float32 vector (one contiguous block) and search-schema attributes. Every write
//! path applies its items here, so a search never scans the table. Under --state-dir each
//! change is appended to a journal, so an index comes back after a restart without a rescan.

use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{json, Map, Value};

use super::score::{dot, parse_vector, Distance};
use crate::dynamodb::backend::sizes::item_size;
use crate::dynamodb::state::TableKey;
use crate::dynamodb::wire::items;

/// One vector index's definition, parsed once.
#[derive(Debug, Clone)]
pub struct IndexDef {
    pub name: String,
    pub attr: String,
    pub dims: usize,
    pub distance: Distance,
    pub hash: Option<String>,
    /// Every search-schema attribute (HASH and INLINE_FILTER): what conditions may name.
    pub schema: Vec<String>,
    /// The non-key attributes the index projects besides its vector and search schema
    /// (`NonKeyAttributes`); None when it projects them all (`ALL`).
    pub projected: Option<Vec<String>>,
}

impl IndexDef {
    pub fn of(def: &Value) -> Self {
        let schema: Vec<(String, String)> = def["SearchSchema"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some((
                    e["AttributeName"].as_str()?.to_string(),
                    e["SearchSchemaElementType"].as_str()?.to_string(),
                ))
            })
            .collect();
        Self {
            name: def["IndexName"].as_str().unwrap_or_default().into(),
            attr: def["VectorAttribute"]["AttributeName"]
                .as_str()
                .unwrap_or_default()
                .into(),
            dims: def["Dimensions"].as_u64().unwrap_or(0) as usize,
            distance: Distance::parse(def["DistanceFunction"].as_str().unwrap_or_default())
                .unwrap_or(Distance::Cosine),
            hash: schema
                .iter()
                .find(|(_, t)| t == "HASH")
                .map(|(a, _)| a.clone()),
            schema: schema.into_iter().map(|(a, _)| a).collect(),
            projected: (def["Projection"]["ProjectionType"] != "ALL").then(|| {
                def["Projection"]["NonKeyAttributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| Some(a.as_str()?.to_string()))
                    .collect()
            }),
        }
    }

    /// What `item` puts in this index: its vector and search attributes, or None when the
    /// item is not indexed (no valid vector of the dimension, or no vector partition key).
    pub(super) fn entry(&self, item: &Value) -> Option<(Vec<f32>, Value)> {
        if let Some(h) = &self.hash {
            item.get(h)?;
        }
        let v = parse_vector(item.get(&self.attr)?, self.dims)?;
        let attrs: Map<String, Value> = self
            .schema
            .iter()
            .filter_map(|a| Some((a.clone(), item.get(a)?.clone())))
            .collect();
        Some((v, Value::Object(attrs)))
    }
}

/// A number in one canonical text (`1.50`, `15e-1` and `1.5` agree), so keys DynamoDB Local
/// normalized and keys a request spelled otherwise name the same item.
pub fn canonical_number(s: &str) -> String {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int}{frac}");
    let mut exp = exp - frac.len() as i64;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    if digits.is_empty() {
        return "0".into();
    }
    while digits.ends_with('0') {
        digits.pop();
        exp += 1;
    }
    format!("{}{digits}e{exp}", if neg { "-" } else { "" })
}

/// An item's identity: its key attributes in key-schema order, numbers canonical.
pub fn item_id(item: &Value, key_schema: &Value) -> Option<String> {
    let mut out = String::new();
    for k in key_schema.as_array().into_iter().flatten() {
        let v = item.get(k["AttributeName"].as_str()?)?;
        let (ty, text) = v.as_object()?.iter().next()?;
        let text = text.as_str()?;
        out.push_str(ty);
        out.push(':');
        if ty == "N" {
            out.push_str(&canonical_number(text));
        } else {
            out.push_str(text);
        }
        out.push('\u{0}');
    }
    Some(out)
}

/// The key attributes of `item` (what GetItem and BatchGetItem take).
pub fn key_of(item: &Value, key_schema: &Value) -> Value {
    items::key_of(item, key_schema)
}

struct Entry {
    id: String,
    key: Value,
    attrs: Value,
    size: u64,
    /// The vector's length, for COSINE (computed once per write, not per search).
    norm: f32,
}

/// One index's entries: slot `i` holds `entries[i]` and `vectors[i * dims..][..dims]`.
pub struct Index {
    pub def: IndexDef,
    vectors: Vec<f32>,
    entries: Vec<Entry>,
    slots: HashMap<String, usize>,
    bytes: u64,
    /// Filled from the table's items; false until a backfill ran.
    pub built: bool,
}

impl Index {
    fn new(def: IndexDef) -> Self {
        Self {
            def,
            vectors: vec![],
            entries: vec![],
            slots: HashMap::new(),
            bytes: 0,
            built: false,
        }
    }

    fn set(&mut self, id: String, key: Value, vector: &[f32], attrs: Value, size: u64) {
        let entry = Entry {
            id: id.clone(),
            key,
            attrs,
            size,
            norm: dot(vector, vector).sqrt(),
        };
        let d = self.def.dims;
        match self.slots.get(&id) {
            Some(&slot) => {
                self.bytes = self.bytes - self.entries[slot].size + size;
                self.vectors[slot * d..(slot + 1) * d].copy_from_slice(vector);
                self.entries[slot] = entry;
            }
            None => {
                self.slots.insert(id, self.entries.len());
                self.bytes += size;
                self.vectors.extend_from_slice(vector);
                self.entries.push(entry);
            }
        }
    }

    /// Drops an item; the last slot moves into its place.
    fn remove(&mut self, id: &str) {
        let Some(slot) = self.slots.remove(id) else {
            return;
        };
        let d = self.def.dims;
        let last = self.entries.len() - 1;
        self.bytes -= self.entries[slot].size;
        if slot != last {
            self.vectors.copy_within(last * d..(last + 1) * d, slot * d);
            self.entries.swap(slot, last);
            self.slots.insert(self.entries[slot].id.clone(), slot);
        }
        self.entries.pop();
        self.vectors.truncate(last * d);
    }

    /// ItemCount and IndexSizeBytes.
    pub fn stats(&self) -> (u64, u64) {
        (self.entries.len() as u64, self.bytes)
    }

    /// Whether the stored entry for `id` is what `item` (None: no item) makes.
    fn agrees(&self, id: &str, item: Option<&Value>) -> bool {
        let now = item.and_then(|i| self.def.entry(i));
        match (self.slots.get(id), now) {
            (None, None) => true,
            (Some(&slot), Some((v, attrs))) => {
                let d = self.def.dims;
                self.vectors[slot * d..(slot + 1) * d] == v[..] && self.entries[slot].attrs == attrs
            }
            _ => false,
        }
    }

    /// The `k` best entries for `query` among those `keep` accepts (given their search
    /// attributes), best first: (score, key). Large indexes are scored on every core.
    pub fn top(
        &self,
        query: &[f32],
        k: usize,
        keep: &(dyn Fn(&Value) -> bool + Sync),
    ) -> Vec<(f32, Value)> {
        let n = self.entries.len();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let best = if n < 8192 || threads < 2 {
            self.best(0..n, query, k, keep)
        } else {
            let per = n.div_ceil(threads);
            let parts: Vec<Vec<(f32, usize)>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..n)
                    .step_by(per)
                    .map(|start| {
                        s.spawn(move || self.best(start..(start + per).min(n), query, k, keep))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            let dist = self.def.distance;
            let mut all: Vec<(f32, usize)> = parts.into_iter().flatten().collect();
            // Ties keep slot order, as one pass over all slots would.
            all.sort_by(|a, b| dist.order(a.0, b.0).then(a.1.cmp(&b.1)));
            all.truncate(k);
            all
        };
        best.into_iter()
            .map(|(s, slot)| (s, self.entries[slot].key.clone()))
            .collect()
    }

    /// The best `k` (score, slot) of `slots`, best first.
    fn best(
        &self,
        slots: std::ops::Range<usize>,
        query: &[f32],
        k: usize,
        keep: &(dyn Fn(&Value) -> bool + Sync),
    ) -> Vec<(f32, usize)> {
        let d = self.def.dims;
        let dist = self.def.distance;
        let qnorm = dot(query, query).sqrt();
        let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        for slot in slots {
            let v = &self.vectors[slot * d..(slot + 1) * d];
            let Some(score) = dist.score_with_norms(query, qnorm, v, self.entries[slot].norm)
            else {
                continue;
            };
            if best.len() == k && dist.order(score, best[k - 1].0).is_ge() {
                continue;
            }
            if !keep(&self.entries[slot].attrs) {
                continue;
            }
            let at = best.partition_point(|(s, _)| dist.order(*s, score).is_le());
            best.insert(at, (score, slot));
            best.truncate(k);
        }
        best
    }
}

/// A table's vector indexes.
pub struct TableVectors {
    pub key_schema: Value,
    pub indexes: Vec<Index>,
    /// A scan filling the indexes, page by page.
    fill: Option<Fill>,
    journal: Option<Journal>,
}

/// A running fill: which indexes it fills, what it has read and what was written meanwhile.
#[derive(Default)]
struct Fill {
    /// Every index (a resync), or only those not built yet (a backfill).
    all: bool,
    /// Items written since the fill began: the scan's copy of them is older.
    touched: BTreeSet<String>,
    /// Items the scan has read so far.
    scanned: BTreeSet<String>,
}

/// One change to an item: its new image, or None when it was deleted.
pub struct Write<'a> {
    pub item_or_key: &'a Value,
    pub item: Option<&'a Value>,
}

impl TableVectors {
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.def.name == name)
    }

    fn apply(&mut self, writes: &[Write]) {
        let mut log = vec![];
        for w in writes {
            let Some(id) = item_id(w.item_or_key, &self.key_schema) else {
                continue;
            };
            if let Some(f) = self.fill.as_mut() {
                f.touched.insert(id.clone());
            }
            let key = key_of(w.item_or_key, &self.key_schema);
            for ix in &mut self.indexes {
                let entry = w
                    .item
                    .and_then(|i| ix.def.entry(i).map(|e| (e, item_size(i))));
                match entry {
                    Some(((v, attrs), size)) => {
                        encode_put(&mut log, &ix.def.name, &key, &attrs, size, &v);
                        ix.set(id.clone(), key.clone(), &v, attrs, size);
                    }
                    None if ix.slots.contains_key(&id) => {
                        encode_record(&mut log, &json!({"i": ix.def.name, "k": key}), &[]);
                        ix.remove(&id);
                    }
                    None => {}
                }
            }
        }
        if let Some(j) = self.journal.as_mut() {
            j.append(&log);
        }
        self.compact_if_large();
    }

    fn compact_if_large(&mut self) {
        let live: usize = self.indexes.iter().map(|i| i.entries.len()).sum();
        if self
            .journal
            .as_ref()
            .is_some_and(|j| j.records > 2 * live + 1024)
        {
            self.compact();
        }
    }

    /// Rewrites the journal as the current entries (and which indexes are built).
    fn compact(&mut self) {
        let Some(path) = self.journal.as_ref().map(|j| j.path.clone()) else {
            return;
        };
        let mut buf = vec![];
        let mut records = 0;
        for ix in &self.indexes {
            let d = ix.def.dims;
            for (slot, e) in ix.entries.iter().enumerate() {
                let v = &ix.vectors[slot * d..(slot + 1) * d];
                encode_put(&mut buf, &ix.def.name, &e.key, &e.attrs, e.size, v);
                records += 1;
            }
            if ix.built {
                encode_record(&mut buf, &json!({"built": ix.def.name}), &[]);
                records += 1;
            }
        }
        self.journal = Journal::rewrite(&path, &buf, records);
    }
}

fn encode_record(buf: &mut Vec<u8>, header: &Value, floats: &[f32]) {
    let h = header.to_string();
    buf.extend_from_slice(&(h.len() as u32).to_le_bytes());
    buf.extend_from_slice(h.as_bytes());
    buf.extend_from_slice(&(floats.len() as u32).to_le_bytes());
    for f in floats {
        buf.extend_from_slice(&f.to_le_bytes());
    }
}

fn encode_put(buf: &mut Vec<u8>, index: &str, key: &Value, attrs: &Value, size: u64, v: &[f32]) {
    encode_record(
        buf,
        &json!({"i": index, "k": key, "a": attrs, "z": size}),
        v,
    );
}

/// Records of a journal; a torn last record (a crash mid-append) is ignored.
fn decode_records(bytes: &[u8]) -> Vec<(Value, Vec<f32>)> {
    let mut out = vec![];
    let mut at = 0;
    let u32_at = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    while let Some(hlen) = u32_at(at) {
        let Some(header) = bytes
            .get(at + 4..at + 4 + hlen)
            .and_then(|h| serde_json::from_slice::<Value>(h).ok())
        else {
            break;
        };
        at += 4 + hlen;
        let Some(n) = u32_at(at) else { break };
        at += 4;
        let Some(raw) = bytes.get(at..at + 4 * n) else {
            break;
        };
        at += 4 * n;
        let floats = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.push((header, floats));
    }
    out
}

struct Journal {
    path: PathBuf,
    file: File,
    records: usize,
}

impl Journal {
    fn open(path: &Path, records: usize) -> Option<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(Self {
            path: path.to_path_buf(),
            file,
            records,
        })
    }

    fn rewrite(path: &Path, bytes: &[u8], records: usize) -> Option<Self> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).ok()?;
        std::fs::rename(&tmp, path).ok()?;
        Self::open(path, records)
    }

    fn append(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Err(e) = self.file.write_all(bytes) {
            tracing::warn!(path = %self.path.display(), "vector journal append failed: {e}");
        }
        self.records += decode_count(bytes);
    }
}

fn decode_count(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let h = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()) as usize;
        at += 4 + h;
        if at + 4 > bytes.len() {
            break;
        }
        let f = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()) as usize;
        at += 4 + 4 * f;
        n += 1;
    }
    n
}

pub type Shared = Arc<RwLock<TableVectors>>;

/// Every table's vector indexes, and the locks that order writes to one item.
pub struct VectorStore {
    tables: Mutex<HashMap<TableKey, Shared>>,
    dir: Option<PathBuf>,
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
}

const STRIPES: usize = 256;

impl VectorStore {
    pub fn new(state_dir: Option<&Path>) -> Self {
        let dir = state_dir.map(|d| d.join("dynamodb-vectors"));
        if let Some(d) = &dir {
            let _ = std::fs::create_dir_all(d);
        }
        Self {
            tables: Mutex::default(),
            dir,
            stripes: (0..STRIPES).map(|_| Arc::default()).collect(),
        }
    }

    fn path(&self, key: &TableKey) -> Option<PathBuf> {
        let d = self.dir.as_ref()?;
        Some(d.join(format!(
            "{}+{}+{}.journal",
            key.account, key.region, key.name
        )))
    }

    pub fn get(&self, key: &TableKey) -> Option<Shared> {
        self.tables.lock().unwrap().get(key).cloned()
    }

    /// Makes the table's indexes match its definitions (`defs` empty: none), loading the
    /// journal the first time; returns whether some index still needs a backfill.
    pub fn sync(&self, key: &TableKey, key_schema: &Value, defs: &[Value]) -> bool {
        let mut tables = self.tables.lock().unwrap();
        if defs.is_empty() {
            if tables.remove(key).is_some() || self.dir.is_some() {
                if let Some(p) = self.path(key) {
                    let _ = std::fs::remove_file(p);
                }
            }
            return false;
        }
        let shared = tables
            .entry(key.clone())
            .or_insert_with(|| Arc::new(RwLock::new(self.load(key, key_schema, defs))))
            .clone();
        drop(tables);
        let mut t = shared.write().unwrap();
        t.key_schema = key_schema.clone();
        let names: Vec<String> = defs.iter().map(|d| IndexDef::of(d).name).collect();
        let before = t.indexes.len();
        t.indexes.retain(|i| names.contains(&i.def.name));
        let mut changed = t.indexes.len() != before;
        for d in defs {
            let def = IndexDef::of(d);
            if t.index(&def.name).is_none() {
                t.indexes.push(Index::new(def));
                changed = true;
            }
        }
        if changed {
            t.compact();
        }
        t.indexes.iter().any(|i| !i.built)
    }

    /// A table's indexes from its journal (entries of unknown indexes are skipped).
    fn load(&self, key: &TableKey, key_schema: &Value, defs: &[Value]) -> TableVectors {
        let mut t = TableVectors {
            key_schema: key_schema.clone(),
            indexes: defs.iter().map(|d| Index::new(IndexDef::of(d))).collect(),
            fill: None,
            journal: None,
        };
        let Some(path) = self.path(key) else {
            return t;
        };
        let bytes = std::fs::read(&path).unwrap_or_default();
        let records = decode_records(&bytes);
        let count = records.len();
        for (h, floats) in records {
            if let Some(name) = h["built"].as_str() {
                if let Some(ix) = t.indexes.iter_mut().find(|i| i.def.name == name) {
                    ix.built = true;
                }
                continue;
            }
            let name = h["i"].as_str().unwrap_or_default();
            let Some(ix) = t.indexes.iter_mut().find(|i| i.def.name == name) else {
                continue;
            };
            let Some(id) = item_id(&h["k"], key_schema) else {
                continue;
            };
            if h.get("a").is_some() && floats.len() == ix.def.dims {
                let size = h["z"].as_u64().unwrap_or(0);
                ix.set(id, h["k"].clone(), &floats, h["a"].clone(), size);
            } else {
                ix.remove(&id);
            }
        }
        t.journal = Journal::open(&path, count);
        t.compact_if_large();
        t
    }

    pub fn drop_table(&self, key: &TableKey) {
        self.sync(key, &Value::Null, &[]);
    }

    /// Applies item changes to a table's indexes (nothing when it has none).
    pub fn apply(&self, key: &TableKey, writes: &[Write]) {
        if let Some(t) = self.get(key) {
            t.write().unwrap().apply(writes);
        }
    }

    /// Whether each index agrees with the items as they are now (`items`: id → current item).
    pub fn agrees(&self, key: &TableKey, ids: &[(String, Option<&Value>)]) -> bool {
        let Some(t) = self.get(key) else { return true };
        let t = t.read().unwrap();
        t.indexes
            .iter()
            .all(|ix| ids.iter().all(|(id, item)| ix.agrees(id, *item)))
    }

    /// Starts a fill unless one runs: of the indexes not built yet (a backfill), or of all
    /// (`all`: a resync). Writes from now on win over what the scan returns. False when there
    /// is nothing to start.
    pub fn begin_fill(&self, key: &TableKey, all: bool) -> bool {
        let Some(t) = self.get(key) else { return false };
        let mut t = t.write().unwrap();
        if t.fill.is_some() {
            return false;
        }
        t.fill = Some(Fill {
            all,
            ..Fill::default()
        });
        true
    }

    /// A fill whose scan failed: the next use starts another.
    pub fn abort_fill(&self, key: &TableKey) {
        if let Some(t) = self.get(key) {
            t.write().unwrap().fill = None;
        }
    }

    /// One page of the fill's scan into the indexes it fills (pages keep memory bounded: a
    /// whole table of vectors as JSON values is many times their size).
    pub fn fill_page(&self, key: &TableKey, items: &[Value]) {
        let Some(t) = self.get(key) else { return };
        let mut t = t.write().unwrap();
        let TableVectors {
            key_schema,
            indexes,
            fill: Some(fill),
            ..
        } = &mut *t
        else {
            return;
        };
        for item in items {
            let Some(id) = item_id(item, key_schema) else {
                continue;
            };
            if fill.touched.contains(&id) {
                continue;
            }
            for ix in indexes.iter_mut().filter(|i| fill.all || !i.built) {
                match ix.def.entry(item) {
                    Some((v, attrs)) => ix.set(
                        id.clone(),
                        key_of(item, key_schema),
                        &v,
                        attrs,
                        item_size(item),
                    ),
                    None => ix.remove(&id),
                }
            }
            fill.scanned.insert(id);
        }
    }

    /// The scan is done: entries of items it did not see (and nobody wrote meanwhile) go, the
    /// indexes are built, and the journal is rewritten.
    pub fn finish_fill(&self, key: &TableKey) {
        let Some(t) = self.get(key) else { return };
        let mut t = t.write().unwrap();
        let Some(fill) = t.fill.take() else { return };
        for ix in t.indexes.iter_mut().filter(|i| fill.all || !i.built) {
            let gone: Vec<String> = ix
                .slots
                .keys()
                .filter(|id| !fill.scanned.contains(*id) && !fill.touched.contains(*id))
                .cloned()
                .collect();
            for id in gone {
                ix.remove(&id);
            }
            ix.built = true;
        }
        t.compact();
    }

    /// A whole fill from `items` at once (a new table, tests).
    pub fn fill_from(&self, key: &TableKey, items: &[Value], all: bool) {
        if self.begin_fill(key, all) {
            self.fill_page(key, items);
            self.finish_fill(key);
        }
    }

    /// Drops the indexes of one account's tables, or of all (the journals too).
    pub fn reset(&self, account: Option<&str>) {
        let keys: Vec<TableKey> = self
            .tables
            .lock()
            .unwrap()
            .keys()
            .filter(|k| account.is_none_or(|a| a == k.account))
            .cloned()
            .collect();
        for k in keys {
            self.drop_table(&k);
        }
    }

    /// Locks the items a write names (by table and id), in one order so writers never
    /// deadlock: index updates then follow the order the backend applied the writes in.
    pub async fn lock_items(
        &self,
        ids: impl Iterator<Item = (String, String)>,
    ) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        use std::hash::{Hash, Hasher};
        let stripes: BTreeSet<usize> = ids
            .map(|id| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                id.hash(&mut h);
                (h.finish() as usize) % STRIPES
            })
            .collect();
        let mut guards = vec![];
        for s in stripes {
            guards.push(self.stripes[s].clone().lock_owned().await);
        }
        guards
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(dims: u64, hash: bool) -> Value {
        let mut schema =
            vec![json!({"AttributeName": "price", "SearchSchemaElementType": "INLINE_FILTER"})];
        if hash {
            schema.push(json!({"AttributeName": "cat", "SearchSchemaElementType": "HASH"}));
        }
        json!({"IndexName": "ix", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": dims,
            "DistanceFunction": "EUCLIDEAN", "SearchSchema": schema})
    }

    fn item(pk: &str, v: &[f32]) -> Value {
        let list: Vec<Value> = v.iter().map(|x| json!({"N": x.to_string()})).collect();
        json!({"pk": {"S": pk}, "v": {"L": list}, "price": {"N": "3"}})
    }

    fn schema() -> Value {
        json!([{"AttributeName": "pk", "KeyType": "HASH"}])
    }

    #[test]
    fn numbers_have_one_canonical_text() {
        for same in ["1.5", "1.50", "15e-1", "+1.5", "0001.5", "0.15E1"] {
            assert_eq!(canonical_number(same), canonical_number("1.5"), "{same}");
        }
        assert_eq!(canonical_number("-0"), "0");
        assert_eq!(canonical_number("100"), canonical_number("1e2"));
        assert_ne!(canonical_number("100"), canonical_number("10"));
        assert_ne!(canonical_number("-1"), canonical_number("1"));
    }

    #[test]
    fn writes_replace_and_remove_entries_and_the_best_come_first() {
        let store = VectorStore::new(None);
        let k = TableKey::new("1", "r", "t");
        assert!(store.sync(&k, &schema(), &[def(2, false)]));
        store.fill_from(&k, &[], false);
        let (a, b, c) = (
            item("a", &[0.0, 0.0]),
            item("b", &[1.0, 0.0]),
            item("c", &[5.0, 5.0]),
        );
        fn w(i: &Value) -> Write<'_> {
            Write {
                item_or_key: i,
                item: Some(i),
            }
        }
        store.apply(&k, &[w(&a), w(&b), w(&c)]);
        let t = store.get(&k).unwrap();
        let top = t.read().unwrap().indexes[0].top(&[0.9, 0.0], 2, &|_| true);
        assert_eq!(top[0].1, json!({"pk": {"S": "b"}}));
        assert_eq!(top[1].1, json!({"pk": {"S": "a"}}));
        // Deleting the first slot moves the last one in its place.
        store.apply(
            &k,
            &[Write {
                item_or_key: &a,
                item: None,
            }],
        );
        let top = t.read().unwrap().indexes[0].top(&[5.0, 5.0], 3, &|_| true);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0], (0.0, json!({"pk": {"S": "c"}})));
        // An item rewritten without a vector leaves the index.
        let plain = json!({"pk": {"S": "c"}});
        store.apply(&k, &[w(&plain)]);
        assert_eq!(t.read().unwrap().indexes[0].stats().0, 1);
        assert!(store.agrees(&k, &[(item_id(&plain, &schema()).unwrap(), Some(&plain))]));
        assert!(!store.agrees(&k, &[(item_id(&b, &schema()).unwrap(), None)]));
    }

    #[test]
    fn a_fill_keeps_writes_made_during_its_scan_and_drops_what_it_did_not_see() {
        let store = VectorStore::new(None);
        let k = TableKey::new("1", "r", "t");
        store.sync(&k, &schema(), &[def(2, false)]);
        let (a, b) = (item("a", &[1.0, 0.0]), item("b", &[0.0, 1.0]));
        store.fill_from(&k, &[a.clone(), b.clone()], false);
        // A resync whose scan saw only an older `a`, while `a` and `c` were written.
        assert!(store.begin_fill(&k, true));
        assert!(!store.begin_fill(&k, true), "one fill at a time");
        let (a2, c) = (item("a", &[3.0, 3.0]), item("c", &[2.0, 2.0]));
        store.apply(
            &k,
            &[
                Write {
                    item_or_key: &a2,
                    item: Some(&a2),
                },
                Write {
                    item_or_key: &c,
                    item: Some(&c),
                },
            ],
        );
        store.fill_page(&k, &[a]);
        store.finish_fill(&k);
        let t = store.get(&k).unwrap();
        let t = t.read().unwrap();
        let ix = &t.indexes[0];
        assert_eq!(ix.stats().0, 2, "b is gone, c stays");
        assert_eq!(
            ix.top(&[3.0, 3.0], 1, &|_| true)[0],
            (0.0, json!({"pk": {"S": "a"}}))
        );
    }

    #[test]
    fn items_without_the_vector_partition_key_are_not_indexed() {
        let store = VectorStore::new(None);
        let k = TableKey::new("1", "r", "t");
        store.sync(&k, &schema(), &[def(2, true)]);
        let mut with = item("a", &[1.0, 2.0]);
        with["cat"] = json!({"S": "x"});
        let mut short = item("c", &[1.0]);
        short["cat"] = json!({"S": "x"});
        let items = [with.clone(), item("b", &[1.0, 2.0]), short];
        store.fill_from(&k, &items, false);
        let t = store.get(&k).unwrap();
        assert_eq!(t.read().unwrap().indexes[0].stats(), (1, item_size(&with)));
        // Without a HASH search attribute, every valid vector counts.
        let k2 = TableKey::new("1", "r", "t2");
        store.sync(&k2, &schema(), &[def(2, false)]);
        store.fill_from(&k2, &items, false);
        assert_eq!(
            store.get(&k2).unwrap().read().unwrap().indexes[0].stats().0,
            2
        );
    }

    #[test]
    fn the_journal_brings_indexes_back_and_ignores_a_torn_tail() {
        let dir = std::env::temp_dir().join(format!("vstore-{}", std::process::id()));
        let k = TableKey::new("1", "r", "t");
        {
            let store = VectorStore::new(Some(&dir));
            store.sync(&k, &schema(), &[def(2, false)]);
            store.fill_from(&k, &[], false);
            let items: Vec<Value> = (0..50)
                .map(|i| item(&i.to_string(), &[i as f32, 1.0]))
                .collect();
            let writes: Vec<Write> = items
                .iter()
                .map(|i| Write {
                    item_or_key: i,
                    item: Some(i),
                })
                .collect();
            store.apply(&k, &writes);
            store.apply(
                &k,
                &[Write {
                    item_or_key: &items[3],
                    item: None,
                }],
            );
        }
        let path = dir.join("dynamodb-vectors").join("1+r+t.journal");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[7, 0, 0]).unwrap();
        let store = VectorStore::new(Some(&dir));
        assert!(
            !store.sync(&k, &schema(), &[def(2, false)]),
            "built survives"
        );
        let t = store.get(&k).unwrap();
        let t = t.read().unwrap();
        assert_eq!(t.indexes[0].stats().0, 49);
        let top = t.indexes[0].top(&[3.0, 1.0], 1, &|_| true);
        assert_ne!(top[0].1, json!({"pk": {"S": "3"}}));
        drop(t);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
