//! `--history FILE`: one JSON line per run (when, which endpoint, per-service strict rates, wall
//! time), appended, so a trend survives across runs and report.html can draw it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Report;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub started_at: String,
    pub endpoint: String,
    pub target: String,
    pub wall_time_ms: u64,
    pub passed: usize,
    pub total: usize,
    pub strict_rate: f64,
    /// Strict rate per service.
    pub services: BTreeMap<String, f64>,
    /// The selection, when the run was not the full corpus (its rates are not comparable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {source}")]
    Parse {
        line: usize,
        source: serde_json::Error,
    },
}

impl Entry {
    pub fn of(r: &Report) -> Entry {
        Entry {
            started_at: r.run.started_at.clone(),
            endpoint: r.run.endpoint.clone(),
            target: r.run.target.clone(),
            wall_time_ms: r.run.wall_time_ms,
            passed: r.overall.examples.passed,
            total: r.overall.examples.total,
            strict_rate: r.overall.strict_rate,
            services: r
                .services
                .iter()
                .map(|(k, v)| (k.clone(), v.strict_rate))
                .collect(),
            filters: r.run.filters.clone(),
        }
    }
}

pub fn append(path: &Path, e: &Entry) -> Result<(), HistoryError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(e).map_err(std::io::Error::other)?;
    line.push('\n');
    // One write of one whole line: concurrent runs appending to one file do not interleave.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(line.as_bytes())?;
    Ok(())
}

pub fn load(path: &Path) -> Result<Vec<Entry>, HistoryError> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|source| HistoryError::Parse {
                line: i + 1,
                source,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rate: f64) -> Entry {
        Entry {
            started_at: "2026-11-30T10:00:00Z".into(),
            endpoint: "http://127.0.0.1:1".into(),
            target: "embedded emulator".into(),
            wall_time_ms: 20_000,
            passed: 1,
            total: 2,
            strict_rate: rate,
            services: BTreeMap::from([("dynamodb".into(), rate)]),
            filters: vec![],
        }
    }

    #[test]
    fn appends_and_reads_back_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.jsonl");
        append(&path, &entry(0.5)).unwrap();
        append(&path, &entry(0.75)).unwrap();
        let got = load(&path).unwrap();
        assert_eq!(got, vec![entry(0.5), entry(0.75)]);
        std::fs::write(&path, "{not json}\n").unwrap();
        assert!(matches!(
            load(&path),
            Err(HistoryError::Parse { line: 1, .. })
        ));
    }
}
