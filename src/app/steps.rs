//! Running a conversation step: feed the engine one event, then carry out the effects it asks for —
//! texts and buttons become replies, actions run (the intake's search and clearing here, enquiry actions
//! in [`crate::enquiry::conversation`]), details are read from the catalogue — until it waits for the user.

use super::AppError;
use super::context::{Context, Who};
use super::present;
use super::reply::Reply;
use super::route::{Action, ButtonId, Pick};
use crate::catalog::record::LicenseMode;
use crate::catalog::store::patent_by_number;
use crate::dialog::engine::{Button, Effect, Engine, Event, State};
use crate::dialog::script::{DECLARATION_ENTRY, ENQUIRY_ENTRY};
use crate::enquiry::conversation as enquiry;
use crate::matching::Filters;
use crate::operators::analytics;
use sqlx::PgConnection;
use std::collections::{BTreeMap, VecDeque};

/// Most results a search keeps for paging.
const KEEP_RESULTS: usize = 50;
/// Effects one message may cause; a script whose actions route in a circle stops here.
const MAX_EFFECTS: usize = 32;
/// The slots that filter a search (the need aside).
pub const FILTER_SLOTS: &[&str] = &["industry", "region", "license", "budget"];

/// Feeds `event` (or nothing: just check the stored state against the scripts) to the engine and carries
/// out what it asks for.
pub(super) async fn run(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    event: Option<Event>,
) -> Result<Vec<Reply>, AppError> {
    let engine = Engine {
        scripts: &ctx.scripts,
        lists: &ctx.lists,
    };
    let effects: VecDeque<Effect> = match event {
        Some(e) => engine.handle(state, e).into(),
        None => engine.resume(state).into(),
    };
    carry_out(ctx, conn, who, state, effects).await
}

async fn carry_out(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    mut effects: VecDeque<Effect>,
) -> Result<Vec<Reply>, AppError> {
    let engine = Engine {
        scripts: &ctx.scripts,
        lists: &ctx.lists,
    };
    let mut replies = Vec::new();
    let mut budget = MAX_EFFECTS;
    while let Some(effect) = effects.pop_front() {
        budget -= 1;
        if budget == 0 {
            tracing::warn!(step = %state.step, "a script's actions route in a circle; stopped");
            break;
        }
        match effect {
            Effect::Say(text) => replies.push(Reply::Text(text)),
            Effect::Notice(text) => replies.push(Reply::Notice(text)),
            Effect::Ask { text, buttons } if buttons.is_empty() => replies.push(Reply::Text(text)),
            Effect::Ask { text, buttons } => replies.push(Reply::Buttons { text, buttons }),
            Effect::Results {
                text,
                items,
                buttons,
            } => {
                analytics::record_shown(conn, &items).await?;
                let lines = items
                    .iter()
                    .map(|(rank, item)| present::result_line(ctx, state, *rank, item))
                    .collect();
                replies.push(Reply::Results {
                    text,
                    items,
                    lines,
                    buttons,
                });
            }
            Effect::Run { action } => {
                let (outcome, vars) = match action {
                    Action::Search => search(ctx, conn, state).await?,
                    Action::ClearNeed | Action::ClearFilters => clear(action, state),
                    Action::PostNeed => crate::board::chat::post_action(conn, who, state).await?,
                    _ => enquiry::run_action(ctx, conn, who, state, action).await?,
                };
                effects.extend(engine.handle(state, Event::Outcome { outcome, vars }));
            }
            Effect::Details { number, buttons } => {
                let hit = state.results.iter().find(|h| h.number == number).cloned();
                // A result the catalogue no longer has (removed since the search): a stale button.
                let Some(p) = patent_by_number(&mut *conn, &number).await? else {
                    replies.push(ctx.notice("expired", &state.lang, &[]));
                    continue;
                };
                analytics::record(conn, analytics::Kind::Details, hit.as_ref(), None, &[]).await?;
                let text = present::details(ctx, state, &p);
                replies.push(Reply::Details { text, buttons });
            }
            Effect::Enquire { number, open } => {
                state.slots.insert("enquiry_patent".into(), number);
                let entry = if open {
                    DECLARATION_ENTRY
                } else {
                    ENQUIRY_ENTRY
                };
                effects.extend(engine.enter_action(state, entry));
            }
        }
    }
    Ok(replies)
}

/// The `search` action: the best patents for the need and filters in the slots, kept in the state for
/// paging; the need's words are recorded (anonymously) for the statistics of demand.
async fn search(
    ctx: &Context,
    conn: &mut PgConnection,
    state: &mut State,
) -> Result<(String, BTreeMap<String, String>), sqlx::Error> {
    let need = state.slots.get("need").cloned().unwrap_or_default();
    let filters = filters_from_slots(&state.slots);
    let result = ctx.matcher.search(&need, &filters, KEEP_RESULTS).await;
    let industry = filters.industry.as_deref();
    let words = &result.need_words;
    analytics::record(conn, analytics::Kind::Search, None, industry, words).await?;
    if result.no_good_match {
        analytics::record(conn, analytics::Kind::NoMatch, None, industry, words).await?;
    }
    // What each English word of the need was searched as, on a line of its own (empty for Chinese).
    let translated = if result.translations.is_empty() {
        String::new()
    } else {
        let words: Vec<String> = result
            .translations
            .iter()
            .map(|(en, zh)| format!("{en} → {}", zh.join("/")))
            .collect();
        let line = ctx.text("translated", &state.lang, &[("words", words.join("; "))]);
        format!("{line}\n")
    };
    state.results = result.hits;
    gloss_matched(ctx, state, &result.translations);
    state.page = 0;
    state.open = None;
    let vars = BTreeMap::from([
        ("count".to_owned(), state.results.len().to_string()),
        ("need".to_owned(), short_need(&need)),
        ("need_full".to_owned(), need.trim().to_owned()),
        ("translated".to_owned(), translated),
        ("filters".to_owned(), filters_line(ctx, state)),
    ]);
    let chinese = need.chars().any(crate::matching::text::is_cjk);
    let unread = !chinese && result.translations.is_empty() && filters.is_empty();
    let outcome = match (result.no_good_match, state.results.is_empty()) {
        (false, _) => "found",
        (true, false) => "weak",
        (true, true) if unread => "unread",
        (true, true) => "no_match",
    };
    Ok((outcome.to_owned(), vars))
}

