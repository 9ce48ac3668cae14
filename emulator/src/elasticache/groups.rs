//! Cache parameter groups (default groups per family are implicit), subnet groups and
//! (EC2-Classic) cache security groups.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::catalog;
use super::clusters::paginate;
use super::error::{ApiError, ApiResult};
use super::state::{s, strings, Cx, ParamGroup};

fn pg_not_found(name: &str) -> ApiError {
    ApiError::new(
        "CacheParameterGroupNotFound",
        format!("CacheParameterGroup {name} not found."),
    )
}

/// The family of a user or default parameter group.
pub fn param_group_family(cx: &Cx, name: &str) -> Option<String> {
    if let Some(pg) = cx.st.param_groups.get(name) {
        return pg.doc["CacheParameterGroupFamily"]
            .as_str()
            .map(str::to_owned);
    }
    let rest = name.strip_prefix("default.")?;
    let family = rest.strip_suffix(".cluster.on").unwrap_or(rest);
    catalog::families()
        .into_iter()
        .find(|f| *f == family)
        .map(str::to_owned)
}

fn default_doc(cx: &Cx, name: &str, family: &str) -> Value {
    json!({
        "CacheParameterGroupName": name,
        "CacheParameterGroupFamily": family,
        "Description": format!("Default parameter group for {family}"),
        "IsGlobal": false,
        "ARN": cx.arn("parametergroup", name),
    })
}

pub fn create_param_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName")
        .unwrap_or("")
        .to_string();
    let family = s(input, "CacheParameterGroupFamily")
        .unwrap_or("")
        .to_string();
    if !catalog::families().contains(&family.as_str()) {
        return Err(ApiError::invalid_value(format!(
            "The parameter CacheParameterGroupFamily is not a valid family: {family}"
        )));
    }
    if name.starts_with("default.") {
        return Err(ApiError::invalid_value(
            "Parameter group names starting with 'default.' are reserved.",
        ));
    }
    if param_group_family(cx, &name).is_some() {
        return Err(ApiError::new(
            "CacheParameterGroupAlreadyExists",
            format!("Parameter group {name} already exists."),
        ));
    }
    let arn = cx.arn("parametergroup", &name);
    let doc = json!({
        "CacheParameterGroupName": name,
        "CacheParameterGroupFamily": family,
        "Description": s(input, "Description").unwrap_or(""),
        "IsGlobal": false,
        "ARN": arn,
    });
    cx.tag_new(&arn, input);
    let name_ev = name.clone();
    let Value::Object(map) = doc.clone() else {
        unreachable!("json! object")
    };
    cx.st.param_groups.insert(
        name,
        ParamGroup {
            doc: map,
            values: BTreeMap::new(),
        },
    );
    cx.st.event(
        &name_ev,
        "cache-parameter-group",
        format!("Cache parameter group {name_ev} created"),
    );
    Ok(json!({"CacheParameterGroup": doc}))
}

pub fn describe_param_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list: Vec<Value> = match s(input, "CacheParameterGroupName") {
        Some(name) => {
            let family = param_group_family(cx, name).ok_or_else(|| pg_not_found(name))?;
            vec![match cx.st.param_groups.get(name) {
                Some(pg) => Value::Object(pg.doc.clone()),
                None => default_doc(cx, name, &family),
            }]
        }
        None => {
            let mut all: Vec<Value> = catalog::families()
                .into_iter()
                .map(|f| default_doc(cx, &catalog::default_group(f, false), f))
                .collect();
            all.extend(
                cx.st
                    .param_groups
                    .values()
                    .map(|p| Value::Object(p.doc.clone())),
            );
            all
        }
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"CacheParameterGroups": page, "Marker": marker}))
}

pub fn describe_parameters(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName").unwrap_or("");
    let family = param_group_family(cx, name).ok_or_else(|| pg_not_found(name))?;
    let empty = BTreeMap::new();
    let custom = cx.st.param_groups.get(name);
    let values = custom.map(|p| &p.values).unwrap_or(&empty);
    let source = s(input, "Source");
    if let Some(src) = source {
        if !["user", "system", "engine-default"].contains(&src) {
            return Err(ApiError::invalid_value(format!(
                "Invalid value for Source: {src}. Valid values are: user, system, engine-default."
            )));
        }
    }
    let mut params = catalog::parameters(&family, values, custom.is_some());
    match source {
        Some("user") => params.retain(|p| p["Source"] == "user"),
        Some(_) => params.retain(|p| p["Source"] == "system"),
        None => {}
    }
    let (page, marker) = paginate(params, input)?;
    Ok(json!({"Parameters": page, "Marker": marker, "CacheNodeTypeSpecificParameters": []}))
}

