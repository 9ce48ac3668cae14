//! Maintenance and snapshot windows AWS chooses when a create names none: "a 60-minute
//! maintenance window within your region's maintenance window on a randomly chosen day of the
//! week ... chosen at random from an 8-hour block of time per region" (Managing maintenance,
//! https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/maintenance-window.html). The
//! snapshot window (SnapshotWindow: "ElastiCache automatically chooses an appropriate time
//! range", API reference) is drawn the same way, daily, clear of the maintenance window.
//!
//! A draw is a hash of the emulator's seed (`--seed` / `AWSEMU_SEED`, else random per run),
//! the account, region and resource id: reproducible with a seed, whatever the request order.

use sha2::{Digest, Sha256};

/// (region, start of its 8-hour block in minutes after 00:00 UTC), from the page above; a
/// region it does not list gets us-east-1's block.
const BLOCKS: &[(&str, u32)] = &[
    ("us-east-1", 3 * 60),
    ("us-east-2", 4 * 60),
    ("us-west-1", 6 * 60),
    ("us-west-2", 6 * 60),
    ("ca-central-1", 3 * 60),
    ("sa-east-1", 60),
    ("eu-west-1", 22 * 60),
    ("eu-west-2", 23 * 60),
    ("eu-west-3", 23 * 60 + 59),
    ("eu-central-1", 23 * 60),
    ("eu-south-1", 21 * 60),
    ("af-south-1", 13 * 60),
    ("me-south-1", 13 * 60),
    ("me-central-1", 13 * 60),
    ("ap-east-1", 13 * 60),
    ("ap-east-2", 9 * 60),
    ("ap-northeast-1", 13 * 60),
    ("ap-northeast-2", 12 * 60),
    ("ap-northeast-3", 12 * 60),
    ("ap-south-1", 17 * 60 + 30),
    ("ap-south-2", 6 * 60 + 30),
    ("ap-southeast-1", 14 * 60),
    ("ap-southeast-2", 12 * 60),
    ("ap-southeast-3", 14 * 60),
    ("cn-north-1", 14 * 60),
    ("cn-northwest-1", 14 * 60),
];

const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DAY: u32 = 24 * 60;
/// Windows start on the hour or half hour, and end within the block.
const STARTS: u32 = (8 * 60 - 60) / 30 + 1;

/// Start of the region's block, minutes after 00:00 UTC.
pub fn block_start(region: &str) -> u32 {
    BLOCKS
        .iter()
        .find(|(r, _)| *r == region)
        .map_or(3 * 60, |(_, s)| *s)
}

/// Where a draw comes from.
pub struct Draw<'a> {
    pub seed: u64,
    pub account: &'a str,
    pub region: &'a str,
    pub id: &'a str,
}

impl Draw<'_> {
    fn number(&self, what: &str, attempt: u32) -> u64 {
        let h = Sha256::digest(format!(
            "{}/{}/{}/{}/{what}/{attempt}",
            self.seed, self.account, self.region, self.id
        ));
        u64::from_be_bytes(h[..8].try_into().unwrap_or_default())
    }

    /// Minutes after 00:00 UTC a window drawn inside the block starts at.
    fn start(&self, what: &str, attempt: u32) -> u32 {
        let slot = (self.number(what, attempt) % u64::from(STARTS)) as u32;
        (block_start(self.region) + slot * 30) % DAY
    }

    /// `ddd:hh:mm-ddd:hh:mm`: 60 minutes inside the block, on a random day.
    pub fn maintenance_window(&self) -> String {
        let day = (self.number("maintenance-day", 0) % 7) as usize;
        let start = self.start("maintenance", 0);
        let end = start + 60;
        let end_day = if end >= DAY { (day + 1) % 7 } else { day };
        format!(
            "{}:{}-{}:{}",
            DAYS[day],
            hhmm(start),
            DAYS[end_day],
            hhmm(end % DAY)
        )
    }

    /// `hh:mm-hh:mm`: 60 minutes inside the block, clear of `maintenance` (the same draw's
    /// maintenance window, or the one the request named) so the two never overlap.
    pub fn snapshot_window(&self, maintenance: &str) -> String {
        let busy = time_of_day(maintenance);
        for attempt in 0..64 {
            let start = self.start("snapshot", attempt);
            let clear = busy.is_none_or(|(b, e)| !overlaps((start, start + 60), (b, e)));
            if clear {
                return format!("{}-{}", hhmm(start), hhmm((start + 60) % DAY));
            }
        }
        let start = (block_start(self.region) + 7 * 60) % DAY;
        format!("{}-{}", hhmm(start), hhmm((start + 60) % DAY))
    }
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A maintenance window's times of day in minutes (the end past the start if it wraps).
fn time_of_day(window: &str) -> Option<(u32, u32)> {
    let (a, b) = window.split_once('-')?;
    let minutes = |t: &str| -> Option<u32> {
        let mut parts = t.rsplitn(3, ':');
        let m: u32 = parts.next()?.parse().ok()?;
        let h: u32 = parts.next()?.parse().ok()?;
        Some(h * 60 + m)
    };
    let (s, mut e) = (minutes(a)?, minutes(b)?);
    if e <= s {
        e += DAY;
    }
    Some((s, e))
}

