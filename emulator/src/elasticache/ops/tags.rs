//! Tags: one function per action, named after it.

use serde_json::Value;

use crate::elasticache::domain::tags::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, strings, tags_of, Cx};

pub fn add_tags_to_resource(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let arn = s(input, "ResourceName").unwrap_or("").to_string();
    resource_exists(cx, &arn)?;
    let list = cx.st.tags.entry(arn.clone()).or_default();
    for t in tags_of(input) {
        list.retain(|x| x.key != t.key);
        list.push(t);
    }
    if list.len() > 50 {
        return Err(ApiError::new(
            "TagQuotaPerResourceExceeded",
            "A resource can have at most 50 tags.",
        ));
    }
    Ok(tag_list(cx, &arn))
}

pub fn list_tags_for_resource(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let arn = s(input, "ResourceName").unwrap_or("").to_string();
    resource_exists(cx, &arn)?;
    Ok(tag_list(cx, &arn))
}

pub fn remove_tags_from_resource(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let arn = s(input, "ResourceName").unwrap_or("").to_string();
    resource_exists(cx, &arn)?;
    let keys = strings(input, "TagKeys");
    let list = cx.st.tags.entry(arn.clone()).or_default();
    for k in &keys {
        if !list.iter().any(|t| t.key.as_ref() == Some(k)) {
            return Err(ApiError::new("TagNotFound", format!("Tag {k} not found.")));
        }
    }
    list.retain(|t| !keys.iter().any(|k| t.key.as_ref() == Some(k)));
    Ok(tag_list(cx, &arn))
}
