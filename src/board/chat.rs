//! The company's side of the board in the chat: posting (the `post_need` script action, after the
//! consent step), its open needs in `/my` with a withdraw button each, withdrawing, and the message that
//! tells it a university answered.

use super::store::{self, Mine, Posted};
use crate::app::context::{Context, Who};
use crate::app::reply::Reply;
use crate::app::route::ButtonId;
use crate::dialog::engine::{Button, State};
use crate::outbox::{self, Message};
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// Industries a need is posted under: its industry filter when it has one, otherwise those of its
/// closest (weak) results.
fn industries(state: &State) -> Vec<String> {
    const CLOSEST: usize = 3;
    if let Some(industry) = state
        .slots
        .get("industry")
        .filter(|v| !v.is_empty() && *v != "any")
    {
        return vec![industry.clone()];
    }
    let mut out: Vec<String> = Vec::new();
    for hit in state.results.iter().take(CLOSEST) {
        if !hit.industry.is_empty() && !out.contains(&hit.industry) {
            out.push(hit.industry.clone());
        }
    }
    out
}

/// The `post_need` action: posts the need in the slots; outcomes `posted`, `duplicate` (posted before,
/// still open) and `capped`, with `id` and `days`.
pub async fn post_action(
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &State,
) -> Result<(String, BTreeMap<String, String>), sqlx::Error> {
    let need = state
        .slots
        .get("need")
        .map(|n| n.trim())
        .unwrap_or_default();
    let mut vars = BTreeMap::from([("days".to_owned(), super::DAYS.to_string())]);
    if need.is_empty() {
        // Nothing to post (the need was cleared meanwhile): the script's capped step says try later.
        return Ok(("capped".into(), vars));
    }
    let industries = industries(state);
    let posted = store::post(
        conn,
        (who.channel, who.chat_id),
        &state.lang,
        need,
        &industries,
        super::DAYS,
    )
    .await?;
    let (outcome, id) = match posted {
        Posted::New(id) => ("posted", id),
        Posted::Duplicate(id) => ("duplicate", id),
        Posted::Capped => ("capped", 0),
    };
    vars.insert("id".into(), id.to_string());
    Ok((outcome.into(), vars))
}

/// The chat's open needs for `/my`, with a withdraw button each; none when it has none.
pub async fn mine(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    lang: &str,
) -> Result<Option<Reply>, sqlx::Error> {
    let list = store::of_chat(conn, who.channel, who.chat_id).await?;
    if list.is_empty() {
        return Ok(None);
    }
    let lines: Vec<String> = list.iter().map(|m| line(ctx, m, lang)).collect();
    let label = ctx.text("board_withdraw", lang, &[]);
    Ok(Some(Reply::Buttons {
        text: ctx.text("board_mine", lang, &[("list", lines.join("\n"))]),
        buttons: list
            .iter()
            .map(|m| Button::new(ButtonId::Withdraw(m.id), format!("{label} #{}", m.id)))
            .collect(),
    }))
}

fn line(ctx: &Context, m: &Mine, lang: &str) -> String {
    let vars = [
        ("id", m.id.to_string()),
        ("need", m.need.clone()),
        ("answers", m.answers.to_string()),
        ("until", m.expires_at.format("%Y-%m-%d").to_string()),
    ];
    ctx.text("board_mine_line", lang, &vars)
}

/// The withdraw button of `/my`: only the chat's own open need is withdrawn.
pub async fn withdraw(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    lang: &str,
    id: i64,
) -> Result<Reply, sqlx::Error> {
    if store::withdraw(conn, who.channel, who.chat_id, id).await? {
        Ok(Reply::Text(ctx.text(
            "board_withdrawn",
            lang,
            &[("id", id.to_string())],
        )))
    } else {
        Ok(ctx.notice("board_gone", lang, &[]))
    }
}

/// An answer as the company is told of it.
pub struct Told<'a> {
    pub need: &'a str,
    pub institution: &'a str,
    pub title: &'a str,
    pub number: &'a str,
    pub offer: &'a str,
}

/// Queues the message telling the poster of an answer, in their language, with the buttons to open the
/// patent and to enquire about it (the enquiry flow of a pushed patent).
pub async fn tell(
    ctx: &Context,
    conn: &mut PgConnection,
    to: (&str, i64, &str),
    answer: &Told<'_>,
) -> Result<(), sqlx::Error> {
    let (channel, chat_id, lang) = to;
    let offer = if answer.offer.is_empty() {
        String::new()
    } else {
        ctx.text("board_offer", lang, &[("offer", answer.offer.to_owned())])
    };
    let vars = [
        ("need", answer.need.to_owned()),
        ("institution", answer.institution.to_owned()),
        ("title", answer.title.to_owned()),
        ("number", answer.number.to_owned()),
        ("offer", offer),
    ];
    let message = Message {
        text: ctx.text("board_answered", lang, &vars),
        buttons: vec![
            Button::new(
                ButtonId::Patent(answer.number.to_owned()),
                ctx.text("open_patent", lang, &[]),
            ),
            Button::new(
                ButtonId::EnquirePatent(answer.number.to_owned()),
                ctx.text("enquire", lang, &[]),
            ),
        ],
    };
    outbox::enqueue(conn, channel, chat_id, &message, None).await?;
    Ok(())
}
