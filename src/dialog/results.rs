//! The results step: a page of results with its buttons (details, paging, refine, filters, start over,
//! subscribe), and what those buttons do.

use super::engine::{Button, Effect, Engine, PAGE_SIZE, ResultItem, State, render};
use super::script::{Step, StepKind, Texts, pick};
use crate::app::route::{ButtonId, Pick};
use std::collections::BTreeMap;

impl Engine<'_> {
    /// The results step to show on entering `id`: after a say-step (back from an enquiry), the page the
    /// results were shown on, if that is another results step of this dialog; otherwise `id`, which is
    /// remembered as that page (a search's outcome or a button led to it).
    pub(super) fn results_return<'s>(
        &'s self,
        state: &mut State,
        id: String,
        step: &'s Step,
        after_say: bool,
    ) -> (String, &'s Step) {
        if after_say
            && let Some(shown) = state.shown.clone()
            && let Some(s) = self.scripts.step(&state.dialog, &shown)
            && matches!(s.kind, StepKind::Results { .. })
        {
            return (shown, s);
        }
        state.shown = Some(id.clone());
        (id, step)
    }

    pub(super) fn pages(state: &State) -> usize {
        state.results.len().div_ceil(PAGE_SIZE).max(1)
    }

    pub(super) fn results_page(&self, state: &State, prompt: &Texts) -> Effect {
        let routes = |outcome: &str| {
            self.scripts.step(&state.dialog, &state.step).is_some_and(
                |s| matches!(&s.kind, StepKind::Results { on, .. } if on.contains_key(outcome)),
            )
        };
        let with_filters = routes("filters");
        let pages = Self::pages(state);
        let page = state.page.min(pages - 1);
        let extra = [
            ("page", (page + 1).to_string()),
            ("pages", pages.to_string()),
            ("count", state.results.len().to_string()),
        ];
        let mut text = render(
            &pick(prompt, &state.lang, &self.scripts.default_language),
            state,
            &extra,
        );
        if state.results.is_empty() {
            text = self.bot(state, "no_results", &extra);
        } else {
            text = format!("{text}\n{}", self.bot(state, "page", &extra));
        }
        let start = page * PAGE_SIZE;
        let items: Vec<(usize, ResultItem)> = state
            .results
            .iter()
            .enumerate()
            .skip(start)
            .take(PAGE_SIZE)
            .map(|(i, r)| (i + 1, r.clone()))
            .collect();
        let mut buttons: Vec<Button> = items
            .iter()
            .map(|(rank, item)| {
                Button::new(
                    ButtonId::Open(Pick::of(*rank, &item.number)),
                    self.bot(state, "details", &[("number", rank.to_string())]),
                )
            })
            .collect();
        if page > 0 {
            buttons.push(Button::new(ButtonId::Prev, self.bot(state, "prev", &[])));
        }
        if page + 1 < pages {
            buttons.push(Button::new(ButtonId::Next, self.bot(state, "next", &[])));
        }
        buttons.push(Button::new(
            ButtonId::Refine,
            self.bot(state, "refine", &[]),
        ));
        if with_filters {
            buttons.push(Button::new(
                ButtonId::Filters,
                self.bot(state, "filters", &[]),
            ));
        }
        buttons.push(Button::new(
            ButtonId::Restart,
            self.bot(state, "restart", &[]),
        ));
        if !state.results.is_empty() {
            buttons.push(Button::new(
                ButtonId::Subscribe,
                self.bot(state, "subscribe", &[]),
            ));
        }
        if routes("post") {
            buttons.push(Button::new(ButtonId::Post, self.bot(state, "post", &[])));
        }
        Effect::Results {
            text,
            items,
            buttons,
        }
    }

    pub(super) fn on_results_button(
        &self,
        state: &mut State,
        prompt: &Texts,
        on: &BTreeMap<String, String>,
        id: &ButtonId,
    ) -> Vec<Effect> {
        let pages = Self::pages(state);
        match id {
            ButtonId::Next if state.page + 1 < pages => {
                state.page += 1;
                state.open = None;
                vec![self.results_page(state, prompt)]
            }
            ButtonId::Prev if state.page > 0 => {
                state.page -= 1;
                state.open = None;
                vec![self.results_page(state, prompt)]
            }
            ButtonId::Back => {
                state.open = None;
                vec![self.results_page(state, prompt)]
            }
            ButtonId::Refine | ButtonId::Restart | ButtonId::Filters | ButtonId::Post => {
                let key = match id {
                    ButtonId::Refine => "refine",
                    ButtonId::Filters => "filters",
                    ButtonId::Post => "post",
                    _ => "restart",
                };
                // A button of an outcome this step does not route (an old page's, or a forged one).
                let Some(target) = on.get(key).cloned() else {
                    return self.expired(state);
                };
                state.open = None;
                self.enter(state, &target)
            }
            ButtonId::Open(pick) => match self.rank_in(state, *pick) {
                Some(item) => {
                    state.open = Some(item.number.clone());
                    let buttons = self.details_buttons(state, pick.rank, &item);
                    vec![Effect::Details {
                        number: item.number,
                        buttons,
                    }]
                }
                None => self.expired(state),
            },
            ButtonId::Enquire(pick) => match self.rank_in(state, *pick) {
                Some(item) => vec![Effect::Enquire {
                    number: item.number,
                    open: false,
                }],
                None => self.expired(state),
            },
            ButtonId::TakeOpen(pick) => match self.rank_in(state, *pick).filter(|i| i.open_license)
            {
                Some(item) => vec![Effect::Enquire {
                    number: item.number,
                    open: true,
                }],
                None => self.expired(state),
            },
            _ => self.expired(state),
        }
    }

    fn details_buttons(&self, state: &State, rank: usize, item: &ResultItem) -> Vec<Button> {
        let pick = Pick::of(rank, &item.number);
        let mut buttons = vec![Button::new(
            ButtonId::Enquire(pick),
            self.bot(state, "enquire", &[]),
        )];
        if item.open_license {
            buttons.push(Button::new(
                ButtonId::TakeOpen(pick),
                self.bot(state, "take_open_license", &[]),
            ));
        }
        buttons.push(Button::new(ButtonId::Back, self.bot(state, "back", &[])));
        for (up, key) in [(true, "thumb_up"), (false, "thumb_down")] {
            buttons.push(Button::new(
                ButtonId::Feedback { up, pick },
                self.bot(state, key, &[]),
            ));
        }
        buttons
    }

    /// The result a button picked, if the current results still hold it at that rank.
    pub fn rank_in(&self, state: &State, pick: Pick) -> Option<ResultItem> {
        state
            .results
            .get(pick.rank.checked_sub(1)?)
            .filter(|item| pick.fits(&item.number))
            .cloned()
    }
}
