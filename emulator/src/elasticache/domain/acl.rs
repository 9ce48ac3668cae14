//! RBAC on the engines: the users of the user groups attached to a replication group become
//! ACL users (ACL SETUSER) on every node of the group.

use crate::elasticache::effects::Effect;
use crate::elasticache::state::Cx;

/// ACL SETUSER commands for the users of `groups` (a user in several groups once).
pub fn commands_for(cx: &Cx, groups: &[String]) -> Vec<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = vec![];
    for g in groups {
        let Some(group) = cx.st.user_groups.get(g) else {
            continue;
        };
        for uid in &group.user_ids {
            let Some(user) = cx.st.users.get(uid) else {
                continue;
            };
            let name = user.user_name.clone();
            if !seen.insert(name.clone()) {
                continue;
            }
            let mut cmd: Vec<String> = vec!["ACL".into(), "SETUSER".into(), name, "reset".into()];
            cmd.extend(user.access_string.split_whitespace().map(str::to_owned));
            let passwords = cx.st.user_passwords.get(uid).cloned().unwrap_or_default();
            if passwords.is_empty() {
                cmd.push("nopass".into());
            }
            cmd.extend(passwords.iter().map(|p| format!(">{p}")));
            out.push(cmd);
        }
    }
    out
}

/// Sends `commands` to every running node of replication group `rg`, after deleting the
/// region's users that the commands do not define (removed from the group: access ends at once).
pub fn push(cx: &mut Cx, rg: &str, commands: &[Vec<String>]) {
    let defined: Vec<&str> = commands
        .iter()
        .filter_map(|c| c.get(2).map(String::as_str))
        .collect();
    let mut all: Vec<Vec<String>> = cx
        .st
        .users
        .values()
        .map(|u| u.user_name.as_str())
        .filter(|n| *n != "default" && !defined.contains(n))
        .map(|n| vec!["ACL".into(), "DELUSER".into(), n.to_string()])
        .collect();
    all.extend_from_slice(commands);
    send(cx, rg, &all);
}

/// Deletes one ACL user from every node of every group that uses RBAC (DeleteUser).
pub fn revoke_everywhere(cx: &mut Cx, name: &str) {
    if name == "default" {
        return;
    }
    let cmd = vec![vec!["ACL".to_string(), "DELUSER".into(), name.to_string()]];
    let ids: Vec<String> = cx
        .st
        .repl_groups
        .iter()
        .filter(|(_, rg)| !rg.rec.user_groups().is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    for id in ids {
        send(cx, &id, &cmd);
    }
}

fn send(cx: &mut Cx, rg: &str, commands: &[Vec<String>]) {
    let Some(group) = cx.st.repl_groups.get(rg) else {
        return;
    };
    let mut out = vec![];
    for m in group.groups.iter().flat_map(|g| g.members.iter()) {
        let Some(c) = cx.st.clusters.get(m) else {
            continue;
        };
        for n in &c.nodes {
            if let Some(addr) = n.addr {
                out.push(Effect::Commands {
                    addr,
                    auth: c.auth_token.clone(),
                    commands: commands.to_vec(),
                });
            }
        }
    }
    cx.effects.extend(out);
}

/// Re-applies every attached user group (after a user or a group changed).
pub fn refresh_all(cx: &mut Cx) {
    let attached: Vec<(String, Vec<String>)> = cx
        .st
        .repl_groups
        .iter()
        .map(|(id, rg)| (id.clone(), rg.rec.user_groups().to_vec()))
        .filter(|(_, groups)| !groups.is_empty())
        .collect();
    for (id, groups) in attached {
        let commands = commands_for(cx, &groups);
        push(cx, &id, &commands);
    }
}
