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

/// PutItem, DeleteItem and UpdateItem with their required members present: AWS's newer
/// validation, which all four regions of the capture answered by 2026-08 (us-east-1 moved from
/// the model's joined per-value form between 2026-07 and 2026-08; nubo-db/dynamodb-conformance
/// `captures/2026-08-12-wording-drift.json`, `2026-06-09-validation-rewording.json`): an empty
/// table name alone, unechoed and capitalised; ReturnValues outside its enum as a bare text
/// naming an older enum, UpdateItem reporting it alone; beside it ReturnConsumedCapacity and
/// ReturnItemCollectionMetrics in the per-value form. With a required member missing, AWS still
/// answers the model's joined form (paritysuite/dynamodb-conformance
/// `tests/tier3/validation-ordering/updateItem.test.ts`, 2026-10), left to the model check.
fn item_write(op: &str, input: &Value) -> Option<String> {
    let required = match op {
        "PutItem" => "Item",
        "DeleteItem" | "UpdateItem" => "Key",
        _ => return None,
    };
    let present = |m: &str| input.get(m).is_some_and(|v| !v.is_null());
    if !present("TableName") || !present(required) {
        return None;
    }
    if input["TableName"] == "" {
        return Some(format!("1 validation error detected: {EMPTY_TABLE_NAME}"));
    }
    let outside = |m: &str, allowed: &[&str]| {
        input
            .get(m)
            .and_then(Value::as_str)
            .filter(|v| !allowed.contains(v))
            .map(str::to_owned)
    };
    let return_values = outside(
        "ReturnValues",
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )
    .map(|_| RETURN_VALUES_ENUM.to_string());
    if op == "UpdateItem" {
        return return_values.map(|t| format!("1 validation error detected: {t}"));
    }
    let errors: Vec<String> = [
        outside("ReturnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]).map(|v| {
            format!("Value '{v}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")
        }),
        return_values,
        outside("ReturnItemCollectionMetrics", &["SIZE", "NONE"]).map(|v| {
            format!("Value '{v}' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]")
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    match errors.len() {
        0 => None,
        1 => Some(format!("1 validation error detected: {}", errors[0])),
        n => Some(format!(
            "{n} validation errors detected: {}",
            errors.join("; ")
        )),
    }
}

const EMPTY_TABLE_NAME: &str =
    "Value at 'TableName' failed to satisfy constraint: Member must have length greater than or equal to 1";
/// As AWS words it, `UPDATE_NEW` included.
const RETURN_VALUES_ENUM: &str =
    "Failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATE_NEW, NONE]";

/// A table operation of the control plane sent without its `TableName`: a text of its own, not
/// the model's `Member must not be null` (the data plane's answer, e.g. PutItem's, recorded in
/// four regions in 2026-06). Recorded: nubo-db/dynamodb-conformance
/// `tests/tier3/error-messages/createTable.test.ts` (CreateTable); dynoxide's CreateTable check,
/// verified against eu-west-2; Electric Imp's DynamoDB library tests, which keep it among
/// AWS's answers (`AWS_ERROR_PARAMETER_NOT_PRESENT`).
const TABLE_NAME_MISSING: &str =
    "The parameter 'TableName' is required but was not present in the request";

/// An empty `RequestItems` map, refused before the map is read. BatchGetItem answers AWS's
/// validation framework's text in every region but one since 2026-09
/// (paritysuite/dynamodb-conformance `tests/tier3/error-messages/batchGetItem.test.ts`, pinned
/// in eu-west-2); BatchWriteItem still moves between that text and its own sentence
/// (`tests/tier3/error-messages/batchWriteItem.test.ts`: eu-west-2 moved on 2026-09-05, back by
/// 2026-09-12, moved again on 2026-10-03, most regions not yet), so it keeps the sentence every
/// region has answered (nubo-db/dynamodb-conformance `tests/tier3/error-messages/batchWriteItem.test.ts`).
fn empty_request_items(op: &str) -> String {
    match op {
        "BatchGetItem" => "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        _ => format!("The requestItems parameter is required for {op}"),
    }
}

/// BatchGetItem naming a table with an empty `Keys` list: the framework's constraint on that
/// member (paritysuite/dynamodb-conformance `tests/tier3/error-messages/batchGetItem.test.ts`,
/// "empty Keys list"); DynamoDB Local answers `The list of keys in RequestItems for BatchGetItem
/// is required`.
fn empty_keys(input: &Value) -> Option<String> {
    let (table, _) = input["RequestItems"]
        .as_object()?
        .iter()
        .find(|(_, t)| t["Keys"].as_array().is_some_and(Vec::is_empty))?;
    Some(format!("1 validation error detected: Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: Member must have length greater than or equal to 1"))
}

/// Query's ConditionalOperator outside its enum, with two or more QueryFilter conditions: a
/// bare message naming an older enum, alone (an invalid Select beside it is not joined), as
/// recorded in
/// https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/validation-ordering/query.test.ts
/// (eu-west-2, us-east-1, 2026-10-09).
const QUERY_CONDITIONAL_OPERATOR: &str =
    "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]";

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
    if let Some(t) = item_write(op, input) {
        return Some(t);
    }
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
            .map(|_| TABLE_NAME_LENGTH.into())
            .or_else(|| legacy_regions(op, input)),
        "DescribeContributorInsights" | "UpdateContributorInsights" => text("IndexName")
            .filter(|n| outside(n, 3, 255))
            .map(|_| INDEX_NAME_LENGTH.into()),
        "CreateTable" | "DescribeTable" | "DeleteTable" | "UpdateTable"
            if input.get("TableName").is_none() =>
        {
            Some(TABLE_NAME_MISSING.into())
        }
        "BatchGetItem" | "BatchWriteItem" => input
            .get("RequestItems")
            .and_then(Value::as_object)
            .filter(|m| m.is_empty())
            .map(|_| empty_request_items(op))
            .or_else(|| (op == "BatchGetItem").then(|| empty_keys(input)).flatten()),
        // A Limit below 1 (and Scan's Segment below 0), unechoed and capitalised: AWS's newer
        // validation, Query's answer (nubo-db/dynamodb-conformance
        // tests/tier3/error-messages/query.test.ts, validation-ordering/query.test.ts) and Scan's
        // where it has reached Scan (scan.test.ts, pinned in eu-west-2, 2026-09).
        "Query" | "Scan" if input["Limit"].as_i64().is_some_and(|l| l < 1) => Some(
            "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1".into(),
        ),
        // Alone only: beside another range violation AWS's joined per-value form is recorded.
        "Scan"
            if input["Segment"].as_i64().is_some_and(|s| s < 0)
                && input["TotalSegments"]
                    .as_i64()
                    .is_none_or(|t| (1..=1_000_000).contains(&t)) =>
        {
            Some(
            "1 validation error detected: Value at 'Segment' failed to satisfy constraint: Member must have value greater than or equal to 0".into(),
            )
        }
        "Query" => text("ConditionalOperator")
            .filter(|o| !matches!(*o, "AND" | "OR"))
            .filter(|_| {
                input
                    .get("QueryFilter")
                    .and_then(Value::as_object)
                    .is_some_and(|f| f.len() >= 2)
            })
            .map(|_| QUERY_CONDITIONAL_OPERATOR.into()),
        "TagResource" => tags(input.get("Tags")?),
        "UntagResource" => tag_keys(input.get("TagKeys")?),
        "UpdateTable" => input["ReplicaUpdates"]
            .as_array()?
            .iter()
            .flat_map(|u| ["Create", "Update", "Delete"].map(|k| &u[k]["RegionName"]))
            .filter_map(Value::as_str)
            .find(|r| !is_region(r))
            .map(|_| unsupported_region()),
        _ => None,
    }
}

