//! A fake Telegram Bot API on 127.0.0.1 (axum): hands out queued updates to getUpdates, records every
//! message sent, and injects faults into sendMessage (429 with retry_after, 5xx, slow answers).
#![allow(dead_code)]

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the next sendMessage call gets instead of a plain success.
#[derive(Debug, Clone)]
pub enum Fault {
    TooManyRequests { retry_after: u64 },
    ServerError,
    Slow(Duration),
}

/// What the fake Telegram holds: updates to hand out and everything the bot sent.
#[derive(Default)]
pub struct Fake {
    pub updates: Vec<Value>,
    pub sent: Vec<Value>,
    pub answered: usize,
    /// Every answerCallbackQuery call's body (`callback_query_id`, and `text` when there is one).
    pub answers: Vec<Value>,
    pub faults: VecDeque<Fault>,
    pub send_calls: usize,
    pub webhook: Option<Value>,
    pub commands: Vec<Value>,
    /// Chats that blocked the bot: sendMessage to them gets Telegram's 403.
    pub blocked: Vec<i64>,
    /// Every sendMessage waits this long before it is recorded (a slow Telegram).
    pub delay: Option<Duration>,
    /// getUpdates answers 401 while set (a revoked token; a 5xx would make teloxide wait 10 s first).
    pub polling_refused: bool,
    /// (offset, index): every update before `index` has an id below `offset`; saves rescanning.
    pub cursor: (i64, usize),
}

impl Fake {
    /// Up to 100 updates with an id of at least `offset`, in the order they were queued.
    fn updates_from(&mut self, offset: i64) -> Vec<Value> {
        if offset < self.cursor.0 {
            self.cursor = (0, 0);
        }
        let id = |u: &Value| u["update_id"].as_i64().unwrap_or(i64::MAX);
        let mut start = self.cursor.1.min(self.updates.len());
        while start < self.updates.len() && id(&self.updates[start]) < offset {
            start += 1;
        }
        self.cursor = (offset, start);
        self.updates[start..]
            .iter()
            .filter(|u| id(u) >= offset)
            .take(100)
            .cloned()
            .collect()
    }
}

pub type Shared = Arc<Mutex<Fake>>;

async fn api(
    State(fake): State<Shared>,
    Path((_bot, method)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or_else(|_| multipart_fields(&body));
    // Telegram's method names are case-insensitive; clients differ in how they spell them.
    let method = method.to_ascii_lowercase();
    if method == "getupdates" {
        if fake.lock().unwrap().polling_refused {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
            )
                .into_response();
        }
        // A short long poll: an empty answer waits a little, as Telegram's would, so a polling bot does not
        // spin.
        let offset = body["offset"].as_i64().unwrap_or(0);
        let timeout = body["timeout"].as_u64().unwrap_or(0);
        for round in 0..=5 {
            let ready = fake.lock().unwrap().updates_from(offset);
            if !ready.is_empty() || timeout == 0 || round == 5 {
                return Json(json!({"ok": true, "result": ready})).into_response();
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }
    if method == "sendmessage" {
        let (fault, delay, blocked) = {
            let mut f = fake.lock().unwrap();
            f.send_calls += 1;
            let blocked = body["chat_id"]
                .as_i64()
                .is_some_and(|c| f.blocked.contains(&c));
            (f.faults.pop_front(), f.delay, blocked)
        };
        if blocked {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"ok": false, "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user"})),
            )
                .into_response();
        }
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        match fault {
            Some(Fault::TooManyRequests { retry_after }) => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"ok": false, "error_code": 429,
                        "description": format!("Too Many Requests: retry after {retry_after}"),
                        "parameters": {"retry_after": retry_after}})),
                )
                    .into_response();
            }
            Some(Fault::ServerError) => {
                return (
                    StatusCode::BAD_GATEWAY,
                    Json(json!({"ok": false, "error_code": 502, "description": "Bad Gateway"})),
                )
                    .into_response();
            }
            Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
            None => {}
        }
    }
    let mut fake = fake.lock().unwrap();
    let result = match method.as_str() {
        "sendmessage" => {
            fake.sent.push(body.clone());
            json!({"message_id": fake.sent.len(), "date": 0,
                   "chat": {"id": body["chat_id"], "type": "private", "first_name": "A"}, "text": body["text"]})
        }
        "answercallbackquery" => {
            fake.answered += 1;
            fake.answers.push(body.clone());
            json!(true)
        }
        "setwebhook" => {
            fake.webhook = Some(body.clone());
            json!(true)
        }
        "setmycommands" => {
            fake.commands.push(body.clone());
            json!(true)
        }
        _ => json!(true),
    };
    Json(json!({"ok": true, "result": result})).into_response()
}

