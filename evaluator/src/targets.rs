//! The endpoints a run or a comparison scores, as given on the command line
//! (`NAME=WHERE[,reset=MODE][,service=S]...`), and starting the ones the evaluator runs itself.
//!
//! WHERE is `embedded` (the emulator, started here), `dynamodb-local` (AWS's DynamoDB Local jar,
//! started here in memory), `moto-server:PATH` (moto_server at PATH, started here) or an
//! `http://` URL of an endpoint someone else runs.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http;
use crate::runner::target::{self, Emulator, ResetMode, TargetError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    Embedded,
    DynamoDbLocal,
    MotoServer(PathBuf),
    Url(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub name: String,
    pub place: Where,
    pub reset: ResetMode,
    /// Only these services (empty: every selected service).
    pub services: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("target `{0}`: expected NAME=WHERE[,reset=MODE][,service=S]... (WHERE: embedded, dynamodb-local, moto-server:PATH or http://host:port)")]
    Syntax(String),
    #[error("target `{spec}`: unknown reset mode `{mode}` (emulator, moto, api, none)")]
    Reset { spec: String, mode: String },
    #[error("target `{spec}`: unknown option `{opt}` (reset=, service=)")]
    Option { spec: String, opt: String },
    #[error("target name `{0}` is used twice")]
    Duplicate(String),
}

