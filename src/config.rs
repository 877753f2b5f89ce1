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
        Ok(Self {
            database_url: non_empty("DATABASE_URL")
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            teloxide_token: non_empty("TELOXIDE_TOKEN"),
            teloxide_api_url: non_empty("TELOXIDE_API_URL"),
            admin_telegram_ids,
            log_format,
        })
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
    fn unknown_log_format_is_rejected() {
        assert!(
            settings(&[("LOG_FORMAT", "xml")])
                .unwrap_err()
                .to_string()
                .contains("xml")
        );
    }
}
