//! Ranking: the need's terms are scored against the index (BM25F impacts plus a bonus for every whole
//! query word a patent contains), then the best candidates are scored again term by term (alternatives of
//! one phrase counted once, one-character words added), filtered, and returned with a 0-100 score, the
//! matched words and a snippet. Pure: no database, no channel.

use super::calibration::{CALIBRATION_DEPTH, is_good_match};
pub use super::calibration::{GOOD_MATCH_THRESHOLD, SINGLE_WORD_THRESHOLD};
use super::explain::explain;
pub use super::explain::{Hit, snippet};
use super::index::{DocMeta, IndexDoc, Labels, Segment, build_segments, labels_for};
use super::query::{Analyzer, Origin, Query, Vocabulary};
use super::text::{Term, normalize};
use crate::catalog::record::{LegalStatus, LicenseMode, PatentType, number_key};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Weight of the whole-word bonus relative to the bigram score.
const COVERAGE_WEIGHT: f32 = 1.0;
/// Query terms scored at most (the highest idf-weighted ones); more add nothing but time.
const MAX_TERMS: usize = 64;
/// Results scoring below this (0-100) are noise and never shown.
pub const MIN_SCORE: u8 = 10;
/// A term in more than 1/FREQUENT_SHARE of a segment's documents (and at least FREQUENT_MIN_DF) is scored
/// only for candidates chosen by the rarer terms.
const FREQUENT_SHARE: usize = 1000;
const FREQUENT_MIN_DF: usize = 100;
/// How many of the highest-weighted terms always pick candidates, however frequent.
const ALWAYS_EARLY: usize = 3;
/// Candidates per segment carried from phase one to phase two.
const CANDIDATES: usize = 500;
/// Candidates scored again in the second stage (30 to 400 gave the same development-set results).
const RERANK_DEPTH: usize = 100;
/// One-character words scored at most (the highest idf-weighted ones): each costs a scan of the stored
/// text of every re-ranked candidate, and a pasted page must not make a slow query.
const MAX_CHARS: usize = 16;
/// Weight of a one-character word against a bigram of the same idf (0.75 to 1.25 gave the same results).
const CHAR_WEIGHT: f32 = 1.0;
/// Share of its score an alternative adds beyond the best one of its phrase: 0 counts an idea once
/// however many ways a patent says it, 1 adds them all. A patent that uses both the need's word and the
/// technical term is a little more on topic, so not 0 (0.6 to 0.8 best on the development set, 0 and 1
/// both worse).
const ALTERNATIVES_SHARE: f32 = 0.7;

/// Restrictions on results. Unknown names match nothing (the channel validates choices beforehand).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub institution: Option<String>,
    #[serde(default)]
    pub license: Option<LicenseMode>,
    #[serde(default)]
    pub legal_status: Option<LegalStatus>,
    #[serde(default)]
    pub patent_type: Option<PatentType>,
    #[serde(default)]
    pub max_price: Option<i64>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

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

fn need_words(query: &Query) -> Vec<String> {
    query
        .words
        .iter()
        .filter(|w| w.origin == super::query::Origin::User)
        .map(|w| w.text.clone())
        .collect()
}

/// The searchable catalogue: segments plus what was deleted or replaced since they were built.
pub struct Index {
    /// Immutable and shared: an index with changes applied reuses the segments of the one before it.
    segments: Vec<Arc<Segment>>,
    /// Per segment, docs superseded by a newer version or removed.
    deleted: Vec<Vec<bool>>,
    labels: Labels,
    /// (publication number packed, see [`number_key`]; segment; doc) of every live patent, sorted: 16
    /// bytes a patent, well under half a hash map's footprint at a million.
    by_number: Vec<(u64, u32, u32)>,
    live_docs: usize,
    /// Known words for typo correction: keyword vocabulary by one-character-deleted variant.
    near: FxHashMap<String, Vec<u32>>,
    words: Vec<(String, u32)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    acc: Vec<f32>,
    mask: Vec<u64>,
    touched: Vec<u32>,
}

#[derive(PartialEq)]
struct Scored(f32, u32, u32);
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    // Reversed: BinaryHeap is a max-heap and we keep the k best, popping the worst.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then(other.1.cmp(&self.1))
            .then(other.2.cmp(&self.2))
    }
}

impl Vocabulary for Index {
    fn df(&self, term: &Term) -> u32 {
        self.segments
            .iter()
            .filter_map(|s| s.term_id(term).map(|id| s.df(id)))
            .sum()
    }

