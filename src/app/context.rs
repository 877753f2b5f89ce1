//! What enquiries and operator features need from the application, and nothing more: the scripts of
//! this message, the pool, the matcher and the settings, plus who is talking. Handlers take these
//! instead of the application itself, so they never depend on the router that calls them.

use super::reply::Reply;
use crate::dialog::engine::{Lists, State, render};
use crate::dialog::script::ScriptSet;
use crate::matching::Matcher;
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;

/// Settings of the conversation side of the application.
#[derive(Debug, Clone)]
pub struct Settings {
    /// User ids allowed to run admin commands.
    pub admins: Vec<i64>,
    /// The channel admin alerts are written for (admins are identified by their ids there).
    pub admin_channel: String,
    /// Enquiries one company may open per day.
    pub enquiry_cap: i64,
    /// New-match notices one company gets per week.
    pub push_weekly_cap: i64,
    /// Days a delivered lead may wait for its contact's answer before the contact is reminded (once).
    pub lead_reminder_days: i64,
    /// Where the web console is reached from outside (no trailing slash); `None`: not set up.
    pub public_url: Option<String>,
}

/// Enquiries a company may open per day unless configured otherwise.
pub const DEFAULT_ENQUIRY_CAP: i64 = 10;
/// New-match notices a company gets per week unless configured otherwise.
pub const DEFAULT_PUSH_WEEKLY_CAP: i64 = 5;
/// Days before an unanswered lead's contact is reminded, unless configured otherwise.
pub const DEFAULT_LEAD_REMINDER_DAYS: i64 = 3;

impl Default for Settings {
    fn default() -> Self {
        Self {
            admins: Vec::new(),
            admin_channel: "telegram".to_owned(),
            enquiry_cap: DEFAULT_ENQUIRY_CAP,
            push_weekly_cap: DEFAULT_PUSH_WEEKLY_CAP,
            lead_reminder_days: DEFAULT_LEAD_REMINDER_DAYS,
            public_url: None,
        }
    }
}

/// The services one message is handled with. Cheap to clone; the scripts stay the same for the whole
/// message even if a reload happens meanwhile.
#[derive(Clone)]
pub struct Context {
    pub scripts: Arc<ScriptSet>,
    pub pool: PgPool,
    pub matcher: Arc<Matcher>,
    pub settings: Arc<Settings>,
    /// The catalogue's lists for `choices_from` steps (regions), refreshed every minute.
    pub lists: Arc<Lists>,
}

/// Who is talking, on which channel, in which chat. The user is whoever typed or pressed (on Telegram
/// a callback's `from`, not the chat the button sits in): contacts and admins are checked by it.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub channel: &'a str,
    pub chat_id: i64,
    pub user_id: i64,
    /// The user's name as the channel gives it (empty when it gives none), to say who acted.
    pub name: &'a str,
    /// A group chat (several people), not a private one.
    pub group: bool,
}

impl Who<'_> {
    /// A private chat: its id is its user's.
    pub fn private(channel: &str, user_id: i64) -> Who<'_> {
        Who {
            channel,
            chat_id: user_id,
            user_id,
            name: "",
            group: false,
        }
    }

    /// How a group is told who acted: the name, or the user id when the channel gave no name.
    pub fn display_name(&self) -> String {
        if self.name.trim().is_empty() {
            format!("#{}", self.user_id)
        } else {
            self.name.to_owned()
        }
    }
}

impl Context {
    /// A script text of `bot.toml` in `lang`, with its placeholders filled from `extra`.
    pub fn text(&self, key: &str, lang: &str, extra: &[(&str, String)]) -> String {
        let state = State {
            lang: lang.to_owned(),
            ..State::default()
        };
        render(&self.scripts.text(key, lang), &state, extra)
    }

    /// A brief answer to a press (see [`Reply::Notice`]), from a text of `bot.toml`.
    pub fn notice(&self, key: &str, lang: &str, extra: &[(&str, String)]) -> Reply {
        Reply::Notice(self.text(key, lang, extra))
    }

    pub fn default_lang(&self) -> String {
        self.scripts.default_language.clone()
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.settings.admins.contains(&user_id)
    }

    /// The language the other party chose in their own conversation (the default if they have none),
    /// so a lead or a notice reaches them in it.
    pub async fn lang_of(
        &self,
        conn: &mut PgConnection,
        channel: &str,
        chat_id: i64,
    ) -> Result<String, sqlx::Error> {
        let chosen = crate::dialog::store::lang_of(conn, channel, chat_id).await?;
        Ok(chosen
            .filter(|l| self.scripts.languages.contains(l))
            .unwrap_or_else(|| self.default_lang()))
    }
}
