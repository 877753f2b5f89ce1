//! A contact's leads: the institution's list (every status, sortable by date or status), one lead with
//! its dated history and the forms of the actions its status allows (the same buttons the chat offers,
//! from [`messages::lead_buttons`]), the actions themselves (run by the chat's handlers through
//! [`App::lead_action`]) and the CSV export. Another institution's lead is answered as if it did not
//! exist (404). The company's person and contact details appear only once the lead was accepted.

// The error side of these results is the page to answer with, made at most once per request.
#![allow(clippy::result_large_err)]

use super::auth::{Signed, signed_in};
use super::{WebState, html, read_by_path_id, see_other, server_error};
use crate::app::present;
use crate::app::route::ButtonId;
use crate::app::web_actions::{LeadAction, Reason};
use crate::enquiry::ledger::{self, Listed, Sort};
use crate::enquiry::messages;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::sync::Arc;

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The signed-in contact's institution id, or the page for anyone else.
async fn contact(state: &WebState, headers: &HeaderMap) -> Result<(Signed, i64), Response> {
    let signed = signed_in(state, headers).await?;
    match &signed.contact {
        Some((id, _)) => {
            let id = *id;
            Ok((signed, id))
        }
        // An admin who is no contact has no leads; the home page says so.
        None => Err(see_other("/web/")),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    done: String,
}

/// The signed-in contact, the sort asked for, and their institution's leads in that order (the list page
/// and the CSV show the same).
async fn read_list(
    state: &Arc<WebState>,
    headers: &HeaderMap,
    q: &ListQuery,
) -> Result<(Signed, Sort, Vec<Listed>), Response> {
    let (signed, institution) = contact(state, headers).await?;
    let sort = Sort::parse(&q.sort).unwrap_or_default();
    let read = async {
        let mut conn = signed.app.pool().acquire().await?;
        ledger::of_institution(&mut conn, institution, sort).await
    }
    .await;
    match read {
        Ok(leads) => Ok((signed, sort, leads)),
        Err(e) => Err(server_error(&signed.app, "listing leads", e)),
    }
}

/// `GET /web/leads?sort=date|status`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let (signed, sort, leads) = match read_list(&state, &headers, &q).await {
        Ok(read) => read,
        Err(r) => return r,
    };
    let t = |key: &str| html::esc(&signed.t(key, &[]));
    let mut body = format!(
        "<h2>{}</h2><p><a href=\"/web/leads?sort=date\">{}</a> · <a href=\"/web/leads?sort=status\">{}</a> · \
         <a href=\"/web/leads.csv?sort={}\">{}</a></p>",
        t("leads"),
        t("sort_date"),
        t("sort_status"),
        sort.as_str(),
        t("export_csv")
    );
    if leads.is_empty() {
        body.push_str(&html::para(&signed.t("leads_none", &[]), None));
        return signed.page(StatusCode::OK, &signed.t("leads", &[]), &body);
    }
    let _ = write!(
        body,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t("col_id"),
        t("col_date"),
        t("col_patent"),
        t("col_company"),
        t("col_status"),
        t("col_updated")
    );
    for l in &leads {
        let e = &l.enquiry;
        let (company, _) = messages::company_and_message(&signed.ctx, e, signed.lang());
        let _ = write!(
            body,
            "<tr><td><a href=\"/web/leads/{id}\">#{id}</a></td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            date(l.created_at),
            html::esc(&e.title),
            html::esc(&e.patent_number),
            html::esc(&company),
            html::esc(&present::status(&signed.ctx, e.status, signed.lang())),
            date(l.updated_at),
            id = e.id,
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &signed.t("leads", &[]), &body)
}

/// The lead `id` (as typed in the URL) if it is the institution's; otherwise the 404 page.
async fn lead_of(signed: &Signed, institution: i64, id: &str) -> Result<Listed, Response> {
    let pool = signed.app.pool();
    read_by_path_id(&signed.app, id, "reading a lead", async |id| {
        ledger::one_of_institution(&mut *pool.acquire().await?, institution, id).await
    })
    .await?
    .ok_or_else(|| signed.message(StatusCode::NOT_FOUND, &signed.t("not_found", &[])))
}

