//! The company's side of enquiries: the consent flow's script actions, `/my` with each enquiry's thread,
//! answering a contact's question and rating the patent once the enquiry is closed. Messages for the
//! institution go through the outbox in the same transaction as the status change.

use super::contact;
use super::messages;
use super::store::{self, EnquiryError, Kind, Mode, NewEnquiry, Status};
use crate::app::context::{Context, Who};
use crate::app::present;
use crate::app::reply::Reply;
use crate::app::route::{Action, ButtonId, Pending};
use crate::catalog::record::LicenseMode;
use crate::dialog::engine::{Button, State};
use crate::operators::privacy;
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// Slots the enquiry flow collects; they are personal data and leave the conversation state on submit
/// or refusal.
pub const PERSONAL_SLOTS: &[&str] = &[
    "company", "person", "contact", "message", "mode", "consent", "declare",
];

type Result<T> = std::result::Result<T, sqlx::Error>;

fn say(ctx: &Context, key: &str, lang: &str, extra: &[(&str, String)]) -> Vec<Reply> {
    vec![Reply::Text(ctx.text(key, lang, extra))]
}

fn refusal(e: &EnquiryError, vars: &mut BTreeMap<String, String>) -> &'static str {
    if let EnquiryError::Capped(limit) = e {
        vars.insert("limit".into(), limit.to_string());
        "capped"
    } else {
        "duplicate"
    }
}

type Outcome = (String, BTreeMap<String, String>);

/// Runs one of the enquiry actions; returns the outcome and placeholders.
pub async fn run_action(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    action: Action,
) -> Result<Outcome> {
    // The two actions that need no patent.
    match action {
        Action::AcknowledgePrivacy => {
            privacy::acknowledge(conn, who.channel, who.chat_id).await?;
            return Ok(("done".into(), BTreeMap::new()));
        }
        Action::DiscardEnquiry => {
            for s in PERSONAL_SLOTS {
                state.slots.remove(*s);
            }
            return Ok(("done".into(), BTreeMap::new()));
        }
        _ => {}
    }
    let number = state
        .slots
        .get("enquiry_patent")
        .cloned()
        .unwrap_or_default();
    let patent = crate::catalog::store::patent_by_number(&mut *conn, &number).await?;
    let mut vars = patent.as_ref().map(patent_vars).unwrap_or_default();
    let declaring = matches!(
        action,
        Action::PrepareDeclaration | Action::SubmitDeclaration
    );
    let terms = patent
        .as_ref()
        .map(|p| present::open_terms(ctx, &p.record, &state.lang))
        .unwrap_or_default();
    if declaring {
        vars.insert("open_terms".into(), terms.clone());
    }
    let outcome = if matches!(action, Action::PrepareEnquiry | Action::PrepareDeclaration) {
        prepare(ctx, conn, who, state, &number, &mut vars).await?
    } else {
        let new = new_enquiry(ctx, who, state, &number, declaring, terms);
        // Whatever happens, the personal details leave the conversation state now.
        for s in PERSONAL_SLOTS {
            state.slots.remove(*s);
        }
        submit(ctx, conn, &new, &mut vars).await?
    };
    Ok((outcome.to_owned(), vars))
}

/// The placeholders of the patent enquired about, and which deals it offers: the deal question shows
/// only those (`if_set` in the script).
fn patent_vars(p: &crate::catalog::store::StoredPatent) -> BTreeMap<String, String> {
    let modes = &p.record.license_modes;
    let licence = |m: &LicenseMode| {
        matches!(
            m,
            LicenseMode::Exclusive | LicenseMode::Sole | LicenseMode::Ordinary
        )
    };
    let offers = [
        ("deal_transfer", modes.contains(&LicenseMode::Transfer)),
        ("deal_license", modes.iter().any(licence)),
        ("deal_open", modes.contains(&LicenseMode::Open)),
    ];
    let mut vars: BTreeMap<String, String> = offers
        .into_iter()
        .map(|(name, offered)| (name.into(), if offered { "yes" } else { "no" }.into()))
        .collect();
    vars.insert("title".into(), p.record.title.clone());
    vars.insert("institution".into(), p.record.institution.clone());
    vars.insert("number".into(), p.record.number.clone());
    vars
}

/// May the company enquire (duplicate, cap), has it read the privacy notice, did it give its details
/// before (they are offered again: the script asks to use or change them)?
async fn prepare(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    number: &str,
    vars: &mut BTreeMap<String, String>,
) -> Result<&'static str> {
    let cap = ctx.settings.enquiry_cap;
    match store::may_enquire(conn, who.channel, who.chat_id, number, cap).await {
        Ok(()) if !privacy::acknowledged(conn, who.channel, who.chat_id).await? => Ok("notice"),
        Ok(()) => Ok(
            match store::profile(conn, who.channel, who.chat_id).await? {
                Some(p) => {
                    for (slot, value) in [
                        ("company", p.company),
                        ("person", p.person),
                        ("contact", p.contact),
                    ] {
                        state.slots.insert(slot.into(), value);
                    }
                    "known"
                }
                None => "ready",
            },
        ),
        Err(EnquiryError::Db(e)) => Err(e),
        Err(e) => Ok(refusal(&e, vars)),
    }
}

