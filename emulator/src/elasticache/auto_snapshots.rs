//! Automatic snapshots: a cache cluster or replication group with SnapshotRetentionLimit > 0
//! gets one snapshot a day, taken inside its SnapshotWindow (UTC), named as AWS names them
//! (`automatic.<id>-YYYY-MM-DD-HH-MM`) with SnapshotSource `automated`. The oldest beyond the
//! retention limit are deleted, and a deleted cluster's or group's automatic snapshots go
//! with it (a final snapshot, being manual, stays).

use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

use crate::elasticache::state::{ClusterStatus, Cx, GroupStatus};

/// The clock scheduled work reads: the system clock plus an offset in seconds, which tests
/// set through `/_emulator/clock` so they need not wait for a snapshot window.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.offset.load(Ordering::Relaxed))
    }
    pub fn set_offset(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::Relaxed);
    }
}

/// Minutes since midnight of `HH:MM`.
fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Whether `t` falls in a `HH:MM-HH:MM` window (UTC), which may wrap midnight.
pub fn in_window(window: &str, t: OffsetDateTime) -> bool {
    let Some((a, b)) = window.split_once('-') else {
        return false;
    };
    let (Some(start), Some(end)) = (minutes(a), minutes(b)) else {
        return false;
    };
    let now = t.hour() as u32 * 60 + t.minute() as u32;
    if start <= end {
        (start..end).contains(&now)
    } else {
        now >= start || now < end
    }
}

fn day(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day())
}

/// AWS's name for an automatic snapshot taken at `t`.
pub fn name(id: &str, t: OffsetDateTime) -> String {
    format!(
        "automatic.{id}-{}-{:02}-{:02}",
        day(t),
        t.hour(),
        t.minute()
    )
}

fn retention(limit: Option<i64>) -> usize {
    limit.unwrap_or(0).max(0) as usize
}

/// What has automatic snapshots: (id, is a group, snapshots to keep, window open at `t`).
fn sources(cx: &Cx, t: OffsetDateTime) -> Vec<(String, bool, usize, bool)> {
    let mut sources = vec![];
    let open = |window: Option<&str>| window.is_some_and(|w| in_window(w, t));
    for (id, c) in &cx.st.clusters {
        // Members of a group are snapshotted through their group.
        if c.rec.replication_group_id.is_some()
            || c.engine == crate::elasticache::runtime::EngineKind::Memcached
            || c.rec.cache_cluster_status != ClusterStatus::Available
        {
            continue;
        }
        let keep = retention(c.rec.snapshot_retention_limit);
        if keep > 0 {
            sources.push((
                id.clone(),
                false,
                keep,
                open(c.rec.snapshot_window.as_deref()),
            ));
        }
    }
    for g in cx.st.repl_groups.values() {
        let keep = retention(Some(g.rec.snapshot_retention_limit));
        if keep == 0 || g.rec.status != GroupStatus::Available {
            continue;
        }
        sources.push((
            g.rec.replication_group_id.clone(),
            true,
            keep,
            open(Some(&g.rec.snapshot_window)),
        ));
    }
    sources
}

/// Takes the day's snapshot of every source in its window, then enforces retention.
pub fn run(cx: &mut Cx, t: OffsetDateTime) {
    for (id, group, keep, open) in sources(cx, t) {
        let today = format!("automatic.{id}-{}", day(t));
        let taken = cx
            .st
            .snapshots
            .values()
            .any(|s| s.automatic_of(&id) && s.snapshot_name.starts_with(&today));
        if open && !taken {
            let snap = name(&id, t);
            let made = if group {
                crate::elasticache::domain::snapshots::snapshot_of_group(
                    cx,
                    &id.to_ascii_lowercase(),
                    &snap,
                    "automated",
                )
            } else {
                crate::elasticache::domain::snapshots::snapshot_of_cluster(
                    cx,
                    &id,
                    &snap,
                    "automated",
                )
            };
            if made.is_err() {
                continue;
            }
        }
        // Names sort by time: the oldest beyond the limit go.
        let mut mine: Vec<String> = cx
            .st
            .snapshots
            .iter()
            .filter(|(_, s)| s.automatic_of(&id))
            .map(|(n, _)| n.clone())
            .collect();
        mine.sort();
        while mine.len() > keep {
            let oldest = mine.remove(0);
            crate::elasticache::domain::snapshots::remove_snapshot(cx, &oldest);
        }
    }
}

/// Deletes the automatic snapshots of a cluster or group being deleted.
pub fn drop_for(cx: &mut Cx, id: &str) {
    let mine: Vec<String> = cx
        .st
        .snapshots
        .iter()
        .filter(|(_, s)| s.automatic_of(id))
        .map(|(n, _)| n.clone())
        .collect();
    for n in mine {
        crate::elasticache::domain::snapshots::remove_snapshot(cx, &n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn windows_and_names() {
        let t = datetime!(2026-12-01 03:10 UTC);
        assert!(in_window("03:00-04:00", t));
        assert!(!in_window("04:00-05:00", t));
        assert!(in_window("23:30-03:30", t), "wraps midnight");
        assert!(!in_window("garbage", t));
        assert_eq!(
            name("my-cluster", t),
            "automatic.my-cluster-2026-12-01-03-10"
        );
    }

    #[test]
    fn the_clock_moves_by_its_offset() {
        let c = Clock::default();
        let before = c.now();
        c.set_offset(86_400);
        assert!(c.now() - before >= time::Duration::hours(23));
    }
}
