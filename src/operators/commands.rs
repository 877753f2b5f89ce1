//! What users type and press for operator features: `/subscriptions` and the subscribe and unsubscribe
//! buttons, thumbs on results, `/stats` (admins: everything; a contact: their institution), `/outbox`
//! and its retry buttons (admins), `/forget` and its confirmation. Admin actions go to the audit log.

use super::{analytics, audit, privacy, subscriptions, votes};
use crate::app::context::{Context, Who};
use crate::app::reply::Reply;
use crate::app::route::ButtonId;
use crate::dialog::engine::{Button, State};
use crate::matching::Filters;
use sqlx::PgConnection;

type Result<T> = std::result::Result<T, sqlx::Error>;

fn say(ctx: &Context, key: &str, state: &State, extra: &[(&str, String)]) -> Vec<Reply> {
    vec![Reply::Text(ctx.text(key, &state.lang, extra))]
}

/// What a pressed operator button did. `/forget` confirmed is special: the conversation is gone, so the
/// caller must not save it back.
pub enum Outcome {
    Replies(Vec<Reply>),
    Forgotten(Vec<Reply>),
}

/// A pressed button of this module. Ids are checked against the presser.
pub async fn on_button(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    id: &ButtonId,
    filters: &Filters,
) -> Result<Outcome> {
    let expired = || vec![ctx.notice("expired", &state.lang, &[])];
    let replies = match id {
        ButtonId::Subscribe => {
            let Some(need) = state
                .slots
                .get("need")
                .filter(|_| !state.results.is_empty())
            else {
                return Ok(Outcome::Replies(expired()));
            };
            subscriptions::subscribe(conn, who.channel, who.chat_id, need, filters, &state.lang)
                .await?;
            say(ctx, "subscribed", state, &[("need", need.clone())])
        }
        ButtonId::Feedback { up, pick } => {
            let hit = state.results.get(pick.rank - 1);
            let Some(hit) = hit.filter(|h| pick.fits(&h.number)).cloned() else {
                return Ok(Outcome::Replies(expired()));
            };
            // One vote per user (whoever pressed) and patent; the answer says what the press did.
            let key = match votes::press(conn, who.channel, who.user_id, &hit, *up).await? {
                votes::Vote::Counted => "feedback_thanks",
                votes::Vote::Changed => "feedback_changed",
                votes::Vote::Withdrawn => "feedback_withdrawn",
            };
            let thumb = ctx.text(
                if *up { "thumb_up" } else { "thumb_down" },
                &state.lang,
                &[],
            );
            vec![ctx.notice(key, &state.lang, &[("vote", thumb)])]
        }
        ButtonId::Unsubscribe(sid) => {
            if subscriptions::unsubscribe(conn, who.channel, who.chat_id, *sid).await? {
                say(ctx, "unsubscribed", state, &[])
            } else {
                expired()
            }
        }
        ButtonId::Retry(oid) => {
            if !ctx.is_admin(who.user_id) {
                return Ok(Outcome::Replies(vec![ctx.notice(
                    "not_admin",
                    &state.lang,
                    &[],
                )]));
            }
            if !crate::outbox::retry_dead(&mut *conn, *oid).await? {
                return Ok(Outcome::Replies(expired()));
            }
            audit::record(
                conn,
                who.channel,
                who.user_id,
                "outbox_retry",
                &oid.to_string(),
            )
            .await?;
            say(ctx, "retried", state, &[("id", oid.to_string())])
        }
        ButtonId::Forget(true) => {
            // Leads still waiting on either side are withdrawn: their institutions are told, as the
            // company can no longer be reached.
            let pending = crate::enquiry::contact::unfinished_of(conn, who).await?;
            privacy::forget(conn, who.channel, who.chat_id).await?;
            crate::enquiry::contact::withdrawn(ctx, conn, &pending).await?;
            return Ok(Outcome::Forgotten(say(ctx, "forgotten", state, &[])));
        }
        ButtonId::Forget(false) => say(ctx, "forget_kept", state, &[]),
        _ => expired(),
    };
    Ok(Outcome::Replies(replies))
}

