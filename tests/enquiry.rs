//! Enquiry forwarding through the Telegram channel against a fake Bot API and real PostgreSQL: consent,
//! the lead to the institution's contact, questions and answers, acceptance, refusal of consent,
//! another institution's contact, queued until a contact registers, invite codes, duplicates and the cap.

mod common;

use common::app::TestApp;
use common::fake_telegram::{
    self as fake_api, Shared, buttons, message, press, sent_starting_with, texts,
};
use queqiao::app::Settings;
use queqiao::channel::telegram::Telegram;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

const COMPANY: i64 = 100;
const CONTACT: i64 = 900;
const STRANGER: i64 = 901;

/// The one test application, driven by update: `text` and `press` return every message sent meanwhile,
/// to any chat (these tests follow both sides at once; `press` here also presses forged ids).
struct Bot {
    t: TestApp,
    tg: Arc<Telegram>,
    fake: Shared,
}

impl Bot {
    async fn new(pool: &PgPool, cap: i64) -> Self {
        let settings = Settings {
            enquiry_cap: cap,
            ..Settings::default()
        };
        let t = TestApp::with_settings(pool, settings).await;
        Self {
            tg: t.tg.clone(),
            fake: t.fake.clone(),
            t,
        }
    }

    async fn text(&mut self, chat: i64, text: &str) -> Vec<Value> {
        self.t.deliver_all(|id| message(id, chat, text)).await
    }

    async fn press(&mut self, chat: i64, data: &str) -> Vec<Value> {
        self.t.deliver_all(|id| press(id, chat, data)).await
    }

    /// Presses `data` in `chat` and returns the press's own brief answer, asserting that the press sent
    /// no message (a refused or stale press answers once, briefly).
    async fn refused(&mut self, chat: i64, data: &str) -> String {
        let id = self.t.next_update_id();
        let sent = self.press(chat, data).await;
        assert!(sent.is_empty(), "{data}: {sent:?}");
        self.t.answer_to(id).await
    }
}

fn to(sent: &[Value], chat: i64) -> Vec<Value> {
    sent.iter()
        .filter(|m| m["chat_id"].as_i64() == Some(chat))
        .cloned()
        .collect()
}

/// The company searches and opens the details of result `rank`; returns the patent's institution.
async fn find_and_open(bot: &mut Bot, chat: i64, rank: usize) -> String {
    bot.text(chat, "/start").await;
    bot.press(chat, "c:zh").await;
    bot.text(chat, "硅负极材料循环衰减快，有没有改进方案").await;
    for _ in 0..3 {
        bot.press(chat, "c:any").await;
    }
    bot.press(chat, "skip").await;
    let sent = bot.press(chat, &format!("open:{rank}")).await;
    let details = texts(&sent);
    details
        .lines()
        .find_map(|l| l.strip_prefix("权利人："))
        .and_then(|l| l.split('（').next())
        .unwrap()
        .to_owned()
}

/// Fills in the enquiry up to the consent question; returns that question.
async fn fill_enquiry(bot: &mut Bot, chat: i64, rank: usize) -> String {
    let mut sent = bot.press(chat, &format!("enquire:{rank}")).await;
    // The privacy notice comes before a company's first enquiry only.
    let first: bool =
        sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM privacy_notices WHERE chat_id = $1)")
            .bind(chat)
            .fetch_one(bot.tg.pool())
            .await
            .unwrap();
    assert_eq!(texts(&sent).contains("个人信息说明"), first, "{sent:?}");
    if first {
        sent = bot.press(chat, "c:agree").await;
    }
    if texts(&sent).contains("沿用上次") {
        // A company that enquired before is offered its details again; these tests type them anew.
        sent = bot.press(chat, "c:edit").await;
    }
    assert!(texts(&sent).contains("公司全称"), "{sent:?}");
    bot.text(chat, "重庆某某电池有限公司").await;
    bot.text(chat, "张三").await;
    let sent = bot.text(chat, "not a phone").await;
    assert!(
        texts(&sent).contains("电话号码"),
        "a bad contact is asked again: {sent:?}"
    );
    bot.text(chat, "+86 138 0000 0000").await;
    // The deal question offers the patent's own modes; the first is taken.
    let modes = buttons(&bot.text(chat, "想用于动力电池负极，年产 500 吨").await);
    texts(&bot.press(chat, &modes[0]).await)
}

