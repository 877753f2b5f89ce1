//! What Telegram's types become for the application (an [`Inbound`] the inbox stores) and what replies
//! become for Telegram (messages under its limits, inline keyboards, a press's brief answer).

use super::super::quarantine::storable;
use crate::app::{Incoming, Reply};
use crate::dialog::engine::Button;
use crate::outbox::Message;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, UpdateKind};

/// Telegram's limit on one message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Telegram's limit on callback data, in bytes.
const MAX_CALLBACK_BYTES: usize = 64;
/// Telegram's limit on a callback answer's text, in characters.
pub(super) const MAX_ANSWER_CHARS: usize = 200;

/// What the bot understood of an update; this is what the inbox stores.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inbound {
    pub chat_id: i64,
    pub user_id: i64,
    pub incoming: Incoming,
    /// Set for button presses, which Telegram wants answered.
    pub callback_id: Option<String>,
    /// The sender's (or presser's) name as Telegram shows it, to tell a group who acted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Sent in a group chat (group or supergroup), not a private one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group: bool,
}

/// A user's name as a group reads it: first and last name, without control characters (which the
/// database refuses, NUL above all) and at most 64 characters.
fn name_of(user: &teloxide::types::User) -> String {
    user.full_name()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect::<String>()
        .trim()
        .to_owned()
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
            incoming: Incoming::Text(storable(m.text()?)),
            callback_id: None,
            name: m.from.as_ref().map(name_of).unwrap_or_default(),
            group: !m.chat.is_private(),
        }),
        UpdateKind::CallbackQuery(q) => Some(Inbound {
            chat_id: q
                .message
                .as_ref()
                .map(|m| m.chat().id.0)
                .unwrap_or(q.from.id.0 as i64),
            user_id: q.from.id.0 as i64,
            incoming: Incoming::Choice(storable(q.data.as_deref()?)),
            callback_id: Some(q.id.0.clone()),
            name: name_of(&q.from),
            group: q.message.as_ref().is_some_and(|m| !m.chat().is_private()),
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

pub(super) fn keyboard(buttons: &[Button]) -> Option<InlineKeyboardMarkup> {
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

/// A reply as Telegram-sized messages, the last one carrying the buttons.
pub fn messages(reply: &Reply) -> Vec<Message> {
    let mut parts: Vec<Message> = split_message(&reply.plain_text())
        .into_iter()
        .map(Message::text)
        .collect();
    if let Some(last) = parts.last_mut() {
        last.buttons = reply.buttons().to_vec();
    }
    parts
}

/// For a button press, takes its brief answer out of the replies: Telegram shows it to the presser alone,
/// on the button's own answer, instead of a message in the chat (in a group, nobody else sees a refusal).
/// A notice too long for that, or one answering typed text, stays a message.
pub fn take_answer(replies: &mut Vec<Reply>, pressed: bool) -> Option<String> {
    if !pressed {
        return None;
    }
    let at = replies.iter().position(
        |r| matches!(r, Reply::Notice(text) if text.chars().count() <= MAX_ANSWER_CHARS),
    )?;
    match replies.remove(at) {
        Reply::Notice(text) => Some(text),
        _ => None,
    }
}
