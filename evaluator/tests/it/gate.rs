//! The conformance gate: the embedded emulator must not regress against the committed baseline.

use super::common;

#[test]
fn no_regression_against_the_committed_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::evaluator()
        .args([
            "run",
            "--baseline",
            "reports/baseline.json",
            "--emulator-bin",
        ])
        .arg(common::emulator_bin())
        .arg("--report-dir")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(1200))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "conformance gate failed (full report in {}):\n{stdout}\n{}",
        dir.keep().display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no regression"), "{stdout}");
}
