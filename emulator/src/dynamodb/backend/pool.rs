//! A small HTTP/1.1 connection pool to the backend: fewer layers than a general client, which
//! is most of what a proxy adds per request. Each connection is driven by the task that uses
//! it (no background task per connection), which saves a task hop per request.

use std::pin::Pin;
use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type Conn = Pin<Box<Connection<TokioIo<TcpStream>, Full<Bytes>>>>;

struct Link {
    sender: SendRequest<Full<Bytes>>,
    conn: Conn,
}

pub struct Pool {
    /// `host:port` to connect to, also sent as Host.
    authority: String,
    idle: Mutex<Vec<Link>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("connect: {0}")]
    Connect(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("connection closed by the backend")]
    Closed,
}

/// Runs `fut` while driving the connection; an ended connection is an error.
async fn drive<T>(
    conn: &mut Conn,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, PoolError> {
    tokio::select! {
        biased;
        out = fut => Ok(out),
        res = conn.as_mut() => match res {
            Ok(()) => Err(PoolError::Closed),
            Err(e) => Err(e.into()),
        },
    }
}

impl Pool {
    pub fn new(authority: String) -> Self {
        Self {
            authority,
            idle: Mutex::new(Vec::new()),
        }
    }

    async fn connect(&self) -> Result<Link, PoolError> {
        let stream = TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        Ok(Link {
            sender,
            conn: Box::pin(conn),
        })
    }

    async fn exchange(
        &self,
        link: &mut Link,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<(u16, bool, Bytes), PoolError> {
        let Link { sender, conn } = link;
        drive(conn, sender.ready()).await??;
        let res = drive(conn, sender.send_request(req)).await??;
        let status = res.status().as_u16();
        let keep = !res
            .headers()
            .get("connection")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let body = drive(conn, res.into_body().collect()).await??.to_bytes();
        Ok((status, keep, body))
    }

    /// POST / with the given headers; answers status and body.
    pub async fn post(
        &self,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<(u16, Bytes), PoolError> {
        let build = || {
            let mut req = hyper::Request::post("/").header("host", &self.authority);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req.body(Full::new(body.clone()))
        };
        let pooled = self.idle.lock().unwrap().pop();
        let (mut link, reused) = match pooled {
            Some(l) if !l.sender.is_closed() => (l, true),
            _ => (self.connect().await?, false),
        };
        let (status, keep, out) = match self.exchange(&mut link, build()?).await {
            Ok(r) => r,
            // A reused connection the backend had already closed: the request was not
            // answered, and DynamoDB Local closes idle connections only between requests.
            Err(e) if reused && is_stale(&e) => {
                link = self.connect().await?;
                self.exchange(&mut link, build()?).await?
            }
            Err(e) => return Err(e),
        };
        if keep {
            self.idle.lock().unwrap().push(link);
        }
        Ok((status, out))
    }
}

fn is_stale(e: &PoolError) -> bool {
    match e {
        PoolError::Closed => true,
        PoolError::Http(h) => h.is_canceled() || h.is_closed() || h.is_incomplete_message(),
        _ => false,
    }
}
