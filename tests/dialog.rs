//! Dialogs end to end against real PostgreSQL: state surviving a restart, hot reload of a valid and an
//! invalid set, a removed step, a whole console conversation driven through the binary's stdin, and the
//! scripts compiled into the binary (used without a folder, exported for editing).

mod common;

use common::*;
use queqiao::app::{App, Incoming, Reply};
use queqiao::catalog::store::load_demo_if_empty;
use queqiao::matching::{Matcher, Synonyms};
use sqlx::PgPool;
use std::path::Path;
use std::sync::Arc;

const ADMIN: i64 = 42;

fn copy_dialogs(to: &Path) {
    for name in ["bot.toml", "intake.toml", "synonyms.toml", "web.toml"] {
        std::fs::copy(Path::new("dialogs").join(name), to.join(name)).unwrap();
    }
}

async fn runtime(pool: &PgPool, dir: &Path) -> App {
    let matcher = Arc::new(Matcher::load(pool, Synonyms::default()).await.unwrap());
    App::new(dir, pool.clone(), matcher, vec![ADMIN]).unwrap()
}

fn text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| match r {
            Reply::Text(t)
            | Reply::Notice(t)
            | Reply::Buttons { text: t, .. }
            | Reply::Details { text: t, .. } => t.clone(),
            Reply::Results { text, lines, .. } => format!("{text}\n{}", lines.join("\n")),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn say(rt: &App, chat: i64, message: &str) -> String {
    text(
        &rt.handle("console", chat, chat, Incoming::Text(message.into()))
            .await,
    )
}

#[sqlx::test]
async fn a_conversation_survives_a_restart(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let first = runtime(&pool, Path::new("dialogs")).await;
    assert!(say(&first, 5, "/start").await.contains("欢迎"));
    say(&first, 5, "1").await; // 中文
    assert!(say(&first, 5, "硅基负极循环衰减快").await.contains("产业"));
    drop(first);

    // A new process: same database, new runtime, and the conversation goes on where it was.
    let second = runtime(&pool, Path::new("dialogs")).await;
    let reply = say(&second, 5, "不限").await;
    assert!(reply.contains("地区"), "{reply}");
    let state = queqiao::dialog::store::load(&pool, "console", 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.slots["need"], "硅基负极循环衰减快");
    assert_eq!(state.step, "ask_region");
}

#[sqlx::test]
async fn reload_keeps_the_old_scripts_when_the_new_ones_are_broken(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    copy_dialogs(dir.path());
    let rt = runtime(&pool, dir.path()).await;
    say(&rt, ADMIN, "/start").await;
    let before = rt.scripts().version;

    let intake = dir.path().join("intake.toml");
    let good = std::fs::read_to_string(&intake).unwrap();
    std::fs::write(
        &intake,
        good.replace("action = \"search\"", "action = \"serach\""),
    )
    .unwrap();
    assert!(
        say(&rt, 9, "/reload").await.contains("只有管理员"),
        "non-admins are refused"
    );
    let reply = say(&rt, ADMIN, "/reload").await;
    assert!(reply.contains("未重新加载"), "{reply}");
    assert!(
        reply.contains("intake.toml:") && reply.contains("unknown action `serach`"),
        "{reply}"
    );
    assert_eq!(rt.scripts().version, before, "the old set keeps serving");
    assert!(
        say(&rt, ADMIN, "1").await.contains("技术问题"),
        "the bot still answers with the old script"
    );

    // A valid change is picked up at once.
    std::fs::write(&intake, good.replace("请用一两句话描述", "请简单描述")).unwrap();
    assert!(say(&rt, ADMIN, "/reload").await.contains("已重新加载"));
    assert_ne!(rt.scripts().version, before);
    assert!(say(&rt, ADMIN, "/help").await.contains("请简单描述"));
}

#[sqlx::test]
async fn watch_reloads_and_a_removed_step_restarts_the_conversation(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    copy_dialogs(dir.path());
    let rt = Arc::new(runtime(&pool, dir.path()).await);
    let (stop, shutdown) = queqiao::app::tasks::shutdown();
    let watcher = tokio::spawn(queqiao::app::tasks::watch_folder(
        rt.clone(),
        dir.path().to_path_buf(),
        shutdown,
    ));
    say(&rt, 3, "/start").await;
    say(&rt, 3, "1").await;
    say(&rt, 3, "外墙保温一体板防火").await; // now on ask_industry
    let before = rt.scripts().version;

    // Remove the industry question: ask_need now goes straight to the region.
    let intake = dir.path().join("intake.toml");
    let text = std::fs::read_to_string(&intake).unwrap();
    let start = text.find("[[step]]\nid = \"ask_industry\"").unwrap();
    let end = text[start..].find("[[step]]\nid = \"ask_region\"").unwrap() + start;
    let edited =
        format!("{}{}", &text[..start], &text[end..]).replace("\"ask_industry\"", "\"ask_region\"");
    std::fs::write(&intake, edited).unwrap();
    let mut reloaded = false;
    for _ in 0..50 {
        if rt.scripts().version != before {
            reloaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reloaded, "--watch did not pick up the change");
    let reply = say(&rt, 3, "1").await;
    assert!(reply.contains("从头开始"), "{reply}");
    // The one shutdown signal ends the watcher.
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(3), watcher)
        .await
        .expect("the watcher stops on shutdown")
        .unwrap();
}

/// Runs `queqiao chat --demo` with the given stdin and returns stdout.
fn chat(url: &str, user: &str, input: &str) -> String {
    let out = common::run_chat(url, user, &["--demo"], &[], input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[sqlx::test]
async fn a_whole_console_conversation_in_chinese_and_english(pool: PgPool) {
    let url = database_url(&pool);
    // The numbers the screen shows: 中文; the need; industry, region, licence "any"; budget "[1] 跳过";
    // then "[6] 下一页" and result 7 by its own number on page 2.
    let out = chat(
        &url,
        "7",
        "1\n您好，我们是做锂电池的小厂，硅基负极循环衰减快，想找改进方案\n1\n1\n1\n1\n6\n7\n",
    );
    assert!(out.contains("欢迎使用鹊桥"), "{out}");
    assert!(
        out.contains("第 1/") && out.contains("一种负极材料"),
        "results from the demo catalogue: {out}"
    );
    assert!(
        out.contains("匹配：") && out.contains("硅基"),
        "explanations: {out}"
    );
    assert!(out.contains("第 2/"), "paged forward: {out}");
    assert!(
        out.contains("专利号：") && out.contains("摘要："),
        "details view: {out}"
    );
    let seventh = out
        .lines()
        .find_map(|l| l.strip_prefix("7. 【"))
        .and_then(|l| l.split_once('】'))
        .map(|(_, rest)| rest.split('（').next().unwrap_or(rest).to_owned())
        .unwrap_or_else(|| panic!("no result 7: {out}"));
    let details = out.split("[7] 详情 7").nth(1).unwrap_or_default();
    assert!(
        details.contains(&format!("\n{seventh}\n专利号：")),
        "\"7\" on page 2 opened result 7 ({seventh}): {details}"
    );

    // The same user comes back later and switches to English: the conversation continues.
    let out = chat(&url, "7", "/lang en\n2\n");
    assert!(out.contains("Switched to English"), "{out}");
    assert!(
        out.contains("Page 2 of") || out.contains("Page 1 of"),
        "{out}"
    );

    // An English-speaking user from the start.
    let out = chat(
        &url,
        "8",
        "2\nlithium battery silicon anode capacity fade\n1\n1\n1\nskip\n1\n",
    );
    assert!(out.contains("Please describe"), "{out}");
    assert!(
        out.contains("Number:") && out.contains("Abstract:"),
        "{out}"
    );
    // The industry, status and deal lines are in English (the patent's own texts stay Chinese).
    for field in ["Industry: ", "Available as: "] {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .unwrap_or_else(|| panic!("{field}{out}"));
        assert!(line.is_ascii(), "{field}{line}");
    }
    // The catalogue's catch-all industry (其他) too, though it is no filter choice.
    let out = chat(
        &url,
        "8",
        "/start\n2\n配电盘内部使用的母线结构\n1\n1\n1\nskip\n1\n",
    );
    assert!(out.contains("Industry: Other"), "{out}");
}

/// The whole enquiry round trip on one machine: `queqiao invite`, then a contact and a company in two
/// console sessions (the real binary), the lead, the acceptance and the company's `/my`.
#[sqlx::test]
async fn an_enquiry_round_trip_between_two_consoles(pool: PgPool) {
    let url = database_url(&pool);
    queqiao::catalog::store::load_demo_if_empty(&pool)
        .await
        .unwrap();
    let code = common::queqiao_ok(&url, ["invite", "嘉陵理工大学"])
        .trim()
        .to_owned();
    assert_eq!(code.len(), 10, "{code}");
    let unknown = common::queqiao(&url, ["invite", "不存在的大学"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("不存在的大学"));
    // A short form of a name gets the nearest names suggested.
    let short = common::queqiao(&url, ["invite", "嘉陵理工"]);
    let said = String::from_utf8_lossy(&short.stderr);
    assert!(
        !short.status.success() && said.contains("did you mean: 嘉陵理工大学"),
        "{said}"
    );

    let out = chat(&url, "900", &format!("/register {code}\n"));
    assert!(out.contains("嘉陵理工大学的技术转移联系人"), "{out}");

    // The company: search, details of the first result (嘉陵理工大学's 一种负极材料), enquire, consent.
    let out = chat(
        &url,
        "7",
        "1\n硅基负极循环衰减快，想找改进方案\n1\n1\n1\n跳过\n1\n1\n1\n重庆某某电池有限公司\n张三\n13800000000\n想用于动力电池负极\n1\n1\n",
    );
    assert!(
        out.contains("个人信息说明") && out.contains("同意发送吗"),
        "{out}"
    );
    assert!(out.contains("已发往嘉陵理工大学"), "{out}");

    // The contact sees the lead (no phone number yet), accepts, and gets the company's details.
    let out = chat(&url, "900", "/leads\n1\n");
    assert!(
        out.contains("新的合作咨询") && out.contains("重庆某某电池有限公司"),
        "{out}"
    );
    assert!(
        out.contains("13800000000"),
        "details after acceptance: {out}"
    );
    let before_accept = out.split("已接受咨询").next().unwrap();
    assert!(!before_accept.contains("13800000000"), "{out}");

    // The company hears about it and sees the status.
    let out = chat(&url, "7", "/my\n");
    assert!(
        out.contains("已送达") && out.contains("好消息") && out.contains("已接受"),
        "{out}"
    );

    // The contact closes it; the company, back later, sees the rating request first. A number the
    // request does not offer is answered with the ones it does, and the request stays answerable.
    let out = chat(&url, "900", "/leads\n1\n");
    assert!(out.contains("[1] 结束"), "{out}");
    let out = chat(&url, "7", "7\n5\n3\n");
    let request = out.find("打分").unwrap_or_else(|| panic!("{out}"));
    assert!(
        request < out.find("这条消息的选项是：1, 2, 3, 4, 5").unwrap_or(0),
        "{out}"
    );
    assert!(out.contains("谢谢您的评价"), "{out}");
    assert!(
        !out.contains("选项是：。"),
        "no empty list of options: {out}"
    );
    let rating: Option<i16> = sqlx::query_scalar("SELECT rating FROM enterprise_ratings")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rating, Some(5));
}

/// A press answered with a brief notice (👎 recorded) leaves the options on screen as they were, as
/// Telegram leaves a message's buttons: the next number is one of those, not of an older menu.
#[sqlx::test]
async fn numbers_after_a_notice_press_the_options_still_on_screen(pool: PgPool) {
    let url = database_url(&pool);
    // 中文, the need, three filters, skip the budget, details of 5, then [4] 👎 and [2] 返回结果.
    let out = chat(
        &url,
        "9",
        "1\n硅基负极循环衰减快，想找改进方案\n1\n1\n1\n1\n5\n4\n2\n",
    );
    assert!(out.contains("  [4] 👎 不相关"), "{out}");
    let after = out
        .split("已记下")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    // The options are shown again under the notice: the user sees what the numbers press.
    let (notice, rest) = after
        .split_once("第 1/")
        .unwrap_or_else(|| panic!("{after}"));
    assert!(notice.contains("  [2] 返回结果"), "{notice}");
    assert!(rest.contains("详情"), "back to the results: {after}");
    assert!(!after.contains("专利号："), "no details opened: {after}");
}

/// `--lang en` on a new conversation: the greeting in English and the language question answered.
#[sqlx::test]
async fn a_console_started_in_english_asks_for_the_need_in_english(pool: PgPool) {
    let url = database_url(&pool);
    let run = common::run_chat(&url, "12", &["--demo", "--lang", "en"], &[], "");
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    // Routine logs stay out of the terminal the conversation is in (warnings would still show).
    let logs = String::from_utf8_lossy(&run.stderr);
    assert!(!logs.contains("INFO"), "{logs}");
    assert!(out.contains("Hello! Welcome to Queqiao"), "{out}");
    assert!(out.contains("Please describe"), "{out}");
    assert!(
        !out.contains("欢迎") && !out.contains("choose a language"),
        "{out}"
    );
}

/// `dialogs check` (the binary) refuses a placeholder that is not set on every way to its step: the
/// patent's title in the first question, before any enquiry was prepared.
/// `queqiao dialogs check` on a copy of the shipped scripts with the first question's opening words
/// replaced: it must fail; returns what it printed.
fn check_with_first_question(replacement: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    copy_dialogs(dir.path());
    let intake = dir.path().join("intake.toml");
    let text = std::fs::read_to_string(&intake).unwrap();
    let edited = text.replacen("请用一两句话描述", replacement, 1);
    assert_ne!(edited, text);
    std::fs::write(&intake, edited).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(["dialogs", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{stderr}");
    stderr
}

#[test]
fn dialogs_check_flags_a_placeholder_not_available_at_its_step() {
    let stderr = check_with_first_question("关于{title}，请用一两句话描述");
    assert!(
        stderr.contains("step `ask_need` prompt uses {title}, which is not set on every way"),
        "{stderr}"
    );
}

#[test]
fn dialogs_check_refuses_a_text_longer_than_one_message() {
    let stderr = check_with_first_question(&"长".repeat(5000));
    assert!(
        stderr.contains("intake.toml:") && stderr.contains("more than one message holds (4096)"),
        "{stderr}"
    );
}

/// `queqiao chat --demo` for a new `user` in `dir` (stdin closed at once): what it printed.
fn greeting_in(dir: &Path, db_url: &str, user: &str, dialogs_dir: Option<&Path>) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"));
    command
        .args(["chat", "--demo", "--user", user])
        .current_dir(dir)
        .env("DATABASE_URL", db_url)
        .env_remove("DIALOGS_DIR")
        .stdin(std::process::Stdio::null());
    if let Some(d) = dialogs_dir {
        command.env("DIALOGS_DIR", d);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The release binary runs anywhere: with no `dialogs/` folder beside it, the compiled-in scripts greet;
/// `dialogs export` writes them out (never over a file unless --force), `dialogs check` accepts the
/// copy, and `DIALOGS_DIR` naming an edited copy changes what the bot says.
#[sqlx::test]
async fn built_in_dialogs_greet_and_an_exported_edited_copy_takes_over(pool: PgPool) {
    let db_url = database_url(&pool);
    let empty = tempfile::tempdir().unwrap();
    let greeting = greeting_in(empty.path(), &db_url, "1", None);
    assert!(greeting.contains("欢迎使用鹊桥"), "{greeting}");

    let work = tempfile::tempdir().unwrap();
    let queqiao = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
            .args(args)
            .current_dir(work.path())
            .env_remove("DIALOGS_DIR")
            .output()
            .unwrap()
    };
    let out = queqiao(&["dialogs", "export", "mine"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for name in ["bot.toml", "intake.toml", "synonyms.toml"] {
        assert!(stdout.contains(&format!("wrote mine/{name}")), "{stdout}");
        assert_eq!(
            std::fs::read_to_string(work.path().join("mine").join(name)).unwrap(),
            std::fs::read_to_string(Path::new("dialogs").join(name)).unwrap()
        );
    }
    let out = queqiao(&["dialogs", "check", "mine"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let intake = work.path().join("mine/intake.toml");
    let text = std::fs::read_to_string(&intake).unwrap();
    std::fs::write(&intake, text.replace("欢迎使用鹊桥", "欢迎光临改过的鹊桥")).unwrap();
    let out = queqiao(&["dialogs", "export", "mine"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("already exist") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(std::fs::read_to_string(&intake).unwrap().contains("改过的"));

    let greeting = greeting_in(empty.path(), &db_url, "2", Some(&work.path().join("mine")));
    assert!(greeting.contains("欢迎光临改过的鹊桥"), "{greeting}");
    let out = queqiao(&["dialogs", "export", "--force", "mine"]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&intake)
            .unwrap()
            .contains("欢迎使用鹊桥")
    );
}

/// `dialogs check` covers the web console's texts (`web.toml`) too: a placeholder the console does not
/// fill and a missing text are each named with file and line.
#[test]
fn dialogs_check_validates_the_console_texts() {
    let dir = tempfile::tempdir().unwrap();
    copy_dialogs(dir.path());
    let web = dir.path().join("web.toml");
    let text = std::fs::read_to_string(&web).unwrap();
    let edited = text
        .replacen("请先填写内容。", "请先填写{need}。", 1)
        .lines()
        .filter(|l| !l.starts_with("back ="))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&web, edited).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(["dialogs", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let line = text
        .lines()
        .position(|l| l.starts_with("empty_text ="))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!(
            "web.toml:{line}: text `empty_text` (zh) uses placeholder {{need}}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("web.toml:1: text `back` is missing"),
        "{stderr}"
    );
}