async fn institution_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM institutions WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn invite(pool: &PgPool, name: &str) -> String {
    let mut conn = pool.acquire().await.unwrap();
    queqiao::enquiry::invites::invite(&mut conn, name, "test", 7)
        .await
        .unwrap()
}

async fn history(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT status FROM enquiry_events ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn company_to_contact_and_back(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    let institution = find_and_open(&mut bot, COMPANY, 1).await;
    let code = invite(&pool, &institution).await;
    let sent = bot.text(CONTACT, &format!("/register {code}")).await;
    assert!(texts(&sent).contains("登记成功"), "{sent:?}");
    // Another institution's contact.
    let other: String =
        sqlx::query_scalar("SELECT name FROM institutions WHERE name <> $1 LIMIT 1")
            .bind(&institution)
            .fetch_one(&pool)
            .await
            .unwrap();
    let other_code = invite(&pool, &other).await;
    bot.text(STRANGER, &format!("/register {other_code}")).await;

    let consent = fill_enquiry(&mut bot, COMPANY, 1).await;
    assert!(
        consent.contains(&institution)
            && consent.contains("重庆某某电池有限公司")
            && consent.contains("张三"),
        "{consent}"
    );
    let sent = bot.press(COMPANY, "c:yes").await;
    let lead = to(&sent, CONTACT);
    assert!(texts(&to(&sent, COMPANY)).contains("已发往"), "{sent:?}");
    assert!(
        texts(&lead).contains("新的合作咨询") && texts(&lead).contains("年产 500 吨"),
        "{lead:?}"
    );
    assert!(
        !texts(&lead).contains("138"),
        "no contact details before acceptance"
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        buttons(&lead),
        [
            format!("lead:accept:{id}"),
            format!("lead:decline:{id}"),
            format!("lead:info:{id}")
        ]
    );
    // The company hears that the lead arrived (the next round of sending).
    bot.tg.send_pending().await.unwrap();
    assert!(texts(&fake_api::sent_to(&bot.fake, COMPANY)).contains("已送达"));
    let state = queqiao::dialog::store::load(&pool, "telegram", COMPANY)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !state.slots.contains_key("contact") && !state.slots.contains_key("person"),
        "personal data left the state"
    );

    // Another institution's contact cannot act on it, nor can the company forge the contact's button.
    let answer = bot.refused(STRANGER, &format!("lead:accept:{id}")).await;
    assert!(answer.contains("不属于"), "{answer}");
    let answer = bot.refused(COMPANY, &format!("lead:accept:{id}")).await;
    assert!(answer.contains("只有已登记的高校联系人"), "{answer}");
    // A forged id that is not even well formed is an expired button.
    let answer = bot.refused(CONTACT, "lead:accept:abc").await;
    assert!(answer.contains("过期"), "{answer}");

    // A question and its answer, with no contact details revealed.
    bot.press(CONTACT, &format!("lead:info:{id}")).await;
    let sent = bot.text(CONTACT, "请问贵司现有产线规模？").await;
    let question = to(&sent, COMPANY);
    assert!(texts(&question).contains("现有产线规模"), "{sent:?}");
    assert_eq!(buttons(&question), [format!("reply:{id}")]);
    bot.press(COMPANY, &format!("reply:{id}")).await;
    let sent = bot.text(COMPANY, "两条中试线").await;
    assert!(
        texts(&to(&sent, CONTACT)).contains("两条中试线"),
        "{sent:?}"
    );

    // Acceptance: both sides get the other's details.
    let sent = bot.press(CONTACT, &format!("lead:accept:{id}")).await;
    assert!(
        texts(&to(&sent, CONTACT)).contains("+86 138 0000 0000"),
        "{sent:?}"
    );
    assert!(texts(&to(&sent, COMPANY)).contains("好消息"), "{sent:?}");
    let sent = bot.text(COMPANY, "/my").await;
    assert!(texts(&sent).contains("已接受"), "{sent:?}");
    assert_eq!(
        history(&pool).await,
        [
            "submitted",
            "forwarded",
            "delivered",
            "info_requested",
            "delivered",
            "accepted"
        ]
    );
    // An accepted enquiry cannot be accepted (or declined) again: the old button says what it is now.
    for old in ["accept", "decline", "info"] {
        let answer = bot.refused(CONTACT, &format!("lead:{old}:{id}")).await;
        assert!(
            answer.contains(&format!("#{id}")) && answer.contains("已接受"),
            "{answer}"
        );
    }

    // Closing asks the company for a rating, which feeds the patent's enterprise rating.
    let number: String = sqlx::query_scalar("SELECT patent_number FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    let prior: Option<i16> =
        sqlx::query_scalar("SELECT rating_enterprise FROM patents WHERE number = $1")
            .bind(&number)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        bot.refused(STRANGER, &format!("lead:close:{id}"))
            .await
            .contains("不属于")
    );
    let sent = bot.press(CONTACT, &format!("lead:close:{id}")).await;
    let prompt = to(&sent, COMPANY);
    assert!(texts(&prompt).contains("打分"), "{sent:?}");
    assert_eq!(buttons(&prompt).len(), 5);
    // The close button pressed again: the enquiry is closed, said briefly.
    let answer = bot.refused(CONTACT, &format!("lead:close:{id}")).await;
    assert!(answer.contains("已结束"), "{answer}");
    let answer = bot.refused(COMPANY, &format!("rate:{id}:9")).await;
    assert!(answer.contains("过期"), "out of range: {answer}");
    assert!(
        bot.refused(STRANGER, &format!("rate:{id}:1"))
            .await
            .contains("不属于"),
        "not their enquiry"
    );
    assert!(texts(&bot.press(COMPANY, &format!("rate:{id}:1")).await).contains("谢谢"));
    bot.press(COMPANY, &format!("rate:{id}:5")).await; // a second rating of the same enquiry is ignored
    let shown = queqiao::catalog::store::patent_by_number(&pool, &number)
        .await
        .unwrap()
        .unwrap();
    // The demo patent carries an imported enterprise rating, which counts as one prior vote.
    let prior = prior.expect("the demo patent has an imported enterprise rating");
    let expected = ((f64::from(prior) + 1.0) / 2.0).round() as i64;
    assert_eq!(
        shown.record.rating.unwrap().enterprise,
        Some(expected),
        "mean of the prior and the feedback"
    );
    assert_eq!(history(&pool).await.last().unwrap(), "closed");
}

