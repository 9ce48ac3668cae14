//! Automatic snapshots: one a day inside the snapshot window, named as AWS names them, the
//! oldest beyond the retention limit deleted, all of them gone with their cluster. The
//! emulator's clock for scheduled work is moved through `/_emulator/clock`.

use serde_json::Value;

use super::super::common::TestEmulator;
use super::{create_cluster, ec, eventually, wait_cluster};

/// Sets the emulator's clock so that "now" is `days` days ahead at about 03:10 UTC.
fn at_0310(emu: &TestEmulator, days: i64) -> String {
    let now = time::OffsetDateTime::now_utc();
    let target = (now + time::Duration::days(days)).replace_time(time::macros::time!(03:10:30));
    let offset = (target - now).whole_seconds();
    emu.post_internal(&format!("/_emulator/clock?offset={offset}"));
    format!(
        "{:04}-{:02}-{:02}",
        target.year(),
        target.month() as u8,
        target.day()
    )
}

fn automatic(emu: &TestEmulator) -> Vec<Value> {
    ec(
        emu,
        &[
            "describe-snapshots",
            "--cache-cluster-id",
            "daily",
            "--snapshot-source",
            "automated",
        ],
    )["Snapshots"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn names(snaps: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = snaps
        .iter()
        .map(|s| s["SnapshotName"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[test]
fn a_daily_snapshot_in_the_window_kept_for_the_retention_limit() {
    let emu = TestEmulator::start();
    // Noon, outside the window, whatever the hour the test runs at (between 03:00 and 04:00
    // UTC the real clock is inside it).
    let now = time::OffsetDateTime::now_utc();
    let noon = (now.replace_time(time::macros::time!(12:00)) - now).whole_seconds();
    emu.post_internal(&format!("/_emulator/clock?offset={noon}"));
    create_cluster(
        &emu,
        "daily",
        "redis",
        1,
        &[
            "--snapshot-retention-limit",
            "2",
            "--snapshot-window",
            "03:00-04:00",
        ],
    );
    wait_cluster(&emu, "daily");
    assert!(automatic(&emu).is_empty(), "none before the window");
    let mut days = vec![];
    for d in 1..=3 {
        let day = at_0310(&emu, d);
        eventually("the day's automatic snapshot", || {
            names(&automatic(&emu))
                .iter()
                .any(|n| n.starts_with(&format!("automatic.daily-{day}-03-")))
        });
        days.push(day);
    }
    // Three days taken, two kept: the oldest went.
    let kept = automatic(&emu);
    assert_eq!(kept.len(), 2, "{kept:?}");
    let kept_names = names(&kept);
    assert!(kept_names[0].starts_with(&format!("automatic.daily-{}", days[1])));
    assert!(kept_names[1].starts_with(&format!("automatic.daily-{}", days[2])));
    for s in &kept {
        assert_eq!(s["SnapshotSource"], "automated");
        assert_eq!(s["CacheClusterId"], "daily");
    }
    // Only one a day, however long the window stays open.
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(automatic(&emu).len(), 2);
    // Deleting the cluster deletes its automatic snapshots; a final snapshot stays.
    ec(
        &emu,
        &[
            "delete-cache-cluster",
            "--cache-cluster-id",
            "daily",
            "--final-snapshot-identifier",
            "daily-final",
        ],
    );
    let left = ec(&emu, &["describe-snapshots"])["Snapshots"].clone();
    assert_eq!(
        names(left.as_array().unwrap()),
        vec!["daily-final".to_string()]
    );
}
