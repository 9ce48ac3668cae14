//! Service updates and update actions: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::catalog;
use crate::elasticache::domain::service_updates::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{now, s, strings, Cx};

pub fn describe_service_updates(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let statuses = strings(input, "ServiceUpdateStatus");
    let list: Vec<Value> = catalog::service_updates()
        .into_iter()
        .filter(|u| s(input, "ServiceUpdateName").is_none_or(|n| u["ServiceUpdateName"] == n))
        .filter(|u| {
            statuses.is_empty()
                || statuses
                    .iter()
                    .any(|st| u["ServiceUpdateStatus"] == st.as_str())
        })
        .collect();
    if let Some(n) = s(input, "ServiceUpdateName") {
        if list.is_empty() {
            return Err(ApiError::new(
                "ServiceUpdateNotFoundFault",
                format!("Service update {n} not found."),
            ));
        }
    }
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"ServiceUpdates": page, "Marker": marker}))
}

pub fn describe_update_actions(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let rgs = strings(input, "ReplicationGroupIds");
    let ccs = strings(input, "CacheClusterIds");
    let statuses = strings(input, "UpdateActionStatus");
    let list: Vec<Value> = all_update_actions(cx)
        .into_iter()
        .map(|(_, _, v)| v)
        .filter(|v| s(input, "ServiceUpdateName").is_none_or(|n| v["ServiceUpdateName"] == n))
        .filter(|v| rgs.is_empty() || rgs.iter().any(|r| v["ReplicationGroupId"] == r.as_str()))
        .filter(|v| ccs.is_empty() || ccs.iter().any(|r| v["CacheClusterId"] == r.as_str()))
        .filter(|v| {
            statuses.is_empty()
                || statuses
                    .iter()
                    .any(|r| v["UpdateActionStatus"] == r.as_str())
        })
        .filter(|v| s(input, "Engine").is_none_or(|e| v["Engine"] == e))
        .collect();
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"UpdateActions": page, "Marker": marker}))
}

fn batch_update(cx: &mut Cx, input: &Value, apply: bool) -> ApiResult<Value> {
    let name = s(input, "ServiceUpdateName").unwrap_or("").to_string();
    let update = catalog::service_updates()
        .into_iter()
        .find(|u| u["ServiceUpdateName"] == name.as_str())
        .ok_or_else(|| {
            ApiError::new(
                "ServiceUpdateNotFoundFault",
                format!("Service update {name} not found."),
            )
        })?;
    let rgs = strings(input, "ReplicationGroupIds");
    let ccs = strings(input, "CacheClusterIds");
    if rgs.is_empty() && ccs.is_empty() {
        return Err(ApiError::invalid_combination(
            "Either ReplicationGroupIds or CacheClusterIds must be given.",
        ));
    }
    let mut processed = vec![];
    let mut unprocessed = vec![];
    let targets = rgs
        .iter()
        .map(|r| {
            (
                "ReplicationGroupId",
                format!("rg:{r}"),
                r.clone(),
                cx.st.repl_groups.contains_key(r),
            )
        })
        .chain(ccs.iter().map(|c| {
            (
                "CacheClusterId",
                format!("cc:{c}"),
                c.clone(),
                cx.st.clusters.contains_key(c),
            )
        }))
        .collect::<Vec<_>>();
    for (field, key, id, exists) in targets {
        if !exists || update["ServiceUpdateStatus"] != "available" {
            let mut u = json!({"ServiceUpdateName": name, "ErrorType": "InvalidParameterValue",
                "ErrorMessage": if exists { "The service update is not available".to_string() } else { format!("{id} not found") }});
            u[field] = id.into();
            unprocessed.push(u);
            continue;
        }
        let status = if apply {
            "waiting-to-start"
        } else {
            "stopping"
        };
        // Nothing to patch on a local process: an applied update completes immediately.
        let stored = if apply { "complete" } else { "stopped" };
        cx.st
            .update_actions
            .insert((name.clone(), key), (stored.into(), now()));
        let mut p = json!({"ServiceUpdateName": name, "UpdateActionStatus": status});
        p[field] = id.into();
        processed.push(p);
    }
    Ok(json!({"ProcessedUpdateActions": processed, "UnprocessedUpdateActions": unprocessed}))
}

pub fn batch_apply_update_action(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    batch_update(cx, input, true)
}

pub fn batch_stop_update_action(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    batch_update(cx, input, false)
}
