//! A conversation's state, stored per chat (`store`): where it is in which dialog, the slots it filled,
//! the results it holds for paging, and what the application waits for. Plain data the engine updates.

use super::script::ScriptSet;
use crate::app::route::Pending;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One result kept in the conversation, so paging and details need no new search.
pub use crate::matching::Hit as ResultItem;

/// A conversation's state, stored per chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub dialog: String,
    /// Empty when idle (before /start or after /cancel).
    pub step: String,
    pub lang: String,
    pub slots: BTreeMap<String, String>,
    /// Placeholders set by actions.
    pub vars: BTreeMap<String, String>,
    pub results: Vec<ResultItem>,
    pub page: usize,
    /// The patent whose details are open, if any.
    pub open: Option<String>,
    pub script_version: u64,
    /// A free-text answer the application (not the script) waits for, such as a decline reason.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "pending_out",
        deserialize_with = "pending_in"
    )]
    pub pending: Option<Pending>,
    /// The user the pending answer is awaited from: in a group chat one person's text is the answer,
    /// anyone else's is not. `None` (states stored before it existed): whoever writes next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_by: Option<i64>,
    /// The results step the current results were shown on (a search's outcome chose it: good matches or
    /// weak ones). A say-step that goes back to the results (after an enquiry) returns to that page, so
    /// weak matches are not headed as good ones the second time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
    /// The buttons (id, label) of the last reply, so that typed text naming one presses it
    /// (`app::typed_button`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<(String, String)>,
    /// The questions answered so far in a form (steps with `back`), latest last: a back word typed at
    /// the next question asks the previous one again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<String>,
}

impl State {
    /// Waits for a free-text answer (a decline reason, a question, a company's answer) typed by `user`:
    /// in a group chat nobody else's text is taken for it.
    pub fn await_answer(&mut self, pending: Pending, user: i64) {
        self.pending = Some(pending);
        self.pending_by = Some(user);
    }

    /// Whether text from `user` is the answer awaited (if one is).
    pub fn awaits_from(&self, user: i64) -> bool {
        self.pending.is_some() && self.pending_by.is_none_or(|u| u == user)
    }
}

fn pending_out<S: serde::Serializer>(p: &Option<Pending>, s: S) -> Result<S::Ok, S::Error> {
    p.map(|p| p.to_string()).serialize(s)
}

/// A stored pending answer that no longer parses is dropped rather than losing the conversation.
fn pending_in<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Pending>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|s| s.parse().ok()))
}

/// A fresh state in the start dialog's language defaults.
pub fn new_state(scripts: &ScriptSet, lang: Option<&str>) -> State {
    State {
        dialog: scripts.start_dialog.clone(),
        lang: lang
            .filter(|l| scripts.languages.iter().any(|x| x == l))
            .unwrap_or(&scripts.default_language)
            .to_owned(),
        script_version: scripts.version,
        ..State::default()
    }
}
