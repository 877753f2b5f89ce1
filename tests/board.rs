//! The board of needs (issue #15): a need nothing matched well is posted from the chat with the
//! company's consent; contacts see it on the console (filtered by their institution's industries),
//! answer it with one of their patents, and the company is told in the chat and enquires from there;
//! the company withdraws it with /my; it expires, is pruned, and goes with /forget. Everything through
//! the chat's offered buttons and the console's pages, over real sockets and PostgreSQL.

mod common;

use common::app::{ADMIN, TestApp, text_of};
use common::web::*;
use reqwest::StatusCode;
use sqlx::PgPool;

/// Nothing in the catalogue serves this, but something shares a word with it (weak results).
const NEED: &str = "宠物美容连锁加盟店营销<script>alert(1)</script>";

/// The company searches for [`NEED`] (in `industry`, or any) and finds no good match: the board's
/// button is offered.
async fn no_good_match(t: &mut TestApp, industry: Option<&str>) {
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, NEED).await;
    match industry {
        Some(label) => t.press(COMPANY, label).await,
        None => t.say(COMPANY, "1").await,
    };
    for _ in 0..2 {
        t.say(COMPANY, "1").await;
    }
    let sent = text_of(&t.press(COMPANY, "跳过").await);
    assert!(sent.contains("没有找到"), "{sent}");
    assert!(t.offered(COMPANY).iter().any(|b| b == "发布到需求广场"));
}

/// Letters that read as nothing ("asdfgh") are not searched as a need nor offered to the board.
#[sqlx::test]
async fn a_need_that_reads_as_nothing_is_not_offered_to_the_board(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, "asdfgh").await;
    for _ in 0..3 {
        t.say(COMPANY, "1").await;
    }
    let sent = text_of(&t.press(COMPANY, "跳过").await);
    assert!(sent.contains("没有我能读懂的词"), "{sent}");
    assert_eq!(t.offered(COMPANY), ["重新开始"]);
    // A real need typed next is searched at once.
    let sent = text_of(&t.say(COMPANY, "洗衣机噪音太大").await);
    assert!(sent.contains("洗衣机"), "{sent}");
    assert!(!t.offered(COMPANY).iter().any(|b| b == "发布到需求广场"));
}

/// The company posts [`NEED`] with its consent; returns the need's id.
async fn post_need(t: &mut TestApp, industry: Option<&str>) -> i64 {
    no_good_match(t, industry).await;
    let consent = text_of(&t.press(COMPANY, "发布到需求广场").await);
    assert!(consent.contains("匿名"), "{consent}");
    // The consent quotes the whole need, as it would be published, not the results' short heading.
    assert!(consent.contains(&format!("“{NEED}”")), "{consent}");
    let posted = text_of(&t.press(COMPANY, "同意，发布").await);
    let id: i64 = sqlx::query_scalar("SELECT max(id) FROM board_needs")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert!(
        posted.contains(&format!("已发布（需求 #{id}）")),
        "{posted}"
    );
    id
}

