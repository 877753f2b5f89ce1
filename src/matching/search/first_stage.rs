//! First stage of ranking: every segment's postings are scanned for the scored terms (BM25F impacts),
//! whole-word bonuses are added, and the best candidates are kept in a bounded heap. This is the hot
//! loop, so it lives apart with its per-thread scratch space and its tuning constants.

use super::filters::CompiledFilters;
use super::plan::Plan;
use crate::matching::index::Segment;
use crate::matching::text::Term;
use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// A term in more than 1/FREQUENT_SHARE of a segment's documents (and at least FREQUENT_MIN_DF) is scored
/// only for candidates chosen by the rarer terms.
const FREQUENT_SHARE: usize = 1000;
const FREQUENT_MIN_DF: usize = 100;
/// How many of the highest-weighted terms always pick candidates, however frequent.
const ALWAYS_EARLY: usize = 3;
/// Candidates per segment carried from phase one to phase two.
const CANDIDATES: usize = 500;

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
pub(super) struct Scored(pub(super) f32, pub(super) u32, pub(super) u32);
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

/// The `keep` best live documents that pass the filters, over every segment, by their terms' impacts
/// plus the whole-word bonuses of [`Plan`] (in no particular order).
pub(super) fn candidates(
    segments: &[Arc<Segment>],
    deleted: &[Vec<bool>],
    compiled: &CompiledFilters,
    terms: &[(Term, f32)],
    plan: &Plan,
    keep: usize,
) -> Vec<Scored> {
    let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(keep + 1);
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        for (s, seg) in segments.iter().enumerate() {
            let scratch = &mut *scratch;
            accumulate(seg, &deleted[s], compiled, terms, scratch);
            let Scratch { acc, mask, touched } = scratch;
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
    heap.into_vec()
}

/// One segment's candidates into `scratch`: `touched` lists the live documents that pass the filters,
/// `acc` holds their summed impacts and `mask` the bits of the terms they contain.
fn accumulate(
    seg: &Segment,
    deleted: &[bool],
    compiled: &CompiledFilters,
    terms: &[(Term, f32)],
    scratch: &mut Scratch,
) {
    let Scratch { acc, mask, touched } = scratch;
    if acc.len() < seg.len() {
        acc.resize(seg.len(), 0.0);
        mask.resize(seg.len(), 0);
    }
    // Two phases keep long posting lists off the hot path: rare terms are accumulated over their whole
    // lists and pick the candidates; frequent terms (low idf, long lists) are then looked up for those
    // candidates only, through the lists' skip tables. The strongest terms always take part in phase one,
    // so a need made only of common words still finds documents.
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
    touched.retain(|&doc| {
        let d = doc as usize;
        let keep = !deleted[d] && compiled.passes(&seg.meta[d]);
        if !keep {
            acc[d] = 0.0;
            mask[d] = 0;
        }
        keep
    });
    if late.is_empty() {
        return;
    }
    if touched.len() > CANDIDATES {
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
    touched.sort_unstable();
    for &(bit, id, w) in &late {
        seg.for_each_impact(id, touched, |doc, impact| {
            acc[doc as usize] += w * impact as f32;
            mask[doc as usize] |= 1 << bit;
        });
    }
}
