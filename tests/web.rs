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

/// The company finds patents in the chat and opens the first; [`CONTACT_A`] registers for its
/// institution; the company sends an enquiry with `company` and `message`, which reaches the contact.
/// Returns the patent's institution and the enquiry's id.
async fn lead_from_company(c: &mut Console, company: &str, message: &str) -> (String, i64) {
    let t = &mut c.t;
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "c:zh").await;
    t.say(COMPANY, "硅负极材料循环衰减快，有没有改进方案").await;
    for _ in 0..3 {
        t.press(COMPANY, "c:any").await;
    }
    t.press(COMPANY, "skip").await;
    let details = text_of(&t.press(COMPANY, "open:1").await);
    let institution = details
        .lines()
        .find_map(|l| l.strip_prefix("权利人："))
        .and_then(|l| l.split('（').next())
        .unwrap()
        .to_owned();
    register(c, CONTACT_A, &institution).await;
    let t = &mut c.t;
    let mut sent = t.press(COMPANY, "enquire:1").await;
    if text_of(&sent).contains("个人信息说明") {
        sent = t.press(COMPANY, "c:agree").await;
    }
    assert!(text_of(&sent).contains("公司全称"), "{sent:?}");
    t.say(COMPANY, company).await;
    t.say(COMPANY, "张三").await;
    t.say(COMPANY, "+86 138 0000 0000").await;
    let modes = t.say(COMPANY, message).await;
    let mode = modes.last().unwrap().buttons[0].0.clone();
    t.press(COMPANY, &mode).await;
    let sent = t.press(COMPANY, "c:yes").await;
    assert!(text_of(&sent).contains("已发往"), "{sent:?}");
    t.flush().await;
    let id = sqlx::query_scalar("SELECT max(id) FROM enquiries")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    (institution, id)
}

async fn another_institution(pool: &PgPool, than: &str) -> String {
    sqlx::query_scalar("SELECT name FROM institutions WHERE name <> $1 ORDER BY id LIMIT 1")
        .bind(than)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// What a lead's state is in the database: status, history rows, messages queued.
async fn snapshot(pool: &PgPool, id: i64) -> (String, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT status FROM enquiries WHERE id = $1),
                (SELECT count(*) FROM enquiry_events WHERE enquiry_id = $1),
                (SELECT count(*) FROM outbox)",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_contact_sees_and_acts_on_their_institutions_leads_only(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let (institution, id) = lead_from_company(
        &mut c,
        "<b>重庆某某</b>电池有限公司",
        "<script>alert(1)</script> 年产 500 吨",
    )
    .await;
    let other = another_institution(&pool, &institution).await;
    register(&mut c, CONTACT_B, &other).await;
    let a = c.signed_in(CONTACT_A).await;
    let b = c.signed_in(CONTACT_B).await;

    // A sees the lead, its markup as text, and no contact details before accepting.
    let (status, list) = get(&a, &c.url("/web/leads")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains(&format!("href=\"/web/leads/{id}\"")),
        "{list}"
    );
    assert!(
        list.contains("&lt;b&gt;重庆某某&lt;/b&gt;电池有限公司"),
        "{list}"
    );
    let (status, page) = get(&a, &c.url(&format!("/web/leads/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; 年产 500 吨"),
        "{page}"
    );
    assert!(
        !page.contains("<script>") && !page.contains("<b>"),
        "{page}"
    );
    assert!(
        !page.contains("138 0000") && !page.contains("张三"),
        "{page}"
    );
    assert!(
        page.contains("已送达") && page.contains(&institution),
        "{page}"
    );
    let csv = a
        .get(c.url("/web/leads.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(&format!("\n{id},")) && !csv.contains("138 0000"),
        "{csv}"
    );

    // B does not: not in the list, not by its URL, not in the export, and cannot act on it.
    let (_, list) = get(&b, &c.url("/web/leads")).await;
    assert!(
        !list.contains(&format!("/web/leads/{id}")) && !list.contains("重庆某某"),
        "{list}"
    );
    assert_eq!(
        get(&b, &c.url(&format!("/web/leads/{id}"))).await.0,
        StatusCode::NOT_FOUND
    );
    let csv = b
        .get(c.url("/web/leads.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("重庆某某"), "{csv}");
    let (_, b_page) = get(&b, &c.url("/web/leads")).await;
    let csrf = field(&b_page, "csrf");
    let before = snapshot(&pool, id).await;
    for action in ["accept", "decline", "ask", "close"] {
        let form = [
            ("csrf", csrf.as_str()),
            ("reason", "1"),
            ("text", "想问一下"),
        ];
        let (status, _) = post(&b, &c.url(&format!("/web/leads/{id}/{action}")), &form).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(
        get(&b, &c.url("/web/leads/abc")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(snapshot(&pool, id).await, before, "nothing changed");
}
