//! Thumbs on results as votes: one per user and patent. Pressing 👍 again withdraws it, 👎 after 👍
//! changes it; the statistics count the votes standing, not the presses. Voters are users (who
//! pressed), not chats; `/forget` deletes a user's votes.

use sqlx::{PgConnection, PgPool};

/// What a thumb press did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    /// A new vote.
    Counted,
    /// The other thumb was pressed before: the vote is turned round.
    Changed,
    /// The same thumb again: the vote is gone.
    Withdrawn,
}

/// Records `user`'s thumb (`up` or down) on `patent`.
pub async fn press(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
    patent: &crate::matching::Hit,
    up: bool,
) -> Result<Vote, sqlx::Error> {
    let withdrawn = sqlx::query(
        "DELETE FROM patent_votes WHERE channel = $1 AND user_id = $2 AND patent_number = $3 AND up = $4",
    )
    .bind(channel)
    .bind(user_id)
    .bind(&patent.number)
    .bind(up)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if withdrawn > 0 {
        return Ok(Vote::Withdrawn);
    }
    // `xmax` is set on a row the upsert updated (a vote turned round), zero on one it inserted.
    let changed: bool = sqlx::query_scalar(
        "INSERT INTO patent_votes (channel, user_id, patent_number, institution, up) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (channel, user_id, patent_number) DO UPDATE SET up = EXCLUDED.up, at = now()
         RETURNING xmax <> 0",
    )
    .bind(channel)
    .bind(user_id)
    .bind(&patent.number)
    .bind(&patent.institution)
    .bind(up)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if changed {
        Vote::Changed
    } else {
        Vote::Counted
    })
}

/// The patents with the most votes of one kind cast (or last changed) since `from`, optionally of one
/// institution: (patent number, votes), most first.
pub async fn top(
    pool: &PgPool,
    from: chrono::DateTime<chrono::Utc>,
    institution: Option<&str>,
    up: bool,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT patent_number, count(*) FROM patent_votes
         WHERE up = $4 AND at >= $1 AND ($2::text IS NULL OR institution = $2)
         GROUP BY patent_number ORDER BY count(*) DESC, patent_number LIMIT $3",
    )
    .bind(from)
    .bind(institution)
    .bind(limit)
    .bind(up)
    .fetch_all(pool)
    .await
}

/// Deletes the votes of a user (`/forget`; a private chat's id is its user's).
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM patent_votes WHERE channel = $1 AND user_id = $2")
        .bind(channel)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
