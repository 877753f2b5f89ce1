//! Operator features against real PostgreSQL: saved needs pushed once per new matching patent and never
//! past the weekly cap, exact statistics on a seeded history, admin commands refused to non-admins and
//! audited for admins, `/forget` leaving no personal field behind, and logs free of personal data.

mod common;

use queqiao::app::{App, Incoming, Reply};
use queqiao::catalog::PatentRecord;
use queqiao::catalog::import::ImportOptions;
use queqiao::catalog::store::load_demo_if_empty;
use queqiao::matching::{Matcher, Synonyms};
use queqiao::operators::{analytics, subscriptions};
use sqlx::PgPool;
use std::sync::Arc;

const CHANNEL: &str = "console";
const ADMIN: i64 = 1;

async fn runtime(pool: &PgPool) -> App {
    load_demo_if_empty(pool).await.unwrap();
    let matcher = Arc::new(Matcher::load(pool, Synonyms::default()).await.unwrap());
    App::new(
        std::path::Path::new("dialogs"),
        pool.clone(),
        matcher,
        vec![ADMIN],
    )
    .unwrap()
    .with_admin_channel(CHANNEL)
}

fn text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(Reply::plain_text)
        .collect::<Vec<_>>()
        .join("\n")
}

fn ids(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .flat_map(|r| r.buttons().iter().map(|b| b.id.clone()))
        .collect()
}

async fn say(rt: &App, chat: i64, message: &str) -> Vec<Reply> {
    rt.handle(CHANNEL, chat, chat, Incoming::Text(message.into()))
        .await
}

async fn press(rt: &App, chat: i64, id: &str) -> Vec<Reply> {
    rt.handle(CHANNEL, chat, chat, Incoming::Choice(id.into()))
        .await
}

/// A company searches for `need` (all filters any) and sees results.
async fn search(rt: &App, chat: i64, need: &str) -> Vec<Reply> {
    say(rt, chat, "/start").await;
    press(rt, chat, "c:zh").await;
    say(rt, chat, need).await;
    for _ in 0..3 {
        press(rt, chat, "c:any").await;
    }
    press(rt, chat, "skip").await
}

