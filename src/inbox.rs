//! The inbox: updates as received from a channel, stored (idempotently, by update id) before the channel
//! is told they arrived, then handled from here one chat at a time, so an update survives a crash between
//! the two. This module owns the `telegram_updates` table; it knows nothing of what updates mean (the
//! payload is whatever the channel understood of them). It also owns `parked_updates`: updates that could
//! not be stored or handled after their tries, kept as raw bytes so that one poison update never blocks
//! the others.

use sqlx::{PgConnection, PgPool};

/// Stores a batch in one transaction (one disk flush, not one per update); returns how many were new.
/// `payloads[i]` is what the channel understood of update `ids[i]` in chat `chats[i]` (null: ignored kind).
pub async fn store(
    pool: &PgPool,
    ids: &[i64],
    chats: &[Option<i64>],
    payloads: &[serde_json::Value],
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "INSERT INTO telegram_updates (update_id, chat_id, payload)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::jsonb[]) ON CONFLICT DO NOTHING",
    )
    .bind(ids)
    .bind(chats)
    .bind(payloads)
    .execute(pool)
    .await?
    .rows_affected())
}

/// The newest stored or parked update id, where polling resumes after a restart.
pub async fn newest(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT greatest((SELECT max(update_id) FROM telegram_updates),
                         (SELECT max(update_id) FROM parked_updates))",
    )
    .fetch_one(pool)
    .await
}

