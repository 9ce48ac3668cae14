//! RBAC users and user groups. Every region has the built-in `default` user.

use serde_json::{json, Value};

use super::clusters::paginate;
use super::error::{ApiError, ApiResult};
use super::state::{s, strings, Cx};

fn user_not_found(id: &str) -> ApiError {
    ApiError::new("UserNotFound", format!("User {id} not found."))
}

fn group_not_found(id: &str) -> ApiError {
    ApiError::new("UserGroupNotFound", format!("User group {id} not found."))
}

/// Adds the built-in `default` user on first use of a region.
fn ensure_default(cx: &mut Cx) {
    if !cx.st.users.contains_key("default") {
        let arn = cx.arn("user", "default");
        cx.st.users.insert(
            "default".into(),
            json!({
                "UserId": "default", "UserName": "default", "Status": "active", "Engine": "redis",
                "MinimumEngineVersion": "6.0", "AccessString": "on ~* +@all", "UserGroupIds": [],
                "Authentication": {"Type": "no-password"}, "ARN": arn,
            }),
        );
    }
}

fn authentication(input: &Value) -> ApiResult<Value> {
    let passwords = strings(input, "Passwords");
    let no_pw = input["NoPasswordRequired"].as_bool().unwrap_or(false);
    let mode = &input["AuthenticationMode"];
    if no_pw && !passwords.is_empty() {
        return Err(ApiError::invalid_combination(
            "Passwords and NoPasswordRequired cannot both be specified.",
        ));
    }
    for p in &passwords {
        if p.len() < 16 || p.len() > 128 {
            return Err(ApiError::invalid_value(
                "Passwords must be between 16 and 128 characters.",
            ));
        }
    }
    if let Some(t) = s(mode, "Type") {
        return Ok(match t {
            "iam" => json!({"Type": "iam"}),
            "no-password-required" => json!({"Type": "no-password"}),
            _ => {
                json!({"Type": "password", "PasswordCount": strings(mode, "Passwords").len().max(passwords.len())})
            }
        });
    }
    Ok(if passwords.is_empty() {
        json!({"Type": "no-password"})
    } else {
        json!({"Type": "password", "PasswordCount": passwords.len()})
    })
}

/// The passwords a Create/ModifyUser call sets (Passwords or AuthenticationMode.Passwords).
fn passwords_of(input: &Value) -> Vec<String> {
    let mut p = strings(input, "Passwords");
    p.extend(strings(&input["AuthenticationMode"], "Passwords"));
    p
}

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
    super::acl::refresh_all(cx);
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
        super::acl::revoke_everywhere(cx, name);
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

fn check_members(cx: &Cx, ids: &[String]) -> ApiResult<()> {
    for u in ids {
        if !cx.st.users.contains_key(u) {
            return Err(user_not_found(u));
        }
    }
    Ok(())
}

fn set_membership(cx: &mut Cx, group: &str, users: &[String], add: bool) {
    for u in users {
        if let Some(doc) = cx.st.users.get_mut(u) {
            if let Some(a) = doc["UserGroupIds"].as_array_mut() {
                a.retain(|g| g != group);
                if add {
                    a.push(group.into());
                }
            }
        }
    }
}

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
    if engine == "redis"
        && !users
            .iter()
            .any(|u| cx.st.users[u]["UserName"] == "default")
    {
        return Err(ApiError::new(
            "DefaultUserRequired",
            "A user with the user name 'default' must be part of the user group.",
        ));
    }
    let arn = cx.arn("usergroup", &id);
    let doc = json!({
        "UserGroupId": id, "Status": "creating", "Engine": engine, "UserIds": users,
        "MinimumEngineVersion": "6.0", "ReplicationGroups": [], "ServerlessCaches": [], "ARN": arn,
    });
    cx.tag_new(&arn, input);
    set_membership(cx, &id, &users, true);
    let mut stored = doc.clone();
    // Creation of a user group is a control-plane step with nothing to start: it is active
    // as soon as it is stored.
    stored["Status"] = "active".into();
    cx.st
        .event(&id, "user-group", format!("User group {id} created"));
    cx.st.user_groups.insert(id, stored);
    Ok(doc)
}

pub fn describe_user_groups(cx: &mut Cx, input: &Value) -> ApiResult<Value> {
    let list: Vec<Value> = match s(input, "UserGroupId") {
        Some(id) => vec![cx
            .st
            .user_groups
            .get(id)
            .cloned()
            .ok_or_else(|| group_not_found(id))?],
        None => cx.st.user_groups.values().cloned().collect(),
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
    let before = cx.st.user_groups[&id].clone();
    let mut users = strings(&before, "UserIds");
    users.retain(|u| !remove.contains(u));
    for a in &add {
        if !users.contains(a) {
            users.push(a.clone());
        }
    }
    set_membership(cx, &id, &remove, false);
    set_membership(cx, &id, &add, true);
    if let Some(g) = cx.st.user_groups.get_mut(&id) {
        g["UserIds"] = json!(users);
    }
    super::acl::refresh_all(cx);
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
    if g["ReplicationGroups"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        return Err(ApiError::new(
            "InvalidUserGroupState",
            format!("User group {id} is associated with replication groups."),
        ));
    }
    let mut g = cx
        .st
        .user_groups
        .remove(&id)
        .ok_or_else(|| group_not_found(&id))?;
    let users = strings(&g, "UserIds");
    set_membership(cx, &id, &users, false);
    g["Status"] = "deleting".into();
    cx.st
        .event(&id, "user-group", format!("User group {id} deleted"));
    Ok(g)
}
