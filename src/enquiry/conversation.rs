//! What companies and institutions' contacts type and press about enquiries: the consent flow's actions,
//! `/my`, `/leads`, `/register`, `/invite`, the lead buttons (accept, decline, ask for information) and
//! the free-text answers they wait for. Messages for the other party go through the outbox in the same
//! transaction as the status change.

use super::store::{self, Enquiry, EnquiryError, NewEnquiry, Status};
use crate::dialog::engine::{Button, State, render};
use crate::dialog::{Reply, Runtime};
use crate::operators::privacy;
use crate::outbox::{self, Message};
use sqlx::PgConnection;
use std::collections::BTreeMap;

/// Slots the enquiry flow collects; they are personal data and leave the conversation state on submit
/// or refusal.
pub const PERSONAL_SLOTS: &[&str] = &[
    "company", "person", "contact", "message", "mode", "consent", "declare",
];

/// Button ids of leads and answers: `lead:accept:ID`, `lead:decline:ID`, `lead:info:ID`,
/// `lead:reason:ID:N`, `reply:ID`. Every id is re-checked against the presser's institution or company.
pub const LEAD: &str = "lead:";
pub const REPLY: &str = "reply:";
/// `rate:ID:N`: the company's 1-5 rating after its enquiry closed.
pub const RATE: &str = "rate:";

/// The script actions this module runs.
pub const ACTIONS: &[&str] = &[
    "prepare_enquiry",
    "submit_enquiry",
    "prepare_declaration",
    "submit_declaration",
    "acknowledge_privacy",
    "discard_enquiry",
];

/// Who is talking, on which channel.
pub struct Ctx<'a> {
    pub channel: &'a str,
    pub chat_id: i64,
    pub user_id: i64,
}

type Result<T> = std::result::Result<T, sqlx::Error>;

/// A script text of `bot.toml` in `lang`, with its placeholders filled from `extra`.
pub(crate) fn text(rt: &Runtime, key: &str, lang: &str, extra: &[(&str, String)]) -> String {
    let scripts = rt.scripts();
    let state = State {
        lang: lang.to_owned(),
        ..State::default()
    };
    render(&scripts.text(key, lang), &state, extra)
}

fn default_lang(rt: &Runtime) -> String {
    rt.scripts().default_language.clone()
}

/// The language the other party chose in their own conversation (the default if they have none), so a
/// lead or a notice reaches them in it.
async fn lang_of(
    rt: &Runtime,
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<String> {
    let chosen: Option<String> = sqlx::query_scalar(
        "SELECT state->>'lang' FROM conversations WHERE channel = $1 AND chat_id = $2",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    let scripts = rt.scripts();
    Ok(chosen
        .filter(|l| scripts.languages.contains(l))
        .unwrap_or_else(|| scripts.default_language.clone()))
}

fn mode_label(mode: &str, lang: &str) -> &'static str {
    match (mode, lang == "zh") {
        ("transfer", true) => "专利转让",
        ("license", true) => "许可",
        ("open", true) => "开放许可",
        ("transfer", false) => "transfer",
        ("license", false) => "licence",
        ("open", false) => "open licence",
        _ => "-",
    }
}

fn status_label(status: &str, lang: &str) -> &'static str {
    let zh = lang == "zh";
    match Status::parse(status) {
        Some(Status::Submitted) => {
            if zh {
                "排队中"
            } else {
                "queued"
            }
        }
        Some(Status::Forwarded) => {
            if zh {
                "已转发"
            } else {
                "forwarded"
            }
        }
        Some(Status::Delivered) => {
            if zh {
                "已送达"
            } else {
                "delivered"
            }
        }
        Some(Status::Accepted) => {
            if zh {
                "已接受"
            } else {
                "accepted"
            }
        }
        Some(Status::Declined) => {
            if zh {
                "已婉拒"
            } else {
                "declined"
            }
        }
        Some(Status::InfoRequested) => {
            if zh {
                "待补充信息"
            } else {
                "more information asked"
            }
        }
        Some(Status::Closed) => {
            if zh {
                "已结束"
            } else {
                "closed"
            }
        }
        None => "-",
    }
}

