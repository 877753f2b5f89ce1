//! The keyword vocabulary of the index: the catalogue's keywords with how many patents use each. The
//! query analyser teaches them to the segmenter, so a need is cut where the catalogue's own technical
//! terms are. Separate from ranking.

use crate::matching::index::IndexDoc;
use crate::matching::text::normalize;
use rustc_hash::FxHashMap;

/// Counts the keywords of `docs` (2 to 12 characters) into `words`.
pub(super) fn extend_vocabulary(docs: &[IndexDoc], words: &mut Vec<(String, u32)>) {
    let mut ids: FxHashMap<String, u32> = words
        .iter()
        .enumerate()
        .map(|(i, (w, _))| (w.clone(), i as u32))
        .collect();
    for d in docs {
        for k in &d.record.keywords {
            let k = normalize(k.trim());
            if !(2..=12).contains(&k.chars().count()) {
                continue;
            }
            if let Some(&i) = ids.get(&k) {
                words[i as usize].1 += 1;
                continue;
            }
            ids.insert(k.clone(), words.len() as u32);
            words.push((k, 1));
        }
    }
}