/// An English need's results list each matched Chinese word with the English word it was searched for
/// ("washing machine (洗衣机)"): the reader of an English need may not read the Chinese.
fn gloss_matched(ctx: &Context, state: &mut State, translations: &[(String, Vec<String>)]) {
    if translations.is_empty() {
        return;
    }
    let lang = state.lang.clone();
    for hit in &mut state.results {
        for word in &mut hit.matched {
            let english = translations
                .iter()
                .find(|(_, zh)| zh.iter().any(|z| z == word));
            if let Some((en, _)) = english {
                let vars = [("english", en.clone()), ("chinese", word.clone())];
                *word = ctx.text("matched_gloss", &lang, &vars);
            }
        }
    }
}

/// The filters the search applied, on a line of their own (empty when none): a new need typed on the
/// results page keeps them, so the header says so.
fn filters_line(ctx: &Context, state: &State) -> String {
    let lang = state.lang.as_str();
    let set: Vec<String> = FILTER_SLOTS
        .iter()
        .filter_map(|slot| {
            let value = state
                .slots
                .get(*slot)
                .filter(|v| !v.is_empty() && *v != "any")?;
            if *slot == "budget" {
                let wan: f64 = value.parse().ok()?;
                let price = super::present::amount(ctx, (wan * 10_000.0).round() as i64, lang);
                return Some(ctx.text("filter_budget", lang, &[("price", price)]));
            }
            Some(
                ctx.scripts
                    .choice_label(slot, value, lang)
                    .unwrap_or_else(|| value.clone()),
            )
        })
        .collect();
    if set.is_empty() {
        return String::new();
    }
    let list = set.join(&ctx.text("list_separator", lang, &[]));
    format!("{}\n", ctx.text("filters_line", lang, &[("list", list)]))
}

/// A need as a header quotes it: a chatty paragraph is cut to its first words.
fn short_need(need: &str) -> String {
    const MAX: usize = 24;
    let need = need.trim();
    if need.chars().count() <= MAX {
        return need.to_owned();
    }
    let cut: String = need.chars().take(MAX).collect();
    format!("{cut}…")
}

fn clear(action: Action, state: &mut State) -> (String, BTreeMap<String, String>) {
    for slot in FILTER_SLOTS {
        state.slots.remove(*slot);
    }
    if action == Action::ClearNeed {
        state.slots.remove("need");
        state.results.clear();
        state.page = 0;
    }
    ("done".into(), BTreeMap::new())
}

/// Filters from the intake slots. "any" (or a missing slot) means no filter; the budget is in 万元.
pub fn filters_from_slots(slots: &BTreeMap<String, String>) -> Filters {
    let set = |k: &str| {
        slots
            .get(k)
            .filter(|v| !v.is_empty() && *v != "any")
            .cloned()
    };
    Filters {
        industry: set("industry"),
        region: set("region"),
        license: set("license").as_deref().and_then(LicenseMode::parse),
        max_price: slots
            .get("budget")
            .and_then(|b| b.trim().parse::<f64>().ok())
            .map(|w| (w * 10_000.0).round() as i64),
        ..Filters::default()
    }
}

/// A patent opened from a new-match notice: its details, with the buttons of a result when it is in
/// the chat's current results, otherwise with a way back to searching.
pub(super) async fn open_patent(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    number: &str,
) -> Result<Vec<Reply>, AppError> {
    if let Some(rank) = state.results.iter().position(|h| h.number == number) {
        let event = Event::Choice(ButtonId::Open(Pick::of(rank + 1, number)));
        let effects = Engine {
            scripts: &ctx.scripts,
            lists: &ctx.lists,
        }
        .handle(state, event);
        return carry_out(ctx, conn, who, state, effects.into()).await;
    }
    let Some(p) = patent_by_number(&mut *conn, number).await? else {
        return Ok(vec![ctx.notice("expired", &state.lang, &[])]);
    };
    let text = present::details(ctx, state, &p);
    let buttons = vec![Button::new(
        ButtonId::EnquirePatent(p.record.number.clone()),
        ctx.text("enquire", &state.lang, &[]),
    )];
    Ok(vec![Reply::Details { text, buttons }])
}

/// The enquiry about a patent opened from a notice: the same flow as from a result's details.
pub(super) async fn enquire_patent(
    ctx: &Context,
    conn: &mut PgConnection,
    who: &Who<'_>,
    state: &mut State,
    number: &str,
) -> Result<Vec<Reply>, AppError> {
    if patent_by_number(&mut *conn, number).await?.is_none() {
        return Ok(vec![ctx.notice("expired", &state.lang, &[])]);
    }
    let effects = VecDeque::from([Effect::Enquire {
        number: number.to_owned(),
        open: false,
    }]);
    carry_out(ctx, conn, who, state, effects).await
}
