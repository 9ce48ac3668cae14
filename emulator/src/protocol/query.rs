//! AWS Query protocol (ElastiCache): form decoding into JSON values of the input shape,
//! validation, XML encoding by the output shape, and the error envelope. Everything is
//! driven by a botocore service model; no operation-specific code lives here.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// `<ErrorResponse>` as the Query protocol sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// `Sender` for client faults, `Receiver` for server faults.
    pub sender: bool,
}

impl QueryError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            sender: status.is_client_error(),
        }
    }
    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn missing_parameter(name: &str) -> Self {
        Self::bad_request(
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }
    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::bad_request("InvalidParameterValue", message)
    }
    pub fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"http://elasticache.amazonaws.com/doc/2015-02-02/\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            if self.sender { "Sender" } else { "Receiver" },
            escape(&self.code),
            escape(&self.message),
            escape(request_id)
        )
    }
    pub fn into_response_with_id(self, request_id: &str) -> Response {
        xml_response(self.status, self.to_xml(request_id))
    }
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        let id = uuid::Uuid::new_v4().to_string();
        self.into_response_with_id(&id)
    }
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    r
}

/// XML text escaping. Characters XML 1.0 cannot carry at all, not even as references (C0
/// controls but tab and newlines, U+FFFE, U+FFFF), become U+FFFD: a value echoed in a message
/// or stored from a request must not make the whole answer unparsable.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

/// Decodes `application/x-www-form-urlencoded` (body or query string) into ordered pairs.
pub fn decode_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("service model is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("service model lacks {0}")]
    Missing(&'static str),
}

/// One operation of the model.
#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    pub input: Option<String>,
    pub output: Option<String>,
    pub result_wrapper: Option<String>,
}

/// A botocore model of a Query service (shapes, operations, error codes).
pub struct QueryModel {
    namespace: String,
    operations: BTreeMap<String, Operation>,
    shapes: Map<String, Value>,
    /// Wire error code -> (HTTP status, sender fault).
    errors: BTreeMap<String, (u16, bool)>,
    /// Segments of the longest form key any input shape reads (`A.B.member.1.C` is 5).
    max_key_depth: usize,
}

/// The tree of form keys split at dots: `A.B.1=x` becomes `{A: {B: {1: x}}}`.
#[derive(Debug, Default)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    /// Inserts `path` up to `max_depth` segments. Deeper segments are never read, and building
    /// them would let one long key of dots nest the tree as deep as the request is long
    /// (a stack overflow when it drops, and memory many times the body's size).
    fn insert(&mut self, path: &str, value: String, max_depth: usize) {
        let mut node = self;
        for (depth, part) in path.split('.').enumerate() {
            if depth == max_depth {
                return;
            }
            node = node.children.entry(part.to_string()).or_default();
        }
        node.value = Some(value);
    }
}

/// Key segments the deepest member of `shape_name` takes (a structure member one, a list item
/// two, or one when flattened, a map value three); shapes that contain themselves count as
/// `LIMIT` deep.
fn key_depth(shapes: &Map<String, Value>, shape_name: &str, seen: &mut Vec<String>) -> usize {
    const LIMIT: usize = 64;
    let Some(shape) = shapes.get(shape_name) else {
        return 0;
    };
    if seen.iter().any(|s| s == shape_name) || seen.len() >= LIMIT {
        return LIMIT;
    }
    seen.push(shape_name.to_string());
    let child =
        |v: &Value, seen: &mut Vec<String>| key_depth(shapes, v.as_str().unwrap_or(""), seen);
    let depth = match shape["type"].as_str().unwrap_or("string") {
        "structure" => shape["members"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, m)| 1 + child(&m["shape"], seen))
            .max()
            .unwrap_or(0),
        "list" if shape["flattened"].as_bool() == Some(true) => {
            1 + child(&shape["member"]["shape"], seen)
        }
        "list" => 2 + child(&shape["member"]["shape"], seen),
        "map" => 3 + child(&shape["value"]["shape"], seen),
        _ => 0,
    };
    seen.pop();
    depth.min(LIMIT)
}

