//! An emulator served in-process on a loopback port, for the DynamoDB benchmarks.

use std::sync::Arc;

use anyhow::Result;
use emulator::gateway::AppState;
use emulator::Config;

pub struct Served {
    pub url: String,
    /// For the benchmarks that look inside (the backend's URL, the JVM's pid); not all do.
    #[allow(dead_code)]
    pub state: Arc<AppState>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _runtime: tempfile::TempDir,
}

impl Served {
    /// Serves an emulator configured as this machine's defaults, then `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Result<Self> {
        let runtime = tempfile::tempdir()?;
        let mut config = Config::from_env(runtime.path().to_path_buf());
        tweak(&mut config);
        let state = AppState::new(config)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(emulator::run(listener, state.clone(), async {
            let _ = rx.await;
        }));
        Ok(Self {
            url,
            state,
            stop,
            server,
            _runtime: runtime,
        })
    }

    /// Stops it, with every child process.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}
