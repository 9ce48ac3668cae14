//! The serde report model (`report.json`, schema_version 1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compare::Mismatch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    FailOutput,
    FailExit,
    /// The golden output is not comparable (not JSON, or none documented): exit code only.
    ExitOnly,
    Skipped,
    Waived,
    HarnessError,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::FailOutput => "fail-output",
            Outcome::FailExit => "fail-exit",
            Outcome::ExitOnly => "exit-only",
            Outcome::Skipped => "skipped",
            Outcome::Waived => "waived",
            Outcome::HarnessError => "harness-error",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    pub line: usize,
    pub command: String,
    /// Setup steps come from fixtures and are never scored.
    pub setup: bool,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    /// What the example documents (kind and value).
    pub expected: serde_json::Value,
    /// stdout as JSON when it parses, else as text.
    pub actual: serde_json::Value,
    pub stderr: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub mismatches: Vec<Mismatch>,
    pub diff: Option<String>,
    /// For a passing JSON step: the normalization entries (`normalize::entries`) without which
    /// it would not pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needed_entries: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExampleResult {
    /// `dynamodb/create-table.rst#2`
    pub id: String,
    pub index: usize,
    pub title: String,
    pub line: usize,
    pub outcome: Outcome,
    pub reason: Option<String>,
    /// For waived examples: the waiver's category, and what the run gave anyway.
    pub waiver_category: Option<String>,
    pub unwaived_outcome: Option<Outcome>,
    /// For examples that do not pass: the fixture's known-failure explanation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    pub account: Option<String>,
    pub duration_ms: u64,
    /// Where `duration_ms` went.
    #[serde(default)]
    pub phases: ExamplePhases,
    pub rerun: String,
    pub steps: Vec<StepResult>,
    /// What the reset before the example could not delete (`--reset api`), one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reset_notes: Vec<String>,
}

/// An example's time by phase, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamplePhases {
    /// The reset before the example.
    pub reset_ms: u64,
    /// The fixture's setup steps (never scored).
    pub setup_ms: u64,
    /// The example's own steps.
    pub scored_ms: u64,
}

/// A run's time by phase, in milliseconds. Example phases are summed over all workers, so with
/// several jobs they add up to more than the wall time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPhases {
    /// Starting the endpoint (the embedded emulator, spawn to healthy); 0 for a given URL.
    pub start_ms: u64,
    /// The slowest worker's AWS CLI warm-up (driver ready to run its first command).
    pub cli_warmup_ms: u64,
    /// From the emulator's start until DynamoDB Local answered, when it was started early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamodb_ready_ms: Option<u64>,
    pub reset_ms: u64,
    pub setup_ms: u64,
    pub scored_ms: u64,
}

