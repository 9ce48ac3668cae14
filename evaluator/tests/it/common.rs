//! Shared helpers: paths of the workspace, the evaluator binary and the emulator binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

pub fn evaluator() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("evaluator").expect("evaluator binary");
    cmd.current_dir(workspace()).env_remove("RUST_BACKTRACE");
    cmd
}

/// Both corpora: the AWS CLI's RST examples, then botocore's examples.
pub fn corpus() -> evaluator::corpus::Corpus {
    evaluator::corpus::Corpus::load(&workspace().join("rst-examples"))
        .expect("corpus loads")
        .merge(
            evaluator::corpus::Corpus::load_botocore(&workspace().join("botocore-examples"))
                .expect("botocore examples load (scripts/setup)"),
        )
}

/// The emulator binary beside the evaluator binary, brought up to date once per test run
/// (`cargo build -p emulator` into the same target dir; a no-op when it is current), so the gate
/// never scores a stale emulator.
pub fn emulator_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let eval = assert_cmd::cargo::cargo_bin("evaluator");
        let profile_dir = eval.parent().expect("profile dir").to_path_buf();
        let target_dir = profile_dir.parent().expect("target dir");
        let mut cmd =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["build", "-p", "emulator"])
            .current_dir(workspace())
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build -p emulator");
        let bin = profile_dir.join("emulator");
        assert!(
            status.success() && bin.is_file(),
            "`cargo build -p emulator` failed ({status}); {} is needed by the gate",
            bin.display()
        );
        bin
    })
    .clone()
}

pub fn aws_cli_present() -> bool {
    workspace().join(".venv/bin/aws").is_file()
}
