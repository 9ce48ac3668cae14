//! RBAC user groups: one function per action, named after it.

use serde_json::{json, Value};

use crate::elasticache::domain::cache_clusters::paginate;
use crate::elasticache::domain::users::*;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, strings, Cx, UserGroupRecord, UserStatus};

pub fn create_user_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let id = s(input, "UserGroupId").unwrap_or("").to_string();
    if cx.st.user_groups.contains_key(&id) {
        return Err(ApiError::new(
            "UserGroupAlreadyExists",
            format!("User group {id} already exists."),
        ));
    }
    let users = strings(input, "UserIds");
    check_members(cx, &users)?;
    let engine = s(input, "Engine").unwrap_or("redis").to_ascii_lowercase();
    if engine == "redis" && !users.iter().any(|u| cx.st.users[u].user_name == "default") {
        return Err(ApiError::new(
            "DefaultUserRequired",
            "A user with the user name 'default' must be part of the user group.",
        ));
    }
    let arn = cx.arn("usergroup", &id);
    cx.tag_new(&arn, input);
    set_membership(cx, &id, &users, true);
    // Creation of a user group is a control-plane step with nothing to start: it is active
    // as soon as it is stored (the response still says `creating`).
    let group = UserGroupRecord {
        user_group_id: id.clone(),
        status: UserStatus::Active,
        engine,
        user_ids: users,
        minimum_engine_version: "6.0".into(),
        replication_groups: vec![],
        serverless_caches: vec![],
        arn,
    };
    let mut out = render_user_group(&group);
    out["Status"] = "creating".into();
    cx.st
        .event(&id, "user-group", format!("User group {id} created"));
    cx.st.user_groups.insert(id, group);
    Ok(out)
}

pub fn describe_user_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list: Vec<Value> = match s(input, "UserGroupId") {
        Some(id) => vec![cx
            .st
            .user_groups
            .get(id)
            .map(render_user_group)
            .ok_or_else(|| group_not_found(id))?],
        None => cx.st.user_groups.values().map(render_user_group).collect(),
    };
    let (page, marker) = paginate(list, input)?;
    Ok(json!({"UserGroups": page, "Marker": marker}))
}

pub fn modify_user_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    ensure_default(cx);
    let id = s(input, "UserGroupId").unwrap_or("").to_string();
    let add = strings(input, "UserIdsToAdd");
    let remove = strings(input, "UserIdsToRemove");
    if !cx.st.user_groups.contains_key(&id) {
        return Err(group_not_found(&id));
    }
    check_members(cx, &add)?;
    check_members(cx, &remove)?;
    let before = render_user_group(&cx.st.user_groups[&id]);
    let mut users = cx.st.user_groups[&id].user_ids.clone();
    users.retain(|u| !remove.contains(u));
    for a in &add {
        if !users.contains(a) {
            users.push(a.clone());
        }
    }
    set_membership(cx, &id, &remove, false);
    set_membership(cx, &id, &add, true);
    if let Some(g) = cx.st.user_groups.get_mut(&id) {
        g.user_ids = users;
    }
    crate::elasticache::domain::acl::refresh_all(cx);
    // The response shows the change as pending, as AWS does while it propagates.
    let mut out = before;
    out["Status"] = "modifying".into();
    let mut pending = serde_json::Map::new();
    if !add.is_empty() {
        pending.insert("UserIdsToAdd".into(), json!(add));
    }
    if !remove.is_empty() {
        pending.insert("UserIdsToRemove".into(), json!(remove));
    }
    out["PendingChanges"] = Value::Object(pending);
    Ok(out)
}

pub fn delete_user_group(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let id = s(input, "UserGroupId").unwrap_or("").to_string();
    let g = cx
        .st
        .user_groups
        .get(&id)
        .ok_or_else(|| group_not_found(&id))?;
    if !g.replication_groups.is_empty() {
        return Err(ApiError::new(
            "InvalidUserGroupState",
            format!("User group {id} is associated with replication groups."),
        ));
    }
    let g = cx
        .st
        .user_groups
        .remove(&id)
        .ok_or_else(|| group_not_found(&id))?;
    set_membership(cx, &id, &g.user_ids, false);
    let mut g = render_user_group(&g);
    g["Status"] = "deleting".into();
    cx.st
        .event(&id, "user-group", format!("User group {id} deleted"));
    Ok(g)
}
