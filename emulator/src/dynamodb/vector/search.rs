//! SearchVectors as an exact (brute-force) search over the proxy's vector index (see
//! `store`): every indexed vector is scored in float32, as AWS stores embeddings,
//! filtered by the SearchConditionExpression and cut to TopK; the hits are then read back.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use std::sync::Arc;

use super::store::{IndexDef, Shared, VectorStore};
use crate::dynamodb::backend::scan::scan_pages;
use crate::dynamodb::backend::Backend;
use crate::dynamodb::state::{TableKey, TableMeta};
use crate::dynamodb::wire::validation;
use crate::protocol::json::JsonError;

pub const MAX_TOP_K: i64 = 100;

/// The query vector, element by element, with the offending position named.
pub fn query_vector(v: &Value, dims: usize, index: &str) -> Result<Vec<f32>, JsonError> {
    let list = v.as_array().cloned().unwrap_or_default();
    if list.len() != dims {
        return Err(validation(format!(
            "SearchVector has {} dimensions, but vector index {index} expects {dims}",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, e)| {
            e.get("N")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<f32>().ok())
                .filter(|f| f.is_finite())
                .ok_or_else(|| {
                    validation(format!(
                        "SearchVector element {i} must be a Number (N) that fits a 32-bit float"
                    ))
                })
        })
        .collect()
}

// ---- SearchConditionExpression ----

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Value(String),
    Op(String),
    Open,
    Close,
    Comma,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, JsonError> {
    let mut out = vec![];
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => out.push(Tok::Open),
            ')' => out.push(Tok::Close),
            ',' => out.push(Tok::Comma),
            '=' => out.push(Tok::Op("=".into())),
            '<' | '>' => {
                let two = s.get(i..i + 2).unwrap_or("");
                if two == "<=" || two == ">=" || two == "<>" {
                    out.push(Tok::Op(two.into()));
                    i += 1;
                } else {
                    out.push(Tok::Op(c.to_string()));
                }
            }
            _ if c == ':' || c == '#' || c.is_ascii_alphanumeric() || c == '_' => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-')) {
                    i += 1;
                }
                let w = &s[start..i];
                out.push(if c == ':' {
                    Tok::Value(w.into())
                } else {
                    Tok::Name(w.into())
                });
                continue;
            }
            _ => {
                return Err(invalid_expression(&format!(
                    "Syntax error; token: \"{c}\", near: \"{s}\""
                )))
            }
        }
        i += 1;
    }
    Ok(out)
}

fn invalid_expression(detail: &str) -> JsonError {
    validation(format!("Invalid SearchConditionExpression: {detail}"))
}

/// A parsed condition; attribute names resolved, values looked up.
#[derive(Debug, Clone)]
pub enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Cmp(String, String, Value),
    Between(String, Value, Value),
    In(String, Vec<Value>),
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a Map<String, Value>,
    values: &'a Map<String, Value>,
}

impl Parser<'_> {
    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Name(n)) if n.eq_ignore_ascii_case(kw))
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Cond, JsonError> {
        let mut c = self.and()?;
        while self.peek_kw("OR") {
            self.pos += 1;
            c = Cond::Or(Box::new(c), Box::new(self.and()?));
        }
        Ok(c)
    }
    fn and(&mut self) -> Result<Cond, JsonError> {
        let mut c = self.not()?;
        while self.peek_kw("AND") {
            self.pos += 1;
            c = Cond::And(Box::new(c), Box::new(self.not()?));
        }
        Ok(c)
    }
    fn not(&mut self) -> Result<Cond, JsonError> {
        if self.peek_kw("NOT") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        if self.toks.get(self.pos) == Some(&Tok::Open) {
            self.pos += 1;
            let c = self.or()?;
            if self.next() != Some(Tok::Close) {
                return Err(invalid_expression("Syntax error; unbalanced parentheses"));
            }
            return Ok(c);
        }
        self.comparison()
    }
    fn name(&mut self) -> Result<String, JsonError> {
        match self.next() {
            Some(Tok::Name(n)) if n.starts_with('#') => self
                .names
                .get(&n)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    validation(format!(
                        "Value provided in ExpressionAttributeNames unused in expressions: An expression attribute name used in the document path is not defined; attribute name: {n}"
                    ))
                }),
            Some(Tok::Name(n)) => Ok(n),
            t => Err(invalid_expression(&format!(
                "Syntax error; expected an attribute name, found {t:?}"
            ))),
        }
    }
    fn value(&mut self) -> Result<Value, JsonError> {
        match self.next() {
            Some(Tok::Value(v)) => self.values.get(&v).cloned().ok_or_else(|| {
                validation(format!(
                    "An expression attribute value used in expression is not defined; attribute value: {v}"
                ))
            }),
            t => Err(invalid_expression(&format!(
                "Syntax error; expected an expression attribute value, found {t:?}"
            ))),
        }
    }
    fn comparison(&mut self) -> Result<Cond, JsonError> {
        let name = self.name()?;
        if self.peek_kw("BETWEEN") {
            self.pos += 1;
            let lo = self.value()?;
            if !self.peek_kw("AND") {
                return Err(invalid_expression("Syntax error; BETWEEN needs AND"));
            }
            self.pos += 1;
            let hi = self.value()?;
            return Ok(Cond::Between(name, lo, hi));
        }
        if self.peek_kw("IN") {
            self.pos += 1;
            if self.next() != Some(Tok::Open) {
                return Err(invalid_expression("Syntax error; IN needs a list"));
            }
            let mut list = vec![self.value()?];
            loop {
                match self.next() {
                    Some(Tok::Comma) => list.push(self.value()?),
                    Some(Tok::Close) => break,
                    _ => return Err(invalid_expression("Syntax error; unterminated IN list")),
                }
            }
            return Ok(Cond::In(name, list));
        }
        match self.next() {
            Some(Tok::Op(op)) => Ok(Cond::Cmp(name, op, self.value()?)),
            _ => Err(validation(
                "Invalid comparator used in SearchConditionExpression",
            )),
        }
    }
}

