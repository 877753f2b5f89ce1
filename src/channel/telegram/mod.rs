//! The Telegram channel. Updates arrive by long polling or webhook and are written to PostgreSQL before
//! Telegram is told they arrived; workers then take each chat's oldest pending update and, in one
//! transaction, run the dialog, save the state, queue the replies in the outbox and mark the update
//! handled, so a crash at any point leaves the update either untouched or wholly done. Senders deliver the
//! outbox within Telegram's rate limits, retrying 429s, 5xx and network errors with backoff.
//!
//! - `convert`: Telegram's types to the application's and back (inbound updates, messages, keyboards).
//! - `send`: the senders and their retry rule.
//! - `tests`: the channel's own tests (a panicking handler, splitting, reading updates).

mod convert;
mod send;

pub use convert::{Inbound, MAX_MESSAGE_CHARS, inbound, messages, split_message, take_answer};
pub use send::{Sent, retry_delay};

use super::quarantine::Tries;
use super::throttle::{Limits, Throttle};
use crate::app::App;
use crate::inbox;
use crate::metrics::Metrics;
use crate::outbox::{self, Message};
use futures::FutureExt;
use sqlx::{PgConnection, PgPool};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use teloxide::RequestError;
use teloxide::prelude::*;
use tokio::sync::{Notify, watch};

/// The conversation channel name stored with the state.
pub const CHANNEL: &str = "telegram";

/// Why a round of polling or processing failed (logged; the loop goes on).
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("Bot API request failed: {0}")]
    Api(#[from] teloxide::RequestError),
    #[error("inbox or outbox: {0}")]
    Store(#[from] sqlx::Error),
    #[error("{0}")]
    Config(String),
}

/// How the channel works; [`Options::default`] follows Telegram's published limits.
#[derive(Debug, Clone)]
pub struct Options {
    /// Workers handling updates (different chats in parallel, one chat in order).
    pub workers: usize,
    /// Workers delivering the outbox. Two keep up with 30 messages/s; more only add claim queries
    /// competing with the workers for the database (measured in `benches/telegram.rs`).
    pub senders: usize,
    pub limits: Limits,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: i32,
    /// Long-polling timeout in seconds.
    pub poll_timeout: u32,
    /// Tries at storing or handling an update before it is parked and the bot moves on.
    pub update_max_attempts: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            workers: 4,
            senders: 2,
            limits: Limits::default(),
            max_attempts: 8,
            poll_timeout: 25,
            update_max_attempts: 5,
        }
    }
}

/// The channel: Bot API clients, the inbox, the outbox and the dialog runtime.
pub struct Telegram {
    bot: Bot,
    poll_bot: Bot,
    pool: PgPool,
    runtime: Arc<App>,
    metrics: Arc<Metrics>,
    throttle: Throttle,
    options: Options,
    work: Notify,
    mail: Notify,
    /// Updates that failed to be stored, with their tries.
    store_tries: Tries,
}

/// A Bot API client whose requests give up after `timeout` (long polls need more than sends).
pub fn client(
    token: &str,
    api_url: Option<&url::Url>,
    timeout: Duration,
) -> Result<Bot, TelegramError> {
    let http = teloxide::net::default_reqwest_settings()
        .timeout(timeout)
        .build()
        .map_err(|e| TelegramError::Config(format!("cannot build the HTTP client: {e}")))?;
    let bot = Bot::with_client(token, http);
    Ok(match api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    })
}

impl Telegram {
    /// A channel with default options, sending and polling through `bot`.
    pub fn new(bot: Bot, pool: PgPool, runtime: Arc<App>) -> Self {
        Self::with_options(
            bot.clone(),
            bot,
            pool,
            runtime,
            Options::default(),
            Arc::default(),
        )
    }

