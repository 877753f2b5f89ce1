//! The Telegram channel against a fake Bot API on 127.0.0.1: a conversation through long polling and
//! inline keyboards, an update delivered twice, a forged callback, a restart, a long text, send faults
//! (429, 5xx, slow), a failing handler, the webhook and the HTTP endpoints.

mod common;

use common::fake_telegram::{self as fake_api, Fault, Shared, buttons, message, press, texts};
use queqiao::catalog::store::load_demo_if_empty;
use queqiao::channel::http::{self, HttpState, SECRET_HEADER};
use queqiao::channel::telegram::{Options, Sent, Telegram};
use queqiao::channel::throttle::Limits;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Limits high enough not to slow the tests down; the throttle has its own unit test.
fn fast() -> Options {
    Options {
        limits: Limits {
            per_second: 1000,
            per_chat_interval: Duration::ZERO,
        },
        ..Options::default()
    }
}

async fn channel_with(pool: &PgPool, url: &str, options: Options) -> Arc<Telegram> {
    let app = common::app::build_app(pool, Default::default()).await;
    common::app::telegram(pool, &url.parse().unwrap(), app, options)
}

async fn channel(pool: &PgPool, url: &str) -> Arc<Telegram> {
    channel_with(pool, url, fast()).await
}

/// Hands out `update`, polls once, processes and sends; returns what the bot sent in response.
async fn deliver(tg: &Telegram, fake: &Shared, offset: &mut i32, update: Value) -> Vec<Value> {
    let id = update["update_id"].as_i64().unwrap();
    let before = {
        let mut f = fake.lock().unwrap();
        f.updates.push(update);
        f.sent.len()
    };
    *offset = tg.poll_once(*offset, 0).await.unwrap();
    tg.process_pending().await.unwrap();
    let sent = tg.send_pending().await.unwrap();
    assert!(sent.iter().all(|s| *s == Sent::Delivered), "{sent:?}");
    let errors: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT update_id, last_error FROM telegram_updates WHERE last_error IS NOT NULL AND update_id = $1",
    )
    .bind(id)
    .fetch_all(tg.pool())
    .await
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    fake.lock().unwrap().sent[before..].to_vec()
}

#[sqlx::test]
async fn a_conversation_over_the_bot_api(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let (fake, url) = fake_api::start().await;
    let tg = channel(&pool, &url).await;
    let mut offset = 0;
    let chat = 555;

    let sent = deliver(&tg, &fake, &mut offset, message(1, chat, "/start")).await;
    assert!(texts(&sent).contains("欢迎使用鹊桥"), "{sent:?}");
    assert_eq!(buttons(&sent), ["c:zh", "c:en"]);

    let sent = deliver(&tg, &fake, &mut offset, press(2, chat, "c:zh")).await;
    assert!(texts(&sent).contains("描述"), "{sent:?}");
    deliver(
        &tg,
        &fake,
        &mut offset,
        message(3, chat, "硅基负极循环衰减快，有没有改进方案"),
    )
    .await;
    for (i, data) in ["c:any", "c:any", "c:any"].iter().enumerate() {
        deliver(&tg, &fake, &mut offset, press(4 + i as i64, chat, data)).await;
    }
    let sent = deliver(&tg, &fake, &mut offset, press(7, chat, "skip")).await;
    let results = texts(&sent);
    assert!(
        results.contains("一种负极材料") && results.contains("匹配"),
        "{results}"
    );
    let open_first = buttons(&sent)
        .into_iter()
        .find(|b| b.starts_with("open:1:"))
        .expect("result 1 has a details button, checked against its patent");
    assert!(buttons(&sent).contains(&"next".to_owned()));

    // The same update delivered twice is handled once.
    let count = fake.lock().unwrap().sent.len();
    fake.lock().unwrap().updates.push(press(7, chat, "skip"));
    tg.poll_once(7, 0).await.unwrap();
    tg.process_pending().await.unwrap();
    tg.send_pending().await.unwrap();
    assert_eq!(
        fake.lock().unwrap().sent.len(),
        count,
        "a repeated update_id must not be processed again"
    );

    // A forged callback gets one brief answer on the button ("expired"), no message, never a result.
    let sent = deliver(&tg, &fake, &mut offset, press(8, chat, "open:9999")).await;
    assert!(sent.is_empty(), "{sent:?}");
    let answer = fake_api::answer_to(&fake, 8).await.unwrap();
    assert!(answer.contains("过期"), "{answer}");
    let sent = deliver(&tg, &fake, &mut offset, press(9, chat, &open_first)).await;
    assert!(texts(&sent).contains("专利号："));
    assert_eq!(fake_api::answer_to(&fake, 9).await.as_deref(), Some(""));
    assert!(
        fake.lock().unwrap().answered >= 6,
        "button presses are answered"
    );

    // A restart resumes after the newest stored update, and nothing is pending.
    let again = channel(&pool, &url).await;
    assert_eq!(again.resume_offset().await.unwrap(), 10);
    assert_eq!(again.process_pending().await.unwrap(), 0);
}

