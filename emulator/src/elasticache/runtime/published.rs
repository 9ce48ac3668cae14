//! Ports of a published range (`--node-ports`): where nodes listen when they must be
//! reachable from outside the emulator's host or container. Every node binds the same
//! address (`--bind`), so each takes a port of its own.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::RuntimeError;
use crate::config::{NodePorts, PublishedNodes};

/// How long a port handed out for a node that never started stays withheld (its request
/// failed after the reservation). Nodes of one request are all reserved before any starts,
/// so a bind test alone would hand one port out twice.
const RESERVE_HOLD: Duration = Duration::from_secs(120);

/// Ports handed out in this process: reserved for a node about to start, or leased by a
/// running node (until its `Lease` drops), with the lease's generation.
enum Hold {
    Reserved(Instant),
    Running(u64),
}

fn held() -> MutexGuard<'static, HashMap<SocketAddr, Hold>> {
    static HELD: OnceLock<Mutex<HashMap<SocketAddr, Hold>>> = OnceLock::new();
    HELD.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Next port of the range to try, shared by every backend of the process, so ports are
/// handed out in turn.
fn next() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Whether `port` (and its cluster bus port) can be bound on the nodes' address.
pub(super) fn free(p: &PublishedNodes, port: u16) -> bool {
    TcpListener::bind((p.bind, port)).is_ok()
        && TcpListener::bind((p.bind, NodePorts::bus(port))).is_ok()
}

/// The address of a new node: its `preferred` one when free and in the range (its own
/// reservation, or a node restarted in place), else the next port of the range that no
/// node holds, as the emulator reaches it.
pub(super) fn allocate(
    p: &PublishedNodes,
    preferred: Option<SocketAddr>,
) -> Result<SocketAddr, RuntimeError> {
    let ip = p.internal_ip();
    let mut held = held();
    if let Some(addr) =
        preferred.filter(|a| a.ip() == ip && p.ports.contains(a.port()) && free(p, a.port()))
    {
        if !matches!(held.get(&addr), Some(Hold::Running(_))) {
            held.insert(addr, Hold::Reserved(Instant::now()));
        }
        return Ok(addr);
    }
    for _ in 0..p.ports.len() {
        let addr = SocketAddr::new(ip, p.ports.nth(next()));
        let taken = match held.get(&addr) {
            Some(Hold::Running(_)) => true,
            Some(Hold::Reserved(at)) => at.elapsed() < RESERVE_HOLD,
            None => false,
        };
        if !taken && free(p, addr.port()) {
            held.insert(addr, Hold::Reserved(Instant::now()));
            return Ok(addr);
        }
    }
    Err(RuntimeError::PortsExhausted(p.ports))
}

/// A started node's hold on its port; dropped with the node.
pub(super) struct Lease {
    addr: SocketAddr,
    generation: u64,
}

pub(super) fn lease(addr: SocketAddr) -> Lease {
    static GENERATION: AtomicU64 = AtomicU64::new(0);
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    held().insert(addr, Hold::Running(generation));
    Lease { addr, generation }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut held = held();
        // A node restarted in place took the port over: its lease is the newer one.
        if matches!(held.get(&self.addr), Some(Hold::Running(g)) if *g == self.generation) {
            held.remove(&self.addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(first: u16, last: u16) -> PublishedNodes {
        PublishedNodes {
            ports: NodePorts { first, last },
            bind: "127.0.0.1".parse().unwrap(),
            host: "localhost".into(),
        }
    }

    /// A range of free ports on loopback (each with a free bus port), found by binding.
    fn free_range(from: u16, len: u16) -> PublishedNodes {
        // Each test searches from its own start (tests run at once), and no test's ports are
        // another's cluster bus ports (port + 10,000): a free check binds both for a moment.
        'search: for first in (from..from + 10_000).step_by(97) {
            let p = published(first, first + len - 1);
            for port in first..=p.ports.last {
                if !free(&p, port) {
                    continue 'search;
                }
            }
            return p;
        }
        panic!("no free range of {len} ports");
    }

    #[test]
    fn reserved_and_leased_ports_are_not_handed_out_twice() {
        let p = free_range(20_000, 2);
        let a = allocate(&p, None).unwrap();
        let b = allocate(&p, None).unwrap();
        assert_ne!(a, b, "reserved, not yet bound");
        assert!(p.ports.contains(a.port()) && p.ports.contains(b.port()));
        assert!(matches!(
            allocate(&p, None),
            Err(RuntimeError::PortsExhausted(_))
        ));
        // A started node keeps its port until it stops.
        let node = lease(a);
        assert!(allocate(&p, None).is_err());
        drop(node);
        assert_eq!(allocate(&p, None).unwrap(), a);
    }

    #[test]
    fn a_port_bound_by_anyone_else_is_skipped() {
        let p = free_range(22_500, 2);
        let _other = TcpListener::bind(SocketAddr::new(p.internal_ip(), p.ports.first)).unwrap();
        assert_eq!(allocate(&p, None).unwrap().port(), p.ports.last);
        assert!(allocate(&p, None).is_err());
    }

    #[test]
    fn a_preferred_address_is_kept_only_while_free_and_in_range() {
        let p = free_range(24_000, 3);
        let want = SocketAddr::new(p.internal_ip(), p.ports.first + 1);
        assert_eq!(allocate(&p, Some(want)).unwrap(), want);
        let outside = SocketAddr::new(p.internal_ip(), p.ports.last + 1);
        assert!(p
            .ports
            .contains(allocate(&p, Some(outside)).unwrap().port()));
        let _held = TcpListener::bind(want).unwrap();
        assert_ne!(allocate(&p, Some(want)).unwrap(), want);
    }
}
