//! `chat` and `dialogs check`: the console channel and script validation.

use super::*;
use crate::app::{App, tasks};
use crate::channel::console;
use crate::dialog::ScriptSet;
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
fn check_scripts(dir: &std::path::Path) -> anyhow::Result<()> {
    ScriptSet::load(dir).map(|_| ()).map_err(invalid_scripts)
}

pub(super) fn check(dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    match ScriptSet::load(dir) {
        Ok(set) => println!(
            "{}: {} dialogs, languages {}: ok",
            dir.display(),
            set.dialogs.len(),
            set.languages.join(", ")
        ),
        Err(errors) => {
            eprintln!("{}", script_errors(&errors));
            failed = true;
        }
    }
    let synonyms = dir.join("synonyms.toml");
    if synonyms.exists() {
        match crate::matching::Synonyms::load(&synonyms) {
            Ok(s) => println!("{}: {} lay terms: ok", synonyms.display(), s.len()),
            Err(errors) => {
                for e in errors {
                    eprintln!("{e}");
                }
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
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
    settings: &Settings,
    pool: &sqlx::PgPool,
    dialogs: &std::path::Path,
    admins: Vec<i64>,
    admin_channel: &str,
    watch: bool,
) -> anyhow::Result<Started> {
    let synonyms_path = dialogs.join("synonyms.toml");
    let synonyms = search::load_synonyms(Some(synonyms_path.as_path()).filter(|p| p.exists()))?;
    let matcher = Arc::new(
        Matcher::load(pool, synonyms)
            .await
            .context("cannot build the search index from the catalogue")?,
    );
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
        public_url: settings.public_url.clone(),
    };
    let app = Arc::new(
        App::new(dialogs, pool.clone(), matcher, admins)
            .map_err(invalid_scripts)?
            .with_settings(app_settings),
    );
    let (stop, shutdown) = tasks::shutdown();
    let tasks = tasks::spawn_all(&app, watch.then(|| dialogs.to_path_buf()), &shutdown);
    Ok(Started {
        app,
        refresher,
        stop,
        tasks,
    })
}

pub(super) async fn chat(settings: &Settings, args: ChatArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    check_scripts(&args.dialogs)?;
    let pool = connect(settings).await?;
    if args.demo {
        for report in crate::catalog::store::load_demo_if_empty(&pool).await? {
            eprintln!("{}", report.summary());
        }
    }
    let mut admins = settings.admin_telegram_ids.clone();
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
        settings,
        &pool,
        &args.dialogs,
        admins,
        admin_channel,
        args.watch,
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

pub(super) async fn serve(settings: &Settings, args: ServeArgs) -> anyhow::Result<ExitCode> {
    use crate::channel::http::{self, HttpState};
    use crate::channel::telegram::{self, Options, Telegram};
    use crate::channel::throttle::Limits;
    use std::time::Duration;
    let Some(token) = settings.teloxide_token.clone() else {
        anyhow::bail!(
            "TELOXIDE_TOKEN is not set; get a token from @BotFather and put it in the environment or .env"
        );
    };
    check_scripts(&args.dialogs)?;
    let api_url = match &settings.teloxide_api_url {
        Some(url) => Some(
            url.parse::<url::Url>()
                .with_context(|| format!("TELOXIDE_API_URL `{url}` is not a URL"))?,
        ),
        None => None,
    };
    let webhook = match (&settings.webhook_url, &settings.webhook_secret) {
        (Some(url), Some(secret)) => {
            let path = url
                .parse::<url::Url>()
                .with_context(|| format!("WEBHOOK_URL `{url}` is not a URL"))?
                .path()
                .to_owned();
            Some((path, secret.clone()))
        }
        _ => None,
    };
    // Health and metrics answer from the first second; readiness waits for the index and the scripts.
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let http_state = HttpState::new(metrics.clone(), webhook.clone());
    let web_state = crate::web::WebState::new(settings.public_url.as_deref());
    let listener = tokio::net::TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("cannot listen on HTTP_ADDR {}", settings.http_addr))?;
    tracing::info!(addr = %settings.http_addr, "HTTP endpoints: /healthz /readyz /metrics /web/");
    let (http_stop, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http_server = tokio::spawn(
        axum::serve(
            listener,
            http::router(http_state.clone()).merge(crate::web::router(web_state.clone())),
        )
        .with_graceful_shutdown(async {
            let _ = http_stopped.await;
        })
        .into_future(),
    );

    let pool = connect(settings).await?;
    let started = start_runtime(
        settings,
        &pool,
        &args.dialogs,
        settings.admin_telegram_ids.clone(),
        telegram::CHANNEL,
        args.watch,
    )
    .await?;
    let options = Options {
        workers: settings.workers.max(1),
        limits: Limits {
            per_second: settings.send_per_second.max(1),
            per_chat_interval: Duration::from_millis(settings.send_chat_interval_ms),
        },
        max_attempts: settings.send_max_attempts.max(1),
        poll_timeout: args.poll_timeout,
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
            .set_webhook(url, secret)
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
    let _ = http_stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(1), http_server).await;
    started.stop().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
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
