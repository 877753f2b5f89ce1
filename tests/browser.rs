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
//! `choose` / `select` / `replace_in`, `row_with`, `reload`, `buttons`, `screenshot` (`screenshot_top` for
//! long pages); what the chat received through `c.t.sent_to(chat)` after
//! `c.t.flush()`.

mod common;

use common::app::{ADMIN, TestApp, text_of};
use common::browser::{self, Browser};
use common::web::*;
use sqlx::PgPool;
use std::path::PathBuf;

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

    // The institution's statistics count the accepted lead.
    b.click_link("统计").await;
    let page = b.wait_for_text(&format!("{institution} 的统计")).await;
    assert!(
        page.contains("已接受") && page.contains("100%"),
        "the charts count it: {page}"
    );
    b.screenshot_top("stats").await;
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

    // Invite codes: one issued for the institution picked is listed.
    b.click_link("邀请码").await;
    b.wait_for_text("没有仍可使用的邀请码。").await;
    let institution = any_institution(&pool).await;
    b.select("institution", &institution).await;
    b.click_button("生成邀请码（7 天内有效，仅可使用一次）")
        .await;
    b.wait_for_text(&format!("已为 {institution} 生成邀请码"))
        .await;
    let code: String = sqlx::query_scalar("SELECT code FROM invites")
        .fetch_one(&pool)
        .await
        .unwrap();
    let row = b.row_with(&code).await;
    assert!(row.contains(&institution), "{row}");
    b.screenshot("admin-invites").await;
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

/// A need nothing in the catalogue serves well (some patents share a word with it), with markup in it.
const NEED: &str = "宠物美容连锁加盟店营销<script>alert(1)</script>";

/// The company searches the chat for [`NEED`] in 食品及农产品加工 (so which institutions' contacts see it
/// is fixed), finds no good match and posts it on the board with its consent; returns the need's id.
async fn need_posted(t: &mut TestApp) -> i64 {
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, NEED).await;
    t.press(COMPANY, "食品及农产品加工").await;
    for _ in 0..2 {
        t.say(COMPANY, "1").await;
    }
    let found = text_of(&t.press(COMPANY, "跳过").await);
    assert!(found.contains("没有找到"), "{found}");
    let consent = text_of(&t.press(COMPANY, "发布到需求广场").await);
    assert!(consent.contains("匿名"), "{consent}");
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

