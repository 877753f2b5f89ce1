//! Second stage of ranking, for the best candidates of the first stage only. Kept apart from the first
//! because it looks each candidate up (through the postings' skip tables and the stored text) instead of
//! scanning whole posting lists.

use super::first_stage::Scored;
use super::plan::Plan;
use crate::matching::index::Segment;
use crate::matching::text::Term;
use std::sync::Arc;

/// Second stage for the best candidates: each term's contribution per document is looked up, so
/// that alternatives count once (see [`Plan`]) and one-character words can add their share.
pub(super) fn rescore(
    segments: &[Arc<Segment>],
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
        let seg = &segments[docs[group[0]].1 as usize];
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
            + segments[*s as usize].char_score(*d, chars);
    }
}
