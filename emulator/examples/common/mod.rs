//! What the ElastiCache benchmarks share: Query-protocol calls to an in-process emulator and
//! latency summaries.

use std::time::Duration;

use anyhow::{bail, Result};

pub fn auth(account: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={account}/20240101/us-east-1/elasticache/aws4_request, SignedHeaders=host, Signature=x")
}

/// One Query-protocol request as `account`; the XML body of a successful answer.
pub async fn call_as(
    client: &reqwest::Client,
    url: &str,
    account: &str,
    body: String,
) -> Result<String> {
    let r = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", auth(account))
        .body(body)
        .send()
        .await?;
    let status = r.status();
    let text = r.text().await?;
    if !status.is_success() {
        bail!("{status}: {text}");
    }
    Ok(text)
}

#[allow(dead_code)] // not every benchmark calls as the default account
pub async fn call(client: &reqwest::Client, url: &str, body: String) -> Result<String> {
    call_as(client, url, "123456789012", body).await
}

pub fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

pub fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = v[v.len() / 2];
    let p95 = v[(v.len() * 95 / 100).min(v.len() - 1)];
    println!(
        "{name:<28} median {:7.2} ms   p95 {:7.2} ms   min {:7.2} ms   max {:7.2} ms",
        ms(median),
        ms(p95),
        ms(v[0]),
        ms(v[v.len() - 1])
    );
}
