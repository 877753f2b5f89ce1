//! Ranking: the need's terms are scored against the index (BM25F impacts plus a bonus for every whole
//! query word a patent contains), then the best candidates are scored again term by term (alternatives of
//! one phrase counted once, one-character words added), filtered, and returned with a 0-100 score, the
//! matched words and a snippet. Pure: no database, no channel.
//!
//! Layout:
//! - here: the [`Index`] (its segments, what was superseded, the vocabulary) and the ranking that ties
//!   the stages together into a [`SearchResult`].
//! - `filters`: [`Filters`] and their form compiled against the index's labels.
//! - `result`: [`SearchResult`], what a search returns.
//! - `plan`: how per-term contributions add up to a score (alternatives counted once).
//! - `first_stage`: candidate scoring over the postings (BM25F impacts plus whole-word coverage).
//! - `second_stage`: the best candidates scored again term by term, one-character words added.
//! - `versions`: which version of a patent is live (publication numbers, superseded documents).
//! - `vocabulary`: the catalogue's keyword vocabulary (taught to the segmenter).

mod filters;
mod first_stage;
mod plan;
mod result;
mod second_stage;
mod versions;
mod vocabulary;

use self::filters::CompiledFilters;
use self::first_stage::Scored;
use self::plan::{Plan, WordBonus};
use self::result::need_words;
use self::versions::{doc_key, supersede};
use self::vocabulary::extend_vocabulary;
use super::calibration::{CALIBRATION_DEPTH, is_good_match};
pub use super::calibration::{GOOD_MATCH_THRESHOLD, SINGLE_WORD_THRESHOLD};
use super::explain::explain;
pub use super::explain::{Hit, snippet};
use super::index::{DocMeta, IndexDoc, Labels, Segment, build_segments, labels_for};
use super::query::{Analyzer, Origin, Query, Vocabulary};
use super::text::Term;
use std::sync::Arc;

pub use self::filters::Filters;
pub use self::result::{MIN_SCORE, SearchResult};

/// Weight of the whole-word bonus relative to the bigram score.
const COVERAGE_WEIGHT: f32 = 1.0;
/// Query terms scored at most (the highest idf-weighted ones); more add nothing but time.
const MAX_TERMS: usize = 64;
/// Candidates scored again in the second stage (30 to 400 gave the same development-set results).
const RERANK_DEPTH: usize = 100;
/// One-character words scored at most (the highest idf-weighted ones): each costs a scan of the stored
/// text of every re-ranked candidate, and a pasted page must not make a slow query.
const MAX_CHARS: usize = 16;
/// Weight of a one-character word against a bigram of the same idf (0.75 to 1.25 gave the same results).
const CHAR_WEIGHT: f32 = 1.0;

/// The searchable catalogue: segments plus what was deleted or replaced since they were built.
pub struct Index {
    /// Immutable and shared: an index with changes applied reuses the segments of the one before it.
    segments: Vec<Arc<Segment>>,
    /// Per segment, docs superseded by a newer version or removed.
    deleted: Vec<Vec<bool>>,
    labels: Labels,
    /// (publication number packed, see [`number_key`](crate::catalog::record::number_key); segment; doc)
    /// of every live patent, sorted: 16 bytes a patent, well under half a hash map's footprint at a
    /// million.
    by_number: Vec<(u64, u32, u32)>,
    live_docs: usize,
    /// The catalogue's keywords and how many patents list each (taught to the segmenter).
    words: Vec<(String, u32)>,
}

impl Vocabulary for Index {
    fn df(&self, term: &Term) -> u32 {
        self.segments
            .iter()
            .filter_map(|s| s.term_id(term).map(|id| s.df(id)))
            .sum()
    }

    fn keyword_df(&self, term: &Term) -> u32 {
        self.segments
            .iter()
            .filter_map(|s| s.term_id(term).map(|id| s.keyword_df(id)))
            .sum()
    }
}

impl Index {
    /// An index with no patents.
    pub fn empty() -> Index {
        Index {
            segments: Vec::new(),
            deleted: Vec::new(),
            labels: Labels::default(),
            by_number: Vec::new(),
            live_docs: 0,
            words: Vec::new(),
        }
    }

    /// Builds the index over `docs` (all cores).
    pub fn build(docs: &[IndexDoc]) -> Index {
        let mut index = Index::empty();
        index.add(docs);
        index
    }

