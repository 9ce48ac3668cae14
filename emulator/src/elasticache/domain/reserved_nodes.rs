//! Reserved cache nodes: offering filters.

use serde_json::Value;

use crate::elasticache::state::s;

pub(crate) fn offering_matches(o: &Value, input: &Value) -> bool {
    s(input, "ReservedCacheNodesOfferingId").is_none_or(|v| o["ReservedCacheNodesOfferingId"] == v)
        && s(input, "CacheNodeType").is_none_or(|v| o["CacheNodeType"] == v)
        && s(input, "ProductDescription").is_none_or(|v| o["ProductDescription"] == v)
        && s(input, "OfferingType").is_none_or(|v| o["OfferingType"] == v)
        && s(input, "Duration").is_none_or(|v| {
            let secs = match v {
                "1" | "31536000" => 31536000,
                "3" | "94608000" => 94608000,
                _ => 0,
            };
            o["Duration"] == secs
        })
}