fn attr_names(c: &Cond, out: &mut Vec<String>) {
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            attr_names(a, out);
            attr_names(b, out);
        }
        Cond::Not(a) => attr_names(a, out),
        Cond::Cmp(n, ..) | Cond::Between(n, ..) | Cond::In(n, _) => out.push(n.clone()),
    }
}

/// True when `hash = :v` is one of the top-level conjuncts.
fn pins_hash(c: &Cond, hash: &str) -> bool {
    match c {
        Cond::And(a, b) => pins_hash(a, hash) || pins_hash(b, hash),
        Cond::Cmp(n, op, _) => n == hash && op == "=",
        _ => false,
    }
}

/// Orders two attribute values of the same scalar type; None when they cannot be compared.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.get("N"), b.get("N")) {
        let x: f64 = x.as_str()?.parse().ok()?;
        let y: f64 = y.as_str()?.parse().ok()?;
        return x.partial_cmp(&y);
    }
    for t in ["S", "B"] {
        if let (Some(x), Some(y)) = (a.get(t), b.get(t)) {
            return Some(x.as_str()?.cmp(y.as_str()?));
        }
    }
    if let (Some(x), Some(y)) = (a.get("BOOL"), b.get("BOOL")) {
        return (x == y).then_some(Ordering::Equal);
    }
    None
}

pub fn holds(c: &Cond, item: &Value) -> bool {
    match c {
        Cond::And(a, b) => holds(a, item) && holds(b, item),
        Cond::Or(a, b) => holds(a, item) || holds(b, item),
        Cond::Not(a) => !holds(a, item),
        Cond::Cmp(n, op, v) => {
            let Some(o) = item.get(n).and_then(|x| compare(x, v)) else {
                // A missing attribute or another type: only `<>` holds.
                return op == "<>" && item.get(n) != Some(v);
            };
            match op.as_str() {
                "=" => o == Ordering::Equal,
                "<>" => o != Ordering::Equal,
                "<" => o == Ordering::Less,
                "<=" => o != Ordering::Greater,
                ">" => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }
        }
        Cond::Between(n, lo, hi) => item.get(n).is_some_and(|x| {
            compare(x, lo).is_some_and(|o| o != Ordering::Less)
                && compare(x, hi).is_some_and(|o| o != Ordering::Greater)
        }),
        Cond::In(n, list) => item
            .get(n)
            .is_some_and(|x| list.iter().any(|v| compare(x, v) == Some(Ordering::Equal))),
    }
}

/// The attributes an index projects (None: all of them).
pub fn projected(index: &Value, keys: &[String]) -> Option<Vec<String>> {
    let p = &index["Projection"];
    if p["ProjectionType"] == "ALL" {
        return None;
    }
    let mut out: Vec<String> = keys.to_vec();
    for e in index["SearchSchema"].as_array().into_iter().flatten() {
        if let Some(a) = e["AttributeName"].as_str() {
            out.push(a.into());
        }
    }
    for a in p["NonKeyAttributes"].as_array().into_iter().flatten() {
        if let Some(a) = a.as_str() {
            out.push(a.into());
        }
    }
    Some(out)
}

