//! The routing of one message: parse it into a typed route, then send it to the one place that handles
//! it. Conversation steps go to the dialog engine (see [`super::steps`]); enquiry and operator matters
//! to their modules, with the chat's state saved afterwards in every case but a confirmed `/forget`.
//! In a group chat (an institution's shared inbox of leads) there is no company intake: commands, lead
//! buttons and the answer the bot asked someone for are handled, other text is left alone.

use super::context::{Context, Who};
use super::reply::{Incoming, Reply};
use super::route::{ButtonId, Command, Pending};
use super::{App, AppError, steps, typed_button};
use crate::dialog::engine::{self, Event, State, new_state};
use crate::dialog::script::StepKind;
use crate::dialog::store;
use crate::enquiry::{contact, conversation, group};
use crate::operators::{audit, commands as operators};
use sqlx::PgConnection;

/// A message, understood.
enum Input {
    Command(Command),
    Button(ButtonId),
    /// A button id that does not parse: forged, or from a much older version.
    UnknownButton,
    /// `/something` that is none of ours (a typo, another bot's command): never searched as a need.
    UnknownCommand,
    Text(String),
}

impl Input {
    fn parse(incoming: Incoming) -> Self {
        match incoming {
            Incoming::Choice(id) => match id.parse() {
                Ok(b) => Input::Button(b),
                Err(_) => Input::UnknownButton,
            },
            Incoming::Text(text) => match Command::parse(&text) {
                Some(c) => Input::Command(c),
                None if looks_like_command(&text) => Input::UnknownCommand,
                None => Input::Text(text),
            },
        }
    }
}

/// `/name` with a Latin name, as commands are typed (a path like `/usr` in a need is rare in chat).
fn looks_like_command(text: &str) -> bool {
    let Some(rest) = text.trim().strip_prefix('/') else {
        return false;
    };
    let name = rest.split(char::is_whitespace).next().unwrap_or_default();
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
}

/// Words that ask for help, typed without the slash of `/help` (private chats only: in a group they
/// are people talking).
const HELP_WORDS: &[&str] = &["help", "帮助", "菜单", "menu", "怎么用", "如何使用"];

/// Thanks: answered politely, not searched as a need.
const THANKS_WORDS: &[&str] = &[
    "谢谢", "多谢", "感谢", "谢了", "thanks", "thankyou", "thx", "ty",
];

/// What handling produced: replies, and whether the state is to be saved.
struct Handled {
    replies: Vec<Reply>,
    save: bool,
}

impl From<Vec<Reply>> for Handled {
    fn from(replies: Vec<Reply>) -> Self {
        Self {
            replies,
            save: true,
        }
    }
}

pub(super) async fn handle(
    app: &App,
    conn: &mut PgConnection,
    who: &Who<'_>,
    incoming: Incoming,
) -> Result<Vec<Reply>, AppError> {
    app.refresh_lists(conn).await?;
    let ctx = app.context();
    let stored = store::lock(conn, who.channel, who.chat_id).await?;
    let mut state = stored.unwrap_or_else(|| new_state(&ctx.scripts, None));
    let input = Input::parse(incoming);
    if matches!(input, Input::Command(_)) {
        // Any command abandons an answer the application was waiting for, and typed text that waited
        // to be sent as one.
        state.pending = None;
        conversation::take_draft(&mut state);
    }
    let input = typed_rating(conn, who, &state, input).await?;
    let handled = match input {
        // Text while the application waits for a reason, a question or an answer from this user is
        // that answer.
        Input::Text(text)
            if let Some(pending) = state.pending.filter(|_| state.awaits_from(who.user_id)) =>
        {
            state.pending = None;
            on_pending(&ctx, conn, who, &mut state, pending, &text)
                .await?
                .into()
        }
        // In a group, other text is people talking among themselves: no intake, no answer.
        Input::Text(_) if who.group => Handled {
            replies: Vec::new(),
            save: false,
        },
        Input::Button(id) => on_button(&ctx, conn, who, &mut state, id).await?,
        // Forged, or from a much older version: one brief answer, nothing else changes.
        Input::UnknownButton => vec![ctx.notice("expired", &state.lang, &[])].into(),
        // In a group, a command for another bot is none of ours to answer.
        Input::UnknownCommand if who.group => Handled {
            replies: Vec::new(),
            save: false,
        },
        Input::UnknownCommand => {
            vec![Reply::Text(ctx.text("unknown_command", &state.lang, &[]))].into()
        }
        Input::Command(command) if who.group => {
            on_group_command(app, &ctx, conn, who, &mut state, command).await?
        }
        Input::Command(command) => on_command(app, &ctx, conn, who, &mut state, command).await?,
        // "help" typed without the slash is the command; thanks get a brief answer, never a search.
        Input::Text(text) if typed_button::is_one_of(&text, HELP_WORDS) => {
            on_command(app, &ctx, conn, who, &mut state, Command::Help).await?
        }
        Input::Text(text) if typed_button::is_one_of(&text, THANKS_WORDS) => {
            run_command(&ctx, conn, who, &mut state, engine::Command::Thanks)
                .await?
                .into()
        }
        // Typed text that names a button on offer ("重新开始", "知道了", "4星") presses it.
        Input::Text(text) if let Some(id) = typed_button::pressed(&state, &text) => {
            on_button(&ctx, conn, who, &mut state, id).await?
        }
        Input::Text(text) => on_text(&ctx, conn, who, &mut state, text).await?.into(),
    };
    if state.pending.is_none() {
        state.pending_by = None;
    }
    if handled.save {
        let asking = ctx
            .scripts
            .step(&state.dialog, &state.step)
            .is_some_and(|s| matches!(s.kind, StepKind::Ask { .. }));
        typed_button::remember(&mut state, &handled.replies, asking);
        store::save(conn, who.channel, who.chat_id, &state).await?;
    }
    Ok(handled.replies)
}

