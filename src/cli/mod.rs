//! The command line: one subcommand per operator task. Each command loads settings, connects (creating and
//! migrating the database as needed) and reports in plain sentences; `anyhow` lives only here.

use crate::catalog::generate::generate;
use crate::catalog::import::{ImportOptions, import_paths};
use crate::catalog::source::{Format, Kind};
use crate::catalog::store;
use crate::config::{
    Common, ConversationSettings, DenseSettings, DialogsDir, Retention, TelegramSettings,
};
pub use embed::EmbedArgs;

mod batch;
mod chat;
mod embed;
mod search;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sqlx::PgPool;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "queqiao",
    version,
    about = "鹊桥 Queqiao: match company technology needs with university patents"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the database if missing and apply pending migrations (every command also does this).
    Migrate,
    /// Import institutions and patents from JSON Lines or CSV files (all-or-nothing per file).
    Import(ImportArgs),
    /// Load the bundled demo catalogue (3,720 patents, 14 institutions) if the catalogue is empty.
    LoadDemo,
    /// Write a synthetic catalogue for benchmarks, grown from the demo patents' real abstracts.
    Generate(GenerateArgs),
    /// Measure matching quality (nDCG@10, Recall@10, MRR@10) on graded needs.
    Eval(EvalArgs),
    /// Find the patents that match a need, or answer a whole file of needs (--batch).
    Search(SearchArgs),
    /// Encode the patents with the optional sentence model, writing or updating its vectors file.
    Embed(EmbedArgs),
    /// Benchmark matching latency over a patents file (no database): p50, p99, build time, memory.
    BenchMatch(BenchMatchArgs),
    /// Talk to the bot in this terminal (the same dialogs as on Telegram).
    Chat(ChatArgs),
    /// Run the bot on Telegram (long polling, or webhook when WEBHOOK_URL is set).
    Serve(Box<ServeArgs>),
    /// Delete what is kept no longer (RETAIN_*_DAYS): handled updates, delivered messages' records, usage
    /// events, audit entries. Pending updates and messages, dead letters and enquiries always stay.
    Prune(PruneArgs),

    /// Usage statistics: needs, unmet needs and their words, results shown and opened, enquiries by
    /// status, acceptance rate, response times, top industries and institutions, feedback.
    Stats {
        /// Only from this day on (YYYY-MM-DD).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// Only this institution's figures.
        #[arg(long)]
        institution: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Issue a single-use invite code (valid 7 days) with which an institution's tech-transfer contact
    /// registers (`/register CODE` in the chat).
    Invite {
        /// The institution's name, exactly as in the catalogue.
        institution: String,
    },
    /// Work with the dialog scripts.
    Dialogs {
        #[command(subcommand)]
        command: DialogsCommand,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Long-polling timeout in seconds.
    #[arg(long, default_value_t = 25)]
    pub poll_timeout: u32,
    /// Reload the scripts whenever a file in the folder changes.
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub conversation: ConversationSettings,
    #[command(flatten)]
    pub telegram: TelegramSettings,
    #[command(flatten)]
    pub retention: Retention,
}

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// Only count what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub retention: Retention,
}

#[derive(Subcommand, Debug)]
pub enum DialogsCommand {
    /// Validate every script of a folder: prints FILE:LINE: problem for each error, exits non-zero if any.
    Check {
        /// Folder with bot.toml, the dialog files and synonyms.toml (default: DIALOGS_DIR, else ./dialogs
        /// when it exists, else the built-in set).
        dir: Option<PathBuf>,
        #[command(flatten)]
        dialogs: DialogsDir,
    },
    /// Write the dialog scripts built into the binary to a folder, for editing (then run with
    /// DIALOGS_DIR=DIR).
    Export {
        /// The folder to write to (created when missing).
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Debug)]
pub struct ChatArgs {
    /// Conversation (and user) id; the conversation survives restarts under this id.
    #[arg(long, default_value_t = 1)]
    pub user: i64,
    /// Language to talk in.
    #[arg(long, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    /// Load the bundled demo catalogue first if the catalogue is empty.
    #[arg(long)]
    pub demo: bool,
    /// Reload the scripts whenever a file in the folder changes.
    #[arg(long)]
    pub watch: bool,
    /// Let this console user run admin commands (/reload) even if not in ADMIN_TELEGRAM_IDS.
    #[arg(long)]
    pub admin: bool,
    #[command(flatten)]
    pub conversation: ConversationSettings,
}