/// An institution with a patent in one of the industries of the need `id` (its contact sees the need).
async fn institution_for(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar(
        "SELECT i.name FROM institutions i
         WHERE EXISTS (SELECT 1 FROM patents p WHERE p.institution_id = i.id
                       AND ARRAY[p.industry] <@ (SELECT industries FROM board_needs WHERE id = $1))
         ORDER BY i.id LIMIT 1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_contact_answers_a_need_on_the_board_and_the_company_is_told(pool: PgPool) {
    let mut c = Console::new(&pool).await;
    let id = need_posted(&mut c.t).await;
    let institution = institution_for(&pool, id).await;
    register(&mut c, CONTACT_A, &institution).await;
    let b = browser::signed_in(&mut c, CONTACT_A).await;

    // The board lists the need, its markup shown as text, with no answers yet.
    b.click_link("需求广场").await;
    b.wait_for_text("企业在找不到合适专利时匿名发布的需求")
        .await;
    let row = b.row_with(&format!("#{id}")).await;
    assert!(row.contains(NEED) && row.contains("0/0"), "{row}");
    b.screenshot("board").await;

    // The need: what the company wrote, no answers, the institution's closest patents to pick from.
    b.click_link(&format!("#{id}")).await;
    let page = b.wait_for_text(&format!("需求 #{id}")).await;
    assert!(
        page.contains(NEED) && page.contains("还没有回应。"),
        "{page}"
    );
    let choices = b.choices("patent").await;
    let picked = choices.last().unwrap().clone();
    let number = picked
        .rsplit_once('(')
        .and_then(|(_, n)| n.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no number in {picked:?}"))
        .to_owned();
    b.choose(&picked).await;
    b.fill("offer", "可提供样品和技术培训").await;
    b.screenshot("board-need").await;

    // Answering: the page shows the answer; the company is told in the chat, with the patent's buttons.
    b.click_button("发送回应").await;
    let page = b.wait_for_text("已回应，企业已在聊天中收到通知。").await;
    assert!(
        page.contains(&picked)
            && page.contains("可提供样品和技术培训")
            && !page.contains("还没有回应。"),
        "{page}"
    );
    c.t.flush().await;
    let told = c.t.sent_to(COMPANY).pop().unwrap();
    assert!(
        told.text.contains("回应了您在需求广场发布的需求")
            && told.text.contains(&institution)
            && told.text.contains(&number)
            && told.text.contains("可提供样品和技术培训"),
        "{told:?}"
    );
    let offered = c.t.offered(COMPANY);
    for label in ["查看这项专利", "我想咨询这项专利"] {
        assert!(offered.iter().any(|o| o == label), "{offered:?}");
    }
    let details = text_of(&c.t.press(COMPANY, "查看这项专利").await);
    assert!(details.contains(&number), "{details}");

    // Back on the board, the need counts the institution's answer.
    b.click_link("返回需求广场").await;
    let row = b.row_with(&format!("#{id}")).await;
    assert!(row.contains("1/1"), "{row}");
    drop(b);

    // An admin sees the need among all needs, and the search behind it in the statistics' charts.
    let admin = browser::signed_in(&mut c, ADMIN).await;
    admin.click_link("需求广场").await;
    let row = admin.row_with(&format!("#{id}")).await;
    assert!(row.contains(NEED), "{row}");
    admin.click_link("统计").await;
    let page = admin.wait_for_text("全局统计").await;
    assert!(
        page.contains("共收到需求 1 条，其中 1 条没有合适的匹配。"),
        "{page}"
    );
    admin.screenshot("admin-stats").await;
}

const GREETING: &str = "您好！欢迎使用鹊桥——高校专利与企业需求的对接助手。";
const BROKEN: &str = "您好 {nobody}！";
const NEW_GREETING: &str = "您好！这里是新版鹊桥，帮企业找到高校的专利。";

/// A copy of the shipped scripts the test may change (the app serves and edits this copy).
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

#[sqlx::test]
async fn an_admin_fixes_a_broken_greeting_in_the_script_editor_and_publishes_it(pool: PgPool) {
    let (_keep, dir) = dialogs_copy();
    let mut c = Console::with_dialogs(&pool, dir.as_path()).await;
    let line = std::fs::read_to_string(dir.join("intake.toml"))
        .unwrap()
        .lines()
        .position(|l| l.contains(GREETING))
        .unwrap()
        + 1;
    let b = browser::signed_in(&mut c, ADMIN).await;
    b.wait_for_text("您已以管理员身份登录").await;

    // The list of the folder's files; the greeting is in intake.toml.
    b.click_link("对话脚本").await;
    b.row_with("intake.toml").await;
    b.click_link("intake.toml").await;
    b.wait_for_text("intake.toml").await;
    assert_eq!(b.path().await, "/web/admin/scripts/intake.toml");

    // A broken edit: checking names the file and line, marks the line, keeps the edit, writes nothing.
    b.replace_in("text", GREETING, BROKEN).await;
    b.click_button("检查").await;
    let page = b.wait_for_text(&format!("intake.toml:{line}: ")).await;
    assert!(page.contains("发现 1 个问题（未写入任何内容）"), "{page}");
    let marked = b.row_with(&line.to_string()).await;
    assert!(marked.contains(BROKEN), "{marked}");
    b.screenshot_top("admin-script-check").await;
    let start = text_of(&c.t.say(555, "/start").await);
    assert!(start.contains(GREETING), "nothing published: {start}");

    // Fixed in the same textarea and published: the page says so and the bot greets with it.
    b.replace_in("text", BROKEN, NEW_GREETING).await;
    b.click_button("发布").await;
    b.wait_for_text("intake.toml 已发布，机器人（所有进程）现在使用新脚本。")
        .await;
    let start = text_of(&c.t.say(555, "/start").await);
    assert!(
        start.contains(NEW_GREETING) && !start.contains(GREETING),
        "{start}"
    );
}
