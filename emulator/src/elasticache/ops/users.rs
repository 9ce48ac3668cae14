//! RBAC users: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::users::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, Cx};

pub fn create_user(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let id = s(input, "UserId").unwrap_or("").to_string();
    let name = s(input, "UserName").unwrap_or("").to_string();
    if cx.st.users.contains_key(&id) {
        return Err(ApiError::new(
            "UserAlreadyExists",
            format!("User {id} already exists."),
        ));
    }
    if id != "default" && name == "default" {
        return Err(ApiError::new(
            "DuplicateUserName",
            "User name default is reserved.",
        ));
    }
    let engine = s(input, "Engine").unwrap_or("redis").to_ascii_lowercase();
    if engine != "redis" && engine != "valkey" {
        return Err(ApiError::invalid_value(format!("Invalid engine: {engine}")));
    }
    let access = s(input, "AccessString").unwrap_or("").to_string();
    let auth = authentication(input)?;
    let arn = cx.arn("user", &id);
    let doc = json!({
        "UserId": id, "UserName": name, "Status": "active", "Engine": engine,
        "MinimumEngineVersion": "6.0", "AccessString": access, "UserGroupIds": [],
        "Authentication": auth, "ARN": arn,
    });
    cx.tag_new(&arn, input);
    cx.st.user_passwords.insert(id.clone(), passwords_of(input));
    cx.st.event(&id, "user", format!("User {id} created"));
    cx.st.users.insert(id, doc.clone());
    Ok(doc)
}

pub fn describe_users(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let list: Vec<Value> = match s(input, "UserId") {
        Some(id) => vec![cx
            .st
            .users
            .get(id)
            .cloned()
            .ok_or_else(|| user_not_found(id))?],
        None => {
            let engine = s(input, "Engine");
            cx.st
                .users
                .values()
                .filter(|u| engine.is_none_or(|e| u["Engine"] == e))
                .cloned()
                .collect()
        }
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"Users": page, "Marker": marker}))
}

pub fn modify_user(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let id = s(input, "UserId").unwrap_or("").to_string();
    let has_auth = input.get("Passwords").is_some()
        || input.get("NoPasswordRequired").is_some()
        || input.get("AuthenticationMode").is_some();
    let auth = if has_auth {
        Some(authentication(input)?)
    } else {
        None
    };
    let u = cx
        .st
        .users
        .get_mut(&id)
        .ok_or_else(|| user_not_found(&id))?;
    if let Some(a) = s(input, "AccessString") {
        u["AccessString"] = a.into();
    }
    if let Some(a) = s(input, "AppendAccessString") {
        let cur = u["AccessString"].as_str().unwrap_or("").to_string();
        u["AccessString"] = if cur.is_empty() {
            a.to_string()
        } else {
            format!("{cur} {a}")
        }
        .into();
    }
    if let Some(a) = auth {
        u["Authentication"] = a;
    }
    let mut out = u.clone();
    out["Status"] = "modifying".into();
    if has_auth {
        cx.st.user_passwords.insert(id.clone(), passwords_of(input));
    }
    crate::elasticache::domain::acl::refresh_all(cx);
    cx.st.event(&id, "user", format!("User {id} modified"));
    Ok(out)
}

pub fn delete_user(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let id = s(input, "UserId").unwrap_or("").to_string();
    if id == "default" {
        return Err(ApiError::new(
            "InvalidUserState",
            "The default user cannot be deleted.",
        ));
    }
    let mut u = cx.st.users.remove(&id).ok_or_else(|| user_not_found(&id))?;
    if let Some(name) = u["UserName"].as_str() {
        crate::elasticache::domain::acl::revoke_everywhere(cx, name);
    }
    for g in cx.st.user_groups.values_mut() {
        if let Some(a) = g["UserIds"].as_array_mut() {
            a.retain(|x| x != id.as_str());
        }
    }
    u["Status"] = "deleting".into();
    cx.st.user_passwords.remove(&id);
    cx.st.event(&id, "user", format!("User {id} deleted"));
    Ok(u)
}
