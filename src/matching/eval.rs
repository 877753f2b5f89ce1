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
    // `+ 0.0`: a float sum of nothing is -0.0, which would print as "-0.000".
    let avg = |f: fn(&Metrics) -> f64| all.iter().map(f).sum::<f64>() / n + 0.0;
    Metrics {
        ndcg: avg(|m| m.ndcg),
        recall: avg(|m| m.recall),
        mrr: avg(|m| m.mrr),
    }
}

/// A need's outcome, for the report.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// 1-based line of the need in its file: the halves of the set are the odd and the even lines.
    pub line: usize,
    pub style: Option<String>,
    pub metrics: Metrics,
    /// The matcher said "no good match" (its results, if any, shown as weak).
    pub no_good_match: bool,
}

/// One row of the report: a group of needs and its mean metrics.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub group: String,
    pub needs: usize,
    #[serde(flatten)]
    pub metrics: Metrics,
    pub no_good_match: usize,
}

/// The whole set, its two fixed halves (odd and even lines: tune on one, a change stays only if it helps
/// both) and each style apart, in that order.
pub fn report(outcomes: &[Outcome]) -> Vec<Row> {
    let row = |group: String, pick: &dyn Fn(&Outcome) -> bool| {
        let chosen: Vec<&Outcome> = outcomes.iter().filter(|o| pick(o)).collect();
        let metrics: Vec<Metrics> = chosen.iter().map(|o| o.metrics).collect();
        Row {
            group,
            needs: chosen.len(),
            metrics: mean(&metrics),
            no_good_match: chosen.iter().filter(|o| o.no_good_match).count(),
        }
    };
    let mut rows = vec![
        row("all".into(), &|_| true),
        row("odd lines".into(), &|o| o.line % 2 == 1),
        row("even lines".into(), &|o| o.line % 2 == 0),
    ];
    let mut styles: Vec<&str> = outcomes.iter().filter_map(|o| o.style.as_deref()).collect();
    styles.sort_unstable();
    styles.dedup();
    for style in styles {
        rows.push(row(format!("style {style}"), &|o| {
            o.style.as_deref() == Some(style)
        }));
    }
    rows
}

/// The report as an aligned text table.
pub fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<16} {:>5} {:>8} {:>10} {:>7} {:>14}\n",
        "needs", "n", "nDCG@10", "Recall@10", "MRR@10", "no good match"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<16} {:>5} {:>8.3} {:>10.3} {:>7.3} {:>14}\n",
            r.group, r.needs, r.metrics.ndcg, r.metrics.recall, r.metrics.mrr, r.no_good_match
        ));
    }
    out
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

    #[test]
    fn the_report_splits_halves_and_styles() {
        let outcome = |line: usize, style: &str, ndcg: f64| Outcome {
            line,
            style: Some(style.into()),
            metrics: Metrics {
                ndcg,
                recall: ndcg,
                mrr: ndcg,
            },
            no_good_match: ndcg == 0.0,
        };
        let rows = report(&[
            outcome(1, "short", 1.0),
            outcome(2, "short", 0.0),
            outcome(3, "chatty", 0.5),
        ]);
        let by = |g: &str| rows.iter().find(|r| r.group == g).unwrap();
        assert_eq!((by("all").needs, by("all").no_good_match), (3, 1));
        assert_eq!(by("odd lines").metrics.ndcg, 0.75);
        assert_eq!(by("even lines").metrics.ndcg, 0.0);
        assert_eq!(by("style short").needs, 2);
        assert_eq!(by("style chatty").metrics.mrr, 0.5);
        assert!(render(&rows).contains("odd lines"));
    }
}
