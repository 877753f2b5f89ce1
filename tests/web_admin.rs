//! The console's admin pages over a real socket (reqwest with a cookie jar): dead letters and their retry
//! (the chat's own `/outbox` retry, audit entry included), parked updates, the audit log; admins only.

mod common;

use common::app::ADMIN;
use common::web::*;
use reqwest::StatusCode;
use sqlx::PgPool;

const PAGES: [&str; 3] = ["/web/admin/dead", "/web/admin/parked", "/web/admin/audit"];

/// A message to chat 5 that Telegram refused for good, with `error`; returns its outbox id.
async fn dead_letter(pool: &PgPool, error: &str) -> i64 {
    let mut conn = pool.acquire().await.unwrap();
    let id = queqiao::outbox::enqueue(
        &mut conn,
        "telegram",
        5,
        &queqiao::outbox::Message::text("再次发送的消息"),
        None,
    )
    .await
    .unwrap();
    queqiao::outbox::mark_failed(&mut conn, id, error, None)
        .await
        .unwrap();
    id
}

/// (dead, due now, attempts) of outbox row `id`.
async fn outbox_row(pool: &PgPool, id: i64) -> (bool, bool, i32) {
    sqlx::query_as(
        "SELECT dead_at IS NOT NULL, next_attempt_at <= now(), attempts FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn audit(pool: &PgPool) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT user_id, action, coalesce(detail, '') FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn an_admin_retries_a_dead_letter_as_the_chat_does(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let id = dead_letter(&pool, "Forbidden: <script>alert(1)</script> blocked").await;
    let admin = c.signed_in(ADMIN).await;

    // The home page links the admin's pages.
    let (status, home) = get(&admin, &c.url("/web/")).await;
    assert_eq!(status, StatusCode::OK);
    for page in PAGES {
        assert!(home.contains(&format!("href=\"{page}\"")), "{home}");
    }

    // The dead letter is listed, its error as text, with a retry form.
    let (status, page) = get(&admin, &c.url("/web/admin/dead")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; blocked"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    let retry = format!("/web/admin/dead/{id}/retry");
    assert!(page.contains(&format!("action=\"{retry}\"")), "{page}");
    let csrf = field(&page, "csrf");

    // Without the session's token nothing happens.
    for form in [vec![], vec![("csrf", "0".repeat(64))]] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _) = post(&admin, &c.url(&retry), &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert!(outbox_row(&pool, id).await.0, "still dead");
    assert!(audit(&pool).await.is_empty());

    // With it: due again, audited as the chat's retry button is, and then delivered.
    let response = admin
        .post(c.url(&retry))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/web/admin/dead?retried={id}"));
    assert_eq!(outbox_row(&pool, id).await, (false, true, 0));
    assert_eq!(
        audit(&pool).await,
        [(ADMIN, "outbox_retry".to_owned(), id.to_string())]
    );
    let (_, page) = get(&admin, &c.url(&to)).await;
    assert!(page.contains(&format!("#{id}")), "{page}");
    assert!(!page.contains(&format!("action=\"{retry}\"")), "{page}");

    // A second retry finds no dead letter: refused, nothing audited.
    let (status, _) = post(&admin, &c.url(&retry), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(audit(&pool).await.len(), 1);
    c.t.flush().await;
    let sent = c.t.sent_to(5);
    assert!(
        sent.iter().any(|m| m.text.contains("再次发送的消息")),
        "{sent:?}"
    );

    // The audit log page shows the retry.
    let (status, page) = get(&admin, &c.url("/web/admin/audit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("outbox_retry") && page.contains(&format!("telegram:{ADMIN}")),
        "{page}"
    );
}

#[sqlx::test]
async fn a_contact_is_refused_every_admin_page_and_the_retry(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let id = dead_letter(&pool, "Forbidden: bot was blocked by the user").await;
    register(&mut c, CONTACT_A, &any_institution(&pool).await).await;
    let contact = c.signed_in(CONTACT_A).await;
    let (status, leads) = get(&contact, &c.url("/web/leads")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!leads.contains("/web/admin/"), "no admin links: {leads}");
    let csrf = field(&leads, "csrf");

    for page in PAGES {
        let (status, body) = get(&contact, &c.url(page)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(!body.contains("blocked"), "{page}: {body}");
    }
    let (status, _) = post(
        &contact,
        &c.url(&format!("/web/admin/dead/{id}/retry")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(outbox_row(&pool, id).await.0, "still dead");
    assert!(audit(&pool).await.is_empty());

    // Signed out, nobody sees them either.
    for page in PAGES {
        assert_eq!(
            get(&browser(), &c.url(page)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[sqlx::test]
async fn parked_updates_are_shown_without_their_bytes(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    sqlx::query(
        "INSERT INTO parked_updates (update_id, channel, raw, error, attempts)
         VALUES (4242, 'telegram', convert_to('{\"text\":\"客户的私密原话\"}', 'UTF8'), $1, 3)",
    )
    .bind("invalid <script>x</script> at line 1")
    .execute(&pool)
    .await
    .unwrap();
    let admin = c.signed_in(ADMIN).await;
    let (status, page) = get(&admin, &c.url("/web/admin/parked")).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "<td>4242</td>",
        "<td>3</td>",
        "invalid &lt;script&gt;x&lt;/script&gt; at line 1",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    let bytes = "{\"text\":\"客户的私密原话\"}".len();
    assert!(page.contains(&format!("<td>{bytes}</td>")), "{page}");
    assert!(
        !page.contains("私密原话") && !page.contains("<script>"),
        "{page}"
    );
}

#[sqlx::test]
async fn the_audit_log_is_paged_newest_first_and_escaped(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    for n in 1..=60 {
        let detail = format!("entry {n:02} <script>alert({n})</script>");
        queqiao::operators::audit::record(&mut conn, "telegram", 77, "invite", &detail)
            .await
            .unwrap();
    }
    let admin = c.signed_in(ADMIN).await;
    let (status, first) = get(&admin, &c.url("/web/admin/audit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        first.contains("entry 60 &lt;script&gt;alert(60)&lt;/script&gt;"),
        "{first}"
    );
    assert!(!first.contains("<script>"), "{first}");
    assert!(
        first.contains("entry 11 ") && !first.contains("entry 10 "),
        "fifty a page: {first}"
    );
    assert!(
        first.find("entry 60").unwrap() < first.find("entry 11").unwrap(),
        "newest first"
    );
    let at = first.find("href=\"/web/admin/audit?before=").expect(&first);
    let link = &first[at + 6..];
    let link = &link[..link.find('"').unwrap()];
    let (status, older) = get(&admin, &c.url(link)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        older.contains("entry 10 ") && older.contains("entry 01 ") && !older.contains("entry 11 "),
        "{older}"
    );
    assert!(!older.contains("?before="), "the last page: {older}");
}

#[sqlx::test]
async fn an_admin_issues_an_invite_code_on_the_page_and_the_contact_registers_with_it(
    pool: PgPool,
) {
    let mut c = Console::new(&pool).await;
    let institution = any_institution(&pool).await;
    let admin = c.signed_in(ADMIN).await;
    let (status, page) = get(&admin, &c.url("/web/admin/invites")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("<option>{institution}</option>")),
        "{page}"
    );
    let csrf = field(&page, "csrf");
    let url = c.url("/web/admin/invites");

    let (status, _) = post(&admin, &url, &[("institution", &institution)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let (status, page) = post(
        &admin,
        &url,
        &[("csrf", &csrf), ("institution", "不存在大学")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("目录中没有机构“不存在大学”"), "{page}");
    assert_eq!(c.count("SELECT count(*) FROM invites").await, 0);

    let r = admin
        .post(&url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("institution", institution.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = get(&admin, &c.url(&back)).await;
    assert!(page.contains("class=\"flash\""), "{page}");
    assert!(
        page.contains(&format!("<option selected>{institution}</option>")),
        "the institution just invited stays chosen: {page}"
    );
    let at = page.find("<code>").expect("the code is listed") + 6;
    let code = page[at..at + page[at..].find('<').unwrap()].to_owned();
    assert!(audit(&pool).await.iter().any(|(who, action, detail)| {
        *who == ADMIN && action == "invite" && *detail == institution
    }));

    // The contact registers with it in the chat; then it is used and no longer listed.
    let reply = common::app::text_of(&c.t.say(CONTACT_A, &format!("/register {code}")).await);
    assert!(reply.contains("登记成功"), "{reply}");
    let (_, page) = get(&admin, &c.url("/web/admin/invites")).await;
    assert!(!page.contains(&code));

    let contact = c.signed_in(CONTACT_A).await;
    let (status, _) = get(&contact, &c.url("/web/admin/invites")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, home) = get(&contact, &c.url("/web/board")).await;
    let csrf = field(&home, "csrf");
    let (status, _) = post(
        &contact,
        &url,
        &[("csrf", &csrf), ("institution", &institution)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a contact issues no codes");
    assert_eq!(c.count("SELECT count(*) FROM invites").await, 1);
}

#[sqlx::test]
async fn ids_in_the_address_that_name_nothing_get_the_not_found_page(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let admin = c.signed_in(ADMIN).await;
    for id in ["abc", "0", "-3", "99999", "1.5"] {
        for page in [
            format!("/web/board/{id}"),
            format!("/web/admin/import/{id}"),
            format!("/web/admin/scripts/intake.toml/history/{id}"),
        ] {
            let (status, body) = get(&admin, &c.url(&page)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{page}: {body}");
        }
    }
    // The script history names the file and the id it could not find.
    let (_, body) = get(&admin, &c.url("/web/admin/scripts/intake.toml/history/abc")).await;
    assert!(
        body.contains("intake.toml") && body.contains("abc"),
        "{body}"
    );
    let (_, dead) = get(&admin, &c.url("/web/admin/dead")).await;
    let csrf = field(&dead, "csrf");
    for id in ["abc", "0", "99999"] {
        let url = c.url(&format!("/web/admin/dead/{id}/retry"));
        let (status, _) = post(&admin, &url, &[("csrf", csrf.as_str())]).await;
        assert_ne!(status, StatusCode::OK, "{id}");
        assert!(status.is_client_error(), "{id}: {status}");
    }
}
