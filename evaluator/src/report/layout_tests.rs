//! The report modules' layout, checked on the source: no import circles, and the arrows point
//! down only: mod (the writers) → html (pages) → side_by_side (the comparison's data) →
//! model (the types); baseline → model. Nothing names `mod`.

use std::path::Path;

#[path = "../../../emulator/src/layout_check.rs"]
mod layout_check;

use layout_check::{circle, graph, Graph, ROOT};

fn report() -> Graph {
    graph(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report"),
        "report",
    )
}

/// Each module's rank: a module names only modules of a lower rank.
fn rank(m: &str) -> Option<u8> {
    match m {
        "model" => Some(0),
        "side_by_side" | "baseline" => Some(1),
        "html" => Some(2),
        ROOT => Some(3),
        _ => None,
    }
}

#[test]
fn the_modules_have_no_import_circles() {
    let circle = circle(&report());
    assert!(circle.is_none(), "import circle: {circle:?}");
}

#[test]
fn arrows_point_down_only() {
    let g = report();
    let mut bad = vec![];
    for (m, refs) in &g {
        if m == "layout_tests" {
            continue;
        }
        let from = rank(m).unwrap_or_else(|| panic!("module {m} has no place in the layout"));
        for r in refs {
            if rank(r).is_none_or(|to| to >= from) {
                bad.push(format!("{m} → {r}"));
            }
        }
    }
    assert!(bad.is_empty(), "upward arrows: {}", bad.join(", "));
    assert!(g.contains_key("html") && g.contains_key("side_by_side"));
}
