//! The conversation engine: pure and channel-agnostic. Given a script set, a conversation's state and one
//! incoming event, it updates the state and returns effects (texts to send, buttons to offer, results to
//! show, actions to run). Channels turn their updates into [`Event`]s and [`Effect`]s into messages; the
//! runtime runs actions and feeds their outcomes back as events.

use super::script::{Choice, ScriptSet, StepKind, Texts, pick};
use crate::app::route::{Action, ButtonId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::state::{ResultItem, State, new_state};

/// Results shown per page.
pub const PAGE_SIZE: usize = 5;

/// Commands every channel offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Start,
    Help,
    Cancel,
    /// Switch language (a code), or toggle to the next configured language.
    Lang(Option<String>),
    /// "谢谢" typed: a brief answer, and the question again if one waits (the form is still open).
    Thanks,
}

/// Something the user (or an action) did.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Text(String),
    /// A pressed button, as offered in an earlier effect.
    Choice(ButtonId),
    Command(Command),
    /// The outcome of the action the current step asked for, with the placeholders it provides.
    Outcome {
        outcome: String,
        vars: BTreeMap<String, String>,
    },
}

/// A button: an opaque id the engine checks when it comes back, and a label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Button {
    pub id: String,
    pub label: String,
}

/// What the channel should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Say(String),
    /// A brief answer to a press that did nothing (a stale or forged button): shown once, and on
    /// channels that can, only to whoever pressed (Telegram's callback answer), never with the screen
    /// again.
    Notice(String),
    /// A question with optional buttons.
    Ask {
        text: String,
        buttons: Vec<Button>,
    },
    /// A page of results: `items` with their 1-based rank.
    Results {
        text: String,
        items: Vec<(usize, ResultItem)>,
        buttons: Vec<Button>,
    },
    /// The runtime must run this action and send back an [`Event::Outcome`].
    Run {
        action: Action,
    },
    /// The runtime must show this patent's details, then the buttons.
    Details {
        number: String,
        buttons: Vec<Button>,
    },
    /// The company wants to enquire about this patent, or (`open`) to take its open licence on the
    /// published terms: the runtime starts the matching flow.
    Enquire {
        number: String,
        open: bool,
    },
}

impl Button {
    /// A button whose id is formatted the one way [`ButtonId`] is.
    pub fn new(id: ButtonId, label: impl Into<String>) -> Self {
        Self {
            id: id.to_string(),
            label: label.into(),
        }
    }
}

/// Words that skip an optional question, in any language. 面议 ("to be negotiated") and 不确定 are
/// how owners decline to name a budget.
pub(super) const SKIP_WORDS: &[&str] = &[
    "跳过",
    "skip",
    "-",
    "略过",
    "不限",
    "无",
    "都可以",
    "any",
    "面议",
    "不确定",
    "不知道",
    "不清楚",
    "都行",
    "随便",
    "无所谓",
    "not sure",
    "don't know",
    "no preference",
    "whatever",
];

/// The choices offered in this state: those whose `if_set` names (if any) include a slot or an action
/// variable with a real value (not empty, "any" or "no"). Should that hide every choice, all are shown
/// rather than none.
pub fn visible<'c>(state: &State, choices: &'c [Choice]) -> Vec<&'c Choice> {
    let set = |name: &String| {
        state
            .slots
            .get(name)
            .or_else(|| state.vars.get(name))
            .is_some_and(|v| !v.is_empty() && v != "any" && v != "no")
    };
    let shown = |c: &Choice| c.if_set.is_empty() || c.if_set.iter().any(set);
    let any_shown = choices.iter().any(shown);
    choices.iter().filter(|c| !any_shown || shown(c)).collect()
}

