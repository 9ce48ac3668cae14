//! Engine versions and allowed node type modifications: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::catalog;
use crate::elasticache::error::ApiResult;
use crate::elasticache::state::{s, Cx};

pub fn describe_cache_engine_versions(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let engine = s(input, "Engine").map(str::to_ascii_lowercase);
    let default_only = input["DefaultOnly"].as_bool().unwrap_or(false);
    let mut list: Vec<(&str, &str, &str)> = catalog::ENGINE_VERSIONS
        .iter()
        .copied()
        .filter(|(e, _, _)| engine.as_deref().is_none_or(|x| x == *e))
        .filter(|(_, v, _)| s(input, "EngineVersion").is_none_or(|x| x == *v))
        .filter(|(_, _, f)| s(input, "CacheParameterGroupFamily").is_none_or(|x| x == *f))
        .collect();
    list.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    if default_only {
        list.retain(|(e, v, _)| {
            crate::elasticache::runtime::EngineKind::parse(e)
                .is_some_and(|k| catalog::default_version(k) == *v)
        });
    }
    let out: Vec<Value> = list
        .into_iter()
        .map(|(e, v, f)| {
            // AWS's own casing: "Redis", "Valkey", but "memcached".
            let title = match e {
                "redis" => "Redis",
                "valkey" => "Valkey",
                _ => "memcached",
            };
            // The version a create names, described by the release clusters of it run.
            let runs = catalog::actual_version(e, v);
            json!({"Engine": e, "EngineVersion": v, "CacheParameterGroupFamily": f,
                "CacheEngineDescription": title, "CacheEngineVersionDescription": format!("{e} version {runs}")})
        })
        .collect();
    let (page, marker) = paginate(out, input)?;
    Ok(json!({"CacheEngineVersions": page, "Marker": marker}))
}
