//! The only place that spawns processes.
//!
//! Children are started from one dedicated, long-lived thread so that `PR_SET_PDEATHSIG`
//! (which fires when the *thread* that forked dies) only fires when the emulator itself dies.
//! Each child leads its own process group; `Managed` kills the group on drop. Pid files let a
//! later emulator reap orphans that a crash left behind.

mod probe;
mod reaper;

pub use probe::Probe;
pub use reaper::remove_dead_runtime_dirs;

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("cannot start {program}: {source} (is it installed? run scripts/setup)")]
    Spawn { program: String, source: io::Error },
    #[error("{name} ({program}) was not ready after {waited:?}; see its log {log}")]
    NotReady {
        name: String,
        program: String,
        waited: Duration,
        log: PathBuf,
    },
    #[error("{name} ({program}) exited during startup with {status}; see its log {log}")]
    Exited {
        name: String,
        program: String,
        status: String,
        log: PathBuf,
    },
    #[error("{command} failed: {message}")]
    Failed { command: String, message: String },
    #[error("supervisor I/O: {0}")]
    Io(#[from] io::Error),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// Short unique-ish label; names the log file.
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

impl ProcessSpec {
    pub fn new(name: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            program: program.into(),
            args: vec![],
            cwd: None,
            env: vec![],
        }
    }
    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, it: I) -> Self {
        self.args.extend(it.into_iter().map(Into::into));
        self
    }
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }
}

struct SpawnRequest {
    cmd: Command,
    reply: mpsc::Sender<io::Result<Child>>,
}

struct Inner {
    spawner: Mutex<mpsc::Sender<SpawnRequest>>,
    children: Mutex<HashMap<u32, Child>>,
    log_dir: PathBuf,
    pid_dir: PathBuf,
}

/// Spawns, tracks and stops child processes. Cheap to clone.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

