//! The application layer: the one place that answers "what happens when someone presses or types X".
//! Channels hand it [`Incoming`] messages; it parses them into typed [`route`]s, sends conversation steps
//! to the dialog engine and enquiry or operator matters to their modules (which see only a small
//! [`context::Context`], never the application), saves the state and hands back [`Reply`]s.
//!
//! - [`route`]: typed commands, button ids, script actions and pending answers (parsed in one place).
//! - [`context`]: what handlers get: scripts, pool, matcher, settings, and who is talking.
//! - [`reply`]: what comes in from and goes back to channels.
//! - [`present`]: how patents, amounts and statuses read on screen (words from the scripts).
//! - [`router`]: the routing of one message. [`steps`]: running the engine's effects and intake actions.
//! - [`typed_button`]: typed text that names a button on offer presses it.
//! - [`web_actions`]: lead actions from the web console, run by the same handlers as the chat's buttons.
//! - [`tasks`]: background work (script reload, new-match pushes, lead reminders, daily pruning) under
//!   one shutdown.

pub mod context;
pub mod present;
pub mod reply;
pub mod route;
mod router;
mod steps;
pub mod tasks;
mod typed_button;
pub mod web_actions;

pub use context::{Context, Settings, Who};
pub use reply::{Incoming, Reply};

use crate::dialog::engine::Lists;
use crate::dialog::{DialogSource, ScriptError, ScriptSet};
use crate::matching::Matcher;
use sqlx::PgPool;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Why a message could not be handled (the user gets the `error` text; this goes to the log).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
}

/// Everything a channel needs to run conversations.
pub struct App {
    scripts: RwLock<Arc<ScriptSet>>,
    source: DialogSource,
    pool: PgPool,
    matcher: Arc<Matcher>,
    settings: Arc<Settings>,
    /// The catalogue's lists and when they were read (none yet: `None`).
    lists: RwLock<(Option<Instant>, Arc<Lists>)>,
}

/// How long the catalogue's lists (regions) are used before they are read again.
const LISTS_FOR: Duration = Duration::from_secs(60);

impl App {
    /// Loads the scripts of `source` (a folder's path will do); an invalid set is an error with every
    /// problem listed.
    pub fn new(
        source: impl Into<DialogSource>,
        pool: PgPool,
        matcher: Arc<Matcher>,
        admins: Vec<i64>,
    ) -> Result<Self, Vec<ScriptError>> {
        let source = source.into();
        let scripts = source.load_scripts()?;
        Ok(Self {
            scripts: RwLock::new(Arc::new(scripts)),
            source,
            pool,
            matcher,
            settings: Arc::new(Settings {
                admins,
                ..Settings::default()
            }),
            lists: RwLock::new((None, Arc::default())),
        })
    }

    /// Replaces the settings (the admins given to [`App::new`] are kept unless `settings` names some).
    pub fn with_settings(mut self, mut settings: Settings) -> Self {
        if settings.admins.is_empty() {
            settings.admins = self.settings.admins.clone();
        }
        self.settings = Arc::new(settings);
        self
    }

    fn change(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = (*self.settings).clone();
        f(&mut settings);
        self.settings = Arc::new(settings);
        self
    }

    /// Sets the per-company daily enquiry cap.
    pub fn with_enquiry_cap(self, cap: i64) -> Self {
        self.change(|s| s.enquiry_cap = cap.max(1))
    }