/// `/subscriptions`: the saved needs, each with its remove button.
pub async fn subscriptions_list(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    let list = subscriptions::list(conn, who.channel, who.chat_id).await?;
    if list.is_empty() {
        return Ok(say(ctx, "subscriptions_none", state, &[]));
    }
    let lines = list
        .iter()
        .map(|(id, need)| format!("#{id} {need}"))
        .collect::<Vec<_>>()
        .join("\n");
    let label = ctx.text("unsubscribe", &state.lang, &[]);
    Ok(vec![Reply::Buttons {
        text: ctx.text("subscriptions_list", &state.lang, &[("list", lines)]),
        buttons: list
            .iter()
            .map(|(id, _)| Button::new(ButtonId::Unsubscribe(*id), format!("{label} #{id}")))
            .collect(),
    }])
}

/// `/stats`: everything for admins, their own institution for contacts, nothing for others.
pub async fn stats(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    let institution = if ctx.is_admin(who.user_id) {
        audit::record(conn, who.channel, who.user_id, "stats", "").await?;
        None
    } else {
        let Some(id) =
            crate::enquiry::registry::contact_institution(conn, who.channel, who.user_id).await?
        else {
            return Ok(say(ctx, "not_allowed", state, &[]));
        };
        crate::catalog::store::institution_name(&mut *conn, id).await?
    };
    let figures = analytics::stats(&ctx.pool, None, institution.as_deref()).await?;
    let numbers: Vec<String> = [
        &figures.shown_never_opened,
        &figures.thumbs_up,
        &figures.thumbs_down,
    ]
    .into_iter()
    .flatten()
    .map(|(n, _)| n.clone())
    .collect();
    let titles = crate::catalog::store::titles(&mut *conn, &numbers).await?;
    let text = crate::app::present::stats(ctx, &figures, &titles, &state.lang);
    Ok(vec![Reply::Text(text)])
}

/// `/outbox` (admins): the dead letters, each with a retry button, and the parked updates (poison input
/// the bot went on without; their raw bytes stay in `parked_updates` for a developer to look at).
pub async fn outbox(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &State,
) -> Result<Vec<Reply>> {
    if !ctx.is_admin(who.user_id) {
        return Ok(say(ctx, "not_admin", state, &[]));
    }
    audit::record(conn, who.channel, who.user_id, "outbox", "").await?;
    let dead = crate::outbox::dead_letters(&mut *conn, 20).await?;
    let parked = crate::inbox::parked(&mut *conn, 20).await?;
    if dead.is_empty() && parked.is_empty() {
        return Ok(say(ctx, "outbox_empty", state, &[]));
    }
    let mut sections = Vec::new();
    if !dead.is_empty() {
        let lines = dead
            .iter()
            .map(|(id, channel, chat, error)| format!("#{id} {channel}:{chat} {error}"))
            .collect::<Vec<_>>()
            .join("\n");
        sections.push(ctx.text("outbox_list", &state.lang, &[("list", lines)]));
    }
    if !parked.is_empty() {
        let lines = parked
            .iter()
            .map(parked_line)
            .collect::<Vec<_>>()
            .join("\n");
        sections.push(ctx.text("parked_list", &state.lang, &[("list", lines)]));
    }
    let label = ctx.text("retry", &state.lang, &[]);
    Ok(vec![Reply::Buttons {
        text: sections.join("\n\n"),
        buttons: dead
            .iter()
            .map(|(id, ..)| Button::new(ButtonId::Retry(*id), format!("{label} #{id}")))
            .collect(),
    }])
}

/// One parked update for admins: when, which update, its size, tries and (the start of) its error.
fn parked_line(p: &crate::inbox::Parked) -> String {
    let update = p.update_id.map_or("?".to_owned(), |id| id.to_string());
    let error: String = p.error.chars().take(120).collect();
    format!(
        "#{} {} update {update} · {} B · {}× · {error}",
        p.id,
        p.parked_at.format("%Y-%m-%d %H:%M"),
        p.bytes,
        p.attempts
    )
}

/// `/forget`: asks first; nothing is deleted until the user confirms with the button.
pub fn forget_prompt(ctx: &Context, state: &State) -> Vec<Reply> {
    vec![Reply::Buttons {
        text: ctx.text("forget_confirm", &state.lang, &[]),
        buttons: vec![
            Button::new(
                ButtonId::Forget(true),
                ctx.text("forget_yes", &state.lang, &[]),
            ),
            Button::new(
                ButtonId::Forget(false),
                ctx.text("forget_no", &state.lang, &[]),
            ),
        ],
    }]
}
