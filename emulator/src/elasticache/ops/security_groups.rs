//! Cache security groups: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::groups::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx, Ec2Grant, SecurityGroupRecord};

pub fn create_cache_security_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSecurityGroupName").unwrap_or("").to_string();
    if name.eq_ignore_ascii_case("default") || cx.st.security_groups.contains_key(&name) {
        return Err(ApiError::new(
            "CacheSecurityGroupAlreadyExists",
            format!("Cache security group {name} already exists."),
        ));
    }
    let arn = cx.arn("securitygroup", &name);
    let group = SecurityGroupRecord {
        owner_id: cx.account.into(),
        cache_security_group_name: name.clone(),
        description: s(input, "Description").unwrap_or("").into(),
        ec2_security_groups: vec![],
        arn: arn.clone(),
    };
    let doc = render_security_group(&group);
    cx.tag_new(&arn, input);
    cx.st.event(
        &name,
        "cache-security-group",
        format!("Cache security group {name} created"),
    );
    cx.st.security_groups.insert(name, group);
    Ok(json!({"CacheSecurityGroup": doc}))
}

pub fn describe_cache_security_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "CacheSecurityGroupName") {
        Some(n) => vec![cx
            .st
            .security_groups
            .get(n)
            .map(render_security_group)
            .ok_or_else(|| sg_not_found(n))?],
        None => cx
            .st
            .security_groups
            .values()
            .map(render_security_group)
            .collect(),
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"CacheSecurityGroups": page, "Marker": marker}))
}

pub fn delete_cache_security_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSecurityGroupName").unwrap_or("");
    if name.eq_ignore_ascii_case("default") {
        return Err(ApiError::new(
            "InvalidCacheSecurityGroupState",
            "The default cache security group cannot be deleted.",
        ));
    }
    cx.st
        .security_groups
        .remove(name)
        .ok_or_else(|| sg_not_found(name))?;
    Ok(Value::Null)
}

pub fn authorize_cache_security_group_ingress(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSecurityGroupName").unwrap_or("").to_string();
    let ec2 = s(input, "EC2SecurityGroupName").unwrap_or("").to_string();
    let owner = s(input, "EC2SecurityGroupOwnerId")
        .unwrap_or("")
        .to_string();
    let g = cx
        .st
        .security_groups
        .get_mut(&name)
        .ok_or_else(|| sg_not_found(&name))?;
    let list = &mut g.ec2_security_groups;
    if list.iter().any(|e| e.name == ec2 && e.owner_id == owner) {
        return Err(ApiError::new(
            "AuthorizationAlreadyExists",
            format!("EC2 security group {ec2} ({owner}) is already authorized."),
        ));
    }
    list.push(Ec2Grant {
        status: "authorized".into(),
        name: ec2,
        owner_id: owner,
    });
    Ok(json!({"CacheSecurityGroup": render_security_group(g)}))
}

pub fn revoke_cache_security_group_ingress(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSecurityGroupName").unwrap_or("").to_string();
    let ec2 = s(input, "EC2SecurityGroupName").unwrap_or("");
    let owner = s(input, "EC2SecurityGroupOwnerId").unwrap_or("");
    let g = cx
        .st
        .security_groups
        .get_mut(&name)
        .ok_or_else(|| sg_not_found(&name))?;
    let list = &mut g.ec2_security_groups;
    let before = list.len();
    list.retain(|e| !(e.name == ec2 && e.owner_id == owner));
    if list.len() == before {
        return Err(ApiError::new(
            "AuthorizationNotFound",
            format!("EC2 security group {ec2} ({owner}) is not authorized."),
        ));
    }
    Ok(json!({"CacheSecurityGroup": render_security_group(g)}))
}
