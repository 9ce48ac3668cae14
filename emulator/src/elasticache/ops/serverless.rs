//! Serverless caches and their snapshots: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::serverless::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{now, s, strings, Cx};

pub fn create_serverless_cache(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = cache_clusters::check_id(
        "Serverless cache",
        s(input, "ServerlessCacheName").unwrap_or(""),
        40,
    )?;
    if cx.st.serverless.contains_key(&name) {
        return Err(ApiError::new(
            "ServerlessCacheAlreadyExistsFault",
            format!("Serverless cache {name} already exists."),
        ));
    }
    let engine = s(input, "Engine").unwrap_or("").to_ascii_lowercase();
    let (major, full) = match engine.as_str() {
        "redis" => (s(input, "MajorEngineVersion").unwrap_or("7"), "7.1"),
        "valkey" => (s(input, "MajorEngineVersion").unwrap_or("8"), "8.0"),
        "memcached" => (s(input, "MajorEngineVersion").unwrap_or("1.6"), "1.6.22"),
        _ => {
            return Err(ApiError::invalid_value(format!(
                "Invalid engine {engine}: valid values are redis, valkey, memcached."
            )))
        }
    };
    let kind = crate::elasticache::runtime::EngineKind::parse(&engine)
        .unwrap_or(crate::elasticache::runtime::EngineKind::Redis);
    let serial = cx.serial();
    let addr = start_serverless_node(cx, &name, kind, serial, None)?;
    // One engine process serves both endpoints: reads go to the same node.
    let endpoint = json!({"Address": addr.ip().to_string(), "Port": addr.port()});
    let arn = cx.arn("serverlesscache", &name);
    let mut doc = json!({
        "ServerlessCacheName": name, "Description": s(input, "Description").unwrap_or(""),
        "CreateTime": now(), "Status": "creating", "Engine": engine, "MajorEngineVersion": major,
        "FullEngineVersion": full, "SecurityGroupIds": strings(input, "SecurityGroupIds"),
        "Endpoint": endpoint, "ReaderEndpoint": endpoint,
        "ARN": arn, "SubnetIds": strings(input, "SubnetIds"),
        "SnapshotRetentionLimit": input["SnapshotRetentionLimit"].as_i64().unwrap_or(0),
        "DailySnapshotTime": s(input, "DailySnapshotTime").unwrap_or("04:00"),
        "NetworkType": "ipv4",
    });
    if let Some(l) = input.get("CacheUsageLimits") {
        doc["CacheUsageLimits"] = l.clone();
    }
    if let Some(u) = s(input, "UserGroupId") {
        doc["UserGroupId"] = u.into();
    }
    cx.tag_new(&arn, input);
    cx.st.serverless_nodes.insert(name.clone(), (serial, None));
    cx.st.serverless.insert(name, doc.clone());
    Ok(json!({"ServerlessCache": doc}))
}

pub fn describe_serverless_caches(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "ServerlessCacheName") {
        Some(n) => vec![cx
            .st
            .serverless
            .get(n)
            .cloned()
            .ok_or_else(|| serverless_not_found(n))?],
        None => cx.st.serverless.values().cloned().collect(),
    };
    Ok(json!({"ServerlessCaches": list}))
}

pub fn modify_serverless_cache(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    serverless_available(cx, name)?;
    let c = cx
        .st
        .serverless
        .get_mut(name)
        .ok_or_else(|| serverless_not_found(name))?;
    for k in [
        "Description",
        "CacheUsageLimits",
        "SnapshotRetentionLimit",
        "DailySnapshotTime",
        "UserGroupId",
    ] {
        if let Some(v) = input.get(k) {
            c[k] = v.clone();
        }
    }
    if input.get("SecurityGroupIds").is_some() {
        c["SecurityGroupIds"] = json!(strings(input, "SecurityGroupIds"));
    }
    let mut out = c.clone();
    out["Status"] = "modifying".into();
    Ok(json!({"ServerlessCache": out}))
}

