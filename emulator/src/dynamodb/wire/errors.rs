//! AWS's error answers where DynamoDB Local's differ: one table of rows, applied to error
//! responses only (successful bodies pass through untouched).
//!
//! Each row names the operations it applies to, the error code, how it recognises DynamoDB
//! Local's message, and what AWS sends instead. Facts come from AWS-verified test suites and
//! captures of AWS's current (2026) wording, in which many request-validation messages carry
//! the `1 validation error detected: ` envelope (single-item writes and Select checks, not
//! reads, batches or transactions).

use serde_json::{Map, Value};

const PREFIX: &str = "1 validation error detected: ";
const VALIDATION: &str = "ValidationException";

/// What a row does to DynamoDB Local's message.
#[derive(Clone, Copy)]
enum Fix {
    /// AWS sends the same text inside the validation envelope.
    Envelope,
    /// AWS sends another fixed text.
    Replace(&'static str),
    /// AWS's text depends on the request.
    Compute(fn(&Facts, &str) -> String),
    /// AWS's text depends on the request and the table's key schema.
    WithSchema(fn(&Facts, &str) -> String),
}

struct Row {
    /// Operations the row applies to; empty means every operation.
    ops: &'static [&'static str],
    code: &'static str,
    /// DynamoDB Local's message starts with one of these.
    starts: &'static [&'static str],
    fix: Fix,
}