/// `GET /web/leads/{id}`.
pub async fn detail(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    let (signed, institution) = match contact(&state, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lead = match lead_of(&signed, institution, &id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let read = async {
        let mut conn = signed.app.pool().acquire().await?;
        ledger::history(&mut conn, lead.enquiry.id).await
    }
    .await;
    let history = match read {
        Ok(h) => h,
        Err(e) => return server_error(&signed.app, "reading a lead's history", e),
    };
    let (ctx, lang) = (&signed.ctx, signed.lang());
    let e = &lead.enquiry;
    let heading = signed.t("lead_heading", &[("id", e.id.to_string())]);
    let mut body = format!("<h2>{}</h2>", html::esc(&heading));
    if q.done == "1" {
        body.push_str(&html::para(&signed.t("done", &[]), Some("flash")));
    }
    body.push_str(&lead_fields(&signed, &lead));
    let _ = write!(
        body,
        "<h3>{}</h3><ul>",
        html::esc(&signed.t("history", &[]))
    );
    for event in history {
        let line = messages::event_line(ctx, event.status, event.note, lang);
        let _ = write!(
            body,
            "<li>{} {}</li>",
            date(event.at),
            html::esc_lines(&line)
        );
    }
    body.push_str("</ul>");
    body.push_str(&action_forms(&signed, &lead));
    let _ = write!(
        body,
        "<p><a href=\"/web/leads\">{}</a></p>",
        html::esc(&signed.t("back", &[]))
    );
    signed.page(StatusCode::OK, &heading, &body)
}

/// What the lead says, as a definition list; the company's person and contact only once accepted.
fn lead_fields(signed: &Signed, lead: &Listed) -> String {
    let (ctx, lang) = (&signed.ctx, signed.lang());
    let e = &lead.enquiry;
    let (company, message) = messages::company_and_message(ctx, e, lang);
    let mut body = String::new();
    let mut fields = vec![
        ("col_status", present::status(ctx, e.status, lang)),
        ("field_patent", format!("{} ({})", e.title, e.patent_number)),
        ("field_company", company),
        ("field_mode", present::deal(ctx, e.mode, lang)),
        ("field_message", message),
    ];
    if let Some(terms) = &e.terms {
        fields.push(("field_terms", terms.clone()));
    }
    if lead.shows_contact() {
        fields.push(("field_person", e.person.clone()));
        fields.push(("field_contact", e.contact.clone()));
    }
    body.push_str("<dl>");
    for (key, value) in fields {
        let _ = write!(
            body,
            "<dt>{}</dt><dd>{}</dd>",
            html::esc(&signed.t(key, &[])),
            html::esc_lines(&value)
        );
    }
    body.push_str("</dl>");
    if !lead.shows_contact() {
        body.push_str(&html::para(&signed.t("contact_hidden", &[]), None));
    }
    body
}

/// The forms of the buttons the chat would offer on this lead now.
fn action_forms(signed: &Signed, lead: &Listed) -> String {
    let (ctx, lang) = (&signed.ctx, signed.lang());
    let id = lead.enquiry.id;
    let csrf = html::csrf_field(&signed.session.csrf);
    let mut out = String::from("<div class=\"actions\">");
    for button in messages::lead_buttons(ctx, &lead.enquiry, lang) {
        let label = html::esc(&button.label);
        let form = |action: &str, inner: &str| {
            format!(
                "<form method=\"post\" action=\"/web/leads/{id}/{action}\">{csrf}{inner}<button>{label}</button></form>"
            )
        };
        let piece = match button.id.parse::<ButtonId>() {
            Ok(ButtonId::LeadAccept(_)) => form("accept", ""),
            Ok(ButtonId::LeadClose(_)) => form("close", ""),
            Ok(ButtonId::LeadDecline(_)) => {
                let mut inner = String::new();
                for (n, key) in [(1, "decline_reason_taken"), (2, "decline_reason_mismatch")] {
                    let _ = write!(
                        inner,
                        "<label><input type=\"radio\" name=\"reason\" value=\"{n}\" required> {}</label><br>",
                        html::esc(&ctx.text(key, lang, &[]))
                    );
                }
                let _ = write!(
                    inner,
                    "<label><input type=\"radio\" name=\"reason\" value=\"other\"> {}</label>\
                     <textarea name=\"text\" maxlength=\"1000\"></textarea>",
                    html::esc(&signed.t("decline_other", &[]))
                );
                form("decline", &inner)
            }
            Ok(ButtonId::LeadInfo(_)) => form(
                "ask",
                &format!(
                    "<label>{}<textarea name=\"text\" maxlength=\"1000\" required></textarea></label>",
                    html::esc(&signed.t("ask_label", &[]))
                ),
            ),
            _ => String::new(),
        };
        out.push_str(&piece);
    }
    out.push_str("</div>");
    out
}

#[derive(serde::Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
}

/// The action a form asks for, with the chat button that must be on offer for it; `Err(key)` names
/// the text for a form that is incomplete.
fn parse_action(
    id: i64,
    action: &str,
    form: &ActionForm,
) -> Option<Result<(LeadAction, ButtonId), &'static str>> {
    let typed = form.text.trim().to_owned();
    Some(match action {
        "accept" => Ok((LeadAction::Accept, ButtonId::LeadAccept(id))),
        "close" => Ok((LeadAction::Close, ButtonId::LeadClose(id))),
        "decline" => {
            let reason = match form.reason.as_str() {
                "1" => Some(Reason::Listed(1)),
                "2" => Some(Reason::Listed(2)),
                _ if typed.is_empty() => None,
                _ => Some(Reason::Typed(typed)),
            };
            reason
                .map(|r| (LeadAction::Decline(r), ButtonId::LeadDecline(id)))
                .ok_or("empty_text")
        }
        "ask" if typed.is_empty() => Err("empty_text"),
        "ask" => Ok((LeadAction::Ask(typed), ButtonId::LeadInfo(id))),
        _ => return None,
    })
}

