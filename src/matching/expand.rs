//! Alternatives the general dictionary ([`super::dictionary`]) suggests for a need's words: English
//! phrases in Chinese, words typed in pinyin in Chinese, and homophones typed by mistake corrected.
//! Every suggestion must be a word the catalogue uses (each of its terms occurs), so the dictionary's
//! 120,000 entries only ever add what can match.

use super::dictionary::{Dictionary, english_stems};
use super::text::{Term, is_cjk, terms};

/// Chinese words kept per English phrase: a sense often has several near-equivalent words (织物, 面料…).
const PER_PHRASE: usize = 3;
/// A homophone correction must be a pair of characters at least this many patents contain.
const MIN_FIX_DF: u32 = 2;
/// English phrases are looked up from this many words down to one.
const LONGEST_PHRASE: usize = 3;
/// Latin words shorter than this are not read as pinyin (too many short English words are syllables).
const MIN_PINYIN_LETTERS: usize = 4;
/// Each part of a closed compound split in two has at least this many letters ("in" + "kjet" is no split).
const MIN_COMPOUND_PART: usize = 3;

/// What the catalogue knows: documents containing a term.
pub type Df<'a> = &'a dyn Fn(&Term) -> u32;

/// Whether every term of `word` occurs in the catalogue.
fn in_catalogue(word: &str, df: Df) -> bool {
    let t = terms(word);
    !t.is_empty() && t.iter().all(|t| df(t) > 0)
}

/// A Chinese word worth searching for: two or more CJK characters, all the catalogue's.
fn usable(word: &str, df: Df) -> bool {
    word.chars().count() >= 2 && word.chars().all(is_cjk) && in_catalogue(word, df)
}

/// Runs of English words (lower case) in a normalised need: words separated only by spaces or hyphens;
/// anything else, and every word `stop` rejects, ends a run.
pub fn english_runs(text: &str, stop: &dyn Fn(&str) -> bool) -> Vec<Vec<String>> {
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let end_word = |word: &mut String, runs: &mut Vec<Vec<String>>, breaks: bool| {
        if !word.is_empty() {
            if stop(word) {
                runs.push(Vec::new());
            } else if let Some(run) = runs.last_mut() {
                run.push(std::mem::take(word));
            }
            word.clear();
        }
        if breaks {
            runs.push(Vec::new());
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c.to_ascii_lowercase());
        } else {
            end_word(&mut word, &mut runs, !(c == ' ' || c == '-'));
        }
    }
    end_word(&mut word, &mut runs, true);
    runs.retain(|r| !r.is_empty());
    runs
}

/// Translates runs of English words, longest dictionary phrase first ("steam engine" before "engine").
/// Returns each translated phrase with the Chinese words it became. `keep` says which single words stay
/// as they are (an abbreviation the catalogue itself uses, such as LED); `listed` which single words the
/// synonyms list already expands: inside a longer dictionary phrase they are translated with it, alone
/// they are left to the list.
pub fn translate(
    runs: &[Vec<String>],
    dict: &Dictionary,
    df: Df,
    keep: &dyn Fn(&str) -> bool,
    listed: &dyn Fn(&str) -> bool,
) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for run in runs {
        let mut i = 0;
        while i < run.len() {
            let found = (1..=LONGEST_PHRASE.min(run.len() - i))
                .rev()
                .find_map(|len| {
                    if len == 1 && (keep(&run[i]) || listed(&run[i])) {
                        return None;
                    }
                    let head = run[i..i + len - 1].join(" ");
                    english_stems(&run[i + len - 1])
                        .into_iter()
                        .find_map(|last| {
                            let joined = format!("{head}{last}");
                            let phrase = if head.is_empty() {
                                last
                            } else {
                                format!("{head} {last}")
                            };
                            let words = chinese_words(dict, &phrase, df);
                            // A closed compound typed open or hyphenated (anti-bacterial), or one
                            // the dictionary writes open typed closed (inkjet).
                            let words = match len {
                                _ if !words.is_empty() => words,
                                1 => compound_words(dict, &phrase, df),
                                2 => chinese_words(dict, &joined, df),
                                _ => words,
                            };
                            (!words.is_empty()).then_some((len, words))
                        })
                });
            match found {
                Some((len, words)) => {
                    out.push((run[i..i + len].join(" "), words));
                    i += len;
                }
                None => i += 1,
            }
        }
    }
    out
}

/// The catalogue's Chinese words for one English sense, first senses first.
fn chinese_words(dict: &Dictionary, phrase: &str, df: Df) -> Vec<String> {
    dict.chinese_for(phrase)
        .into_iter()
        .filter(|w| usable(w, df))
        .take(PER_PHRASE)
        .map(str::to_owned)
        .collect()
}