/// What the company consented to send, from the conversation's slots.
fn new_enquiry(
    ctx: &Context,
    who: &Who<'_>,
    state: &State,
    number: &str,
    declaring: bool,
    terms: String,
) -> NewEnquiry {
    let slot = |k: &str| state.slots.get(k).cloned().unwrap_or_default();
    let message = if declaring {
        let terms = [("open_terms", terms.clone())];
        ctx.text("declaration_message", &ctx.default_lang(), &terms)
    } else {
        slot("message")
    };
    NewEnquiry {
        patent_number: number.to_owned(),
        channel: who.channel.to_owned(),
        chat_id: who.chat_id,
        company: slot("company"),
        person: slot("person"),
        contact: slot("contact"),
        message,
        mode: if declaring {
            Mode::Open
        } else {
            Mode::parse(&slot("mode")).unwrap_or(Mode::License)
        },
        kind: if declaring {
            Kind::Declaration
        } else {
            Kind::Enquiry
        },
        terms: declaring.then_some(terms),
    }
}

/// Stores the enquiry (and the details for next time) and forwards it to the institution's contacts.
async fn submit(
    ctx: &Context,
    conn: &mut PgConnection,
    new: &NewEnquiry,
    vars: &mut BTreeMap<String, String>,
) -> Result<&'static str> {
    match store::submit(conn, new, ctx.settings.enquiry_cap).await {
        Ok(id) => {
            store::save_profile(conn, new).await?;
            vars.insert("id".into(), id.to_string());
            let e = store::lock(conn, id)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?;
            Ok(if contact::forward(ctx, conn, &e).await? {
                "forwarded"
            } else {
                "queued"
            })
        }
        Err(EnquiryError::Db(e)) => Err(e),
        Err(e) => Ok(refusal(&e, vars)),
    }
}

/// `/my`: the company's enquiries, each with its thread.
pub async fn my(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let list = store::of_company(conn, who.channel, who.chat_id).await?;
    // The needs the company posted on the board, with a withdraw button each, after its enquiries.
    let posted = crate::board::chat::mine(ctx, conn, who, lang).await?;
    if list.is_empty() {
        return Ok(match posted {
            Some(board) => vec![board],
            None => say(ctx, "my_none", lang, &[]),
        });
    }
    let mut blocks = Vec::with_capacity(list.len());
    for e in &list {
        let head = ctx.text("my_line", lang, &messages::vars(ctx, e, lang));
        let thread = messages::thread(ctx, conn, e, lang, messages::Reader::Company).await?;
        // Once accepted, the institution's contact stays at hand here (the notice may be long gone).
        let contact = match e.status {
            Status::Accepted | Status::Closed => {
                crate::catalog::store::published_contact(conn, e.institution_id)
                    .await?
                    .map(|c| ctx.text("thread_contact", lang, &[("contact", c)]))
            }
            _ => None,
        };
        let lines = [Some(head), Some(thread), contact];
        let lines: Vec<String> = lines
            .into_iter()
            .flatten()
            .filter(|l| !l.is_empty())
            .collect();
        blocks.push(lines.join("\n"));
    }
    let text = ctx.text("my_enquiries", lang, &[("list", blocks.join("\n\n"))]);
    // A question waiting for the company's answer can be answered from here too.
    let buttons: Vec<Button> = list
        .iter()
        .filter(|e| e.status == Status::InfoRequested)
        .map(|e| {
            let label = ctx.text("reply_to", lang, &[("id", e.id.to_string())]);
            Button::new(ButtonId::Reply(e.id), label)
        })
        .collect();
    let mut replies = vec![if buttons.is_empty() {
        Reply::Text(text)
    } else {
        Reply::Buttons { text, buttons }
    }];
    replies.extend(rating_requests(ctx, conn, &list, lang).await?);
    replies.extend(posted);
    Ok(replies)
}

/// The company's closed enquiries it has not rated yet (most recent first): what stars typed without a
/// button on screen can only be meant for.
pub async fn awaiting_rating(conn: &mut PgConnection, who: &Who<'_>) -> Result<Vec<i64>> {
    let list = store::of_company(conn, who.channel, who.chat_id).await?;
    unrated(conn, &list).await
}

