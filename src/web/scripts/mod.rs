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
use std::path::{Path, PathBuf};

/// The editor's pages start here.
pub const BASE: &str = "/web/admin/scripts";

/// The signed-in admin and the dialogs folder, or the page for anyone else (403) or for a binary whose
/// scripts are compiled in (nothing to edit; the page says how to export them).
pub(super) async fn editing(
    state: &WebState,
    headers: &HeaderMap,
) -> Result<(Signed, PathBuf), Response> {
    let signed = admin(state, headers).await?;
    match signed.app.dialog_source() {
        DialogSource::Folder(dir) => {
            let dir = dir.clone();
            Ok((signed, dir))
        }
        DialogSource::BuiltIn => {
            let message = signed.t("scripts_built_in", &[]);
            Err(refusal(&signed, StatusCode::CONFLICT, &message))
        }
    }
}

/// The script file `name` of `dir`, or a 404 page naming it.
pub(super) fn file_of(signed: &Signed, dir: &Path, name: &str) -> Result<ScriptFile, Response> {
    ScriptFile::parse(dir, name).ok_or_else(|| {
        let message = signed.t("script_unknown", &[("file", name.to_owned())]);
        refusal(signed, StatusCode::NOT_FOUND, &message)
    })
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
