//! The corpus on disk: manifest check (sha256 per file) and loading of parsed files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::botocore;
use crate::rst::{self, ExampleFile};

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("corpus manifest {path} cannot be read ({source}); run scripts/setup")]
    Manifest {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("corpus manifest {path} is not valid JSON: {source}")]
    ManifestJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("corpus file {file} is missing; run scripts/setup")]
    Missing { file: String },
    #[error("corpus file {file} differs from the manifest (sha256 {actual}, expected {expected}); the corpus is never edited: run scripts/setup")]
    Changed {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("corpus file {file} is not UTF-8")]
    NotUtf8 { file: String },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub awscli_version: String,
    pub files: BTreeMap<String, String>,
    /// botocore corpus only: per service, the operations whose API model has no output shape.
    #[serde(default)]
    pub no_output_operations: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Debug)]
pub struct Corpus {
    pub root: PathBuf,
    pub awscli_version: String,
    pub files: Vec<ExampleFile>,
}

/// Reads a manifest and every file it names, checking each file's sha256.
fn read_checked(root: &Path) -> Result<(Manifest, Vec<(String, String)>), CorpusError> {
    let mpath = root.join("manifest.json");
    let raw = std::fs::read(&mpath).map_err(|source| CorpusError::Manifest {
        path: mpath.clone(),
        source,
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&raw).map_err(|source| CorpusError::ManifestJson {
            path: mpath.clone(),
            source,
        })?;
    let mut files = Vec::new();
    for (name, sha) in &manifest.files {
        let bytes = std::fs::read(root.join(name))
            .map_err(|_| CorpusError::Missing { file: name.clone() })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if !actual.eq_ignore_ascii_case(sha) {
            return Err(CorpusError::Changed {
                file: name.clone(),
                expected: sha.clone(),
                actual,
            });
        }
        let text =
            String::from_utf8(bytes).map_err(|_| CorpusError::NotUtf8 { file: name.clone() })?;
        files.push((name.clone(), text));
    }
    Ok((manifest, files))
}

impl Corpus {
    /// The RST corpus: reads the manifest, checks every file's sha256 and parses them all.
    pub fn load(root: &Path) -> Result<Corpus, CorpusError> {
        let (manifest, files) = read_checked(root)?;
        Ok(Corpus {
            root: root.to_path_buf(),
            awscli_version: manifest.awscli_version,
            files: files
                .iter()
                .map(|(name, text)| rst::parse(name, text))
                .collect(),
        })
    }

    /// botocore's `examples-1.json` files (`botocore-examples/`), checked the same way; one
    /// `ExampleFile` per operation, under `botocore/<service>/`.
    pub fn load_botocore(root: &Path) -> Result<Corpus, CorpusError> {
        let (manifest, files) = read_checked(root)?;
        Ok(Corpus {
            root: root.to_path_buf(),
            awscli_version: manifest.awscli_version,
            files: files
                .iter()
                .flat_map(|(name, text)| {
                    let service = name.split('/').next().unwrap_or_default();
                    let none = BTreeSet::new();
                    let no_output = manifest.no_output_operations.get(service).unwrap_or(&none);
                    botocore::parse(name, text, no_output)
                })
                .collect(),
        })
    }

    /// Both corpora in one (RST files first).
    pub fn merge(mut self, other: Corpus) -> Corpus {
        self.files.extend(other.files);
        self
    }

    pub fn file(&self, path: &str) -> Option<&ExampleFile> {
        self.files.iter().find(|f| f.path == path)
    }
}