/// Filters shared by `search` and its batch mode.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Only this industry (e.g. 先进材料).
    #[arg(long)]
    pub industry: Option<String>,
    /// Only institutions in this region (e.g. 重庆).
    #[arg(long)]
    pub region: Option<String>,
    /// Only this institution.
    #[arg(long)]
    pub institution: Option<String>,
    /// Only patents offered under this licence mode (open = 开放许可).
    #[arg(long, value_parser = ["transfer", "exclusive", "sole", "ordinary", "open"])]
    pub license: Option<String>,
    /// Only this legal status.
    #[arg(long, value_parser = ["granted", "pending", "lapsed"])]
    pub legal_status: Option<String>,
    /// Only this patent type.
    #[arg(long, value_parser = ["invention", "utility_model", "design"])]
    pub patent_type: Option<String>,
    /// Only patents whose asking price is at most this many yuan.
    #[arg(long)]
    pub max_price: Option<i64>,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The need, in free text (Chinese or English).
    #[arg(required_unless_present = "batch")]
    pub query: Option<String>,
    /// Answer every need of a file instead (JSON Lines or CSV, see docs/data-format.md).
    #[arg(long, conflicts_with = "query")]
    pub batch: Option<PathBuf>,
    /// Batch format (default: from the file name; .csv is CSV).
    #[arg(long, value_parser = ["jsonl", "csv"])]
    pub format: Option<String>,
    /// Results per need (1 to 1000).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub top: u16,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Search this patents file instead of the catalogue in the database.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Synonyms file (default: synonyms.toml of the dialog scripts, see DIALOGS_DIR).
    #[arg(long)]
    pub synonyms: Option<PathBuf>,
    #[command(flatten)]
    pub dialogs: DialogsDir,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub dense: DenseSettings,
}

