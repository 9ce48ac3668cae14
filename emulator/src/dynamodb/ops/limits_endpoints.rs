//! DescribeEndpoints and DescribeLimits: AWS's regional endpoint and a new account's quotas.

use serde_json::{json, Value};

use crate::context::RequestContext;

pub(super) fn describe_endpoints(ctx: &RequestContext) -> Value {
    json!({"Endpoints": [{"Address": format!("dynamodb.{}.amazonaws.com", ctx.region), "CachePeriodInMinutes": 1440}]})
}

/// The default quotas of a new AWS account.
pub(super) fn describe_limits() -> Value {
    json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    })
}
