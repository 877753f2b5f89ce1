//! Reading the catalogue back out of PostgreSQL: whole records in the interchange format (export, the
//! matching index) and the demo catalogue that ships inside the binary.

use super::import::{FileReport, ImportError, ImportOptions, import_reader};
use super::record::{
    ContactRecord, InstitutionRecord, LegalStatus, LicenseMode, OpenLicense, PatentRecord,
    PatentType, Payment, Rating,
};
use super::source::{Format, Kind};
use sqlx::PgPool;
use std::path::Path;

/// The bundled demo catalogue (`data/`, from `../shared/corpus`): compiled in so that `chat --demo` works
/// from any directory.
pub const DEMO_INSTITUTIONS: &str = include_str!("../../data/institutions.jsonl");
pub const DEMO_PATENTS: &str = include_str!("../../data/patents.jsonl");

/// A patent as stored, with what the matching index needs beyond the interchange record.
#[derive(Debug, Clone)]
pub struct StoredPatent {
    pub id: i64,
    pub change_seq: i64,
    pub region: Option<String>,
    pub record: PatentRecord,
    /// What companies rate the patent after their enquiries (the imported enterprise rating counted as one
    /// vote), also for a patent the catalogue imported without a two-way rating, whose record has none.
    pub companies_rating: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PatentDbRow {
    id: i64,
    change_seq: i64,
    number: String,
    title: String,
    #[sqlx(rename = "abstract")]
    abstract_text: String,
    claims: Option<String>,
    keywords: Vec<String>,
    ipc: Vec<String>,
    patent_type: String,
    legal_status: String,
    institution: String,
    region: Option<String>,
    inventors: Vec<String>,
    application_date: Option<chrono::NaiveDate>,
    industry: String,
    license_modes: Vec<String>,
    open_payment: Option<String>,
    open_fee_cny: Option<i64>,
    open_royalty_percent: Option<f64>,
    open_term_years: Option<i32>,
    asking_price_cny: Option<i64>,
    rating_institution: Option<i16>,
    rating_enterprise: Option<i16>,
}

const SELECT_PATENTS: &str = "
    SELECT p.id, p.change_seq, p.number, p.title, p.abstract, p.claims, p.keywords, p.ipc, p.patent_type,
           p.legal_status, i.name AS institution, i.region, p.inventors, p.application_date, p.industry,
           p.license_modes, p.open_payment, p.open_fee_cny, p.open_royalty_percent, p.open_term_years,
           p.asking_price_cny, p.rating_institution,
           -- Companies' ratings after their enquiries, with the imported rating as one prior vote.
           CASE WHEN p.rating_feedback_count = 0 THEN p.rating_enterprise
                ELSE round((coalesce(p.rating_enterprise, 0) + p.rating_feedback_sum)::numeric
                           / (p.rating_feedback_count + (p.rating_enterprise IS NOT NULL)::int))::smallint
           END AS rating_enterprise
    FROM patents p JOIN institutions i ON i.id = p.institution_id";

impl From<PatentDbRow> for StoredPatent {
    // The database's CHECK constraints admit only the names the enums know, so the fallbacks never apply.
    fn from(r: PatentDbRow) -> Self {
        let open_license = r
            .open_payment
            .as_deref()
            .and_then(Payment::parse)
            .map(|payment| OpenLicense {
                payment,
                fee_cny: r.open_fee_cny,
                royalty_percent: r.open_royalty_percent,
                term_years: r.open_term_years.unwrap_or(1) as i64,
            });
        let record = PatentRecord {
            number: r.number,
            title: r.title,
            abstract_text: r.abstract_text,
            claims: r.claims,
            keywords: r.keywords,
            ipc: r.ipc,
            patent_type: PatentType::parse(&r.patent_type).unwrap_or(PatentType::Invention),
            legal_status: LegalStatus::parse(&r.legal_status).unwrap_or(LegalStatus::Pending),
            institution: r.institution,
            inventors: r.inventors,
            application_date: r.application_date,
            industry: r.industry,
            license_modes: r
                .license_modes
                .iter()
                .filter_map(|m| LicenseMode::parse(m))
                .collect(),
            open_license,
            asking_price_cny: r.asking_price_cny,
            rating: r.rating_institution.map(|institution| Rating {
                institution: institution as i64,
                enterprise: r.rating_enterprise.map(i64::from),
            }),
        };
        StoredPatent {
            id: r.id,
            change_seq: r.change_seq,
            region: r.region,
            record,
            companies_rating: r.rating_enterprise.map(i64::from),
        }
    }
}

/// Patents changed after `since` (0 = all), oldest change first.
pub async fn patents_changed_since(
    pool: &PgPool,
    since: i64,
) -> Result<Vec<StoredPatent>, sqlx::Error> {
    let rows: Vec<PatentDbRow> = sqlx::query_as(&format!(
        "{SELECT_PATENTS} WHERE p.change_seq > $1 ORDER BY p.change_seq"
    ))
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(StoredPatent::from).collect())
}

