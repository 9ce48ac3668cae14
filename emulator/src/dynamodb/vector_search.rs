//! SearchVectors as an exact (brute-force) search over the proxy's vector index (see
//! `vector_store`): every indexed vector is scored in float32, as AWS stores embeddings,
//! filtered by the SearchConditionExpression and cut to TopK; the hits are then read back.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::backend::Backend;
use super::backups::scan_pages;
use super::state::TableKey;
use super::vector_store::{item_id, IndexDef, Shared, VectorStore, Write};
use super::{ddb_err, table_name, validation, DynamoDb, OpResult};
use crate::context::RequestContext;
use crate::protocol::json::JsonError;

const MAX_TOP_K: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    Cosine,
    Euclidean,
    DotProduct,
}

impl Distance {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "COSINE" => Some(Self::Cosine),
            "EUCLIDEAN" => Some(Self::Euclidean),
            "DOT_PRODUCT" => Some(Self::DotProduct),
            _ => None,
        }
    }

    /// COSINE: 1 - cosine similarity (0 identical .. 2 opposite); EUCLIDEAN: the distance;
    /// DOT_PRODUCT: the dot product. None for a zero vector under COSINE (no direction).
    #[cfg(test)]
    pub fn score(self, a: &[f32], b: &[f32]) -> Option<f32> {
        self.score_with_norms(a, dot(a, a).sqrt(), b, dot(b, b).sqrt())
    }

    /// `score` with both vectors' lengths known (an index keeps them with its vectors).
    pub fn score_with_norms(self, a: &[f32], na: f32, b: &[f32], nb: f32) -> Option<f32> {
        match self {
            Self::DotProduct => Some(dot(a, b)),
            Self::Euclidean => Some(squared_distance(a, b).sqrt()),
            Self::Cosine => {
                if na == 0.0 || nb == 0.0 {
                    return None;
                }
                Some(1.0 - dot(a, b) / (na * nb))
            }
        }
    }

    /// Better scores first: the smallest for COSINE and EUCLIDEAN, the largest for DOT_PRODUCT.
    pub fn order(self, a: f32, b: f32) -> Ordering {
        match self {
            Self::DotProduct => b.total_cmp(&a),
            _ => a.total_cmp(&b),
        }
    }
}

/// Sums `f` over the pairs of `a` and `b` in eight lanes (which the compiler turns into
/// SIMD), then the lanes and the tail: float32 throughout, as AWS computes scores.
fn lanes(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += f(x[i], y[i]);
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        sum += f(*x, *y);
    }
    sum
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    lanes(a, b, |x, y| x * y)
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    lanes(a, b, |x, y| (x - y) * (x - y))
}

/// A stored vector: a list (`L`) of exactly `dims` numbers (`N`), each a finite float32.
pub fn parse_vector(v: &Value, dims: usize) -> Option<Vec<f32>> {
    let list = v.get("L")?.as_array()?;
    if list.len() != dims {
        return None;
    }
    list.iter()
        .map(|e| {
            e.get("N")?
                .as_str()?
                .parse::<f32>()
                .ok()
                .filter(|f| f.is_finite())
        })
        .collect()
}

