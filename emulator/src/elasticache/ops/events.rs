//! Events: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::tags::render_event;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx};

pub fn describe_events(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    const TYPES: &[&str] = &[
        "cache-cluster",
        "cache-parameter-group",
        "cache-security-group",
        "cache-subnet-group",
        "replication-group",
        "serverless-cache",
        "serverless-cache-snapshot",
        "user",
        "user-group",
    ];
    let ty = s(input, "SourceType");
    if let Some(t) = ty {
        if !TYPES.contains(&t) {
            return Err(ApiError::invalid_value(format!("Invalid SourceType: {t}")));
        }
    }
    let id = s(input, "SourceIdentifier");
    if id.is_some() && ty.is_none() {
        return Err(ApiError::invalid_combination(
            "SourceType is required when SourceIdentifier is given.",
        ));
    }
    let now_secs = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    let end = input["EndTime"].as_f64().unwrap_or(now_secs + 1.0);
    let start = match (input["StartTime"].as_f64(), input["Duration"].as_i64()) {
        (Some(s), _) => s,
        (None, Some(d)) => end - (d as f64) * 60.0,
        (None, None) => now_secs - 3600.0,
    };
    let parse = |d: &str| {
        time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp() as f64)
            .unwrap_or(0.0)
    };
    let mut list: Vec<Value> = cx
        .st
        .events
        .iter()
        .filter(|e| ty.is_none_or(|t| e.source_type == t))
        .filter(|e| id.is_none_or(|i| e.source_identifier == i))
        .filter(|e| {
            let t = parse(&e.date);
            t >= start.floor() && t <= end
        })
        .map(render_event)
        .collect();
    list.reverse();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"Events": page, "Marker": marker}))
}
