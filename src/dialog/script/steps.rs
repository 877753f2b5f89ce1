//! One dialog file: its steps checked (kinds, texts, targets, reachability) and built into a [`Dialog`].

use super::{
    Action, CATALOGUE_LISTS, Choice, ChoicesFrom, Ctx, DECLARATION_ENTRY, Dialog, DialogFile,
    ENQUIRY_ENTRY, GLOBAL_PLACEHOLDERS, RESULT_OPTIONAL_OUTCOMES, RESULT_OUTCOMES, Step, StepKind,
    Texts, check_texts,
};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use toml::Spanned;

pub(super) fn build_dialog(
    ctx: &mut Ctx<'_>,
    file: DialogFile,
    languages: &[String],
) -> Option<Dialog> {
    let dialog_id = file.id.get_ref().clone();
    // Slots and action variables anywhere in the dialog may be used by any of its texts.
    let mut provided: BTreeSet<String> =
        GLOBAL_PLACEHOLDERS.iter().map(|s| s.to_string()).collect();
    for s in &file.step {
        if let Some(slot) = s.ask.as_ref().or(s.slot.as_ref()) {
            provided.insert(slot.get_ref().clone());
        }
        if let Some(slot) = s.slot.as_ref().filter(|_| s.choices.is_some()) {
            provided.insert(format!("{}_label", slot.get_ref()));
        }
        if let Some(a) = &s.action
            && let Some(action) = Action::parse(a.get_ref())
        {
            provided.extend(action.provides().iter().map(|p| p.to_string()));
        }
        if s.results.is_some() {
            provided.extend(["count", "page", "pages"].map(String::from));
        }
    }
    let mut steps = BTreeMap::new();
    let mut spans: HashMap<String, std::ops::Range<usize>> = HashMap::new();
    let mut edges: Vec<(String, Spanned<String>)> = Vec::new();
    for s in file.step {
        let id = s.id.get_ref().clone();
        if let Some(first) = spans.get(&id) {
            let first_line = ctx.line(first.start);
            ctx.err(
                s.id.span(),
                format!("step id `{id}` is already used on line {first_line}"),
            );
            continue;
        }
        spans.insert(id.clone(), s.id.span());
        let kinds = [
            s.say.is_some() && s.ask.is_none() && s.choices.is_none() && s.action.is_none(),
            s.ask.is_some(),
            s.choices.is_some(),
            s.action.is_some(),
            s.results.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            ctx.err(s.id.span(), format!("step `{id}` must have exactly one of: say (alone), ask, choices, action, results"));
            continue;
        }
        let texts = |ctx: &mut Ctx<'_>, t: &Option<Spanned<Texts>>, what: &str| -> Texts {
            match t {
                Some(t) => {
                    check_texts(
                        ctx,
                        t.span(),
                        &format!("step `{id}` {what}"),
                        t.get_ref(),
                        languages,
                        &provided,
                    );
                    t.get_ref().clone()
                }
                None => Texts::new(),
            }
        };
        let kind = if let Some(slot) = &s.ask {
            let Some(next) = s.next.clone() else {
                ctx.err(
                    s.id.span(),
                    format!(
                        "step `{id}` asks for `{}` but has no next step",
                        slot.get_ref()
                    ),
                );
                continue;
            };
            if s.prompt.is_none() {
                ctx.err(
                    s.id.span(),
                    format!(
                        "step `{id}` asks for `{}` but has no prompt",
                        slot.get_ref()
                    ),
                );
            }
            let prompt = texts(ctx, &s.prompt, "prompt");
            let reprompt = if s.reprompt.is_some() {
                texts(ctx, &s.reprompt, "reprompt")
            } else {
                prompt.clone()
            };
            let validate = s
                .validate
                .as_ref()
                .map(|v| v.get_ref().clone())
                .unwrap_or_default();
            let vspan = s.validate.as_ref().map(|v| v.span()).unwrap_or(s.id.span());
            let mut pattern = None;
            if let (Some(a), Some(b)) = (validate.min_len, validate.max_len)
                && a > b
            {
                ctx.err(
                    vspan.clone(),
                    format!("validate: min_len {a} is greater than max_len {b}"),
                );
            }
            if let (Some(a), Some(b)) = (validate.min, validate.max)
                && a > b
            {
                ctx.err(
                    vspan.clone(),
                    format!("validate: min {a} is greater than max {b}"),
                );
            }
            if let Some(p) = &validate.pattern {
                match Regex::new(&format!("^(?:{p})$")) {
                    Ok(re) => pattern = Some(re),
                    Err(e) => ctx.err(
                        vspan.clone(),
                        format!("validate: pattern is not a valid regular expression: {e}"),
                    ),
                }
            }
            edges.push((id.clone(), next.clone()));
            StepKind::Ask {
                slot: slot.get_ref().clone(),
                prompt,
                reprompt,
                validate,
                pattern,
                skippable: s.skippable,
                next: next.into_inner(),
            }
        } else if let Some(choices) = &s.choices {
            if choices.get_ref().is_empty() {
                ctx.err(choices.span(), format!("step `{id}` offers no choices"));
            }
            let prompt = texts(ctx, &s.prompt, "prompt");
            let mut out = Vec::new();
            let mut values = HashSet::new();
            for c in choices.get_ref() {
                if !values.insert(c.value.get_ref().clone()) {
                    ctx.err(
                        c.value.span(),
                        format!(
                            "step `{id}`: choice value `{}` is used twice",
                            c.value.get_ref()
                        ),
                    );
                }
                check_texts(
                    ctx,
                    c.label.span(),
                    &format!("step `{id}` choice `{}` label", c.value.get_ref()),
                    c.label.get_ref(),
                    languages,
                    &provided,
                );
                edges.push((id.clone(), c.next.clone()));
                out.push(Choice {
                    value: c.value.get_ref().clone(),
                    label: c.label.get_ref().clone(),
                    next: c.next.get_ref().clone(),
                    if_set: c.if_set.clone(),
                });
            }
            let typed = s.typed.as_ref().map(|t| {
                edges.push((id.clone(), t.next.clone()));
                (t.slot.get_ref().clone(), t.next.get_ref().clone())
            });
            let from = s.choices_from.as_ref().map(|f| {
                if !CATALOGUE_LISTS.contains(&f.list.get_ref().as_str()) {
                    ctx.err(
                        f.list.span(),
                        format!(
                            "step `{id}`: choices_from list `{}` is unknown (known: {})",
                            f.list.get_ref(),
                            CATALOGUE_LISTS.join(", ")
                        ),
                    );
                }
                edges.push((id.clone(), f.next.clone()));
                ChoicesFrom {
                    list: f.list.get_ref().clone(),
                    next: f.next.get_ref().clone(),
                }
            });
            StepKind::Choose {
                prompt,
                slot: s.slot.as_ref().map(|x| x.get_ref().clone()),
                choices: out,
                typed,
                from,
            }
        } else if let Some(action) = &s.action {
            let on =
                s.on.as_ref()
                    .map(|o| o.get_ref().clone())
                    .unwrap_or_default();
            let parsed = Action::parse(action.get_ref());
            match parsed {
                None => {
                    let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    ctx.err(
                        action.span(),
                        format!(
                            "unknown action `{}` (known: {})",
                            action.get_ref(),
                            known.join(", ")
                        ),
                    );
                }
                Some(spec) => {
                    for outcome in spec.outcomes() {
                        if !on.contains_key(*outcome) {
                            ctx.err(action.span(), format!("step `{id}`: outcome `{outcome}` of action `{spec}` has no next step in `on`"));
                        }
                    }
                    for (outcome, target) in &on {
                        if !spec.outcomes().contains(&outcome.as_str()) {
                            ctx.err(target.span(), format!("step `{id}`: action `{spec}` has no outcome `{outcome}` (it has: {})", spec.outcomes().join(", ")));
                        }
                    }
                }
            }
            for target in on.values() {
                edges.push((id.clone(), target.clone()));
            }
            StepKind::Action {
                // An unknown name was reported above and the whole set is refused.
                name: parsed.unwrap_or(Action::Search),
                on: on.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
            }
        } else if s.results.is_some() {
            let on =
                s.on.as_ref()
                    .map(|o| o.get_ref().clone())
                    .unwrap_or_default();
            for outcome in RESULT_OUTCOMES {
                if !on.contains_key(*outcome) {
                    ctx.err(
                        s.id.span(),
                        format!("results step `{id}` has no `{outcome}` target in `on`"),
                    );
                }
            }
            for (outcome, target) in &on {
                if !RESULT_OUTCOMES.contains(&outcome.as_str())
                    && !RESULT_OPTIONAL_OUTCOMES.contains(&outcome.as_str())
                {
                    ctx.err(
                        target.span(),
                        format!(
                            "results step `{id}` has no outcome `{outcome}` (it has: {})",
                            RESULT_OUTCOMES.join(", ")
                        ),
                    );
                }
                edges.push((id.clone(), target.clone()));
            }
            StepKind::Results {
                prompt: texts(ctx, &s.prompt, "prompt"),
                on: on.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
            }
        } else {
            if let Some(next) = &s.next {
                edges.push((id.clone(), next.clone()));
            }
            StepKind::Say {
                text: texts(ctx, &s.say, "say"),
                next: s.next.as_ref().map(|n| n.get_ref().clone()),
            }
        };
        if let Some(back) = &s.back {
            edges.push((id.clone(), back.clone()));
        }
        let back = s.back.as_ref().map(|b| b.get_ref().clone());
        steps.insert(id.clone(), Step { id, kind, back });
    }
    // Every target exists.
    for (from, target) in &edges {
        if !steps.contains_key(target.get_ref()) && !spans.contains_key(target.get_ref()) {
            ctx.err(
                target.span(),
                format!(
                    "step `{from}` goes to `{}`, which is not a step of dialog `{dialog_id}`",
                    target.get_ref()
                ),
            );
        }
    }
    if !spans.contains_key(file.start.get_ref()) {
        ctx.err(
            file.start.span(),
            format!(
                "start step `{}` is not a step of dialog `{dialog_id}`",
                file.start.get_ref()
            ),
        );
    }
    // Every step is reachable from the start, or from the step the runtime enters when a result's
    // "enquire" button is pressed.
    let mut reached = HashSet::new();
    let mut queue = VecDeque::from([file.start.get_ref().clone()]);
    queue.extend(
        steps
            .values()
            .filter(|s| {
                matches!(&s.kind, StepKind::Action { name, .. }
                    if *name == ENQUIRY_ENTRY || *name == DECLARATION_ENTRY)
            })
            .map(|s| s.id.clone()),
    );
    while let Some(s) = queue.pop_front() {
        if !reached.insert(s.clone()) {
            continue;
        }
        for (from, to) in &edges {
            if *from == s {
                queue.push_back(to.get_ref().clone());
            }
        }
    }
    let mut unreachable: Vec<(&String, &std::ops::Range<usize>)> = spans
        .iter()
        .filter(|(id, _)| !reached.contains(*id))
        .collect();
    unreachable.sort_by_key(|(_, span)| span.start);
    for (id, span) in unreachable {
        ctx.err(
            span.clone(),
            format!(
                "step `{id}` is not reachable from the start step `{}`",
                file.start.get_ref()
            ),
        );
    }
    if ctx.errors.is_empty() {
        crate::dialog::flow::check_availability(ctx, file.start.get_ref(), &steps, &edges, &spans);
    }
    if !ctx.errors.is_empty() {
        return None;
    }
    Some(Dialog {
        id: dialog_id,
        start: file.start.into_inner(),
        steps,
    })
}
