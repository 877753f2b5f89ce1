//! No dead ends, no surprises: each rule of the conversation found by hand, played through the fake
//! Telegram the way a company plays it (typing what its screen shows, pressing what it was offered).

mod common;

use common::app::{Sent, TestApp, text_of};
use sqlx::PgPool;

const COMPANY: i64 = 100;
const NEED: &str = "锂电池硅基负极循环衰减快，有没有改进方案";
/// A need the demo catalogue has nothing for.
const NO_MATCH: &str = "古典吉他琴弦";

fn contains(sent: &[Sent], needle: &str) -> bool {
    text_of(sent).contains(needle)
}

async fn slots(pool: &PgPool) -> std::collections::BTreeMap<String, String> {
    queqiao::dialog::store::load(pool, "telegram", COMPANY)
        .await
        .unwrap()
        .unwrap()
        .slots
}

/// `chat` searches the standard need and reaches the results.
async fn to_budget_as(t: &mut TestApp, chat: i64) {
    t.say(chat, "/start").await;
    t.press(chat, "中文").await;
    t.say(chat, NEED).await;
    for _ in 0..3 {
        t.say(chat, "1").await;
    }
    t.press(chat, "跳过").await;
}

/// Up to the budget question, with the industry chosen and the other filters "any".
async fn to_budget_in(t: &mut TestApp, need: &str, industry: &str) {
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, need).await;
    t.press(COMPANY, industry).await;
    t.press(COMPANY, "不限").await;
    t.press(COMPANY, "都可以").await;
}

/// Up to the budget question, with every filter "any".
async fn to_budget(t: &mut TestApp, need: &str) {
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, need).await;
    for _ in 0..3 {
        t.say(COMPANY, "1").await; // the first option: 不限 / 都可以
    }
}

#[sqlx::test]
async fn typed_option_numbers_mean_that_option(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    assert_eq!(t.offered(COMPANY), ["跳过"]);
    // "[1] 跳过" then "1": skipped, not a budget of 1 万元.
    let sent = t.say(COMPANY, "1").await;
    assert!(contains(&sent, "1. 【"), "results: {sent:?}");
    assert!(!slots(&pool).await.contains_key("budget"));
    // On the results page a result's number opens it.
    let sent = t.say(COMPANY, "2").await;
    assert!(contains(&sent, "专利号："), "{sent:?}");
}

#[sqlx::test]
async fn budgets_as_people_write_them(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    for typed in [
        "30万",
        "30 万元",
        "二三十万",
        "300000",
        "30w",
        "不超过30万块",
        "300,000",
    ] {
        to_budget(&mut t, NEED).await;
        let sent = t.say(COMPANY, typed).await;
        assert!(!contains(&sent, "请输入人民币金额"), "{typed}: {sent:?}");
        assert_eq!(slots(&pool).await["budget"], "30", "{typed}");
    }
    // Another currency is not guessed at: the question says the amount is in yuan.
    to_budget(&mut t, NEED).await;
    let sent = t.say(COMPANY, "$20,000").await;
    assert!(contains(&sent, "请输入人民币金额"), "{sent:?}");
}

#[sqlx::test]
async fn a_need_typed_at_the_language_question_is_kept(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.say(COMPANY, "/start").await;
    let sent = t.say(COMPANY, "钠离子电池正极材料循环寿命短").await;
    assert!(contains(&sent, "属于哪个产业"), "{sent:?}");
    assert_eq!(slots(&pool).await["need"], "钠离子电池正极材料循环寿命短");
    // A stray word there is still not a need.
    t.say(COMPANY, "/start").await;
    let sent = t.say(COMPANY, "ab").await;
    assert!(contains(&sent, "没看懂"), "{sent:?}");
}

#[sqlx::test]
async fn a_need_typed_in_english_at_the_language_question_chooses_english(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    let sent = t.say(COMPANY, "need waterproof glue for shoes").await;
    assert!(contains(&sent, "Which industry"), "{sent:?}");
    assert!(!contains(&sent, "属于哪个产业"), "{sent:?}");
    assert_eq!(slots(&pool).await["lang"], "en");
    // And Chinese characters choose Chinese, whatever the language before.
    t.say(COMPANY, "/start").await;
    let sent = t.say(COMPANY, "鞋用防水胶水").await;
    assert!(contains(&sent, "属于哪个产业"), "{sent:?}");
}

