//! `queqiao chat`: the dialog engine in a terminal. Buttons are shown as numbered options; typing the
//! number presses the button. When stdin is not a terminal the console reads it line by line, so a script
//! can drive a whole conversation.

use crate::app::route::ButtonId;
use crate::app::{App, Incoming, Reply};
use crate::dialog::engine::Button;
use std::io::Write;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The conversation channel name stored with the state.
pub const CHANNEL: &str = "console";

/// Options the user can pick by number: (number, button) of the last reply that offered any, and
/// whether that reply came from someone else (a lead, a question, a rating request: a message, not the
/// conversation's step, so its numbers are the only answers that make sense).
#[derive(Default)]
struct Numbered(Vec<(usize, Button)>, bool);

impl Numbered {
    fn get(&self, n: usize) -> Option<&Button> {
        self.0.iter().find(|(k, _)| *k == n).map(|(_, b)| b)
    }
}

/// The numbers shown for `buttons`: a result's details button has the result's own number (so on page
/// 2, "7" is result 7 as listed), the other options follow the highest of them.
fn numbers(buttons: &[Button]) -> Vec<(usize, Button)> {
    let rank = |b: &Button| match b.id.parse::<ButtonId>() {
        Ok(ButtonId::Open(pick)) => Some(pick.rank),
        _ => None,
    };
    let mut next = buttons.iter().filter_map(rank).max().unwrap_or(0);
    buttons
        .iter()
        .map(|b| {
            let n = rank(b).unwrap_or_else(|| {
                next += 1;
                next
            });
            (n, b.clone())
        })
        .collect()
}

fn print(out: &mut impl Write, replies: &[Reply], numbered: &mut Numbered) -> std::io::Result<()> {
    for reply in replies {
        writeln!(out, "{}", reply.plain_text())?;
        let buttons = reply.buttons();
        if !buttons.is_empty() {
            numbered.0 = numbers(buttons);
            numbered.1 = false;
            print_options(out, numbered)?;
        }
    }
    writeln!(out)?;
    out.flush()
}

fn print_options(out: &mut impl Write, numbered: &Numbered) -> std::io::Result<()> {
    for (n, b) in &numbered.0 {
        writeln!(out, "  [{n}] {}", b.label)?;
    }
    Ok(())
}

/// Runs the console conversation of `user` until the input ends.
pub async fn run(
    runtime: &App,
    user: i64,
    lang: Option<&str>,
    input: impl AsyncBufRead + Unpin,
    out: &mut impl Write,
    interactive: bool,
) -> std::io::Result<()> {
    let mut numbered = Numbered::default();
    let fresh = crate::dialog::store::load(runtime_pool(runtime), CHANNEL, user)
        .await
        .ok()
        .flatten()
        .is_none();
    open(runtime, user, lang, fresh, out, &mut numbered).await?;
    // What arrived while this user was away (a lead, an answer, a rating request) comes first.
    show_waiting(runtime, user, out, &mut numbered).await?;
    let mut lines = input.lines();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        if interactive {
            write!(out, "> ")?;
            out.flush()?;
        }
        // A person at a terminal also sees what arrives while they think (a lead, an answer); a script
        // piped through stdin sees it after each of its lines, so its output stays deterministic.
        let line = if interactive {
            loop {
                tokio::select! {
                    line = lines.next_line() => break line?,
                    _ = tick.tick() => {
                        if show_waiting(runtime, user, out, &mut numbered).await? {
                            write!(out, "> ")?;
                            out.flush()?;
                        }
                    }
                }
            }
        } else {
            lines.next_line().await?
        };
        let Some(line) = line else {
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "/quit" | "/exit") {
            break;
        }
        let number = crate::dialog::typed::typed_number(line);
        let incoming = match number.and_then(|n| numbered.get(n)) {
            Some(button) => Incoming::Choice(button.id.clone()),
            // A number that is none of a message's options: no step asked for it, so say which are.
            None if number.is_some() && numbered.1 && !numbered.0.is_empty() => {
                not_offered(runtime, user, out, &numbered).await?;
                continue;
            }
            None => Incoming::Text(line.to_owned()),
        };
        let replies = runtime.handle(CHANNEL, user, user, incoming).await;
        // A brief notice (a press recorded, an old button) leaves the options on screen as they were,
        // as Telegram leaves the message's buttons; anything else replaces them.
        let notices = replies.iter().all(|r| matches!(r, Reply::Notice(_)));
        if !notices {
            numbered.0.clear();
            numbered.1 = false;
        }
        print(out, &replies, &mut numbered)?;
        // Telegram's buttons stay in sight above the notice; a terminal has scrolled, so show them again.
        if notices && !numbered.0.is_empty() {
            print_options(out, &numbered)?;
            writeln!(out)?;
        }
        show_waiting(runtime, user, out, &mut numbered).await?;
    }
    Ok(())
}

