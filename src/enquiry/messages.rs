//! The texts of an enquiry both sides see: the lead with its buttons, the placeholders of notices, and
//! the thread (questions, answers, status changes) shown in `/my` and `/leads`.

use super::store::{self, Enquiry, Kind, Status};
use crate::app::context::Context;
use crate::app::present;
use crate::app::route::ButtonId;
use crate::dialog::engine::Button;
use crate::outbox::Message;
use sqlx::PgConnection;

/// The company's name and message as shown to the institution: a company that used `/forget` left
/// nothing, and the reader is told so rather than shown blanks.
pub fn company_and_message(ctx: &Context, e: &Enquiry, lang: &str) -> (String, String) {
    if e.forgotten() {
        let gone = ctx.text("company_forgotten", lang, &[]);
        (gone.clone(), gone)
    } else {
        (e.company.clone(), e.message.clone())
    }
}

/// The placeholders of an enquiry's notices, in the reader's language.
pub fn vars(ctx: &Context, e: &Enquiry, lang: &str) -> Vec<(&'static str, String)> {
    let (company, message) = company_and_message(ctx, e, lang);
    vec![
        ("id", e.id.to_string()),
        ("title", e.title.clone()),
        ("number", e.patent_number.clone()),
        ("institution", e.institution.clone()),
        ("company", company),
        ("mode", present::deal(ctx, e.mode, lang)),
        ("message", message),
        ("status", present::status(ctx, e.status, lang)),
    ]
}

/// The buttons a contact has on an enquiry in its current status: accept, decline or ask while it is
/// open; close once accepted; none after.
pub fn lead_buttons(ctx: &Context, e: &Enquiry, lang: &str) -> Vec<Button> {
    let id = e.id;
    if e.forgotten() {
        Vec::new()
    } else if e.status.is_open() {
        vec![
            Button::new(ButtonId::LeadAccept(id), ctx.text("lead_accept", lang, &[])),
            Button::new(
                ButtonId::LeadDecline(id),
                ctx.text("lead_decline", lang, &[]),
            ),
            Button::new(ButtonId::LeadInfo(id), ctx.text("lead_info", lang, &[])),
        ]
    } else if e.status == Status::Accepted {
        vec![Button::new(
            ButtonId::LeadClose(id),
            ctx.text("lead_close", lang, &[]),
        )]
    } else {
        Vec::new()
    }
}

/// The 1-5 star buttons of a closed enquiry's rating request.
pub fn rate_buttons(id: i64) -> Vec<Button> {
    (1..=5u8)
        .map(|n| Button::new(ButtonId::Rate(id, n), "★".repeat(usize::from(n))))
        .collect()
}

/// The lead a contact receives: no personal contact details before acceptance.
pub fn lead(ctx: &Context, e: &Enquiry, lang: &str) -> Message {
    let (key, v) = lead_text(ctx, e, lang, "lead");
    Message {
        text: ctx.text(key, lang, &v),
        buttons: lead_buttons(ctx, e, lang),
    }
}

/// A lead as `/leads` lists it: headed by its status, not as new; once accepted, with the company's
/// person and contact details (the message that gave them may have scrolled far away).
pub fn listed(ctx: &Context, e: &Enquiry, lang: &str) -> String {
    let (key, mut v) = lead_text(ctx, e, lang, "lead_listed");
    let mut text = ctx.text(key, lang, &v);
    if e.status == Status::Accepted && !e.forgotten() {
        v.push(("person", e.person.clone()));
        v.push(("contact", e.contact.clone()));
        text = format!("{text}\n{}", ctx.text("lead_company_details", lang, &v));
    }
    text
}

/// A lead's text key and placeholders (the open-licence terms included): a declaration reads the same
/// wherever it is shown; an enquiry is headed by `enquiry_key` (new, or as `/leads` lists it).
fn lead_text(
    ctx: &Context,
    e: &Enquiry,
    lang: &str,
    enquiry_key: &'static str,
) -> (&'static str, Vec<(&'static str, String)>) {
    let key = match e.kind {
        Kind::Declaration => "lead_declaration",
        Kind::Enquiry => enquiry_key,
    };
    let mut v = vars(ctx, e, lang);
    v.push(("open_terms", e.terms.clone().unwrap_or_default()));
    (key, v)
}

/// An enquiry's history as lines: each status change, with the question, answer or reason said.
pub async fn thread(
    ctx: &Context,
    conn: &mut PgConnection,
    e: &Enquiry,
    lang: &str,
    reader: Reader,
) -> Result<String, sqlx::Error> {
    let mut events = store::history(conn, e.id).await?;
    // The company's heading names the current status: a last event that only says so again is not
    // repeated ("— queued" then "· queued").
    if reader == Reader::Company
        && events
            .last()
            .is_some_and(|last| last.status == e.status && last.note.is_none())
    {
        events.pop();
    }
    let lines = events
        .into_iter()
        .map(|event| match (reader, event.status, event.note) {
            (Reader::Company, Status::Delivered, Some(a)) => {
                ctx.text("thread_answer_yours", lang, &[("answer", a)])
            }
            (_, status, note) => event_line(ctx, status, note, lang),
        })
        .collect::<Vec<_>>();
    Ok(lines.join("\n"))
}

/// Who reads a thread: the company reads its own answers as its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Company,
    Contact,
}

/// One line of a thread (the chat's and the web console's): a status change, with what was said.
pub fn event_line(ctx: &Context, status: Status, note: Option<String>, lang: &str) -> String {
    let said = present::status(ctx, status, lang);
    match (status, note) {
        (Status::InfoRequested, Some(q)) => ctx.text("thread_question", lang, &[("question", q)]),
        // An answer moves the enquiry back to "delivered" with the answer as its note.
        (Status::Delivered, Some(a)) => ctx.text("thread_answer", lang, &[("answer", a)]),
        (_, Some(note)) => ctx.text(
            "thread_status_note",
            lang,
            &[("status", said), ("reason", note)],
        ),
        (_, None) => ctx.text("thread_status", lang, &[("status", said)]),
    }
}
