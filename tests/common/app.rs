//! `TestApp`: the whole application over a fresh database (the demo catalogue, the real scripts) behind
//! the fake Telegram, driven the way people drive it: `say` sends a text, `press` presses a button —
//! and fails the test unless that button was offered to that user in the last message they got —
//! and `sent_to` reads what a chat received.
#![allow(dead_code)]

use super::fake_telegram::{self as fake_api, Shared, group_message, group_press, message, press};
use queqiao::app::{App, Settings};
use queqiao::catalog::store::load_demo_if_empty;
use queqiao::channel::telegram::{self, Options, Telegram};
use queqiao::channel::throttle::Limits;
use queqiao::dialog::DialogSource;
use queqiao::matching::Matcher;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// The admin of every `TestApp` (a Telegram user id).
pub const ADMIN: i64 = 1;

/// A message as a chat received it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub text: String,
    /// (callback data, label) of its buttons.
    pub buttons: Vec<(String, String)>,
}

impl Sent {
    fn from_json(m: &Value) -> Self {
        let buttons = m["reply_markup"]["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|b| {
                (
                    b["callback_data"].as_str().unwrap_or_default().to_owned(),
                    b["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        Self {
            text: m["text"].as_str().unwrap_or_default().to_owned(),
            buttons,
        }
    }
}

/// All the texts of some messages, one per line.
pub fn text_of(sent: &[Sent]) -> String {
    sent.iter()
        .map(|m| m.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

pub struct TestApp {
    pub pool: PgPool,
    pub app: Arc<App>,
    pub tg: Arc<Telegram>,
    pub fake: Shared,
    /// The fake Bot API's address, for a second channel over the same app.
    pub url: url::Url,
    next_update: i64,
}

/// What a press got: the messages its chat received, and the press's own brief answer (a note only
/// the presser sees on Telegram; empty when the press was answered without one).
#[derive(Debug, Clone)]
pub struct Pressed {
    pub sent: Vec<Sent>,
    pub answer: String,
}

/// The application over `pool` with the scripts of `dialogs/` and the shipped synonyms, [`ADMIN`] as
/// admin unless `settings` names admins: what every test that talks to the bot builds.
pub async fn build_app(pool: &PgPool, settings: Settings) -> Arc<App> {
    build_app_in(pool, settings, std::path::Path::new("dialogs")).await
}

/// [`build_app`] with the scripts of `dialogs` (a test's own copy of the folder, which it may change, or
/// the compiled-in set).
pub async fn build_app_in(
    pool: &PgPool,
    mut settings: Settings,
    dialogs: impl Into<DialogSource>,
) -> Arc<App> {
    let dialogs = dialogs.into();
    let synonyms = dialogs.load_synonyms().unwrap().unwrap_or_default();
    let matcher = Arc::new(Matcher::load(pool, synonyms).await.unwrap());
    if settings.admins.is_empty() {
        settings.admins = vec![ADMIN];
    }
    let admins = settings.admins.clone();
    Arc::new(
        App::new(dialogs, pool.clone(), matcher, admins)
            .unwrap()
            .with_settings(settings),
    )
}

/// Telegram's limits lifted, so tests do not wait.
pub fn fast() -> Options {
    Options {
        limits: Limits {
            per_second: 10_000,
            per_chat_interval: Duration::ZERO,
        },
        ..Options::default()
    }
}

/// A Telegram channel over `app`, talking to the fake Bot API at `url`.
pub fn telegram(pool: &PgPool, url: &url::Url, app: Arc<App>, options: Options) -> Arc<Telegram> {
    // Short, so that tests of slow answers (timeouts) run quickly.
    let bot = telegram::client("1:T", Some(url), Duration::from_secs(1)).unwrap();
    Arc::new(Telegram::with_options(
        bot.clone(),
        bot,
        pool.clone(),
        app,
        options,
        Arc::default(),
    ))
}

impl TestApp {
    /// The application on the demo catalogue and the scripts of `dialogs/`, with [`ADMIN`] as admin.
    pub async fn new(pool: &PgPool) -> Self {
        Self::with_settings(pool, Settings::default()).await
    }

    pub async fn with_settings(pool: &PgPool, settings: Settings) -> Self {
        Self::with_dialogs(pool, settings, std::path::Path::new("dialogs")).await
    }

    /// [`TestApp::with_settings`] speaking with the scripts of `dialogs`.
    pub async fn with_dialogs(
        pool: &PgPool,
        settings: Settings,
        dialogs: impl Into<DialogSource>,
    ) -> Self {
        load_demo_if_empty(pool).await.unwrap();
        let (fake, url) = fake_api::start().await;
        let url: url::Url = url.parse().unwrap();
        let app = build_app_in(pool, settings, dialogs).await;
        let tg = telegram(pool, &url, app.clone(), fast());
        Self {
            pool: pool.clone(),
            app,
            tg,
            fake,
            url,
            next_update: 1,
        }
    }

    /// The id the next delivered update gets.
    pub fn next_update_id(&self) -> i64 {
        self.next_update
    }

    /// The brief answer given to the press of update `id` (empty if none; the test fails if the press
    /// was not answered at all).
    pub async fn answer_to(&self, id: i64) -> String {
        fake_api::answer_to(&self.fake, id)
            .await
            .unwrap_or_else(|| panic!("the press of update {id} was not answered"))
    }

    /// Delivers one update (made from its id) and everything it causes; returns every message sent
    /// meanwhile, to any chat.
    pub async fn deliver_all(&mut self, update: impl Fn(i64) -> Value) -> Vec<Value> {
        let id = self.next_update;
        self.next_update += 1;
        let before = {
            let mut f = self.fake.lock().unwrap();
            f.updates.push(update(id));
            f.sent.len()
        };
        self.tg.poll_once(id as i32, 0).await.unwrap();
        self.tg.process_pending().await.unwrap();
        self.flush().await;
        self.fake.lock().unwrap().sent[before..].to_vec()
    }

    /// Delivers one update and everything it causes; returns what `chat` received meanwhile.
    async fn deliver(&mut self, chat: i64, update: impl Fn(i64) -> Value) -> Vec<Sent> {
        self.deliver_all(update)
            .await
            .iter()
            .filter(|m| m["chat_id"].as_i64() == Some(chat))
            .map(Sent::from_json)
            .collect()
    }

    /// Sends everything due in the outbox (leads, notices, reminders).
    pub async fn flush(&self) {
        self.tg.send_pending().await.unwrap();
    }

    /// `chat` types `text`; returns what it received in answer.
    pub async fn say(&mut self, chat: i64, text: &str) -> Vec<Sent> {
        self.deliver(chat, |id| message(id, chat, text)).await
    }

    /// `chat` presses the button whose label or callback data is `button` in the last message it got;
    /// the test fails if that message offered no such button. Returns what it received in answer.
    pub async fn press(&mut self, chat: i64, button: &str) -> Vec<Sent> {
        self.press_answered(chat, button).await.sent
    }

    /// [`TestApp::press`], also returning the press's own brief answer.
    pub async fn press_answered(&mut self, chat: i64, button: &str) -> Pressed {
        let data = self.offered_data(chat, button);
        self.forge(chat, &data).await
    }

    /// The callback data of the button labelled (or with the data) `button` in the last message `chat`
    /// got; the test fails if there is none.
    pub fn offered_data(&self, chat: i64, button: &str) -> String {
        let last = self.sent_to(chat).pop();
        let offered = last.as_ref().and_then(|m| {
            m.buttons
                .iter()
                .find(|(data, label)| data == button || label == button)
                .map(|(data, _)| data.clone())
        });
        offered.unwrap_or_else(|| {
            panic!("chat {chat} was not offered `{button}` in its last message: {last:#?}")
        })
    }

    /// Presses a button by its callback data whether or not it was offered (forged or stale presses);
    /// returns what the chat received and the press's own answer.
    pub async fn forge(&mut self, chat: i64, data: &str) -> Pressed {
        let id = self.next_update;
        let sent = self.deliver(chat, |id| press(id, chat, data)).await;
        let answer = self.answer_to(id).await;
        Pressed { sent, answer }
    }

    /// `user`, named `name`, types `text` in the group chat `group`; returns what the group received.
    pub async fn say_in(&mut self, group: i64, user: i64, name: &str, text: &str) -> Vec<Sent> {
        self.deliver(group, |id| group_message(id, group, user, name, text))
            .await
    }

    /// `user`, named `name`, presses the button labelled (or with the data) `button` on the newest
    /// message of the group chat `group` that offers one: everyone in a group sees its messages, so
    /// any of them may press. The test fails if the group was offered no such button.
    pub async fn press_in(&mut self, group: i64, user: i64, name: &str, button: &str) -> Pressed {
        let offered = self.sent_to(group).into_iter().rev().find_map(|m| {
            m.buttons
                .into_iter()
                .find(|(data, label)| data == button || label == button)
        });
        let Some((data, _)) = offered else {
            panic!("group {group} was never offered `{button}`");
        };
        let id = self.next_update;
        let sent = self
            .deliver(group, |id| group_press(id, group, user, name, &data))
            .await;
        let answer = self.answer_to(id).await;
        Pressed { sent, answer }
    }

    /// Everything `chat` received so far, oldest first.
    pub fn sent_to(&self, chat: i64) -> Vec<Sent> {
        self.fake
            .lock()
            .unwrap()
            .sent
            .iter()
            .filter(|m| m["chat_id"].as_i64() == Some(chat))
            .map(Sent::from_json)
            .collect()
    }

    /// The labels of the buttons of the last message `chat` got.
    pub fn offered(&self, chat: i64) -> Vec<String> {
        self.sent_to(chat)
            .pop()
            .map(|m| m.buttons.into_iter().map(|(_, label)| label).collect())
            .unwrap_or_default()
    }
}
