//! The web console for tests: the bot on the fake Telegram and, on its own port, the console over the
//! same application; browsers are reqwest clients with a cookie jar that do not follow redirects.
#![allow(dead_code)]

use super::app::{TestApp, text_of};
use queqiao::app::Settings;
use queqiao::web::{self, WebState};
use reqwest::{Client, StatusCode, redirect};
use sqlx::PgPool;

pub const COMPANY: i64 = 100;
pub const CONTACT_A: i64 = 900;
pub const CONTACT_B: i64 = 901;

/// The bot and, on its own port, the console over the same application.
pub struct Console {
    pub t: TestApp,
    pub base: String,
}

impl Console {
    pub async fn new(pool: &PgPool) -> Self {
        Self::with_dialogs(pool, std::path::Path::new("dialogs")).await
    }

    /// [`Console::new`] over the scripts of `dialogs` (a test's own copy of the folder).
    pub async fn with_dialogs(
        pool: &PgPool,
        dialogs: impl Into<queqiao::dialog::DialogSource>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let settings = Settings {
            public_url: Some(base.clone()),
            ..Settings::default()
        };
        let t = TestApp::with_dialogs(pool, settings, dialogs).await;
        let state = WebState::new(Some(&base));
        state.set_app(t.app.clone());
        tokio::spawn(async move { axum::serve(listener, web::router(state)).await.unwrap() });
        Self { t, base }
    }

    /// `chat` sends `/web`; returns the link it got.
    pub async fn link(&mut self, chat: i64) -> String {
        let reply = text_of(&self.t.say(chat, "/web").await);
        let start = reply
            .find(&self.base)
            .unwrap_or_else(|| panic!("no link: {reply}"));
        reply[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// A browser signed in as `chat` (through its link and the sign-in button).
    pub async fn signed_in(&mut self, chat: i64) -> Client {
        let link = self.link(chat).await;
        self.signed_in_with(&link).await
    }

    /// A browser signed in with `link` (opened, then its sign-in button pressed).
    pub async fn signed_in_with(&self, link: &str) -> Client {
        let client = browser();
        let page = client.get(link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let response = client
            .post(format!("{}/web/login", self.base))
            .form(&[("token", token_of(link))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.t.pool)
            .await
            .unwrap()
    }
}

/// A client that keeps cookies and does not follow redirects (the tests look at each answer).
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn token_of(link: &str) -> String {
    link.split_once("token=").unwrap().1.to_owned()
}

/// The value of a form field named `name` in a page.
pub fn field(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

pub async fn post(client: &Client, url: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = client.post(url).form(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Registers `chat` as a contact of `institution`.
pub async fn register(c: &mut Console, chat: i64, institution: &str) {
    let mut conn = c.t.pool.acquire().await.unwrap();
    let code = queqiao::enquiry::invites::invite(&mut conn, institution, "test", 7)
        .await
        .unwrap();
    let reply = text_of(&c.t.say(chat, &format!("/register {code}")).await);
    assert!(reply.contains("登记成功"), "{reply}");
}

pub async fn any_institution(pool: &PgPool) -> String {
    queqiao::catalog::store::load_demo_if_empty(pool)
        .await
        .unwrap();
    sqlx::query_scalar("SELECT name FROM institutions ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The company finds patents in the chat and opens the first; [`CONTACT_A`] registers for its
/// institution; the company sends an enquiry with `company` and `message`, which reaches the contact.
/// Returns the patent's institution and the enquiry's id.
pub async fn lead_from_company(c: &mut Console, company: &str, message: &str) -> (String, i64) {
    lead_from(c, COMPANY, company, message).await
}

/// [`lead_from_company`] by the company chatting in `chat`.
pub async fn lead_from(c: &mut Console, chat: i64, company: &str, message: &str) -> (String, i64) {
    let t = &mut c.t;
    t.say(chat, "/start").await;
    t.press(chat, "c:zh").await;
    t.say(chat, "硅负极材料循环衰减快，有没有改进方案").await;
    for _ in 0..3 {
        t.press(chat, "c:any").await;
    }
    t.press(chat, "skip").await;
    let details = text_of(&t.press(chat, "详情 1").await);
    let institution = details
        .lines()
        .find_map(|l| l.strip_prefix("权利人："))
        .and_then(|l| l.split('（').next())
        .unwrap()
        .to_owned();
    register(c, CONTACT_A, &institution).await;
    let t = &mut c.t;
    let mut sent = t.press(chat, "我想咨询这项专利").await;
    if text_of(&sent).contains("个人信息说明") {
        sent = t.press(chat, "c:agree").await;
    }
    assert!(text_of(&sent).contains("公司全称"), "{sent:?}");
    t.say(chat, company).await;
    t.say(chat, "张三").await;
    t.say(chat, "+86 138 0000 0000").await;
    let modes = t.say(chat, message).await;
    let mode = modes.last().unwrap().buttons[0].0.clone();
    t.press(chat, &mode).await;
    let sent = t.press(chat, "c:yes").await;
    assert!(text_of(&sent).contains("已发往"), "{sent:?}");
    t.flush().await;
    let id = sqlx::query_scalar("SELECT max(id) FROM enquiries")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    (institution, id)
}

pub async fn another_institution(pool: &PgPool, than: &str) -> String {
    sqlx::query_scalar("SELECT name FROM institutions WHERE name <> $1 ORDER BY id LIMIT 1")
        .bind(than)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// What a lead's state is in the database: status, history rows, messages queued.
pub async fn snapshot(pool: &PgPool, id: i64) -> (String, i64, i64) {
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
