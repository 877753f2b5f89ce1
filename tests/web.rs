//! The web console over a real socket (reqwest with a cookie jar) beside the bot on the fake Telegram:
//! one-time sign-in links from `/web`, sessions, CSRF, who may use the console, a contact's leads (only
//! their institution's), the actions with the chat's own notifications, CSV export.

mod common;

use common::app::{ADMIN, text_of};
use common::web::*;
use queqiao::web::{self, WebState};
use reqwest::StatusCode;
use sqlx::PgPool;

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
    // Another site posting the token (login CSRF: the victim would work in the attacker's session).
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let forged = client
            .post(c.url("/web/login"))
            .header(name, value)
            .form(&[("token", token_of(&link))])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    let response = client
        .post(c.url("/web/login"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", c.base.as_str())
        .form(&[("token", token_of(&link))])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the refused posts did not use the link"
    );
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
    let response = a.get(c.url("/web/leads.csv")).send().await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let csv = csv
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1, "{csv}");
    let row: Vec<&str> = rows[0].iter().collect();
    assert_eq!(row[0], id.to_string());
    assert_eq!(row[2], "已送达");
    assert_eq!(row[5], "<b>重庆某某</b>电池有限公司");
    assert_eq!(
        &row[8..],
        ["", ""],
        "no person or contact before acceptance"
    );
    assert!(csv.starts_with("编号,收到时间,状态,专利号"), "{csv}");

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