impl TargetSpec {
    pub fn parse(spec: &str) -> Result<TargetSpec, SpecError> {
        let (name, rest) = spec
            .split_once('=')
            .filter(|(n, r)| {
                !n.is_empty()
                    && !r.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .ok_or_else(|| SpecError::Syntax(spec.to_string()))?;
        let mut parts = rest.split(',');
        let place = match parts.next().unwrap_or_default() {
            "embedded" => Where::Embedded,
            "dynamodb-local" => Where::DynamoDbLocal,
            p if p.starts_with("moto-server:") => {
                Where::MotoServer(PathBuf::from(&p["moto-server:".len()..]))
            }
            p if p.starts_with("http://") => Where::Url(p.trim_end_matches('/').to_string()),
            _ => return Err(SpecError::Syntax(spec.to_string())),
        };
        let mut reset = match place {
            Where::Embedded => ResetMode::Emulator,
            Where::MotoServer(_) => ResetMode::Moto,
            _ => ResetMode::Api,
        };
        let mut services = Vec::new();
        for opt in parts {
            match opt.split_once('=') {
                Some(("reset", m)) => {
                    reset = clap::ValueEnum::from_str(m, true).map_err(|_| SpecError::Reset {
                        spec: spec.to_string(),
                        mode: m.to_string(),
                    })?
                }
                Some(("service", s)) => services.push(s.to_string()),
                _ => {
                    return Err(SpecError::Option {
                        spec: spec.to_string(),
                        opt: opt.to_string(),
                    })
                }
            }
        }
        // DynamoDB Local has no ElastiCache: scoring it there would only measure a missing service.
        if place == Where::DynamoDbLocal && services.is_empty() {
            services = vec!["dynamodb".into(), "dynamodbstreams".into()];
        }
        Ok(TargetSpec {
            name: name.to_string(),
            place,
            reset,
            services,
        })
    }

    pub fn parse_all(specs: &[String]) -> Result<Vec<TargetSpec>, SpecError> {
        let mut out: Vec<TargetSpec> = Vec::new();
        for s in specs {
            let t = TargetSpec::parse(s)?;
            if out.iter().any(|o| o.name == t.name) {
                return Err(SpecError::Duplicate(t.name));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// How the report names the target.
    pub fn describe(&self) -> String {
        match &self.place {
            Where::Embedded => "embedded emulator".into(),
            Where::DynamoDbLocal => "DynamoDB Local alone".into(),
            Where::MotoServer(_) => "moto_server".into(),
            Where::Url(_) => "external endpoint".into(),
        }
    }
}

/// A process the evaluator started for a target; its process group is killed when dropped.
pub struct Spawned {
    child: Child,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // The child leads its own group (moto_server forks workers, java its own threads).
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A started target: its URL and whatever keeps it alive.
pub struct Running {
    pub endpoint: String,
    pub emulator: Option<Emulator>,
    pub process: Option<Spawned>,
    /// Spawn to healthy.
    pub start: Duration,
}

fn free_port() -> Result<u16, TargetError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| TargetError::Unreachable {
            url: "127.0.0.1:0".into(),
            reason: e.to_string(),
        })
}

fn spawn(mut cmd: Command, what: &Path, log: &Path) -> Result<Spawned, TargetError> {
    let spawn_err = |source| TargetError::Spawn {
        bin: what.to_path_buf(),
        source,
    };
    let logf = std::fs::File::create(log).map_err(spawn_err)?;
    let errf = logf.try_clone().map_err(spawn_err)?;
    cmd.stdin(Stdio::null())
        .stdout(logf)
        .stderr(errf)
        .process_group(0);
    // Die with the evaluator even if it is killed without running destructors.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(spawn_err)?;
    Ok(Spawned { child })
}

/// Waits until something answers HTTP at `url` (any status).
fn wait_answering(url: &str, secs: u64) -> Result<(), TargetError> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match http::request("GET", url, Duration::from_secs(2)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(TargetError::Unreachable {
                    url: url.to_string(),
                    reason: format!("not answering after {secs} s: {e}"),
                })
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// DynamoDB Local's directory: `AWSEMU_DYNAMODB_LOCAL_DIR`, else the newest version
/// `scripts/setup` unpacked into the cache.
pub fn dynamodb_local_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("AWSEMU_DYNAMODB_LOCAL_DIR") {
        return Some(PathBuf::from(d));
    }
    let cache = std::env::var_os("AWSEMU_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("awsemu")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/awsemu")))?;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cache.join("dynamodb-local"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("DynamoDBLocal.jar").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Starts (or checks) a target. `emulator_bin` is the emulator to run for `embedded`.
pub fn start(
    spec: &TargetSpec,
    emulator_bin: &Path,
    scratch: &Path,
) -> Result<Running, TargetError> {
    let t0 = Instant::now();
    let log = scratch.join(format!("{}.log", spec.name));
    let (endpoint, emulator, process) = match &spec.place {
        Where::Embedded => {
            let emu = Emulator::start(emulator_bin, scratch)?;
            (emu.endpoint.clone(), Some(emu), None)
        }
        Where::Url(url) => {
            target::probe(url)?;
            (url.clone(), None, None)
        }
        Where::DynamoDbLocal => {
            let dir = dynamodb_local_dir().ok_or_else(|| {
                TargetError::MissingEmulator(PathBuf::from(
                    "DynamoDBLocal.jar (run scripts/setup or set AWSEMU_DYNAMODB_LOCAL_DIR)",
                ))
            })?;
            let port = free_port()?;
            let java = std::env::var("AWSEMU_JAVA").unwrap_or_else(|_| "java".into());
            let mut cmd = Command::new(&java);
            cmd.arg(format!(
                "-Djava.library.path={}",
                dir.join("DynamoDBLocal_lib").display()
            ))
            .args(target::FAST_JVM_START.split_whitespace())
            .arg("-jar")
            .arg(dir.join("DynamoDBLocal.jar"))
            .args(["-inMemory", "-port", &port.to_string()])
            .current_dir(&dir);
            let p = spawn(cmd, Path::new(&java), &log)?;
            let url = format!("http://127.0.0.1:{port}");
            wait_answering(&url, 120)?;
            (url, None, Some(p))
        }
        Where::MotoServer(bin) => {
            let port = free_port()?;
            let mut cmd = Command::new(bin);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            let p = spawn(cmd, bin, &log)?;
            let url = format!("http://127.0.0.1:{port}");
            wait_answering(&url, 60)?;
            (url, None, Some(p))
        }
    };
    Ok(Running {
        endpoint,
        emulator,
        process,
        start: t0.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_target_specs() {
        let t = TargetSpec::parse("ours=embedded").unwrap();
        assert_eq!(
            (t.place, t.reset, t.services.len()),
            (Where::Embedded, ResetMode::Emulator, 0)
        );
        let t = TargetSpec::parse("moto=moto-server:/x/moto_server").unwrap();
        assert_eq!(t.place, Where::MotoServer("/x/moto_server".into()));
        assert_eq!(t.reset, ResetMode::Moto);
        let t = TargetSpec::parse("ddb=dynamodb-local").unwrap();
        assert_eq!(t.reset, ResetMode::Api);
        assert_eq!(t.services, ["dynamodb", "dynamodbstreams"]);
        let t = TargetSpec::parse("x=http://127.0.0.1:8000/,reset=none,service=dynamodb").unwrap();
        assert_eq!(t.place, Where::Url("http://127.0.0.1:8000".into()));
        assert_eq!(
            (t.reset, t.services),
            (ResetMode::None, vec!["dynamodb".into()])
        );
        assert!(TargetSpec::parse("x=ftp://a").is_err());
        assert!(TargetSpec::parse("=embedded").is_err());
        assert!(TargetSpec::parse("x=embedded,reset=bogus").is_err());
        assert!(TargetSpec::parse("x=embedded,color=red").is_err());
        assert!(TargetSpec::parse_all(&["a=embedded".into(), "a=dynamodb-local".into()]).is_err());
    }
}