fn vars(e: &Enquiry, lang: &str) -> Vec<(&'static str, String)> {
    vec![
        ("id", e.id.to_string()),
        ("title", e.title.clone()),
        ("number", e.patent_number.clone()),
        ("institution", e.institution.clone()),
        ("company", e.company.clone()),
        ("mode", mode_label(&e.mode, lang).to_owned()),
        ("message", e.message.clone()),
    ]
}

/// The lead a contact receives: no personal contact details before acceptance.
fn lead_message(rt: &Runtime, e: &Enquiry, lang: &str) -> Message {
    let id = e.id;
    let key = if e.kind == "declaration" {
        "lead_declaration"
    } else {
        "lead"
    };
    let mut v = vars(e, lang);
    v.push(("open_terms", e.terms.clone().unwrap_or_default()));
    Message {
        text: text(rt, key, lang, &v),
        buttons: vec![
            Button {
                id: format!("{LEAD}accept:{id}"),
                label: text(rt, "lead_accept", lang, &[]),
            },
            Button {
                id: format!("{LEAD}decline:{id}"),
                label: text(rt, "lead_decline", lang, &[]),
            },
            Button {
                id: format!("{LEAD}info:{id}"),
                label: text(rt, "lead_info", lang, &[]),
            },
        ],
    }
}

/// Sends the lead to every registered contact of its institution (status forwarded); with none, the
/// enquiry stays queued and the admins are told. Returns whether it was forwarded.
async fn forward(rt: &Runtime, conn: &mut PgConnection, e: &Enquiry) -> Result<bool> {
    let contacts = store::contact_chats(conn, e.institution_id).await?;
    if contacts.is_empty() {
        let lang = default_lang(rt);
        let alert = Message::text(text(rt, "alert_no_contact", &lang, &vars(e, &lang)));
        for admin in rt.admins() {
            outbox::enqueue(conn, rt.admin_channel(), *admin, &alert, None).await?;
        }
        return Ok(false);
    }
    for (channel, chat) in contacts {
        let lead = lead_message(rt, e, &lang_of(rt, conn, &channel, chat).await?);
        outbox::enqueue(conn, &channel, chat, &lead, Some(e.id)).await?;
    }
    store::set_status(conn, e.id, Status::Forwarded, None).await?;
    Ok(true)
}

fn refusal(e: &EnquiryError, vars: &mut BTreeMap<String, String>) -> Option<&'static str> {
    match e {
        EnquiryError::Duplicate => Some("duplicate"),
        EnquiryError::Capped(limit) => {
            vars.insert("limit".into(), limit.to_string());
            Some("capped")
        }
        _ => None,
    }
}

