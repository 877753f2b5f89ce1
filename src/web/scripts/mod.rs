//! The admins' dialog script editor, one file at a time: the list of the dialogs folder's files, the
//! editor of one ([`edit`]: check, try, publish), its history with a diff against the current text and
//! a one-click rollback ([`history`]). Admins only, checked on every request; every form carries the
//! session's CSRF token. When the scripts are compiled into the binary there is nothing to edit: the
//! pages say how to export them.
//!
//! - [`files`]: the folder's script files, names parsed at the boundary, the atomic write.
//! - [`publish`]: the one path that replaces a file (edit and rollback): check, history, audit, write,
//!   NOTIFY, reload.
//! - [`try_out`]: an edit played in a conversation that is rolled back (nobody else sees it).
//! - [`store`]: the `script_history` table. [`diff`]: a line diff.

// The error side of these results is the page to answer with, made at most once per request.
#![allow(clippy::result_large_err)]

pub mod diff;
pub mod edit;
pub mod files;
pub mod history;
pub mod publish;
pub mod store;
pub mod try_out;

use super::admin::{Admin, admin, date, head, refusal};
use super::auth::Signed;
use super::{WebState, html};
use crate::dialog::{DialogSource, ScriptError};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use files::ScriptFile;
use std::fmt::Write;
use std::path::Path;

/// The editor's pages start here.
pub const BASE: &str = "/web/admin/scripts";

/// The signed-in admin and the script file `name` of the dialogs folder, after the form's CSRF token
/// when there is a form; otherwise the page for anyone else (403), for a binary whose scripts are
/// compiled in (nothing to edit; the page says how to export them), for a bad token, or for an unknown
/// file (404, naming it).
pub(super) async fn editing(
    state: &WebState,
    headers: &HeaderMap,
    name: &str,
    csrf: Option<&str>,
) -> Result<(Signed, ScriptFile), Response> {
    let signed = admin(state, headers).await?;
    let dir = match signed.app.dialog_source() {
        DialogSource::Folder(dir) => dir.clone(),
        DialogSource::BuiltIn => {
            let message = signed.t("scripts_built_in", &[]);
            return Err(refusal(&signed, StatusCode::CONFLICT, &message));
        }
    };
    if let Some(token) = csrf {
        signed.check_csrf(token)?;
    }
    match ScriptFile::parse(&dir, name) {
        Some(file) => Ok((signed, file)),
        None => {
            let message = signed.t("script_unknown", &[("file", name.to_owned())]);
            Err(refusal(&signed, StatusCode::NOT_FOUND, &message))
        }
    }
}

/// A problem as the page shows it: `FILE:LINE: problem`, the file by its name in the folder.
pub(super) fn problem_line(e: &ScriptError) -> String {
    let file = Path::new(&e.file)
        .file_name()
        .map_or(e.file.clone(), |n| n.to_string_lossy().into_owned());
    format!("{file}:{}: {}", e.line, e.problem)
}

/// The links under a file's heading: the editor, its history, the list.
pub(super) fn file_links(signed: &Signed, file: &ScriptFile) -> String {
    let name = html::esc(file.name());
    format!(
        "<p><a href=\"{BASE}/{name}\">{}</a> · <a href=\"{BASE}/{name}/history\">{}</a> · \
         <a href=\"{BASE}\">{}</a></p>",
        html::esc(&signed.t("script_edit", &[])),
        html::esc(&signed.t("script_history", &[])),
        html::esc(&signed.t("scripts_all", &[])),
    )
}

/// `GET /web/admin/scripts`: the folder's script files, each with its editor and history.
pub async fn list(Admin(signed): Admin) -> Response {
    let title = signed.t("nav_scripts", &[]);
    let mut body = format!("<h2>{}</h2>", html::esc(&title));
    let dir = match signed.app.dialog_source() {
        DialogSource::Folder(dir) => dir.clone(),
        DialogSource::BuiltIn => {
            body.push_str(&html::para(&signed.t("scripts_built_in", &[]), None));
            return signed.page(StatusCode::OK, &title, &body);
        }
    };
    let listed = match files::list(&dir) {
        Ok(l) => l,
        Err(e) => return super::server_error(&signed.app, "listing the dialog scripts", e),
    };
    let intro = signed.t("scripts_intro", &[("dir", dir.display().to_string())]);
    body.push_str(&html::para(&intro, None));
    body.push_str(&head(
        &signed,
        &["col_file", "col_size", "col_modified", ""],
    ));
    let history = html::esc(&signed.t("script_history", &[]));
    for l in &listed {
        let name = html::esc(l.file.name());
        let modified = l.modified.map(date).unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td><a href=\"{BASE}/{name}\">{name}</a></td><td>{}</td><td>{modified}</td>\
             <td><a href=\"{BASE}/{name}/history\">{history}</a></td></tr>",
            l.bytes
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &title, &body)
}
