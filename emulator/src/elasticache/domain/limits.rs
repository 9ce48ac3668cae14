//! AWS's numeric limits for ElastiCache, checked before any node starts so that a rejected
//! request leaves nothing behind (and an absurd count never reaches an allocation).

use serde_json::Value;

use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::{EngineKind, RuntimeError};
use crate::elasticache::state::Region;

/// Replicas per shard: ReplicasPerNodeGroup, ReplicaCount, NewReplicaCount.
pub const MAX_REPLICAS: i64 = 5;
/// Cache clusters of a cluster-mode-disabled group: one primary and up to five replicas.
pub const MAX_CACHE_CLUSTERS: i64 = 6;
/// Node groups (shards) of a cluster-mode group.
pub const MAX_NODE_GROUPS: i64 = 500;
/// Nodes of one memcached cluster (AWS's default "nodes per cluster" quota).
pub const MAX_MEMCACHED_NODES: i64 = 40;

/// An integer parameter, if given. The codec already rejected non-numeric text.
pub fn int(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

/// `value` of parameter `name` within `lo..=hi`, else InvalidParameterValue.
pub fn in_range(name: &str, value: i64, lo: i64, hi: i64) -> ApiResult<usize> {
    if (lo..=hi).contains(&value) {
        // lo is never negative, so the cast cannot wrap.
        Ok(value as usize)
    } else {
        Err(ApiError::invalid_value(out_of_range(name, value, lo, hi)))
    }
}

/// The message for `value` outside `lo..=hi`: AWS's own where known, else one naming the
/// parameter, the value and the range.
fn out_of_range(name: &str, value: i64, lo: i64, hi: i64) -> String {
    match name {
        // AWS's text for a replica count out of range at creation (as reported by its
        // users); NewReplicaCount's is not known, so it keeps the generic one.
        "ReplicasPerNodeGroup" | "ReplicaCount" => {
            format!("The number of replicas per node group must be within {lo} and {hi}.")
        }
        _ => {
            format!("Invalid value {value} for parameter {name}: it must be between {lo} and {hi}.")
        }
    }
}

/// The Port parameter, if given: a TCP port.
pub fn port(input: &Value) -> ApiResult<Option<u16>> {
    int(input, "Port")
        .map(|p| in_range("Port", p, 1, 65535).map(|p| p as u16))
        .transpose()
}

/// Shards and nodes of one cluster-mode group: 500 from Redis OSS 5.0.6 and every Valkey
/// version, 250 below (AWS's documented per-cluster limits).
pub fn max_cluster_nodes(engine: EngineKind, version: &str) -> usize {
    if engine == EngineKind::Redis && version_below(version, &[5, 0, 6]) {
        250
    } else {
        500
    }
}

/// Whether dotted `version` ("5.0.5", "6.x", "7.1") is below `floor`; non-numeric parts count
/// as 0 ("6.x" is 6.0).
fn version_below(version: &str, floor: &[u64]) -> bool {
    let parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    for (i, f) in floor.iter().enumerate() {
        let v = parts.get(i).copied().unwrap_or(0);
        if v != *f {
            return v < *f;
        }
    }
    false
}

/// An AUTH token as AWS accepts it: 16 to 128 printable ASCII characters other than space,
/// '/', '"' and '@'.
pub fn auth_token(token: &str) -> ApiResult<()> {
    if !(16..=128).contains(&token.len()) {
        return Err(ApiError::invalid_value(
            "The AUTH token must be between 16 and 128 printable characters.",
        ));
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'"' | b'@'))
    {
        return Err(ApiError::invalid_value(
            "The AUTH token may contain only printable ASCII characters other than space, '/', '\"' and '@'.",
        ));
    }
    Ok(())
}

/// NodeQuotaForClusterExceeded when one cluster or group would hold more than `max` nodes.
pub fn cluster_quota(nodes: usize, max: usize) -> ApiResult<()> {
    if nodes > max {
        return Err(ApiError::new(
            "NodeQuotaForClusterExceeded",
            format!("Cluster node quota exceeded. You can have at most {max} nodes in a cluster."),
        ));
    }
    Ok(())
}

