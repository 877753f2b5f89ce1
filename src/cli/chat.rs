//! `chat` and `dialogs check`: the console channel and script validation.

use super::*;
use crate::channel::{console, reload};
use crate::dialog::{Runtime, ScriptSet};
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

/// The search index (kept current) and the dialog runtime over it, with reload on SIGHUP and, when asked,
/// on file changes: what every channel starts from.
async fn start_runtime(
    pool: &sqlx::PgPool,
    dialogs: &std::path::Path,
    admins: Vec<i64>,
    watch: bool,
) -> anyhow::Result<(Arc<Runtime>, tokio::task::JoinHandle<()>)> {
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
    let runtime =
        Arc::new(Runtime::new(dialogs, pool.clone(), matcher, admins).map_err(invalid_scripts)?);
    reload::spawn_sighup(runtime.clone());
    if watch {
        reload::spawn_watch(runtime.clone(), dialogs.to_path_buf());
    }
    Ok((runtime, refresher))
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
    let (runtime, refresher) = start_runtime(&pool, &args.dialogs, admins, args.watch).await?;
    let interactive = std::io::stdin().is_terminal();
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    let mut out = std::io::stdout();
    console::run(
        &runtime,
        args.user,
        args.lang.as_deref(),
        input,
        &mut out,
        interactive,
    )
    .await
    .context("console I/O failed")?;
    refresher.abort();
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn serve(settings: &Settings, args: ServeArgs) -> anyhow::Result<ExitCode> {
    use crate::channel::telegram::Telegram;
    let Some(token) = settings.teloxide_token.clone() else {
        anyhow::bail!(
            "TELOXIDE_TOKEN is not set; get a token from @BotFather and put it in the environment or .env"
        );
    };
    check_scripts(&args.dialogs)?;
    let mut bot = teloxide::Bot::new(token);
    if let Some(url) = &settings.teloxide_api_url {
        let url = url
            .parse()
            .with_context(|| format!("TELOXIDE_API_URL `{url}` is not a URL"))?;
        bot = bot.set_api_url(url);
    }
    let pool = connect(settings).await?;
    let (runtime, refresher) = start_runtime(
        &pool,
        &args.dialogs,
        settings.admin_telegram_ids.clone(),
        args.watch,
    )
    .await?;
    tracing::info!("serving on Telegram");
    let telegram = Telegram::new(bot, pool, runtime);
    telegram.run(args.poll_timeout, shutdown_signal()).await;
    refresher.abort();
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
