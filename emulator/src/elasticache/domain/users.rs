//! RBAC users and user groups. Every region has the built-in `default` user.

use serde_json::{json, Value};

use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{s, strings, Cx};

pub(crate) fn user_not_found(id: &str) -> ApiError {
    ApiError::new("UserNotFound", format!("User {id} not found."))
}

pub(crate) fn group_not_found(id: &str) -> ApiError {
    ApiError::new("UserGroupNotFound", format!("User group {id} not found."))
}

/// Adds the built-in `default` user on first use of a region.
pub(crate) fn ensure_default(cx: &mut Cx) {
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

pub(crate) fn authentication(input: &Value) -> ApiResult<Value> {
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
pub(crate) fn passwords_of(input: &Value) -> Vec<String> {
    let mut p = strings(input, "Passwords");
    p.extend(strings(&input["AuthenticationMode"], "Passwords"));
    p
}

pub(crate) fn check_members(cx: &Cx, ids: &[String]) -> ApiResult<()> {
    for u in ids {
        if !cx.st.users.contains_key(u) {
            return Err(user_not_found(u));
        }
    }
    Ok(())
}

pub(crate) fn set_membership(cx: &mut Cx, group: &str, users: &[String], add: bool) {
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
