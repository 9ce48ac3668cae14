//! Shared helpers: paths of the workspace, the evaluator binary and the emulator binary.

use std::path::{Path, PathBuf};

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

pub fn corpus() -> evaluator::corpus::Corpus {
    evaluator::corpus::Corpus::load(&workspace().join("rst-examples")).expect("corpus loads")
}

/// The emulator binary beside the evaluator binary; the tests that need it say how to build it.
pub fn emulator_bin() -> PathBuf {
    let eval = assert_cmd::cargo::cargo_bin("evaluator");
    let bin = eval.parent().expect("target dir").join("emulator");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p emulator` (same target dir) before the evaluator's tests",
        bin.display()
    );
    bin
}

pub fn aws_cli_present() -> bool {
    workspace().join(".venv/bin/aws").is_file()
}
