//! Conversation state in PostgreSQL: one row per chat, read and written inside the caller's transaction,
//! with the chat locked so two events of the same chat never interleave. The caller owns the transaction
//! so that the state, the messages it causes and the mark "update handled" commit together.

use super::engine::State;
use sqlx::{PgConnection, PgPool};

/// Locks the chat until the caller's transaction ends and returns its state, if it has one.
pub async fn lock(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Option<State>, sqlx::Error> {
    // Serialise the first event of a new chat too: there is no row to lock yet.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1), $2::int)")
        .bind(channel)
        .bind((chat_id % i32::MAX as i64) as i32)
        .execute(&mut *conn)
        .await?;
    let row: Option<(sqlx::types::Json<State>,)> = sqlx::query_as(
        "SELECT state FROM conversations WHERE channel = $1 AND chat_id = $2 FOR UPDATE",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.0.0))
}

/// Writes the state (the caller commits).
pub async fn save(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    state: &State,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conversations (channel, chat_id, state) VALUES ($1, $2, $3)
         ON CONFLICT (channel, chat_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(sqlx::types::Json(state))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The stored state of a chat, if any (for tests and operators).
pub async fn load(
    pool: &PgPool,
    channel: &str,
    chat_id: i64,
) -> Result<Option<State>, sqlx::Error> {
    let row: Option<(sqlx::types::Json<State>,)> =
        sqlx::query_as("SELECT state FROM conversations WHERE channel = $1 AND chat_id = $2")
            .bind(channel)
            .bind(chat_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| r.0.0))
}

/// The language a chat chose in its conversation, if it has one.
pub async fn lang_of(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar(
        "SELECT state->>'lang' FROM conversations WHERE channel = $1 AND chat_id = $2",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await?
    .flatten())
}

/// Deletes a chat's conversation (`/forget`).
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM conversations WHERE channel = $1 AND chat_id = $2")
        .bind(channel)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