    /// Adds `docs` as new segments; a patent already present (or repeated in `docs`) is superseded by
    /// its last version. Callers that stream a large catalogue add it in chunks.
    pub fn add(&mut self, docs: &[IndexDoc]) {
        if docs.is_empty() {
            return;
        }
        labels_for(docs, &mut self.labels);
        for seg in build_segments(docs, &self.labels) {
            let s = self.segments.len() as u32;
            self.deleted.push(vec![false; seg.len()]);
            let mut fresh: Vec<(u64, u32, u32)> = (0..seg.len() as u32)
                .map(|d| (doc_key(seg.number(d)), s, d))
                .collect();
            fresh.sort_unstable();
            self.by_number = supersede(
                std::mem::take(&mut self.by_number),
                fresh,
                &mut self.deleted,
            );
            self.live_docs = self.by_number.len();
            self.segments.push(Arc::new(seg));
        }
        extend_vocabulary(docs, &mut self.words);
    }

    /// A new index with `docs` added or replaced; this one keeps serving readers until the caller swaps.
    /// Segments are shared, not copied.
    pub fn with_changes(&self, docs: &[IndexDoc]) -> Index {
        let mut next = Index {
            segments: self.segments.clone(),
            deleted: self.deleted.clone(),
            labels: self.labels.clone(),
            by_number: self.by_number.clone(),
            live_docs: self.live_docs,
            words: self.words.clone(),
        };
        next.add(docs);
        next
    }

    /// Segments, including those mostly superseded; a full rebuild is due when this grows large.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Number of searchable patents.
    pub fn len(&self) -> usize {
        self.live_docs
    }

    pub fn is_empty(&self) -> bool {
        self.live_docs == 0
    }

    /// The catalogue's keyword vocabulary with how many patents use each keyword.
    pub fn keywords(&self) -> impl Iterator<Item = (&str, u32)> {
        self.words.iter().map(|(w, n)| (w.as_str(), *n))
    }

    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// Heap bytes: (postings, stored text, everything).
    pub fn memory(&self) -> (usize, usize, usize) {
        let postings = self.segments.iter().map(|s| s.postings_bytes()).sum();
        let text = self.segments.iter().map(|s| s.text_bytes()).sum();
        let all = self
            .segments
            .iter()
            .map(|s| s.memory_bytes())
            .sum::<usize>()
            + self.by_number.capacity() * 16
            + self.deleted.iter().map(Vec::len).sum::<usize>()
            + self.words.iter().map(|(w, _)| w.len() + 28).sum::<usize>();
        (postings, text, all)
    }

    /// Ranks the catalogue for an analysed query; `limit` results at most.
    pub fn search_query(&self, query: &Query, filters: &Filters, limit: usize) -> SearchResult {
        // At least the calibration depth is ranked, so that the verdict does not depend on `limit`.
        let depth = limit.max(CALIBRATION_DEPTH);
        let ranking =
            CompiledFilters::new(filters, &self.labels).map(|f| self.rank(query, &f, depth));
        let Some(Ranking {
            docs,
            terms,
            max_score,
        }) = ranking.filter(|r| r.max_score > 0.0)
        else {
            return SearchResult {
                hits: Vec::new(),
                no_good_match: true,
                cleaned_query: query.cleaned.clone(),
                need_words: need_words(query),
                translations: query.translations.clone(),
            };
        };
        let terms: Vec<(&Term, f32)> = terms.iter().map(|(t, w)| (t, *w)).collect();
        let hits: Vec<Hit> = docs
            .into_iter()
            .map(|Scored(score, s, d)| (display_score(score / max_score), s, d))
            .filter(|r| r.0 >= MIN_SCORE)
            .map(|(score, s, d)| {
                explain(
                    &self.segments[s as usize],
                    &self.labels,
                    query,
                    &terms,
                    d,
                    score,
                )
            })
            .collect();
        let need_words = need_words(query);
        let good = is_good_match(&hits, &need_words);
        let mut hits = hits;
        hits.truncate(limit);
        SearchResult {
            no_good_match: !good,
            hits,
            cleaned_query: query.cleaned.clone(),
            need_words,
            translations: query.translations.clone(),
        }
    }

