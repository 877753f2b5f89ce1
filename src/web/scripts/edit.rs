//! One script file in a `<textarea>` with three buttons, all posting the same form (so the text, the
//! try's messages and the file's fingerprint travel together, and nothing needs JavaScript): "check"
//! lists every problem the whole set would have with this text, as `FILE:LINE: problem`, above the
//! text's numbered lines with the problem lines marked; "try" plays the edited set in a conversation
//! ([`super::try_out`]); "publish" replaces the file ([`super::publish`]), or refuses with the problems.

// The error side of these results is the page to answer with, made at most once per request.
#![allow(clippy::result_large_err)]

use super::files::ScriptFile;
use super::publish::{self, Edit, Published};
use super::store::{Actor, Replaced};
use super::try_out::{self, Turn};
use super::{BASE, editing, file_links, problem_line};
use crate::app::Incoming;
use crate::dialog::ScriptError;
use crate::web::auth::Signed;
use crate::web::{WebState, html, see_other, server_error};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;

/// What the page says above the editor.
enum Notice {
    None,
    Flash(String),
    Error(String),
    /// An introduction, then every problem; the edited file's lines follow, numbered and marked.
    Problems(String, Vec<ScriptError>),
}

/// Everything the editor page shows.
struct Page<'a> {
    file: &'a ScriptFile,
    text: &'a str,
    /// Fingerprint of the file's text when the editor was opened.
    base: &'a str,
    inputs: &'a [Incoming],
    turns: Option<&'a [Turn]>,
    notice: Notice,
}

#[derive(serde::Deserialize, Default)]
pub struct Opened {
    #[serde(default)]
    published: Option<i64>,
}

/// `GET /web/admin/scripts/{file}[?published=ID]`: the file as it is on disk.
pub async fn open(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<Opened>,
) -> Response {
    let (signed, file) = match editing(&state, &headers, &name, None).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let text = match file.read() {
        Ok(t) => t,
        Err(e) => return server_error(&signed.app, "reading a dialog script", e),
    };
    let notice = match q.published {
        Some(id) => Notice::Flash(signed.t(
            "script_published",
            &[("file", name.clone()), ("id", id.to_string())],
        )),
        None => Notice::None,
    };
    let base = publish::fingerprint(&text);
    let page = Page {
        file: &file,
        text: &text,
        base: &base,
        inputs: &[],
        turns: None,
        notice,
    };
    render(&signed, StatusCode::OK, page)
}

#[derive(serde::Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    base: String,
    #[serde(default, rename = "do")]
    action: String,
    /// The try's messages so far (JSON).
    #[serde(default)]
    said: String,
    /// The try's next typed message.
    #[serde(default)]
    message: String,
    /// The id of a try's button pressed.
    #[serde(default)]
    press: Option<String>,
}

/// `POST /web/admin/scripts/{file}`: check, try or publish the edited text.
pub async fn submit(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<EditForm>,
) -> Response {
    let (signed, file) = match editing(&state, &headers, &name, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    // Browsers send a textarea's line breaks as CRLF; the files use LF.
    let text = form.text.replace("\r\n", "\n");
    let inputs = try_out::inputs_of(&form.said);
    let page = Page {
        file: &file,
        text: &text,
        base: &form.base,
        inputs: &inputs,
        turns: None,
        notice: Notice::None,
    };
    match (form.action.as_str(), &form.press) {
        (_, Some(id)) => try_it(&signed, page, Some(Incoming::Choice(id.clone()))).await,
        ("try", None) => {
            let typed = form.message.trim();
            let next = (!typed.is_empty()).then(|| Incoming::Text(typed.to_owned()));
            try_it(&signed, page, next).await
        }
        ("check", None) => check(&signed, page),
        ("publish", None) => publish_it(&signed, page).await,
        _ => signed.message(StatusCode::BAD_REQUEST, &signed.t("bad_form", &[])),
    }
}

fn check(signed: &Signed, mut page: Page<'_>) -> Response {
    let checked = signed
        .app
        .dialog_source()
        .check_replacing(page.file.name(), page.text);
    page.notice = match checked {
        Ok(_) => Notice::Flash(signed.t("check_ok", &[("file", page.file.name().to_owned())])),
        Err(problems) => {
            let count = problems.len().to_string();
            Notice::Problems(signed.t("check_problems", &[("count", count)]), problems)
        }
    };
    render(signed, StatusCode::OK, page)
}

async fn try_it(signed: &Signed, mut page: Page<'_>, next: Option<Incoming>) -> Response {
    let checked = signed
        .app
        .dialog_source()
        .check_replacing(page.file.name(), page.text);
    let scripts = match checked {
        Ok(s) => s,
        Err(problems) => {
            let count = problems.len().to_string();
            let intro = signed.t("try_problems", &[("count", count)]);
            page.notice = Notice::Problems(intro, problems);
            return render(signed, StatusCode::OK, page);
        }
    };
    let inputs = try_out::append(page.inputs.to_vec(), next);
    if inputs.len() > try_out::MAX_INPUTS {
        page.notice = Notice::Error(signed.t(
            "try_too_long",
            &[("count", try_out::MAX_INPUTS.to_string())],
        ));
        return render(signed, StatusCode::OK, page);
    }
    let user = signed.session.person.user_id;
    let turns = match try_out::play(&signed.app, scripts, user, &inputs).await {
        Ok(t) => t,
        Err(e) => return server_error(&signed.app, "trying an edited script", e),
    };
    page.inputs = &inputs;
    page.turns = Some(&turns);
    render(signed, StatusCode::OK, page)
}

async fn publish_it(signed: &Signed, mut page: Page<'_>) -> Response {
    let by = Actor {
        channel: signed.session.person.channel.clone(),
        user_id: signed.session.person.user_id,
    };
    let edit = Edit {
        file: page.file,
        text: page.text,
        base: Some(page.base),
        how: Replaced::Publish,
    };
    let name = page.file.name().to_owned();
    let (status, notice) = match publish::publish(&signed.app, &by, edit).await {
        Ok(Published::Done(id)) => return see_other(&format!("{BASE}/{name}?published={id}")),
        Ok(Published::Unchanged) => (
            StatusCode::OK,
            Notice::Flash(signed.t("publish_unchanged", &[("file", name)])),
        ),
        Ok(Published::Stale) => (
            StatusCode::CONFLICT,
            Notice::Error(signed.t("publish_stale", &[("file", name)])),
        ),
        Ok(Published::Problems(problems)) => {
            let count = problems.len().to_string();
            let intro = signed.t("publish_refused", &[("count", count)]);
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Notice::Problems(intro, problems),
            )
        }
        Err(e) => return server_error(&signed.app, "publishing a dialog script", e),
    };
    page.notice = notice;
    render(signed, status, page)
}