#[sqlx::test]
async fn an_open_licence_is_taken_on_its_published_terms(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    let institution = find_and_open(&mut bot, COMPANY, 1).await;
    let code = invite(&pool, &institution).await;
    bot.text(CONTACT, &format!("/register {code}")).await;
    let details = bot.press(COMPANY, "open:1").await;
    assert!(
        buttons(&details).iter().any(|b| b.starts_with("take:1:")),
        "an open-licence patent offers it: {details:?}"
    );
    let notice = texts(&bot.press(COMPANY, "take:1").await);
    assert!(notice.contains("个人信息说明"), "{notice}");
    let terms = texts(&bot.press(COMPANY, "c:agree").await);
    assert!(
        terms.contains("开放许可条件") && terms.contains("年"),
        "{terms}"
    );
    bot.press(COMPANY, "c:yes").await;
    bot.text(COMPANY, "重庆某某电池有限公司").await;
    bot.text(COMPANY, "张三").await;
    let consent = texts(&bot.text(COMPANY, "@zhangsan_cq").await);
    assert!(consent.contains("开放许可实施声明"), "{consent}");
    let sent = bot.press(COMPANY, "c:yes").await;
    assert!(
        texts(&to(&sent, COMPANY)).contains("开放许可声明"),
        "{sent:?}"
    );
    let lead = texts(&to(&sent, CONTACT));
    assert!(
        lead.contains("开放许可实施声明") && lead.contains("接受的条件"),
        "{lead}"
    );
    assert!(
        !lead.contains("zhangsan"),
        "no contact details before the institution confirms"
    );
    let (kind, mode, terms): (String, String, Option<String>) =
        sqlx::query_as("SELECT kind, mode, terms FROM enquiries")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), mode.as_str()), ("declaration", "open"));
    assert!(terms.unwrap().contains("年"));
    // A patent without an open licence has no such button, and a forged one is refused.
    let plain: Vec<String> = sqlx::query_scalar(
        "SELECT number FROM patents WHERE NOT ('open' = ANY(license_modes)) LIMIT 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!plain.is_empty());
    let state = queqiao::dialog::store::load(&pool, "telegram", COMPANY)
        .await
        .unwrap()
        .unwrap();
    if !state.results[1].open_license {
        assert!(bot.refused(COMPANY, "take:2").await.contains("过期"));
    }
}

