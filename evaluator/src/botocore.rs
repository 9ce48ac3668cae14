//! The second golden corpus: botocore's own `examples-1.json` (one file per service and API
//! version), turned into the same `ExampleFile` form as the RST corpus (pure).
//!
//! Every operation becomes one file `botocore/<service>/<operation-in-kebab-case>`; each of its
//! examples becomes one example with one step: `aws <service> <operation> --cli-input-json
//! <input> --no-paginate`, run with the real AWS CLI (one API call, as the example documents).
//! The example's `output` is the golden JSON; an example without one is compared as "no
//! output" when its operation has no output shape, and is exit-only otherwise.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::rst::{Diagnostic, Example, ExampleFile, Expected, Severity, Step};
use crate::strict_json;

/// Corpus names, as report.json, the reports and `--corpus` spell them.
pub const RST_CORPUS: &str = "awscli-rst";
pub const BOTOCORE_CORPUS: &str = "botocore-examples";
/// Every corpus, in report order.
pub const CORPORA: [&str; 2] = [RST_CORPUS, BOTOCORE_CORPUS];

/// The corpus a file path belongs to (botocore files live under `botocore/`).
pub fn corpus_of(path: &str) -> &'static str {
    if path.starts_with("botocore/") {
        BOTOCORE_CORPUS
    } else {
        RST_CORPUS
    }
}

/// An operation name as the AWS CLI spells it: `DescribeCacheEngineVersions` ->
/// `describe-cache-engine-versions` (an acronym stays one word: `ListTagsForResource`).
pub fn cli_name(operation: &str) -> String {
    let chars: Vec<char> = operation.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// 1-based line of the first occurrence of `needle` in `text` (0 when absent).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|at| text[..at].matches('\n').count() + 1)
        .unwrap_or(0)
}

/// Parses one `examples-1.json` (`source` is its path in the corpus, e.g.
/// `dynamodb/2012-08-10/examples-1.json`) into one `ExampleFile` per operation.
/// `no_output`: the service's operations whose model has no output shape; an example of one
/// that shows no output documents exactly that ("no output" is compared, not exit-only).
pub fn parse(source: &str, text: &str, no_output: &BTreeSet<String>) -> Vec<ExampleFile> {
    let service = source.split('/').next().unwrap_or_default().to_string();
    let diag = |line: usize, message: String| Diagnostic {
        file: source.to_string(),
        line,
        severity: Severity::Error,
        example: None,
        message,
    };
    let root = match strict_json::parse(text) {
        Ok(v) => v,
        Err(e) => {
            return vec![ExampleFile {
                path: format!("botocore/{service}/examples-1.json"),
                service,
                examples: Vec::new(),
                diagnostics: vec![diag(e.line(), format!("not valid JSON: {e}"))],
            }]
        }
    };
    let ops = root
        .get("examples")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut files = Vec::new();
    for (op, list) in ops {
        let path = format!("botocore/{service}/{}", cli_name(&op));
        let mut file = ExampleFile {
            path: path.clone(),
            service: service.clone(),
            examples: Vec::new(),
            diagnostics: Vec::new(),
        };
        for (i, ex) in list.as_array().into_iter().flatten().enumerate() {
            let index = i + 1;
            let id = ex.get("id").and_then(Value::as_str).unwrap_or_default();
            let line = line_of(text, &format!("\"{id}\""));
            let title = ex
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let input = ex
                .get("input")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            let argv = vec![
                "aws".to_string(),
                service.clone(),
                cli_name(&op),
                "--cli-input-json".to_string(),
                input.to_string(),
                // An example documents one API call: its page and its Marker are the output,
                // so the CLI must not follow the pages itself.
                "--no-paginate".to_string(),
            ];
            let expected = match ex.get("output") {
                Some(v) => Expected::Json {
                    line,
                    value: v.clone(),
                },
                None if no_output.contains(&op) => Expected::NoOutput { line },
                None => Expected::Unspecified,
            };
            if !input.is_object() {
                file.diagnostics.push(Diagnostic {
                    example: Some(index),
                    ..diag(
                        line,
                        format!("{op} example {index}: input is not an object"),
                    )
                });
            }
            file.examples.push(Example {
                index,
                title: format!("{title} ({id})"),
                line,
                steps: vec![Step {
                    line,
                    command: shell_words::join(&argv),
                    argv,
                    files: Vec::new(),
                    expected,
                }],
            });
        }
        files.push(file);
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_in_cli_spelling() {
        assert_eq!(
            cli_name("DescribeCacheEngineVersions"),
            "describe-cache-engine-versions"
        );
        assert_eq!(cli_name("ListTagsForResource"), "list-tags-for-resource");
        assert_eq!(cli_name("GetItem"), "get-item");
        assert_eq!(cli_name("DescribeDBInstances"), "describe-db-instances");
    }

    #[test]
    fn examples_become_one_step_each() {
        let text = r#"{
  "version": "1.0",
  "examples": {
    "GetItem": [
      {
        "input": {"TableName": "Music", "Key": {"Artist": {"S": "Acme Band"}}},
        "output": {"Item": {"Artist": {"S": "Acme Band"}}},
        "id": "get-1",
        "title": "To read an item"
      }
    ],
    "DeleteCacheSubnetGroup": [
      {"input": {"CacheSubnetGroupName": "my-subnet-group"}, "id": "del-1", "title": "Delete"}
    ]
  }
}"#;
        let no_output = BTreeSet::from(["DeleteCacheSubnetGroup".to_string()]);
        let files = parse("dynamodb/2012-08-10/examples-1.json", text, &no_output);
        assert_eq!(files.len(), 2);
        let f = &files[0];
        assert_eq!(f.path, "botocore/dynamodb/get-item");
        assert_eq!(f.service, "dynamodb");
        assert_eq!(corpus_of(&f.path), BOTOCORE_CORPUS);
        assert_eq!(corpus_of("dynamodb/get-item.rst"), RST_CORPUS);
        let s = &f.examples[0].steps[0];
        assert_eq!(
            s.argv[..4],
            ["aws", "dynamodb", "get-item", "--cli-input-json"]
        );
        assert_eq!(s.argv[5], "--no-paginate");
        let input: Value = serde_json::from_str(&s.argv[4]).unwrap();
        assert_eq!(input["TableName"], "Music");
        assert_eq!(f.examples[0].line, 8);
        assert!(
            matches!(&s.expected, Expected::Json { value, .. } if value["Item"]["Artist"]["S"] == "Acme Band")
        );
        // No documented output of an operation without an output shape: "no output".
        assert!(matches!(
            files[1].examples[0].steps[0].expected,
            Expected::NoOutput { .. }
        ));
        // Of an operation with one: exit-only, never a pass.
        let files = parse(
            "dynamodb/2012-08-10/examples-1.json",
            text,
            &BTreeSet::new(),
        );
        assert_eq!(
            files[1].examples[0].steps[0].expected,
            Expected::Unspecified
        );
    }

    #[test]
    fn duplicate_keys_are_a_diagnostic() {
        let files = parse(
            "x/1/examples-1.json",
            r#"{"examples": {}, "examples": {}}"#,
            &BTreeSet::new(),
        );
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].diagnostics[0].severity, Severity::Error);
    }
}
