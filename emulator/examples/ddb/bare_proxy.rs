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

type Sender = Arc<Mutex<SendRequest<Full<Bytes>>>>;

async fn forward(
    sender: Sender,
    backend: SocketAddr,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let mut out = hyper::Request::post("/").header("host", backend.to_string());
    for name in ["content-type", "x-amz-target", "authorization"] {
        if let Some(v) = parts.headers.get(name) {
            out = out.header(name, v);
        }
    }
    let res = sender
        .lock()
        .await
        .send_request(out.body(Full::new(body))?)
        .await?;
    let status = res.status();
    let body = res.into_body().collect().await?.to_bytes();
    Ok(hyper::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(body))?)
}

async fn serve(client: TcpStream, backend: SocketAddr) -> Result<()> {
    client.set_nodelay(true)?;
    let out = TcpStream::connect(backend).await?;
    out.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(out)).await?;
    tokio::spawn(conn);
    let sender: Sender = Arc::new(Mutex::new(sender));
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
