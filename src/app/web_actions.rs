//! Lead actions taken from the web console. They run the very handlers the chat's lead buttons and typed
//! answers run ([`crate::enquiry::contact`]), with the same check of who acts and the same messages to
//! the company through the outbox, in a transaction of their own. The contact's chat conversation is
//! not touched: a page has no "waiting for your reason" state, the form carries the reason.
//! An admin's retry of a dead letter runs the chat's `/outbox` retry button handler
//! ([`crate::operators::commands::on_button`]): the same admin check and the same audit entry.

use super::context::Who;
use super::reply::Reply;
use super::route::{ButtonId, Pending};
use super::{App, AppError};
use crate::dialog::engine::State;
use crate::enquiry::contact;
use crate::matching::Filters;
use crate::operators::commands::{self as operators, Outcome};

/// Why a lead is declined: one of the chat's offered reasons (1-based), or typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Listed(u8),
    Typed(String),
}

/// What a contact does to a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadAction {
    Accept,
    Decline(Reason),
    /// A question for the company.
    Ask(String),
    Close,
}

impl App {
    /// Runs `action` on lead `id` for `who` (the signed-in contact's chat and user), replying in `lang`.
    /// A lead that is not the contact's institution's, or not in a status the action fits, is refused
    /// by the handler exactly as a stale button is (the `not_yours` reply) and nothing changes.
    pub async fn lead_action(
        &self,
        who: &Who<'_>,
        id: i64,
        action: LeadAction,
        lang: &str,
    ) -> Result<Vec<Reply>, AppError> {
        let ctx = self.context();
        let mut state = State {
            lang: lang.to_owned(),
            ..State::default()
        };
        let mut tx = self.pool().begin().await?;
        let conn = &mut *tx;
        let replies = match action {
            LeadAction::Accept => {
                contact::on_button(&ctx, conn, who, &mut state, &ButtonId::LeadAccept(id)).await?
            }
            LeadAction::Close => {
                contact::on_button(&ctx, conn, who, &mut state, &ButtonId::LeadClose(id)).await?
            }
            LeadAction::Decline(Reason::Listed(n)) => {
                let button = ButtonId::LeadReason(id, n);
                contact::on_button(&ctx, conn, who, &mut state, &button).await?
            }
            LeadAction::Decline(Reason::Typed(text)) => {
                let pending = Pending::DeclineReason(id);
                contact::on_pending_text(&ctx, conn, who, &mut state, pending, &text).await?
            }
            LeadAction::Ask(text) => {
                let pending = Pending::Question(id);
                contact::on_pending_text(&ctx, conn, who, &mut state, pending, &text).await?
            }
        };
        tx.commit().await?;
        Ok(replies)
    }

    /// Puts dead letter `id` back in the queue for `who`, as the chat's retry button does (refused unless
    /// `who` is an admin; the retry is written to the audit log). Returns whether it was queued again:
    /// `false` for a message that is no dead letter (any more) or a person who is no admin.
    pub async fn retry_dead_letter(
        &self,
        who: &Who<'_>,
        id: i64,
        lang: &str,
    ) -> Result<bool, AppError> {
        let ctx = self.context();
        let mut state = State {
            lang: lang.to_owned(),
            ..State::default()
        };
        let mut tx = self.pool().begin().await?;
        let button = ButtonId::Retry(id);
        let outcome =
            operators::on_button(&ctx, &mut tx, who, &mut state, &button, &Filters::default())
                .await?;
        tx.commit().await?;
        // The handler answers with `retried` only when the letter was queued again.
        let retried = ctx.text("retried", lang, &[("id", id.to_string())]);
        Ok(match outcome {
            Outcome::Replies(replies) => replies.iter().any(|r| r.plain_text() == retried),
            Outcome::Forgotten(_) => false,
        })
    }
}

/// What answering a posted need did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedAnswer {
    /// Recorded; the company is told in its chat.
    Sent,
    /// The person is no registered contact (any more).
    NotContact,
    /// The patent is not one of the contact's institution's.
    NotOurs,
    /// The need was withdrawn or has expired (or never was).
    Gone,
    /// This patent answers the need already.
    Duplicate,
    /// The institution gave the most answers one need may get from it.
    Capped,
}

impl App {
    /// `who` answers posted need `need_id` with patent `number` of their institution and a short offer;
    /// the company is told in its chat (in its language) with buttons to open the patent and enquire.
    /// The institution is the one `who` is a contact of, looked up here: never taken from the request.
    pub async fn answer_need(
        &self,
        who: &Who<'_>,
        need_id: i64,
        number: &str,
        offer: &str,
    ) -> Result<NeedAnswer, AppError> {
        use crate::board::{chat, store};
        let ctx = self.context();
        let mut tx = self.pool().begin().await?;
        let Some(institution) =
            crate::enquiry::registry::contact_institution(&mut tx, who.channel, who.user_id)
                .await?
        else {
            return Ok(NeedAnswer::NotContact);
        };
        let name = crate::catalog::store::institution_name(&mut *tx, institution).await?;
        let patent = crate::catalog::store::patent_by_number(&mut *tx, number).await?;
        let Some(patent) = patent.filter(|p| Some(&p.record.institution) == name.as_ref()) else {
            return Ok(NeedAnswer::NotOurs);
        };
        let Some((channel, chat_id, lang, need)) = store::poster(&mut tx, need_id).await? else {
            return Ok(NeedAnswer::Gone);
        };
        let answer = store::NewAnswer {
            need_id,
            institution_id: institution,
            patent_number: number,
            offer,
            by: (who.channel, who.user_id),
        };
        let outcome = match store::answer(&mut tx, &answer).await? {
            store::Answered::Duplicate => return Ok(NeedAnswer::Duplicate),
            store::Answered::Capped => return Ok(NeedAnswer::Capped),
            store::Answered::New(_) => NeedAnswer::Sent,
        };
        let told = chat::Told {
            need: &need,
            institution: &patent.record.institution,
            title: &patent.record.title,
            number,
            offer,
        };
        chat::tell(&ctx, &mut tx, (&channel, chat_id, &lang), &told).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

impl App {
    /// An admin issues an invite code for `institution` (valid 7 days, as the chat's `/invite`), written
    /// to the audit log. `None` for a person who is no admin or an institution the catalogue lacks.
    pub async fn create_invite(
        &self,
        who: &Who<'_>,
        institution: &str,
    ) -> Result<Option<String>, AppError> {
        if !self.context().is_admin(who.user_id) {
            return Ok(None);
        }
        let mut tx = self.pool().begin().await?;
        let by = format!("{}:{}", who.channel, who.user_id);
        let code = match crate::enquiry::invites::invite(&mut tx, institution, &by, 7).await {
            Ok(code) => code,
            Err(crate::enquiry::EnquiryError::Db(e)) => return Err(e.into()),
            Err(_) => return Ok(None),
        };
        crate::operators::audit::record(&mut tx, who.channel, who.user_id, "invite", institution)
            .await?;
        tx.commit().await?;
        Ok(Some(code))
    }
}
