//! The board's tables: `board_needs` (posted needs, with the chat that posted them) and `board_answers`
//! (institutions' answers). Contacts' reads never return the posting chat.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Open needs one chat may have on the board at once: a board is for needs, not for every search.
pub const MAX_OPEN_PER_CHAT: i64 = 5;
/// Answers one institution may give to one need (one per patent).
pub const MAX_ANSWERS_PER_INSTITUTION: i64 = 3;

/// What posting a need did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    New(i64),
    /// The chat has this very need open on the board already (its id).
    Duplicate(i64),
    /// The chat has [`MAX_OPEN_PER_CHAT`] needs open.
    Capped,
}

/// Posts a need of `(channel, chat_id)` for `days`.
pub async fn post(
    conn: &mut PgConnection,
    who: (&str, i64),
    lang: &str,
    need: &str,
    industries: &[String],
    days: u32,
) -> Result<Posted, sqlx::Error> {
    let (channel, chat_id) = who;
    // One posting at a time per chat, so two quick presses cannot both pass the checks below.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2::text, 7))")
        .bind(channel)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    let open: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, need FROM board_needs WHERE channel = $1 AND chat_id = $2
           AND withdrawn_at IS NULL AND expires_at > now()",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await?;
    if let Some((id, _)) = open.iter().find(|(_, n)| n == need) {
        return Ok(Posted::Duplicate(*id));
    }
    if open.len() as i64 >= MAX_OPEN_PER_CHAT {
        return Ok(Posted::Capped);
    }
    let id = sqlx::query_scalar(
        "INSERT INTO board_needs (channel, chat_id, lang, need, industries, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6)) RETURNING id",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(lang)
    .bind(need)
    .bind(industries)
    .bind(days as i32)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Posted::New(id))
}

/// A chat's own open need, as `/my` lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mine {
    pub id: i64,
    pub need: String,
    pub expires_at: DateTime<Utc>,
    pub answers: i64,
}

/// The chat's open needs, oldest first.
pub async fn of_chat(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Vec<Mine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT n.id, n.need, n.expires_at, (SELECT count(*) FROM board_answers a WHERE a.need_id = n.id) AS answers
         FROM board_needs n WHERE n.channel = $1 AND n.chat_id = $2
           AND n.withdrawn_at IS NULL AND n.expires_at > now()
         ORDER BY n.id",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await
}

/// Withdraws need `id` if it is the chat's and still open; false otherwise. Its answers go with it
/// (the words are the company's).
pub async fn withdraw(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE board_needs SET withdrawn_at = now(), need = '…', chat_id = 0
         WHERE id = $1 AND channel = $2 AND chat_id = $3 AND withdrawn_at IS NULL AND expires_at > now()",
    )
    .bind(id)
    .bind(channel)
    .bind(chat_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// A posted need as contacts and admins see it (never who posted it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub need: String,
    pub industries: Vec<String>,
    pub posted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Answers so far, from every institution.
    pub answers: i64,
    /// Answers of the reader's institution (0 for an admin).
    pub ours: i64,
}

/// Open needs, newest first. For a contact's institution, only those in the industries of its patents
/// (or of no industry) unless `all`; for an admin (`None`), all of them.
pub async fn open_needs(
    conn: &mut PgConnection,
    institution: Option<i64>,
    all: bool,
) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT n.id, n.need, n.industries, n.posted_at, n.expires_at,
                (SELECT count(*) FROM board_answers a WHERE a.need_id = n.id) AS answers,
                (SELECT count(*) FROM board_answers a WHERE a.need_id = n.id AND a.institution_id = $1) AS ours
         FROM board_needs n
         WHERE n.withdrawn_at IS NULL AND n.expires_at > now()
           AND ($1::bigint IS NULL OR $2 OR cardinality(n.industries) = 0
                OR n.industries && ARRAY(SELECT DISTINCT industry FROM patents
                                          WHERE institution_id = $1 AND industry <> ''))
         ORDER BY n.id DESC LIMIT 500",
    )
    .bind(institution)
    .bind(all)
    .fetch_all(&mut *conn)
    .await
}

