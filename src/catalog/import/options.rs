//! [`ImportOptions`]: what the caller of an import asks for. Kept apart so that the writers, which read
//! a few of these flags, need not depend on the module that drives the whole import.

use crate::catalog::source::{Format, Kind};
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Import the valid records and write rejected ones to a rejects file, instead of writing nothing.
    pub skip_invalid: bool,
    /// Create an institution (with no region or contacts) when a patent names one not yet in the catalogue.
    pub create_institutions: bool,
    /// Where rejects go; by default `FILE.rejects.jsonl` beside the input.
    pub rejects_path: Option<PathBuf>,
    /// Override the detected kind of file.
    pub kind: Option<Kind>,
    /// Override the format implied by the file name.
    pub format: Option<Format>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}
