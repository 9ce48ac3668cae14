//! Fixture files: per-example setup steps (never scored) and documented waivers.
//!
//! `fixtures/<service>/<rst path without .rst>.toml` (or `.json`). Unknown keys are rejected, so a
//! fixture cannot carry an expectation or a replacement command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::corpus::Corpus;
use crate::runner::node_data;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    #[serde(default)]
    pub example: Vec<ExampleSetup>,
    #[serde(default)]
    pub waiver: Vec<Waiver>,
    #[serde(default)]
    pub known_failure: Vec<KnownFailure>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSetup {
    pub index: usize,
    #[serde(default)]
    pub setup: Vec<String>,
    /// The region the example's author ran it in, when its output shows it (e.g. a global
    /// table whose replica list names its own region): the example and its setup run there
    /// (AWS_DEFAULT_REGION) instead of the default region. The commands stay as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub index: usize,
    pub category: String,
    pub reason: String,
}

/// Why an example still fails against the embedded emulator. It changes no outcome (the example
/// stays failed and counts as not passed); it is printed beside the failure in the reports.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFailure {
    pub index: usize,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture {path}: cannot read ({source})")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("fixture {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("fixture {path} names corpus file {target}, which does not exist")]
    NoSuchFile { path: PathBuf, target: String },
    #[error("fixture {path} names example #{index} of {target}, which has {count} example(s)")]
    NoSuchExample {
        path: PathBuf,
        target: String,
        index: usize,
        count: usize,
    },
}

/// All fixtures, keyed by corpus path (`dynamodb/create-table.rst`).
#[derive(Debug, Default, Clone)]
pub struct Fixtures {
    pub files: BTreeMap<String, FixtureFile>,
}

impl Fixtures {
    pub fn setup_for(&self, file: &str, index: usize) -> Vec<String> {
        self.files
            .get(file)
            .map(|f| {
                f.example
                    .iter()
                    .filter(|e| e.index == index)
                    .flat_map(|e| e.setup.iter().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn region_for(&self, file: &str, index: usize) -> Option<String> {
        self.files.get(file).and_then(|f| {
            f.example
                .iter()
                .filter(|e| e.index == index)
                .find_map(|e| e.region.clone())
        })
    }

    pub fn waiver_for(&self, file: &str, index: usize) -> Option<&Waiver> {
        self.files
            .get(file)
            .and_then(|f| f.waiver.iter().find(|w| w.index == index))
    }

    pub fn known_failure_for(&self, file: &str, index: usize) -> Option<&KnownFailure> {
        self.files
            .get(file)
            .and_then(|f| f.known_failure.iter().find(|k| k.index == index))
    }

    /// Loads every fixture under `dir` and checks it names existing files and examples.
    /// A missing directory means no fixtures.
    pub fn load(dir: &Path, corpus: &Corpus) -> Result<Fixtures, FixtureError> {
        let mut out = Fixtures::default();
        if !dir.exists() {
            return Ok(out);
        }
        let mut paths = Vec::new();
        collect(dir, &mut paths).map_err(|source| FixtureError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        paths.sort();
        for path in paths {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext != "toml" && ext != "json" {
                continue;
            }
            let raw = std::fs::read_to_string(&path).map_err(|source| FixtureError::Read {
                path: path.clone(),
                source,
            })?;
            let parsed: FixtureFile = if ext == "toml" {
                toml::from_str(&raw).map_err(|e| FixtureError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            } else {
                serde_json::from_str(&raw).map_err(|e| FixtureError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            };
            // `fixtures/botocore/<service>/<operation>.toml` names a botocore example file
            // (`botocore/<service>/<operation>`); every other fixture an RST file.
            let stem = path.strip_prefix(dir).unwrap_or(&path);
            let rel = if stem.starts_with("botocore") {
                stem.with_extension("")
            } else {
                stem.with_extension("rst")
            }
            .to_string_lossy()
            .replace('\\', "/");
            validate(&path, &rel, &parsed, corpus)?;
            if out.files.insert(rel.clone(), parsed).is_some() {
                return Err(FixtureError::Invalid {
                    path,
                    message: format!("a second fixture file for {rel} (.toml and .json)"),
                });
            }
        }
        Ok(out)
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn region_re() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[a-z]{2}(-[a-z]+)+-\d$").expect("region regex"))
}

fn validate(path: &Path, rel: &str, f: &FixtureFile, corpus: &Corpus) -> Result<(), FixtureError> {
    let file = corpus.file(rel).ok_or_else(|| FixtureError::NoSuchFile {
        path: path.to_path_buf(),
        target: rel.to_string(),
    })?;
    let count = file.examples.len();
    let indices = f
        .example
        .iter()
        .map(|e| e.index)
        .chain(f.waiver.iter().map(|w| w.index))
        .chain(f.known_failure.iter().map(|k| k.index));
    for index in indices {
        if index == 0 || index > count {
            return Err(FixtureError::NoSuchExample {
                path: path.to_path_buf(),
                target: rel.to_string(),
                index,
                count,
            });
        }
    }
    for e in &f.example {
        if let Some(r) = &e.region {
            let ok = region_re().is_match(r);
            if !ok {
                return Err(FixtureError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("example {}: `{r}` is not an AWS region name", e.index),
                });
            }
        }
        for cmd in &e.setup {
            let argv = shell_words::split(cmd).map_err(|err| FixtureError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "example {}: setup step cannot be split ({err}): {cmd}",
                    e.index
                ),
            })?;
            // The endpoint and credentials come from the environment, for setup as for examples.
            if let Some(flag) = argv.iter().find(|a| {
                matches!(a.as_str(), "--endpoint-url" | "--profile")
                    || a.starts_with("--endpoint-url=")
            }) {
                return Err(FixtureError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "example {}: setup steps may not pass {flag} (the endpoint comes from the environment): {cmd}",
                        e.index
                    ),
                });
            }
            if argv.first().map(String::as_str) == Some(node_data::COMMAND) {
                node_data::NodeWrite::parse(&argv).map_err(|m| FixtureError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("example {}: {m}: {cmd}", e.index),
                })?;
            } else if argv.first().map(String::as_str) != Some("aws") {
                return Err(FixtureError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "example {}: setup steps run the AWS CLI and start with `aws` (or write data through a node: `{}`): {cmd}",
                        e.index,
                        node_data::COMMAND
                    ),
                });
            }
        }
    }
    for w in &f.waiver {
        if w.category.trim().is_empty() || w.reason.trim().is_empty() {
            return Err(FixtureError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "waiver for example {} needs a category and a reason",
                    w.index
                ),
            });
        }
    }
    Ok(())
}
