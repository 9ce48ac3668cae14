//! Serverless caches: the one node behind each, started at a reserved address.

use serde_json::{json, Value};

use crate::elasticache::effects::{Effect, Launch};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{Cx, ServerlessRecord, ServerlessSnapshotRecord, ServerlessStatus};

pub(crate) fn serverless_not_found(n: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheNotFoundFault",
        format!("Serverless cache {n} not found."),
    )
}

/// Records the start of the one engine process behind a serverless cache (data dir named by
/// `serial`, reused after an emulator restart); its address is reserved now.
pub(crate) fn start_serverless_node(
    cx: &mut Cx,
    name: &str,
    kind: crate::elasticache::runtime::EngineKind,
    serial: u64,
    preferred: Option<std::net::SocketAddr>,
) -> ApiResult<std::net::SocketAddr> {
    let mut spec = crate::elasticache::runtime::NodeSpec {
        label: format!("ec-{}-{}-serverless-{name}", cx.account, cx.region),
        engine: kind,
        engine_version: cx
            .st
            .serverless
            .get(name)
            .map(|c| c.full_engine_version.clone()),
        port: kind.default_port(),
        data_dir: cx.dir(&format!("serverless-{name}-{serial}")),
        auth_token: None,
        replica_of: None,
        seed_rdb: None,
        // Serverless nodes stay plaintext: clients of the emulator's serverless endpoint
        // connect without TLS.
        tls: false,
        cluster: false,
        extra_args: vec![],
        preferred,
        persistent: cx.persistent,
    };
    // A restored node keeps its saved address (see `cache_clusters::launch`).
    let addr = match preferred {
        Some(saved) => saved,
        None => cx
            .backend
            .reserve(&spec)
            .map_err(|e| super::limits::reserve_error(e, &format!("serverless cache {name}")))?,
    };
    spec.preferred = Some(addr);
    let persistent = cx.persistent && kind != crate::elasticache::runtime::EngineKind::Memcached;
    cx.effects.push(Effect::Start(Box::new(Launch {
        spec,
        owner: name.to_string(),
        serverless: true,
        serial,
        config: if persistent {
            crate::elasticache::runtime::aof_config()
        } else {
            vec![]
        },
        acl: vec![],
        restored: preferred.is_some(),
    })));
    Ok(addr)
}

/// Starts a saved serverless cache again after an emulator restart (its endpoint follows
/// the node if the old address is taken).
pub fn restart_serverless(cx: &mut Cx, name: &str, serial: u64) -> ApiResult<()> {
    let Some(rec) = cx.st.serverless.get(name) else {
        return Ok(());
    };
    let kind = rec.engine;
    let preferred = rec
        .endpoint
        .address
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| std::net::SocketAddr::from((ip, rec.endpoint.port)));
    let addr = start_serverless_node(cx, name, kind, serial, preferred)?;
    if let Some(rec) = cx.st.serverless.get_mut(name) {
        rec.endpoint = addr.into();
        rec.reader_endpoint = addr.into();
    }
    cx.st
        .serverless_nodes
        .insert(name.to_string(), (serial, None));
    Ok(())
}

pub(crate) fn serverless_available(cx: &Cx, name: &str) -> ApiResult<()> {
    let c = cx
        .st
        .serverless
        .get(name)
        .ok_or_else(|| serverless_not_found(name))?;
    if c.status != ServerlessStatus::Available {
        return Err(ApiError::new(
            "InvalidServerlessCacheStateFault",
            format!(
                "Serverless cache {name} is not available (current state: {}).",
                // As the untyped version wrote it: a JSON string, quoted.
                Value::from(c.status.as_str())
            ),
        ));
    }
    Ok(())
}

pub(crate) fn ss_not_found(n: &str) -> ApiError {
    ApiError::new(
        "ServerlessCacheSnapshotNotFoundFault",
        format!("Serverless cache snapshot {n} not found."),
    )
}

pub(crate) fn ss_exists(cx: &Cx, n: &str) -> ApiResult<()> {
    if cx.st.serverless_snapshots.contains_key(n) {
        return Err(ApiError::new(
            "ServerlessCacheSnapshotAlreadyExistsFault",
            format!("Serverless cache snapshot {n} already exists."),
        ));
    }
    Ok(())
}

/// The ServerlessCache shape: the record and the members every cache reports alike.
pub fn render(c: &ServerlessRecord) -> Value {
    let mut v = json!(c);
    v["NetworkType"] = "ipv4".into();
    v
}

/// The ServerlessCacheSnapshot shape (every member is the record's).
pub fn render_snapshot(snap: &ServerlessSnapshotRecord) -> Value {
    json!(snap)
}