/// Top-level attribute names a ProjectionExpression asks for.
pub fn projection_names(expr: &str, names: &Map<String, Value>) -> Result<Vec<String>, JsonError> {
    expr.split(',')
        .map(|p| {
            let top = p.trim().split(['.', '[']).next().unwrap_or("").trim();
            if top.is_empty() {
                return Err(validation(
                    "Invalid ProjectionExpression: Syntax error; token: <EOF>",
                ));
            }
            if top.starts_with('#') {
                return names.get(top).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
                    validation(format!(
                        "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: {top}"
                    ))
                });
            }
            Ok(top.to_string())
        })
        .collect()
}

/// The SearchConditionExpression parsed and checked against the index's search schema (none
/// when absent and the schema has no HASH attribute).
pub fn condition(
    input: &Value,
    names: &Map<String, Value>,
    values: &Map<String, Value>,
    def: &IndexDef,
    index_name: &str,
) -> Result<Option<Cond>, JsonError> {
    let (schema, hash) = (&def.schema, &def.hash);
    match input["SearchConditionExpression"].as_str() {
        Some(expr) => {
            let toks = tokenize(expr)?;
            if toks.is_empty() {
                return Err(invalid_expression("The expression can not be empty;"));
            }
            let mut p = Parser {
                toks,
                pos: 0,
                names,
                values,
            };
            let c = p.or()?;
            if p.pos < p.toks.len() {
                return Err(invalid_expression(
                    "Syntax error; unexpected trailing tokens",
                ));
            }
            let mut used = vec![];
            attr_names(&c, &mut used);
            if let Some(a) = used.iter().find(|a| !schema.contains(a)) {
                return Err(invalid_expression(&format!(
                    "attribute {a} is not in the SearchSchema of vector index {index_name}"
                )));
            }
            if let Some(h) = hash {
                if !pins_hash(&c, h) {
                    return Err(validation(
                        "Invalid comparator used in SearchConditionExpression",
                    ));
                }
            }
            Ok(Some(c))
        }
        None if hash.is_some() => Err(validation(
            "SearchConditionExpression must be provided when SearchSchema has a HASH key",
        )),
        None => Ok(None),
    }
}

/// The table's vector indexes; an index not yet filled from the table's items starts its
/// backfill in the background (searching it fails until it is done, as on AWS).
pub fn table(
    backend: &Arc<Backend>,
    vectors: &Arc<VectorStore>,
    key: &TableKey,
    meta: &TableMeta,
) -> Option<Shared> {
    if vectors.sync(key, &meta.key_schema, &meta.vector_indexes) && vectors.begin_fill(key, false) {
        let (backend, vectors, key) = (backend.clone(), vectors.clone(), key.clone());
        tokio::spawn(async move { run_fill(&backend, &vectors, &key).await });
    }
    vectors.get(key)
}

/// Runs a fill `begin_fill` started: the table's scan, a page at a time, into its indexes.
pub async fn run_fill(backend: &Backend, vectors: &VectorStore, key: &TableKey) {
    let pages = scan_pages(backend, &key.account, &key.region, &key.name, |page| {
        vectors.fill_page(key, &page)
    });
    match pages.await {
        Ok(()) => vectors.finish_fill(key),
        Err(e) => {
            tracing::warn!(table = %key.name, "vector index fill failed: {}", e.message);
            vectors.abort_fill(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(expr: &str, values: Value) -> Cond {
        let names = Map::new();
        let values = values.as_object().unwrap().clone();
        let mut p = Parser {
            toks: tokenize(expr).unwrap(),
            pos: 0,
            names: &names,
            values: &values,
        };
        p.or().unwrap()
    }

    #[test]
    fn conditions_compare_numbers_strings_and_combine() {
        let item = json!({"cat": {"S": "a"}, "price": {"N": "10"}});
        let v = json!({":c": {"S": "a"}, ":lo": {"N": "5"}, ":hi": {"N": "9.5"}, ":x": {"S": "b"}});
        assert!(holds(&cond("cat = :c AND price > :lo", v.clone()), &item));
        assert!(!holds(
            &cond("cat = :c AND price BETWEEN :lo AND :hi", v.clone()),
            &item
        ));
        assert!(holds(&cond("cat IN (:x, :c)", v.clone()), &item));
        assert!(holds(
            &cond("NOT (price <= :hi) OR cat = :x", v.clone()),
            &item
        ));
        assert!(!holds(&cond("missing = :c", v.clone()), &item));
        assert!(pins_hash(
            &cond("price > :lo and cat = :c", v.clone()),
            "cat"
        ));
        assert!(!pins_hash(&cond("price > :lo or cat = :c", v), "cat"));
    }
}