const ITEM_WRITES: &[&str] = &["PutItem", "UpdateItem", "DeleteItem"];
const KEYED: &[&str] = &[
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

const ROWS: &[Row] = &[
    Row {
        ops: &["UpdateItem"],
        code: VALIDATION,
        starts: &["Invalid UpdateExpression:"],
        fix: Fix::Envelope,
    },
    // Single-item writes envelope these; reads, batches and transactions send them bare.
    Row {
        ops: ITEM_WRITES,
        code: VALIDATION,
        starts: &[
            "Value provided in ExpressionAttributeNames unused in expressions",
            "Value provided in ExpressionAttributeValues unused in expressions",
            "ExpressionAttributeValues must not be empty",
            "ExpressionAttributeNames must not be empty",
            "Can not use both expression and non-expression parameters",
        ],
        fix: Fix::Envelope,
    },
    Row {
        ops: &[],
        code: VALIDATION,
        starts: &[
            "One or more parameter values were invalid: An string set  may not be empty",
            "One or more parameter values were invalid: An number set  may not be empty",
            "One or more parameter values were invalid: Binary sets should not be empty",
        ],
        fix: Fix::Envelope,
    },
    // An invalid value in ExpressionAttributeValues is reported as the value's own error.
    Row {
        ops: &[],
        code: VALIDATION,
        starts: &["ExpressionAttributeValues contains invalid value: "],
        fix: Fix::Compute(invalid_value),
    },
    Row {
        ops: ITEM_WRITES,
        code: VALIDATION,
        starts: &["Invalid ConditionExpression: The expression can not be empty;"],
        fix: Fix::Envelope,
    },
    Row {
        ops: &["Query", "Scan"],
        code: VALIDATION,
        starts: &[
            "Must specify the AttributesToGet or ProjectionExpression",
            "Cannot specify the ProjectionExpression when choosing",
            "Cannot specify the AttributesToGet when choosing",
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying",
        ],
        fix: Fix::Envelope,
    },
    Row {
        ops: &[],
        code: VALIDATION,
        starts: &["One or more parameter values were invalid: Input collection ["],
        fix: Fix::Compute(duplicate_set),
    },
    Row {
        ops: &["Query"],
        code: VALIDATION,
        starts: &["Query condition missed key schema element"],
        fix: Fix::WithSchema(missed_key_element),
    },
    // An ExclusiveStartKey whose attributes are not the key's: Query's short text, which Scan
    // answers too in the regions AWS's newer validation has reached (recorded:
    // nubo-db/dynamodb-conformance tests/tier1/query/basic.test.ts and
    // tests/tier3/error-messages/scan.test.ts, pinned in eu-west-2, 2026-09).
    Row {
        ops: &["Query", "Scan"],
        code: VALIDATION,
        starts: &["Exclusive Start Key must have same size as table's key schema"],
        fix: Fix::Replace("The provided starting key is invalid"),
    },
    Row {
        ops: KEYED,
        code: VALIDATION,
        starts: &["The number of conditions on the keys is invalid"],
        fix: Fix::Replace("The provided key element does not match the schema"),
    },
    // A key that lacks a key attribute or carries one of the wrong type: AWS says the key does
    // not match the schema (reads, deletes, updates and batches); an item without its key
    // names the missing attribute.
    Row {
        ops: KEYED,
        code: VALIDATION,
        starts: &[
            "One of the required keys was not given a value",
            "One or more parameter values were invalid: Type mismatch for key",
        ],
        fix: Fix::Replace("The provided key element does not match the schema"),
    },
    Row {
        ops: &["PutItem"],
        code: VALIDATION,
        starts: &["One of the required keys was not given a value"],
        fix: Fix::WithSchema(missing_key_in_item),
    },
    // AWS names the key and both types (architect/dynalite test/putItem.js, "incorrect hash
    // key type" and "incorrect range key type" cases).
    Row {
        ops: &["PutItem"],
        code: VALIDATION,
        starts: &["One or more parameter values were invalid: Type mismatch for key"],
        fix: Fix::WithSchema(key_type_mismatch),
    },
    // PutItem and DeleteItem return only old images; AWS says so instead of DynamoDB Local's
    // generic text (architect/dynalite test/putItem.js, "incorrect ReturnValues"), inside the
    // envelope (paritysuite/dynamodb-conformance tests/tier3/error-messages/deleteItem.test.ts,
    // eu-west-2 and us-east-1, 2026-10-09: "as PutItem and UpdateItem do").
    Row {
        ops: &["PutItem", "DeleteItem"],
        code: VALIDATION,
        starts: &["Return values set to invalid value"],
        fix: Fix::Replace("1 validation error detected: ReturnValues can only be ALL_OLD or NONE"),
    },
    Row {
        ops: &["CreateTable"],
        code: "ResourceInUseException",
        starts: &["Cannot create preexisting table"],
        fix: Fix::Compute(table_exists),
    },
    Row {
        ops: &[],
        code: VALIDATION,
        starts: &["Hash primary key values must be under 2048 bytes"],
        fix: Fix::WithSchema(key_too_large),
    },
    Row {
        ops: &["ExecuteStatement", "BatchExecuteStatement"],
        code: VALIDATION,
        starts: &["The table does not have the specified index"],
        fix: Fix::Replace("The table does not have the specified index"),
    },
    // AWS lists the columns a GSI does not project in the order the statement names them
    // (https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier2/partiql/executeStatementIndex.test.ts,
    // "rejects non-projected columns on a GSI in statement order"); DynamoDB Local's order
    // is its own.
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &["One or more parameter values were invalid: Global secondary index "],
        fix: Fix::Compute(unprojected_in_statement_order),
    },
    Row {
        ops: &["Query", "Scan"],
        code: VALIDATION,
        starts: &["Select must be "],
        fix: Fix::Compute(select_enum),
    },
    Row {
        ops: &["GetItem", "Query", "Scan", "BatchGetItem"],
        code: VALIDATION,
        starts: &["Cannot have two attributes with the same name"],
        fix: Fix::Compute(duplicate_attribute),
    },
    // A table key schema that does not fit its attribute definitions: AWS words it by what is
    // wrong with the request, checked in its own order (architect/dynalite test/createTable.js,
    // cases "missing key attr definition", "5" to "10"). Requests with indexes are left alone.
    Row {
        ops: &["CreateTable"],
        code: VALIDATION,
        starts: &[
            "No Hash Key specified in schema.",
            "Hash Key not specified in Attribute Definitions.",
            "Range Key not specified in Attribute Definitions.",
            "Invalid key order.",
            "Two keys can not have the same name",
            "Too many hash keys specified.",
            "The number of attributes in key schema must match",
        ],
        fix: Fix::Compute(table_key_schema),
    },
    // Rows below: AWS's answers recorded by paritysuite/dynamodb-conformance
    // (tests/tier3/error-messages/*.test.ts, run against AWS, 2026).
    // UpdateItem envelopes an undefined value in its ConditionExpression (updateItem.test.ts).
    Row {
        ops: &["UpdateItem"],
        code: VALIDATION,
        starts: &[
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined",
        ],
        fix: Fix::Envelope,
    },
    // PutItem and DeleteItem: expression maps without an expression, every malformed Expected
    // condition; enveloped, and without DynamoDB Local's `: ConditionExpression is null`
    // (putItem.test.ts; paritysuite/dynamodb-conformance
    // tests/tier3/error-messages/deleteItem.test.ts, eu-west-2 and us-east-1, 2026-10-09).
    Row {
        ops: &["PutItem", "DeleteItem"],
        code: VALIDATION,
        starts: &["ExpressionAttributeValues can only be specified when using expressions"],
        fix: Fix::Replace(
            "1 validation error detected: ExpressionAttributeValues can only be specified when using expressions",
        ),
    },
    Row {
        ops: &["PutItem", "DeleteItem"],
        code: VALIDATION,
        starts: &[
            "ExpressionAttributeNames can only be specified when using expressions",
            "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: ",
            "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: ",
            "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ",
            "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: ",
            "One or more parameter values were invalid: Invalid number of argument(s) for the ",
        ],
        fix: Fix::Envelope,
    },
    // A nested path in a key condition, on a key attribute or not: one text, behind the
    // key-condition prefix (recorded on AWS: nubo-db/dynamodb-conformance
    // tests/tier1/query/keyConditionSemantics.test.ts; the prefix as dynoxide's changelog
    // records it "confirmed against real DynamoDB in eu-west-2").
    Row {
        ops: &["Query"],
        code: VALIDATION,
        starts: &[
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed",
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ],
        fix: Fix::Replace(
            "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes",
        ),
    },
    // Key conditions (queryKeyConditionOperands.test.ts).
    Row {
        ops: &["Query"],
        code: VALIDATION,
        starts: &["KeyConditionExpressions must only contain one condition per key"],
        fix: Fix::Compute(key_condition_prefix),
    },
    Row {
        ops: &["Query"],
        code: VALIDATION,
        starts: &["Conditions can be of length 1 or 2 only"],
        fix: Fix::WithSchema(too_many_key_conditions),
    },
    // One table asked for more than 100 keys: AWS's member constraint (batchGetItem.test.ts).
    Row {
        ops: &["BatchGetItem"],
        code: VALIDATION,
        starts: &["Too many items requested for the BatchGetItem call"],
        fix: Fix::Compute(batch_get_too_many_keys),
    },
    // PartiQL (indexReads.test.ts, partiqlFunctions.test.ts).
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &["Consistent reads are not supported on global secondary indexes"],
        fix: Fix::Replace("Strongly consistent read is not supported on Global Secondary Indexes"),
    },
    // An index whose key has more than one HASH or RANGE attribute
    // (partiqlMultiAttributeIndex.test.ts).
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &["PartiQL statements cannot be executed on tables with composite HASH keys"],
        fix: Fix::Replace(super::partiql::MULTI_KEY_INDEX),
    },
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &["Empty bags are not supported"],
        fix: Fix::Replace("Empty bags are not supported"),
    },
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &["The first argument to SET_", "Unrecognized function: "],
        fix: Fix::Compute(partiql_function_position),
    },
    // PartiQL statements (partiqlGrammar.test.ts, partiqlFunctions.test.ts): the parser's
    // detail instead of the statement, a number literal's path, a repeated bag member listed.
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &[
            "Statement wasn't well formed, can't be processed: ",
            "Unsupported operation: Typed",
        ],
        fix: Fix::Compute(partiql_malformed),
    },
    // ExecuteTransaction names the statement (DynamoDB Local echoes it instead).
    Row {
        ops: &["ExecuteTransaction"],
        code: VALIDATION,
        starts: &["Statement wasn't well formed, can't be processed: "],
        fix: Fix::Compute(partiql_malformed_in_transaction),
    },
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &[
            "Number overflow. ",
            "Number underflow. ",
            "DynamoDB only supports precision up to 38 digits",
        ],
        fix: Fix::Compute(partiql_number_literal),
    },
    Row {
        ops: &["ExecuteStatement"],
        code: VALIDATION,
        starts: &["Input collection contains duplicates"],
        fix: Fix::Compute(partiql_duplicate_bag),
    },
    // Table definitions (CreateTable) and table updates (UpdateTable), as AWS was recorded
    // answering them (README, "Every error text DynamoDB Local can produce", rows 37, 42,
    // 139, 211).
    // https://github.com/nubo-db/dynamodb-conformance/blob/main/tests/tier3/error-messages/createTable.test.ts
    // ("LSI without range key on base table", "duplicate index names").
    Row {
        ops: &["CreateTable"],
        code: VALIDATION,
        starts: &["Local Secondary indices are not allowed on hash tables"],
        fix: Fix::Replace(
            "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ),
    },
    Row {
        ops: &["CreateTable"],
        code: VALIDATION,
        starts: &["Two global secondary indices have the same name"],
        fix: Fix::Compute(duplicate_gsi_name),
    },
    // Throughput set to what the table has: AWS repeats both figures, which are then the
    // request's own (https://github.com/cortexproject/cortex/pull/441, recorded answer).
    Row {
        ops: &["UpdateTable"],
        code: VALIDATION,
        starts: &["The requested throughput value equals the current value"],
        fix: Fix::Compute(throughput_unchanged),
    },
    // https://github.com/aws-controllers-k8s/community/issues/1000 (recorded answer) and
    // https://github.com/scylladb/scylladb/issues/6939 (the same text from AWS).
    Row {
        ops: &["UpdateTable"],
        code: VALIDATION,
        starts: &["Table already has an enabled stream"],
        fix: Fix::Compute(stream_already_enabled),
    },
    // Control-plane operations name the table; data-plane ones do not.
    Row {
        ops: &["DescribeTable", "UpdateTable", "DeleteTable"],
        code: "ResourceNotFoundException",
        starts: &["Cannot do operations on a non-existent table"],
        fix: Fix::Compute(table_not_found),
    },
    Row {
        ops: &[],
        code: "ResourceNotFoundException",
        starts: &["Cannot do operations on a non-existent table"],
        fix: Fix::Replace("Requested resource not found"),
    },
];

/// What a computed row may consult: the request and, when fetched, the table's key schema.
pub struct Facts<'a> {
    pub input: &'a Value,
    /// Key attribute names in schema order (HASH first) of the table or index the request
    /// names; empty when unknown.
    pub key_names: Vec<String>,
    /// The declared type (`S`, `N`, `B`) of each of `key_names`, in the same order.
    pub key_types: Vec<String>,
}

