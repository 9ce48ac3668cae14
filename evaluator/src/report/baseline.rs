//! The committed baseline: the outcome of every example at the last accepted run.
//! A regression is an example that passed in the baseline and does not pass now.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::{Outcome, Report};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub awscli_version: String,
    /// Strict pass rate per `<corpus>/<service>` when the baseline was taken (informational).
    pub strict_rates: BTreeMap<String, f64>,
    /// `file#N` -> outcome.
    pub examples: BTreeMap<String, Outcome>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline {path}: {message}")]
    Read { path: String, message: String },
}

impl Baseline {
    pub fn from_report(r: &Report) -> Baseline {
        Baseline {
            schema_version: 1,
            awscli_version: r.run.awscli_version.clone(),
            strict_rates: r
                .services
                .iter()
                .flat_map(|(svc, v)| {
                    v.corpora.iter().map(move |(corpus, c)| {
                        (
                            format!("{corpus}/{svc}"),
                            (c.strict_rate * 10000.0).round() / 10000.0,
                        )
                    })
                })
                .collect(),
            examples: r.examples().map(|e| (e.id.clone(), e.outcome)).collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let err = |message: String| BaselineError::Read {
            path: path.display().to_string(),
            message,
        };
        let raw = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let b: Baseline = serde_json::from_str(&raw).map_err(|e| err(e.to_string()))?;
        if b.schema_version != 1 {
            return Err(err(format!("unknown schema_version {}", b.schema_version)));
        }
        Ok(b)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let s = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, s + "\n")
    }

    /// Examples that passed in the baseline and do not pass in `report` (skipped ones are not
    /// run, so they are not judged).
    pub fn regressions(&self, report: &Report) -> Vec<(String, Outcome)> {
        report
            .examples()
            .filter(|e| e.outcome != Outcome::Pass && e.outcome != Outcome::Skipped)
            .filter(|e| self.examples.get(&e.id) == Some(&Outcome::Pass))
            .map(|e| (e.id.clone(), e.outcome))
            .collect()
    }

    /// Examples that pass now but not in the baseline.
    pub fn improvements(&self, report: &Report) -> Vec<String> {
        report
            .examples()
            .filter(|e| e.outcome == Outcome::Pass)
            .filter(|e| self.examples.get(&e.id) != Some(&Outcome::Pass))
            .map(|e| e.id.clone())
            .collect()
    }
}