    /// Sets the channel admin alerts are written for.
    pub fn with_admin_channel(self, channel: &str) -> Self {
        self.change(|s| s.admin_channel = channel.to_owned())
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn scripts(&self) -> Arc<ScriptSet> {
        self.scripts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn matcher(&self) -> &Arc<Matcher> {
        &self.matcher
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.settings.admins.contains(&user_id)
    }

    /// The services one message (or one background round) is handled with, on the current scripts.
    pub fn context(&self) -> Context {
        Context {
            scripts: self.scripts(),
            pool: self.pool.clone(),
            matcher: self.matcher.clone(),
            settings: self.settings.clone(),
            lists: self
                .lists
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .1
                .clone(),
        }
    }

    /// Reads the catalogue's lists again when they are older than a minute (an import adds regions
    /// rarely; a minute's delay is harmless).
    pub async fn refresh_lists(&self, conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
        let fresh = self
            .lists
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .is_some_and(|at| at.elapsed() < LISTS_FOR);
        if fresh {
            return Ok(());
        }
        let regions = crate::catalog::store::regions(&mut *conn).await?;
        *self.lists.write().unwrap_or_else(|e| e.into_inner()) =
            (Some(Instant::now()), Arc::new(Lists { regions }));
        Ok(())
    }

    /// Where the scripts come from.
    pub fn dialog_source(&self) -> &DialogSource {
        &self.source
    }

    /// Reloads scripts and synonyms from their source (the compiled-in set reloads as it was). A valid
    /// set replaces the old one atomically; an invalid one is refused and the old set keeps serving.
    pub fn reload(&self) -> Result<u64, Vec<ScriptError>> {
        let scripts = self.source.load_scripts()?;
        if let Some(synonyms) = self.source.load_synonyms()? {
            self.matcher.set_synonyms(synonyms);
        }
        let version = scripts.version;
        *self.scripts.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(scripts);
        tracing::info!(version, "dialog scripts reloaded");
        Ok(version)
    }

    /// An application over the same catalogue, pool and settings that speaks with `scripts` instead:
    /// the web console's editor plays an edit with it before it is published. It has no admins (the
    /// one trying it is treated as any company) and is never reloaded; what it writes is up to the
    /// caller's transaction (the editor rolls it back).
    pub fn trial(&self, scripts: ScriptSet) -> App {
        let settings = Settings {
            admins: Vec::new(),
            ..(*self.settings).clone()
        };
        App {
            scripts: RwLock::new(Arc::new(scripts)),
            source: self.source.clone(),
            pool: self.pool.clone(),
            matcher: self.matcher.clone(),
            settings: Arc::new(settings),
            lists: RwLock::new(self.lists.read().unwrap_or_else(|e| e.into_inner()).clone()),
        }
    }

    /// Handles one message of `user_id` in `chat_id` in a transaction of its own. Errors are logged here
    /// with the chat; the user gets the script's apology instead.
    pub async fn handle(
        &self,
        channel: &str,
        chat_id: i64,
        user_id: i64,
        incoming: Incoming,
    ) -> Vec<Reply> {
        let outcome = async {
            let mut tx = self.pool.begin().await?;
            let replies = self
                .handle_in(&mut tx, channel, chat_id, user_id, incoming)
                .await?;
            tx.commit().await?;
            Ok::<_, AppError>(replies)
        }
        .await;
        match outcome {
            Ok(replies) => replies,
            Err(e) => {
                tracing::error!(channel, chat_id, error = %e, "message could not be handled");
                vec![self.apology()]
            }
        }
    }

    /// The script's apology, for a message that could not be handled.
    pub fn apology(&self) -> Reply {
        let scripts = self.scripts();
        Reply::Text(scripts.text("error", &scripts.default_language))
    }

    /// Handles one message inside the caller's transaction: the chat's state, and any message the event
    /// causes for other chats, are written there, so they commit (or vanish) together with whatever the
    /// caller records, such as "this update was handled".
    pub async fn handle_in(
        &self,
        conn: &mut sqlx::PgConnection,
        channel: &str,
        chat_id: i64,
        user_id: i64,
        incoming: Incoming,
    ) -> Result<Vec<Reply>, AppError> {
        let who = Who {
            chat_id,
            ..Who::private(channel, user_id)
        };
        router::handle(self, conn, &who, incoming).await
    }

    /// [`App::handle_in`] for a channel that knows more of who is talking: their name, and whether the
    /// chat is a group (where the bot delivers an institution's leads and runs no company intake).
    pub async fn handle_as(
        &self,
        conn: &mut sqlx::PgConnection,
        who: &Who<'_>,
        incoming: Incoming,
    ) -> Result<Vec<Reply>, AppError> {
        router::handle(self, conn, who, incoming).await
    }

    /// Hook of the senders: an outbox row about an enquiry reached its chat.
    pub async fn on_delivered(
        &self,
        conn: &mut sqlx::PgConnection,
        enquiry: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        match enquiry {
            Some(id) => crate::enquiry::contact::delivered(&self.context(), conn, id).await,
            None => Ok(()),
        }
    }

    /// Hook of the senders: an outbox row about an enquiry was given up on.
    pub async fn on_dead_letter(
        &self,
        conn: &mut sqlx::PgConnection,
        enquiry: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        match enquiry {
            Some(id) => crate::enquiry::contact::dead_lettered(&self.context(), conn, id).await,
            None => Ok(()),
        }
    }
}
