use super::convert::MAX_ANSWER_CHARS;
use super::*;
use crate::app::{Incoming, Reply};

/// A message that makes the handler panic, in tests only.
pub const PANIC_PROBE: &str = "\u{1f4a5} panic probe";

fn update(id: i64, text: &str) -> Update {
    // teloxide reads updates from text only (from_value loses the kind).
    let json = serde_json::json!({"update_id": id, "message": {"message_id": id, "date": 0,
        "chat": {"id": 31, "type": "private", "first_name": "A"},
        "from": {"id": 31, "is_bot": false, "first_name": "A"}, "text": text}});
    serde_json::from_str(&json.to_string()).unwrap()
}

#[sqlx::test]
async fn a_panicking_handler_is_contained(pool: PgPool) {
    let matcher = Arc::new(
        crate::matching::Matcher::load(&pool, crate::matching::Synonyms::default())
            .await
            .unwrap(),
    );
    let runtime = Arc::new(
        App::new(
            std::path::Path::new("dialogs"),
            pool.clone(),
            matcher,
            vec![],
        )
        .unwrap(),
    );
    // Nothing is sent in this test; the address only has to parse.
    let bot = Bot::new("1:T").set_api_url("http://127.0.0.1:9/".parse().unwrap());
    let tg = Telegram::new(bot, pool.clone(), runtime);
    tg.store_update(&update(1, PANIC_PROBE)).await.unwrap();
    tg.store_update(&update(2, "/start")).await.unwrap();
    assert_eq!(
        tg.process_pending().await.unwrap(),
        2,
        "the panic did not stop the worker"
    );
    let rows: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT update_id, last_error FROM telegram_updates ORDER BY update_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        rows[0]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("panicked"),
        "{rows:?}"
    );
    assert_eq!(rows[1].1, None);
    let queued: Vec<String> = sqlx::query_scalar("SELECT message->>'text' FROM outbox ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        queued[0].contains("抱歉"),
        "the user got an apology first: {queued:?}"
    );
    assert!(queued[1..].iter().any(|t| t.contains("欢迎")), "{queued:?}");
}

#[test]
fn inbox_entries_read_back() {
    let entry = Inbound {
        chat_id: -100,
        user_id: 7,
        incoming: Incoming::Choice("open:1".into()),
        callback_id: Some("q".into()),
        name: "张三".into(),
        group: true,
    };
    let stored = serde_json::to_value(Some(&entry)).unwrap();
    assert_eq!(
        serde_json::from_value::<Option<Inbound>>(stored).unwrap(),
        Some(entry)
    );
}

#[test]
fn a_press_gets_its_brief_notice_as_the_buttons_answer() {
    let short = Reply::Notice("expired".into());
    let long = Reply::Notice("x".repeat(MAX_ANSWER_CHARS + 1));
    let mut replies = vec![Reply::Text("a".into()), short.clone()];
    assert_eq!(take_answer(&mut replies, true).as_deref(), Some("expired"));
    assert_eq!(replies, [Reply::Text("a".into())]);
    // Typed text has no button to answer; a notice too long for one stays a message.
    let mut replies = vec![short.clone()];
    assert_eq!(take_answer(&mut replies, false), None);
    assert_eq!(replies, [short]);
    let mut replies = vec![long.clone()];
    assert_eq!(take_answer(&mut replies, true), None);
    assert_eq!(replies, [long]);
}

#[test]
fn long_messages_are_split_under_the_limit() {
    let text = format!("{}\n{}", "长".repeat(3000), "短".repeat(3000));
    let parts = split_message(&text);
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p.chars().count() <= MAX_MESSAGE_CHARS));
    let one_line = "字".repeat(10_000);
    let parts = split_message(&one_line);
    assert_eq!(parts.len(), 3);
    assert_eq!(parts.concat(), one_line);
}

#[test]
fn updates_become_inbound_messages() {
    let message: Update = serde_json::from_str(
        r#"{"update_id": 7, "message": {"message_id": 1, "date": 0,
            "chat": {"id": 100, "type": "private", "first_name": "A"},
            "from": {"id": 100, "is_bot": false, "first_name": "A"}, "text": "/start"}}"#,
    )
    .unwrap();
    let got = inbound(&message).unwrap();
    assert_eq!(
        (got.chat_id, got.user_id, got.incoming),
        (100, 100, Incoming::Text("/start".into()))
    );
    let callback: Update = serde_json::from_str(
        r#"{"update_id": 8, "callback_query": {"id": "q1", "chat_instance": "c",
            "from": {"id": 100, "is_bot": false, "first_name": "A"}, "data": "c:zh",
            "message": {"message_id": 2, "date": 0, "chat": {"id": 100, "type": "private", "first_name": "A"}, "text": "?"}}}"#,
    )
    .unwrap();
    let got = inbound(&callback).unwrap();
    assert_eq!(got.incoming, Incoming::Choice("c:zh".into()));
    assert_eq!(got.callback_id.as_deref(), Some("q1"));
    assert!(!got.group);
}

#[test]
fn a_press_in_a_group_is_the_pressers() {
    // The button sits in the group's chat; who pressed it is `from`, with a name to tell the group.
    let callback: Update = serde_json::from_str(
        r#"{"update_id": 9, "callback_query": {"id": "q2", "chat_instance": "c",
            "from": {"id": 7, "is_bot": false, "first_name": "张\u0000三", "last_name": "Li"},
            "data": "lead:accept:5",
            "message": {"message_id": 3, "date": 0, "chat": {"id": -100123, "type": "supergroup",
                "title": "技术转移办公室"}, "text": "?"}}}"#,
    )
    .unwrap();
    let got = inbound(&callback).unwrap();
    assert_eq!((got.chat_id, got.user_id, got.group), (-100123, 7, true));
    assert_eq!(got.name, "张三 Li", "control characters are dropped");
    // Entries stored before names and groups were kept read back as private, unnamed.
    let old = serde_json::json!({"chat_id": 5, "user_id": 5, "incoming": {"Text": "hi"},
        "callback_id": null});
    let read: Inbound = serde_json::from_value(old).unwrap();
    assert_eq!((read.name.as_str(), read.group), ("", false));
}
