//! What an import gives back: the per-file [`FileReport`] (printed by the command line, stored as JSON
//! by the console) and the [`ImportError`] that stops a file. Plain data with no database or I/O, so the
//! console can read a stored report without the import machinery.

use crate::catalog::source::SourceError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// How many error lines a report keeps; the rest are only counted.
pub const MAX_SHOWN_ERRORS: usize = 50;

/// What happened to one file (read back from JSON by the console's import page).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileReport {
    pub file: String,
    pub kind: String,
    pub inserted: u64,
    pub updated: u64,
    /// Of the updated records, those identical to what was stored (not rewritten).
    pub unchanged: u64,
    pub rejected: u64,
    /// `FILE:LINE: field: reason`, the first [`MAX_SHOWN_ERRORS`].
    pub errors: Vec<String>,
    /// Whether the file's records were written (false: the file had errors and nothing was written).
    pub committed: bool,
    pub rejects_file: Option<PathBuf>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl FileReport {
    pub fn rows_per_second(&self) -> f64 {
        let rows = (self.inserted + self.updated + self.rejected) as f64;
        rows / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The one-line summary printed after each file.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} {}: {} inserted, {} updated ({} unchanged), {} rejected in {:.2} s ({:.0} rows/s){}",
            self.file,
            self.kind,
            if self.committed {
                "imported"
            } else {
                "NOT imported"
            },
            self.inserted,
            self.updated,
            self.unchanged,
            self.rejected,
            self.elapsed.as_secs_f64(),
            self.rows_per_second(),
            match &self.rejects_file {
                Some(p) if self.rejected > 0 => format!("; rejects in {}", p.display()),
                _ => String::new(),
            }
        )
    }
}

/// A failure that stops the import of a file (as opposed to invalid records, which go in the report).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: cannot open: {source}")]
    Open {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: the file is empty (no records)")]
    Empty { file: String },
    #[error("{file}:{source}")]
    Source { file: String, source: SourceError },
    #[error("{file}: database error while importing: {source}")]
    Database { file: String, source: sqlx::Error },
    #[error("{path}: cannot write the rejects file: {source}")]
    Rejects {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: the reader thread failed: {message}")]
    Reader { file: String, message: String },
}