impl Engine<'_> {
    /// The choices a step offers now: its scripted ones (filtered by `if_set`), merged with a catalogue
    /// list when it has `choices_from`.
    pub fn offered(
        &self,
        state: &State,
        choices: &[Choice],
        from: &Option<super::script::ChoicesFrom>,
    ) -> Vec<Choice> {
        let scripted: Vec<Choice> = visible(state, choices).into_iter().cloned().collect();
        let Some(from) = from else {
            return scripted;
        };
        let list = self.lists.get(&from.list);
        if list.is_empty() {
            return scripted;
        }
        let mut out: Vec<Choice> = scripted
            .iter()
            .filter(|c| c.value == "any" || list.contains(&c.value))
            .cloned()
            .collect();
        for entry in list {
            if !out.iter().any(|c| c.value == *entry) {
                out.push(Choice {
                    value: entry.clone(),
                    label: self
                        .scripts
                        .languages
                        .iter()
                        .map(|l| (l.clone(), entry.clone()))
                        .collect(),
                    next: from.next.clone(),
                    if_set: Vec::new(),
                });
            }
        }
        out
    }
}

/// Fills `{name}` placeholders from `extra`, the action variables, the slots and the language.
pub fn render(template: &str, state: &State, extra: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && close > 0 =>
            {
                let name = &after[..close];
                let value = extra
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
                    // An action's variable is the newer, shown form (the search's `{need}` is cut short).
                    .or_else(|| state.vars.get(name).cloned())
                    .or_else(|| state.slots.get(name).cloned())
                    .or_else(|| (name == "lang").then(|| state.lang.clone()))
                    .unwrap_or_default();
                out.push_str(&value);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The engine over one script set.
pub struct Engine<'a> {
    pub scripts: &'a ScriptSet,
    /// The catalogue's lists that `choices_from` steps offer.
    pub lists: &'a Lists,
}

/// Lists of the catalogue, as of now (empty: the scripted choices are offered as written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lists {
    /// Institutions' regions, most institutions first.
    pub regions: Vec<String>,
}

impl Lists {
    pub const EMPTY: Lists = Lists {
        regions: Vec::new(),
    };

    fn get(&self, name: &str) -> &[String] {
        match name {
            "regions" => &self.regions,
            _ => &[],
        }
    }
}