#[sqlx::test]
async fn a_stored_update_is_processed_after_a_crash(pool: PgPool) {
    let (fake, url) = fake_api::start().await;
    let tg = channel(&pool, &url).await;
    fake.lock().unwrap().updates.push(message(41, 9, "/start"));
    // Stored, then the process "dies" before processing.
    tg.poll_once(0, 0).await.unwrap();
    assert!(fake.lock().unwrap().sent.is_empty());
    drop(tg);
    let restarted = channel(&pool, &url).await;
    assert_eq!(restarted.process_pending().await.unwrap(), 1);
    restarted.send_pending().await.unwrap();
    assert!(texts(&fake.lock().unwrap().sent).contains("欢迎"));
}

#[sqlx::test]
async fn long_text_emoji_and_control_characters_are_handled(pool: PgPool) {
    let (fake, url) = fake_api::start().await;
    let tg = channel(&pool, &url).await;
    let mut offset = 0;
    deliver(&tg, &fake, &mut offset, message(1, 3, "/start")).await;
    deliver(&tg, &fake, &mut offset, press(2, 3, "c:zh")).await;
    let sent = deliver(&tg, &fake, &mut offset, message(3, 3, &"长".repeat(10_000))).await;
    assert!(texts(&sent).contains("太长"), "{sent:?}");
    let sent = deliver(
        &tg,
        &fake,
        &mut offset,
        message(4, 3, "🔋电池\u{0007}\u{202e}循环寿命 😀"),
    )
    .await;
    assert!(
        !sent.is_empty(),
        "emoji and control characters get a normal answer"
    );
    for m in &fake.lock().unwrap().sent {
        assert!(m["text"].as_str().unwrap().chars().count() <= 4096);
    }
}

/// Sends until the outbox is empty or `limit` passes (retries wait for their time).
async fn drain(tg: &Telegram, limit: Duration) -> Vec<Sent> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut all = Vec::new();
    loop {
        all.extend(tg.send_pending().await.unwrap());
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL",
        )
        .fetch_one(tg.pool())
        .await
        .unwrap();
        if pending == 0 || tokio::time::Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test]
