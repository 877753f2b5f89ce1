//! Acting on leads from the web console: the page runs the chat buttons' own handlers, so the company is
//! told exactly as when the contact presses the button in Telegram; forms without the session's CSRF
//! token, actions the lead's status no longer allows and empty questions change nothing.

mod common;

use common::app::text_of;
use common::fake_telegram::sent_to;
use common::web::*;
use queqiao::enquiry::store::{self, Kind, Mode, NewEnquiry};
use reqwest::StatusCode;
use sqlx::PgPool;

/// The texts `chat` received since it had received `before` messages.
fn new_texts(c: &Console, chat: i64, before: usize) -> String {
    common::fake_telegram::texts(&sent_to(&c.t.fake, chat)[before..])
}

#[sqlx::test]
async fn accepting_on_the_page_tells_the_company_as_the_button_does(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let (institution, id) = lead_from_company(
        &mut c,
        "重庆某某电池有限公司",
        "想用于动力电池负极，年产 500 吨",
    )
    .await;
    let a = c.signed_in(CONTACT_A).await;
    let lead = c.url(&format!("/web/leads/{id}"));
    let (_, page) = get(&a, &lead).await;
    assert!(
        page.contains(&format!("action=\"/web/leads/{id}/accept\"")),
        "{page}"
    );
    let csrf = field(&page, "csrf");
    assert!(
        page.contains("<dt>状态</dt><dd>已送达</dd>"),
        "the status now: {page}"
    );

    // Without the session's token nothing happens.
    let before = snapshot(&pool, id).await;
    let (status, _) = post(&a, &format!("{lead}/accept"), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&a, &format!("{lead}/accept"), &[("csrf", &"1".repeat(64))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&pool, id).await, before);

    // Accepting: the company gets the chat's acceptance notice with the institution's details.
    let seen = sent_to(&c.t.fake, COMPANY).len();
    let response = a
        .post(format!("{lead}/accept"))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("/web/leads/{id}?done=1")
    );
    c.t.flush().await;
    let notice = new_texts(&c, COMPANY, seen);
    assert!(
        notice.starts_with("好消息！")
            && notice.contains(&institution)
            && notice.contains(&format!("#{id}")),
        "{notice}"
    );
    assert_eq!(snapshot(&pool, id).await.0, "accepted");
    let (_, page) = get(&a, &lead).await;
    assert!(page.contains("<dt>状态</dt><dd>已接受</dd>"), "{page}");
    // Word for word what another company gets when the contact presses "accept" in the chat.
    let (_, by_chat) = lead_from(
        &mut c,
        102,
        "重庆另一家电池有限公司",
        "想用于储能电池，年产 100 吨",
    )
    .await;
    let seen_102 = sent_to(&c.t.fake, 102).len();
    c.t.press(CONTACT_A, &format!("lead:accept:{by_chat}"))
        .await;
    let chat_notice = new_texts(&c, 102, seen_102);
    assert_eq!(
        notice.replace(&format!("#{id}"), "#N"),
        chat_notice.replace(&format!("#{by_chat}"), "#N")
    );
    // Now the page (and the export) show the company's person and contact.
    let (_, page) = get(&a, &format!("{lead}?done=1")).await;
    assert!(
        page.contains("张三") && page.contains("+86 138 0000 0000"),
        "{page}"
    );
    assert!(page.contains("已处理"), "{page}");
    let csv = a
        .get(c.url("/web/leads.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("张三,'+86 138 0000 0000"),
        "a phone is no formula: {csv}"
    );

    // What the status no longer allows is refused; closing asks the company for its rating.
    let before = snapshot(&pool, id).await;
    for action in ["accept", "ask"] {
        let form = [("csrf", csrf.as_str()), ("text", "还有问题")];
        let (status, _) = post(&a, &format!("{lead}/{action}"), &form).await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}");
    }
    assert_eq!(snapshot(&pool, id).await, before);
    let seen = sent_to(&c.t.fake, COMPANY).len();
    let (status, _) = post(&a, &format!("{lead}/close"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    c.t.flush().await;
    let prompt = sent_to(&c.t.fake, COMPANY)[seen..].to_vec();
    assert!(
        common::fake_telegram::texts(&prompt).contains("打分"),
        "{prompt:?}"
    );
    assert_eq!(common::fake_telegram::buttons(&prompt).len(), 5);
}

#[sqlx::test]
async fn asking_and_declining_on_the_page(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let (_, id) = lead_from_company(
        &mut c,
        "重庆某某电池有限公司",
        "想用于动力电池负极，年产 500 吨",
    )
    .await;
    let a = c.signed_in(CONTACT_A).await;
    let lead = c.url(&format!("/web/leads/{id}"));
    let csrf = field(&get(&a, &lead).await.1, "csrf");

    // An empty question is refused; a question reaches the company with its reply button.
    let before = snapshot(&pool, id).await;
    let (status, _) = post(
        &a,
        &format!("{lead}/ask"),
        &[("csrf", &csrf), ("text", "  ")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&pool, id).await, before);
    let form = [("csrf", csrf.as_str()), ("text", "贵司现有产线规模？")];
    assert_eq!(
        post(&a, &format!("{lead}/ask"), &form).await.0,
        StatusCode::SEE_OTHER
    );
    c.t.flush().await;
    let last = c.t.sent_to(COMPANY).pop().unwrap();
    assert!(last.text.contains("贵司现有产线规模？"), "{last:?}");
    assert_eq!(last.buttons[0].0, format!("reply:{id}"));

    // The company answers in the chat; the answer is in the page's history.
    c.t.press(COMPANY, &format!("reply:{id}")).await;
    let sent = c.t.say(COMPANY, "两条中试线").await;
    assert!(!text_of(&sent).is_empty());
    let (_, page) = get(&a, &lead).await;
    assert!(page.contains("企业答复：两条中试线"), "{page}");

    // Declining with one of the chat's reasons tells the company that reason.
    let seen = sent_to(&c.t.fake, COMPANY).len();
    let form = [("csrf", csrf.as_str()), ("reason", "2")];
    assert_eq!(
        post(&a, &format!("{lead}/decline"), &form).await.0,
        StatusCode::SEE_OTHER
    );
    c.t.flush().await;
    let notice = common::fake_telegram::texts(&sent_to(&c.t.fake, COMPANY)[seen..]);
    assert!(
        notice.contains("需求与专利不匹配") && notice.contains(&format!("#{id}")),
        "{notice}"
    );
    let (_, page) = get(&a, &lead).await;
    assert!(
        !page.contains(&format!("action=\"/web/leads/{id}/")),
        "no actions left: {page}"
    );

    // An older lead still waiting: first by status, second by date.
    let number: String = sqlx::query_scalar(
        "SELECT number FROM patents WHERE institution_id = (SELECT institution_id FROM enquiries WHERE id = $1)
         AND number <> (SELECT patent_number FROM enquiries WHERE id = $1) LIMIT 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let new = NewEnquiry {
        patent_number: number,
        channel: "telegram".into(),
        chat_id: 101,
        company: "另一家公司".into(),
        person: "李四".into(),
        contact: "13900000000".into(),
        message: "想了解许可费用".into(),
        mode: Mode::License,
        kind: Kind::Enquiry,
        terms: None,
    };
    let older = store::submit(&mut conn, &new, 10).await.unwrap();
    sqlx::query("UPDATE enquiries SET created_at = now() - interval '1 day' WHERE id = $1")
        .bind(older)
        .execute(&pool)
        .await
        .unwrap();
    let position = |page: &str, n: i64| page.find(&format!("href=\"/web/leads/{n}\"")).unwrap();
    let (_, by_date) = get(&a, &c.url("/web/leads?sort=date")).await;
    assert!(
        position(&by_date, id) < position(&by_date, older),
        "newest first"
    );
    let (_, by_status) = get(&a, &c.url("/web/leads?sort=status")).await;
    assert!(
        position(&by_status, older) < position(&by_status, id),
        "waiting first"
    );
}
