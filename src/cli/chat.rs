//! `chat` and `dialogs check`: the console channel and script validation.

use super::*;
use crate::app::{App, tasks};
use crate::channel::console;
use crate::dialog::DialogSource;
use crate::matching::Matcher;
use std::sync::Arc;

fn script_errors(errors: &[crate::dialog::ScriptError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn invalid_scripts(errors: Vec<crate::dialog::ScriptError>) -> anyhow::Error {
    anyhow::anyhow!(
        "the dialog scripts are invalid:\n{}",
        script_errors(&errors)
    )
}

/// Validates the scripts before anything slow (database, index), so a broken folder is reported at once.
fn check_scripts(source: &DialogSource) -> anyhow::Result<()> {
    source.load_scripts().map(|_| ()).map_err(invalid_scripts)
}

/// `dialogs check` and `dialogs export`.
pub(super) fn dialogs(command: DialogsCommand) -> anyhow::Result<ExitCode> {
    match command {
        DialogsCommand::Check { dir, dialogs } => check(&DialogSource::resolve(
            dir.or(dialogs.dialogs_dir).as_deref(),
        )),
        DialogsCommand::Export { dir, force } => export(&dir, force),
    }
}

fn check(source: &DialogSource) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    match source.load_scripts() {
        Ok(set) => println!(
            "{source}: {} dialogs, languages {}: ok",
            set.dialogs.len(),
            set.languages.join(", ")
        ),
        Err(errors) => {
            eprintln!("{}", script_errors(&errors));
            failed = true;
        }
    }
    match source.load_synonyms() {
        Ok(Some(s)) => println!("{source}: {} lay terms (synonyms.toml): ok", s.len()),
        Ok(None) => {}
        Err(errors) => {
            eprintln!("{}", script_errors(&errors));
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `dialogs export DIR`: the compiled-in scripts written out for editing.
fn export(dir: &std::path::Path, force: bool) -> anyhow::Result<ExitCode> {
    match crate::dialog::source::export(dir, force) {
        Ok(written) => {
            for path in &written {
                println!("wrote {}", path.display());
            }
            eprintln!(
                "edit them, check them with `queqiao dialogs check {0}`, and run with DIALOGS_DIR={0}",
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// What every channel starts from: the search index (kept current), the application over it and its
/// background tasks (reload on SIGHUP and, when asked, on file changes; pushes; reminders), which all
/// stop when the returned sender is told to.
struct Started {
    app: Arc<App>,
    refresher: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: tokio::task::JoinSet<()>,
}

impl Started {
    async fn stop(mut self) {
        let _ = self.stop.send(true);
        self.refresher.abort();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn start_runtime(
    settings: &ConversationSettings,
    pool: &sqlx::PgPool,
    dialogs: &DialogSource,
    admins: Vec<i64>,
    admin_channel: &str,
    watch: bool,
    public_url: Option<String>,
) -> anyhow::Result<Started> {
    let synonyms = dialogs
        .load_synonyms()
        .map_err(invalid_scripts)?
        .unwrap_or_default();
    let mut matcher = Matcher::load(pool, synonyms)
        .await
        .context("cannot build the search index from the catalogue")?;
    if let Some(model) = super::embed::sentence_model(&settings.dense)? {
        super::embed::check_encoder(&model).await;
        matcher = matcher.with_dense(model);
    }
    let matcher = Arc::new(matcher);
    if matcher.snapshot().0.is_empty() {
        eprintln!("note: the catalogue is empty; import patents or run chat with --demo");
    }
    let refresher = matcher.clone().spawn_refresher(pool.clone());
    let app_settings = crate::app::Settings {
        admins: admins.clone(),
        admin_channel: admin_channel.to_owned(),
        enquiry_cap: settings.enquiry_daily_cap.max(1),
        push_weekly_cap: settings.push_weekly_cap,
        lead_reminder_days: settings.lead_reminder_days.max(1),
        public_url,
    };
    let app = Arc::new(
        App::new(dialogs.clone(), pool.clone(), matcher, admins)
            .map_err(invalid_scripts)?
            .with_settings(app_settings),
    );
    let (stop, shutdown) = tasks::shutdown();
    let watched = match dialogs.folder() {
        Some(dir) => watch.then(|| dir.to_path_buf()),
        None => {
            if watch {
                eprintln!("note: --watch has nothing to watch: the dialogs are the built-in set");
            }
            None
        }
    };
    let tasks = tasks::spawn_all(&app, watched, &shutdown);
    Ok(Started {
        app,
        refresher,
        stop,
        tasks,
    })
}

pub(super) async fn chat(settings: &Common, args: ChatArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let dialogs = DialogSource::resolve(args.conversation.dialogs.dialogs_dir.as_deref());
    check_scripts(&dialogs)?;
    let pool = connect(settings).await?;
    if args.demo {
        for report in crate::catalog::store::load_demo_if_empty(&pool).await? {
            eprintln!("{}", report.summary());
        }
    }
    let mut admins = args.conversation.admin_telegram_ids.0.clone();
    if args.admin {
        admins.push(args.user);
    }
    // An admin at this terminal gets the alerts here; otherwise they go to the admins on Telegram.
    let admin_channel = if args.admin {
        console::CHANNEL
    } else {
        crate::channel::telegram::CHANNEL
    };
    let started = start_runtime(
        &args.conversation,
        &pool,
        &dialogs,
        admins,
        admin_channel,
        args.watch,
        None,
    )
    .await?;
    let interactive = std::io::stdin().is_terminal();
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    let mut out = std::io::stdout();
    console::run(
        &started.app,
        args.user,
        args.lang.as_deref(),
        input,
        &mut out,
        interactive,
    )
    .await
    .context("console I/O failed")?;
    started.stop().await;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn serve(common: &Common, args: ServeArgs) -> anyhow::Result<ExitCode> {
    use crate::channel::http::HttpState;
    use crate::channel::telegram::{self, Options, Telegram};
    use crate::channel::throttle::Limits;
    use std::time::Duration;
    let settings = &args.telegram;
    settings.validate()?;
    // Every setting, for the operator's record; secrets and the database password show redacted.
    tracing::info!(
        ?common,
        conversation = ?args.conversation,
        telegram = ?args.telegram,
        retention = ?args.retention,
        "starting with these settings"
    );
    let token = settings
        .teloxide_token
        .as_ref()
        .map(|t| t.expose().to_owned())
        .unwrap_or_default();
    let dialogs = DialogSource::resolve(args.conversation.dialogs.dialogs_dir.as_deref());
    check_scripts(&dialogs)?;
    tracing::info!(dialogs = %dialogs, "dialog scripts");
    let api_url = settings.teloxide_api_url.clone();
    let webhook = match (&settings.webhook_url, &settings.webhook_secret) {
        (Some(url), Some(secret)) => Some((url.path().to_owned(), secret.expose().to_owned())),
        _ => None,
    };
    // Health and metrics answer from the first second; readiness waits for the index and the scripts.
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let http_state = HttpState::with_unready_after(
        metrics.clone(),
        webhook.clone(),
        Duration::from_secs(settings.unready_after_secs),
    );
    let web_state = crate::web::WebState::new(settings.console_url().as_deref());
    let web = crate::web::router(web_state.clone());
    let (http_stop, http_servers) = serve_http(settings, &http_state, web).await?;

    let pool = connect(common).await?;
    let mut started = start_runtime(
        &args.conversation,
        &pool,
        &dialogs,
        args.conversation.admin_telegram_ids.0.clone(),
        telegram::CHANNEL,
        args.watch,
        settings.console_url(),
    )
    .await?;
    let shutdown = started.stop.subscribe();
    started.tasks.spawn(tasks::prune_daily(
        started.app.clone(),
        args.retention,
        shutdown,
    ));
    let options = Options {
        workers: settings.workers.max(1),
        limits: Limits {
            per_second: settings.send_per_second.max(1),
            per_chat_interval: Duration::from_millis(settings.send_chat_interval_ms),
        },
        max_attempts: settings.send_max_attempts.max(1),
        poll_timeout: args.poll_timeout,
        update_max_attempts: settings.update_max_attempts.max(1) as u32,
        ..Options::default()
    };
    let send_bot = telegram::client(&token, api_url.as_ref(), Duration::from_secs(15))?;
    let poll_bot = telegram::client(
        &token,
        api_url.as_ref(),
        Duration::from_secs(u64::from(args.poll_timeout) + 10),
    )?;
    let channel = Arc::new(Telegram::with_options(
        send_bot,
        poll_bot,
        pool,
        started.app.clone(),
        options,
        metrics,
    ));
    if let Some(url) = &settings.webhook_url
        && let Some((_, secret)) = &webhook
    {
        channel
            .set_webhook(url.as_str(), secret)
            .await
            .context("cannot register the webhook with Telegram")?;
        tracing::info!(url = %url, "serving on Telegram by webhook");
    } else {
        tracing::info!("serving on Telegram by long polling");
    }
    let _ = http_state.telegram.set(channel.clone());
    web_state.set_app(started.app.clone());
    // SIGINT/SIGTERM: stop taking updates, then up to 8 s for in-flight work, so the process is gone
    // within 10 s; anything unfinished is rolled back and redone after the next start.
    channel
        .run(webhook.is_some(), shutdown_signal(), Duration::from_secs(8))
        .await;
    let _ = http_stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(1), http_servers.join_all()).await;
    started.stop().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Starts the HTTP servers: the webhook and the web console (`web`) on HTTP_ADDR, and the operators'
/// endpoints (/healthz, /readyz, /metrics) on METRICS_ADDR when set, so they need not face the internet,
/// else beside them. Returns the switch that
/// stops them and the servers.
async fn serve_http(
    settings: &crate::config::TelegramSettings,
    state: &Arc<crate::channel::http::HttpState>,
    web: axum::Router,
) -> anyhow::Result<(
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinSet<std::io::Result<()>>,
)> {
    use crate::channel::http;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    let listen = |addr: std::net::SocketAddr, router: axum::Router, name: &'static str| {
        let mut stopped = stopped.clone();
        async move {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {name} {addr}"))?;
            let server = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            });
            anyhow::Ok(server.into_future())
        }
    };
    match settings.metrics_addr {
        Some(addr) => {
            servers
                .spawn(listen(addr, http::operator_router(state.clone()), "METRICS_ADDR").await?);
            let public = http::webhook_router(state.clone()).merge(web);
            servers.spawn(listen(settings.http_addr, public, "HTTP_ADDR").await?);
            tracing::info!(addr = %addr, "operator endpoints: /healthz /readyz /metrics");
            tracing::info!(addr = %settings.http_addr, "webhook and web console (/web/)");
        }
        None => {
            let all = http::router(state.clone()).merge(web);
            servers.spawn(listen(settings.http_addr, all, "HTTP_ADDR").await?);
            tracing::info!(addr = %settings.http_addr, "HTTP endpoints: /healthz /readyz /metrics /web/");
        }
    }
    Ok((stop, servers))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