/// True when translating this error needs the table's key schema (one extra backend call,
/// on the error path only).
pub fn needs_schema(op: &str, code: &str, message: &str) -> bool {
    matches!(find(op, code, message), Some(r) if matches!(r.fix, Fix::WithSchema(_)))
}

fn find(op: &str, code: &str, message: &str) -> Option<&'static Row> {
    if message.starts_with(PREFIX) {
        return None;
    }
    ROWS.iter().find(|r| {
        r.code == code
            && (r.ops.is_empty() || r.ops.contains(&op))
            && r.starts.iter().any(|s| message.starts_with(s))
    })
}

/// AWS's message for DynamoDB Local's `message` (unchanged when no row matches).
pub fn message(op: &str, code: &str, message: &str, facts: &Facts) -> String {
    match find(op, code, message).map(|r| r.fix) {
        None => message.to_string(),
        Some(Fix::Envelope) => format!("{PREFIX}{message}"),
        Some(Fix::Replace(s)) => s.to_string(),
        Some(Fix::Compute(f) | Fix::WithSchema(f)) => f(facts, message),
    }
}

/// The error body AWS sends: `__type`, lowercase `message`, and any extra members
/// (`CancellationReasons`, `Item`) kept as they are.
/// A 500 DynamoDB Local answers for input it cannot read, which must be a 400: a PartiQL
/// `NextToken` it cannot decode (ExecuteStatement on an existing table; the fuzz run found it)
/// gets the text DynamoDB Local itself answers for an invalid token (catalogue row 413).
pub fn internal_failure_of_input(op: &str, input: &Value, status: u16) -> Option<String> {
    (status >= 500 && op == "ExecuteStatement" && input.get("NextToken").is_some())
        .then(|| "Invalid NextToken".to_string())
}

pub fn body(type_name: &str, message: &str, rest: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("__type".into(), Value::String(type_name.into()));
    out.insert("message".into(), Value::String(message.into()));
    for (k, v) in rest {
        if k != "__type" && k != "message" && k != "Message" {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

/// Cancellation reasons as AWS words them: no final period on a failed condition, and a key
/// type mismatch that names the key and both types. `key_types(table)` gives a table's key
/// attributes and their types (HASH first); it is only called for a type mismatch.
pub fn fix_reasons(
    reasons: &mut Value,
    input: &Value,
    key_types: &dyn Fn(&str) -> Vec<(String, String)>,
) {
    let Some(list) = reasons.as_array_mut() else {
        return;
    };
    for (i, r) in list.iter_mut().enumerate() {
        let Some(m) = r.get("Message").and_then(Value::as_str) else {
            continue;
        };
        let fixed = if m == "The conditional request failed." {
            "The conditional request failed".to_string()
        } else if m == "One or more parameter values were invalid: Type mismatch for key" {
            let op = input["TransactItems"][i]
                .as_object()
                .and_then(|o| o.values().next())
                .cloned()
                .unwrap_or(Value::Null);
            let table = op["TableName"].as_str().unwrap_or_default();
            let table = super::arn::table_of(table).unwrap_or(table);
            let key = op.get("Key").or_else(|| op.get("Item")).cloned();
            let mismatch = key_types(table).into_iter().find_map(|(name, want)| {
                let got = key
                    .as_ref()?
                    .get(&name)?
                    .as_object()?
                    .keys()
                    .next()?
                    .clone();
                (got != want).then(|| format!("{m} {name} expected: {want} actual: {got}"))
            });
            match mismatch {
                Some(x) => x,
                None => continue,
            }
        } else {
            continue;
        };
        r["Message"] = Value::String(fixed);
    }
}

/// True when a cancellation needs the tables' key schemas to be worded as AWS does.
pub fn reasons_need_schema(reasons: &Value) -> bool {
    reasons.as_array().is_some_and(|l| {
        l.iter().any(|r| {
            r["Message"] == "One or more parameter values were invalid: Type mismatch for key"
        })
    })
}

/// `ExpressionAttributeValues contains invalid value: <error> for key :k` -> `<error>`, enveloped.
fn invalid_value(_: &Facts, message: &str) -> String {
    let inner = message
        .strip_prefix("ExpressionAttributeValues contains invalid value: ")
        .unwrap_or(message);
    let inner = match inner.rfind(" for key :") {
        Some(i) => &inner[..i],
        None => inner,
    };
    format!("{PREFIX}{inner}")
}

/// `Input collection [a, a] contains duplicates` -> AWS's quoted members and final period.
fn duplicate_set(_: &Facts, message: &str) -> String {
    let inner = message
        .split_once('[')
        .and_then(|(_, r)| r.rsplit_once(']'))
        .map(|(m, _)| m)
        .unwrap_or("");
    let members: Vec<String> = inner.split(", ").map(|m| format!("\"{m}\"")).collect();
    format!(
        "{PREFIX}One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        members.join(", ")
    )
}

/// Names the first key attribute (HASH, then RANGE) the key condition does not mention.
fn missed_key_element(facts: &Facts, message: &str) -> String {
    let expr = facts.input["KeyConditionExpression"]
        .as_str()
        .unwrap_or_default();
    let used = referenced_names(expr, &facts.input["ExpressionAttributeNames"]);
    match facts.key_names.iter().find(|k| !used.contains(k)) {
        Some(k) => format!("Query condition missed key schema element: {k}"),
        None => message.to_string(),
    }
}

/// Attribute names an expression mentions, `#placeholders` resolved.
fn referenced_names(expr: &str, names: &Value) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            let tok = std::mem::take(cur);
            if let Some(n) = tok
                .strip_prefix('#')
                .and(names.get(&tok))
                .and_then(Value::as_str)
            {
                out.push(n.to_string());
            } else if !tok.starts_with(':') {
                out.push(tok);
            }
        }
    };
    for c in expr.chars() {
        if c.is_alphanumeric() || c == '_' || c == '#' || c == ':' || c == '-' {
            cur.push(c);
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// AWS tells apart a partition key over 2048 bytes and sort keys over 1024 bytes.
fn key_too_large(facts: &Facts, _: &str) -> String {
    let hash_too_long = facts
        .key_names
        .first()
        .map(|h| {
            key_values(facts.input, h)
                .iter()
                .any(|v| value_size(v) > 2048)
        })
        .unwrap_or(true);
    if hash_too_long {
        hash_key_too_large()
    } else {
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes".into()
    }
}

/// AWS's text for a partition key over 2048 bytes (sic: no space before the number).
pub fn hash_key_too_large() -> String {
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes".into()
}

/// Every value given for attribute `name` as a key or item member anywhere in the request.
fn key_values<'a>(input: &'a Value, name: &str) -> Vec<&'a Value> {
    let mut out = vec![];
    fn walk<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if (k == "Key" || k == "Item") && x.is_object() {
                        if let Some(a) = x.get(name) {
                            out.push(a);
                        }
                    }
                    walk(x, name, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, name, out)),
            _ => {}
        }
    }
    walk(input, name, &mut out);
    out
}

