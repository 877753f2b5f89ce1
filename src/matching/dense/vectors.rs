//! The patents' sentence vectors, as a JSON Lines file: a header naming the model, then one line per
//! patent. Vectors are stored as 8-bit integers with one scale each (384 bytes a patent for e5-small
//! instead of 1,536; cosines move by about 0.002, far below what separates two patents), base64 in the
//! line so that the file stays text with line numbers for error messages.

use super::DenseError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Patents whose cosines standardise a need's scores (evenly spread over the file): enough for a stable
/// mean and spread, few enough to cost well under a millisecond.
const SAMPLE: usize = 4096;

/// The file's first line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// The model the vectors came from; needs must be encoded by the same one.
    pub model: String,
    pub dim: usize,
}

/// One patent's line.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    number: String,
    /// Of the text that was encoded: a patent whose text changed is encoded again.
    hash: String,
    scale: f32,
    vector: String,
}

/// One patent's vector, quantised.
#[derive(Debug, Clone)]
pub struct Stored {
    pub hash: String,
    scale: f32,
    values: Box<[i8]>,
}

/// Every patent's vector, by publication number.
#[derive(Debug, Clone)]
pub struct PatentVectors {
    pub header: Header,
    by_number: FxHashMap<String, Stored>,
    /// Publication numbers in file order (the file is written in this order).
    order: Vec<String>,
}

impl PatentVectors {
    pub fn new(header: Header) -> Self {
        Self {
            header,
            by_number: FxHashMap::default(),
            order: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn get(&self, number: &str) -> Option<&Stored> {
        self.by_number.get(number)
    }

    /// Adds or replaces a patent's vector (normalised here).
    pub fn insert(&mut self, number: &str, hash: String, vector: &[f32]) -> Result<(), DenseError> {
        if vector.len() != self.header.dim {
            return Err(DenseError::Dimension {
                expected: self.header.dim,
                found: vector.len(),
            });
        }
        let stored = quantise(hash, vector);
        if self.by_number.insert(number.to_owned(), stored).is_none() {
            self.order.push(number.to_owned());
        }
        Ok(())
    }

    /// Reads a vectors file; every problem names the file and line.
    pub fn load(path: &Path) -> Result<Self, DenseError> {
        let at = |line: usize, problem: String| DenseError::File {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| at(0, e.to_string()))?;
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines
            .next()
            .ok_or_else(|| at(1, "the file is empty; it needs a header line".into()))?;
        let header: Header = serde_json::from_str(first)
            .map_err(|e| at(1, format!("not a header {{\"model\", \"dim\"}}: {e}")))?;
        if header.dim == 0 || header.dim > 4096 {
            return Err(at(1, format!("dim {} is not 1 to 4096", header.dim)));
        }
        let mut vectors = PatentVectors::new(header);
        for (i, text) in lines {
            let line: Line = serde_json::from_str(text).map_err(|e| at(i + 1, e.to_string()))?;
            let bytes = BASE64
                .decode(&line.vector)
                .map_err(|e| at(i + 1, format!("vector is not base64: {e}")))?;
            if bytes.len() != vectors.header.dim {
                return Err(at(
                    i + 1,
                    format!(
                        "vector has {} values, the header says {}",
                        bytes.len(),
                        vectors.header.dim
                    ),
                ));
            }
            if !(line.scale.is_finite() && line.scale > 0.0) {
                return Err(at(
                    i + 1,
                    format!("scale {} is not a positive number", line.scale),
                ));
            }
            let values = bytes.into_iter().map(|b| b as i8).collect();
            let stored = Stored {
                hash: line.hash,
                scale: line.scale,
                values,
            };
            if vectors
                .by_number
                .insert(line.number.clone(), stored)
                .is_none()
            {
                vectors.order.push(line.number);
            }
        }
        Ok(vectors)
    }

    /// Writes the file whole: to a temporary file beside it, renamed over it only when complete, so an
    /// interrupted run never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), DenseError> {
        let fail = |e: std::io::Error| DenseError::File {
            path: path.to_path_buf(),
            line: 0,
            problem: e.to_string(),
        };
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(fail)?);
        writeln!(out, "{}", json_line(&self.header)).map_err(fail)?;
        for number in &self.order {
            let s = &self.by_number[number];
            let bytes: Vec<u8> = s.values.iter().map(|&v| v as u8).collect();
            let line = Line {
                number: number.clone(),
                hash: s.hash.clone(),
                scale: s.scale,
                vector: BASE64.encode(bytes),
            };
            writeln!(out, "{}", json_line(&line)).map_err(fail)?;
        }
        out.into_inner()
            .map_err(|e| fail(e.into_error()))?
            .sync_all()
            .map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)
    }

    /// The cosine of a normalised need vector with every sampled patent: (mean, standard deviation).
    pub fn spread(&self, need: &[f32]) -> (f32, f32) {
        let step = self.order.len().div_ceil(SAMPLE).max(1);
        let cosines: Vec<f32> = self
            .order
            .iter()
            .step_by(step)
            .map(|n| self.by_number[n].cosine(need))
            .collect();
        let n = cosines.len().max(1) as f32;
        let mean = cosines.iter().sum::<f32>() / n;
        let var = cosines.iter().map(|c| (c - mean).powi(2)).sum::<f32>() / n;
        (mean, var.sqrt())
    }
}

