//! The engines on the wire: every command the emulator sends to a redis/valkey node goes
//! through the redis crate from here (RESP arrays, so any token AWS allows works).

pub mod cluster;
pub mod migration;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::supervisor::Probe;

/// Control sockets of TLS-only nodes, by the node's reported address.
fn control_map() -> std::sync::MutexGuard<'static, HashMap<SocketAddr, PathBuf>> {
    static MAP: OnceLock<Mutex<HashMap<SocketAddr, PathBuf>>> = OnceLock::new();
    MAP.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Remembers the unix socket a TLS-only node is controlled through.
pub fn register_control_socket(addr: SocketAddr, path: PathBuf) {
    control_map().insert(addr, path);
}

pub fn forget_control_socket(addr: SocketAddr) {
    control_map().remove(&addr);
}

/// A redis crate connection to a node (over its control socket when it speaks TLS only).
pub fn redis_connection(
    addr: SocketAddr,
    auth: Option<&str>,
) -> redis::RedisResult<redis::Connection> {
    connect(addr, auth, Duration::from_secs(2))
}

/// A redis crate connection whose connect, AUTH, reads and writes give up after `timeout`.
/// AUTH goes as a RESP array, so a token may hold any character AWS allows.
fn connect(
    addr: SocketAddr,
    auth: Option<&str>,
    timeout: Duration,
) -> redis::RedisResult<redis::Connection> {
    let target = match control_map().get(&addr).cloned() {
        Some(path) => redis::ConnectionAddr::Unix(path),
        None => redis::ConnectionAddr::Tcp(addr.ip().to_string(), addr.port()),
    };
    // AUTH is sent here rather than by the crate's connection set-up, which reads its answer
    // with no timeout: a stopped or hung node would block the caller (the monitor) for good.
    let info = redis::ConnectionInfo {
        addr: target,
        redis: redis::RedisConnectionInfo::default(),
    };
    let mut c = redis::Client::open(info)?.get_connection_with_timeout(timeout)?;
    c.set_read_timeout(Some(timeout))?;
    c.set_write_timeout(Some(timeout))?;
    if let Some(token) = auth {
        redis::cmd("AUTH").arg(token).query::<()>(&mut c)?;
    }
    Ok(c)
}

/// A connection for one control command. A token the node refuses (it has none, or a change
/// of token is under way) is tried again without one: the command then runs as an
/// unauthenticated client would, which is what a node without a password allows.
fn control(addr: SocketAddr, auth: Option<&str>, timeout: Duration) -> Option<redis::Connection> {
    match connect(addr, auth, timeout) {
        Ok(c) => Some(c),
        Err(e) if auth.is_some() && !e.is_io_error() => connect(addr, None, timeout).ok(),
        Err(_) => None,
    }
}

/// Polls `probe` until it answers or `timeout` passes.
pub async fn wait_ready(probe: &Probe, timeout: Duration) -> bool {
    let start = Instant::now();
    let mut delay = Duration::from_millis(1);
    loop {
        if probe.check().await {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(25));
    }
}

/// Polls `f` every 50 ms until it holds or `timeout` passes.
pub fn until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether a replica's link to its primary is up and its first sync done (INFO replication).
pub fn replica_linked(c: &mut redis::Connection) -> bool {
    redis::cmd("INFO")
        .arg("replication")
        .query::<String>(c)
        .is_ok_and(|i| {
            i.contains("master_link_status:up") && i.contains("master_sync_in_progress:0")
        })
}

/// `replica_linked`, asked of the node at `addr` within a second.
pub fn replica_linked_at(addr: SocketAddr, auth: Option<&str>) -> bool {
    control(addr, auth, Duration::from_secs(1)).is_some_and(|mut c| replica_linked(&mut c))
}

/// `used_memory` of a redis node (INFO memory), with a short timeout; None if unreachable.
pub fn used_memory(addr: SocketAddr, auth: Option<&str>) -> Option<u64> {
    info_field(addr, auth, "memory", "used_memory")
}

/// One numeric field of a redis node's INFO section, with a short timeout.
pub fn info_field(addr: SocketAddr, auth: Option<&str>, section: &str, field: &str) -> Option<u64> {
    info_field_within(addr, auth, section, field, Duration::from_millis(200))
}

/// A redis node's INFO section, asked within `timeout`.
pub fn info_within(
    addr: SocketAddr,
    auth: Option<&str>,
    section: &str,
    timeout: Duration,
) -> Option<String> {
    let mut c = control(addr, auth, timeout)?;
    redis::cmd("INFO").arg(section).query(&mut c).ok()
}

/// One numeric field of a redis node's INFO section, asked within `timeout`.
pub fn info_field_within(
    addr: SocketAddr,
    auth: Option<&str>,
    section: &str,
    field: &str,
    timeout: Duration,
) -> Option<u64> {
    numeric_field(&info_within(addr, auth, section, timeout)?, field)
}

/// One numeric field of an INFO text.
pub fn numeric_field(info: &str, field: &str) -> Option<u64> {
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}

/// Runs SAVE on a redis node so that `<data dir>/dump.rdb` holds its current dataset.
pub fn save_rdb(addr: SocketAddr, auth: Option<&str>) -> bool {
    control(addr, auth, Duration::from_secs(10))
        .is_some_and(|mut c| redis::cmd("SAVE").query::<()>(&mut c).is_ok())
}

/// Sends `CONFIG SET name value` for each pair. Parameters the engine does not know
/// (ElastiCache-only ones such as reserved-memory-percent) are answered with an error and
/// skipped. Returns how many were applied, or None if the node could not be reached.
pub fn config_set(
    addr: SocketAddr,
    auth: Option<&str>,
    pairs: &[(String, String)],
) -> Option<usize> {
    let mut c = control(addr, auth, Duration::from_secs(2))?;
    let mut applied = 0;
    for (k, v) in pairs {
        match redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query::<()>(&mut c)
        {
            Ok(()) => applied += 1,
            Err(e) if e.is_io_error() => return None,
            Err(_) => {}
        }
    }
    Some(applied)
}

/// Sends one command; whether the node accepted it.
pub fn command(addr: SocketAddr, auth: Option<&str>, args: &[&str]) -> bool {
    let Some((name, rest)) = args.split_first() else {
        return false;
    };
    control(addr, auth, Duration::from_secs(2)).is_some_and(|mut c| {
        redis::cmd(name)
            .arg(rest)
            .query::<redis::Value>(&mut c)
            .is_ok()
    })
}
