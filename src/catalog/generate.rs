//! A generator of large synthetic catalogues for benchmarks: it grows the sample by mixing clauses of its
//! real abstracts, so text statistics (vocabulary, lengths, term frequencies) stay realistic.

use super::record::PatentRecord;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;

/// Writes `count` patents as JSON Lines, derived from `seed` records; the same inputs give the same file.
/// Every generated record is valid and names one of the seed records' institutions.
pub fn generate(
    seed: &[PatentRecord],
    count: usize,
    rng_seed: u64,
    mut out: impl Write,
) -> std::io::Result<()> {
    if seed.is_empty() {
        return Err(std::io::Error::other("the seed catalogue is empty"));
    }
    let clauses: Vec<Vec<&str>> = seed
        .iter()
        .map(|p| split_clauses(&p.abstract_text))
        .collect();
    let mut rng = StdRng::seed_from_u64(rng_seed);
    for i in 0..count {
        let base = &seed[i % seed.len()];
        let mut record = base.clone();
        // 9 digits starting at 200,000,000 keep clear of the sample's own numbers (which start at 1).
        record.number = format!("CN{:09}A", 200_000_000 + i as u64);
        let mut text = String::new();
        for clause in &clauses[i % seed.len()] {
            // Keep most of the base abstract and splice in clauses of two other patents.
            if rng.gen_bool(0.75) {
                text.push_str(clause);
            }
            if rng.gen_bool(0.15) {
                let other = &clauses[rng.gen_range(0..seed.len())];
                if !other.is_empty() {
                    text.push_str(other[rng.gen_range(0..other.len())]);
                }
            }
        }
        if text.trim().is_empty() {
            text = base.abstract_text.clone();
        }
        record.abstract_text = text.chars().take(super::record::MAX_ABSTRACT).collect();
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Clauses end at Chinese and Latin punctuation; the delimiter stays with its clause.
fn split_clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '，' | '。' | '；' | ',' | ';' | '.') {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_records_are_valid_unique_and_deterministic() {
        let seed: Vec<PatentRecord> = crate::catalog::store::DEMO_PATENTS
            .lines()
            .take(50)
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut a = Vec::new();
        generate(&seed, 200, 7, &mut a).unwrap();
        let mut b = Vec::new();
        generate(&seed, 200, 7, &mut b).unwrap();
        assert_eq!(a, b);
        let records: Vec<PatentRecord> = a
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(records.len(), 200);
        let numbers: std::collections::HashSet<_> =
            records.iter().map(|r| r.number.clone()).collect();
        assert_eq!(numbers.len(), 200);
        assert!(records.iter().all(|r| r.validate().is_empty()));
    }
}
