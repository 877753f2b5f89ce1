//! The web console over a real socket (reqwest with a cookie jar) beside the bot on the fake Telegram:
//! one-time sign-in links from `/web`, sessions, CSRF, who may use the console, a contact's leads (only
//! their institution's), the actions with the chat's own notifications, CSV export.

mod common;

use common::app::{ADMIN, TestApp, text_of};
use queqiao::app::Settings;
use queqiao::web::{self, WebState};
use reqwest::{Client, StatusCode, redirect};
use sqlx::PgPool;

const COMPANY: i64 = 100;
const CONTACT_A: i64 = 900;
#[allow(dead_code)]
const CONTACT_B: i64 = 901;

/// The bot and, on its own port, the console over the same application.
struct Console {
    t: TestApp,
    base: String,
}

impl Console {
    async fn new(pool: &PgPool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let settings = Settings {
            public_url: Some(base.clone()),
            ..Settings::default()
        };
        let t = TestApp::with_settings(pool, settings).await;
        let state = WebState::new(Some(&base));
        state.set_app(t.app.clone());
        tokio::spawn(async move { axum::serve(listener, web::router(state)).await.unwrap() });
        Self { t, base }
    }

    /// `chat` sends `/web`; returns the link it got.
    async fn link(&mut self, chat: i64) -> String {
        let reply = text_of(&self.t.say(chat, "/web").await);
        let start = reply
            .find(&self.base)
            .unwrap_or_else(|| panic!("no link: {reply}"));
        reply[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// A browser signed in as `chat` (through its link and the sign-in button).
    async fn signed_in(&mut self, chat: i64) -> Client {
        let link = self.link(chat).await;
        let client = browser();
        let page = client.get(&link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let response = client
            .post(format!("{}/web/login", self.base))
            .form(&[("token", token_of(&link))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        client
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.t.pool)
            .await
            .unwrap()
    }
}

/// A client that keeps cookies and does not follow redirects (the tests look at each answer).
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_owned()
}

/// The value of a form field named `name` in a page.
fn field(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post(client: &Client, url: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = client.post(url).form(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Registers `chat` as a contact of `institution`.
async fn register(c: &mut Console, chat: i64, institution: &str) {
    let mut conn = c.t.pool.acquire().await.unwrap();
    let code = queqiao::enquiry::store::invite(&mut conn, institution, "test", 7)
        .await
        .unwrap();
    let reply = text_of(&c.t.say(chat, &format!("/register {code}")).await);
    assert!(reply.contains("登记成功"), "{reply}");
}

async fn any_institution(pool: &PgPool) -> String {
    queqiao::catalog::store::load_demo_if_empty(pool)
        .await
        .unwrap();
    sqlx::query_scalar("SELECT name FROM institutions ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_link_signs_in_once_and_expires(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    register(&mut c, CONTACT_A, &any_institution(&pool).await).await;
    let link = c.link(CONTACT_A).await;
    assert!(link.starts_with(&c.url("/web/login?token=")), "{link}");
    assert_eq!(token_of(&link).len(), 64);
    // Only the token's hash is stored.
    let token = token_of(&link);
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM web_links WHERE encode(token_hash, 'hex') = $1 OR token_hash = convert_to($1, 'UTF8')",
    )
    .bind(&token)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (plain, c.count("SELECT count(*) FROM web_links").await),
        (0, 1)
    );

    // Opening the link shows a button; only the button's POST uses it (a link preview cannot).
    let client = browser();
    let (status, page) = get(&client, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("action=\"/web/login\""), "{page}");
    let (status, _) = get(&client, &link).await;
    assert_eq!(status, StatusCode::OK, "looking does not use the link");
    let response = client
        .post(c.url("/web/login"))
        .form(&[("token", token_of(&link))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/web/");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/web"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let (status, _) = get(&client, &c.url("/web/")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a contact goes to the leads");

    // A used link is refused, in another browser too, and opens nothing.
    let other = browser();
    let (status, page) = post(&other, &c.url("/web/login"), &[("token", &token_of(&link))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("/web"), "{page}");
    assert_eq!(get(&other, &link).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&other, &c.url("/web/")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(c.count("SELECT count(*) FROM web_sessions").await, 1);

    // An expired link is refused.
    let late = c.link(CONTACT_A).await;
    sqlx::query(
        "UPDATE web_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (status, _) = post(&other, &c.url("/web/login"), &[("token", &token_of(&late))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A forged token too.
    let forged = "ab".repeat(32);
    assert_eq!(
        post(&other, &c.url("/web/login"), &[("token", &forged)])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.count("SELECT count(*) FROM web_sessions").await, 1);
}

#[sqlx::test]
async fn the_cookie_is_secure_behind_https(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    // The same application, served as if its public URL were https (the proxy terminates TLS).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let https_base = format!("http://{}", listener.local_addr().unwrap());
    let state = WebState::new(Some("https://console.example.com"));
    state.set_app(c.t.app.clone());
    tokio::spawn(async move { axum::serve(listener, web::router(state)).await.unwrap() });
    let link = c.link(ADMIN).await;
    let response = browser()
        .post(format!("{https_base}/web/login"))
        .form(&[("token", token_of(&link))])
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[sqlx::test]
async fn forms_need_the_sessions_csrf_token(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let admin = c.signed_in(ADMIN).await;
    let (status, page) = get(&admin, &c.url("/web/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Administrator") || page.contains("管理员"),
        "{page}"
    );
    let csrf = field(&page, "csrf");

    // Signing out without the token, or with another one, is refused and changes nothing.
    let (status, _) = post(&admin, &c.url("/web/logout"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let wrong = "0".repeat(64);
    let (status, _) = post(&admin, &c.url("/web/logout"), &[("csrf", &wrong)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &admin,
        &c.url("/web/lang"),
        &[("csrf", &wrong), ("lang", "en")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(get(&admin, &c.url("/web/")).await.0, StatusCode::OK);

    // With it: the language switches, then signing out ends the session for good.
    let (status, _) = post(
        &admin,
        &c.url("/web/lang"),
        &[("csrf", &csrf), ("lang", "en")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get(&admin, &c.url("/web/")).await;
    assert!(
        page.contains("Administrator") && page.contains("<html lang=\"en\">"),
        "{page}"
    );
    let (status, page) = post(&admin, &c.url("/web/logout"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("signed out"), "{page}");
    assert_eq!(c.count("SELECT count(*) FROM web_sessions").await, 0);
    assert_eq!(
        get(&admin, &c.url("/web/")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test]
async fn the_console_is_for_contacts_and_admins_only(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let reply = text_of(&c.t.say(COMPANY, "/web").await);
    assert!(reply.contains("联系人和管理员"), "{reply}");
    assert_eq!(c.count("SELECT count(*) FROM web_links").await, 0);

    // A contact removed after signing in loses access at the next request.
    register(&mut c, CONTACT_A, &any_institution(&pool).await).await;
    let contact = c.signed_in(CONTACT_A).await;
    assert_eq!(
        get(&contact, &c.url("/web/")).await.0,
        StatusCode::SEE_OTHER
    );
    sqlx::query("DELETE FROM contact_chats WHERE chat_id = $1")
        .bind(CONTACT_A)
        .execute(&pool)
        .await
        .unwrap();
    let (status, page) = get(&contact, &c.url("/web/")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("无权"), "{page}");
}
