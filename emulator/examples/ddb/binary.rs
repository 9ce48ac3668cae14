//! The emulator binary as a child process, for measurements that include its start or its
//! process (RSS): started on a free loopback port with its own runtime directory, stopped
//! with SIGTERM when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// The emulator binary beside this example (`target/<profile>/emulator`).
fn emulator_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .context("no target dir")?;
    let bin = dir.join("emulator");
    if !bin.is_file() {
        bail!(
            "{} not built: cargo build --release -p emulator",
            bin.display()
        );
    }
    Ok(bin)
}

pub struct Emulator {
    pub child: Child,
    pub url: String,
    _runtime: tempfile::TempDir,
}

impl Emulator {
    /// Spawns the binary; it answers once it has started (poll `url`).
    pub fn spawn() -> Result<Self> {
        let runtime = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(emulator_binary()?)
            .args(["--port", &port.to_string()])
            .arg("--runtime-dir")
            .arg(runtime.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Emulator {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _runtime: runtime,
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SAFETY: kill(2) of our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}