/// Size in bytes of a scalar key attribute value (`{"S": ..}`, `{"N": ..}`, `{"B": base64}`).
pub fn value_size(v: &Value) -> usize {
    if let Some(s) = v.get("S").or_else(|| v.get("N")).and_then(Value::as_str) {
        return s.len();
    }
    if let Some(b) = v.get("B").and_then(Value::as_str) {
        return b.len() / 4 * 3 - b.bytes().rev().take_while(|&c| c == b'=').count();
    }
    0
}

/// AWS's text for a PutItem whose item lacks a key attribute: the first one missing.
fn missing_key_in_item(facts: &Facts, message: &str) -> String {
    let item = &facts.input["Item"];
    match facts
        .key_names
        .iter()
        .find(|k| item.get(k.as_str()).is_none())
    {
        Some(k) => {
            format!("One or more parameter values were invalid: Missing the key {k} in the item")
        }
        None => message.to_string(),
    }
}

/// AWS's text for an item key of the wrong type: the first key attribute (HASH, then RANGE)
/// whose type differs from the schema's.
fn key_type_mismatch(facts: &Facts, message: &str) -> String {
    let item = &facts.input["Item"];
    let mismatch = facts
        .key_names
        .iter()
        .zip(&facts.key_types)
        .find_map(|(name, want)| {
            let got = item.get(name)?.as_object()?.keys().next()?;
            (got != want).then(|| format!("{message} {name} expected: {want} actual: {got}"))
        });
    mismatch.unwrap_or_else(|| message.to_string())
}

/// AWS's text for a table key schema that does not fit the attribute definitions, for a
/// request without secondary indexes; DynamoDB Local's text when no rule applies.
fn table_key_schema(facts: &Facts, message: &str) -> String {
    let input = facts.input;
    if input.get("GlobalSecondaryIndexes").is_some() || input.get("LocalSecondaryIndexes").is_some()
    {
        return message.to_string();
    }
    let names = |list: &Value, field: &str| -> Vec<String> {
        list.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e[field].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let keys = names(&input["KeySchema"], "AttributeName");
    let types = names(&input["KeySchema"], "KeyType");
    let defs = names(&input["AttributeDefinitions"], "AttributeName");
    let invalid = "One or more parameter values were invalid: ";
    if defs.len() < keys.len() {
        "Invalid KeySchema: Some index key attribute have no definition".into()
    } else if keys.len() == 2 && keys[0] == keys[1] {
        "Both the Hash Key and the Range Key element in the KeySchema have the same name".into()
    } else if types.first().is_some_and(|t| t != "HASH") {
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".into()
    } else if types.get(1).is_some_and(|t| t != "RANGE") {
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type".into()
    } else if keys.len() == 1 && defs.len() == 1 && keys[0] != defs[0] {
        format!(
            "{invalid}Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            keys[0], defs[0]
        )
    } else if defs.len() > keys.len() {
        format!("{invalid}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
    } else {
        message.to_string()
    }
}

/// AWS's constraint text when exactly one table asks for more than 100 keys; unchanged
/// otherwise (more than 100 keys over several tables, or several such tables: no recorded
/// answer).
fn batch_get_too_many_keys(facts: &Facts, message: &str) -> String {
    let over: Vec<&String> = facts.input["RequestItems"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, t)| t["Keys"].as_array().is_some_and(|k| k.len() > 100))
                .map(|(name, _)| name)
                .collect()
        })
        .unwrap_or_default();
    match over[..] {
        [table] => format!("{PREFIX}Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100"),
        _ => message.to_string(),
    }
}

/// `Invalid KeyConditionExpression: ` in front of DynamoDB Local's bare text.
fn key_condition_prefix(_: &Facts, message: &str) -> String {
    format!("Invalid KeyConditionExpression: {message}")
}

/// More key conditions than the table (or index) has key attributes: AWS counts both. Only
/// for a KeyConditionExpression on a HASH and RANGE key (the recorded case; no source for the
/// legacy KeyConditions or a HASH-only key, which DynamoDB Local answers the same way).
fn too_many_key_conditions(facts: &Facts, message: &str) -> String {
    let Some(expr) = facts.input["KeyConditionExpression"].as_str() else {
        return message.to_string();
    };
    let words: Vec<String> = expr
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .map(str::to_ascii_uppercase)
        .collect();
    let count = |w: &str| words.iter().filter(|x| *x == w).count();
    let conditions = (count("AND") + 1).saturating_sub(count("BETWEEN"));
    let keys = facts.key_names.len();
    if keys != 2 || conditions <= keys {
        return message.to_string();
    }
    format!("The number of query conditions ({conditions}) exceeds the number of key attributes defined in the schema ({keys})")
}

/// PartiQL messages about a function that AWS ends with the function's place in the
/// statement, `at <line>:<column>:<length>` (counted in characters from 1): the first call
/// of that name outside quotes. Unchanged when the statement has no such call.
fn partiql_function_position(facts: &Facts, message: &str) -> String {
    let name = if let Some(rest) = message.strip_prefix("The first argument to ") {
        rest.split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    } else {
        message
            .strip_prefix("Unrecognized function: ")
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    if name.is_empty() || message.contains(" at ") {
        return message.to_string();
    }
    let statement = facts.input["Statement"].as_str().unwrap_or_default();
    match function_call_position(statement, &name) {
        Some((line, column)) => format!("{message} at {line}:{column}:{}", name.chars().count()),
        None => message.to_string(),
    }
}

/// `Statement wasn't well formed, can't be processed: ` with the parser's detail where
/// DynamoDB Local has the statement (unchanged when the detail is not known).
fn partiql_malformed(facts: &Facts, message: &str) -> String {
    let statement = facts.input["Statement"].as_str().unwrap_or_default();
    if super::partiql::is_type_statement(statement) {
        return "Unsupported operation: IsType".into();
    }
    if message.starts_with("Unsupported operation: ") {
        return message.to_string();
    }
    match super::partiql::malformed_detail(statement) {
        Some(detail) => format!("{MALFORMED}{detail}"),
        None => message.to_string(),
    }
}

const MALFORMED: &str = "Statement wasn't well formed, can't be processed: ";

/// `Validation failed in TransactStatements[<i>]: ` and the parser's detail, the statement
/// found by the text DynamoDB Local echoes (unchanged when the detail is not known).
fn partiql_malformed_in_transaction(facts: &Facts, message: &str) -> String {
    let echoed = message.strip_prefix(MALFORMED).unwrap_or_default();
    let statements = facts.input["TransactStatements"].as_array();
    let found = statements
        .into_iter()
        .flatten()
        .enumerate()
        .find_map(|(i, s)| {
            let s = s["Statement"].as_str()?;
            (s == echoed || s.trim() == echoed.trim()).then_some((i, s))
        });
    match found.and_then(|(i, s)| Some((i, super::partiql::malformed_detail(s)?))) {
        Some((i, detail)) => {
            format!("Validation failed in TransactStatements[{i}]: {MALFORMED}{detail}")
        }
        None => message.to_string(),
    }
}

/// A number literal out of range names its path (unchanged when a parameter was).
fn partiql_number_literal(facts: &Facts, message: &str) -> String {
    let statement = facts.input["Statement"].as_str().unwrap_or_default();
    super::partiql::literal_number_message(statement, message)
        .unwrap_or_else(|| message.to_string())
}

fn partiql_duplicate_bag(facts: &Facts, message: &str) -> String {
    let statement = facts.input["Statement"].as_str().unwrap_or_default();
    super::partiql::duplicate_bag_message(statement).unwrap_or_else(|| message.to_string())
}

/// Line and column (from 1, in characters) of the first `name(` (any case, spaces allowed
/// before the parenthesis) outside quotes and not part of a longer word.
fn function_call_position(statement: &str, name: &str) -> Option<(usize, usize)> {
    let chars: Vec<char> = statement.chars().collect();
    let want: Vec<char> = name.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let (mut line, mut column, mut quote) = (1, 1, None::<char>);
    for i in 0..chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {
                let end = i + want.len();
                let matches = end <= chars.len()
                    && chars[i..end]
                        .iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_ascii_lowercase() == *b)
                    && (i == 0 || !word(chars[i - 1]))
                    && chars[end..]
                        .iter()
                        .find(|c| !c.is_whitespace())
                        .is_some_and(|c| *c == '(');
                if matches {
                    return Some((line, column));
                }
            }
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    None
}

