//! Settings read from the environment (and `.env` when present): the one place that knows variable names
//! and defaults. Secrets are kept out of `Debug` output so they never reach a log line.

use std::fmt;

/// Default database when `DATABASE_URL` is not set: the local PostgreSQL of a development machine.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/queqiao";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A configuration value that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// Everything the process reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub teloxide_token: Option<String>,
    pub teloxide_api_url: Option<String>,
    pub admin_telegram_ids: Vec<i64>,
    pub log_format: LogFormat,
    /// Where `serve` listens for /healthz, /readyz, /metrics and the webhook.
    pub http_addr: std::net::SocketAddr,
    /// Public HTTPS URL Telegram pushes updates to; long polling when unset.
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// Where people reach this server from outside (the web console's links): `PUBLIC_URL`, or else
    /// `WEBHOOK_URL`'s origin; no trailing slash. Unset: `/web` says the console is not set up.
    pub public_url: Option<String>,
    pub send_per_second: u32,
    pub send_chat_interval_ms: u64,
    pub send_max_attempts: i32,
    pub workers: usize,
    /// Enquiries one company may open per day.
    pub enquiry_daily_cap: i64,
    /// New-match notices one company gets per week.
    pub push_weekly_cap: i64,
    /// Days a delivered lead waits for its contact's answer before the contact is reminded (once).
    pub lead_reminder_days: i64,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "teloxide_token",
                &self.teloxide_token.as_ref().map(|_| "<set>"),
            )
            .field("teloxide_api_url", &self.teloxide_api_url)
            .field("admin_telegram_ids", &self.admin_telegram_ids)
            .field("log_format", &self.log_format)
            .field("http_addr", &self.http_addr)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<set>"),
            )
            .field("public_url", &self.public_url)
            .field("send_per_second", &self.send_per_second)
            .field("send_chat_interval_ms", &self.send_chat_interval_ms)
            .field("send_max_attempts", &self.send_max_attempts)
            .field("workers", &self.workers)
            .field("enquiry_daily_cap", &self.enquiry_daily_cap)
            .field("push_weekly_cap", &self.push_weekly_cap)
            .field("lead_reminder_days", &self.lead_reminder_days)
            .finish()
    }
}

impl Settings {
    /// Reads `.env` (if any) and then the process environment; the environment wins.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case in production; a malformed one is worth a warning, not a stop.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            eprintln!("warning: .env could not be read: {e}");
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any lookup function, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let log_format = match non_empty("LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError {
                    name: "LOG_FORMAT",
                    reason: format!("`{other}` is not one of: text, json"),
                });
            }
        };
        let admin_telegram_ids = match non_empty("ADMIN_TELEGRAM_IDS") {
            None => Vec::new(),
            Some(list) => parse_id_list(&list).map_err(|reason| ConfigError {
                name: "ADMIN_TELEGRAM_IDS",
                reason,
            })?,
        };
        let webhook_url = non_empty("WEBHOOK_URL");
        let webhook_secret = non_empty("WEBHOOK_SECRET");
        if let Some(secret) = &webhook_secret
            && (secret.len() > 256
                || !secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return Err(ConfigError {
                name: "WEBHOOK_SECRET",
                reason: "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
                    .into(),
            });
        }
        if let Some(url) = &webhook_url {
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(ConfigError {
                    name: "WEBHOOK_URL",
                    reason: format!("`{url}` is not an http(s) URL"),
                });
            }
            if webhook_secret.is_none() {
                return Err(ConfigError {
                    name: "WEBHOOK_SECRET",
                    reason: "is required with WEBHOOK_URL, so only Telegram can post updates (e.g. the output of `openssl rand -hex 32`)".into(),
                });
            }
        }
        let public_url = public_url(non_empty("PUBLIC_URL"), webhook_url.as_deref())?;
        Ok(Self {
            public_url,
            http_addr: parse_or(
                "HTTP_ADDR",
                &get,
                std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            webhook_url,
            webhook_secret,
            send_per_second: parse_or("SEND_PER_SECOND", &get, 30)?,
            send_chat_interval_ms: parse_or("SEND_CHAT_INTERVAL_MS", &get, 1000)?,
            send_max_attempts: parse_or("SEND_MAX_ATTEMPTS", &get, 8)?,
            workers: parse_or("WORKERS", &get, 4)?,
            enquiry_daily_cap: parse_or("ENQUIRY_DAILY_CAP", &get, 10)?,
            push_weekly_cap: parse_or("PUSH_WEEKLY_CAP", &get, 5)?,
            lead_reminder_days: parse_or("LEAD_REMINDER_DAYS", &get, 3)?,
            database_url: non_empty("DATABASE_URL")
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            teloxide_token: non_empty("TELOXIDE_TOKEN"),
            teloxide_api_url: non_empty("TELOXIDE_API_URL"),
            admin_telegram_ids,
            log_format,
        })
    }
}