    fn near_misses(&self, word: &str) -> Vec<String> {
        let chars: Vec<char> = word.chars().collect();
        let mut found: Vec<(u32, &str)> = Vec::new();
        for i in 0..chars.len() {
            let variant: String = chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect();
            for &w in self.near.get(&variant).into_iter().flatten() {
                let (cand, freq) = &self.words[w as usize];
                if cand != word
                    && cand.chars().count() == chars.len()
                    && strsim::levenshtein(cand, word) == 1
                    && !found.iter().any(|(_, c)| c == cand)
                {
                    found.push((*freq, cand));
                }
            }
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        found.into_iter().map(|(_, w)| w.to_owned()).collect()
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
            near: FxHashMap::default(),
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
        extend_vocabulary(docs, &mut self.near, &mut self.words);
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
            near: self.near.clone(),
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
            + self.words.iter().map(|(w, _)| w.len() + 28).sum::<usize>()
            + self.near.capacity() * 48;
        (postings, text, all)
    }

    fn passes(&self, meta: &DocMeta, f: &CompiledFilters) -> bool {
        f.industry.is_none_or(|id| meta.industry == id)
            && f.region.is_none_or(|id| meta.region == id)
            && f.institution.is_none_or(|id| meta.institution == id)
            && f.license.is_none_or(|m| meta.offers(m))
            && f.legal_status.is_none_or(|s| meta.legal_status == s)
            && f.patent_type.is_none_or(|t| meta.patent_type == t)
            && f.max_price
                .is_none_or(|p| meta.asking_price >= 0 && meta.asking_price <= p)
    }

    /// Ranks the catalogue for an analysed query; `limit` results at most.
    pub fn search_query(&self, query: &Query, filters: &Filters, limit: usize) -> SearchResult {
        // At least the calibration depth is ranked, so that the verdict does not depend on `limit`.
        let depth = limit.max(CALIBRATION_DEPTH);
        let ranking = self.compile(filters).map(|f| self.rank(query, &f, depth));
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
        let mut ranked: Vec<(u8, u8, &str, u32, u32)> = docs
            .into_iter()
            .map(|Scored(score, s, d)| {
                let seg = &self.segments[s as usize];
                let meta = &seg.meta[d as usize];
                (
                    display_score(score / max_score),
                    rating_key(meta),
                    seg.number(d),
                    s,
                    d,
                )
            })
            .collect();
        // The two-way rating only breaks ties between equal displayed scores.
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
        let terms: Vec<(&Term, f32)> = terms.iter().map(|(t, w)| (t, *w)).collect();
        let hits: Vec<Hit> = ranked
            .into_iter()
            .filter(|r| r.0 >= MIN_SCORE)
            .map(|(score, _, _, s, d)| {
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
        let df_of = |t: &Term| match query.terms.iter().position(|(x, _)| x == t) {
            Some(i) => dfs[i],
            None => self.df(t),
        };
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
        let term_bit = |t: &Term| terms.iter().position(|(x, _)| x == t).map(|i| 1u64 << i);
        // Whole words: bonus when a patent contains every term of the word.
        let words: Vec<WordBonus> = query
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
            .collect();
        let plan = Plan::new(query, &terms, words);
        // The scale counts every term of the need, including those no patent has: a need whose main words
        // the catalogue lacks must not look like a strong match because its one common word matched.
        let missing: f32 = query
            .terms
            .iter()
            .zip(&dfs)
            .filter(|(_, df)| **df == 0)
            .map(|((_, w), _)| w * idf(n, 1.0))
            .sum();
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
        let best: Vec<f32> = terms.iter().map(|(_, w)| *w).collect();
        let max_score: f32 =
            missing + plan.score(&best) + chars.iter().map(|(_, w)| w).sum::<f32>();
        let rescore = !chars.is_empty() || !plan.groups.is_empty();
        let keep = if !rescore {
            limit.max(1)
        } else {
            limit.max(RERANK_DEPTH)
        };
        let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(keep + 1);
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            for (s, seg) in self.segments.iter().enumerate() {
                let Scratch { acc, mask, touched } = &mut *scratch;
                if acc.len() < seg.len() {
                    acc.resize(seg.len(), 0.0);
                    mask.resize(seg.len(), 0);
                }
                // Two phases keep long posting lists off the hot path: rare terms are accumulated over
                // their whole lists and pick the candidates; frequent terms (low idf, long lists) are then
                // looked up for those candidates only, through the lists' skip tables. The strongest terms
                // always take part in phase one, so a need made only of common words still finds documents.
                let frequent_df = (seg.len() / FREQUENT_SHARE).max(FREQUENT_MIN_DF) as u32;
                let mut late: Vec<(usize, u32, f32)> = Vec::new();
                for (bit, (term, weight)) in terms.iter().enumerate() {
                    let Some(id) = seg.term_id(term) else {
                        continue;
                    };
                    let w = weight / 255.0;
                    if bit >= ALWAYS_EARLY && seg.df(id) > frequent_df {
                        late.push((bit, id, w));
                        continue;
                    }
                    for (doc, impact) in seg.postings(id) {
                        let d = doc as usize;
                        if mask[d] == 0 {
                            touched.push(doc);
                        }
                        acc[d] += w * impact as f32;
                        mask[d] |= 1 << bit;
                    }
                }
                let deleted = &self.deleted[s];
                touched.retain(|&doc| {
                    let d = doc as usize;
                    let keep = !deleted[d] && self.passes(&seg.meta[d], compiled);
                    if !keep {
                        acc[d] = 0.0;
                        mask[d] = 0;
                    }
                    keep
                });
                if !late.is_empty() && touched.len() > CANDIDATES {
                    // Keep the best candidates by partial score; reset the rest.
                    touched.select_nth_unstable_by(CANDIDATES, |a, b| {
                        acc[*b as usize].total_cmp(&acc[*a as usize])
                    });
                    for &doc in &touched[CANDIDATES..] {
                        acc[doc as usize] = 0.0;
                        mask[doc as usize] = 0;
                    }
                    touched.truncate(CANDIDATES);
                }
                if !late.is_empty() {
                    touched.sort_unstable();
                    for &(bit, id, w) in &late {
                        seg.for_each_impact(id, touched, |doc, impact| {
                            acc[doc as usize] += w * impact as f32;
                            mask[doc as usize] |= 1 << bit;
                        });
                    }
                }
                for &doc in touched.iter() {
                    let d = doc as usize;
                    let (score, m) = (acc[d], mask[d]);
                    acc[d] = 0.0;
                    mask[d] = 0;
                    let bonus: f32 = plan
                        .words
                        .iter()
                        .filter(|w| m & w.mask == w.mask)
                        .map(|w| w.bonus)
                        .sum();
                    let total = score + bonus;
                    if heap.len() < keep {
                        heap.push(Scored(total, s as u32, doc));
                    } else if heap.peek().is_some_and(|worst| total > worst.0) {
                        heap.pop();
                        heap.push(Scored(total, s as u32, doc));
                    }
                }
                touched.clear();
            }
        });
        let mut docs = heap.into_vec();
        if rescore {
            self.rescore(&plan, &terms, &chars, &mut docs);
        }
        docs.sort();
        docs.truncate(limit.max(1));
        Ranking {
            docs,
            terms,
            max_score,
        }
    }

    /// Second stage for the best candidates: each term's contribution per document is looked up, so
    /// that alternatives count once (see [`Plan`]) and one-character words can add their share.
    fn rescore(
        &self,
        plan: &Plan,
        terms: &[(Term, f32)],
        chars: &[(u16, f32)],
        docs: &mut [Scored],
    ) {
        let width = terms.len();
        let mut contrib = vec![0f32; docs.len() * width];
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order.sort_unstable_by_key(|&i| (docs[i].1, docs[i].2));
        for group in order.chunk_by(|&a, &b| docs[a].1 == docs[b].1) {
            let seg = &self.segments[docs[group[0]].1 as usize];
            let ids: Vec<u32> = group.iter().map(|&i| docs[i].2).collect();
            for (bit, (term, weight)) in terms.iter().enumerate() {
                let Some(id) = seg.term_id(term) else {
                    continue;
                };
                seg.for_each_impact(id, &ids, |doc, impact| {
                    if let Ok(k) = ids.binary_search(&doc) {
                        contrib[group[k] * width + bit] = weight / 255.0 * impact as f32;
                    }
                });
            }
        }
        for (i, Scored(score, s, d)) in docs.iter_mut().enumerate() {
            *score = plan.score(&contrib[i * width..(i + 1) * width])
                + self.segments[*s as usize].char_score(*d, chars);
        }
    }

    fn df(&self, term: &Term) -> u32 {
        Vocabulary::df(self, term)
    }

    fn compile(&self, f: &Filters) -> Option<CompiledFilters> {
        let label = |name: &Option<String>| -> Option<Option<u16>> {
            match name {
                None => Some(None),
                Some(n) => self.labels.find(n.trim()).map(Some),
            }
        };
        Some(CompiledFilters {
            industry: label(&f.industry)?,
            region: label(&f.region)?,
            institution: label(&f.institution)?,
            license: f.license,
            legal_status: f.legal_status,
            patent_type: f.patent_type,
            max_price: f.max_price,
        })
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

/// A query word's whole-word bonus, with what the second stage needs to know about it.
struct WordBonus {
    /// Bits of its terms in the scored-term list.
    mask: u64,
    bonus: f32,
    user: bool,
    stands_for: Option<usize>,
    text: String,
}

/// How a document's per-term contributions add up to its score: the need's own terms and whole-word
/// bonuses add; each phrase with alternatives (synonyms, corrections, stems) counts as one idea: the best
/// of the need's own words and the alternatives, plus [`ALTERNATIVES_SHARE`] of the others. Without a
/// phrase with alternatives this is the first stage's plain sum.
struct Plan {
    words: Vec<WordBonus>,
    /// Terms that come from the need's own text.
    own: u64,
    /// Per phrase: the need's own words inside it, and its alternatives (indices into `words`).
    groups: Vec<(Vec<usize>, Vec<usize>)>,
}

impl Plan {
    fn new(query: &Query, terms: &[(Term, f32)], words: Vec<WordBonus>) -> Plan {
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
    fn score(&self, contrib: &[f32]) -> f32 {
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

struct Ranking {
    /// Best first.
    docs: Vec<Scored>,
    terms: Vec<(Term, f32)>,
    max_score: f32,
}

struct CompiledFilters {
    industry: Option<u16>,
    region: Option<u16>,
    institution: Option<u16>,
    license: Option<LicenseMode>,
    legal_status: Option<LegalStatus>,
    patent_type: Option<PatentType>,
    max_price: Option<i64>,
}

/// Merges a segment's sorted (number, segment, doc) entries into the index's: where a number occurs more
/// than once, the entry added last wins and the others are marked deleted.
fn supersede(
    old: Vec<(u64, u32, u32)>,
    fresh: Vec<(u64, u32, u32)>,
    deleted: &mut [Vec<bool>],
) -> Vec<(u64, u32, u32)> {
    let mut merged: Vec<(u64, u32, u32)> = Vec::with_capacity(old.len() + fresh.len());
    let mut old = old.into_iter().peekable();
    let mut fresh = fresh.into_iter().peekable();
    loop {
        // Equal numbers: the old entry first, so the fresh one replaces it below.
        let next = match (old.peek(), fresh.peek()) {
            (Some(o), Some(f)) if o.0 <= f.0 => old.next(),
            (_, Some(_)) => fresh.next(),
            (Some(_), None) => old.next(),
            (None, None) => break,
        };
        let Some(entry) = next else { break };
        match merged.last_mut() {
            Some(last) if last.0 == entry.0 => {
                if let Some(flag) = deleted
                    .get_mut(last.1 as usize)
                    .and_then(|v| v.get_mut(last.2 as usize))
                {
                    *flag = true;
                }
                *last = entry;
            }
            _ => merged.push(entry),
        }
    }
    merged
}

/// The packed publication number; any other string (never stored after validation) gets a hash.
fn doc_key(number: &str) -> u64 {
    number_key(number).unwrap_or_else(|| {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        number.hash(&mut h);
        h.finish() | 1 << 63
    })
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

type NearMap = FxHashMap<String, Vec<u32>>;

/// Keywords (the catalogue's own technical vocabulary), and those of three to six characters by
/// one-deletion variant for typo correction.
fn extend_vocabulary(docs: &[IndexDoc], near: &mut NearMap, words: &mut Vec<(String, u32)>) {
    let mut ids: FxHashMap<String, u32> = words
        .iter()
        .enumerate()
        .map(|(i, (w, _))| (w.clone(), i as u32))
        .collect();
    for d in docs {
        for k in &d.record.keywords {
            let k = normalize(k.trim());
            let len = k.chars().count();
            if !(2..=12).contains(&len) {
                continue;
            }
            if let Some(&i) = ids.get(&k) {
                words[i as usize].1 += 1;
                continue;
            }
            let i = words.len() as u32;
            ids.insert(k.clone(), i);
            let chars: Vec<char> = k.chars().collect();
            for skip in 0..chars.len() {
                if !(3..=6).contains(&len) {
                    break;
                }
                let variant: String = chars
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != skip)
                    .map(|(_, c)| c)
                    .collect();
                near.entry(variant).or_default().push(i);
            }
            words.push((k, 1));
        }
    }
}
