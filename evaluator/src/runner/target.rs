//! The endpoint under test: the embedded emulator (started and stopped here) or any URL, and how
//! its state is reset before every example.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::http;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResetMode {
    /// POST /_emulator/reset?account=ID (one account: parallel workers stay independent).
    Emulator,
    /// POST /moto-api/reset (global: forces one worker).
    Moto,
    /// Delete resources through the AWS API (works against any endpoint).
    Api,
    /// No reset.
    None,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("emulator binary not found at {0} (build it with `cargo build -p emulator` or pass --emulator-bin)")]
    MissingEmulator(PathBuf),
    #[error("`cargo build -p emulator` failed ({0})")]
    Build(String),
    #[error("cannot start the emulator {bin}: {source}")]
    Spawn {
        bin: PathBuf,
        source: std::io::Error,
    },
    #[error("the emulator did not report its port within {secs}s (log: {log})")]
    NoPort { secs: u64, log: PathBuf },
    #[error("endpoint {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("reset through {url} failed: {reason}")]
    Reset { url: String, reason: String },
}

/// JVM options for the embedded emulator's DynamoDB Local (see `Emulator::start`).
pub const FAST_JVM_START: &str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

/// Asks the endpoint for a DynamoDB table list in a background thread, so an emulator starts
/// DynamoDB Local now, while the AWS CLI warms up, rather than on the first example that needs it.
/// The thread gives back how long the answer took.
pub fn start_dynamodb_early(
    endpoint: &str,
    account: &str,
    region: &str,
) -> std::thread::JoinHandle<Result<Duration, TargetError>> {
    let url = format!("{endpoint}/");
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
    );
    std::thread::spawn(move || {
        let start = Instant::now();
        let headers = [
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", auth.as_str()),
        ];
        match http::request_with("POST", &url, &headers, "{}", Duration::from_secs(120)) {
            Ok(r) if r.status == 200 => Ok(start.elapsed()),
            Ok(r) => Err(TargetError::Unreachable {
                url,
                reason: format!("DynamoDB ListTables answered HTTP {}", r.status),
            }),
            Err(e) => Err(TargetError::Unreachable {
                url,
                reason: e.to_string(),
            }),
        }
    })
}

/// The emulator binary beside our own executable (target/<profile>/emulator).
pub fn default_emulator_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("emulator")))
        .unwrap_or_else(|| PathBuf::from("emulator"))
}

/// Builds the emulator when it is missing and we run from a workspace build.
pub fn ensure_emulator(bin: &Path, workspace: &Path) -> Result<(), TargetError> {
    if bin.is_file() {
        return Ok(());
    }
    let profile_dir = bin
        .parent()
        .ok_or_else(|| TargetError::MissingEmulator(bin.into()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| TargetError::MissingEmulator(bin.into()))?;
    if !workspace.join("Cargo.toml").is_file() {
        return Err(TargetError::MissingEmulator(bin.into()));
    }
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    eprintln!("evaluator: building the emulator (cargo build -p emulator) ...");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "-p", "emulator"])
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir);
    if release {
        cmd.arg("--release");
    }
    let status = cmd
        .status()
        .map_err(|e| TargetError::Build(e.to_string()))?;
    if !status.success() || !bin.is_file() {
        return Err(TargetError::Build(format!("{status}")));
    }
    Ok(())
}

/// A running emulator; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Emulator {
    child: Child,
    pub endpoint: String,
    pub log: PathBuf,
}

impl Emulator {
    pub fn start(bin: &Path, scratch: &Path) -> Result<Emulator, TargetError> {
        if !bin.is_file() {
            return Err(TargetError::MissingEmulator(bin.into()));
        }
        let log = scratch.join("emulator.log");
        let logf = std::fs::File::create(&log).map_err(|source| TargetError::Spawn {
            bin: bin.into(),
            source,
        })?;
        let mut cmd = Command::new(bin);
        // DynamoDB Local is a JVM the emulator starts; a run is short, so its start matters more
        // than its peak speed: C1 only and the serial collector halve the start here (9 s -> 4-5 s
        // on a loaded 2-core machine). Class data sharing is not possible: the jar's Class-Path
        // names `.`, a non-empty directory. A user's own JDK_JAVA_OPTIONS wins.
        if std::env::var_os("JDK_JAVA_OPTIONS").is_none() {
            cmd.env("JDK_JAVA_OPTIONS", FAST_JVM_START);
        }
        cmd.args(["--port", "0", "--host", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(logf);
        // Die with the evaluator even if it is killed without running destructors.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|source| TargetError::Spawn {
            bin: bin.into(),
            source,
        })?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining stdout so the emulator never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let secs = 60;
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut emu = Emulator {
            child,
            endpoint: String::new(),
            log: log.clone(),
        };
        while emu.endpoint.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("emulator listening on ") {
                        emu.endpoint = url.trim().to_string();
                    }
                }
                Err(_) => return Err(TargetError::NoPort { secs, log }),
            }
        }
        wait_healthy(&format!("{}/_emulator/health", emu.endpoint), deadline)?;
        Ok(emu)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_healthy(url: &str, deadline: Instant) -> Result<(), TargetError> {
    loop {
        let err = match http::request("GET", url, Duration::from_secs(2)) {
            Ok(r) if r.status == 200 => return Ok(()),
            Ok(r) => format!("HTTP {}", r.status),
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(TargetError::Unreachable {
                url: url.to_string(),
                reason: err,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Checks that something answers HTTP at `endpoint` (any status).
pub fn probe(endpoint: &str) -> Result<(), TargetError> {
    http::request("GET", endpoint, Duration::from_secs(5))
        .map(|_| ())
        .map_err(|e| TargetError::Unreachable {
            url: endpoint.to_string(),
            reason: e.to_string(),
        })
}

/// Resets one account through an HTTP control route (emulator or moto).
pub fn http_reset(endpoint: &str, mode: ResetMode, account: &str) -> Result<(), TargetError> {
    let url = match mode {
        ResetMode::Emulator => format!("{endpoint}/_emulator/reset?account={account}"),
        ResetMode::Moto => format!("{endpoint}/moto-api/reset"),
        _ => return Ok(()),
    };
    match http::request("POST", &url, Duration::from_secs(60)) {
        Ok(r) if (200..300).contains(&r.status) => Ok(()),
        Ok(r) => Err(TargetError::Reset {
            url,
            reason: format!("HTTP {}: {}", r.status, r.body.trim()),
        }),
        Err(e) => Err(TargetError::Reset {
            url,
            reason: e.to_string(),
        }),
    }
}
