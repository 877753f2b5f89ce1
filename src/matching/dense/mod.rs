//! Optional re-ranking by a sentence model: the lexical matcher's best [`DEPTH`] results are ordered
//! again by `score / 100 + weight × z`, z being how much closer in meaning (cosine of sentence vectors)
//! the patent is to the need than the catalogue at large, in standard deviations. The lexical side finds
//! and explains; the model only reorders what it found, so every result still shows the words it
//! matched, and "no good match" keeps its lexical calibration.
//!
//! Off unless configured (DENSE_VECTORS and DENSE_ENCODER_URL): the model runs in a separate server
//! (`encoder`), patents' vectors are computed once by `queqiao embed` and kept in a file (`vectors`).
//! When the encoder does not answer, the lexical order is shown and a warning logged: a need is never
//! left unanswered because of it. Measured in docs/performance.md ("A sentence model, measured").

pub mod encoder;
pub mod vectors;

use super::explain::Hit;
use super::query::Analyzer;
use super::search::{Filters, Index, SearchResult};
use crate::catalog::record::PatentRecord;
use encoder::{Encoder, Kind};
use std::path::PathBuf;
use vectors::PatentVectors;

/// Lexical results re-ranked (as measured: the order beyond them is the lexical one).
pub const DEPTH: usize = 40;
/// The weight of a standard deviation of meaning against the 0-1 lexical score. Measured on the
/// development set: 0.05 and 0.2 gave less on both halves than 0.1.
pub const DEFAULT_WEIGHT: f32 = 0.1;
/// Characters of a patent's text encoded: title, keywords, then the abstract; e5-small reads 512 tokens
/// and this stays under them.
const PATENT_CHARS: usize = 400;

/// What can go wrong with the sentence model.
#[derive(Debug, thiserror::Error)]
pub enum DenseError {
    #[error("{}:{line}: {problem}", path.display())]
    File {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("the sentence encoder at {url} failed: {problem}")]
    Encoder { url: String, problem: String },
    #[error("the encoder gives vectors of {found} values, the patents' vectors have {expected}")]
    Dimension { expected: usize, found: usize },
    #[error("the encoder serves model `{served}` but the patents' vectors were made with `{made}`")]
    Model { served: String, made: String },
}

/// The text of a patent that is encoded (the same for `queqiao embed` and for checking a stored
/// vector is current).
pub fn patent_text(record: &PatentRecord) -> String {
    format!(
        "{}。{}。{}",
        record.title,
        record.keywords.join("、"),
        record.abstract_text
    )
    .chars()
    .take(PATENT_CHARS)
    .collect()
}

/// The patents' vectors, the encoder of needs and the weight of meaning.
pub struct SentenceModel {
    pub vectors: PatentVectors,
    pub encoder: Encoder,
    pub weight: f32,
}

impl SentenceModel {
    /// Searches lexically, then re-ranks the best [`DEPTH`] by meaning. When the encoder fails the
    /// lexical order stands (logged).
    pub async fn search(
        &self,
        index: &Index,
        analyzer: &Analyzer,
        need: &str,
        filters: &Filters,
        limit: usize,
    ) -> SearchResult {
        let mut result = index.search(analyzer, need, filters, limit.max(DEPTH));
        if !result.hits.is_empty() {
            match self.need_vector(need).await {
                Ok(vector) => rerank(&mut result.hits, &vector, &self.vectors, self.weight),
                Err(error) => tracing::warn!(%error, "results shown in lexical order"),
            }
        }
        result.hits.truncate(limit);
        result
    }

    /// The need's vector, checked against the model the patents were encoded with.
    pub async fn need_vector(&self, need: &str) -> Result<Vec<f32>, DenseError> {
        let (mut vectors, served) = self.encoder.encode(Kind::Query, &[need.to_owned()]).await?;
        let made = &self.vectors.header.model;
        if !served.is_empty() && &served != made {
            return Err(DenseError::Model {
                served,
                made: made.clone(),
            });
        }
        let vector = vectors.pop().unwrap_or_default();
        if vector.len() != self.vectors.header.dim {
            return Err(DenseError::Dimension {
                expected: self.vectors.header.dim,
                found: vector.len(),
            });
        }
        Ok(vector)
    }
}