/// The ids of the closed enquiries of `list` that their company has not rated.
async fn unrated(conn: &mut PgConnection, list: &[store::Enquiry]) -> Result<Vec<i64>> {
    let closed: Vec<i64> = list
        .iter()
        .filter(|e| e.status == Status::Closed)
        .map(|e| e.id)
        .collect();
    if closed.is_empty() {
        return Ok(closed);
    }
    let rated = store::rated(conn, &closed).await?;
    Ok(closed
        .into_iter()
        .filter(|id| !rated.contains(id))
        .collect())
}

/// A closed enquiry the company has not rated asks again, with its stars (the request it was sent may
/// be long gone from the screen).
async fn rating_requests(
    ctx: &Context,
    conn: &mut PgConnection,
    list: &[store::Enquiry],
    lang: &str,
) -> Result<Vec<Reply>> {
    let unrated = unrated(conn, list).await?;
    Ok(list
        .iter()
        .filter(|e| unrated.contains(&e.id))
        .map(|e| Reply::Buttons {
            text: ctx.text("rate_prompt", lang, &messages::vars(ctx, e, lang)),
            buttons: messages::rate_buttons(e.id),
        })
        .collect())
}

/// The company's buttons on its enquiries: reply to a question, rate a closed enquiry. Both are checked
/// against the presser's own enquiries.
pub async fn on_button(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    id: &ButtonId,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    let (eid, wanted) = match id {
        ButtonId::Reply(n) => (*n, Status::InfoRequested),
        ButtonId::Rate(n, _) => (*n, Status::Closed),
        _ => return Ok(vec![ctx.notice("not_yours", &lang, &[])]),
    };
    let mine = store::lock(conn, eid)
        .await?
        .filter(|e| e.channel == who.channel && e.chat_id == who.chat_id);
    match mine {
        None => return Ok(vec![ctx.notice("not_yours", &lang, &[])]),
        // An old button: the enquiry moved on (the question was answered, or it was closed and rated).
        Some(e) if e.status != wanted => return Ok(vec![contact::status_notice(ctx, &e, &lang)]),
        Some(_) => {}
    }
    if let ButtonId::Rate(_, rating) = id {
        return Ok(match store::rate(conn, eid, i16::from(*rating)).await {
            Ok(()) | Err(EnquiryError::AlreadyRated) => say(ctx, "rated", &lang, &[]),
            Err(EnquiryError::Db(e)) => return Err(e),
            Err(_) => vec![ctx.notice("not_yours", &lang, &[])],
        });
    }
    state.await_answer(Pending::Answer(eid), who.user_id);
    Ok(say(ctx, "ask_answer", &lang, &[]))
}

/// The company's typed answer to a contact's question.
pub async fn on_answer(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    eid: i64,
    text: &str,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    state.pending = None;
    let Some(e) = store::lock(conn, eid).await?.filter(|e| {
        e.channel == who.channel && e.chat_id == who.chat_id && e.status == Status::InfoRequested
    }) else {
        return Ok(say(ctx, "not_yours", &lang, &[]));
    };
    let answer: String = text.trim().chars().take(1000).collect();
    contact::pass_answer(ctx, conn, &e, &answer).await?;
    Ok(say(ctx, "answer_passed", &lang, &[]))
}

/// Where text the company typed waits while it is asked whether that text answers a contact's question.
const DRAFT_SLOT: &str = "answer_draft";

/// The company's newest enquiry whose question waits for its answer, if any.
pub async fn open_question(
    conn: &mut PgConnection,
    who: &Who<'_>,
) -> Result<Option<store::Enquiry>> {
    store::open_question(conn, who.channel, who.chat_id).await
}

/// Text typed (not through "Reply") while a question waits: is it the answer? Nothing reaches the
/// institution before the company says so; the text waits in the state until it does, or says no.
pub async fn ask_if_answer(
    ctx: &Context,
    conn: &mut PgConnection,
    state: &mut State,
    e: &store::Enquiry,
    text: &str,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    state.slots.insert(DRAFT_SLOT.into(), text.to_owned());
    let question = store::history(conn, e.id)
        .await?
        .into_iter()
        .rev()
        .find(|event| event.status == Status::InfoRequested)
        .and_then(|event| event.note)
        .unwrap_or_default();
    let mut v = messages::vars(ctx, e, &lang);
    v.push(("question", question));
    let buttons = vec![
        Button::new(
            ButtonId::SendDraft(e.id),
            ctx.text("draft_send", &lang, &[]),
        ),
        Button::new(ButtonId::KeepDraft, ctx.text("draft_keep", &lang, &[])),
    ];
    let text = ctx.text("draft_is_answer", &lang, &v);
    Ok(vec![Reply::Buttons { text, buttons }])
}

/// Takes the text [`ask_if_answer`] kept (it leaves the state whatever is done with it).
pub fn take_draft(state: &mut State) -> Option<String> {
    state.slots.remove(DRAFT_SLOT)
}
