//! Pid files for orphan reaping: a crashed emulator's children are killed by the next one.
//! (PR_SET_PDEATHSIG already covers SIGKILL of the emulator on Linux; this covers the rest.)

use std::path::{Path, PathBuf};

pub fn pid_dir() -> PathBuf {
    std::env::temp_dir().join("awsemu-pids")
}

pub fn write_pid_file(dir: &Path, pid: u32, program: &Path) {
    let _ = std::fs::write(
        dir.join(pid.to_string()),
        format!("{} {}", std::process::id(), program.display()),
    );
}

pub fn remove_pid_file(dir: &Path, pid: u32) {
    let _ = std::fs::remove_file(dir.join(pid.to_string()));
}

fn alive(pid: i32) -> bool {
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Kills children whose emulator is gone, if the pid still runs the recorded program.
pub fn reap_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let Some((owner, program)) = text.split_once(' ') else {
            continue;
        };
        let Ok(owner) = owner.parse::<i32>() else {
            continue;
        };
        if alive(owner) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        let name = Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        if alive(pid) && name.is_some_and(|n| String::from_utf8_lossy(first).contains(&n)) {
            tracing::warn!(pid, program, "reaping orphan of a crashed emulator");
            unsafe {
                libc::killpg(pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let _ = std::fs::remove_file(e.path());
    }
}

/// Removes `<parent>/<prefix><pid>` runtime dirs of emulators that are gone (a SIGKILLed emulator
/// cannot remove its own). A dir whose pid runs again (pid reuse) is left alone: harmless.
pub fn remove_dead_runtime_dirs(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(prefix)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid > 0 && pid as u32 != std::process::id() && !alive(pid) {
            tracing::info!(dir = %e.path().display(), "removing the runtime dir of a stopped emulator");
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dead_emulators_dirs_go() {
        let parent =
            std::env::temp_dir().join(format!("awsemu-reaper-test-{}", std::process::id()));
        std::fs::create_dir_all(&parent).unwrap();
        // pid_max on Linux is at most 2^22, so this pid cannot run.
        let dead = parent.join("run-99999999");
        let mine = parent.join(format!("run-{}", std::process::id()));
        let other = parent.join("unrelated");
        for d in [&dead, &mine, &other] {
            std::fs::create_dir_all(d.join("logs")).unwrap();
        }
        remove_dead_runtime_dirs(&parent, "run-");
        assert!(!dead.exists());
        assert!(mine.exists());
        assert!(other.exists());
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
