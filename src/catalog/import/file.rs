//! Opening an input file: the byte order mark is skipped, the kind of records is guessed from the first
//! line, and the progress bar is sized to the file. Separate from the import transaction because it
//! touches only the file system (the console's upload uses it on its own).

use super::report::ImportError;
use crate::catalog::source::{Format, Kind};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

pub(in crate::catalog) struct File {
    pub(in crate::catalog) name: String,
    pub(in crate::catalog) len: u64,
    pub(in crate::catalog) reader: BufReader<std::fs::File>,
}

impl File {
    pub(in crate::catalog) fn open(path: &Path) -> Result<Self, ImportError> {
        let name = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| ImportError::Open {
            file: name.clone(),
            source,
        })?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = BufReader::with_capacity(1 << 20, f);
        // A UTF-8 byte order mark (spreadsheet exports write one) is no part of the first record or header.
        let has_bom = reader
            .fill_buf()
            .map_err(|source| ImportError::Open {
                file: name.clone(),
                source,
            })?
            .starts_with(b"\xEF\xBB\xBF");
        if has_bom {
            reader.consume(3);
        }
        Ok(Self { name, len, reader })
    }
}

/// Guesses what a file holds from its first record (JSON Lines) or header (CSV): patents have a number, a
/// title or an abstract (so a patents file that lacks its number column is told so, not read as
/// institutions).
pub(in crate::catalog) fn detect_kind(path: &Path, format: Format) -> Result<Kind, ImportError> {
    let mut file = File::open(path)?;
    let mut head = Vec::new();
    (&mut file.reader)
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|source| ImportError::Open {
            file: file.name.clone(),
            source,
        })?;
    let first = head
        .split(|&b| b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    const PATENT_FIELDS: [&str; 3] = ["number", "title", "abstract"];
    let is_patents = match format {
        Format::Jsonl => PATENT_FIELDS
            .iter()
            .any(|f| first.contains(&format!("\"{f}\""))),
        Format::Csv => first
            .split(',')
            .any(|c| PATENT_FIELDS.contains(&c.trim().trim_matches('"'))),
    };
    Ok(if is_patents {
        Kind::Patents
    } else {
        Kind::Institutions
    })
}

pub(super) fn progress_bar(len: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}