#[derive(Args, Debug)]
pub struct BenchMatchArgs {
    /// Patents file (JSON Lines) to index.
    #[arg(long)]
    pub corpus: PathBuf,
    /// Needs file (JSON Lines with a "query" field).
    #[arg(long)]
    pub queries: PathBuf,
    /// Times each query is run.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Patents for the naive strsim scan baseline (it is slow; the ratio is per patent).
    #[arg(long, default_value_t = 100_000)]
    pub naive_limit: usize,
    /// Synonyms file (default: synonyms.toml of the dialog scripts, see DIALOGS_DIR).
    #[arg(long)]
    pub synonyms: Option<PathBuf>,
    #[command(flatten)]
    pub dialogs: DialogsDir,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Matching mechanisms `eval --off` can switch off.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// Homophone typo correction (pinyin).
    Homophones,
    /// English words to Chinese (general dictionary).
    Translation,
    /// Latin words read as pinyin (求jishu → 技术).
    Pinyin,
    /// Two-character words no patent contains scored by their characters (木屋 → 木, 屋).
    Fragments,
    /// Nouns no patent contains stood in for by their parts (广角镜头 → 镜头).
    Parts,
    /// The need's words weighed by how often patents list them as keywords (涂层 over 效率).
    Keyness,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Needs, JSON Lines: {"id": ..., "query": ...}.
    #[arg(long)]
    pub queries: PathBuf,
    /// Graded relevance, JSON Lines: {"id": ..., "relevant": {"CN...": 2, ...}}.
    #[arg(long)]
    pub qrels: PathBuf,
    /// Search this patents file instead of the catalogue in the database.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Synonyms file (default: synonyms.toml of the dialog scripts, see DIALOGS_DIR).
    #[arg(long)]
    pub synonyms: Option<PathBuf>,
    #[command(flatten)]
    pub dialogs: DialogsDir,
    /// More grades from a blind assessor (same format), for patents the shared grades never judged;
    /// reported apart from the shared set.
    #[arg(long)]
    pub extra_qrels: Option<PathBuf>,
    /// Needs the catalogue cannot serve (JSON Lines with "query"): report how many are told "no good
    /// match".
    #[arg(long)]
    pub unmatched: Option<PathBuf>,
    /// Switch a matching mechanism off, to measure what it adds (repeatable).
    #[arg(long, value_enum)]
    pub off: Vec<Mechanism>,
    /// Print each need's metrics and top results.
    #[arg(long)]
    pub verbose: bool,
    /// Print the metrics as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub dense: DenseSettings,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files to import: `.csv` is CSV, anything else JSON Lines; institutions files are imported first.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Import the valid records and write rejected ones, with reasons, to a rejects file.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Rejects file (default: FILE.rejects.jsonl beside each input).
    #[arg(long, requires = "skip_invalid")]
    pub rejects: Option<PathBuf>,
    /// Create institutions that patents name but the catalogue does not have yet.
    #[arg(long)]
    pub create_institutions: bool,
    /// What the files hold (detected from the first record when not given).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// File format (by default from the file name: .csv is CSV, anything else JSON Lines).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Print the reports as JSON instead of sentences.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of patents to write.
    #[arg(long)]
    pub count: usize,
    /// Output file (JSON Lines).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed catalogue (JSON Lines patents); the bundled demo catalogue by default.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Random seed; the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Report commands end quietly when their reader goes away (`queqiao search … | head`), as other Unix
/// tools do, instead of panicking on a closed stdout. Not `serve` or `chat`: a long-running process must
/// see a closed peer as an error to handle, never be killed by it.
fn end_quietly_when_stdout_closes() {
    #[cfg(unix)]
    // SAFETY: `signal` only sets the process-wide disposition of SIGPIPE back to the default; no handler
    // runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs one command; `Ok(FAILURE)` means the command ran and reported a problem (e.g. invalid records).
/// Long because it is the dispatcher: one short arm per command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Cli { common, command } = cli;
    if matches!(
        command,
        Command::Search(_)
            | Command::Eval(_)
            | Command::BenchMatch(_)
            | Command::Stats { .. }
            | Command::Prune(_)
    ) {
        end_quietly_when_stdout_closes();
    }
    // The console conversation shares the terminal with the logs: unless a filter was chosen, only
    // warnings and errors interleave with the chat (an index refresh is no news to a company).
    let filter = match command {
        Command::Chat(_) if common.rust_log == crate::config::DEFAULT_LOG_FILTER => "warn",
        _ => common.rust_log.as_str(),
    };
    crate::telemetry::init(common.log_format, filter);
    let settings = &common;
    match command {
        Command::Migrate => {
            connect(settings).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import(&connect(settings).await?, args).await,
        Command::LoadDemo => {
            let pool = connect(settings).await?;
            let reports = store::load_demo_if_empty(&pool).await?;
            if reports.is_empty() {
                println!("the catalogue already has patents; the demo catalogue was not loaded");
            }
            for r in reports {
                println!("{}", r.summary());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(args) => search::eval(settings, args).await,
        Command::Search(args) => search::search(settings, args).await,
        Command::Embed(args) => embed::embed(settings, args).await,
        Command::BenchMatch(args) => search::bench_match(args),
        Command::Chat(args) => chat::chat(settings, args).await,
        Command::Serve(args) => chat::serve(settings, *args).await,
        Command::Stats {
            since,
            institution,
            json,
        } => {
            let pool = connect(settings).await?;
            let stats = crate::operators::analytics::stats(&pool, since, institution.as_deref())
                .await
                .context("cannot compute the statistics")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                println!("{}", stats.render());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Invite { institution } => {
            let pool = connect(settings).await?;
            let mut conn = pool.acquire().await.context("cannot reach the database")?;
            match crate::enquiry::invites::invite(&mut conn, &institution, "cli", 7).await {
                Ok(code) => {
                    println!("{code}");
                    eprintln!(
                        "invite code for {institution}, valid 7 days, single use: the contact sends /register {code}"
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    if let crate::enquiry::EnquiryError::UnknownInstitution(_) = e {
                        let names = crate::catalog::store::institution_names(&mut conn).await?;
                        let like = crate::enquiry::invites::similar_names(&institution, names);
                        if !like.is_empty() {
                            eprintln!("did you mean: {}?", like.join(", "));
                        }
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Prune(args) => prune(&connect(settings).await?, args).await,
        Command::Dialogs { command } => chat::dialogs(command),
        Command::Generate(args) => {
            let seed = match &args.from {
                Some(path) => read_patents(path)?,
                None => parse_patents(store::DEMO_PATENTS, "demo catalogue")?,
            };
            let file = std::fs::File::create(&args.out)
                .with_context(|| format!("cannot create {}", args.out.display()))?;
            generate(&seed, args.count, args.seed, std::io::BufWriter::new(file))
                .with_context(|| format!("cannot write {}", args.out.display()))?;
            println!("wrote {} patents to {}", args.count, args.out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `prune`: one line per table with what it deleted (or would, with --dry-run).
async fn prune(pool: &PgPool, args: PruneArgs) -> anyhow::Result<ExitCode> {
    let pruned = crate::operators::retention::prune(pool, &args.retention, args.dry_run)
        .await
        .context("pruning stopped (what was deleted before stays deleted)")?;
    for p in pruned {
        println!("{}", p.line(args.dry_run));
    }
    Ok(ExitCode::SUCCESS)
}

/// Connects and migrates; the error is already one sentence saying what to check.
pub async fn connect(settings: &Common) -> anyhow::Result<PgPool> {
    Ok(crate::db::connect_and_migrate(settings.database_url.expose()).await?)
}

async fn import(pool: &PgPool, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let opts = ImportOptions {
        skip_invalid: args.skip_invalid,
        create_institutions: args.create_institutions,
        rejects_path: args.rejects,
        kind: args.kind,
        format: args.format,
        progress: std::io::stderr().is_terminal() && !args.json,
    };
    let reports = import_paths(pool, &args.files, &opts).await?;
    let mut failed = false;
    for r in &reports {
        if !args.json {
            for e in &r.errors {
                eprintln!("{e}");
            }
            if r.rejected as usize > r.errors.len().min(crate::catalog::import::MAX_SHOWN_ERRORS)
                && !r.errors.is_empty()
            {
                eprintln!("{}: ... {} rejected records in all", r.file, r.rejected);
            }
            println!("{}", r.summary());
        }
        failed |= !r.committed;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    if failed {
        eprintln!(
            "nothing was written from a file with invalid records; fix them, or pass --skip-invalid"
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn read_patents(
    path: &std::path::Path,
) -> anyhow::Result<Vec<crate::catalog::PatentRecord>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_patents(&text, &path.display().to_string())
}

fn parse_patents(text: &str, name: &str) -> anyhow::Result<Vec<crate::catalog::PatentRecord>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{name}:{}: not a patent record", i + 1))
        })
        .collect()
}
