//! The Telegram channel: long polling with a durable inbox. Each update is written to PostgreSQL before
//! the next `getUpdates` call confirms it to Telegram, then processed from the table, so an update that
//! arrived is never lost. Replies become plain-text messages with inline keyboards; button presses come
//! back as callback data that the engine checks against the user's own conversation.

use crate::dialog::engine::Button;
use crate::dialog::{Incoming, Reply, Runtime};
use sqlx::PgPool;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, UpdateKind};

/// The conversation channel name stored with the state.
pub const CHANNEL: &str = "telegram";
/// Telegram's limit on one message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Telegram's limit on callback data, in bytes.
const MAX_CALLBACK_BYTES: usize = 64;

/// Why a round of polling or processing failed (logged; the loop goes on).
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("Bot API request failed: {0}")]
    Api(#[from] teloxide::RequestError),
    #[error("inbox: {0}")]
    Store(#[from] sqlx::Error),
}

/// What the bot understood of an update; this is what the inbox stores.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inbound {
    pub chat_id: i64,
    pub user_id: i64,
    pub incoming: Incoming,
    /// Set for button presses, which Telegram wants answered.
    pub callback_id: Option<String>,
}

/// Turns an update into a message for the runtime; other kinds (edits, joins, photos...) are ignored.
pub fn inbound(update: &Update) -> Option<Inbound> {
    match &update.kind {
        UpdateKind::Message(m) => Some(Inbound {
            chat_id: m.chat.id.0,
            user_id: m
                .from
                .as_ref()
                .map(|u| u.id.0 as i64)
                .unwrap_or(m.chat.id.0),
            incoming: Incoming::Text(m.text()?.to_owned()),
            callback_id: None,
        }),
        UpdateKind::CallbackQuery(q) => Some(Inbound {
            chat_id: q
                .message
                .as_ref()
                .map(|m| m.chat().id.0)
                .unwrap_or(q.from.id.0 as i64),
            user_id: q.from.id.0 as i64,
            incoming: Incoming::Choice(q.data.clone()?),
            callback_id: Some(q.id.0.clone()),
        }),
        _ => None,
    }
}

