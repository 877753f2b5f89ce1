//! Which version of a patent is live: documents are filed under their packed publication number, and when
//! a segment brings a number again the older document is marked deleted. Kept apart from ranking, which
//! only reads the deleted flags.

use crate::catalog::record::number_key;

/// Merges a segment's sorted (number, segment, doc) entries into the index's: where a number occurs more
/// than once, the entry added last wins and the others are marked deleted.
pub(super) fn supersede(
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
pub(super) fn doc_key(number: &str) -> u64 {
    number_key(number).unwrap_or_else(|| {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        number.hash(&mut h);
        h.finish() | 1 << 63
    })
}
