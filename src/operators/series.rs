//! Figures over time and per patent, for the console's charts: needs per week (with those that found no
//! good match, and enquiries made), and an institution's patents with how often each was shown, opened
//! and enquired about. Read from `usage_events` and `enquiries` (owned elsewhere: read only here).

use chrono::NaiveDate;
use sqlx::PgPool;

/// One week's figures (weeks start on Monday, UTC).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Week {
    pub start: NaiveDate,
    pub needs: i64,
    pub no_match: i64,
    pub enquiries: i64,
}

/// The last `weeks` weeks, oldest first, every week present (zeros where nothing happened).
pub async fn weekly(pool: &PgPool, weeks: i32) -> Result<Vec<Week>, sqlx::Error> {
    sqlx::query_as(
        "WITH w AS (
             SELECT generate_series(date_trunc('week', now()) - make_interval(weeks => $1 - 1),
                                    date_trunc('week', now()), interval '1 week') AS start)
         SELECT w.start::date AS start,
                (SELECT count(*) FROM usage_events u WHERE u.kind = 'search'
                   AND u.at >= w.start AND u.at < w.start + interval '1 week') AS needs,
                (SELECT count(*) FROM usage_events u WHERE u.kind = 'no_match'
                   AND u.at >= w.start AND u.at < w.start + interval '1 week') AS no_match,
                (SELECT count(*) FROM enquiries e
                   WHERE e.created_at >= w.start AND e.created_at < w.start + interval '1 week') AS enquiries
         FROM w ORDER BY w.start",
    )
    .bind(weeks.max(1))
    .fetch_all(pool)
    .await
}

/// A patent of an institution with what companies did with it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatentCounts {
    pub number: String,
    pub title: String,
    pub shown: i64,
    pub opened: i64,
    pub enquired: i64,
}

/// Most patents [`of_institution`] lists.
pub const PATENTS_LISTED: i64 = 200;

/// The institution's patents that were shown or enquired about, most shown first (then most enquired),
/// at most [`PATENTS_LISTED`]; a patent nobody saw is not listed.
pub async fn of_institution(
    pool: &PgPool,
    institution_id: i64,
) -> Result<Vec<PatentCounts>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.number, p.title,
                coalesce(u.shown, 0) AS shown, coalesce(u.opened, 0) AS opened,
                (SELECT count(*) FROM enquiries e WHERE e.patent_number = p.number) AS enquired
         FROM patents p
         LEFT JOIN (SELECT patent_number,
                           count(*) FILTER (WHERE kind = 'shown') AS shown,
                           count(*) FILTER (WHERE kind = 'details') AS opened
                    FROM usage_events WHERE patent_number IS NOT NULL GROUP BY patent_number) u
                ON u.patent_number = p.number
         WHERE p.institution_id = $1
           AND (coalesce(u.shown, 0) > 0 OR EXISTS (SELECT 1 FROM enquiries e WHERE e.patent_number = p.number))
         ORDER BY shown DESC, enquired DESC, opened DESC, p.number LIMIT $2",
    )
    .bind(institution_id)
    .bind(PATENTS_LISTED)
    .fetch_all(pool)
    .await
}
