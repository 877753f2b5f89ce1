//! [`Plan`]: how a document's per-term contributions add up to its score, with [`WordBonus`], a query
//! word's whole-word bonus. Used by both stages: the first adds the bonuses of the words a candidate
//! contains, the second scores each phrase with alternatives as one idea.

use crate::matching::query::Query;
use crate::matching::text::Term;

/// Share of its score an alternative adds beyond the best one of its phrase: 0 counts an idea once
/// however many ways a patent says it, 1 adds them all. A patent that uses both the need's word and the
/// technical term is a little more on topic, so not 0 (0.6 to 0.8 best on the development set, 0 and 1
/// both worse).
const ALTERNATIVES_SHARE: f32 = 0.7;

/// A query word's whole-word bonus, with what the second stage needs to know about it.
pub(super) struct WordBonus {
    /// Bits of its terms in the scored-term list.
    pub(super) mask: u64,
    pub(super) bonus: f32,
    pub(super) user: bool,
    pub(super) stands_for: Option<usize>,
    pub(super) text: String,
}

/// How a document's per-term contributions add up to its score: the need's own terms and whole-word
/// bonuses add; each phrase with alternatives (synonyms, corrections, stems) counts as one idea: the best
/// of the need's own words and the alternatives, plus [`ALTERNATIVES_SHARE`] of the others. Without a
/// phrase with alternatives this is the first stage's plain sum.
pub(super) struct Plan {
    pub(super) words: Vec<WordBonus>,
    /// Terms that come from the need's own text.
    own: u64,
    /// Per phrase: the need's own words inside it, and its alternatives (indices into `words`).
    pub(super) groups: Vec<(Vec<usize>, Vec<usize>)>,
}

impl Plan {
    pub(super) fn new(query: &Query, terms: &[(Term, f32)], words: Vec<WordBonus>) -> Plan {
        let alt_terms: u64 = words.iter().filter(|w| !w.user).fold(0, |m, w| m | w.mask);
        let user_terms: u64 = words.iter().filter(|w| w.user).fold(0, |m, w| m | w.mask);
        let all = if terms.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << terms.len()) - 1
        };
        let groups = query
            .alternatives
            .iter()
            .enumerate()
            .map(|(g, phrase)| {
                let own = (0..words.len())
                    .filter(|&i| words[i].user && phrase.contains(words[i].text.as_str()))
                    .collect();
                let alts = (0..words.len())
                    .filter(|&i| words[i].stands_for == Some(g))
                    .collect();
                (own, alts)
            })
            .filter(|(_, alts): &(Vec<usize>, Vec<usize>)| !alts.is_empty())
            .collect();
        Plan {
            own: user_terms | (all & !alt_terms),
            words,
            groups,
        }
    }

    /// Score from per-term contributions (indexed like the scored terms).
    pub(super) fn score(&self, contrib: &[f32]) -> f32 {
        let mut matched = 0u64;
        let mut base = 0.0;
        for (bit, c) in contrib.iter().enumerate() {
            if *c > 0.0 {
                matched |= 1 << bit;
                if self.own & (1 << bit) != 0 {
                    base += c;
                }
            }
        }
        // An alternative's terms that the need's own words share are already in `base`.
        let word_score = |w: &WordBonus| -> f32 {
            let mask = if w.user { w.mask } else { w.mask & !self.own };
            let terms: f32 = (0..contrib.len())
                .filter(|bit| mask & (1 << bit) != 0)
                .map(|bit| contrib[bit])
                .sum();
            terms
                + if matched & w.mask == w.mask {
                    w.bonus
                } else {
                    0.0
                }
        };
        base += self
            .words
            .iter()
            .filter(|w| w.user && matched & w.mask == w.mask)
            .map(|w| w.bonus)
            .sum::<f32>();
        for (own, alts) in &self.groups {
            let mine: f32 = own.iter().map(|&i| word_score(&self.words[i])).sum();
            let scores = alts.iter().map(|&i| word_score(&self.words[i]));
            let (best, sum) = scores.fold((mine, mine), |(b, s), x| (b.max(x), s + x));
            base += best + ALTERNATIVES_SHARE * (sum - best) - mine;
        }
        base
    }
}