/// `POST /web/leads/{id}/{accept|decline|ask|close}`.
pub async fn act(
    signed: Signed,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(r) = signed.check_csrf(&form.csrf) {
        return r;
    }
    let Some((institution, _)) = signed.contact.clone() else {
        return signed.message(StatusCode::FORBIDDEN, &signed.t("no_access", &[]));
    };
    let lead = match lead_of(&signed, institution, &id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let e = &lead.enquiry;
    let (action, button) = match parse_action(e.id, &action, &form) {
        None => return signed.message(StatusCode::NOT_FOUND, &signed.t("not_found", &[])),
        Some(Err(key)) => return signed.message(StatusCode::BAD_REQUEST, &signed.t(key, &[])),
        Some(Ok(a)) => a,
    };
    let (ctx, lang) = (&signed.ctx, signed.lang());
    let offered = messages::lead_buttons(ctx, e, lang)
        .iter()
        .any(|b| b.id == button.to_string());
    let not_now = || {
        let status = present::status(ctx, e.status, lang);
        signed.message(
            StatusCode::CONFLICT,
            &signed.t("not_now", &[("status", status)]),
        )
    };
    if !offered {
        return not_now();
    }
    match signed
        .app
        .lead_action(&signed.who(), e.id, action, lang)
        .await
    {
        // The handler checks again under the lead's lock: a change in between is refused there.
        Ok(replies)
            if replies
                .iter()
                .any(|r| r.plain_text() == ctx.text("not_yours", lang, &[])) =>
        {
            not_now()
        }
        Ok(_) => see_other(&format!("/web/leads/{}?done=1", e.id)),
        Err(err) => server_error(&signed.app, "acting on a lead", err),
    }
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) starts with `'` instead.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// `GET /web/leads.csv?sort=…`: the institution's leads as CSV (UTF-8 with a byte-order mark, so
/// spreadsheets read the Chinese right); person and contact only for accepted leads.
pub async fn csv(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let (signed, _, leads) = match read_list(&state, &headers, &q).await {
        Ok(read) => read,
        Err(r) => return r,
    };
    let (ctx, lang) = (&signed.ctx, signed.lang());
    let mut out = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    let names = signed.t("csv_header", &[]);
    let mut rows = vec![names.split(',').map(str::to_owned).collect::<Vec<_>>()];
    for l in &leads {
        let e = &l.enquiry;
        let (company, message) = messages::company_and_message(ctx, e, lang);
        let shown = |s: &str| {
            if l.shows_contact() {
                cell(s)
            } else {
                String::new()
            }
        };
        rows.push(vec![
            e.id.to_string(),
            date(l.created_at),
            present::status(ctx, e.status, lang),
            cell(&e.patent_number),
            cell(&e.title),
            cell(&company),
            present::deal(ctx, e.mode, lang),
            cell(&message),
            shown(&e.person),
            shown(&e.contact),
        ]);
    }
    for row in rows {
        if let Err(e) = out.write_record(&row) {
            return server_error(&signed.app, "writing the CSV", e);
        }
    }
    let bytes = match out.into_inner() {
        Ok(b) => b,
        Err(e) => return server_error(&signed.app, "writing the CSV", e),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"leads.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response()
}
