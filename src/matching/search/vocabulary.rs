//! The typo vocabulary of the index: the catalogue's keywords with how many patents use each, and those
//! of three to six characters by one-deletion variant, so that a misspelt query word finds the keywords
//! one edit away. Separate from ranking: it only feeds the query analyser's corrections.

use crate::matching::index::IndexDoc;
use crate::matching::text::normalize;
use rustc_hash::FxHashMap;

pub(super) type NearMap = FxHashMap<String, Vec<u32>>;

/// Keywords (the catalogue's own technical vocabulary), and those of three to six characters by
/// one-deletion variant for typo correction.
pub(super) fn extend_vocabulary(
    docs: &[IndexDoc],
    near: &mut NearMap,
    words: &mut Vec<(String, u32)>,
) {
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
            if (3..=6).contains(&len) {
                for variant in deletions(&k) {
                    near.entry(variant).or_default().push(i);
                }
            }
            words.push((k, 1));
        }
    }
}

/// Known words one edit (a character replaced) away from `word`, the most used first.
pub(super) fn near_misses(near: &NearMap, words: &[(String, u32)], word: &str) -> Vec<String> {
    let len = word.chars().count();
    let mut found: Vec<(u32, &str)> = Vec::new();
    for variant in deletions(word) {
        for &w in near.get(&variant).into_iter().flatten() {
            let (cand, freq) = &words[w as usize];
            if cand != word
                && cand.chars().count() == len
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

/// `word` with one character left out, for each of its characters: two words one replacement apart
/// share one of these.
fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len()).map(move |skip| {
        chars
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != skip)
            .map(|(_, c)| c)
            .collect()
    })
}