impl QueryModel {
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        let v: Value = serde_json::from_str(text)?;
        let namespace = v["metadata"]["xmlNamespace"]
            .as_str()
            .ok_or(ModelError::Missing("metadata.xmlNamespace"))?
            .to_string();
        let shapes = v["shapes"]
            .as_object()
            .ok_or(ModelError::Missing("shapes"))?
            .clone();
        let mut operations = BTreeMap::new();
        for (name, op) in v["operations"]
            .as_object()
            .ok_or(ModelError::Missing("operations"))?
        {
            let s = |p: &str| op.pointer(p).and_then(Value::as_str).map(str::to_owned);
            operations.insert(
                name.clone(),
                Operation {
                    name: name.clone(),
                    input: s("/input/shape"),
                    output: s("/output/shape"),
                    result_wrapper: s("/output/resultWrapper"),
                },
            );
        }
        let mut errors = BTreeMap::new();
        for (name, shape) in &shapes {
            if let Some(e) = shape.get("error") {
                let code = e["code"].as_str().unwrap_or(name).to_string();
                let status = e["httpStatusCode"].as_u64().unwrap_or(400) as u16;
                let sender = e["senderFault"].as_bool().unwrap_or(true);
                errors.insert(code, (status, sender));
            }
        }
        let max_key_depth = operations
            .values()
            .filter_map(|op| op.input.as_deref())
            .map(|input| key_depth(&shapes, input, &mut vec![]))
            .max()
            .unwrap_or(0);
        Ok(Self {
            namespace,
            operations,
            shapes,
            errors,
            max_key_depth,
        })
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    pub fn shape(&self, name: &str) -> Option<&Value> {
        self.shapes.get(name)
    }

