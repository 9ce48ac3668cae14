//! The availability zones of each region, the one table placement and validation use.
//! Source: AWS's "Regions and Availability Zones" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/RegionsAndAZs.html)
//! and the EC2 zone names each region documents (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
//! A region the table does not name gets zones a to c, as most regions have.

use crate::elasticache::error::{ApiError, ApiResult};

/// (region, zone letters)
const ZONES: &[(&str, &str)] = &[
    ("us-east-1", "abcdef"),
    ("us-east-2", "abc"),
    ("us-west-1", "bc"),
    ("us-west-2", "abcd"),
    ("ca-central-1", "abd"),
    ("sa-east-1", "abc"),
    ("eu-west-1", "abc"),
    ("eu-west-2", "abc"),
    ("eu-west-3", "abc"),
    ("eu-central-1", "abc"),
    ("eu-north-1", "abc"),
    ("eu-south-1", "abc"),
    ("ap-northeast-1", "acd"),
    ("ap-northeast-2", "abcd"),
    ("ap-northeast-3", "abc"),
    ("ap-southeast-1", "abc"),
    ("ap-southeast-2", "abc"),
    ("ap-south-1", "abc"),
    ("ap-east-1", "abc"),
    ("me-south-1", "abc"),
    ("af-south-1", "abc"),
];

/// The zones of `region`, in order.
pub fn zones(region: &str) -> Vec<String> {
    let letters = ZONES
        .iter()
        .find(|(r, _)| *r == region)
        .map_or("abc", |(_, l)| l);
    letters.chars().map(|c| format!("{region}{c}")).collect()
}

/// The `i`th zone of the region, round robin: spreads a cluster's nodes and a group's
/// members over the zones.
pub fn zone(region: &str, i: usize) -> String {
    let z = zones(region);
    z[i % z.len()].clone()
}

/// A zone a request names must be one of the request's region (our wording: AWS's text for
/// this refusal is not recorded in its documentation).
pub fn check_zone(region: &str, az: &str) -> ApiResult<()> {
    if zones(region).iter().any(|z| z == az) {
        Ok(())
    } else {
        Err(ApiError::invalid_value(format!(
            "Invalid availability zone: {az} is not an availability zone of {region}."
        )))
    }
}

/// Every zone a create or modify names (PreferredAvailabilityZone(s), PreferredCacheClusterAZs,
/// NewAvailabilityZones, node group configurations).
pub fn check_zones_of(region: &str, input: &serde_json::Value) -> ApiResult<()> {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect()
    };
    let mut named: Vec<String> = vec![];
    named.extend(text(&input["PreferredAvailabilityZone"]));
    for key in [
        "PreferredAvailabilityZones",
        "PreferredCacheClusterAZs",
        "NewAvailabilityZones",
    ] {
        named.extend(list(&input[key]));
    }
    for key in ["NodeGroupConfiguration", "ReplicaConfiguration"] {
        for g in input[key].as_array().into_iter().flatten() {
            named.extend(text(&g["PrimaryAvailabilityZone"]));
            named.extend(list(&g["ReplicaAvailabilityZones"]));
            named.extend(list(&g["PreferredAvailabilityZones"]));
        }
    }
    for az in named {
        check_zone(region, &az)?;
    }
    Ok(())
}

/// What PreferredAvailabilityZone reports for a cluster whose nodes are in `zones`: the zone,
/// or `Multiple` when they differ (the API reference's CacheCluster.PreferredAvailabilityZone).
pub fn preferred_of(zones: &[String]) -> String {
    match zones.first() {
        Some(z) if zones.iter().all(|x| x == z) => z.clone(),
        Some(_) => "Multiple".into(),
        None => String::new(),
    }
}

/// The zones of `count` new Memcached nodes (Redis OSS clusters take a single zone): the
/// request's PreferredAvailabilityZones / NewAvailabilityZones (as many as nodes, as the API
/// reference requires), cross-az spreading them over the region's zones from `offset`, else
/// all in PreferredAvailabilityZone or the zone at `offset`.
pub fn node_zones(
    region: &str,
    input: &serde_json::Value,
    list_key: &str,
    count: usize,
    offset: usize,
    single: Option<&str>,
) -> ApiResult<Vec<String>> {
    let named: Vec<String> = input[list_key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|z| z.as_str().map(str::to_owned))
        .collect();
    if !named.is_empty() {
        if named.len() != count {
            return Err(ApiError::invalid_value(format!(
                "The number of availability zones in {list_key} ({}) must equal the number of cache nodes being created ({count}).",
                named.len()
            )));
        }
        return Ok(named);
    }
    if input["AZMode"] == "cross-az" {
        return Ok((0..count).map(|i| zone(region, offset + i)).collect());
    }
    let one = input["PreferredAvailabilityZone"]
        .as_str()
        .map(str::to_owned)
        .or(single.map(str::to_owned))
        .unwrap_or_else(|| zone(region, offset));
    Ok(vec![one; count])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_the_regions_own() {
        assert_eq!(zones("us-west-1"), ["us-west-1b", "us-west-1c"]);
        assert_eq!(zone("us-east-1", 7), "us-east-1b");
        assert_eq!(zones("xx-new-1").len(), 3);
        assert!(check_zone("us-east-1", "us-east-1f").is_ok());
        assert!(check_zone("us-east-1", "us-west-2a").is_err());
        assert!(check_zone("us-west-1", "us-west-1a").is_err());
        let input = serde_json::json!({"NodeGroupConfiguration": [{"PrimaryAvailabilityZone": "eu-west-1a"}]});
        assert!(check_zones_of("us-east-1", &input).is_err());
        assert!(check_zones_of("eu-west-1", &input).is_ok());
        let cross = serde_json::json!({"AZMode": "cross-az"});
        let z = node_zones(
            "us-west-2",
            &cross,
            "PreferredAvailabilityZones",
            3,
            0,
            None,
        )
        .unwrap();
        assert_eq!(z, ["us-west-2a", "us-west-2b", "us-west-2c"]);
        assert_eq!(preferred_of(&z), "Multiple");
        let named = serde_json::json!({"PreferredAvailabilityZones": ["us-west-2a"]});
        assert!(node_zones(
            "us-west-2",
            &named,
            "PreferredAvailabilityZones",
            2,
            0,
            None
        )
        .is_err());
        let z = node_zones(
            "us-west-2",
            &serde_json::json!({}),
            "PreferredAvailabilityZones",
            2,
            1,
            None,
        )
        .unwrap();
        assert_eq!(preferred_of(&z), "us-west-2b");
    }
}