/// The problems, each linking to its line when it is in the edited file, then that file's lines,
/// numbered, the problem lines marked.
fn problems_html(page: &Page<'_>, intro: &str, problems: &[ScriptError]) -> String {
    let ours = |e: &ScriptError| {
        std::path::Path::new(&e.file).file_name() == Some(std::ffi::OsStr::new(page.file.name()))
    };
    let mut out = format!("<div class=\"error\"><p>{}</p><ul>", html::esc(intro));
    for e in problems {
        let line = html::esc_lines(&problem_line(e));
        if ours(e) && e.line > 0 {
            let _ = write!(out, "<li><a href=\"#L{}\">{line}</a></li>", e.line);
        } else {
            let _ = write!(out, "<li>{line}</li>");
        }
    }
    out.push_str("</ul></div>");
    let marked: BTreeSet<usize> = problems
        .iter()
        .filter(|e| ours(e))
        .map(|e| e.line)
        .collect();
    if marked.iter().any(|l| *l > 0) {
        out.push_str("<table class=\"code\"><tbody>");
        for (n, line) in page.text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            let class = if marked.contains(&n) {
                " class=\"error\""
            } else {
                ""
            };
            let _ = write!(
                out,
                "<tr id=\"L{n}\"{class}><td>{n}</td><td>{}</td></tr>",
                html::esc(line)
            );
        }
        out.push_str("</tbody></table>");
    }
    out
}

fn render(signed: &Signed, status: StatusCode, page: Page<'_>) -> Response {
    let name = page.file.name();
    let title = signed.t("script_heading", &[("file", name.to_owned())]);
    let t = |key: &str| html::esc(&signed.t(key, &[]));
    let mut body = format!(
        "<h2>{}</h2>{}",
        html::esc(&title),
        file_links(signed, page.file)
    );
    match &page.notice {
        Notice::None => {}
        Notice::Flash(m) => body.push_str(&html::para(m, Some("flash"))),
        Notice::Error(m) => body.push_str(&html::para(m, Some("error"))),
        Notice::Problems(intro, problems) => body.push_str(&problems_html(&page, intro, problems)),
    }
    // The first button is what Enter in the message field presses: the try's "send".
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{BASE}/{file}\">{csrf}\
         <button class=\"default\" name=\"do\" value=\"try\" tabindex=\"-1\" aria-hidden=\"true\">{send}</button>\
         <input type=\"hidden\" name=\"base\" value=\"{base}\">\
         <input type=\"hidden\" name=\"said\" value=\"{said}\">\
         <textarea class=\"code\" name=\"text\" rows=\"30\" spellcheck=\"false\">\n{text}</textarea>\
         <p><button name=\"do\" value=\"check\">{check}</button> \
         <button name=\"do\" value=\"publish\">{publish}</button></p>\
         <h3>{try_heading}</h3><p>{hint}</p>",
        file = html::esc(name),
        csrf = html::csrf_field(&signed.session.csrf),
        send = t("try_send"),
        base = html::esc(page.base),
        said = html::esc(&try_out::said_of(page.inputs)),
        text = html::esc(page.text),
        check = t("script_check"),
        publish = t("script_publish"),
        try_heading = t("try_heading"),
        hint = t("try_hint"),
    );
    if let Some(turns) = page.turns {
        body.push_str(&try_out::render(signed, turns));
    }
    let _ = write!(
        body,
        "<p><label>{label} <input name=\"message\" size=\"60\"></label> \
         <button name=\"do\" value=\"try\">{send}</button></p></form>",
        label = t("try_message"),
        send = t("try_send"),
    );
    signed.page(status, &title, &body)
}