/// `PUBLIC_URL` when set (an http(s) URL, kept without its trailing slash), else the scheme, host and
/// port of `WEBHOOK_URL`: the console is served by the same process behind the same proxy.
fn public_url(set: Option<String>, webhook: Option<&str>) -> Result<Option<String>, ConfigError> {
    if let Some(url) = set {
        let url = url.trim().trim_end_matches('/').to_owned();
        return match url::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(Some(url)),
            _ => Err(ConfigError {
                name: "PUBLIC_URL",
                reason: format!("`{url}` is not an http(s) URL (e.g. https://bot.example.com)"),
            }),
        };
    }
    Ok(webhook
        .and_then(|w| url::Url::parse(w).ok())
        .filter(|u| u.host().is_some())
        .map(|u| u.origin().ascii_serialization()))
}

/// A typed variable with a default; a value that does not parse is an error naming the variable.
fn parse_or<T: std::str::FromStr>(
    name: &'static str,
    get: &impl Fn(&str) -> Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError {
            name,
            reason: format!("`{v}` is not a valid value"),
        }),
    }
}

fn parse_id_list(list: &str) -> Result<Vec<i64>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                format!("`{s}` is not a numeric Telegram user id (expected e.g. 12345,67890)")
            })
        })
        .collect()
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
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_unset() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.log_format, LogFormat::Text);
        assert!(s.admin_telegram_ids.is_empty());
    }

    #[test]
    fn admin_ids_are_parsed_and_bad_ones_named() {
        let s = settings(&[("ADMIN_TELEGRAM_IDS", "12, 34")]).unwrap();
        assert_eq!(s.admin_telegram_ids, vec![12, 34]);
        let err = settings(&[("ADMIN_TELEGRAM_IDS", "12,bob")]).unwrap_err();
        assert!(err.to_string().contains("ADMIN_TELEGRAM_IDS") && err.to_string().contains("bob"));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let s = settings(&[
            ("TELOXIDE_TOKEN", "123:SECRET"),
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn webhook_needs_a_wellformed_secret_and_numbers_are_checked() {
        let err = settings(&[("WEBHOOK_URL", "https://bot.example.com/tg")]).unwrap_err();
        assert_eq!(err.name, "WEBHOOK_SECRET");
        let err = settings(&[
            ("WEBHOOK_URL", "https://bot.example.com/tg"),
            ("WEBHOOK_SECRET", "no spaces please"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "WEBHOOK_SECRET");
        let ok = settings(&[
            ("WEBHOOK_URL", "https://bot.example.com/tg"),
            ("WEBHOOK_SECRET", "s3cret_-X"),
        ])
        .unwrap();
        assert!(!format!("{ok:?}").contains("s3cret"));
        let err = settings(&[("SEND_PER_SECOND", "fast")]).unwrap_err();
        assert!(err.to_string().contains("SEND_PER_SECOND") && err.to_string().contains("fast"));
        assert_eq!(settings(&[]).unwrap().http_addr.port(), 8080);
    }

    #[test]
    fn public_url_is_set_or_the_webhooks_origin() {
        assert_eq!(settings(&[]).unwrap().public_url, None);
        let s = settings(&[
            ("WEBHOOK_URL", "https://bot.example.com:8443/telegram/x"),
            ("WEBHOOK_SECRET", "s"),
        ])
        .unwrap();
        assert_eq!(
            s.public_url.as_deref(),
            Some("https://bot.example.com:8443")
        );
        let s = settings(&[("PUBLIC_URL", "https://console.example.com/")]).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://console.example.com"));
        let err = settings(&[("PUBLIC_URL", "console.example.com")]).unwrap_err();
        assert_eq!(err.name, "PUBLIC_URL");
    }

    #[test]
    fn unknown_log_format_is_rejected() {
        assert!(
            settings(&[("LOG_FORMAT", "xml")])
                .unwrap_err()
                .to_string()
                .contains("xml")
        );
    }
}