/// Rules across members that AWS checks once the model's constraints hold (texts recorded
/// against AWS in public test suites).
pub fn cross_member(op: &str, input: &Value) -> Option<String> {
    const PREFIX: &str = "One or more parameter values were invalid: ";
    if !matches!(op, "CreateTable" | "UpdateTable") || input["BillingMode"] != "PAY_PER_REQUEST" {
        return None;
    }
    if input
        .get("ProvisionedThroughput")
        .is_some_and(|p| !p.is_null())
    {
        return Some(format!("{PREFIX}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
    }
    input["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g.get("ProvisionedThroughput").is_some_and(|p| !p.is_null()))
        .map(|g| {
            format!(
                "{PREFIX}ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                g["IndexName"].as_str().unwrap_or_default()
            )
        })
}

/// The legacy (2017.11.29) global tables: AWS's bare text for a replica it cannot take.
fn legacy_regions(op: &str, input: &Value) -> Option<String> {
    let regions: Vec<&Value> = match op {
        "CreateGlobalTable" => input["ReplicationGroup"]
            .as_array()?
            .iter()
            .map(|r| &r["RegionName"])
            .collect(),
        "UpdateGlobalTable" => input["ReplicaUpdates"]
            .as_array()?
            .iter()
            .flat_map(|u| ["Create", "Delete"].map(|k| &u[k]["RegionName"]))
            .collect(),
        _ => return None,
    };
    regions
        .into_iter()
        .filter_map(Value::as_str)
        .find(|r| !is_region(r))
        .map(|_| "One or more parameter values were invalid".to_string())
}

/// A region name as AWS forms them (`us-east-1`, `us-gov-west-1`, `ap-southeast-5`).
fn is_region(r: &str) -> bool {
    let mut parts = r.split('-');
    let geo = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    geo.len() == 2
        && geo.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() >= 2
        && rest[..rest.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && rest[rest.len() - 1].len() <= 2
        && rest[rest.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !rest[rest.len() - 1].is_empty()
}

/// AWS's text for a replica region it does not support (recorded for an empty region). The
/// first twelve regions are in the recorded order; the recording stops there, the rest follow
/// in alphabetical order.
fn unsupported_region() -> String {
    const REGIONS: &[&str] = &[
        "ap-south-2",
        "ap-south-1",
        "eu-south-1",
        "eu-south-2",
        "me-central-1",
        "il-central-1",
        "ca-central-1",
        "ap-east-2",
        "mx-central-1",
        "eu-central-1",
        "eu-central-2",
        "us-west-1",
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-west-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "me-south-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-2",
    ];
    format!(
        "Region is not supported. The latest version of global tables are only supported in the following regions: [{}]",
        REGIONS.join(", ")
    )
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
                "BatchGetItem",
                json!({"RequestItems": {}}),
                "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
            (
                "BatchWriteItem",
                json!({"RequestItems": {}, "ReturnConsumedCapacity": "BOGUS"}),
                "The requestItems parameter is required for BatchWriteItem",
            ),
            (
                "Query",
                json!({"TableName": "T", "ConditionalOperator": "XOR", "Select": "BOGUS",
                       "QueryFilter": {"b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}}}),
                QUERY_CONDITIONAL_OPERATOR,
            ),
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
        let ppr = json!({"TableName": "T", "BillingMode": "PAY_PER_REQUEST",
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}});
        assert_eq!(cross_member("CreateTable", &ppr).as_deref(), Some("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
        let gsi = json!({"TableName": "T", "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [{"IndexName": "g1", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]});
        assert_eq!(cross_member("CreateTable", &gsi).as_deref(), Some("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: g1 when BillingMode is PAY_PER_REQUEST"));
        assert_eq!(
            cross_member(
                "CreateTable",
                &json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {}})
            ),
            None
        );
        let delete =
            |r: &str| json!({"TableName": "T", "ReplicaUpdates": [{"Delete": {"RegionName": r}}]});
        assert!(check("UpdateTable", &delete(""))
            .unwrap()
            .starts_with("Region is not supported. The latest version of global tables are only supported in the following regions: [ap-south-2, ap-south-1, eu-south-1,"));
        assert_eq!(check("UpdateTable", &delete("us-gov-west-1")), None);
        assert_eq!(check("UpdateTable", &delete("eu-west-1")), None);
        assert!(check("UpdateTable", &delete("\u{0}x")).is_some());
        assert_eq!(
            check(
                "CreateGlobalTable",
                &json!({"ReplicationGroup": [{"RegionName": "nowhere"}]})
            )
            .as_deref(),
            Some("One or more parameter values were invalid")
        );
    }
}