    pub fn with_options(
        bot: Bot,
        poll_bot: Bot,
        pool: PgPool,
        runtime: Arc<App>,
        options: Options,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            bot,
            poll_bot,
            pool,
            runtime,
            metrics,
            throttle: Throttle::new(options.limits),
            store_tries: Tries::new(options.update_max_attempts),
            options,
            work: Notify::new(),
            mail: Notify::new(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn runtime(&self) -> &Arc<App> {
        &self.runtime
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Stores an update in the inbox (once per update_id) and wakes a worker; true if it was new.
    pub async fn store_update(&self, update: &Update) -> Result<bool, TelegramError> {
        Ok(self.store_updates(std::slice::from_ref(update)).await? == 1)
    }

    /// Stores a batch of updates in one transaction (one disk flush, not one per update); returns how
    /// many were new. When the database refuses the batch, the updates are stored one by one, so one that
    /// cannot be stored holds back no other; it fails the call (the caller tries again) until it has had
    /// its tries, and is then parked.
    pub async fn store_updates(&self, updates: &[Update]) -> Result<u64, TelegramError> {
        if updates.is_empty() {
            return Ok(0);
        }
        let inserted = match self.store_batch(updates).await {
            Ok(n) => n,
            Err(e) if updates.len() == 1 => {
                self.park_if_tried(&updates[0], e).await?;
                0
            }
            Err(e) => {
                tracing::warn!(error = %e, "a batch of updates could not be stored; storing one by one");
                let mut inserted = 0;
                let mut unparked = None;
                for update in updates {
                    match self.store_batch(std::slice::from_ref(update)).await {
                        Ok(n) => inserted += n,
                        Err(e) => {
                            if let Err(e) = self.park_if_tried(update, e).await {
                                unparked.get_or_insert(e);
                            }
                        }
                    }
                }
                if inserted > 0 {
                    self.wake_workers(inserted);
                }
                return unparked.map_or(Ok(inserted), Err);
            }
        };
        if inserted > 0 {
            self.wake_workers(inserted);
        }
        Ok(inserted)
    }

    async fn store_batch(&self, updates: &[Update]) -> Result<u64, TelegramError> {
        let mut ids = Vec::with_capacity(updates.len());
        let mut chats = Vec::with_capacity(updates.len());
        let mut payloads = Vec::with_capacity(updates.len());
        for update in updates {
            // The inbox keeps what the bot understood of the update (null for kinds it ignores): it is
            // all processing needs, and it reads back exactly, unlike a re-serialised teloxide Update.
            let understood = inbound(update);
            ids.push(update.id.0 as i64);
            chats.push(understood.as_ref().map(|i| i.chat_id));
            payloads.push(serde_json::to_value(understood).unwrap_or(serde_json::Value::Null));
        }
        let inserted = inbox::store(&self.pool, &ids, &chats, &payloads).await?;
        self.store_tries.forget(&ids);
        Ok(inserted)
    }

    fn wake_workers(&self, inserted: u64) {
        self.metrics
            .updates_received
            .fetch_add(inserted, std::sync::atomic::Ordering::Relaxed);
        self.work.notify_waiters();
        self.work.notify_one();
    }

    /// Counts a failed try at storing `update`; once it has had its tries, parks its raw bytes (Ok: the
    /// caller moves on). Until then, or when parking fails too (the database is down), the error.
    async fn park_if_tried(
        &self,
        update: &Update,
        error: TelegramError,
    ) -> Result<(), TelegramError> {
        let id = update.id.0 as i64;
        let (tries, exhausted) = self.store_tries.failed(id);
        if !exhausted {
            tracing::warn!(update_id = id, tries, error = %error, "an update could not be stored; will try again");
            return Err(error);
        }
        let raw = serde_json::to_vec(update).unwrap_or_default();
        self.park(Some(id), &raw, &error.to_string(), tries).await?;
        self.store_tries.forget(&[id]);
        Ok(())
    }

    /// Parks an update that cannot be stored (its raw bytes kept exactly), counts it and logs it.
    pub async fn park(
        &self,
        update_id: Option<i64>,
        raw: &[u8],
        error: &str,
        tries: u32,
    ) -> Result<(), TelegramError> {
        inbox::park_raw(&self.pool, update_id, CHANNEL, raw, error, tries as i32).await?;
        Metrics::inc(&self.metrics.updates_parked);
        tracing::error!(
            update_id,
            tries,
            error,
            "update parked; the bot goes on without it"
        );
        Ok(())
    }

    /// One long-polling round: fetches updates after `offset`, stores them, and returns the next offset.
    /// Telegram forgets an update only when a later call passes an offset above it, which happens only
    /// after it was stored.
    pub async fn poll_once(&self, offset: i32, timeout_secs: u32) -> Result<i32, TelegramError> {
        let updates = self
            .poll_bot
            .get_updates()
            .offset(offset)
            .timeout(timeout_secs)
            .await?;
        self.store_updates(&updates).await?;
        Ok(updates
            .iter()
            .map(|u| u.id.0 as i32 + 1)
            .max()
            .unwrap_or(offset)
            .max(offset))
    }

    /// Where polling resumes after a restart: past the newest stored update.
    pub async fn resume_offset(&self) -> Result<i32, TelegramError> {
        let max = inbox::newest(&self.pool).await?;
        Ok(max.map(|m| m as i32 + 1).unwrap_or(0))
    }

    /// Handles the oldest pending update of a chat no other worker is handling; returns its id, or
    /// `None` when there is nothing to do. A handler error or panic rolls back what the handler did,
    /// marks the update failed and queues an apology, all in the same transaction. When even that cannot
    /// be done (the database refuses what the update led to), the try is counted and the update waits
    /// before it is tried again; after its tries it is parked, and the chat's later updates go on.
    pub async fn process_one(&self) -> Result<Option<i64>, TelegramError> {
        let started = Instant::now();
        let mut tx = self.pool.begin().await?;
        let Some((update_id, payload)) = inbox::claim(&mut tx).await? else {
            return Ok(None);
        };
        let inbound = match serde_json::from_value::<Option<Inbound>>(payload) {
            Ok(inbound) => inbound,
            Err(e) => {
                tracing::error!(update_id, error = %e, "unreadable inbox entry skipped");
                None
            }
        };
        let answer = match self.process_claimed(tx, update_id, inbound.as_ref()).await {
            Ok(answer) => answer,
            Err(e) => {
                self.failed_to_process(update_id, &e).await?;
                return Ok(Some(update_id));
            }
        };
        Metrics::inc(&self.metrics.updates_processed);
        self.metrics.handler_seconds.observe(started.elapsed());
        self.mail.notify_one();
        if let Some(id) = inbound.and_then(|i| i.callback_id) {
            // Stops the button's spinner; failing to do so costs nothing but looks, so it runs on its own
            // and a slow Telegram never holds up the next update.
            // A lost answer loses a brief note at most: what the press did is committed already.
            let bot = self.bot.clone();
            tokio::spawn(async move {
                let mut request = bot.answer_callback_query(teloxide::types::CallbackQueryId(id));
                if let Some(text) = answer {
                    request = request.text(text);
                }
                let _ = request.await;
            });
        }
        Ok(Some(update_id))
    }

    /// Runs the handler for a claimed update and commits its outcome (or its apology); returns the brief
    /// answer for a press, if any.
    async fn process_claimed(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        update_id: i64,
        inbound: Option<&Inbound>,
    ) -> Result<Option<String>, TelegramError> {
        let mut error = None;
        let mut answer = None;
        if let Some(inbound) = inbound {
            let outcome = AssertUnwindSafe(self.handle_in(&mut tx, inbound))
                .catch_unwind()
                .await;
            let failure = match outcome {
                Ok(Ok(text)) => {
                    answer = text;
                    None
                }
                Ok(Err(e)) => Some(e),
                Err(panic) => Some(format!("handler panicked: {}", panic_message(&panic))),
            };
            if let Some(e) = failure {
                tracing::error!(update_id, chat_id = inbound.chat_id, error = %e, "update could not be handled");
                Metrics::inc(&self.metrics.updates_failed);
                // Undo whatever the handler wrote, then take the update again to record the failure.
                // (Cheaper than a savepoint on every update; if another worker took it meanwhile, its
                // outcome stands and this one records nothing.)
                let _ = tx.rollback().await;
                tx = self.pool.begin().await?;
                if !inbox::reclaim(&mut tx, update_id).await? {
                    return Ok(None);
                }
                let apology = Message::from(&self.runtime.apology());
                outbox::enqueue(&mut tx, CHANNEL, inbound.chat_id, &apology, None).await?;
                error = Some(e);
            }
        }
        inbox::mark_handled(&mut tx, update_id, error).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Counts a failed try at update `id` (in its own transaction: the try's was rolled back) and parks
    /// the update once it has had its tries.
    async fn failed_to_process(&self, id: i64, error: &TelegramError) -> Result<(), TelegramError> {
        let tries = inbox::record_failure(&self.pool, id, &error.to_string()).await?;
        if tries < self.options.update_max_attempts.max(1) as i32 {
            tracing::warn!(update_id = id, tries, error = %error, "update failed; will try again");
            return Ok(());
        }
        if inbox::park_stored(&self.pool, id, CHANNEL).await? {
            Metrics::inc(&self.metrics.updates_parked);
            tracing::error!(update_id = id, tries, error = %error, "update parked; the bot goes on without it");
        }
        Ok(())
    }

    /// Processes stored updates until none is pending; returns how many were handled.
    pub async fn process_pending(&self) -> Result<usize, TelegramError> {
        let mut handled = 0;
        while self.process_one().await?.is_some() {
            handled += 1;
        }
        Ok(handled)
    }

    /// Handles one stored update in the caller's transaction; returns the brief answer for its button.
    async fn handle_in(
        &self,
        conn: &mut PgConnection,
        inbound: &Inbound,
    ) -> Result<Option<String>, String> {
        #[cfg(test)]
        if inbound.incoming == crate::app::Incoming::Text(tests::PANIC_PROBE.into()) {
            panic!("injected by a test");
        }
        let who = crate::app::Who {
            channel: CHANNEL,
            chat_id: inbound.chat_id,
            user_id: inbound.user_id,
            name: &inbound.name,
            group: inbound.group,
        };
        let mut replies = self
            .runtime
            .handle_as(conn, &who, inbound.incoming.clone())
            .await
            .map_err(|e| e.to_string())?;
        let answer = take_answer(&mut replies, inbound.callback_id.is_some());
        // One outbox row per Telegram message, so a retry never repeats an earlier part.
        let all: Vec<Message> = replies.iter().flat_map(messages).collect();
        outbox::enqueue_all(conn, CHANNEL, inbound.chat_id, &all)
            .await
            .map_err(|e| e.to_string())?;
        Ok(answer)
    }

    /// Publishes the command menu in Chinese (default) and English: the company's in private chats,
    /// the group's (help, /group, leads, language) in group chats.
    pub async fn set_commands(&self) -> Result<(), TelegramError> {
        use crate::app::route::Command;
        use teloxide::types::{BotCommand, BotCommandScope};
        let scripts = self.runtime.scripts();
        let menu = |names: &[&str], lang: &str| -> Vec<BotCommand> {
            names
                .iter()
                .map(|c| BotCommand::new(*c, scripts.text(&format!("menu_{c}"), lang)))
                .collect()
        };
        // The default language's menus are everyone's; each other language's goes to its users.
        let default = &scripts.default_language;
        self.bot
            .set_my_commands(menu(Command::MENU, default))
            .await?;
        self.bot
            .set_my_commands(menu(Command::GROUP_MENU, default))
            .scope(BotCommandScope::AllGroupChats)
            .await?;
        for lang in scripts.languages.iter().filter(|l| *l != default) {
            self.bot
                .set_my_commands(menu(Command::MENU, lang))
                .language_code(lang.clone())
                .await?;
            self.bot
                .set_my_commands(menu(Command::GROUP_MENU, lang))
                .scope(BotCommandScope::AllGroupChats)
                .language_code(lang.clone())
                .await?;
        }
        Ok(())
    }

    /// Tells Telegram where to push updates, with the secret it must send back in a header.
    pub async fn set_webhook(&self, url: &str, secret: &str) -> Result<(), TelegramError> {
        let url = url
            .parse()
            .map_err(|e| TelegramError::Config(format!("WEBHOOK_URL `{url}`: {e}")))?;
        self.bot
            .set_webhook(url)
            .secret_token(secret.to_owned())
            .allowed_updates(vec![
                teloxide::types::AllowedUpdate::Message,
                teloxide::types::AllowedUpdate::CallbackQuery,
            ])
            .await?;
        Ok(())
    }

    /// Runs workers and senders, and long polling unless `webhook` is set, until `shutdown` resolves;
    /// then stops taking updates and gives in-flight work until `grace` to finish (what does not finish
    /// is rolled back and done after the next start).
    pub async fn run(
        self: Arc<Self>,
        webhook: bool,
        shutdown: impl std::future::Future<Output = ()>,
        grace: Duration,
    ) {
        if let Err(e) = self.set_commands().await {
            tracing::warn!(error = %e, "cannot set the command menu");
        }
        let (stop_tx, stop) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..self.options.workers.max(1) {
            tasks.spawn(self.clone().work_loop(stop.clone()));
        }
        for _ in 0..self.options.senders.max(1) {
            tasks.spawn(self.clone().send_loop(stop.clone()));
        }
        if webhook {
            shutdown.await;
        } else {
            if let Err(e) = self.bot.delete_webhook().await {
                tracing::warn!(error = %e, "cannot remove a webhook before polling");
            }
            self.poll_loop(shutdown).await;
        }
        tracing::info!("stopped taking updates; finishing in-flight work");
        let _ = stop_tx.send(true);
        self.work.notify_waiters();
        self.mail.notify_waiters();
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => {
                    tracing::warn!("grace period over; unfinished work stays in the inbox for the next start");
                    tasks.abort_all();
                    break;
                }
                next = tasks.join_next() => if next.is_none() { break },
            }
        }
    }

    async fn poll_loop(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut offset = self.resume_offset().await.unwrap_or(0);
        let mut backoff = Duration::from_millis(500);
        loop {
            let round = tokio::select! {
                _ = &mut shutdown => break,
                r = self.poll_once(offset, self.options.poll_timeout) => r,
            };
            let wait = match round {
                Ok(next) => {
                    self.metrics.intake.worked();
                    offset = next;
                    backoff = Duration::from_millis(500);
                    continue;
                }
                Err(TelegramError::Api(RequestError::RetryAfter(wait))) => wait.duration(),
                Err(e) => {
                    self.metrics.intake.failed();
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "polling failed");
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    wait
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn work_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.process_one().await {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "update processing failed; retrying"),
            }
            // Woken by a new update, or every second for updates another process stored.
            tokio::select! {
                _ = self.work.notified() => {}
                _ = stop.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests;
