//! Readiness probes: speak the child's protocol instead of trusting an open port.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub enum Probe {
    /// The port accepts connections.
    Tcp(SocketAddr),
    /// `PING` answers `+PONG` (or `-NOAUTH`, which also proves the server is up).
    RedisPing(SocketAddr),
    /// `version` answers `VERSION ...`.
    MemcachedVersion(SocketAddr),
    /// Any HTTP response to `GET /`.
    Http(SocketAddr),
}

impl Probe {
    pub async fn check(&self) -> bool {
        tokio::time::timeout(Duration::from_millis(500), self.check_inner())
            .await
            .unwrap_or(false)
    }

    async fn check_inner(&self) -> bool {
        match self {
            Probe::Tcp(a) => TcpStream::connect(a).await.is_ok(),
            Probe::RedisPing(a) => ask(a, b"PING\r\n")
                .await
                .is_some_and(|r| r.starts_with(b"+PONG") || r.starts_with(b"-NOAUTH")),
            Probe::MemcachedVersion(a) => ask(a, b"version\r\n")
                .await
                .is_some_and(|r| r.starts_with(b"VERSION")),
            Probe::Http(a) => ask(a, b"GET / HTTP/1.0\r\n\r\n")
                .await
                .is_some_and(|r| r.starts_with(b"HTTP/")),
        }
    }
}

async fn ask(addr: &SocketAddr, req: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(req).await.ok()?;
    let mut buf = vec![0u8; 256];
    let n = s.read(&mut buf).await.ok()?;
    buf.truncate(n);
    (n > 0).then_some(buf)
}
