//! Where answers between a company and an institution used to get lost, through the fake Telegram and
//! pressing only offered buttons: a company typing its answer to a contact's question without pressing
//! "Reply", a contact typing words to the bot outside any lead, and a lead whose company deleted its data.

mod common;

use common::app::{Sent, TestApp, text_of};
use common::flows::{enquire, find, invite};
use sqlx::PgPool;

const COMPANY: i64 = 100;
const CONTACT: i64 = 900;

fn contains(sent: &[Sent], needle: &str) -> bool {
    text_of(sent).contains(needle)
}

/// A registered contact of the institution owning the first result, and an enquiry delivered to them.
async fn delivered_lead(t: &mut TestApp) -> i64 {
    let institution = find(t, COMPANY).await;
    let code = invite(t, &institution).await;
    t.say(CONTACT, &format!("/register {code}")).await;
    let id = enquire(t, COMPANY).await;
    t.flush().await;
    id
}

async fn status(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM enquiries WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The contact asks the company a question about lead `id` through its buttons.
async fn ask(t: &mut TestApp, id: i64, question: &str) {
    t.press(CONTACT, &format!("lead:info:{id}")).await;
    let sent = t.say(CONTACT, question).await;
    assert!(contains(&sent, "已把问题转给企业"), "{sent:?}");
}

#[sqlx::test]
async fn an_answer_typed_without_pressing_reply_is_sent_once_the_company_says_so(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let id = delivered_lead(&mut t).await;
    ask(&mut t, id, "请问贵司现有产线规模？").await;
    let question = t.sent_to(COMPANY).pop().unwrap();
    assert!(question.text.contains("直接输入也可以"), "{question:?}");

    // Typed straight away: nothing leaves before the company confirms, and no search runs.
    let sent = t.say(COMPANY, "两条中试线，年产 300 吨").await;
    assert!(
        contains(&sent, "现有产线规模") && contains(&sent, "作为答复"),
        "{sent:?}"
    );
    assert!(
        t.sent_to(CONTACT)
            .iter()
            .all(|m| !m.text.contains("300 吨"))
    );
    let sent = t.press(COMPANY, "是，作为答复发送").await;
    assert!(
        contains(&sent, "已转达") && contains(&sent, "/my"),
        "{sent:?}"
    );
    t.flush().await;
    assert!(contains(&t.sent_to(CONTACT), "两条中试线，年产 300 吨"));

    // The question answered, text is a need again.
    let sent = t.say(COMPANY, "钠离子电池正极材料").await;
    assert!(!contains(&sent, "作为答复"), "{sent:?}");

    // A second question: the company meant something else; its text goes on as typed (a new need).
    ask(&mut t, id, "中试线在哪个城市？").await;
    let sent = t.say(COMPANY, "固态电解质 界面阻抗").await;
    assert!(contains(&sent, "作为答复"), "{sent:?}");
    let sent = t.press(COMPANY, "不是，按新消息处理").await;
    assert!(!contains(&sent, "作为答复") && !sent.is_empty(), "{sent:?}");
    t.flush().await;
    assert!(!contains(&t.sent_to(CONTACT), "界面阻抗"));
    // The confirmation pressed again finds nothing kept: a brief answer, nothing sent.
    let stale = t.forge(COMPANY, &format!("draft:send:{id}")).await;
    assert!(
        stale.sent.is_empty() && stale.answer.contains("过期"),
        "{stale:?}"
    );

    // /my offers the answer button for the open question.
    let sent = t.say(COMPANY, "/my").await;
    assert!(contains(&sent, "中试线在哪个城市"), "{sent:?}");
    t.press(COMPANY, &format!("回复咨询 #{id}")).await;
    t.say(COMPANY, "重庆").await;
    t.flush().await;
    assert!(contains(&t.sent_to(CONTACT), "重庆"));
    assert_eq!(status(&pool, id).await, "delivered");
}

#[sqlx::test]
async fn a_contact_typing_to_the_bot_is_told_how_leads_are_answered(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let id = delivered_lead(&mut t).await;
    let sent = t
        .say(CONTACT, "王总您好，授权费用大约5万元，下周可以来学校面谈")
        .await;
    assert!(
        contains(&sent, "询问更多信息") && contains(&sent, "/leads"),
        "{sent:?}"
    );
    assert!(!contains(&sent, "没看懂"), "{sent:?}");
    // The same after /start, at the intake's first question (which is for companies).
    t.say(CONTACT, "/start").await;
    let sent = t.say(CONTACT, "这家公司能提供营业执照吗").await;
    assert!(contains(&sent, "询问更多信息"), "{sent:?}");
    // Nothing reached the company, and the lead still waits with its buttons.
    t.flush().await;
    assert!(!contains(&t.sent_to(COMPANY), "5万元"));
    let sent = t.say(CONTACT, "/leads").await;
    assert!(contains(&sent, &format!("#{id}")), "{sent:?}");
}

#[sqlx::test]
async fn a_lead_whose_company_deleted_its_data_says_so(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let id = delivered_lead(&mut t).await;
    let accept = t.offered_data(CONTACT, "接受");
    t.say(COMPANY, "/forget").await;
    t.press(COMPANY, "forget:yes").await;

    // The contact is told the lead is withdrawn, and it leaves the list of leads to act on.
    t.flush().await;
    assert!(contains(&t.sent_to(CONTACT), &format!("咨询 #{id}")));
    assert!(contains(&t.sent_to(CONTACT), "已撤回"));
    let sent = t.say(CONTACT, "/leads").await;
    assert!(!contains(&sent, &format!("#{id}")), "{sent:?}");
    // The button of the lead as delivered before: refused, saying why; nothing changes.
    let pressed = t.forge(CONTACT, &accept).await;
    assert!(
        pressed.sent.is_empty() && pressed.answer.contains("已删除其资料"),
        "{pressed:?}"
    );
    assert_eq!(status(&pool, id).await, "delivered");
}

/// Once accepted, `/leads` keeps the company's person and contact details at hand, under a heading that
/// says the lead's status (it is no longer "new").
#[sqlx::test]
async fn an_accepted_lead_in_leads_keeps_the_companys_details(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let id = delivered_lead(&mut t).await;
    let before = t.say(CONTACT, "/leads").await;
    assert!(
        !contains(&before, "张三"),
        "no personal details before acceptance: {before:?}"
    );
    t.press(CONTACT, &format!("lead:accept:{id}")).await;
    let sent = t.say(CONTACT, "/leads").await;
    assert!(
        contains(&sent, &format!("合作咨询 #{id}（已接受）")) && !contains(&sent, "新的合作咨询"),
        "{sent:?}"
    );
    assert!(
        contains(
            &sent,
            "企业联系方式：重庆某某电池有限公司，张三，+86 138 0000 0000"
        ),
        "{sent:?}"
    );
}

/// A contact who reads another language than the company writes is told which one to answer in.
#[sqlx::test]
async fn a_lead_names_the_companys_language_when_it_is_not_the_contacts(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let institution = find(&mut t, COMPANY).await;
    let code = invite(&mut t, &institution).await;
    t.say(CONTACT, &format!("/register {code}")).await;
    t.say(CONTACT, "/lang en").await;
    enquire(&mut t, COMPANY).await;
    t.flush().await;
    let lead = text_of(&t.sent_to(CONTACT));
    assert!(lead.contains("The company writes in 中文"), "{lead}");
}

/// A lead the contact accepted and then closed; the company has been sent the rating request.
async fn closed_lead(t: &mut TestApp) -> i64 {
    let id = delivered_lead(t).await;
    t.press(CONTACT, &format!("lead:accept:{id}")).await;
    t.flush().await;
    t.say(CONTACT, "/leads").await;
    t.press(CONTACT, &format!("lead:close:{id}")).await;
    t.flush().await;
    assert!(contains(&t.sent_to(COMPANY), "请为这项专利打分"));
    id
}

async fn rating_of(pool: &PgPool, id: i64) -> i16 {
    sqlx::query_scalar("SELECT rating FROM enterprise_ratings WHERE enquiry_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn stars_typed_after_the_pushed_rating_request_rate_the_enquiry(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let id = closed_lead(&mut t).await;
    // The request came on its own; the company types its answer instead of pressing.
    let sent = t.say(COMPANY, "4星").await;
    assert!(contains(&sent, "谢谢您的评价"), "{sent:?}");
    assert_eq!(rating_of(&pool, id).await, 4);
    // Rated once: stars typed again are no rating (and no second one).
    let again = t.say(COMPANY, "5星").await;
    assert!(!contains(&again, "谢谢您的评价"), "{again:?}");
}

#[sqlx::test]
async fn a_rating_request_gone_from_the_screen_is_asked_again_in_my(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let id = closed_lead(&mut t).await;
    // The company goes on searching; later /my asks for the rating again, with its stars.
    t.say(COMPANY, "钠离子电池正极材料").await;
    t.say(COMPANY, "/my").await;
    let sent = t.press(COMPANY, "★★★★").await;
    assert!(contains(&sent, "谢谢您的评价"), "{sent:?}");
    let sent = t.say(COMPANY, "/my").await;
    assert!(!contains(&sent, "请为这项专利打分"), "rated once: {sent:?}");
    assert_eq!(rating_of(&pool, id).await, 4);
}
