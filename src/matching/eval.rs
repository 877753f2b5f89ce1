//! Retrieval quality on graded needs (`../shared/eval` format): nDCG@10 (gain 2^grade - 1, log2 discount),
//! Recall@10 (share of patents graded >= 1 found), MRR@10 (first patent graded 2).

use serde::Deserialize;
use std::collections::HashMap;

/// One need of an evaluation set.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalQuery {
    pub id: String,
    pub query: String,
    #[serde(default)]
    pub style: Option<String>,
}

/// Graded relevance for one need: patent number → grade (1 related, 2 directly addresses it).
#[derive(Debug, Clone, Deserialize)]
pub struct Qrels {
    pub id: String,
    pub relevant: HashMap<String, u8>,
}

/// Metrics of one need.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Metrics {
    pub ndcg: f64,
    pub recall: f64,
    pub mrr: f64,
}

const K: usize = 10;

/// Scores a ranking (patent numbers, best first) against the graded set.
pub fn score(ranking: &[String], relevant: &HashMap<String, u8>) -> Metrics {
    let top = &ranking[..ranking.len().min(K)];
    let gain = |g: u8| (2f64.powi(g as i32)) - 1.0;
    let dcg: f64 = top
        .iter()
        .enumerate()
        .map(|(i, n)| gain(relevant.get(n).copied().unwrap_or(0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u8> = relevant.values().copied().filter(|g| *g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(K)
        .enumerate()
        .map(|(i, g)| gain(*g) / ((i + 2) as f64).log2())
        .sum();
    let total_relevant = relevant.values().filter(|g| **g >= 1).count();
    let found = top
        .iter()
        .filter(|n| relevant.get(*n).is_some_and(|g| *g >= 1))
        .count();
    let mrr = top
        .iter()
        .position(|n| relevant.get(n) == Some(&2))
        .map(|i| 1.0 / (i + 1) as f64)
        .unwrap_or(0.0);
    Metrics {
        ndcg: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall: if total_relevant > 0 {
            found as f64 / total_relevant as f64
        } else {
            0.0
        },
        mrr,
    }
}

/// Mean of per-need metrics.
pub fn mean(all: &[Metrics]) -> Metrics {
    let n = all.len().max(1) as f64;
    Metrics {
        ndcg: all.iter().map(|m| m.ndcg).sum::<f64>() / n,
        recall: all.iter().map(|m| m.recall).sum::<f64>() / n,
        mrr: all.iter().map(|m| m.mrr).sum::<f64>() / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_empty_rankings() {
        let rel: HashMap<String, u8> = [("a".to_string(), 2), ("b".to_string(), 1)].into();
        let perfect = score(&["a".into(), "b".into()], &rel);
        assert!((perfect.ndcg - 1.0).abs() < 1e-9 && perfect.recall == 1.0 && perfect.mrr == 1.0);
        let reversed = score(&["b".into(), "x".into(), "a".into()], &rel);
        assert!(
            reversed.ndcg < 1.0
                && reversed.recall == 1.0
                && (reversed.mrr - 1.0 / 3.0).abs() < 1e-9
        );
        assert_eq!(score(&[], &rel), Metrics::default());
    }
}
