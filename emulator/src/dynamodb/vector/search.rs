//! SearchVectors as an exact (brute-force) search over the proxy's vector index (see
//! `store`): every indexed vector is scored in float32, as AWS stores embeddings,
//! filtered by the SearchConditionExpression (`condition`) and cut to TopK; the hits are
//! then read back.

use serde_json::{Map, Value};

use std::sync::Arc;

use super::store::{Shared, VectorStore};
use crate::dynamodb::backend::scan::scan_pages;
use crate::dynamodb::backend::Backend;
use crate::dynamodb::state::{TableKey, TableMeta};
use crate::dynamodb::wire::java_print::java_float;
use crate::dynamodb::wire::validation;
use crate::protocol::json::JsonError;

pub const MAX_TOP_K: i64 = 100;

/// The query vector: every element a Number (N) that fits a 32-bit float, then as many as the
/// index has dimensions (AWS checks the values first: a vector of one `L` element gets the
/// values text, not the dimension one). Texts as AWS was recorded answering them
/// (paritysuite/dynamodb-conformance, `tests/tier3/error-messages/searchVectors.test.ts`).
pub fn query_vector(v: &Value, dims: usize) -> Result<Vec<f32>, JsonError> {
    let list = v.as_array().cloned().unwrap_or_default();
    let values: Option<Vec<f32>> = list
        .iter()
        .map(|e| {
            e.get("N")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<f32>().ok())
                .filter(|f| f.is_finite())
        })
        .collect();
    let Some(values) = values else {
        return Err(validation(
            "Search vector contains invalid values. All values in the search vector must be a 32-bit floating-point number attribute",
        ));
    };
    if values.len() != dims {
        return Err(validation(format!(
            "Input search vector dimension {} does not match vector index dimension {dims}",
            values.len()
        )));
    }
    Ok(values)
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

/// The index's own copy of a vector attribute, which SearchVectors answers when a
/// ProjectionExpression names it: each number as the float32 it was stored as (recorded on AWS:
/// nubo-db/dynamodb-conformance tests/tier2/vectorSearch/search.test.ts, `1` comes back as `1.0`,
/// `16777217` as 16777216).
pub fn index_copy(v: &Value) -> Value {
    let Some(list) = v.get("L").and_then(Value::as_array) else {
        return v.clone();
    };
    let numbers: Vec<Value> = list
        .iter()
        .map(|e| {
            match e
                .get("N")
                .and_then(Value::as_str)
                .and_then(|n| n.parse::<f32>().ok())
            {
                Some(f) => serde_json::json!({"N": java_float(f)}),
                None => e.clone(),
            }
        })
        .collect();
    serde_json::json!({"L": numbers})
}

#[cfg(test)]
mod index_copy_tests {
    use super::*;

    #[test]
    fn the_copy_holds_float32_values_as_java_prints_them() {
        let copy = index_copy(&serde_json::json!({"L": [{"N": "0.1"}, {"N": "16777217"}]}));
        assert_eq!(
            copy,
            serde_json::json!({"L": [{"N": "0.1"}, {"N": "1.6777216E7"}]})
        );
    }
}
