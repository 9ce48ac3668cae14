//! Generated from the pinned models: for every operation, one violating value per constrained
//! top-level member (length, range, enum, pattern, list size) is sent on its own, and AWS's
//! ValidationException (status 400, `1 validation error detected: ...`) must come back before
//! the request reaches any table. The expected texts are built here from the model alone.

use regex::Regex;
use serde_json::{json, Map, Value};

use super::raw;

const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:200000000009:table/Music";

/// Members AWS checks by hand with its own texts (tested in `errors`), not by the model.
const HAND_CHECKED: &[(&str, &str)] = &[
    ("DescribeBackup", "BackupArn"),
    ("ExportTableToPointInTime", "TableArn"),
    ("TagResource", "Tags"),
    ("UntagResource", "TagKeys"),
    ("RestoreTableFromBackup", "TargetTableName"),
    ("CreateGlobalTable", "GlobalTableName"),
    ("DescribeGlobalTable", "GlobalTableName"),
    ("DescribeGlobalTableSettings", "GlobalTableName"),
    ("UpdateGlobalTable", "GlobalTableName"),
    ("UpdateGlobalTableSettings", "GlobalTableName"),
    ("DescribeContributorInsights", "IndexName"),
    ("UpdateContributorInsights", "IndexName"),
    // AWS's newer bare enum text (`sourced_errors::empty_table_names_and_bad_enums_on_item_writes`).
    ("PutItem", "ReturnValues"),
    ("DeleteItem", "ReturnValues"),
    ("UpdateItem", "ReturnValues"),
    // Unechoed and capitalised (`sourced_errors::query_limit_below_one`).
    ("Query", "Limit"),
    ("Scan", "Limit"),
    ("Scan", "Segment"),
];

struct Model {
    shapes: Value,
}

impl Model {
    fn shape(&self, name: &str) -> &Value {
        &self.shapes[name]
    }

    /// A value of `shape` that satisfies every constraint.
    fn valid(&self, shape_name: &str) -> Value {
        let s = self.shape(shape_name);
        match s["type"].as_str().unwrap_or("") {
            "string" => {
                if let Some(e) = s["enum"].as_array() {
                    return e[0].clone();
                }
                let min = s["min"].as_u64().unwrap_or(0) as usize;
                let candidates = [
                    "Music".to_string(),
                    TABLE_ARN.to_string(),
                    format!("{TABLE_ARN}/backup/01234567890123-abcdefgh"),
                    format!("{TABLE_ARN}/stream/2024-01-01T00:00:00.000"),
                    "0123456789abcdef".repeat(min.div_ceil(16).max(1)),
                    "a".repeat(min.max(1)),
                ];
                candidates
                    .into_iter()
                    .find(|c| self.violations_of(s, c).is_empty())
                    .map(Value::String)
                    .unwrap_or_else(|| panic!("no valid value for {shape_name}"))
            }
            "integer" | "long" => json!(s["min"].as_i64().unwrap_or(1).max(1)),
            "double" | "float" => json!(1.0),
            "boolean" => json!(true),
            "blob" => json!("YWJj"),
            "timestamp" => json!(1_700_000_000),
            "structure" if shape_name == "AttributeValue" => json!({"S": "v"}),
            "structure" => {
                let mut out = Map::new();
                for r in s["required"].as_array().into_iter().flatten() {
                    let r = r.as_str().unwrap();
                    let target = s["members"][r]["shape"].as_str().unwrap();
                    out.insert(r.to_string(), self.valid(target));
                }
                Value::Object(out)
            }
            "list" => {
                let n = s["min"].as_u64().unwrap_or(0);
                let m = s["member"]["shape"].as_str().unwrap();
                Value::Array((0..n).map(|_| self.valid(m)).collect())
            }
            "map" => {
                if s["min"].as_u64().unwrap_or(0) == 0 {
                    return json!({});
                }
                let v = s["value"]["shape"].as_str().unwrap();
                json!({ "Music": self.valid(v) })
            }
            _ => Value::Null,
        }
    }

    /// The constraint texts a string breaks (length, enum, pattern), unordered.
    fn violations_of(&self, s: &Value, v: &str) -> Vec<String> {
        let len = v.chars().count() as u64;
        let mut out = vec![];
        if let Some(min) = s["min"].as_u64().filter(|m| len < *m) {
            out.push(format!("have length greater than or equal to {min}"));
        }
        if let Some(max) = s["max"].as_u64().filter(|m| len > *m) {
            out.push(format!("have length less than or equal to {max}"));
        }
        if let Some(e) = s["enum"].as_array() {
            if !e.iter().any(|x| x == v) {
                out.push("enum".into());
            }
        }
        if let Some(p) = s["pattern"].as_str() {
            if let Ok(re) = Regex::new(&format!("^(?:{p})$")) {
                if !re.is_match(v) {
                    out.push(format!("satisfy regular expression pattern: {p}"));
                }
            }
        }
        out
    }