async fn send_faults_are_retried_in_order_and_nothing_is_doubled(pool: PgPool) {
    let (fake, url) = fake_api::start().await;
    let tg = channel(&pool, &url).await;
    fake.lock().unwrap().faults.extend([
        Fault::TooManyRequests { retry_after: 1 },
        Fault::ServerError,
        // Longer than the client's 1 s timeout: the send counts as failed and is retried.
        Fault::Slow(Duration::from_millis(1500)),
    ]);
    fake.lock().unwrap().updates.push(message(1, 77, "/start"));
    tg.poll_once(0, 0).await.unwrap();
    tg.process_pending().await.unwrap();
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(queued >= 2, "/start queues a greeting and a question");
    let expected: Vec<String> =
        sqlx::query_scalar("SELECT message->>'text' FROM outbox ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let outcomes = drain(&tg, Duration::from_secs(60)).await;
    assert_eq!(
        outcomes.iter().filter(|s| **s == Sent::Retry).count(),
        3,
        "{outcomes:?}"
    );
    // Every queued message arrived once, in the order it was written (the slow answer may still have
    // been recorded by the fake after the client gave up: that is the one duplicate a timeout allows).
    let sent = texts(&fake.lock().unwrap().sent);
    let mut got: Vec<&str> = sent.split('\n').collect();
    got.dedup();
    assert_eq!(got.join("\n"), expected.join("\n"));
    let kept: Vec<String> = sqlx::query_scalar("SELECT message->>'text' FROM outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        kept.iter().all(String::is_empty),
        "delivered texts are not kept"
    );
    let retries = tg.metrics().render(&[]);
    assert!(
        retries.contains("queqiao_send_retries_total 3"),
        "{retries}"
    );
}

#[sqlx::test]
async fn a_message_to_a_blocked_user_is_dead_lettered(pool: PgPool) {
    let (fake, url) = fake_api::start().await;
    let tg = channel_with(
        &pool,
        &url,
        Options {
            max_attempts: 2,
            ..fast()
        },
    )
    .await;
    fake.lock()
        .unwrap()
        .faults
        .extend([Fault::ServerError, Fault::ServerError]);
    let mut conn = pool.acquire().await.unwrap();
    queqiao::outbox::enqueue(
        &mut conn,
        "telegram",
        5,
        &queqiao::outbox::Message::text("hi"),
        None,
    )
    .await
    .unwrap();
    let outcomes = drain(&tg, Duration::from_secs(40)).await;
    assert_eq!(outcomes, [Sent::Retry, Sent::Dead]);
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(dead, 1);
}

#[sqlx::test]
async fn a_failing_handler_rolls_back_and_apologises(pool: PgPool) {
    let (fake, url) = fake_api::start().await;
    let tg = channel(&pool, &url).await;
    let mut offset = 0;
    deliver(&tg, &fake, &mut offset, message(1, 8, "/start")).await;
    // The conversation store breaks under the handler (a database fault).
    sqlx::query("ALTER TABLE conversations RENAME TO conversations_away")
        .execute(&pool)
        .await
        .unwrap();
    fake.lock().unwrap().updates.push(press(2, 8, "c:zh"));
    offset = tg.poll_once(offset, 0).await.unwrap();
    assert_eq!(tg.process_pending().await.unwrap(), 1, "the worker goes on");
    tg.send_pending().await.unwrap();
    let last = fake.lock().unwrap().sent.last().cloned().unwrap();
    assert!(texts(&[last]).contains("抱歉"), "the user gets an apology");
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM telegram_updates WHERE update_id = 2")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(error.unwrap().contains("conversations"));
    // Repaired, the bot carries on from the last saved state.
    sqlx::query("ALTER TABLE conversations_away RENAME TO conversations")
        .execute(&pool)
        .await
        .unwrap();
    let sent = deliver(&tg, &fake, &mut offset, press(3, 8, "c:zh")).await;
    assert!(texts(&sent).contains("描述"), "{sent:?}");
    assert!(
        tg.metrics()
            .render(&[])
            .contains("queqiao_updates_failed_total 1")
    );
}

#[sqlx::test]
async fn webhook_and_operator_endpoints(pool: PgPool) {
    let (fake, url) = fake_api::start().await;
    let tg = channel(&pool, &url).await;
    let state = HttpState::new(
        tg.metrics().clone(),
        Some(("/tg/hook".into(), "s3cret".into())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, http::router(state.clone())).into_future());
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{base}{path}")).send();

    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(
        get("/readyz").await.unwrap().status(),
        503,
        "not ready before the channel is"
    );
    let _ = state.telegram.set(tg.clone());
    assert_eq!(get("/readyz").await.unwrap().status(), 200);

    let update = message(70, 12, "/start").to_string();
    let post = |secret: Option<&str>| {
        let mut req = client
            .post(format!("{base}/tg/hook"))
            .header("content-type", "application/json")
            .body(update.clone());
        if let Some(s) = secret {
            req = req.header(SECRET_HEADER, s);
        }
        req.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("wrong")).await.unwrap().status(), 401);
    assert_eq!(post(Some("s3cret")).await.unwrap().status(), 200);
    assert_eq!(
        post(Some("s3cret")).await.unwrap().status(),
        200,
        "a repeat is accepted"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM telegram_updates")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "and stored once");
    tg.process_pending().await.unwrap();
    let waiting = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        !waiting.contains("queqiao_messages_pending 0\n")
            && waiting.contains("queqiao_messages_pending "),
        "the greeting waits to be sent: {waiting}"
    );
    tg.send_pending().await.unwrap();
    assert!(texts(&fake.lock().unwrap().sent).contains("欢迎"));

    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    for gauge in [
        "queqiao_updates_pending 0\n",
        "queqiao_updates_oldest_pending_seconds 0\n",
        "queqiao_updates_parked 0\n",
        "queqiao_messages_pending 0\n",
        "queqiao_messages_oldest_pending_seconds 0\n",
        "queqiao_messages_dead 0\n",
        "queqiao_enquiries_waiting_for_contact 0\n",
        "queqiao_enquiries_oldest_waiting_seconds 0\n",
        "queqiao_index_patents ",
        "queqiao_index_bytes ",
        "queqiao_index_build_seconds ",
        "queqiao_build_info{version=",
        "queqiao_intake_failing_seconds 0\n",
    ] {
        assert!(metrics.contains(gauge), "{gauge} in {metrics}");
    }
    for line in [
        "queqiao_updates_received_total 1",
        "queqiao_updates_processed_total 1",
        "queqiao_handler_seconds_count 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    assert!(metrics.contains("queqiao_messages_sent_total"));

    tg.set_webhook("https://bot.example.com/tg/hook", "s3cret")
        .await
        .unwrap();
    let hook = fake.lock().unwrap().webhook.clone().unwrap();
    assert_eq!(hook["secret_token"], "s3cret");
    tg.set_commands().await.unwrap();
    let commands = fake.lock().unwrap().commands.clone();
    // The private menu and the group chats' menu, each in Chinese (everyone's) and English.
    assert_eq!(commands.len(), 4, "{commands:?}");
    let names = |c: &Value| -> Vec<String> {
        c["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["command"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(commands[0]["scope"], Value::Null);
    assert!(names(&commands[0]).contains(&"my".to_owned()));
    assert_eq!(commands[1]["scope"]["type"], "all_group_chats");
    assert_eq!(names(&commands[1]), ["help", "group", "leads", "lang"]);
    assert_eq!(commands[2]["language_code"], "en");
    assert_eq!(commands[3]["language_code"], "en");
}
