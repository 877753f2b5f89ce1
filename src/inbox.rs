//! The inbox: updates as received from a channel, stored (idempotently, by update id) before the channel
//! is told they arrived, then handled from here one chat at a time, so an update survives a crash between
//! the two. This module owns the `telegram_updates` table; it knows nothing of what updates mean (the
//! payload is whatever the channel understood of them).

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

/// The newest stored update id, where polling resumes after a restart.
pub async fn newest(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT max(update_id) FROM telegram_updates")
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
         WHERE u.processed_at IS NULL
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
