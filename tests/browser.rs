//! The web console in a real browser (headless chromium over WebDriver, see `common::browser`), served by
//! the real application beside the bot on the fake Telegram: people sign in with the link the chat's
//! `/web` gave them and use the pages by pressing what the pages show, and the companies are told in the
//! chat. Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them); fails without them.
//!
//! `QUEQIAO_SCREENSHOTS=1 cargo test --test browser` also writes the README's screenshots
//! (docs/screenshots/*.png).
//!
//! To add a scenario: `Console::new` (the app and the console), `browser::signed_in(&mut c, chat)` (the
//! chat's `/web`, its link opened and the button pressed) or `c.link(chat)` and `Browser::start()` and
//! `sign_in`; then `click_link`, `click_button`, `fill` / `fill_in`, `wait_for_text`,
//! `row_with`, `reload`, `buttons`, `screenshot`; what the chat received through `c.t.sent_to(chat)` after
//! `c.t.flush()`.

mod common;

use common::app::{ADMIN, text_of};
use common::browser::{self, Browser};
use common::web::*;
use sqlx::PgPool;

/// The lead's row in the list, once the list shows it.
async fn lead_row(b: &Browser, id: i64) -> String {
    b.wait_for_text("本机构的咨询").await;
    b.row_with(&format!("#{id}")).await
}

#[sqlx::test]
async fn a_contact_answers_a_lead_in_the_browser_and_the_company_is_told(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let (institution, id) = lead_from_company(
        &mut c,
        "重庆某某电池有限公司",
        "想用于动力电池负极，年产 500 吨",
    )
    .await;
    let link = c.link(CONTACT_A).await;
    let b = Browser::start().await;

    // The link's page asks to press the button; pressing it shows the institution's leads.
    b.sign_in(&link, Some("sign-in")).await;
    assert_eq!(b.path().await, "/web/leads");
    let header = b.text().await;
    assert!(
        header.contains(&format!("{institution} · 技术转移联系人")),
        "{header}"
    );
    let row = lead_row(&b, id).await;
    assert!(
        row.contains("重庆某某电池有限公司") && row.contains("已送达"),
        "{row}"
    );
    b.screenshot("leads").await;

    // The lead: what the company wrote, no contact details yet, the chat's three answers.
    b.click_link(&format!("#{id}")).await;
    let page = b.wait_for_text(&format!("咨询 #{id}")).await;
    assert!(
        page.contains("想用于动力电池负极，年产 500 吨") && page.contains("接受咨询后即显示"),
        "{page}"
    );
    assert!(!page.contains("张三"), "{page}");
    let buttons = b.buttons().await;
    for label in ["接受", "婉拒", "询问更多信息"] {
        assert!(buttons.iter().any(|b| b == label), "{buttons:?}");
    }

    // Asking: the question reaches the company in the chat, with a button to reply.
    b.fill_in("询问更多信息", "text", "贵司现有产线规模？")
        .await;
    b.click_button("询问更多信息").await;
    let page = b.wait_for_text("已处理，企业已在聊天中收到通知。").await;
    assert!(page.contains("· 机构提问：贵司现有产线规模？"), "{page}");
    c.t.flush().await;
    let asked = c.t.sent_to(COMPANY).pop().unwrap();
    assert!(
        asked.text.contains("贵司现有产线规模？") && asked.text.contains(&format!("#{id}")),
        "{asked:?}"
    );
    // The company answers in the chat; the page shows the answer once reloaded.
    c.t.press(COMPANY, &format!("reply:{id}")).await;
    assert!(!text_of(&c.t.say(COMPANY, "两条中试线").await).is_empty());
    b.reload().await;
    b.wait_for_text("· 企业答复：两条中试线").await;
    b.screenshot("lead").await;

    // Accepting: the company gets the good news with the institution's details; the page now shows the
    // company's person and contact, and only the button to close.
    let seen = c.t.sent_to(COMPANY).len();
    b.click_button("接受").await;
    let page = b.wait_for_text("已处理，企业已在聊天中收到通知。").await;
    assert!(
        page.contains("张三") && page.contains("+86 138 0000 0000"),
        "{page}"
    );
    let buttons = b.buttons().await;
    assert!(
        buttons.iter().any(|b| b == "结束（对接已完成）")
            && !buttons.iter().any(|b| b == "接受" || b == "婉拒"),
        "{buttons:?}"
    );
    c.t.flush().await;
    let told = text_of(&c.t.sent_to(COMPANY)[seen..]);
    assert!(
        told.starts_with("好消息！")
            && told.contains(&institution)
            && told.contains(&format!("#{id}")),
        "{told}"
    );

    // Back in the list, the lead's status has changed.
    b.click_link("返回咨询列表").await;
    let row = lead_row(&b, id).await;
    assert!(row.contains("已接受") && !row.contains("已送达"), "{row}");
}

