//! The one fixture step that is not an AWS CLI command: `node-write --cache-cluster-id ID
//! --bytes N` writes N bytes of data through the cluster's first cache node, as an application
//! would (SET over the node's endpoint), for examples whose output depends on what the cache
//! holds (a snapshot's CacheSize). The endpoint is the one the API reports; the write needs a
//! node without AUTH or TLS, which is what such fixtures create.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::driver::{CmdOutput, Driver, Invocation};

/// The step's first word.
pub const COMMAND: &str = "node-write";

/// Each value written; many values rather than one large one, as a cache holds.
const VALUE_BYTES: usize = 10_000;

/// A parsed `node-write` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeWrite {
    pub cluster: String,
    pub bytes: usize,
}

impl NodeWrite {
    /// `node-write --cache-cluster-id ID --bytes N` (the options in any order, both required;
    /// at most 64 MB).
    pub fn parse(argv: &[String]) -> Result<NodeWrite, String> {
        let usage = || format!("usage: {COMMAND} --cache-cluster-id ID --bytes N");
        if argv.first().map(String::as_str) != Some(COMMAND) {
            return Err(usage());
        }
        let (mut cluster, mut bytes) = (None, None);
        let mut rest = argv[1..].iter();
        while let Some(opt) = rest.next() {
            let value = rest.next().ok_or_else(usage)?;
            match opt.as_str() {
                "--cache-cluster-id" => cluster = Some(value.clone()),
                "--bytes" => bytes = value.parse::<usize>().ok(),
                _ => return Err(usage()),
            }
        }
        match (cluster, bytes) {
            (Some(cluster), Some(bytes)) if bytes > 0 && bytes <= 64 << 20 => {
                Ok(NodeWrite { cluster, bytes })
            }
            _ => Err(usage()),
        }
    }

    /// Finds the node through the API (the same CLI and environment as every step), then
    /// writes. The result reads like a command's: exit 0 and a line saying what was written.
    pub fn run(
        &self,
        drv: &mut dyn Driver,
        env: &[(String, String)],
        cwd: &Path,
        timeout: Duration,
    ) -> Result<CmdOutput, String> {
        let start = Instant::now();
        let argv: Vec<String> = [
            "aws",
            "elasticache",
            "describe-cache-clusters",
            "--cache-cluster-id",
            &self.cluster,
            "--show-cache-node-info",
            "--output",
            "json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = drv
            .run(&Invocation {
                argv: &argv,
                env,
                cwd,
                timeout,
            })
            .map_err(|e| e.to_string())?;
        if out.exit_code != Some(0) {
            return Ok(out);
        }
        let described: Value = serde_json::from_str(&out.stdout)
            .map_err(|e| format!("describe-cache-clusters did not answer JSON: {e}"))?;
        let endpoint = &described["CacheClusters"][0]["CacheNodes"][0]["Endpoint"];
        let (Some(host), Some(port)) = (endpoint["Address"].as_str(), endpoint["Port"].as_u64())
        else {
            return Err(format!(
                "cluster {} reports no node endpoint to write through",
                self.cluster
            ));
        };
        let keys = write(host, port as u16, self.bytes, timeout)?;
        Ok(CmdOutput {
            exit_code: Some(0),
            stdout: format!(
                "wrote {} bytes in {keys} keys through {host}:{port}\n",
                self.bytes
            ),
            stderr: String::new(),
            duration: start.elapsed(),
            timed_out: false,
        })
    }
}

/// SETs `fixture:<i>` keys holding `bytes` bytes in all; returns the number of keys.
fn write(host: &str, port: u16, bytes: usize, timeout: Duration) -> Result<usize, String> {
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port}: no address"))?;
    let stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("connecting to {host}:{port}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    let mut writer = stream
        .try_clone()
        .map_err(|e| format!("{host}:{port}: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut left = bytes;
    let mut keys = 0;
    while left > 0 {
        let n = left.min(VALUE_BYTES);
        let key = format!("fixture:{keys}");
        let mut cmd =
            format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${n}\r\n", key.len()).into_bytes();
        cmd.extend(std::iter::repeat_n(b'x', n));
        cmd.extend_from_slice(b"\r\n");
        writer
            .write_all(&cmd)
            .map_err(|e| format!("writing to {host}:{port}: {e}"))?;
        let mut reply = String::new();
        reader
            .read_line(&mut reply)
            .map_err(|e| format!("reading from {host}:{port}: {e}"))?;
        if reply.trim_end() != "+OK" {
            return Err(format!(
                "{host}:{port} answered SET with {}",
                reply.trim_end()
            ));
        }
        left -= n;
        keys += 1;
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        shell_words::split(s).unwrap()
    }

    #[test]
    fn parses_its_two_options_and_refuses_anything_else() {
        assert_eq!(
            NodeWrite::parse(&argv(
                "node-write --bytes 1500000 --cache-cluster-id my-redis4"
            )),
            Ok(NodeWrite {
                cluster: "my-redis4".into(),
                bytes: 1_500_000
            })
        );
        for bad in [
            "node-write --cache-cluster-id x",
            "node-write --cache-cluster-id x --bytes 0",
            "node-write --cache-cluster-id x --bytes lots",
            "node-write --cache-cluster-id x --bytes 1 --flush",
            "node-write --cache-cluster-id x --bytes 999999999",
            "aws elasticache describe-cache-clusters",
        ] {
            assert!(NodeWrite::parse(&argv(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_values_and_counts_keys_against_a_redis_speaking_peer() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = 0usize;
            let mut buf = [0u8; 65536];
            let mut pending = Vec::new();
            // Answer +OK per complete SET (each ends with the value's CRLF).
            loop {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = complete_set(&pending) {
                    pending.drain(..end);
                    got += 1;
                    s.write_all(b"+OK\r\n").unwrap();
                }
            }
            got
        });
        let keys = write("127.0.0.1", port, 25_000, Duration::from_secs(5)).unwrap();
        assert_eq!(keys, 3);
        assert_eq!(peer.join().unwrap(), 3);
    }

    /// The length of the first complete `*3 SET key value` frame in `b`, if any.
    fn complete_set(b: &[u8]) -> Option<usize> {
        let text = String::from_utf8_lossy(b);
        let mut pos = 0;
        let mut lines = 0;
        let mut bulk: Option<usize> = None;
        while lines < 7 {
            if let Some(n) = bulk.take() {
                if b.len() < pos + n + 2 {
                    return None;
                }
                pos += n + 2;
                lines += 1;
                continue;
            }
            let rel = text[pos..].find("\r\n")?;
            let line = &text[pos..pos + rel];
            if let Some(n) = line.strip_prefix('$') {
                bulk = n.parse().ok();
            }
            pos += rel + 2;
            lines += 1;
        }
        Some(pos)
    }
}