/// AWS's text for creating a table that exists.
fn table_exists(facts: &Facts, message: &str) -> String {
    match facts.input["TableName"].as_str() {
        Some(t) => format!(
            "Table already exists: {}",
            super::arn::table_of(t).unwrap_or(t)
        ),
        None => message.to_string(),
    }
}

/// The request's table name (a table ARN reduced to its name).
fn request_table<'a>(facts: &Facts<'a>) -> Option<&'a str> {
    let t = facts.input["TableName"].as_str()?;
    Some(super::arn::table_of(t).unwrap_or(t))
}

/// AWS names the first global secondary index name that the request repeats.
fn duplicate_gsi_name(facts: &Facts, message: &str) -> String {
    let names: Vec<&str> = facts.input["GlobalSecondaryIndexes"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["IndexName"].as_str()).collect())
        .unwrap_or_default();
    match (1..names.len()).find(|&i| names[..i].contains(&names[i])) {
        Some(i) => format!(
            "One or more parameter values were invalid: Duplicate index name: {}",
            names[i]
        ),
        None => message.to_string(),
    }
}

/// DynamoDB Local refuses a table throughput equal to the current one; AWS spells out both,
/// which are then the figures the request gives. Left alone when the request also updates
/// indexes (whose unchanged throughput AWS words differently) or gives no table throughput.
fn throughput_unchanged(facts: &Facts, message: &str) -> String {
    let input = facts.input;
    let pt = &input["ProvisionedThroughput"];
    let (Some(r), Some(w)) = (
        pt["ReadCapacityUnits"].as_i64(),
        pt["WriteCapacityUnits"].as_i64(),
    ) else {
        return message.to_string();
    };
    if input.get("GlobalSecondaryIndexUpdates").is_some() {
        return message.to_string();
    }
    format!(
        "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {r}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the table: {w}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
    )
}

fn stream_already_enabled(facts: &Facts, message: &str) -> String {
    match request_table(facts) {
        Some(t) if message == "Table already has an enabled stream" => {
            format!("{message}: TableName: {t}")
        }
        _ => message.to_string(),
    }
}

fn table_not_found(facts: &Facts, message: &str) -> String {
    match facts.input["TableName"].as_str() {
        Some(t) => format!(
            "Requested resource not found: Table: {} not found",
            super::arn::table_of(t).unwrap_or(t)
        ),
        None => message.to_string(),
    }
}

/// AWS's enum constraint message for Select.
fn select_enum(facts: &Facts, _: &str) -> String {
    select_enum_message(facts.input["Select"].as_str().unwrap_or_default())
}

