//! The console's tables: one-time sign-in links (`web_links`) and sessions (`web_sessions`). Tokens and
//! session ids are 256 random bits shown once (in the link, in the cookie); only their SHA-256 is stored.
//! Nothing here knows roles: who a signed-in person is allowed to be is looked up on every request.

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// How long a sign-in link works.
pub const LINK_MINUTES: i32 = 10;
/// How long a session lasts from sign-in (then the person sends `/web` again).
pub const SESSION_HOURS: i32 = 12;

/// Who signed in: the chat that asked for the link and the user in it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Person {
    pub channel: String,
    pub chat_id: i64,
    pub user_id: i64,
}

/// A live session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    #[sqlx(flatten)]
    pub person: Person,
    pub lang: String,
    pub csrf: String,
}

/// 256 random bits as 64 hex digits (the thread RNG is a CSPRNG seeded from the OS).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A secret as it may arrive: 64 hex digits and nothing else (anything else cannot be ours).
fn well_formed(secret: &str) -> bool {
    secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Stores a new single-use link for `person`; returns its token (to be put in the URL, never stored).
pub async fn create_link(
    conn: &mut PgConnection,
    person: &Person,
    lang: &str,
) -> Result<String, sqlx::Error> {
    // Old links and sessions are of no use to anyone; they go whenever a new link is made.
    sqlx::query("DELETE FROM web_links WHERE expires_at < now() - interval '1 day'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM web_sessions WHERE expires_at < now()")
        .execute(&mut *conn)
        .await?;
    let token = new_secret();
    sqlx::query(
        "INSERT INTO web_links (token_hash, channel, chat_id, user_id, lang, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))",
    )
    .bind(hash(&token))
    .bind(&person.channel)
    .bind(person.chat_id)
    .bind(person.user_id)
    .bind(lang)
    .bind(LINK_MINUTES)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// The language of a link that can still be used (unused, not expired), without using it.
pub async fn link_lang(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<String>, sqlx::Error> {
    if !well_formed(token) {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT lang FROM web_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
    )
    .bind(hash(token))
    .fetch_optional(&mut *conn)
    .await
}

/// Uses a link (once; an expired or used one gives `None`) and opens a session for its person.
/// Returns the session id (for the cookie, never stored) and the session.
pub async fn sign_in(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<(String, Session)>, sqlx::Error> {
    if !well_formed(token) {
        return Ok(None);
    }
    let used: Option<(Person, String)> = sqlx::query_as::<_, (String, i64, i64, String)>(
        "UPDATE web_links SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING channel, chat_id, user_id, lang",
    )
    .bind(hash(token))
    .fetch_optional(&mut *conn)
    .await?
    .map(|(channel, chat_id, user_id, lang)| {
        (
            Person {
                channel,
                chat_id,
                user_id,
            },
            lang,
        )
    });
    let Some((person, lang)) = used else {
        return Ok(None);
    };
    let id = new_secret();
    let csrf = new_secret();
    sqlx::query(
        "INSERT INTO web_sessions (id_hash, channel, chat_id, user_id, lang, csrf, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(hours => $7))",
    )
    .bind(hash(&id))
    .bind(&person.channel)
    .bind(person.chat_id)
    .bind(person.user_id)
    .bind(&lang)
    .bind(&csrf)
    .bind(SESSION_HOURS)
    .execute(&mut *conn)
    .await?;
    Ok(Some((id, Session { person, lang, csrf })))
}

/// The live session of a cookie's id, if any.
pub async fn session(conn: &mut PgConnection, id: &str) -> Result<Option<Session>, sqlx::Error> {
    if !well_formed(id) {
        return Ok(None);
    }
    sqlx::query_as(
        "SELECT channel, chat_id, user_id, lang, csrf FROM web_sessions
         WHERE id_hash = $1 AND expires_at > now()",
    )
    .bind(hash(id))
    .fetch_optional(&mut *conn)
    .await
}

/// Signs out: the session is gone for good.
pub async fn delete_session(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
        .bind(hash(id))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Changes the language pages are shown in.
pub async fn set_lang(conn: &mut PgConnection, id: &str, lang: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE web_sessions SET lang = $2 WHERE id_hash = $1")
        .bind(hash(id))
        .bind(lang)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Compares without stopping at the first difference, so response times do not leak a token.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bits_of_hex_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(a, b);
        assert!(!well_formed("abc") && !well_formed(&format!("{}g", &a[..63])));
        assert!(same_secret(a.as_bytes(), a.as_bytes()));
        assert!(!same_secret(a.as_bytes(), b.as_bytes()));
        assert!(!same_secret(b"", a.as_bytes()));
    }
}