/// Stars typed after the rating request the bot pushed when a contact closed an enquiry: that request
/// came in no turn of the company's, so its buttons are not among those remembered as on offer. With
/// exactly one closed enquiry awaiting its rating, "4星" rates it; otherwise the text goes on as typed.
async fn typed_rating(
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &State,
    input: Input,
) -> Result<Input, sqlx::Error> {
    let Input::Text(text) = input else {
        return Ok(input);
    };
    // Not in a group, and not as the answer to a question waiting for one.
    let stars = typed_button::stars(&text).filter(|_| !who.group && state.pending.is_none());
    let Some(n) = stars.filter(|_| typed_button::pressed(state, &text).is_none()) else {
        return Ok(Input::Text(text));
    };
    Ok(
        match conversation::awaiting_rating(conn, who).await?.as_slice() {
            [id] => Input::Button(ButtonId::Rate(*id, n)),
            _ => Input::Text(text),
        },
    )
}

async fn on_pending(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    pending: Pending,
    text: &str,
) -> Result<Vec<Reply>, sqlx::Error> {
    match pending {
        Pending::Answer(id) => conversation::on_answer(ctx, conn, who, state, id, text).await,
        Pending::DeclineReason(_) | Pending::Question(_) => {
            contact::on_pending_text(ctx, conn, who, state, pending, text).await
        }
    }
}

/// Text nobody asked for in a private chat. A contact who is not searching is told how leads are
/// answered; a company with a contact's question open is asked whether this is its answer; otherwise
/// the conversation's step takes it (a need, an answer to the script's question).
async fn on_text(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    text: String,
) -> Result<Vec<Reply>, AppError> {
    // A contact who has neither described a need nor been asked for one is writing to a company, not
    // searching (the intake's first question was asked of someone else's needs).
    let asked_for_need = ctx
        .scripts
        .step(&state.dialog, &state.step)
        .is_some_and(|s| s.slot() == Some("need"));
    if !asked_for_need
        && !state.slots.contains_key("need")
        && crate::enquiry::registry::contact_institution(conn, who.channel, who.user_id)
            .await?
            .is_some()
    {
        return Ok(vec![Reply::Text(ctx.text(
            "contact_text",
            &state.lang,
            &[],
        ))]);
    }
    if let Some(e) = conversation::open_question(conn, who).await? {
        return Ok(conversation::ask_if_answer(ctx, conn, state, &e, &text).await?);
    }
    steps::run(ctx, conn, who, state, Some(Event::Text(text))).await
}

/// What the company decided about text it typed while a question waited ([`ButtonId::SendDraft`],
/// [`ButtonId::KeepDraft`]); a press with no such text (pressed twice, or from before) is expired.
async fn on_draft(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    send_to: Option<i64>,
) -> Result<Vec<Reply>, AppError> {
    let Some(text) = conversation::take_draft(state) else {
        return Ok(vec![ctx.notice("expired", &state.lang, &[])]);
    };
    Ok(match send_to {
        Some(eid) => conversation::on_answer(ctx, conn, who, state, eid, &text).await?,
        None => steps::run(ctx, conn, who, state, Some(Event::Text(text))).await?,
    })
}

