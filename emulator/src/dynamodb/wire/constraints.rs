//! The model's input constraints (required members, lengths, ranges, enums, patterns), checked
//! for every operation before anything reaches the backend, with AWS's texts and AWS's order.
//!
//! AWS's validator reports every violation in one `N validation error(s) detected: ...`
//! message. Its order is not the model's: recorded AWS answers (e.g. `CreateTable` with
//! `AttributeDefinitions: [{}]` names `attributeType` before `attributeName`; a
//! `RestoreTableFromBackup` `ProvisionedThroughputOverride: {}` names `writeCapacityUnits`
//! first; an empty `BackupName` names its pattern before its length, an empty `TableName` its
//! length before its pattern) all follow Java's hash iteration: a structure's members in
//! `HashMap` order of their wire names, one member's violations in `HashSet` order of their
//! texts. Both orders are reproduced here.

use std::collections::HashMap;

use regex::Regex;

use super::java_print::{self, java_bucket, java_capacity};
use serde_json::{Number, Value};

/// One shape, compiled once from the model.
enum Shape {
    Structure(Vec<Member>),
    Text {
        min: Option<Number>,
        max: Option<Number>,
        values: Option<Vec<String>>,
        pattern: Option<(String, Regex)>,
    },
    Count {
        min: Option<Number>,
        max: Option<Number>,
    },
    List {
        min: Option<Number>,
        max: Option<Number>,
        member: String,
    },
    /// A map keyed by table names whose keys AWS checks against `TableName`'s rules.
    TableKeyedMap,
    /// BatchWriteItem's `RequestItems`: each table's list holds 1 to 25 requests.
    WriteRequestsMap,
    Other,
}

struct Member {
    name: String,
    /// The member's name in a message path (`tableName`).
    wire: String,
    shape: String,
    required: bool,
}

pub struct Constraints {
    shapes: HashMap<String, Shape>,
}

/// A table name member accepts an ARN (shape `TableArn`, 1 to 1024 characters); a plain name
/// is held to `TableName`'s rules, as AWS's answer to an empty `DescribeTable` name shows
/// ("length greater than or equal to 3" and the name pattern).
const TABLE_ARN: &str = "TableArn";

/// AWS lists some enums in its own order, not the published model's. Recorded AWS answers
/// (the degenerate-input catalogue named in `hand_checks`, and a recorded Query with an
/// unknown Select); every other enum is listed in the model's order.
const ENUM_ORDER: &[(&str, &[&str])] = &[
    (
        "Select",
        &[
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
        ],
    ),
    (
        "StreamViewType",
        &["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"],
    ),
    ("ScalarAttributeType", &["B", "N", "S"]),
    // us-east-1 and ap-southeast-2, 2026-06 (nubo-db/dynamodb-conformance
    // `captures/2026-06-09-validation-rewording.json`, probes `o_*_bad_enums`).
    (
        "ReturnValue",
        &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    ),
    // eu-west-2 and us-east-1, 2026-10-09 (paritysuite/dynamodb-conformance
    // tests/tier3/validation-ordering/updateItem.test.ts, XOR beside a missing Key).
    ("ConditionalOperator", &["OR", "AND"]),
    (
        "ContributorInsightsMode",
        &["THROTTLED_KEYS", "ACCESSED_AND_THROTTLED_KEYS"],
    ),
];
const TABLE_NAME: &str = "TableName";

/// Where an empty table name breaks only `TableArn`'s minimum length (one violation, not the
/// name's length and pattern): recorded in four regions, 2026-06
/// (nubo-db/dynamodb-conformance `captures/2026-06-09-validation-rewording.json`, probes
/// `s_put_table_empty`, `o_del_empty_table`, `o_upd_empty_table`).
const EMPTY_NAME_AS_ARN: &[&str] = &["PutItemInput", "DeleteItemInput", "UpdateItemInput"];

/// A table's own key schema holds at most a HASH and a RANGE element. The published model no
/// longer bounds `KeySchema` (indexes take multi-attribute keys), but AWS refuses a table
/// KeySchema of three elements with the list-length constraint, the list printed as Java
/// prints it (recorded: nubo-db/dynamodb-conformance
/// `tests/tier3/error-messages/createTable.test.ts`, and
/// https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/validation-ordering/createTable.test.ts,
/// 2026). A synthetic shape, so that index key schemas keep the model's bounds.
const TABLE_KEY_SCHEMA: &str = "~TableKeySchema";