/// A closed compound the dictionary writes open ("inkjet" as "ink jet", "waterproof" as "water proof"):
/// the first split into two parts of at least [`MIN_COMPOUND_PART`] letters that is a sense.
fn compound_words(dict: &Dictionary, word: &str, df: Df) -> Vec<String> {
    if !word.is_ascii() || word.len() < 2 * MIN_COMPOUND_PART {
        return Vec::new();
    }
    (MIN_COMPOUND_PART..=word.len() - MIN_COMPOUND_PART)
        .map(|cut| chinese_words(dict, &format!("{} {}", &word[..cut], &word[cut..]), df))
        .find(|words| !words.is_empty())
        .unwrap_or_default()
}

/// The Chinese words a Latin word typed in a need can stand for when read as pinyin (`yixiang` → 异响,
/// 意向, 一项): dictionary words of 2 to 4 characters read so, which the catalogue uses, most frequent
/// there first (its rarest pair decides). Counted as one idea with its alternatives, so an ambiguous
/// reading adds little noise.
pub fn pinyin_words(word: &str, dict: &Dictionary, df: Df) -> Vec<String> {
    if word.len() < MIN_PINYIN_LETTERS || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let mut found: Vec<(u32, &str)> = dict
        .words_read(word)
        .filter(|w| usable(w, df))
        .map(|w| (terms(w).iter().map(df).min().unwrap_or(0), w))
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    found.dedup_by(|a, b| a.1 == b.1);
    found
        .into_iter()
        .take(PER_PHRASE)
        .map(|(_, w)| w.to_owned())
        .collect()
}

/// Corrections of character pairs no patent contains, by a homophone of one of the two characters
/// (图覆 → 涂覆, 干饶 → 干扰): the corrected pair must be a dictionary word (`is_word`) that at least
/// [`MIN_FIX_DF`] patents contain; the most frequent wins. Returns (typed pair, correction).
pub fn homophone_fixes(
    pairs: &[(char, char)],
    dict: &Dictionary,
    df: Df,
    is_word: &dyn Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for &(a, b) in pairs {
        if df(&Term::bigram(a, b)) > 0 {
            continue;
        }
        let candidates = dict
            .homophones_of(a)
            .map(|h| (h, b))
            .chain(dict.homophones_of(b).map(|h| (a, h)));
        let best = candidates
            .map(|(x, y)| (df(&Term::bigram(x, y)), x, y))
            .filter(|(n, x, y)| *n >= MIN_FIX_DF && is_word(&format!("{x}{y}")))
            .max_by_key(|(n, x, y)| (*n, std::cmp::Reverse((*x, *y))));
        if let Some((_, x, y)) = best {
            let typed = format!("{a}{b}");
            if !out.iter().any(|(t, _)| *t == typed) {
                out.push((typed, format!("{x}{y}")));
            }
        }
    }
    out
}