async fn on_button(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    id: ButtonId,
) -> Result<Handled, AppError> {
    use ButtonId as B;
    let leads = matches!(
        id,
        B::LeadAccept(_) | B::LeadDecline(_) | B::LeadReason(..) | B::LeadInfo(_) | B::LeadClose(_)
    );
    if who.group && !leads && !matches!(id, B::Retry(_)) {
        // A group runs no intake: a company's button there is from before (or forged).
        return Ok(vec![ctx.notice("expired", &state.lang, &[])].into());
    }
    Ok(match &id {
        B::LeadAccept(_)
        | B::LeadDecline(_)
        | B::LeadReason(..)
        | B::LeadInfo(_)
        | B::LeadClose(_) => contact::on_button(ctx, conn, who, state, &id).await?.into(),
        B::Reply(_) | B::Rate(..) => conversation::on_button(ctx, conn, who, state, &id)
            .await?
            .into(),
        B::SendDraft(eid) => on_draft(ctx, conn, who, state, Some(*eid)).await?.into(),
        B::KeepDraft => on_draft(ctx, conn, who, state, None).await?.into(),
        B::Subscribe | B::Feedback { .. } | B::Unsubscribe(_) | B::Retry(_) | B::Forget(_) => {
            let filters = steps::filters_from_slots(&state.slots);
            match operators::on_button(ctx, conn, who, state, &id, &filters).await? {
                operators::Outcome::Replies(replies) => replies.into(),
                // Nothing of this chat is written back: the state is gone with the rest.
                operators::Outcome::Forgotten(replies) => Handled {
                    replies,
                    save: false,
                },
            }
        }
        B::Withdraw(n) => {
            let lang = state.lang.clone();
            vec![crate::board::chat::withdraw(ctx, conn, who, &lang, *n).await?].into()
        }
        B::Patent(number) => steps::open_patent(ctx, conn, who, state, number)
            .await?
            .into(),
        B::EnquirePatent(number) => steps::enquire_patent(ctx, conn, who, state, number)
            .await?
            .into(),
        _ => steps::run(ctx, conn, who, state, Some(Event::Choice(id)))
            .await?
            .into(),
    })
}

async fn on_command(
    app: &App,
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    command: Command,
) -> Result<Handled, AppError> {
    let lang = state.lang.clone();
    let say = |key: &str| vec![Reply::Text(ctx.text(key, &lang, &[]))];
    let replies = match command {
        Command::My => conversation::my(ctx, conn, who, &lang).await?,
        Command::Leads => contact::leads(ctx, conn, who, &lang).await?,
        Command::Register(code) => {
            contact::register(ctx, conn, who, code.as_deref(), &lang).await?
        }
        Command::Invite(_) | Command::Reload if !ctx.is_admin(who.user_id) => say("not_admin"),
        Command::Invite(name) => {
            let name = name.as_deref();
            audit::record(
                conn,
                who.channel,
                who.user_id,
                "invite",
                name.unwrap_or_default(),
            )
            .await?;
            contact::invite(ctx, conn, who, name, &lang).await?
        }
        Command::Reload => {
            audit::record(conn, who.channel, who.user_id, "reload", "").await?;
            vec![reload_reply(app, state)]
        }
        Command::Subscriptions => operators::subscriptions_list(ctx, conn, who, state).await?,
        Command::Stats => operators::stats(ctx, conn, who, state).await?,
        Command::Outbox => operators::outbox(ctx, conn, who, state).await?,
        Command::Forget => operators::forget_prompt(ctx, state),
        Command::Group(arg) => group::command(ctx, conn, who, arg.as_deref(), &lang).await?,
        Command::Web => crate::web::signin::link(ctx, conn, who, &lang).await?,
        // A contact's help is about leads, not about finding patents.
        Command::Help
            if crate::enquiry::registry::contact_institution(conn, who.channel, who.user_id)
                .await?
                .is_some() =>
        {
            say("help_contact")
        }
        Command::Help => {
            let mut replies = run_command(ctx, conn, who, state, engine::Command::Help).await?;
            // An admin's commands are listed for admins only, after the help everyone gets.
            if ctx.is_admin(who.user_id) {
                replies.insert(
                    1.min(replies.len()),
                    Reply::Text(ctx.text("help_admin", &lang, &[])),
                );
            }
            replies
        }
        Command::Start => run_command(ctx, conn, who, state, engine::Command::Start).await?,
        Command::Cancel => run_command(ctx, conn, who, state, engine::Command::Cancel).await?,
        Command::Lang(l) => run_command(ctx, conn, who, state, engine::Command::Lang(l)).await?,
    };
    Ok(replies.into())
}

/// A command in a group chat: help is about the group, a company's commands belong in a private chat,
/// the rest (leads, statistics, registering, the language, admins' commands) work as anywhere.
async fn on_group_command(
    app: &App,
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    command: Command,
) -> Result<Handled, AppError> {
    let lang = state.lang.clone();
    let replies = match command {
        Command::Start | Command::Help | Command::Cancel => {
            group::help(ctx, conn, who, &lang).await?
        }
        Command::My | Command::Subscriptions | Command::Forget => {
            vec![Reply::Text(ctx.text("private_only", &lang, &[]))]
        }
        other => return on_command(app, ctx, conn, who, state, other).await,
    };
    Ok(replies.into())
}

async fn run_command(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    command: engine::Command,
) -> Result<Vec<Reply>, AppError> {
    steps::run(ctx, conn, who, state, Some(Event::Command(command))).await
}

fn reload_reply(app: &App, state: &State) -> Reply {
    let scripts = app.scripts();
    match app.reload() {
        Ok(_) => Reply::Text(app.scripts().text("reloaded", &state.lang)),
        Err(errors) => {
            let list = errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n");
            tracing::warn!(errors = %list, "dialog reload refused");
            let template = scripts.text("reload_failed", &state.lang);
            Reply::Text(engine::render(&template, state, &[("errors", list)]))
        }
    }
}
