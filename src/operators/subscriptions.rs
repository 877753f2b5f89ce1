//! Saved needs ("notify me of new matches"): after a search a company can save its need and filters;
//! whenever the catalogue changes, each saved need is matched again and the company is told once per
//! new or changed patent that matches it confidently, at most a configurable number of times a week,
//! with a one-tap unsubscribe.

use crate::app::context::Context;
use crate::app::route::ButtonId;
use crate::dialog::engine::Button;
use crate::matching::Filters;
use crate::outbox::{self, Message};
use sqlx::PgConnection;
use std::collections::HashMap;

/// Pushes one company gets in seven days unless configured otherwise.
pub const DEFAULT_WEEKLY_CAP: i64 = crate::app::context::DEFAULT_PUSH_WEEKLY_CAP;
/// How deep in a saved need's ranking a changed patent may be and still be news.
const DEPTH: usize = 100;

/// A saved need as the push worker reads it.
#[derive(sqlx::FromRow)]
struct Saved {
    id: i64,
    channel: String,
    chat_id: i64,
    need: String,
    filters: sqlx::types::Json<Filters>,
    lang: String,
    created_seq: i64,
}

/// Saves a need; an identical saved need of the same chat is not saved twice. Returns its id.
pub async fn subscribe(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    need: &str,
    filters: &Filters,
    lang: &str,
) -> Result<i64, sqlx::Error> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM subscriptions WHERE channel = $1 AND chat_id = $2 AND need = $3 AND filters = $4",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(need)
    .bind(sqlx::types::Json(filters))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO subscriptions (channel, chat_id, need, filters, lang, created_seq)
         SELECT $1, $2, $3, $4, $5, CASE WHEN is_called THEN last_value ELSE 0 END FROM catalog_change_seq
         RETURNING id",
    )
    .bind(channel)
    .bind(chat_id)
    .bind(need)
    .bind(sqlx::types::Json(filters))
    .bind(lang)
    .fetch_one(&mut *conn)
    .await
}

/// A chat's saved needs: (id, need).
pub async fn list(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, need FROM subscriptions WHERE channel = $1 AND chat_id = $2 ORDER BY id",
    )
    .bind(channel)
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await
}

/// Removes one of the chat's own saved needs; false if it is not theirs (or gone).
pub async fn unsubscribe(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM subscriptions WHERE id = $1 AND channel = $2 AND chat_id = $3")
            .bind(id)
            .bind(channel)
            .bind(chat_id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Matches every saved need against the patents changed since the last round (as far as the live index
/// has caught up) and queues the pushes. One process does a round at a time (the cursor row is locked;
/// others skip). Returns how many pushes were queued.
pub async fn push_new_matches(ctx: &Context, weekly_cap: i64) -> Result<usize, sqlx::Error> {
    let pool = &ctx.pool;
    let mut tx = pool.begin().await?;
    let cursor: Option<i64> = sqlx::query_scalar(
        "SELECT change_seq FROM subscription_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(cursor) = cursor else {
        return Ok(0);
    };
    let upto = ctx.matcher.seen();
    if upto <= cursor {
        return Ok(0);
    }
    let changed: HashMap<String, i64> = crate::catalog::store::patents_changed_since(pool, cursor)
        .await?
        .into_iter()
        .filter(|p| p.change_seq <= upto)
        .map(|p| (p.record.number, p.change_seq))
        .collect();
    let subscriptions: Vec<Saved> = if changed.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT id, channel, chat_id, need, filters, lang, created_seq FROM subscriptions ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?
    };
    let mut pushed = 0;
    for Saved {
        id,
        channel,
        chat_id,
        need,
        filters,
        lang,
        created_seq,
    } in subscriptions
    {
        let result = ctx.matcher.search(&need, &filters.0, DEPTH).await;
        for hit in result.hits.iter().filter(|h| h.is_confident()) {
            let Some(&seq) = changed.get(&hit.number) else {
                continue;
            };
            if seq <= created_seq {
                continue;
            }
            let this_week: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM subscription_pushes p JOIN subscriptions s ON s.id = p.subscription_id
                 WHERE s.channel = $1 AND s.chat_id = $2 AND p.at > now() - interval '7 days'",
            )
            .bind(&channel)
            .bind(chat_id)
            .fetch_one(&mut *tx)
            .await?;
            if this_week >= weekly_cap {
                break;
            }
            let new = sqlx::query(
                "INSERT INTO subscription_pushes (subscription_id, patent_number) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(&hit.number)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !new {
                continue;
            }
            let extra = [
                ("need", need.clone()),
                ("title", hit.title.clone()),
                ("number", hit.number.clone()),
                ("institution", hit.institution.clone()),
                ("score", hit.score.to_string()),
            ];
            // The notice is in the language the need was saved in, with a button to open the patent.
            let message = Message {
                text: ctx.text("push", &lang, &extra),
                buttons: vec![
                    Button::new(
                        ButtonId::Patent(hit.number.clone()),
                        ctx.text("open_patent", &lang, &[]),
                    ),
                    Button::new(
                        ButtonId::Unsubscribe(id),
                        ctx.text("unsubscribe", &lang, &[]),
                    ),
                ],
            };
            outbox::enqueue(&mut tx, &channel, chat_id, &message, None).await?;
            pushed += 1;
        }
    }
    sqlx::query("UPDATE subscription_cursor SET change_seq = $1 WHERE id = 1")
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(pushed)
}

/// Deletes a chat's saved needs and what was pushed for them (`/forget`).
pub async fn forget(
    conn: &mut PgConnection,
    channel: &str,
    chat_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM subscriptions WHERE channel = $1 AND chat_id = $2")
        .bind(channel)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
