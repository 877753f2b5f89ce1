//! Personal data rights (China's PIPL): the privacy notice shown before a company's first enquiry, and
//! `/forget`, which deletes a company's personal data and keeps only anonymous statistics.

use sqlx::PgConnection;

/// Whether this chat has read the privacy notice.
pub async fn acknowledged(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM privacy_notices WHERE channel = $1 AND chat_id = $2)",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_one(&mut *conn)
    .await
}

pub async fn acknowledge(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO privacy_notices (channel, chat_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(channel)
    .bind(chat_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes everything personal about a chat: its conversation (slots, need, results), saved needs,
/// messages still waiting for it, its privacy acknowledgement and contact registration; its enquiries keep only what statistics need (patent, institution, status history),
/// with the company's name, person, contact details, message and chat id removed.
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    // Each table's owner forgets its part, all in the caller's transaction.
    crate::dialog::store::forget(conn, channel, chat_id).await?;
    super::subscriptions::forget(conn, channel, chat_id).await?;
    // A private chat's id is its user's: the votes this person cast go too.
    super::votes::forget(conn, channel, chat_id).await?;
    crate::enquiry::store::forget(conn, channel, chat_id).await?;
    crate::board::store::forget(conn, channel, chat_id).await?;
    crate::enquiry::registry::forget(conn, channel, chat_id).await?;
    crate::outbox::forget(conn, channel, chat_id).await?;
    sqlx::query("DELETE FROM privacy_notices WHERE channel = $1 AND chat_id = $2")
        .bind(channel)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    // Delivered messages and handled updates keep no text (see `outbox::mark_sent` and the Telegram
    // inbox), so nothing else quotes this company.
    Ok(())
}