impl RunPhases {
    /// Adds up the example phases of `examples` into the sums.
    pub fn add_examples<'a>(&mut self, examples: impl Iterator<Item = &'a ExampleResult>) {
        for e in examples {
            self.reset_ms += e.phases.reset_ms;
            self.setup_ms += e.phases.setup_ms;
            self.scored_ms += e.phases.scored_ms;
        }
    }

    /// One console line.
    pub fn summary(&self) -> String {
        let s = |ms: u64| format!("{:.1} s", ms as f64 / 1000.0);
        let mut line = format!(
            "phases: endpoint start {}, CLI warm-up {}",
            s(self.start_ms),
            s(self.cli_warmup_ms)
        );
        if let Some(d) = self.dynamodb_ready_ms {
            line.push_str(&format!(", DynamoDB Local ready after {}", s(d)));
        }
        line.push_str(&format!(
            "; summed over examples: resets {}, setup steps {}, scored steps {}",
            s(self.reset_ms),
            s(self.setup_ms),
            s(self.scored_ms)
        ));
        line
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileResult {
    pub path: String,
    pub service: String,
    /// `awscli-rst` (the AWS CLI's RST examples) or `botocore-examples` (botocore's
    /// examples-1.json).
    pub corpus: String,
    pub examples: Vec<ExampleResult>,
    pub diagnostics: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub exit_only: usize,
    pub skipped: usize,
    pub waived: usize,
    pub harness_error: usize,
}

impl Counts {
    pub fn add(&mut self, o: Outcome) {
        self.total += 1;
        match o {
            Outcome::Pass => self.passed += 1,
            Outcome::FailOutput | Outcome::FailExit => self.failed += 1,
            Outcome::ExitOnly => self.exit_only += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Waived => self.waived += 1,
            Outcome::HarnessError => self.harness_error += 1,
        }
    }
    pub fn strict_rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.passed as f64 / self.total as f64
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceSummary {
    /// Every example of the service, both corpora together.
    pub examples: Counts,
    pub strict_rate: f64,
    /// The same counts per corpus (`awscli-rst`, `botocore-examples`).
    #[serde(default)]
    pub corpora: BTreeMap<String, CorpusSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpusSummary {
    pub examples: Counts,
    pub strict_rate: f64,
}

impl CorpusSummary {
    fn of(c: Counts) -> CorpusSummary {
        CorpusSummary {
            strict_rate: c.strict_rate(),
            examples: c,
        }
    }
}

fn summary(all: Counts, by_corpus: BTreeMap<String, Counts>) -> ServiceSummary {
    ServiceSummary {
        strict_rate: all.strict_rate(),
        examples: all,
        corpora: by_corpus
            .into_iter()
            .map(|(k, c)| (k, CorpusSummary::of(c)))
            .collect(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub endpoint: String,
    pub target: String,
    pub reset: String,
    pub cli: String,
    pub jobs: usize,
    pub awscli_version: String,
    pub started_at: String,
    pub wall_time_ms: u64,
    #[serde(default)]
    pub phases: RunPhases,
    pub filters: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub run: RunInfo,
    pub overall: ServiceSummary,
    pub services: BTreeMap<String, ServiceSummary>,
    /// The normalization table the run used (printed so a reader can judge every rule).
    pub normalization: serde_json::Value,
    /// Per entry of that table, the examples it turns: passes that fail with it switched off.
    #[serde(default)]
    pub rule_impact: Vec<RuleImpact>,
    pub files: Vec<FileResult>,
}

/// What one entry of the normalization table changes in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleImpact {
    /// `normalize::entries` name: a rule, `aws-chosen:KEY`, `open-list:KEY`, ...
    pub entry: String,
    pub why: String,
    /// Examples that pass and would not pass with this entry switched off.
    pub turned: Vec<String>,
}

/// Each entry of the table with the passing examples of `files` that rest on it.
pub fn rule_impact(files: &[FileResult]) -> Vec<RuleImpact> {
    crate::normalize::entries()
        .into_iter()
        .map(|entry| RuleImpact {
            turned: files
                .iter()
                .flat_map(|f| f.examples.iter())
                .filter(|e| e.outcome == Outcome::Pass)
                .filter(|e| {
                    e.steps
                        .iter()
                        .any(|s| !s.setup && s.needed_entries.contains(&entry.name))
                })
                .map(|e| e.id.clone())
                .collect(),
            entry: entry.name,
            why: entry.why.to_string(),
        })
        .collect()
}

impl Report {
    pub fn build(run: RunInfo, files: Vec<FileResult>, normalization: serde_json::Value) -> Report {
        type ByCorpus = BTreeMap<String, Counts>;
        let mut services: BTreeMap<String, (Counts, ByCorpus)> = BTreeMap::new();
        let mut overall = (Counts::default(), ByCorpus::new());
        for f in &files {
            let (c, bc) = services.entry(f.service.clone()).or_default();
            for e in &f.examples {
                c.add(e.outcome);
                bc.entry(f.corpus.clone()).or_default().add(e.outcome);
                overall.0.add(e.outcome);
                overall
                    .1
                    .entry(f.corpus.clone())
                    .or_default()
                    .add(e.outcome);
            }
        }
        Report {
            schema_version: 1,
            run,
            overall: summary(overall.0, overall.1),
            services: services
                .into_iter()
                .map(|(k, (c, bc))| (k, summary(c, bc)))
                .collect(),
            normalization,
            rule_impact: rule_impact(&files),
            files,
        }
    }

    pub fn examples(&self) -> impl Iterator<Item = &ExampleResult> {
        self.files.iter().flat_map(|f| f.examples.iter())
    }
}
