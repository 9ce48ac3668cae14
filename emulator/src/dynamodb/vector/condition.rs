//! SearchConditionExpression: parsed as the reference's syntax section describes
//! (`name operator :value` with `BETWEEN`, `IN`, `AND`, `OR`, `NOT` and parentheses over
//! top-level SearchSchema attributes), checked against the index, evaluated on indexed items.
//! The texts of its refusals are in `condition_errors`.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::condition_errors as err;
use super::reserved::is_reserved;
use super::store::IndexDef;
use super::tokens::{tokenize, word_end, Kind, Tok};
use crate::protocol::json::JsonError;

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

/// The longest expression DynamoDB takes, in bytes (Developer Guide, "Expression parameters":
/// "The maximum length of any expression string is 4 KB").
const MAX_EXPRESSION: usize = 4096;
/// How deep parentheses and NOTs may nest: far beyond any real filter, well within the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Tok>,
    pos: usize,
    /// Parentheses and NOTs open around the current position.
    depth: usize,
    names: &'a Map<String, Value>,
    values: &'a Map<String, Value>,
    /// Placeholders the expression used, for the unused-key checks.
    used: Vec<String>,
}

impl Parser<'_> {
    fn text(&self, t: Tok) -> &str {
        &self.src[t.start..t.end]
    }
    fn is_kw(&self, t: Tok) -> bool {
        t.kind == Kind::Name
            && ["AND", "OR", "NOT", "BETWEEN", "IN"]
                .iter()
                .any(|k| self.text(t).eq_ignore_ascii_case(k))
    }
    fn peek_kw(&self, kw: &str) -> bool {
        self.toks
            .get(self.pos)
            .is_some_and(|&t| t.kind == Kind::Name && self.text(t).eq_ignore_ascii_case(kw))
    }
    fn peek(&self, kind: Kind) -> bool {
        self.toks.get(self.pos).is_some_and(|t| t.kind == kind)
    }
    /// DynamoDB's syntax error at the current token.
    fn syntax(&self) -> JsonError {
        match self.toks.get(self.pos) {
            Some(&t) => {
                let from = self
                    .pos
                    .checked_sub(1)
                    .map_or(t.start, |p| self.toks[p].start);
                err::syntax(self.text(t), &self.src[from..t.end])
            }
            None => err::syntax("<EOF>", self.toks.last().map_or("", |&t| self.text(t))),
        }
    }
    fn expect(&mut self, kind: Kind) -> Result<(), JsonError> {
        if !self.peek(kind) {
            return Err(self.syntax());
        }
        self.pos += 1;
        Ok(())
    }
    /// `operand (kw operand)*`, left-associative.
    fn chain(
        &mut self,
        kw: &str,
        operand: fn(&mut Self) -> Result<Cond, JsonError>,
        join: fn(Box<Cond>, Box<Cond>) -> Cond,
    ) -> Result<Cond, JsonError> {
        let mut c = operand(self)?;
        while self.peek_kw(kw) {
            self.pos += 1;
            c = join(Box::new(c), Box::new(operand(self)?));
        }
        Ok(c)
    }
    fn or(&mut self) -> Result<Cond, JsonError> {
        self.chain("OR", Self::and, Cond::Or)
    }
    fn and(&mut self) -> Result<Cond, JsonError> {
        self.chain("AND", Self::not, Cond::And)
    }
    fn not(&mut self) -> Result<Cond, JsonError> {
        let nested = self.peek_kw("NOT") || self.peek(Kind::Open);
        if !nested {
            return self.comparison();
        }
        if self.depth >= MAX_DEPTH {
            return Err(err::too_deep(MAX_DEPTH));
        }
        self.depth += 1;
        self.pos += 1;
        let c = if self.toks[self.pos - 1].kind == Kind::Open {
            let c = self.or()?;
            self.expect(Kind::Close)?;
            c
        } else {
            Cond::Not(Box::new(self.not()?))
        };
        self.depth -= 1;
        Ok(c)
    }
    /// The attribute a condition names: literal (not a reserved word) or an alias.
    fn name(&mut self) -> Result<String, JsonError> {
        let t = match self.toks.get(self.pos) {
            Some(&t) if matches!(t.kind, Kind::Name | Kind::Path) && !self.is_kw(t) => t,
            _ => return Err(self.syntax()),
        };
        self.pos += 1;
        let text = self.text(t).to_owned();
        if t.kind == Kind::Path {
            return Err(err::nested(&text));
        }
        if !text.starts_with('#') {
            if is_reserved(&text) {
                return Err(err::reserved(&text));
            }
            return Ok(text);
        }
        let name = self.names.get(&text).and_then(Value::as_str);
        let name = name.ok_or_else(|| err::undefined_name(&text))?.to_owned();
        self.used.push(text);
        Ok(name)
    }
    fn value(&mut self) -> Result<Value, JsonError> {
        if !self.peek(Kind::Value) {
            return Err(self.syntax());
        }
        let text = self.text(self.toks[self.pos]).to_owned();
        self.pos += 1;
        let v = self.values.get(&text).cloned();
        let v = v.ok_or_else(|| err::undefined_value(&text))?;
        self.used.push(text);
        Ok(v)
    }
    fn comparison(&mut self) -> Result<Cond, JsonError> {
        let name = self.name()?;
        if self.peek_kw("BETWEEN") {
            self.pos += 1;
            let lo = self.value()?;
            if !self.peek_kw("AND") {
                return Err(self.syntax());
            }
            self.pos += 1;
            return Ok(Cond::Between(name, lo, self.value()?));
        }
        if self.peek_kw("IN") {
            self.pos += 1;
            self.expect(Kind::Open)?;
            let mut list = vec![self.value()?];
            while self.peek(Kind::Comma) {
                self.pos += 1;
                list.push(self.value()?);
            }
            self.expect(Kind::Close)?;
            return Ok(Cond::In(name, list));
        }
        if self.peek(Kind::Op) {
            let op = self.text(self.toks[self.pos]).to_owned();
            self.pos += 1;
            return Ok(Cond::Cmp(name, op, self.value()?));
        }
        // A function call (`name(...)`) is no comparison the reference lets us verify.
        if self.peek(Kind::Open) {
            return Err(err::comparator());
        }
        Err(self.syntax())
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

/// True when a comparison other than `=` appears anywhere: AWS refuses `<`, `<=`, `>`, `>=` and
/// `<>` on HASH and INLINE_FILTER attributes alike (as recorded:
/// paritysuite/dynamodb-conformance, `tests/tier3/error-messages/searchVectors.test.ts`).
fn relational(c: &Cond) -> bool {
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => relational(a) || relational(b),
        Cond::Not(a) => relational(a),
        Cond::Cmp(_, op, _) => op != "=",
        Cond::Between(..) | Cond::In(..) => false,
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

/// `#name` placeholders of a ProjectionExpression (they count as used names).
fn projection_aliases(expr: &str) -> Vec<&str> {
    let b = expr.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'#')
        .map(|i| &expr[i..word_end(b, i + 1)])
        .collect()
}

/// Names and values the request supplies but no expression uses, DynamoDB's way.
fn unused(input: &Value, used: &[String]) -> Result<(), JsonError> {
    let projection = input["ProjectionExpression"].as_str().unwrap_or("");
    let aliases = projection_aliases(projection);
    for member in ["ExpressionAttributeNames", "ExpressionAttributeValues"] {
        let keys: Vec<&str> = input[member]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .map(String::as_str)
            .filter(|k| !used.iter().any(|u| u == k) && !aliases.contains(k))
            .collect();
        if !keys.is_empty() {
            return Err(err::unused(member, &keys));
        }
    }
    Ok(())
}

/// The request's SearchConditionExpression parsed and checked against the index (none when
/// absent and the index has no HASH attribute). In order: the name and value maps, the
/// expression's syntax left to right (reserved words, nested paths, undefined placeholders
/// where they occur), unused placeholders, attributes outside the SearchSchema, the HASH pin
/// and the comparators.
pub fn condition(input: &Value, def: &IndexDef) -> Result<Option<Cond>, JsonError> {
    let empty = Map::new();
    let map = |m: &str| input[m].as_object();
    for m in ["ExpressionAttributeNames", "ExpressionAttributeValues"] {
        if map(m).is_some_and(Map::is_empty) {
            return Err(err::empty_map(m));
        }
    }
    let Some(expr) = input["SearchConditionExpression"].as_str() else {
        if def.hash.is_some() {
            return Err(err::missing_for_hash());
        }
        if map("ExpressionAttributeValues").is_some() {
            return Err(err::without_expression("ExpressionAttributeValues"));
        }
        if map("ExpressionAttributeNames").is_some() && input["ProjectionExpression"].is_null() {
            return Err(err::without_expression("ExpressionAttributeNames"));
        }
        return unused(input, &[]).map(|()| None);
    };
    if expr.len() > MAX_EXPRESSION {
        return Err(err::too_large(expr.len()));
    }
    let toks = tokenize(expr)?;
    if toks.is_empty() {
        return Err(err::empty());
    }
    let mut p = Parser {
        src: expr,
        toks,
        pos: 0,
        depth: 0,
        names: map("ExpressionAttributeNames").unwrap_or(&empty),
        values: map("ExpressionAttributeValues").unwrap_or(&empty),
        used: vec![],
    };
    let c = p.or()?;
    if p.pos < p.toks.len() {
        return Err(p.syntax());
    }
    unused(input, &p.used)?;
    let mut attrs = vec![];
    attr_names(&c, &mut attrs);
    if let Some(a) = attrs.iter().find(|a| !def.schema.contains(a)) {
        return Err(err::not_in_schema(a));
    }
    match &def.hash {
        Some(h) if !pins_hash(&c, h) => Err(err::comparator()),
        _ if relational(&c) => Err(err::comparator()),
        _ => Ok(Some(c)),
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

/// Whether an item's attributes satisfy the condition, with the semantics of DynamoDB's
/// filter expressions: a missing attribute (or one of another type) satisfies only `<>`.
pub fn holds(c: &Cond, item: &Value) -> bool {
    match c {
        Cond::And(a, b) => holds(a, item) && holds(b, item),
        Cond::Or(a, b) => holds(a, item) || holds(b, item),
        Cond::Not(a) => !holds(a, item),
        Cond::Cmp(n, op, v) => {
            let Some(o) = item.get(n).and_then(|x| compare(x, v)) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> IndexDef {
        IndexDef::of(
            &json!({"IndexName": "emb", "VectorAttribute": {"AttributeName": "v"},
            "Dimensions": 2, "DistanceFunction": "COSINE",
            "SearchSchema": [
                {"AttributeName": "cat", "SearchSchemaElementType": "HASH"},
                {"AttributeName": "price", "SearchSchemaElementType": "INLINE_FILTER"}]}),
        )
    }

    fn parse(expr: &str, values: Value) -> Result<Option<Cond>, String> {
        let input = json!({"SearchConditionExpression": expr, "ExpressionAttributeValues": values});
        condition(&input, &def()).map_err(|e| e.message)
    }

    fn cond(expr: &str, values: Value) -> Cond {
        parse(expr, values).unwrap().unwrap()
    }

    /// Bad input gets a refusal, never a stack overflow: the size limit first, then nesting.
    #[test]
    fn long_and_deep_expressions_are_refused_not_overflowed() {
        let v = json!({":c": {"S": "a"}});
        let deep = |n: usize| format!("{}cat = :c{}", "(".repeat(n), ")".repeat(n));
        let err = parse(&deep(3000), v.clone()).unwrap_err();
        assert!(err.contains("expression size: 6008"), "{err}");
        let err = parse(&deep(MAX_DEPTH + 1), v.clone()).unwrap_err();
        assert!(err.contains("more than 64 levels"), "{err}");
        let err = parse(&format!("{}cat = :c", "NOT ".repeat(1000)), v.clone()).unwrap_err();
        assert!(err.contains("more than 64 levels"), "{err}");
        assert!(parse(&deep(MAX_DEPTH), v.clone()).unwrap().is_some());
        let exact = format!("cat = :c{}", " ".repeat(MAX_EXPRESSION - 8));
        assert!(parse(&exact, v).unwrap().is_some());
    }

    #[test]
    fn conditions_compare_numbers_strings_and_combine() {
        let v = json!({":c": {"S": "a"}, ":lo": {"N": "5"}, ":hi": {"N": "9.5"}, ":top": {"N": "10.0"}, ":x": {"S": "b"}});
        let priced = json!({"cat": {"S": "a"}, "price": {"N": "10"}});
        let missing = json!({"cat": {"S": "a"}});
        for (e, item, want) in [
            ("cat = :c AND price BETWEEN :lo AND :hi", &priced, false),
            ("cat = :c AND price BETWEEN :lo AND :top", &priced, true),
            ("cat = :c AND price = :top", &priced, true),
            ("cat = :c AND cat IN (:x, :c)", &priced, true),
            (
                "cat = :c AND (NOT (price = :top) OR cat = :x)",
                &priced,
                false,
            ),
            (
                "cat = :c AND (NOT (price = :lo) OR cat = :x)",
                &priced,
                true,
            ),
            ("cat = :c AND price = :lo", &missing, false),
            ("cat = :c AND NOT price = :lo", &missing, true),
        ] {
            let used = v
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| e.contains(k.as_str()));
            let c = cond(
                e,
                Value::Object(used.map(|(k, x)| (k.clone(), x.clone())).collect()),
            );
            assert_eq!(holds(&c, item), want, "{e} on {item}");
        }
    }

    #[test]
    fn the_partition_key_must_be_a_top_level_equality() {
        let v = json!({":c": {"S": "a"}, ":p": {"N": "1"}});
        assert!(parse("price = :p and cat = :c", v.clone()).is_ok());
        // Only `=` compares, on the HASH attribute and on INLINE_FILTER ones alike (AWS as
        // recorded: paritysuite/dynamodb-conformance, searchVectors.test.ts).
        for e in [
            "price = :p or cat = :c",
            "cat <> :c AND price = :p",
            "NOT (cat = :c) AND price = :p",
            "cat < :c AND price = :p",
            "cat = :c AND price > :p",
            "cat = :c AND price <= :p",
        ] {
            let m = parse(e, v.clone()).unwrap_err();
            assert!(
                m.ends_with("Invalid comparator used in SearchConditionExpression"),
                "{e}: {m}"
            );
        }
    }

    #[test]
    fn paths_below_the_top_level_and_syntax_errors_are_named() {
        let v = json!({":c": {"S": "a"}});
        let m = parse("cat.x[2] = :c", v.clone()).unwrap_err();
        assert!(m.ends_with("document path: cat.x[2]"), "{m}");
        let m = parse("cat = :c AND", v.clone()).unwrap_err();
        assert!(
            m.ends_with("Syntax error; token: \"<EOF>\", near: \"AND\""),
            "{m}"
        );
        let m = parse("cat = :c ; x", v).unwrap_err();
        assert!(
            m.ends_with("Syntax error; token: \";\", near: \":c ;\""),
            "{m}"
        );
    }
}
