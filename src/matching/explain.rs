//! Explanations: a ranked document as a [`Hit`] with the need's words it really contains and a snippet
//! of its abstract around the best of them. Pure: no database, no channel.

use super::index::{Field, Labels, Segment};
use super::query::{Origin, Query};
use super::text::{Term, normalize};
use crate::catalog::record::LicenseMode;
use serde::Serialize;

/// Characters of abstract shown around the best match.
const SNIPPET_CHARS: usize = 80;

/// One ranked, explained result.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Hit {
    pub number: String,
    /// 0-100.
    pub score: u8,
    pub title: String,
    pub institution: String,
    /// Query words that occur verbatim in this patent's title, keywords or abstract.
    pub matched: Vec<String>,
    pub snippet: String,
    /// 双五星: five stars from the institution and from enterprises.
    pub double_five: bool,
    pub open_license: bool,
    pub industry: String,
}

/// Result fields and a truthful explanation: only words found verbatim in the patent's title,
/// keywords or abstract are listed.
pub(super) fn explain(
    seg: &Segment,
    labels: &Labels,
    query: &Query,
    terms: &[(&Term, f32)],
    d: u32,
    score: u8,
) -> Hit {
    let meta = &seg.meta[d as usize];
    let title = seg.field(d, Field::Title);
    let abstract_text = seg.field(d, Field::Abstract);
    let haystack = normalize(&format!(
        "{title}\n{}\n{abstract_text}",
        seg.field(d, Field::Keywords)
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
    // One-character words last, and only those no matched word already holds (膜 inside 薄膜 is news,
    // 膜 inside a matched 变色膜 is not).
    let mut chars: Vec<(f32, String)> = Vec::new();
    for (c, _) in &query.chars {
        if !query.fragments.contains(c)
            && haystack.contains(*c)
            && !matched.iter().any(|(_, w)| w.contains(*c))
        {
            chars.push((0.0, c.to_string()));
        }
    }
    let mut matched: Vec<(f32, &str)> = matched
        .into_iter()
        .chain(chars.iter().map(|(s, c)| (*s, c.as_str())))
        .collect();
    // A stem or fragment inside a longer matched word (微生 in 微生物) says nothing more.
    let all: Vec<&str> = matched.iter().map(|(_, w)| *w).collect();
    matched.retain(|(_, w)| !all.iter().any(|o| o.len() > w.len() && o.contains(*w)));
    let matched: Vec<String> = matched.iter().take(8).map(|(_, w)| w.to_string()).collect();
    Hit {
        number: seg.number(d).to_owned(),
        score,
        title,
        institution: labels.name(meta.institution).to_owned(),
        snippet: snippet(&abstract_text, &matched),
        matched,
        double_five: meta.double_five(),
        open_license: meta.offers(LicenseMode::Open),
        industry: labels.name(meta.industry).to_owned(),
    }
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
