//! Ranking: the need's terms are scored against the index (BM25F impacts plus a bonus for every whole
//! query word a patent contains), filtered, and returned with a 0-100 score, the matched words and a
//! snippet. Pure: no database, no channel.

use super::index::{DocMeta, Field, IndexDoc, Labels, Segment, build_segments, labels_for};
use super::query::{Analyzer, Origin, Query, Vocabulary};
use super::text::{Term, normalize};
use crate::catalog::record::{LegalStatus, LicenseMode, PatentType};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Weight of the whole-word bonus relative to the bigram score.
const COVERAGE_WEIGHT: f32 = 1.0;
/// Query terms scored at most (the highest idf-weighted ones); more add nothing but time.
const MAX_TERMS: usize = 64;
/// Below this score (0-100) a result is not a good match; a need whose best result is below it gets
/// "no good match". Chosen on the development set: relevant patents score far above it, unrelated needs below.
pub const GOOD_MATCH_THRESHOLD: u8 = 25;
/// Characters of abstract shown around the best match.
const SNIPPET_CHARS: usize = 80;

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

/// One ranked, explained result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub number: String,
    /// 0-100.
    pub score: u8,
    pub title: String,
    pub institution: String,
    /// Query words that occur verbatim in this patent's title, keywords, abstract or claims.
    pub matched: Vec<String>,
    pub snippet: String,
    /// 双五星: five stars from the institution and from enterprises.
    pub double_five: bool,
    pub open_license: bool,
    pub industry: String,
}

/// The answer to one need.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// Results at or above [`GOOD_MATCH_THRESHOLD`], best first.
    pub hits: Vec<Hit>,
    /// True when nothing reached the threshold: the channel says so instead of showing noise.
    pub no_good_match: bool,
    /// The need after filler removal.
    pub cleaned_query: String,
}

/// The searchable catalogue: segments plus what was deleted or replaced since they were built.
pub struct Index {
    /// Immutable and shared: an index with changes applied reuses the segments of the one before it.
    segments: Vec<Arc<Segment>>,
    /// Per segment, docs superseded by a newer version or removed.
    deleted: Vec<Vec<bool>>,
    labels: Labels,
    by_number: FxHashMap<String, (u32, u32)>,
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
    /// Builds the index over `docs` (all cores).
    pub fn build(docs: &[IndexDoc]) -> Index {
        let mut labels = Labels::default();
        labels_for(docs, &mut labels);
        let segments: Vec<Arc<Segment>> = build_segments(docs, &labels)
            .into_iter()
            .map(Arc::new)
            .collect();
        let mut by_number = FxHashMap::default();
        for (s, seg) in segments.iter().enumerate() {
            for d in 0..seg.len() as u32 {
                by_number.insert(seg.number(d).to_owned(), (s as u32, d));
            }
        }
        let deleted = segments.iter().map(|s| vec![false; s.len()]).collect();
        let (near, words) = keyword_vocabulary(docs);
        Index {
            live_docs: by_number.len(),
            segments,
            deleted,
            labels,
            by_number,
            near,
            words,
        }
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
            + self.by_number.capacity() * 40
            + self.deleted.iter().map(Vec::len).sum::<usize>()
            + self.words.iter().map(|(w, _)| w.len() + 28).sum::<usize>()
            + self.near.capacity() * 48;
        (postings, text, all)
    }

    /// Returns a copy with `docs` added (replacing patents of the same number) as a new segment. The old
    /// index keeps serving readers until the caller swaps in the new one.
    pub fn with_changes(&self, docs: &[IndexDoc]) -> Index {
        let mut labels = self.labels.clone();
        labels_for(docs, &mut labels);
        let mut deleted = self.deleted.clone();
        let mut by_number = self.by_number.clone();
        let mut live_docs = self.live_docs;
        for d in docs {
            if let Some((s, i)) = by_number.remove(&d.record.number) {
                deleted[s as usize][i as usize] = true;
                live_docs -= 1;
            }
        }
        let new = Segment::build(docs, &super::index::FieldStats::of(docs), &labels);
        let s = self.segments.len() as u32;
        for d in 0..new.len() as u32 {
            if by_number.insert(new.number(d).to_owned(), (s, d)).is_none() {
                live_docs += 1;
            }
        }
        deleted.push(vec![false; new.len()]);
        let mut segments = self.segments.clone();
        segments.push(Arc::new(new));
        let (mut near, mut words) = (self.near.clone(), self.words.clone());
        extend_vocabulary(docs, &mut near, &mut words);
        Index {
            segments,
            deleted,
            labels,
            by_number,
            live_docs,
            near,
            words,
        }
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
        let ranking = self.compile(filters).map(|f| self.rank(query, &f, limit));
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
            .filter(|r| r.0 >= GOOD_MATCH_THRESHOLD)
            .map(|(score, _, _, s, d)| self.explain(query, &terms, s, d, score))
            .collect();
        SearchResult {
            no_good_match: hits.is_empty(),
            hits,
            cleaned_query: query.cleaned.clone(),
        }
    }