/// The conversation's opening: a new one starts (with `--lang`, its language question answered, as the
/// user would by pressing it), one that exists says how to go on; `--lang` then switches the language.
async fn open(
    runtime: &App,
    user: i64,
    lang: Option<&str>,
    fresh: bool,
    out: &mut impl Write,
    numbered: &mut Numbered,
) -> std::io::Result<()> {
    let say = |text: String| runtime.handle(CHANNEL, user, user, Incoming::Text(text));
    if !fresh {
        print(out, &say("/help".into()).await, numbered)?;
        if let Some(lang) = lang {
            print(out, &say(format!("/lang {lang}")).await, numbered)?;
        }
        return Ok(());
    }
    if let Some(lang) = lang {
        // Set first, so the greeting is already in that language; what it says is the greeting's news.
        say(format!("/lang {lang}")).await;
    }
    let replies = say("/start".into()).await;
    let choice = ButtonId::Choice(lang.unwrap_or_default().to_owned()).to_string();
    let asks = |r: &Reply| lang.is_some() && r.buttons().iter().any(|b| b.id == choice);
    // The language question is answered already: only the greeting is shown.
    let shown: Vec<Reply> = replies.iter().filter(|r| !asks(r)).cloned().collect();
    print(out, &shown, numbered)?;
    if replies.iter().any(asks) {
        let replies = runtime
            .handle(CHANNEL, user, user, Incoming::Choice(choice))
            .await;
        numbered.0.clear();
        print(out, &replies, numbered)?;
    }
    Ok(())
}

/// Says which numbers the message on screen offers.
async fn not_offered(
    runtime: &App,
    user: i64,
    out: &mut impl Write,
    numbered: &Numbered,
) -> std::io::Result<()> {
    let scripts = runtime.scripts();
    let state = crate::dialog::store::load(runtime.pool(), CHANNEL, user)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::dialog::engine::new_state(&scripts, None));
    let numbers: Vec<String> = numbered.0.iter().map(|(n, _)| n.to_string()).collect();
    let template = scripts.text("not_offered", &state.lang);
    let text = crate::dialog::engine::render(&template, &state, &[("list", numbers.join(", "))]);
    writeln!(out, "{text}\n")?;
    out.flush()
}

/// A lead shown here reached its contact, as one Telegram accepted would have.
async fn mark_delivered(runtime: &App, enquiry: i64) -> Result<(), sqlx::Error> {
    let mut tx = runtime.pool().begin().await?;
    runtime.on_delivered(&mut tx, Some(enquiry)).await?;
    tx.commit().await
}

/// Prints the messages other parties caused for this user (a lead, an answer, a status change), which
/// wait in the outbox; true if there were any.
async fn show_waiting(
    runtime: &App,
    user: i64,
    out: &mut impl Write,
    numbered: &mut Numbered,
) -> std::io::Result<bool> {
    let taken = match crate::outbox::take(runtime.pool(), CHANNEL, user).await {
        Ok(taken) => taken,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read this user's waiting messages");
            Vec::new()
        }
    };
    let mut waiting = Vec::with_capacity(taken.len());
    for (message, enquiry) in taken {
        if let Some(id) = enquiry
            && let Err(e) = mark_delivered(runtime, id).await
        {
            tracing::warn!(enquiry = id, error = %e, "cannot record the delivery of a lead");
        }
        waiting.push(Reply::Buttons {
            text: message.text,
            buttons: message.buttons,
        });
    }
    if waiting.is_empty() {
        return Ok(false);
    }
    writeln!(out)?;
    print(out, &waiting, numbered)?;
    if waiting.iter().any(|r| !r.buttons().is_empty()) {
        numbered.1 = true;
    }
    Ok(true)
}

fn runtime_pool(runtime: &App) -> &sqlx::PgPool {
    runtime.pool()
}