    /// An error with the status and fault side the model gives its code (400/Sender if unknown).
    pub fn error(&self, code: &str, message: impl Into<String>) -> QueryError {
        let (status, sender) = self.errors.get(code).copied().unwrap_or((400, true));
        QueryError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code: code.to_string(),
            message: message.into(),
            sender,
        }
    }

    /// Form parameters to a JSON value of the operation's input shape, validated
    /// (required members, enums, integer and boolean syntax).
    pub fn decode_input(
        &self,
        op: &Operation,
        params: &[(String, String)],
    ) -> Result<Value, QueryError> {
        let Some(input) = &op.input else {
            return Ok(Value::Object(Map::new()));
        };
        let mut root = Node::default();
        for (k, v) in params {
            if k == "Action" || k == "Version" {
                continue;
            }
            root.insert(k, v.clone(), self.max_key_depth);
        }
        self.decode_shape(input, &root, "")
    }

    fn is_string(&self, shape_name: &str) -> bool {
        self.shapes
            .get(shape_name)
            .is_some_and(|s| s["type"].as_str().unwrap_or("string") == "string")
    }

    fn decode_shape(&self, shape_name: &str, node: &Node, path: &str) -> Result<Value, QueryError> {
        let shape = self
            .shapes
            .get(shape_name)
            .ok_or_else(|| QueryError::invalid_value(format!("unknown shape {shape_name}")))?;
        let ty = shape["type"].as_str().unwrap_or("string");
        match ty {
            "structure" => {
                let mut out = Map::new();
                let required = |name: &str| {
                    shape["required"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|x| x == name))
                };
                for (name, m) in shape["members"].as_object().into_iter().flatten() {
                    let wire = m["locationName"].as_str().unwrap_or(name);
                    if let Some(child) = node.children.get(wire) {
                        let member_shape = m["shape"].as_str().unwrap_or("");
                        // An optional string of the request itself sent empty is "not given":
                        // AWS ignores `EngineVersion=` as IaC tools send it for unset options.
                        // Nested members keep "" (an empty tag value or parameter value is one).
                        if path.is_empty()
                            && !required(name)
                            && child.children.is_empty()
                            && child.value.as_deref() == Some("")
                            && self.is_string(member_shape)
                        {
                            continue;
                        }
                        let p = join(path, name);
                        let v = self.decode_shape(m["shape"].as_str().unwrap_or(""), child, &p)?;
                        out.insert(name.clone(), v);
                    }
                }
                for req in shape["required"].as_array().into_iter().flatten() {
                    let req = req.as_str().unwrap_or("");
                    if !out.contains_key(req) {
                        return Err(QueryError::missing_parameter(&join(path, req)));
                    }
                }
                Ok(Value::Object(out))
            }
            "list" => {
                let member = &shape["member"];
                let item_shape = member["shape"].as_str().unwrap_or("String");
                let items_node = if shape["flattened"].as_bool() == Some(true) {
                    Some(node)
                } else {
                    let member_name = member["locationName"].as_str().unwrap_or("member");
                    node.children.get(member_name)
                };
                let mut items: Vec<(u64, Value)> = Vec::new();
                if let Some(items_node) = items_node {
                    for (idx, child) in &items_node.children {
                        let n: u64 = idx.parse().map_err(|_| {
                            QueryError::bad_request(
                                "MalformedQueryString",
                                format!("List index '{idx}' of parameter {path} is not a number"),
                            )
                        })?;
                        items.push((n, self.decode_shape(item_shape, child, path)?));
                    }
                }
                items.sort_by_key(|(n, _)| *n);
                Ok(Value::Array(items.into_iter().map(|(_, v)| v).collect()))
            }
            "map" => {
                let mut out = Map::new();
                if let Some(entries) = node.children.get("entry") {
                    for child in entries.children.values() {
                        let k = child
                            .children
                            .get("key")
                            .and_then(|n| n.value.clone())
                            .unwrap_or_default();
                        if let Some(vn) = child.children.get("value") {
                            let vs = shape["value"]["shape"].as_str().unwrap_or("String");
                            out.insert(k, self.decode_shape(vs, vn, path)?);
                        }
                    }
                }
                Ok(Value::Object(out))
            }
            _ => {
                let raw = node.value.clone().unwrap_or_default();
                scalar(ty, shape, &raw, path)
            }
        }
    }

    /// The full `<XResponse>` document for `value` (a JSON value of the output shape).
    pub fn encode_output(&self, op: &Operation, value: &Value, request_id: &str) -> String {
        let mut xml = String::with_capacity(1024);
        xml.push_str(&format!(
            "<{}Response xmlns=\"{}\">",
            op.name,
            escape(&self.namespace)
        ));
        if let (Some(out), Some(wrapper)) = (&op.output, &op.result_wrapper) {
            xml.push_str(&format!("<{wrapper}>"));
            self.encode_members(out, value, &mut xml);
            xml.push_str(&format!("</{wrapper}>"));
        }
        xml.push_str(&format!(
            "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{}Response>",
            escape(request_id),
            op.name
        ));
        xml
    }

    fn encode_members(&self, shape_name: &str, value: &Value, xml: &mut String) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        let Some(obj) = value.as_object() else { return };
        for (name, m) in shape["members"].as_object().into_iter().flatten() {
            if let Some(v) = obj.get(name) {
                if v.is_null() {
                    continue;
                }
                let tag = m["locationName"].as_str().unwrap_or(name);
                self.encode_value(m["shape"].as_str().unwrap_or(""), tag, v, xml);
            }
        }
    }

    fn encode_value(&self, shape_name: &str, tag: &str, v: &Value, xml: &mut String) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        match shape["type"].as_str().unwrap_or("string") {
            "structure" => {
                xml.push_str(&format!("<{tag}>"));
                self.encode_members(shape_name, v, xml);
                xml.push_str(&format!("</{tag}>"));
            }
            "list" => {
                let member = &shape["member"];
                let item_shape = member["shape"].as_str().unwrap_or("String");
                let item_tag = member["locationName"].as_str().unwrap_or("member");
                let flattened = shape["flattened"].as_bool() == Some(true);
                if !flattened {
                    xml.push_str(&format!("<{tag}>"));
                }
                for item in v.as_array().into_iter().flatten() {
                    self.encode_value(
                        item_shape,
                        if flattened { tag } else { item_tag },
                        item,
                        xml,
                    );
                }
                if !flattened {
                    xml.push_str(&format!("</{tag}>"));
                }
            }
            "map" => {
                xml.push_str(&format!("<{tag}>"));
                let vs = shape["value"]["shape"].as_str().unwrap_or("String");
                for (k, item) in v.as_object().into_iter().flatten() {
                    xml.push_str(&format!("<entry><key>{}</key>", escape(k)));
                    self.encode_value(vs, "value", item, xml);
                    xml.push_str("</entry>");
                }
                xml.push_str(&format!("</{tag}>"));
            }
            _ => {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                xml.push_str(&format!("<{tag}>{}</{tag}>", escape(&text)));
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn scalar(ty: &str, shape: &Value, raw: &str, path: &str) -> Result<Value, QueryError> {
    let bad = |what: &str| {
        QueryError::invalid_value(format!(
            "Value '{raw}' for parameter {path} is invalid: {what}"
        ))
    };
    match ty {
        "integer" | "long" => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("not an integer")),
        "double" | "float" => raw
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| bad("not a number")),
        "boolean" => match raw.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("not a boolean")),
        },
        "timestamp" => {
            let t = raw.trim();
            if let Ok(secs) = t.parse::<f64>() {
                return Ok(Value::from(secs));
            }
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map(|d| Value::from(d.unix_timestamp()))
                .map_err(|_| bad("not an ISO 8601 timestamp"))
        }
        _ => {
            if let Some(allowed) = shape["enum"].as_array() {
                if !allowed.iter().any(|a| a.as_str() == Some(raw)) {
                    let list: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                    return Err(QueryError::invalid_value(format!(
                        "Invalid value '{raw}' for {path}. Valid values are: {}",
                        list.join(", ")
                    )));
                }
            }
            let len = raw.chars().count() as u64;
            if shape["min"].as_u64().is_some_and(|min| len < min) {
                return Err(QueryError::invalid_value(format!(
                    "The parameter {path} must be at least {} characters long",
                    shape["min"]
                )));
            }
            if shape["max"].as_u64().is_some_and(|max| len > max) {
                return Err(QueryError::invalid_value(format!(
                    "The parameter {path} must be at most {} characters long",
                    shape["max"]
                )));
            }
            Ok(Value::String(raw.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"{
      "metadata": {"xmlNamespace": "urn:test"},
      "operations": {
        "Make": {"name": "Make", "input": {"shape": "MakeIn"},
                 "output": {"shape": "MakeOut", "resultWrapper": "MakeResult"}}
      },
      "shapes": {
        "String": {"type": "string"},
        "Int": {"type": "integer"},
        "Bool": {"type": "boolean"},
        "Mode": {"type": "string", "enum": ["a", "b"]},
        "Names": {"type": "list", "member": {"shape": "String", "locationName": "Name"}},
        "Plain": {"type": "list", "member": {"shape": "String"}},
        "Tag": {"type": "structure", "members": {"Key": {"shape": "String"}, "Value": {"shape": "String"}}},
        "Tags": {"type": "list", "member": {"shape": "Tag", "locationName": "Tag"}},
        "MakeIn": {"type": "structure", "required": ["Id"], "members": {
            "Id": {"shape": "String"}, "Count": {"shape": "Int"}, "On": {"shape": "Bool"},
            "Mode": {"shape": "Mode"}, "Names": {"shape": "Names"}, "Plain": {"shape": "Plain"},
            "Tags": {"shape": "Tags"}}},
        "MakeOut": {"type": "structure", "members": {"Names": {"shape": "Names"}, "Tag": {"shape": "Tag"}, "On": {"shape": "Bool"}}},
        "GoneFault": {"type": "structure", "members": {}, "error": {"code": "Gone", "httpStatusCode": 404, "senderFault": true}, "exception": true}
      }
    }"#;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn decodes_lists_structures_and_scalars() {
        let m = QueryModel::from_json(MODEL).unwrap();
        let op = m.operation("Make").unwrap();
        let v = m
            .decode_input(
                op,
                &pairs(&[
                    ("Action", "Make"),
                    ("Id", "x"),
                    ("Count", "3"),
                    ("On", "true"),
                    ("Names.Name.2", "second"),
                    ("Names.Name.1", "first"),
                    ("Plain.member.1", "p"),
                    ("Tags.Tag.1.Key", "k"),
                    ("Tags.Tag.1.Value", "v"),
                ]),
            )
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"Id": "x", "Count": 3, "On": true, "Names": ["first", "second"],
                "Plain": ["p"], "Tags": [{"Key": "k", "Value": "v"}]})
        );
    }

    #[test]
    fn empty_optional_strings_of_the_request_are_absent() {
        let m = QueryModel::from_json(MODEL).unwrap();
        let op = m.operation("Make").unwrap();
        let v = m
            .decode_input(
                op,
                &pairs(&[
                    ("Id", "x"),
                    ("Mode", ""),
                    ("Tags.Tag.1.Key", "k"),
                    ("Tags.Tag.1.Value", ""),
                ]),
            )
            .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"Id": "x", "Tags": [{"Key": "k", "Value": ""}]})
        );
        // A required member sent empty is still given (the handler judges it).
        let v = m.decode_input(op, &pairs(&[("Id", "")])).unwrap();
        assert_eq!(v, serde_json::json!({"Id": ""}));
        // Empty numbers are still refused.
        let e = m
            .decode_input(op, &pairs(&[("Id", "x"), ("Count", "")]))
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
    }

    #[test]
    fn validation_errors_carry_aws_codes() {
        let m = QueryModel::from_json(MODEL).unwrap();
        let op = m.operation("Make").unwrap();
        let e = m.decode_input(op, &pairs(&[("Count", "1")])).unwrap_err();
        assert_eq!(e.code, "MissingParameter");
        assert!(e.message.contains("Id"));
        let e = m
            .decode_input(op, &pairs(&[("Id", "x"), ("Mode", "c")]))
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        let e = m
            .decode_input(op, &pairs(&[("Id", "x"), ("Count", "many")]))
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert_eq!(m.error("Gone", "m").status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_key_of_a_million_dots_is_read_no_deeper_than_the_model() {
        let m = QueryModel::from_json(MODEL).unwrap();
        // MakeIn.Tags.Tag.N.Key is the deepest member.
        assert_eq!(m.max_key_depth, 4);
        let op = m.operation("Make").unwrap();
        // Fuzz finding: this key once nested the form tree a million deep, and dropping it
        // overflowed the stack (an abort of the whole emulator).
        let deep = format!("Id{}", ".a".repeat(1_000_000));
        let v = m
            .decode_input(op, &pairs(&[("Id", "x"), (&deep, "y")]))
            .unwrap();
        assert_eq!(v, serde_json::json!({"Id": "x"}));
        // Segments within the model's depth are still read: a bad list index still fails.
        let deep = format!("Tags.Tag.x{}", ".a".repeat(1_000_000));
        let e = m
            .decode_input(op, &pairs(&[("Id", "x"), (&deep, "y")]))
            .unwrap_err();
        assert_eq!(e.code, "MalformedQueryString");
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        // Fuzz finding: an error message echoed `\0` raw, which no XML parser accepts.
        let m = QueryModel::from_json(MODEL).unwrap();
        let op = m.operation("Make").unwrap();
        let e = m
            .decode_input(op, &pairs(&[("Id", "x"), ("Count", "\0\u{1}\u{fffe}")]))
            .unwrap_err();
        let xml = e.to_xml("rid");
        assert!(
            xml.contains("Value &apos;\u{fffd}\u{fffd}\u{fffd}&apos; for parameter Count"),
            "{xml}"
        );
        assert_eq!(escape("a\tb\nc\r\u{7f}\u{fffd}"), "a\tb\nc\r\u{7f}\u{fffd}");
    }

    #[test]
    fn encodes_by_output_shape() {
        let m = QueryModel::from_json(MODEL).unwrap();
        let op = m.operation("Make").unwrap();
        let xml = m.encode_output(
            op,
            &serde_json::json!({"Names": ["a<b"], "Tag": {"Key": "k"}, "On": false, "Extra": 1}),
            "rid",
        );
        assert_eq!(
            xml,
            "<MakeResponse xmlns=\"urn:test\"><MakeResult><Names><Name>a&lt;b</Name></Names><Tag><Key>k</Key></Tag><On>false</On></MakeResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></MakeResponse>"
        );
    }
}
