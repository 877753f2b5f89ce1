//! Writing an institutions file inside the import transaction: rows are gathered and merged (a CSV file
//! has one row per contact), then each institution and its contacts are upserted.

use super::reject::RejectSink;
use crate::catalog::record::{FieldError, InstitutionRecord};
use crate::catalog::source::{Format, Item};
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Institutions files are small (one record per institution), so they are gathered whole: CSV rows of
/// one institution (one row per contact) are merged, and a JSON Lines name given twice is an error.
pub(super) async fn write_institutions(
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
            match item.parsed {
                Ok(record) => gather(
                    &mut merged,
                    &mut by_name,
                    format,
                    sink,
                    item.line,
                    &item.text,
                    record,
                ),
                Err(errors) => sink.reject(item.line, &item.text, &errors),
            }
        }
        if let Some(bar) = progress {
            bar.set_position(bytes.load(Ordering::Relaxed));
        }
    }
    if merged.is_empty() && sink.count == 0 {
        return Ok((0, 0));
    }
    upsert(tx, &merged).await
}

/// Adds one parsed row: a new institution, or (CSV) more contacts of one already seen, or a rejection.
fn gather(
    merged: &mut Vec<(u64, InstitutionRecord)>,
    by_name: &mut HashMap<String, usize>,
    format: Format,
    sink: &mut RejectSink,
    line: u64,
    text: &str,
    record: InstitutionRecord,
) {
    let Some(&i) = by_name.get(&record.name) else {
        by_name.insert(record.name.clone(), merged.len());
        merged.push((line, record));
        return;
    };
    if format != Format::Csv {
        let reason = format!(
            "`{}` appears twice in this file (first on line {})",
            record.name, merged[i].0
        );
        sink.reject(line, text, &[FieldError::new("name", reason)]);
        return;
    }
    let (_, existing) = &mut merged[i];
    if record.region.is_some() && existing.region.is_some() && record.region != existing.region {
        let reason = format!(
            "differs from the region given for `{}` on an earlier row",
            record.name
        );
        sink.reject(line, text, &[FieldError::new("region", reason)]);
        return;
    }
    existing.region = existing.region.take().or(record.region);
    for contact in record.contacts {
        if existing.contacts.iter().any(|c| c.name == contact.name) {
            let reason = format!("contact `{}` is listed twice", contact.name);
            sink.reject(line, text, &[FieldError::new("contact_name", reason)]);
        } else {
            existing.contacts.push(contact);
        }
    }
}

/// Writes the gathered institutions and their contacts; returns (inserted, updated) institutions.
async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    merged: &[(u64, InstitutionRecord)],
) -> Result<(u64, u64), sqlx::Error> {
    let (mut inserted, mut updated) = (0, 0);
    for (_, record) in merged {
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