/// The longest dictionary words (`is_word`) inside a compound that the catalogue uses, none inside
/// another: 广角镜头 → 广角, 镜头 when no patent says 广角镜头. Patents name a thing by its head or
/// its modifier alone more often than by the compound an owner types.
pub fn compound_parts(word: &str, df: Df, is_word: &dyn Fn(&str) -> bool) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for len in (2..n).rev() {
        for start in 0..=n - len {
            let inside = |&(s, l): &(usize, usize)| s <= start && start + len <= s + l;
            if spans.iter().any(inside) {
                continue;
            }
            let part: String = chars[start..start + len].iter().collect();
            if in_catalogue(&part, df) && is_word(&part) {
                spans.push((start, len));
            }
        }
    }
    spans.sort_unstable();
    spans
        .into_iter()
        .map(|(start, len)| chars[start..start + len].iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Dictionary {
        Dictionary::parse(
            "熱成像 热成像 [re4 cheng2 xiang4] /thermal imaging/\n\
             熱 热 [re4] /heat/hot/\n\
             塗層 涂层 [tu2 ceng2] /coating/\n\
             塗覆 涂覆 [tu2 fu4] /to coat/\n\
             塗 涂 [tu2] /to apply/\n\
             圖 图 [tu2] /picture/\n\
             覆 覆 [fu4] /to cover/\n\
             模組 模组 [mo2 zu3] /module/\n\
             模塊 模块 [mo2 kuai4] /module/\n\
             異響 异响 [yi4 xiang3] /abnormal noise/\n\
             意向 意向 [yi4 xiang4] /intention/\n\
             異鄉 异乡 [yi4 xiang1] /foreign land/\n\
             噴墨 喷墨 [pen1 mo4] /ink jet/\n\
             抗菌 抗菌 [kang4 jun1] /antibacterial/\n\
             蒸汽機 蒸汽机 [zheng1 qi4 ji1] /steam engine/\n\
             發動機 发动机 [fa1 dong4 ji1] /engine/\n",
        )
    }

    /// A catalogue that knows every pair of the words given.
    fn catalogue(words: &'static [&'static str]) -> impl Fn(&Term) -> u32 {
        move |t| words.iter().filter(|w| terms(w).contains(t)).count() as u32 * 5
    }

    #[test]
    fn english_phrases_are_translated_longest_first() {
        let df = catalogue(&["热成像", "涂层"]);
        let runs = english_runs("thermal imaging coatings, for the army", &|w| w == "for");
        assert_eq!(
            runs,
            vec![vec!["thermal", "imaging", "coatings"], vec!["the", "army"]]
        );
        let out = translate(&runs, &dict(), &df, &|_| false, &|_| false);
        assert_eq!(
            out,
            vec![
                ("thermal imaging".to_owned(), vec!["热成像".to_owned()]),
                ("coatings".to_owned(), vec!["涂层".to_owned()]),
            ]
        );
        // A word the catalogue uses as it is (an abbreviation) is kept, not translated.
        let kept = translate(&[vec!["coating".into()]], &dict(), &df, &|_| true, &|_| {
            false
        });
        assert!(kept.is_empty());
    }

    #[test]
    fn closed_compounds_and_phrases_holding_a_listed_word_are_translated() {
        let df = catalogue(&["喷墨", "蒸汽机", "发动机"]);
        let engine_listed = |w: &str| w == "engine";
        let runs = vec![vec!["inkjet".to_owned(), "steam".into(), "engine".into()]];
        let out = translate(&runs, &dict(), &df, &|_| false, &engine_listed);
        assert_eq!(
            out,
            vec![
                ("inkjet".to_owned(), vec!["喷墨".to_owned()]),
                ("steam engine".to_owned(), vec!["蒸汽机".to_owned()]),
            ]
        );
        // Alone, a word the synonyms list expands is left to the list.
        let alone = translate(
            &[vec!["engine".into()]],
            &dict(),
            &df,
            &|_| false,
            &engine_listed,
        );
        assert!(alone.is_empty());
        // A split must leave real words: no part shorter than three letters.
        assert!(compound_words(&dict(), "inkj", &df).is_empty());
    }

    #[test]
    fn words_typed_in_pinyin_become_catalogue_words() {
        let df = catalogue(&["异响", "异响", "意向"]);
        assert_eq!(pinyin_words("yixiang", &dict(), &df), ["异响", "意向"]);
        assert!(pinyin_words("yixiang", &dict(), &catalogue(&[])).is_empty());
        assert!(pinyin_words("mozu", &dict(), &catalogue(&["模组"])).len() == 1);
        assert!(
            pinyin_words("re", &dict(), &catalogue(&["热"])).is_empty(),
            "too short"
        );
    }

    #[test]
    fn a_compound_is_split_into_the_longest_words_patents_use() {
        let is_word = |w: &str| ["广角", "镜头", "广角镜", "角镜"].contains(&w);
        // The catalogue says 广角 and 镜头 but never 角镜: both parts, in order.
        let df = catalogue(&["广角", "光学成像镜头"]);
        assert_eq!(compound_parts("广角镜头", &df, &is_word), ["广角", "镜头"]);
        // A longer part wins over the parts inside it.
        let df = catalogue(&["广角镜", "镜头"]);
        assert_eq!(
            compound_parts("广角镜头", &df, &is_word),
            ["广角镜", "镜头"]
        );
        // Parts that are not words, or that no patent uses, are not offered.
        assert!(compound_parts("广角镜头", &catalogue(&["光学"]), &is_word).is_empty());
        assert!(compound_parts("广角镜头", &df, &|_| false).is_empty());
    }

    #[test]
    fn a_compound_typed_open_or_hyphenated_is_the_closed_one() {
        let df = catalogue(&["抗菌"]);
        let runs = english_runs("anti-bacterial coating", &|_| false);
        assert_eq!(runs, [["anti", "bacterial", "coating"]]);
        let found = translate(&runs, &dict(), &df, &|_| false, &|_| false);
        assert_eq!(
            found,
            [("anti bacterial".to_owned(), vec!["抗菌".to_owned()])]
        );
    }

    #[test]
    fn homophone_typos_are_corrected_to_catalogue_words() {
        let df = catalogue(&["涂覆"]);
        let fixes = homophone_fixes(&[('图', '覆')], &dict(), &df, &|w| w == "涂覆");
        assert_eq!(fixes, vec![("图覆".to_owned(), "涂覆".to_owned())]);
        // Not a word: no correction.
        assert!(homophone_fixes(&[('图', '覆')], &dict(), &df, &|_| false).is_empty());
    }
}
