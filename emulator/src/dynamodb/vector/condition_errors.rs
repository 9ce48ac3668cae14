//! Every text SearchVectors answers for a SearchConditionExpression it refuses, all
//! ValidationException with status 400.

// Source: Developer Guide, "SearchConditionExpression reference for vector indexes"
// (VectorSearchFilterReference). Only its syntax section could be read here (names literal or
// `#alias`, values `:placeholders` resolved as Query and Scan resolve them, reserved words only
// through an alias, top-level attributes only), not its message list; each text below names
// its source: AWS's troubleshooting page, DynamoDB's own expression texts (those Query and
// Scan answer, the pattern the reference names) or ours.

use crate::dynamodb::wire::validation;
use crate::protocol::json::JsonError;

/// DynamoDB's prefix to an expression's refusal (as `Invalid FilterExpression: `); AWS answers
/// the comparator text behind it too.
const PREFIX: &str = "Invalid SearchConditionExpression: ";

fn invalid(detail: &str) -> JsonError {
    validation(format!("{PREFIX}{detail}"))
}

/// AWS's (troubleshooting page): the index has a HASH attribute and the request no expression.
pub fn missing_for_hash() -> JsonError {
    validation("SearchConditionExpression must be provided when SearchSchema has a HASH key")
}

/// AWS's (troubleshooting page, with the prefix AWS answers it with): the vector index
/// partition key is not pinned by `=`, or a relational comparator (`<`, `<=`, `>`, `>=`,
/// `<>`) on any SearchSchema attribute, HASH or INLINE_FILTER, as AWS was recorded answering
/// (paritysuite/dynamodb-conformance, searchVectors.test.ts).
pub fn comparator() -> JsonError {
    invalid("Invalid comparator used in SearchConditionExpression")
}

/// DynamoDB's.
pub fn empty() -> JsonError {
    invalid("The expression can not be empty;")
}

/// DynamoDB's for an expression over its 4 KB limit (Developer Guide, "Expression
/// parameters"; the text as AWS answered it for a FilterExpression).
pub fn too_large(size: usize) -> JsonError {
    invalid(&format!(
        "Expression size has exceeded the maximum allowed size; expression size: {size}"
    ))
}

/// Ours: parentheses or NOTs nested deeper than `MAX_DEPTH` (an expression parsed and
/// evaluated by recursion must not exhaust the stack).
pub fn too_deep(limit: usize) -> JsonError {
    invalid(&format!(
        "The expression nests parentheses or NOT more than {limit} levels deep"
    ))
}

/// DynamoDB's; `near` is the token before the offending one and that token.
pub fn syntax(token: &str, near: &str) -> JsonError {
    invalid(&format!(
        "Syntax error; token: \"{token}\", near: \"{near}\""
    ))
}

/// DynamoDB's: a reserved word used as a literal attribute name.
pub fn reserved(word: &str) -> JsonError {
    invalid(&format!(
        "Attribute name is a reserved keyword; reserved keyword: {word}"
    ))
}

/// DynamoDB's.
pub fn undefined_name(name: &str) -> JsonError {
    invalid(&format!(
        "An expression attribute name used in the document path is not defined; attribute name: {name}"
    ))
}

/// DynamoDB's.
pub fn undefined_value(value: &str) -> JsonError {
    invalid(&format!(
        "An expression attribute value used in expression is not defined; attribute value: {value}"
    ))
}

/// DynamoDB's: `member` is ExpressionAttributeNames or ExpressionAttributeValues.
pub fn unused(member: &str, keys: &[&str]) -> JsonError {
    validation(format!(
        "Value provided in {member} unused in expressions: keys: {{{}}}",
        keys.join(", ")
    ))
}

/// DynamoDB's.
pub fn empty_map(member: &str) -> JsonError {
    validation(format!("{member} must not be empty"))
}

/// DynamoDB's: names or values in a request with no expression to use them.
pub fn without_expression(member: &str) -> JsonError {
    validation(format!(
        "{member} can only be specified when using expressions"
    ))
}

/// Ours: the reference allows top-level attributes only.
pub fn nested(path: &str) -> JsonError {
    invalid(&format!(
        "conditions on nested attributes are not supported; document path: {path}"
    ))
}

/// AWS's, as recorded (paritysuite/dynamodb-conformance, searchVectors.test.ts): an attribute
/// outside the index's SearchSchema (no prefix, AWS's grammar kept).
pub fn not_in_schema(attribute: &str) -> JsonError {
    validation(format!(
        "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: {attribute}"
    ))
}