/// BatchGetItem's `RequestItems` keys: a malformed table name is a constraint on the map's
/// keys, reported with the map echoed as JSON and joined with the other members' violations
/// (recorded: https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/validation-ordering/batchOperations.test.ts
/// and `tests/tier3/error-messages/batchGetItem.test.ts`, us-east-1 and eu-west-2,
/// 2026-10-09). BatchWriteItem's map is not checked this way (AWS reports its enums alone
/// there, same source).
const BATCH_GET_MAP: &str = "BatchGetRequestMap";
/// BatchWriteItem's `RequestItems`: a table with more than 25 requests (or none) is a
/// constraint on the map's values, the whole map echoed as AWS's Java service prints it
/// (recorded in eu-west-2, eu-central-1, us-east-1 and ap-southeast-2, 2026-06:
/// nubo-db/dynamodb-conformance `captures/2026-06-09-validation-rewording.json`, probe
/// `c_bw_over25`; DynamoDB Local answers `Too many items requested for the BatchWriteItem call`).
const BATCH_WRITE_MAP: &str = "BatchWriteItemRequestMap";
const MAP_KEYS_TABLE_NAME: &str = "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";

impl Constraints {
    pub fn compile(shapes: &Value) -> Self {
        let mut out = HashMap::new();
        for (name, s) in shapes.as_object().into_iter().flatten() {
            let mut shape = compile_shape(s);
            if let (Shape::Text { values, .. }, Some((_, order))) =
                (&mut shape, ENUM_ORDER.iter().find(|(n, _)| n == name))
            {
                // Only a reordering: a model with other values keeps its own list.
                let mut sorted: Vec<String> = order.iter().map(|v| v.to_string()).collect();
                let same = values.as_ref().is_some_and(|v| {
                    let mut a = v.clone();
                    a.sort();
                    sorted.sort();
                    a == sorted
                });
                if same {
                    *values = Some(order.iter().map(|v| v.to_string()).collect());
                }
            }
            out.insert(name.clone(), shape);
        }
        if let Some(Shape::Structure(members)) = out.get_mut("CreateTableInput") {
            for m in members.iter_mut().filter(|m| m.name == "KeySchema") {
                m.shape = TABLE_KEY_SCHEMA.into();
            }
        }
        out.insert(
            TABLE_KEY_SCHEMA.into(),
            Shape::List {
                min: Some(1.into()),
                max: Some(2.into()),
                member: "KeySchemaElement".into(),
            },
        );
        if out.contains_key(BATCH_GET_MAP) {
            out.insert(BATCH_GET_MAP.into(), Shape::TableKeyedMap);
        }
        if out.contains_key(BATCH_WRITE_MAP) {
            out.insert(BATCH_WRITE_MAP.into(), Shape::WriteRequestsMap);
        }
        Constraints { shapes: out }
    }

    /// Every violation in `v` of shape `shape`, AWS's texts in AWS's order; the top-level
    /// members named in `skip` are left out.
    pub fn violations(&self, shape: &str, v: &Value, skip: &[&str]) -> Vec<String> {
        let mut out = vec![];
        self.walk(shape, v, "", skip, &mut out);
        out
    }

    /// Whether a value of this shape can break a constraint at all.
    fn constrained(&self, shape_name: &str) -> bool {
        match self.shapes.get(shape_name) {
            Some(
                Shape::Structure(_)
                | Shape::List { .. }
                | Shape::TableKeyedMap
                | Shape::WriteRequestsMap,
            ) => true,
            Some(Shape::Text {
                min,
                max,
                values,
                pattern,
            }) => min.is_some() || max.is_some() || values.is_some() || pattern.is_some(),
            Some(Shape::Count { min, max }) => min.is_some() || max.is_some(),
            Some(Shape::Other) | None => false,
        }
    }

