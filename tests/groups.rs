//! Group chats of institutions, through the fake Telegram: an office registers its group, leads and
//! reminders go there, anyone in the group sees them but only the institution's registered contacts may
//! act (checked by who presses, not by the chat), the group is told who acted, and the bot starts no
//! company intake in a group.

mod common;

use common::app::{Sent, TestApp, text_of};
use common::flows::{enquire, find, invite};
use sqlx::PgPool;

const COMPANY: i64 = 100;
/// The tech-transfer office's group chat (Telegram's group ids are negative).
const GROUP: i64 = -1_001_234;
/// A registered contact of the institution, and an office colleague who is not one.
const CONTACT: i64 = 900;
const MEMBER: i64 = 901;

fn contains(sent: &[Sent], needle: &str) -> bool {
    text_of(sent).contains(needle)
}

async fn status(t: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM enquiries WHERE id = $1")
        .bind(id)
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn only_a_registered_contacts_press_acts_and_the_group_is_told_who(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let institution = find(&mut t, COMPANY).await;
    // The office's contact registers in the office's group: the group receives the leads from now on.
    let code = invite(&mut t, &institution).await;
    let sent = t
        .say_in(GROUP, CONTACT, "王老师", &format!("/register {code}"))
        .await;
    assert!(
        contains(&sent, "王老师 登记成功") && contains(&sent, "本群现在接收"),
        "{sent:?}"
    );
    let id = enquire(&mut t, COMPANY).await;
    let lead = t.sent_to(GROUP);
    assert!(
        contains(&lead, "新的合作咨询"),
        "the lead is in the group: {lead:?}"
    );
    assert!(
        !contains(&t.sent_to(CONTACT), "新的合作咨询"),
        "and not in the contact's own chat too"
    );
    assert_eq!(status(&t, id).await, "delivered");
    let company_before = t.sent_to(COMPANY).len();

    // A colleague who is not a registered contact presses "accept" on the lead in the group.
    let refused = t.press_in(GROUP, MEMBER, "路人甲", "接受").await;
    assert!(
        refused.sent.is_empty(),
        "nothing in the group: {:?}",
        refused.sent
    );
    assert!(
        refused.answer.contains("只有已登记的高校联系人"),
        "a brief refusal, to the presser alone: {}",
        refused.answer
    );
    assert_eq!(status(&t, id).await, "delivered", "nothing changed");
    assert_eq!(
        t.sent_to(COMPANY).len(),
        company_before,
        "the company heard nothing"
    );

    // The registered contact presses the same button in the same group.
    let accepted = t.press_in(GROUP, CONTACT, "王老师", "接受").await;
    assert_eq!(status(&t, id).await, "accepted");
    let reply = text_of(&accepted.sent);
    assert!(
        reply.starts_with("王老师：已接受咨询") && reply.contains("+86 138 0000 0000"),
        "the reply names who acted: {reply}"
    );
    assert!(contains(&t.sent_to(COMPANY), "好消息"));

    // The colleague cannot close it either; the contact's second press on "accept" says what it is now.
    let refused = t
        .press_in(GROUP, MEMBER, "路人甲", "结束（对接已完成）")
        .await;
    assert!(
        refused.answer.contains("只有已登记的高校联系人"),
        "{}",
        refused.answer
    );
    let again = t
        .press_in(GROUP, CONTACT, "王老师", &format!("lead:accept:{id}"))
        .await;
    assert!(again.sent.is_empty(), "{:?}", again.sent);
    assert!(
        again.answer.contains(&format!("#{id}")) && again.answer.contains("已接受"),
        "{}",
        again.answer
    );
    assert_eq!(status(&t, id).await, "accepted");
}

#[sqlx::test]
async fn a_group_runs_no_intake_and_is_registered_by_a_contact(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    // Chatter in a group gets no answer and starts nothing; /start and /help say what the bot does here.
    assert!(
        t.say_in(GROUP, MEMBER, "路人甲", "大家好，今天开会吗？")
            .await
            .is_empty()
    );
    let help = t.say_in(GROUP, MEMBER, "路人甲", "/start").await;
    assert!(
        contains(&help, "/group") && !contains(&help, "欢迎"),
        "{help:?}"
    );
    assert!(contains(
        &t.say_in(GROUP, MEMBER, "路人甲", "/my").await,
        "私聊"
    ));
    assert!(
        contains(&t.say(COMPANY, "/group").await, "群聊"),
        "not in a private chat"
    );
    let state = queqiao::dialog::store::load(&pool, "telegram", GROUP)
        .await
        .unwrap()
        .unwrap();
    assert!(state.step.is_empty() && state.slots.is_empty(), "{state:?}");
    // Only a registered contact can make the group its institution's.
    let refused = t.say_in(GROUP, MEMBER, "路人甲", "/group").await;
    assert!(contains(&refused, "只有已登记的高校联系人"), "{refused:?}");

    let institution = find(&mut t, COMPANY).await;
    let code = invite(&mut t, &institution).await;
    t.say(CONTACT, &format!("/register {code}")).await;
    let sent = t.say_in(GROUP, CONTACT, "王老师", "/group").await;
    assert!(contains(&sent, "本群现在接收"), "{sent:?}");
    let help = t.say_in(GROUP, MEMBER, "路人甲", "/help").await;
    assert!(contains(&help, &institution), "{help:?}");
    // Another institution's contact cannot take the group over.
    let other: String =
        sqlx::query_scalar("SELECT name FROM institutions WHERE name <> $1 LIMIT 1")
            .bind(&institution)
            .fetch_one(&pool)
            .await
            .unwrap();
    let other_code = invite(&mut t, &other).await;
    t.say(MEMBER + 1, &format!("/register {other_code}")).await;
    let taken = t.say_in(GROUP, MEMBER + 1, "外校老师", "/group").await;
    assert!(contains(&taken, "只有该机构的联系人"), "{taken:?}");
    let taken = t.say_in(GROUP, MEMBER + 1, "外校老师", "/group off").await;
    assert!(contains(&taken, "只有该机构的联系人"), "{taken:?}");

    // A decline in the group: the bot asks the contact by name; a colleague's text is not the reason.
    let id = enquire(&mut t, COMPANY).await;
    let asked = t.press_in(GROUP, CONTACT, "王老师", "婉拒").await;
    let asked = text_of(&asked.sent);
    assert!(
        asked.starts_with("王老师：请选择或直接输入婉拒原因") && asked.contains("回复"),
        "{asked}"
    );
    assert!(
        t.say_in(GROUP, MEMBER, "路人甲", "我觉得可以接")
            .await
            .is_empty()
    );
    assert_eq!(status(&t, id).await, "delivered");
    let done = t
        .say_in(
            GROUP,
            CONTACT,
            "王老师",
            "本专利已进入产业化合作，暂不对外。",
        )
        .await;
    assert!(
        contains(&done, &format!("王老师：已婉拒咨询 #{id}")),
        "{done:?}"
    );
    assert_eq!(status(&t, id).await, "declined");
    // The company reads the reason once, closed by one full stop (the text adds its own).
    assert!(contains(&t.sent_to(COMPANY), "暂不对外。感谢关注"));
    assert!(!contains(&t.sent_to(COMPANY), "。。"));
}

#[sqlx::test]
async fn groups_hear_what_contacts_do_elsewhere_and_reminders(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let institution = find(&mut t, COMPANY).await;
    let code = invite(&mut t, &institution).await;
    t.say(CONTACT, &format!("/register {code}")).await;
    t.say_in(GROUP, CONTACT, "王老师", "/group").await;
    let id = enquire(&mut t, COMPANY).await;
    // Unanswered for longer than the reminder days: the reminder goes to the group.
    sqlx::query("UPDATE enquiries SET updated_at = now() - interval '10 days' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let reminded = queqiao::enquiry::contact::remind_due(&t.app.context())
        .await
        .unwrap();
    assert_eq!(reminded, 1);
    t.flush().await;
    let reminder = t.sent_to(GROUP).pop().unwrap();
    assert!(reminder.text.starts_with("提醒："), "{reminder:?}");
    assert!(!contains(&t.sent_to(CONTACT), "提醒："));
    // The contact acts from their own chat (/leads there): the group is told who did what.
    let leads = t.say(CONTACT, "/leads").await;
    assert!(contains(&leads, &format!("#{id}")), "{leads:?}");
    t.press(CONTACT, "询问更多信息").await;
    let sent = t.say(CONTACT, "请问贵司现有产线规模？").await;
    assert!(
        contains(&sent, &format!("已把问题转给企业（咨询 #{id}）")),
        "{sent:?}"
    );
    assert!(!contains(&sent, "王老师"), "a private chat is not signed");
    let told = t.sent_to(GROUP).pop().unwrap();
    assert!(
        told.text.contains(&format!("咨询 #{id}")) && told.text.contains("待补充信息"),
        "{told:?}"
    );
    // The company's answer comes back to the group, with the lead's buttons.
    t.press(COMPANY, "回复").await;
    t.say(COMPANY, "两条中试线").await;
    let answer = t.sent_to(GROUP).pop().unwrap();
    assert!(answer.text.contains("两条中试线"), "{answer:?}");
    assert!(
        answer
            .buttons
            .iter()
            .any(|(d, _)| d == &format!("lead:accept:{id}"))
    );
    // /group off: what the institution receives goes to the contacts' own chats again.
    let off = t.say_in(GROUP, CONTACT, "王老师", "/group off").await;
    assert!(contains(&off, "不再接收"), "{off:?}");
    t.say(CONTACT, "/leads").await;
    t.press(CONTACT, "询问更多信息").await;
    t.say(CONTACT, "预计何时投产？").await;
    t.press(COMPANY, "回复").await;
    let group_before = t.sent_to(GROUP).len();
    t.say(COMPANY, "明年三月").await;
    assert!(contains(&t.sent_to(CONTACT), "明年三月"));
    assert_eq!(
        t.sent_to(GROUP).len(),
        group_before,
        "the group hears no more"
    );
}

#[sqlx::test(migrations = false)]
async fn contacts_registered_in_a_group_before_0012_become_its_group(pool: PgPool) {
    // The schema as it was before groups, with the registrations of then: one person registered only
    // in a group (which made the group a "contact"), another in their own chat and in a group too.
    let all = sqlx::migrate!("./migrations");
    let before = sqlx::migrate::Migrator {
        migrations: all
            .migrations
            .iter()
            .filter(|m| m.version < 12)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
    let institution: i64 =
        sqlx::query_scalar("INSERT INTO institutions (name) VALUES ('渝州大学') RETURNING id")
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO contact_chats (institution_id, channel, chat_id, user_id) VALUES
         ($1, 'telegram', -500, 7), ($1, 'telegram', 8, 8), ($1, 'telegram', -501, 8)",
    )
    .bind(institution)
    .execute(&pool)
    .await
    .unwrap();
    all.run(&pool).await.unwrap();
    let groups: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT chat_id, added_by FROM institution_groups ORDER BY chat_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(groups, [(-501, Some(8)), (-500, Some(7))]);
    let contacts: Vec<(i64, i64)> =
        sqlx::query_as("SELECT chat_id, user_id FROM contact_chats ORDER BY user_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        contacts,
        [(7, 7), (8, 8)],
        "one row per person, their own chat"
    );
    let mut conn = pool.acquire().await.unwrap();
    let mut chats = queqiao::enquiry::registry::lead_chats(&mut conn, institution)
        .await
        .unwrap();
    chats.sort();
    assert_eq!(
        chats,
        [("telegram".to_owned(), -501), ("telegram".to_owned(), -500)],
        "the leads still go to both groups"
    );
}
