//! Cache parameter groups and engine defaults: one function per action, named after it.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::catalog;
use crate::elasticache::domain::groups::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx, ParamGroup, ParamGroupRecord};

pub fn create_cache_parameter_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
    let rec = ParamGroupRecord {
        cache_parameter_group_name: name.clone(),
        cache_parameter_group_family: family,
        description: s(input, "Description").unwrap_or("").into(),
        is_global: false,
        arn: arn.clone(),
    };
    cx.tag_new(&arn, input);
    let name_ev = name.clone();
    let doc = render_param_group(&rec);
    cx.st.param_groups.insert(
        name,
        ParamGroup {
            rec,
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

pub fn describe_cache_parameter_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list: Vec<Value> = match s(input, "CacheParameterGroupName") {
        Some(name) => {
            let family = param_group_family(cx, name).ok_or_else(|| pg_not_found(name))?;
            vec![match cx.st.param_groups.get(name) {
                Some(pg) => render_param_group(&pg.rec),
                None => render_param_group(&default_group(cx, name, &family)),
            }]
        }
        None => {
            let mut all: Vec<Value> = catalog::families()
                .into_iter()
                .map(|f| {
                    render_param_group(&default_group(cx, &catalog::default_group(f, false), f))
                })
                .collect();
            all.extend(
                cx.st
                    .param_groups
                    .values()
                    .map(|p| render_param_group(&p.rec)),
            );
            all
        }
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"CacheParameterGroups": page, "Marker": marker}))
}

pub fn describe_cache_parameters(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
    let specific = match source {
        Some("user") => vec![],
        _ => catalog::node_type_specific(&family),
    };
    let (page, marker) = paginate(params, input)?;
    Ok(json!({"Parameters": page, "Marker": marker, "CacheNodeTypeSpecificParameters": specific}))
}

pub fn describe_engine_default_parameters(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
        "CacheNodeTypeSpecificParameters": catalog::node_type_specific(family),
    }}))
}

pub fn modify_cache_parameter_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName")
        .unwrap_or("")
        .to_string();
    let pg = user_group(cx, &name)?;
    let family = pg.rec.cache_parameter_group_family.clone();
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
            Some(true) => {
                catalog::check_value(&family, &pname, &value).map_err(ApiError::invalid_value)?;
                changes.push((pname, value))
            }
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

pub fn reset_cache_parameter_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
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
    let family = pg.rec.cache_parameter_group_family.clone();
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

pub fn delete_cache_parameter_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let name = s(input, "CacheParameterGroupName")
        .unwrap_or("")
        .to_string();
    user_group(cx, &name)?;
    if cx
        .st
        .clusters
        .values()
        .any(|c| c.rec.cache_parameter_group.cache_parameter_group_name == name)
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
