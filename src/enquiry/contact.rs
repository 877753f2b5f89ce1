//! The institution's side of enquiries: leads going out to its group chats or registered contacts,
//! `/leads`, `/register`, `/invite`, the lead buttons (accept, decline, ask, close), the free-text
//! reasons and questions they wait for, and reminders for leads nobody answered. Every action is
//! checked against the institution of whoever acts (their user id, wherever the button sits); in a
//! group the answer names them. Messages for the company go through the outbox in the same transaction
//! as the status change.

use super::messages::{self, vars};
use super::store::{self, Enquiry, EnquiryError, Status};
use super::{group, registry};
use crate::app::context::{Context, Who};
use crate::app::reply::Reply;
use crate::app::route::{ButtonId, Pending};
use crate::dialog::engine::{Button, State};
use crate::outbox::{self, Message};
use sqlx::PgConnection;

type Result<T> = std::result::Result<T, sqlx::Error>;

fn say(ctx: &Context, key: &str, lang: &str, extra: &[(&str, String)]) -> Vec<Reply> {
    vec![Reply::Text(ctx.text(key, lang, extra))]
}

/// Sends the lead to its institution's group chats, or without any to each registered contact (status
/// forwarded). With no contact, nobody could act on it: the enquiry stays queued and the admins are
/// told. Returns whether it was forwarded.
pub async fn forward(ctx: &Context, conn: &mut PgConnection, e: &Enquiry) -> Result<bool> {
    if !registry::has_contacts(conn, e.institution_id).await? {
        let lang = ctx.default_lang();
        let alert = Message::text(ctx.text("alert_no_contact", &lang, &vars(ctx, e, &lang)));
        for admin in &ctx.settings.admins {
            outbox::enqueue(conn, &ctx.settings.admin_channel, *admin, &alert, None).await?;
        }
        return Ok(false);
    }
    let mut forwarded = e.clone();
    forwarded.status = Status::Forwarded;
    let company_lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
    for (channel, chat) in registry::lead_chats(conn, e.institution_id).await? {
        let lang = ctx.lang_of(conn, &channel, chat).await?;
        let mut lead = messages::lead(ctx, &forwarded, &lang);
        // A contact reading another language than the company's is told which one to answer in (a
        // trial company writing English got its decline reason in Chinese).
        if lang != company_lang {
            let language = ctx
                .scripts
                .choice_label("lang", &company_lang, &lang)
                .unwrap_or(company_lang.clone());
            let note = ctx.text("lead_language", &lang, &[("language", language)]);
            lead.text = format!("{}\n{note}", lead.text);
        }
        outbox::enqueue(conn, &channel, chat, &lead, Some(e.id)).await?;
    }
    store::set_status(conn, e.id, Status::Forwarded, None).await?;
    Ok(true)
}

/// `/leads`: what a contact still has to act on, each with its thread and the buttons of its status
/// (in a group too, where the contact typed it).
pub async fn leads(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let Some(institution) = registry::contact_institution(conn, who.channel, who.user_id).await?
    else {
        return Ok(say(ctx, "not_contact", lang, &[]));
    };
    let list = store::leads_of_institution(conn, institution).await?;
    if list.is_empty() {
        return Ok(say(ctx, "leads_none", lang, &[]));
    }
    let mut replies = say(ctx, "leads_list", lang, &[]);
    for e in &list {
        let lead = messages::listed(ctx, e, lang);
        let thread = messages::thread(ctx, conn, e, lang, messages::Reader::Contact).await?;
        replies.push(Reply::Buttons {
            text: format!("{lead}\n{thread}"),
            buttons: messages::lead_buttons(ctx, e, lang),
        });
    }
    Ok(replies)
}

/// `/register CODE`: whoever sends it becomes their institution's contact (the person, with their own
/// chat for leads while the institution has no group). Sent in a group, the group also receives the
/// institution's leads from now on (unless it is another institution's). Queued enquiries go out now.
pub async fn register(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    code: Option<&str>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Ok(say(ctx, "register_usage", lang, &[]));
    };
    // A private chat's id is its user's, so the person's own chat is known even when they register in
    // a group (the code, typed there, is used up at once).
    let (institution_id, name) =
        match super::invites::register(conn, code, who.channel, who.user_id, who.user_id).await {
            Ok(registered) => registered,
            Err(EnquiryError::Db(e)) => return Err(e),
            Err(_) => return Ok(say(ctx, "bad_invite", lang, &[])),
        };
    let replies = if who.group {
        let named = [("institution", name), ("name", who.display_name())];
        let mut replies = say(ctx, "registered_in_group", lang, &named);
        replies.extend(group::adopt(ctx, conn, who, institution_id, lang).await?);
        replies
    } else {
        say(ctx, "registered", lang, &[("institution", name)])
    };
    for e in store::queued_of_institution(conn, institution_id).await? {
        forward(ctx, conn, &e).await?;
    }
    Ok(replies)
}