/// Claims the oldest pending update of a chat no other worker is handling (its earlier updates all
/// handled), locked until the caller's transaction ends: (update id, payload).
pub async fn claim(
    conn: &mut PgConnection,
) -> Result<Option<(i64, serde_json::Value)>, sqlx::Error> {
    let row: Option<(i64, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
        "SELECT u.update_id, u.payload FROM telegram_updates u
         WHERE u.processed_at IS NULL AND (u.retry_at IS NULL OR u.retry_at <= now())
           AND NOT EXISTS (SELECT 1 FROM telegram_updates p WHERE p.processed_at IS NULL
                           AND p.chat_id = u.chat_id AND p.update_id < u.update_id)
         ORDER BY u.update_id LIMIT 1 FOR UPDATE OF u SKIP LOCKED",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id, payload)| (id, payload.0)))
}

/// Takes update `id` again after a rollback; false if another worker handled it meanwhile.
pub async fn reclaim(conn: &mut PgConnection, id: i64) -> Result<bool, sqlx::Error> {
    let still_ours: Option<i64> = sqlx::query_scalar(
        "SELECT update_id FROM telegram_updates WHERE update_id = $1 AND processed_at IS NULL
         FOR UPDATE SKIP LOCKED",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(still_ours.is_some())
}

/// Marks update `id` handled (with the error, if handling failed). The payload (the user's words) is not
/// kept once handled.
pub async fn mark_handled(
    conn: &mut PgConnection,
    id: i64,
    error: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE telegram_updates SET processed_at = clock_timestamp(), attempts = attempts + 1, last_error = $2,
             payload = 'null'::jsonb
         WHERE update_id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a failed try at handling stored update `id` (outside the handler's rolled-back transaction):
/// it waits longer after each failure before it is claimed again. Returns the tries so far.
pub async fn record_failure(pool: &PgPool, id: i64, error: &str) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE telegram_updates SET attempts = attempts + 1, last_error = $2,
             retry_at = now() + least(interval '60 seconds', interval '1 second' * power(2, attempts))
         WHERE update_id = $1 AND processed_at IS NULL RETURNING attempts",
    )
    .bind(id)
    .bind(error)
    .fetch_optional(pool)
    .await
    .map(|tries| tries.unwrap_or(0))
}

/// Parks stored update `id`: its payload goes to `parked_updates` and it counts as handled (without its
/// payload), so the chat's later updates go on. False if it was handled meanwhile.
pub async fn park_stored(pool: &PgPool, id: i64, channel: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Lock the update first: two workers whose tries failed together may both park it, and without the
    // lock both would read it as pending and insert it twice. The second waits here, then sees it handled.
    let pending: Option<i64> = sqlx::query_scalar(
        "SELECT update_id FROM telegram_updates WHERE update_id = $1 AND processed_at IS NULL FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if pending.is_none() {
        return Ok(false);
    }
    let parked = sqlx::query(
        "INSERT INTO parked_updates (update_id, channel, raw, error, attempts)
         SELECT update_id, $2, convert_to(payload::text, 'UTF8'), coalesce(last_error, ''), attempts
         FROM telegram_updates WHERE update_id = $1 AND processed_at IS NULL",
    )
    .bind(id)
    .bind(channel)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if parked == 1 {
        sqlx::query(
            "UPDATE telegram_updates SET processed_at = clock_timestamp(), payload = 'null'::jsonb,
                 last_error = 'parked: ' || coalesce(last_error, '')
             WHERE update_id = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(parked == 1)
}

/// Parks an update that could not be stored at all (`update_id` unknown when the body was not an update):
/// its raw bytes are kept exactly, so it can be looked at or replayed.
pub async fn park_raw(
    pool: &PgPool,
    update_id: Option<i64>,
    channel: &str,
    raw: &[u8],
    error: &str,
    attempts: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO parked_updates (update_id, channel, raw, error, attempts) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(update_id)
    .bind(channel)
    .bind(raw)
    .bind(error)
    .bind(attempts)
    .execute(pool)
    .await?;
    Ok(())
}

/// A parked update as operators see it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Parked {
    pub id: i64,
    pub update_id: Option<i64>,
    pub error: String,
    pub attempts: i32,
    pub bytes: i64,
    pub parked_at: chrono::DateTime<chrono::Utc>,
}

/// The newest parked updates (not their bytes, which may hold a user's words).
pub async fn parked<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    limit: i64,
) -> Result<Vec<Parked>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, update_id, error, attempts, octet_length(raw)::bigint AS bytes, parked_at
         FROM parked_updates ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// What operators watch: updates waiting to be handled, the age of the oldest (seconds), and how many
/// are parked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest_pending_secs: f64,
    pub parked: i64,
}

pub async fn backlog(pool: &PgPool) -> Result<Backlog, sqlx::Error> {
    let (pending, oldest_pending_secs, parked): (i64, f64, i64) = sqlx::query_as(
        "SELECT count(*),
                coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8,
                (SELECT count(*) FROM parked_updates)
         FROM telegram_updates WHERE processed_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    Ok(Backlog {
        pending,
        oldest_pending_secs,
        parked,
    })
}

/// Deletes (or, for a dry run, counts) the updates handled more than `days` ago. Pending ones stay
/// whatever their age, and so does the newest update: polling resumes past it after a restart.
pub async fn prune_handled(pool: &PgPool, days: u32, dry_run: bool) -> Result<u64, sqlx::Error> {
    crate::db::prune(
        pool,
        "WITH doomed AS (
             SELECT update_id FROM telegram_updates
             WHERE processed_at < now() - make_interval(days => $1)
               AND update_id < (SELECT max(update_id) FROM telegram_updates)
             LIMIT $2),
         gone AS (DELETE FROM telegram_updates WHERE $3 AND update_id IN (SELECT update_id FROM doomed))
         SELECT count(*) FROM doomed",
        days,
        dry_run,
    )
    .await
}

/// Deletes (or, for a dry run, counts) updates parked more than `days` ago: their raw bytes may hold a
/// user's words, so they are kept no longer than handled updates.
pub async fn prune_parked(pool: &PgPool, days: u32, dry_run: bool) -> Result<u64, sqlx::Error> {
    crate::db::prune(
        pool,
        "WITH doomed AS (
             SELECT id FROM parked_updates WHERE parked_at < now() - make_interval(days => $1) LIMIT $2),
         gone AS (DELETE FROM parked_updates WHERE $3 AND id IN (SELECT id FROM doomed))
         SELECT count(*) FROM doomed",
        days,
        dry_run,
    )
    .await
}
