//! [`SearchResult`], what a search returns: the hits with their verdict, and what the need was
//! understood as. Plain data, kept apart from the ranking that fills it in.

use crate::matching::explain::Hit;
use crate::matching::query::{Origin, Query};
use serde::Serialize;

/// Results scoring below this (0-100) are noise and never shown.
pub const MIN_SCORE: u8 = 10;

/// The answer to one need.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// Results scoring at least [`MIN_SCORE`], best first; weak ones too when there is no good match.
    pub hits: Vec<Hit>,
    /// True when even the best result is not a good match (see [`Hit::is_confident`]): the channel says
    /// so and shows the results labelled as weak, never as answers.
    pub no_good_match: bool,
    /// The need after filler removal.
    pub cleaned_query: String,
    /// The words the user's need was understood as (for the statistics of unmet needs).
    pub need_words: Vec<String>,
    /// English phrases of the need and the Chinese words each was searched as.
    pub translations: Vec<(String, Vec<String>)>,
}

pub(super) fn need_words(query: &Query) -> Vec<String> {
    query
        .words
        .iter()
        .filter(|w| w.origin == Origin::User)
        .map(|w| w.text.clone())
        .collect()
}
