//! The container backend: every node its own Docker or Podman container.
//!
//! A container runs the same engine command line the process backend would run (its
//! `plan`), in the image the table names for the engine, with the host's network so the node
//! binds its own loopback address exactly like a process (replication, cluster bus and
//! announced addresses then need no translation). The node's data dir is bind-mounted at the
//! same path, so snapshots (SAVE, then the emulator reads `dump.rdb`), restores (the seed RDB
//! staged into the dir before start) and TLS files work unchanged; the CA file and the dir of
//! TLS nodes' control sockets are mounted too. Containers carry labels naming the emulator
//! (its pid and runtime dir) and the node; a new backend removes those of dead emulators.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::images::ImageTable;
use super::process::{Plan, ProcessBackend};
use super::{CacheBackend, NodeGuard, NodeSpec, RunningNode, RuntimeError};
use crate::config::{CacheBackendKind, Config};
use crate::supervisor::{ProcessSpec, Supervisor};

/// Label holding the pid of the emulator that started a container.
pub const OWNER_LABEL: &str = "awsemu.owner";
/// Label holding the emulator's runtime dir (several emulators can share a process in tests).
pub const INSTANCE_LABEL: &str = "awsemu.instance";
/// Label naming the node (account, region, cluster, node).
pub const NODE_LABEL: &str = "awsemu.node";

/// `podman run -d` may pull an image the first time (public images on a developer machine).
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
const CLI_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ContainerBackend {
    /// Plans command lines and owns the CA, exactly as for processes.
    process: ProcessBackend,
    cli: Cli,
    images: ImageTable,
    instance: String,
}

/// The container CLI and the global flags it needs on every call.
#[derive(Clone)]
struct Cli {
    supervisor: Supervisor,
    program: PathBuf,
    global: Vec<String>,
}

impl Cli {
    fn new(kind: CacheBackendKind, supervisor: Supervisor) -> Self {
        let (program, global) = match kind {
            // cgroupfs and file events work without systemd (CI containers, sandboxes); runc
            // when present because it runs under the tightest sandboxes.
            CacheBackendKind::Podman => {
                let mut g = vec![
                    "--cgroup-manager=cgroupfs".to_string(),
                    "--events-backend=file".to_string(),
                ];
                if let Some(runc) = ["/usr/sbin/runc", "/usr/bin/runc"]
                    .iter()
                    .map(PathBuf::from)
                    .find(|p| p.is_file())
                    .or_else(|| crate::config::which("runc"))
                {
                    g.push(format!("--runtime={}", runc.display()));
                }
                ("podman", g)
            }
            _ => ("docker", vec![]),
        };
        Self {
            supervisor,
            program: crate::config::which(program).unwrap_or_else(|| program.into()),
            global,
        }
    }

    fn run(&self, args: &[String], timeout: Duration) -> Result<String, RuntimeError> {
        let spec = ProcessSpec::new("container-cli", &self.program)
            .args(self.global.iter().cloned())
            .args(args.iter().cloned());
        Ok(self.supervisor.run(&spec, timeout)?)
    }

    /// Removes containers, stopping them at once (their data, if any is kept, is on the host).
    fn remove(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let mut args = vec!["rm".to_string(), "-f".into()];
        args.extend(ids.iter().cloned());
        if let Err(e) = self.run(&args, CLI_TIMEOUT) {
            tracing::warn!("removing containers {ids:?}: {e}");
        }
    }

    /// Containers carrying `label` (any state).
    fn labelled(&self, label: &str) -> Vec<String> {
        let args = [
            "ps".to_string(),
            "-a".into(),
            "-q".into(),
            "--no-trunc".into(),
            "--filter".into(),
            format!("label={label}"),
        ];
        match self.run(&args, CLI_TIMEOUT) {
            Ok(out) => out.split_whitespace().map(str::to_string).collect(),
            Err(e) => {
                tracing::warn!("listing containers: {e}");
                vec![]
            }
        }
    }

    /// Removes the containers of emulators that are gone (a killed emulator cannot remove its
    /// own; processes die with it, containers do not).
    fn reap_dead_owners(&self) {
        let ids = self.labelled(OWNER_LABEL);
        if ids.is_empty() {
            return;
        }
        let mut args = vec![
            "inspect".to_string(),
            "--format".into(),
            format!("{{{{.Id}}}} {{{{index .Config.Labels \"{OWNER_LABEL}\"}}}}"),
        ];
        args.extend(ids);
        let Ok(out) = self.run(&args, CLI_TIMEOUT) else {
            return;
        };
        let dead: Vec<String> = out
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(_, owner)| {
                owner
                    .trim()
                    .parse::<i32>()
                    .is_ok_and(|pid| pid > 0 && unsafe { libc::kill(pid, 0) } != 0)
            })
            .map(|(id, _)| id.to_string())
            .collect();
        if !dead.is_empty() {
            tracing::warn!(
                count = dead.len(),
                "removing cache node containers of a stopped emulator"
            );
            self.remove(&dead);
        }
    }
}