    fn walk(&self, shape_name: &str, v: &Value, path: &str, skip: &[&str], out: &mut Vec<String>) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        match shape {
            Shape::Structure(members) => {
                let Some(obj) = v.as_object() else { return };
                for m in members.iter().filter(|m| !skip.contains(&m.name.as_str())) {
                    // Built only when needed: this walk runs on every request.
                    let p = || {
                        if path.is_empty() {
                            m.wire.clone()
                        } else {
                            format!("{path}.{}", m.wire)
                        }
                    };
                    match obj.get(&m.name) {
                        None | Some(Value::Null) => {
                            if m.required {
                                out.push(format!(
                                    "Value null at '{}' failed to satisfy constraint: Member must not be null",
                                    p()
                                ));
                            }
                        }
                        Some(val) => {
                            let target = match val.as_str() {
                                Some(s)
                                    if m.shape == TABLE_ARN
                                        && m.name == TABLE_NAME
                                        && !s.starts_with("arn:")
                                        && !(s.is_empty()
                                            && EMPTY_NAME_AS_ARN.contains(&shape_name)) =>
                                {
                                    TABLE_NAME
                                }
                                _ => m.shape.as_str(),
                            };
                            if self.constrained(target) {
                                self.walk(target, val, &p(), &[], out);
                            }
                        }
                    }
                }
            }
            Shape::Text {
                min,
                max,
                values,
                pattern,
            } => {
                let Some(s) = v.as_str() else { return };
                let mut found = vec![];
                let len = s.chars().count() as f64;
                if let Some(min) = min.as_ref().filter(|m| len < f(m)) {
                    found.push(format!("have length greater than or equal to {min}"));
                }
                if let Some(max) = max.as_ref().filter(|m| len > f(m)) {
                    found.push(format!("have length less than or equal to {max}"));
                }
                if let Some(values) = values.as_ref().filter(|e| !e.iter().any(|x| x == s)) {
                    found.push(format!("satisfy enum value set: [{}]", values.join(", ")));
                }
                if let Some((text, _)) = pattern.as_ref().filter(|(_, re)| !re.is_match(s)) {
                    found.push(format!("satisfy regular expression pattern: {text}"));
                }
                push_all(out, s, path, found);
            }
            Shape::Count { min, max } => {
                let Some(n) = v.as_f64() else { return };
                let mut found = vec![];
                if let Some(min) = min.as_ref().filter(|m| n < f(m)) {
                    found.push(format!("have value greater than or equal to {min}"));
                }
                if let Some(max) = max.as_ref().filter(|m| n > f(m)) {
                    found.push(format!("have value less than or equal to {max}"));
                }
                push_all(out, &v.to_string(), path, found);
            }
            Shape::List { min, max, member } => {
                let Some(items) = v.as_array() else { return };
                let len = items.len() as f64;
                let mut found = vec![];
                if let Some(min) = min.as_ref().filter(|m| len < f(m)) {
                    found.push(format!("have length greater than or equal to {min}"));
                }
                if let Some(max) = max.as_ref().filter(|m| len > f(m)) {
                    found.push(format!("have length less than or equal to {max}"));
                }
                push_all(out, &list_text(items, member), path, found);
                for (i, item) in items.iter().enumerate() {
                    self.walk(member, item, &format!("{path}.{}.member", i + 1), &[], out);
                }
            }
            Shape::TableKeyedMap => {
                let Some(map) = v.as_object() else { return };
                let bad = |k: &str| {
                    !k.starts_with("arn:")
                        && (!(3..=255).contains(&k.chars().count())
                            || !k
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)))
                };
                if map.keys().any(|k| bad(k)) {
                    out.push(format!(
                        "Value '{v}' at '{path}' failed to satisfy constraint: {MAP_KEYS_TABLE_NAME}"
                    ));
                }
            }
            Shape::WriteRequestsMap => {
                let Some(map) = v.as_object() else { return };
                let outside =
                    |r: &Value| r.as_array().is_some_and(|l| !(1..=25).contains(&l.len()));
                if map.values().any(outside) {
                    out.push(format!(
                        "Value '{}' at '{path}' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
                        java_print::request_items(map)
                    ));
                }
            }
            Shape::Other => {}
        }
    }
}

fn f(n: &Number) -> f64 {
    n.as_f64().unwrap_or(0.0)
}

/// One member's violations, in `HashSet` order of their texts.
fn push_all(out: &mut Vec<String>, shown: &str, path: &str, found: Vec<String>) {
    let mut texts: Vec<String> = found
        .into_iter()
        .map(|what| {
            format!("Value '{shown}' at '{path}' failed to satisfy constraint: Member must {what}")
        })
        .collect();
    if texts.len() > 1 {
        let cap = java_capacity(texts.len());
        texts.sort_by_key(|t| java_bucket(t, cap));
    }
    out.extend(texts);
}

