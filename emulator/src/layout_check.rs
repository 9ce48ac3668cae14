//! The module graph of one source folder, read from its files, for the layout tests that keep
//! arrows pointing down (`dynamodb/layout_tests.rs`; the evaluator's report layout test
//! includes this same file by path, so both crates read modules the same way).
//!
//! A module is named by its path under the folder (`ops::tables`; the folder's own `mod.rs`
//! is `mod`). Its references are the paths its non-test code names: `crate::<folder>::...`,
//! `super::...`, `self::...` (with one level of `{...}` groups) and `child::...` for its own
//! child modules, each resolved to the longest module path it starts with; a path that names
//! no module below the folder root names the root, `mod`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name → the modules of the same folder its non-test code names.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The name the folder's own `mod.rs` goes by.
pub const ROOT: &str = "mod";

fn rust_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![];
    let mut dirs = vec![root.to_path_buf()];
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
    files
}

/// Module path segments of a file: `ops/mod.rs` → [ops], `ops/tables.rs` → [ops, tables].
fn segments(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut segs: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segs.last().is_some_and(|s| s == "mod") {
        segs.pop();
    }
    segs
}

fn name(segs: &[String]) -> String {
    if segs.is_empty() {
        ROOT.to_string()
    } else {
        segs.join("::")
    }
}

/// The code before the inline test module, without line comments (doc comments name paths
/// too).
fn code(text: &str) -> String {
    let tests = regex::Regex::new(r"#\[cfg\(test\)\]\s*mod \w+\s*\{").unwrap();
    let before_tests = &text[..tests.find(text).map_or(text.len(), |m| m.start())];
    before_tests
        .lines()
        .map(|l| l.find("//").map_or(l, |at| &l[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The graph of the folder `root`, which the crate names `crate::<crate_path>`.
pub fn graph(root: &Path, crate_path: &str) -> Graph {
    let files = rust_files(root);
    let modules: Vec<(Vec<String>, &std::path::PathBuf)> =
        files.iter().map(|f| (segments(root, f), f)).collect();
    let known: BTreeSet<Vec<String>> = modules.iter().map(|(s, _)| s.clone()).collect();
    // Longest module path `full` starts with (the root when none).
    let resolve = |full: &[String]| -> String {
        (1..=full.len())
            .rev()
            .map(|n| &full[..n])
            .find(|p| known.contains(*p))
            .map_or_else(|| ROOT.to_string(), name)
    };
    let prefixed = regex::Regex::new(&format!(
        r"\b(crate::{crate_path}::|(?:super::)+|self::)((?:\w+::)*)(\{{[^{{}}]*\}}|\w+)?"
    ))
    .unwrap();
    let mut g = Graph::new();
    for (me, file) in &modules {
        let text = code(&std::fs::read_to_string(file).unwrap());
        let mut refs = BTreeSet::new();
        for c in prefixed.captures_iter(&text) {
            let head = &c[1];
            let base: Vec<String> = if head.starts_with("crate::") {
                vec![]
            } else if head == "self::" {
                me.clone()
            } else {
                let ups = head.matches("super::").count();
                me[..me.len().saturating_sub(ups)].to_vec()
            };
            let mid: Vec<String> = c[2]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let tails: Vec<Vec<String>> = match c.get(3).map(|m| m.as_str()) {
                Some(group) if group.starts_with('{') => group
                    .trim_matches(|ch| ch == '{' || ch == '}')
                    .split(',')
                    .map(|p| {
                        p.trim()
                            .split("::")
                            .filter(|s| !s.is_empty() && *s != "self")
                            .map(str::to_owned)
                            .collect()
                    })
                    .collect(),
                Some(last) => vec![vec![last.to_string()]],
                None => vec![vec![]],
            };
            for tail in tails {
                let full: Vec<String> = base.iter().chain(&mid).chain(&tail).cloned().collect();
                refs.insert(resolve(&full));
            }
        }
        // `child::...` without a prefix: the module's own children.
        for (child, _) in &modules {
            if child.len() == me.len() + 1 && child.starts_with(me) {
                let word = regex::escape(child.last().unwrap());
                let bare = regex::Regex::new(&format!(r"(?:^|[^:\w]){word}::")).unwrap();
                if bare.is_match(&text) {
                    refs.insert(name(child));
                }
            }
        }
        refs.remove(&name(me));
        g.insert(name(me), refs);
    }
    g
}

/// An import circle, as the modules along it, if there is one.
pub fn circle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Graph,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
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
            if let Some(c) = visit(n, g, &mut state, &mut vec![]) {
                return Some(c);
            }
        }
    }
    None
}
