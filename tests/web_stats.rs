//! The console's statistics (issue #15): a contact sees their institution's figures as charts and their
//! patents with how often each was shown, opened and enquired about, never another institution's; an
//! admin sees everything, with needs per week and unmet demand. Over a real socket and PostgreSQL, after
//! a company used the bot through the chat.

mod common;

use common::app::ADMIN;
use common::web::*;
use reqwest::StatusCode;
use sqlx::PgPool;

/// The row of patent `number` in the patents table of the page: (shown, opened, enquired).
fn counts(page: &str, number: &str) -> Option<(i64, i64, i64)> {
    let at = page.find(&format!("({number})</td>"))?;
    let row = &page[at..page[at..].find("</tr>").map(|e| at + e)?];
    let cells: Vec<i64> = row
        .split("<td>")
        .skip(1)
        .map(|c| c.trim_end_matches("</td>").parse().unwrap())
        .collect();
    Some((cells[0], cells[1], cells[2]))
}

#[sqlx::test]
async fn a_contact_sees_their_institutions_figures_and_patents_and_an_admin_sees_all(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let (institution, id) = lead_from_company(&mut c, "星河电池有限公司", "想了解授权条件").await;
    let number: String = sqlx::query_scalar("SELECT patent_number FROM enquiries WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let other = another_institution(&pool, &institution).await;
    register(&mut c, CONTACT_B, &other).await;
    // A need nothing serves: its words are unmet demand.
    c.t.say(COMPANY, "/start").await;
    c.t.press(COMPANY, "中文").await;
    c.t.say(COMPANY, "宠物美容连锁加盟店营销").await;
    for _ in 0..3 {
        c.t.say(COMPANY, "1").await;
    }
    c.t.press(COMPANY, "跳过").await;

    let a = c.signed_in(CONTACT_A).await;
    let lead = c.url(&format!("/web/leads/{id}"));
    let csrf = field(&get(&a, &lead).await.1, "csrf");
    let (status, _) = post(&a, &format!("{lead}/accept"), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, page) = get(&a, &c.url("/web/stats")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("{institution} 的统计")), "{page}");
    assert!(page.matches("<svg").count() >= 3, "charts: {page}");
    assert!(
        page.contains(">100%</text>"),
        "one enquiry, accepted: {page}"
    );
    let (shown, opened, enquired) = counts(&page, &number).expect("the enquired patent is listed");
    assert!(shown >= 1 && opened >= 1, "{shown} {opened}");
    assert_eq!(enquired, 1);

    let b = c.signed_in(CONTACT_B).await;
    let (_, page) = get(&b, &c.url("/web/stats")).await;
    assert!(page.contains(&format!("{other} 的统计")));
    assert!(
        counts(&page, &number).is_none(),
        "another institution's patent is not listed"
    );
    assert!(!page.contains(">100%</text>"), "nor its figures");

    let admin = c.signed_in(ADMIN).await;
    let (_, page) = get(&admin, &c.url("/web/stats")).await;
    assert!(page.contains("全局统计"), "{page}");
    assert!(page.contains("每周需求") && page.matches("<svg").count() >= 4);
    assert!(page.contains("共收到需求 2 条"), "{page}");
    assert!(
        page.contains("宠物") || page.contains("美容"),
        "unmet demand: {page}"
    );
    assert!(
        page.contains(&institution),
        "response times per institution"
    );

    let (status, _) = get(&browser(), &c.url("/web/stats")).await;
    assert_ne!(status, StatusCode::OK, "not signed in");
}