impl Supervisor {
    /// `runtime_dir/logs` receives one log per child. Reaps orphans of crashed emulators first.
    pub fn new(runtime_dir: &Path) -> Result<Self, SupervisorError> {
        let log_dir = runtime_dir.join("logs");
        std::fs::create_dir_all(&log_dir)?;
        let pid_dir = reaper::pid_dir();
        std::fs::create_dir_all(&pid_dir)?;
        reaper::reap_orphans(&pid_dir);
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("supervisor-spawner".into())
            .spawn(move || {
                // Never return: children forked here get PDEATHSIG when this thread ends.
                for req in rx.iter() {
                    let SpawnRequest { mut cmd, reply } = req;
                    let _ = reply.send(cmd.spawn());
                }
                loop {
                    std::thread::park();
                }
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                spawner: Mutex::new(tx),
                children: Mutex::new(HashMap::new()),
                log_dir,
                pid_dir,
            }),
        })
    }

    pub fn log_path(&self, name: &str) -> PathBuf {
        self.inner.log_dir.join(format!("{}.log", sanitize(name)))
    }

    /// Starts a process; it dies with the emulator and when the returned handle drops.
    pub fn spawn(&self, spec: &ProcessSpec) -> Result<Managed, SupervisorError> {
        let log = self.log_path(&spec.name);
        let out = File::options().create(true).append(true).open(&log)?;
        let err = out.try_clone()?;
        let mut cmd = Command::new(&spec.program);
        cmd.args(&spec.args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if let Some(cwd) = &spec.cwd {
            cmd.current_dir(cwd);
        }
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let child = self.fork(cmd, &spec.program, true)?;
        let pid = child.id();
        reaper::write_pid_file(&self.inner.pid_dir, pid, &spec.program);
        self.inner.children.lock().unwrap().insert(pid, child);
        tracing::debug!(pid, name = %spec.name, "spawned");
        Ok(Managed {
            pid,
            name: spec.name.clone(),
            program: spec.program.display().to_string(),
            log,
            sup: self.clone(),
        })
    }

    /// Forks `cmd` from the spawner thread, so it dies with the emulator (PR_SET_PDEATHSIG is
    /// tied to the forking thread); `own_group`: it leads its own process group.
    fn fork(
        &self,
        mut cmd: Command,
        program: &std::path::Path,
        own_group: bool,
    ) -> Result<std::process::Child, SupervisorError> {
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if own_group {
                    libc::setpgid(0, 0);
                }
                #[cfg(target_os = "linux")]
                {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                }
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let (reply_tx, reply_rx) = mpsc::channel();
        self.inner
            .spawner
            .lock()
            .unwrap()
            .send(SpawnRequest {
                cmd,
                reply: reply_tx,
            })
            .map_err(|_| io::Error::other("spawner thread gone"))?;
        reply_rx
            .recv()
            .map_err(|_| io::Error::other("spawner thread gone"))?
            .map_err(|source| SupervisorError::Spawn {
                program: program.display().to_string(),
                source,
            })
    }

    /// Runs a short command to completion (a container CLI call) and answers its stdout; a
    /// failure or a run longer than `timeout` is an error carrying its stderr. Forked from the
    /// spawner thread like every child, so it dies with the emulator.
    pub fn run(&self, spec: &ProcessSpec, timeout: Duration) -> Result<String, SupervisorError> {
        let mut cmd = Command::new(&spec.program);
        cmd.args(&spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let child = self.fork(cmd, &spec.program, false)?;
        let pid = child.id();
        let (done_tx, done_rx) = mpsc::channel();
        // Reading both pipes to the end needs its own thread to honour the timeout.
        std::thread::spawn(move || {
            let _ = done_tx.send(child.wait_with_output());
        });
        let command = format!("{} {}", spec.program.display(), spec.args.join(" "));
        let out = match done_rx.recv_timeout(timeout) {
            Ok(out) => out?,
            Err(_) => {
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                }
                return Err(SupervisorError::Failed {
                    command,
                    message: format!("no answer after {timeout:?}"),
                });
            }
        };
        if !out.status.success() {
            return Err(SupervisorError::Failed {
                command,
                message: format!(
                    "{}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Exit status text if the process has exited (and reaps it), None while running.
    fn try_wait(&self, pid: u32) -> Option<String> {
        let mut children = self.inner.children.lock().unwrap();
        match children.get_mut(&pid) {
            None => Some("unknown (not supervised)".into()),
            Some(child) => match child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                Ok(None) => None,
                Err(e) => Some(format!("error: {e}")),
            },
        }
    }

    /// SIGTERM to the group, then SIGKILL after `grace`; always reaps.
    fn stop(&self, pid: u32, grace: Duration) {
        let child = self.inner.children.lock().unwrap().remove(&pid);
        let Some(mut child) = child else { return };
        let pgid = pid as libc::pid_t;
        unsafe {
            libc::killpg(pgid, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => {
                    unsafe {
                        libc::killpg(pgid, libc::SIGKILL);
                    }
                    let _ = child.wait();
                    break;
                }
            }
        }
        // Members of the group that outlived the leader.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
        reaper::remove_pid_file(&self.inner.pid_dir, pid);
    }

    /// Pids of every live supervised child.
    pub fn pids(&self) -> Vec<u32> {
        let mut children = self.inner.children.lock().unwrap();
        children
            .iter_mut()
            .filter_map(|(p, c)| matches!(c.try_wait(), Ok(None)).then_some((p, c)))
            .map(|(p, _)| *p)
            .collect()
    }

    /// Stops every child (emulator shutdown).
    pub fn stop_all(&self) {
        let pids: Vec<u32> = self
            .inner
            .children
            .lock()
            .unwrap()
            .keys()
            .copied()
            .collect();
        for pid in pids {
            self.stop(pid, Duration::from_millis(500));
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for (pid, mut child) in self.children.lock().unwrap().drain() {
            unsafe {
                libc::killpg(pid as libc::pid_t, libc::SIGKILL);
            }
            let _ = child.wait();
            reaper::remove_pid_file(&self.pid_dir, pid);
        }
    }
}

/// A running child. Dropping it stops the process (SIGTERM, then SIGKILL).
pub struct Managed {
    pub pid: u32,
    pub name: String,
    pub program: String,
    pub log: PathBuf,
    sup: Supervisor,
}

impl std::fmt::Debug for Managed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Managed")
            .field("pid", &self.pid)
            .field("name", &self.name)
            .finish()
    }
}

impl Managed {
    pub fn is_alive(&self) -> bool {
        self.sup.try_wait(self.pid).is_none()
    }

    /// Waits until `probe` succeeds, the process exits, or `timeout` passes.
    pub async fn wait_ready(
        &self,
        probe: &Probe,
        timeout: Duration,
    ) -> Result<(), SupervisorError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(2);
        loop {
            if let Some(status) = self.sup.try_wait(self.pid) {
                return Err(SupervisorError::Exited {
                    name: self.name.clone(),
                    program: self.program.clone(),
                    status,
                    log: self.log.clone(),
                });
            }
            if probe.check().await {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(SupervisorError::NotReady {
                    name: self.name.clone(),
                    program: self.program.clone(),
                    waited: timeout,
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(50));
        }
    }

    /// Sends a signal to the process (used to simulate a node failure, or SIGHUP-style reloads).
    pub fn signal(&self, sig: i32) {
        unsafe {
            libc::kill(self.pid as libc::pid_t, sig);
        }
    }

    /// Stops now, with a grace period for a clean shutdown.
    pub fn stop(self, grace: Duration) {
        self.sup.stop(self.pid, grace);
        std::mem::forget(self);
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        self.sup.stop(self.pid, Duration::from_millis(200));
    }
}

/// A free loopback port (bind to 0, read it back). Races are possible but rare; callers retry.
pub fn free_port() -> io::Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spawned_process_stops_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path()).unwrap();
        let m = sup
            .spawn(&ProcessSpec::new("sleeper", "sleep").arg("30"))
            .unwrap();
        let pid = m.pid;
        assert!(m.is_alive());
        assert_eq!(sup.pids(), vec![pid]);
        drop(m);
        assert!(sup.pids().is_empty());
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    #[tokio::test]
    async fn missing_binary_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path()).unwrap();
        let err = sup
            .spawn(&ProcessSpec::new("nope", "/nonexistent/binary"))
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/binary"), "{err}");
    }

    #[test]
    fn run_answers_stdout_and_reports_failures() {
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path()).unwrap();
        let out = sup
            .run(
                &ProcessSpec::new("echo", "echo").arg("hi"),
                Duration::from_secs(5),
            )
            .unwrap();
        assert_eq!(out, "hi\n");
        let err = sup
            .run(
                &ProcessSpec::new("sh", "sh").args(["-c", "echo nope >&2; exit 3"]),
                Duration::from_secs(5),
            )
            .unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = sup
            .run(
                &ProcessSpec::new("sleep", "sleep").arg("30"),
                Duration::from_millis(200),
            )
            .unwrap_err();
        assert!(err.to_string().contains("no answer"), "{err}");
    }

    #[tokio::test]
    async fn early_exit_is_reported_with_log() {
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path()).unwrap();
        let m = sup.spawn(&ProcessSpec::new("false", "false")).unwrap();
        let probe = Probe::Tcp("127.0.0.1:1".parse().unwrap());
        let err = m
            .wait_ready(&probe, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(err, SupervisorError::Exited { .. }), "{err}");
        assert!(err.to_string().contains("false.log"));
    }
}