/// Splits a text into messages Telegram accepts, at line breaks where possible.
pub fn split_message(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split_inclusive('\n') {
        let line_len = line.chars().count();
        if len + line_len > MAX_MESSAGE_CHARS && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
            len = 0;
        }
        if line_len > MAX_MESSAGE_CHARS {
            // A single line longer than a message: cut it by characters.
            let chars: Vec<char> = line.chars().collect();
            for chunk in chars.chunks(MAX_MESSAGE_CHARS) {
                parts.push(chunk.iter().collect());
            }
            continue;
        }
        current.push_str(line);
        len += line_len;
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

fn keyboard(buttons: &[Button]) -> Option<InlineKeyboardMarkup> {
    if buttons.is_empty() {
        return None;
    }
    let rows = buttons
        .iter()
        .filter(|b| b.id.len() <= MAX_CALLBACK_BYTES)
        .map(|b| {
            vec![InlineKeyboardButton::callback(
                b.label.clone(),
                b.id.clone(),
            )]
        });
    Some(InlineKeyboardMarkup::new(rows))
}

/// A reply as Telegram messages: texts, the last one carrying the buttons.
pub fn render(reply: &Reply) -> Vec<(String, Option<InlineKeyboardMarkup>)> {
    let mut parts: Vec<(String, Option<InlineKeyboardMarkup>)> = split_message(&reply.plain_text())
        .into_iter()
        .map(|t| (t, None))
        .collect();
    if let Some(last) = parts.last_mut() {
        last.1 = keyboard(reply.buttons());
    }
    parts
}

/// The channel: a Bot API client, the inbox and the dialog runtime.
pub struct Telegram {
    bot: Bot,
    pool: PgPool,
    runtime: Arc<Runtime>,
}

impl Telegram {
    pub fn new(bot: Bot, pool: PgPool, runtime: Arc<Runtime>) -> Self {
        Self { bot, pool, runtime }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// One long-polling round: fetches updates after `offset`, stores them, and returns the next offset.
    /// Telegram forgets an update only when a later call passes an offset above it, which happens only
    /// after it was stored.
    pub async fn poll_once(&self, offset: i32, timeout_secs: u32) -> Result<i32, TelegramError> {
        let updates = self
            .bot
            .get_updates()
            .offset(offset)
            .timeout(timeout_secs)
            .await?;
        let mut next = offset;
        for update in &updates {
            // The inbox keeps what the bot understood of the update (null for kinds it ignores): it is
            // all processing needs, and it reads back exactly, unlike a re-serialised teloxide Update.
            let payload = serde_json::to_value(inbound(update)).unwrap_or(serde_json::Value::Null);
            sqlx::query("INSERT INTO telegram_updates (update_id, payload) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(update.id.0 as i64)
                .bind(sqlx::types::Json(payload))
                .execute(&self.pool)
                .await?;
            next = next.max(update.id.0 as i32 + 1);
        }
        Ok(next)
    }

    /// Where polling resumes after a restart: past the newest stored update.
    pub async fn resume_offset(&self) -> Result<i32, TelegramError> {
        let max: Option<i64> = sqlx::query_scalar("SELECT max(update_id) FROM telegram_updates")
            .fetch_one(&self.pool)
            .await?;
        Ok(max.map(|m| m as i32 + 1).unwrap_or(0))
    }

    /// Processes stored updates in order until none is pending; returns how many were handled.
    pub async fn process_pending(&self) -> Result<usize, TelegramError> {
        let mut handled = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let row: Option<(i64, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
                "SELECT update_id, payload FROM telegram_updates WHERE processed_at IS NULL
                 ORDER BY update_id LIMIT 1 FOR UPDATE SKIP LOCKED",
            )
            .fetch_optional(&mut *tx)
            .await?;
            let Some((update_id, payload)) = row else {
                return Ok(handled);
            };
            let outcome = match serde_json::from_value::<Option<Inbound>>(payload.0) {
                Ok(Some(inbound)) => self.handle(inbound).await,
                Ok(None) => Ok(()),
                Err(e) => Err(format!("unreadable inbox entry: {e}")),
            };
            let error = outcome.err();
            if let Some(e) = &error {
                tracing::error!(update_id, error = %e, "update could not be handled");
            }
            sqlx::query(
                "UPDATE telegram_updates SET processed_at = now(), attempts = attempts + 1, last_error = $2
                 WHERE update_id = $1",
            )
            .bind(update_id)
            .bind(error)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            handled += 1;
        }
    }

    /// Publishes the command menu in Chinese (default) and English.
    pub async fn set_commands(&self) -> Result<(), TelegramError> {
        use teloxide::types::BotCommand;
        let menu = |lang: &str| -> Vec<BotCommand> {
            let zh = lang == "zh";
            [
                ("start", if zh { "重新开始" } else { "Start over" }),
                ("help", if zh { "帮助" } else { "Help" }),
                (
                    "lang",
                    if zh {
                        "切换语言"
                    } else {
                        "Switch language"
                    },
                ),
                ("cancel", if zh { "取消" } else { "Cancel" }),
            ]
            .into_iter()
            .map(|(c, d)| BotCommand::new(c, d))
            .collect()
        };
        self.bot.set_my_commands(menu("zh")).await?;
        self.bot
            .set_my_commands(menu("en"))
            .language_code("en")
            .await?;
        Ok(())
    }

    /// Polls and processes until `shutdown` resolves; errors are logged and retried with backoff.
    pub async fn run(&self, poll_timeout: u32, shutdown: impl std::future::Future<Output = ()>) {
        if let Err(e) = self.set_commands().await {
            tracing::warn!(error = %e, "cannot set the command menu");
        }
        tokio::pin!(shutdown);
        let mut offset = self.resume_offset().await.unwrap_or(0);
        let mut backoff = std::time::Duration::from_millis(500);
        loop {
            // Whatever was stored but not processed (a crash, a restart) goes first.
            if let Err(e) = self.process_pending().await {
                tracing::error!(error = %e, "processing stored updates failed");
            }
            let round = tokio::select! {
                _ = &mut shutdown => break,
                r = self.poll_once(offset, poll_timeout) => r,
            };
            match round {
                Ok(next) => {
                    offset = next;
                    backoff = std::time::Duration::from_millis(500);
                }
                Err(TelegramError::Api(teloxide::RequestError::RetryAfter(wait))) => {
                    tokio::time::sleep(wait.duration()).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "polling failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(30));
                }
            }
        }
        tracing::info!("stopped taking updates");
    }

    async fn handle(&self, inbound: Inbound) -> Result<(), String> {
        if let Some(id) = &inbound.callback_id {
            // Stops the button's spinner; failing to do so costs nothing but looks.
            let _ = self
                .bot
                .answer_callback_query(teloxide::types::CallbackQueryId(id.clone()))
                .await;
        }
        let replies = self
            .runtime
            .handle(CHANNEL, inbound.chat_id, inbound.user_id, inbound.incoming)
            .await;
        for reply in &replies {
            for (text, markup) in render(reply) {
                let mut request = self.bot.send_message(ChatId(inbound.chat_id), text);
                if let Some(m) = markup {
                    request = request.reply_markup(m);
                }
                request
                    .await
                    .map_err(|e| format!("sendMessage failed: {e}"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_entries_read_back() {
        let entry = Inbound {
            chat_id: -100,
            user_id: 7,
            incoming: Incoming::Choice("open:1".into()),
            callback_id: Some("q".into()),
        };
        let stored = serde_json::to_value(Some(&entry)).unwrap();
        assert_eq!(
            serde_json::from_value::<Option<Inbound>>(stored).unwrap(),
            Some(entry)
        );
    }

    #[test]
    fn long_messages_are_split_under_the_limit() {
        let text = format!("{}\n{}", "长".repeat(3000), "短".repeat(3000));
        let parts = split_message(&text);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_MESSAGE_CHARS));
        let one_line = "字".repeat(10_000);
        let parts = split_message(&one_line);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one_line);
    }

    #[test]
    fn updates_become_inbound_messages() {
        let message: Update = serde_json::from_str(
            r#"{"update_id": 7, "message": {"message_id": 1, "date": 0,
                "chat": {"id": 100, "type": "private", "first_name": "A"},
                "from": {"id": 100, "is_bot": false, "first_name": "A"}, "text": "/start"}}"#,
        )
        .unwrap();
        let got = inbound(&message).unwrap();
        assert_eq!(
            (got.chat_id, got.user_id, got.incoming),
            (100, 100, Incoming::Text("/start".into()))
        );
        let callback: Update = serde_json::from_str(
            r#"{"update_id": 8, "callback_query": {"id": "q1", "chat_instance": "c",
                "from": {"id": 100, "is_bot": false, "first_name": "A"}, "data": "c:zh",
                "message": {"message_id": 2, "date": 0, "chat": {"id": 100, "type": "private", "first_name": "A"}, "text": "?"}}}"#,
        )
        .unwrap();
        let got = inbound(&callback).unwrap();
        assert_eq!(got.incoming, Incoming::Choice("c:zh".into()));
        assert_eq!(got.callback_id.as_deref(), Some("q1"));
    }
}