/// Runs one of [`ACTIONS`]; returns the outcome and placeholders.
pub async fn run_action(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &mut State,
    action: &str,
) -> Result<(String, BTreeMap<String, String>)> {
    // The two actions that need no patent.
    match action {
        "acknowledge_privacy" => {
            privacy::acknowledge(conn, ctx.channel, ctx.chat_id).await?;
            return Ok(("done".into(), BTreeMap::new()));
        }
        "discard_enquiry" => {
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
    let mut vars = BTreeMap::new();
    if let Some(p) = &patent {
        vars.insert("title".into(), p.record.title.clone());
        vars.insert("institution".into(), p.record.institution.clone());
        vars.insert("number".into(), p.record.number.clone());
    }
    let terms = patent
        .as_ref()
        .map(|p| crate::dialog::runtime::open_terms(&p.record, &state.lang))
        .unwrap_or_default();
    let declaring = action.ends_with("_declaration");
    if declaring {
        vars.insert("open_terms".into(), terms.clone());
    }
    let outcome = match action {
        "prepare_enquiry" | "prepare_declaration" => {
            match store::may_enquire(conn, ctx.channel, ctx.chat_id, &number, rt.enquiry_cap())
                .await
            {
                // The privacy notice comes before a company's first enquiry.
                Ok(()) if !privacy::acknowledged(conn, ctx.channel, ctx.chat_id).await? => "notice",
                Ok(()) => "ready",
                Err(EnquiryError::Db(e)) => return Err(e),
                Err(e) => refusal(&e, &mut vars).unwrap_or("duplicate"),
            }
        }
        // submit_enquiry, submit_declaration
        _ => {
            let slot = |k: &str| state.slots.get(k).cloned().unwrap_or_default();
            let lang = default_lang(rt);
            let new = NewEnquiry {
                patent_number: number.clone(),
                channel: ctx.channel.to_owned(),
                chat_id: ctx.chat_id,
                company: slot("company"),
                person: slot("person"),
                contact: slot("contact"),
                message: if declaring {
                    text(
                        rt,
                        "declaration_message",
                        &lang,
                        &[("open_terms", terms.clone())],
                    )
                } else {
                    slot("message")
                },
                mode: if declaring {
                    "open".into()
                } else {
                    slot("mode")
                },
                kind: if declaring { "declaration" } else { "enquiry" }.into(),
                terms: declaring.then(|| terms.clone()),
            };
            // Whatever happens, the personal details leave the conversation state now.
            for s in PERSONAL_SLOTS {
                state.slots.remove(*s);
            }
            match store::submit(conn, &new, rt.enquiry_cap()).await {
                Ok(id) => {
                    vars.insert("id".into(), id.to_string());
                    let e = store::lock(conn, id)
                        .await?
                        .ok_or(sqlx::Error::RowNotFound)?;
                    if forward(rt, conn, &e).await? {
                        "forwarded"
                    } else {
                        "queued"
                    }
                }
                Err(EnquiryError::Db(e)) => return Err(e),
                Err(e) => refusal(&e, &mut vars).unwrap_or("duplicate"),
            }
        }
    };
    Ok((outcome.to_owned(), vars))
}

fn list_line(e: &Enquiry, lang: &str) -> String {
    format!("#{} {} — {}", e.id, e.title, status_label(&e.status, lang))
}

/// `/my`: the company's enquiries and their status.
pub async fn my(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let list = store::of_company(conn, ctx.channel, ctx.chat_id).await?;
    if list.is_empty() {
        return Ok(vec![Reply::Text(text(rt, "my_none", lang, &[]))]);
    }
    let lines = list
        .iter()
        .map(|e| list_line(e, lang))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(vec![Reply::Text(text(
        rt,
        "my_enquiries",
        lang,
        &[("list", lines)],
    ))])
}

/// `/leads`: a contact's open enquiries, each with its buttons.
pub async fn leads(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let Some(institution) = store::contact_institution(conn, ctx.channel, ctx.chat_id).await?
    else {
        return Ok(vec![Reply::Text(text(rt, "not_contact", lang, &[]))]);
    };
    let open = store::open_of_institution(conn, institution).await?;
    if open.is_empty() {
        return Ok(vec![Reply::Text(text(rt, "leads_none", lang, &[]))]);
    }
    let mut replies = vec![Reply::Text(text(
        rt,
        "leads_list",
        lang,
        &[("list", String::new())],
    ))];
    for e in &open {
        let lead = lead_message(rt, e, lang);
        replies.push(Reply::Buttons {
            text: format!("{}\n({})", lead.text, status_label(&e.status, lang)),
            buttons: lead.buttons,
        });
    }
    Ok(replies)
}

/// `/register CODE`: the chat becomes its institution's contact; queued enquiries go out to it now.
pub async fn register(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    code: Option<&str>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let code = code.unwrap_or_default();
    match store::register(conn, code, ctx.channel, ctx.chat_id, ctx.user_id).await {
        Ok((institution_id, name)) => {
            for e in store::queued_of_institution(conn, institution_id).await? {
                forward(rt, conn, &e).await?;
            }
            Ok(vec![Reply::Text(text(
                rt,
                "registered",
                lang,
                &[("institution", name)],
            ))])
        }
        Err(EnquiryError::Db(e)) => Err(e),
        Err(_) => Ok(vec![Reply::Text(text(rt, "bad_invite", lang, &[]))]),
    }
}

/// `/invite INSTITUTION` (admins only; the caller checks).
pub async fn invite(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    institution: Option<&str>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let Some(name) = institution else {
        return Ok(vec![Reply::Text(text(rt, "invite_usage", lang, &[]))]);
    };
    let by = format!("{}:{}", ctx.channel, ctx.user_id);
    Ok(vec![Reply::Text(
        match store::invite(conn, name, &by, 7).await {
            Ok(code) => text(
                rt,
                "invite_created",
                lang,
                &[("institution", name.to_owned()), ("code", code)],
            ),
            Err(EnquiryError::Db(e)) => return Err(e),
            Err(_) => text(
                rt,
                "unknown_institution",
                lang,
                &[("institution", name.to_owned())],
            ),
        },
    )])
}

/// The enquiry a contact may act on: it exists, is open and belongs to the contact's institution.
async fn contacts_enquiry(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    id: i64,
) -> Result<Option<Enquiry>> {
    let Some(institution) = store::contact_institution(conn, ctx.channel, ctx.chat_id).await?
    else {
        return Ok(None);
    };
    Ok(store::lock(conn, id).await?.filter(|e| {
        e.institution_id == institution && Status::parse(&e.status).is_some_and(Status::is_open)
    }))
}

/// A pressed `lead:` or `reply:` button. Ids are parsed strictly and checked against the presser.
pub async fn on_button(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &mut State,
    id: &str,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    let not_yours = || vec![Reply::Text(text(rt, "not_yours", &lang, &[]))];
    if let Some(rest) = id.strip_prefix(RATE) {
        let parsed = rest
            .split_once(':')
            .and_then(|(e, n)| Some((e.parse::<i64>().ok()?, n.parse::<i16>().ok()?)))
            .filter(|(_, n)| (1..=5).contains(n));
        let Some((eid, rating)) = parsed else {
            return Ok(not_yours());
        };
        let mine = store::lock(conn, eid).await?.filter(|e| {
            e.channel == ctx.channel
                && e.chat_id == ctx.chat_id
                && e.status == Status::Closed.as_str()
        });
        if mine.is_none() {
            return Ok(not_yours());
        }
        return Ok(match store::rate(conn, eid, rating).await {
            Ok(()) | Err(EnquiryError::AlreadyRated) => {
                vec![Reply::Text(text(rt, "rated", &lang, &[]))]
            }
            Err(EnquiryError::Db(e)) => return Err(e),
            Err(_) => not_yours(),
        });
    }
    if let Some(rest) = id.strip_prefix(REPLY) {
        let Ok(eid) = rest.parse::<i64>() else {
            return Ok(not_yours());
        };
        let mine = store::lock(conn, eid).await?.filter(|e| {
            e.channel == ctx.channel
                && e.chat_id == ctx.chat_id
                && e.status == Status::InfoRequested.as_str()
        });
        if mine.is_none() {
            return Ok(not_yours());
        }
        state.pending = Some(format!("answer:{eid}"));
        return Ok(vec![Reply::Text(text(rt, "ask_answer", &lang, &[]))]);
    }
    let parts: Vec<&str> = id
        .strip_prefix(LEAD)
        .unwrap_or_default()
        .split(':')
        .collect();
    let (action, eid, reason) = match parts.as_slice() {
        [a, n] => (*a, n.parse::<i64>().ok(), None),
        [a, n, r] => (*a, n.parse::<i64>().ok(), r.parse::<usize>().ok()),
        _ => ("", None, None),
    };
    let Some(eid) = eid else {
        return Ok(not_yours());
    };
    if action == "close" {
        return close(rt, conn, ctx, eid, &lang).await;
    }
    let Some(e) = contacts_enquiry(conn, ctx, eid).await? else {
        return Ok(not_yours());
    };
    match (action, reason) {
        ("accept", None) => {
            store::set_status(conn, e.id, Status::Accepted, None).await?;
            let published = store::published_contact(conn, e.institution_id)
                .await?
                .unwrap_or_default();
            let company_lang = lang_of(rt, conn, &e.channel, e.chat_id).await?;
            let mut to_company = vars(&e, &company_lang);
            to_company.push(("contact", published));
            outbox::enqueue(
                conn,
                &e.channel,
                e.chat_id,
                &Message::text(text(
                    rt,
                    "lead_accepted_company",
                    &company_lang,
                    &to_company,
                )),
                None,
            )
            .await?;
            let mut to_contact = vars(&e, &lang);
            to_contact.push(("person", e.person.clone()));
            to_contact.push(("contact", e.contact.clone()));
            Ok(vec![Reply::Text(text(
                rt,
                "lead_accepted_contact",
                &lang,
                &to_contact,
            ))])
        }
        ("decline", None) => {
            let buttons = ["decline_reason_taken", "decline_reason_mismatch"]
                .iter()
                .enumerate()
                .map(|(i, key)| Button {
                    id: format!("{LEAD}decline:{eid}:{}", i + 1),
                    label: text(rt, key, &lang, &[]),
                })
                .collect();
            state.pending = Some(format!("decline:{eid}"));
            Ok(vec![Reply::Buttons {
                text: format!(
                    "{}\n({})",
                    text(rt, "ask_decline_reason", &lang, &[]),
                    text(rt, "decline_reason_other", &lang, &[])
                ),
                buttons,
            }])
        }
        ("decline", Some(n @ 1..=2)) => {
            let key = ["decline_reason_taken", "decline_reason_mismatch"][n - 1];
            state.pending = None;
            let company_lang = lang_of(rt, conn, &e.channel, e.chat_id).await?;
            decline(rt, conn, &e, &text(rt, key, &company_lang, &[]), &lang).await
        }
        ("info", None) => {
            state.pending = Some(format!("info:{eid}"));
            Ok(vec![Reply::Text(text(rt, "ask_info_question", &lang, &[]))])
        }
        _ => Ok(not_yours()),
    }
}

/// The contact closes an accepted enquiry (the talks are over); the company is asked to rate the patent.
async fn close(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    eid: i64,
    lang: &str,
) -> Result<Vec<Reply>> {
    let institution = store::contact_institution(conn, ctx.channel, ctx.chat_id).await?;
    let Some(e) = store::lock(conn, eid)
        .await?
        .filter(|e| Some(e.institution_id) == institution && e.status == Status::Accepted.as_str())
    else {
        return Ok(vec![Reply::Text(text(rt, "not_yours", lang, &[]))]);
    };
    store::set_status(conn, e.id, Status::Closed, None).await?;
    let company_lang = lang_of(rt, conn, &e.channel, e.chat_id).await?;
    let prompt = Message {
        text: text(rt, "rate_prompt", &company_lang, &vars(&e, &company_lang)),
        buttons: (1..=5)
            .map(|n| Button {
                id: format!("{RATE}{}:{n}", e.id),
                label: "★".repeat(n),
            })
            .collect(),
    };
    outbox::enqueue(conn, &e.channel, e.chat_id, &prompt, None).await?;
    Ok(vec![Reply::Text(text(
        rt,
        "contact_done",
        lang,
        &[("id", e.id.to_string())],
    ))])
}

async fn decline(
    rt: &Runtime,
    conn: &mut PgConnection,
    e: &Enquiry,
    reason: &str,
    lang: &str,
) -> Result<Vec<Reply>> {
    store::set_status(conn, e.id, Status::Declined, Some(reason)).await?;
    let company_lang = lang_of(rt, conn, &e.channel, e.chat_id).await?;
    let mut v = vars(e, &company_lang);
    v.push(("reason", reason.to_owned()));
    outbox::enqueue(
        conn,
        &e.channel,
        e.chat_id,
        &Message::text(text(rt, "lead_declined_company", &company_lang, &v)),
        None,
    )
    .await?;
    Ok(vec![Reply::Text(text(
        rt,
        "contact_done",
        lang,
        &[("id", e.id.to_string())],
    ))])
}

/// Free text while the runtime waits for a decline reason, a question or an answer.
pub async fn on_pending_text(
    rt: &Runtime,
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    state: &mut State,
    pending: &str,
    answer: &str,
) -> Result<Vec<Reply>> {
    let lang = state.lang.clone();
    state.pending = None;
    let not_yours = || vec![Reply::Text(text(rt, "not_yours", &lang, &[]))];
    let Some((kind, eid)) = pending.split_once(':') else {
        return Ok(not_yours());
    };
    let Ok(eid) = eid.parse::<i64>() else {
        return Ok(not_yours());
    };
    let answer: String = answer.trim().chars().take(1000).collect();
    match kind {
        "decline" | "info" => {
            let Some(e) = contacts_enquiry(conn, ctx, eid).await? else {
                return Ok(not_yours());
            };
            if kind == "decline" {
                return decline(rt, conn, &e, &answer, &lang).await;
            }
            store::set_status(conn, e.id, Status::InfoRequested, Some(&answer)).await?;
            let company_lang = lang_of(rt, conn, &e.channel, e.chat_id).await?;
            let mut v = vars(&e, &company_lang);
            v.push(("question", answer));
            let message = Message {
                text: text(rt, "info_requested_company", &company_lang, &v),
                buttons: vec![Button {
                    id: format!("{REPLY}{}", e.id),
                    label: text(rt, "reply", &company_lang, &[]),
                }],
            };
            outbox::enqueue(conn, &e.channel, e.chat_id, &message, None).await?;
            Ok(vec![Reply::Text(text(
                rt,
                "contact_done",
                &lang,
                &[("id", e.id.to_string())],
            ))])
        }
        "answer" => {
            let Some(e) = store::lock(conn, eid).await?.filter(|e| {
                e.channel == ctx.channel
                    && e.chat_id == ctx.chat_id
                    && e.status == Status::InfoRequested.as_str()
            }) else {
                return Ok(not_yours());
            };
            store::set_status(conn, e.id, Status::Delivered, Some("answered")).await?;
            for (channel, chat) in store::contact_chats(conn, e.institution_id).await? {
                let contact_lang = lang_of(rt, conn, &channel, chat).await?;
                let message = Message::text(text(
                    rt,
                    "answer_to_contact",
                    &contact_lang,
                    &[("id", e.id.to_string()), ("answer", answer.clone())],
                ));
                outbox::enqueue(conn, &channel, chat, &message, None).await?;
            }
            Ok(vec![Reply::Text(text(rt, "answer_sent", &lang, &[]))])
        }
        _ => Ok(not_yours()),
    }
}

/// Called by a channel when a lead reached a contact: forwarded -> delivered, and the company is told.
pub async fn delivered(rt: &Runtime, conn: &mut PgConnection, id: i64) -> Result<()> {
    let Some(e) = store::lock(conn, id).await? else {
        return Ok(());
    };
    if e.status != Status::Forwarded.as_str() {
        return Ok(());
    }
    store::set_status(conn, id, Status::Delivered, None).await?;
    let lang = lang_of(rt, conn, &e.channel, e.chat_id).await?;
    outbox::enqueue(
        conn,
        &e.channel,
        e.chat_id,
        &Message::text(text(rt, "delivered_company", &lang, &vars(&e, &lang))),
        None,
    )
    .await?;
    Ok(())
}

/// Called by a channel when a lead was given up on: the admins are told (the entry stays in the
/// dead letters for a retry).
pub async fn dead_lettered(rt: &Runtime, conn: &mut PgConnection, id: i64) -> Result<()> {
    let Some(e) = store::lock(conn, id).await? else {
        return Ok(());
    };
    let lang = default_lang(rt);
    let alert = Message::text(text(rt, "alert_dead_letter", &lang, &vars(&e, &lang)));
    for admin in rt.admins() {
        outbox::enqueue(conn, rt.admin_channel(), *admin, &alert, None).await?;
    }
    Ok(())
}
