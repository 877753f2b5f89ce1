//! The engine on the shipped scripts: intake, validation, paging, details, stale buttons, commands.

use super::*;

fn scripts() -> ScriptSet {
    let bot = include_str!("../../../dialogs/bot.toml");
    let intake = include_str!("../../../dialogs/intake.toml");
    ScriptSet::parse("bot.toml", bot, &[("intake.toml".into(), intake.into())]).unwrap()
}

fn item(n: usize) -> ResultItem {
    ResultItem {
        number: format!("CN1000000{n:02}A"),
        score: 90 - n as u8,
        title: format!("专利{n}"),
        institution: "渝州大学".into(),
        matched: vec!["负极".into()],
        snippet: String::new(),
        double_five: false,
        open_license: false,
        industry: "新能源及储能".into(),
    }
}

fn texts(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Say(t)
            | Effect::Notice(t)
            | Effect::Ask { text: t, .. }
            | Effect::Results { text: t, .. } => t.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Drives the intake up to the search action.
fn to_search(engine: &Engine<'_>, state: &mut State) {
    engine.handle(state, Event::Command(Command::Start));
    engine.handle(state, Event::Choice("c:zh".parse().unwrap()));
    engine.handle(state, Event::Text("硅基负极循环衰减快".into()));
    engine.handle(state, Event::Choice("c:新能源及储能".parse().unwrap()));
    engine.handle(state, Event::Text("不限".into()));
    // Option 3 of the licence question, 普通许可, typed full-width as a Chinese input method gives it.
    engine.handle(state, Event::Text("３".into()));
    let effects = engine.handle(state, Event::Text("50".into()));
    assert_eq!(
        effects,
        vec![Effect::Run {
            action: Action::Search
        }]
    );
}

#[test]
fn intake_collects_slots_and_runs_the_search() {
    let s = scripts();
    let engine = Engine {
        scripts: &s,
        lists: &Lists::EMPTY,
    };
    let mut state = new_state(&s, None);
    let effects = engine.handle(&mut state, Event::Command(Command::Start));
    assert!(texts(&effects)[0].contains("欢迎"));
    assert_eq!(state.step, "language");
    to_search(&engine, &mut state);
    assert_eq!(state.slots["need"], "硅基负极循环衰减快");
    assert_eq!(state.slots["industry"], "新能源及储能");
    assert_eq!(state.slots["region"], "any");
    assert_eq!(state.slots["license"], "ordinary");
    assert_eq!(state.slots["budget"], "50");
}

#[test]
fn validation_reprompts_and_skip_skips() {
    let s = scripts();
    let engine = Engine {
        scripts: &s,
        lists: &Lists::EMPTY,
    };
    let mut state = new_state(&s, None);
    engine.handle(&mut state, Event::Command(Command::Start));
    engine.handle(&mut state, Event::Choice("c:en".parse().unwrap()));
    assert_eq!(state.lang, "en");
    let effects = engine.handle(&mut state, Event::Text("ab".into()));
    assert_eq!(state.step, "ask_need");
    assert!(texts(&effects)[0].contains("at least 4"));
    let long = "长".repeat(s.max_text_chars + 1);
    let effects = engine.handle(&mut state, Event::Text(long));
    assert!(texts(&effects)[0].contains(&format!("({} characters)", s.max_text_chars + 1)));
    engine.handle(&mut state, Event::Text("battery anode".into()));
    for _ in 0..3 {
        engine.handle(&mut state, Event::Choice("c:any".parse().unwrap()));
    }
    assert_eq!(state.step, "ask_budget");
    let effects = engine.handle(&mut state, Event::Text("lots".into()));
    assert!(texts(&effects)[0].contains("amount"), "{effects:?}");
    // Typed amounts as people write them, stored in 万元.
    for (typed, wan) in [("30万", "30"), ("二三十万", "30"), ("300000", "30")] {
        state.step = "ask_budget".into();
        engine.handle(&mut state, Event::Text(typed.into()));
        assert_eq!(state.slots["budget"], wan, "{typed}");
    }
    state.step = "ask_budget".into();
    let effects = engine.handle(&mut state, Event::Choice("skip".parse().unwrap()));
    assert_eq!(
        effects,
        vec![Effect::Run {
            action: Action::Search
        }]
    );
    assert!(!state.slots.contains_key("budget"));
}

#[test]
fn results_page_details_and_stale_buttons() {
    let s = scripts();
    let engine = Engine {
        scripts: &s,
        lists: &Lists::EMPTY,
    };
    let mut state = new_state(&s, None);
    to_search(&engine, &mut state);
    state.results = (1..=12).map(item).collect();
    let effects = engine.handle(
        &mut state,
        Event::Outcome {
            outcome: "found".into(),
            vars: BTreeMap::from([("count".into(), "12".into())]),
        },
    );
    let Effect::Results { items, buttons, .. } = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        items.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert!(buttons.iter().any(|b| b.id == "next") && !buttons.iter().any(|b| b.id == "prev"));
    let effects = engine.handle(&mut state, Event::Choice("next".parse().unwrap()));
    let Effect::Results { items, .. } = &effects[0] else {
        panic!()
    };
    assert_eq!(items[0].0, 6);
    let effects = engine.handle(&mut state, Event::Choice("open:7".parse().unwrap()));
    assert!(matches!(&effects[0], Effect::Details { number, .. } if number == "CN100000007A"));
    // Forged or stale ids: a rank that does not exist, garbage, another step's choice.
    for forged in [
        "open:99",
        "open:0",
        "open:-1",
        "open:x",
        "c:zh",
        "enquire:1000",
        "",
    ] {
        // Ids that do not even parse never reach the engine (the router answers "expired").
        let Ok(id) = forged.parse() else { continue };
        let effects = engine.handle(&mut state, Event::Choice(id));
        // One brief notice: the page is not sent again.
        assert!(
            matches!(effects.as_slice(), [Effect::Notice(t)] if t.contains("过期")),
            "{forged}: {effects:?}"
        );
    }
    // A details button made for another patent at that rank (an older search's page) is stale too.
    let other = ButtonId::Open(crate::app::route::Pick::of(7, "CN999999999A"));
    let effects = engine.handle(&mut state, Event::Choice(other));
    assert!(
        matches!(effects.as_slice(), [Effect::Notice(_)]),
        "{effects:?}"
    );
    let same = ButtonId::Open(crate::app::route::Pick::of(7, "CN100000007A"));
    let effects = engine.handle(&mut state, Event::Choice(same));
    assert!(matches!(&effects[0], Effect::Details { .. }), "{effects:?}");
    let effects = engine.handle(&mut state, Event::Choice("enquire:7".parse().unwrap()));
    assert_eq!(
        effects,
        vec![Effect::Enquire {
            number: "CN100000007A".into(),
            open: false,
        }]
    );
    // Typing on the results page searches again with the new need.
    let effects = engine.handle(&mut state, Event::Text("换个需求：外墙保温".into()));
    assert_eq!(
        effects,
        vec![Effect::Run {
            action: Action::Search
        }]
    );
    assert_eq!(state.slots["need"], "换个需求：外墙保温");
}

#[test]
fn commands_help_cancel_lang() {
    let s = scripts();
    let engine = Engine {
        scripts: &s,
        lists: &Lists::EMPTY,
    };
    let mut state = new_state(&s, None);
    engine.handle(&mut state, Event::Command(Command::Start));
    engine.handle(&mut state, Event::Choice("c:zh".parse().unwrap()));
    let effects = engine.handle(&mut state, Event::Command(Command::Help));
    assert!(texts(&effects)[0].contains("/start") && texts(&effects)[1].contains("技术"));
    let effects = engine.handle(&mut state, Event::Command(Command::Lang(None)));
    assert_eq!(state.lang, "en");
    assert!(texts(&effects)[0].contains("English") && texts(&effects)[1].contains("describe"));
    engine.handle(&mut state, Event::Text("battery anode fading".into()));
    engine.handle(&mut state, Event::Command(Command::Cancel));
    assert!(state.step.is_empty());
    assert_eq!(
        state.slots["need"], "battery anode fading",
        "/cancel keeps the need"
    );
    // A message after a cancel is a need, in the language already chosen: no welcome again.
    let effects = engine.handle(&mut state, Event::Text("hi".into()));
    assert!(texts(&effects)[0].contains("at least 4"), "{effects:?}");
    assert_eq!(state.lang, "en");
}

#[test]
fn a_removed_step_restarts_politely() {
    let s = scripts();
    let engine = Engine {
        scripts: &s,
        lists: &Lists::EMPTY,
    };
    let mut state = new_state(&s, None);
    engine.handle(&mut state, Event::Command(Command::Start));
    engine.handle(&mut state, Event::Choice("c:zh".parse().unwrap()));
    state.step = "ask_colour".into();
    state.script_version = s.version ^ 1;
    let effects = engine.handle(&mut state, Event::Text("随便".into()));
    assert!(texts(&effects)[0].contains("从头开始"), "{effects:?}");
    assert_eq!(state.script_version, s.version);
    assert_ne!(state.step, "ask_colour");
}

#[test]
fn render_fills_known_and_blanks_unknown() {
    let mut state = State::default();
    state.slots.insert("need".into(), "电池".into());
    assert_eq!(
        render(
            "找{need}，共{count}项 {x y}",
            &state,
            &[("count", "3".into())]
        ),
        "找电池，共3项 {x y}"
    );
}
