//! Typed text that names a button on offer. People type what they see instead of pressing it: the label
//! itself ("重新开始", "下一页吧"), the start of exactly one label ("知道了" for "知道了，继续", "结束"
//! for "结束（对接已完成）"; not any part: "通知" is no way to say "有新专利时通知我"), a plain yes or
//! no where one button says so ("好的" to the privacy notice, "确定" to /forget), or a number of stars
//! ("4星" for ★★★★). Such text presses that button;
//! anything else goes on as typed text (a need, an answer).

use super::reply::Reply;
use super::route::ButtonId;
use crate::dialog::engine::State;

/// Words that say yes, in any language: they press the one button on offer that agrees. Not 嗯: it
/// is how people hesitate as often as how they agree, and agreeing may send or delete.
const YES_WORDS: &[&str] = &[
    "好", "好的", "行", "可以", "是", "是的", "对", "同意", "确定", "确认", "继续", "ok", "okay",
    "yes", "sure", "agree", "continue",
];

/// Words that say no: they press the one button on offer that declines.
const NO_WORDS: &[&str] = &["不", "不要", "不用", "不用了", "否", "no", "n", "nope"];

/// Sentence-final particles and punctuation that do not change what a label-like answer means.
const TRAILING: &[char] = &[
    '吧', '啊', '呀', '哦', '嘛', '呢', '!', '！', '。', '.', '~', '～', '?', '？',
];

/// Remembers the buttons of this turn's replies: typed text is read against the buttons the person sees
/// last. Several replies with buttons (`/leads`: "接受" could be meant for any lead) or a free-text
/// question now waiting (`asking`: its answer is no press) leave nothing to press; a turn that sent
/// only text (thanks, a notice) keeps the buttons shown before.
pub fn remember(state: &mut State, replies: &[Reply], asking: bool) {
    let mut with_buttons = replies.iter().filter(|r| !r.buttons().is_empty());
    match (with_buttons.next(), with_buttons.next()) {
        (Some(only), None) if !asking => {
            state.offered = only
                .buttons()
                .iter()
                .map(|b| (b.id.clone(), b.label.clone()))
                .collect();
        }
        (None, None) if !asking => {}
        _ => state.offered.clear(),
    }
}

/// The button `text` names among those on offer, if exactly one.
pub fn pressed(state: &State, text: &str) -> Option<ButtonId> {
    let typed = plain(text);
    if typed.is_empty() || state.offered.is_empty() {
        return None;
    }
    let offered: Vec<(ButtonId, String)> = state
        .offered
        .iter()
        .filter_map(|(id, label)| Some((id.parse().ok()?, plain(label))))
        .collect();
    let only = |pick: &dyn Fn(&ButtonId, &str) -> bool| {
        let mut found = offered.iter().filter(|(id, label)| pick(id, label));
        match (found.next(), found.next()) {
            (Some((id, _)), None) => Some(id.clone()),
            _ => None,
        }
    };
    let stars = star_count(&typed).map(|n| "★".repeat(n));
    only(&|_, label| *label == typed)
        .or_else(|| only(&|_, label| stars.as_deref() == Some(label)))
        .or_else(|| {
            YES_WORDS
                .contains(&typed.as_str())
                .then(|| only(&|id, _| agrees(id)))?
        })
        .or_else(|| {
            NO_WORDS
                .contains(&typed.as_str())
                .then(|| only(&|id, _| declines(id)))?
        })
        .or_else(|| {
            (typed.chars().count() >= 2).then(|| only(&|_, label| label.starts_with(&typed)))?
        })
}

/// Whether `text`, read as a label is ("Help!", "谢谢啊"), is one of `words`.
pub fn is_one_of(text: &str, words: &[&str]) -> bool {
    let typed = plain(text);
    words.iter().any(|w| plain(w) == typed)
}

/// Lower case, without spaces, trailing particles and punctuation: "下一页吧" reads as "下一页",
/// "详情 3" as "详情3".
fn plain(text: &str) -> String {
    let joined: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    joined.trim_end_matches(TRAILING).to_owned()
}