pub fn engine_defaults(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let _ = cx;
    let family = s(input, "CacheParameterGroupFamily").unwrap_or("");
    if !catalog::families().contains(&family) {
        return Err(ApiError::invalid_value(format!(
            "Invalid CacheParameterGroupFamily: {family}"
        )));
    }
    let params = catalog::parameters(family, &BTreeMap::new(), false);
    let (page, marker) = paginate(params, input)?;
    Ok(json!({"EngineDefaults": {
        "CacheParameterGroupFamily": family,
        "Marker": marker,
        "Parameters": page,
        "CacheNodeTypeSpecificParameters": [],
    }}))
}

fn user_group<'c>(cx: &'c mut Cx, name: &str) -> ApiResult<&'c mut ParamGroup> {
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

pub fn modify_param_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName")
        .unwrap_or("")
        .to_string();
    let pg = user_group(cx, &name)?;
    let family = pg.doc["CacheParameterGroupFamily"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let mut changes = vec![];
    for p in input["ParameterNameValues"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let pname = s(p, "ParameterName").unwrap_or("").trim().to_string();
        let value = s(p, "ParameterValue").unwrap_or("").trim().to_string();
        match catalog::parameter_known(&family, &pname) {
            None => {
                return Err(ApiError::invalid_value(format!(
                    "Unknown parameter: {pname}"
                )))
            }
            Some(false) => {
                return Err(ApiError::invalid_value(format!(
                    "Parameter {pname} is not modifiable."
                )))
            }
            Some(true) => changes.push((pname, value)),
        }
    }
    if changes.is_empty() {
        return Err(ApiError::missing("ParameterNameValues"));
    }
    pg.values.extend(changes.clone());
    apply_to_clusters(cx, &name, &family, &changes);
    cx.st.event(
        &name,
        "cache-parameter-group",
        format!("Cache parameter group {name} modified"),
    );
    Ok(json!({"CacheParameterGroupName": name}))
}

pub fn reset_param_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName")
        .unwrap_or("")
        .to_string();
    let all = input["ResetAllParameters"].as_bool().unwrap_or(false);
    let names: Vec<String> = input["ParameterNameValues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| s(p, "ParameterName").map(|n| n.trim().to_string()))
        .collect();
    if all && !names.is_empty() {
        return Err(ApiError::invalid_combination(
            "ResetAllParameters cannot be combined with ParameterNameValues.",
        ));
    }
    if !all && names.is_empty() {
        return Err(ApiError::invalid_combination(
            "Either ResetAllParameters or ParameterNameValues must be given.",
        ));
    }
    let pg = user_group(cx, &name)?;
    let family = pg.doc["CacheParameterGroupFamily"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let reset: Vec<String> = if all {
        pg.values.keys().cloned().collect()
    } else {
        names
    };
    for n in &reset {
        pg.values.remove(n);
    }
    // Back to the family defaults on the running engines too.
    let defaults: Vec<(String, String)> = reset
        .iter()
        .filter_map(|n| catalog::parameter_default(&family, n).map(|d| (n.clone(), d.to_string())))
        .collect();
    apply_to_clusters(cx, &name, &family, &defaults);
    Ok(json!({"CacheParameterGroupName": name}))
}

pub fn delete_param_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName")
        .unwrap_or("")
        .to_string();
    user_group(cx, &name)?;
    if cx
        .st
        .clusters
        .values()
        .any(|c| c.doc["CacheParameterGroup"]["CacheParameterGroupName"] == name.as_str())
    {
        return Err(ApiError::new(
            "InvalidCacheParameterGroupState",
            format!("Parameter group {name} is in use by a cache cluster."),
        ));
    }
    cx.st.param_groups.remove(&name);
    cx.st.event(
        &name,
        "cache-parameter-group",
        format!("Cache parameter group {name} deleted"),
    );
    let arn = cx.arn("parametergroup", &name);
    cx.st.tags.remove(&arn);
    Ok(Value::Null)
}

// ---- subnet groups ----

/// An id shaped like AWS's (`vpc-1a2b3c4d`), stable per account, region and name, so the
/// default VPC and its subnets look the same on every call.
fn stable_id(cx: &Cx, prefix: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{}/{}/{name}", cx.account, cx.region));
    format!("{prefix}-{}", &hex::encode(h)[..8])
}

/// The account's default VPC in the region: every subnet group lives in it.
fn vpc_for(cx: &Cx) -> String {
    stable_id(cx, "vpc", "default-vpc")
}