    /// (value, what the message says after "Member must ") for each constraint of `shape`
    /// that one value can break alone.
    fn breaking(&self, shape_name: &str) -> Vec<(Value, Option<String>)> {
        let s = self.shape(shape_name);
        let mut out = vec![];
        match s["type"].as_str().unwrap_or("") {
            "string" => {
                let mut tries: Vec<String> = vec![];
                if let Some(min) = s["min"].as_u64().filter(|m| *m >= 2) {
                    tries.push("a".repeat(min as usize - 1));
                    tries.push("0".repeat(min as usize - 1));
                }
                if let Some(max) = s["max"].as_u64().filter(|m| *m <= 4096) {
                    tries.push("a".repeat(max as usize + 1));
                    tries.push("0".repeat(max as usize + 1));
                }
                if s["enum"].is_array() {
                    tries.push("NOPE".into());
                }
                if s["pattern"].is_string() {
                    let n = s["min"].as_u64().unwrap_or(1).max(3) as usize;
                    tries.push("!".repeat(n));
                }
                let mut seen = vec![];
                for t in tries {
                    let v = self.violations_of(s, &t);
                    if v.len() == 1 && !seen.contains(&v[0]) {
                        seen.push(v[0].clone());
                        // An enum's list is compared as a set below.
                        let what = (v[0] != "enum").then(|| v[0].clone());
                        out.push((Value::String(t), what));
                    }
                }
            }
            "integer" | "long" => {
                if let Some(min) = s["min"].as_i64() {
                    out.push((
                        json!(min - 1),
                        Some(format!("have value greater than or equal to {min}")),
                    ));
                }
                if let Some(max) = s["max"].as_i64().filter(|m| *m < i64::MAX) {
                    out.push((
                        json!(max + 1),
                        Some(format!("have value less than or equal to {max}")),
                    ));
                }
            }
            "list" => {
                if let Some(min) = s["min"].as_u64().filter(|m| *m >= 1) {
                    out.push((
                        json!([]),
                        Some(format!("have length greater than or equal to {min}")),
                    ));
                }
            }
            _ => {}
        }
        out
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn run(model_file: &str, prefix: &str) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(model_file),
    )
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let model = Model {
        shapes: v["shapes"].clone(),
    };
    let mut checked = 0;
    let mut wrong = vec![];
    for (op, o) in v["operations"].as_object().unwrap() {
        let Some(input_shape) = o["input"]["shape"].as_str() else {
            continue;
        };
        let mut base = model.valid(input_shape);
        if op == "UntagResource" {
            // An empty key list is refused by hand before the other members are looked at.
            base["TagKeys"] = json!(["k"]);
        }
        let members = model.shape(input_shape)["members"].as_object().unwrap();
        for (name, m) in members {
            if HAND_CHECKED.contains(&(op.as_str(), name.as_str())) {
                continue;
            }
            let mut target = m["shape"].as_str().unwrap();
            // A table name that is not an ARN is held to TableName's rules.
            if target == "TableArn" && name == "TableName" {
                target = "TableName";
            }
            for (bad, what) in model.breaking(target) {
                let mut body = base.clone();
                body[name.as_str()] = bad.clone();
                let (status, out) = raw(
                    Some(&format!("{prefix}.{op}")),
                    serde_json::to_vec(&body).unwrap(),
                );
                checked += 1;
                let head = format!(
                    "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: Member must ",
                    shown(&bad),
                    lower_first(name)
                );
                let msg = out["message"].as_str().unwrap_or("");
                let ok = status == 400
                    && out["__type"] == "com.amazon.coral.validate#ValidationException"
                    && match &what {
                        Some(w) => msg == format!("{head}{w}"),
                        None => msg.strip_prefix(&head).is_some_and(|rest| {
                            let listed = rest
                                .strip_prefix("satisfy enum value set: [")
                                .and_then(|r| r.strip_suffix(']'))
                                .unwrap_or("");
                            let mut got: Vec<&str> = listed.split(", ").collect();
                            let mut want: Vec<&str> = model.shape(target)["enum"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .filter_map(Value::as_str)
                                .collect();
                            got.sort();
                            want.sort();
                            got == want
                        }),
                    };
                if !ok {
                    wrong.push(format!("{op}.{name} = {}: {status} {out}", shown(&bad)));
                }
            }
        }
    }
    (checked, wrong)
}

#[test]
fn every_constrained_member_of_every_operation_is_checked_before_the_table() {
    let (n, mut wrong) = run("dynamodb.json", "DynamoDB_20120810");
    let (m, w) = run("dynamodbstreams.json", "DynamoDBStreams_20120810");
    wrong.extend(w);
    eprintln!(
        "constraint violations sent: {} ({n} DynamoDB, {m} Streams)",
        n + m
    );
    assert!(n > 200, "only {n} DynamoDB cases generated");
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        n + m,
        wrong.join("\n")
    );
}

#[test]
fn members_aws_checks_by_hand_answer_awss_texts() {
    let cases = [
        (
            "DescribeBackup",
            json!({"BackupArn": ""}),
            "Invalid Backup ARN",
        ),
        (
            "RestoreTableFromBackup",
            json!({"TargetTableName": "", "BackupArn": format!("{TABLE_ARN}/backup/01234567890123-abcdefgh")}),
            "TableName must be at least 3 characters long and at most 255 characters long",
        ),
        (
            "TagResource",
            json!({"ResourceArn": TABLE_ARN, "Tags": [{}]}),
            "The Tag Key provided is invalid, Key: null",
        ),
        (
            "UntagResource",
            json!({"ResourceArn": TABLE_ARN, "TagKeys": []}),
            "Atleast one Tag Key needs to be provided as Input.",
        ),
    ];
    for (op, body, want) in cases {
        let (status, out) = raw(
            Some(&format!("DynamoDB_20120810.{op}")),
            serde_json::to_vec(&body).unwrap(),
        );
        assert_eq!(status, 400, "{op}: {out}");
        assert_eq!(out["message"], want, "{op}: {out}");
    }
}

#[test]
fn billing_mode_rules_across_members() {
    let table = |extra: Value| {
        let mut body = json!({
            "TableName": "Ppr",
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        raw(
            Some("DynamoDB_20120810.CreateTable"),
            serde_json::to_vec(&body).unwrap(),
        )
    };
    let (status, out) =
        table(json!({"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}));
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["message"], "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    let (status, out) = table(json!({"GlobalSecondaryIndexes": [{
        "IndexName": "gsi1",
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    }]}));
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["message"], "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: gsi1 when BillingMode is PAY_PER_REQUEST");
}
