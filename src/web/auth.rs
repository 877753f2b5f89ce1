//! Signing in and who is signed in. A link from `/web` opens a page whose button posts the token (so a
//! link preview that fetches the URL cannot use it up); the post uses the link once and sets the session
//! cookie (HttpOnly, SameSite=Strict, Secure behind https). Every request looks the person's role up
//! again: a contact removed from `contact_chats` (or an admin removed from the settings) loses access at
//! once. Every state-changing form carries the session's CSRF token, compared in constant time.

// The error side of these results is the page to answer with, made at most once per request; boxing
// it would buy nothing.
#![allow(clippy::result_large_err)]

use super::store::{self, SESSION_HOURS, Session};
use super::{WebState, html, html_response, message_page, see_other, server_error, text};
use crate::app::{App, Context, Who};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The session cookie's name.
pub const COOKIE: &str = "queqiao_session";

/// A signed-in request: the person, their role now, and the services to answer with.
pub struct Signed {
    pub app: Arc<App>,
    pub ctx: Context,
    session_id: String,
    pub session: Session,
    /// The institution (id, name) the person is a contact of.
    pub contact: Option<(i64, String)>,
    pub admin: bool,
}

impl Signed {
    pub fn lang(&self) -> &str {
        &self.session.lang
    }

    /// A console text in the session's language.
    pub fn t(&self, key: &str, extra: &[(&str, String)]) -> String {
        text(&self.ctx, key, self.lang(), extra)
    }

    /// The person as the chat knows them: actions are checked against this, as the chat's are.
    pub fn who(&self) -> Who<'_> {
        Who {
            channel: &self.session.person.channel,
            chat_id: self.session.person.chat_id,
            user_id: self.session.person.user_id,
            // The console acts as the person, privately; groups are told "<user id> accepted #5".
            name: "",
            group: false,
        }
    }

    /// A whole page for this person, with the header (role, languages, sign-out).
    pub fn page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let role = match &self.contact {
            Some((_, name)) => self.t("role_contact", &[("institution", name.clone())]),
            None => self.t("role_admin", &[]),
        };
        let other_langs = self
            .ctx
            .scripts
            .languages
            .iter()
            .filter(|l| l.as_str() != self.lang())
            .map(|l| (l.clone(), text(&self.ctx, "lang_name", l, &[])))
            .collect();
        let header = html::Header {
            role,
            csrf: &self.session.csrf,
            other_langs,
            sign_out: self.t("sign_out", &[]),
            nav: self
                .nav()
                .iter()
                .map(|(path, key)| (*path, self.t(key, &[])))
                .collect(),
        };
        let site = self.t("title", &[]);
        html_response(
            status,
            html::page(self.lang(), &site, title, Some(&header), body),
        )
    }

    /// The pages linked in the header: a contact's leads, the board, an admin's pages.
    fn nav(&self) -> Vec<(&'static str, &'static str)> {
        let mut nav = Vec::new();
        if self.contact.is_some() {
            nav.push(("/web/leads", "leads"));
        }
        nav.push(("/web/board", "nav_board"));
        nav.push(("/web/stats", "nav_stats"));
        if self.admin {
            nav.extend_from_slice(super::admin::NAV);
        }
        nav
    }

    /// A page with one message (a refusal, a missing lead) and the way back to the leads.
    pub fn message(&self, status: StatusCode, message: &str) -> Response {
        self.message_back(status, message, ("/web/leads", "back"))
    }

    /// A page with one message and a link back to `href`, labelled with the text `label_key`.
    pub fn message_back(
        &self,
        status: StatusCode,
        message: &str,
        (href, label_key): (&str, &str),
    ) -> Response {
        let back = format!(
            "<p><a href=\"{href}\">{}</a></p>",
            html::esc(&self.t(label_key, &[]))
        );
        self.page(
            status,
            message,
            &(html::para(message, Some("error")) + &back),
        )
    }

    /// Refuses the form unless it carries this session's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), Response> {
        if store::same_secret(given.as_bytes(), self.session.csrf.as_bytes()) {
            Ok(())
        } else {
            tracing::warn!("web form without the session's CSRF token refused");
            Err(self.message(StatusCode::FORBIDDEN, &self.t("bad_form", &[])))
        }
    }
}

fn app_of(state: &WebState) -> Result<Arc<App>, Response> {
    state.app.get().cloned().ok_or_else(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the console is starting; try again in a moment\n",
        )
            .into_response()
    })
}

/// The session id of the request's cookie.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// Who is signed in, with their role looked up now; otherwise the page to answer with.
pub async fn signed_in(state: &WebState, headers: &HeaderMap) -> Result<Signed, Response> {
    let app = app_of(state)?;
    let ctx = app.context();
    let lang = ctx.default_lang();
    let need_sign_in = || message_page(&ctx, &lang, StatusCode::UNAUTHORIZED, "need_sign_in");
    let Some(id) = cookie(headers) else {
        return Err(need_sign_in());
    };
    let found = async {
        let mut conn = app.pool().acquire().await?;
        let Some(session) = store::session(&mut conn, &id).await? else {
            return Ok(None);
        };
        let p = &session.person;
        let contact =
            crate::enquiry::registry::contact_of(&mut conn, &p.channel, p.user_id).await?;
        Ok::<_, sqlx::Error>(Some((session, contact)))
    }
    .await;
    let (session, contact) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return Err(need_sign_in()),
        Err(e) => return Err(server_error(&app, "reading the session", e)),
    };
    let admin = app.is_admin(session.person.user_id);
    if contact.is_none() && !admin {
        let lang = session.lang.clone();
        return Err(message_page(
            &ctx,
            &lang,
            StatusCode::FORBIDDEN,
            "no_access",
        ));
    }
    Ok(Signed {
        app,
        ctx,
        session_id: id,
        session,
        contact,
        admin,
    })
}

