//! The web console, served by `queqiao serve` under `/web/` on `HTTP_ADDR`: server-rendered pages in the
//! scripts' languages, no JavaScript, every asset compiled in.
//!
//! # Layout
//! - [`store`]: the console's tables (one-time links, sessions); only hashes of secrets are stored.
//! - [`signin`]: `/web` in the chat: the one-time link, for registered contacts and admins.
//! - [`auth`]: signing in with a link, the session cookie, who is signed in (looked up on every request),
//!   CSRF tokens, signing out, the language switch.
//! - [`leads`]: a contact's leads: the list, one lead with its history and action forms, CSV export.
//!   Actions run through [`crate::app::App::lead_action`], the chat buttons' own handlers.
//! - [`board`]: the board of needs: posted needs (filtered by the industries of the contact's
//!   institution's patents), one need with its answers, answering with a patent through
//!   [`crate::app::App::answer_need`].
//! - [`stats`]: statistics with charts: a contact's institution (enquiries, acceptance, response time,
//!   their patents shown / opened / enquired), or everything for an admin (needs per week, unmet demand,
//!   response times per institution); [`chart`] draws the SVG on the server.
//! - [`admin`]: an admin's pages: dead letters with retry (the chat's `/outbox` retry through
//!   [`crate::app::App::retry_dead_letter`]), parked updates, the audit log. Admins only, checked on every
//!   request.
//! - [`invites`]: an admin issues invite codes for institutions (as `/invite` does) and sees those
//!   still usable.
//! - [`scripts`]: the admins' dialog script editor: the folder's files, one file in a textarea with
//!   check (every problem of the whole set as `FILE:LINE: problem`, lines marked), try (the edited set
//!   played in a rolled-back conversation through the application's router) and publish (atomic write,
//!   history in `script_history`, audit, `NOTIFY` so every process reloads); each file's history with a
//!   diff against the current text and a rollback through the same publish. Admins only.
//! - [`import`]: an admin uploads a catalogue file; it is imported in the background (the CLI's import)
//!   while its page shows the progress, then the report with every `FILE:LINE` problem;
//!   [`import_jobs`] keeps progress and reports in `import_jobs`.
//! - [`html`]: escaping and the page layout.

pub mod admin;
pub mod auth;
pub mod board;
pub mod chart;
pub mod html;
pub mod import;
pub mod import_jobs;
pub mod invites;
pub mod leads;
pub mod scripts;
pub mod signin;
pub mod stats;
pub mod store;

use crate::app::{App, Context};
use crate::dialog::web_texts::PREFIX;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::{Arc, OnceLock};

/// What the console's handlers read. The application is set once the scripts are loaded and the index
/// is built (until then pages answer 503), as for the webhook.
pub struct WebState {
    app: OnceLock<Arc<App>>,
    /// Whether the public URL is https: the session cookie is then `Secure`.
    secure: bool,
    /// The public URL's origin (`https://bot.example.com`): a sign-in posted from another origin is
    /// refused.
    origin: Option<String>,
}

impl WebState {
    /// `public_url`: where people reach the console (decides the cookie's `Secure` flag).
    pub fn new(public_url: Option<&str>) -> Arc<Self> {
        Arc::new(Self {
            app: OnceLock::new(),
            secure: public_url.is_some_and(|u| u.starts_with("https://")),
            origin: public_url
                .and_then(|u| url::Url::parse(u).ok())
                .map(|u| u.origin().ascii_serialization()),
        })
    }

    pub fn set_app(&self, app: Arc<App>) {
        let _ = self.app.set(app);
    }
}

/// Every console route, under `/web`.
pub fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/web", get(auth::home))
        .route("/web/", get(auth::home))
        .route("/web/login", get(auth::login_page).post(auth::login))
        .route("/web/logout", post(auth::logout))
        .route("/web/lang", post(auth::set_lang))
        .route("/web/leads", get(leads::list))
        .route("/web/leads.csv", get(leads::csv))
        .route("/web/leads/{id}", get(leads::detail))
        .route("/web/leads/{id}/{action}", post(leads::act))
        .route("/web/stats", get(stats::page))
        .route("/web/board", get(board::list))
        .route("/web/board/{id}", get(board::detail))
        .route("/web/board/{id}/answer", post(board::answer))
        .route("/web/admin/dead", get(admin::dead_letters))
        .route("/web/admin/dead/{id}/retry", post(admin::retry))
        .route("/web/admin/parked", get(admin::parked))
        .route("/web/admin/audit", get(admin::audit))
        .route(
            "/web/admin/invites",
            get(invites::list).post(invites::create),
        )
        .route(
            "/web/admin/import",
            get(import::page)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    import::MAX_UPLOAD_MB * 1024 * 1024,
                )),
        )
        .route("/web/admin/import/{id}", get(import::job))
        // The admins' script editor.
        .route("/web/admin/scripts", get(scripts::list))
        .route(
            "/web/admin/scripts/{file}",
            get(scripts::edit::open).post(scripts::edit::submit),
        )
        .route(
            "/web/admin/scripts/{file}/history",
            get(scripts::history::list),
        )
        .route(
            "/web/admin/scripts/{file}/history/{id}",
            get(scripts::history::show),
        )
        .route(
            "/web/admin/scripts/{file}/history/{id}/rollback",
            post(scripts::history::rollback),
        )
        .with_state(state)
}

/// A console text (`web.toml`) in `lang`.
fn text(ctx: &Context, key: &str, lang: &str, extra: &[(&str, String)]) -> String {
    ctx.text(&format!("{PREFIX}{key}"), lang, extra)
}

/// An HTML answer. Pages hold personal data and one-time tokens: never cached, never framed, no
/// referrer sent to another site, nothing loaded from elsewhere. (`same-origin`, not `no-referrer`: under
/// `no-referrer` browsers send `Origin: null` with the console's own forms, and the sign-in's origin
/// check then refused every real browser.)
fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// A page with one message and no header (signed out, refused, not ready).
fn message_page(ctx: &Context, lang: &str, status: StatusCode, key: &str) -> Response {
    let site = text(ctx, "title", lang, &[]);
    let message = text(ctx, key, lang, &[]);
    html_response(
        status,
        html::page(lang, &site, &site, None, &html::para(&message, None)),
    )
}

/// 303 to `to` (after a form: reloading the page does not post it again).
fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// A row id typed in a URL path: a positive number, or nothing.
fn path_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0)
}

/// The row an id typed in a URL names, read with `read`: `Ok(None)` when the id is no positive number or
/// no row has it (the caller's "not found" page), the error page (logged as `what`) when the store fails.
async fn read_by_path_id<T>(
    app: &App,
    id: &str,
    what: &str,
    read: impl AsyncFnOnce(i64) -> Result<Option<T>, sqlx::Error>,
) -> Result<Option<T>, Response> {
    let Some(id) = path_id(id) else {
        return Ok(None);
    };
    read(id).await.map_err(|e| server_error(app, what, e))
}

/// The error page for a store failure (logged here with what was being done).
fn server_error(app: &App, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, what, "web console request failed");
    let scripts = app.scripts();
    let lang = scripts.default_language.clone();
    html_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        html::para(&scripts.text("error", &lang), None),
    )
}
