//! Whole tables on disk: a backup's items and a table's point-in-time history are JSON lines
//! in the items dir, written and read a page at a time, so whole-table work never holds a
//! table in memory (a backup of 100,000 items of 768 numbers is about 1 GB of JSON).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

/// The suffix of a file still being written; it becomes the file's name once complete.
const PART: &str = ".part";

/// A new, unique file stem in the items dir (`kind` says what it holds).
pub fn new_stem(kind: &str) -> String {
    format!("{kind}-{:016x}", rand::random::<u64>())
}

/// The file of a backup's items.
pub fn backup_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.jsonl"))
}

/// The items of a table when point-in-time recovery was enabled.
pub fn base_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.base.jsonl"))
}

/// Every change of a table since point-in-time recovery was enabled, in write order.
pub fn changes_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.changes.jsonl"))
}

/// Removes every file of `stem` (a deleted backup, a table whose history ended).
pub fn remove(dir: &Path, stem: &str) {
    for p in [
        backup_path(dir, stem),
        base_path(dir, stem),
        changes_path(dir, stem),
    ] {
        let _ = std::fs::remove_file(p);
    }
}

/// Removes the complete files whose stem `keep` does not name (records dropped by a reset,
/// or by an emulator killed between the two steps of a delete). Files still being written
/// are left to their writer.
pub fn prune(dir: &Path, keep: impl Fn(&str) -> bool) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(PART) {
            continue;
        }
        let stem = name.split('.').next().unwrap_or_default();
        if !keep(stem) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Items written one JSON line each to `<path>.part`, renamed to `path` by `finish`; a
/// writer dropped unfinished removes its file.
pub struct ItemWriter {
    out: Option<BufWriter<File>>,
    part: PathBuf,
    path: PathBuf,
    pub count: u64,
}

impl ItemWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut part = path.as_os_str().to_owned();
        part.push(PART);
        let part = PathBuf::from(part);
        Ok(Self {
            out: Some(BufWriter::new(File::create(&part)?)),
            part,
            path: path.to_path_buf(),
            count: 0,
        })
    }

    pub fn append(&mut self, items: &[Value]) -> io::Result<()> {
        let out = self.out.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        for i in items {
            serde_json::to_writer(&mut *out, i)?;
            out.write_all(b"\n")?;
        }
        self.count += items.len() as u64;
        Ok(())
    }

    /// Flushes the file and gives it its name; returns how many items it holds.
    pub fn finish(mut self) -> io::Result<u64> {
        let out = self.out.take().ok_or(io::ErrorKind::BrokenPipe)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&self.part, &self.path)?;
        Ok(self.count)
    }
}

impl Drop for ItemWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// Reads a file of JSON lines a page at a time. A missing file reads as empty (a history
/// with no change yet has no changes file).
pub struct ItemReader {
    lines: Option<BufReader<File>>,
    line: String,
}

