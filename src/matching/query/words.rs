//! The need's own words as query terms, and what stands in for words no patent uses: a generic
//! suffix's stem, the characters of an unknown two-character word.

use super::{Origin, Query, QueryWord, SOUGHT_WEIGHT, Vocabulary, add_alternative, add_term};
use crate::matching::text::{Term, fold, is_cjk};

/// Weight of a bigram that spans two segmented words (less likely to mean something) vs. inside one word.
pub(super) const CROSS_WORD_WEIGHT: f32 = 0.4;
/// Weight of such a bigram when one of the two words has one character and the pair is a dictionary word:
/// the segmenter may have cut the wrong way (沙发布 as 沙 | 发布, not 沙发 | 布). Development set, nDCG@10
/// odd / even halves: 0.714 / 0.774 at 0.4 (as any spanning pair), 0.715 / 0.775 at 0.5, 0.720 / 0.775 at
/// 0.7, 0.714 / 0.775 at 0.8, 0.717 / 0.770 at 1.0; the same for any spanning pair that is a word: worse.
pub(super) const SPLIT_WORD_WEIGHT: f32 = 0.7;
/// Generic suffixes of Chinese technical nouns (膨胀剂, 干燥机, 冷凝器): patents often put another suffix
/// on the same stem (膨胀材料, 干燥装置), so the stem stands in for the word, a little lighter (0.5 to 1
/// tried on the development set: the same results). Not 物 or 品, which are part of the word more often
/// than a suffix (微生物, 化合物).
const STEM_SUFFIXES: &str = "剂器机仪件";
const STEM_WEIGHT: f32 = 0.8;
/// Weight of a character of a two-character word the catalogue never uses (see `split_unknown_pairs`).
const FRAGMENT_WEIGHT: f32 = 1.0;

/// The need's own words and their terms: bigrams inside a word at full (or sought) weight, bigrams across
/// two words lighter, Latin words whole. Returns the character pairs typos may hide in: those inside a
/// word and those between two one-character words (a wrong character often splits a word in two).
pub(super) fn own_words(
    runs: &[Vec<&str>],
    sought: &[&str],
    is_word: &dyn Fn(char, char) -> bool,
    query: &mut Query,
    weights: &mut Vec<(Term, f32)>,
) -> Vec<(char, char)> {
    let mut pairs = Vec::new();
    for run in runs {
        let mut prev: Option<(char, usize)> = None; // last CJK char and the word it belongs to
        for (wi, word) in run.iter().enumerate() {
            let mut latin = String::new();
            let mut word_terms = Vec::new();
            let boost = if sought.contains(word) {
                SOUGHT_WEIGHT
            } else {
                1.0
            };
            let single = word.chars().count() == 1;
            for c in word.chars().map(fold) {
                if is_cjk(c) {
                    if let Some((p, pw)) = prev {
                        let t = Term::bigram(p, c);
                        if pw == wi {
                            word_terms.push(t.clone());
                            add_term(weights, t, boost);
                            pairs.push((p, c));
                        } else {
                            let prev_single = run[pw].chars().count() == 1;
                            let w = if (single || prev_single) && is_word(p, c) {
                                SPLIT_WORD_WEIGHT
                            } else {
                                CROSS_WORD_WEIGHT
                            };
                            add_term(weights, t, w);
                            if single && prev_single {
                                pairs.push((p, c));
                            }
                        }
                    }
                    prev = Some((c, wi));
                } else {
                    prev = None;
                    if c.is_ascii_alphanumeric() {
                        latin.push(c);
                    }
                }
            }
            // A single letter or digit ("x", the 8 of "团队8个人") names nothing.
            if latin.len() > 1 {
                let t = Term::Word(latin.clone());
                add_term(weights, t.clone(), boost);
                query.words.push(QueryWord {
                    text: latin,
                    terms: vec![t],
                    weight: boost,
                    origin: Origin::User,
                    stands_for: None,
                });
            } else if !word_terms.is_empty() && !query.words.iter().any(|w| w.text == *word) {
                query.words.push(QueryWord {
                    text: word.to_string(),
                    terms: word_terms,
                    weight: boost,
                    origin: Origin::User,
                    stands_for: None,
                });
            }
        }
        if !query.cleaned.is_empty() {
            query.cleaned.push(' ');
        }
        query.cleaned.push_str(&run.concat());
    }
    pairs
}

/// A word made of a stem and a generic suffix (膨胀剂, 干燥机, 冷凝器) is often written with another suffix
/// in patents (膨胀材料, 干燥装置): the stem alone stands in for the word.
pub(super) fn add_stems(query: &mut Query, weights: &mut Vec<(Term, f32)>) {
    let stems: Vec<(String, String)> = query
        .words
        .iter()
        .filter(|w| w.origin == Origin::User)
        .filter_map(|w| {
            let mut chars: Vec<char> = w.text.chars().collect();
            let last = chars.pop()?;
            (chars.len() >= 2 && chars.iter().all(|c| is_cjk(*c)) && STEM_SUFFIXES.contains(last))
                .then(|| (w.text.clone(), chars.into_iter().collect()))
        })
        .collect();
    for (word, stem) in stems {
        if query.words.iter().any(|w| w.text == stem) {
            continue;
        }
        add_alternative(query, weights, &word, (stem, STEM_WEIGHT, Origin::Synonym));
    }
}

/// A two-character word no patent contains (木屋, 拆洗, 极片) scores by its two characters instead, as
/// one-character words do: the patent may say it in a longer or other compound (木结构, 可拆卸, 电极).
/// Its characters are [`Query::fragments`], never listed as matched words. Weight 1 against a
/// one-character noun of the need (development set, nDCG@10 odd / even: 0.689 / 0.770 without; 0.696 /
/// 0.768 at 0.8; 0.701 / 0.773 at 1.0 and 1.1; 0.690 / 0.773 at 1.2).
pub(super) fn split_unknown_pairs(query: &mut Query, vocab: &dyn Vocabulary) {
    let unknown: Vec<(String, f32)> = query
        .words
        .iter()
        .filter(|w| w.origin == Origin::User && w.text.chars().count() == 2)
        .filter(|w| w.text.chars().all(is_cjk) && w.terms.iter().all(|t| vocab.df(t) == 0))
        .map(|w| (w.text.clone(), w.weight))
        .collect();
    for (text, weight) in unknown {
        for c in text.chars().map(fold) {
            if !query.chars.iter().any(|(x, _)| *x == c) {
                query.chars.push((c, weight * FRAGMENT_WEIGHT));
                query.fragments.push(c);
            }
        }
    }
}
