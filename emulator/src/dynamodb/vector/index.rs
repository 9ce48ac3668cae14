//! Vector index definitions: AWS's checks on CreateTable `VectorIndexes` and UpdateTable
//! `VectorIndexUpdates`, and the `VectorIndexes` a TableDescription reports. DynamoDB Local
//! knows nothing of them, so the definitions live in our table record.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::context::RequestContext;
use crate::dynamodb::state::{State, TableKey, TableMeta};
use crate::dynamodb::wire::{ddb_err, str_of, table_name, validation};
use crate::protocol::json::JsonError;

pub const MAX_DIMENSIONS: i64 = 4096;
/// Vector indexes a table may hold (recorded on AWS: nubo-db/dynamodb-conformance
/// tests/tier3/error-messages/vectorIndexes.test.ts, eu-west-2, 2026-08).
pub const MAX_PER_TABLE: usize = 5;
const DISTANCES: &[&str] = &["COSINE", "EUCLIDEAN", "DOT_PRODUCT"];
const SCHEMA_TYPES: &[&str] = &["HASH", "INLINE_FILTER"];
const PROJECTIONS: &[&str] = &["ALL", "KEYS_ONLY", "INCLUDE"];

/// `<table arn>/index/<name>`, the resource SearchVectors is authorized on.
pub fn index_arn(table_arn: &str, name: &str) -> String {
    format!("{table_arn}/index/{name}")
}

fn valid_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Checks one index definition (a `VectorIndex` or `CreateVectorIndexAction`) against the
/// table's attribute definitions; `others` are the definitions it must agree with.
pub fn check(def: &Value, attr_defs: &[Value], others: &[Value]) -> Result<(), JsonError> {
    let name = def["IndexName"].as_str().unwrap_or_default();
    if !valid_name(name) {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
        )));
    }
    let dims = def["Dimensions"].as_i64().unwrap_or(0);
    if !(1..=MAX_DIMENSIONS).contains(&dims) {
        return Err(validation(format!(
            "One or more parameter values were invalid: Number of dimensions must be between 1 and {MAX_DIMENSIONS} inclusive."
        )));
    }
    let distance = def["DistanceFunction"].as_str().unwrap_or_default();
    if !DISTANCES.contains(&distance) {
        return Err(validation(format!(
            "1 validation error detected: Value '{distance}' at 'distanceFunction' failed to satisfy constraint: Member must satisfy enum value set: [COSINE, DOT_PRODUCT, EUCLIDEAN]"
        )));
    }
    let attr = def["VectorAttribute"]["AttributeName"]
        .as_str()
        .unwrap_or_default();
    if attr.is_empty() {
        return Err(validation(
            "VectorAttribute.AttributeName must be provided for vector index ".to_string() + name,
        ));
    }
    let projection = def["Projection"]["ProjectionType"].as_str().unwrap_or("");
    if !PROJECTIONS.contains(&projection) {
        return Err(validation(format!(
            "Unknown ProjectionType for vector index {name}: {projection}"
        )));
    }
    let non_key = def["Projection"]["NonKeyAttributes"].as_array();
    if projection == "INCLUDE" && non_key.is_none_or(|a| a.is_empty()) {
        return Err(validation(
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        ));
    }
    if projection != "INCLUDE" && non_key.is_some() {
        return Err(validation(format!(
            "One or more parameter values were invalid: ProjectionType is {projection}, but NonKeyAttributes is specified"
        )));
    }
    let mut hashes = 0;
    for e in def["SearchSchema"].as_array().into_iter().flatten() {
        let ty = e["SearchSchemaElementType"].as_str().unwrap_or_default();
        if !SCHEMA_TYPES.contains(&ty) {
            return Err(validation(format!(
                "1 validation error detected: Value '{ty}' at 'searchSchemaElementType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, INLINE_FILTER]"
            )));
        }
        hashes += usize::from(ty == "HASH");
        let a = e["AttributeName"].as_str().unwrap_or_default();
        if !attr_defs.iter().any(|d| d["AttributeName"] == a) {
            return Err(validation(
                "One or more parameter values were invalid: One element in SearchSchema is not defined in attribute definitions",
            ));
        }
    }
    if hashes > 1 {
        return Err(validation(format!(
            "SearchSchema of vector index {name} has more than one HASH element"
        )));
    }
    for o in others {
        if o["IndexName"] == name {
            return Err(validation(format!(
                "Duplicate index name: {name}; vector index names must be unique within the table"
            )));
        }
        if o["VectorAttribute"]["AttributeName"] == attr && o["Dimensions"] != def["Dimensions"] {
            return Err(validation(format!(
                "One or more parameter values were invalid: Conflicting attribute definition for '{attr}'. All VectorIndexes on the same vector attribute must use the same dimensions."
            )));
        }
    }
    Ok(())
}