#[sqlx::test]
async fn lead_delivery_survives_429_5xx_and_timeouts(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    let institution = find_and_open(&mut bot, COMPANY, 1).await;
    let code = invite(&pool, &institution).await;
    bot.text(CONTACT, &format!("/register {code}")).await;
    fill_enquiry(&mut bot, COMPANY, 1).await;
    bot.fake.lock().unwrap().faults.extend([
        fake_api::Fault::TooManyRequests { retry_after: 1 },
        fake_api::Fault::ServerError,
        fake_api::Fault::Slow(Duration::from_millis(2500)),
    ]);
    bot.press(COMPANY, "c:yes").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        bot.tg.send_pending().await.unwrap();
        let status: String = sqlx::query_scalar("SELECT status FROM enquiries")
            .fetch_one(&pool)
            .await
            .unwrap();
        if status == "delivered" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let leads = fake_api::sent_to(&bot.fake, CONTACT)
        .iter()
        .filter(|m| {
            m["text"]
                .as_str()
                .unwrap_or_default()
                .contains("新的合作咨询")
        })
        .count();
    // The timed-out attempt may have reached the fake after the client gave up: at most one extra.
    assert!((1..=2).contains(&leads), "{leads} leads");
}

#[sqlx::test]
async fn two_senders_deliver_a_thousand_leads_exactly_once(pool: PgPool) {
    let bot = Bot::new(&pool, 10_000).await;
    // 1,000 enquiries from 1,000 companies, each with its lead queued in the same transaction.
    let patent = common::register_contacts(&pool, CONTACT, 50).await;
    common::queue_leads(&pool, &patent, 1000, CONTACT, 50).await;
    // A second process's sender: another channel over the same database and the same fake Telegram.
    let other = common::app::telegram(&pool, &bot.t.url, bot.t.app.clone(), common::app::fast());
    let (a, b) = tokio::join!(other.send_pending(), bot.tg.send_pending());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both senders took part: {} and {}",
        a.len(),
        b.len()
    );
    assert_eq!(
        a.len() + b.len(),
        1000 + 1000,
        "1,000 leads and 1,000 delivery notices"
    );
    let mut leads = sent_starting_with(&bot.fake, "lead ");
    assert_eq!(leads.len(), 1000);
    leads.sort();
    leads.dedup();
    assert_eq!(leads.len(), 1000, "each lead exactly once");
    let delivered: i64 =
        sqlx::query_scalar("SELECT count(*) FROM enquiries WHERE status = 'delivered'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(delivered, 1000);
}

#[sqlx::test]
async fn refused_consent_shares_and_keeps_nothing(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    find_and_open(&mut bot, COMPANY, 1).await;
    fill_enquiry(&mut bot, COMPANY, 1).await;
    let sent = bot.press(COMPANY, "c:no").await;
    assert!(texts(&sent).contains("没有发送任何信息"), "{sent:?}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE chat_id <> 100 AND (message::text LIKE '%张三%' OR message::text LIKE '%138%')")
        .fetch_one(&pool).await.unwrap();
    assert_eq!(outbox, 0, "nothing personal went to anyone else");
    let state = queqiao::dialog::store::load(&pool, "telegram", COMPANY)
        .await
        .unwrap()
        .unwrap();
    let stored = serde_json::to_string(&state).unwrap();
    assert!(
        !stored.contains("张三") && !stored.contains("138 0000"),
        "{stored}"
    );
}