/// The greeting says to describe the need: a first message that is one is kept, not lost to the
/// language question; a greeting is answered with the language question alone.
#[sqlx::test]
async fn a_first_message_that_is_a_need_is_kept(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let sent = t.say(COMPANY, "洗衣机噪音太大怎么办").await;
    assert!(contains(&sent, "属于哪个产业"), "{sent:?}");
    assert_eq!(slots(&pool).await["need"], "洗衣机噪音太大怎么办");
    let other = COMPANY + 1;
    let sent = t.say(other, "noisy washing machine").await;
    assert!(contains(&sent, "Which industry"), "{sent:?}");
    let third = COMPANY + 2;
    let sent = t.say(third, "你好").await;
    assert!(
        contains(&sent, "请选择语言") && !contains(&sent, "没看懂"),
        "{sent:?}"
    );
}

#[sqlx::test]
async fn lang_at_the_language_question_answers_it(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    let sent = t.say(COMPANY, "/lang en").await;
    assert!(
        contains(&sent, "Switched to English") && contains(&sent, "Please describe"),
        "{sent:?}"
    );
    assert!(!contains(&sent, "choose a language"), "{sent:?}");
}

#[sqlx::test]
async fn an_unknown_command_is_named_not_searched(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    let sent = t.say(COMPANY, "/board 钠离子电池").await;
    assert!(
        contains(&sent, "没有这个命令") && contains(&sent, "/help"),
        "{sent:?}"
    );
    assert_eq!(slots(&pool).await["need"], NEED, "the command was searched");
}

#[sqlx::test]
async fn stray_digits_and_short_words_are_not_searched(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    t.say(COMPANY, "/my").await; // a screen without buttons
    for stray in ["9", "ab", "300,000"] {
        let sent = t.say(COMPANY, stray).await;
        assert!(contains(&sent, "没看懂"), "{stray}: {sent:?}");
        assert_eq!(slots(&pool).await["need"], NEED, "{stray} was searched");
    }
}

#[sqlx::test]
async fn on_no_good_match_a_new_wording_searches_and_broaden_needs_filters(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NO_MATCH).await;
    let sent = t.press(COMPANY, "跳过").await;
    assert!(contains(&sent, "没有找到"), "{sent:?}");
    assert!(
        !t.offered(COMPANY).contains(&"不加筛选再搜".to_owned()),
        "no filters, nothing to broaden: {:?}",
        t.offered(COMPANY)
    );
    let sent = t.say(COMPANY, NEED).await;
    assert!(
        contains(&sent, "1. 【"),
        "the new wording was searched: {sent:?}"
    );

    // With a filter set, broadening is offered and drops it.
    to_budget_in(&mut t, NO_MATCH, "生物医药").await;
    let sent = t.press(COMPANY, "跳过").await;
    assert!(contains(&sent, "筛选条件：生物医药"), "{sent:?}");
    t.press(COMPANY, "不加筛选再搜").await;
    assert!(!slots(&pool).await.contains_key("industry"));
}

#[sqlx::test]
async fn the_results_say_which_filters_they_kept(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget_in(&mut t, NEED, "新能源及储能").await;
    let sent = t.say(COMPANY, "30万").await;
    assert!(
        contains(&sent, "筛选条件：新能源及储能、预算不超过 30 万元"),
        "{sent:?}"
    );
    // A new need typed on the results page keeps them, and says so again.
    let sent = t.say(COMPANY, "锂电池电解液阻燃").await;
    assert!(contains(&sent, "筛选条件：新能源及储能"), "{sent:?}");
    // Without filters, no such line.
    to_budget(&mut t, NEED).await;
    let sent = t.press(COMPANY, "跳过").await;
    assert!(!contains(&sent, "筛选条件"), "{sent:?}");
}