/// Handlers take the signed-in person as an argument; anyone else gets the page [`signed_in`] answers.
impl axum::extract::FromRequestParts<Arc<WebState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<WebState>,
    ) -> Result<Self, Response> {
        signed_in(state, &parts.headers).await
    }
}

/// `/web/`: a contact's leads; an admin's home.
pub async fn home(signed: Signed) -> Response {
    if signed.contact.is_some() {
        return see_other("/web/leads");
    }
    let message = signed.t("admin_home", &[]);
    signed.page(
        StatusCode::OK,
        &signed.t("role_admin", &[]),
        &html::para(&message, None),
    )
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /web/login?token=…`: a page with the sign-in button (using the link takes a POST).
pub async fn login_page(
    State(state): State<Arc<WebState>>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let app = match app_of(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = app.context();
    let mut conn = match app.pool().acquire().await {
        Ok(c) => c,
        Err(e) => return server_error(&app, "checking a sign-in link", e),
    };
    let lang = match store::link_lang(&mut conn, &q.token).await {
        Ok(Some(lang)) => lang,
        Ok(None) => {
            return message_page(
                &ctx,
                &ctx.default_lang(),
                StatusCode::FORBIDDEN,
                "link_refused",
            );
        }
        Err(e) => return server_error(&app, "checking a sign-in link", e),
    };
    let site = text(&ctx, "title", &lang, &[]);
    let body = format!(
        "{}<form method=\"post\" action=\"/web/login\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
         <button>{}</button></form>",
        html::para(&text(&ctx, "sign_in_prompt", &lang, &[]), None),
        html::esc(&q.token),
        html::esc(&text(&ctx, "sign_in", &lang, &[])),
    );
    let title = text(&ctx, "sign_in_title", &lang, &[]);
    html_response(
        StatusCode::OK,
        html::page(&lang, &site, &title, None, &body),
    )
}

/// `POST /web/login`: uses the link once, opens the session, sets the cookie.
pub async fn login(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Form(q): Form<TokenQuery>,
) -> Response {
    let app = match app_of(&state) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = app.context();
    if !same_origin(&headers, state.origin.as_deref()) {
        // Login CSRF: another site could otherwise sign a visitor into the attacker's own session.
        tracing::warn!("a sign-in posted from another site was refused");
        return message_page(
            &ctx,
            &ctx.default_lang(),
            StatusCode::FORBIDDEN,
            "link_refused",
        );
    }
    let signed = async {
        let mut conn = app.pool().acquire().await?;
        store::sign_in(&mut conn, &q.token).await
    }
    .await;
    match signed {
        Ok(Some((id, _))) => {
            let secure = if state.secure { "; Secure" } else { "" };
            let max_age = i64::from(SESSION_HOURS) * 3600;
            let cookie = format!(
                "{COOKIE}={id}; Path=/web; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
            );
            let mut response = see_other("/web/");
            if let Ok(v) = cookie.parse() {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Ok(None) => {
            tracing::info!("a used, expired or unknown sign-in link was refused");
            message_page(
                &ctx,
                &ctx.default_lang(),
                StatusCode::FORBIDDEN,
                "link_refused",
            )
        }
        Err(e) => server_error(&app, "signing in", e),
    }
}

/// Whether a browser says the form was posted from the console's own pages: `Sec-Fetch-Site` is
/// same-origin (or none: typed or bookmarked), and `Origin`, when sent, is the public URL's. A client that
/// sends neither (not a browser) is not a CSRF victim and passes.
fn same_origin(headers: &HeaderMap, origin: Option<&str>) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (header("origin"), origin) {
        (Some(sent), Some(ours)) => sent == ours,
        _ => true,
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

/// `POST /web/logout`: the session is deleted and the cookie cleared.
pub async fn logout(signed: Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Err(r) = signed.check_csrf(&form.csrf) {
        return r;
    }
    let deleted = async {
        let mut conn = signed.app.pool().acquire().await?;
        store::delete_session(&mut conn, &signed.session_id).await
    }
    .await;
    if let Err(e) = deleted {
        return server_error(&signed.app, "signing out", e);
    }
    let mut response = message_page(&signed.ctx, signed.lang(), StatusCode::OK, "signed_out");
    let clear = format!("{COOKIE}=; Path=/web; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = clear.parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `POST /web/lang`: the pages' language (one of the scripts' languages).
pub async fn set_lang(signed: Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Err(r) = signed.check_csrf(&form.csrf) {
        return r;
    }
    if !signed.ctx.scripts.languages.contains(&form.lang) {
        return signed.message(StatusCode::BAD_REQUEST, &signed.t("bad_form", &[]));
    }
    let changed = async {
        let mut conn = signed.app.pool().acquire().await?;
        store::set_lang(&mut conn, &signed.session_id, &form.lang).await
    }
    .await;
    match changed {
        Ok(()) => see_other("/web/"),
        Err(e) => server_error(&signed.app, "switching the language", e),
    }
}
