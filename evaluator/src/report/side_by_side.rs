//! The side-by-side report of `evaluator compare`: per service and corpus the strict rate of each
//! endpoint, and per example the outcome of each, examples where they differ first
//! (compare.json, compare.md, compare.html).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::model::{Counts, Outcome, Report, RuleImpact, ServiceSummary};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetSummary {
    pub name: String,
    /// What it is (`embedded emulator`, `moto_server`, ...).
    pub target: String,
    pub endpoint: String,
    pub reset: String,
    pub wall_time_ms: u64,
    pub overall: ServiceSummary,
    pub services: BTreeMap<String, ServiceSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExampleRow {
    pub id: String,
    pub service: String,
    pub corpus: String,
    pub title: String,
    /// Outcome per target name; absent when that target did not score the service.
    pub outcomes: BTreeMap<String, Outcome>,
    /// Why it did not pass, per target.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reasons: BTreeMap<String, String>,
    /// The targets that scored it do not all agree.
    pub differ: bool,
    pub rerun: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub schema_version: u32,
    pub started_at: String,
    pub awscli_version: String,
    /// In the order given on the command line.
    pub targets: Vec<TargetSummary>,
    /// Differing examples first, then corpus order.
    pub examples: Vec<ExampleRow>,
    pub normalization: serde_json::Value,
    /// Per target, the examples each normalization entry turns.
    #[serde(default)]
    pub rule_impact: BTreeMap<String, Vec<RuleImpact>>,
}

impl Comparison {
    pub fn build(reports: &[(String, Report)], started_at: &str) -> Comparison {
        let targets = reports
            .iter()
            .map(|(name, r)| TargetSummary {
                name: name.clone(),
                target: r.run.target.clone(),
                endpoint: r.run.endpoint.clone(),
                reset: r.run.reset.clone(),
                wall_time_ms: r.run.wall_time_ms,
                overall: r.overall.clone(),
                services: r.services.clone(),
            })
            .collect();
        let mut rows: Vec<ExampleRow> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for (name, r) in reports {
            for f in &r.files {
                for e in &f.examples {
                    let i = *index.entry(e.id.clone()).or_insert_with(|| {
                        rows.push(ExampleRow {
                            id: e.id.clone(),
                            service: f.service.clone(),
                            corpus: f.corpus.clone(),
                            title: e.title.clone(),
                            outcomes: BTreeMap::new(),
                            reasons: BTreeMap::new(),
                            differ: false,
                            rerun: e.rerun.clone(),
                        });
                        rows.len() - 1
                    });
                    rows[i].outcomes.insert(name.clone(), e.outcome);
                    if let Some(reason) = e.reason.as_ref().filter(|_| e.outcome != Outcome::Pass) {
                        rows[i].reasons.insert(name.clone(), reason.clone());
                    }
                }
            }
        }
        for row in &mut rows {
            row.differ = row.outcomes.values().collect::<BTreeSet<_>>().len() > 1;
        }
        // Stable: corpus order within each group.
        rows.sort_by_key(|r| !r.differ);
        Comparison {
            schema_version: 1,
            started_at: started_at.to_string(),
            awscli_version: reports
                .first()
                .map(|(_, r)| r.run.awscli_version.clone())
                .unwrap_or_default(),
            targets,
            examples: rows,
            normalization: reports
                .first()
                .map(|(_, r)| r.normalization.clone())
                .unwrap_or_default(),
            rule_impact: reports
                .iter()
                .map(|(name, r)| (name.clone(), r.rule_impact.clone()))
                .collect(),
        }
    }

    /// Every (service, corpus) pair any target scored, services in name order.
    pub fn cells(&self) -> Vec<(String, String)> {
        let mut set = BTreeSet::new();
        for t in &self.targets {
            for (s, v) in &t.services {
                for c in v.corpora.keys() {
                    set.insert((s.clone(), c.clone()));
                }
            }
        }
        set.into_iter().collect()
    }
}

/// `passed/total (rate)`, the form every report uses for a strict rate.
pub fn rate_cell(c: &Counts) -> String {
    format!("{}/{} ({:.1}%)", c.passed, c.total, c.strict_rate() * 100.0)
}

