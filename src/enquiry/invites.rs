//! Single-use invite codes (`invites`): an admin issues one for an institution (chat `/invite`, the CLI,
//! the console's invite page); its tech-transfer contact registers with it (`/register CODE`).

use super::store::EnquiryError;
use chrono::{DateTime, Utc};
use rand::Rng;
use sqlx::PgConnection;

/// Letters and digits without look-alikes (0/O, 1/I/L), so a code read aloud or retyped survives.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Issues a single-use invite code for an institution, valid for `days`.
pub async fn invite(
    conn: &mut PgConnection,
    institution: &str,
    created_by: &str,
    days: i64,
) -> Result<String, EnquiryError> {
    let institution_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM institutions WHERE name = $1")
            .bind(institution.trim())
            .fetch_optional(&mut *conn)
            .await?;
    let institution_id =
        institution_id.ok_or_else(|| EnquiryError::UnknownInstitution(institution.to_owned()))?;
    let code: String = {
        let mut rng = rand::thread_rng();
        (0..10)
            .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
            .collect()
    };
    sqlx::query(
        "INSERT INTO invites (code, institution_id, created_by, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(days => $4::int))",
    )
    .bind(&code)
    .bind(institution_id)
    .bind(created_by)
    .bind(days as i32)
    .execute(&mut *conn)
    .await?;
    Ok(code)
}

/// Uses an invite code (once, before it expires): returns the code's institution (id, name).
pub async fn take_invite(
    conn: &mut PgConnection,
    code: &str,
    user_id: i64,
) -> Result<(i64, String), EnquiryError> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "UPDATE invites v SET used_at = now(), used_by = $2 FROM institutions i
         WHERE v.code = $1 AND v.used_at IS NULL AND v.expires_at > now() AND i.id = v.institution_id
         RETURNING v.institution_id, i.name",
    )
    .bind(code.trim().to_ascii_uppercase())
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or(EnquiryError::BadInvite)
}

/// Uses an invite code: `user_id` becomes a contact of the code's institution, with `own_chat` as their
/// own chat (see [`super::registry::add_contact`]). Returns the institution (id, name).
pub async fn register(
    conn: &mut PgConnection,
    code: &str,
    channel: &str,
    own_chat: i64,
    user_id: i64,
) -> Result<(i64, String), EnquiryError> {
    let (institution_id, name) = take_invite(conn, code, user_id).await?;
    super::registry::add_contact(conn, institution_id, channel, own_chat, user_id).await?;
    Ok((institution_id, name))
}

/// An invite code not used yet and not expired, as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenInvite {
    pub code: String,
    pub institution: String,
    pub created_by: String,
    pub expires_at: DateTime<Utc>,
}

/// The codes still usable, newest first.
pub async fn open(conn: &mut PgConnection) -> Result<Vec<OpenInvite>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.code, i.name AS institution, v.created_by, v.expires_at
         FROM invites v JOIN institutions i ON i.id = v.institution_id
         WHERE v.used_at IS NULL AND v.expires_at > now()
         ORDER BY v.created_at DESC LIMIT 200",
    )
    .fetch_all(&mut *conn)
    .await
}

/// Up to three names within a few edits of what was typed, for their length (两江交大 → 两江交通大学).
/// By characters: strsim's Sørensen-Dice divides by bytes, which ranks Chinese names too low.
pub fn similar_names(typed: &str, names: Vec<String>) -> Vec<String> {
    let mut scored: Vec<(f64, String)> = names
        .into_iter()
        .map(|n| (strsim::normalized_levenshtein(typed, &n), n))
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}
