//! Automatic failover: the node groups whose primary the monitor saw dead, the choice of the
//! replica to promote (the one that replicated the most, so that every write a replica
//! acknowledged survives), the promotion, and the failed node's replacement.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::elasticache::domain::cache_clusters::{start_nodes, NodeShape};
use crate::elasticache::domain::recovery::DeadNode;
use crate::elasticache::domain::replication_groups::promote;
use crate::elasticache::state::{Cx, GroupStatus, NodeComeback, Region, Switch};

/// How long a failover waits for every live replica to report its replication offset. A
/// replica that does not answer may be the one holding the latest writes, so choosing
/// without it could lose acknowledged writes; one silent for this long counts as failed.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A node group whose primary the monitor saw dead, in a group with automatic failover, and
/// its live replicas (member, address, token) to choose from.
#[derive(Debug, Clone)]
pub struct Candidates {
    pub group: String,
    pub node_group: String,
    pub primary: String,
    pub replicas: Vec<(String, SocketAddr, Option<String>)>,
}

/// A decided promotion: (group, node group, old primary, chosen replica).
pub type Chosen = (String, String, String, String);

/// Node groups to fail over, from the nodes the monitor saw dead in the same look at the
/// state (read under the lock; the choice is made without it).
pub fn candidates(r: &Region, dead: &[DeadNode]) -> Vec<Candidates> {
    let is_dead = |m: &String| {
        r.clusters
            .get(m)
            .and_then(|c| c.nodes.first())
            .is_some_and(|n| {
                dead.iter()
                    .any(|d| d.cluster == *m && d.node == n.id && d.serial == n.serial)
            })
    };
    let mut out = vec![];
    for (rid, rg) in &r.repl_groups {
        if rg.rec.automatic_failover != Switch::Enabled || rg.rec.status != GroupStatus::Available {
            continue;
        }
        for g in &rg.groups {
            let Some(primary) = g.members.first() else {
                continue;
            };
            if !is_dead(primary) {
                continue;
            }
            let replicas: Vec<_> = g.members[1..]
                .iter()
                .filter(|m| !is_dead(m))
                .filter_map(|m| {
                    let c = r.clusters.get(m)?;
                    let n = c.nodes.first()?;
                    n.run.as_ref()?;
                    Some((m.clone(), n.addr?, c.auth_token.clone()))
                })
                .collect();
            if !replicas.is_empty() {
                out.push(Candidates {
                    group: rid.clone(),
                    node_group: g.id.clone(),
                    primary: primary.clone(),
                    replicas,
                });
            }
        }
    }
    out
}

/// How far a replica got with its primary's stream, as it answered INFO replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    /// No link to a primary since the replica started (a replica still in its first sync, or
    /// one restarted since): Redis then reports a placeholder offset of 1, which says nothing
    /// and must not outrank a replica that synced at offset 0 (a primary that had no replica
    /// linked while it took writes hands them over in the first sync, at offset 0). It ranks
    /// below every real offset.
    Unlinked,
    /// `slave_repl_offset` of a replica that has had a link.
    Offset(u64),
}

/// A replica's progress from its INFO replication text; None when it is not a replica.
pub fn progress(info: &str) -> Option<Progress> {
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    if field("role") != Some("slave") {
        return None;
    }
    if field("master_link_status") != Some("up")
        && field("master_link_down_since_seconds") == Some("-1")
    {
        return Some(Progress::Unlinked);
    }
    field("slave_repl_offset")?
        .parse()
        .ok()
        .map(Progress::Offset)
}

/// The replica to promote, from each replica's progress (None: it did not answer). The
/// furthest wins, ties to the first member; while a replica is silent and `patient`, nothing
/// is chosen (it may hold writes the others lack); once patience is spent, the replicas that
/// answered are chosen from.
pub fn choose(offsets: &[(String, Option<Progress>)], patient: bool) -> Option<String> {
    if patient && offsets.iter().any(|(_, o)| o.is_none()) {
        return None;
    }
    offsets
        .iter()
        .filter_map(|(m, o)| Some((o.as_ref()?, m)))
        .fold(
            None,
            |best: Option<(&Progress, &String)>, (o, m)| match best {
                Some((b, _)) if b >= o => best,
                _ => Some((o, m)),
            },
        )
        .map(|(_, m)| m.clone())
}

