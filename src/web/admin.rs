//! An admin's pages: the outbox's dead letters, each with a retry form; the parked updates (never their
//! raw bytes, which may hold a user's words); the audit log, newest first, a page at a time. Whether the
//! person is an admin is looked up on every request ([`signed_in`]); anyone else gets 403. The retry
//! runs the chat's own `/outbox` retry ([`crate::app::App::retry_dead_letter`]), audit entry included.

// The error side of these results is the page to answer with, made at most once per request.
#![allow(clippy::result_large_err)]

use super::auth::{Signed, signed_in};
use super::{WebState, html, path_id, see_other, server_error};
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::sync::Arc;

/// The admin's pages linked in the header: (path, text key).
pub const NAV: &[(&str, &str)] = &[
    ("/web/admin/dead", "nav_dead"),
    ("/web/admin/parked", "nav_parked"),
    ("/web/admin/audit", "nav_audit"),
    ("/web/admin/invites", "nav_invites"),
    ("/web/admin/import", "nav_import"),
    ("/web/admin/scripts", "nav_scripts"),
];

/// How many rows a page shows.
const PAGE: i64 = 50;

pub(super) fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The signed-in admin, or the page for anyone else (403 for a contact).
pub(super) async fn admin(state: &WebState, headers: &HeaderMap) -> Result<Signed, Response> {
    let signed = signed_in(state, headers).await?;
    if signed.admin {
        Ok(signed)
    } else {
        tracing::warn!(
            user_id = signed.session.person.user_id,
            "a non-admin asked for an admin page"
        );
        Err(forbidden(&signed))
    }
}

/// A signed-in admin, as a handler's argument: anyone else gets the page [`admin`] answers.
pub struct Admin(pub Signed);

impl axum::extract::FromRequestParts<Arc<WebState>> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<WebState>,
    ) -> Result<Self, Response> {
        admin(state, &parts.headers).await.map(Admin)
    }
}

fn forbidden(signed: &Signed) -> Response {
    refusal(signed, StatusCode::FORBIDDEN, &signed.t("admin_only", &[]))
}

/// A page with one error message (no link back to the leads, which are not an admin's).
pub(super) fn refusal(signed: &Signed, status: StatusCode, message: &str) -> Response {
    signed.page(status, message, &html::para(message, Some("error")))
}

/// A table's header row of the texts `keys` (`""`: an empty heading).
pub(super) fn head(signed: &Signed, keys: &[&str]) -> String {
    let mut out = String::from("<table><thead><tr>");
    for key in keys {
        let label = if key.is_empty() {
            String::new()
        } else {
            signed.t(key, &[])
        };
        let _ = write!(out, "<th>{}</th>", html::esc(&label));
    }
    out.push_str("</tr></thead><tbody>");
    out
}

#[derive(serde::Deserialize, Default)]
pub struct DeadQuery {
    #[serde(default)]
    retried: Option<i64>,
}