/// `/invite INSTITUTION` (admins only; the router checks).
pub async fn invite(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    institution: Option<&str>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let Some(name) = institution else {
        return Ok(say(ctx, "invite_usage", lang, &[]));
    };
    let by = format!("{}:{}", who.channel, who.user_id);
    let institution = ("institution", name.to_owned());
    Ok(match super::invites::invite(conn, name, &by, 7).await {
        Ok(code) => say(ctx, "invite_created", lang, &[institution, ("code", code)]),
        Err(EnquiryError::Db(e)) => return Err(e),
        Err(_) => {
            let like = super::invites::similar_names(
                name,
                crate::catalog::store::institution_names(conn).await?,
            );
            match like.is_empty() {
                true => say(ctx, "unknown_institution", lang, &[institution]),
                false => {
                    let list = (
                        "list",
                        like.join(ctx.text("list_separator", lang, &[]).as_str()),
                    );
                    say(ctx, "unknown_institution_like", lang, &[institution, list])
                }
            }
        }
    })
}

/// The enquiry `id` if whoever acts is a contact of its institution and its status is one of `may`;
/// otherwise the brief answer they get (not a contact; not their institution's or no such enquiry; or
/// the enquiry's status now, for an old button on a lead already answered). This is the one check every
/// contact action passes.
async fn contacts_enquiry(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    id: i64,
    lang: &str,
    may: impl Fn(Status) -> bool,
) -> Result<std::result::Result<Enquiry, Reply>> {
    let Some(institution) = registry::contact_institution(conn, who.channel, who.user_id).await?
    else {
        return Ok(Err(ctx.notice("not_contact", lang, &[])));
    };
    Ok(match store::lock(conn, id).await? {
        // The company deleted its data: nobody to accept, decline or ask.
        Some(e) if e.institution_id == institution && e.forgotten() => {
            Err(ctx.notice("lead_forgotten", lang, &[("id", e.id.to_string())]))
        }
        Some(e) if e.institution_id == institution && may(e.status) => Ok(e),
        Some(e) if e.institution_id == institution => Err(status_notice(ctx, &e, lang)),
        _ => Err(ctx.notice("not_yours", lang, &[])),
    })
}

/// What an old button on an enquiry whose status moved on says: the status now.
pub fn status_notice(ctx: &Context, e: &Enquiry, lang: &str) -> Reply {
    let status = crate::app::present::status(ctx, e.status, lang);
    ctx.notice(
        "enquiry_status",
        lang,
        &[("id", e.id.to_string()), ("status", status)],
    )
}

const REASONS: [&str; 2] = ["decline_reason_taken", "decline_reason_mismatch"];

/// A pressed lead button (accept, decline, a reason, ask, close).
pub async fn on_button(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    id: &ButtonId,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    let (eid, may) = match id {
        ButtonId::LeadClose(n) => (*n, (|s| s == Status::Accepted) as fn(Status) -> bool),
        ButtonId::LeadAccept(n)
        | ButtonId::LeadDecline(n)
        | ButtonId::LeadReason(n, _)
        | ButtonId::LeadInfo(n) => (*n, Status::is_open as fn(Status) -> bool),
        _ => return Ok(vec![ctx.notice("not_yours", &lang, &[])]),
    };
    let e = match contacts_enquiry(ctx, conn, who, eid, &lang, may).await? {
        Ok(e) => e,
        Err(refusal) => return Ok(vec![refusal]),
    };
    let (replies, now) = match id {
        ButtonId::LeadAccept(_) => (accept(ctx, conn, &e, &lang).await?, Status::Accepted),
        ButtonId::LeadDecline(_) => {
            state.await_answer(Pending::DeclineReason(eid), who.user_id);
            let ask = vec![decline_prompt(ctx, eid, &lang)];
            return Ok(group::asked(ctx, who, &lang, ask));
        }
        ButtonId::LeadReason(_, n) => {
            state.pending = None;
            let company_lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
            let key = REASONS[usize::from(*n).clamp(1, REASONS.len()) - 1];
            let reason = ctx.text(key, &company_lang, &[]);
            let replies = decline(ctx, conn, &e, &reason, &lang).await?;
            (replies, Status::Declined)
        }
        ButtonId::LeadInfo(_) => {
            state.await_answer(Pending::Question(eid), who.user_id);
            let ask = say(ctx, "ask_info_question", &lang, &[]);
            return Ok(group::asked(ctx, who, &lang, ask));
        }
        _ => (close(ctx, conn, &e, &lang).await?, Status::Closed),
    };
    acted(ctx, conn, who, &e, now, &lang, replies).await
}

