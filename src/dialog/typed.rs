//! What typed text means at each kind of step. The rules, in order: the number of an option on screen
//! presses that option; in a form, a back word asks the previous question again (or leaves the form);
//! a skip word skips any optional question (and picks "any" where that is a choice); a question's own
//! validation decides the rest. Nothing typed by mistake (a bare digit, a word too short to be a need)
//! starts a search. (Typed button labels, help and thanks are read before, by `app::router`.)

use super::amount::parse_wan;
use super::engine::{Command, Effect, Engine, Event, PAGE_SIZE, SKIP_WORDS, State};
use super::script::{StepKind, Validate};
use crate::app::route::{ButtonId, Pick};

/// Words that go back one question in a form (a step with `back`); at its first question, out of it.
const BACK_WORDS: &[&str] = &["返回", "上一步", "后退", "回去", "back", "go back"];
/// Words that leave a form at once, to the step its `back` names.
const LEAVE_WORDS: &[&str] = &["取消", "不填了", "退出", "cancel", "quit"];
/// Questions of a form remembered for going back; more are forgotten from the oldest.
const HISTORY: usize = 16;

fn is_one_of(text: &str, words: &[&str]) -> bool {
    let text = text.trim_end_matches(['吧', '。', '!', '！', '.']);
    words.iter().any(|w| text.eq_ignore_ascii_case(w))
}

fn is_skip(text: &str) -> bool {
    SKIP_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
}

/// A digit as typed: ASCII, or the full-width one a Chinese input method gives ("１").
fn digit(c: char) -> Option<u32> {
    c.to_digit(10)
        .or_else(|| ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32))
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| digit(c).is_some())
}

/// The number an option was typed as (`None` for anything but digits, or one too large).
pub fn typed_number(text: &str) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    text.chars().try_fold(0usize, |n, c| {
        n.checked_mul(10)?.checked_add(digit(c)? as usize)
    })
}

/// Whether `text` passes `validate` (and `pattern`); a numeric question's answer comes back normalised.
fn valid(validate: &Validate, pattern: Option<&regex::Regex>, text: &str) -> Option<String> {
    let chars = text.chars().count();
    let numeric = validate.min.is_some() || validate.max.is_some() || validate.amount_wan;
    let number = if validate.amount_wan {
        parse_wan(text)
    } else {
        text.parse::<f64>().ok()
    };
    let ok = !text.is_empty()
        && validate.min_len.is_none_or(|m| chars >= m)
        && validate.max_len.is_none_or(|m| chars <= m)
        && pattern.is_none_or(|re| re.is_match(text))
        && (!numeric
            || number.is_some_and(|n| {
                validate.min.is_none_or(|m| n >= m) && validate.max.is_none_or(|m| n <= m)
            }));
    if !ok {
        return None;
    }
    Some(match number.filter(|_| numeric) {
        Some(n) => format!("{}", (n * 100.0).round() / 100.0),
        None => text.to_owned(),
    })
}