/// New patents made from a demo patent's text, under new numbers.
async fn import_variants(pool: &PgPool, of_title: &str, numbers: &[&str], title_suffix: &str) {
    let base = common::sample_patents()
        .into_iter()
        .find(|p| p.title == of_title)
        .unwrap();
    let records: Vec<PatentRecord> = numbers
        .iter()
        .map(|n| PatentRecord {
            number: (*n).to_owned(),
            title: format!("{}{title_suffix}", base.title),
            ..base.clone()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "new.jsonl", common::jsonl(&records));
    let reports = common::import(pool, &[path], &ImportOptions::default()).await;
    assert!(reports[0].committed, "{:?}", reports[0]);
}

async fn pushes(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT patent_number FROM subscription_pushes ORDER BY patent_number")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_saved_need_is_pushed_once_per_new_patent_within_the_weekly_cap(pool: PgPool) {
    let rt = runtime(&pool).await;
    let results = search(&rt, 7, "锂电池硅基负极循环衰减快，有没有改进方案").await;
    assert!(
        ids(&results).contains(&"subscribe".to_owned()),
        "{results:?}"
    );
    assert!(text(&press(&rt, 7, "subscribe").await).contains("已保存"));
    press(&rt, 7, "subscribe").await; // saving the same need twice keeps one
    let saved = text(&say(&rt, 7, "/subscriptions").await);
    assert_eq!(saved.matches("#").count(), 1, "{saved}");

    // Nothing new yet: no push.
    rt.matcher().refresh(&pool, true).await.unwrap();
    assert_eq!(
        subscriptions::push_new_matches(&rt.context(), 2)
            .await
            .unwrap(),
        0
    );

    // Three new patents that match, and one that does not.
    import_variants(
        &pool,
        "一种负极材料",
        &["CN900000001A", "CN900000002A", "CN900000003A"],
        "（改进型）",
    )
    .await;
    let unrelated = common::sample_patents()
        .into_iter()
        .find(|p| p.title.contains("保温"))
        .unwrap()
        .title;
    import_variants(&pool, &unrelated, &["CN900000004A"], "（新）").await;
    rt.matcher().refresh(&pool, true).await.unwrap();
    assert_eq!(
        subscriptions::push_new_matches(&rt.context(), 2)
            .await
            .unwrap(),
        2,
        "the weekly cap is 2"
    );
    assert_eq!(
        subscriptions::push_new_matches(&rt.context(), 2)
            .await
            .unwrap(),
        0,
        "each change is looked at once"
    );
    let pushed = pushes(&pool).await;
    assert_eq!(pushed.len(), 2);
    assert!(
        pushed
            .iter()
            .all(|n| n.starts_with("CN90000000") && n != "CN900000004A"),
        "{pushed:?}"
    );

    // The push reaches the company with a one-tap unsubscribe.
    let waiting = queqiao::outbox::take(&pool, CHANNEL, 7).await.unwrap();
    assert_eq!(waiting.len(), 2);
    assert!(
        waiting[0].0.text.contains("新专利匹配您的需求"),
        "{:?}",
        waiting[0]
    );
    // The notice opens its patent with one tap, and unsubscribes with another.
    let ids: Vec<&str> = waiting[0].0.buttons.iter().map(|b| b.id.as_str()).collect();
    assert!(ids[0].starts_with("patent:CN90000000"), "{ids:?}");
    let unsub = ids[1].to_owned();
    assert!(unsub.starts_with("unsub:"));
    // Opening the pushed patent shows its details, from which the company can enquire.
    let opened = press(&rt, 7, ids[0]).await;
    assert!(text(&opened).contains("专利号：CN90000000"), "{opened:?}");
    let enquire = opened[0].buttons()[0].id.clone();
    assert!(enquire.starts_with("enquire-patent:"), "{enquire}");
    assert!(text(&press(&rt, 7, &enquire).await).contains("个人信息说明"));

    // With a higher cap, the third arrives; an already pushed patent that changes is not pushed again.
    import_variants(&pool, "一种负极材料", &["CN900000001A"], "（再改进）").await;
    rt.matcher().refresh(&pool, true).await.unwrap();
    assert_eq!(
        subscriptions::push_new_matches(&rt.context(), 10)
            .await
            .unwrap(),
        0,
        "already pushed"
    );
    sqlx::query("UPDATE subscription_cursor SET change_seq = change_seq - 1000")
        .execute(&pool)
        .await
        .unwrap();
    rt.matcher().refresh(&pool, true).await.unwrap();
    assert_eq!(
        subscriptions::push_new_matches(&rt.context(), 10)
            .await
            .unwrap(),
        1,
        "the third one, once"
    );
    assert_eq!(pushes(&pool).await.len(), 3);

    // Another company cannot remove it; the owner can.
    assert!(text(&press(&rt, 8, &unsub).await).contains("过期"));
    assert!(text(&press(&rt, 7, &unsub).await).contains("已取消订阅"));
    assert!(text(&say(&rt, 7, "/subscriptions").await).contains("还没有保存"));
}

#[sqlx::test]
async fn statistics_on_a_seeded_history_are_exact(pool: PgPool) {
    let rt = runtime(&pool).await;
    // Usage: three needs, two with no good match (one of them old), results shown and opened, thumbs.
    sqlx::query(
        "INSERT INTO usage_events (at, kind, patent_number, institution, industry, terms) VALUES
         ('2026-03-01', 'search', NULL, NULL, NULL, '{外墙,保温}'),
         ('2026-03-01', 'no_match', NULL, NULL, NULL, '{外墙,保温}'),
         ('2025-01-01', 'search', NULL, NULL, NULL, '{钛合金}'),
         ('2025-01-01', 'no_match', NULL, NULL, NULL, '{钛合金}'),
         ('2026-03-02', 'search', NULL, NULL, NULL, '{负极,硅基}'),
         ('2026-03-02', 'shown', 'CN100000001A', '甲大学', '先进材料', NULL),
         ('2026-03-02', 'shown', 'CN100000001A', '甲大学', '先进材料', NULL),
         ('2026-03-02', 'shown', 'CN100000002A', '乙大学', '先进材料', NULL),
         ('2026-03-02', 'details', 'CN100000002A', '乙大学', '先进材料', NULL),
         ('2026-03-02', 'thumb_down', 'CN100000001A', '甲大学', '先进材料', NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Votes (one per user and patent; the thumb press above, from before votes, is not counted): two
    // users down on patent 1, one up on patent 2, and an old vote before the period.
    sqlx::query(
        "INSERT INTO patent_votes (channel, user_id, patent_number, institution, up, at) VALUES
         ('telegram', 11, 'CN100000001A', '甲大学', false, '2026-03-02'),
         ('telegram', 12, 'CN100000001A', '甲大学', false, '2026-03-03'),
         ('telegram', 11, 'CN100000002A', '乙大学', true, '2026-03-02'),
         ('telegram', 13, 'CN100000002A', '乙大学', false, '2025-01-01')",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Enquiries with known answer times: A accepted 2 h after delivery, B declined after 4 h, C open.
    let (inst, name): (i64, String) =
        sqlx::query_as("SELECT id, name FROM institutions ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (number, industry): (String, String) =
        sqlx::query_as("SELECT number, industry FROM patents WHERE institution_id = $1 LIMIT 1")
            .bind(inst)
            .fetch_one(&pool)
            .await
            .unwrap();
    for (chat, history) in [
        (
            1,
            vec![
                ("submitted", 0),
                ("forwarded", 0),
                ("delivered", 1),
                ("accepted", 3),
            ],
        ),
        (
            2,
            vec![
                ("submitted", 0),
                ("forwarded", 0),
                ("delivered", 1),
                ("declined", 5),
            ],
        ),
        (
            3,
            vec![("submitted", 0), ("forwarded", 0), ("delivered", 1)],
        ),
    ] {
        let status = history.last().unwrap().0;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO enquiries (patent_number, institution_id, channel, chat_id, company, person, contact, message, mode, status, created_at)
             VALUES ($1, $2, 'console', $3, 'c', 'p', '@x', 'm', 'license', $4, '2026-03-05') RETURNING id",
        )
        .bind(&number).bind(inst).bind(chat).bind(status)
        .fetch_one(&pool).await.unwrap();
        for (status, hours) in history {
            sqlx::query("INSERT INTO enquiry_events (enquiry_id, status, at) VALUES ($1, $2, '2026-03-05'::timestamptz + make_interval(hours => $3))")
                .bind(id).bind(status).bind(hours).execute(&pool).await.unwrap();
        }
    }
    let since = chrono::NaiveDate::from_ymd_opt(2026, 1, 1);
    let s = analytics::stats(&pool, since, None).await.unwrap();
    assert_eq!((s.needs, s.no_good_match), (2, 1));
    assert_eq!(
        s.unmet_terms,
        vec![("保温".to_owned(), 1), ("外墙".to_owned(), 1)]
    );
    assert_eq!((s.results_shown, s.details_opened), (3, 1));
    assert_eq!(
        s.enquiries_by_status,
        [("accepted", 1), ("declined", 1), ("delivered", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    );
    assert_eq!(s.acceptance_rate, Some(0.5));
    assert_eq!(
        s.median_first_response_hours,
        vec![(name.clone(), 3.0)],
        "median of 2 h and 4 h"
    );
    assert_eq!(s.top_industries, vec![(industry, 3)]);
    assert_eq!(s.top_institutions, vec![(name.clone(), 3)]);
    assert_eq!(s.shown_never_opened, vec![("CN100000001A".to_owned(), 2)]);
    assert_eq!(s.thumbs_down, vec![("CN100000001A".to_owned(), 2)]);
    assert_eq!(s.thumbs_up, vec![("CN100000002A".to_owned(), 1)]);
    // All time counts the old need too.
    let all = analytics::stats(&pool, None, None).await.unwrap();
    assert_eq!((all.needs, all.no_good_match), (3, 2));
    // One institution's view: its own patents' figures and its enquiries.
    let own = analytics::stats(&pool, since, Some("乙大学"))
        .await
        .unwrap();
    assert_eq!((own.results_shown, own.details_opened), (1, 1));
    assert_eq!(
        (own.thumbs_up, own.thumbs_down),
        (vec![("CN100000002A".to_owned(), 1)], vec![])
    );
    assert!(own.enquiries_by_status.is_empty());
    // The same figures through the command line, as JSON.
    let out = common::queqiao_ok(
        &common::database_url(&pool),
        ["stats", "--since", "2026-01-01", "--json"],
    );
    let json: analytics::Stats = serde_json::from_str(&out).unwrap();
    assert_eq!(json, s);
    // And in the chat, for the admin: in the admin's language, statuses in words.
    let chat = text(&say(&rt, ADMIN, "/stats").await);
    assert!(
        chat.contains("接受率：50%") && chat.contains("已接受"),
        "{chat}"
    );
    assert!(!chat.contains("accepted"), "no status codes: {chat}");
    drop(rt);
}

#[sqlx::test]
async fn admin_commands_are_refused_to_others_and_audited(pool: PgPool) {
    let rt = runtime(&pool).await;
    let stranger = 42;
    for command in ["/reload", "/invite 嘉陵理工大学", "/outbox"] {
        let reply = text(&say(&rt, stranger, command).await);
        assert!(reply.contains("只有管理员"), "{command}: {reply}");
    }
    assert!(text(&say(&rt, stranger, "/stats").await).contains("只有管理员和已登记的高校联系人"));
    // Help lists the admin commands to admins only.
    let help = text(&say(&rt, stranger, "/help").await);
    assert!(!help.contains("/invite"), "{help}");
    // What a result's score means is in the help (trial users asked the bot).
    assert!(
        help.contains("分数") && help.contains("不代表专利的质量"),
        "{help}"
    );
    assert!(text(&say(&rt, ADMIN, "/help").await).contains("管理员命令：/invite"));
    assert!(text(&press(&rt, stranger, "retry:1").await).contains("只有管理员"));
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 0, "refused attempts are not admin actions");

    // The admin: each command works and leaves an audit row.
    assert!(text(&say(&rt, ADMIN, "/reload").await).contains("已重新加载"));
    assert!(text(&say(&rt, ADMIN, "/invite 嘉陵理工大学").await).contains("邀请码"));
    // A short or mistyped name: the nearest names, so the admin can copy the right one.
    let typo = text(&say(&rt, ADMIN, "/invite 嘉陵理工").await);
    assert!(typo.contains("您是不是要找：嘉陵理工大学"), "{typo}");
    let none = text(&say(&rt, ADMIN, "/invite 火星").await);
    assert!(
        none.contains("没有名为") && !none.contains("是不是"),
        "{none}"
    );
    assert!(text(&say(&rt, ADMIN, "/stats").await).contains("收到需求"));
    // A dead letter, listed and retried.
    let mut conn = pool.acquire().await.unwrap();
    let id = queqiao::outbox::enqueue(
        &mut conn,
        "telegram",
        5,
        &queqiao::outbox::Message::text("x"),
        None,
    )
    .await
    .unwrap();
    queqiao::outbox::mark_failed(
        &mut conn,
        id,
        "Forbidden: bot was blocked by the user",
        None,
    )
    .await
    .unwrap();
    let listed = say(&rt, ADMIN, "/outbox").await;
    assert!(text(&listed).contains("blocked"), "{listed:?}");
    assert_eq!(ids(&listed), [format!("retry:{id}")]);
    assert!(text(&press(&rt, ADMIN, &format!("retry:{id}")).await).contains("重新排队"));
    let dead: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT dead_at FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(dead.is_none());
    let actions: Vec<(i64, String)> =
        sqlx::query_as("SELECT user_id, action FROM audit_log ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let names: Vec<&str> = actions.iter().map(|(_, a)| a.as_str()).collect();
    // Every attempt is audited, the two mistyped invites too.
    assert_eq!(
        names,
        [
            "reload",
            "invite",
            "invite",
            "invite",
            "stats",
            "outbox",
            "outbox_retry"
        ]
    );
    assert!(actions.iter().all(|(u, _)| *u == ADMIN));
}

/// Every text column of every table, as JSON, with `needle` in it.
async fn rows_containing(pool: &PgPool, needle: &str) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{table}\" t WHERE row_to_json(t)::text LIKE '%' || $1 || '%'"
        ))
        .bind(needle)
        .fetch_one(pool)
        .await
        .unwrap();
        if n > 0 {
            found.push(table);
        }
    }
    found
}

#[sqlx::test]
async fn forget_leaves_no_personal_field_behind(pool: PgPool) {
    let rt = runtime(&pool).await;
    let company = 77;
    // A need with a phone number typed into it: the number must not survive in the statistics.
    search(
        &rt,
        company,
        "硅负极材料循环衰减快，有没有改进方案，电话13912345678",
    )
    .await;
    press(&rt, company, "subscribe").await;
    press(&rt, company, "open:1").await;
    assert!(text(&press(&rt, company, "fb:up:1").await).contains("谢谢反馈"));
    assert!(
        text(&press(&rt, company, "fb:up:99").await).contains("过期"),
        "a forged rank"
    );
    let votes = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM patent_votes WHERE user_id = $1")
            .bind(company)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(votes().await, 1);
    press(&rt, company, "enquire:1").await;
    press(&rt, company, "c:agree").await;
    say(&rt, company, "独一无二测试公司").await;
    say(&rt, company, "赵独一").await;
    say(&rt, company, "13912345678").await;
    let modes = say(&rt, company, "独一无二的留言内容").await;
    press(&rt, company, &modes[0].buttons()[0].id).await;
    let sent = text(&press(&rt, company, "c:yes").await);
    assert!(sent.contains("咨询 #"), "{sent}");
    for needle in [
        "独一无二测试公司",
        "赵独一",
        "13912345678",
        "独一无二的留言内容",
    ] {
        assert!(
            !rows_containing(&pool, needle).await.is_empty(),
            "{needle} is stored before /forget"
        );
    }
    // /forget asks first: saying no deletes nothing.
    let asked = say(&rt, company, "/forget").await;
    assert!(text(&asked).contains("确定要删除"), "{asked:?}");
    let ids: Vec<&str> = asked[0].buttons().iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["forget:yes", "forget:no"]);
    assert!(text(&press(&rt, company, "forget:no").await).contains("没有删除"));
    assert!(!rows_containing(&pool, "赵独一").await.is_empty());
    say(&rt, company, "/forget").await;
    let reply = text(&press(&rt, company, "forget:yes").await);
    assert!(reply.contains("已删除您的个人信息"), "{reply}");
    for needle in [
        "独一无二测试公司",
        "赵独一",
        "13912345678",
        "独一无二的留言内容",
        "锂电池硅基负极",
    ] {
        let left = rows_containing(&pool, needle).await;
        assert!(left.is_empty(), "{needle} is still in {left:?}");
    }
    let (kept, chats): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE chat_id = $1) FROM enquiries")
            .bind(company)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (kept, chats),
        (1, 0),
        "the anonymous enquiry stays for the statistics"
    );
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(events > 0, "anonymous usage statistics stay");
    assert_eq!(votes().await, 0, "the votes of whoever forgot go too");
    assert!(
        queqiao::dialog::store::load(&pool, CHANNEL, company)
            .await
            .unwrap()
            .is_none()
    );
}

