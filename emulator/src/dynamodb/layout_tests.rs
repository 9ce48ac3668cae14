//! The module layout of ARCHITECTURE.md, checked on the source: no import circles, and the
//! arrows point down only: mod → ops → {vector, wire, backend, state}; vector → backend (and
//! the leaves); backend → wire, state; wire and state depend on nothing of ours. Within `ops`,
//! a family never names another family: what several share lives in `SHARED`.

use std::path::Path;

use crate::layout_check::{circle, graph, Graph, ROOT};

/// The `ops` modules that are not an operation family: the handle and what families share.
const SHARED: &[&str] = &["ops::service", "ops::copy", "ops::replicas"];

fn dynamodb() -> Graph {
    graph(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dynamodb"),
        "dynamodb",
    )
}

/// The layer a module belongs to: its first path segment (`ops::tables` → `ops`).
fn layer(m: &str) -> &str {
    m.split("::").next().unwrap_or(m)
}

/// Why `from` must not name `to`, if it must not.
fn wrong(from: &str, to: &str) -> Option<&'static str> {
    if to == ROOT {
        return Some("nothing names the façade");
    }
    let below: &[&str] = match layer(from) {
        "mod" => return None,
        "ops" => &["ops", "vector", "wire", "backend", "state"],
        "vector" => &["vector", "backend", "wire", "state"],
        "backend" => &["backend", "wire", "state"],
        "wire" => &["wire"],
        "state" => &["state"],
        _ => &[],
    };
    if !below.contains(&layer(to)) {
        return Some("an upward or sideways arrow between layers");
    }
    if layer(from) == "ops" && layer(to) == "ops" {
        if to == "ops" {
            return Some("the operation table is named by the façade only");
        }
        // The table names every family; a family or a shared module names shared ones only.
        if from != "ops" && !SHARED.contains(&to) {
            return Some("one family never names another");
        }
    }
    None
}

#[test]
fn the_modules_have_no_import_circles() {
    let circle = circle(&dynamodb());
    assert!(circle.is_none(), "import circle: {circle:?}");
}

#[test]
fn arrows_point_down_only() {
    let mut bad = vec![];
    for (m, refs) in dynamodb() {
        for r in refs {
            if let Some(why) = wrong(&m, &r) {
                bad.push(format!("{m} → {r}: {why}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_layer_is_there() {
    // A renamed folder would otherwise make the rules above vacuous.
    let g = dynamodb();
    for m in [
        "mod",
        "ops",
        "ops::service",
        "wire",
        "backend",
        "vector",
        "state",
    ] {
        assert!(g.contains_key(m), "module {m} not found: {:?}", g.keys());
    }
    assert!(
        g["mod"].contains("ops"),
        "the façade names the operation table"
    );
}
