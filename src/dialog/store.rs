//! Conversation state in PostgreSQL: one row per chat, read and written inside one transaction per
//! incoming event, with the row locked so two events of the same chat never interleave.

use super::engine::State;
use sqlx::{PgPool, Postgres, Transaction};

/// A conversation's row, locked until the transaction ends.
pub struct Locked<'a> {
    pub tx: Transaction<'a, Postgres>,
    pub state: Option<State>,
}

/// Begins a transaction and locks the chat's row (creating nothing yet).
pub async fn lock(
    pool: &PgPool,
    channel: &str,
    chat_id: i64,
) -> Result<Locked<'static>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Serialise the first event of a new chat too: there is no row to lock yet.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1), $2::int)")
        .bind(channel)
        .bind((chat_id % i32::MAX as i64) as i32)
        .execute(&mut *tx)
        .await?;
    let row: Option<(sqlx::types::Json<State>,)> = sqlx::query_as(
        "SELECT state FROM conversations WHERE channel = $1 AND chat_id = $2 FOR UPDATE",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(Locked {
        tx,
        state: row.map(|r| r.0.0),
    })
}

/// Saves the state and commits.
pub async fn save(
    mut locked: Locked<'_>,
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
    .execute(&mut *locked.tx)
    .await?;
    locked.tx.commit().await
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
