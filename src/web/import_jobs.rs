//! The console's catalogue imports (`import_jobs`): started, advancing (bytes read), finished with a
//! report or an error.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// An import as its page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub file: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub bytes_total: i64,
    pub bytes_done: i64,
    pub finished_at: Option<DateTime<Utc>>,
    pub report: Option<sqlx::types::Json<serde_json::Value>>,
    pub error: Option<String>,
    /// Unfinished, and its process has not written for [`STALE_AFTER_SECS`]: the process stopped, and the
    /// import's transaction with it.
    pub interrupted: bool,
}

/// An unfinished import whose heartbeat is older than this is interrupted. The importing process writes
/// every half second, even while PostgreSQL commits; a minute leaves room for a busy server.
pub const STALE_AFTER_SECS: i64 = 60;

/// The columns of a [`Job`], with `interrupted` decided by the database's clock.
const SELECT_JOB: &str =
    "SELECT id, file, started_by, started_at, bytes_total, bytes_done, finished_at,
        report, error,
        (finished_at IS NULL AND heartbeat_at < now() - make_interval(secs => $1)) AS interrupted
    FROM import_jobs";

pub async fn start(pool: &PgPool, file: &str, by: &str, bytes: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO import_jobs (file, started_by, bytes_total) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(file)
    .bind(by)
    .bind(bytes)
    .fetch_one(pool)
    .await
}

pub async fn advance(pool: &PgPool, id: i64, done: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE import_jobs SET bytes_done = $2, heartbeat_at = now() WHERE id = $1 AND finished_at IS NULL",
    )
        .bind(id)
        .bind(done)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records the outcome: a report (as JSON) or the error that stopped the import.
pub async fn finish(
    pool: &PgPool,
    id: i64,
    outcome: Result<serde_json::Value, String>,
) -> Result<(), sqlx::Error> {
    let (report, error) = match outcome {
        Ok(r) => (Some(sqlx::types::Json(r)), None),
        Err(e) => (None, Some(e)),
    };
    sqlx::query(
        "UPDATE import_jobs SET finished_at = now(), bytes_done = bytes_total, report = $2, error = $3
         WHERE id = $1",
    )
    .bind(id)
    .bind(report)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, id: i64) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_JOB} WHERE id = $2"))
        .bind(STALE_AFTER_SECS as f64)
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The newest imports.
pub async fn recent(pool: &PgPool) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT_JOB} ORDER BY id DESC LIMIT 20"))
        .bind(STALE_AFTER_SECS as f64)
        .fetch_all(pool)
        .await
}