impl ItemReader {
    pub fn open(path: &Path) -> io::Result<Self> {
        let lines = match File::open(path) {
            Ok(f) => Some(BufReader::new(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(Self {
            lines,
            line: String::new(),
        })
    }

    /// The next value and the offset of its line; None at the end.
    fn next_at(&mut self) -> io::Result<Option<(u64, Value)>> {
        let Some(r) = self.lines.as_mut() else {
            return Ok(None);
        };
        loop {
            let at = r.stream_position()?;
            self.line.clear();
            if r.read_line(&mut self.line)? == 0 {
                return Ok(None);
            }
            if !self.line.trim().is_empty() {
                return Ok(Some((at, serde_json::from_str(&self.line)?)));
            }
        }
    }

    /// Up to `n` more values; empty at the end.
    pub fn page(&mut self, n: usize) -> io::Result<Vec<Value>> {
        let mut out = Vec::with_capacity(n.min(1024));
        while out.len() < n {
            match self.next_at()? {
                Some((_, v)) => out.push(v),
                None => break,
            }
        }
        Ok(out)
    }
}

/// Appends changes (`Change` records: `at`, `key`, `item`, None once deleted) to a history's
/// changes file; the caller keeps writes in order.
pub fn append_changes(path: &Path, changes: &[impl Serialize]) -> io::Result<()> {
    let mut buf = Vec::new();
    for c in changes {
        serde_json::to_writer(&mut buf, c)?;
        buf.push(b'\n');
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(&buf)
}

/// Where the image of one item lives: the base file or the changes file, and the offset of
/// its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Base(u64),
    Change(u64),
}

/// Every item of a history as of time `t`, by key (from `key`): where its latest image is.
/// Only keys and offsets are held; the items are read again with `ImageReader`.
pub fn images_at(
    base: &Path,
    changes: &Path,
    t: f64,
    key: impl Fn(&Value) -> String,
) -> io::Result<BTreeMap<String, Image>> {
    let mut out = BTreeMap::new();
    let mut r = ItemReader::open(base)?;
    while let Some((at, item)) = r.next_at()? {
        out.insert(key(&item), Image::Base(at));
    }
    let mut r = ItemReader::open(changes)?;
    while let Some((at, v)) = r.next_at()? {
        if v["at"].as_f64().unwrap_or(f64::INFINITY) > t {
            // Changes are appended in time order.
            break;
        }
        let k = key(&v["key"]);
        if v["item"].is_object() {
            out.insert(k, Image::Change(at));
        } else {
            out.remove(&k);
        }
    }
    Ok(out)
}

/// Reads item images back by where `images_at` found them.
pub struct ImageReader {
    base: Option<File>,
    changes: Option<File>,
    buf: Vec<u8>,
}

impl ImageReader {
    pub fn open(base: &Path, changes: &Path) -> io::Result<Self> {
        let open = |p: &Path| match File::open(p) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        Ok(Self {
            base: open(base)?,
            changes: open(changes)?,
            buf: Vec::new(),
        })
    }

    pub fn read(&mut self, image: Image) -> io::Result<Value> {
        let (file, at) = match image {
            Image::Base(at) => (self.base.as_mut(), at),
            Image::Change(at) => (self.changes.as_mut(), at),
        };
        let f = file.ok_or(io::ErrorKind::NotFound)?;
        f.seek(SeekFrom::Start(at))?;
        self.buf.clear();
        let mut r = BufReader::new(f);
        r.read_until(b'\n', &mut self.buf)?;
        let v: Value = serde_json::from_slice(&self.buf)?;
        Ok(match image {
            Image::Base(_) => v,
            Image::Change(_) => v.get("item").cloned().unwrap_or(Value::Null),
        })
    }
}

/// Items read back a page at a time: a backup's file, or a history as of a time (in key
/// order; only the offsets of the items are held).
pub enum ItemPages {
    File(ItemReader),
    History {
        images: std::vec::IntoIter<Image>,
        reader: ImageReader,
    },
}

impl ItemPages {
    pub fn file(path: &Path) -> io::Result<Self> {
        Ok(Self::File(ItemReader::open(path)?))
    }

    pub fn history(
        dir: &Path,
        stem: &str,
        t: f64,
        key: impl Fn(&Value) -> String,
    ) -> io::Result<Self> {
        let (base, changes) = (base_path(dir, stem), changes_path(dir, stem));
        let images: Vec<Image> = images_at(&base, &changes, t, key)?.into_values().collect();
        Ok(Self::History {
            images: images.into_iter(),
            reader: ImageReader::open(&base, &changes)?,
        })
    }

    /// Up to `n` more items; empty at the end.
    pub fn page(&mut self, n: usize) -> io::Result<Vec<Value>> {
        match self {
            Self::File(r) => r.page(n),
            Self::History { images, reader } => {
                images.by_ref().take(n).map(|i| reader.read(i)).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::state::Change;
    use serde_json::json;

    fn item(k: &str, v: &str) -> Value {
        json!({"pk": {"S": k}, "v": {"S": v}})
    }

    fn key(v: &Value) -> String {
        v["pk"]["S"].as_str().unwrap_or_default().to_string()
    }

    #[test]
    fn items_come_back_a_page_at_a_time_and_an_unfinished_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = backup_path(dir.path(), "backup-1");
        let mut w = ItemWriter::create(&path).unwrap();
        w.append(&[item("a", "1"), item("b", "2"), item("c", "3")])
            .unwrap();
        assert!(!path.exists(), "named only once complete");
        assert_eq!(w.finish().unwrap(), 3);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
        let mut r = ItemReader::open(&path).unwrap();
        assert_eq!(r.page(2).unwrap(), vec![item("a", "1"), item("b", "2")]);
        assert_eq!(r.page(2).unwrap(), vec![item("c", "3")]);
        assert!(r.page(2).unwrap().is_empty());

        let other = backup_path(dir.path(), "backup-2");
        let mut w = ItemWriter::create(&other).unwrap();
        w.append(&[item("a", "1")]).unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_history_replays_up_to_the_requested_time() {
        let dir = tempfile::tempdir().unwrap();
        let (base, changes) = (
            base_path(dir.path(), "pitr-1"),
            changes_path(dir.path(), "pitr-1"),
        );
        let mut w = ItemWriter::create(&base).unwrap();
        w.append(&[item("a", "1")]).unwrap();
        w.finish().unwrap();
        let change = |at: f64, k: &str, item: Option<Value>| Change {
            at,
            key: json!({"pk": {"S": k}}),
            item,
        };
        append_changes(&changes, &[change(11.0, "b", Some(item("b", "2")))]).unwrap();
        append_changes(&changes, &[change(12.0, "a", None)]).unwrap();
        let at = |t: f64| -> Vec<Value> {
            let images = images_at(&base, &changes, t, key).unwrap();
            let mut r = ImageReader::open(&base, &changes).unwrap();
            images.values().map(|i| r.read(*i).unwrap()).collect()
        };
        assert_eq!(at(10.5), vec![item("a", "1")]);
        assert_eq!(at(11.0), vec![item("a", "1"), item("b", "2")]);
        assert_eq!(at(99.0), vec![item("b", "2")]);
    }

    #[test]
    fn prune_keeps_named_and_unfinished_files() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "backup-1.jsonl",
            "pitr-2.base.jsonl",
            "pitr-2.changes.jsonl",
            "backup-3.jsonl",
            "backup-4.jsonl.part",
        ] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        prune(dir.path(), |s| s == "backup-1" || s == "pitr-2");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "backup-1.jsonl",
                "backup-4.jsonl.part",
                "pitr-2.base.jsonl",
                "pitr-2.changes.jsonl"
            ]
        );
    }
}
