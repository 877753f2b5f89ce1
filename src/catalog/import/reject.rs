//! [`RejectSink`]: where invalid records go, the first error lines into the report and every rejected
//! record into the rejects file. Shared by the patents and institutions writers.

use super::report::{ImportError, MAX_SHOWN_ERRORS};
use crate::catalog::record::FieldError;
use std::io::Write;
use std::path::PathBuf;

/// Collects rejected records: the first ones for the report, all of them in the rejects file.
pub(super) struct RejectSink {
    file: String,
    pub(super) count: u64,
    pub(super) shown: Vec<String>,
    path: Option<PathBuf>,
    writer: Option<std::io::BufWriter<std::fs::File>>,
    failed: Option<std::io::Error>,
}

impl RejectSink {
    pub(super) fn new(file: &str, path: Option<PathBuf>) -> Self {
        Self {
            file: file.to_owned(),
            count: 0,
            shown: Vec::new(),
            path,
            writer: None,
            failed: None,
        }
    }

    pub(super) fn reject(&mut self, line: u64, text: &str, errors: &[FieldError]) {
        self.count += 1;
        for e in errors {
            if self.shown.len() < MAX_SHOWN_ERRORS {
                self.shown.push(format!("{}:{line}: {e}", self.file));
            }
        }
        let Some(path) = &self.path else { return };
        if self.failed.is_some() {
            return;
        }
        if self.writer.is_none() {
            match std::fs::File::create(path) {
                Ok(f) => self.writer = Some(std::io::BufWriter::new(f)),
                Err(e) => {
                    self.failed = Some(e);
                    return;
                }
            }
        }
        let entry = serde_json::json!({
            "line": line,
            "errors": errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "record": text,
        });
        if let Some(w) = &mut self.writer
            && let Err(e) = writeln!(w, "{entry}")
        {
            self.failed = Some(e);
        }
    }

    pub(super) fn finish(&mut self) -> Result<Option<PathBuf>, ImportError> {
        let path_text = || {
            self.path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        if let Some(e) = self.failed.take() {
            return Err(ImportError::Rejects {
                path: path_text(),
                source: e,
            });
        }
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|source| ImportError::Rejects {
                path: path_text(),
                source,
            })?;
        }
        Ok(self.path.clone().filter(|_| self.count > 0))
    }
}
