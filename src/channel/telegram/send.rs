//! The sending side: senders deliver the outbox within Telegram's rate limits, one chat's messages in
//! order, retrying 429s, 5xx and network errors with backoff and giving up on what a retry cannot fix.

use super::convert::{keyboard, split_message};
use super::{CHANNEL, Telegram, TelegramError};
use crate::metrics::Metrics;
use crate::outbox::{self, Message};
use std::sync::Arc;
use std::time::Duration;
use teloxide::RequestError;
use teloxide::prelude::*;
use tokio::sync::watch;

/// What happened to one outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Delivered,
    Retry,
    Dead,
}

impl Telegram {
    /// Delivers the oldest due message of a chat the rate limits allow; `None` when there is none.
    pub async fn send_one(&self) -> Result<Option<Sent>, TelegramError> {
        // The overall slot is taken before claiming, so no sender holds a row (and a connection) while it
        // waits; chats that sent too recently are skipped by the claim itself.
        self.throttle.acquire_global().await;
        let mut tx = self.pool.begin().await?;
        let busy = self.throttle.busy_chats();
        let Some(claimed) = outbox::claim(&mut tx, CHANNEL, &busy).await? else {
            return Ok(None);
        };
        self.throttle.acquire_chat(claimed.chat_id).await;
        let result = self.deliver(&claimed.message, claimed.chat_id).await;
        let sent = match result {
            Ok(()) => {
                outbox::mark_sent(&mut tx, claimed.id).await?;
                self.runtime
                    .on_delivered(&mut tx, claimed.enquiry_id)
                    .await?;
                Metrics::inc(&self.metrics.messages_sent);
                Sent::Delivered
            }
            Err(e) => {
                let attempt = claimed.attempts + 1;
                let retry = retry_delay(&e, attempt, self.options.max_attempts);
                tracing::warn!(outbox_id = claimed.id, chat_id = claimed.chat_id, attempt, error = %e,
                    retry_in_ms = retry.map(|d| d.as_millis() as u64), "send failed");
                outbox::mark_failed(&mut tx, claimed.id, &e.to_string(), retry).await?;
                match retry {
                    Some(_) => {
                        Metrics::inc(&self.metrics.send_retries);
                        Sent::Retry
                    }
                    None => {
                        Metrics::inc(&self.metrics.dead_letters);
                        self.runtime
                            .on_dead_letter(&mut tx, claimed.enquiry_id)
                            .await?;
                        Sent::Dead
                    }
                }
            }
        };
        tx.commit().await?;
        Ok(Some(sent))
    }

    /// Sends until nothing is due; returns what happened to each message (for tests and tools).
    pub async fn send_pending(&self) -> Result<Vec<Sent>, TelegramError> {
        let mut all = Vec::new();
        while let Some(sent) = self.send_one().await? {
            all.push(sent);
        }
        Ok(all)
    }

    async fn deliver(&self, message: &Message, chat_id: i64) -> Result<(), RequestError> {
        let parts = split_message(&message.text);
        let count = parts.len();
        for (i, text) in parts.into_iter().enumerate() {
            let mut request = self.bot.send_message(ChatId(chat_id), text);
            if i + 1 == count
                && let Some(markup) = keyboard(&message.buttons)
            {
                request = request.reply_markup(markup);
            }
            request.await?;
        }
        Ok(())
    }

    pub(super) async fn send_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.send_one().await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "outbox delivery failed; retrying"),
            }
            let idle = if self.throttle.busy_chats().is_empty() {
                Duration::from_secs(1)
            } else {
                Duration::from_millis(100)
            };
            tokio::select! {
                _ = self.mail.notified() => {}
                _ = stop.changed() => {}
                _ = tokio::time::sleep(idle) => {}
            }
        }
    }
}

/// When to try a failed send again (`None`: give up). Telegram's `retry_after` is obeyed; errors that a
/// retry cannot fix (the user blocked the bot, the chat is gone) are given up at once; others back off
/// exponentially with jitter, so many senders do not retry in step.
pub fn retry_delay(error: &RequestError, attempt: i32, max_attempts: i32) -> Option<Duration> {
    use teloxide::ApiError;
    if attempt >= max_attempts {
        return None;
    }
    match error {
        RequestError::RetryAfter(wait) => Some(wait.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots,
        )
        | RequestError::MigrateToChatId(_) => None,
        _ => {
            let base =
                Duration::from_millis(500) * 2u32.saturating_pow(attempt.clamp(0, 12) as u32);
            let jitter = 0.5 + rand::random::<f64>();
            Some(base.min(Duration::from_secs(600)).mul_f64(jitter))
        }
    }
}