#[sqlx::test]
async fn cancel_keeps_language_and_need(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "English").await;
    t.say(COMPANY, "silicon anode capacity fades").await;
    t.say(COMPANY, "/cancel").await;
    let s = slots(&pool).await;
    assert_eq!(
        (s["lang"].as_str(), s["need"].as_str()),
        ("en", "silicon anode capacity fades")
    );
    let sent = t.say(COMPANY, "battery anode").await;
    assert!(
        !contains(&sent, "choose a language") && contains(&sent, "industry"),
        "goes on in English with the new need: {sent:?}"
    );
}

#[sqlx::test]
async fn refine_keeps_filters_and_start_over_does_not_ask_the_language(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget_in(&mut t, NEED, "新能源及储能").await;
    t.press(COMPANY, "跳过").await;
    assert!(t.offered(COMPANY).contains(&"修改筛选条件".to_owned()));
    let sent = t.press(COMPANY, "修改需求").await;
    assert!(contains(&sent, "筛选条件保持不变"), "{sent:?}");
    let sent = t.say(COMPANY, "硅碳负极材料膨胀").await;
    assert!(contains(&sent, "1. 【"), "straight to results: {sent:?}");
    assert_eq!(slots(&pool).await["industry"], "新能源及储能");
    let sent = t.press(COMPANY, "修改筛选条件").await;
    assert!(contains(&sent, "哪个产业"), "{sent:?}");
    t.press(COMPANY, "不限").await;
    t.press(COMPANY, "不限").await;
    t.press(COMPANY, "都可以").await;
    t.press(COMPANY, "跳过").await;
    let sent = t.press(COMPANY, "重新开始").await;
    assert!(
        contains(&sent, "描述") && !contains(&sent, "请选择语言"),
        "{sent:?}"
    );
}

#[sqlx::test]
async fn skip_words_on_every_optional_question(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, NEED).await;
    // As owners answer an optional question they have no preference on; the budget as they decline
    // to name one: 面议 (to be negotiated).
    for skip in ["不知道", "都行", "随便", "面议"] {
        t.say(COMPANY, skip).await;
    }
    let s = slots(&pool).await;
    assert_eq!(
        (
            s["industry"].as_str(),
            s["region"].as_str(),
            s["license"].as_str()
        ),
        ("any", "any", "any")
    );
    assert!(
        t.offered(COMPANY).contains(&"详情 1".to_owned()),
        "results: {:?}",
        t.sent_to(COMPANY).pop()
    );
}

#[sqlx::test]
async fn a_name_is_not_a_skip_word_or_an_option_number(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    t.press(COMPANY, "详情 1").await;
    t.press(COMPANY, "我想咨询这项专利").await;
    t.press(COMPANY, "知道了，继续").await;
    for not_a_name in ["跳过", "1", "公司名称要写全称吗？营业执照上的那个？"] {
        let sent = t.say(COMPANY, not_a_name).await;
        assert!(
            contains(&sent, "请输入 2 到 100 个字的公司名称"),
            "{sent:?}"
        );
    }
    // The contact may be a phone number, a Telegram username or an e-mail address; not a word.
    t.say(COMPANY, "重庆某某新材料有限公司").await;
    t.say(COMPANY, "张三").await;
    let sent = t.say(COMPANY, "明天再说").await;
    assert!(contains(&sent, "请输入电话号码"), "{sent:?}");
    let sent = t.say(COMPANY, "sarah.li@example.com").await;
    assert!(contains(&sent, "想对专利方说的话"), "{sent:?}");
}

#[sqlx::test]
async fn details_have_no_bare_dashes_and_explain_double_five(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    for rank in 1..=5 {
        t.say(COMPANY, &rank.to_string()).await;
        let details = t.sent_to(COMPANY).pop().unwrap().text;
        assert!(
            !details.contains("：-") && !details.contains("（-）"),
            "{details}"
        );
        if details.contains("★双五星") {
            assert!(details.contains("企业评价都是 5 星"), "{details}");
        }
        t.press(COMPANY, "返回结果").await;
    }
}

