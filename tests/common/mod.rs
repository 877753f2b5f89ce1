//! Helpers shared by the integration tests: the sample catalogue, temporary files, importing.
#![allow(dead_code)]

use queqiao::catalog::import::{FileReport, ImportOptions, import_paths};
use queqiao::catalog::store;
use queqiao::catalog::{InstitutionRecord, PatentRecord};
use sqlx::PgPool;
use std::path::{Path, PathBuf};

pub fn sample_patents() -> Vec<PatentRecord> {
    store::DEMO_PATENTS
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn sample_institutions() -> Vec<InstitutionRecord> {
    store::DEMO_INSTITUTIONS
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

pub fn jsonl<T: serde::Serialize>(records: &[T]) -> String {
    records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect()
}

pub async fn import(pool: &PgPool, files: &[PathBuf], opts: &ImportOptions) -> Vec<FileReport> {
    import_paths(pool, files, opts).await.expect("import ran")
}

/// Loads the sample institutions (most tests need them before patents).
pub async fn with_institutions(pool: &PgPool, dir: &Path) {
    let path = write(dir, "institutions.jsonl", store::DEMO_INSTITUTIONS);
    let reports = import(pool, &[path], &ImportOptions::default()).await;
    assert!(reports[0].committed);
}

pub async fn patent_count(pool: &PgPool) -> i64 {
    store::patent_count(pool).await.unwrap()
}

/// The URL of the test's own database, for running the binary against it.
pub fn database_url(pool: &PgPool) -> String {
    let opts = pool.connect_options();
    let base = std::env::var("DATABASE_URL").unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{}", opts.get_database().unwrap())
}
pub mod fake_telegram;
