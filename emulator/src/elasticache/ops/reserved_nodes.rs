//! Reserved cache nodes and offerings: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::catalog;
use crate::elasticache::domain::reserved_nodes::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx};

pub fn describe_reserved_cache_nodes(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if let Some(id) = s(input, "ReservedCacheNodeId") {
        if !cx.st.reserved.contains_key(id) {
            return Err(ApiError::new(
                "ReservedCacheNodeNotFound",
                format!("Reserved cache node {id} not found."),
            ));
        }
    }
    let list: Vec<Value> = cx
        .st
        .reserved
        .values()
        .filter(|r| s(input, "ReservedCacheNodeId").is_none_or(|v| r.reserved_cache_node_id == v))
        .map(render)
        .filter(|r| offering_matches(r, input))
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"ReservedCacheNodes": page, "Marker": marker}))
}

pub fn describe_reserved_cache_nodes_offerings(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let list: Vec<Value> = catalog::offerings()
        .into_iter()
        .filter(|o| offering_matches(o, input))
        .collect();
    if let Some(id) = s(input, "ReservedCacheNodesOfferingId") {
        if list.is_empty() {
            return Err(ApiError::new(
                "ReservedCacheNodesOfferingNotFound",
                format!("ReservedCacheNodesOffering {id} not found."),
            ));
        }
    }
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"ReservedCacheNodesOfferings": page, "Marker": marker}))
}

pub fn purchase_reserved_cache_nodes_offering(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let oid = s(input, "ReservedCacheNodesOfferingId").unwrap_or("");
    let o = catalog::offerings()
        .into_iter()
        .find(|o| o["ReservedCacheNodesOfferingId"] == oid)
        .ok_or_else(|| {
            ApiError::new(
                "ReservedCacheNodesOfferingNotFound",
                format!("ReservedCacheNodesOffering {oid} not found."),
            )
        })?;
    let started = time::OffsetDateTime::now_utc();
    let id = s(input, "ReservedCacheNodeId")
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let f = time::macros::format_description!(
                "ri-[year]-[month]-[day]-[hour]-[minute]-[second]-[subsecond digits:3]"
            );
            started.format(&f).unwrap_or_default()
        });
    if cx.st.reserved.contains_key(&id) {
        return Err(ApiError::new(
            "ReservedCacheNodeAlreadyExists",
            format!("Reserved cache node {id} already exists."),
        ));
    }
    let count = input["CacheNodeCount"].as_i64().unwrap_or(1);
    let arn = cx.arn("reserved-instance", &id);
    let rec = purchase(&o, &id, oid, count, started, arn.clone());
    cx.tag_new(&arn, input);
    let out = render(&rec);
    cx.st.reserved.insert(id, rec);
    Ok(json!({"ReservedCacheNode": out}))
}
