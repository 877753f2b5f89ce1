//! The chat side of signing in: `/web` sends a registered contact or an admin a one-time link to the
//! console. Others are told whom the console is for; a link is only ever sent in a private chat.

use super::store::{self, LINK_MINUTES, Person};
use crate::app::context::{Context, Who};
use crate::app::reply::Reply;
use crate::dialog::web_texts::PREFIX;
use sqlx::PgConnection;

fn say(ctx: &Context, key: &str, lang: &str, extra: &[(&str, String)]) -> Vec<Reply> {
    vec![Reply::Text(ctx.text(
        &format!("{PREFIX}{key}"),
        lang,
        extra,
    ))]
}

/// `/web`.
pub async fn link(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    lang: &str,
) -> Result<Vec<Reply>, sqlx::Error> {
    let contact = crate::enquiry::registry::contact_of(conn, who.channel, who.user_id).await?;
    if contact.is_none() && !ctx.is_admin(who.user_id) {
        return Ok(say(ctx, "not_for_you", lang, &[]));
    }
    // In a private chat the chat is the user; anywhere else others would read the link.
    if who.group || who.chat_id != who.user_id {
        return Ok(say(ctx, "private_only", lang, &[]));
    }
    let Some(base) = &ctx.settings.public_url else {
        return Ok(say(ctx, "not_set_up", lang, &[]));
    };
    let person = Person {
        channel: who.channel.to_owned(),
        chat_id: who.chat_id,
        user_id: who.user_id,
    };
    let token = store::create_link(conn, &person, lang).await?;
    Ok(say(
        ctx,
        "link",
        lang,
        &[
            ("url", format!("{base}/web/login?token={token}")),
            ("count", LINK_MINUTES.to_string()),
        ],
    ))
}
