//! Every corpus file parses; its parsed form is pinned by an insta snapshot per file.

use super::common;
use evaluator::rst::Severity;

#[test]
fn every_corpus_file_parses_without_errors() {
    let corpus = common::corpus();
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
    let corpus = common::corpus();
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
