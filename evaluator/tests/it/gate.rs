//! The conformance gate: the embedded emulator must not regress against the committed baseline,
//! and no pass may rest on a list longer than the example's outside the table's open lists.

use std::path::PathBuf;
use std::sync::OnceLock;

use evaluator::{compare, normalize};
use serde_json::Value;

use super::common;

/// An earlier run in the history file the gate run appends to, so report.html has a trend of
/// two points to draw.
pub const EARLIER_RUN: &str = r#"{"started_at":"2026-11-23T12:00:00Z","endpoint":"http://127.0.0.1:1","target":"embedded emulator","wall_time_ms":38000,"passed":100,"total":202,"strict_rate":0.495,"services":{"dynamodb":0.7,"dynamodbstreams":0.25,"elasticache":0.3}}"#;

/// One full run for the gate, its report checks and the report.html browser test:
/// (exit success, stdout, stderr, report dir; history.jsonl is in the report dir).
pub fn gate_run() -> &'static (bool, String, String, PathBuf) {
    static RUN: OnceLock<(bool, String, String, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let history = dir.join("history.jsonl");
        std::fs::write(&history, format!("{EARLIER_RUN}\n")).unwrap();
        let out = common::evaluator()
            .args([
                "run",
                "--baseline",
                "reports/baseline.json",
                "--emulator-bin",
            ])
            .arg(common::emulator_bin())
            .arg("--report-dir")
            .arg(&dir)
            .arg("--history")
            .arg(&history)
            .timeout(std::time::Duration::from_secs(1200))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
        )
    })
}

#[test]
fn no_regression_against_the_committed_baseline() {
    let (ok, stdout, stderr, dir) = gate_run();
    assert!(
        ok,
        "conformance gate failed (full report in {}):\n{stdout}\n{stderr}",
        dir.display()
    );
    assert!(stdout.contains("no regression"), "{stdout}");
}

/// Lists under `key` (None at the top) where actual holds more items than expected although
/// the key is not an open list; items are followed through the pairs that match.
fn surplus_lists(e: &Value, a: &Value, key: Option<&str>, path: &str, out: &mut Vec<String>) {
    let table = normalize::table();
    match (e, a) {
        (Value::Object(em), Value::Object(am)) => {
            for (k, ev) in em {
                if let Some(av) = am.get(k) {
                    surplus_lists(ev, av, Some(k), &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Array(el), Value::Array(al)) => {
            if al.len() > el.len() && !key.is_some_and(|k| table.is_open_list(k)) {
                out.push(format!(
                    "{path}: {} actual item(s), {} expected",
                    al.len(),
                    el.len()
                ));
            }
            let absent = |k: &str| table.may_be_absent(k);
            let open = |k: &str| table.is_open_list(k);
            let policy = compare::Policy {
                may_be_absent: &absent,
                open_list: &open,
            };
            for (i, ei) in el.iter().enumerate() {
                if let Some(ai) = al.iter().find(|ai| compare::matches(ei, ai, &policy)) {
                    surplus_lists(ei, ai, key, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn no_pass_rests_on_a_longer_list_outside_the_open_lists() {
    let (_, _, _, dir) = gate_run();
    let raw = std::fs::read_to_string(dir.join("report.json"))
        .unwrap_or_else(|e| panic!("report.json in {}: {e}", dir.display()));
    let report: Value = serde_json::from_str(&raw).unwrap();
    let mut found = Vec::new();
    let mut checked = 0;
    for f in report["files"].as_array().unwrap() {
        for ex in f["examples"].as_array().unwrap() {
            if ex["outcome"] != "pass" {
                continue;
            }
            for st in ex["steps"].as_array().unwrap() {
                if st["setup"] == true || st["expected"]["kind"] != "json" {
                    continue;
                }
                checked += 1;
                let e = normalize::normalize(&st["expected"]["value"]);
                let a = normalize::normalize(&st["actual"]);
                let mut here = Vec::new();
                surplus_lists(&e, &a, None, "$", &mut here);
                found.extend(here.into_iter().map(|m| format!("{} {m}", ex["id"])));
            }
        }
    }
    assert!(checked > 50, "only {checked} passing JSON steps checked");
    assert!(
        found.is_empty(),
        "passes that rest on surplus list items:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_surplus_check_can_fail() {
    let mut out = Vec::new();
    let e = serde_json::json!({"Table": {"AttributeDefinitions": [{"AttributeName": "A"}]}});
    let a = serde_json::json!({"Table": {"AttributeDefinitions": [{"AttributeName": "A"}, {"AttributeName": "B"}]}});
    surplus_lists(&e, &a, None, "$", &mut out);
    assert_eq!(
        out,
        ["$.Table.AttributeDefinitions: 2 actual item(s), 1 expected"]
    );
    let mut none = Vec::new();
    let ev = serde_json::json!({"Events": [1]});
    surplus_lists(
        &ev,
        &serde_json::json!({"Events": [2, 1]}),
        None,
        "$",
        &mut none,
    );
    assert!(none.is_empty());
}

/// The committed table of what each normalization entry turns (evaluator/RULES.md) names every
/// entry of today's table, and the gate run measures each one.
#[test]
fn the_committed_rule_table_covers_every_entry() {
    let committed = std::fs::read_to_string(common::workspace().join("evaluator/RULES.md")).expect(
        "evaluator/RULES.md (cargo run --release -p evaluator -- rules --write evaluator/RULES.md)",
    );
    let rows: Vec<&str> = committed
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" | ").next())
        .filter(|e| *e != "entry" && !e.starts_with("---"))
        .collect();
    let entries: Vec<String> = normalize::entries().into_iter().map(|e| e.name).collect();
    assert_eq!(
        rows, entries,
        "evaluator/RULES.md is stale: rerun `cargo run --release -p evaluator -- rules --write evaluator/RULES.md`"
    );
    let (_, _, _, dir) = gate_run();
    let measured = std::fs::read_to_string(dir.join("rules.md")).unwrap();
    for e in &entries {
        assert!(measured.contains(&format!("| {e} | ")), "{e} not measured");
    }
}
