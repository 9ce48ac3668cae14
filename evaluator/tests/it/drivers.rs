//! The warm driver and the one-process-per-command driver give identical outcomes.

use std::collections::BTreeMap;
use std::path::Path;

use super::common;

/// A sample across services, both corpora and expectation kinds (JSON output, no output, errors,
/// exit-only).
const SAMPLE: &str = r"^(dynamodb/(list-tables\.rst#1|describe-limits\.rst#1|create-table\.rst#1|put-item\.rst#2|update-item\.rst#2|describe-endpoints\.rst#1)|dynamodbstreams/list-streams\.rst#1|elasticache/(describe-cache-engine-versions\.rst#1|create-cache-parameter-group\.rst#1|delete-cache-subnet-group\.rst#1|describe-reserved-cache-nodes-offerings\.rst#1)|botocore/dynamodb/get-item#1|botocore/elasticache/create-cache-parameter-group#1)$";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

fn outcomes(cli: &str, fixtures: &Path) -> BTreeMap<String, (String, Vec<Option<i64>>)> {
    let dir = tempfile::tempdir().unwrap();
    common::evaluator()
        .args([
            "run",
            "--jobs",
            "1",
            "--cli",
            cli,
            "--filter",
            SAMPLE,
            "--emulator-bin",
        ])
        .arg(common::emulator_bin())
        .arg("--fixtures")
        .arg(fixtures)
        .arg("--report-dir")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(600))
        .assert()
        .success();
    let raw = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let mut out = BTreeMap::new();
    for f in report["files"].as_array().unwrap() {
        for e in f["examples"].as_array().unwrap() {
            if e["outcome"] == "skipped" {
                continue;
            }
            let codes = e["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["exit_code"].as_i64())
                .collect();
            out.insert(
                e["id"].as_str().unwrap().to_string(),
                (e["outcome"].as_str().unwrap().to_string(), codes),
            );
        }
    }
    out
}

#[test]
fn warm_and_process_drivers_agree() {
    // Both runs read the same copy of the fixtures, so only the driver differs.
    let fixtures = tempfile::tempdir().unwrap();
    let src = common::workspace().join("fixtures");
    if src.is_dir() {
        copy_dir(&src, fixtures.path());
    }
    let process = outcomes("process", fixtures.path());
    let warm = outcomes("warm", fixtures.path());
    assert_eq!(process.len(), 13, "sample size: {process:?}");
    assert_eq!(process, warm);
}
