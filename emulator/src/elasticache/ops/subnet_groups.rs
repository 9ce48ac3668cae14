//! Cache subnet groups: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::groups::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, strings, Cx};

pub fn create_cache_subnet_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSubnetGroupName")
        .unwrap_or("")
        .to_ascii_lowercase();
    if name == "default" || cx.st.subnet_groups.contains_key(&name) {
        return Err(ApiError::new(
            "CacheSubnetGroupAlreadyExists",
            format!("Cache subnet group {name} already exists."),
        ));
    }
    let ids = strings(input, "SubnetIds");
    if ids.is_empty() {
        return Err(ApiError::missing("SubnetIds"));
    }
    if let Some(bad) = ids.iter().find(|i| !i.starts_with("subnet-")) {
        return Err(ApiError::new(
            "InvalidSubnet",
            format!("The subnet ID '{bad}' is not valid"),
        ));
    }
    let description = s(input, "CacheSubnetGroupDescription").unwrap_or("");
    let group = subnet_group(cx, &name, description, &ids);
    let doc = render_subnet_group(&group);
    let arn = group.arn.clone();
    cx.tag_new(&arn, input);
    cx.st.event(
        &name,
        "cache-subnet-group",
        format!("Cache subnet group {name} created"),
    );
    cx.st.subnet_groups.insert(name, group);
    Ok(json!({"CacheSubnetGroup": doc}))
}

pub fn describe_cache_subnet_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "CacheSubnetGroupName") {
        Some("default") => vec![render_subnet_group(&default_subnet_group(cx))],
        Some(n) => vec![cx
            .st
            .subnet_groups
            .get(&n.to_ascii_lowercase())
            .map(render_subnet_group)
            .ok_or_else(|| subnet_not_found(n))?],
        None => {
            let mut v = vec![render_subnet_group(&default_subnet_group(cx))];
            v.extend(cx.st.subnet_groups.values().map(render_subnet_group));
            v
        }
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"CacheSubnetGroups": page, "Marker": marker}))
}

pub fn modify_cache_subnet_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSubnetGroupName")
        .unwrap_or("")
        .to_ascii_lowercase();
    let ids = strings(input, "SubnetIds");
    let new_subnets = (!ids.is_empty()).then(|| subnets(cx, &ids));
    let g = cx
        .st
        .subnet_groups
        .get_mut(&name)
        .ok_or_else(|| subnet_not_found(&name))?;
    if let Some(d) = s(input, "CacheSubnetGroupDescription") {
        g.cache_subnet_group_description = d.into();
    }
    if let Some(sn) = new_subnets {
        g.subnets = sn;
    }
    Ok(json!({"CacheSubnetGroup": render_subnet_group(g)}))
}

pub fn delete_cache_subnet_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheSubnetGroupName")
        .unwrap_or("")
        .to_ascii_lowercase();
    if !cx.st.subnet_groups.contains_key(&name) {
        return Err(subnet_not_found(&name));
    }
    if cx
        .st
        .clusters
        .values()
        .any(|c| c.rec.cache_subnet_group_name == name)
    {
        return Err(ApiError::new(
            "CacheSubnetGroupInUse",
            format!("Cache subnet group {name} is in use."),
        ));
    }
    cx.st.subnet_groups.remove(&name);
    cx.st.event(
        &name,
        "cache-subnet-group",
        format!("Cache subnet group {name} deleted"),
    );
    Ok(Value::Null)
}
