//! The board of needs on the console: needs companies posted when nothing matched well. Contacts see
//! those in the industries of their institution's patents (or all, when they ask), one need with their
//! institution's answers and a form to answer it with one of their patents (the closest ones offered
//! first) and a short note; admins see every need and every answer, and answer none (they are no
//! institution). Answers run through [`crate::app::App::answer_need`], which checks who answers.

// The error side of these results is the page to answer with, made at most once per request.
#![allow(clippy::result_large_err)]

use super::auth::{Signed, signed_in};
use super::{WebState, html, read_by_path_id, see_other, server_error};
use crate::app::web_actions::NeedAnswer;
use crate::board::MAX_OFFER_CHARS;
use crate::board::store::{self, Listed, MAX_ANSWERS_PER_INSTITUTION};
use crate::matching::Filters;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::sync::Arc;

/// Patents of the institution offered as answers, closest to the need first.
const SUGGESTIONS: usize = 10;
/// Characters of a need the list shows.
const LIST_CHARS: usize = 80;

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The institution whose view this is: the contact's; `None` for an admin who is no contact.
async fn reader(state: &WebState, headers: &HeaderMap) -> Result<(Signed, Option<i64>), Response> {
    let signed = signed_in(state, headers).await?;
    let institution = signed.contact.as_ref().map(|(id, _)| *id);
    Ok((signed, institution))
}

/// A page with one message and the way back to the board.
fn message(signed: &Signed, status: StatusCode, text: &str) -> Response {
    signed.message_back(status, text, ("/web/board", "board_back"))
}