/// The text fields of a multipart form (teloxide sends setWebhook that way), as a JSON object.
fn multipart_fields(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in text
        .split("Content-Disposition: form-data; name=\"")
        .skip(1)
    {
        if let Some((name, rest)) = part.split_once('"')
            && let Some((_, value)) = rest.split_once("\r\n\r\n")
        {
            let value = value.split("\r\n--").next().unwrap_or_default();
            fields.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    }
    Value::Object(fields)
}

/// Starts the fake; returns its state and the base URL to give the bot.
pub async fn start() -> (Shared, String) {
    let fake: Shared = Arc::default();
    let app = Router::new()
        .route("/{bot}/{method}", post(api))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, url)
}

pub fn message(id: i64, chat: i64, text: &str) -> Value {
    json!({"update_id": id, "message": {"message_id": id, "date": 0,
        "chat": {"id": chat, "type": "private", "first_name": "A"},
        "from": {"id": chat, "is_bot": false, "first_name": "A"}, "text": text}})
}

pub fn press(id: i64, chat: i64, data: &str) -> Value {
    json!({"update_id": id, "callback_query": {"id": format!("q{id}"), "chat_instance": "c",
        "from": {"id": chat, "is_bot": false, "first_name": "A"}, "data": data,
        "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private", "first_name": "A"}, "text": "?"}}})
}

/// The text the bot answered the press of update `id` with (see [`press`]): `Some("")` for an answer
/// without text, `None` if the press was not answered within two seconds (answers are sent on their own,
/// after the update's transaction).
pub async fn answer_to(fake: &Shared, id: i64) -> Option<String> {
    let query = format!("q{id}");
    for _ in 0..200 {
        let found = fake
            .lock()
            .unwrap()
            .answers
            .iter()
            .find(|a| a["callback_query_id"].as_str() == Some(&query))
            .map(|a| a["text"].as_str().unwrap_or_default().to_owned());
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// A message `user` (named `name`) sends in the group chat `group` (a negative id, as Telegram's are).
pub fn group_message(id: i64, group: i64, user: i64, name: &str, text: &str) -> Value {
    json!({"update_id": id, "message": {"message_id": id, "date": 0,
        "chat": {"id": group, "type": "supergroup", "title": "技术转移办公室"},
        "from": {"id": user, "is_bot": false, "first_name": name}, "text": text}})
}

/// `user` (named `name`) presses a button of a message in the group chat `group`.
pub fn group_press(id: i64, group: i64, user: i64, name: &str, data: &str) -> Value {
    json!({"update_id": id, "callback_query": {"id": format!("q{id}"), "chat_instance": "g",
        "from": {"id": user, "is_bot": false, "first_name": name}, "data": data,
        "message": {"message_id": 1, "date": 0,
            "chat": {"id": group, "type": "supergroup", "title": "技术转移办公室"}, "text": "?"}}})
}

pub fn texts(sent: &[Value]) -> String {
    sent.iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn buttons(sent: &[Value]) -> Vec<String> {
    sent.iter()
        .flat_map(|m| {
            m["reply_markup"]["inline_keyboard"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| b["callback_data"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Messages sent to one chat.
/// The texts of every message sent so far that start with `prefix` (e.g. the leads to contacts).
pub fn sent_starting_with(fake: &Shared, prefix: &str) -> Vec<String> {
    fake.lock()
        .unwrap()
        .sent
        .iter()
        .filter_map(|m| m["text"].as_str().filter(|t| t.starts_with(prefix)))
        .map(str::to_owned)
        .collect()
}

pub fn sent_to(fake: &Shared, chat: i64) -> Vec<Value> {
    fake.lock()
        .unwrap()
        .sent
        .iter()
        .filter(|m| m["chat_id"].as_i64() == Some(chat))
        .cloned()
        .collect()
}
