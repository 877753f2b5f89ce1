//! The real `queqiao serve` binary against a fake Bot API on 127.0.0.1: several conversations, a kill -9
//! in the middle, a restart (nothing lost, nothing handled twice), then a graceful stop on SIGTERM.

mod common;

use common::free_port;

use common::fake_telegram::{self as fake_api, message, press, sent_starting_with, sent_to, texts};
use queqiao::catalog::store::load_demo_if_empty;
use serde_json::Value;
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHATS: i64 = 8;

/// The updates of one company's conversation, up to its results.
fn conversation(chat: i64, first_id: i64) -> Vec<Value> {
    let steps: Vec<Box<dyn Fn(i64) -> Value>> = vec![
        Box::new(move |id| message(id, chat, "/start")),
        Box::new(move |id| press(id, chat, "c:zh")),
        Box::new(move |id| message(id, chat, "锂电池硅基负极循环衰减快，有没有改进方案")),
        Box::new(move |id| press(id, chat, "c:any")),
        Box::new(move |id| press(id, chat, "c:any")),
        Box::new(move |id| press(id, chat, "c:any")),
        Box::new(move |id| press(id, chat, "skip")),
    ];
    steps
        .iter()
        .enumerate()
        .map(|(i, f)| f(first_id + i as i64 * CHATS))
        .collect()
}