/// A message to chat 5 that Telegram refused for good with `error`; returns its outbox id.
async fn dead_letter(pool: &PgPool, error: &str) -> i64 {
    let mut conn = pool.acquire().await.unwrap();
    let message = queqiao::outbox::Message::text("再次发送的消息");
    let id = queqiao::outbox::enqueue(&mut conn, "telegram", 5, &message, None)
        .await
        .unwrap();
    queqiao::outbox::mark_failed(&mut conn, id, error, None)
        .await
        .unwrap();
    id
}

#[sqlx::test]
async fn an_admin_retries_a_dead_letter_and_finds_it_in_the_audit_log(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let dead = dead_letter(&pool, "Forbidden: bot was blocked by the user").await;
    let b = browser::signed_in(&mut c, ADMIN).await;
    let home = b.wait_for_text("您已以管理员身份登录").await;
    assert!(home.contains("管理员"), "{home}");

    // Dead letters: the message Telegram refused, with its error and a retry button.
    b.click_link("死信").await;
    let row = b.row_with(&format!("#{dead}")).await;
    assert!(
        row.contains("telegram:5") && row.contains("bot was blocked by the user"),
        "{row}"
    );
    b.screenshot("admin-dead-letters").await;
    b.click_button("重试").await;
    let page = b.wait_for_text(&format!("消息 #{dead} 已重新排队")).await;
    assert!(page.contains("没有死信"), "{page}");
    c.t.flush().await;
    assert!(
        text_of(&c.t.sent_to(5)).contains("再次发送的消息"),
        "the retried message was sent"
    );

    // Parked updates: none here.
    b.click_link("搁置的更新").await;
    b.wait_for_text("没有搁置的更新。").await;

    // The audit log: the retry, by this admin, about that message.
    b.click_link("审计日志").await;
    let row = b.row_with("outbox_retry").await;
    assert!(
        row.contains(&format!("telegram:{ADMIN}")) && row.contains(&dead.to_string()),
        "{row}"
    );
    b.screenshot("admin-audit").await;
}

#[sqlx::test]
async fn a_used_link_shows_the_refusal_in_the_browser(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    register(&mut c, CONTACT_A, &any_institution(&pool).await).await;
    let refusal = "这个登录链接已经使用过或已过期。请在聊天中再次发送 /web 获取新链接。";
    let b = Browser::start().await;

    // Signed in with the link, then opened again: refused, with no button to press.
    let link = c.link(CONTACT_A).await;
    b.sign_in(&link, None).await;
    b.wait_for_text("还没有咨询。").await;
    b.open(&link).await;
    b.wait_for_text(refusal).await;
    assert!(b.buttons().await.is_empty(), "{}", b.describe().await);

    // Signed out, a new link opened, but used elsewhere (it was forwarded) before the button is pressed:
    // pressing it is refused, and the browser is not signed in.
    b.open(&c.url("/web/")).await;
    b.click_button("退出登录").await;
    b.wait_for_text("您已退出登录。").await;
    let link = c.link(CONTACT_A).await;
    b.open(&link).await;
    b.wait_for_text("点击下面的按钮登录鹊桥控制台。").await;
    c.signed_in_with(&link).await;
    b.click_button("登录").await;
    b.wait_for_text(refusal).await;
    b.open(&c.url("/web/leads")).await;
    b.wait_for_text("请先登录").await;
}
