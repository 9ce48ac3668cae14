//! Online migration into a replication group: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::replication_groups::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx};

pub fn start_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if cx.st.migrating.contains_key(&id) {
        return Err(ApiError::new(
            "ReplicationGroupAlreadyUnderMigrationFault",
            format!("Replication group {id} is already under migration."),
        ));
    }
    require_available(cx, &id)?;
    cx.st
        .migrating
        .insert(id.clone(), input["CustomerNodeEndpointList"].clone());
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        rg.doc.insert("Status".into(), "modifying".into());
    }
    cx.st.event(&id, "replication-group", "Migration started");
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn test_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if cx.st.migrating.contains_key(&id) {
        return Err(ApiError::new(
            "ReplicationGroupAlreadyUnderMigrationFault",
            format!("Replication group {id} is already under migration."),
        ));
    }
    require_available(cx, &id)?;
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}

pub fn complete_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = key(cx, s(input, "ReplicationGroupId").unwrap_or(""))?;
    if cx.st.migrating.remove(&id).is_none() {
        return Err(ApiError::new(
            "ReplicationGroupNotUnderMigrationFault",
            format!("Replication group {id} is not under migration."),
        ));
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(&id) {
        rg.doc.insert("Status".into(), "available".into());
    }
    cx.st.event(&id, "replication-group", "Migration completed");
    Ok(json!({"ReplicationGroup": render(cx, &id)}))
}