/// Why decline? The usual reasons as buttons, or a reason typed in.
fn decline_prompt(ctx: &Context, eid: i64, lang: &str) -> Reply {
    let buttons = REASONS
        .iter()
        .enumerate()
        .map(|(i, key)| {
            Button::new(
                ButtonId::LeadReason(eid, i as u8 + 1),
                ctx.text(key, lang, &[]),
            )
        })
        .collect();
    let text = format!(
        "{}\n{}",
        ctx.text("ask_decline_reason", lang, &[]),
        ctx.text("decline_reason_other", lang, &[])
    );
    Reply::Buttons { text, buttons }
}

/// After a contact's action: the institution's other groups hear who did what, and in a group the
/// answer names whoever acted.
async fn acted(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    e: &Enquiry,
    now: Status,
    lang: &str,
    replies: Vec<Reply>,
) -> Result<Vec<Reply>> {
    let mut moved = e.clone();
    moved.status = now;
    group::tell_others(ctx, conn, who, &moved).await?;
    Ok(group::signed(ctx, who, lang, replies))
}

async fn accept(
    ctx: &Context,
    conn: &mut PgConnection,
    e: &Enquiry,
    lang: &str,
) -> Result<Vec<Reply>> {
    store::set_status(conn, e.id, Status::Accepted, None).await?;
    let published = crate::catalog::store::published_contact(conn, e.institution_id)
        .await?
        .unwrap_or_default();
    let company_lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
    let mut to_company = vars(ctx, e, &company_lang);
    to_company.push(("contact", published));
    let notice = ctx.text("lead_accepted_company", &company_lang, &to_company);
    outbox::enqueue(conn, &e.channel, e.chat_id, &Message::text(notice), None).await?;
    let mut to_contact = vars(ctx, e, lang);
    to_contact.push(("person", e.person.clone()));
    to_contact.push(("contact", e.contact.clone()));
    // The close button comes with the company's details: it is what the contact does when talks end.
    Ok(vec![Reply::Buttons {
        text: ctx.text("lead_accepted_contact", lang, &to_contact),
        buttons: vec![Button::new(
            ButtonId::LeadClose(e.id),
            ctx.text("lead_close", lang, &[]),
        )],
    }])
}

/// The contact closes an accepted enquiry (the talks are over); the company is asked to rate the patent.
async fn close(
    ctx: &Context,
    conn: &mut PgConnection,
    e: &Enquiry,
    lang: &str,
) -> Result<Vec<Reply>> {
    store::set_status(conn, e.id, Status::Closed, None).await?;
    let company_lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
    let prompt = Message {
        text: ctx.text("rate_prompt", &company_lang, &vars(ctx, e, &company_lang)),
        buttons: messages::rate_buttons(e.id),
    };
    outbox::enqueue(conn, &e.channel, e.chat_id, &prompt, None).await?;
    Ok(say(
        ctx,
        "contact_closed",
        lang,
        &[("id", e.id.to_string())],
    ))
}

async fn decline(
    ctx: &Context,
    conn: &mut PgConnection,
    e: &Enquiry,
    reason: &str,
    lang: &str,
) -> Result<Vec<Reply>> {
    store::set_status(conn, e.id, Status::Declined, Some(reason)).await?;
    let company_lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
    let mut v = vars(ctx, e, &company_lang);
    // The text closes the reason with its own full stop ("原因：…。"): the contact's is dropped.
    let reason = reason.trim_end_matches(['.', '。', '!', '！', ' ']);
    v.push(("reason", reason.to_owned()));
    let notice = ctx.text("lead_declined_company", &company_lang, &v);
    outbox::enqueue(conn, &e.channel, e.chat_id, &Message::text(notice), None).await?;
    Ok(say(ctx, "contact_done", lang, &[("id", e.id.to_string())]))
}

/// A contact's typed decline reason or question.
pub async fn on_pending_text(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    pending: Pending,
    text: &str,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    state.pending = None;
    let (Pending::DeclineReason(eid) | Pending::Question(eid)) = pending else {
        return Ok(vec![ctx.notice("not_yours", &lang, &[])]);
    };
    let e = match contacts_enquiry(ctx, conn, who, eid, &lang, Status::is_open).await? {
        Ok(e) => e,
        Err(refusal) => return Ok(vec![refusal]),
    };
    let text: String = text.trim().chars().take(1000).collect();
    if let Pending::DeclineReason(_) = pending {
        let replies = decline(ctx, conn, &e, &text, &lang).await?;
        return acted(ctx, conn, who, &e, Status::Declined, &lang, replies).await;
    }
    store::set_status(conn, e.id, Status::InfoRequested, Some(&text)).await?;
    let company_lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
    let mut v = vars(ctx, &e, &company_lang);
    v.push(("question", text));
    let message = Message {
        text: ctx.text("info_requested_company", &company_lang, &v),
        buttons: vec![Button::new(
            ButtonId::Reply(e.id),
            ctx.text("reply", &company_lang, &[]),
        )],
    };
    outbox::enqueue(conn, &e.channel, e.chat_id, &message, None).await?;
    let replies = say(ctx, "question_sent", &lang, &[("id", e.id.to_string())]);
    acted(ctx, conn, who, &e, Status::InfoRequested, &lang, replies).await
}

