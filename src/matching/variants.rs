//! Traditional characters read as their simplified forms, so that a need typed in traditional Chinese
//! (洗衣機兩扇門聯動, as companies in Taiwan, Hong Kong and Macau write) finds the simplified catalogue, and
//! a traditional patent text is found by a simplified need.
//!
//! Learned from CC-CEDICT's headwords (`繁體 简体`), character by character. Only characters that are
//! never a simplified form themselves are changed: 機 → 机, 門 → 门, but not 乾, 著 or 於, which simplified
//! text also uses (乾坤, 著作, a surname), so simplified text is never altered. Those few stay as typed; a
//! word-by-word conversion would catch them, but it would cost the character-for-character fold that keeps
//! indexing fast and snippets aligned with the original text.

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

/// The CJK ranges the table covers (the unified ideographs, extension A and the compatibility ones).
const FIRST: u32 = 0x3400;
const LAST: u32 = 0xfaff;

/// A character's simplified form: itself unless it is a traditional-only character.
pub fn simplified(c: char) -> char {
    let code = c as u32;
    if !(FIRST..=LAST).contains(&code) {
        return c;
    }
    table()[(code - FIRST) as usize]
}

fn table() -> &'static [char] {
    static TABLE: OnceLock<Box<[char]>> = OnceLock::new();
    TABLE.get_or_init(|| build(&super::cedict::text()))
}

/// One slot per character of the range: the character itself, or its simplified form.
fn build(cedict: &str) -> Box<[char]> {
    let mut table: Vec<char> = (FIRST..=LAST)
        .map(|code| char::from_u32(code).unwrap_or(' '))
        .collect();
    for (traditional, simplified) in learn(cedict) {
        table[(traditional as u32 - FIRST) as usize] = simplified;
    }
    table.into_boxed_slice()
}

/// Traditional-only character → the simplified character most entries write for it (the first seen on a
/// tie, so the table does not depend on hashing). Both must be in the table's range: a simplified form
/// outside it (a rare supplementary-plane character) would no longer be read as Chinese.
fn learn(cedict: &str) -> Vec<(char, char)> {
    let in_range = |c: char| (FIRST..=LAST).contains(&(c as u32));
    let mut simplified_chars: FxHashSet<char> = FxHashSet::default();
    // Traditional character → (simplified character, entries writing it so), in first-seen order.
    let mut counts: FxHashMap<char, Vec<(char, u32)>> = FxHashMap::default();
    for (traditional, simplified) in cedict.lines().filter_map(super::cedict::headwords) {
        simplified_chars.extend(simplified.chars());
        if traditional.chars().count() != simplified.chars().count() {
            continue;
        }
        for (t, s) in traditional.chars().zip(simplified.chars()) {
            if t == s || !in_range(t) || !in_range(s) {
                continue;
            }
            let seen = counts.entry(t).or_default();
            match seen.iter_mut().find(|(c, _)| *c == s) {
                Some((_, n)) => *n += 1,
                None => seen.push((s, 1)),
            }
        }
    }
    let mut pairs: Vec<(char, char)> = counts
        .into_iter()
        .filter(|(t, _)| !simplified_chars.contains(t))
        .filter_map(|(t, seen)| {
            let best = seen.iter().map(|(_, n)| *n).max()?;
            let (s, _) = seen.into_iter().find(|(_, n)| *n == best)?;
            Some((t, s))
        })
        .collect();
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> String {
        text.chars().map(simplified).collect()
    }

    #[test]
    fn traditional_text_reads_as_simplified() {
        assert_eq!(
            convert("洗衣機兩扇門聯動打開，後蓋鬆動，電動執行器"),
            "洗衣机两扇门联动打开，后盖松动，电动执行器"
        );
        // Latin letters, digits and punctuation pass through.
        assert_eq!(convert("3D打印 PLC控制！"), "3D打印 PLC控制！");
    }

    #[test]
    fn characters_simplified_text_also_uses_are_kept() {
        // 乾 (乾坤), 著 (著作) and 於 (a surname) are simplified forms too: never changed.
        assert_eq!(convert("乾燥著色於"), "乾燥著色於");
        // Simplified patent text is left exactly as it is.
        let text =
            "本发明公开了一种洗衣机，包括机架和承料装置；前侧板的前边缘开有两道竖直的第一切缝。";
        assert_eq!(convert(text), text);
    }

    #[test]
    fn the_commonest_simplified_form_wins_and_stays_chinese() {
        let cedict = "參 参 [can1] /to take part/\n參 叁 [san1] /three/\n參加 参加 [can1 jia1] /to join/\n\
                      噁 𫫇 [e4] /(chemistry)/\n噁心 恶心 [e3 xin1] /nausea/\n";
        let pairs = learn(cedict);
        // 参 is written twice, 叁 once; 𫫇 lies outside the range read as Chinese, so 恶 is taken.
        assert_eq!(pairs, [('參', '参'), ('噁', '恶')]);
    }
}
