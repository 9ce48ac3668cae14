//! Serverless caches and their snapshots: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::serverless::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{
    now, s, strings, Cx, ServerlessCacheConfiguration, ServerlessRecord, ServerlessSnapshotRecord,
    ServerlessSnapshotStatus, ServerlessStatus,
};

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
    let kind = EngineKind::parse(&engine).unwrap_or(EngineKind::Redis);
    let serial = cx.serial();
    let addr = start_serverless_node(cx, &name, kind, serial, None)?;
    let arn = cx.arn("serverlesscache", &name);
    let rec = ServerlessRecord {
        serverless_cache_name: name.clone(),
        description: s(input, "Description").unwrap_or("").into(),
        create_time: now(),
        status: ServerlessStatus::Creating,
        engine: kind,
        major_engine_version: major.into(),
        full_engine_version: full.into(),
        security_group_ids: strings(input, "SecurityGroupIds"),
        // One engine process serves both endpoints: reads go to the same node.
        endpoint: addr.into(),
        reader_endpoint: addr.into(),
        arn: arn.clone(),
        subnet_ids: strings(input, "SubnetIds"),
        snapshot_retention_limit: input["SnapshotRetentionLimit"].as_i64().unwrap_or(0),
        daily_snapshot_time: s(input, "DailySnapshotTime").unwrap_or("04:00").into(),
        cache_usage_limits: input.get("CacheUsageLimits").cloned(),
        user_group_id: s(input, "UserGroupId").map(str::to_owned),
        migration: None,
    };
    cx.tag_new(&arn, input);
    cx.st.serverless_nodes.insert(name.clone(), (serial, None));
    let out = render(&rec);
    cx.st.serverless.insert(name, rec);
    Ok(json!({"ServerlessCache": out}))
}

pub fn describe_serverless_caches(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "ServerlessCacheName") {
        Some(n) => vec![cx
            .st
            .serverless
            .get(n)
            .map(render)
            .ok_or_else(|| serverless_not_found(n))?],
        None => cx.st.serverless.values().map(render).collect(),
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
    if let Some(v) = s(input, "Description") {
        c.description = v.into();
    }
    if let Some(v) = input.get("CacheUsageLimits") {
        c.cache_usage_limits = Some(v.clone());
    }
    if let Some(v) = input["SnapshotRetentionLimit"].as_i64() {
        c.snapshot_retention_limit = v;
    }
    if let Some(v) = s(input, "DailySnapshotTime") {
        c.daily_snapshot_time = v.into();
    }
    if let Some(v) = s(input, "UserGroupId") {
        c.user_group_id = Some(v.into());
    }
    if input.get("SecurityGroupIds").is_some() {
        c.security_group_ids = strings(input, "SecurityGroupIds");
    }
    let mut out = render(c);
    out["Status"] = "modifying".into();
    Ok(json!({"ServerlessCache": out}))
}

pub fn delete_serverless_cache(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    let c = cx
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
    let mut out = render(&c);
    out["Status"] = "deleting".into();
    Ok(json!({"ServerlessCache": out}))
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
    // Taken at once: stored available, answered as `creating` as AWS does.
    let snap = ServerlessSnapshotRecord {
        serverless_cache_snapshot_name: name.clone(),
        arn: arn.clone(),
        snapshot_type: "manual".into(),
        status: ServerlessSnapshotStatus::Available,
        create_time: now(),
        bytes_used_for_cache: "0".into(),
        serverless_cache_configuration: ServerlessCacheConfiguration {
            serverless_cache_name: cache.into(),
            engine: c.engine,
            major_engine_version: c.major_engine_version.clone(),
        },
    };
    cx.tag_new(&arn, input);
    let mut out = render_snapshot(&snap);
    out["Status"] = "creating".into();
    cx.st.serverless_snapshots.insert(name, snap);
    Ok(json!({"ServerlessCacheSnapshot": out}))
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
    copy.serverless_cache_snapshot_name = target.clone();
    copy.arn = cx.arn("serverlesscachesnapshot", &target);
    copy.create_time = now();
    let mut out = render_snapshot(&copy);
    out["Status"] = "creating".into();
    cx.st.serverless_snapshots.insert(target, copy);
    Ok(json!({"ServerlessCacheSnapshot": out}))
}

pub fn delete_serverless_cache_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let n = s(input, "ServerlessCacheSnapshotName").unwrap_or("");
    let snap = cx
        .st
        .serverless_snapshots
        .remove(n)
        .ok_or_else(|| ss_not_found(n))?;
    let mut snap = render_snapshot(&snap);
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
                .is_none_or(|n| v.serverless_cache_snapshot_name == n)
        })
        .filter(|v| {
            s(input, "ServerlessCacheName")
                .is_none_or(|n| v.serverless_cache_configuration.serverless_cache_name == n)
        })
        .map(render_snapshot)
        .collect();
    Ok(json!({"ServerlessCacheSnapshots": list}))
}

pub fn export_serverless_cache_snapshot(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let n = s(input, "ServerlessCacheSnapshotName").unwrap_or("");
    let snap = cx
        .st
        .serverless_snapshots
        .get(n)
        .map(render_snapshot)
        .ok_or_else(|| ss_not_found(n))?;
    Ok(json!({"ServerlessCacheSnapshot": snap}))
}
