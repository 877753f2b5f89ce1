//! The outbox: messages waiting to be delivered to a chat. They are written in the same transaction as
//! the change that caused them (a reply, a lead for an institution, a status notice), so a crash can
//! neither lose one nor create one twice; channel workers then claim and deliver them, one chat's messages
//! strictly in order.

use crate::app::reply::Reply;
use crate::dialog::engine::Button;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// A channel-neutral message: text and the buttons offered with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub text: String,
    #[serde(default)]
    pub buttons: Vec<Button>,
}

impl Message {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            buttons: Vec::new(),
        }
    }
}

impl From<&Reply> for Message {
    fn from(reply: &Reply) -> Self {
        Self {
            text: reply.plain_text(),
            buttons: reply.buttons().to_vec(),
        }
    }
}

/// Queues `message` for `chat_id` on `channel` inside the caller's transaction.
pub async fn enqueue(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    message: &Message,
    enquiry_id: Option<i64>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO outbox (channel, chat_id, message, enquiry_id) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(sqlx::types::Json(message))
    .bind(enquiry_id)
    .fetch_one(&mut *conn)
    .await
}

/// Queues several messages for one chat, in order, with one statement.
pub async fn enqueue_all(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    messages: &[Message],
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let json: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| serde_json::to_value(m).unwrap_or_default())
        .collect();
    // WITH ORDINALITY keeps the ids in the order of the messages.
    sqlx::query(
        "INSERT INTO outbox (channel, chat_id, message)
         SELECT $1, $2, m FROM unnest($3::jsonb[]) WITH ORDINALITY AS t(m, n) ORDER BY n",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(&json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A message a worker has claimed; its row stays locked until the worker's transaction ends, so no other
/// worker (in this process or another) can take it, and a crash simply releases it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub chat_id: i64,
    pub message: Message,
    pub attempts: i32,
    pub enquiry_id: Option<i64>,
}

/// Claims the oldest due message of a chat whose earlier messages are all delivered, skipping chats in
/// `busy` (those the caller's rate limiter holds back).
pub async fn claim(
    conn: &mut PgConnection,
    channel: &str,
    busy: &[i64],
) -> Result<Option<Claimed>, sqlx::Error> {
    type Row = (i64, i64, sqlx::types::Json<Message>, i32, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT o.id, o.chat_id, o.message, o.attempts, o.enquiry_id FROM outbox o
         WHERE o.channel = $1 AND o.sent_at IS NULL AND o.dead_at IS NULL
           AND o.next_attempt_at <= now() AND o.chat_id <> ALL($2)
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.chat_id = o.chat_id
                           AND p.sent_at IS NULL AND p.dead_at IS NULL AND p.id < o.id)
         ORDER BY o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED",
    )
    .bind(channel)
    .bind(busy)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        row.map(|(id, chat_id, message, attempts, enquiry_id)| Claimed {
            id,
            chat_id,
            message: message.0,
            attempts,
            enquiry_id,
        }),
    )
}

/// What a delivered message keeps: its text may quote personal data (a phone number, an answer), which
/// has no business outliving the delivery.
const DELIVERED: &str = r#"{"text": ""}"#;

/// Marks a claimed message delivered (and drops its text).
pub async fn mark_sent(conn: &mut PgConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL,
             message = $2::jsonb WHERE id = $1",
    )
    .bind(id)
    .bind(DELIVERED)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_in`, or dead-lettered when `retry_in` is `None`.
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_in: Option<Duration>,
) -> Result<(), sqlx::Error> {
    match retry_in {
        Some(wait) => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                     next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(wait.as_secs_f64())
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, dead_at = now() WHERE id = $1",
            )
            .bind(id)
            .bind(error)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Takes every pending message of one chat at once, marking them delivered: for channels that show
/// messages the moment they are read (the console).
/// Returns each message with the enquiry its delivery moves forward, if any.
pub async fn take(
    pool: &PgPool,
    channel: &str,
    chat_id: i64,
) -> Result<Vec<(Message, Option<i64>)>, sqlx::Error> {
    let rows: Vec<(sqlx::types::Json<Message>, Option<i64>)> = sqlx::query_as(
        "WITH pending AS (
             SELECT id, message, enquiry_id FROM outbox WHERE channel = $1 AND chat_id = $2
                 AND sent_at IS NULL AND dead_at IS NULL FOR UPDATE SKIP LOCKED),
         taken AS (
             UPDATE outbox o SET sent_at = now(), attempts = attempts + 1, message = $3::jsonb
             FROM pending WHERE o.id = pending.id RETURNING o.id)
         SELECT pending.message, pending.enquiry_id FROM pending JOIN taken USING (id) ORDER BY id",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(DELIVERED)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(m, e)| (m.0, e)).collect())
}

/// Dead letters of a channel, newest first (for operators).
pub async fn dead_letters<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    limit: i64,
) -> Result<Vec<(i64, String, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, channel, chat_id, coalesce(last_error, '') FROM outbox WHERE dead_at IS NOT NULL
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Puts a dead letter back in the queue.
pub async fn retry_dead<'c>(conn: impl sqlx::PgExecutor<'c>, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now() WHERE id = $1 AND dead_at IS NOT NULL",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
/// Deletes the messages still waiting for a chat (`/forget`).
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM outbox WHERE channel = $1 AND chat_id = $2")
        .bind(channel)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What operators watch: messages waiting to be sent, the age of the oldest (seconds), and dead letters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest_pending_secs: f64,
    pub dead: i64,
}

pub async fn backlog(pool: &sqlx::PgPool) -> Result<Backlog, sqlx::Error> {
    let (pending, oldest_pending_secs, dead): (i64, f64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE sent_at IS NULL AND dead_at IS NULL),
                coalesce(extract(epoch FROM now() - min(created_at)
                    FILTER (WHERE sent_at IS NULL AND dead_at IS NULL)), 0)::float8,
                count(*) FILTER (WHERE dead_at IS NOT NULL)
         FROM outbox",
    )
    .fetch_one(pool)
    .await?;
    Ok(Backlog {
        pending,
        oldest_pending_secs,
        dead,
    })
}

/// Deletes (or, for a dry run, counts) the records of messages delivered more than `days` ago. Pending
/// messages and dead letters stay whatever their age (a dead letter waits for an admin's retry).
pub async fn prune_delivered(pool: &PgPool, days: u32, dry_run: bool) -> Result<u64, sqlx::Error> {
    crate::db::prune(
        pool,
        "WITH doomed AS (
             SELECT id FROM outbox WHERE sent_at < now() - make_interval(days => $1) LIMIT $2),
         gone AS (DELETE FROM outbox WHERE $3 AND id IN (SELECT id FROM doomed))
         SELECT count(*) FROM doomed",
        days,
        dry_run,
    )
    .await
}
