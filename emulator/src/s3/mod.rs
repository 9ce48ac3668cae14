//! A minimal S3 on the same endpoint, for the buckets DynamoDB import and export use:
//! CreateBucket, HeadBucket, ListBuckets, DeleteBucket, PutObject, GetObject, HeadObject,
//! DeleteObject, DeleteObjects, ListObjectsV2, ListObjectVersions (an unversioned bucket's);
//! PutBucketTagging accepted; path-style and virtual-host-style addressing. Single-part
//! uploads only (up to the gateway's body limit); no versioning, ACLs or multipart.

pub mod store;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use md5::{Digest, Md5};

use crate::context::RequestContext;
use store::StoreError;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub struct S3 {
    root: PathBuf,
}

/// One S3 request, already read.
pub struct S3Request<'a> {
    pub method: &'a Method,
    pub host: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// `x-amz-content-sha256` / `content-encoding`, to undo aws-chunked uploads.
    pub streaming: bool,
    pub body: Bytes,
}

/// True when the request is for S3: its SigV4 scope says so.
pub fn is_s3(ctx: &RequestContext) -> bool {
    ctx.service.as_deref() == Some("s3")
}

impl S3 {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn reset(&self, account: Option<&str>) {
        store::remove_all(&self.root, account);
    }

    pub fn handle(&self, ctx: &RequestContext, mut req: S3Request) -> Response {
        if req.streaming {
            req.body = Bytes::from(unchunk(&req.body));
        }
        let (bucket, key) = address(req.host, req.path);
        let query: Vec<(String, String)> = req
            .query
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let q = |k: &str| -> Option<String> {
            query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        };
        let result = match (req.method.as_str(), bucket.as_deref(), key.as_deref()) {
            ("GET", None, _) => Ok(self.list_buckets(ctx)),
            // Bucket tags are accepted (test harnesses tag their buckets) but not kept.
            ("PUT", Some(b), None) if q("tagging").is_some() => store::bucket(&self.root, b)
                .ok_or(StoreError::NoSuchBucket)
                .map(|_| empty(StatusCode::NO_CONTENT)),
            ("PUT", Some(b), None) => {
                store::create_bucket(&self.root, b, &ctx.account, &ctx.region).map(|_| {
                    let mut r = empty(StatusCode::OK);
                    if let Ok(v) = HeaderValue::from_str(&format!("/{b}")) {
                        r.headers_mut().insert("location", v);
                    }
                    r
                })
            }
            ("HEAD", Some(b), None) => match store::bucket(&self.root, b) {
                Some(m) => {
                    let mut r = empty(StatusCode::OK);
                    if let Ok(v) = HeaderValue::from_str(&m.region) {
                        r.headers_mut().insert("x-amz-bucket-region", v);
                    }
                    Ok(r)
                }
                None => Ok(empty(StatusCode::NOT_FOUND)),
            },
            ("DELETE", Some(b), None) => {
                store::delete_bucket(&self.root, b).map(|_| empty(StatusCode::NO_CONTENT))
            }
            ("GET", Some(b), None) if q("location").is_some() => store::bucket(&self.root, b)
                .ok_or(StoreError::NoSuchBucket)
                .map(|m| {
                    let region = if m.region == "us-east-1" {
                        ""
                    } else {
                        &m.region
                    };
                    xml(format!(
                        "<LocationConstraint xmlns=\"{NS}\">{region}</LocationConstraint>"
                    ))
                }),
            ("GET", Some(b), None) if q("versions").is_some() => self.list_versions(b, &q),
            ("GET", Some(b), None) => self.list_objects(b, &q),
            ("POST", Some(b), None) if q("delete").is_some() => self.delete_objects(b, &req.body),
            ("PUT", Some(b), Some(k)) => store::put(&self.root, b, k, &req.body).map(|_| {
                let mut r = empty(StatusCode::OK);
                set_etag(&mut r, &req.body);
                r
            }),
            ("GET", Some(b), Some(k)) => store::get(&self.root, b, k).map(|(data, o)| {
                let mut r = Response::new(Body::from(data.clone()));
                object_headers(&mut r, &data, &o);
                r
            }),
            ("HEAD", Some(b), Some(k)) => match store::get(&self.root, b, k) {
                Ok((data, o)) => {
                    let mut r = empty(StatusCode::OK);
                    object_headers(&mut r, &data, &o);
                    Ok(r)
                }
                // HEAD answers carry no body: the status says it all.
                Err(e) => Ok(empty(
                    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::NOT_FOUND),
                )),
            },
            ("DELETE", Some(b), Some(k)) => {
                store::delete(&self.root, b, k).map(|_| empty(StatusCode::NO_CONTENT))
            }
            _ => {
                return error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    &ctx.request_id,
                    "",
                )
            }
        };
        match result {
            Ok(r) => r,
            Err(e) => error(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
                e.code(),
                &e.to_string(),
                &ctx.request_id,
                &match (&e, &bucket, &key) {
                    (StoreError::NoSuchKey, _, Some(k)) => format!("<Key>{}</Key>", esc(k)),
                    (_, Some(b), _) => format!("<BucketName>{}</BucketName>", esc(b)),
                    _ => String::new(),
                },
            ),
        }
    }

    /// An unversioned bucket's objects as ListObjectVersions shows them: each the latest, with
    /// version id `null`.
    fn list_versions(
        &self,
        bucket: &str,
        q: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Response, StoreError> {
        let prefix = q("prefix").unwrap_or_default();
        let versions: String = store::list(&self.root, bucket)?
            .into_iter()
            .filter(|o| o.key.starts_with(&prefix))
            .map(|o| {
                format!(
                    "<Version><Key>{}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Version>",
                    esc(&o.key),
                    iso(o.modified),
                    etag_of_file(&self.root, bucket, &o.key),
                    o.size
                )
            })
            .collect();
        Ok(xml(format!(
            "<ListVersionsResult xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{versions}</ListVersionsResult>",
            esc(bucket),
            esc(&prefix)
        )))
    }

    /// DeleteObjects: `<Delete><Object><Key>k</Key></Object>...</Delete>`.
    fn delete_objects(&self, bucket: &str, body: &[u8]) -> Result<Response, StoreError> {
        store::bucket(&self.root, bucket).ok_or(StoreError::NoSuchBucket)?;
        let text = String::from_utf8_lossy(body);
        let mut deleted = String::new();
        for part in text.split("<Key>").skip(1) {
            let key = part.split("</Key>").next().unwrap_or_default();
            let key = key
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
            store::delete(&self.root, bucket, &key)?;
            deleted.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", esc(&key)));
        }
        Ok(xml(format!(
            "<DeleteResult xmlns=\"{NS}\">{deleted}</DeleteResult>"
        )))
    }

    fn list_buckets(&self, ctx: &RequestContext) -> Response {
        let items: String = store::buckets(&self.root, Some(&ctx.account))
            .into_iter()
            .map(|(name, m)| {
                format!(
                    "<Bucket><Name>{}</Name><CreationDate>{}</CreationDate><BucketRegion>{}</BucketRegion></Bucket>",
                    esc(&name),
                    iso(std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(m.created)),
                    m.region
                )
            })
            .collect();
        xml(format!(
            "<ListAllMyBucketsResult xmlns=\"{NS}\"><Owner><ID>{a}</ID><DisplayName>{a}</DisplayName></Owner><Buckets>{items}</Buckets></ListAllMyBucketsResult>",
            a = ctx.account
        ))
    }

    fn list_objects(
        &self,
        bucket: &str,
        q: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Response, StoreError> {
        let prefix = q("prefix").unwrap_or_default();
        let prefix = prefix.as_str();
        let delimiter = q("delimiter").filter(|d| !d.is_empty());
        let delimiter = delimiter.as_deref();
        let max = q("max-keys")
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(1000)
            .min(1000);
        let after = q("continuation-token")
            .or_else(|| q("start-after"))
            .unwrap_or_default();
        let mut contents = String::new();
        let mut prefixes: Vec<String> = vec![];
        let mut count = 0;
        let mut truncated = false;
        let mut last = String::new();
        // A token that is a common prefix covers every key under it.
        let covered = |k: &str| {
            k <= after.as_str()
                || (delimiter.is_some_and(|d| after.ends_with(d)) && k.starts_with(after.as_str()))
        };
        for o in store::list(&self.root, bucket)?
            .into_iter()
            .filter(|o| o.key.starts_with(prefix) && !covered(&o.key))
        {
            let common = delimiter.and_then(|d| {
                o.key[prefix.len()..]
                    .find(d)
                    .map(|i| o.key[..prefix.len() + i + d.len()].to_string())
            });
            if let Some(c) = &common {
                if prefixes.last() == Some(c) {
                    continue;
                }
            }
            if count == max {
                truncated = true;
                break;
            }
            count += 1;
            last = common.clone().unwrap_or_else(|| o.key.clone());
            match common {
                Some(c) => prefixes.push(c),
                None => contents.push_str(&format!(
                    "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                    esc(&o.key),
                    iso(o.modified),
                    etag_of_file(&self.root, bucket, &o.key),
                    o.size
                )),
            }
        }
        // The token is the last key or prefix listed: the next page starts after it.
        let token = truncated.then_some(last);
        let common: String = prefixes
            .iter()
            .map(|p| {
                format!(
                    "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                    esc(p)
                )
            })
            .collect();
        Ok(xml(format!(
            "<ListBucketResult xmlns=\"{NS}\"><Name>{}</Name><Prefix>{}</Prefix>{}<KeyCount>{count}</KeyCount><MaxKeys>{max}</MaxKeys><IsTruncated>{}</IsTruncated>{}{contents}{common}</ListBucketResult>",
            esc(bucket),
            esc(prefix),
            delimiter.map(|d| format!("<Delimiter>{}</Delimiter>", esc(d))).unwrap_or_default(),
            token.is_some(),
            token.map(|t| format!("<NextContinuationToken>{}</NextContinuationToken>", esc(&t))).unwrap_or_default(),
        )))
    }
}

/// True when the body is aws-chunked (SDKs stream uploads that way, chunk signatures and
/// trailing checksums included).
pub fn is_streaming(headers: &HeaderMap) -> bool {
    let sha = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let enc = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    sha.starts_with("STREAMING-") || enc.split(',').any(|e| e.trim() == "aws-chunked")
}

/// The payload of an aws-chunked body: `<hex size>[;ext]\r\n<data>\r\n` ... `0\r\n<trailers>`.
fn unchunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let Some(eol) = body[i..].windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&body[i..i + eol]);
        let size =
            usize::from_str_radix(head.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        i += eol + 2;
        if size == 0 || i + size > body.len() {
            break;
        }
        out.extend_from_slice(&body[i..i + size]);
        i += size + 2;
    }
    out
}

