//! What comes in from a channel and what goes back to it, in channel-neutral form.

use crate::dialog::engine::{Button, ResultItem};

/// What a channel shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Text(String),
    /// A brief answer to a press: on Telegram the pressed button's own answer (a short note only the
    /// presser sees), elsewhere a text.
    Notice(String),
    Buttons {
        text: String,
        buttons: Vec<Button>,
    },
    Results {
        text: String,
        items: Vec<(usize, ResultItem)>,
        lines: Vec<String>,
        buttons: Vec<Button>,
    },
    Details {
        text: String,
        buttons: Vec<Button>,
    },
}

impl Reply {
    /// The reply as plain text (results with their snippets), for channels that show text and buttons.
    pub fn plain_text(&self) -> String {
        match self {
            Reply::Text(text)
            | Reply::Notice(text)
            | Reply::Buttons { text, .. }
            | Reply::Details { text, .. } => text.clone(),
            Reply::Results {
                text, items, lines, ..
            } => {
                let mut out = text.clone();
                for ((_, item), line) in items.iter().zip(lines) {
                    out.push('\n');
                    out.push_str(line);
                    if !item.snippet.is_empty() {
                        out.push_str("\n    ");
                        out.push_str(&item.snippet);
                    }
                }
                out
            }
        }
    }

    /// The buttons offered with the reply.
    pub fn buttons(&self) -> &[Button] {
        match self {
            Reply::Text(_) | Reply::Notice(_) => &[],
            Reply::Buttons { buttons, .. }
            | Reply::Results { buttons, .. }
            | Reply::Details { buttons, .. } => buttons,
        }
    }
}

/// A message from a user as channels receive it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Incoming {
    Text(String),
    /// A pressed button's id, as the channel received it (parsed by the application).
    Choice(String),
}