fn industries(signed: &Signed, n: &Listed) -> String {
    if n.industries.is_empty() {
        signed.t("any_industry", &[])
    } else {
        n.industries.join("、")
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    all: String,
    #[serde(default)]
    done: String,
}

/// `GET /web/board[?all=1]`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let (signed, institution) = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let all = q.all == "1";
    let read = async {
        let mut conn = signed.app.pool().acquire().await?;
        store::open_needs(&mut conn, institution, all).await
    }
    .await;
    let needs = match read {
        Ok(n) => n,
        Err(e) => return server_error(&signed.app, "listing the board", e),
    };
    let t = |key: &str| html::esc(&signed.t(key, &[]));
    let mut body = format!(
        "<h2>{}</h2>{}",
        t("board"),
        html::para(&signed.t("board_intro", &[]), None)
    );
    if institution.is_some() {
        let (href, key) = if all {
            ("/web/board", "board_show_ours")
        } else {
            ("/web/board?all=1", "board_show_all")
        };
        let _ = write!(body, "<p><a href=\"{href}\">{}</a></p>", t(key));
    }
    if needs.is_empty() {
        body.push_str(&html::para(&signed.t("board_none", &[]), None));
        return signed.page(StatusCode::OK, &signed.t("board", &[]), &body);
    }
    let _ = write!(
        body,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t("col_id"),
        t("col_date"),
        t("col_need"),
        t("col_industries"),
        t("col_answers"),
        t("col_expires"),
    );
    for n in &needs {
        let mut need: String = n.need.chars().take(LIST_CHARS).collect();
        if n.need.chars().count() > LIST_CHARS {
            need.push('…');
        }
        let _ = write!(
            body,
            "<tr><td><a href=\"/web/board/{id}\">#{id}</a></td><td>{}</td><td><a href=\"/web/board/{id}\">{}</a></td>\
             <td>{}</td><td>{}/{}</td><td>{}</td></tr>",
            date(n.posted_at),
            html::esc(&need),
            html::esc(&industries(&signed, n)),
            n.ours,
            n.answers,
            date(n.expires_at),
            id = n.id,
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &signed.t("board", &[]), &body)
}

/// The open need `id` (as typed in the URL), or the 404 page.
async fn need_of(signed: &Signed, institution: Option<i64>, id: &str) -> Result<Listed, Response> {
    let pool = signed.app.pool();
    read_by_path_id(&signed.app, id, "reading a posted need", async |id| {
        store::open_need(&mut *pool.acquire().await?, id, institution).await
    })
    .await?
    .ok_or_else(|| message(signed, StatusCode::NOT_FOUND, &signed.t("answer_gone", &[])))
}

/// `GET /web/board/{id}`.
pub async fn detail(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let (signed, institution) = match reader(&state, &headers).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let need = match need_of(&signed, institution, &id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let read = async {
        let mut conn = signed.app.pool().acquire().await?;
        store::answers(&mut conn, need.id, institution).await
    }
    .await;
    let answers = match read {
        Ok(a) => a,
        Err(e) => return server_error(&signed.app, "reading a need's answers", e),
    };
    let heading = signed.t("board_heading", &[("id", need.id.to_string())]);
    let mut body = format!("<h2>{}</h2>", html::esc(&heading));
    if q.done == "1" {
        body.push_str(&html::para(&signed.t("answer_sent", &[]), Some("flash")));
    }
    body.push_str("<dl>");
    for (key, value) in [
        ("field_need", need.need.clone()),
        ("field_industries", industries(&signed, &need)),
        ("field_posted", date(need.posted_at)),
        ("field_expires", date(need.expires_at)),
    ] {
        let _ = write!(
            body,
            "<dt>{}</dt><dd>{}</dd>",
            html::esc(&signed.t(key, &[])),
            html::esc_lines(&value)
        );
    }
    body.push_str("</dl>");
    let _ = write!(
        body,
        "<h3>{}</h3>",
        html::esc(&signed.t("board_answers", &[]))
    );
    if answers.is_empty() {
        body.push_str(&html::para(&signed.t("board_no_answers", &[]), None));
    } else {
        body.push_str("<ul class=\"answers\">");
        for a in &answers {
            let _ = write!(
                body,
                "<li>{} · {} ({}) · {}{}</li>",
                date(a.answered_at),
                html::esc(&a.title),
                html::esc(&a.patent_number),
                html::esc(&a.institution),
                if a.offer.is_empty() {
                    String::new()
                } else {
                    format!("<br>{}", html::esc_lines(&a.offer))
                },
            );
        }
        body.push_str("</ul>");
    }
    if let Some((_, name)) = &signed.contact {
        body.push_str(&answer_form(&signed, &need, name).await);
    }
    let _ = write!(
        body,
        "<p><a href=\"/web/board\">{}</a></p>",
        html::esc(&signed.t("board_back", &[]))
    );
    signed.page(StatusCode::OK, &heading, &body)
}

/// The answer form: the institution's patents closest to the need, or a number typed, and a note.
async fn answer_form(signed: &Signed, need: &Listed, institution: &str) -> String {
    let mut filters = Filters {
        institution: Some(institution.to_owned()),
        ..Filters::default()
    };
    // A need of one industry is first answered from that industry's patents; if the institution has
    // none there, from all of its patents.
    if let [industry] = need.industries.as_slice() {
        filters.industry = Some(industry.clone());
    }
    let matcher = &signed.ctx.matcher;
    let mut closest = matcher.search(&need.need, &filters, SUGGESTIONS).await.hits;
    if closest.is_empty() && filters.industry.is_some() {
        filters.industry = None;
        closest = matcher.search(&need.need, &filters, SUGGESTIONS).await.hits;
    }
    let t = |key: &str| html::esc(&signed.t(key, &[]));
    let mut out = format!(
        "<h3>{}</h3><form method=\"post\" action=\"/web/board/{}/answer\">{}",
        t("answer_title"),
        need.id,
        html::csrf_field(&signed.session.csrf)
    );
    if !closest.is_empty() {
        let _ = write!(out, "<p>{}</p>", t("answer_pick"));
        for (i, hit) in closest.iter().enumerate() {
            let _ = write!(
                out,
                "<label><input type=\"radio\" name=\"patent\" value=\"{number}\"{checked}> {} ({number})</label><br>",
                html::esc(&hit.title),
                number = html::esc(&hit.number),
                checked = if i == 0 { " checked" } else { "" },
            );
        }
    }
    let count = MAX_OFFER_CHARS.to_string();
    let _ = write!(
        out,
        "<label>{}<input name=\"number\" maxlength=\"20\" placeholder=\"CN…\"></label><br>\
         <label>{}<textarea name=\"offer\" maxlength=\"{count}\"></textarea></label><button>{}</button></form>",
        t("answer_number"),
        html::esc(&signed.t("answer_offer", &[("count", count.clone())])),
        t("answer_send"),
    );
    out
}

#[derive(serde::Deserialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    patent: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    offer: String,
}

/// `POST /web/board/{id}/answer`: a typed number wins over the picked one.
pub async fn answer(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    if let Err(r) = signed.check_csrf(&form.csrf) {
        return r;
    }
    let Some((institution, name)) = signed.contact.clone() else {
        return message(&signed, StatusCode::FORBIDDEN, &signed.t("no_access", &[]));
    };
    let need = match need_of(&signed, Some(institution), &id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let typed = form.number.trim().to_uppercase();
    let number = if typed.is_empty() {
        form.patent.trim().to_owned()
    } else {
        typed
    };
    let offer = form.offer.trim();
    let length = offer.chars().count();
    let bad = |text: String| message(&signed, StatusCode::BAD_REQUEST, &text);
    if number.is_empty() {
        return bad(signed.t("answer_missing", &[]));
    }
    if length > MAX_OFFER_CHARS {
        let vars = [
            ("count", MAX_OFFER_CHARS.to_string()),
            ("length", length.to_string()),
        ];
        return bad(signed.t("answer_offer_long", &vars));
    }
    let outcome = signed
        .app
        .answer_need(&signed.who(), need.id, &number, offer)
        .await;
    let refusal = match outcome {
        Ok(NeedAnswer::Sent) => return see_other(&format!("/web/board/{}?done=1", need.id)),
        Err(e) => return server_error(&signed.app, "answering a posted need", e),
        Ok(NeedAnswer::NotContact) => (StatusCode::FORBIDDEN, signed.t("no_access", &[])),
        Ok(NeedAnswer::NotOurs) => {
            let vars = [("number", number.clone()), ("institution", name)];
            (StatusCode::BAD_REQUEST, signed.t("answer_not_ours", &vars))
        }
        Ok(NeedAnswer::Gone) => (StatusCode::NOT_FOUND, signed.t("answer_gone", &[])),
        Ok(NeedAnswer::Duplicate) => (StatusCode::CONFLICT, signed.t("answer_duplicate", &[])),
        Ok(NeedAnswer::Capped) => {
            let vars = [("count", MAX_ANSWERS_PER_INSTITUTION.to_string())];
            (StatusCode::CONFLICT, signed.t("answer_capped", &vars))
        }
    };
    message(&signed, refusal.0, &refusal.1)
}
