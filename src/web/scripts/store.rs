//! The `script_history` table: the versions of a script file that publishes and rollbacks replaced.
//! The current text is the file itself, never a row here.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// What replaced a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    Publish,
    /// A rollback to the earlier version with this id.
    Rollback(i64),
}

/// Who did something, as the audit log names people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub channel: String,
    pub user_id: i64,
}

/// One replaced version, without its text (the history list).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub file: String,
    pub published_channel: Option<String>,
    pub published_by: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    pub replaced_how: String,
    pub rollback_of: Option<i64>,
    pub replaced_channel: String,
    pub replaced_by: i64,
    pub replaced_at: DateTime<Utc>,
}

impl Version {
    /// What replaced it (the column's check allows nothing else).
    pub fn replaced(&self) -> Replaced {
        match self.rollback_of {
            Some(id) if self.replaced_how == "rollback" => Replaced::Rollback(id),
            _ => Replaced::Publish,
        }
    }

    /// Who published it with the editor, and when; `None` when it came from elsewhere.
    pub fn published(&self) -> Option<(Actor, DateTime<Utc>)> {
        match (
            &self.published_channel,
            self.published_by,
            self.published_at,
        ) {
            (Some(channel), Some(user_id), Some(at)) => Some((
                Actor {
                    channel: channel.clone(),
                    user_id,
                },
                at,
            )),
            _ => None,
        }
    }
}

/// SHA-256 of a text (to tell whether the file still holds a published text).
pub fn sha(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

/// Who published `current` (the file's text now) and when, if the newest publish of `file` wrote it;
/// `None` when the file was changed by other means since, or never published here.
pub async fn publisher_of(
    conn: &mut PgConnection,
    file: &str,
    current: &str,
) -> Result<Option<(Actor, DateTime<Utc>)>, sqlx::Error> {
    let newest: Option<(String, i64, DateTime<Utc>, Vec<u8>)> = sqlx::query_as(
        "SELECT replaced_channel, replaced_by, replaced_at, replaced_sha FROM script_history
         WHERE file = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(file)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(newest
        .filter(|(_, _, _, written)| *written == sha(current))
        .map(|(channel, user_id, at, _)| (Actor { channel, user_id }, at)))
}

/// Keeps `old`, the text of `file` being replaced by `new` by `by` (how: `replaced`); returns its id.
pub async fn keep(
    conn: &mut PgConnection,
    file: &str,
    old: &str,
    new: &str,
    by: &Actor,
    replaced: Replaced,
) -> Result<i64, sqlx::Error> {
    let published = publisher_of(conn, file, old).await?;
    let (how, rollback_of) = match replaced {
        Replaced::Publish => ("publish", None),
        Replaced::Rollback(id) => ("rollback", Some(id)),
    };
    sqlx::query_scalar(
        "INSERT INTO script_history (file, content, published_channel, published_by, published_at,
                                     replaced_how, rollback_of, replaced_channel, replaced_by, replaced_sha)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(file)
    .bind(old)
    .bind(published.as_ref().map(|(a, _)| a.channel.clone()))
    .bind(published.as_ref().map(|(a, _)| a.user_id))
    .bind(published.as_ref().map(|(_, at)| *at))
    .bind(how)
    .bind(rollback_of)
    .bind(&by.channel)
    .bind(by.user_id)
    .bind(sha(new))
    .fetch_one(&mut *conn)
    .await
}

const COLUMNS: &str = "id, file, published_channel, published_by, published_at, replaced_how, \
                       rollback_of, replaced_channel, replaced_by, replaced_at";

/// The replaced versions of `file`, newest first (at most `limit`).
pub async fn versions<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    file: &str,
    limit: i64,
) -> Result<Vec<Version>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM script_history WHERE file = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(file)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Version `id` of `file` with its text (`None`: no such version of that file).
pub async fn version<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    file: &str,
    id: i64,
) -> Result<Option<(Version, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        version: Version,
        content: String,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, content FROM script_history WHERE file = $1 AND id = $2"
    ))
    .bind(file)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.version, r.content)))
}