#[sqlx::test]
async fn queued_until_a_contact_registers_then_rules_and_codes(pool: PgPool) {
    let mut bot = Bot::new(&pool, 2).await;
    let institution = find_and_open(&mut bot, COMPANY, 1).await;
    fill_enquiry(&mut bot, COMPANY, 1).await;
    let sent = bot.press(COMPANY, "c:yes").await;
    assert!(
        texts(&to(&sent, COMPANY)).contains("尚未在鹊桥登记联系人"),
        "{sent:?}"
    );
    assert!(
        texts(&to(&sent, 1)).contains("没有登记联系人"),
        "the admin is alerted: {sent:?}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "submitted");

    // The same patent again: refused while open.
    bot.press(COMPANY, "open:1").await;
    let sent = bot.press(COMPANY, "enquire:1").await;
    assert!(texts(&sent).contains("提交过咨询"), "{sent:?}");

    // Codes: unknown, expired and reused ones are refused.
    let sent = bot.text(CONTACT, "/register NOPE").await;
    assert!(texts(&sent).contains("邀请码无效"));
    // No code at all: how to use the command, not "invalid".
    let sent = bot.text(CONTACT, "/register").await;
    assert!(texts(&sent).contains("用法：/register 邀请码"), "{sent:?}");
    let expired = invite(&pool, &institution).await;
    sqlx::query("UPDATE invites SET expires_at = now() - interval '1 minute' WHERE code = $1")
        .bind(&expired)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        texts(&bot.text(CONTACT, &format!("/register {expired}")).await).contains("邀请码无效")
    );
    let code = invite(&pool, &institution).await;
    let sent = bot.text(CONTACT, &format!("/register {code}")).await;
    assert!(
        texts(&to(&sent, CONTACT)).contains("新的合作咨询"),
        "the queued lead goes out on registration: {sent:?}"
    );
    assert!(
        texts(&bot.text(STRANGER, &format!("/register {code}")).await).contains("邀请码无效"),
        "single use"
    );
    bot.tg.send_pending().await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "delivered");
    let sent = bot.text(CONTACT, "/leads").await;
    assert!(texts(&sent).contains("已送达"), "{sent:?}");
    let _ = institution_id(&pool, &institution).await;

    // The daily cap (2 here): a second patent is fine, a third is refused.
    bot.press(COMPANY, "open:2").await;
    fill_enquiry(&mut bot, COMPANY, 2).await;
    bot.press(COMPANY, "c:yes").await;
    bot.press(COMPANY, "open:3").await;
    let sent = bot.press(COMPANY, "enquire:3").await;
    assert!(texts(&sent).contains("上限（2 条）"), "{sent:?}");
    // Non-admins cannot invite.
    assert!(texts(&bot.text(COMPANY, "/invite 某大学").await).contains("只有管理员"));
}

#[sqlx::test]
async fn declines_chosen_or_typed_reach_the_company(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    let institution = find_and_open(&mut bot, COMPANY, 1).await;
    let code = invite(&pool, &institution).await;
    bot.text(CONTACT, &format!("/register {code}")).await;
    // Two enquiries from two companies on the same patent.
    fill_enquiry(&mut bot, COMPANY, 1).await;
    bot.press(COMPANY, "c:yes").await;
    let other = COMPANY + 1;
    find_and_open(&mut bot, other, 1).await;
    fill_enquiry(&mut bot, other, 1).await;
    bot.press(other, "c:yes").await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM enquiries ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();

    // A reason chosen from the buttons.
    let sent = bot
        .press(CONTACT, &format!("lead:decline:{}", ids[0]))
        .await;
    assert!(
        buttons(&sent).contains(&format!("lead:decline:{}:1", ids[0])),
        "{sent:?}"
    );
    let sent = bot
        .press(CONTACT, &format!("lead:decline:{}:1", ids[0]))
        .await;
    let told = texts(&to(&sent, COMPANY));
    assert!(told.contains("已许可或转让给他方"), "{sent:?}");
    // A reason typed in.
    bot.press(CONTACT, &format!("lead:decline:{}", ids[1]))
        .await;
    let sent = bot.text(CONTACT, "本专利已进入产业化合作，暂不对外").await;
    assert!(texts(&to(&sent, other)).contains("暂不对外"), "{sent:?}");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM enquiries ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["declined", "declined"]);
    // A declined enquiry no longer blocks a new one on the same patent.
    bot.press(COMPANY, "open:1").await;
    let sent = bot.press(COMPANY, "enquire:1").await;
    assert!(texts(&sent).contains("沿用上次的联系信息"), "{sent:?}");
}