pub fn select_enum_message(value: &str) -> String {
    format!("{PREFIX}Value '{value}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
}

/// Where `name` first stands as a whole word in `stmt` (usize::MAX when it does not).
fn word_at(stmt: &str, name: &str) -> usize {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = stmt[from..].find(name).map(|i| i + from) {
        let end = i + name.len();
        let before = stmt[..i].chars().next_back().is_none_or(|c| !ident(c));
        let after = stmt[end..].chars().next().is_none_or(|c| !ident(c));
        if before && after {
            return i;
        }
        from = end;
    }
    usize::MAX
}

fn unprojected_in_statement_order(facts: &Facts, message: &str) -> String {
    let (Some(open), true) = (message.rfind('['), message.ends_with(']')) else {
        return message.to_string();
    };
    let stmt = facts.input["Statement"].as_str().unwrap_or_default();
    let mut names: Vec<&str> = message[open + 1..message.len() - 1].split(", ").collect();
    names.sort_by_key(|n| word_at(stmt, n));
    format!("{}[{}]", &message[..open], names.join(", "))
}

fn duplicate_attribute(facts: &Facts, message: &str) -> String {
    let mut lists: Vec<&Value> = vec![&facts.input["AttributesToGet"]];
    if let Some(m) = facts.input["RequestItems"].as_object() {
        lists.extend(m.values().map(|t| &t["AttributesToGet"]));
    }
    for list in lists {
        let names: Vec<&str> = list
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return format!(
                    "One or more parameter values were invalid: Duplicate value in attribute name: {n}"
                );
            }
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(op: &str, code: &str, msg: &str, input: Value, keys: &[&str]) -> String {
        typed(op, code, msg, input, keys, &[])
    }

    /// ExecuteStatement's ValidationException `msg` for `statement`, translated.
    fn st(statement: &str, msg: &str) -> String {
        t(
            "ExecuteStatement",
            VALIDATION,
            msg,
            json!({"Statement": statement}),
            &[],
        )
    }

    fn typed(
        op: &str,
        code: &str,
        msg: &str,
        input: Value,
        keys: &[&str],
        types: &[&str],
    ) -> String {
        let facts = Facts {
            input: &input,
            key_names: keys.iter().map(|k| k.to_string()).collect(),
            key_types: types.iter().map(|k| k.to_string()).collect(),
        };
        message(op, code, msg, &facts)
    }

    fn v(op: &str, msg: &str) -> String {
        t(op, VALIDATION, msg, json!({}), &[])
    }

    #[test]
    fn keys_that_do_not_match_the_schema_and_existing_tables() {
        let none = "One of the required keys was not given a value";
        let mismatch = "One or more parameter values were invalid: Type mismatch for key";
        for op in [
            "GetItem",
            "DeleteItem",
            "UpdateItem",
            "BatchWriteItem",
            "BatchGetItem",
        ] {
            assert_eq!(
                v(op, none),
                "The provided key element does not match the schema"
            );
            assert_eq!(
                v(op, mismatch),
                "The provided key element does not match the schema"
            );
        }
        assert_eq!(
            t(
                "PutItem",
                VALIDATION,
                none,
                json!({"Item": {"pk": {"S": "a"}}}),
                &["pk", "sk"]
            ),
            "One or more parameter values were invalid: Missing the key sk in the item"
        );
        assert!(needs_schema("PutItem", VALIDATION, none));
        assert_eq!(
            t(
                "CreateTable",
                "ResourceInUseException",
                "Cannot create preexisting table",
                json!({"TableName": "Music"}),
                &[]
            ),
            "Table already exists: Music"
        );
    }

    #[test]
    fn put_item_key_type_mismatch_names_the_key_and_both_types() {
        let m = "One or more parameter values were invalid: Type mismatch for key";
        assert!(needs_schema("PutItem", VALIDATION, m));
        let item = json!({"Item": {"a": {"N": "23"}, "b": {"N": "23"}}});
        assert_eq!(
            typed("PutItem", VALIDATION, m, item, &["a", "b"], &["S", "S"]),
            format!("{m} a expected: S actual: N")
        );
        let item = json!({"Item": {"a": {"S": "a"}, "b": {"N": "23"}}});
        assert_eq!(
            typed("PutItem", VALIDATION, m, item, &["a", "b"], &["S", "S"]),
            format!("{m} b expected: S actual: N")
        );
    }

    #[test]
    fn put_item_return_values_other_than_old_images() {
        for op in ["PutItem", "DeleteItem"] {
            assert_eq!(
                v(op, "Return values set to invalid value"),
                "1 validation error detected: ReturnValues can only be ALL_OLD or NONE"
            );
        }
        assert_eq!(
            v("UpdateItem", "Return values set to invalid value"),
            "Return values set to invalid value"
        );
    }

    #[test]
    fn update_expression_errors_get_the_envelope_on_update_item_only() {
        let m = "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;";
        assert_eq!(v("UpdateItem", m), format!("{PREFIX}{m}"));
        assert_eq!(v("TransactWriteItems", m), m);
        let overlap = "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [s], path two: [s, n]";
        assert_eq!(v("UpdateItem", overlap), format!("{PREFIX}{overlap}"));
        let empty = "Invalid UpdateExpression: The expression can not be empty;";
        assert_eq!(v("UpdateItem", empty), format!("{PREFIX}{empty}"));
    }

    #[test]
    fn unused_names_and_values_enveloped_on_single_item_writes_only() {
        let m = "Value provided in ExpressionAttributeNames unused in expressions: keys: {#count}";
        for op in ["UpdateItem", "PutItem", "DeleteItem"] {
            assert_eq!(v(op, m), format!("{PREFIX}{m}"));
        }
        for op in [
            "GetItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "TransactWriteItems",
        ] {
            assert_eq!(v(op, m), m);
        }
        let m = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}";
        assert_eq!(v("PutItem", m), format!("{PREFIX}{m}"));
        let e = "ExpressionAttributeValues must not be empty";
        assert_eq!(v("UpdateItem", e), format!("{PREFIX}{e}"));
        assert_eq!(v("TransactWriteItems", e), e);
    }

    #[test]
    fn empty_sets_and_empty_maps_get_the_envelope() {
        for m in [
            "One or more parameter values were invalid: An string set  may not be empty",
            "One or more parameter values were invalid: An number set  may not be empty",
            "One or more parameter values were invalid: Binary sets should not be empty",
        ] {
            assert_eq!(v("PutItem", m), format!("{PREFIX}{m}"));
        }
        assert_eq!(
            v("UpdateItem", "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :e"),
            format!("{PREFIX}One or more parameter values were invalid: An string set  may not be empty")
        );
    }

    #[test]
    fn already_enveloped_messages_are_left_alone() {
        let m = format!("{PREFIX}Value 'x' at 'tableName' failed");
        assert_eq!(v("UpdateItem", &m), m);
    }

    #[test]
    fn empty_condition_expression_on_writes() {
        let m = "Invalid ConditionExpression: The expression can not be empty;";
        assert_eq!(v("PutItem", m), format!("{PREFIX}{m}"));
        let f = "Invalid FilterExpression: The expression can not be empty;";
        assert_eq!(v("Scan", f), f);
    }

    #[test]
    fn select_checks_enveloped_on_query_and_scan() {
        let m = "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES";
        assert_eq!(v("Query", m), format!("{PREFIX}{m}"));
        assert_eq!(v("Scan", m), format!("{PREFIX}{m}"));
        let p = "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName";
        assert_eq!(v("Query", p), format!("{PREFIX}{p}"));
    }

    #[test]
    fn invalid_select_is_an_enum_constraint() {
        let got = t(
            "Scan",
            VALIDATION,
            "Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, COUNT, or SPECIFIC_ATTRIBUTES",
            json!({"Select": "count"}),
            &[],
        );
        assert_eq!(got, "1 validation error detected: Value 'count' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]");
    }

    #[test]
    fn mixed_expression_parameters_get_the_envelope() {
        let m = "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}";
        assert_eq!(v("PutItem", m), format!("{PREFIX}{m}"));
    }

    #[test]
    fn duplicate_set_members_are_quoted() {
        let m = "One or more parameter values were invalid: Input collection [a, a] contains duplicates";
        assert_eq!(
            v("PutItem", m),
            "1 validation error detected: One or more parameter values were invalid: Input collection [\"a\", \"a\"] contains duplicates."
        );
    }

    #[test]
    fn missed_key_element_names_the_first_missing_key() {
        let m = "Query condition missed key schema element";
        let input =
            json!({"KeyConditionExpression": "gsiK1PartitionKey = :pk AND wrongName = :sk"});
        assert_eq!(
            t(
                "Query",
                VALIDATION,
                m,
                input,
                &["gsiK1PartitionKey", "gsiK1SortKey"]
            ),
            "Query condition missed key schema element: gsiK1SortKey"
        );
        let input = json!({"KeyConditionExpression": "#w = :pk AND begins_with(#s, :sk)",
            "ExpressionAttributeNames": {"#w": "wrongName", "#s": "sk"}});
        assert_eq!(
            t("Query", VALIDATION, m, input, &["pk", "sk"]),
            "Query condition missed key schema element: pk"
        );
    }

    #[test]
    fn wrong_key_attributes_do_not_match_the_schema() {
        assert_eq!(
            v("GetItem", "The number of conditions on the keys is invalid"),
            "The provided key element does not match the schema"
        );
    }

    #[test]
    fn key_size_messages_tell_hash_from_range() {
        let m = "Hash primary key values must be under 2048 bytes, and range primary key values must be under 1024 bytes";
        let long = "x".repeat(2049);
        let got = t(
            "PutItem",
            VALIDATION,
            m,
            json!({"Item": {"pk": {"S": long}}}),
            &["pk"],
        );
        assert_eq!(got, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes");
        let got = t(
            "GetItem",
            VALIDATION,
            m,
            json!({"Key": {"pk": {"S": "a"}, "sk": {"S": "y".repeat(1025)}}}),
            &["pk", "sk"],
        );
        assert_eq!(got, "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes");
    }

    #[test]
    fn partiql_unprojected_columns_follow_the_statement() {
        let got = t(
            "ExecuteStatement",
            VALIDATION,
            "One or more parameter values were invalid: Global secondary index gsi2 does not project [mymap, alternate]",
            json!({"Statement": "SELECT alternate, \"mymap\" FROM \"T\".\"gsi2\" WHERE k = 'mymap2'"}),
            &[],
        );
        assert_eq!(
            got,
            "One or more parameter values were invalid: Global secondary index gsi2 does not project [alternate, mymap]"
        );
    }

    #[test]
    fn partiql_unknown_index_has_no_name_appended() {
        assert_eq!(
            v(
                "ExecuteStatement",
                "The table does not have the specified index: nope"
            ),
            "The table does not have the specified index"
        );
    }

    #[test]
    fn duplicate_attributes_to_get() {
        let got = t(
            "GetItem",
            VALIDATION,
            "Cannot have two attributes with the same name",
            json!({"AttributesToGet": ["a", "b", "a"]}),
            &[],
        );
        assert_eq!(
            got,
            "One or more parameter values were invalid: Duplicate value in attribute name: a"
        );
    }

    #[test]
    fn missing_table_is_requested_resource_not_found() {
        let got = t(
            "Scan",
            "ResourceNotFoundException",
            "Cannot do operations on a non-existent table",
            json!({}),
            &[],
        );
        assert_eq!(got, "Requested resource not found");
        let got = t(
            "DescribeTable",
            "ResourceNotFoundException",
            "Cannot do operations on a non-existent table",
            json!({"TableName": "T"}),
            &[],
        );
        assert_eq!(got, "Requested resource not found: Table: T not found");
    }

    #[test]
    fn create_table_key_schema_errors_in_aws_order() {
        let ct = |defs: &[&str], keys: &[(&str, &str)], msg: &str| {
            let input = json!({
                "TableName": "abc",
                "AttributeDefinitions": defs.iter().map(|d| json!({"AttributeName": d, "AttributeType": "S"})).collect::<Vec<_>>(),
                "KeySchema": keys.iter().map(|(n, t)| json!({"AttributeName": n, "KeyType": t})).collect::<Vec<_>>(),
            });
            t("CreateTable", VALIDATION, msg, input, &[])
        };
        let hash_undefined = "Hash Key not specified in Attribute Definitions.  Type unknown.";
        let same = "Two keys can not have the same name";
        let count = "The number of attributes in key schema must match the number of attributes defined in attribute definitions.";
        assert_eq!(
            ct(&["b"], &[("a", "HASH")], hash_undefined),
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]"
        );
        assert_eq!(
            ct(&["b"], &[("a", "HASH"), ("b", "RANGE")], hash_undefined),
            "Invalid KeySchema: Some index key attribute have no definition"
        );
        assert_eq!(
            ct(&["a"], &[("a", "HASH"), ("a", "HASH")], same),
            "Invalid KeySchema: Some index key attribute have no definition"
        );
        assert_eq!(
            ct(&["a", "b"], &[("a", "HASH"), ("a", "HASH")], same),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        );
        assert_eq!(
            ct(&["a", "b"], &[("a", "HASH"), ("b", "HASH")], "Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key"),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        );
        for ks in [
            [("a", "RANGE"), ("b", "HASH")],
            [("a", "RANGE"), ("b", "RANGE")],
        ] {
            assert_eq!(
                ct(&["a", "b"], &ks, "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second"),
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
            );
        }
        for (defs, keys) in [
            (&["a", "c", "b"][..], &[("a", "HASH"), ("b", "RANGE")][..]),
            (&["a", "b"][..], &[("a", "HASH")][..]),
        ] {
            assert_eq!(
                ct(defs, keys, count),
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
            );
        }
        // Two keys misnamed, or indexes in the request: no source for AWS's order; unchanged.
        assert_eq!(
            ct(
                &["a", "x"],
                &[("a", "HASH"), ("b", "RANGE")],
                "Range Key not specified in Attribute Definitions.  Type unknown."
            ),
            "Range Key not specified in Attribute Definitions.  Type unknown."
        );
        let input = json!({"AttributeDefinitions": [{"AttributeName": "a"}, {"AttributeName": "b"}],
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "GlobalSecondaryIndexes": []});
        assert_eq!(t("CreateTable", VALIDATION, count, input, &[]), count);
        assert_eq!(v("UpdateTable", same), same);
    }

    #[test]
    fn update_item_condition_undefined_value_is_enveloped() {
        let m = "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v";
        assert_eq!(v("UpdateItem", m), format!("{PREFIX}{m}"));
        // No recorded answer for the other operations: unchanged.
        assert_eq!(v("PutItem", m), m);
        assert_eq!(v("Query", m), m);
    }

    #[test]
    fn put_item_expression_maps_and_expected_are_enveloped() {
        assert_eq!(
            v(
                "PutItem",
                "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
            ),
            "1 validation error detected: ExpressionAttributeValues can only be specified when using expressions"
        );
        for m in [
            "ExpressionAttributeNames can only be specified when using expressions",
            "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a",
            "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ] {
            assert_eq!(v("PutItem", m), format!("{PREFIX}{m}"));
            assert_eq!(v("UpdateItem", m), m);
        }
    }

    #[test]
    fn key_condition_texts() {
        assert_eq!(
            v(
                "Query",
                "KeyConditionExpressions must only contain one condition per key"
            ),
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"
        );
        let three = "Conditions can be of length 1 or 2 only";
        let q = |expr: &str, keys: &[&str]| {
            t(
                "Query",
                VALIDATION,
                three,
                json!({"KeyConditionExpression": expr}),
                keys,
            )
        };
        assert_eq!(
            q("pk = :p AND sk > :a AND extra = :b", &["pk", "sk"]),
            "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"
        );
        assert_eq!(
            q("pk = :p and (sk BETWEEN :a AND :b) AND x = :c AND y = :d", &["pk", "sk"]),
            "The number of query conditions (4) exceeds the number of key attributes defined in the schema (2)"
        );
        // Schema unknown, a HASH-only key, or the legacy KeyConditions: unchanged.
        assert_eq!(q("pk = :p AND sk > :a AND extra = :b", &[]), three);
        assert_eq!(q("pk = :p AND sk > :a AND extra = :b", &["pk"]), three);
        assert_eq!(
            t(
                "Query",
                VALIDATION,
                three,
                json!({"KeyConditions": {}}),
                &["pk", "sk"]
            ),
            three
        );
        assert!(needs_schema("Query", VALIDATION, three));
    }

    #[test]
    fn batch_get_over_100_keys_in_one_table() {
        let too_many = "Too many items requested for the BatchGetItem call";
        let keys = |n: usize| json!({"Keys": vec![json!({"pk": {"S": "a"}}); n]});
        let b = |items: Value| {
            t(
                "BatchGetItem",
                VALIDATION,
                too_many,
                json!({"RequestItems": items}),
                &[],
            )
        };
        assert_eq!(
            b(json!({"T1": keys(101), "T2": keys(1)})),
            "1 validation error detected: Value at 'RequestItems.T1.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100"
        );
        // Over 100 only across tables, or two tables over 100: unchanged.
        assert_eq!(b(json!({"T1": keys(60), "T2": keys(60)})), too_many);
        assert_eq!(b(json!({"T1": keys(101), "T2": keys(101)})), too_many);
    }

    #[test]
    fn partiql_multi_attribute_key_index() {
        assert_eq!(
            v(
                "ExecuteStatement",
                "PartiQL statements cannot be executed on tables with composite HASH keys or composite RANGE keys."
            ),
            "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys."
        );
    }

    #[test]
    fn partiql_texts() {
        assert_eq!(
            v(
                "ExecuteStatement",
                "Consistent reads are not supported on global secondary indexes"
            ),
            "Strongly consistent read is not supported on Global Secondary Indexes"
        );
        assert_eq!(
            v(
                "Query",
                "Consistent reads are not supported on global secondary indexes"
            ),
            "Consistent reads are not supported on global secondary indexes"
        );
        assert_eq!(
            v("ExecuteStatement", "Empty bags are not supported at 1:36:2"),
            "Empty bags are not supported"
        );
        let update = "UPDATE \"t\" SET t = set_add(ss, <<'x'>>) WHERE pk = 'i'";
        assert_eq!(
            st(
                update,
                "The first argument to SET_ADD must equal the assignment value"
            ),
            "The first argument to SET_ADD must equal the assignment value at 1:20:7"
        );
        let delete = "UPDATE \"set_delete(\" SET t = SET_DELETE (ss, <<'a'>>) WHERE pk = 'i'";
        assert_eq!(
            st(
                delete,
                "The first argument to SET_DELETE must equal the assignment value"
            ),
            "The first argument to SET_DELETE must equal the assignment value at 1:30:10"
        );
        let select = "SELECT * FROM \"t\"\nWHERE pk = 'i' AND EXISTS(ss)";
        assert_eq!(
            st(select, "Unrecognized function: exists"),
            "Unrecognized function: exists at 2:20:6"
        );
        // No call of that name in the statement, or a position already given: unchanged.
        assert_eq!(
            st("SELECT * FROM \"t\"", "Unrecognized function: exists"),
            "Unrecognized function: exists"
        );
        assert_eq!(
            st(select, "Unrecognized function: exists at 2:20:6"),
            "Unrecognized function: exists at 2:20:6"
        );
    }

    /// paritysuite/dynamodb-conformance tests/tier3/error-messages/partiqlGrammar.test.ts and
    /// partiqlFunctions.test.ts (recorded against AWS, 2026-10).
    #[test]
    fn partiql_statement_texts() {
        let nwf = "Statement wasn't well formed, can't be processed: ";
        let left = "SELECT * FROM \"N\" WHERE pk = 1 foo";
        assert_eq!(
            st(left, &format!("{nwf}{left}")),
            format!("{nwf}Unexpected token after expression")
        );
        let hash = "SELECT * FROM \"N\" WHERE pk = 1 # note";
        assert_eq!(st(hash, &format!("{nwf}{hash}")), nwf);
        let inner = "SELECT * FROM \"T\" WHERE pk = 'k' AND attribute_exists(m.inner)";
        assert_eq!(
            st(inner, &format!("{nwf}{inner}")),
            format!("{nwf}Invalid path dot component")
        );
        assert_eq!(
            st("x IS INT4", &format!("{nwf}x IS INT4")),
            "Unsupported operation: IsType"
        );
        assert_eq!(
            st("x IS DOUBLE PRECISION", "Unsupported operation: Typed"),
            "Unsupported operation: IsType"
        );
        let empty = "SELECT * FROM \"S\" WHERE";
        assert_eq!(
            t(
                "ExecuteTransaction",
                VALIDATION,
                &format!("{nwf}{empty}"),
                json!({"TransactStatements": [{"Statement": "SELECT * FROM \"S\" WHERE pk = 'a'"}, {"Statement": empty}]}),
                &[],
            ),
            format!("Validation failed in TransactStatements[1]: {nwf}Unexpected term")
        );
        // A refusal with no recognised cause keeps DynamoDB Local's text.
        let other = "SELECT * FROM \"S\" WHERE pk = 'a' AND [";
        assert_eq!(st(other, &format!("{nwf}{other}")), format!("{nwf}{other}"));
        let over =
            "Number overflow. Attempting to store a number with magnitude larger than supported range";
        assert_eq!(
            st("INSERT INTO \"N\" VALUE {'pk': 1, 'l': [1, 1e126]}", over),
            format!("{over} under root[1]")
        );
        assert_eq!(
            st(
                "SELECT * FROM \"N\" WHERE pk = 123456789012345678901234567890123456789",
                "DynamoDB only supports precision up to 38 digits"
            ),
            "Attempting to store more than 38 significant digits in a Number under root"
        );
        // A parameter's number: no literal to name.
        assert_eq!(st("SELECT * FROM \"N\" WHERE pk = ?", over), over);
        assert_eq!(
            st(
                "UPDATE \"T\" SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'k'",
                "Input collection contains duplicates"
            ),
            "One or more parameter values were invalid: Input collection [x, x] contains duplicates."
        );
        // Other operations keep DynamoDB Local's texts.
        assert_eq!(v("PutItem", over), over);
    }

    #[test]
    fn an_unreadable_partiql_next_token_is_a_400() {
        let with = json!({"Statement": "SELECT * FROM t", "NextToken": "t"});
        assert_eq!(
            internal_failure_of_input("ExecuteStatement", &with, 500).as_deref(),
            Some("Invalid NextToken")
        );
        assert_eq!(
            internal_failure_of_input("ExecuteStatement", &with, 400),
            None
        );
        let without = json!({"Statement": "SELECT * FROM t"});
        assert_eq!(
            internal_failure_of_input("ExecuteStatement", &without, 500),
            None
        );
        assert_eq!(internal_failure_of_input("Scan", &with, 500), None);
    }

    #[test]
    fn body_has_lowercase_message_and_keeps_extras() {
        let rest = json!({"Message": "x", "Item": {"pk": {"S": "a"}}});
        let b = body(
            "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "The conditional request failed",
            rest.as_object().unwrap(),
        );
        assert_eq!(b["message"], "The conditional request failed");
        assert!(b.get("Message").is_none());
        assert_eq!(b["Item"]["pk"]["S"], "a");
    }

    #[test]
    fn cancellation_reasons_are_worded_as_aws() {
        let input = json!({"TransactItems": [
            {"Put": {"TableName": "T", "Item": {"pk": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "T", "Key": {"pk": {"S": "a"}}}},
        ]});
        let mut reasons = json!([
            {"Code": "ValidationError", "Message": "One or more parameter values were invalid: Type mismatch for key"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed."},
        ]);
        assert!(reasons_need_schema(&reasons));
        fix_reasons(&mut reasons, &input, &|t| {
            assert_eq!(t, "T");
            vec![("pk".into(), "S".into())]
        });
        assert_eq!(
            reasons[0]["Message"],
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
        );
        assert_eq!(reasons[1]["Message"], "The conditional request failed");
    }

    #[test]
    fn table_definition_and_update_texts() {
        assert_eq!(
            v("CreateTable", "Local Secondary indices are not allowed on hash tables, only hash and range tables"),
            "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
        );
        let dup = "Two global secondary indices have the same name";
        let gsis = json!({"GlobalSecondaryIndexes": [
            {"IndexName": "a"}, {"IndexName": "same"}, {"IndexName": "b"}, {"IndexName": "same"}
        ]});
        assert_eq!(
            t("CreateTable", VALIDATION, dup, gsis, &[]),
            "One or more parameter values were invalid: Duplicate index name: same"
        );
        assert_eq!(v("CreateTable", dup), dup);
        let same = "The requested throughput value equals the current value";
        let pt = json!({"TableName": "T", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}});
        assert_eq!(
            t("UpdateTable", VALIDATION, same, pt, &[]),
            "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 7. Requested WriteCapacityUnits: 7. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
        );
        let with_index = json!({"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
            "GlobalSecondaryIndexUpdates": []});
        assert_eq!(t("UpdateTable", VALIDATION, same, with_index, &[]), same);
        let stream = "Table already has an enabled stream";
        assert_eq!(
            t(
                "UpdateTable",
                VALIDATION,
                stream,
                json!({"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"}),
                &[]
            ),
            "Table already has an enabled stream: TableName: Orders"
        );
        assert_eq!(v("UpdateTable", stream), stream);
    }

    #[test]
    fn needs_schema_only_for_key_rows() {
        assert!(needs_schema(
            "Query",
            VALIDATION,
            "Query condition missed key schema element"
        ));
        assert!(!needs_schema(
            "GetItem",
            VALIDATION,
            "The number of conditions on the keys is invalid"
        ));
    }
}
