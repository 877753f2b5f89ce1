//! An admin's invite codes: the form that issues one for an institution of the catalogue (as the chat's
//! `/invite` does, through [`crate::app::App::create_invite`]: 7 days, single use, audited) and the codes
//! still usable. Admins only, checked on every request.

use super::admin::{Admin, date, head, refusal};
use super::{html, see_other, server_error};
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    created: String,
}

/// `GET /web/admin/invites`.
pub async fn list(Admin(signed): Admin, Query(q): Query<ListQuery>) -> Response {
    let pool = signed.app.pool().clone();
    let read = async {
        let institutions = crate::catalog::store::institutions(&pool).await?;
        let mut conn = pool.acquire().await?;
        let open = crate::enquiry::invites::open(&mut conn).await?;
        Ok::<_, sqlx::Error>((institutions, open))
    }
    .await;
    let (institutions, open) = match read {
        Ok(r) => r,
        Err(e) => return server_error(&signed.app, "listing invites", e),
    };
    let title = signed.t("nav_invites", &[]);
    let mut body = format!("<h2>{}</h2>", html::esc(&title));
    if !q.created.is_empty() {
        let text = signed.t("invite_made", &[("institution", q.created.clone())]);
        body.push_str(&html::para(&text, Some("flash")));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/web/admin/invites\">{}<label>{}<select name=\"institution\">",
        html::csrf_field(&signed.session.csrf),
        html::esc(&signed.t("invite_for", &[]))
    );
    // The institution just invited stays chosen: the next invite is often for a second contact of it.
    for i in &institutions {
        let selected = if i.name == q.created { " selected" } else { "" };
        let _ = write!(body, "<option{selected}>{}</option>", html::esc(&i.name));
    }
    let _ = write!(
        body,
        "</select></label><button>{}</button></form>",
        html::esc(&signed.t("invite_make", &[]))
    );
    if open.is_empty() {
        body.push_str(&html::para(&signed.t("invites_none", &[]), None));
        return signed.page(StatusCode::OK, &title, &body);
    }
    body.push_str(&head(
        &signed,
        &["col_code", "col_institution", "col_who", "col_expires"],
    ));
    for v in &open {
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html::esc(&v.code),
            html::esc(&v.institution),
            html::esc(&v.created_by),
            date(v.expires_at)
        );
    }
    body.push_str("</tbody></table>");
    signed.page(StatusCode::OK, &title, &body)
}

#[derive(serde::Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    institution: String,
}

/// `POST /web/admin/invites`: issues a code, then back to the list (which shows it first).
pub async fn create(Admin(signed): Admin, Form(form): Form<InviteForm>) -> Response {
    if let Err(r) = signed.check_csrf(&form.csrf) {
        return r;
    }
    let name = form.institution.trim();
    match signed.app.create_invite(&signed.who(), name).await {
        Ok(Some(_)) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("created", name)
                .finish();
            see_other(&format!("/web/admin/invites?{query}"))
        }
        Ok(None) => {
            let text = signed.t("invite_unknown", &[("institution", name.to_owned())]);
            refusal(&signed, StatusCode::BAD_REQUEST, &text)
        }
        Err(e) => server_error(&signed.app, "issuing an invite", e),
    }
}
