//! A tiny blocking HTTP/1.0 client for the few control calls (health, reset, the DynamoDB Local
//! warm-up). Plain http only.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("bad URL {0} (expected http://host:port/...)")]
    Url(String),
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: std::io::Error },
    #[error("I/O error talking to {url}: {source}")]
    Io { url: String, source: std::io::Error },
    #[error("malformed HTTP response from {0}")]
    Response(String),
}

pub struct Response {
    pub status: u16,
    pub body: String,
}

/// Splits `http://host:port/path` into (`host:port`, `/path`).
pub fn split_url(url: &str) -> Result<(String, String), HttpError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| HttpError::Url(url.to_string()))?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if hostport.is_empty() {
        return Err(HttpError::Url(url.to_string()));
    }
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    Ok((hostport, path.to_string()))
}

pub fn request(method: &str, url: &str, timeout: Duration) -> Result<Response, HttpError> {
    request_with(method, url, &[], "", timeout)
}

/// A request with extra headers and a body.
pub fn request_with(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> Result<Response, HttpError> {
    let (hostport, path) = split_url(url)?;
    let addr = hostport
        .to_socket_addrs()
        .map_err(|source| HttpError::Connect {
            url: url.to_string(),
            source,
        })?
        .next()
        .ok_or_else(|| HttpError::Url(url.to_string()))?;
    let mut s =
        TcpStream::connect_timeout(&addr, timeout).map_err(|source| HttpError::Connect {
            url: url.to_string(),
            source,
        })?;
    let io = |source| HttpError::Io {
        url: url.to_string(),
        source,
    };
    s.set_read_timeout(Some(timeout)).map_err(io)?;
    s.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {hostport}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).map_err(io)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(io)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| HttpError::Response(url.to_string()))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| HttpError::Response(url.to_string()))?;
    Ok(Response {
        status,
        body: body.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_urls() {
        assert_eq!(
            super::split_url("http://127.0.0.1:5000/moto-api/reset").unwrap(),
            ("127.0.0.1:5000".into(), "/moto-api/reset".into())
        );
        assert_eq!(
            super::split_url("http://localhost").unwrap(),
            ("localhost:80".into(), "/".into())
        );
        assert!(super::split_url("https://x").is_err());
    }
}