/// From an open result's details: the enquiry up to the deal question (privacy notice the first time).
async fn enquire_from_details(t: &mut TestApp, first: bool) -> Vec<Sent> {
    let sent = t.press(COMPANY, "我想咨询这项专利").await;
    if !first {
        return sent;
    }
    t.press(COMPANY, "知道了，继续").await;
    t.say(COMPANY, "重庆某某电池有限公司").await;
    t.say(COMPANY, "张三").await;
    t.say(COMPANY, "+86 138 0000 0000").await;
    t.say(COMPANY, "想用于动力电池负极").await
}

/// Results without a budget, the first patent's details, the enquiry form filled in by a new company;
/// returns the first deal offered, which leads to the summary.
async fn first_enquiry_filled(t: &mut TestApp) -> String {
    to_budget(t, NEED).await;
    t.press(COMPANY, "跳过").await;
    t.press(COMPANY, "详情 1").await;
    enquire_from_details(t, true).await;
    t.offered(COMPANY)[0].clone()
}

/// A mistake seen in the summary before sending is mended there: "change the details" asks them again,
/// and the summary shows the new ones; nothing is sent before "yes".
#[sqlx::test]
async fn details_are_changed_from_the_summary_before_sending(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let first_mode = first_enquiry_filled(&mut t).await;
    let summary = t.press(COMPANY, &first_mode).await;
    assert!(contains(&summary, "联系人“张三”"), "{summary:?}");
    let asked = t.press(COMPANY, "修改信息").await;
    assert!(contains(&asked, "贵公司全称"), "{asked:?}");
    t.say(COMPANY, "重庆某某电池有限公司").await;
    t.say(COMPANY, "张伟").await;
    t.say(COMPANY, "+86 138 0000 0000").await;
    t.say(COMPANY, "想用于动力电池负极").await;
    let summary = t.press(COMPANY, &first_mode).await;
    assert!(contains(&summary, "联系人“张伟”"), "{summary:?}");
    let sent = t.press(COMPANY, "同意发送").await;
    assert!(contains(&sent, "咨询 #"), "{sent:?}");
}

#[sqlx::test]
async fn the_company_profile_is_confirmed_once_and_reused(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let first_mode = first_enquiry_filled(&mut t).await;
    t.press(COMPANY, &first_mode).await;
    t.press(COMPANY, "同意发送").await;

    // The second enquiry offers the same details, to use or change.
    t.press(COMPANY, "详情 2").await;
    let sent = enquire_from_details(&mut t, false).await;
    assert!(
        contains(&sent, "沿用上次的联系信息")
            && contains(&sent, "重庆某某电池有限公司")
            && contains(&sent, "+86 138 0000 0000"),
        "{sent:?}"
    );
    assert_eq!(t.offered(COMPANY), ["沿用", "修改"]);
    let sent = t.press(COMPANY, "沿用").await;
    assert!(
        contains(&sent, "想对专利方说的话"),
        "straight to the message: {sent:?}"
    );
    let sent = t.say(COMPANY, "第二项专利也想了解").await;
    let mode = t.offered(COMPANY)[0].clone();
    assert!(!sent.is_empty());
    let consent = t.press(COMPANY, &mode).await;
    assert!(
        contains(&consent, "重庆某某电池有限公司") && contains(&consent, "张三"),
        "{consent:?}"
    );
    t.press(COMPANY, "同意发送").await;
    let kept: Vec<String> = sqlx::query_scalar("SELECT company FROM enquiries ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(kept, ["重庆某某电池有限公司", "重庆某某电池有限公司"]);
}

#[sqlx::test]
async fn the_results_header_does_not_repeat_a_chatty_need(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let chatty = "老板您好，我们是重庆做锂电池的小厂，这两年客户一直反映硅基负极循环衰减快，想找找有没有高校的改进方案可以合作";
    to_budget(&mut t, chatty).await;
    let results = t.press(COMPANY, "跳过").await;
    let header = results[0]
        .text
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        header.contains('…') && !header.contains("可以合作"),
        "{header}"
    );
}

