//! Every corpus file parses; its parsed form is pinned by an insta snapshot per file.

use super::common;
use evaluator::botocore::{corpus_of, BOTOCORE_CORPUS, RST_CORPUS};
use evaluator::rst::Severity;

fn rst_only() -> evaluator::corpus::Corpus {
    let mut c = common::corpus();
    c.files.retain(|f| corpus_of(&f.path) == RST_CORPUS);
    c
}

#[test]
fn botocore_examples_load_one_file_per_operation() {
    let mut c = common::corpus();
    c.files.retain(|f| corpus_of(&f.path) == BOTOCORE_CORPUS);
    assert_eq!(c.files.len(), 56, "botocore operations with examples");
    let examples: usize = c.files.iter().map(|f| f.examples.len()).sum();
    assert_eq!(examples, 66, "botocore example count");
    for f in &c.files {
        assert!(f.diagnostics.is_empty(), "{}: {:?}", f.path, f.diagnostics);
        for e in &f.examples {
            let s = &e.steps[0];
            assert_eq!(s.argv[0], "aws");
            assert_eq!(s.argv[1], f.service);
            assert_eq!(s.argv[3], "--cli-input-json");
            assert!(serde_json::from_str::<serde_json::Value>(&s.argv[4]).is_ok());
        }
    }
}

#[test]
fn every_corpus_file_parses_without_errors() {
    let corpus = rst_only();
    assert_eq!(corpus.files.len(), 103, "corpus file count");
    let errors: Vec<String> = corpus
        .files
        .iter()
        .flat_map(|f| f.diagnostics.iter())
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "parse errors:\n{}", errors.join("\n"));
    for f in &corpus.files {
        assert!(!f.examples.is_empty(), "{} has no example", f.path);
        for e in &f.examples {
            assert!(!e.steps.is_empty(), "{}#{} has no step", f.path, e.index);
            for s in &e.steps {
                assert_eq!(s.argv[0], "aws", "{}:{}", f.path, s.line);
            }
        }
    }
    let examples: usize = corpus.files.iter().map(|f| f.examples.len()).sum();
    assert_eq!(examples, 136, "example count");
}

#[test]
fn parsed_form_snapshots() {
    let corpus = rst_only();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots");
    settings.bind(|| {
        for f in &corpus.files {
            let name = f.path.trim_end_matches(".rst").replace('/', "__");
            insta::assert_yaml_snapshot!(name, f);
        }
    });
}
