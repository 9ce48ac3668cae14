//! Service updates: the update actions of every cluster and group.

use serde_json::{json, Value};

use crate::elasticache::domain::catalog;
use crate::elasticache::state::Cx;

/// Every (available service update x redis group / standalone cluster) pair is an action.
pub(crate) fn all_update_actions(cx: &Cx) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for u in catalog::service_updates() {
        if u["ServiceUpdateStatus"] != "available" {
            continue;
        }
        let name = u["ServiceUpdateName"].as_str().unwrap_or("").to_string();
        let targets: Vec<(String, String, String, usize, Value)> = cx
            .st
            .repl_groups
            .iter()
            .map(|(id, g)| {
                let n = g.groups.iter().map(|x| x.members.len()).sum();
                let created = Value::from(g.rec.replication_group_create_time.clone());
                (
                    format!("rg:{id}"),
                    id.clone(),
                    g.rec.engine.as_str().to_string(),
                    n,
                    created,
                )
            })
            .chain(
                cx.st
                    .clusters
                    .iter()
                    .filter(|(_, c)| c.rec.replication_group_id.is_none())
                    .map(|(id, c)| {
                        (
                            format!("cc:{id}"),
                            id.clone(),
                            c.engine.as_str().to_string(),
                            c.nodes.len(),
                            Value::from(c.rec.cache_cluster_create_time.clone()),
                        )
                    }),
            )
            .collect();
        for (key, id, engine, nodes, created) in targets {
            let (status, modified) = cx
                .st
                .update_actions
                .get(&(name.clone(), key.clone()))
                .map(|(s, t)| (s.clone(), Value::from(t.clone())))
                .unwrap_or_else(|| ("not-applied".into(), created.clone()));
            let done = if status == "complete" { nodes } else { 0 };
            let mut v = json!({
                "ServiceUpdateName": name, "ServiceUpdateReleaseDate": u["ServiceUpdateReleaseDate"],
                "ServiceUpdateSeverity": u["ServiceUpdateSeverity"], "ServiceUpdateStatus": u["ServiceUpdateStatus"],
                "ServiceUpdateRecommendedApplyByDate": u["ServiceUpdateRecommendedApplyByDate"],
                "ServiceUpdateType": u["ServiceUpdateType"], "UpdateActionStatus": status,
                "NodesUpdated": format!("{done}/{nodes}"), "SlaMet": "n/a", "Engine": engine,
                "UpdateActionAvailableDate": created, "UpdateActionStatusModifiedDate": modified,
                "EstimatedUpdateTime": u["EstimatedUpdateTime"],
            });
            if key.starts_with("rg:") {
                v["ReplicationGroupId"] = id.clone().into();
            } else {
                v["CacheClusterId"] = id.clone().into();
            }
            out.push((name.clone(), key, v));
        }
    }
    out
}
