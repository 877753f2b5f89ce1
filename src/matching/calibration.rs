//! Calibration of "a good match": when one result can stand on its own, and when a whole answer is
//! told "no good match". Measured on the development needs and on needs the catalogue cannot serve.

use super::explain::Hit;

/// A result on its own is a confident match (for pushes of new patents) when it scores at least this and
/// contains at least two of the need's words verbatim...
pub const GOOD_MATCH_THRESHOLD: u8 = 25;
/// ...or when one word alone carries almost the whole need (a short, very specific need).
pub const SINGLE_WORD_THRESHOLD: u8 = 90;
/// Calibration of "no good match" for a whole answer, on the 190 graded development needs (every one has
/// an answer in the catalogue) against the 44 needs of `tests/data/unmatched_needs.jsonl` (none has):
/// a need is matched when its best [`CALIBRATION_DEPTH`] results together contain at least
/// [`SUPPORT_WORDS`] of its words (several patents on the topic, not one word by chance), or the best
/// one holds two words at [`PAIR_SCORE`] or more, or scores [`SOLE_SCORE`] or more. Measured: "no good
/// match" for 6 of the 190 (3.2 %) and 37 of the 44 (84 %); the neighbours trade one for the other (4 of
/// 190 costs 34 of 44; SOLE_SCORE 85 to 100 the same). A single top score, the rule before, could not
/// separate them: one word such as 培训 or 会员 scores 40-80 in a short unrelated need.
pub(super) const CALIBRATION_DEPTH: usize = 5;
const SUPPORT_WORDS: usize = 5;
const PAIR_SCORE: u8 = 54;
const SOLE_SCORE: u8 = 90;

impl Hit {
    /// A match good enough to stand on its own: a solid score with two or more of the need's words, or
    /// a very high score (one common word matching is what unrelated needs look like; calibrated on the
    /// development set and on needs the sample catalogue cannot serve).
    pub fn is_confident(&self) -> bool {
        (self.score >= GOOD_MATCH_THRESHOLD && self.matched.len() >= 2)
            || self.score >= SINGLE_WORD_THRESHOLD
    }
}

/// The calibrated verdict on an answer (see [`CALIBRATION_DEPTH`]).
pub(super) fn is_good_match(hits: &[Hit]) -> bool {
    let Some(best) = hits.first() else {
        return false;
    };
    let mut words: Vec<&str> = hits
        .iter()
        .take(CALIBRATION_DEPTH)
        .flat_map(|h| h.matched.iter().map(String::as_str))
        .collect();
    words.sort_unstable();
    words.dedup();
    words.len() >= SUPPORT_WORDS
        || (best.matched.len() >= 2 && best.score >= PAIR_SCORE)
        || best.score >= SOLE_SCORE
}