fn start(db_url: &str, api: &str, port: u16) -> Child {
    command(db_url, api, port)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn command(db_url: &str, api: &str, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_queqiao"));
    command
        .args(["serve", "--poll-timeout", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", db_url)
        .env("TELOXIDE_TOKEN", "123:TEST")
        .env("TELOXIDE_API_URL", api)
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("SEND_PER_SECOND", "1000")
        .env("SEND_CHAT_INTERVAL_MS", "0");
    command
}

async fn wait_ready(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "serve never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Waits (up to 30 s) until at least `n` updates are handled.
async fn wait_handled(pool: &PgPool, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(
        pool,
        "SELECT count(*) FROM telegram_updates WHERE processed_at IS NOT NULL",
    )
    .await
        < n
    {
        assert!(Instant::now() < deadline, "fewer than {n} updates handled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[sqlx::test]
async fn serve_survives_kill_9_and_stops_on_sigterm(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let db_url = common::database_url(&pool);
    let (fake, api) = fake_api::start().await;
    let port = free_port();
    let updates: Vec<Vec<Value>> = (0..CHATS).map(|c| conversation(1000 + c, 1 + c)).collect();
    let total = updates.iter().map(Vec::len).sum::<usize>() as i64;
    // The first three steps of every conversation, then the rest while the process is busy.
    let (first, rest): (Vec<Value>, Vec<Value>) = {
        let mut all: Vec<(usize, Value)> = updates
            .iter()
            .flat_map(|u| u.iter().cloned().enumerate())
            .collect();
        all.sort_by_key(|(_, u)| u["update_id"].as_i64());
        let (a, b): (Vec<_>, Vec<_>) = all.into_iter().partition(|(i, _)| *i < 3);
        (
            a.into_iter().map(|x| x.1).collect(),
            b.into_iter().map(|x| x.1).collect(),
        )
    };
    fake.lock().unwrap().updates.extend(first);

    let mut serve = start(&db_url, &api, port);
    wait_ready(port, &mut serve).await;
    wait_handled(&pool, 8).await;
    fake.lock().unwrap().updates.extend(rest);
    tokio::time::sleep(Duration::from_millis(60)).await;
    serve.kill().unwrap(); // SIGKILL: no chance to clean up
    serve.wait().unwrap();
    let at_kill = count(
        &pool,
        "SELECT count(*) FROM telegram_updates WHERE processed_at IS NOT NULL",
    )
    .await;

    let mut serve = start(&db_url, &api, port);
    wait_ready(port, &mut serve).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let processed = count(
            &pool,
            "SELECT count(*) FROM telegram_updates WHERE processed_at IS NOT NULL",
        )
        .await;
        let unsent = count(&pool, "SELECT count(*) FROM outbox WHERE sent_at IS NULL").await;
        if processed == total && unsent == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stuck at {processed}/{total} updates, {unsent} unsent (killed at {at_kill})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Nothing lost, nothing handled twice: every update was committed exactly once, without error.
    let rows: Vec<(i64, i32, Option<String>)> = sqlx::query_as(
        "SELECT update_id, attempts, last_error FROM telegram_updates ORDER BY update_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len() as i64, total);
    assert!(
        rows.iter()
            .all(|(_, attempts, err)| *attempts == 1 && err.is_none()),
        "{rows:?}"
    );
    for c in 0..CHATS {
        let chat = 1000 + c;
        let state = queqiao::dialog::store::load(&pool, "telegram", chat)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state.step, "results", "chat {chat}");
        assert!(!state.results.is_empty(), "chat {chat}");
        let sent = sent_to(&fake, chat);
        assert!(texts(&sent).contains("找到"), "chat {chat} saw its results");
    }
    eprintln!("killed with {at_kill}/{total} updates handled");
    // Each committed message went out; a message Telegram accepted just before the kill may go out once
    // more (the bot cannot learn that it did), at most one per sender.
    let committed = count(
        &pool,
        "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL",
    )
    .await;
    let received = fake.lock().unwrap().sent.len() as i64;
    assert!(
        received >= committed && received <= committed + 4,
        "{received} received for {committed} committed"
    );

    // SIGTERM: a graceful stop well within 10 seconds.
    let stopped = Instant::now();
    Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    loop {
        if let Some(status) = serve.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "serve did not stop within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test]
async fn leads_are_delivered_once_across_a_kill_9(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let db_url = common::database_url(&pool);
    let (fake, api) = fake_api::start().await;
    // A slow Telegram, so the kill lands while sends are in flight.
    fake.lock().unwrap().delay = Some(Duration::from_millis(20));
    const ENQUIRIES: i64 = 200;
    let patent = common::register_contacts(&pool, 5000, 20).await;
    common::queue_leads(&pool, &patent, ENQUIRIES, 5000, 20).await;
    let port = free_port();
    let mut serve = start(&db_url, &api, port);
    wait_ready(port, &mut serve).await;
    let leads_sent = |fake: &common::fake_telegram::Shared| sent_starting_with(fake, "lead ").len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while leads_sent(&fake) < 40 {
        assert!(Instant::now() < deadline, "no deliveries before the kill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    serve.kill().unwrap();
    serve.wait().unwrap();
    let at_kill = leads_sent(&fake);

    let mut serve = start(&db_url, &api, port);
    wait_ready(port, &mut serve).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let pending = count(&pool, "SELECT count(*) FROM outbox WHERE sent_at IS NULL").await;
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} messages still pending (killed at {at_kill})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serve.kill().unwrap();
    serve.wait().unwrap();

    // Every enquiry reached its contact and moved to delivered exactly once in its history.
    let mut ids = sent_starting_with(&fake, "lead ");
    let received = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, ENQUIRIES, "every lead arrived");
    let delivered_events = count(
        &pool,
        "SELECT count(*) FROM enquiry_events WHERE status = 'delivered'",
    )
    .await;
    assert_eq!(
        delivered_events, ENQUIRIES,
        "each enquiry was marked delivered once"
    );
    // A lead Telegram accepted in the instant before the kill, before its row was marked, goes out once
    // more after the restart: at most one per sender (two).
    eprintln!("killed after {at_kill} leads; {received} received for {ENQUIRIES}");
    assert!(received as i64 <= ENQUIRIES + 2, "{received} received");
}

#[sqlx::test]
async fn the_token_and_user_text_stay_out_of_trace_logs(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let db_url = common::database_url(&pool);
    let (fake, api) = fake_api::start().await;
    fake.lock().unwrap().updates.extend([
        message(1, 9, "/start"),
        press(2, 9, "c:zh"),
        message(3, 9, "我的手机号13612345678，想找锂电池负极技术"),
    ]);
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut serve = command(&db_url, &api, port)
        .env("RUST_LOG", "trace")
        // Unused without WEBHOOK_URL, but part of the settings logged at start.
        .env("WEBHOOK_SECRET", "hush_serve_secret_42")
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    wait_ready(port, &mut serve).await;
    wait_handled(&pool, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    serve.kill().unwrap();
    serve.wait().unwrap();
    let logs = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        logs.len() > 10_000,
        "trace logging was on ({} bytes)",
        logs.len()
    );
    assert!(
        texts(&fake_api::sent_to(&fake, 9)).contains("描述"),
        "the bot answered"
    );
    assert!(
        logs.contains("starting with these settings"),
        "settings logged"
    );
    for secret in ["123:TEST", "hush_serve_secret_42", "13612345678"] {
        assert!(!logs.contains(secret), "{secret} appeared in the logs");
    }
}

/// `serve` prunes once a day, the first time as it starts: on a seeded history only the handled rows past
/// their age go; pending ones stay (and are then handled), as do dead letters and the open enquiry.
#[sqlx::test]
async fn serve_prunes_old_history_as_it_starts(pool: PgPool) {
    common::seed_history(&pool).await;
    let db_url = common::database_url(&pool);
    let (_fake, api) = fake_api::start().await;
    let port = free_port();
    let mut serve = start(&db_url, &api, port);
    wait_ready(port, &mut serve).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let left = loop {
        let left = common::history_left(&pool).await;
        // Tables are pruned one after another: wait for the last of them too.
        if left.updates == vec![2, 3, 5]
            && left.outbox == vec![12, 13, 14]
            && left.events == ["recent"]
            && left.audit == ["recent"]
        {
            break left;
        }
        assert!(Instant::now() < deadline, "not pruned: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert_eq!(left.events, vec!["recent".to_string()]);
    assert_eq!(left.audit, vec!["recent".to_string()]);
    assert_eq!(
        (left.enquiries, left.enquiry_events),
        (1, 2),
        "the open enquiry and its history stay"
    );
}

/// METRICS_ADDR takes the operators' endpoints off HTTP_ADDR; UNREADY_AFTER_SECS decides when failing
/// polling makes /readyz say 503 (a revoked token: Telegram answers getUpdates with 401).
#[sqlx::test]
async fn operator_endpoints_on_their_own_address_and_readiness_follows_polling(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let db_url = common::database_url(&pool);
    let (fake, api) = fake_api::start().await;
    let (port, metrics_port) = (free_port(), free_port());
    let mut serve = command(&db_url, &api, port)
        .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("UNREADY_AFTER_SECS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(metrics_port, &mut serve).await;
    let get = |port: u16, path: &'static str| async move {
        let r = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (status, metrics) = get(metrics_port, "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("queqiao_updates_pending "), "{metrics}");
    assert!(metrics.contains("queqiao_index_patents "), "{metrics}");
    assert_eq!(
        get(port, "/metrics").await.0,
        404,
        "not on the public address"
    );
    assert_eq!(get(port, "/readyz").await.0, 404);

    fake.lock().unwrap().polling_refused = true;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ready = get(metrics_port, "/readyz").await;
    while ready.0 != 503 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        ready = get(metrics_port, "/readyz").await;
    }
    assert_eq!(ready.0, 503, "{}", ready.1);
    fake.lock().unwrap().polling_refused = false;
    wait_ready(metrics_port, &mut serve).await;
    serve.kill().unwrap();
    let _ = serve.wait();
}

/// `serve` answers the web console under `/web/` on `HTTP_ADDR`: an admin's `/web` on Telegram brings a
/// link to `PUBLIC_URL`, which signs them in; the link's token stays out of even trace logs.
#[sqlx::test]
async fn serve_serves_the_web_console(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let db_url = common::database_url(&pool);
    let (fake, api) = fake_api::start().await;
    fake.lock().unwrap().updates.push(message(1, 77, "/web"));
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut serve = command(&db_url, &api, port)
        .env("RUST_LOG", "trace")
        .env("ADMIN_TELEGRAM_IDS", "77")
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    wait_ready(port, &mut serve).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let link = loop {
        let sent = texts(&fake_api::sent_to(&fake, 77));
        if let Some(at) = sent.find("http://") {
            break sent[at..].split_whitespace().next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no link sent: {sent}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(link.starts_with(&format!("http://127.0.0.1:{port}/web/login?token=")));
    let token = link.split_once("token=").unwrap().1.to_owned();
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(browser.get(&link).send().await.unwrap().status(), 200);
    let signed = browser
        .post(format!("http://127.0.0.1:{port}/web/login"))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let home = browser
        .get(format!("http://127.0.0.1:{port}/web/"))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("管理员"));
    serve.kill().unwrap();
    serve.wait().unwrap();
    let logs = std::fs::read_to_string(log.path()).unwrap();
    assert!(logs.len() > 10_000, "trace logging was on");
    assert!(
        !logs.contains(&token),
        "the sign-in token appeared in the logs"
    );
}
