//! Which failure AWS reports when a request has more than one, and the texts of the checks
//! that come first, as paritysuite/dynamodb-conformance recorded them against AWS
//! (https://github.com/paritysuite/dynamodb-conformance/blob/main/tests/tier3/validation-ordering/,
//! us-east-1 and eu-west-2, 2026-10).

use serde_json::json;

use super::caller;

const RCC: &str = "Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]";

#[test]
fn batch_checks_come_before_any_table_is_read() {
    let c = caller("200000000971");
    c.aws(&["dynamodb", "batch-get-item", "--request-items", "{}"]).fails_with_message(
        "ValidationException",
        "1 validation error detected: Value at 'RequestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    c.aws(&["dynamodb", "batch-write-item", "--request-items", "{}"])
        .fails_with_message(
            "ValidationException",
            "The requestItems parameter is required for BatchWriteItem",
        );
    // The AWS CLI refuses an empty Keys list itself: sent raw.
    let (status, e) = super::raw_as(
        "200000000971",
        Some("DynamoDB_20120810.BatchGetItem"),
        json!({"RequestItems": {"Music": {"Keys": []}}})
            .to_string()
            .into_bytes(),
    );
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        e["message"],
        "1 validation error detected: Value at 'RequestItems.Music.member.Keys' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let keys = json!({"bad!name": {"Keys": [{"pk": {"S": "a"}}]}}).to_string();
    c.aws(&[
        "dynamodb",
        "batch-get-item",
        "--request-items",
        &keys,
        "--return-consumed-capacity",
        "BOGUS",
    ])
    .fails_with_message(
        "ValidationException",
        &format!("2 validation errors detected: Value '{keys}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]; {RCC}"),
    );
    let writes = json!({"bad!name": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}).to_string();
    c.aws(&[
        "dynamodb",
        "batch-write-item",
        "--request-items",
        &writes,
        "--return-consumed-capacity",
        "BOGUS",
    ])
    .fails_with_message(
        "ValidationException",
        &format!("1 validation error detected: {RCC}"),
    );
}

#[test]
fn create_table_refuses_a_third_key_schema_element() {
    let c = caller("200000000972");
    c.aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "ThreeKeys",
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=S",
        "AttributeName=extra,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "AttributeName=extra,KeyType=RANGE",
    ])
    .fails_with_message(
        "ValidationException",
        "1 validation error detected: Value '[KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement(attributeName=sk, keyType=RANGE), KeySchemaElement(attributeName=extra, keyType=RANGE)]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
    );
}

#[test]
fn query_checks_before_the_table_lookup() {
    let c = caller("200000000973");
    // A begins_with operand of the wrong type, on a table that does not exist.
    let values = json!({":p": {"S": "q"}, ":n": {"N": "1"}}).to_string();
    c.aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Absent",
        "--key-condition-expression",
        "pk = :p AND begins_with(sk, :n)",
        "--expression-attribute-values",
        &values,
    ])
    .fails_with_message(
        "ValidationException",
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
    );
    let values = json!({":p": {"S": "q"}, ":s": {"S": "a"}}).to_string();
    c.aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Absent",
        "--key-condition-expression",
        "pk = :p AND begins_with(sk, :s)",
        "--expression-attribute-values",
        &values,
    ])
    .fails_with("ResourceNotFoundException");
    // ConditionalOperator outside its enum beside two QueryFilter conditions: bare and alone.
    let filter = json!({"b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}})
        .to_string();
    let key =
        json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}).to_string();
    c.aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Absent",
        "--key-conditions",
        &key,
        "--query-filter",
        &filter,
        "--conditional-operator",
        "XOR",
        "--select",
        "BOGUS",
    ])
    .fails_with_message(
        "ValidationException",
        "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]",
    );
}

#[test]
fn a_value_nested_100_levels_is_read_and_refused_for_its_depth() {
    let c = caller("200000000974");
    let mut v = json!({"S": "leaf"});
    for _ in 0..100 {
        v = json!({"M": {"n": v}});
    }
    let item = json!({"pk": {"S": "a"}, "d": v}).to_string();
    c.aws(&["dynamodb", "put-item", "--table-name", "Absent", "--item", &item])
        .fails_with_message(
            "ValidationException",
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
        );
}