/// One row per target and corpus, one column per service, and the overall column.
pub fn summary_table(cmp: &Comparison) -> String {
    let services: BTreeSet<&String> = cmp.targets.iter().flat_map(|t| t.services.keys()).collect();
    let corpora: BTreeSet<&String> = cmp
        .targets
        .iter()
        .flat_map(|t| t.overall.corpora.keys())
        .collect();
    let mut s = String::from("| endpoint | corpus |");
    for svc in &services {
        let _ = write!(s, " {svc} |");
    }
    s.push_str(" overall | wall time |\n|---|---|");
    for _ in 0..services.len() + 2 {
        s.push_str("---|");
    }
    s.push('\n');
    for t in &cmp.targets {
        for corpus in &corpora {
            let _ = write!(
                s,
                "| {} ({}, reset {}) | {corpus} |",
                t.name, t.target, t.reset
            );
            for svc in &services {
                let cell = t
                    .services
                    .get(*svc)
                    .and_then(|v| v.corpora.get(*corpus))
                    .map(|c| rate_cell(&c.examples))
                    .unwrap_or_else(|| "n/a".into());
                let _ = write!(s, " {cell} |");
            }
            let overall = t
                .overall
                .corpora
                .get(*corpus)
                .map(|c| rate_cell(&c.examples))
                .unwrap_or_else(|| "n/a".into());
            let _ = writeln!(s, " {overall} | {:.1} s |", t.wall_time_ms as f64 / 1000.0);
        }
    }
    s
}

pub fn markdown(cmp: &Comparison) -> String {
    let mut s = String::from("# Side-by-side conformance\n\n");
    let _ = writeln!(
        s,
        "Started {}, AWS CLI {}. Strict rate = passed / all examples of the corpus the endpoint was scored on (waived, exit-only and harness errors are not passes); n/a: not scored.\n",
        cmp.started_at, cmp.awscli_version
    );
    for t in &cmp.targets {
        let _ = writeln!(
            s,
            "- **{}**: {} at {}, reset {}",
            t.name, t.target, t.endpoint, t.reset
        );
    }
    s.push('\n');
    s.push_str(&summary_table(cmp));
    let differ = cmp.examples.iter().filter(|e| e.differ).count();
    let _ = writeln!(
        s,
        "\n## Examples ({} differ of {})\n",
        differ,
        cmp.examples.len()
    );
    s.push_str("| example | differ |");
    for t in &cmp.targets {
        let _ = write!(s, " {} |", t.name);
    }
    s.push_str("\n|---|---|");
    for _ in &cmp.targets {
        s.push_str("---|");
    }
    s.push('\n');
    for e in &cmp.examples {
        let _ = write!(s, "| `{}` | {} |", e.id, if e.differ { "yes" } else { "" });
        for t in &cmp.targets {
            let _ = write!(
                s,
                " {} |",
                e.outcomes.get(&t.name).map(|o| o.as_str()).unwrap_or("n/a")
            );
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn differing_examples_come_first_and_missing_services_are_na() {
        let a = sample();
        let mut b = sample();
        // b passes what a fails, and scored no elasticache.
        b.files[0].examples[0].outcome = Outcome::Pass;
        b.files.retain(|f| f.service != "elasticache");
        let b = Report::build(b.run.clone(), b.files, serde_json::Value::Null);
        let cmp = Comparison::build(&[("a".into(), a), ("b".into(), b)], "t");
        assert_eq!(cmp.examples[0].id, "dynamodb/list-tables.rst#1");
        assert!(cmp.examples[0].differ);
        assert!(cmp.examples[1..].iter().all(|e| !e.differ));
        let x = cmp
            .examples
            .iter()
            .find(|e| e.id == "elasticache/x.rst#1")
            .unwrap();
        assert_eq!(x.outcomes.len(), 1, "b did not score elasticache");
        let table = summary_table(&cmp);
        assert!(
            table.contains(
                "| a (embedded emulator, reset emulator) | awscli-rst | 1/2 (50.0%) | 0/1 (0.0%) |"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "| b (embedded emulator, reset emulator) | awscli-rst | 2/2 (100.0%) | n/a |"
            ),
            "{table}"
        );
    }
}