impl ContainerBackend {
    pub fn new(config: &Config, supervisor: Supervisor) -> Self {
        let cli = Cli::new(config.cache_backend, supervisor.clone());
        cli.reap_dead_owners();
        Self {
            process: ProcessBackend::new(config, supervisor),
            cli,
            images: ImageTable::new(config.cache_images.clone()),
            instance: config.runtime_dir.display().to_string(),
        }
    }

    /// `podman run` arguments for a planned node.
    fn run_args(&self, spec: &NodeSpec, plan: &Plan, name: &str) -> Vec<String> {
        let image = self
            .images
            .image_for(spec.engine, spec.engine_version.as_deref());
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let mut args: Vec<String> = vec![
            "run".into(),
            "-d".into(),
            "--name".into(),
            name.into(),
            // The node binds its own loopback address, as a process would.
            "--network".into(),
            "host".into(),
            // Files in the mounted data dir belong to the emulator's user, and images whose
            // entrypoint would switch users are bypassed.
            "--user".into(),
            format!("{uid}:{gid}"),
            "--entrypoint".into(),
            image.command.into(),
            "--label".into(),
            format!("{OWNER_LABEL}={}", std::process::id()),
            "--label".into(),
            format!("{INSTANCE_LABEL}={}", self.instance),
            "--label".into(),
            format!("{NODE_LABEL}={}", spec.label),
        ];
        // Explicit limits: the runtimes' defaults can exceed what a sandbox allows.
        let (nofile, nproc) = ulimits();
        args.extend([
            "--ulimit".into(),
            format!("nofile={nofile}:{nofile}"),
            "--ulimit".into(),
            format!("nproc={nproc}:{nproc}"),
        ]);
        for (path, read_only) in mounts(spec, plan) {
            let p = path.display().to_string();
            args.extend([
                "-v".into(),
                format!("{p}:{p}{}", if read_only { ":ro" } else { "" }),
            ]);
        }
        args.push(image.image);
        args.extend(plan.args.iter().cloned());
        args
    }
}

/// Host paths the engine's command line names, mounted at the same paths: the data dir (with
/// the TLS key and certificate), the CA file, the control socket's dir.
fn mounts(spec: &NodeSpec, plan: &Plan) -> Vec<(PathBuf, bool)> {
    let mut out = vec![(spec.data_dir.clone(), false)];
    let mut add = |p: PathBuf, ro: bool| {
        if !p.starts_with(&spec.data_dir) && !out.iter().any(|(q, _)| *q == p) {
            out.push((p, ro));
        }
    };
    for pair in plan.args.windows(2) {
        let path = Path::new(&pair[1]);
        match pair[0].as_str() {
            "--tls-ca-cert-file" | "--tls-cert-file" | "--tls-key-file" => {
                add(path.to_path_buf(), true)
            }
            "--unixsocket" => {
                if let Some(dir) = path.parent() {
                    add(dir.to_path_buf(), false)
                }
            }
            _ => {}
        }
    }
    out
}

/// Open files and processes per container, within this process's own hard limits.
fn ulimits() -> (u64, u64) {
    fn hard(resource: libc::__rlimit_resource_t, want: u64) -> u64 {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if unsafe { libc::getrlimit(resource, &mut r) } != 0 {
            return want;
        }
        want.min(r.rlim_max)
    }
    // redis asks for maxclients (10000) + 32 descriptors.
    (
        hard(libc::RLIMIT_NOFILE, 10_240),
        hard(libc::RLIMIT_NPROC, 4_096),
    )
}

