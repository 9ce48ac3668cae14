//! RBAC users: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::users::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;
use crate::elasticache::state::{s, Cx, UserRecord, UserStatus};

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
    let engine = match EngineKind::parse(&engine) {
        Some(e) if e != EngineKind::Memcached => e,
        _ => return Err(ApiError::invalid_value(format!("Invalid engine: {engine}"))),
    };
    let access = s(input, "AccessString").unwrap_or("").to_string();
    let auth = authentication(input)?;
    let arn = cx.arn("user", &id);
    let user = UserRecord {
        user_id: id.clone(),
        user_name: name,
        status: UserStatus::Active,
        engine,
        minimum_engine_version: "6.0".into(),
        access_string: access,
        user_group_ids: vec![],
        authentication: auth,
        arn: arn.clone(),
    };
    cx.tag_new(&arn, input);
    cx.st.user_passwords.insert(id.clone(), passwords_of(input));
    cx.st.event(&id, "user", format!("User {id} created"));
    let out = render_user(&user);
    cx.st.users.insert(id, user);
    Ok(out)
}

pub fn describe_users(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let list: Vec<Value> = match s(input, "UserId") {
        Some(id) => vec![cx
            .st
            .users
            .get(id)
            .map(render_user)
            .ok_or_else(|| user_not_found(id))?],
        None => {
            let engine = s(input, "Engine");
            cx.st
                .users
                .values()
                .filter(|u| engine.is_none_or(|e| u.engine.as_str() == e))
                .map(render_user)
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
        u.access_string = a.into();
    }
    if let Some(a) = s(input, "AppendAccessString") {
        u.access_string = if u.access_string.is_empty() {
            a.to_string()
        } else {
            format!("{} {a}", u.access_string)
        };
    }
    if let Some(a) = auth {
        u.authentication = a;
    }
    let mut out = render_user(u);
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
    let u = cx.st.users.remove(&id).ok_or_else(|| user_not_found(&id))?;
    crate::elasticache::domain::acl::revoke_everywhere(cx, &u.user_name);
    for g in cx.st.user_groups.values_mut() {
        g.user_ids.retain(|x| *x != id);
    }
    let mut u = render_user(&u);
    u["Status"] = "deleting".into();
    cx.st.user_passwords.remove(&id);
    cx.st.event(&id, "user", format!("User {id} deleted"));
    Ok(u)
}
