//! Cache security groups: one function per action, named after it.

use serde_json::{json, Map, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::groups::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx};

pub fn create_cache_security_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSecurityGroupName").unwrap_or("").to_string();
    if name.eq_ignore_ascii_case("default") || cx.st.security_groups.contains_key(&name) {
        return Err(ApiError::new(
            "CacheSecurityGroupAlreadyExists",
            format!("Cache security group {name} already exists."),
        ));
    }
    let arn = cx.arn("securitygroup", &name);
    let doc = json!({
        "OwnerId": cx.account,
        "CacheSecurityGroupName": name,
        "Description": s(input, "Description").unwrap_or(""),
        "EC2SecurityGroups": [],
        "ARN": arn,
    });
    cx.tag_new(&arn, input);
    cx.st.event(
        &name,
        "cache-security-group",
        format!("Cache security group {name} created"),
    );
    cx.st.security_groups.insert(name, doc.clone());
    Ok(json!({"CacheSecurityGroup": doc}))
}

pub fn describe_cache_security_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "CacheSecurityGroupName") {
        Some(n) => vec![cx
            .st
            .security_groups
            .get(n)
            .cloned()
            .ok_or_else(|| sg_not_found(n))?],
        None => cx.st.security_groups.values().cloned().collect(),
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
    let list = g["EC2SecurityGroups"]
        .as_array_mut()
        .ok_or_else(|| sg_not_found(&name))?;
    if list.iter().any(|e| {
        e["EC2SecurityGroupName"] == ec2.as_str() && e["EC2SecurityGroupOwnerId"] == owner.as_str()
    }) {
        return Err(ApiError::new(
            "AuthorizationAlreadyExists",
            format!("EC2 security group {ec2} ({owner}) is already authorized."),
        ));
    }
    let mut e = Map::new();
    e.insert("Status".into(), "authorized".into());
    e.insert("EC2SecurityGroupName".into(), ec2.into());
    e.insert("EC2SecurityGroupOwnerId".into(), owner.into());
    list.push(Value::Object(e));
    Ok(json!({"CacheSecurityGroup": g.clone()}))
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
    let list = g["EC2SecurityGroups"]
        .as_array_mut()
        .ok_or_else(|| sg_not_found(&name))?;
    let before = list.len();
    list.retain(|e| !(e["EC2SecurityGroupName"] == ec2 && e["EC2SecurityGroupOwnerId"] == owner));
    if list.len() == before {
        return Err(ApiError::new(
            "AuthorizationNotFound",
            format!("EC2 security group {ec2} ({owner}) is not authorized."),
        ));
    }
    Ok(json!({"CacheSecurityGroup": g.clone()}))
}