/// Bucket and key of a request: virtual-host style (`bucket.localhost`, `bucket.s3.<...>`)
/// or path style (`/bucket/key`).
fn address(host: Option<&str>, path: &str) -> (Option<String>, Option<String>) {
    let path = percent_decode(path.trim_start_matches('/'));
    let host = host.map(|h| h.split(':').next().unwrap_or(h));
    if let Some(b) = host.and_then(|h| {
        h.strip_suffix(".localhost")
            .or_else(|| h.split_once(".s3.").map(|(b, _)| b))
            .or_else(|| h.split_once(".s3-").map(|(b, _)| b))
    }) {
        let key = (!path.is_empty()).then_some(path);
        return (Some(b.to_string()), key);
    }
    if path.is_empty() {
        return (None, None);
    }
    match path.split_once('/') {
        Some((b, k)) if !k.is_empty() => (Some(b.into()), Some(k.into())),
        Some((b, _)) => (Some(b.into()), None),
        None => (Some(path), None),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn etag_of_file(root: &std::path::Path, bucket: &str, key: &str) -> String {
    std::fs::read(root.join(bucket).join(key))
        .map(|d| md5_hex(&d))
        .unwrap_or_default()
}

fn set_etag(r: &mut Response, data: &[u8]) {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", md5_hex(data))) {
        r.headers_mut().insert("etag", v);
    }
}

fn object_headers(r: &mut Response, data: &[u8], o: &store::Object) {
    set_etag(r, data);
    let h: &mut HeaderMap = r.headers_mut();
    h.insert("content-length", HeaderValue::from(o.size));
    h.insert(
        "content-type",
        HeaderValue::from_static("binary/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(o.modified)) {
        h.insert("last-modified", v);
    }
}

/// ISO 8601 with milliseconds, UTC, as S3 and the DynamoDB export manifests write times.
pub fn iso(t: std::time::SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

fn xml(body: String) -> Response {
    let mut r = Response::new(Body::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"
    )));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/xml"));
    r
}

fn error(status: StatusCode, code: &str, message: &str, request_id: &str, extra: &str) -> Response {
    let mut r = xml(format!(
        "<Error><Code>{code}</Code><Message>{}</Message>{extra}<RequestId>{request_id}</RequestId></Error>",
        esc(message)
    ));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_bodies_are_unwrapped() {
        let body =
            b"5;chunk-signature=abc\r\nhello\r\n3\r\n wo\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        assert_eq!(unchunk(body), b"hello wo");
    }

    #[test]
    fn path_and_virtual_host_addressing() {
        assert_eq!(address(Some("127.0.0.1:4566"), "/"), (None, None));
        assert_eq!(
            address(Some("127.0.0.1:4566"), "/b/a/k%20x.json"),
            (Some("b".into()), Some("a/k x.json".into()))
        );
        assert_eq!(address(Some("localhost"), "/b/"), (Some("b".into()), None));
        assert_eq!(
            address(Some("bkt.localhost:4566"), "/a/b"),
            (Some("bkt".into()), Some("a/b".into()))
        );
        assert_eq!(
            address(Some("bkt.s3.us-east-1.amazonaws.com"), "/"),
            (Some("bkt".into()), None)
        );
    }
}