/// Cache nodes of an account in a region (serverless caches do not count against the quota).
pub fn nodes_in(region: &Region) -> usize {
    region.clusters.values().map(|c| c.nodes.len()).sum()
}

/// NodeQuotaForCustomerExceeded when `adding` nodes would take the region over `max`
/// (AWS's text, with the quota in effect).
pub fn region_quota(region: &Region, adding: usize, max: usize) -> ApiResult<()> {
    if nodes_in(region).saturating_add(adding) > max {
        return Err(ApiError::new(
            "NodeQuotaForCustomerExceeded",
            format!(
                "Customer node quota exceeded. You can have at most {max} nodes in this region."
            ),
        ));
    }
    Ok(())
}

/// A node that cannot be given an address: the quota error when the published port range
/// is full (the range is the quota then), else AWS's capacity error.
pub fn reserve_error(e: RuntimeError, what: &str) -> ApiError {
    match e {
        RuntimeError::PortsExhausted(ports) => ApiError::new(
            "NodeQuotaForCustomerExceeded",
            format!(
                "Customer node quota exceeded. You can have at most {} nodes in this region.",
                ports.len()
            ),
        ),
        e => ApiError::new(
            "InsufficientCacheClusterCapacity",
            format!("Could not start {what}: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_reject_negative_and_large_values() {
        assert_eq!(in_range("ReplicaCount", 0, 0, 5).unwrap(), 0);
        assert_eq!(in_range("ReplicaCount", 5, 0, 5).unwrap(), 5);
        let e = in_range("ReplicaCount", -1, 0, 5).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert_eq!(
            e.message,
            "The number of replicas per node group must be within 0 and 5."
        );
        let e = in_range("NewReplicaCount", 6, 0, 5).unwrap_err();
        assert!(e.message.contains("NewReplicaCount"), "{}", e.message);
        let e = in_range("NumNodeGroups", -1, 1, 500).unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.contains("-1"), "{}", e.message);
        assert!(in_range("ReplicaCount", i64::MAX, 0, 5).is_err());
        assert!(port(&serde_json::json!({"Port": 0})).is_err());
        assert!(port(&serde_json::json!({"Port": 70000})).is_err());
        assert_eq!(
            port(&serde_json::json!({"Port": 6380})).unwrap(),
            Some(6380)
        );
        assert_eq!(port(&serde_json::json!({})).unwrap(), None);
    }

    #[test]
    fn auth_tokens_take_every_printable_character_but_four() {
        assert!(auth_token("!&#$^<>-%*()_+=~`'{}[]|\\:;,.?").is_ok());
        assert!(auth_token("abcdefghijklmno").is_err());
        assert!(auth_token(&"a".repeat(129)).is_err());
        for bad in ["/", "\"", "@", " ", "\u{e9}", "\t"] {
            let t = format!("abcdefghijklmnop{bad}");
            assert!(auth_token(&t).is_err(), "{t:?} accepted");
        }
    }

    #[test]
    fn cluster_node_limit_depends_on_the_engine_version() {
        assert_eq!(max_cluster_nodes(EngineKind::Redis, "5.0.5"), 250);
        assert_eq!(max_cluster_nodes(EngineKind::Redis, "4.0.10"), 250);
        assert_eq!(max_cluster_nodes(EngineKind::Redis, "5.0.6"), 500);
        assert_eq!(max_cluster_nodes(EngineKind::Redis, "6.x"), 500);
        assert_eq!(max_cluster_nodes(EngineKind::Redis, "7.1"), 500);
        assert_eq!(max_cluster_nodes(EngineKind::Valkey, "7.2"), 500);
    }

    #[test]
    fn region_quota_counts_existing_nodes() {
        let r = Region::default();
        assert!(region_quota(&r, 3, 3).is_ok());
        let e = region_quota(&r, 4, 3).unwrap_err();
        assert_eq!(e.code, "NodeQuotaForCustomerExceeded");
        assert_eq!(
            e.message,
            "Customer node quota exceeded. You can have at most 3 nodes in this region."
        );
        assert!(region_quota(&r, usize::MAX, 3).is_err());
    }
}