/// The company's answer to a question reaches the institution where its leads go (its groups, or every
/// contact), with the buttons to decide (accept, decline, ask again).
pub async fn pass_answer(
    ctx: &Context,
    conn: &mut PgConnection,
    e: &Enquiry,
    answer: &str,
) -> Result<()> {
    store::set_status(conn, e.id, Status::Delivered, Some(answer)).await?;
    let mut answered = e.clone();
    answered.status = Status::Delivered;
    for (channel, chat) in registry::lead_chats(conn, e.institution_id).await? {
        let lang = ctx.lang_of(conn, &channel, chat).await?;
        let mut v = vars(ctx, &answered, &lang);
        v.push(("answer", answer.to_owned()));
        let message = Message {
            text: ctx.text("answer_to_contact", &lang, &v),
            buttons: messages::lead_buttons(ctx, &answered, &lang),
        };
        outbox::enqueue(conn, &channel, chat, &message, None).await?;
    }
    Ok(())
}

/// The company's enquiries an institution may still act on (open, or accepted and not closed).
pub async fn unfinished_of(conn: &mut PgConnection, who: &Who<'_>) -> Result<Vec<Enquiry>> {
    let all = store::of_company(conn, who.channel, who.chat_id).await?;
    Ok(all
        .into_iter()
        .filter(|e| e.status.is_open() || e.status == Status::Accepted)
        .collect())
}

/// The company of these leads deleted its data (`/forget`): where each institution takes its leads,
/// it is told the lead is withdrawn, with no detail of the company.
pub async fn withdrawn(ctx: &Context, conn: &mut PgConnection, leads: &[Enquiry]) -> Result<()> {
    for e in leads {
        for (channel, chat) in registry::lead_chats(conn, e.institution_id).await? {
            let lang = ctx.lang_of(conn, &channel, chat).await?;
            let v = [("id", e.id.to_string()), ("title", e.title.clone())];
            let notice = Message::text(ctx.text("lead_withdrawn", &lang, &v));
            outbox::enqueue(conn, &channel, chat, &notice, None).await?;
        }
    }
    Ok(())
}

/// A lead reached a contact: forwarded -> delivered, and the company is told.
pub async fn delivered(ctx: &Context, conn: &mut PgConnection, id: i64) -> Result<()> {
    let Some(e) = store::lock(conn, id).await? else {
        return Ok(());
    };
    if e.status != Status::Forwarded {
        return Ok(());
    }
    store::set_status(conn, id, Status::Delivered, None).await?;
    let lang = ctx.lang_of(conn, &e.channel, e.chat_id).await?;
    let notice = Message::text(ctx.text("delivered_company", &lang, &vars(ctx, &e, &lang)));
    outbox::enqueue(conn, &e.channel, e.chat_id, &notice, None).await?;
    Ok(())
}

/// A lead was given up on: the admins are told (the entry stays in the dead letters for a retry).
pub async fn dead_lettered(ctx: &Context, conn: &mut PgConnection, id: i64) -> Result<()> {
    let Some(e) = store::lock(conn, id).await? else {
        return Ok(());
    };
    let lang = ctx.default_lang();
    let alert = Message::text(ctx.text("alert_dead_letter", &lang, &vars(ctx, &e, &lang)));
    for admin in &ctx.settings.admins {
        outbox::enqueue(conn, &ctx.settings.admin_channel, *admin, &alert, None).await?;
    }
    Ok(())
}

/// Reminds the institution (its groups, or its contacts) of every delivered lead nobody answered within
/// the configured days, once per lead, with the lead's buttons again. Returns how many leads were reminded.
pub async fn remind_due(ctx: &Context) -> Result<usize> {
    let mut tx = ctx.pool.begin().await?;
    let due = store::due_reminders(&mut tx, ctx.settings.lead_reminder_days).await?;
    for e in &due {
        for (channel, chat) in registry::lead_chats(&mut tx, e.institution_id).await? {
            let lang = ctx.lang_of(&mut tx, &channel, chat).await?;
            let lead = messages::lead(ctx, e, &lang);
            let mut v = vars(ctx, e, &lang);
            v.push(("count", ctx.settings.lead_reminder_days.to_string()));
            let reminder = Message {
                text: format!("{}\n{}", ctx.text("lead_reminder", &lang, &v), lead.text),
                buttons: lead.buttons,
            };
            outbox::enqueue(&mut tx, &channel, chat, &reminder, None).await?;
        }
        store::mark_reminded(&mut tx, e.id).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}
