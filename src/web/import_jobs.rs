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
}

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
    sqlx::query("UPDATE import_jobs SET bytes_done = $2 WHERE id = $1 AND finished_at IS NULL")
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
    sqlx::query_as("SELECT * FROM import_jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The newest imports.
pub async fn recent(pool: &PgPool) -> Result<Vec<Job>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM import_jobs ORDER BY id DESC LIMIT 20")
        .fetch_all(pool)
        .await
}
