//! AWS CLI drivers: one process per command, or one warm Python process per worker.
//! Both take the same argv, environment and working directory and give the same result.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::Deserialize;

const WARM_SCRIPT: &str = include_str!("warm_driver.py");

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error(
        "AWS CLI not found at {0}; run scripts/setup (or pass --aws-cli / set AWSEMU_AWS_CLI)"
    )]
    MissingCli(PathBuf),
    #[error(
        "the warm driver needs the AWS CLI's Python at {0}; run scripts/setup or use --cli process"
    )]
    MissingPython(PathBuf),
    #[error("cannot start {what}: {source}")]
    Spawn {
        what: String,
        source: std::io::Error,
    },
    #[error("warm AWS CLI driver failed: {0}")]
    Warm(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CliKind {
    /// One `aws` process per command.
    Process,
    /// One long-lived Python process per worker running the AWS CLI's own driver.
    Warm,
}

/// One command to run.
pub struct Invocation<'a> {
    pub argv: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// None when the command was killed (timeout).
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
    pub timed_out: bool,
}

pub trait Driver: Send {
    fn run(&mut self, inv: &Invocation) -> Result<CmdOutput, DriverError>;

    /// Gets ready to run commands with this environment before the first one is timed (the
    /// warm driver starts Python and builds the AWS CLI's driver). Nothing to do by default.
    fn warm_up(&mut self, _env: &[(String, String)], _cwd: &Path) -> Result<(), DriverError> {
        Ok(())
    }
}

pub fn check_cli(aws_cli: &Path, kind: CliKind) -> Result<(), DriverError> {
    if !aws_cli.is_file() {
        return Err(DriverError::MissingCli(aws_cli.to_path_buf()));
    }
    if kind == CliKind::Warm {
        let py = python_next_to(aws_cli);
        if !py.is_file() {
            return Err(DriverError::MissingPython(py));
        }
    }
    Ok(())
}

fn python_next_to(aws_cli: &Path) -> PathBuf {
    aws_cli.parent().unwrap_or(Path::new(".")).join("python")
}

pub fn new_driver(
    kind: CliKind,
    aws_cli: &Path,
    scratch: &Path,
) -> Result<Box<dyn Driver>, DriverError> {
    check_cli(aws_cli, kind)?;
    Ok(match kind {
        CliKind::Process => Box::new(ProcessDriver {
            aws_cli: aws_cli.to_path_buf(),
        }),
        CliKind::Warm => Box::new(WarmDriver {
            python: python_next_to(aws_cli),
            scratch: scratch.to_path_buf(),
            proc: None,
        }),
    })
}

fn kill_group(child: &mut Child) {
    // The child leads its own process group; kill the group so helpers die with it.
    let pid = child.id() as i32;
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub struct ProcessDriver {
    aws_cli: PathBuf,
}

impl Driver for ProcessDriver {
    fn run(&mut self, inv: &Invocation) -> Result<CmdOutput, DriverError> {
        let start = Instant::now();
        let mut child = Command::new(&self.aws_cli)
            .args(&inv.argv[1..])
            .env_clear()
            .envs(inv.env.iter().map(|(k, v)| (k, v)))
            .current_dir(inv.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|source| DriverError::Spawn {
                what: self.aws_cli.display().to_string(),
                source,
            })?;
        let out = read_all(child.stdout.take());
        let err = read_all(child.stderr.take());
        let deadline = start + inv.timeout;
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() >= deadline => {
                    timed_out = true;
                    kill_group(&mut child);
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        Ok(CmdOutput {
            exit_code: status.and_then(|s| s.code()),
            stdout,
            stderr,
            duration: start.elapsed(),
            timed_out,
        })
    }
}

fn read_all<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

struct WarmProc {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Drop for WarmProc {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

pub struct WarmDriver {
    python: PathBuf,
    scratch: PathBuf,
    proc: Option<WarmProc>,
}

#[derive(Deserialize)]
struct WarmReply {
    exit_code: i32,
    stdout: String,
    stderr: String,
}

impl WarmDriver {
    fn start(&self) -> Result<WarmProc, DriverError> {
        std::fs::create_dir_all(&self.scratch).map_err(|source| DriverError::Spawn {
            what: format!("scratch dir {}", self.scratch.display()),
            source,
        })?;
        let script = self.scratch.join("warm_driver.py");
        std::fs::write(&script, WARM_SCRIPT).map_err(|source| DriverError::Spawn {
            what: format!("writing {}", script.display()),
            source,
        })?;
        let log =
            std::fs::File::create(self.scratch.join("warm_driver.log")).map_err(|source| {
                DriverError::Spawn {
                    what: "warm driver log".into(),
                    source,
                }
            })?;
        let mut child = Command::new(&self.python)
            .arg("-u")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|source| DriverError::Spawn {
                what: self.python.display().to_string(),
                source,
            })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let proc = WarmProc {
            child,
            stdin,
            lines: rx,
        };
        match proc.lines.recv_timeout(Duration::from_secs(60)) {
            Ok(l) if l.contains("ready") => Ok(proc),
            Ok(l) => Err(DriverError::Warm(format!("unexpected first line: {l}"))),
            Err(_) => Err(DriverError::Warm(format!(
                "did not start; see {}",
                self.scratch.join("warm_driver.log").display()
            ))),
        }
    }
}

impl Driver for WarmDriver {
    fn warm_up(&mut self, env: &[(String, String)], cwd: &Path) -> Result<(), DriverError> {
        // `aws --version` builds and caches the CLI driver for this environment and exits 0.
        let argv = ["aws".to_string(), "--version".to_string()];
        let out = self.run(&Invocation {
            argv: &argv,
            env,
            cwd,
            timeout: Duration::from_secs(60),
        })?;
        match out.exit_code {
            Some(0) => Ok(()),
            _ => Err(DriverError::Warm(format!(
                "`aws --version` failed: {}",
                out.stderr.trim()
            ))),
        }
    }

    fn run(&mut self, inv: &Invocation) -> Result<CmdOutput, DriverError> {
        if self.proc.is_none() {
            self.proc = Some(self.start()?);
        }
        let start = Instant::now();
        let proc = self.proc.as_mut().expect("started above");
        let env: serde_json::Map<String, serde_json::Value> = inv
            .env
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let req = serde_json::json!({
            "argv": inv.argv,
            "env": env,
            "cwd": inv.cwd.to_string_lossy(),
        });
        let mut line = req.to_string();
        line.push('\n');
        if let Err(e) = proc
            .stdin
            .write_all(line.as_bytes())
            .and_then(|_| proc.stdin.flush())
        {
            self.proc = None;
            return Err(DriverError::Warm(format!("writing request: {e}")));
        }
        match proc.lines.recv_timeout(inv.timeout) {
            Ok(l) => {
                let reply: WarmReply = serde_json::from_str(&l)
                    .map_err(|e| DriverError::Warm(format!("bad reply ({e}): {l}")))?;
                Ok(CmdOutput {
                    exit_code: Some(reply.exit_code),
                    stdout: reply.stdout,
                    stderr: reply.stderr,
                    duration: start.elapsed(),
                    timed_out: false,
                })
            }
            Err(RecvTimeoutError::Timeout) => {
                // The command is stuck inside the interpreter: drop the process, start anew next time.
                self.proc = None;
                Ok(CmdOutput {
                    exit_code: None,
                    stdout: String::new(),
                    stderr: String::new(),
                    duration: start.elapsed(),
                    timed_out: true,
                })
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.proc = None;
                Err(DriverError::Warm("the Python process exited".into()))
            }
        }
    }
}