fn subnets(cx: &Cx, ids: &[String]) -> Value {
    Value::Array(
        ids.iter()
            .enumerate()
            .map(|(i, id)| {
                json!({"SubnetIdentifier": id, "SubnetAvailabilityZone": {"Name": cx.az(i)}, "SupportedNetworkTypes": ["ipv4"]})
            })
            .collect(),
    )
}

fn default_subnet_group(cx: &Cx) -> Value {
    // As in AWS, the default VPC has one default subnet per availability zone.
    let ids: Vec<String> = (0..4)
        .map(|i| stable_id(cx, "subnet", &format!("default-subnet-{i}")))
        .collect();
    json!({
        "CacheSubnetGroupName": "default",
        "CacheSubnetGroupDescription": "Default CacheSubnetGroup",
        "VpcId": vpc_for(cx),
        "Subnets": subnets(cx, &ids),
        "ARN": cx.arn("subnetgroup", "default"),
        "SupportedNetworkTypes": ["ipv4"],
    })
}

pub fn create_subnet_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
    let arn = cx.arn("subnetgroup", &name);
    let doc = json!({
        "CacheSubnetGroupName": name,
        "CacheSubnetGroupDescription": s(input, "CacheSubnetGroupDescription").unwrap_or(""),
        "VpcId": vpc_for(cx),
        "Subnets": subnets(cx, &ids),
        "ARN": arn,
        "SupportedNetworkTypes": ["ipv4"],
    });
    cx.tag_new(&arn, input);
    cx.st.event(
        &name,
        "cache-subnet-group",
        format!("Cache subnet group {name} created"),
    );
    cx.st.subnet_groups.insert(name, doc.clone());
    Ok(json!({"CacheSubnetGroup": doc}))
}

pub fn describe_subnet_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list = match s(input, "CacheSubnetGroupName") {
        Some("default") => vec![default_subnet_group(cx)],
        Some(n) => vec![cx
            .st
            .subnet_groups
            .get(&n.to_ascii_lowercase())
            .cloned()
            .ok_or_else(|| subnet_not_found(n))?],
        None => {
            let mut v = vec![default_subnet_group(cx)];
            v.extend(cx.st.subnet_groups.values().cloned());
            v
        }
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"CacheSubnetGroups": page, "Marker": marker}))
}

fn subnet_not_found(n: &str) -> ApiError {
    ApiError::new(
        "CacheSubnetGroupNotFoundFault",
        format!("Cache subnet group {n} not found."),
    )
}

pub fn modify_subnet_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
        g["CacheSubnetGroupDescription"] = d.into();
    }
    if let Some(sn) = new_subnets {
        g["Subnets"] = sn;
    }
    Ok(json!({"CacheSubnetGroup": g.clone()}))
}

pub fn delete_subnet_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
        .any(|c| c.doc["CacheSubnetGroupName"] == name.as_str())
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

// ---- cache security groups ----

fn sg_not_found(n: &str) -> ApiError {
    ApiError::new(
        "CacheSecurityGroupNotFound",
        format!("CacheSecurityGroup {n} not found."),
    )
}

pub fn create_security_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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

pub fn describe_security_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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

pub fn delete_security_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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

pub fn authorize_ingress(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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

pub fn revoke_ingress(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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

/// Pushes changed parameters to every cluster using the group: `immediate` ones with
/// CONFIG SET on each running node, `requires-reboot` ones marked pending until a reboot.
fn apply_to_clusters(cx: &mut Cx, group: &str, family: &str, changes: &[(String, String)]) {
    let (now, later): (Vec<_>, Vec<_>) = changes
        .iter()
        .cloned()
        .partition(|(n, _)| catalog::parameter_change_type(family, n) == Some("immediate"));
    for c in cx.st.clusters.values_mut() {
        if c.doc["CacheParameterGroup"]["CacheParameterGroupName"] != group {
            continue;
        }
        // memcached takes its parameters as start-up flags: every change waits for a reboot.
        let memcached = c.engine == super::runtime::EngineKind::Memcached;
        let later = if memcached { changes } else { &later[..] };
        if !now.is_empty() && !memcached {
            for n in &c.nodes {
                if let Some(addr) = n.addr {
                    cx.effects.push(super::effects::Effect::Commands {
                        addr,
                        auth: c.auth_token.clone(),
                        commands: super::effects::config_set(&now),
                    });
                }
            }
        }
        if !later.is_empty() {
            let ids: Vec<Value> = c.nodes.iter().map(|n| Value::from(n.id.clone())).collect();
            c.doc["CacheParameterGroup"]["ParameterApplyStatus"] = "pending-reboot".into();
            c.doc["CacheParameterGroup"]["CacheNodeIdsToReboot"] = Value::Array(ids);
        }
    }
}
