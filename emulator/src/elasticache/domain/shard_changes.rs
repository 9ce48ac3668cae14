//! ModifyReplicationGroupShardConfiguration's rules: which shards go or come, and the slot
//! layout the group should end with (the slots move later, in a reshard job).

use serde_json::Value;

use crate::elasticache::domain::cache_clusters;
use crate::elasticache::domain::cluster_mode::parse_slots;
use crate::elasticache::domain::limits;
use crate::elasticache::domain::replication_groups::{
    member_name, settings_of, slots, start_member,
};
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::state::{strings, Cx, GroupStatus, NodeGroup, Reshard};

/// The node groups to remove: named, or all but those to retain; `want` must remain.
fn shards_to_remove(cx: &Cx, id: &str, input: &Value, want: usize) -> ApiResult<Vec<String>> {
    let mut remove = strings(input, "NodeGroupsToRemove");
    let retain = strings(input, "NodeGroupsToRetain");
    if remove.is_empty() && retain.is_empty() {
        return Err(ApiError::invalid_value(
            "NodeGroupsToRemove or NodeGroupsToRetain is required when decreasing the node group count.",
        ));
    }
    let groups = &cx.st.repl_groups[id].groups;
    if remove.is_empty() {
        remove = groups
            .iter()
            .filter(|g| !retain.contains(&g.id))
            .map(|g| g.id.clone())
            .collect();
    }
    if groups.len() - remove.len() != want {
        return Err(ApiError::invalid_value(
            "The node groups to remove do not match NodeGroupCount.",
        ));
    }
    Ok(remove)
}

/// Removes shards down to `want`. Their processes keep serving until their slots have moved
/// to the remaining shards.
pub fn remove_shards(cx: &mut Cx, id: &str, input: &Value, want: usize) -> ApiResult<()> {
    let remove = shards_to_remove(cx, id, input, want)?;
    let doomed: Vec<String> = cx.st.repl_groups[id]
        .groups
        .iter()
        .filter(|g| remove.contains(&g.id))
        .flat_map(|g| g.members.clone())
        .collect();
    let mut retiring = vec![];
    for m in doomed {
        if let Some(run) = cx
            .st
            .clusters
            .get_mut(&m)
            .and_then(|c| c.nodes.first_mut())
            .and_then(|n| n.run.take())
        {
            retiring.push(run);
        }
        cache_clusters::remove_cluster(cx, &m);
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(id) {
        rg.reshard = Some(Reshard {
            retiring,
            ..Reshard::default()
        });
        rg.groups.retain(|g| !remove.contains(&g.id));
    }
    Ok(())
}

/// Adds shards up to `want`, each with as many replicas as the first shard, under the quotas.
pub fn add_shards(cx: &mut Cx, id: &str, want: usize) -> ApiResult<()> {
    let settings = settings_of(cx, &cx.st.repl_groups[id])?;
    let rg = &cx.st.repl_groups[id];
    let have = rg.groups.len();
    let replicas = rg.groups[0].members.len().saturating_sub(1);
    let existing: usize = rg.groups.iter().map(|g| g.members.len()).sum();
    let adding = (want - have) * (replicas + 1);
    limits::cluster_quota(
        existing + adding,
        limits::max_cluster_nodes(settings.engine, &settings.engine_version),
    )?;
    limits::region_quota(cx.st, adding, cx.max_nodes)?;
    let mut next = have;
    let mut added = vec![];
    while have + added.len() < want {
        let gid = format!("{:04}", next + 1);
        next += 1;
        if cx.st.repl_groups[id].groups.iter().any(|g| g.id == gid) {
            continue;
        }
        let members: Vec<String> = (0..=replicas)
            .map(|m| member_name(id, true, &gid, m))
            .collect();
        for (mi, m) in members.iter().enumerate() {
            let from = (mi > 0).then_some(members[0].as_str());
            let az = crate::elasticache::domain::regions::zone(cx.region, mi);
            start_member(cx, &settings, &settings.shape(), id, m, &az, from)?;
        }
        added.push(NodeGroup {
            id: gid,
            slots: None,
            members,
        });
    }
    if let Some(rg) = cx.st.repl_groups.get_mut(id) {
        let ids = added.iter().map(|g| g.id.clone()).collect();
        rg.groups.extend(added);
        rg.reshard = Some(Reshard {
            added: ids,
            ..Reshard::default()
        });
    }
    // Recorded DescribeEvents answer (aws-controllers-k8s/community#540).
    cx.st.event(
        id,
        "replication-group",
        format!("Scaling out replication group {id} from {have} node groups to {want} node groups"),
    );
    Ok(())
}

/// Each node group's id and slot ranges, before a change.
pub fn layout(cx: &Cx, id: &str) -> Vec<(String, Vec<(u16, u16)>)> {
    cx.st.repl_groups[id]
        .groups
        .iter()
        .map(|g| {
            (
                g.id.clone(),
                g.slots.as_deref().map(parse_slots).unwrap_or_default(),
            )
        })
        .collect()
}

/// Slots that change owner between two layouts: (from, to, how many), in slot order.
fn moves(
    before: &[(String, Vec<(u16, u16)>)],
    after: &[(String, Vec<(u16, u16)>)],
) -> Vec<(String, String, usize)> {
    let owner = |l: &[(String, Vec<(u16, u16)>)], slot: u16| {
        l.iter()
            .find(|(_, r)| r.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
            .map(|(g, _)| g.clone())
    };
    let mut out: Vec<(String, String, usize)> = vec![];
    for slot in 0..16384u16 {
        let (Some(from), Some(to)) = (owner(before, slot), owner(after, slot)) else {
            continue;
        };
        if from == to {
            continue;
        }
        match out.iter_mut().find(|(f, t, _)| *f == from && *t == to) {
            Some(m) => m.2 += 1,
            None => out.push((from, to, 1)),
        }
    }
    out
}

/// The slots spread evenly over the group's shards again; the group is `modifying` until
/// they have moved from where they were (`before`).
pub fn respread_slots(cx: &mut Cx, id: &str, before: &[(String, Vec<(u16, u16)>)]) {
    if let Some(rg) = cx.st.repl_groups.get_mut(id) {
        let n = rg.groups.len();
        for (i, g) in rg.groups.iter_mut().enumerate() {
            g.slots = Some(slots(i, n));
        }
        rg.rec.status = GroupStatus::Modifying;
    }
    let after = layout(cx, id);
    if let Some(rs) = cx
        .st
        .repl_groups
        .get_mut(id)
        .and_then(|g| g.reshard.as_mut())
    {
        rs.moves = moves(before, &after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_count_the_slots_each_pair_of_node_groups_exchanges() {
        let one = vec![("0001".to_string(), vec![(0, 16383)])];
        let two = vec![
            ("0001".to_string(), vec![(0, 8191)]),
            ("0002".to_string(), vec![(8192, 16383)]),
        ];
        assert_eq!(moves(&one, &two), [("0001".into(), "0002".into(), 8192)]);
        assert_eq!(moves(&two, &one), [("0002".into(), "0001".into(), 8192)]);
        assert!(moves(&two, &two).is_empty());
    }
}
