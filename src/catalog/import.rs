//! `queqiao import`: streams catalogue files into PostgreSQL. A file is imported in one transaction, so it
//! is written whole or not at all (unless `--skip-invalid`); parsing runs on its own thread while the
//! previous batch is written, and memory holds a bounded number of batches whatever the file size.

use super::record::{FieldError, InstitutionRecord, PatentRecord, number_key};
use super::source::{CatalogRecord, CsvReader, Format, Item, JsonlReader, Kind, SourceError};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Records sent to the database in one statement.
const BATCH: usize = 2_000;
/// How many error lines a report keeps; the rest are only counted.
pub const MAX_SHOWN_ERRORS: usize = 50;
/// Channel on which `import` tells listeners (the matching index) that the catalogue changed.
pub const CHANGE_CHANNEL: &str = "catalog_changed";

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

/// Imports files in order, institutions files first so that patents can name them.
pub async fn import_paths(
    pool: &PgPool,
    paths: &[PathBuf],
    opts: &ImportOptions,
) -> Result<Vec<FileReport>, ImportError> {
    let mut planned = Vec::new();
    for path in paths {
        let format = opts.format.unwrap_or_else(|| Format::from_path(path));
        let kind = match opts.kind {
            Some(k) => k,
            None => detect_kind(path, format)?,
        };
        planned.push((path, format, kind));
    }
    planned.sort_by_key(|(_, _, kind)| *kind != Kind::Institutions);
    let mut reports = Vec::new();
    for (path, format, kind) in planned {
        let file = File::open(path)?;
        let rejects = opts.rejects_path.clone().unwrap_or_else(|| {
            let mut p = path.as_os_str().to_owned();
            p.push(".rejects.jsonl");
            PathBuf::from(p)
        });
        let progress = opts.progress.then(|| progress_bar(file.len));
        let report = import_reader(
            pool,
            &file.name,
            file.reader,
            format,
            kind,
            opts,
            &rejects,
            progress,
        )
        .await?;
        reports.push(report);
    }
    Ok(reports)
}

pub(super) struct File {
    pub(super) name: String,
    pub(super) len: u64,
    pub(super) reader: BufReader<std::fs::File>,
}

