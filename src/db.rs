//! The PostgreSQL connection: creating the database when it is missing, running migrations, and turning
//! connection failures into one sentence a user can act on; and the batching every table's pruning
//! (retention) shares.

use crate::config::redact_url;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// Why the database could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "DATABASE_URL `{url}` is not a valid PostgreSQL URL ({reason}); expected e.g. postgres://user@host:5432/dbname"
    )]
    BadUrl { url: String, reason: String },
    #[error(
        "cannot reach PostgreSQL at {url} ({reason}); check that the server is running and that DATABASE_URL names the right host, port, user and password"
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "cannot create database `{name}` ({reason}); create it by hand or give the user the CREATEDB right"
    )]
    CreateFailed { name: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connects to `url`, creating the database if it does not exist, and applies pending migrations.
pub async fn connect_and_migrate(url: &str) -> Result<PgPool, DbError> {
    let pool = connect(url).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Connects to `url`, creating the database first when the server says it does not exist.
pub async fn connect(url: &str) -> Result<PgPool, DbError> {
    let shown = redact_url(url);
    let options = PgConnectOptions::from_str(url).map_err(|e| DbError::BadUrl {
        url: shown.clone(),
        reason: e.to_string(),
    })?;
    // Bulk imports run statements of many seconds by design; only warn about truly stuck ones.
    let options = options
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(60));
    match open_pool(options.clone()).await {
        Ok(pool) => Ok(pool),
        Err(e) if is_missing_database(&e) => {
            let name = options.get_database().unwrap_or("postgres").to_owned();
            create_database(options.clone(), &name).await?;
            open_pool(options).await.map_err(|e| DbError::Unreachable {
                url: shown,
                reason: e.to_string(),
            })
        }
        Err(e) => Err(DbError::Unreachable {
            url: shown,
            reason: e.to_string(),
        }),
    }
}

async fn open_pool(options: PgConnectOptions) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

fn is_missing_database(e: &sqlx::Error) -> bool {
    // 3D000 = invalid_catalog_name: "database ... does not exist".
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000"))
}

async fn create_database(options: PgConnectOptions, name: &str) -> Result<(), DbError> {
    let fail = |reason: String| DbError::CreateFailed {
        name: name.to_owned(),
        reason,
    };
    let mut conn = sqlx::PgConnection::connect_with(&options.database("postgres"))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    match sqlx::query(&format!("CREATE DATABASE {quoted}"))
        .execute(&mut conn)
        .await
    {
        Ok(_) => Ok(()),
        // 42P04 = duplicate_database: another process created it between our two attempts.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(()),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// Rows one pruning statement deletes at most: a large backlog goes in short transactions, none holding
/// many row locks for long.
const PRUNE_BATCH: i64 = 10_000;

/// Runs a table's pruning `statement` (written by the table's owner) until nothing is left to delete, or,
/// for a dry run, once without deleting; returns how many rows it deleted (or would delete). The
/// statement takes `$1` the age in days, `$2` the most rows to select and `$3` whether to delete them, and
/// returns how many it selected: `WITH doomed AS (SELECT id ... LIMIT $2), gone AS (DELETE ... WHERE $3
/// AND id IN (SELECT id FROM doomed)) SELECT count(*) FROM doomed`.
pub async fn prune(
    pool: &PgPool,
    statement: &'static str,
    days: u32,
    dry_run: bool,
) -> Result<u64, sqlx::Error> {
    let days = i32::try_from(days).unwrap_or(i32::MAX);
    let limit = if dry_run { i64::MAX } else { PRUNE_BATCH };
    let mut total = 0;
    loop {
        let selected: i64 = sqlx::query_scalar(statement)
            .bind(days)
            .bind(limit)
            .bind(!dry_run)
            .fetch_one(pool)
            .await?;
        total += selected as u64;
        if dry_run || selected < limit {
            return Ok(total);
        }
    }
}
