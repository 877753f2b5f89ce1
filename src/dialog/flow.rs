//! What `dialogs check` proves about the flow of a dialog beyond its syntax: every placeholder a step
//! uses is set on every way to that step.

use super::script::{
    Ctx, DECLARATION_ENTRY, ENQUIRY_ENTRY, GLOBAL_PLACEHOLDERS, Step, StepKind, Texts, placeholders,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use toml::Spanned;

/// What a step sets for the steps after it: the slot it asks (and a choice's `{slot_label}`), or the
/// placeholders of its action.
fn sets(step: &Step) -> Vec<String> {
    match &step.kind {
        StepKind::Ask { slot, .. } => vec![slot.clone()],
        StepKind::Choose {
            slot: Some(slot), ..
        } => vec![slot.clone(), format!("{slot}_label")],
        StepKind::Action { name, .. } => name.provides().iter().map(|p| p.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Every text of a step, with what it is called in an error.
fn step_texts(step: &Step) -> Vec<(String, &Texts)> {
    match &step.kind {
        StepKind::Say { text, .. } => vec![("text".into(), text)],
        StepKind::Ask {
            prompt, reprompt, ..
        } => vec![("prompt".into(), prompt), ("reprompt".into(), reprompt)],
        StepKind::Choose {
            prompt, choices, ..
        } => std::iter::once(("prompt".to_owned(), prompt))
            .chain(
                choices
                    .iter()
                    .map(|c| (format!("choice `{}` label", c.value), &c.label)),
            )
            .collect(),
        StepKind::Results { prompt, .. } => vec![("prompt".into(), prompt)],
        StepKind::Action { .. } => Vec::new(),
    }
}

/// A placeholder must be set on every way to the step that uses it: `{title}` on the first question,
/// before any enquiry was prepared, would show as nothing. (Available-on-all-paths, to a fixed point;
/// the enquiry entries are entered from a results page, so they start with what a results page has.)
pub(super) fn check_availability(
    ctx: &mut Ctx<'_>,
    start: &str,
    steps: &BTreeMap<String, Step>,
    edges: &[(String, Spanned<String>)],
    spans: &HashMap<String, std::ops::Range<usize>>,
) {
    let mut preds: HashMap<&str, Vec<&str>> = HashMap::new();
    for (from, to) in edges {
        preds.entry(to.get_ref()).or_default().push(from);
    }
    let results: Vec<&str> = steps
        .iter()
        .filter(|(_, s)| matches!(s.kind, StepKind::Results { .. }))
        .map(|(id, _)| id.as_str())
        .collect();
    for (id, step) in steps {
        if matches!(&step.kind, StepKind::Action { name, .. }
            if *name == ENQUIRY_ENTRY || *name == DECLARATION_ENTRY)
        {
            preds.entry(id).or_default().extend(results.iter().copied());
        }
    }
    let everything: BTreeSet<String> = steps.values().flat_map(sets).collect();
    // What is set on every way into each step; the start begins with nothing.
    let mut avail_in: HashMap<&str, BTreeSet<String>> = steps
        .keys()
        .map(|id| {
            let init = if id == start {
                BTreeSet::new()
            } else {
                everything.clone()
            };
            (id.as_str(), init)
        })
        .collect();
    loop {
        let mut changed = false;
        for id in steps.keys() {
            if id == start {
                continue;
            }
            let mut meet: Option<BTreeSet<String>> = None;
            for p in preds.get(id.as_str()).into_iter().flatten() {
                let mut out = avail_in.get(p).cloned().unwrap_or_default();
                out.extend(steps.get(*p).map(sets).unwrap_or_default());
                meet = Some(match meet {
                    None => out,
                    Some(m) => m.intersection(&out).cloned().collect(),
                });
            }
            let meet = meet.unwrap_or_default();
            if avail_in.get(id.as_str()) != Some(&meet) {
                avail_in.insert(id.as_str(), meet);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (id, step) in steps {
        let mut here = avail_in.get(id.as_str()).cloned().unwrap_or_default();
        here.extend(GLOBAL_PLACEHOLDERS.iter().map(|p| p.to_string()));
        if matches!(step.kind, StepKind::Results { .. }) {
            here.extend(["count", "page", "pages"].map(String::from));
        }
        for (what, texts) in step_texts(step) {
            let used: BTreeSet<String> = texts.values().flat_map(|t| placeholders(t)).collect();
            for p in used.difference(&here) {
                let span = spans.get(id).cloned().unwrap_or(0..0);
                ctx.err(span, format!("step `{id}` {what} uses {{{p}}}, which is not set on every way to this step"));
            }
        }
    }
}
