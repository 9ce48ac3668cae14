//! The clear errors: malformed RST, changed corpus, missing fixture target, unreachable endpoint,
//! missing AWS CLI.

use predicates::prelude::*;
use sha2::{Digest, Sha256};

use super::common;

fn corpus_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let mut manifest = serde_json::json!({"awscli_version": "1.46.2", "files": {}});
    for (name, text) in files {
        let p = tmp.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        manifest["files"][name] = hex::encode(Sha256::digest(text.as_bytes())).into();
    }
    std::fs::write(tmp.path().join("manifest.json"), manifest.to_string()).unwrap();
    tmp
}

#[test]
fn malformed_rst_names_file_line_and_cause() {
    let tmp = corpus_with(&[(
        "dynamodb/bad.rst",
        "**To break**\n\nRun ::\n\n    aws dynamodb list-tables --x \"unclosed\n",
    )]);
    common::evaluator()
        .args(["list", "--corpus-dir"])
        .arg(tmp.path())
        .args(["--fixtures"])
        .arg(tmp.path().join("none"))
        .assert()
        .failure()
        .stdout(predicate::str::contains(
            "dynamodb/bad.rst:5: error: cannot split the command",
        ))
        .stderr(predicate::str::contains("corpus parse error"));
}

#[test]
fn edited_corpus_file_is_refused() {
    let tmp = corpus_with(&[(
        "dynamodb/a.rst",
        "**T**\n\nRun ::\n\n    aws dynamodb list-tables\n",
    )]);
    std::fs::write(tmp.path().join("dynamodb/a.rst"), "edited").unwrap();
    common::evaluator()
        .args(["list", "--corpus-dir"])
        .arg(tmp.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "corpus file dynamodb/a.rst differs from the manifest",
        ));
}

#[test]
fn missing_fixture_target_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("elasticache")).unwrap();
    std::fs::write(
        tmp.path().join("elasticache/nope.toml"),
        "[[example]]\nindex = 1\n",
    )
    .unwrap();
    common::evaluator()
        .args(["list", "--fixtures"])
        .arg(tmp.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "names corpus file elasticache/nope.rst, which does not exist",
        ));
}

#[test]
fn unreachable_endpoint_is_named() {
    if !common::aws_cli_present() {
        eprintln!("AWS CLI not installed (scripts/setup): the check runs after the CLI check");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    common::evaluator()
        .args([
            "run",
            "--endpoint",
            &url,
            "--service",
            "dynamodb",
            "--cli",
            "process",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "endpoint {url} is unreachable"
        )));
}

#[test]
fn missing_aws_cli_is_named() {
    common::evaluator()
        .args([
            "run",
            "--aws-cli",
            "/nonexistent/bin/aws",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "AWS CLI not found at /nonexistent/bin/aws; run scripts/setup",
        ));
}

#[test]
fn edited_botocore_examples_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = common::workspace().join("botocore-examples");
    std::fs::copy(src.join("manifest.json"), tmp.path().join("manifest.json")).unwrap();
    for svc in ["dynamodb", "dynamodbstreams"] {
        let dir = format!("{svc}/2012-08-10");
        std::fs::create_dir_all(tmp.path().join(&dir)).unwrap();
        let f = format!("{dir}/examples-1.json");
        std::fs::copy(src.join(&f), tmp.path().join(&f)).unwrap();
    }
    std::fs::create_dir_all(tmp.path().join("elasticache/2015-02-02")).unwrap();
    std::fs::copy(
        src.join("elasticache/2015-02-02/examples-1.json"),
        tmp.path().join("elasticache/2015-02-02/examples-1.json"),
    )
    .unwrap();
    let rel = "dynamodbstreams/2012-08-10/examples-1.json";
    let text = std::fs::read_to_string(src.join(rel)).unwrap();
    std::fs::write(tmp.path().join(rel), text.replacen("Forum", "Forums", 1)).unwrap();
    common::evaluator()
        .args(["list", "--botocore-dir"])
        .arg(tmp.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(format!(
            "corpus file {rel} differs from the manifest"
        )));
}
