//! Cache parameter groups (default groups per family are implicit), subnet groups and
//! (EC2-Classic) cache security groups.

use serde_json::{json, Value};

use crate::elasticache::domain::catalog;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{
    ApplyStatus, AvailabilityZone, Cx, ParamGroup, ParamGroupRecord, SecurityGroupRecord, Subnet,
    SubnetGroupRecord,
};

pub(crate) fn pg_not_found(name: &str) -> ApiError {
    ApiError::new(
        "CacheParameterGroupNotFound",
        format!("CacheParameterGroup {name} not found."),
    )
}

/// The family of a user or default parameter group.
pub fn param_group_family(cx: &Cx, name: &str) -> Option<String> {
    if let Some(pg) = cx.st.param_groups.get(name) {
        return Some(pg.rec.cache_parameter_group_family.clone());
    }
    let rest = name.strip_prefix("default.")?;
    let family = rest.strip_suffix(".cluster.on").unwrap_or(rest);
    catalog::families()
        .into_iter()
        .find(|f| *f == family)
        .map(str::to_owned)
}

/// The record of a family's default group (never stored: every region has them all).
pub(crate) fn default_group(cx: &Cx, name: &str, family: &str) -> ParamGroupRecord {
    ParamGroupRecord {
        cache_parameter_group_name: name.into(),
        cache_parameter_group_family: family.into(),
        description: format!("Default parameter group for {family}"),
        is_global: false,
        arn: cx.arn("parametergroup", name),
    }
}

/// The CacheParameterGroup shape (every member is the record's).
pub fn render_param_group(pg: &ParamGroupRecord) -> Value {
    json!(pg)
}

pub(crate) fn user_group<'c>(cx: &'c mut Cx, name: &str) -> ApiResult<&'c mut ParamGroup> {
    if name.starts_with("default.") && param_group_family(cx, name).is_some() {
        return Err(ApiError::new(
            "InvalidCacheParameterGroupState",
            format!("Default parameter group {name} cannot be modified."),
        ));
    }
    cx.st
        .param_groups
        .get_mut(name)
        .ok_or_else(|| pg_not_found(name))
}

// ---- subnet groups ----

/// An id shaped like AWS's (`vpc-1a2b3c4d`), stable per account, region and name, so the
/// default VPC and its subnets look the same on every call.
pub(crate) fn stable_id(cx: &Cx, prefix: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}/{}/{name}", cx.account, cx.region));
    format!("{prefix}-{}", &hex::encode(h)[..8])
}

/// The account's default VPC in the region: every subnet group lives in it.
pub(crate) fn vpc_for(cx: &Cx) -> String {
    stable_id(cx, "vpc", "default-vpc")
}

/// Subnets spread over the region's availability zones, in order.
pub(crate) fn subnets(cx: &Cx, ids: &[String]) -> Vec<Subnet> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Subnet {
            subnet_identifier: id.clone(),
            subnet_availability_zone: AvailabilityZone {
                name: crate::elasticache::domain::regions::zone(cx.region, i),
            },
            supported_network_types: vec!["ipv4".into()],
        })
        .collect()
}

/// A subnet group in the account's default VPC.
pub(crate) fn subnet_group(
    cx: &Cx,
    name: &str,
    description: &str,
    ids: &[String],
) -> SubnetGroupRecord {
    SubnetGroupRecord {
        cache_subnet_group_name: name.into(),
        cache_subnet_group_description: description.into(),
        vpc_id: vpc_for(cx),
        subnets: subnets(cx, ids),
        arn: cx.arn("subnetgroup", name),
        supported_network_types: vec!["ipv4".into()],
    }
}

pub(crate) fn default_subnet_group(cx: &Cx) -> SubnetGroupRecord {
    // As in AWS, the default VPC has one default subnet per availability zone.
    let ids: Vec<String> = (0..4)
        .map(|i| stable_id(cx, "subnet", &format!("default-subnet-{i}")))
        .collect();
    subnet_group(cx, "default", "Default CacheSubnetGroup", &ids)
}

/// The CacheSubnetGroup shape (every member is the record's).
pub fn render_subnet_group(g: &SubnetGroupRecord) -> Value {
    json!(g)
}

/// The CacheSecurityGroup shape (every member is the record's).
pub fn render_security_group(g: &SecurityGroupRecord) -> Value {
    json!(g)
}

pub(crate) fn subnet_not_found(n: &str) -> ApiError {
    ApiError::new(
        "CacheSubnetGroupNotFoundFault",
        format!("Cache subnet group {n} not found."),
    )
}

// ---- cache security groups ----

pub(crate) fn sg_not_found(n: &str) -> ApiError {
    ApiError::new(
        "CacheSecurityGroupNotFound",
        format!("CacheSecurityGroup {n} not found."),
    )
}

/// Pushes changed parameters to every cluster using the group: `immediate` ones with
/// CONFIG SET on each running node, `requires-reboot` ones marked pending until a reboot.
pub(crate) fn apply_to_clusters(
    cx: &mut Cx,
    group: &str,
    family: &str,
    changes: &[(String, String)],
) {
    let (now, later): (Vec<_>, Vec<_>) = changes
        .iter()
        .cloned()
        .partition(|(n, _)| catalog::parameter_change_type(family, n) == Some("immediate"));
    for c in cx.st.clusters.values_mut() {
        if c.rec.cache_parameter_group.cache_parameter_group_name != group {
            continue;
        }
        // memcached takes its parameters as start-up flags: every change waits for a reboot.
        let memcached = c.engine == crate::elasticache::runtime::EngineKind::Memcached;
        let later = if memcached { changes } else { &later[..] };
        if !now.is_empty() && !memcached {
            for n in &c.nodes {
                if let Some(addr) = n.addr {
                    cx.effects
                        .push(crate::elasticache::effects::Effect::Commands {
                            addr,
                            auth: c.auth_token.clone(),
                            commands: crate::elasticache::effects::config_set(&now),
                        });
                }
            }
        }
        if !later.is_empty() {
            let pg = &mut c.rec.cache_parameter_group;
            pg.parameter_apply_status = ApplyStatus::PendingReboot;
            pg.cache_node_ids_to_reboot = c.nodes.iter().map(|n| n.id.clone()).collect();
        }
    }
}
