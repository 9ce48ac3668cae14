//! Cluster mode in the state: which node groups and slots the engine cluster should have, and
//! the jobs (formation, joins, slot migrations) `engine::cluster` runs on the wire.

use std::net::SocketAddr;

use crate::elasticache::state::{Cluster, Pending, Region, ReplGroup};

pub use crate::elasticache::effects::Shard;

/// `0-5460` or `0-100,200-300` (the API's Slots) to ranges.
pub fn parse_slots(s: &str) -> Vec<(u16, u16)> {
    s.split(',')
        .filter_map(|r| {
            let (a, b) = r.trim().split_once('-').unwrap_or((r.trim(), r.trim()));
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect()
}

/// A new node of an already formed cluster to join: (node, peer, primary to follow, auth).
pub type JoinJob = (SocketAddr, SocketAddr, Option<SocketAddr>, Option<String>);

fn group_of(r: &Region, cluster_id: &str) -> Option<String> {
    r.clusters.get(cluster_id)?.rec.replication_group_id.clone()
}

fn node_addr(r: &Region, cluster_id: &str) -> Option<SocketAddr> {
    r.clusters.get(cluster_id)?.nodes.first()?.addr
}

/// What a node that just answered must do to be part of its group's cluster, if anything.
pub fn join_job(r: &Region, p: &Pending) -> Option<JoinJob> {
    let rg_id = group_of(r, &p.cluster_id)?;
    let rg = r.repl_groups.get(&rg_id)?;
    if !rg.cluster_mode || rg.forming {
        return None;
    }
    let ng = rg
        .groups
        .iter()
        .find(|g| g.members.contains(&p.cluster_id))?;
    let primary = ng
        .members
        .first()
        .filter(|m| **m != p.cluster_id)
        .and_then(|m| node_addr(r, m));
    let peer = rg
        .groups
        .iter()
        .flat_map(|g| g.members.iter())
        .filter(|m| **m != p.cluster_id)
        .find_map(|m| {
            let n = r.clusters.get(m)?.nodes.first()?;
            n.run.as_ref().filter(|run| run.is_alive())?;
            n.addr
        })?;
    Some((p.addr, peer, primary, p.auth.clone()))
}

/// The node groups of a cluster-mode group as the engine should see them, and its token.
pub fn shards_of(r: &Region, rg_id: &str) -> Option<(Vec<Shard>, Option<String>)> {
    let rg = r.repl_groups.get(rg_id)?;
    Some((shards(r, rg)?, group_auth(r, rg)))
}

/// Each node group's primary, replicas and slots (a lone shard owns every slot).
fn shards(r: &Region, rg: &ReplGroup) -> Option<Vec<Shard>> {
    let mut shards = vec![];
    for g in &rg.groups {
        let addrs: Vec<SocketAddr> = g.members.iter().filter_map(|m| node_addr(r, m)).collect();
        let (primary, replicas) = addrs.split_first()?;
        shards.push(Shard {
            primary: *primary,
            replicas: replicas.to_vec(),
            slots: g.slots.as_deref().map(parse_slots).unwrap_or_default(),
        });
    }
    if shards.len() == 1 && shards[0].slots.is_empty() {
        shards[0].slots = vec![(0, 16383)];
    }
    Some(shards)
}

/// The group's auth token (its first member's).
fn group_auth(r: &Region, rg: &ReplGroup) -> Option<String> {
    rg.groups
        .first()
        .and_then(|g| g.members.first())
        .and_then(|m| r.clusters.get(m))
        .and_then(|c| c.auth_token.clone())
}

/// The formation of a cluster-mode group once all its nodes answer (started once).
pub fn formation_job(r: &mut Region, p: &Pending) -> Option<(String, Vec<Shard>, Option<String>)> {
    let rg_id = group_of(r, &p.cluster_id)?;
    let rg = r.repl_groups.get(&rg_id)?;
    if !rg.forming || rg.form_started {
        return None;
    }
    let members = || rg.groups.iter().flat_map(|g| g.members.iter());
    let all_up = members().all(|m| r.clusters.get(m).is_some_and(Cluster::all_nodes_available));
    if !all_up {
        return None;
    }
    let shards = shards(r, rg)?;
    let auth = p.auth.clone();
    r.repl_groups.get_mut(&rg_id)?.form_started = true;
    Some((rg_id, shards, auth))
}

/// Records the outcome of a formation and lets the group become available.
pub fn formed(r: &mut Region, rg_id: &str, result: Result<(), String>) {
    if let Some(rg) = r.repl_groups.get_mut(rg_id) {
        rg.forming = false;
    }
    if let Err(e) = result {
        r.event(
            rg_id,
            "replication-group",
            format!("Cluster formation failed: {e}"),
        );
    }
    r.refresh_group_status(rg_id);
}

/// A slot migration to run: the group, the target layout (primary, ranges), the nodes that
/// leave, and the auth token.
pub type ReshardJob = (
    String,
    Vec<(SocketAddr, Vec<(u16, u16)>)>,
    Vec<SocketAddr>,
    Vec<SocketAddr>,
    Option<String>,
);

/// Pending reshards whose nodes all answer (each started once).
pub fn reshard_jobs(r: &mut Region) -> Vec<ReshardJob> {
    let mut out = vec![];
    for (id, rg) in &r.repl_groups {
        let Some(rs) = rg.reshard.as_ref().filter(|rs| !rs.started) else {
            continue;
        };
        let all_up = rg
            .groups
            .iter()
            .flat_map(|g| g.members.iter())
            .all(|m| r.clusters.get(m).is_some_and(Cluster::all_nodes_available));
        if !all_up {
            continue;
        }
        let layout: Option<Vec<_>> = rg
            .groups
            .iter()
            .map(|g| {
                let primary = g.members.first().and_then(|m| node_addr(r, m))?;
                Some((
                    primary,
                    g.slots.as_deref().map(parse_slots).unwrap_or_default(),
                ))
            })
            .collect();
        let auth = group_auth(r, rg);
        let staying = rg
            .groups
            .iter()
            .flat_map(|g| g.members.iter())
            .filter_map(|m| node_addr(r, m))
            .collect();
        if let Some(layout) = layout {
            let leaving = rs.retiring.iter().map(|n| n.addr).collect();
            out.push((id.clone(), layout, leaving, staying, auth));
        }
    }
    for (id, ..) in &out {
        let Some(rs) = r.repl_groups.get_mut(id).and_then(|g| g.reshard.as_mut()) else {
            continue;
        };
        rs.started = true;
        let (added, moves) = (rs.added.clone(), rs.moves.clone());
        // Recorded DescribeEvents answer (aws-controllers-k8s/community#540).
        if !added.is_empty() {
            r.event(
                id,
                "replication-group",
                format!(
                    "Modified replication group {id} to add {} new node groups - {}",
                    added.len(),
                    added.join(", ")
                ),
            );
        }
        if !moves.is_empty() {
            let names = |pick: fn(&(String, String, usize)) -> &String| {
                let mut v: Vec<&str> = moves.iter().map(|m| pick(m).as_str()).collect();
                v.sort();
                v.dedup();
                v.join(", ")
            };
            r.event(
                id,
                "replication-group",
                format!(
                    "Migrating slots from node groups {} to {} to rebalance slots",
                    names(|m| &m.0),
                    names(|m| &m.1)
                ),
            );
        }
    }
    out
}

/// Ends a reshard: the group may become available, and the leaving nodes stop.
pub fn resharded(
    r: &mut Region,
    rg_id: &str,
    result: Result<(), String>,
) -> Vec<crate::elasticache::runtime::RunningNode> {
    let (retiring, moves) = r
        .repl_groups
        .get_mut(rg_id)
        .and_then(|g| g.reshard.take())
        .map(|rs| (rs.retiring, rs.moves))
        .unwrap_or_default();
    if result.is_ok() {
        for (from, to, n) in moves {
            r.event(
                rg_id,
                "replication-group",
                format!(
                    "Moved a total of {n} slots out of {n} slots from shard {from} to shard {to}"
                ),
            );
        }
    }
    if let Err(e) = result {
        r.event(
            rg_id,
            "replication-group",
            format!("Slot migration failed: {e}"),
        );
    }
    r.refresh_group_status(rg_id);
    retiring
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_parse_as_ranges() {
        assert_eq!(parse_slots("0-5460"), vec![(0, 5460)]);
        assert_eq!(parse_slots("0-10,20-30"), vec![(0, 10), (20, 30)]);
        assert_eq!(parse_slots("7"), vec![(7, 7)]);
    }
}
