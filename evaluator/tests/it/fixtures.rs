//! Fixtures name existing corpus files and examples; a wrong target is an error naming it.

use super::common;
use evaluator::fixtures::{FixtureError, Fixtures};

#[test]
fn workspace_fixtures_name_existing_files_and_examples() {
    let corpus = common::corpus();
    let dir = common::workspace().join("fixtures");
    if let Err(e) = Fixtures::load(&dir, &corpus) {
        panic!("{e}");
    }
}

#[test]
fn missing_file_and_example_are_errors() {
    let corpus = common::corpus();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("dynamodb")).unwrap();
    std::fs::write(
        tmp.path().join("dynamodb/no-such-op.toml"),
        "[[example]]\nindex = 1\n",
    )
    .unwrap();
    match Fixtures::load(tmp.path(), &corpus) {
        Err(FixtureError::NoSuchFile { target, .. }) => {
            assert_eq!(target, "dynamodb/no-such-op.rst")
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(tmp.path().join("dynamodb/no-such-op.toml")).unwrap();
    std::fs::write(
        tmp.path().join("dynamodb/list-tables.toml"),
        "[[waiver]]\nindex = 9\ncategory = \"x\"\nreason = \"y\"\n",
    )
    .unwrap();
    match Fixtures::load(tmp.path(), &corpus) {
        Err(FixtureError::NoSuchExample { index, count, .. }) => assert_eq!((index, count), (9, 4)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fixtures_cannot_carry_expectations_or_non_aws_commands() {
    let corpus = common::corpus();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("dynamodb")).unwrap();
    let f = tmp.path().join("dynamodb/list-tables.toml");
    std::fs::write(&f, "[[example]]\nindex = 1\nexpected = \"{}\"\n").unwrap();
    assert!(matches!(
        Fixtures::load(tmp.path(), &corpus),
        Err(FixtureError::Invalid { .. })
    ));
    std::fs::write(&f, "[[example]]\nindex = 1\nsetup = [\"rm -rf /tmp/x\"]\n").unwrap();
    let e = Fixtures::load(tmp.path(), &corpus).unwrap_err();
    assert!(e.to_string().contains("start with `aws`"), "{e}");
    std::fs::write(
        &f,
        "[[example]]\nindex = 1\nsetup = [\"aws dynamodb list-tables --endpoint-url http://elsewhere\"]\n",
    )
    .unwrap();
    let e = Fixtures::load(tmp.path(), &corpus).unwrap_err();
    assert!(e.to_string().contains("--endpoint-url"), "{e}");
}

#[test]
fn botocore_fixtures_and_regions_are_checked() {
    let corpus = common::corpus();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("botocore/dynamodb")).unwrap();
    let f = tmp.path().join("botocore/dynamodb/get-item.toml");
    std::fs::write(&f, "[[example]]\nindex = 1\nregion = \"us-east-1\"\n").unwrap();
    let fx = Fixtures::load(tmp.path(), &corpus).unwrap();
    assert_eq!(
        fx.region_for("botocore/dynamodb/get-item", 1).as_deref(),
        Some("us-east-1")
    );
    std::fs::write(&f, "[[example]]\nindex = 1\nregion = \"moon\"\n").unwrap();
    let e = Fixtures::load(tmp.path(), &corpus).unwrap_err();
    assert!(e.to_string().contains("not an AWS region"), "{e}");
    std::fs::write(&f, "[[example]]\nindex = 2\n").unwrap();
    assert!(matches!(
        Fixtures::load(tmp.path(), &corpus),
        Err(FixtureError::NoSuchExample { .. })
    ));
}
