//! The admins' dialog script editor over a real socket, on each test's own copy of `dialogs/`: only
//! admins, only with the session's CSRF token; a broken edit is shown as `FILE:LINE:` and never
//! published; a published greeting is what the bot says in the chat, the history keeps the old one and a
//! rollback brings it back; another process on the same database reloads when told by NOTIFY.

mod common;

use common::app::{ADMIN, build_app_in, text_of};
use common::web::*;
use queqiao::app::{Incoming, Settings};
use reqwest::{Client, StatusCode};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::time::Duration;

const GREETING: &str = "您好！欢迎使用鹊桥——高校专利与企业需求的对接助手。";
const NEW_GREETING: &str = "你好，这里是新版鹊桥 <b>&</b> 测试问候。";
const INDUSTRY: &str = "属于哪个产业？（可选）";
const NEW_INDUSTRY: &str = "贵公司所在的产业是？（新问法）";
const EDITOR: &str = "/web/admin/scripts/intake.toml";
const USER: i64 = 555;

/// A copy of the shipped scripts the test may change.
fn dialogs_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("dialogs").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn intake(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("intake.toml")).unwrap()
}

/// The page's text of a form field, as the browser sends it back.
fn value(page: &str, name: &str) -> String {
    field(page, name)
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Posts the editor's form for intake.toml with `text`, pressing `action` (`check`, `try`, `publish`).
async fn send(
    c: &Console,
    admin: &Client,
    opened: &str,
    text: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let (csrf, base, said) = (
        value(opened, "csrf"),
        value(opened, "base"),
        value(opened, "said"),
    );
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("base", base.as_str()),
        ("said", said.as_str()),
        ("text", text),
    ];
    form.extend_from_slice(extra);
    post(admin, &c.url(EDITOR), &form).await
}

