//! The committed baseline is well-formed and names exactly the corpus's examples.

use std::collections::BTreeSet;

use super::common;
use evaluator::report::baseline::Baseline;

#[test]
fn committed_baseline_matches_the_corpus() {
    let path = common::workspace().join("reports/baseline.json");
    let b = Baseline::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let corpus = common::corpus();
    assert_eq!(b.awscli_version, corpus.awscli_version);
    let ids: BTreeSet<String> = corpus
        .files
        .iter()
        .flat_map(|f| {
            f.examples
                .iter()
                .map(move |e| format!("{}#{}", f.path, e.index))
        })
        .collect();
    let named: BTreeSet<String> = b.examples.keys().cloned().collect();
    assert_eq!(named, ids, "baseline example ids differ from the corpus");
}
