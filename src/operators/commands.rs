//! What users type and press for operator features: `/subscriptions` and the subscribe and unsubscribe
//! buttons, thumbs on results, `/stats` (admins: everything; a contact: their institution), `/outbox`
//! and its retry buttons (admins), `/forget`. Admin actions go to the audit log.

use super::{analytics, audit, privacy, subscriptions};
use crate::dialog::engine::{Button, Engine, State, ids};
use crate::dialog::runtime::filters_from_slots;
use crate::dialog::{Reply, Runtime};
use crate::enquiry::conversation::{Ctx, text};
use sqlx::PgConnection;

/// `retry:ID`: an admin puts a dead letter back in the queue.
pub const RETRY: &str = "retry:";

type Result<T> = std::result::Result<T, sqlx::Error>;

fn say(rt: &Runtime, key: &str, state: &State, extra: &[(&str, String)]) -> Vec<Reply> {
    vec![Reply::Text(text(rt, key, &state.lang, extra))]
}

/// Whether this module handles the button.
pub fn is_operator_button(id: &str) -> bool {
    id == ids::SUBSCRIBE
        || id.starts_with(ids::FEEDBACK)
        || id.starts_with(subscriptions::UNSUBSCRIBE)
        || id.starts_with(RETRY)
}

/// A pressed button of this module. Ids are parsed strictly and checked against the presser.
pub async fn on_button(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &mut State,
    id: &str,
) -> Result<Vec<Reply>> {
    let expired = || say(rt, "expired", state, &[]);
    if id == ids::SUBSCRIBE {
        let Some(need) = state
            .slots
            .get("need")
            .filter(|_| !state.results.is_empty())
        else {
            return Ok(expired());
        };
        let filters = filters_from_slots(&state.slots);
        subscriptions::subscribe(conn, ctx.channel, ctx.chat_id, need, &filters, &state.lang)
            .await?;
        return Ok(say(rt, "subscribed", state, &[("need", need.clone())]));
    }
    if let Some(rest) = id.strip_prefix(ids::FEEDBACK) {
        let scripts = rt.scripts();
        let engine = Engine { scripts: &scripts };
        let (kind, rank) = match rest.split_once(':') {
            Some(("up", rank)) => (analytics::Kind::ThumbUp, rank),
            Some(("down", rank)) => (analytics::Kind::ThumbDown, rank),
            _ => return Ok(expired()),
        };
        let Some(hit) = engine.rank_in(state, rank, "") else {
            return Ok(expired());
        };
        analytics::record(conn, kind, Some(&hit), None, &[]).await?;
        return Ok(say(rt, "feedback_thanks", state, &[]));
    }
    if let Some(rest) = id.strip_prefix(subscriptions::UNSUBSCRIBE) {
        let removed = match rest.parse::<i64>() {
            Ok(sid) => subscriptions::unsubscribe(conn, ctx.channel, ctx.chat_id, sid).await?,
            Err(_) => false,
        };
        return Ok(if removed {
            say(rt, "unsubscribed", state, &[])
        } else {
            expired()
        });
    }
    if let Some(rest) = id.strip_prefix(RETRY) {
        if !rt.is_admin(ctx.user_id) {
            return Ok(say(rt, "not_admin", state, &[]));
        }
        let retried = match rest.parse::<i64>() {
            Ok(oid) => crate::outbox::retry_dead(&mut *conn, oid).await?,
            Err(_) => false,
        };
        if !retried {
            return Ok(expired());
        }
        audit::record(conn, ctx.channel, ctx.user_id, "outbox_retry", rest).await?;
        return Ok(say(rt, "retried", state, &[("id", rest.to_owned())]));
    }
    Ok(expired())
}

/// `/subscriptions`: the saved needs, each with its remove button.
pub async fn subscriptions_list(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    let list = subscriptions::list(conn, ctx.channel, ctx.chat_id).await?;
    if list.is_empty() {
        return Ok(say(rt, "subscriptions_none", state, &[]));
    }
    let scripts = rt.scripts();
    let lines = list
        .iter()
        .map(|(id, need)| format!("#{id} {need}"))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(vec![Reply::Buttons {
        text: text(rt, "subscriptions_list", &state.lang, &[("list", lines)]),
        buttons: list
            .iter()
            .map(|(id, _)| Button {
                id: format!("{}{id}", subscriptions::UNSUBSCRIBE),
                label: format!("{} #{id}", scripts.text("unsubscribe", &state.lang)),
            })
            .collect(),
    }])
}

/// `/stats`: everything for admins, their own institution for contacts, nothing for others.
pub async fn stats(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    let institution = if rt.is_admin(ctx.user_id) {
        audit::record(conn, ctx.channel, ctx.user_id, "stats", "").await?;
        None
    } else {
        let Some(id) =
            crate::enquiry::store::contact_institution(conn, ctx.channel, ctx.chat_id).await?
        else {
            return Ok(say(rt, "not_allowed", state, &[]));
        };
        let name: String = sqlx::query_scalar("SELECT name FROM institutions WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        Some(name)
    };
    let figures = analytics::stats(rt.pool(), None, institution.as_deref()).await?;
    Ok(say(rt, "stats", state, &[("list", figures.render())]))
}

/// `/outbox` (admins): the dead letters, each with a retry button.
pub async fn outbox(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    if !rt.is_admin(ctx.user_id) {
        return Ok(say(rt, "not_admin", state, &[]));
    }
    audit::record(conn, ctx.channel, ctx.user_id, "outbox", "").await?;
    let dead = crate::outbox::dead_letters(&mut *conn, 20).await?;
    if dead.is_empty() {
        return Ok(say(rt, "outbox_empty", state, &[]));
    }
    let scripts = rt.scripts();
    let lines = dead
        .iter()
        .map(|(id, channel, chat, error)| format!("#{id} {channel}:{chat} {error}"))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(vec![Reply::Buttons {
        text: text(rt, "outbox_list", &state.lang, &[("list", lines)]),
        buttons: dead
            .iter()
            .map(|(id, ..)| Button {
                id: format!("{RETRY}{id}"),
                label: format!("{} #{id}", scripts.text("retry", &state.lang)),
            })
            .collect(),
    }])
}

/// `/forget`: deletes the chat's personal data; the caller must not save the conversation afterwards.
pub async fn forget(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    privacy::forget(conn, ctx.channel, ctx.chat_id).await?;
    Ok(say(rt, "forgotten", state, &[]))
}
