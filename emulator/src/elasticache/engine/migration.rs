//! Online migration on the wire: the customer's source answered by address (a host name
//! or an IP), and the replication state of the node that receives its data.

use std::net::SocketAddr;
use std::time::Duration;

use super::control;

/// PINGs the customer's endpoint the way a replica would reach it (no AUTH, no TLS).
pub fn ping_source(host: &str, port: u16) -> Result<(), String> {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(host.to_string(), port),
        redis: redis::RedisConnectionInfo::default(),
    };
    let timeout = Duration::from_secs(1);
    let mut c = redis::Client::open(info)
        .and_then(|c| c.get_connection_with_timeout(timeout))
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let _ = c.set_read_timeout(Some(timeout));
    match redis::cmd("PING").query::<String>(&mut c) {
        Ok(pong) if pong.eq_ignore_ascii_case("PONG") => Ok(()),
        Ok(other) => Err(format!("{host}:{port} answered PING with {other}")),
        Err(e) => Err(format!("{host}:{port} refused PING: {e}")),
    }
}

/// Whether a replica's link to its primary is up with no sync under way (its data follows
/// the source); None if the node cannot be asked.
pub fn in_sync(addr: SocketAddr, auth: Option<&str>) -> Option<bool> {
    let mut c = control(addr, auth, Duration::from_secs(1))?;
    let info: String = redis::cmd("INFO").arg("replication").query(&mut c).ok()?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    Some(
        field("role") == Some("slave")
            && field("master_link_status") == Some("up")
            && field("master_sync_in_progress") == Some("0"),
    )
}

/// How many keys a node holds; None if it cannot be asked.
pub fn key_count(addr: SocketAddr, auth: Option<&str>) -> Option<u64> {
    let mut c = control(addr, auth, Duration::from_secs(1))?;
    redis::cmd("DBSIZE").query(&mut c).ok()
}