/// Orders the first [`DEPTH`] hits by `score / 100 + weight × z` (stable: ties keep the lexical order); a
/// patent without a stored vector counts as average (z = 0). Shown scores follow the new order on the
/// lexical scale: the first keeps the best lexical score, the others the share of the first's sum they
/// reach, so a weak answer does not start to look strong; scores never rise down the list.
pub fn rerank(hits: &mut [Hit], need: &[f32], vectors: &PatentVectors, weight: f32) {
    let depth = hits.len().min(DEPTH);
    let (mean, spread) = vectors.spread(need);
    let spread = spread.max(1e-6);
    let best = hits[..depth].iter().map(|h| h.score).max().unwrap_or(0);
    let mut keyed: Vec<(f32, Hit)> = hits[..depth]
        .iter()
        .map(|h| {
            let z = vectors
                .get(&h.number)
                .map_or(0.0, |v| (v.cosine(need) - mean) / spread);
            (f32::from(h.score) / 100.0 + weight * z, h.clone())
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top = keyed.first().map_or(0.0, |(key, _)| *key);
    for (slot, (key, mut hit)) in hits.iter_mut().zip(keyed) {
        if top > 0.0 {
            let shown = f32::from(best) * key / top;
            hit.score = shown.round().clamp(0.0, 100.0) as u8;
        }
        *slot = hit;
    }
    let mut ceiling = u8::MAX;
    for hit in hits.iter_mut() {
        hit.score = hit.score.min(ceiling);
        ceiling = hit.score;
    }
}

#[cfg(test)]
mod tests {
    use super::vectors::{Header, text_hash};
    use super::*;

    fn hit(number: &str, score: u8) -> Hit {
        Hit {
            number: number.into(),
            score,
            title: String::new(),
            institution: String::new(),
            matched: Vec::new(),
            snippet: String::new(),
            double_five: false,
            open_license: false,
            industry: String::new(),
        }
    }

    /// Three results close in words; the third is the one close in meaning, among many patents that are
    /// not.
    fn setting() -> (Vec<Hit>, PatentVectors) {
        let mut vectors = PatentVectors::new(Header {
            model: "test".into(),
            dim: 3,
        });
        vectors
            .insert("CN1A", text_hash("1"), &[0.0, 1.0, 0.2])
            .unwrap();
        vectors
            .insert("CN2A", text_hash("2"), &[0.1, 1.0, 0.0])
            .unwrap();
        vectors
            .insert("CN3A", text_hash("3"), &[1.0, 0.1, 0.0])
            .unwrap();
        for i in 0..20 {
            let v = [0.0, 1.0, (i as f32) / 10.0];
            vectors
                .insert(&format!("CN{}B", 10 + i), text_hash("x"), &v)
                .unwrap();
        }
        (
            vec![hit("CN1A", 80), hit("CN2A", 75), hit("CN3A", 70)],
            vectors,
        )
    }

    #[test]
    fn the_result_closest_in_meaning_moves_up() {
        let (mut hits, vectors) = setting();
        rerank(&mut hits, &[1.0, 0.0, 0.0], &vectors, DEFAULT_WEIGHT);
        assert_eq!(hits[0].number, "CN3A");
        assert_eq!(hits[0].score, 80, "the best keeps the best lexical score");
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn with_no_weight_the_lexical_order_and_scores_stand() {
        let (mut hits, vectors) = setting();
        rerank(&mut hits, &[1.0, 0.0, 0.0], &vectors, 0.0);
        let shown: Vec<(&str, u8)> = hits.iter().map(|h| (h.number.as_str(), h.score)).collect();
        assert_eq!(shown, [("CN1A", 80), ("CN2A", 75), ("CN3A", 70)]);
    }

    #[test]
    fn a_patent_without_a_vector_counts_as_average() {
        let (mut hits, vectors) = setting();
        hits.insert(0, hit("CN9Z", 85));
        rerank(&mut hits, &[1.0, 0.0, 0.0], &vectors, DEFAULT_WEIGHT);
        assert_eq!(hits[0].number, "CN3A");
        assert!(hits.iter().any(|h| h.number == "CN9Z"));
    }
}
