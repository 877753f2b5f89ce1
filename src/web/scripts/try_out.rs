//! Trying an edit before it is published: the admin's messages so far are played again, in order, by
//! the application's own router over an application that speaks with the edited scripts
//! ([`crate::app::App::trial`]), inside one transaction that is rolled back. So the try is the real
//! conversation (greeting, language, need, search, results...) and leaves nothing behind: no state, no
//! message to anyone, no statistics. The messages travel in the page's form (no state on the server).

use super::super::auth::Signed;
use super::super::html;
use crate::app::{App, AppError, Incoming, Reply, Who};
use crate::dialog::ScriptSet;
use std::fmt::Write;

/// The channel tries are played on (never a real channel, so no real chat's state is touched).
const CHANNEL: &str = "web-try";

/// Messages one try may hold; the admin sends /start to begin again.
pub const MAX_INPUTS: usize = 30;

/// One message of the try and what the bot answered.
pub struct Turn {
    pub input: Incoming,
    pub replies: Vec<Reply>,
}

/// The messages of a try as the form carries them (JSON); anything unreadable is a fresh start.
pub fn inputs_of(said: &str) -> Vec<Incoming> {
    serde_json::from_str(said).unwrap_or_default()
}

/// The form's value for `inputs`.
pub fn said_of(inputs: &[Incoming]) -> String {
    serde_json::to_string(inputs).unwrap_or_default()
}

/// The messages after `next`: `/start` begins again; an empty message starts the try.
pub fn append(mut inputs: Vec<Incoming>, next: Option<Incoming>) -> Vec<Incoming> {
    match next {
        Some(Incoming::Text(t)) if t.trim() == "/start" => vec![Incoming::Text(t)],
        Some(next) => {
            inputs.push(next);
            inputs
        }
        None if inputs.is_empty() => vec![Incoming::Text("/start".into())],
        None => inputs,
    }
}

/// Plays `inputs` with `scripts` as `user_id` would be answered (a private chat, no admin rights).
pub async fn play(
    app: &App,
    scripts: ScriptSet,
    user_id: i64,
    inputs: &[Incoming],
) -> Result<Vec<Turn>, AppError> {
    let trial = app.trial(scripts);
    let who = Who::private(CHANNEL, user_id);
    let mut tx = app.pool().begin().await?;
    let mut turns = Vec::with_capacity(inputs.len());
    for input in inputs {
        let replies = trial.handle_as(&mut tx, &who, input.clone()).await?;
        turns.push(Turn {
            input: input.clone(),
            replies,
        });
    }
    // The try leaves nothing behind.
    tx.rollback().await?;
    Ok(turns)
}

/// The conversation: each message, then the bot's answers; the last answer's buttons press for real
/// (they submit the editor's form with the button's id).
pub fn render(signed: &Signed, turns: &[Turn]) -> String {
    let you = html::esc(&signed.t("try_you", &[]));
    let bot = html::esc(&signed.t("try_bot", &[]));
    let mut out = String::from("<dl class=\"try\">");
    let mut labels: Vec<(String, String)> = Vec::new();
    for (n, turn) in turns.iter().enumerate() {
        let said = match &turn.input {
            Incoming::Text(t) => t.clone(),
            Incoming::Choice(id) => labels
                .iter()
                .find(|(b, _)| b == id)
                .map_or(id.clone(), |(_, l)| format!("[{l}]")),
        };
        let _ = write!(out, "<dt>{you}</dt><dd>{}</dd>", html::esc_lines(&said));
        let last = n + 1 == turns.len();
        labels.clear();
        for reply in &turn.replies {
            let _ = write!(
                out,
                "<dt>{bot}</dt><dd>{}",
                html::esc_lines(&reply.plain_text())
            );
            for b in reply.buttons() {
                labels.push((b.id.clone(), b.label.clone()));
                if last {
                    let _ = write!(
                        out,
                        " <button name=\"press\" value=\"{}\">{}</button>",
                        html::esc(&b.id),
                        html::esc(&b.label)
                    );
                } else {
                    let _ = write!(out, " [{}]", html::esc(&b.label));
                }
            }
            out.push_str("</dd>");
        }
    }
    out.push_str("</dl>");
    out
}
