//! How much each of the need's own words names a technical thing rather than its context, learned from
//! the catalogue: the share of the patents using the word that also list it among their keywords
//! (涂层, 换热器, 路灯 often; 效率, 溶液, 没有 almost never). A word patents rarely list weighs less.
//! Unlike a general-language frequency (jieba's idf, tried and dropped), this is the catalogue's own
//! view of what a topic is, so it follows the catalogue as it grows.

use super::{Origin, Query, Vocabulary};
use crate::matching::text::Term;

/// Weight of a word no patent lists as a keyword, against 1 for a word listed often enough. Measured on
/// both halves of the development set (docs/performance.md): 0.75 to 0.8 raise the odd half and raise
/// the even one or leave it within 0.001; 0.85 lowers the even half a little, 0.6 and below the odd one.
const FLOOR: f32 = 0.8;

/// Keyword share (smoothed) from which a word counts fully: 0.25 to 0.5 with the floor above; 0.6 and
/// more lower the even half.
const SATURATION: f32 = 0.3;

/// Scales the need's own words, and the terms that make them up, by their keyword share.
pub(super) fn weigh(query: &mut Query, vocab: &dyn Vocabulary) {
    let mut factors: Vec<(Term, f32)> = Vec::new();
    for word in query.words.iter_mut().filter(|w| w.origin == Origin::User) {
        let Some(share) = keyword_share(&word.terms, vocab) else {
            continue;
        };
        let factor = FLOOR + (1.0 - FLOOR) * (share / SATURATION).min(1.0);
        word.weight *= factor;
        for term in &word.terms {
            match factors.iter_mut().find(|(t, _)| t == term) {
                Some((_, f)) => *f = f.max(factor),
                None => factors.push((term.clone(), factor)),
            }
        }
    }
    for (term, weight) in &mut query.terms {
        if let Some((_, f)) = factors.iter().find(|(t, _)| t == term) {
            *weight *= f;
        }
    }
}

/// The smoothed share of the patents using the word that list it as a keyword; a word's terms (its
/// character pairs) stand for it, each count taken at its rarest term.
fn keyword_share(terms: &[Term], vocab: &dyn Vocabulary) -> Option<f32> {
    let used = terms.iter().map(|t| vocab.df(t)).min()?;
    let listed = terms.iter().map(|t| vocab.keyword_df(t)).min()?;
    Some((listed as f32 + 1.0) / (used as f32 + 3.0))
}