#[sqlx::test]
async fn an_undeliverable_lead_is_dead_lettered_and_the_admins_told(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    let institution = find_and_open(&mut bot, COMPANY, 1).await;
    let code = invite(&pool, &institution).await;
    bot.text(CONTACT, &format!("/register {code}")).await;
    fill_enquiry(&mut bot, COMPANY, 1).await;
    // The contact blocked the bot: Telegram answers 403, which no retry can fix.
    bot.fake.lock().unwrap().blocked.push(CONTACT);
    bot.press(COMPANY, "c:yes").await;
    bot.tg.send_pending().await.unwrap();
    let dead: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL AND enquiry_id IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(dead, 1);
    let alerts = texts(&fake_api::sent_to(&bot.fake, 1));
    assert!(
        alerts.contains("死信"),
        "the admin (id 1) is alerted: {alerts}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        status, "forwarded",
        "not delivered, and nothing pretends it was"
    );
}

#[sqlx::test]
async fn each_side_is_told_in_its_own_language(pool: PgPool) {
    let mut bot = Bot::new(&pool, 10).await;
    bot.text(COMPANY, "/start").await;
    bot.press(COMPANY, "c:en").await;
    // The need in Chinese (this channel runs without the English glossary), the conversation in English.
    bot.text(COMPANY, "锂电池硅基负极循环衰减快").await;
    for _ in 0..3 {
        bot.press(COMPANY, "c:any").await;
    }
    bot.press(COMPANY, "skip").await;
    let details = texts(&bot.press(COMPANY, "open:1").await);
    let institution = details
        .lines()
        .find_map(|l| l.strip_prefix("Owner: "))
        .and_then(|l| l.split(" (").next())
        .unwrap_or_else(|| panic!("{details}"))
        .to_owned();
    let code = invite(&pool, &institution).await;
    bot.text(CONTACT, &format!("/register {code}")).await; // the contact's chat is in Chinese
    assert!(texts(&bot.press(COMPANY, "enquire:1").await).contains("Privacy notice"));
    bot.press(COMPANY, "c:agree").await;
    bot.text(COMPANY, "Chongqing Battery Ltd").await;
    bot.text(COMPANY, "Li Lei").await;
    bot.text(COMPANY, "@lilei_cq").await;
    let modes = buttons(&bot.text(COMPANY, "For our pouch cells, 500 t a year").await);
    bot.press(COMPANY, &modes[0]).await;
    let sent = bot.press(COMPANY, "c:yes").await;
    assert!(
        texts(&to(&sent, COMPANY)).contains("on its way"),
        "{sent:?}"
    );
    assert!(
        texts(&to(&sent, CONTACT)).contains("新的合作咨询"),
        "{sent:?}"
    );
    bot.tg.send_pending().await.unwrap();
    assert!(texts(&fake_api::sent_to(&bot.fake, COMPANY)).contains("reached"));
    let id: i64 = sqlx::query_scalar("SELECT id FROM enquiries")
        .fetch_one(&pool)
        .await
        .unwrap();
    let sent = bot.press(CONTACT, &format!("lead:accept:{id}")).await;
    assert!(texts(&to(&sent, COMPANY)).contains("Good news"), "{sent:?}");
    assert!(texts(&to(&sent, CONTACT)).contains("已接受"), "{sent:?}");
}