async fn audit(pool: &PgPool) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT user_id, action, coalesce(detail, '') FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn only_admins_with_the_sessions_token_reach_the_editor(pool: PgPool) {
    let (_keep, dir) = dialogs_copy();
    let mut c = Console::with_dialogs(&pool, dir.as_path()).await;
    let before = intake(&dir);
    let edited = before.replace(GREETING, NEW_GREETING);
    let pages = [
        "/web/admin/scripts",
        EDITOR,
        "/web/admin/scripts/intake.toml/history",
        "/web/admin/scripts/intake.toml/history/1",
    ];

    // Signed out: asked to sign in.
    for page in pages {
        assert_eq!(
            get(&browser(), &c.url(page)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }

    // A contact is refused every page and every form, with its own valid token.
    let institution = any_institution(&pool).await;
    register(&mut c, CONTACT_A, &institution).await;
    let contact = c.signed_in(CONTACT_A).await;
    let (_, leads) = get(&contact, &c.url("/web/leads")).await;
    let csrf = field(&leads, "csrf");
    assert!(!leads.contains("/web/admin/scripts"), "{leads}");
    for page in pages {
        let (status, body) = get(&contact, &c.url(page)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(!body.contains(GREETING), "{body}");
    }
    let form = [
        ("csrf", csrf.as_str()),
        ("text", &edited),
        ("do", "publish"),
    ];
    assert_eq!(
        post(&contact, &c.url(EDITOR), &form).await.0,
        StatusCode::FORBIDDEN
    );
    let rollback = c.url("/web/admin/scripts/intake.toml/history/1/rollback");
    assert_eq!(
        post(&contact, &rollback, &[("csrf", &csrf)]).await.0,
        StatusCode::FORBIDDEN
    );

    // An admin without the token (none, or another) changes nothing.
    let admin = c.signed_in(ADMIN).await;
    let (status, opened) = get(&admin, &c.url(EDITOR)).await;
    assert_eq!(status, StatusCode::OK);
    let base = value(&opened, "base");
    for token in ["", &"0".repeat(64)] {
        let form = [
            ("csrf", token),
            ("base", &base),
            ("text", &edited),
            ("do", "publish"),
        ];
        assert_eq!(
            post(&admin, &c.url(EDITOR), &form).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(intake(&dir), before);
    assert!(audit(&pool).await.is_empty());
    assert!(text_of(&c.t.say(USER, "/start").await).contains(GREETING));

    // A name outside the folder's script files is no file.
    for bad in ["..%2Fdialogs%2Fbot.toml", "nope.toml", "notes.txt"] {
        let (status, _) = get(&admin, &c.url(&format!("/web/admin/scripts/{bad}"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[sqlx::test]
async fn a_broken_edit_is_shown_by_line_and_never_published(pool: PgPool) {
    let (_keep, dir) = dialogs_copy();
    let mut c = Console::with_dialogs(&pool, dir.as_path()).await;
    let admin = c.signed_in(ADMIN).await;

    // The list shows the folder's files.
    let (status, list) = get(&admin, &c.url("/web/admin/scripts")).await;
    assert_eq!(status, StatusCode::OK);
    for file in ["bot.toml", "intake.toml", "synonyms.toml", "web.toml"] {
        assert!(
            list.contains(&format!("href=\"/web/admin/scripts/{file}\"")),
            "{list}"
        );
    }

    let before = intake(&dir);
    let (_, opened) = get(&admin, &c.url(EDITOR)).await;
    assert!(opened.contains(GREETING), "{opened}");
    // A placeholder no text may use, on the greeting's line.
    let broken = before.replace(GREETING, "您好 {nobody}！");
    let line = broken.lines().position(|l| l.contains("{nobody}")).unwrap() + 1;

    let (status, checked) = send(&c, &admin, &opened, &broken, &[("do", "check")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        checked.contains(&format!("intake.toml:{line}: ")),
        "{checked}"
    );
    assert!(
        checked.contains(&format!("<tr id=\"L{line}\" class=\"error\">")),
        "{checked}"
    );
    assert!(
        checked.contains("您好 {nobody}！"),
        "the edit is kept: {checked}"
    );

    // Trying it is refused with the same problems.
    let (_, tried) = send(&c, &admin, &opened, &broken, &[("do", "try")]).await;
    assert!(tried.contains(&format!("intake.toml:{line}: ")), "{tried}");

    let (status, refused) = send(&c, &admin, &opened, &broken, &[("do", "publish")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains(&format!("intake.toml:{line}: ")),
        "{refused}"
    );
    assert_eq!(intake(&dir), before, "nothing written");
    assert!(audit(&pool).await.is_empty());
    assert_eq!(c.count("SELECT count(*) FROM script_history").await, 0);
    let start = text_of(&c.t.say(USER, "/start").await);
    assert!(
        start.contains(GREETING) && !start.contains("nobody"),
        "{start}"
    );

    // Broken TOML is named by line too.
    let (_, checked) = send(&c, &admin, &opened, "[[step]\nid = 1\n", &[("do", "check")]).await;
    assert!(checked.contains("intake.toml:1: "), "{checked}");
}

#[sqlx::test]
async fn a_published_greeting_is_what_the_bot_says_until_rolled_back(pool: PgPool) {
    let (_keep, dir) = dialogs_copy();
    let mut c = Console::with_dialogs(&pool, dir.as_path()).await;
    let admin = c.signed_in(ADMIN).await;
    let before = intake(&dir);
    let edited = before
        .replace(GREETING, NEW_GREETING)
        .replace(INDUSTRY, NEW_INDUSTRY);
    let (_, opened) = get(&admin, &c.url(EDITOR)).await;
    let escaped = "你好，这里是新版鹊桥 &lt;b&gt;&amp;&lt;/b&gt; 测试问候。";

    // Check passes; nothing is written.
    let (_, checked) = send(&c, &admin, &opened, &edited, &[("do", "check")]).await;
    assert!(checked.contains("class=\"flash\""), "{checked}");
    assert_eq!(intake(&dir), before);

    // Try: the greeting, the language button, a typed need, all with the edited texts.
    let (status, tried) = send(&c, &admin, &opened, &edited, &[("do", "try")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        tried.contains(escaped) && !tried.contains("<b>&"),
        "{tried}"
    );
    let chinese = field(&tried, "press");
    let (_, tried) = send(&c, &admin, &tried, &edited, &[("press", &chinese)]).await;
    assert!(tried.contains("请用一两句话描述"), "{tried}");
    let need = [
        ("do", "try"),
        ("message", "硅负极材料循环衰减快，有没有改进方案"),
    ];
    let (_, tried) = send(&c, &admin, &tried, &edited, &need).await;
    assert!(tried.contains(NEW_INDUSTRY), "{tried}");
    // ...and nobody else saw any of it.
    assert!(text_of(&c.t.say(USER, "/start").await).contains(GREETING));
    assert_eq!(
        c.count("SELECT count(*) FROM conversations WHERE channel = 'web-try'")
            .await,
        0
    );
    assert_eq!(intake(&dir), before);

    // Publish: written, kept in the history, audited; the bot says it in the chat.
    let response = admin
        .post(c.url(EDITOR))
        .form(&[
            ("csrf", value(&opened, "csrf").as_str()),
            ("base", &value(&opened, "base")),
            ("text", &edited.replace('\n', "\r\n")),
            ("do", "publish"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("{EDITOR}?published=")), "{to}");
    assert_eq!(
        intake(&dir),
        edited,
        "written with the file's own line ends"
    );
    let start = text_of(&c.t.say(USER, "/start").await);
    assert!(
        start.contains(NEW_GREETING) && !start.contains(GREETING),
        "{start}"
    );
    assert_eq!(
        audit(&pool).await,
        [(ADMIN, "script_publish".into(), "intake.toml".into())]
    );

    // Publishing again from the page opened before is refused: the file changed since.
    let again = edited.replace(NEW_GREETING, "第三个版本");
    let (status, stale) = send(&c, &admin, &opened, &again, &[("do", "publish")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    assert_eq!(intake(&dir), edited);

    // The history keeps the old version; its diff against the current text shows the change.
    let (_, history) = get(&admin, &c.url("/web/admin/scripts/intake.toml/history")).await;
    let id: i64 = c.count("SELECT max(id) FROM script_history").await;
    let version = format!("/web/admin/scripts/intake.toml/history/{id}");
    assert!(
        history.contains(&format!("href=\"{version}\"")),
        "{history}"
    );
    let (_, diff) = get(&admin, &c.url(&version)).await;
    assert!(
        diff.contains(&format!(
            "<tr class=\"removed\"><td>-</td><td>say = {{ zh = &quot;{GREETING}"
        )),
        "{diff}"
    );
    assert!(
        diff.contains(&format!(
            "<tr class=\"added\"><td>+</td><td>say = {{ zh = &quot;{escaped}"
        )),
        "{diff}"
    );

    // Rollback: the old greeting is back, on disk and in the chat, and audited.
    let rollback = format!("{version}/rollback");
    let response = admin
        .post(c.url(&rollback))
        .form(&[("csrf", value(&diff, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(intake(&dir), before);
    let start = text_of(&c.t.say(USER, "/start").await);
    assert!(
        start.contains(GREETING) && !start.contains(NEW_GREETING),
        "{start}"
    );
    let actions: Vec<String> = audit(&pool)
        .await
        .into_iter()
        .map(|(_, a, d)| format!("{a} {d}"))
        .collect();
    assert_eq!(
        actions,
        [
            "script_publish intake.toml",
            &format!("script_rollback intake.toml #{id}")
        ]
    );
    // The published version is in the history too, marked as replaced by the rollback.
    let (_, history) = get(&admin, &c.url("/web/admin/scripts/intake.toml/history")).await;
    assert!(
        history.contains(&format!("rollback to #{id}"))
            || history.contains(&format!("回滚到 #{id}")),
        "{history}"
    );
    assert!(history.contains(&format!("telegram:{ADMIN}")), "{history}");
}

/// Whether `n` listeners wait for published scripts on this test's database.
async fn listening(pool: &PgPool, n: i64) -> bool {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%dialog_scripts_changed%'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    count >= n
}

#[sqlx::test]
async fn another_process_on_the_database_reloads_when_told(pool: PgPool) {
    let (_keep, dir) = dialogs_copy();
    let mut c = Console::with_dialogs(&pool, dir.as_path()).await;
    // A second application over the same database and folder, as a second `serve` would be.
    let other = build_app_in(&pool, Settings::default(), dir.as_path()).await;
    let (stop, shutdown) = queqiao::app::tasks::shutdown();
    let listener = tokio::spawn(queqiao::app::tasks::reload_on_notify(
        other.clone(),
        shutdown,
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !listening(&pool, 1).await {
        assert!(tokio::time::Instant::now() < deadline, "no LISTEN");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let admin = c.signed_in(ADMIN).await;
    let (_, opened) = get(&admin, &c.url(EDITOR)).await;
    let edited = intake(&dir).replace(GREETING, NEW_GREETING);
    let (status, _) = send(&c, &admin, &opened, &edited, &[("do", "publish")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let start = || async {
        let replies = other
            .handle("console", 7, 7, Incoming::Text("/start".into()))
            .await;
        replies
            .iter()
            .map(|r| r.plain_text())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut said = start().await;
    while !said.contains(NEW_GREETING) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not reloaded: {said}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        said = start().await;
    }
    let _ = stop.send(true);
    listener.await.unwrap();
}

#[sqlx::test]
async fn compiled_in_scripts_are_not_edited_and_the_page_says_how_to_export(pool: PgPool) {
    let mut c = Console::with_dialogs(&pool, queqiao::dialog::DialogSource::BuiltIn).await;
    let admin = c.signed_in(ADMIN).await;
    let (status, list) = get(&admin, &c.url("/web/admin/scripts")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("queqiao dialogs export DIR"), "{list}");
    assert!(!list.contains(&format!("href=\"{EDITOR}\"")), "{list}");
    let (status, page) = get(&admin, &c.url(EDITOR)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("queqiao dialogs export DIR"), "{page}");
    let (_, home) = get(&admin, &c.url("/web/")).await;
    let form = [
        ("csrf", field(&home, "csrf")),
        ("text", "x".into()),
        ("do", "publish".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, refused) = post(&admin, &c.url(EDITOR), &form).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused.contains("queqiao dialogs export DIR"), "{refused}");
    assert!(audit(&pool).await.is_empty());
}
