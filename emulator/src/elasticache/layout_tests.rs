//! The module layout of ARCHITECTURE.md, checked on the source: no import circles, and the
//! arrows point down only (ops → domain → state; jobs → engine, runtime).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name (`domain::users`) → the elasticache modules its non-test code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/elasticache");
    let mut files = vec![];
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let name_of = |p: &Path| {
        let rel = p.strip_prefix(&root).unwrap().with_extension("");
        let s = rel.to_string_lossy().replace('/', "::");
        s.strip_suffix("::mod").unwrap_or(&s).to_string()
    };
    let names: BTreeSet<String> = files.iter().map(|p| name_of(p)).collect();
    let path =
        regex::Regex::new(r"crate::elasticache::((?:domain::|ops::|engine::|runtime::)?\w+)")
            .unwrap();
    let sup = regex::Regex::new(r"\bsuper::(\w+)").unwrap();
    let mut g = BTreeMap::new();
    for p in &files {
        let text = std::fs::read_to_string(p).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let me = name_of(p);
        let mut refs: BTreeSet<String> =
            path.captures_iter(code).map(|c| c[1].to_string()).collect();
        if let Some((dir, _)) = me.split_once("::") {
            refs.extend(sup.captures_iter(code).map(|c| format!("{dir}::{}", &c[1])));
        }
        refs.retain(|r| names.contains(r) && *r != me);
        g.insert(me, refs);
    }
    g
}

#[test]
fn the_modules_have_no_import_circles() {
    let g = graph();
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    return Some(stack[at..].to_vec());
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if !state.contains_key(n.as_str()) {
            let circle = visit(n, &g, &mut state, &mut vec![]);
            assert!(circle.is_none(), "import circle: {circle:?}");
        }
    }
}

#[test]
fn arrows_point_down_only() {
    for (m, refs) in graph() {
        for r in refs {
            let wrong = match m.split("::").next().unwrap() {
                // One family never calls another's action.
                "ops" => {
                    r.starts_with("ops")
                        || ["jobs", "persist", "restore"].contains(&r.as_str())
                        || r.starts_with("engine")
                }
                // Rules record effects; they never run them.
                "domain" => {
                    r.starts_with("ops")
                        || r.starts_with("engine")
                        || ["jobs", "persist", "restore"].contains(&r.as_str())
                }
                // The wire and the processes know nothing of the state.
                "engine" | "runtime" => {
                    r.starts_with("domain")
                        || r.starts_with("ops")
                        || ["state", "store", "jobs"].contains(&r.as_str())
                }
                _ => false,
            };
            assert!(!wrong, "{m} must not depend on {r}");
        }
    }
}
