//! The data plane behind us: the embedded DynamoDB Local (started with the emulator,
//! restarted if it dies, in memory with our write log replayed into it) or any
//! DynamoDB-compatible endpoint given by `--dynamodb-endpoint`.

pub mod pool;
pub mod scan;
pub mod sizes;
pub mod write_log;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Mutex, RwLock};

use crate::config::Config;
use crate::supervisor::{free_port, Managed, Probe, ProcessSpec, Supervisor, SupervisorError};

/// How long the JVM gets to come up before we give up with a clear error.
const START_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("DynamoDB Local could not start: {0}")]
    Start(#[from] SupervisorError),
    #[error("DynamoDB Local jar not found at {0} (run scripts/setup)")]
    MissingJar(String),
    #[error("invalid DynamoDB endpoint {0}")]
    BadEndpoint(String),
    #[error("backend request failed: {0}")]
    Pool(#[from] pool::PoolError),
    #[error("backend request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the write log could not be written: {0}")]
    Log(std::io::Error),
}

/// Requests of distinct items replayed side by side, and how many are read ahead.
const REPLAY_LANES: usize = 8;
const REPLAY_SEGMENT: usize = 4096;

/// The target prefix of DynamoDB's own operations (streams have theirs).
const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";

/// Answer of the backend, untouched.
pub struct BackendResponse {
    pub status: u16,
    pub body: Bytes,
}

struct Running {
    url: String,
    /// Direct connections for plain-HTTP backends (all but unusual external endpoints).
    pool: Option<pool::Pool>,
    /// `url` parsed once: parsing it per request shows up in the proxy's overhead.
    endpoint: reqwest::Url,
    /// None when the backend is an external endpoint.
    process: Option<Managed>,
}

pub struct Backend {
    config: Config,
    /// Where the JVM keeps its tables: in memory with our write log (the default), on a
    /// database file (a state dir written by a version before the log), or in memory alone
    /// (`--dynamodb-in-memory`, or an external endpoint).
    log: Option<write_log::WriteLog>,
    db_file_dir: Option<PathBuf>,
    me: Weak<Backend>,
    supervisor: Supervisor,
    client: reqwest::Client,
    running: RwLock<Option<Arc<Running>>>,
    /// Serializes starts so concurrent first requests wait on one JVM.
    starting: Mutex<()>,
}

impl Backend {
    pub fn new(config: Config, supervisor: Supervisor) -> Arc<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
            .expect("reqwest client without TLS always builds");
        let (log, db_file_dir) = storage(&config);
        Arc::new_cyclic(|me| Self {
            config,
            supervisor,
            client,
            running: RwLock::new(None),
            starting: Mutex::new(()),
            log,
            db_file_dir,
            me: me.clone(),
        })
    }

    /// The backend's URL once it runs (for status and benchmarks).
    pub fn current_url(&self) -> Option<String> {
        self.running
            .try_read()
            .ok()
            .and_then(|r| r.as_ref().map(|r| r.url.clone()))
    }

    pub fn is_started(&self) -> bool {
        self.running.try_read().map(|r| r.is_some()).unwrap_or(true)
    }

    /// Url of the backend, starting DynamoDB Local when needed.
    async fn url(&self) -> Result<Arc<Running>, BackendError> {
        if let Some(r) = self.running.read().await.as_ref() {
            return Ok(r.clone());
        }
        let _guard = self.starting.lock().await;
        if let Some(r) = self.running.read().await.as_ref() {
            return Ok(r.clone());
        }
        let running = Arc::new(self.start().await?);
        if let Some(log) = &self.log {
            // Alone: every write that reached the last JVM is in the log before it is read.
            let _alone = log.alone().await;
            self.replay(log, &running).await?;
        }
        *self.running.write().await = Some(running.clone());
        Ok(running)
    }

    /// Gives a new JVM every logged request, each item's in order: requests that write one
    /// item go in `REPLAY_LANES` lanes by item (a lane in order, the lanes side by side), and
    /// anything else (table changes, writes of several items or none we can key) alone once
    /// the lanes before it are done.
    async fn replay(
        &self,
        log: &write_log::WriteLog,
        running: &Arc<Running>,
    ) -> Result<(), BackendError> {
        let started = Instant::now();
        log.forget_tables();
        let (mut sent, mut refused) = (0usize, 0usize);
        let mut lanes: Vec<Vec<write_log::Record>> = vec![vec![]; REPLAY_LANES];
        let (mut pending, mut in_snapshot, mut next) = (0usize, false, 0usize);
        for r in write_log::records(log.path()).map_err(BackendError::Log)? {
            log.note(&r);
            // A snapshot's batches go to any lane; other writes of one item to its own lane,
            // after the snapshot they follow.
            let lane = if r.snapshot {
                next += 1;
                Some(next % REPLAY_LANES)
            } else {
                match log.access(&r.account, &r.region, &r.op, &r.body) {
                    write_log::Access::Items(s) if s.len() == 1 => Some(s[0] % REPLAY_LANES),
                    _ => None,
                }
            };
            if lane.is_none() || r.snapshot != in_snapshot || pending >= REPLAY_SEGMENT {
                refused += self.replay_lanes(running, &mut lanes).await?;
                sent += std::mem::take(&mut pending);
                in_snapshot = r.snapshot;
            }
            match lane {
                Some(l) => {
                    lanes[l].push(r);
                    pending += 1;
                }
                None => {
                    sent += 1;
                    refused += usize::from(!self.replay_one(running, &r).await?);
                }
            }
        }
        refused += self.replay_lanes(running, &mut lanes).await?;
        sent += pending;
        if sent > 0 {
            tracing::info!(sent, refused, took = ?started.elapsed(), "write log replayed");
        }
        Ok(())
    }

    /// Sends every lane's records, the lanes side by side; answers how many were refused.
    async fn replay_lanes(
        &self,
        running: &Arc<Running>,
        lanes: &mut [Vec<write_log::Record>],
    ) -> Result<usize, BackendError> {
        let mut tasks = tokio::task::JoinSet::new();
        for lane in lanes.iter_mut().filter(|l| !l.is_empty()) {
            let (me, running, records) = (self.me.clone(), running.clone(), std::mem::take(lane));
            tasks.spawn(async move {
                let mut refused = 0;
                for r in &records {
                    let Some(me) = me.upgrade() else { break };
                    refused += usize::from(!me.replay_one(&running, r).await?);
                }
                Ok::<usize, BackendError>(refused)
            });
        }
        let mut refused = 0;
        while let Some(done) = tasks.join_next().await {
            refused += done.map_err(|e| BackendError::Log(std::io::Error::other(e)))??;
        }
        Ok(refused)
    }

    /// Sends one logged request; answers whether the new JVM took it.
    async fn replay_one(
        &self,
        running: &Running,
        r: &write_log::Record,
    ) -> Result<bool, BackendError> {
        let target = format!("{DYNAMODB_PREFIX}{}", r.op);
        let mut tries = 0;
        let res = loop {
            let res = self
                .post(running, &r.account, &r.region, &target, r.body.clone())
                .await?;
            // DynamoDB Local answers InternalFailure now and then (a table still settling);
            // the request was refused whole, so it is sent again.
            tries += 1;
            if res.status < 500 || tries == 5 {
                break res;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        if res.status != 200 {
            tracing::warn!(
                op = %r.op,
                status = res.status,
                body = %String::from_utf8_lossy(&res.body),
                "a logged request was refused on replay"
            );
        }
        if matches!(r.op.as_str(), "CreateTable" | "UpdateTable") {
            self.await_active(running, r).await;
        }
        Ok(res.status == 200)
    }

    /// Waits (up to 10 s) until the table `r` created or changed and its indexes are ACTIVE in
    /// the new JVM: DynamoDB Local fails writes while it builds a new index.
    async fn await_active(&self, running: &Running, r: &write_log::Record) {
        let Ok(input) = serde_json::from_slice::<serde_json::Value>(&r.body) else {
            return;
        };
        let req = serde_json::json!({"TableName": input["TableName"]});
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let Ok(res) = self
                .post(
                    running,
                    &r.account,
                    &r.region,
                    &format!("{DYNAMODB_PREFIX}DescribeTable"),
                    Bytes::from(req.to_string()),
                )
                .await
            else {
                return;
            };
            let d: serde_json::Value = serde_json::from_slice(&res.body).unwrap_or_default();
            let t = &d["Table"];
            let active = res.status != 200
                || (t["TableStatus"] == "ACTIVE"
                    && t["GlobalSecondaryIndexes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .all(|i| i["IndexStatus"] == "ACTIVE"));
            if active {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Rewrites the log as the live tables' own requests (CreateTable and what changed them
    /// since) and their items as they are now, alone: the log then holds what a replay needs
    /// and no request twice over.
    async fn compact(self: Arc<Self>) {
        let Some(log) = &self.log else { return };
        let started = Instant::now();
        let before = log.size();
        let result = async {
            let _alone = log.alone().await;
            let Some(running) = self.running.read().await.clone() else {
                return Ok(());
            };
            let mut out = log.rewrite().map_err(BackendError::Log)?;
            for ((account, region, name), table) in log.tables() {
                for r in &table.changes {
                    out.push(r).map_err(BackendError::Log)?;
                }
                let mut start: Option<serde_json::Value> = None;
                loop {
                    let mut req = serde_json::json!({"TableName": name});
                    if let Some(s) = start.take() {
                        req["ExclusiveStartKey"] = s;
                    }
                    let res = self
                        .post(
                            &running,
                            &account,
                            &region,
                            &format!("{DYNAMODB_PREFIX}Scan"),
                            Bytes::from(req.to_string()),
                        )
                        .await?;
                    let page: serde_json::Value = serde_json::from_slice(&res.body)
                        .map_err(|e| BackendError::Log(e.into()))?;
                    if res.status != 200 {
                        return Err(BackendError::Log(std::io::Error::other(format!(
                            "scan of {name}: {page}"
                        ))));
                    }
                    // Batches of 25 (BatchWriteItem's most), each item in one: a replay
                    // sends them side by side.
                    let items: Vec<&serde_json::Value> =
                        page["Items"].as_array().into_iter().flatten().collect();
                    for chunk in items.chunks(25) {
                        let puts: Vec<serde_json::Value> = chunk
                            .iter()
                            .map(|i| serde_json::json!({"PutRequest": {"Item": i}}))
                            .collect();
                        let body = serde_json::json!({"RequestItems": {name.clone(): puts}});
                        out.push(&write_log::Record {
                            op: "BatchWriteItem".into(),
                            account: account.clone(),
                            region: region.clone(),
                            body: Bytes::from(body.to_string()),
                            snapshot: true,
                        })
                        .map_err(BackendError::Log)?;
                    }
                    match page.get("LastEvaluatedKey") {
                        Some(k) if k.is_object() => start = Some(k.clone()),
                        _ => break,
                    }
                }
            }
            out.finish(log).map_err(BackendError::Log)
        }
        .await;
        log.compacted();
        match result {
            Ok(()) => tracing::info!(
                before,
                after = log.size(),
                took = ?started.elapsed(),
                "write log compacted"
            ),
            Err(e) => tracing::warn!("write log compaction failed (the log stays as it was): {e}"),
        }
    }

    async fn start(&self) -> Result<Running, BackendError> {
        if let Some(url) = &self.config.dynamodb_endpoint {
            let url = url.trim_end_matches('/').to_string();
            let endpoint = parse_endpoint(&url)?;
            return Ok(Running {
                pool: pool_for(&endpoint),
                endpoint,
                url,
                process: None,
            });
        }
        let dir = &self.config.dynamodb_local_dir;
        let jar = dir.join("DynamoDBLocal.jar");
        if !jar.is_file() {
            return Err(BackendError::MissingJar(jar.display().to_string()));
        }
        let mut last_err = None;
        // A free port can be taken between probing and binding: retry a few times.
        for _ in 0..3 {
            let port = free_port().map_err(SupervisorError::Io)?;
            let mut spec = ProcessSpec::new("dynamodb-local", &self.config.java);
            // The class archive scripts/setup makes (scripts/dynamodb_cds.py) saves most of the
            // JVM's start; a JVM that cannot map it (another Java build) runs without it.
            let cds = dir.join("awsemu-cds");
            let (cds_jar, archive) = (
                cds.join("DynamoDBLocal.jar"),
                cds.join("dynamodb-local.jsa"),
            );
            let jar = if cds_jar.is_file() && archive.is_file() {
                spec = spec
                    .arg(format!("-XX:SharedArchiveFile={}", archive.display()))
                    .arg("-Xshare:auto");
                cds_jar
            } else {
                jar.clone()
            };
            spec = spec
                .arg(format!(
                    "-Djava.library.path={}",
                    dir.join("DynamoDBLocal_lib").display()
                ))
                .arg("-jar")
                .arg(jar.display().to_string());
            // In memory: a JVM that dies and is restarted gets the write log replayed; only a
            // state dir from before the log keeps its database file.
            match &self.db_file_dir {
                Some(db) => {
                    std::fs::create_dir_all(db).map_err(SupervisorError::Io)?;
                    spec = spec.arg("-dbPath").arg(db.display().to_string());
                }
                None => spec = spec.arg("-inMemory"),
            }
            // Telemetry is sent to AWS from a local emulator otherwise, and its start-up costs
            // about a second of the JVM's start here (README, "first answer").
            spec = spec
                .arg("-disableTelemetry")
                .arg("-port")
                .arg(port.to_string())
                .cwd(dir);
            let managed = self.supervisor.spawn(&spec)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            match managed.wait_ready(&Probe::Http(addr), START_TIMEOUT).await {
                Ok(()) => {
                    tracing::info!(port, pid = managed.pid, "DynamoDB Local ready");
                    let url = format!("http://127.0.0.1:{port}");
                    let endpoint = parse_endpoint(&url)?;
                    return Ok(Running {
                        pool: pool_for(&endpoint),
                        endpoint,
                        url,
                        process: Some(managed),
                    });
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.expect("loop ran").into())
    }

    /// Forgets a dead DynamoDB Local so the next request starts a new one.
    async fn restart_if_dead(&self, seen: &Arc<Running>) -> bool {
        let dead = seen.process.as_ref().is_some_and(|p| !p.is_alive());
        if dead {
            let mut w = self.running.write().await;
            if w.as_ref().is_some_and(|r| Arc::ptr_eq(r, seen)) {
                tracing::warn!("DynamoDB Local died; restarting it");
                *w = None;
            }
        }
        dead
    }

    /// Sends one JSON request as `account` in `region`; a write the backend acknowledged is in
    /// the write log before this returns.
    pub async fn call(
        &self,
        account: &str,
        region: &str,
        target: &str,
        body: Bytes,
    ) -> Result<BackendResponse, BackendError> {
        let op = target.strip_prefix(DYNAMODB_PREFIX);
        let access = match (&self.log, op) {
            (Some(log), Some(op)) => log.access(account, region, op, &body),
            _ => write_log::Access::Read,
        };
        let mut attempt = 0;
        loop {
            let running = self.url().await?;
            // Not held while waiting for a JVM (its start takes the gate alone to replay).
            let guard = match &self.log {
                Some(log) => Some(log.enter(&access).await),
                None => None,
            };
            match self
                .post(&running, account, region, target, body.clone())
                .await
            {
                Ok(r) => {
                    if let (Some(log), Some(op), 200, false) =
                        (&self.log, op, r.status, access == write_log::Access::Read)
                    {
                        let compact = log
                            .append(op, account, region, &body, &r.body)
                            .map_err(BackendError::Log)?;
                        drop(guard);
                        if compact {
                            if let Some(me) = self.me.upgrade() {
                                tokio::spawn(me.compact());
                            }
                        }
                    }
                    return Ok(r);
                }
                Err(e) => {
                    drop(guard);
                    attempt += 1;
                    if attempt < 2 && self.restart_if_dead(&running).await {
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// One request to the running backend, as `account` in `region` (DynamoDB Local keeps one
    /// database per access key and region, which gives us isolation for free).
    async fn post(
        &self,
        running: &Running,
        account: &str,
        region: &str,
        target: &str,
        body: Bytes,
    ) -> Result<BackendResponse, BackendError> {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={account}/20240101/{region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
        );
        match &running.pool {
            Some(pool) => pool
                .post(
                    &[
                        ("content-type", "application/x-amz-json-1.0"),
                        ("x-amz-target", target),
                        ("authorization", &auth),
                    ],
                    body,
                )
                .await
                .map(|(status, body)| BackendResponse { status, body })
                .map_err(BackendError::from),
            None => self.call_reqwest(running, target, &auth, body).await,
        }
    }

    async fn call_reqwest(
        &self,
        running: &Running,
        target: &str,
        auth: &str,
        body: Bytes,
    ) -> Result<BackendResponse, BackendError> {
        let r = self
            .client
            .post(running.endpoint.clone())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .header("authorization", auth)
            .body(body)
            .send()
            .await?;
        let status = r.status().as_u16();
        let body = r.bytes().await?;
        Ok(BackendResponse { status, body })
    }

    /// Starts DynamoDB Local in the background, off the request path, so the first request
    /// finds it running (or waits on this start rather than beginning its own). Nothing to
    /// start for `--dynamodb-endpoint`.
    pub fn prestart(self: &Arc<Self>) {
        if self.config.dynamodb_endpoint.is_some() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = self.clone();
        rt.spawn(async move {
            if let Err(e) = me.url().await {
                tracing::warn!("DynamoDB Local did not start: {e}");
            }
        });
    }

    /// Stops DynamoDB Local (the emulator is shutting down).
    pub async fn shutdown(&self) {
        // A start still running finishes first, so its JVM is stopped here too.
        let _starting = self.starting.lock().await;
        if let Some(r) = self.running.write().await.take() {
            if let Ok(r) = Arc::try_unwrap(r) {
                if let Some(p) = r.process {
                    p.stop(Duration::from_secs(2));
                }
            }
        }
        // A database on tmpfs lives as long as the emulator (a state dir's stays).
        if self.config.state_dir.is_none() {
            if let Some(db) = self.config.dynamodb_db_dir() {
                if db.starts_with(crate::config::SHM_DIR) {
                    if let Some(own) = db.parent() {
                        let _ = std::fs::remove_dir_all(own);
                        // The process's dir goes with its last emulator.
                        if let Some(process) = own.parent() {
                            let _ = std::fs::remove_dir(process);
                        }
                    }
                }
            }
        }
    }

    /// The write log's file, size and compactions so far (null without a log).
    pub fn write_log_status(&self) -> serde_json::Value {
        match &self.log {
            Some(l) => serde_json::json!({
                "path": l.path(),
                "bytes": l.size(),
                "compactions": l.compactions(),
            }),
            None => serde_json::Value::Null,
        }
    }

    pub fn log_path(&self) -> std::path::PathBuf {
        self.supervisor.log_path("dynamodb-local")
    }
}

/// Where DynamoDB Local keeps its tables (see `Backend::log`): the write log, or the database
/// file of a state dir written before the log existed.
fn storage(config: &Config) -> (Option<write_log::WriteLog>, Option<PathBuf>) {
    if config.dynamodb_endpoint.is_some() {
        return (None, None);
    }
    let Some(dir) = config.dynamodb_db_dir() else {
        return (None, None);
    };
    let log = dir.join("writes.log");
    let has_db_file = std::fs::read_dir(&dir).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "db"))
    });
    if has_db_file && !log.exists() {
        tracing::info!(dir = %dir.display(), "DynamoDB Local keeps this state dir's database file");
        return (None, Some(dir));
    }
    match write_log::WriteLog::open(log, config.dynamodb_compact_bytes) {
        Ok(l) => (Some(l), None),
        Err(e) => {
            tracing::warn!("no write log ({e}): DynamoDB Local runs on a database file");
            (None, Some(dir))
        }
    }
}

fn parse_endpoint(url: &str) -> Result<reqwest::Url, BackendError> {
    reqwest::Url::parse(&format!("{url}/")).map_err(|_| BackendError::BadEndpoint(url.to_string()))
}

fn pool_for(endpoint: &reqwest::Url) -> Option<pool::Pool> {
    if endpoint.scheme() != "http" {
        return None;
    }
    let host = endpoint.host_str()?;
    let port = endpoint.port_or_known_default()?;
    Some(pool::Pool::new(format!("{host}:{port}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(state: &std::path::Path) -> Config {
        let mut c = Config::from_env(state.join("runtime"));
        c.state_dir = Some(state.to_path_buf());
        c
    }

    #[test]
    fn a_state_dir_from_before_the_log_keeps_its_database_file() {
        let state = tempfile::tempdir().unwrap();
        let db = state.path().join("dynamodb");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join("000000000000_us-east-1.db"), b"").unwrap();
        let (log, file) = storage(&config(state.path()));
        assert!(log.is_none());
        assert_eq!(file, Some(db.clone()));
        // Once a log exists (a new state dir, or one this version wrote), the log rules.
        std::fs::remove_file(db.join("000000000000_us-east-1.db")).unwrap();
        let (log, file) = storage(&config(state.path()));
        assert_eq!(log.unwrap().path(), db.join("writes.log"));
        assert!(file.is_none());
        let mut memory = config(state.path());
        memory.state_dir = None;
        memory.dynamodb_in_memory = true;
        assert!(matches!(storage(&memory), (None, None)));
    }
}
