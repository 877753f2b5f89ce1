//! The Telegram channel against a fake Bot API on 127.0.0.1 (a small axum server): a conversation through
//! long polling and inline keyboards, an update delivered twice, a forged callback, a restart, a long text.

mod common;

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use queqiao::catalog::store::load_demo_if_empty;
use queqiao::channel::telegram::Telegram;
use queqiao::dialog::Runtime;
use queqiao::matching::{Matcher, Synonyms};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};

/// What the fake Telegram holds: updates to hand out and everything the bot sent.
#[derive(Default)]
struct Fake {
    updates: Vec<Value>,
    sent: Vec<Value>,
    answered: usize,
}

type Shared = Arc<Mutex<Fake>>;

async fn api(
    State(fake): State<Shared>,
    Path((_bot, method)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Json<Value> {
    let body = body.map(|b| b.0).unwrap_or(Value::Null);
    let mut fake = fake.lock().unwrap();
    // Telegram's method names are case-insensitive; clients differ in how they spell them.
    let result = match method.to_ascii_lowercase().as_str() {
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            Value::Array(
                fake.updates
                    .iter()
                    .filter(|u| u["update_id"].as_i64().unwrap() >= offset)
                    .cloned()
                    .collect(),
            )
        }
        "sendmessage" => {
            fake.sent.push(body.clone());
            json!({"message_id": fake.sent.len(), "date": 0,
                   "chat": {"id": body["chat_id"], "type": "private", "first_name": "A"}, "text": body["text"]})
        }
        "answercallbackquery" => {
            fake.answered += 1;
            json!(true)
        }
        _ => json!(true),
    };
    Json(json!({"ok": true, "result": result}))
}

async fn fake_telegram() -> (Shared, String) {
    let fake: Shared = Arc::default();
    let app = Router::new()
        .route("/{bot}/{method}", post(api))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, url)
}

fn message(id: i64, chat: i64, text: &str) -> Value {
    json!({"update_id": id, "message": {"message_id": id, "date": 0,
        "chat": {"id": chat, "type": "private", "first_name": "A"},
        "from": {"id": chat, "is_bot": false, "first_name": "A"}, "text": text}})
}

fn press(id: i64, chat: i64, data: &str) -> Value {
    json!({"update_id": id, "callback_query": {"id": format!("q{id}"), "chat_instance": "c",
        "from": {"id": chat, "is_bot": false, "first_name": "A"}, "data": data,
        "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private", "first_name": "A"}, "text": "?"}}})
}

async fn channel(pool: &PgPool, url: &str) -> Telegram {
    let matcher = Arc::new(Matcher::load(pool, Synonyms::default()).await.unwrap());
    let runtime = Arc::new(
        Runtime::new(
            std::path::Path::new("dialogs"),
            pool.clone(),
            matcher,
            vec![],
        )
        .unwrap(),
    );
    let bot = teloxide::Bot::new("123:TEST").set_api_url(url.parse().unwrap());
    Telegram::new(bot, pool.clone(), runtime)
}

/// Hands out `update`, polls once and processes; returns what the bot sent in response.
async fn deliver(tg: &Telegram, fake: &Shared, offset: &mut i32, update: Value) -> Vec<Value> {
    let before = {
        let mut f = fake.lock().unwrap();
        f.updates.push(update);
        f.sent.len()
    };
    *offset = tg.poll_once(*offset, 0).await.unwrap();
    tg.process_pending().await.unwrap();
    let errors: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT update_id, last_error FROM telegram_updates WHERE last_error IS NOT NULL",
    )
    .fetch_all(tg_pool(tg))
    .await
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    fake.lock().unwrap().sent[before..].to_vec()
}

fn tg_pool(tg: &Telegram) -> &PgPool {
    tg.pool()
}

fn texts(sent: &[Value]) -> String {
    sent.iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn buttons(sent: &[Value]) -> Vec<String> {
    sent.iter()
        .flat_map(|m| {
            m["reply_markup"]["inline_keyboard"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| b["callback_data"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[sqlx::test]
async fn a_conversation_over_the_bot_api(pool: PgPool) {
    load_demo_if_empty(&pool).await.unwrap();
    let (fake, url) = fake_telegram().await;
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
    assert!(
        buttons(&sent).contains(&"open:1".to_owned())
            && buttons(&sent).contains(&"next".to_owned())
    );

    // The same update delivered twice is handled once.
    let count = fake.lock().unwrap().sent.len();
    fake.lock().unwrap().updates.push(press(7, chat, "skip"));
    tg.poll_once(7, 0).await.unwrap();
    tg.process_pending().await.unwrap();
    assert_eq!(
        fake.lock().unwrap().sent.len(),
        count,
        "a repeated update_id must not be processed again"
    );

    // A forged callback gets "expired", never another result.
    let sent = deliver(&tg, &fake, &mut offset, press(8, chat, "open:9999")).await;
    assert!(texts(&sent).contains("过期"), "{sent:?}");
    let sent = deliver(&tg, &fake, &mut offset, press(9, chat, "open:1")).await;
    assert!(texts(&sent).contains("专利号："));
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
    let (fake, url) = fake_telegram().await;
    let tg = channel(&pool, &url).await;
    fake.lock().unwrap().updates.push(message(41, 9, "/start"));
    // Stored, then the process "dies" before processing.
    tg.poll_once(0, 0).await.unwrap();
    assert!(fake.lock().unwrap().sent.is_empty());
    drop(tg);
    let restarted = channel(&pool, &url).await;
    assert_eq!(restarted.process_pending().await.unwrap(), 1);
    assert!(texts(&fake.lock().unwrap().sent).contains("欢迎"));
}

#[sqlx::test]
async fn long_text_emoji_and_control_characters_are_handled(pool: PgPool) {
    let (fake, url) = fake_telegram().await;
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
