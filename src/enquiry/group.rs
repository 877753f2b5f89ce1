//! An institution's group chat: a tech-transfer office adds the bot to its group (several staff, one
//! inbox of leads) and a registered contact sends `/group` there, or registers there with an invite
//! code. The institution's leads, answers and reminders then go to the group; anyone in it sees them,
//! but only the institution's registered contacts may act (checked by who presses, in
//! [`super::contact`]), and the group is told who acted. In a group the bot runs no company intake: it
//! answers commands, lead buttons and the answers it asked a contact for, and stays quiet otherwise.

use super::registry::{self, GroupAdded};
use super::store::Enquiry;
use crate::app::context::{Context, Who};
use crate::app::reply::Reply;
use crate::outbox::{self, Message};
use sqlx::PgConnection;

type Result<T> = std::result::Result<T, sqlx::Error>;

fn say(ctx: &Context, key: &str, lang: &str, extra: &[(&str, String)]) -> Vec<Reply> {
    vec![Reply::Text(ctx.text(key, lang, extra))]
}

/// What `/group` asks for: the group receives the leads (no argument), or no longer (`off`).
fn wants_off(arg: Option<&str>) -> Option<bool> {
    match arg.map(|a| a.trim().to_lowercase()) {
        None => Some(false),
        Some(a) if a == "off" => Some(true),
        Some(_) => None,
    }
}

/// `/group [off]`, typed by whoever: only a registered contact (by user id) can make a group its
/// institution's, or release it; a group belongs to one institution.
pub async fn command(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    arg: Option<&str>,
    lang: &str,
) -> Result<Vec<Reply>> {
    if !who.group {
        return Ok(say(ctx, "group_only", lang, &[]));
    }
    let Some(off) = wants_off(arg) else {
        return help(ctx, conn, who, lang).await;
    };
    let Some(institution) = registry::contact_institution(conn, who.channel, who.user_id).await?
    else {
        return Ok(say(ctx, "not_contact", lang, &[]));
    };
    if !off {
        return adopt(ctx, conn, who, institution, lang).await;
    }
    if registry::remove_group(conn, who.channel, who.chat_id, institution).await? {
        let name = crate::catalog::store::institution_name(&mut *conn, institution).await?;
        return Ok(say(
            ctx,
            "group_removed",
            lang,
            &[("institution", name.unwrap_or_default())],
        ));
    }
    match registry::group_institution(conn, who.channel, who.chat_id).await? {
        Some((_, other)) => Ok(say(ctx, "group_taken", lang, &[("institution", other)])),
        None => help(ctx, conn, who, lang).await,
    }
}

/// The group (where `who` writes) receives `institution`'s leads from now on, unless it is another
/// institution's group already.
pub async fn adopt(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    institution: i64,
    lang: &str,
) -> Result<Vec<Reply>> {
    let added =
        registry::add_group(conn, who.channel, who.chat_id, institution, who.user_id).await?;
    Ok(match added {
        GroupAdded::Added => {
            let name = crate::catalog::store::institution_name(&mut *conn, institution).await?;
            say(
                ctx,
                "group_registered",
                lang,
                &[("institution", name.unwrap_or_default())],
            )
        }
        GroupAdded::Taken(other) => say(ctx, "group_taken", lang, &[("institution", other)]),
    })
}

/// `/help` and `/start` in a group: what the bot does here, and whose leads this group receives.
pub async fn help(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    lang: &str,
) -> Result<Vec<Reply>> {
    let mut text = ctx.text("group_help", lang, &[]);
    if let Some((_, name)) = registry::group_institution(conn, who.channel, who.chat_id).await? {
        text.push('\n');
        text.push_str(&ctx.text("group_status", lang, &[("institution", name)]));
    }
    Ok(vec![Reply::Text(text)])
}

/// In a group, the bot's answers to a contact name them ("Zhang San: enquiry #5 accepted..."), so
/// everyone there sees who acted; in a private chat they stay as they are. Brief notices (a refusal, a
/// stale button) are the presser's alone and are not named.
pub fn signed(ctx: &Context, who: &Who<'_>, lang: &str, replies: Vec<Reply>) -> Vec<Reply> {
    if !who.group {
        return replies;
    }
    let sign = |message: String| {
        ctx.text(
            "addressed",
            lang,
            &[("name", who.display_name()), ("message", message)],
        )
    };
    replies
        .into_iter()
        .map(|reply| match reply {
            Reply::Text(text) => Reply::Text(sign(text)),
            Reply::Buttons { text, buttons } => Reply::Buttons {
                text: sign(text),
                buttons,
            },
            other => other,
        })
        .collect()
}

/// A question the bot asks a contact in a group: named, and with how to answer there (a reply to the
/// bot's message reaches it even when the group hides other messages from bots).
pub fn asked(ctx: &Context, who: &Who<'_>, lang: &str, replies: Vec<Reply>) -> Vec<Reply> {
    if !who.group {
        return replies;
    }
    let hint = ctx.text("group_reply_hint", lang, &[]);
    let replies = replies
        .into_iter()
        .map(|reply| match reply {
            Reply::Text(text) => Reply::Text(format!("{text}\n{hint}")),
            Reply::Buttons { text, buttons } => Reply::Buttons {
                text: format!("{text}\n{hint}"),
                buttons,
            },
            other => other,
        })
        .collect();
    signed(ctx, who, lang, replies)
}

/// A contact acted on `e` (now in its new status): the institution's groups other than the chat where
/// it happened are told who did what, so nobody there acts on it twice.
pub async fn tell_others(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    e: &Enquiry,
) -> Result<()> {
    for (channel, chat) in registry::groups_of(conn, e.institution_id).await? {
        if channel == who.channel && chat == who.chat_id {
            continue;
        }
        let lang = ctx.lang_of(conn, &channel, chat).await?;
        let mut v = super::messages::vars(ctx, e, &lang);
        v.push(("name", who.display_name()));
        let notice = Message::text(ctx.text("acted_by", &lang, &v));
        outbox::enqueue(conn, &channel, chat, &notice, None).await?;
    }
    Ok(())
}
