//! `queqiao import`: streams catalogue files into PostgreSQL. A file is imported in one transaction, so it
//! is written whole or not at all (unless `--skip-invalid`); parsing runs on its own thread while the
//! previous batch is written, and memory holds a bounded number of batches whatever the file size.
//!
//! Layout:
//! - `options`: what the caller asks for ([`ImportOptions`]).
//! - `report`: what the caller gets back ([`FileReport`]) and what stops a file ([`ImportError`]).
//! - `file`: opening an input file and guessing what it holds.
//! - `reader`: the parsing thread that hands over batches of records.
//! - `reject`: where invalid records go (the report and the rejects file).
//! - `copy`: rows in PostgreSQL's COPY text format.
//! - `patents`, `institutions`: writing each kind of file inside the import transaction.
//! - here: the transaction itself (lock, bulk-load settings, commit or roll back, notify).

mod copy;
mod file;
mod institutions;
mod options;
mod patents;
mod reader;
mod reject;
mod report;

use self::file::progress_bar;
use self::institutions::write_institutions;
use self::patents::write_patents;
use self::reader::{join_reader, spawn_reader};
use self::reject::RejectSink;
use super::record::{InstitutionRecord, PatentRecord};
use super::source::{Format, Kind};
use sqlx::{PgPool, Postgres, Transaction};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub(super) use self::file::{File, detect_kind};
pub use self::options::ImportOptions;
pub use self::reader::HasNumber;
pub use self::report::{FileReport, ImportError, MAX_SHOWN_ERRORS};

/// Channel on which `import` tells listeners (the matching index) that the catalogue changed.
pub const CHANGE_CHANNEL: &str = "catalog_changed";

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
    end_transaction(tx, committed, kind).await.map_err(db_err)?;
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

/// Commits (telling the search index that `kind` changed) or, when a bad record was not skipped, rolls
/// back.
async fn end_transaction(
    mut tx: Transaction<'_, Postgres>,
    committed: bool,
    kind: Kind,
) -> Result<(), sqlx::Error> {
    if !committed {
        return tx.rollback().await;
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANGE_CHANNEL)
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?;
    tx.commit().await
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