/// Whether two daily ranges overlap (either may wrap past midnight): `a` shifted a day on
/// is compared with `b` a day earlier, the same day and a day later.
fn overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
    [0, DAY, 2 * DAY]
        .iter()
        .any(|shift| a.0 + DAY < b.1 + shift && b.0 + shift < a.1 + DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(id: &str, region: &'static str, seed: u64) -> (String, String) {
        let d = Draw {
            seed,
            account: "123456789012",
            region,
            id,
        };
        let m = d.maintenance_window();
        let s = d.snapshot_window(&m);
        (m, s)
    }

    #[test]
    fn windows_are_60_minutes_inside_the_regions_block() {
        for region in [
            "us-east-1",
            "eu-west-1",
            "ap-south-1",
            "eu-west-3",
            "xx-new-1",
        ] {
            let block = block_start(region);
            let mut seen = std::collections::BTreeSet::new();
            for i in 0..200 {
                let (m, s) = draw(&format!("c{i}"), region, 7);
                let (ms, me) = time_of_day(&m).unwrap();
                let (ss, se) = time_of_day(&s).unwrap();
                assert_eq!(me - ms, 60, "{m}");
                assert_eq!(se - ss, 60, "{s}");
                for start in [ms, ss] {
                    let into_block = (start + DAY - block) % DAY;
                    assert!(into_block + 60 <= 8 * 60, "{region} {m} {s}");
                }
                assert!(!overlaps((ms, me), (ss, se)), "{m} {s}");
                seen.insert(m);
            }
            // Random days and times: 200 draws give many different windows.
            assert!(seen.len() > 50, "{region}: {}", seen.len());
        }
        // Wrapping blocks name the next day when the window ends after midnight.
        let days: std::collections::BTreeSet<String> = (0..300)
            .map(|i| draw(&format!("w{i}"), "eu-west-3", 1).0)
            .filter(|m| m[..3] != m[10..13])
            .collect();
        assert!(!days.is_empty());
    }

    #[test]
    fn a_seed_makes_the_draw_reproducible() {
        assert_eq!(draw("a", "us-east-1", 42), draw("a", "us-east-1", 42));
        let others: std::collections::BTreeSet<_> =
            (0..20).map(|s| draw("a", "us-east-1", s)).collect();
        assert!(others.len() > 1);
        // A window the request names is kept clear of.
        let d = Draw {
            seed: 1,
            account: "1",
            region: "us-east-1",
            id: "x",
        };
        for named in [
            "sun:03:00-sun:04:00",
            "mon:05:30-mon:06:30",
            "tue:10:00-tue:11:00",
        ] {
            let s = d.snapshot_window(named);
            assert!(!overlaps(
                time_of_day(&s).unwrap(),
                time_of_day(named).unwrap()
            ));
        }
    }
}