/// Up to `limit` patents with an id above `after_id`, in id order (for reading the catalogue in chunks).
pub async fn patents_after_id(
    pool: &PgPool,
    after_id: i64,
    limit: i64,
) -> Result<Vec<StoredPatent>, sqlx::Error> {
    let rows: Vec<PatentDbRow> = sqlx::query_as(&format!(
        "{SELECT_PATENTS} WHERE p.id > $1 ORDER BY p.id LIMIT $2"
    ))
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(StoredPatent::from).collect())
}

/// One patent by publication number.
pub async fn patent_by_number<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    number: &str,
) -> Result<Option<StoredPatent>, sqlx::Error> {
    let row: Option<PatentDbRow> = sqlx::query_as(&format!("{SELECT_PATENTS} WHERE p.number = $1"))
        .bind(number)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(StoredPatent::from))
}

/// The institutions' names, in name order (to suggest one to an admin who mistyped it).
pub async fn institution_names(conn: &mut sqlx::PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM institutions ORDER BY name")
        .fetch_all(conn)
        .await
}

/// All institutions with their contacts, in name order.
pub async fn institutions(pool: &PgPool) -> Result<Vec<InstitutionRecord>, sqlx::Error> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, region FROM institutions ORDER BY name")
            .fetch_all(pool)
            .await?;
    let contacts: Vec<(i64, String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT institution_id, name, email, telegram_chat_id FROM contacts ORDER BY institution_id, position",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, region)| InstitutionRecord {
            name,
            region,
            contacts: contacts
                .iter()
                .filter(|c| c.0 == id)
                .map(|(_, name, email, chat)| ContactRecord {
                    name: name.clone(),
                    email: email.clone(),
                    telegram_chat_id: *chat,
                })
                .collect(),
        })
        .collect())
}

/// Patents' titles by number (numbers not in the catalogue are left out).
pub async fn titles<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    numbers: &[String],
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT number, title FROM patents WHERE number = ANY($1)")
            .bind(numbers)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The institutions' regions, the region with most institutions first.
pub async fn regions<'c>(conn: impl sqlx::PgExecutor<'c>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT region FROM institutions WHERE coalesce(region, '') <> ''
         GROUP BY region ORDER BY count(*) DESC, region",
    )
    .fetch_all(conn)
    .await
}

/// The institution's published contact (from the catalogue), shown to a company after acceptance.
pub async fn published_contact(
    conn: &mut sqlx::PgConnection,
    institution_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT name, email FROM contacts WHERE institution_id = $1 ORDER BY position LIMIT 1",
    )
    .bind(institution_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(name, email)| match email {
        Some(email) if !email.is_empty() => format!("{name} <{email}>"),
        _ => name,
    }))
}

/// An institution's name by id.
pub async fn institution_name<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM institutions WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Number of patents in the catalogue.
pub async fn patent_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM patents")
        .fetch_one(pool)
        .await
}

/// Loads the bundled demo catalogue when the catalogue is empty; returns the reports of what it imported,
/// or nothing when patents were already there.
pub async fn load_demo_if_empty(pool: &PgPool) -> Result<Vec<FileReport>, ImportError> {
    let count = patent_count(pool)
        .await
        .map_err(|source| ImportError::Database {
            file: "demo catalogue".into(),
            source,
        })?;
    if count > 0 {
        return Ok(Vec::new());
    }
    let opts = ImportOptions::default();
    let nowhere = Path::new("");
    let mut reports = Vec::new();
    for (name, text, kind) in [
        (
            "data/institutions.jsonl",
            DEMO_INSTITUTIONS,
            Kind::Institutions,
        ),
        ("data/patents.jsonl", DEMO_PATENTS, Kind::Patents),
    ] {
        let reader = std::io::Cursor::new(text.as_bytes());
        reports.push(
            import_reader(
                pool,
                name,
                reader,
                Format::Jsonl,
                kind,
                &opts,
                nowhere,
                None,
            )
            .await?,
        );
    }
    Ok(reports)
}