    /// The `limit` best documents for the query, best first, with the scored terms and the best score a
    /// document could reach (for the 0-100 scale).
    fn rank(&self, query: &Query, compiled: &CompiledFilters, limit: usize) -> Ranking {
        let n = self.live_docs.max(1) as f32;
        // Each query term's document frequency, looked up once (over all segments).
        let dfs: Vec<u32> = query.terms.iter().map(|(t, _)| self.df(t)).collect();
        // Global idf per query term; terms the catalogue lacks are dropped.
        let mut terms: Vec<(Term, f32)> = query
            .terms
            .iter()
            .zip(&dfs)
            .filter(|(_, df)| **df > 0)
            .map(|((t, w), df)| (t.clone(), w * idf(n, *df as f32)))
            .collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1));
        terms.truncate(MAX_TERMS);
        let plan = Plan::new(query, &terms, self.word_bonuses(query, &terms, &dfs));
        // The scale counts every term of the need, including those no patent has: a need whose main words
        // the catalogue lacks must not look like a strong match because its one common word matched.
        let missing: f32 = query
            .terms
            .iter()
            .zip(&dfs)
            .filter(|(_, df)| **df == 0)
            .map(|((_, w), _)| w * idf(n, 1.0))
            .sum();
        let chars = self.scored_chars(query);
        let best: Vec<f32> = terms.iter().map(|(_, w)| *w).collect();
        let max_score: f32 =
            missing + plan.score(&best) + chars.iter().map(|(_, w)| w).sum::<f32>();
        let rescore = !chars.is_empty() || !plan.groups.is_empty();
        let keep = if !rescore {
            limit.max(1)
        } else {
            limit.max(RERANK_DEPTH)
        };
        let mut docs =
            first_stage::candidates(&self.segments, &self.deleted, compiled, &terms, &plan, keep);
        if rescore {
            second_stage::rescore(&self.segments, &plan, &terms, &chars, &mut docs);
        }
        self.order_as_shown(&mut docs, max_score);
        docs.truncate(limit.max(1));
        Ranking {
            docs,
            terms,
            max_score,
        }
    }

    /// Orders candidates as they are shown: by displayed score, the two-way rating breaking its ties,
    /// then by number. Done before the cut to `limit`, so the first results do not depend on how many
    /// are asked for (the bot keeps 50, `queqiao eval` 10).
    fn order_as_shown(&self, docs: &mut [Scored], max_score: f32) {
        docs.sort_by_cached_key(|&Scored(score, s, d)| {
            let seg = &self.segments[s as usize];
            (
                std::cmp::Reverse(display_score(score / max_score)),
                std::cmp::Reverse(rating_key(&seg.meta[d as usize])),
                seg.number(d),
            )
        });
    }

    /// Whole words of the need: a bonus when a patent contains every term of the word (`terms` are the
    /// scored terms; `dfs` the document frequencies of the query's terms, in order).
    fn word_bonuses(&self, query: &Query, terms: &[(Term, f32)], dfs: &[u32]) -> Vec<WordBonus> {
        let n = self.live_docs.max(1) as f32;
        let df_of = |t: &Term| match query.terms.iter().position(|(x, _)| x == t) {
            Some(i) => dfs[i],
            None => self.df(t),
        };
        let term_bit = |t: &Term| terms.iter().position(|(x, _)| x == t).map(|i| 1u64 << i);
        query
            .words
            .iter()
            .filter_map(|w| {
                let mut mask = 0u64;
                let mut sum = 0.0;
                for t in &w.terms {
                    mask |= term_bit(t)?;
                    sum += idf(n, df_of(t) as f32);
                }
                (mask != 0).then(|| WordBonus {
                    mask,
                    bonus: COVERAGE_WEIGHT * w.weight * sum / w.terms.len() as f32,
                    user: w.origin == Origin::User,
                    stands_for: w.stands_for,
                    text: w.text.clone(),
                })
            })
            .collect()
    }

    /// The need's one-character words and fragments that patents contain, weighted by idf; the
    /// [`MAX_CHARS`] strongest are kept.
    fn scored_chars(&self, query: &Query) -> Vec<(u16, f32)> {
        let n = self.live_docs.max(1) as f32;
        let mut chars: Vec<(u16, f32)> = query
            .chars
            .iter()
            .filter_map(|&(c, w)| {
                let unit = u16::try_from(c as u32).ok()?;
                let df: u32 = self.segments.iter().map(|s| s.char_df(unit)).sum();
                (df > 0).then(|| (unit, CHAR_WEIGHT * w * idf(n, df as f32)))
            })
            .collect();
        chars.sort_by(|a, b| b.1.total_cmp(&a.1));
        chars.truncate(MAX_CHARS);
        chars
    }

    fn df(&self, term: &Term) -> u32 {
        Vocabulary::df(self, term)
    }

    /// Analyses and ranks a raw need.
    pub fn search(
        &self,
        analyzer: &Analyzer,
        need: &str,
        filters: &Filters,
        limit: usize,
    ) -> SearchResult {
        let query = analyzer.analyze(need, self);
        self.search_query(&query, filters, limit)
    }
}

struct Ranking {
    /// Best first.
    docs: Vec<Scored>,
    terms: Vec<(Term, f32)>,
    max_score: f32,
}

fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Maps the share of the need's best possible score to 0-100. Impacts saturate well below 1 even for a
/// patent about exactly the need, and no patent uses every word of a chatty need, so half the maximum
/// already reads as a perfect match.
fn display_score(share: f32) -> u8 {
    (share * 200.0).round().clamp(0.0, 100.0) as u8
}

fn rating_key(meta: &DocMeta) -> u8 {
    meta.rating_institution + meta.rating_enterprise
}
