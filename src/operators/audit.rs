//! The audit log: every admin action, who did it and when.

use sqlx::PgConnection;

pub async fn record(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (channel, user_id, action, detail) VALUES ($1, $2, $3, $4)")
        .bind(channel)
        .bind(user_id)
        .bind(action)
        .bind(detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
