//! RBAC on the engines: the users of the user groups attached to a replication group become
//! ACL users (ACL SETUSER) on every node of the group.

use serde_json::Value;

use super::engine;
use super::state::{strings, Cx};

/// ACL SETUSER commands for the users of `groups` (a user in several groups once).
pub fn commands_for(cx: &Cx, groups: &[String]) -> Vec<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = vec![];
    for g in groups {
        let Some(group) = cx.st.user_groups.get(g) else {
            continue;
        };
        for uid in strings(group, "UserIds") {
            let Some(user) = cx.st.users.get(&uid) else {
                continue;
            };
            let name = user["UserName"].as_str().unwrap_or(&uid).to_string();
            if !seen.insert(name.clone()) {
                continue;
            }
            let mut cmd: Vec<String> = vec!["ACL".into(), "SETUSER".into(), name, "reset".into()];
            cmd.extend(
                user["AccessString"]
                    .as_str()
                    .unwrap_or("")
                    .split_whitespace()
                    .map(str::to_owned),
            );
            let passwords = cx.st.user_passwords.get(&uid).cloned().unwrap_or_default();
            if passwords.is_empty() {
                cmd.push("nopass".into());
            }
            cmd.extend(passwords.iter().map(|p| format!(">{p}")));
            out.push(cmd);
        }
    }
    out
}

/// The user groups attached to a replication group.
pub fn groups_of(doc: &serde_json::Map<String, Value>) -> Vec<String> {
    doc.get("UserGroupIds")
        .map(|v| strings(&serde_json::json!({ "g": v }), "g"))
        .unwrap_or_default()
}

/// Sends `commands` to every running node of replication group `rg`, after deleting the
/// region's users that the commands do not define (removed from the group: access ends at once).
pub fn push(cx: &Cx, rg: &str, commands: &[Vec<String>]) {
    let defined: Vec<&str> = commands
        .iter()
        .filter_map(|c| c.get(2).map(String::as_str))
        .collect();
    let mut all: Vec<Vec<String>> = cx
        .st
        .users
        .values()
        .filter_map(|u| u["UserName"].as_str())
        .filter(|n| *n != "default" && !defined.contains(n))
        .map(|n| vec!["ACL".into(), "DELUSER".into(), n.to_string()])
        .collect();
    all.extend_from_slice(commands);
    send(cx, rg, &all);
}

/// Deletes one ACL user from every node of every group that uses RBAC (DeleteUser).
pub fn revoke_everywhere(cx: &Cx, name: &str) {
    if name == "default" {
        return;
    }
    let cmd = vec![vec!["ACL".to_string(), "DELUSER".into(), name.to_string()]];
    for (id, rg) in &cx.st.repl_groups {
        if !groups_of(&rg.doc).is_empty() {
            send(cx, id, &cmd);
        }
    }
}

fn send(cx: &Cx, rg: &str, commands: &[Vec<String>]) {
    let Some(group) = cx.st.repl_groups.get(rg) else {
        return;
    };
    for m in group.groups.iter().flat_map(|g| g.members.iter()) {
        let Some(c) = cx.st.clusters.get(m) else {
            continue;
        };
        for n in &c.nodes {
            if let Some(addr) = n.addr {
                for cmd in commands {
                    let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
                    engine::command(addr, c.auth_token.as_deref(), &args);
                }
            }
        }
    }
}

/// Re-applies every attached user group (after a user or a group changed).
pub fn refresh_all(cx: &Cx) {
    for (id, rg) in &cx.st.repl_groups {
        let groups = groups_of(&rg.doc);
        if !groups.is_empty() {
            push(cx, id, &commands_for(cx, &groups));
        }
    }
}