impl Engine<'_> {
    pub(super) fn t(&self, state: &State, texts: &Texts) -> String {
        render(
            &pick(texts, &state.lang, &self.scripts.default_language),
            state,
            &[],
        )
    }

    pub(super) fn bot(&self, state: &State, key: &str, extra: &[(&str, String)]) -> String {
        render(&self.scripts.text(key, &state.lang), state, extra)
    }

    /// Checks a stored state against the current scripts: a conversation whose step was removed (or whose
    /// language is gone) restarts its dialog with a polite notice.
    pub fn resume(&self, state: &mut State) -> Vec<Effect> {
        if !self.scripts.languages.contains(&state.lang) {
            state.lang = self.scripts.default_language.clone();
        }
        if state.script_version == self.scripts.version {
            return Vec::new();
        }
        state.script_version = self.scripts.version;
        if state.step.is_empty() || self.scripts.step(&state.dialog, &state.step).is_some() {
            return Vec::new();
        }
        let mut effects = vec![Effect::Say(self.bot(state, "restarted", &[]))];
        let lang = state.lang.clone();
        *state = new_state(self.scripts, Some(&lang));
        effects.extend(self.enter_start(state));
        effects
    }

    pub(super) fn enter_start(&self, state: &mut State) -> Vec<Effect> {
        let dialog = self
            .scripts
            .dialogs
            .get(&state.dialog)
            .or_else(|| self.scripts.dialogs.get(&self.scripts.start_dialog));
        match dialog {
            Some(d) => {
                state.dialog = d.id.clone();
                let start = d.start.clone();
                self.enter(state, &start)
            }
            None => Vec::new(),
        }
    }

    /// Moves to `step_id` and runs steps until one waits for the user or an action.
    pub(super) fn enter(&self, state: &mut State, step_id: &str) -> Vec<Effect> {
        self.remember_question(state, step_id);
        let mut effects = Vec::new();
        let mut next = Some(step_id.to_owned());
        let mut after_say = false;
        // A script is a graph and say-steps may form a loop; the bound keeps a bad script from hanging us.
        for _ in 0..64 {
            let Some(mut id) = next.take() else { break };
            let Some(mut step) = self.scripts.step(&state.dialog, &id) else {
                state.step.clear();
                break;
            };
            if matches!(step.kind, StepKind::Results { .. }) {
                (id, step) = self.results_return(state, id, step, after_say);
            }
            state.step = id;
            after_say = matches!(step.kind, StepKind::Say { .. });
            match &step.kind {
                StepKind::Say { text, next: n } => {
                    effects.push(Effect::Say(self.t(state, text)));
                    next = n.clone();
                    if next.is_none() {
                        state.step.clear();
                    }
                }
                StepKind::Ask { .. } | StepKind::Choose { .. } | StepKind::Results { .. } => {
                    effects.extend(self.prompt(state));
                }
                StepKind::Action { name, .. } => effects.push(Effect::Run { action: *name }),
            }
        }
        effects
    }

    /// The current step's question again (after help, a language switch, or a bad answer).
    pub(super) fn prompt(&self, state: &State) -> Vec<Effect> {
        let Some(step) = self.scripts.step(&state.dialog, &state.step) else {
            return Vec::new();
        };
        match &step.kind {
            StepKind::Ask {
                prompt, skippable, ..
            } => {
                let mut text = self.t(state, prompt);
                let mut buttons = Vec::new();
                if *skippable {
                    text = format!("{text}\n{}", self.bot(state, "skip_hint", &[]));
                    buttons.push(Button::new(ButtonId::Skip, self.bot(state, "skipped", &[])));
                }
                vec![Effect::Ask { text, buttons }]
            }
            StepKind::Choose {
                prompt,
                choices,
                from,
                ..
            } => vec![Effect::Ask {
                text: self.t(state, prompt),
                buttons: self
                    .offered(state, choices, from)
                    .into_iter()
                    .map(|c| {
                        Button::new(ButtonId::Choice(c.value.clone()), self.t(state, &c.label))
                    })
                    .collect(),
            }],
            StepKind::Results { prompt, .. } => vec![self.results_page(state, prompt)],
            _ => Vec::new(),
        }
    }

    /// Handles one event.
    pub fn handle(&self, state: &mut State, event: Event) -> Vec<Effect> {
        let mut effects = self.resume(state);
        match event {
            Event::Command(Command::Start) => {
                let lang = state.lang.clone();
                *state = new_state(self.scripts, Some(&lang));
                effects.extend(self.enter_start(state));
            }
            Event::Command(Command::Help) => {
                effects.push(Effect::Say(self.bot(state, "help", &[])));
                effects.extend(self.prompt(state));
            }
            Event::Command(Command::Thanks) => {
                effects.push(Effect::Say(self.bot(state, "thanks", &[])));
                let asking = self
                    .scripts
                    .step(&state.dialog, &state.step)
                    .is_some_and(|s| {
                        matches!(s.kind, StepKind::Ask { .. } | StepKind::Choose { .. })
                    });
                if asking {
                    effects.extend(self.prompt(state));
                }
            }
            Event::Command(Command::Cancel) => {
                // The language and the need stay: the next message goes on from them.
                state.step.clear();
                state.slots.retain(|k, _| k == "lang" || k == "need");
                state.vars.clear();
                state.results.clear();
                state.shown = None;
                state.history.clear();
                state.open = None;
                effects.push(Effect::Say(self.bot(state, "cancelled", &[])));
            }
            Event::Command(Command::Lang(lang)) => {
                let langs = &self.scripts.languages;
                let next = match lang {
                    Some(l) if langs.contains(&l) => l,
                    Some(_) | None => {
                        let i = langs.iter().position(|l| *l == state.lang).unwrap_or(0);
                        langs[(i + 1) % langs.len()].clone()
                    }
                };
                state.lang = next.clone();
                effects.push(Effect::Say(self.bot(state, "lang_switched", &[])));
                // At the language question, /lang is its answer: asking it again would contradict it.
                if self.asks_language(state, &next) {
                    effects.extend(self.on_choice(state, &ButtonId::Choice(next)));
                } else {
                    effects.extend(self.prompt(state));
                }
            }
            Event::Text(text) => effects.extend(self.on_text(state, text)),
            Event::Choice(id) => effects.extend(self.on_choice(state, &id)),
            Event::Outcome { outcome, vars } => {
                effects.extend(self.on_outcome(state, &outcome, vars))
            }
        }
        effects
    }

    /// Moves to the current dialog's step that runs `action` (how the runtime starts a sub-flow such as
    /// an enquiry); nothing happens if the dialog has no such step.
    pub fn enter_action(&self, state: &mut State, action: Action) -> Vec<Effect> {
        let step = self.scripts.dialogs.get(&state.dialog).and_then(|d| {
            d.steps
                .values()
                .find(|s| matches!(&s.kind, StepKind::Action { name, .. } if *name == action))
                .map(|s| s.id.clone())
        });
        match step {
            Some(step) => self.enter(state, &step),
            None => Vec::new(),
        }
    }

    /// The dialog's step that runs the search action.
    pub(super) fn search_step(&self, state: &State) -> Option<String> {
        let dialog = self.scripts.dialogs.get(&state.dialog)?;
        dialog
            .steps
            .values()
            .find(|s| matches!(&s.kind, StepKind::Action { name, .. } if *name == Action::Search))
            .map(|s| s.id.clone())
    }

    /// A button that does not fit the conversation any more: one brief notice. The screen it belongs to
    /// is still above it, so it is not sent again.
    pub(super) fn expired(&self, state: &State) -> Vec<Effect> {
        vec![Effect::Notice(self.bot(state, "expired", &[]))]
    }

    pub(super) fn on_choice(&self, state: &mut State, id: &ButtonId) -> Vec<Effect> {
        let Some(step) = self.scripts.step(&state.dialog, &state.step).cloned() else {
            return self.expired(state);
        };
        match (&step.kind, id) {
            (
                StepKind::Ask {
                    slot,
                    skippable: true,
                    next,
                    ..
                },
                ButtonId::Skip,
            ) => {
                state.slots.remove(slot);
                self.enter(state, next)
            }
            (
                StepKind::Choose {
                    slot,
                    choices,
                    from,
                    ..
                },
                ButtonId::Choice(value),
            ) => {
                let Some(choice) = self
                    .offered(state, choices, from)
                    .into_iter()
                    .find(|c| c.value == *value)
                else {
                    return self.expired(state);
                };
                if let Some(slot) = slot {
                    if slot == "lang" && self.scripts.languages.iter().any(|l| l == value) {
                        state.lang = value.to_owned();
                    }
                    state.slots.insert(slot.clone(), value.to_owned());
                    // `{slot_label}` shows the choice in words (the value is a code, e.g. `license`).
                    let label = self.t(state, &choice.label);
                    state.vars.insert(format!("{slot}_label"), label);
                }
                let next = choice.next.clone();
                self.enter(state, &next)
            }
            (StepKind::Results { prompt, on }, id) => self.on_results_button(state, prompt, on, id),
            _ => self.expired(state),
        }
    }

    fn on_outcome(
        &self,
        state: &mut State,
        outcome: &str,
        vars: BTreeMap<String, String>,
    ) -> Vec<Effect> {
        let Some(step) = self.scripts.step(&state.dialog, &state.step).cloned() else {
            return Vec::new();
        };
        let StepKind::Action { on, .. } = &step.kind else {
            return Vec::new();
        };
        state.vars.extend(vars);
        match on.get(outcome) {
            Some(target) => {
                state.page = 0;
                let target = target.clone();
                self.enter(state, &target)
            }
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