pub fn delete_serverless_cache(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    let mut c = cx
        .st
        .serverless
        .remove(name)
        .ok_or_else(|| serverless_not_found(name))?;
    if let Some((_, Some(run))) = cx.st.serverless_nodes.remove(name) {
        cx.doomed.push(run);
    }
    cx.st.event(
        name,
        "serverless-cache",
        format!("Serverless cache {name} deleted"),
    );
    c["Status"] = "deleting".into();
    Ok(json!({"ServerlessCache": c}))
}

pub fn create_serverless_cache_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheSnapshotName")
        .unwrap_or("")
        .to_string();
    let cache = s(input, "ServerlessCacheName").unwrap_or("");
    serverless_available(cx, cache)?;
    let c = cx
        .st
        .serverless
        .get(cache)
        .cloned()
        .ok_or_else(|| serverless_not_found(cache))?;
    ss_exists(cx, &name)?;
    let arn = cx.arn("serverlesscachesnapshot", &name);
    let doc = json!({
        "ServerlessCacheSnapshotName": name, "ARN": arn, "SnapshotType": "manual",
        "Status": "creating", "CreateTime": now(), "BytesUsedForCache": "0",
        "ServerlessCacheConfiguration": {"ServerlessCacheName": cache, "Engine": c["Engine"], "MajorEngineVersion": c["MajorEngineVersion"]},
    });
    cx.tag_new(&arn, input);
    let mut stored = doc.clone();
    stored["Status"] = "available".into();
    cx.st.serverless_snapshots.insert(name, stored);
    Ok(json!({"ServerlessCacheSnapshot": doc}))
}

pub fn copy_serverless_cache_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let src = s(input, "SourceServerlessCacheSnapshotName").unwrap_or("");
    let target = s(input, "TargetServerlessCacheSnapshotName")
        .unwrap_or("")
        .to_string();
    let orig = cx
        .st
        .serverless_snapshots
        .get(src)
        .cloned()
        .ok_or_else(|| ss_not_found(src))?;
    ss_exists(cx, &target)?;
    let mut copy = orig;
    copy["ServerlessCacheSnapshotName"] = target.clone().into();
    copy["ARN"] = cx.arn("serverlesscachesnapshot", &target).into();
    copy["CreateTime"] = now().into();
    let mut out = copy.clone();
    out["Status"] = "creating".into();
    cx.st.serverless_snapshots.insert(target, copy);
    Ok(json!({"ServerlessCacheSnapshot": out}))
}

pub fn delete_serverless_cache_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let n = s(input, "ServerlessCacheSnapshotName").unwrap_or("");
    let mut snap = cx
        .st
        .serverless_snapshots
        .remove(n)
        .ok_or_else(|| ss_not_found(n))?;
    snap["Status"] = "deleting".into();
    Ok(json!({"ServerlessCacheSnapshot": snap}))
}

pub fn describe_serverless_cache_snapshots(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    if let Some(n) = s(input, "ServerlessCacheSnapshotName") {
        if !cx.st.serverless_snapshots.contains_key(n) {
            return Err(ss_not_found(n));
        }
    }
    let list: Vec<Value> = cx
        .st
        .serverless_snapshots
        .values()
        .filter(|v| {
            s(input, "ServerlessCacheSnapshotName")
                .is_none_or(|n| v["ServerlessCacheSnapshotName"] == n)
        })
        .filter(|v| {
            s(input, "ServerlessCacheName")
                .is_none_or(|n| v["ServerlessCacheConfiguration"]["ServerlessCacheName"] == n)
        })
        .cloned()
        .collect();
    Ok(json!({"ServerlessCacheSnapshots": list}))
}

pub fn export_serverless_cache_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let n = s(input, "ServerlessCacheSnapshotName").unwrap_or("");
    let snap = cx
        .st
        .serverless_snapshots
        .get(n)
        .cloned()
        .ok_or_else(|| ss_not_found(n))?;
    Ok(json!({"ServerlessCacheSnapshot": snap}))
}
