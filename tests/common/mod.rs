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
pub mod app;
pub mod fake_telegram;

/// Registers `count` contact chats (ids from `first`) for the first institution of the catalogue; returns
/// one of its patents.
pub async fn register_contacts(pool: &PgPool, first: i64, count: i64) -> String {
    let (institution_id, name): (i64, String) =
        sqlx::query_as("SELECT id, name FROM institutions ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    for chat in first..first + count {
        let code = queqiao::enquiry::store::invite(&mut conn, &name, "test", 7)
            .await
            .unwrap();
        queqiao::enquiry::store::register(&mut conn, &code, "telegram", chat, chat)
            .await
            .unwrap();
    }
    sqlx::query_scalar("SELECT number FROM patents WHERE institution_id = $1 LIMIT 1")
        .bind(institution_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `count` forwarded enquiries about `patent` from as many companies, each with its lead (text
/// "lead ID", so a fake Telegram's record can be counted) queued in the same transaction for one of the
/// `contacts` chats numbered from `first_contact`.
pub async fn queue_leads(
    pool: &PgPool,
    patent: &str,
    count: i64,
    first_contact: i64,
    contacts: i64,
) {
    use queqiao::enquiry::{Status, store};
    for company in 0..count {
        let mut tx = pool.begin().await.unwrap();
        let new = store::NewEnquiry {
            patent_number: patent.to_owned(),
            channel: "telegram".into(),
            chat_id: 100_000 + company,
            company: format!("公司{company}"),
            person: "王五".into(),
            contact: "@wangwu_test".into(),
            message: "测试".into(),
            mode: store::Mode::License,
            kind: store::Kind::Enquiry,
            terms: None,
        };
        let id = store::submit(&mut tx, &new, count).await.unwrap();
        queqiao::outbox::enqueue(
            &mut tx,
            "telegram",
            first_contact + id % contacts,
            &queqiao::outbox::Message::text(format!("lead {id}")),
            Some(id),
        )
        .await
        .unwrap();
        store::set_status(&mut tx, id, Status::Forwarded, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

/// Runs `queqiao ARGS` against the database at `url`.
pub fn queqiao<S: AsRef<std::ffi::OsStr>>(
    url: &str,
    args: impl IntoIterator<Item = S>,
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap()
}

/// Runs `queqiao ARGS` against `url` and returns its stdout; the test fails with its stderr if it fails.
pub fn queqiao_ok<S: AsRef<std::ffi::OsStr>>(
    url: &str,
    args: impl IntoIterator<Item = S>,
) -> String {
    let out = queqiao(url, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `queqiao chat --user USER` (plus `args`) against `url` with `input` on stdin and `env` set.
pub fn run_chat(
    url: &str,
    user: &str,
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(["chat", "--user", user])
        .args(args)
        .env("DATABASE_URL", url)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
pub mod web;