#[sqlx::test]
async fn region_choices_come_from_the_catalogue(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let file = common::write(
        dir.path(),
        "more.jsonl",
        "{\"name\": \"秦岭大学\", \"region\": \"陕西\", \"contacts\": []}\n",
    );
    let reports = common::import(&pool, &[file], &Default::default()).await;
    assert!(reports[0].committed);
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "中文").await;
    t.say(COMPANY, NEED).await;
    t.press(COMPANY, "不限").await;
    assert_eq!(
        t.offered(COMPANY),
        ["不限", "重庆", "四川", "湖南", "广东", "陕西"]
    );
    t.press(COMPANY, "陕西").await;
    assert_eq!(slots(&pool).await["region"], "陕西");
}

#[sqlx::test]
async fn weak_results_are_labelled_and_the_need_can_be_saved(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    // Nothing in the catalogue serves this, but something shares a word with it.
    to_budget(&mut t, "宠物美容连锁加盟店营销").await;
    let sent = t.press(COMPANY, "跳过").await;
    assert!(contains(&sent, "匹配较弱"), "{sent:?}");
    assert!(
        contains(&sent, "1. 【"),
        "the closest results are shown: {sent:?}"
    );
    let offered = t.offered(COMPANY);
    for button in ["修改需求", "有新专利时通知我"] {
        assert!(
            offered.iter().any(|b| b.contains(button)),
            "{button} not offered: {offered:?}"
        );
    }
    let saved = t
        .press(
            COMPANY,
            offered
                .iter()
                .find(|b| b.contains("有新专利时通知我"))
                .unwrap(),
        )
        .await;
    assert!(contains(&saved, "已保存需求"), "{saved:?}");
}

/// Backing out of an enquiry returns to the page the results were shown on: weak matches stay headed as
/// weak, not as "N patents match".
#[sqlx::test]
async fn weak_results_stay_weak_after_backing_out_of_an_enquiry(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, "宠物美容连锁加盟店营销").await;
    let first = t.press(COMPANY, "跳过").await;
    assert!(contains(&first, "匹配较弱"), "{first:?}");
    t.press(COMPANY, "详情 1").await;
    t.press(COMPANY, "我想咨询这项专利").await;
    let back = t.press(COMPANY, "不咨询了").await;
    assert!(contains(&back, "没有发送任何信息"), "{back:?}");
    assert!(
        contains(&back, "匹配较弱"),
        "still headed as weak: {back:?}"
    );
    assert!(!contains(&back, "项匹配的专利"), "{back:?}");
    assert!(
        t.offered(COMPANY)
            .iter()
            .any(|b| b.contains("有新专利时通知我")),
        "the weak page's offers are back: {:?}",
        t.offered(COMPANY)
    );
}

/// People type what they see on a button instead of pressing it: the label, with a particle, or a part
/// of one label, or a plain yes. It presses that button; it is never searched as a need.
#[sqlx::test]
async fn typing_a_buttons_label_presses_it(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget_as(&mut t, COMPANY).await;
    let next = t.say(COMPANY, "下一页吧").await;
    assert!(contains(&next, "第 2/"), "page two: {next:?}");
    t.say(COMPANY, "详情 6").await;
    let offered = t.offered(COMPANY);
    assert!(
        offered.contains(&"我想咨询这项专利".to_owned()),
        "details of result 6: {offered:?}"
    );
    t.say(COMPANY, "我想咨询这项专利").await;
    // The privacy notice: "知道了" is part of its one agreeing button; "好的" agrees too.
    let asked = t.say(COMPANY, "知道了").await;
    assert!(
        contains(&asked, "贵公司全称"),
        "the form goes on: {asked:?}"
    );
    t.say(COMPANY, "/cancel").await;
    to_budget_as(&mut t, COMPANY).await;
    let restarted = t.say(COMPANY, "重新开始").await;
    assert!(
        !contains(&restarted, "重新开始”找到"),
        "never searched: {restarted:?}"
    );
    assert!(
        contains(&restarted, "描述您要解决的技术问题"),
        "{restarted:?}"
    );
}