impl Engine<'_> {
    /// The button an option number on the current screen stands for, if any.
    fn option_number(&self, state: &State, n: usize) -> Option<ButtonId> {
        let step = self.scripts.step(&state.dialog, &state.step)?;
        match &step.kind {
            StepKind::Ask {
                skippable: true, ..
            } if n == 1 => Some(ButtonId::Skip),
            StepKind::Choose { choices, from, .. } => self
                .offered(state, choices, from)
                .into_iter()
                .nth(n.checked_sub(1)?)
                .map(|c| ButtonId::Choice(c.value.clone())),
            // On a results page the numbers are the results' own.
            StepKind::Results { .. } => {
                let first = state.page * PAGE_SIZE + 1;
                let shown = (first..first + PAGE_SIZE).contains(&n) && n <= state.results.len();
                // A typed number means the result on screen now, whatever it is.
                shown.then(|| ButtonId::Open(Pick::of(n, &state.results[n - 1].number)))
            }
            _ => None,
        }
    }

    /// On moving from the current step to `to`: a question of a form (an ask or choices step with
    /// `back`) left for another question of the form is remembered, so that a back word there asks it
    /// again; going anywhere outside the form forgets them all.
    pub(super) fn remember_question(&self, state: &mut State, to: &str) {
        let in_form = |id: &str| {
            self.scripts.step(&state.dialog, id).is_some_and(|s| {
                s.back.is_some() && matches!(s.kind, StepKind::Ask { .. } | StepKind::Choose { .. })
            })
        };
        if !in_form(to) {
            state.history.clear();
        } else if in_form(&state.step) && state.step != to {
            state.history.push(state.step.clone());
            if state.history.len() > HISTORY {
                state.history.remove(0);
            }
        }
    }

    /// Whether `text` could be a need: what the step asking for the need would accept.
    fn reads_as_need(&self, state: &State, slot: &str, text: &str) -> bool {
        // Digits and signs alone ("300,000", "１０") say nothing a patent could match.
        let has_word = text.chars().any(char::is_alphabetic);
        if is_number(text) || is_skip(text) || !has_word {
            return false;
        }
        let asking = self.scripts.dialogs.get(&state.dialog).and_then(|d| {
            d.steps.values().find_map(|s| match &s.kind {
                StepKind::Ask {
                    slot: s,
                    validate,
                    pattern,
                    ..
                } if s == slot => Some(valid(validate, pattern.as_ref(), text).is_some()),
                _ => None,
            })
        });
        asking.unwrap_or(!text.is_empty())
    }

    /// Whether the current step is the language question (its slot is `lang`) and offers `lang`.
    pub(super) fn asks_language(&self, state: &State, lang: &str) -> bool {
        let Some(step) = self.scripts.step(&state.dialog, &state.step) else {
            return false;
        };
        step.slot() == Some("lang")
            && matches!(&step.kind, StepKind::Choose { choices, .. }
                if choices.iter().any(|c| c.value == lang))
    }

    fn not_understood(&self, state: &State, key: &str) -> Vec<Effect> {
        let mut effects = vec![Effect::Say(self.bot(state, key, &[]))];
        effects.extend(self.prompt(state));
        effects
    }

    pub(super) fn on_text(&self, state: &mut State, text: String) -> Vec<Effect> {
        let text = text.trim().to_owned();
        let length = text.chars().count();
        if length > self.scripts.max_text_chars {
            let extra = [
                ("length", length.to_string()),
                ("limit", self.scripts.max_text_chars.to_string()),
            ];
            let mut effects = vec![Effect::Say(self.bot(state, "too_long", &extra))];
            effects.extend(self.prompt(state));
            return effects;
        }
        if state.step.is_empty() {
            return self.on_idle_text(state, text);
        }
        let Some(step) = self.scripts.step(&state.dialog, &state.step).cloned() else {
            return self.enter_start(state);
        };
        if let Some(id) = typed_number(&text).and_then(|n| self.option_number(state, n)) {
            return self.on_choice(state, &id);
        }
        // "返回" in a form asks the previous question again, "取消" leaves the form; neither is ever
        // saved as a name or a message.
        if let Some(back) = &step.back {
            if is_one_of(&text, BACK_WORDS)
                && let Some(previous) = state.history.pop()
            {
                state.step = previous;
                return self.prompt(state);
            }
            if is_one_of(&text, BACK_WORDS) || is_one_of(&text, LEAVE_WORDS) {
                return self.enter(state, back);
            }
        }
        match &step.kind {
            StepKind::Ask { .. } => self.on_answer(state, &step.kind, text),
            StepKind::Choose { .. } => self.on_typed_choice(state, &step.kind, text),
            StepKind::Results { .. } => {
                // A new wording on the results page is a new or refined need: search again (with the
                // same filters); a stray digit or word is not.
                if !self.reads_as_need(state, "need", &text) {
                    return self.not_understood(state, "not_understood_results");
                }
                state.slots.insert("need".into(), text);
                match self.search_step(state) {
                    Some(id) => self.enter(state, &id),
                    None => self.prompt(state),
                }
            }
            StepKind::Say { .. } | StepKind::Action { .. } => self.prompt(state),
        }
    }

    /// Typed text at a choices step: a label in any language or a value; a skip word picks "any";
    /// otherwise the step's `typed` target, if the text reads as what that slot's question accepts.
    fn on_typed_choice(&self, state: &mut State, kind: &StepKind, text: String) -> Vec<Effect> {
        let StepKind::Choose {
            choices,
            typed,
            from,
            ..
        } = kind
        else {
            return self.prompt(state);
        };
        let shown = self.offered(state, choices, from);
        let chosen = shown
            .iter()
            .find(|c| {
                c.value.eq_ignore_ascii_case(&text)
                    || c.label.values().any(|l| l.eq_ignore_ascii_case(&text))
            })
            .or_else(|| {
                is_skip(&text)
                    .then(|| shown.iter().find(|c| c.value == "any"))
                    .flatten()
            });
        if let Some(c) = chosen {
            return self.on_choice(state, &ButtonId::Choice(c.value.clone()));
        }
        match typed {
            Some((slot, next)) if self.reads_as_need(state, slot, &text) => {
                self.language_of_typed(state, &text);
                state.slots.insert(slot.clone(), text);
                self.enter(state, next)
            }
            _ => self.not_understood(state, "not_understood"),
        }
    }

    /// A need typed at the language question answers it by its script: Chinese characters choose
    /// Chinese, Latin letters alone English (an English speaker who just types is answered in English).
    fn language_of_typed(&self, state: &mut State, text: &str) {
        let chinese = text.chars().any(crate::matching::text::is_cjk);
        let lang = match (chinese, text.chars().any(|c| c.is_ascii_alphabetic())) {
            (true, _) => "zh",
            (false, true) => "en",
            (false, false) => return,
        };
        if self.asks_language(state, lang) {
            state.lang = lang.to_owned();
            state.slots.insert("lang".to_owned(), lang.to_owned());
        }
    }

    /// Typed text at a question (`ask`): skipped, stored (normalised) or asked again.
    fn on_answer(&self, state: &mut State, kind: &StepKind, text: String) -> Vec<Effect> {
        let StepKind::Ask {
            slot,
            reprompt,
            validate,
            pattern,
            skippable,
            next,
            ..
        } = kind
        else {
            return self.prompt(state);
        };
        if *skippable && is_skip(&text) {
            state.slots.remove(slot);
            return self.enter(state, next);
        }
        let numeric = validate.min.is_some() || validate.max.is_some() || validate.amount_wan;
        // A required free-text answer is not a skip word or an option number (a phone number, all
        // digits too, is longer than any option number).
        let option_like = is_number(&text) && text.chars().count() <= 2;
        let refused = !skippable && !numeric && (is_skip(&text) || option_like);
        match valid(validate, pattern.as_ref(), &text).filter(|_| !refused) {
            Some(value) => {
                state.slots.insert(slot.clone(), value);
                self.enter(state, next)
            }
            None => {
                let mut effects = vec![Effect::Say(self.t(state, reprompt))];
                effects.extend(self.prompt(state));
                effects
            }
        }
    }

    /// A message when no step waits: before any conversation it starts one; after `/cancel` (the
    /// language already chosen) it is the answer to the need question.
    fn on_idle_text(&self, state: &mut State, text: String) -> Vec<Effect> {
        if !state.slots.contains_key("lang") {
            let mut effects = self.handle(state, Event::Command(Command::Start));
            // A first message that reads as a need (a new user, or one back after /forget, who did as
            // the greeting says) answers the language question: it is kept, not lost to the greeting.
            if self.reads_as_need(state, "need", &text) {
                effects.extend(self.on_text(state, text));
            }
            return effects;
        }
        let asking = self.scripts.dialogs.get(&state.dialog).and_then(|d| {
            d.steps.values().find_map(|s| match &s.kind {
                StepKind::Ask { slot, .. } if slot == "need" => Some(s.id.clone()),
                _ => None,
            })
        });
        match asking {
            Some(step) => {
                state.step = step;
                self.on_text(state, text)
            }
            None => self.handle(state, Event::Command(Command::Start)),
        }
    }
}