/// A table holds at most `MAX_PER_TABLE` vector indexes.
pub fn check_count(n: usize) -> Result<(), JsonError> {
    if n > MAX_PER_TABLE {
        return Err(validation(format!(
            "One or more parameter values were invalid: VectorIndex count exceeds the per-table limit of {MAX_PER_TABLE}"
        )));
    }
    Ok(())
}

/// Vector indexes exist only on on-demand tables.
pub fn require_on_demand(billing_mode: &str) -> Result<(), JsonError> {
    if billing_mode != "PAY_PER_REQUEST" {
        return Err(validation(
            "One or more parameter values were invalid: Vector indexes are only supported for PAY_PER_REQUEST tables",
        ));
    }
    Ok(())
}

/// The stored form of a definition: only the members AWS describes.
pub fn stored(def: &Value) -> Value {
    let mut out = json!({
        "IndexName": def["IndexName"],
        "VectorAttribute": {"AttributeName": def["VectorAttribute"]["AttributeName"]},
        "Projection": def["Projection"],
        "Dimensions": def["Dimensions"],
        "DistanceFunction": def["DistanceFunction"],
    });
    if let Some(s) = def.get("SearchSchema") {
        out["SearchSchema"] = s.clone();
    }
    out
}

/// Attribute definitions only search schemas use: DynamoDB Local refuses a definition no key
/// schema names, so they are kept by us and stripped before forwarding.
pub fn schema_only_defs(
    attr_defs: &[Value],
    defs: &[Value],
    key_attrs: &[String],
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for d in defs {
        for e in d["SearchSchema"].as_array().into_iter().flatten() {
            let Some(a) = e["AttributeName"].as_str() else {
                continue;
            };
            if key_attrs.iter().any(|k| k == a) {
                continue;
            }
            if let Some(def) = attr_defs.iter().find(|x| x["AttributeName"] == a) {
                out.insert(a.to_string(), def.clone());
            }
        }
    }
    out
}

/// Every attribute name any key schema in a CreateTable/UpdateTable input or description names.
pub fn key_attributes(v: &Value) -> Vec<String> {
    let mut out = vec![];
    let mut add = |ks: &Value| {
        for k in ks.as_array().into_iter().flatten() {
            if let Some(a) = k["AttributeName"].as_str() {
                out.push(a.to_string());
            }
        }
    };
    add(&v["KeySchema"]);
    for m in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
        for i in v[m].as_array().into_iter().flatten() {
            add(&i["KeySchema"]);
        }
    }
    for u in v["GlobalSecondaryIndexUpdates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        add(&u["Create"]["KeySchema"]);
    }
    out
}

/// One index's state as the proxy holds it: built (filled from the table), and its counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexState {
    pub built: bool,
    pub count: u64,
    pub bytes: u64,
}

/// Adds `VectorIndexes` (and the attribute definitions only they use) to a description.
/// `fresh` names indexes to report as just created. An index not yet built is `CREATING`,
/// with `Backfilling` while the table has items; an `ACTIVE` one reports no `Backfilling`.
pub fn describe(
    desc: &mut Value,
    meta: &TableMeta,
    table_arn: &str,
    states: &[IndexState],
    fresh: &[String],
) {
    let has_items = desc["ItemCount"].as_u64().unwrap_or(0) > 0;
    if meta.vector_indexes.is_empty() {
        return;
    }
    let list: Vec<Value> = meta
        .vector_indexes
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut out = d.clone();
            let name = d["IndexName"].as_str().unwrap_or_default();
            let st = states.get(i).copied().unwrap_or_default();
            let creating = !st.built || fresh.iter().any(|f| f == name);
            out["IndexStatus"] = json!(if creating { "CREATING" } else { "ACTIVE" });
            if creating {
                out["Backfilling"] = json!(has_items);
            }
            // An index being built reports nothing yet, as GSIs do.
            out["ItemCount"] = json!(if creating { 0 } else { st.count });
            out["IndexSizeBytes"] = json!(if creating { 0 } else { st.bytes });
            out["IndexArn"] = json!(index_arn(table_arn, name));
            out
        })
        .collect();
    desc["VectorIndexes"] = Value::Array(list);
    if let Some(defs) = desc
        .get_mut("AttributeDefinitions")
        .and_then(Value::as_array_mut)
    {
        for d in meta.vector_attr_defs.values() {
            if !defs
                .iter()
                .any(|x| x["AttributeName"] == d["AttributeName"])
            {
                defs.push(d.clone());
            }
        }
    }
}