/// The replica to promote for `c` from its replicas' offsets, asked at `asked_at`. Patience is
/// judged when the offsets were asked, not when the answers are in: on a busy machine the
/// asking (a silent replica's timeout, a queued worker) can outlast the patience, and a
/// replica silent when asked may have answered since; it counts as failed only when it was
/// still silent to a question asked after the patience ran out.
pub fn decide(
    waits: &mut Waits,
    scope: &str,
    c: &Candidates,
    offsets: &[(String, Option<Progress>)],
    asked_at: Instant,
) -> Option<String> {
    let best = choose(offsets, waits.patient(scope, c, asked_at))?;
    waits.done(scope, &c.group, &c.node_group);
    Some(best)
}

/// Since when each node group has waited for a silent replica (kept by the monitor across
/// passes, keyed by account, region, group and node group).
#[derive(Debug, Default)]
pub struct Waits(HashMap<String, Instant>);

impl Waits {
    /// Whether the failover of `c` in `scope` (account and region) may still wait for a
    /// silent replica; starts its clock on first call.
    pub fn patient(&mut self, scope: &str, c: &Candidates, now: Instant) -> bool {
        let since = *self
            .0
            .entry(format!("{scope}/{}/{}", c.group, c.node_group))
            .or_insert(now);
        now.duration_since(since) < PATIENCE
    }

    /// Keeps the waits of `scope` only for the node groups still to fail over.
    pub fn keep_only(&mut self, scope: &str, pending: &[Candidates]) {
        let prefix = format!("{scope}/");
        self.0.retain(|k, _| {
            !k.starts_with(&prefix)
                || pending
                    .iter()
                    .any(|c| *k == format!("{scope}/{}/{}", c.group, c.node_group))
        });
    }

    /// Forgets the wait of a failover that was decided.
    pub fn done(&mut self, scope: &str, group: &str, node_group: &str) {
        self.0.remove(&format!("{scope}/{group}/{node_group}"));
    }
}

/// Promotes the chosen replica of each node group whose primary is still the dead one the
/// monitor saw, and replaces the failed node with a fresh replica.
pub fn auto_failover(cx: &mut Cx, chosen: &[Chosen]) {
    for (rid, gid, old, chosen) in chosen {
        if !cx.st.member_alive(chosen) || cx.st.member_alive(old) {
            continue;
        }
        let order = {
            let Some(g) = cx
                .st
                .repl_groups
                .get_mut(rid)
                .filter(|rg| rg.rec.status == GroupStatus::Available)
                .and_then(|rg| rg.groups.iter_mut().find(|g| g.id == *gid))
                .filter(|g| g.members.first() == Some(old) && g.members.contains(chosen))
            else {
                continue;
            };
            g.members.retain(|m| m != chosen && m != old);
            g.members.insert(0, chosen.clone());
            g.members.push(old.clone());
            g.members.clone()
        };
        promote(cx, &order, old);
        failover_events(cx, rid, old, chosen);
        replace_failed(cx, rid, old, chosen);
    }
}

/// The events of a completed failover from member `old` to `chosen` of group `rg`. AWS's
/// texts: TestFailover's API reference lists the cluster's and the group's "Failover from
/// primary node X to replica node Y completed"; recorded event logs show the group's
/// "Failover to replica node Y completed" just before them.
pub fn failover_events(cx: &mut Cx, rg: &str, old: &str, chosen: &str) {
    let done = format!("Failover from primary node {old} to replica node {chosen} completed");
    cx.st.event(
        rg,
        "replication-group",
        format!("Failover to replica node {chosen} completed"),
    );
    cx.st.event(old, "cache-cluster", done.clone());
    cx.st.event(rg, "replication-group", done);
}

