//! Online migration into a replication group or a serverless cache: one function per
//! action, named after it. The rules are in `domain::migration`.

use serde_json::{json, Value};

use crate::elasticache::domain::migration::{self, Target};
use crate::elasticache::error::ApiResult;
use crate::elasticache::state::{s, Cx};

pub fn prepare_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    Ok(json!({"ServerlessCache": migration::prepare(cx, name, input)?}))
}

pub fn start_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    Ok(match migration::target(input)? {
        Target::Group(id) => json!({"ReplicationGroup": migration::start_group(cx, &id, input)?}),
        Target::Serverless(name) => {
            json!({"ServerlessCache": migration::start_serverless(cx, &name, input)?})
        }
    })
}

pub fn test_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = s(input, "ReplicationGroupId").unwrap_or("");
    Ok(json!({"ReplicationGroup": migration::test_group(cx, id, input)?}))
}

pub fn stop_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "ServerlessCacheName").unwrap_or("");
    Ok(json!({"ServerlessCache": migration::stop(cx, name)?}))
}

pub fn complete_migration(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let force = input["Force"].as_bool().unwrap_or(false);
    Ok(match migration::target(input)? {
        Target::Group(id) => {
            json!({"ReplicationGroup": migration::complete_group(cx, &id, force)?})
        }
        Target::Serverless(name) => {
            json!({"ServerlessCache": migration::complete_serverless(cx, &name, force)?})
        }
    })
}
