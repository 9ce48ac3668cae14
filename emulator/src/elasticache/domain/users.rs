//! RBAC users and user groups. Every region has the built-in `default` user.

use serde_json::{json, Value};

use crate::elasticache::runtime::EngineKind;

use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{
    s, strings, Authentication, AuthenticationType, Cx, UserGroupRecord, UserRecord, UserStatus,
};

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
            UserRecord {
                user_id: "default".into(),
                user_name: "default".into(),
                status: UserStatus::Active,
                engine: EngineKind::Redis,
                minimum_engine_version: "6.0".into(),
                access_string: "on ~* +@all".into(),
                user_group_ids: vec![],
                authentication: password_auth(0),
                arn,
            },
        );
    }
}

/// `password` with their count, or `no-password` without any.
fn password_auth(count: usize) -> Authentication {
    if count == 0 {
        Authentication {
            kind: AuthenticationType::NoPassword,
            password_count: None,
        }
    } else {
        Authentication {
            kind: AuthenticationType::Password,
            password_count: Some(count),
        }
    }
}

pub(crate) fn authentication(input: &Value) -> ApiResult<Authentication> {
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
            "iam" => Authentication {
                kind: AuthenticationType::Iam,
                password_count: None,
            },
            "no-password-required" => password_auth(0),
            _ => Authentication {
                kind: AuthenticationType::Password,
                password_count: Some(strings(mode, "Passwords").len().max(passwords.len())),
            },
        });
    }
    Ok(password_auth(passwords.len()))
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
        if let Some(user) = cx.st.users.get_mut(u) {
            user.user_group_ids.retain(|g| g != group);
            if add {
                user.user_group_ids.push(group.into());
            }
        }
    }
}

/// The User shape (every member is the record's).
pub fn render_user(u: &UserRecord) -> Value {
    json!(u)
}

/// The UserGroup shape (every member is the record's).
pub fn render_user_group(g: &UserGroupRecord) -> Value {
    json!(g)
}
