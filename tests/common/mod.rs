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
pub mod browser;
pub mod fake_telegram;
pub mod flows;
pub mod web;

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
        let code = queqiao::enquiry::invites::invite(&mut conn, &name, "test", 7)
            .await
            .unwrap();
        queqiao::enquiry::invites::register(&mut conn, &code, "telegram", chat, chat)
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

/// A port nobody listens on now (a server the test starts takes it; a race is retried by the caller).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
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

/// A history with rows of every age in every table retention prunes, labelled so a test can tell which
/// stayed: update ids 1-5, outbox chats 11-15, usage events and audit entries `old` / `recent`, and an
/// open enquiry with 100-day-old history and a 100-day-old delivered lead. With the default retention
/// only updates 1 and 4, outbox chats 11 and 15, and the `old` event and audit entry are past their age.
pub async fn seed_history(pool: &PgPool) {
    let text = serde_json::to_value(queqiao::outbox::Message::text("seeded")).unwrap();
    sqlx::raw_sql(
        "INSERT INTO telegram_updates (update_id, chat_id, payload, received_at, processed_at) VALUES
           (1, 1, 'null', now() - interval '41 days', now() - interval '40 days'),
           (2, 1, 'null', now() - interval '400 days', NULL),
           (3, 1, 'null', now() - interval '11 days', now() - interval '10 days'),
           (4, 2, 'null', now() - interval '400 days', now() - interval '400 days'),
           (5, 2, 'null', now() - interval '50 days', now() - interval '50 days');
         INSERT INTO parked_updates (update_id, channel, raw, error, attempts, parked_at) VALUES
           (6, 'telegram', '\\x00', 'seeded', 5, now() - interval '40 days'),
           (7, 'telegram', '\\x00', 'seeded', 5, now() - interval '10 days');
         INSERT INTO usage_events (kind, patent_number, at) VALUES
           ('search', 'old', now() - interval '800 days'), ('search', 'recent', now() - interval '700 days');
         INSERT INTO audit_log (channel, user_id, action, at) VALUES
           ('console', 1, 'old', now() - interval '800 days'), ('console', 1, 'recent', now() - interval '10 days');
         INSERT INTO institutions (name) VALUES ('留存测试大学');
         INSERT INTO enquiries (patent_number, institution_id, channel, chat_id, company, person, contact,
                                message, mode, status, created_at, updated_at)
           SELECT 'CN000000001A', id, 'telegram', 7, '公司', '某人', '13700000000', '留言', 'license',
                  'delivered', now() - interval '100 days', now() - interval '100 days'
           FROM institutions WHERE name = '留存测试大学';
         INSERT INTO enquiry_events (enquiry_id, status, at)
           SELECT id, s, now() - interval '100 days' FROM enquiries, unnest(ARRAY['submitted', 'delivered']) s;",
    )
    .execute(pool)
    .await
    .unwrap();
    // chat: (created days ago, sent days ago, dead days ago, a lead of the enquiry)
    let rows = [
        (11_i64, 41_i32, Some(40_i32), None::<i32>, false),
        (12, 400, None, None, false),
        (13, 400, None, Some(400), false),
        (14, 11, Some(10), None, false),
        (15, 100, Some(100), None, true),
    ];
    for (chat, created, sent, dead, lead) in rows {
        sqlx::query(
            "INSERT INTO outbox (channel, chat_id, message, created_at, sent_at, dead_at, enquiry_id)
             VALUES ('telegram', $1, $2, now() - make_interval(days => $3),
                     now() - make_interval(days => $4), now() - make_interval(days => $5),
                     CASE WHEN $6 THEN (SELECT id FROM enquiries LIMIT 1) END)",
        )
        .bind(chat)
        .bind(&text)
        .bind(created)
        .bind(sent)
        .bind(dead)
        .bind(lead)
        .execute(pool)
        .await
        .unwrap();
    }
}

/// What is left of [`seed_history`]'s rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub updates: Vec<i64>,
    /// Parked updates, by update id.
    pub parked: Vec<i64>,
    /// Outbox rows, by chat.
    pub outbox: Vec<i64>,
    /// Usage events, by label.
    pub events: Vec<String>,
    /// Audit entries, by label.
    pub audit: Vec<String>,
    pub enquiries: i64,
    pub enquiry_events: i64,
}

pub async fn history_left(pool: &PgPool) -> History {
    let ids = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_all(pool);
    let labels = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).fetch_all(pool);
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
    History {
        updates: ids("SELECT update_id FROM telegram_updates WHERE update_id <= 5 ORDER BY 1")
            .await
            .unwrap(),
        parked: ids("SELECT update_id FROM parked_updates ORDER BY 1")
            .await
            .unwrap(),
        outbox: ids("SELECT chat_id FROM outbox WHERE chat_id BETWEEN 11 AND 15 ORDER BY 1")
            .await
            .unwrap(),
        events: labels(
            "SELECT patent_number FROM usage_events WHERE patent_number IN ('old', 'recent') ORDER BY 1",
        )
        .await
        .unwrap(),
        audit: labels("SELECT action FROM audit_log WHERE action IN ('old', 'recent') ORDER BY 1")
            .await
            .unwrap(),
        enquiries: count("SELECT count(*) FROM enquiries").await.unwrap(),
        enquiry_events: count("SELECT count(*) FROM enquiry_events").await.unwrap(),
    }
}