/// `GET /web/admin/dead[?retried=ID]`: the dead letters, newest first, each with its retry form.
pub async fn dead_letters(Admin(signed): Admin, Query(q): Query<DeadQuery>) -> Response {
    let dead = match crate::outbox::dead_letters(signed.app.pool(), PAGE).await {
        Ok(d) => d,
        Err(e) => return server_error(&signed.app, "listing dead letters", e),
    };
    let title = signed.t("nav_dead", &[]);
    let mut body = format!("<h2>{}</h2>", html::esc(&title));
    if let Some(id) = q.retried {
        let done = signed.t("dead_retried", &[("id", id.to_string())]);
        body.push_str(&html::para(&done, Some("flash")));
    }
    if dead.is_empty() {
        body.push_str(&html::para(&signed.t("dead_none", &[]), None));
        return signed.page(StatusCode::OK, &title, &body);
    }
    // The last column holds the retry forms: no heading.
    body.push_str(&head(&signed, &["col_id", "col_chat", "col_error", ""]));
    let csrf = html::csrf_field(&signed.session.csrf);
    let label = html::esc(&signed.ctx.text("retry", signed.lang(), &[]));
    for (id, channel, chat, error) in &dead {
        let _ = write!(
            body,
            "<tr><td>#{id}</td><td>{}:{chat}</td><td>{}</td><td><form method=\"post\" \
             action=\"/web/admin/dead/{id}/retry\">{csrf}<button>{label}</button></form></td></tr>",
            html::esc(channel),
            html::esc_lines(error),
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &title, &body)
}

#[derive(serde::Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /web/admin/dead/{id}/retry`: the chat's retry; back to the list with what it did.
pub async fn retry(
    Admin(signed): Admin,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = signed.check_csrf(&form.csrf) {
        return r;
    }
    let Some(id) = path_id(&id) else {
        let message = signed.t("dead_gone", &[("id", id)]);
        return refusal(&signed, StatusCode::NOT_FOUND, &message);
    };
    match signed
        .app
        .retry_dead_letter(&signed.who(), id, signed.lang())
        .await
    {
        Ok(true) => see_other(&format!("/web/admin/dead?retried={id}")),
        Ok(false) => {
            let message = signed.t("dead_gone", &[("id", id.to_string())]);
            refusal(&signed, StatusCode::CONFLICT, &message)
        }
        Err(e) => server_error(&signed.app, "retrying a dead letter", e),
    }
}

/// `GET /web/admin/parked`: when, which update, its size, tries and error; never the bytes.
pub async fn parked(Admin(signed): Admin) -> Response {
    let parked = match crate::inbox::parked(signed.app.pool(), PAGE).await {
        Ok(p) => p,
        Err(e) => return server_error(&signed.app, "listing parked updates", e),
    };
    let title = signed.t("nav_parked", &[]);
    let mut body = format!("<h2>{}</h2>", html::esc(&title));
    if parked.is_empty() {
        body.push_str(&html::para(&signed.t("parked_none", &[]), None));
        return signed.page(StatusCode::OK, &title, &body);
    }
    body.push_str(&head(
        &signed,
        &[
            "col_id",
            "col_when",
            "col_update",
            "col_size",
            "col_tries",
            "col_error",
        ],
    ));
    for p in &parked {
        let update = p.update_id.map_or("?".to_owned(), |u| u.to_string());
        let _ = write!(
            body,
            "<tr><td>#{}</td><td>{}</td><td>{update}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.id,
            date(p.parked_at),
            p.bytes,
            p.attempts,
            html::esc_lines(&p.error),
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &title, &body)
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /web/admin/audit[?before=ID]`: the newest entries, [`PAGE`] at a time, with a link to older ones.
pub async fn audit(Admin(signed): Admin, Query(q): Query<AuditQuery>) -> Response {
    let entries = match crate::operators::audit::newest(signed.app.pool(), q.before, PAGE).await {
        Ok(e) => e,
        Err(e) => return server_error(&signed.app, "reading the audit log", e),
    };
    let title = signed.t("nav_audit", &[]);
    let mut body = format!("<h2>{}</h2>", html::esc(&title));
    if entries.is_empty() {
        body.push_str(&html::para(&signed.t("audit_none", &[]), None));
        return signed.page(StatusCode::OK, &title, &body);
    }
    body.push_str(&head(
        &signed,
        &["col_when", "col_who", "col_action", "col_detail"],
    ));
    for e in &entries {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}:{}</td><td>{}</td><td>{}</td></tr>",
            date(e.at),
            html::esc(&e.channel),
            e.user_id,
            html::esc(&e.action),
            html::esc_lines(&e.detail),
        );
    }
    body.push_str("</tbody></table>");
    if let (true, Some(last)) = (entries.len() as i64 == PAGE, entries.last()) {
        let _ = write!(
            body,
            "<p><a href=\"/web/admin/audit?before={}\">{}</a></p>",
            last.id,
            html::esc(&signed.t("older", &[]))
        );
    }
    signed.page(StatusCode::OK, &title, &body)
}
