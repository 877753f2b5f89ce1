//! A file's history: the versions publishes and rollbacks replaced, newest first (who had published
//! each and when, what replaced it); one version against the current text as a line diff; and the
//! rollback, which publishes that version again through the same path as an edit
//! ([`super::publish`]: check, history, audit, atomic write, NOTIFY, reload).

use super::diff::{self, Line};
use super::publish::{self, Edit, Published};
use super::store::{self, Actor, Replaced, Version};
use super::{BASE, date, editing, file_links, head, problem_line, refusal};
use crate::web::auth::Signed;
use crate::web::{WebState, html, read_by_path_id, see_other, server_error};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::fmt::Write;
use std::sync::Arc;

#[derive(serde::Deserialize, Default)]
pub struct RollbackForm {
    #[serde(default)]
    csrf: String,
}

/// Versions the history page lists.
const SHOWN: i64 = 100;

fn actor(a: &Actor) -> String {
    format!("{}:{}", a.channel, a.user_id)
}

/// Who published a version and when, in words.
fn published(signed: &Signed, v: &Version) -> String {
    match v.published() {
        Some((by, at)) => signed.t(
            "version_published",
            &[("who", actor(&by)), ("when", date(at))],
        ),
        None => signed.t("version_from_folder", &[]),
    }
}

/// What replaced a version, in words.
fn replaced(signed: &Signed, v: &Version) -> String {
    let who = actor(&Actor {
        channel: v.replaced_channel.clone(),
        user_id: v.replaced_by,
    });
    let when = date(v.replaced_at);
    match v.replaced() {
        Replaced::Publish => signed.t("version_replaced", &[("who", who), ("when", when)]),
        Replaced::Rollback(id) => signed.t(
            "version_rolled_back",
            &[("who", who), ("when", when), ("id", id.to_string())],
        ),
    }
}

/// `GET /web/admin/scripts/{file}/history`.
pub async fn list(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let (signed, file) = match editing(&state, &headers, &name, None).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let versions = match store::versions(signed.app.pool(), &name, SHOWN).await {
        Ok(v) => v,
        Err(e) => return server_error(&signed.app, "reading a script's history", e),
    };
    let title = signed.t("history_heading", &[("file", name.clone())]);
    let mut body = format!(
        "<h2>{}</h2>{}",
        html::esc(&title),
        file_links(&signed, &file)
    );
    if versions.is_empty() {
        body.push_str(&html::para(
            &signed.t("history_none", &[("file", name)]),
            None,
        ));
        return signed.page(StatusCode::OK, &title, &body);
    }
    body.push_str(&head(
        &signed,
        &["col_version", "col_published", "col_replaced", ""],
    ));
    let compare = html::esc(&signed.t("version_compare", &[]));
    for v in &versions {
        let _ = write!(
            body,
            "<tr><td>#{id}</td><td>{}</td><td>{}</td>\
             <td><a href=\"{BASE}/{file}/history/{id}\">{compare}</a></td></tr>",
            html::esc(&published(&signed, v)),
            html::esc(&replaced(&signed, v)),
            id = v.id,
            file = html::esc(&name),
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &title, &body)
}

/// The version `id` (from the path) of `file`, or a 404 page.
async fn version_of(signed: &Signed, file: &str, id: &str) -> Result<(Version, String), Response> {
    let gone = || {
        let message = signed.t(
            "version_unknown",
            &[("file", file.to_owned()), ("id", id.to_owned())],
        );
        refusal(signed, StatusCode::NOT_FOUND, &message)
    };
    read_by_path_id(&signed.app, id, "reading a script version", async |id| {
        store::version(signed.app.pool(), file, id).await
    })
    .await?
    .ok_or_else(gone)
}

/// `GET /web/admin/scripts/{file}/history/{id}`: the version against the current text, and the
/// rollback button.
pub async fn show(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let (signed, file) = match editing(&state, &headers, &name, None).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let (version, old) = match version_of(&signed, &name, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let current = match file.read() {
        Ok(t) => t,
        Err(e) => return server_error(&signed.app, "reading a dialog script", e),
    };
    let id = version.id.to_string();
    let named = [("file", name.clone()), ("id", id.clone())];
    let title = signed.t("version_heading", &named);
    let mut body = format!(
        "<h2>{}</h2>{}",
        html::esc(&title),
        file_links(&signed, &file)
    );
    let _ = write!(
        body,
        "<p>{}<br>{}</p>",
        html::esc(&published(&signed, &version)),
        html::esc(&replaced(&signed, &version))
    );
    if old == current {
        body.push_str(&html::para(&signed.t("version_same", &named), None));
    } else {
        body.push_str(&html::para(&signed.t("diff_legend", &named), None));
        body.push_str("<table class=\"code\"><tbody>");
        for line in diff::lines(&old, &current) {
            let (mark, class, text) = match line {
                Line::Same(t) => (" ", "", t),
                Line::Removed(t) => ("-", " class=\"removed\"", t),
                Line::Added(t) => ("+", " class=\"added\"", t),
            };
            let _ = write!(
                body,
                "<tr{class}><td>{mark}</td><td>{}</td></tr>",
                html::esc(text)
            );
        }
        body.push_str("</tbody></table>");
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{BASE}/{}/history/{id}/rollback\">{}<button>{}</button></form>",
        html::esc(&name),
        html::csrf_field(&signed.session.csrf),
        html::esc(&signed.t("rollback", &named)),
    );
    signed.page(StatusCode::OK, &title, &body)
}

/// `POST /web/admin/scripts/{file}/history/{id}/rollback`: publishes the version again.
pub async fn rollback(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    Form(form): Form<RollbackForm>,
) -> Response {
    let (signed, file) = match editing(&state, &headers, &name, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let (version, old) = match version_of(&signed, &name, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let by = Actor {
        channel: signed.session.person.channel.clone(),
        user_id: signed.session.person.user_id,
    };
    let edit = Edit {
        file: &file,
        text: &old,
        base: None,
        how: Replaced::Rollback(version.id),
    };
    let message = match publish::publish(&signed.app, &by, edit).await {
        Ok(Published::Done(kept)) => return see_other(&format!("{BASE}/{name}?published={kept}")),
        Ok(Published::Unchanged) => signed.t("publish_unchanged", &[("file", name)]),
        // Without a fingerprint a rollback is never stale.
        Ok(Published::Stale) => signed.t("publish_stale", &[("file", name)]),
        Ok(Published::Problems(problems)) => {
            let count = problems.len().to_string();
            let lines: Vec<String> = problems.iter().map(problem_line).collect();
            format!(
                "{}\n{}",
                signed.t("publish_refused", &[("count", count)]),
                lines.join("\n")
            )
        }
        Err(e) => return server_error(&signed.app, "rolling a dialog script back", e),
    };
    refusal(&signed, StatusCode::CONFLICT, &message)
}