/// Removes what DynamoDB Local must not see: `VectorIndexes` and the attribute definitions
/// only their search schemas use.
pub fn strip_vector_members(input: &mut Value, vector_only: &BTreeMap<String, Value>) {
    if let Some(obj) = input.as_object_mut() {
        obj.remove("VectorIndexes");
    }
    if let Some(list) = input
        .get_mut("AttributeDefinitions")
        .and_then(Value::as_array_mut)
    {
        list.retain(|d| {
            !d["AttributeName"]
                .as_str()
                .is_some_and(|a| vector_only.contains_key(a))
        });
    }
    if input["AttributeDefinitions"]
        .as_array()
        .is_some_and(|l| l.is_empty())
    {
        if let Some(obj) = input.as_object_mut() {
            obj.remove("AttributeDefinitions");
        }
    }
}

/// What an UpdateTable's `VectorIndexUpdates` will do, kept until the rest succeeded.
#[derive(Default)]
pub struct VectorPlan {
    /// Names of the indexes being created (described as CREATING).
    pub fresh: Vec<String>,
    /// Definitions being deleted (described as DELETING in this answer only).
    pub deleted: Vec<Value>,
    pub indexes: Vec<Value>,
    pub defs: BTreeMap<String, Value>,
}

/// Checks UpdateTable's `VectorIndexUpdates` against the table as it is (`meta`, `before`) and
/// strips what DynamoDB Local must not see.
pub fn plan_updates(
    meta: &TableMeta,
    before: &Value,
    input: &mut Value,
    updates: &[Value],
) -> Result<VectorPlan, JsonError> {
    let mode = str_of(input, "BillingMode")
        .or_else(|| before["BillingModeSummary"]["BillingMode"].as_str())
        .unwrap_or("PROVISIONED")
        .to_string();
    let mut attr_defs: Vec<Value> = before["AttributeDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    attr_defs.extend(
        input["AttributeDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    // One online index action per call, refused as the GSI machinery refuses it (recorded on
    // AWS: nubo-db/dynamodb-conformance tests/tier2/vectorSearch/updateLifecycle.test.ts).
    if updates.len() > 1 {
        return Err(ddb_err(
            "LimitExceededException",
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    let mut indexes = meta.vector_indexes.clone();
    let mut fresh = vec![];
    let mut deleted = vec![];
    for u in updates {
        if let Some(c) = u.get("Create") {
            require_on_demand(&mode)?;
            check_count(indexes.len() + 1)?;
            check(c, &attr_defs, &indexes)?;
            indexes.push(stored(c));
            fresh.push(c["IndexName"].as_str().unwrap_or_default().to_string());
        } else if let Some(d) = u.get("Delete") {
            let n = d["IndexName"].as_str().unwrap_or_default();
            let Some(at) = indexes.iter().position(|i| i["IndexName"] == n) else {
                return Err(validation(format!(
                    "The table does not have the specified index: {n}"
                )));
            };
            deleted.push(indexes.remove(at));
        } else {
            return Err(validation(
                    "One or more parameter values were invalid: One of Create or Delete must be specified in a VectorIndexUpdate",
                ));
        }
    }
    if !indexes.is_empty() {
        require_on_demand(&mode)?;
    }
    let mut keys = key_attributes(before);
    keys.extend(key_attributes(input));
    let defs = schema_only_defs(&attr_defs, &indexes, &keys);
    strip_vector_members(input, &defs);
    Ok(VectorPlan {
        fresh,
        deleted,
        indexes,
        defs,
    })
}

/// AWS refuses a write whose vector attribute is not a list of numbers of the index's
/// dimension; items without the attribute are simply not indexed.
pub fn check_item(defs: &[Value], item: &Value) -> Result<(), JsonError> {
    for d in defs {
        let attr = d["VectorAttribute"]["AttributeName"]
            .as_str()
            .unwrap_or_default();
        let Some(v) = item.get(attr) else {
            continue;
        };
        let dims = d["Dimensions"].as_u64().unwrap_or(0) as usize;
        let index = d["IndexName"].as_str().unwrap_or_default();
        let Some(list) = v.get("L").and_then(Value::as_array) else {
            return Err(validation(format!(
                "One or more parameter values were invalid. Invalid type for parameter {attr}, Expected: 32-bit floating point number list IndexName: {index}"
            )));
        };
        for (i, e) in list.iter().enumerate() {
            let ok = e
                .get("N")
                .and_then(Value::as_str)
                .and_then(|n| n.parse::<f32>().ok())
                .is_some_and(f32::is_finite);
            if !ok {
                let ty = e
                    .as_object()
                    .and_then(|o| o.keys().next().cloned())
                    .unwrap_or_default();
                return Err(validation(format!(
                    "One or more parameter values were invalid. Invalid type for parameter {attr}[{i}], Expected: 32-bit floating point number, Actual: {ty}. IndexName: {index}"
                )));
            }
        }
        if list.len() != dims {
            return Err(validation(format!(
                "One or more parameter values were invalid. Invalid size for parameter {attr}, Expected: {dims}, Actual: {} IndexName: {index}",
                list.len(),
            )));
        }
        // The HASH search attribute is the index's key: an empty string or binary is refused
        // as on any secondary index key.
        for e in d["SearchSchema"].as_array().into_iter().flatten() {
            let key = e["AttributeName"].as_str().unwrap_or_default();
            let empty = item
                .get(key)
                .and_then(|v| v.get("S").or_else(|| v.get("B")))
                .and_then(Value::as_str)
                .is_some_and(str::is_empty);
            if e["SearchSchemaElementType"] == "HASH" && empty {
                return Err(validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {index}, IndexKey: {key}"
                )));
            }
        }
    }
    Ok(())
}

/// Items a PutItem, BatchWriteItem or TransactWriteItems puts into tables with vector
/// indexes are checked before the backend sees them. UpdateItem is not (its result is
/// only known after the update expression ran).
pub fn check_writes(
    st: &State,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Result<(), JsonError> {
    let mut puts: Vec<(String, &Value)> = vec![];
    let name = |t: &Value| table_name(t).unwrap_or_default();
    match op {
        "PutItem" => puts.push((name(&input["TableName"]), &input["Item"])),
        "BatchWriteItem" => {
            for (t, reqs) in input["RequestItems"].as_object().into_iter().flatten() {
                for r in reqs.as_array().into_iter().flatten() {
                    if let Some(item) = r["PutRequest"].get("Item") {
                        puts.push((name(&Value::from(t.as_str())), item));
                    }
                }
            }
        }
        "TransactWriteItems" => {
            for t in input["TransactItems"].as_array().into_iter().flatten() {
                if let Some(p) = t.get("Put") {
                    puts.push((name(&p["TableName"]), &p["Item"]));
                }
            }
        }
        _ => return Ok(()),
    }
    for (table, item) in puts {
        let key = TableKey::new(&ctx.account, &ctx.region, &table);
        if let Some(m) = st.table(&key) {
            check_item(&m.vector_indexes, item)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, dims: i64) -> Value {
        json!({"IndexName": name, "VectorAttribute": {"AttributeName": "v"},
               "Projection": {"ProjectionType": "ALL"}, "Dimensions": dims,
               "DistanceFunction": "COSINE",
               "SearchSchema": [{"AttributeName": "cat", "SearchSchemaElementType": "HASH"}]})
    }

    #[test]
    fn definitions_are_checked_as_aws_documents() {
        let attrs = [json!({"AttributeName": "cat", "AttributeType": "S"})];
        assert!(check(&def("idx", 3), &attrs, &[]).is_ok());
        assert!(check(&def("ix", 3), &attrs, &[]).is_err());
        assert!(check(&def("bad name", 3), &attrs, &[]).is_err());
        assert!(check(&def("idx", 0), &attrs, &[]).is_err());
        assert!(check(&def("idx", 4097), &attrs, &[]).is_err());
        assert!(check(&def("idx", 4096), &attrs, &[]).is_ok());
        let e = check(&def("idx", 3), &[], &[]).unwrap_err();
        assert_eq!(
            e.message,
            "One or more parameter values were invalid: One element in SearchSchema is not defined in attribute definitions"
        );
        // One dimension count per vector attribute, unique names.
        assert!(check(&def("idx2", 4), &attrs, &[def("idx", 3)]).is_err());
        assert!(check(&def("idx2", 3), &attrs, &[def("idx", 3)]).is_ok());
        assert!(check(&def("idx", 3), &attrs, &[def("idx", 3)]).is_err());
        let mut d = def("idx", 3);
        d["DistanceFunction"] = json!("MANHATTAN");
        assert!(check(&d, &attrs, &[]).is_err());
    }
}
