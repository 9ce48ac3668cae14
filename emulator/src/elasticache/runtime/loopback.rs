//! Loopback addresses for the nodes of the process backend. Each emulator process claims
//! blocks of addresses (a UDP socket bound on a block's last address marks the claim while the
//! process lives) and gives nodes addresses of its own blocks only. Two emulators on one
//! machine therefore never give a node an address the other used: a replica that reconnects
//! to its dead primary's address can never reach, and resync from, another emulator's node.

use std::net::{Ipv4Addr, UdpSocket};
use std::sync::Mutex;

/// Addresses 127.100.0.1 .. 127.254.255.254 (far from 127.0.0.1), numbered from 0.
const SPAN: u32 = 155 * 256 * 254;
const BLOCK: u32 = 256;
const BLOCKS: u32 = SPAN / BLOCK;
/// The UDP port of a block's claim, on the block's last address (never given to a node).
const CLAIM_PORT: u16 = 65534;

fn ip(n: u32) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        100 + (n / (256 * 254)) as u8,
        ((n / 254) % 256) as u8,
        (n % 254) as u8 + 1,
    )
}

/// The number of a loopback address of the span (inverse of `ip`).
fn number(a: Ipv4Addr) -> Option<u32> {
    let [o1, o2, o3, o4] = a.octets();
    (o1 == 127 && o2 >= 100 && (1..=254).contains(&o4))
        .then(|| u32::from(o2 - 100) * 256 * 254 + u32::from(o3) * 254 + u32::from(o4 - 1))
        .filter(|n| *n < SPAN)
}

fn claim(block: u32) -> Option<UdpSocket> {
    UdpSocket::bind((ip(block * BLOCK + BLOCK - 1), CLAIM_PORT)).ok()
}

struct Claims {
    held: Vec<(u32, UdpSocket)>,
    /// The block addresses are given from, and the next offset in it.
    current: Option<(u32, u32)>,
    next_block: u32,
}

static CLAIMS: Mutex<Option<Claims>> = Mutex::new(None);

fn with_claims<T>(f: impl FnOnce(&mut Claims) -> T) -> T {
    let mut g = CLAIMS.lock().unwrap_or_else(|p| p.into_inner());
    let c = g.get_or_insert_with(|| Claims {
        held: vec![],
        current: None,
        // Processes start at different blocks, so their claims rarely meet.
        next_block: std::process::id().wrapping_mul(2_654_435_761) % BLOCKS,
    });
    f(c)
}

/// The next address of this process's blocks (never the same one twice), claiming another
/// block when the current one is used up; None when every block is claimed.
pub fn next() -> Option<Ipv4Addr> {
    with_claims(|c| loop {
        if let Some((b, i)) = c.current {
            if i < BLOCK - 1 {
                c.current = Some((b, i + 1));
                return Some(ip(b * BLOCK + i));
            }
        }
        let mut found = None;
        for _ in 0..BLOCKS {
            let b = c.next_block % BLOCKS;
            c.next_block = c.next_block.wrapping_add(1);
            if let Some(s) = claim(b) {
                found = Some((b, s));
                break;
            }
        }
        let (b, s) = found?;
        c.held.push((b, s));
        c.current = Some((b, 0));
    })
}

/// Whether this process may use `a` again (a node restarted at its old address): it is in
/// one of our blocks, or its block could be claimed now; addresses outside the span are
/// not ours to police.
pub fn may_reuse(a: Ipv4Addr) -> bool {
    let Some(n) = number(a) else {
        return true;
    };
    let b = n / BLOCK;
    if n % BLOCK == BLOCK - 1 {
        return false;
    }
    with_claims(|c| {
        if c.held.iter().any(|(h, _)| *h == b) {
            return true;
        }
        match claim(b) {
            Some(s) => {
                c.held.push((b, s));
                true
            }
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_addresses_map_both_ways() {
        for n in [0, 1, 253, 254, 255, 65_023, 65_024, SPAN - 1] {
            assert_eq!(number(ip(n)), Some(n), "{n}");
        }
        assert_eq!(number(Ipv4Addr::new(127, 0, 0, 1)), None);
        assert_eq!(number(Ipv4Addr::new(127, 100, 0, 0)), None);
    }

    #[test]
    fn addresses_come_from_claimed_blocks_only_and_never_twice() {
        let a: Vec<Ipv4Addr> = (0..600).map(|_| next().unwrap()).collect();
        let mut unique = a.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), a.len());
        for ip in &a {
            let n = number(*ip).unwrap();
            assert_ne!(n % BLOCK, BLOCK - 1, "a claim address was handed out");
            // Held by this process: another process cannot claim the block.
            assert!(claim(n / BLOCK).is_none(), "{ip}'s block is not claimed");
            assert!(may_reuse(*ip));
        }
    }

    #[test]
    fn a_block_another_process_holds_is_not_reused() {
        // A block nobody in this process uses, held as another process would hold it.
        let b = (0..BLOCKS)
            .rev()
            .find(|b| with_claims(|c| c.held.iter().all(|(h, _)| h != b)))
            .unwrap();
        let _other = claim(b).expect("a free block");
        assert!(!may_reuse(ip(b * BLOCK + 7)));
    }
}