impl Stored {
    /// Cosine with a normalised vector (the stored one was normalised before quantising).
    pub fn cosine(&self, need: &[f32]) -> f32 {
        self.values
            .iter()
            .zip(need)
            .map(|(&q, &x)| q as f32 * x)
            .sum::<f32>()
            * self.scale
    }
}

/// Normalises and quantises a vector to 8 bits with one scale.
fn quantise(hash: String, vector: &[f32]) -> Stored {
    let norm = vector
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    let max = vector
        .iter()
        .map(|x| (x / norm).abs())
        .fold(0.0f32, f32::max);
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let values = vector
        .iter()
        .map(|x| (x / norm / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    Stored {
        hash,
        scale,
        values,
    }
}

/// The hash kept beside a vector: of the text encoded, so a changed patent is encoded again.
pub fn text_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Normalises a vector in place (needs come from the encoder unnormalised, depending on the server).
pub fn normalise(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

/// One JSON line of the file's header or of a patent's line.
fn json_line<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail (string keys, finite numbers).
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            model: "test".into(),
            dim: 3,
        }
    }

    #[test]
    fn vectors_survive_the_file_and_keep_their_cosines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.jsonl");
        let mut v = PatentVectors::new(header());
        v.insert("CN1A", text_hash("a"), &[3.0, 4.0, 0.0]).unwrap();
        v.insert("CN2A", text_hash("b"), &[0.0, 0.0, 2.0]).unwrap();
        v.save(&path).unwrap();
        let back = PatentVectors::load(&path).unwrap();
        assert_eq!(back.len(), 2);
        let c = back.get("CN1A").unwrap().cosine(&[0.6, 0.8, 0.0]);
        assert!((c - 1.0).abs() < 0.01, "{c}");
        assert!(back.get("CN2A").unwrap().cosine(&[0.6, 0.8, 0.0]).abs() < 0.01);
    }

    #[test]
    fn a_bad_line_is_named_by_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.jsonl");
        std::fs::write(
            &path,
            "{\"model\":\"test\",\"dim\":3}\n{\"number\":\"CN1A\",\"hash\":\"x\",\"scale\":0.01,\"vector\":\"AAAA\"}\n{\"number\":\"CN2A\",\"hash\":\"x\",\"scale\":0.01,\"vector\":\"AAA\"}\n",
        )
        .unwrap();
        let error = PatentVectors::load(&path).unwrap_err().to_string();
        assert!(error.contains("v.jsonl:3"), "{error}");
        assert!(error.contains("base64"), "{error}");
    }
}
