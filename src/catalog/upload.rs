//! Importing one uploaded file (the web console's catalogue import): the same validated, all-or-nothing
//! import as `queqiao import`, with messages naming the file as uploaded (not its temporary path) and
//! progress counted in bytes on a bar the caller reads.

use super::import::{self, FileReport, ImportError, ImportOptions};
use super::source::Format;
use sqlx::PgPool;
use std::path::Path;

/// Imports the file at `path`, uploaded as `name` (its extension decides the format: `.csv`, else JSON
/// Lines). `progress` gets the file's length and then the bytes read. Rejected records (with
/// `skip_invalid`) are not kept: the report lists them as `NAME:LINE: field: reason`.
pub async fn import_upload(
    pool: &PgPool,
    path: &Path,
    name: &str,
    opts: &ImportOptions,
    progress: indicatif::ProgressBar,
) -> Result<FileReport, String> {
    let shown = |e: ImportError| e.to_string().replace(&path.display().to_string(), name);
    let format = opts
        .format
        .unwrap_or_else(|| Format::from_path(Path::new(name)));
    let kind = match opts.kind {
        Some(kind) => kind,
        None => import::detect_kind(path, format).map_err(shown)?,
    };
    let file = import::File::open(path).map_err(shown)?;
    progress.set_length(file.len);
    let rejects = path.with_extension("rejects.jsonl");
    let report = import::import_reader(
        pool,
        name,
        file.reader,
        format,
        kind,
        opts,
        &rejects,
        Some(progress),
    )
    .await
    .map_err(shown);
    let _ = std::fs::remove_file(&rejects);
    report.map(|mut r| {
        r.rejects_file = None;
        r
    })
}