/// "返回" typed in the enquiry form asks the previous question again; 取消 leaves the form: nothing is
/// sent, nothing typed is kept, and the results come back. Neither is ever saved as an answer, and
/// thanks typed there leave the question waiting, asked again.
#[sqlx::test]
async fn back_and_cancel_typed_in_the_enquiry_form(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget_as(&mut t, COMPANY).await;
    t.press(COMPANY, "详情 1").await;
    t.press(COMPANY, "我想咨询这项专利").await;
    t.press(COMPANY, "知道了，继续").await;
    let asked = t.say(COMPANY, "重庆某某电池有限公司").await;
    assert!(contains(&asked, "联系人"), "{asked:?}");
    let thanks = t.say(COMPANY, "谢谢").await;
    assert!(
        contains(&thanks, "不客气") && contains(&thanks, "联系人"),
        "the question waits: {thanks:?}"
    );
    let back = t.say(COMPANY, "返回").await;
    assert!(contains(&back, "贵公司全称"), "one question back: {back:?}");
    assert!(!contains(&back, "没有发送任何信息"), "{back:?}");
    let left = t.say(COMPANY, "取消").await;
    assert!(contains(&left, "没有发送任何信息"), "{left:?}");
    assert!(
        contains(&left, "项匹配的专利"),
        "the results again: {left:?}"
    );
    let slots = slots(&pool).await;
    assert!(
        !slots.contains_key("company") && !slots.contains_key("person"),
        "{slots:?}"
    );
}

#[sqlx::test]
async fn help_and_thanks_typed_plainly_are_answered_not_searched(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget_as(&mut t, COMPANY).await;
    let help = t.say(COMPANY, "help").await;
    assert!(contains(&help, "/my"), "the help text: {help:?}");
    let thanks = t.say(COMPANY, "谢谢啊").await;
    assert!(contains(&thanks, "不客气"), "{thanks:?}");
    assert!(!contains(&thanks, "找到"), "{thanks:?}");
    let next = t.say(COMPANY, "下一页").await;
    assert!(contains(&next, "第 2/"), "still on the results: {next:?}");
}

#[sqlx::test]
async fn an_english_need_says_what_it_was_searched_as(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    t.say(COMPANY, "/start").await;
    t.press(COMPANY, "English").await;
    t.say(
        COMPANY,
        "We want a kitchen exhaust hood that removes oil smoke",
    )
    .await;
    for _ in 0..4 {
        t.say(COMPANY, "1").await; // any industry, region, deal; skip the budget
    }
    let sent = t.sent_to(COMPANY);
    let page = text_of(&sent);
    assert!(
        page.contains("English (or pinyin) words searched as:")
            && page.contains("kitchen exhaust hood → 抽油烟机"),
        "{page}"
    );
    assert!(page.contains("1. ["), "results follow: {page}");
    // Each matched Chinese word is named with the English word it was searched for.
    assert!(
        page.contains("matched: kitchen exhaust hood (抽油烟机)"),
        "{page}"
    );
}

#[sqlx::test]
async fn companies_ratings_show_on_a_patent_imported_without_one(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    let details = text_of(&t.say(COMPANY, "1").await);
    let number = details
        .lines()
        .find_map(|l| l.strip_prefix("专利号："))
        .expect("details name the patent")
        .trim()
        .to_owned();
    // The catalogue had no two-way rating for it; one company rated it 4 after a closed deal.
    sqlx::query(
        "UPDATE patents SET rating_institution = NULL, rating_enterprise = NULL,
                rating_feedback_sum = 4, rating_feedback_count = 1 WHERE number = $1",
    )
    .bind(&number)
    .execute(&pool)
    .await
    .unwrap();
    t.press(COMPANY, "返回结果").await;
    let again = text_of(&t.say(COMPANY, "1").await);
    assert!(again.contains("企业 4/5（高校暂未评价）"), "{again}");
}