/// One open need as contacts see it.
pub async fn open_need(
    conn: &mut PgConnection,
    id: i64,
    institution: Option<i64>,
) -> Result<Option<Listed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT n.id, n.need, n.industries, n.posted_at, n.expires_at,
                (SELECT count(*) FROM board_answers a WHERE a.need_id = n.id) AS answers,
                (SELECT count(*) FROM board_answers a WHERE a.need_id = n.id AND a.institution_id = $2) AS ours
         FROM board_needs n WHERE n.id = $1 AND n.withdrawn_at IS NULL AND n.expires_at > now()",
    )
    .bind(id)
    .bind(institution)
    .fetch_optional(&mut *conn)
    .await
}

/// Who posted an open need, to tell them of an answer: (channel, chat id, language, need), the need
/// locked until the caller's transaction ends, so a withdrawal waits for the answer or wins before it.
pub async fn poster(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<(String, i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channel, chat_id, lang, need FROM board_needs
         WHERE id = $1 AND withdrawn_at IS NULL AND expires_at > now() FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// What answering did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    New(i64),
    /// This patent answers this need already.
    Duplicate,
    /// The institution gave [`MAX_ANSWERS_PER_INSTITUTION`] answers to this need.
    Capped,
}

/// An answer to be recorded.
pub struct NewAnswer<'a> {
    pub need_id: i64,
    pub institution_id: i64,
    pub patent_number: &'a str,
    pub offer: &'a str,
    /// The contact who answers: (channel, user id).
    pub by: (&'a str, i64),
}

/// Records an answer (call with the need locked by [`poster`]).
pub async fn answer(conn: &mut PgConnection, a: &NewAnswer<'_>) -> Result<Answered, sqlx::Error> {
    let ours: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM board_answers WHERE need_id = $1 AND institution_id = $2",
    )
    .bind(a.need_id)
    .bind(a.institution_id)
    .fetch_one(&mut *conn)
    .await?;
    if ours >= MAX_ANSWERS_PER_INSTITUTION {
        return Ok(Answered::Capped);
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO board_answers (need_id, institution_id, patent_number, offer, channel, user_id)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (need_id, patent_number) DO NOTHING RETURNING id",
    )
    .bind(a.need_id)
    .bind(a.institution_id)
    .bind(a.patent_number)
    .bind(a.offer)
    .bind(a.by.0)
    .bind(a.by.1)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.map_or(Answered::Duplicate, Answered::New))
}

/// An answer as shown on the need's page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerShown {
    pub patent_number: String,
    pub title: String,
    pub institution: String,
    pub offer: String,
    pub answered_at: DateTime<Utc>,
}

/// The answers to need `id`: an institution's own, or (`None`, an admin) everyone's.
pub async fn answers(
    conn: &mut PgConnection,
    id: i64,
    institution: Option<i64>,
) -> Result<Vec<AnswerShown>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.patent_number, coalesce(p.title, '') AS title, i.name AS institution, a.offer, a.answered_at
         FROM board_answers a JOIN institutions i ON i.id = a.institution_id
         LEFT JOIN patents p ON p.number = a.patent_number
         WHERE a.need_id = $1 AND ($2::bigint IS NULL OR a.institution_id = $2)
         ORDER BY a.id",
    )
    .bind(id)
    .bind(institution)
    .fetch_all(&mut *conn)
    .await
}

/// Deletes a chat's needs (`/forget`).
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM board_needs WHERE channel = $1 AND chat_id = $2")
        .bind(channel)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes (or, for a dry run, counts) needs that expired or were withdrawn, with their answers. A
/// need's expiry was fixed when it was posted, so no age is passed; the shared pruning loop binds one
/// anyway, and the query only names it (`$1 >= 0`) so that PostgreSQL can type it.
pub async fn prune(pool: &sqlx::PgPool, dry_run: bool) -> Result<u64, sqlx::Error> {
    crate::db::prune(
        pool,
        "WITH doomed AS (
             SELECT id FROM board_needs
             WHERE (expires_at < now() OR withdrawn_at IS NOT NULL) AND $1 >= 0 LIMIT $2),
         gone AS (DELETE FROM board_needs WHERE $3 AND id IN (SELECT id FROM doomed))
         SELECT count(*) FROM doomed",
        0,
        dry_run,
    )
    .await
}
