//! The whole enquiry lifecycle through the fake Telegram, by two people (a company and an institution's
//! contact, with an admin issuing the invite), pressing only buttons they were offered: need, results,
//! details, enquiry with consent, a question and its answer, acceptance, both sides' details, closing,
//! the company's rating, and the patent's enterprise rating moved.

mod common;

use common::app::{ADMIN, Sent, TestApp, text_of};
use sqlx::PgPool;

const COMPANY: i64 = 100;
const CONTACT: i64 = 900;

/// The value after `label` on a line of `text` (up to the end of the line or `stop`).
fn field(text: &str, label: &str, stop: char) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|rest| rest.split(stop).next().unwrap_or(rest).trim().to_owned())
        .unwrap_or_else(|| panic!("no `{label}` in {text}"))
}

fn contains(sent: &[Sent], needle: &str) -> bool {
    text_of(sent).contains(needle)
}

async fn enterprise_rating(pool: &PgPool, number: &str) -> Option<i64> {
    queqiao::catalog::store::patent_by_number(pool, number)
        .await
        .unwrap()
        .unwrap()
        .record
        .rating
        .and_then(|r| r.enterprise)
}

/// The best result as its details show it.
struct Opened {
    institution: String,
    number: String,
    /// The "交易方式" line: the licence modes in words.
    modes: String,
}

/// The company describes its need and opens the best result.
async fn search_and_open(t: &mut TestApp) -> Opened {
    let sent = t.say(COMPANY, "/start").await;
    assert!(contains(&sent, "欢迎"), "{sent:?}");
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, "锂电池硅基负极循环衰减快，有没有改进方案")
        .await;
    t.press(COMPANY, "不限").await; // industry
    t.press(COMPANY, "不限").await; // region
    t.press(COMPANY, "都可以").await; // kind of deal
    let results = t.press(COMPANY, "跳过").await; // budget
    assert!(contains(&results, "1. 【"), "{results:?}");
    let details = text_of(&t.press(COMPANY, "详情 1").await);
    Opened {
        institution: field(&details, "权利人：", '（'),
        number: field(&details, "专利号：", ' '),
        modes: field(&details, "交易方式：", '\n'),
    }
}

/// The deals the enquiry offers for a patent with these licence modes, in the script's order.
fn deals(modes: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if modes.split('、').any(|m| m == "转让") {
        out.push("专利转让");
    }
    if ["独占许可", "排他许可", "普通许可"]
        .iter()
        .any(|m| modes.contains(m))
    {
        out.push("许可");
    }
    if modes.contains("开放许可") {
        out.push("开放许可");
    }
    out
}

/// An admin invites the institution's contact, who registers.
async fn register_contact(t: &mut TestApp, institution: &str) {
    let invite = text_of(&t.say(ADMIN, &format!("/invite {institution}")).await);
    let code: String = invite
        .split("邀请码：")
        .nth(1)
        .unwrap_or_else(|| panic!("{invite}"))
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let sent = t.say(CONTACT, &format!("/register {code}")).await;
    assert!(contains(&sent, "登记成功"), "{sent:?}");
}

/// From the open details: the enquiry with the privacy notice and consent; the lead reaches the contact.
async fn enquire(t: &mut TestApp, opened: &Opened) {
    let institution = opened.institution.as_str();
    t.press(COMPANY, "我想咨询这项专利").await;
    t.press(COMPANY, "知道了，继续").await;
    t.say(COMPANY, "重庆某某电池有限公司").await;
    t.say(COMPANY, "张三").await;
    t.say(COMPANY, "+86 138 0000 0000").await;
    t.say(COMPANY, "想用于动力电池负极，年产 500 吨").await;
    // The deal question offers only what the patent offers.
    let offered = deals(&opened.modes);
    assert_eq!(t.offered(COMPANY), offered, "modes: {}", opened.modes);
    let consent = t.press(COMPANY, offered[0]).await;
    assert!(
        contains(&consent, institution) && contains(&consent, &format!("意向方式：{}", offered[0])),
        "no internal codes: {consent:?}"
    );
    let sent = t.press(COMPANY, "同意发送").await;
    assert!(
        contains(&sent, "已发往") && contains(&sent, "已送达"),
        "{sent:?}"
    );
    let lead = t.sent_to(CONTACT).pop().unwrap();
    assert!(
        lead.text.contains("新的合作咨询") && !lead.text.contains("138"),
        "{lead:?}"
    );
    // Company and contact both read Chinese: the lead says nothing of languages.
    assert!(!lead.text.contains("企业使用的语言"), "{lead:?}");
}