/// "4星", "4颗星", "四星", "4 stars": the number of stars typed, 1 to 5.
/// A number of stars typed on its own ("4星", "五颗星", "★★★★"), 1 to 5.
pub fn stars(text: &str) -> Option<u8> {
    let typed = plain(text);
    let drawn = typed.chars().count();
    let n = if drawn > 0 && typed.chars().all(|c| c == '★') {
        Some(drawn).filter(|n| (1..=5).contains(n))
    } else {
        star_count(&typed)
    };
    n.and_then(|n| u8::try_from(n).ok())
}

fn star_count(typed: &str) -> Option<usize> {
    let number = ["颗星", "星", "stars", "star"]
        .iter()
        .find_map(|suffix| typed.strip_suffix(suffix))?;
    let n = match number {
        "一" => 1,
        "二" | "两" => 2,
        "三" => 3,
        "四" => 4,
        "五" => 5,
        digits => digits.parse().ok()?,
    };
    (1..=5).contains(&n).then_some(n)
}

fn agrees(id: &ButtonId) -> bool {
    match id {
        ButtonId::Choice(value) => matches!(value.as_str(), "yes" | "agree" | "use"),
        ButtonId::Forget(yes) => *yes,
        ButtonId::SendDraft(_) => true,
        _ => false,
    }
}

fn declines(id: &ButtonId) -> bool {
    match id {
        ButtonId::Choice(value) => value == "no",
        ButtonId::Forget(yes) => !yes,
        ButtonId::KeepDraft => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offering(buttons: &[(&str, &str)]) -> State {
        State {
            offered: buttons
                .iter()
                .map(|(id, label)| (id.to_string(), label.to_string()))
                .collect(),
            ..State::default()
        }
    }

    #[test]
    fn labels_parts_yes_and_stars_press_their_button() {
        let privacy = offering(&[("c:agree", "知道了，继续"), ("c:no", "不咨询了")]);
        for typed in ["知道了，继续", "知道了", "继续", "好的", "OK"] {
            assert_eq!(
                pressed(&privacy, typed),
                Some(ButtonId::Choice("agree".into())),
                "{typed}"
            );
        }
        assert_eq!(pressed(&privacy, "不"), Some(ButtonId::Choice("no".into())));
        let page = offering(&[
            ("open:3:ab12cd34", "详情 3"),
            ("next", "下一页"),
            ("restart", "重新开始"),
        ]);
        assert_eq!(pressed(&page, "下一页吧"), Some(ButtonId::Next));
        assert_eq!(pressed(&page, "重新开始！"), Some(ButtonId::Restart));
        assert!(matches!(pressed(&page, "详情3"), Some(ButtonId::Open(_))));
        let stars: Vec<(String, String)> = (1..=5u8)
            .map(|n| (format!("rate:7:{n}"), "★".repeat(usize::from(n))))
            .collect();
        let rate = State {
            offered: stars,
            ..State::default()
        };
        assert_eq!(pressed(&rate, "4星"), Some(ButtonId::Rate(7, 4)));
        assert_eq!(pressed(&rate, "五星"), Some(ButtonId::Rate(7, 5)));
        assert_eq!(super::stars("4星"), Some(4));
        assert_eq!(super::stars("五颗星！"), Some(5));
        assert_eq!(super::stars("★★★"), Some(3));
        assert_eq!(super::stars("6星"), None);
        assert_eq!(super::stars("五星级酒店"), None);
    }

    #[test]
    fn needs_and_ambiguous_parts_are_not_presses() {
        let page = offering(&[("open:1:ab12cd34", "详情 1"), ("open:2:ab12cd35", "详情 2")]);
        // "详情" starts both labels; a need starts none.
        assert_eq!(pressed(&page, "详情"), None);
        let subscribe = offering(&[("subscribe", "有新专利时通知我"), ("restart", "重新开始")]);
        assert_eq!(
            pressed(&subscribe, "通知"),
            None,
            "a part inside a label is no press"
        );
        let consent = offering(&[("c:yes", "同意发送"), ("c:no", "不发送")]);
        assert_eq!(pressed(&consent, "嗯"), None, "hesitation is no consent");
        assert_eq!(pressed(&page, "洗衣机噪音太大"), None);
        // A yes where no button agrees presses nothing.
        assert_eq!(pressed(&page, "好的"), None);
        assert_eq!(pressed(&State::default(), "重新开始"), None);
    }
}