impl File {
    pub(super) fn open(path: &Path) -> Result<Self, ImportError> {
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
pub(super) fn detect_kind(path: &Path, format: Format) -> Result<Kind, ImportError> {
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

fn progress_bar(len: u64) -> indicatif::ProgressBar {
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

/// Imports one file's records from any reader (a file, or the demo catalogue embedded in the binary).
#[allow(clippy::too_many_arguments)]
pub async fn import_reader<R: BufRead + Send + 'static>(
    pool: &PgPool,
    name: &str,
    reader: R,
    format: Format,
    kind: Kind,
    opts: &ImportOptions,
    rejects_path: &Path,
    progress: Option<indicatif::ProgressBar>,
) -> Result<FileReport, ImportError> {
    let started = Instant::now();
    let mut sink = RejectSink::new(name, opts.skip_invalid.then(|| rejects_path.to_path_buf()));
    let db_err = |source| ImportError::Database {
        file: name.to_owned(),
        source,
    };
    let mut tx = pool.begin().await.map_err(db_err)?;
    // One import at a time: change_seq values then become visible in order, which is what lets the search
    // index catch up by "everything above the last value seen" without missing a slower transaction.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('queqiao_import'))")
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    bulk_load_settings(&mut tx).await.map_err(db_err)?;
    let (inserted, updated, changed, records) = match kind {
        Kind::Patents => {
            let (rx, bytes, handle) = spawn_reader::<PatentRecord, R>(reader, format, true);
            let counts =
                write_patents(&mut tx, rx, &mut sink, opts, &bytes, progress.as_ref()).await;
            let records = join_reader(name, handle).await?;
            let (i, u, c) = counts.map_err(db_err)?;
            (i, u, c, records)
        }
        Kind::Institutions => {
            let (rx, bytes, handle) = spawn_reader::<InstitutionRecord, R>(reader, format, false);
            let counts =
                write_institutions(&mut tx, rx, &mut sink, format, &bytes, progress.as_ref()).await;
            let records = join_reader(name, handle).await?;
            let (i, u) = counts.map_err(db_err)?;
            (i, u, u, records)
        }
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if records == 0 {
        return Err(ImportError::Empty {
            file: name.to_owned(),
        });
    }
    let committed = sink.count == 0 || opts.skip_invalid;
    if committed {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGE_CHANNEL)
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
    } else {
        tx.rollback().await.map_err(db_err)?;
    }
    let rejects_file = sink.finish()?;
    Ok(FileReport {
        file: name.to_owned(),
        kind: kind.as_str().to_owned(),
        inserted: if committed { inserted } else { 0 },
        updated: if committed { updated } else { 0 },
        unchanged: if committed {
            updated - changed.min(updated)
        } else {
            0
        },
        rejected: sink.count,
        errors: sink.shown,
        committed,
        rejects_file,
        elapsed: started.elapsed(),
    })
}

/// Bulk-load settings for this transaction, each tried on its own and kept only if the server allows it
/// (both need a superuser; any other role imports with the server's settings, only slower):
/// - `wal_compression`: bulk loads write every page again into the WAL after each checkpoint; compressing
///   those page images shrinks the WAL a large import writes.
/// - `session_replication_role = replica` skips triggers, which for a bulk load means the foreign-key
///   check the server would otherwise run as one query per row (a fifth of the time at a million rows).
///   It is safe here because the import itself only ever writes institution ids it has just read or
///   created in this transaction, under the import lock, and institutions are never deleted; the one
///   trigger of our own (bumping `change_seq` on update) is done explicitly by the import's UPDATE.
async fn bulk_load_settings(tx: &mut Transaction<'_, Postgres>) -> Result<(), sqlx::Error> {
    for (setting, value) in [
        ("wal_compression", "lz4"),
        ("session_replication_role", "replica"),
    ] {
        sqlx::query("SAVEPOINT bulk_setting")
            .execute(&mut **tx)
            .await?;
        let set = sqlx::query(&format!("SET LOCAL {setting} = '{value}'"))
            .execute(&mut **tx)
            .await;
        let undo = match set {
            Ok(_) => "RELEASE SAVEPOINT bulk_setting",
            Err(e) => {
                tracing::debug!(setting, error = %e, "left as configured");
                "ROLLBACK TO SAVEPOINT bulk_setting"
            }
        };
        sqlx::query(undo).execute(&mut **tx).await?;
    }
    Ok(())
}

type ReaderHandle = tokio::task::JoinHandle<Result<u64, SourceError>>;

/// Parses on a blocking thread and hands over batches; the bounded channel keeps memory flat.
fn spawn_reader<T: CatalogRecord + HasNumber, R: BufRead + Send + 'static>(
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

async fn join_reader(name: &str, handle: ReaderHandle) -> Result<u64, ImportError> {
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

/// Collects rejected records: the first ones for the report, all of them in the rejects file.
struct RejectSink {
    file: String,
    count: u64,
    shown: Vec<String>,
    path: Option<PathBuf>,
    writer: Option<std::io::BufWriter<std::fs::File>>,
    failed: Option<std::io::Error>,
}

impl RejectSink {
    fn new(file: &str, path: Option<PathBuf>) -> Self {
        Self {
            file: file.to_owned(),
            count: 0,
            shown: Vec::new(),
            path,
            writer: None,
            failed: None,
        }
    }

    fn reject(&mut self, line: u64, text: &str, errors: &[FieldError]) {
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

    fn finish(&mut self) -> Result<Option<PathBuf>, ImportError> {
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

/// Columns written by the import, in COPY order.
const PATENT_COLUMNS: &str = "number, title, abstract, claims, keywords, ipc, patent_type, legal_status, \
    institution_id, inventors, application_date, industry, license_modes, open_payment, open_fee_cny, \
    open_royalty_percent, open_term_years, asking_price_cny, rating_institution, rating_enterprise";

/// New patents are COPYed straight into `patents` (the cheapest way into PostgreSQL); patents already
/// there are COPYed into this temporary table and applied with one UPDATE at the end of the file's
/// transaction. Both happen inside that transaction, so a failed file leaves nothing behind.
const CREATE_STAGING: &str = "CREATE TEMP TABLE import_staging ON COMMIT DROP AS
    SELECT number, title, abstract, claims, keywords, ipc, patent_type, legal_status, institution_id, inventors,
           application_date, industry, license_modes, open_payment, open_fee_cny, open_royalty_percent,
           open_term_years, asking_price_cny, rating_institution, rating_enterprise
    FROM patents WITH NO DATA";

const UPDATE_FROM_STAGING: &str = "
    UPDATE patents p SET
        title = s.title, abstract = s.abstract, claims = s.claims, keywords = s.keywords, ipc = s.ipc,
        patent_type = s.patent_type, legal_status = s.legal_status, institution_id = s.institution_id,
        inventors = s.inventors, application_date = s.application_date, industry = s.industry,
        license_modes = s.license_modes, open_payment = s.open_payment, open_fee_cny = s.open_fee_cny,
        open_royalty_percent = s.open_royalty_percent, open_term_years = s.open_term_years,
        asking_price_cny = s.asking_price_cny, rating_institution = s.rating_institution,
        rating_enterprise = s.rating_enterprise,
        -- Set here rather than by the update trigger, which bulk loads may skip.
        change_seq = nextval('catalog_change_seq'), updated_at = now()
    FROM import_staging s
    WHERE p.number = s.number
      -- An unchanged patent is not rewritten: no dead tuple, no WAL, and its change_seq stays, so the
      -- search index and subscribers are not told about a change that did not happen.
      AND (p.title, p.abstract, p.claims, p.keywords, p.ipc, p.patent_type, p.legal_status, p.institution_id,
           p.inventors, p.application_date, p.industry, p.license_modes, p.open_payment, p.open_fee_cny,
           p.open_royalty_percent, p.open_term_years, p.asking_price_cny, p.rating_institution,
           p.rating_enterprise)
          IS DISTINCT FROM
          (s.title, s.abstract, s.claims, s.keywords, s.ipc, s.patent_type, s.legal_status, s.institution_id,
           s.inventors, s.application_date, s.industry, s.license_modes, s.open_payment, s.open_fee_cny,
           s.open_royalty_percent, s.open_term_years, s.asking_price_cny, s.rating_institution,
           s.rating_enterprise)";

/// A batch of rows in COPY's text format.
#[derive(Default)]
struct CopyBuffer {
    text: String,
    rows: usize,
}

impl CopyBuffer {
    fn push(&mut self, r: &PatentRecord, institution_id: i64) {
        use std::fmt::Write as _;
        let open = r.open_license.as_ref();
        let modes: Vec<&str> = r.license_modes.iter().map(|m| m.as_str()).collect();
        self.field(Some(&r.number));
        self.field(Some(&r.title));
        self.field(Some(&r.abstract_text));
        self.field(r.claims.as_deref());
        self.list(&r.keywords);
        self.list(&r.ipc);
        self.field(Some(r.patent_type.as_str()));
        self.field(Some(r.legal_status.as_str()));
        self.number(Some(institution_id));
        self.list(&r.inventors);
        self.field(r.application_date.map(|d| d.to_string()).as_deref());
        self.field(Some(&r.industry));
        self.list(&modes);
        self.field(open.map(|o| o.payment.as_str()));
        self.number(open.and_then(|o| o.fee_cny));
        match open.and_then(|o| o.royalty_percent) {
            // `{:?}` prints an f64 so that it parses back to the same value.
            Some(v) => {
                let _ = write!(self.text, "{v:?}\t");
            }
            None => self.text.push_str("\\N\t"),
        }
        self.number(open.map(|o| o.term_years));
        self.number(r.asking_price_cny);
        self.number(r.rating.as_ref().map(|x| x.institution));
        self.number(r.rating.as_ref().and_then(|x| x.enterprise));
        // Replace the last tab by the row end.
        self.text.pop();
        self.text.push('\n');
        self.rows += 1;
    }

    fn field(&mut self, value: Option<&str>) {
        match value {
            None => self.text.push_str("\\N"),
            Some(v) => escape_copy(&mut self.text, v),
        }
        self.text.push('\t');
    }

    /// A text[] value: an array literal `{"a","b"}` (quote and backslash escaped for the array), then
    /// escaped again for COPY. Validation keeps control characters out of list entries.
    fn list<S: AsRef<str>>(&mut self, values: &[S]) {
        self.text.push('{');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push('"');
            for c in v.as_ref().chars() {
                match c {
                    '"' => self.text.push_str("\\\\\""),
                    '\\' => self.text.push_str("\\\\\\\\"),
                    c => self.text.push(c),
                }
            }
            self.text.push('"');
        }
        self.text.push_str("}\t");
    }

    fn number(&mut self, value: Option<i64>) {
        use std::fmt::Write as _;
        match value {
            None => self.text.push_str("\\N"),
            Some(v) => {
                let _ = write!(self.text, "{v}");
            }
        }
        self.text.push('\t');
    }
}

/// COPY text format: backslash, tab, newline and carriage return must be escaped inside a value.
fn escape_copy(out: &mut String, value: &str) {
    if !value.contains(['\\', '\t', '\n', '\r']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

async fn copy_batch(
    tx: &mut Transaction<'_, Postgres>,
    table: &str,
    batch: &CopyBuffer,
) -> Result<(), sqlx::Error> {
    if batch.rows == 0 {
        return Ok(());
    }
    let statement = format!("COPY {table} ({PATENT_COLUMNS}) FROM STDIN");
    let mut copy = (**tx).copy_in_raw(&statement).await?;
    copy.send(batch.text.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

async fn load_institution_ids(
    tx: &mut Transaction<'_, Postgres>,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, id FROM institutions")
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Returns (inserted, updated, of the updated those whose content actually changed).
async fn write_patents(
    tx: &mut Transaction<'_, Postgres>,
    mut rx: mpsc::Receiver<Vec<Item<PatentRecord>>>,
    sink: &mut RejectSink,
    opts: &ImportOptions,
    bytes: &AtomicU64,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(u64, u64, u64), sqlx::Error> {
    let mut institutions = load_institution_ids(tx).await?;
    sqlx::query(CREATE_STAGING).execute(&mut **tx).await?;
    // The first load of a catalogue needs no look-up per batch: imports are serialised by the advisory
    // lock, and duplicates inside the file were already rejected, so every record is new.
    let empty_at_start: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM patents)")
        .fetch_one(&mut **tx)
        .await?;
    let (mut inserted, mut updated) = (0u64, 0u64);
    while let Some(batch) = rx.recv().await {
        let mut valid = Vec::with_capacity(batch.len());
        for item in &batch {
            let record = match &item.parsed {
                Ok(r) => r,
                Err(errors) => {
                    sink.reject(item.line, &item.text, errors);
                    continue;
                }
            };
            let id = match institutions.get(&record.institution) {
                Some(id) => *id,
                None if opts.create_institutions => {
                    let id = insert_bare_institution(tx, &record.institution).await?;
                    institutions.insert(record.institution.clone(), id);
                    id
                }
                None => {
                    let reason = format!(
                        "`{}` is not in the catalogue; import its institution record first or pass --create-institutions",
                        record.institution
                    );
                    sink.reject(
                        item.line,
                        &item.text,
                        &[FieldError::new("institution", reason)],
                    );
                    continue;
                }
            };
            valid.push((record, id));
        }
        if let Some(bar) = progress {
            bar.set_position(bytes.load(Ordering::Relaxed));
        }
        // After the first bad record nothing will be committed: keep reading only to report every error.
        if valid.is_empty() || (sink.count > 0 && !opts.skip_invalid) {
            continue;
        }
        let existing: std::collections::HashSet<String> = if empty_at_start {
            Default::default()
        } else {
            let numbers: Vec<&str> = valid.iter().map(|(r, _)| r.number.as_str()).collect();
            sqlx::query_scalar("SELECT number FROM patents WHERE number = ANY($1)")
                .bind(&numbers)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .collect()
        };
        let (mut new, mut known) = (CopyBuffer::default(), CopyBuffer::default());
        for (record, id) in valid {
            let buffer = if existing.contains(&record.number) {
                &mut known
            } else {
                &mut new
            };
            buffer.push(record, id);
        }
        copy_batch(tx, "patents", &new).await?;
        copy_batch(tx, "import_staging", &known).await?;
        inserted += new.rows as u64;
        updated += known.rows as u64;
    }
    let mut changed = 0;
    if updated > 0 && (sink.count == 0 || opts.skip_invalid) {
        changed = sqlx::query(UPDATE_FROM_STAGING)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    Ok((inserted, updated, changed))
}

async fn insert_bare_institution(
    tx: &mut Transaction<'_, Postgres>,
    name: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO institutions (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
    )
    .bind(name)
    .fetch_one(&mut **tx)
    .await
}

/// Institutions files are small (one record per institution), so they are gathered whole: CSV rows of
/// one institution (one row per contact) are merged, and a JSON Lines name given twice is an error.
async fn write_institutions(
    tx: &mut Transaction<'_, Postgres>,
    mut rx: mpsc::Receiver<Vec<Item<InstitutionRecord>>>,
    sink: &mut RejectSink,
    format: Format,
    bytes: &AtomicU64,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(u64, u64), sqlx::Error> {
    let mut merged: Vec<(u64, InstitutionRecord)> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    while let Some(batch) = rx.recv().await {
        for item in batch {
            let record = match item.parsed {
                Ok(r) => r,
                Err(errors) => {
                    sink.reject(item.line, &item.text, &errors);
                    continue;
                }
            };
            match by_name.get(&record.name) {
                None => {
                    by_name.insert(record.name.clone(), merged.len());
                    merged.push((item.line, record));
                }
                Some(&i) if format == Format::Csv => {
                    let (_, existing) = &mut merged[i];
                    if record.region.is_some()
                        && existing.region.is_some()
                        && record.region != existing.region
                    {
                        let reason = format!(
                            "differs from the region given for `{}` on an earlier row",
                            record.name
                        );
                        sink.reject(item.line, &item.text, &[FieldError::new("region", reason)]);
                        continue;
                    }
                    existing.region = existing.region.take().or(record.region);
                    for contact in record.contacts {
                        if existing.contacts.iter().any(|c| c.name == contact.name) {
                            let reason = format!("contact `{}` is listed twice", contact.name);
                            sink.reject(
                                item.line,
                                &item.text,
                                &[FieldError::new("contact_name", reason)],
                            );
                        } else {
                            existing.contacts.push(contact);
                        }
                    }
                }
                Some(&i) => {
                    let reason = format!(
                        "`{}` appears twice in this file (first on line {})",
                        record.name, merged[i].0
                    );
                    sink.reject(item.line, &item.text, &[FieldError::new("name", reason)]);
                }
            }
        }
        if let Some(bar) = progress {
            bar.set_position(bytes.load(Ordering::Relaxed));
        }
    }
    if merged.is_empty() && sink.count == 0 {
        return Ok((0, 0));
    }
    let (mut inserted, mut updated) = (0, 0);
    for (_, record) in &merged {
        let (id, was_inserted): (i64, bool) = sqlx::query_as(
            "INSERT INTO institutions (name, region) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET region = EXCLUDED.region, updated_at = now()
             RETURNING id, (xmax = 0)",
        )
        .bind(&record.name)
        .bind(&record.region)
        .fetch_one(&mut **tx)
        .await?;
        if was_inserted {
            inserted += 1;
        } else {
            updated += 1;
        }
        for (position, contact) in record.contacts.iter().enumerate() {
            // A contact who registered with the bot keeps the chat id when a file does not carry one.
            sqlx::query(
                "INSERT INTO contacts (institution_id, position, name, email, telegram_chat_id)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (institution_id, name) DO UPDATE SET position = EXCLUDED.position,
                     email = EXCLUDED.email,
                     telegram_chat_id = COALESCE(EXCLUDED.telegram_chat_id, contacts.telegram_chat_id)",
            )
            .bind(id)
            .bind(position as i32)
            .bind(&contact.name)
            .bind(&contact.email)
            .bind(contact.telegram_chat_id)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok((inserted, updated))
}
