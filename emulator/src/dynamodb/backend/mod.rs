//! The data plane behind us: the embedded DynamoDB Local (started lazily, restarted if it
//! dies) or any DynamoDB-compatible endpoint given by `--dynamodb-endpoint`.

pub mod pool;
pub mod scan;
pub mod sizes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
}

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
    supervisor: Supervisor,
    client: reqwest::Client,
    running: RwLock<Option<Arc<Running>>>,
    /// Serializes starts so concurrent first requests wait on one JVM.
    starting: Mutex<()>,
}

impl Backend {
    pub fn new(config: Config, supervisor: Supervisor) -> Self {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
            .expect("reqwest client without TLS always builds");
        Self {
            config,
            supervisor,
            client,
            running: RwLock::new(None),
            starting: Mutex::new(()),
        }
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
        *self.running.write().await = Some(running.clone());
        Ok(running)
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
            // On a file, a JVM that dies and is restarted comes back with every acknowledged
            // write (see `Config::dynamodb_db_dir`).
            match self.config.dynamodb_db_dir() {
                Some(db) => {
                    std::fs::create_dir_all(&db).map_err(SupervisorError::Io)?;
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

    /// Sends one JSON request as `account` in `region` (DynamoDB Local keeps one database per
    /// access key and region, which gives us isolation for free).
    pub async fn call(
        &self,
        account: &str,
        region: &str,
        target: &str,
        body: Bytes,
    ) -> Result<BackendResponse, BackendError> {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={account}/20240101/{region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
        );
        let mut attempt = 0;
        loop {
            let running = self.url().await?;
            let res = match &running.pool {
                Some(pool) => pool
                    .post(
                        &[
                            ("content-type", "application/x-amz-json-1.0"),
                            ("x-amz-target", target),
                            ("authorization", &auth),
                        ],
                        body.clone(),
                    )
                    .await
                    .map(|(status, body)| BackendResponse { status, body })
                    .map_err(BackendError::from),
                None => {
                    self.call_reqwest(&running, target, &auth, body.clone())
                        .await
                }
            };
            match res {
                Ok(r) => return Ok(r),
                Err(e) => {
                    attempt += 1;
                    if attempt < 2 && self.restart_if_dead(&running).await {
                        continue;
                    }
                    return Err(e);
                }
            }
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

    pub fn log_path(&self) -> std::path::PathBuf {
        self.supervisor.log_path("dynamodb-local")
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
