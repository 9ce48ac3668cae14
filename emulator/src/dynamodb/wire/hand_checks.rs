//! Members AWS's service checks by hand rather than by the model's constraints, with the texts
//! AWS answers. Source: AWS's recorded answers to degenerate inputs (an empty backup ARN, an
//! empty target table name, tags without a key, ...), published with the per-request table of
//! an open DynamoDB API-quirks catalogue (finding DDB-TABLE-457). Only what was recorded is
//! here; every other member follows the model (`constraints`).

use serde_json::Value;

const TABLE_NAME_LENGTH: &str =
    "TableName must be at least 3 characters long and at most 255 characters long";
const INDEX_NAME_LENGTH: &str =
    "IndexName must be at least 3 characters long and at most 255 characters long";

/// The top-level members of `op` whose model constraints AWS does not report (its own check
/// below answers instead). Members `check` names but this list does not keep their model
/// constraints once the hand check passes (e.g. a target table name's pattern).
pub fn replaced(op: &str) -> &'static [&'static str] {
    match op {
        "DescribeBackup" => &["BackupArn"],
        "ExportTableToPointInTime" => &["TableArn"],
        "TagResource" => &["Tags"],
        "UntagResource" => &["TagKeys"],
        _ => &[],
    }
}

/// AWS's own text for the first member of `input` it refuses by hand, if any.
pub fn check(op: &str, input: &Value) -> Option<String> {
    let text = |m: &str| input.get(m).and_then(Value::as_str);
    let outside = |s: &str, min: usize, max: usize| !(min..=max).contains(&s.chars().count());
    match op {
        "DescribeBackup" => text("BackupArn")
            .filter(|a| outside(a, 37, 1024))
            .map(|_| "Invalid Backup ARN".into()),
        "ExportTableToPointInTime" => text("TableArn")
            .filter(|a| outside(a, 1, 1024))
            .map(|_| "Invalid TableArn: Invalid Table ARN".into()),
        "RestoreTableFromBackup" => text("TargetTableName")
            .filter(|n| outside(n, 3, 255))
            .map(|_| TABLE_NAME_LENGTH.into()),
        "CreateGlobalTable"
        | "DescribeGlobalTable"
        | "DescribeGlobalTableSettings"
        | "UpdateGlobalTable"
        | "UpdateGlobalTableSettings" => text("GlobalTableName")
            .filter(|n| outside(n, 3, 255))
            .map(|_| TABLE_NAME_LENGTH.into()),
        "DescribeContributorInsights" | "UpdateContributorInsights" => text("IndexName")
            .filter(|n| outside(n, 3, 255))
            .map(|_| INDEX_NAME_LENGTH.into()),
        "TagResource" => tags(input.get("Tags")?),
        "UntagResource" => tag_keys(input.get("TagKeys")?),
        _ => None,
    }
}

fn tags(tags: &Value) -> Option<String> {
    for t in tags.as_array()? {
        let key = t.get("Key").and_then(Value::as_str);
        let value = t.get("Value").and_then(Value::as_str);
        match (key, value) {
            (None, _) => return Some("The Tag Key provided is invalid, Key: null".into()),
            (Some(_), None) => {
                return Some("The Tag Value provided is invalid, Value: null".into())
            }
            // An empty or over-long key or value: the recorded forms, with the value given.
            (Some(k), _) if k.is_empty() || k.chars().count() > 128 => {
                return Some(format!("The Tag Key provided is invalid, Key: {k}"))
            }
            (Some(_), Some(v)) if v.chars().count() > 256 => {
                return Some(format!("The Tag Value provided is invalid, Value: {v}"))
            }
            _ => {}
        }
    }
    None
}

fn tag_keys(keys: &Value) -> Option<String> {
    let keys = keys.as_array()?;
    if keys.is_empty() {
        return Some("Atleast one Tag Key needs to be provided as Input.".into());
    }
    keys.iter()
        .filter_map(Value::as_str)
        .find(|k| k.is_empty() || k.chars().count() > 128)
        .map(|k| format!("The Tag Key provided is invalid, Key: {k}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recorded_texts() {
        let cases = [
            (
                "DescribeBackup",
                json!({"BackupArn": ""}),
                "Invalid Backup ARN",
            ),
            (
                "ExportTableToPointInTime",
                json!({"TableArn": "", "S3Bucket": "b"}),
                "Invalid TableArn: Invalid Table ARN",
            ),
            (
                "RestoreTableFromBackup",
                json!({"TargetTableName": "", "BackupArn": "x"}),
                TABLE_NAME_LENGTH,
            ),
            (
                "DescribeGlobalTable",
                json!({"GlobalTableName": ""}),
                TABLE_NAME_LENGTH,
            ),
            (
                "DescribeContributorInsights",
                json!({"TableName": "Music", "IndexName": ""}),
                INDEX_NAME_LENGTH,
            ),
            (
                "TagResource",
                json!({"ResourceArn": "a", "Tags": [{}]}),
                "The Tag Key provided is invalid, Key: null",
            ),
            (
                "TagResource",
                json!({"ResourceArn": "a", "Tags": [{"Key": "k"}]}),
                "The Tag Value provided is invalid, Value: null",
            ),
            (
                "TagResource",
                json!({"ResourceArn": "a", "Tags": [{"Value": "v"}]}),
                "The Tag Key provided is invalid, Key: null",
            ),
            (
                "UntagResource",
                json!({"ResourceArn": "a", "TagKeys": [""]}),
                "The Tag Key provided is invalid, Key: ",
            ),
            (
                "UntagResource",
                json!({"ResourceArn": "a", "TagKeys": []}),
                "Atleast one Tag Key needs to be provided as Input.",
            ),
        ];
        for (op, input, want) in cases {
            assert_eq!(check(op, &input).as_deref(), Some(want), "{op} {input}");
        }
        assert_eq!(
            check("TagResource", &json!({"Tags": [{"Key": "k", "Value": ""}]})),
            None
        );
    }
}
