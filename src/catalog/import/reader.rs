//! The parsing side of an import: records are read on a blocking thread and handed to the writer in
//! batches over a bounded channel, so parsing overlaps the database writes and memory stays flat. Numbers
//! repeated inside a file are caught here, before any record reaches the database.

use super::report::ImportError;
use crate::catalog::record::{FieldError, InstitutionRecord, PatentRecord, number_key};
use crate::catalog::source::{CatalogRecord, CsvReader, Format, Item, JsonlReader, SourceError};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Records sent to the database in one statement.
const BATCH: usize = 2_000;

type ReaderHandle = tokio::task::JoinHandle<Result<u64, SourceError>>;

/// Parses on a blocking thread and hands over batches; the bounded channel keeps memory flat.
pub(super) fn spawn_reader<T: CatalogRecord + HasNumber, R: BufRead + Send + 'static>(
    reader: R,
    format: Format,
    dedupe_numbers: bool,
) -> (mpsc::Receiver<Vec<Item<T>>>, Arc<AtomicU64>, ReaderHandle) {
    let (tx, rx) = mpsc::channel::<Vec<Item<T>>>(4);
    let bytes = Arc::new(AtomicU64::new(0));
    let progress = bytes.clone();
    let handle = tokio::task::spawn_blocking(move || {
        let mut seen: HashMap<u64, u64> = HashMap::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut count = 0u64;
        let mut next: Box<dyn FnMut() -> Result<Option<Item<T>>, SourceError>> = match format {
            Format::Jsonl => {
                let mut r = JsonlReader::new(reader);
                let bytes = progress.clone();
                Box::new(move || {
                    let item = r.next_item::<T>();
                    bytes.store(r.bytes_read, Ordering::Relaxed);
                    item
                })
            }
            Format::Csv => {
                let mut r = CsvReader::new::<T>(reader)?;
                let bytes = progress.clone();
                Box::new(move || {
                    let item = r.next_item::<T>();
                    bytes.store(r.bytes_read(), Ordering::Relaxed);
                    item
                })
            }
        };
        while let Some(mut item) = next()? {
            count += 1;
            if dedupe_numbers
                && let Ok(record) = &item.parsed
                && let Some(key) = record.number().and_then(number_key)
                && let Some(first) = seen.insert(key, item.line)
            {
                let number = record.number().unwrap_or_default().to_owned();
                seen.insert(key, first);
                item.parsed = Err(vec![FieldError::new(
                    "number",
                    format!("{number} appears twice in this file (first on line {first})"),
                )]);
            }
            batch.push(item);
            if batch.len() == BATCH
                && tx
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .is_err()
            {
                // The writer stopped (database error); it reports why.
                return Ok(count);
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(count)
    });
    (rx, bytes, handle)
}

pub(super) async fn join_reader(name: &str, handle: ReaderHandle) -> Result<u64, ImportError> {
    match handle.await {
        Ok(Ok(count)) => Ok(count),
        Ok(Err(source)) => Err(ImportError::Source {
            file: name.to_owned(),
            source,
        }),
        Err(e) => Err(ImportError::Reader {
            file: name.to_owned(),
            message: e.to_string(),
        }),
    }
}

/// Records whose number identifies them inside a file.
pub trait HasNumber {
    fn number(&self) -> Option<&str>;
}
impl HasNumber for PatentRecord {
    fn number(&self) -> Option<&str> {
        Some(&self.number)
    }
}
impl HasNumber for InstitutionRecord {
    fn number(&self) -> Option<&str> {
        None
    }
}
