//! Writing a patents file inside the import transaction: new patents are COPYed straight into `patents`,
//! known ones through a staging table and one UPDATE that skips unchanged rows. Institutions named by the
//! records are looked up (or created with `--create-institutions`).

use super::copy::{CopyBuffer, copy_batch};
use super::options::ImportOptions;
use super::reject::RejectSink;
use crate::catalog::record::{FieldError, PatentRecord};
use crate::catalog::source::Item;
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

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

async fn load_institution_ids(
    tx: &mut Transaction<'_, Postgres>,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, id FROM institutions")
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Returns (inserted, updated, of the updated those whose content actually changed).
pub(super) async fn write_patents(
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
        let valid = with_institutions(tx, &batch, &mut institutions, sink, opts).await?;
        if let Some(bar) = progress {
            bar.set_position(bytes.load(Ordering::Relaxed));
        }
        // After the first bad record nothing will be committed: keep reading only to report every error.
        if valid.is_empty() || (sink.count > 0 && !opts.skip_invalid) {
            continue;
        }
        let (new, known) = write_batch(tx, valid, empty_at_start).await?;
        inserted += new;
        updated += known;
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

/// The batch's valid records with their institution's id; a record whose institution is unknown is
/// rejected, or its institution created with `--create-institutions`.
async fn with_institutions<'b>(
    tx: &mut Transaction<'_, Postgres>,
    batch: &'b [Item<PatentRecord>],
    institutions: &mut HashMap<String, i64>,
    sink: &mut RejectSink,
    opts: &ImportOptions,
) -> Result<Vec<(&'b PatentRecord, i64)>, sqlx::Error> {
    let mut valid = Vec::with_capacity(batch.len());
    for item in batch {
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
    Ok(valid)
}

/// Copies a batch: new patents straight into `patents`, known ones into the staging table (merged at the
/// end). Returns (new, known) row counts.
async fn write_batch(
    tx: &mut Transaction<'_, Postgres>,
    valid: Vec<(&PatentRecord, i64)>,
    empty_at_start: bool,
) -> Result<(u64, u64), sqlx::Error> {
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
    Ok((new.rows as u64, known.rows as u64))
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
