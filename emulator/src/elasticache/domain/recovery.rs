//! Nodes whose process died (kill -9, out of memory): which ones the monitor saw dead, and
//! their recovery in place, as ElastiCache replaces a failed node. A primary that automatic
//! failover will replace is never brought back in place: a restarted primary comes back
//! empty (or from an older save) and its replicas would resync from it, losing writes they
//! had acknowledged.

use std::net::SocketAddr;

use crate::elasticache::domain::cache_clusters::{launch, NodeShape};
use crate::elasticache::state::{ClusterStatus, Cx, Region, Switch};

/// A node the monitor found dead: its cluster, node id, start serial (which run of the node
/// it was) and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadNode {
    pub cluster: String,
    pub node: String,
    pub serial: u64,
    pub addr: Option<SocketAddr>,
}

/// Nodes whose process has exited (failover looks at them whatever their cluster's status;
/// recovery in place only at those of available clusters).
pub fn dead_nodes(r: &Region) -> Vec<DeadNode> {
    let mut dead = vec![];
    for (cid, c) in &r.clusters {
        for n in &c.nodes {
            if n.run.as_ref().is_some_and(|r| !r.is_alive()) {
                dead.push(DeadNode {
                    cluster: cid.clone(),
                    node: n.id.clone(),
                    serial: n.serial,
                    addr: n.addr,
                });
            }
        }
    }
    dead
}

/// Whether `d` is still the run the monitor saw die (no request or failover replaced it
/// since).
fn still_dead(r: &Region, d: &DeadNode) -> bool {
    r.clusters
        .get(&d.cluster)
        .filter(|c| c.rec.cache_cluster_status == ClusterStatus::Available)
        .and_then(|c| c.nodes.iter().find(|n| n.id == d.node))
        .is_some_and(|n| n.serial == d.serial && n.run.as_ref().is_some_and(|r| !r.is_alive()))
}

/// Whether `cid` is the primary of a node group whose automatic failover will promote one
/// of its live replicas instead: such a primary is left to the failover.
pub fn awaits_failover(r: &Region, cid: &str) -> bool {
    let Some(group) = r
        .clusters
        .get(cid)
        .and_then(|c| c.rec.replication_group_id.as_deref())
        .map(str::to_ascii_lowercase)
    else {
        return false;
    };
    let Some(rg) = r.repl_groups.get(&group) else {
        return false;
    };
    if rg.rec.automatic_failover != Switch::Enabled {
        return false;
    }
    let live = |m: &String| {
        r.clusters
            .get(m)
            .and_then(|c| c.nodes.first())
            .is_some_and(|n| n.addr.is_some() && n.run.as_ref().is_some_and(|r| r.is_alive()))
    };
    rg.groups
        .iter()
        .filter(|g| g.members.first().is_some_and(|p| p == cid))
        .any(|g| g.members[1..].iter().any(live))
}

/// Starts the nodes the monitor saw dead again from their data dirs at their addresses; a
/// replica rejoins its group's primary. Both steps are recorded as events. Only what the
/// monitor observed is acted on, so recovery and failover decide on one view; nodes of
/// cluster-mode groups and primaries awaiting failover are left to the group's failover.
pub fn recover_dead_nodes(cx: &mut Cx, seen: &[DeadNode]) {
    for d in seen {
        if !still_dead(cx.st, d) || awaits_failover(cx.st, &d.cluster) {
            continue;
        }
        let Some((shape, replica_of)) = recovery_shape(cx, &d.cluster) else {
            continue;
        };
        let (cid, node_id) = (&d.cluster, &d.node);
        cx.st.event(
            cid,
            "cache-cluster",
            format!("Recovering cache nodes {node_id}"),
        );
        // The dead process goes first, keeping its data dir (the new one starts from it) and
        // its address (the new one takes it over).
        if let Some(old) = cx
            .st
            .clusters
            .get_mut(cid)
            .and_then(|c| c.nodes.iter_mut().find(|n| n.id == *node_id))
            .and_then(|n| n.run.take())
        {
            old.stop_keeping_data();
        }
        let Ok(addr) = launch(cx, cid, node_id, d.serial, &shape, replica_of, d.addr, true) else {
            cx.st.event(
                cid,
                "cache-cluster",
                format!("Cache node {node_id} could not be recovered"),
            );
            continue;
        };
        if let Some(n) = cx
            .st
            .clusters
            .get_mut(cid)
            .and_then(|c| c.nodes.iter_mut().find(|n| n.id == *node_id))
        {
            n.addr = Some(addr);
        }
        cx.st.event(
            cid,
            "cache-cluster",
            format!("Finished recovery for cache nodes {node_id}"),
        );
    }
}

/// What a recovered node of `cid` runs, and the primary it replicates from; None for a
/// member of a cluster-mode group (left to the group's failover) or a cluster gone.
fn recovery_shape(cx: &Cx, cid: &str) -> Option<(NodeShape, Option<SocketAddr>)> {
    let c = cx.st.clusters.get(cid)?;
    let mut shape = NodeShape::of(c);
    let group = c
        .rec
        .replication_group_id
        .as_deref()
        .map(str::to_ascii_lowercase);
    let Some(rg) = group.as_ref().and_then(|g| cx.st.repl_groups.get(g)) else {
        return Some((shape, None));
    };
    if rg.cluster_mode {
        return None;
    }
    shape.acl = crate::elasticache::domain::acl::commands_for(cx, rg.rec.user_groups());
    let replica_of = rg
        .groups
        .iter()
        .find(|g| g.members.iter().any(|m| m == cid))
        .and_then(|g| g.members.first())
        .filter(|p| *p != cid)
        .and_then(|p| cx.st.clusters.get(p))
        .and_then(|p| p.nodes.first())
        .and_then(|n| n.addr);
    Some((shape, replica_of))
}
