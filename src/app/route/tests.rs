//! Every id, command and pending answer round-trips; forged ids are refused.
use super::*;

#[test]
fn every_button_id_round_trips() {
    let all = [
        ButtonId::Skip,
        ButtonId::Next,
        ButtonId::Prev,
        ButtonId::Refine,
        ButtonId::Restart,
        ButtonId::Back,
        ButtonId::Filters,
        ButtonId::Subscribe,
        ButtonId::Post,
        ButtonId::Choice("新能源及储能".into()),
        ButtonId::Choice("a:b".into()),
        ButtonId::Open(Pick::of(7, "CN1234567A")),
        ButtonId::Open(Pick {
            rank: 7,
            check: None,
        }),
        ButtonId::Enquire(Pick::of(1, "CN1234567A")),
        ButtonId::TakeOpen(Pick::of(2, "CN1234567A")),
        ButtonId::Feedback {
            up: true,
            pick: Pick::of(3, "CN1234567A"),
        },
        ButtonId::Feedback {
            up: false,
            pick: Pick::of(4, "CN1234567A"),
        },
        ButtonId::Patent("CN1234567A".into()),
        ButtonId::EnquirePatent("CN1234567A".into()),
        ButtonId::LeadAccept(5),
        ButtonId::LeadDecline(5),
        ButtonId::LeadReason(5, 2),
        ButtonId::LeadInfo(5),
        ButtonId::LeadClose(5),
        ButtonId::Reply(5),
        ButtonId::SendDraft(5),
        ButtonId::KeepDraft,
        ButtonId::Rate(5, 4),
        ButtonId::Unsubscribe(9),
        ButtonId::Retry(9),
        ButtonId::Withdraw(4),
        ButtonId::Forget(true),
        ButtonId::Forget(false),
    ];
    for id in all {
        let text = id.to_string();
        assert!(text.len() <= 64, "Telegram's callback limit: {text}");
        assert_eq!(text.parse::<ButtonId>(), Ok(id), "{text}");
    }
}

#[test]
fn forged_button_ids_are_refused() {
    for forged in [
        "",
        "open:0",
        "open:-1",
        "open:x",
        "c:",
        "open:1:xyz",
        "open:1:0000000g",
        "open:1:00000001:2",
        "lead:accept:abc",
        "lead:accept:-3",
        "lead:decline:1:3",
        "rate:1:9",
        "rate:1:0",
        "fb:sideways:1",
        "unsub:",
        "draft:send:0",
        "draft:send",
        "nonsense",
    ] {
        assert!(forged.parse::<ButtonId>().is_err(), "{forged}");
    }
}

#[test]
fn a_pick_fits_only_the_patent_it_was_made_for() {
    let pick = Pick::of(3, "CN100000001A");
    assert!(pick.fits("CN100000001A"));
    assert!(!pick.fits("CN100000002A"));
    let legacy: ButtonId = "open:3".parse().unwrap();
    assert!(matches!(legacy, ButtonId::Open(p) if p.rank == 3 && p.fits("CN100000002A")));
}

#[test]
fn commands_round_trip_and_accept_bot_names() {
    for text in [
        "/start",
        "/lang en",
        "/register ABC123",
        "/invite 渝州大学",
        "/forget",
        "/group off",
    ] {
        assert_eq!(Command::parse(text).unwrap().to_string(), text);
    }
    assert_eq!(Command::parse("/leads@queqiao_bot"), Some(Command::Leads));
    assert_eq!(Command::parse("/nonsense"), None);
    assert_eq!(Command::parse("hello"), None);
    for name in Command::NAMES {
        assert_eq!(Command::parse(&format!("/{name}")).unwrap().name(), *name);
    }
}

#[test]
fn pending_answers_and_actions_round_trip() {
    for p in [
        Pending::DeclineReason(1),
        Pending::Question(2),
        Pending::Answer(3),
    ] {
        assert_eq!(p.to_string().parse::<Pending>(), Ok(p));
    }
    for a in Action::ALL {
        assert_eq!(Action::parse(a.name()), Some(*a));
    }
}