/// The query vector, element by element, with the offending position named.
fn query_vector(v: &Value, dims: usize, index: &str) -> Result<Vec<f32>, JsonError> {
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
enum Cond {
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

fn holds(c: &Cond, item: &Value) -> bool {
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
fn projected(index: &Value, keys: &[String]) -> Option<Vec<String>> {
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
fn projection_names(expr: &str, names: &Map<String, Value>) -> Result<Vec<String>, JsonError> {
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

impl DynamoDb {
    pub(super) async fn search_vectors(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = table_name(&input["TableName"]).unwrap_or_default();
        let key = TableKey::new(&ctx.account, &ctx.region, &name);
        let meta = match self.meta(&key) {
            Some(m) => m,
            None => {
                // Our record may be missing for a table created behind our back.
                self.describe_raw(&ctx.account, &ctx.region, &name)
                    .await
                    .map_err(|_| {
                        ddb_err("ResourceNotFoundException", "Requested resource not found")
                    })?;
                self.meta(&key).unwrap_or_default()
            }
        };
        let top_k = input["TopK"].as_i64().unwrap_or(0);
        if !(1..=MAX_TOP_K).contains(&top_k) {
            return Err(validation("Provided TopK value is out of valid range"));
        }
        let index_name = input["IndexName"].as_str().unwrap_or_default();
        let index = meta
            .vector_indexes
            .iter()
            .find(|i| i["IndexName"] == index_name)
            .cloned()
            .ok_or_else(|| {
                validation(format!(
                    "The table does not have the specified index: {index_name}"
                ))
            })?;
        let def = IndexDef::of(&index);
        let (dims, distance) = (def.dims, def.distance);
        let query = query_vector(&input["SearchVector"], dims, index_name)?;
        if distance == Distance::Cosine && query.iter().all(|x| *x == 0.0) {
            return Err(validation(
                "SearchVector must not be a zero vector for the COSINE distance function",
            ));
        }
        let empty = Map::new();
        let names = input["ExpressionAttributeNames"]
            .as_object()
            .unwrap_or(&empty);
        let values = input["ExpressionAttributeValues"]
            .as_object()
            .unwrap_or(&empty);
        let (schema, hash) = (&def.schema, &def.hash);
        let cond =
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
                    Some(c)
                }
                None if hash.is_some() => return Err(validation(
                    "SearchConditionExpression must be provided when SearchSchema has a HASH key",
                )),
                None => None,
            };
        let keys: Vec<String> = meta
            .key_schema
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["AttributeName"].as_str().map(str::to_owned))
            .collect();
        let allowed = projected(&index, &keys);
        let wanted = match input["ProjectionExpression"].as_str() {
            Some(p) => {
                let w = projection_names(p, names)?;
                if let Some(allowed) = &allowed {
                    if let Some(a) = w.iter().find(|a| !allowed.contains(a)) {
                        return Err(validation(format!(
                            "ProjectionExpression names {a}, which vector index {index_name} does not project"
                        )));
                    }
                }
                Some(w)
            }
            None => allowed,
        };
        let table = self.vector_table(&key).await.ok_or_else(|| {
            validation(format!(
                "The table does not have the specified index: {index_name}"
            ))
        })?;
        let keep = |attrs: &Value| cond.as_ref().is_none_or(|c| holds(c, attrs));
        let ks = &meta.key_schema;
        // The hits are read back from the table: an item gone or changed behind the index's
        // back (a TTL deletion) is repaired and the search runs again.
        let mut rounds = 0;
        let (top, items) = loop {
            let top = {
                let t = table.read().unwrap();
                let Some(ix) = t.index(index_name) else {
                    return Err(validation(format!(
                        "The table does not have the specified index: {index_name}"
                    )));
                };
                if !ix.built {
                    return Err(validation(format!(
                        "Cannot search backfilling vector index: {index_name}"
                    )));
                }
                ix.top(&query, top_k as usize, &keep)
            };
            let keys: Vec<Value> = top.iter().map(|(_, k)| k.clone()).collect();
            let items = self
                .get_items(
                    &ctx.account,
                    &ctx.region,
                    &name,
                    &keys,
                    ks,
                    wanted.as_deref(),
                )
                .await?;
            rounds += 1;
            // Whole items are compared with the index; projected ones only tell which are gone.
            let writes: Vec<Write> = keys
                .iter()
                .filter_map(|k| {
                    let id = item_id(k, ks)?;
                    let item = items.get(&id);
                    let stale = match (&wanted, item) {
                        (_, None) => !self.vectors.agrees(&key, &[(id, None)]),
                        (None, Some(i)) => !self.vectors.agrees(&key, &[(id, Some(i))]),
                        (Some(_), Some(_)) => false,
                    };
                    stale.then_some(Write {
                        item_or_key: item.unwrap_or(k),
                        item,
                    })
                })
                .collect();
            if rounds == 4 || writes.is_empty() {
                break (top, items);
            }
            self.vectors.apply(&key, &writes);
        };
        let results: Vec<Value> = top
            .into_iter()
            .filter_map(|(score, k)| Some((score, items.get(&item_id(&k, ks)?)?)))
            .map(|(score, item)| {
                let item = match &wanted {
                    None => item.clone(),
                    Some(w) => Value::Object(
                        item.as_object()
                            .into_iter()
                            .flatten()
                            .filter(|(k, _)| w.contains(k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                };
                json!({"Item": item, "Score": score as f64})
            })
            .collect();
        let mut out = json!({"SearchResults": results});
        if matches!(
            input["ReturnConsumedCapacity"].as_str(),
            Some("TOTAL" | "INDEXES")
        ) {
            // AWS meters vector searches in bytes; ours is the query vector's float32 size.
            out["ConsumedCapacity"] = json!({"VectorSearchRequestBytes": (dims * 4) as f64});
        }
        Ok(out)
    }

    /// Items by key (consistent BatchGetItem), by id; missing items are absent. With
    /// `attrs`, only those attributes and the key are read.
    async fn get_items(
        &self,
        account: &str,
        region: &str,
        table: &str,
        keys: &[Value],
        key_schema: &Value,
        attrs: Option<&[String]>,
    ) -> Result<HashMap<String, Value>, JsonError> {
        let mut out = HashMap::new();
        let mut pending: Vec<Value> = keys.to_vec();
        let mut read = json!({"ConsistentRead": true});
        if let Some(attrs) = attrs {
            let mut names: Vec<String> = attrs.to_vec();
            for k in key_schema.as_array().into_iter().flatten() {
                if let Some(n) = k["AttributeName"].as_str() {
                    names.push(n.to_string());
                }
            }
            names.sort();
            names.dedup();
            let placeholders: Vec<String> = (0..names.len()).map(|i| format!("#p{i}")).collect();
            read["ProjectionExpression"] = json!(placeholders.join(", "));
            read["ExpressionAttributeNames"] = Value::Object(
                placeholders
                    .into_iter()
                    .zip(names)
                    .map(|(p, n)| (p, json!(n)))
                    .collect(),
            );
        }
        for _ in 0..10 {
            if pending.is_empty() {
                break;
            }
            let mut req = read.clone();
            req["Keys"] = json!(pending);
            let req = json!({"RequestItems": {table: req}});
            let got = self.call(account, region, "BatchGetItem", &req).await?;
            for item in got["Responses"][table].as_array().into_iter().flatten() {
                if let Some(id) = item_id(item, key_schema) {
                    out.insert(id, item.clone());
                }
            }
            pending = got["UnprocessedKeys"][table]["Keys"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        Ok(out)
    }

    /// The table's vector indexes; an index not yet filled from the table's items starts its
    /// backfill in the background (searching it fails until it is done, as on AWS).
    pub(super) async fn vector_table(&self, key: &TableKey) -> Option<Shared> {
        let meta = self.meta(key)?;
        if self
            .vectors
            .sync(key, &meta.key_schema, &meta.vector_indexes)
            && self.vectors.begin_fill(key, false)
        {
            let (backend, vectors, key) = (self.backend.clone(), self.vectors.clone(), key.clone());
            tokio::spawn(async move { run_fill(&backend, &vectors, &key).await });
        }
        self.vectors.get(key)
    }
}

/// Runs a fill `begin_fill` started: the table's scan, a page at a time, into its indexes.
pub(super) async fn run_fill(backend: &Backend, vectors: &VectorStore, key: &TableKey) {
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

    #[test]
    fn scores_follow_awss_definitions() {
        let a = [1.0, 0.0];
        assert_eq!(Distance::Cosine.score(&a, &[1.0, 0.0]), Some(0.0));
        assert_eq!(Distance::Cosine.score(&a, &[0.0, 1.0]), Some(1.0));
        assert_eq!(Distance::Cosine.score(&a, &[-2.0, 0.0]), Some(2.0));
        assert_eq!(Distance::Cosine.score(&a, &[0.0, 0.0]), None);
        assert_eq!(
            Distance::Euclidean.score(&[0.0, 0.0], &[3.0, 4.0]),
            Some(5.0)
        );
        assert_eq!(
            Distance::DotProduct.score(&[1.0, 2.0], &[3.0, 4.0]),
            Some(11.0)
        );
        // Lower is better except for DOT_PRODUCT.
        assert_eq!(Distance::Cosine.order(0.1, 0.5), Ordering::Less);
        assert_eq!(Distance::Euclidean.order(0.1, 0.5), Ordering::Less);
        assert_eq!(Distance::DotProduct.order(0.1, 0.5), Ordering::Greater);
    }

    #[test]
    fn scores_are_float32() {
        // 0.1 has no exact float32; the product is computed on the rounded values.
        let s = Distance::DotProduct.score(&[0.1], &[0.1]).unwrap();
        assert_eq!(s, 0.1f32 * 0.1f32);
        assert_ne!(s as f64, 0.1f64 * 0.1f64);
    }

    #[test]
    fn only_lists_of_numbers_of_the_right_length_are_vectors() {
        let v = json!({"L": [{"N": "1"}, {"N": "2.5"}]});
        assert_eq!(parse_vector(&v, 2), Some(vec![1.0, 2.5]));
        assert_eq!(parse_vector(&v, 3), None);
        assert_eq!(parse_vector(&json!({"NS": ["1", "2"]}), 2), None);
        assert_eq!(
            parse_vector(&json!({"L": [{"S": "1"}, {"N": "2"}]}), 2),
            None
        );
        assert_eq!(parse_vector(&json!({"L": [{"N": "1e39"}]}), 1), None);
    }

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