#[sqlx::test]
async fn personal_data_never_reaches_the_logs(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    // Search, details of 1, enquire, privacy notice, the details, licence, consent, then /forget.
    let out = common::run_chat(
        &common::database_url(&pool),
        "5",
        &[],
        &[("RUST_LOG", "trace")],
        "1\n硅基负极循环衰减快\n1\n1\n1\n跳过\n1\n1\n1\n保密测试有限公司\n钱保密\n13700001111\n保密的留言\n1\n1\n/forget\n1\n",
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("同意发送吗") && stdout.contains("已删除"),
        "{stdout}"
    );
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.len() > 1000,
        "trace logging was on: {} bytes",
        logs.len()
    );
    for needle in ["保密测试有限公司", "钱保密", "13700001111", "保密的留言"] {
        assert!(!logs.contains(needle), "{needle} appeared in the logs");
    }
}

#[sqlx::test]
async fn words_of_chat_are_not_unmet_demand(pool: PgPool) {
    common::with_institutions(&pool, tempfile::tempdir().unwrap().path()).await;
    let mut conn = pool.acquire().await.unwrap();
    let words: Vec<String> = ["老板", "您好", "重庆", "成都市", "钛合金", "钛合金"]
        .map(String::from)
        .to_vec();
    analytics::record(&mut conn, analytics::Kind::NoMatch, None, None, &words)
        .await
        .unwrap();
    let s = analytics::stats(&pool, None, None).await.unwrap();
    assert_eq!(s.unmet_terms, [("钛合金".to_owned(), 2)]);
}