    /// The `limit` best documents for the query, best first, with the scored terms and the best score a
    /// document could reach (for the 0-100 scale).
    fn rank(&self, query: &Query, compiled: &CompiledFilters, limit: usize) -> Ranking {
        let n = self.live_docs.max(1) as f32;
        // Global idf per query term; terms the catalogue lacks are dropped.
        let mut terms: Vec<(Term, f32)> = query
            .terms
            .iter()
            .filter_map(|(t, w)| {
                let df = self.df(t);
                (df > 0).then(|| (t.clone(), w * idf(n, df as f32)))
            })
            .collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1));
        terms.truncate(MAX_TERMS);
        let term_bit = |t: &Term| terms.iter().position(|(x, _)| x == t).map(|i| 1u64 << i);
        // Whole words: bonus when a patent contains every term of the word.
        let words: Vec<(u64, f32)> = query
            .words
            .iter()
            .filter_map(|w| {
                let mut mask = 0u64;
                let mut sum = 0.0;
                for t in &w.terms {
                    mask |= term_bit(t)?;
                    sum += idf(n, self.df(t) as f32);
                }
                (mask != 0).then(|| {
                    (
                        mask,
                        COVERAGE_WEIGHT * w.weight * sum / w.terms.len() as f32,
                    )
                })
            })
            .collect();
        let max_score: f32 =
            terms.iter().map(|(_, w)| w).sum::<f32>() + words.iter().map(|(_, b)| b).sum::<f32>();
        let keep = limit.max(1);
        let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(keep + 1);
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            for (s, seg) in self.segments.iter().enumerate() {
                let Scratch { acc, mask, touched } = &mut *scratch;
                if acc.len() < seg.len() {
                    acc.resize(seg.len(), 0.0);
                    mask.resize(seg.len(), 0);
                }
                for (bit, (term, weight)) in terms.iter().enumerate() {
                    let Some(id) = seg.term_id(term) else {
                        continue;
                    };
                    let w = weight / 255.0;
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
                for &doc in touched.iter() {
                    let d = doc as usize;
                    let (score, m) = (acc[d], mask[d]);
                    acc[d] = 0.0;
                    mask[d] = 0;
                    if deleted[d] || !self.passes(&seg.meta[d], compiled) {
                        continue;
                    }
                    let bonus: f32 = words
                        .iter()
                        .filter(|(wm, _)| m & wm == *wm)
                        .map(|(_, b)| b)
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
        docs.sort();
        Ranking {
            docs,
            terms,
            max_score,
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

    /// Result fields and a truthful explanation: only words found verbatim in the patent are listed.
    fn explain(&self, query: &Query, terms: &[(&Term, f32)], s: u32, d: u32, score: u8) -> Hit {
        let seg = &self.segments[s as usize];
        let meta = &seg.meta[d as usize];
        let title = seg.field(d, Field::Title);
        let abstract_text = seg.field(d, Field::Abstract);
        let haystack = normalize(&format!(
            "{title}\n{}\n{abstract_text}\n{}",
            seg.field(d, Field::Keywords),
            seg.field(d, Field::Claims)
        ));
        let idf_of = |w: &super::query::QueryWord| -> f32 {
            w.terms
                .iter()
                .filter_map(|t| terms.iter().find(|(x, _)| *x == t).map(|(_, i)| *i))
                .sum()
        };
        let mut matched: Vec<(f32, &str)> = query
            .words
            .iter()
            .filter(|w| haystack.contains(&w.text))
            .map(|w| {
                (
                    idf_of(w) * if w.origin == Origin::User { 1.0 } else { 0.8 },
                    w.text.as_str(),
                )
            })
            .collect();
        matched.sort_by(|a, b| b.0.total_cmp(&a.0));
        matched.dedup_by(|a, b| a.1 == b.1);
        let matched: Vec<String> = matched.iter().take(8).map(|(_, w)| w.to_string()).collect();
        Hit {
            number: seg.number(d).to_owned(),
            score,
            title,
            institution: self.labels.name(meta.institution).to_owned(),
            snippet: snippet(&abstract_text, &matched),
            matched,
            double_five: meta.double_five(),
            open_license: meta.offers(LicenseMode::Open),
            industry: self.labels.name(meta.industry).to_owned(),
        }
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

struct CompiledFilters {
    industry: Option<u16>,
    region: Option<u16>,
    institution: Option<u16>,
    license: Option<LicenseMode>,
    legal_status: Option<LegalStatus>,
    patent_type: Option<PatentType>,
    max_price: Option<i64>,
}

fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Maps the share of the query's best possible score to 0-100. Impacts saturate well below 1 even for a
/// patent about exactly the need, so half the maximum already reads as a very strong match.
fn display_score(share: f32) -> u8 {
    (share / 0.5 * 100.0).round().clamp(0.0, 100.0) as u8
}

fn rating_key(meta: &DocMeta) -> u8 {
    meta.rating_institution + meta.rating_enterprise
}

/// A window of the abstract around the first matched word (in the order given, best first).
pub fn snippet(abstract_text: &str, matched: &[String]) -> String {
    let chars: Vec<char> = abstract_text.chars().collect();
    let folded: Vec<char> = chars.iter().map(|c| super::text::fold(*c)).collect();
    let at = matched.iter().find_map(|w| {
        let w: Vec<char> = w.chars().collect();
        (!w.is_empty())
            .then(|| folded.windows(w.len()).position(|win| win == w.as_slice()))
            .flatten()
    });
    let start = at.map(|i| i.saturating_sub(SNIPPET_CHARS / 3)).unwrap_or(0);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

type NearMap = FxHashMap<String, Vec<u32>>;

/// Keywords (the catalogue's own technical vocabulary) indexed by one-deletion variants, for typo
/// correction of words of three to six characters.
fn keyword_vocabulary(docs: &[IndexDoc]) -> (NearMap, Vec<(String, u32)>) {
    let mut near = FxHashMap::default();
    let mut words = Vec::new();
    extend_vocabulary(docs, &mut near, &mut words);
    (near, words)
}

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