#[sqlx::test]
async fn the_whole_lifecycle_by_offered_buttons(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let opened = search_and_open(&mut t).await;
    let prior = enterprise_rating(&pool, &opened.number).await;
    register_contact(&mut t, &opened.institution).await;
    let help = t.say(CONTACT, "/help").await;
    assert!(
        contains(&help, "技术转移联系人") && contains(&help, "/leads"),
        "a contact's help is a contact's: {help:?}"
    );
    enquire(&mut t, &opened).await;

    // The contact asks; the company answers; the answer comes back with the decision buttons.
    t.press(CONTACT, "询问更多信息").await;
    t.say(CONTACT, "请问贵司现有产线规模？").await;
    let question = t.sent_to(COMPANY).pop().unwrap();
    assert!(question.text.contains("现有产线规模"), "{question:?}");
    t.press(COMPANY, "回复").await;
    t.say(COMPANY, "两条中试线").await;
    let answer = t.sent_to(CONTACT).pop().unwrap();
    assert!(answer.text.contains("两条中试线"), "{answer:?}");
    assert_eq!(t.offered(CONTACT), ["接受", "婉拒", "询问更多信息"]);

    // Acceptance: both get the other's details.
    let sent = t.press(CONTACT, "接受").await;
    assert!(contains(&sent, "+86 138 0000 0000"), "{sent:?}");
    assert!(text_of(&t.sent_to(COMPANY)).contains("好消息"));
    let my = t.say(COMPANY, "/my").await;
    assert!(
        contains(&my, "已接受") && contains(&my, "两条中试线") && contains(&my, "现有产线规模"),
        "the company sees the thread: {my:?}"
    );
    // Its own answer as its own, the status once, and the institution's contact kept at hand.
    let my = text_of(&my);
    assert!(my.contains("· 您的答复：两条中试线"), "{my}");
    assert_eq!(my.matches("已接受").count(), 1, "{my}");
    assert!(my.contains("· 对方联系方式："), "{my}");

    // The accepted enquiry stays in /leads, with its history and a close button, until closed.
    let leads = t.say(CONTACT, "/leads").await;
    assert!(
        contains(&leads, "已接受") && contains(&leads, "两条中试线"),
        "{leads:?}"
    );
    t.press(CONTACT, "结束（对接已完成）").await;
    let prompt = t.sent_to(COMPANY).pop().unwrap();
    assert!(prompt.text.contains("打分"), "{prompt:?}");
    let leads = t.say(CONTACT, "/leads").await;
    assert!(
        contains(&leads, "没有待处理"),
        "closed leads leave /leads: {leads:?}"
    );

    // The company rates 5; the patent's enterprise rating moves.
    let sent = t.press(COMPANY, "★★★★★").await;
    assert!(contains(&sent, "谢谢"), "{sent:?}");
    // The rating is counted once, and what the patent shows is the mean of the imported rating (a prior
    // vote) and this one; a patent imported without a two-way rating shows the companies' rating alone.
    let (sum, count): (i32, i32) = sqlx::query_as(
        "SELECT rating_feedback_sum, rating_feedback_count FROM patents WHERE number = $1",
    )
    .bind(&opened.number)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((sum, count), (5, 1));
    let shown = queqiao::catalog::store::patent_by_number(&pool, &opened.number)
        .await
        .unwrap()
        .unwrap();
    let expected = match prior {
        Some(p) => ((p as f64 + 5.0) / 2.0).round() as i64,
        None => 5,
    };
    assert_eq!(shown.companies_rating, Some(expected));
    if prior.is_some() {
        assert_eq!(
            enterprise_rating(&pool, &opened.number).await,
            Some(expected)
        );
    }
    let my = t.say(COMPANY, "/my").await;
    assert!(contains(&my, "已结束"), "{my:?}");
}

#[sqlx::test]
#[should_panic(expected = "was not offered")]
async fn pressing_a_button_that_was_not_offered_fails(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "详情 1").await;
}

#[sqlx::test]
async fn an_unanswered_lead_is_reminded_once(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let opened = search_and_open(&mut t).await;
    register_contact(&mut t, &opened.institution).await;
    enquire(&mut t, &opened).await;
    let ctx = t.app.context();
    let remind = queqiao::enquiry::contact::remind_due;
    assert_eq!(remind(&ctx).await.unwrap(), 0, "not due yet");
    // Three days (the default LEAD_REMINDER_DAYS) and a minute pass.
    sqlx::query("UPDATE enquiries SET updated_at = now() - interval '3 days 1 minute'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(remind(&ctx).await.unwrap(), 1);
    t.flush().await;
    let reminder = t.sent_to(CONTACT).pop().unwrap();
    assert!(
        reminder.text.contains("提醒") && reminder.text.contains("3 天"),
        "{reminder:?}"
    );
    assert_eq!(t.offered(CONTACT), ["接受", "婉拒", "询问更多信息"]);
    assert_eq!(remind(&ctx).await.unwrap(), 0, "once");
    // The reminder's buttons work like the lead's.
    let sent = t.press(CONTACT, "接受").await;
    assert!(contains(&sent, "+86 138 0000 0000"), "{sent:?}");
}

#[sqlx::test]
async fn one_shutdown_signal_stops_every_background_task(pool: PgPool) {
    let t = TestApp::new(&pool).await;
    let (stop, shutdown) = queqiao::app::tasks::shutdown();
    let dir = std::path::PathBuf::from("dialogs");
    let mut tasks = queqiao::app::tasks::spawn_all(&t.app, Some(dir), &shutdown);
    assert_eq!(
        tasks.len(),
        5,
        "SIGHUP reload, pusher, reminders, --watch, reload on a published script"
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.send(true).unwrap();
    let all_stopped = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    })
    .await;
    assert!(all_stopped.is_ok(), "a task ignored the shutdown signal");
}