#[sqlx::test]
async fn a_forged_press_answers_once_briefly(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    let before = slots(&pool).await;
    for forged in [
        "nonsense",
        "open:1:zzzzzzzz",
        "open:999",
        "lead:accept:abc",
        "fb:up:0",
    ] {
        let pressed = t.forge(COMPANY, forged).await;
        // No message (the results page is not sent again), one short answer on the button.
        assert!(pressed.sent.is_empty(), "{forged}: {:?}", pressed.sent);
        assert!(
            pressed.answer.contains("过期"),
            "{forged}: {}",
            pressed.answer
        );
    }
    assert_eq!(slots(&pool).await, before, "nothing changed");
}

#[sqlx::test]
async fn an_old_pages_button_after_a_new_search_is_expired(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    let old_open = t.offered_data(COMPANY, "详情 1");
    let details = t.press(COMPANY, "详情 1").await;
    let old_title = details[0].text.lines().next().unwrap().to_owned();
    let old_thumb = t.offered_data(COMPANY, "👍 有用");
    // A new need typed on the results page is a new search; its first result is another patent.
    let sent = t.say(COMPANY, "外墙保温一体板的防火性能差").await;
    assert!(contains(&sent, "1. 【"), "{sent:?}");
    assert!(!contains(&sent, &old_title), "{sent:?}");
    for old in [&old_open, &old_thumb] {
        let pressed = t.forge(COMPANY, old).await;
        assert!(pressed.sent.is_empty(), "{old}: {:?}", pressed.sent);
        assert!(pressed.answer.contains("过期"), "{old}: {}", pressed.answer);
    }
    let votes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM usage_events WHERE kind = 'thumb_up'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(votes, 0, "the old page's thumb rated nothing");
    // The new page's own button opens its own first result.
    let sent = t.press(COMPANY, "详情 1").await;
    assert!(contains(&sent, "专利号："), "{sent:?}");
    assert!(!contains(&sent, &old_title), "{sent:?}");
}

#[sqlx::test]
async fn thumbs_are_one_vote_per_person_and_patent(pool: PgPool) {
    let mut t = TestApp::new(&pool).await;
    to_budget(&mut t, NEED).await;
    t.press(COMPANY, "跳过").await;
    t.press(COMPANY, "详情 1").await;
    let vote = |t: &TestApp| {
        let pool = t.pool.clone();
        async move {
            sqlx::query_as::<_, (String, bool)>("SELECT patent_number, up FROM patent_votes")
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    // 👍 five times: counted once, each press answered briefly on the button, no message.
    let first = t.press_answered(COMPANY, "👍 有用").await;
    assert!(first.sent.is_empty(), "{:?}", first.sent);
    assert!(first.answer.contains("谢谢反馈"), "{}", first.answer);
    for _ in 0..4 {
        t.press_answered(COMPANY, "👍 有用").await;
    }
    // (an even number of presses after the first: withdrawn and counted again, twice)
    let votes = vote(&t).await;
    assert_eq!(votes.len(), 1, "{votes:?}");
    assert!(votes[0].1);
    // 👎 after 👍 changes the vote; 👎 again withdraws it.
    let changed = t.press_answered(COMPANY, "👎 不相关").await;
    assert!(changed.answer.contains("已改为"), "{}", changed.answer);
    assert_eq!(vote(&t).await, [(votes[0].0.clone(), false)]);
    let withdrawn = t.press_answered(COMPANY, "👎 不相关").await;
    assert!(withdrawn.answer.contains("已撤回"), "{}", withdrawn.answer);
    assert!(vote(&t).await.is_empty());
    // Another person's vote on the same patent counts on its own; /stats counts votes, not presses.
    t.press_answered(COMPANY, "👍 有用").await;
    let other = COMPANY + 1;
    to_budget_as(&mut t, other).await;
    t.press(other, "详情 1").await;
    for _ in 0..3 {
        t.press_answered(other, "👍 有用").await; // up, withdrawn, up
    }
    let title: String = sqlx::query_scalar("SELECT title FROM patents WHERE number = $1")
        .bind(&votes[0].0)
        .fetch_one(&pool)
        .await
        .unwrap();
    let stats = text_of(&t.say(common::app::ADMIN, "/stats").await);
    let line = stats.lines().find(|l| l.starts_with("点赞票数")).unwrap();
    assert_eq!(line, format!("点赞票数：{title} (2)"), "{stats}");
}
