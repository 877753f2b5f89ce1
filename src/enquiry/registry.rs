//! Who acts for institutions and where their leads go. Contacts are people, registered with an invite
//! code and known by their user id: whoever presses a lead's button is checked here, whatever chat the
//! button sits in. An institution's group chats (a tech-transfer office's shared inbox) receive its
//! leads instead of its contacts' own chats. Owns `contact_chats` and `institution_groups`.

use sqlx::PgConnection;

/// Makes `user_id` a contact of the institution (again, or of another one: a person is the contact of
/// one institution per channel). `own_chat` is the person's own chat, where leads go while the
/// institution has no group; on every channel a private chat's id is its user's.
pub async fn add_contact(
    conn: &mut PgConnection,
    institution_id: i64,
    channel: &str,
    own_chat: i64,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact_chats (institution_id, channel, chat_id, user_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel, chat_id) DO UPDATE SET institution_id = EXCLUDED.institution_id,
             user_id = EXCLUDED.user_id, registered_at = now()",
    )
    .bind(institution_id)
    .bind(channel)
    .bind(own_chat)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The institution a person is a registered contact of, if any: the check of every contact action.
pub async fn contact_institution(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT institution_id FROM contact_chats WHERE channel = $1 AND user_id = $2",
    )
    .bind(channel)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// The institution (id, name) a person is a registered contact of, if any; the web console asks on every
/// request, so a removed contact loses access at once.
pub async fn contact_of(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.institution_id, i.name FROM contact_chats c JOIN institutions i ON i.id = c.institution_id
         WHERE c.channel = $1 AND c.user_id = $2",
    )
    .bind(channel)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Whether anyone can act on the institution's leads.
pub async fn has_contacts(
    conn: &mut PgConnection,
    institution_id: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contact_chats WHERE institution_id = $1)")
        .bind(institution_id)
        .fetch_one(&mut *conn)
        .await
}

/// Where the institution's leads, answers and reminders go: its group chats if it registered any,
/// otherwise each contact's own chat.
pub async fn lead_chats(
    conn: &mut PgConnection,
    institution_id: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "WITH g AS (SELECT id, channel, chat_id FROM institution_groups WHERE institution_id = $1)
         SELECT channel, chat_id FROM (
             SELECT 0 AS k, id, channel, chat_id FROM g
             UNION ALL
             SELECT 1, id, channel, chat_id FROM contact_chats
             WHERE institution_id = $1 AND NOT EXISTS (SELECT 1 FROM g)) t
         ORDER BY k, id",
    )
    .bind(institution_id)
    .fetch_all(&mut *conn)
    .await
}

/// The group chats of an institution.
pub async fn groups_of(
    conn: &mut PgConnection,
    institution_id: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channel, chat_id FROM institution_groups WHERE institution_id = $1 ORDER BY id",
    )
    .bind(institution_id)
    .fetch_all(&mut *conn)
    .await
}

/// The institution (id, name) a group chat receives the leads of, if any.
pub async fn group_institution(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.name FROM institution_groups g JOIN institutions i ON i.id = g.institution_id
         WHERE g.channel = $1 AND g.chat_id = $2",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await
}

/// What registering a group did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAdded {
    /// The group now receives the institution's leads (or already did).
    Added,
    /// The group receives another institution's leads (named): nothing changed.
    Taken(String),
}

/// Registers a group chat for an institution; a group belongs to one institution, and only a contact
/// of that institution can release it ([`remove_group`]).
pub async fn add_group(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    institution_id: i64,
    added_by: i64,
) -> Result<GroupAdded, sqlx::Error> {
    sqlx::query(
        "INSERT INTO institution_groups (institution_id, channel, chat_id, added_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel, chat_id) DO NOTHING",
    )
    .bind(institution_id)
    .bind(channel)
    .bind(chat_id)
    .bind(added_by)
    .execute(&mut *conn)
    .await?;
    Ok(match group_institution(conn, channel, chat_id).await? {
        Some((id, name)) if id != institution_id => GroupAdded::Taken(name),
        _ => GroupAdded::Added,
    })
}

/// The group no longer receives the institution's leads; false if it was not that institution's group.
pub async fn remove_group(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    institution_id: i64,
) -> Result<bool, sqlx::Error> {
    let removed = sqlx::query(
        "DELETE FROM institution_groups WHERE channel = $1 AND chat_id = $2 AND institution_id = $3",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(institution_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(removed > 0)
}

/// Forgets a person (`/forget` in their own chat, whose id is theirs): their registration as a
/// contact goes, and the groups they registered no longer name them.
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contact_chats WHERE channel = $1 AND (user_id = $2 OR chat_id = $2)")
        .bind(channel)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE institution_groups SET added_by = NULL WHERE channel = $1 AND added_by = $2",
    )
    .bind(channel)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
