//! Shared test helpers: an in-process emulator on port 0 and the real AWS CLI against it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use emulator::config::CacheBackendKind;
use emulator::gateway::AppState;
use emulator::Config;

/// An emulator serving on 127.0.0.1:<free port> inside the test process; stops (and stops
/// every child process) on drop.
pub struct TestEmulator {
    pub addr: std::net::SocketAddr,
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Where cache nodes run (`AWSEMU_CACHE_BACKEND`, so the ElastiCache tests run on each).
    pub backend: CacheBackendKind,
    _dir: tempfile::TempDir,
}

impl TestEmulator {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    pub fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::from_env(dir.path().to_path_buf());
        tweak(&mut config);
        let backend = config.cache_backend;
        if let Ok(asked) = std::env::var("AWSEMU_CACHE_BACKEND") {
            // A typo must not quietly test the process backend twice.
            assert_eq!(backend.as_str(), asked, "AWSEMU_CACHE_BACKEND");
        }
        let state = AppState::new(config).unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        // Own runtime on its own thread so sync tests (and the AWS CLI) can call it.
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                emulator::run(listener, st, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        TestEmulator {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
            backend,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs the real AWS CLI (`.venv/bin/aws`) against this emulator as `account`.
    pub fn aws_as(&self, account: &str, region: &str, args: &[&str]) -> CliResult {
        aws_at(&self.url(), account, region, args)
    }

    pub fn aws(&self, args: &[&str]) -> CliResult {
        self.aws_as("123456789012", "us-east-1", args)
    }

    /// `POST <path>` on the emulator's internal routes, asserting it succeeded.
    pub fn post_internal(&self, path_and_query: &str) {
        let url = format!("{}{path_and_query}", self.url());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let status = rt.block_on(async {
            reqwest::Client::new()
                .post(url)
                .send()
                .await
                .unwrap()
                .status()
        });
        assert!(status.is_success(), "{path_and_query}: {status}");
    }

    /// `POST /_emulator/reset?account=...`.
    pub fn reset_account(&self, account: &str) {
        self.post_internal(&format!("/_emulator/reset?account={account}"));
    }

    /// Pids of the running engine processes: the supervisor's children, or the engines in
    /// this emulator's running containers.
    pub fn child_pids(&self) -> Vec<u32> {
        match self.backend {
            CacheBackendKind::Process => self.state.supervisor.pids(),
            kind => container_pids(kind, &containers(kind, &self.instance_filter(), false)),
        }
    }

    fn instance_filter(&self) -> String {
        format!("label=awsemu.instance={}", self._dir.path().display())
    }
}

/// The container CLI with the global flags the emulator uses.
pub fn container_cli(kind: CacheBackendKind) -> Command {
    match kind {
        CacheBackendKind::Podman => {
            let mut c = Command::new("podman");
            c.args(["--cgroup-manager=cgroupfs", "--events-backend=file"]);
            if let Some(runc) = ["/usr/sbin/runc", "/usr/bin/runc"]
                .into_iter()
                .find(|p| Path::new(p).is_file())
            {
                c.arg(format!("--runtime={runc}"));
            }
            c
        }
        _ => Command::new("docker"),
    }
}

/// Ids of containers matching `filter` (all states with `all`).
pub fn containers(kind: CacheBackendKind, filter: &str, all: bool) -> Vec<String> {
    let mut c = container_cli(kind);
    c.args(["ps", "-q", "--no-trunc", "--filter", filter]);
    if all {
        c.arg("-a");
    }
    let out = c.output().expect("running the container CLI");
    assert!(
        out.status.success(),
        "container listing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if self.backend == CacheBackendKind::Process {
            // Every child stops with the emulator; one still running is a leak.
            let left = self.state.supervisor.pids();
            if !left.is_empty() && !std::thread::panicking() {
                panic!("processes left after the emulator stopped: {left:?}");
            }
        } else {
            // A stopped emulator has removed every container it started; one left is a leak
            // (removed here so it does not outlive the test, and reported).
            let left = containers(self.backend, &self.instance_filter(), true);
            if !left.is_empty() {
                let _ = container_cli(self.backend)
                    .args(["rm", "-f"])
                    .args(&left)
                    .output();
                if !std::thread::panicking() {
                    panic!("containers left after the emulator stopped: {left:?}");
                }
            }
        }
    }
}

#[derive(Debug)]
pub struct CliResult {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliResult {
    /// Asserts success and parses stdout as JSON (empty stdout gives Null).
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "aws failed: {}\n{}", self.stderr, self.stdout);
        if self.stdout.trim().is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the command failed with the AWS error `code`.
    pub fn fails_with(&self, code: &str) {
        assert_ne!(
            self.code, 0,
            "expected {code}, got success: {}",
            self.stdout
        );
        assert!(
            self.stderr.contains(code),
            "expected {code}: {}",
            self.stderr
        );
    }
}

impl CliResult {
    /// Asserts the command failed with exactly this AWS error code and message, as the CLI
    /// prints them (`An error occurred (Code) when calling the Op operation: message`).
    pub fn fails_with_message(&self, code: &str, message: &str) {
        self.fails_with(code);
        let line = self
            .stderr
            .lines()
            .find(|l| l.contains(&format!("An error occurred ({code})")))
            .unwrap_or_else(|| panic!("no {code} line: {}", self.stderr));
        let got = line.split_once(" operation: ").map(|x| x.1).unwrap_or("");
        assert_eq!(got, message, "{}", self.stderr);
    }
}

/// `aws dynamodb create-table` arguments for an on-demand table keyed by string `pk`.
pub fn create_table_args<'a>(name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "dynamodb",
        "create-table",
        "--table-name",
        name,
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ];
    args.extend_from_slice(extra);
    args
}

