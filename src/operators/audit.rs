//! The audit log: every admin action, who did it and when.

use sqlx::PgConnection;

/// One entry, as the console lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub channel: String,
    pub user_id: i64,
    pub action: String,
    pub detail: String,
}

/// The newest `limit` entries older than entry `before` (all when `None`), newest first: a page of the
/// log, the next page starting below the last id shown.
pub async fn newest<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, channel, user_id, action, coalesce(detail, '') AS detail FROM audit_log
         WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn record(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (channel, user_id, action, detail) VALUES ($1, $2, $3, $4)")
        .bind(channel)
        .bind(user_id)
        .bind(action)
        .bind(detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes (or, for a dry run, counts) the entries older than `days`.
pub async fn prune(pool: &sqlx::PgPool, days: u32, dry_run: bool) -> Result<u64, sqlx::Error> {
    crate::db::prune(
        pool,
        "WITH doomed AS (
             SELECT id FROM audit_log WHERE at < now() - make_interval(days => $1) LIMIT $2),
         gone AS (DELETE FROM audit_log WHERE $3 AND id IN (SELECT id FROM doomed))
         SELECT count(*) FROM doomed",
        days,
        dry_run,
    )
    .await
}