/// How Java prints a list of strings (`[a, b]`) and of key schema elements
/// (`[KeySchemaElement(attributeName=pk, keyType=HASH)]`, as AWS echoed one); other members
/// as JSON.
fn list_text(items: &[Value], member: &str) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            Value::String(s) => s.clone(),
            Value::Object(o) if member == "KeySchemaElement" => {
                let field = |k: &str| match o.get(k) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => "null".into(),
                    Some(other) => other.to_string(),
                };
                format!(
                    "KeySchemaElement(attributeName={}, keyType={})",
                    field("AttributeName"),
                    field("KeyType")
                )
            }
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn compile_shape(s: &Value) -> Shape {
    let num = |k: &str| match &s[k] {
        Value::Number(n) => Some(n.clone()),
        _ => None,
    };
    match s["type"].as_str().unwrap_or("") {
        "structure" => {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut members: Vec<Member> = s["members"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(name, m)| {
                    Some(Member {
                        name: name.clone(),
                        wire: lower_first(name),
                        shape: m["shape"].as_str()?.to_string(),
                        required: required.contains(&name.as_str()),
                    })
                })
                .collect();
            let cap = java_capacity(members.len());
            // Stable: members of one bucket keep the model's (insertion) order.
            members.sort_by_key(|m| java_bucket(&m.wire, cap));
            Shape::Structure(members)
        }
        "string" => Shape::Text {
            min: num("min"),
            max: num("max"),
            values: s["enum"].as_array().map(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            }),
            // A Java pattern Rust cannot compile is left unchecked rather than guessed at.
            pattern: s["pattern"].as_str().and_then(|p| {
                Regex::new(&format!("^(?:{p})$"))
                    .ok()
                    .map(|re| (p.to_string(), re))
            }),
        },
        "integer" | "long" | "double" | "float" => Shape::Count {
            min: num("min"),
            max: num("max"),
        },
        "list" => match s["member"]["shape"].as_str() {
            Some(member) => Shape::List {
                min: num("min"),
                max: num("max"),
                member: member.to_string(),
            },
            None => Shape::Other,
        },
        _ => Shape::Other,
    }
}

pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> Constraints {
        let v: Value = serde_json::from_str(include_str!("../../../models/dynamodb.json")).unwrap();
        Constraints::compile(&v["shapes"])
    }

    /// AWS's recorded answers to degenerate requests: texts and order.
    #[test]
    fn recorded_aws_answers_are_reproduced() {
        let m = model();
        let cases = [
            (
                "CreateBackupInput",
                json!({"TableName": "Music", "BackupName": ""}),
                vec![
                    "Value '' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                    "Value '' at 'backupName' failed to satisfy constraint: Member must have length greater than or equal to 3",
                ],
            ),
            (
                "DescribeTableInput",
                json!({"TableName": ""}),
                vec![
                    "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
                    "Value '' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                ],
            ),
            (
                "ListTablesInput",
                json!({"ExclusiveStartTableName": ""}),
                vec![
                    "Value '' at 'exclusiveStartTableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                    "Value '' at 'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
                ],
            ),
            (
                "ListTablesInput",
                json!({"Limit": 0}),
                vec!["Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"],
            ),
            (
                "CreateTableInput",
                json!({"TableName": "Music", "AttributeDefinitions": [{}],
                       "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
                vec![
                    "Value null at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must not be null",
                    "Value null at 'attributeDefinitions.1.member.attributeName' failed to satisfy constraint: Member must not be null",
                ],
            ),
            (
                "CreateTableInput",
                json!({"TableName": "Music", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                       "KeySchema": [{}]}),
                vec![
                    "Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null",
                    "Value null at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must not be null",
                ],
            ),
            (
                "CreateTableInput",
                json!({"TableName": "Music", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                       "KeySchema": []}),
                vec!["Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"],
            ),
            (
                "CreateTableInput",
                json!({"TableName": "Music", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                       "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "BillingMode": ""}),
                vec!["Value '' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"],
            ),
            (
                "RestoreTableFromBackupInput",
                json!({"TargetTableName": "Music", "BackupArn": "arn:aws:dynamodb:us-east-1:123456789012:table/Music/backup/01234567890123-abcdefgh",
                       "ProvisionedThroughputOverride": {}}),
                vec![
                    "Value null at 'provisionedThroughputOverride.writeCapacityUnits' failed to satisfy constraint: Member must not be null",
                    "Value null at 'provisionedThroughputOverride.readCapacityUnits' failed to satisfy constraint: Member must not be null",
                ],
            ),
            (
                "KinesisStreamingDestinationInput",
                json!({"TableName": "Music", "StreamArn": ""}),
                vec!["Value '' at 'streamArn' failed to satisfy constraint: Member must have length greater than or equal to 37"],
            ),
        ];
        for (shape, input, want) in cases {
            assert_eq!(m.violations(shape, &input, &[]), want, "{shape} {input}");
        }
    }

    #[test]
    fn enums_in_awss_order() {
        let m = model();
        let v = m.violations(
            "QueryInput",
            &json!({"TableName": "Music", "Select": "count"}),
            &[],
        );
        assert_eq!(v, ["Value 'count' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"]);
        let v = m.violations(
            "UpdateTableInput",
            &json!({"TableName": "Music", "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": ""}]}),
            &[],
        );
        assert_eq!(v, ["Value '' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"]);
    }

    #[test]
    fn an_arn_is_a_table_name() {
        let m = model();
        let arn = json!({"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/Music"});
        assert!(m.violations("DescribeTableInput", &arn, &[]).is_empty());
        assert!(m
            .violations("DescribeTableInput", &json!({"TableName": "Music"}), &[])
            .is_empty());
    }
}
