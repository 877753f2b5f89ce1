//! Hot reload of the dialog scripts without a restart: on SIGHUP and, with `--watch`, when a file in the
//! folder changes. A refused set is logged with every problem and the running set keeps serving.

use crate::dialog::Runtime;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn report(source: &str, result: Result<u64, Vec<crate::dialog::ScriptError>>) {
    match result {
        Ok(version) => tracing::info!(source, version, "dialog scripts reloaded"),
        Err(errors) => {
            let list = errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            tracing::error!(source, errors = %list, "dialog scripts NOT reloaded; the previous scripts keep serving");
        }
    }
}

/// Reloads on every SIGHUP until the process ends.
pub fn spawn_sighup(runtime: Arc<Runtime>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; use /reload or --watch");
                return;
            }
        };
        while hup.recv().await.is_some() {
            report("SIGHUP", runtime.reload());
        }
    });
}

/// Newest modification time of the folder's TOML files (and their count, so a deletion counts).
fn fingerprint(dir: &Path) -> (Option<SystemTime>, usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (None, 0);
    };
    let mut newest = None;
    let mut count = 0;
    for e in entries.flatten() {
        if e.path().extension().is_some_and(|x| x == "toml") {
            count += 1;
            let modified = e.metadata().and_then(|m| m.modified()).ok();
            newest = newest.max(modified);
        }
    }
    (newest, count)
}

/// Polls the folder once a second and reloads after a change (no platform watcher needed).
pub fn spawn_watch(runtime: Arc<Runtime>, dir: PathBuf) {
    tokio::spawn(async move {
        let mut last = fingerprint(&dir);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = fingerprint(&dir);
            if now != last {
                last = now;
                report("--watch", runtime.reload());
            }
        }
    });
}