/// An institution with a patent in one of the need's industries (`with`) or with none there.
async fn institution(pool: &PgPool, need: i64, with: bool) -> String {
    sqlx::query_scalar(
        "SELECT i.name FROM institutions i
         WHERE EXISTS (SELECT 1 FROM patents p WHERE p.institution_id = i.id
                       AND ARRAY[p.industry] <@ (SELECT industries FROM board_needs WHERE id = $1)) = $2
         ORDER BY i.id LIMIT 1",
    )
    .bind(need)
    .bind(with)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn answers(c: &Console) -> i64 {
    c.count("SELECT count(*) FROM board_answers").await
}

#[sqlx::test]
async fn a_posted_need_is_answered_from_the_board_and_the_company_enquires(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let id = post_need(&mut c.t, Some("食品及农产品加工")).await;
    let ours = institution(&pool, id, true).await;
    let other = institution(&pool, id, false).await;
    register(&mut c, CONTACT_A, &ours).await;
    register(&mut c, CONTACT_B, &other).await;
    let a = c.signed_in(CONTACT_A).await;
    let b = c.signed_in(CONTACT_B).await;
    let link = format!("/web/board/{id}\"");

    let (status, board) = get(&a, &c.url("/web/board")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        board.contains(&link),
        "a contact in the need's industry sees it: {board}"
    );
    assert!(
        board.contains("&lt;script&gt;") && !board.contains("<script>alert"),
        "{board}"
    );
    let (_, board) = get(&b, &c.url("/web/board")).await;
    assert!(
        !board.contains(&link),
        "another industry's contact does not, by default"
    );
    let (_, board) = get(&b, &c.url("/web/board?all=1")).await;
    assert!(board.contains(&link), "unless they ask for every industry");

    let (_, page) = get(&a, &c.url(&format!("/web/board/{id}"))).await;
    let csrf = field(&page, "csrf");
    let picked = field(&page, "patent");
    let answer = c.url(&format!("/web/board/{id}/answer"));
    let (status, _) = post(&a, &answer, &[("patent", &picked)]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form without its CSRF token"
    );
    let their: String = sqlx::query_scalar(
        "SELECT p.number FROM patents p JOIN institutions i ON i.id = p.institution_id
         WHERE i.name = $1 LIMIT 1",
    )
    .bind(&other)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (status, refused) = post(&a, &answer, &[("csrf", &csrf), ("number", &their)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.contains(&format!("专利 {their} 不是")), "{refused}");
    let long = "长".repeat(501);
    let form = [
        ("csrf", csrf.as_str()),
        ("patent", &picked),
        ("offer", &long),
    ];
    let (status, refused) = post(&a, &answer, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.contains("最多 500 字，现在是 501 字"), "{refused}");
    assert_eq!(answers(&c).await, 0, "nothing recorded by refused forms");

    let form = [
        ("csrf", csrf.as_str()),
        ("patent", &picked),
        ("offer", "可提供样品和技术培训"),
    ];
    let (status, _) = post(&a, &answer, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = get(&a, &c.url(&format!("/web/board/{id}?done=1"))).await;
    assert!(page.contains("已回应") && page.contains(&picked), "{page}");
    let (status, _) = post(&a, &answer, &form).await;
    assert_eq!(status, StatusCode::CONFLICT, "the same patent twice");
    let b_csrf = field(
        &get(&b, &c.url(&format!("/web/board/{id}"))).await.1,
        "csrf",
    );
    let (status, _) = post(&b, &answer, &[("csrf", &b_csrf), ("number", &picked)]).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another institution's patent"
    );
    assert_eq!(answers(&c).await, 1);

    c.t.flush().await;
    let told = c.t.sent_to(COMPANY).pop().unwrap();
    assert!(
        told.text.contains("回应了您在需求广场发布的需求"),
        "{told:?}"
    );
    assert!(told.text.contains(&picked) && told.text.contains("可提供样品和技术培训"));
    c.t.press(COMPANY, "查看这项专利").await;
    let sent = text_of(&c.t.press(COMPANY, "我想咨询这项专利").await);
    assert!(
        sent.contains("个人信息说明") || sent.contains("公司全称"),
        "the enquiry starts: {sent}"
    );
}

#[sqlx::test]
async fn nothing_is_posted_without_consent_and_a_withdrawn_need_is_gone(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    no_good_match(&mut c.t, None).await;
    c.t.press(COMPANY, "发布到需求广场").await;
    let declined = text_of(&c.t.press(COMPANY, "不发布").await);
    assert!(declined.contains("没有发布"), "{declined}");
    assert_eq!(c.count("SELECT count(*) FROM board_needs").await, 0);

    let id = post_need(&mut c.t, None).await;
    let ours = institution(&pool, id, true).await;
    register(&mut c, CONTACT_A, &ours).await;
    let a = c.signed_in(CONTACT_A).await;
    let (_, page) = get(&a, &c.url(&format!("/web/board/{id}"))).await;
    let (csrf, picked) = (field(&page, "csrf"), field(&page, "patent"));

    let my = c.t.say(COMPANY, "/my").await;
    assert!(text_of(&my).contains("您发布在需求广场上的需求"), "{my:?}");
    let withdrawn = text_of(&c.t.press(COMPANY, &format!("撤回 #{id}")).await);
    assert!(
        withdrawn.contains(&format!("已撤回需求 #{id}")),
        "{withdrawn}"
    );
    let (status, _) = get(&a, &c.url(&format!("/web/board/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let answer = c.url(&format!("/web/board/{id}/answer"));
    let (status, _) = post(&a, &answer, &[("csrf", &csrf), ("patent", &picked)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answers(&c).await, 0);
    let words: i64 = c
        .count("SELECT count(*) FROM board_needs WHERE need LIKE '%宠物%' OR chat_id <> 0")
        .await;
    assert_eq!(
        words, 0,
        "a withdrawn need keeps neither its words nor its chat"
    );
    let my = text_of(&c.t.say(COMPANY, "/my").await);
    assert!(my.contains("还没有提交过咨询"), "{my}");
}

#[sqlx::test]
async fn a_need_expires_after_90_days_and_is_pruned_and_forget_deletes_it(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let id = post_need(&mut c.t, None).await;
    let days: f64 = c
        .count("SELECT extract(day FROM expires_at - posted_at)::bigint FROM board_needs")
        .await as f64;
    assert_eq!(days, 90.0);
    let admin = c.signed_in(ADMIN).await;
    let (_, board) = get(&admin, &c.url("/web/board")).await;
    assert!(
        board.contains(&format!("/web/board/{id}\"")),
        "admins see every need"
    );
    let (_, page) = get(&admin, &c.url(&format!("/web/board/{id}"))).await;
    assert!(!page.contains("/answer\""), "admins answer none: {page}");

    // 90 days later.
    sqlx::query("UPDATE board_needs SET posted_at = posted_at - interval '91 days', expires_at = expires_at - interval '91 days'")
        .execute(&pool)
        .await
        .unwrap();
    let (_, board) = get(&admin, &c.url("/web/board")).await;
    assert!(
        !board.contains(&format!("/web/board/{id}\"")),
        "an expired need is not shown"
    );
    let retention = queqiao::config::Retention::default();
    let pruned = queqiao::operators::retention::prune(&pool, &retention, false)
        .await
        .unwrap();
    let board_row = pruned.iter().find(|p| p.table == "board_needs").unwrap();
    assert_eq!(board_row.rows, 1);
    assert_eq!(c.count("SELECT count(*) FROM board_needs").await, 0);

    let again = post_need(&mut c.t, None).await;
    assert!(again > id);
    c.t.say(COMPANY, "/forget").await;
    c.t.press(COMPANY, "确定删除").await;
    assert_eq!(c.count("SELECT count(*) FROM board_needs").await, 0);
}