/// Starts a fresh process for a failed member, replicating from the group's new primary.
pub(crate) fn replace_failed(cx: &mut Cx, rg: &str, failed: &str, primary: &str) {
    let Some(c) = cx.st.clusters.get(failed) else {
        return;
    };
    let mut shape = NodeShape::of(c);
    if let Some(g) = cx.st.repl_groups.get(rg) {
        shape.cluster = g.cluster_mode;
        shape.acl = crate::elasticache::domain::acl::commands_for(cx, g.rec.user_groups());
    }
    let primary_addr = cx
        .st
        .clusters
        .get(primary)
        .and_then(|c| c.nodes.first())
        .and_then(|n| n.addr);
    let Ok(mut fresh) = start_nodes(cx, failed, &shape, 0, 1, primary_addr) else {
        cx.st.event(
            failed,
            "cache-cluster",
            "Cache node 0001 could not be replaced",
        );
        return;
    };
    let Some(c) = cx.st.clusters.get_mut(failed) else {
        return;
    };
    if let Some(n) = c.nodes.first_mut() {
        if let Some(old) = n.run.take() {
            cx.doomed.push(old);
        }
        let mut node = fresh.remove(0);
        node.created = n.created.clone();
        node.on_ready = Some(NodeComeback::Replaced);
        *n = node;
    }
    cx.st
        .event(failed, "cache-cluster", "Recovering cache nodes 0001");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(v: &[(&str, Option<u64>)]) -> Vec<(String, Option<Progress>)> {
        v.iter()
            .map(|(m, o)| (m.to_string(), o.map(Progress::Offset)))
            .collect()
    }

    /// Issue 26 (CI on podman, the stress series): a group written to before its replicas'
    /// first sync; the replica that then synced reports offset 0 (its primary had no replica
    /// linked while it took the writes), the one stopped before its sync a placeholder 1.
    /// The synced one must win.
    #[test]
    fn a_replica_that_never_linked_ranks_below_one_that_synced_at_zero() {
        let synced = "role:slave\r\nmaster_link_status:down\r\nmaster_link_down_since_seconds:2\r\nslave_repl_offset:0\r\n";
        let unlinked = "role:slave\r\nmaster_link_status:down\r\nmaster_link_down_since_seconds:-1\r\nslave_repl_offset:1\r\n";
        assert_eq!(progress(synced), Some(Progress::Offset(0)));
        assert_eq!(progress(unlinked), Some(Progress::Unlinked));
        assert_eq!(progress("role:master\r\n"), None);
        let o = vec![
            ("behind".to_string(), progress(unlinked)),
            ("ahead".to_string(), progress(synced)),
        ];
        assert_eq!(choose(&o, true).as_deref(), Some("ahead"));
        let up = "role:slave\r\nmaster_link_status:up\r\nslave_repl_offset:7\r\n";
        assert_eq!(progress(up), Some(Progress::Offset(7)));
    }

    #[test]
    fn the_replica_that_replicated_most_is_chosen() {
        let o = offsets(&[("a", Some(10)), ("b", Some(30)), ("c", Some(20))]);
        assert_eq!(choose(&o, true).as_deref(), Some("b"));
        let tie = offsets(&[("a", Some(30)), ("b", Some(30))]);
        assert_eq!(choose(&tie, true).as_deref(), Some("a"));
    }

    /// A replica that did not answer INFO is not taken as offset 0 (it may hold the latest
    /// acknowledged writes): the choice waits for it while patience lasts.
    #[test]
    fn a_silent_replica_is_waited_for_and_never_counted_as_zero() {
        let o = offsets(&[("lagging", Some(5)), ("silent", None)]);
        assert_eq!(choose(&o, true), None);
        assert_eq!(choose(&o, false).as_deref(), Some("lagging"));
        assert_eq!(choose(&offsets(&[("a", None)]), false), None);
    }

    fn one_node_group() -> Candidates {
        Candidates {
            group: "g".into(),
            node_group: "0001".into(),
            primary: "g-001".into(),
            replicas: vec![],
        }
    }

    #[test]
    fn patience_runs_per_node_group_and_ends() {
        let c = one_node_group();
        let mut w = Waits::default();
        let t0 = Instant::now();
        assert!(w.patient("a/r", &c, t0));
        assert!(w.patient("a/r", &c, t0 + PATIENCE / 2));
        assert!(!w.patient("a/r", &c, t0 + PATIENCE));
        assert!(w.patient("b/r", &c, t0 + PATIENCE));
        w.done("a/r", "g", "0001");
        assert!(w.patient("a/r", &c, t0 + PATIENCE * 2));
    }

    /// Issue 26 (the stress series): offsets asked while patience lasted, whose answers came
    /// in after it ran out (a busy machine), must not pass over the replica that was silent
    /// then; only a question asked after the patience ran out may.
    #[test]
    fn patience_is_judged_when_the_offsets_were_asked() {
        let c = one_node_group();
        let mut w = Waits::default();
        let t0 = Instant::now();
        let silent = offsets(&[("behind", Some(5)), ("ahead", None)]);
        assert_eq!(decide(&mut w, "a/r", &c, &silent, t0), None);
        // Asked just before the patience ran out; the answers are in only later.
        let asked = t0 + PATIENCE - Duration::from_millis(1);
        assert_eq!(decide(&mut w, "a/r", &c, &silent, asked), None);
        let answered = offsets(&[("behind", Some(5)), ("ahead", Some(9))]);
        assert_eq!(
            decide(&mut w, "a/r", &c, &answered, asked).as_deref(),
            Some("ahead")
        );
        // A new wait: silent to a question asked after the patience ran out.
        assert_eq!(decide(&mut w, "a/r", &c, &silent, t0), None);
        assert_eq!(
            decide(&mut w, "a/r", &c, &silent, t0 + PATIENCE).as_deref(),
            Some("behind")
        );
    }
}
