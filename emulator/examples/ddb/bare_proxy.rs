//! The least an HTTP proxy in front of DynamoDB Local can do, as a floor for the emulator's
//! added latency: each client connection gets its own backend connection, and each request's
//! body is read whole and sent on with the headers DynamoDB needs; no parsing, no checks.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

/// The client connection's own backend connection (made again when the backend closed it).
type Sender = Arc<Mutex<Option<SendRequest<Full<Bytes>>>>>;

async fn connect(backend: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let out = TcpStream::connect(backend).await?;
    out.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(out)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn forward(
    sender: Sender,
    backend: SocketAddr,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let request = || {
        let mut out = hyper::Request::post("/").header("host", backend.to_string());
        for name in ["content-type", "x-amz-target", "authorization"] {
            if let Some(v) = parts.headers.get(name) {
                out = out.header(name, v);
            }
        }
        out.body(Full::new(body.clone()))
    };
    let mut link = sender.lock().await;
    let res = match link.as_mut() {
        Some(s) if !s.is_closed() => s.send_request(request()?).await.ok(),
        _ => None,
    };
    let res = match res {
        Some(r) => r,
        // The backend closed the connection between requests: once more on a new one.
        None => {
            let mut s = connect(backend).await?;
            let r = s.send_request(request()?).await?;
            *link = Some(s);
            r
        }
    };
    drop(link);
    let status = res.status();
    let body = res.into_body().collect().await?.to_bytes();
    Ok(hyper::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(body))?)
}

async fn serve(client: TcpStream, backend: SocketAddr) -> Result<()> {
    client.set_nodelay(true)?;
    let sender: Sender = Arc::new(Mutex::new(Some(connect(backend).await?)));
    let service = hyper::service::service_fn(move |req| forward(sender.clone(), backend, req));
    hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(client), service)
        .await?;
    Ok(())
}

/// Starts the proxy on a loopback port; answers its URL.
pub async fn start(backend: SocketAddr) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(serve(client, backend));
        }
    });
    Ok(url)
}
