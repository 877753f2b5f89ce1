//! Background work of the application, all stopped by one shutdown signal: reloading the dialog scripts
//! (on SIGHUP, when the web console's editor publishes one in any process, and, with `--watch`, when
//! a file in the folder changes), pushing new matches to saved
//! needs, reminding contacts of leads nobody answered, and (in `serve`) pruning old data once a day. Each round's errors are logged and the next
//! round tries again; a refused script set is logged with every problem and the running set keeps
//! serving.

use super::App;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The one signal every background task watches: send `true` (or drop the sender) to stop them all.
pub type Shutdown = watch::Receiver<bool>;

/// A new shutdown signal: the sender stops every task given a receiver.
pub fn shutdown() -> (watch::Sender<bool>, Shutdown) {
    watch::channel(false)
}

/// Resolves when the shutdown was signalled (or its sender is gone).
async fn stopped(shutdown: &mut Shutdown) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// Runs `round` every `period` until shutdown.
async fn every<F, Fut>(period: Duration, mut shutdown: Shutdown, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => return,
            _ = tick.tick() => round().await,
        }
    }
}

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

/// Reloads on every SIGHUP until shutdown.
pub async fn sighup(app: Arc<App>, mut shutdown: Shutdown) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; use /reload or --watch");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return,
                got = hup.recv() => match got {
                    Some(()) => report("SIGHUP", app.reload()),
                    None => return,
                },
            }
        }
    }
    #[cfg(not(unix))]
    stopped(&mut shutdown).await;
}

/// Polls the folder once a second and reloads after a change (no platform watcher needed).
pub async fn watch_folder(app: Arc<App>, dir: PathBuf, shutdown: Shutdown) {
    let mut last = fingerprint(&dir);
    every(Duration::from_secs(1), shutdown, || {
        let now = fingerprint(&dir);
        if now != last {
            last = now;
            report("--watch", app.reload());
        }
        std::future::ready(())
    })
    .await
}

/// The PostgreSQL channel on which a publish from the web console's script editor tells every process
/// sharing the database to reload its scripts (the payload is the file's name).
pub const SCRIPTS_CHANGED: &str = "dialog_scripts_changed";

/// Reloads the scripts whenever a publish is announced on [`SCRIPTS_CHANGED`], until shutdown. A lost
/// connection is opened again after a second, and the scripts are reloaded then in case a publish
/// happened meanwhile.
pub async fn reload_on_notify(app: Arc<App>, mut shutdown: Shutdown) {
    let mut first = true;
    loop {
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect_with(app.pool()).await?;
            l.listen(SCRIPTS_CHANGED).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut listener = tokio::select! {
            _ = stopped(&mut shutdown) => return,
            l = listener => match l {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for published scripts; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        if !first {
            report("reconnected", app.reload());
        }
        first = false;
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return,
                got = listener.recv() => match got {
                    Ok(n) => {
                        tracing::info!(file = n.payload(), "a script was published");
                        report("NOTIFY", app.reload());
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "script listener lost; reconnecting");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                },
            }
        }
    }
}

/// Pushes new matches to saved needs every few seconds (catalogue changes reach the index within a
/// second of an import's notification).
pub async fn pusher(app: Arc<App>, shutdown: Shutdown) {
    every(Duration::from_secs(5), shutdown, || async {
        let ctx = app.context();
        let cap = ctx.settings.push_weekly_cap;
        match crate::operators::subscriptions::push_new_matches(&ctx, cap).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pushes = n, "new matches pushed to saved needs"),
            Err(e) => tracing::warn!(error = %e, "pushing new matches failed; retrying"),
        }
    })
    .await
}

/// Reminds contacts of unanswered leads; a minute's delay is nothing against days of waiting.
pub async fn reminders(app: Arc<App>, shutdown: Shutdown) {
    every(Duration::from_secs(60), shutdown, || async {
        match crate::enquiry::contact::remind_due(&app.context()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(leads = n, "contacts reminded of unanswered leads"),
            Err(e) => tracing::warn!(error = %e, "reminding contacts failed; retrying"),
        }
    })
    .await
}

/// How often data past its retention is deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Deletes what is kept no longer (see [`crate::operators::retention`]) at start and then once a day.
/// Several processes may run it: a row is deleted once, the others find nothing.
pub async fn prune_daily(app: Arc<App>, retention: crate::config::Retention, shutdown: Shutdown) {
    every(PRUNE_EVERY, shutdown, || async {
        match crate::operators::retention::prune(app.pool(), &retention, false).await {
            Ok(pruned) => {
                for p in pruned.iter().filter(|p| p.rows > 0) {
                    tracing::info!(table = p.table, rows = p.rows, days = p.days, "pruned");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "pruning old data failed; trying again in a day")
            }
        }
    })
    .await
}

/// Starts every background task of the application; they all end when `shutdown` is signalled.
pub fn spawn_all(app: &Arc<App>, watch: Option<PathBuf>, shutdown: &Shutdown) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    tasks.spawn(sighup(app.clone(), shutdown.clone()));
    tasks.spawn(pusher(app.clone(), shutdown.clone()));
    tasks.spawn(reminders(app.clone(), shutdown.clone()));
    if let Some(dir) = watch {
        tasks.spawn(watch_folder(app.clone(), dir, shutdown.clone()));
    }
    // Only a folder can be published to (the compiled-in set cannot change).
    if app.dialog_source().folder().is_some() {
        tasks.spawn(reload_on_notify(app.clone(), shutdown.clone()));
    }
    tasks
}