/// A unique container name per node start.
fn container_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "awsemu-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl CacheBackend for ContainerBackend {
    fn name(&self) -> &'static str {
        "container"
    }

    fn ca_pem(&self) -> Result<String, RuntimeError> {
        self.process.ca_pem()
    }

    /// Containers share the host's network: a node takes an address as a process would.
    fn reserve(&self, spec: &NodeSpec) -> Result<std::net::SocketAddr, RuntimeError> {
        self.process.reserve(spec)
    }

    fn address_free(&self, addr: std::net::SocketAddr) -> bool {
        self.process.address_free(addr)
    }

    fn start(&self, spec: &NodeSpec) -> Result<RunningNode, RuntimeError> {
        let mut plan = self.process.plan(spec)?;
        let name = container_name();
        let started = Instant::now();
        let id = match self
            .cli
            .run(&self.run_args(spec, &plan, &name), RUN_TIMEOUT)
        {
            Ok(out) => out.trim().to_string(),
            Err(e) => {
                // A run that failed part-way (or timed out) may have created the container.
                self.cli.remove(std::slice::from_ref(&name));
                plan.abandon();
                return Err(e);
            }
        };
        // From here on, dropping the guard removes the container again.
        let mut guard = Container {
            cli: self.cli.clone(),
            id: if id.is_empty() { name } else { id },
            pid: 0,
        };
        let pid = match self.cli.run(
            &[
                "inspect".into(),
                "--format".into(),
                "{{.State.Pid}}".into(),
                guard.id.clone(),
            ],
            CLI_TIMEOUT,
        ) {
            Ok(out) => out.trim().parse::<i32>().unwrap_or(0),
            Err(e) => {
                plan.abandon();
                return Err(e);
            }
        };
        if pid <= 0 {
            // The engine exited at once (bad flags, a wrong image): say why.
            let logs = self
                .cli
                .run(&["logs".into(), guard.id.clone()], CLI_TIMEOUT)
                .unwrap_or_default();
            plan.abandon();
            return Err(RuntimeError::Container(format!(
                "{} exited at start: {}",
                spec.label,
                logs.trim()
            )));
        }
        guard.pid = pid;
        tracing::debug!(label = %spec.label, pid, elapsed = ?started.elapsed(), "container started");
        Ok(RunningNode {
            addr: plan.addr,
            probe: plan.probe,
            data_dir: spec.data_dir.clone(),
            control: plan.control,
            keep_data: false,
            _handle: None,
            container: Some(Box::new(guard)),
            _lease: self.process.lease(plan.addr),
        })
    }
}

/// A node's container: alive while its engine process runs; removed on drop.
struct Container {
    cli: Cli,
    id: String,
    /// The engine's pid on the host (0: unknown).
    pid: i32,
}

impl NodeGuard for Container {
    fn is_alive(&self) -> bool {
        // Reading /proc costs nothing; asking the CLI every monitor tick would.
        self.pid > 0 && process_runs(self.pid)
    }
}

/// Whether `pid` runs (a zombie does not).
fn process_runs(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|st| st != "Z"))
        })
        .unwrap_or(false)
}

impl Drop for Container {
    fn drop(&mut self) {
        // SIGTERM first so an append-only file is flushed when the data is kept; `rm -f`
        // alone would kill the engine outright.
        if self.pid > 0 && unsafe { libc::kill(self.pid, libc::SIGTERM) } == 0 {
            let deadline = Instant::now() + Duration::from_secs(2);
            while process_runs(self.pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.cli.remove(std::slice::from_ref(&self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elasticache::runtime::EngineKind;
    use crate::supervisor::Probe;

    fn spec(dir: &Path) -> NodeSpec {
        NodeSpec {
            label: "ec-1-r-c-0001".into(),
            engine: EngineKind::Redis,
            engine_version: None,
            port: 6379,
            data_dir: dir.join("node"),
            auth_token: None,
            replica_of: None,
            seed_rdb: None,
            tls: true,
            cluster: false,
            extra_args: vec![],
            preferred: None,
            persistent: false,
        }
    }

    #[test]
    fn mounts_cover_every_path_outside_the_data_dir_once() {
        let dir = Path::new("/tmp/x");
        let s = spec(dir);
        let plan = Plan {
            program: "redis-server".into(),
            args: [
                "--dir",
                "/tmp/x/node",
                "--tls-cert-file",
                "/tmp/x/node/tls/node.crt",
                "--tls-ca-cert-file",
                "/state/tls/ca.crt",
                "--unixsocket",
                "/tmp/awsemu-ctl/1-0.sock",
            ]
            .map(String::from)
            .to_vec(),
            addr: "127.100.0.1:6379".parse().unwrap(),
            probe: Probe::Tcp("127.100.0.1:6379".parse().unwrap()),
            control: None,
        };
        assert_eq!(
            mounts(&s, &plan),
            vec![
                (PathBuf::from("/tmp/x/node"), false),
                (PathBuf::from("/state/tls/ca.crt"), true),
                (PathBuf::from("/tmp/awsemu-ctl"), false),
            ]
        );
    }

    #[test]
    fn ulimits_stay_within_our_own_hard_limits() {
        let (nofile, nproc) = ulimits();
        assert!(nofile > 0 && nofile <= 10_240);
        assert!(nproc > 0 && nproc <= 4_096);
    }

    #[test]
    fn a_dead_pid_is_not_alive() {
        assert!(process_runs(std::process::id() as i32));
        assert!(!process_runs(99_999_999));
    }
}