/// Runs the real AWS CLI (`.venv/bin/aws`) against the endpoint `url` as `account`.
/// POSTs a raw Query form body (what the CLI would refuse to send, or operations its model
/// lacks) to `url` as `account` in `region`; (HTTP status, body).
pub fn post_query(url: &str, account: &str, region: &str, body: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                format!("AWS4-HMAC-SHA256 Credential={account}/20240101/{region}/elasticache/aws4_request, SignedHeaders=host, Signature=x"),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

pub fn aws_at(url: &str, account: &str, region: &str, args: &[&str]) -> CliResult {
    aws_with(url, account, region, args, &[])
}

/// `aws_at` with more environment (e.g. `AWS_DATA_PATH` for a newer model than the CLI's).
pub fn aws_with(
    url: &str,
    account: &str,
    region: &str,
    args: &[&str],
    env: &[(&str, &std::path::Path)],
) -> CliResult {
    let vars = [
        ("AWS_ACCESS_KEY_ID", account),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_DEFAULT_REGION", region),
        ("AWS_ENDPOINT_URL", url),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_MAX_ATTEMPTS", "1"),
    ];
    if env.is_empty() {
        if let Some(r) = warm_cli::run(args, &vars) {
            return r;
        }
    }
    let out = Command::new(aws_cli())
        .args(args)
        .envs(env.iter().copied())
        .envs(vars)
        .output()
        .expect("running the AWS CLI (run scripts/setup)");
    CliResult {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Stops an emulator binary a test started, unless the test already waited for it, and removes
/// its containers: a test that fails half way leaves no emulator (and so no node) behind.
pub fn kill_binary(child: &mut Child) {
    // try_wait is Some once the test has waited for it: no kill of a reused pid.
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
        let _ = child.wait();
    }
    remove_containers_of(child.id());
}

/// Starts the emulator binary on a free port with `extra` flags; returns it and its URL.
pub fn start_binary(extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_emulator"))
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator binary (cargo build --workspace --bins)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (child, url)
}

/// The cache backend the suite runs on (`AWSEMU_CACHE_BACKEND`; emulator binaries inherit it).
pub fn suite_backend() -> CacheBackendKind {
    std::env::var("AWSEMU_CACHE_BACKEND")
        .ok()
        .and_then(|v| CacheBackendKind::parse(&v))
        .unwrap_or_default()
}

/// Engine processes (redis-server / memcached) the emulator binary `pid` runs: its children,
/// or the engines of the running containers it labelled as its own.
pub fn engines_of(pid: u32) -> Vec<u32> {
    match suite_backend() {
        CacheBackendKind::Process => children_of(pid)
            .into_iter()
            .filter(|p| {
                let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
                comm.starts_with("redis-server") || comm.starts_with("memcached")
            })
            .collect(),
        kind => container_pids(kind, &containers(kind, &owner_filter(pid), false)),
    }
}

fn owner_filter(pid: u32) -> String {
    format!("label=awsemu.owner={pid}")
}

/// Removes the containers of the emulator binary `pid` (a test that killed it or failed).
pub fn remove_containers_of(pid: u32) {
    let kind = suite_backend();
    if kind == CacheBackendKind::Process {
        return;
    }
    let left = containers(kind, &owner_filter(pid), true);
    if !left.is_empty() {
        let _ = container_cli(kind).args(["rm", "-f"]).args(&left).output();
    }
}

/// Host pids of the engines in the containers `ids` (those that run).
fn container_pids(kind: CacheBackendKind, ids: &[String]) -> Vec<u32> {
    if ids.is_empty() {
        return vec![];
    }
    let mut args = vec!["inspect", "--format", "{{.State.Pid}}"];
    args.extend(ids.iter().map(String::as_str));
    // A container removed since the listing is simply gone.
    let out = container_cli(kind).args(&args).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .filter(|p| *p > 0)
        .collect()
}

/// Direct children of `ppid` that still run (zombies excluded), read from /proc.
pub fn children_of(ppid: u32) -> Vec<u32> {
    let mut out = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Some((state, parent)) = stat_of(pid) else {
            continue;
        };
        if parent == ppid && state != 'Z' {
            out.push(pid);
        }
    }
    out
}

/// True while `pid` runs; a zombie counts as gone.
pub fn running(pid: u32) -> bool {
    stat_of(pid).is_some_and(|(state, _)| state != 'Z')
}

/// State letter and parent pid from /proc/<pid>/stat (fields after the parenthesized name).
fn stat_of(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn aws_cli() -> PathBuf {
    std::env::var_os("AWSEMU_AWS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/aws"))
}

/// AWS CLI commands run in warm Python processes, the evaluator's driver
/// (`evaluator/src/runner/warm_driver.py`): importing the CLI is most of a fresh `aws`
/// process's second, and the tests run thousands of commands. Each command still starts as in a
/// fresh `aws` (the driver puts back what a command changed). `AWSEMU_TEST_FRESH_CLI=1` runs
/// a new `aws` process for every command instead.
mod warm_cli {
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
    use std::sync::Mutex;

    use serde_json::{json, Value};

    use super::{aws_cli, workspace_root, CliResult};

    struct Driver {
        child: Child,
        input: ChildStdin,
        output: BufReader<ChildStdout>,
    }

    impl Drop for Driver {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Drivers no test uses now. At the end of the test process their stdin closes and they
    /// exit by themselves.
    static IDLE: Mutex<Vec<Driver>> = Mutex::new(Vec::new());

    impl Driver {
        fn start() -> Option<Driver> {
            let python = aws_cli().parent()?.join("python");
            let script = workspace_root().join("evaluator/src/runner/warm_driver.py");
            let mut child = Command::new(python)
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let input = child.stdin.take()?;
            let output = BufReader::new(child.stdout.take()?);
            let mut d = Driver {
                child,
                input,
                output,
            };
            let mut line = String::new();
            d.output.read_line(&mut line).ok()?;
            line.contains("ready").then_some(d)
        }

        fn run(&mut self, args: &[&str], env: &BTreeMap<String, String>) -> Option<CliResult> {
            let mut argv = vec!["aws"];
            argv.extend_from_slice(args);
            let cwd = std::env::current_dir().ok()?;
            let req = json!({"argv": argv, "env": env, "cwd": cwd});
            writeln!(self.input, "{req}").ok()?;
            self.input.flush().ok()?;
            let mut line = String::new();
            if self.output.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let v: Value = serde_json::from_str(&line).ok()?;
            Some(CliResult {
                code: i32::try_from(v["exit_code"].as_i64()?).ok()?,
                stdout: v["stdout"].as_str()?.to_string(),
                stderr: v["stderr"].as_str()?.to_string(),
            })
        }
    }

    /// Runs one command with the test process's environment and `vars`; None when no warm
    /// driver could run it (the caller starts a fresh `aws`).
    pub fn run(args: &[&str], vars: &[(&str, &str)]) -> Option<CliResult> {
        if std::env::var_os("AWSEMU_TEST_FRESH_CLI").is_some_and(|v| v == "1") {
            return None;
        }
        let mut env: BTreeMap<String, String> = std::env::vars().collect();
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let idle = IDLE.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut driver = idle.or_else(Driver::start)?;
        // A driver that died or answered nonsense is dropped (and killed).
        let result = driver.run(args, &env)?;
        IDLE.lock().unwrap_or_else(|p| p.into_inner()).push(driver);
        Some(result)
    }
}
