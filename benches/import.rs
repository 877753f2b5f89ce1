//! Import throughput benchmark (`cargo bench --bench import`): generates 100,000 and 1,000,000 patents
//! with `queqiao generate`, imports each into a fresh database with the release binary (insert run, then a
//! re-import that updates every row), and reports medians over the repetitions, the importer's peak memory,
//! and the ratio against a baseline measured in the same run: one upsert statement per row.
//!
//! Environment: `DATABASE_URL` (server to create scratch databases on), `BENCH_SIZES` (default
//! "100000,1000000"), `BENCH_REPS` (default 3).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let server = common::server();
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let reps: usize = common::env_or("BENCH_REPS", 3);
    let bin = env!("CARGO_BIN_EXE_queqiao");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    for size in sizes {
        let file = dir.join(format!("patents-{size}.jsonl"));
        if !file.exists() {
            run(Command::new(bin)
                .args(["generate", "--count", &size.to_string(), "--out"])
                .arg(&file));
        }
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        let mut peak_kb = 0;
        for rep in 0..reps {
            let url = format!("{server}/queqiao_bench_import");
            rt.block_on(recreate(&server, "queqiao_bench_import"));
            run(Command::new(bin)
                .arg("import")
                .arg("data/institutions.jsonl")
                .env("DATABASE_URL", &url));
            let (t, kb) = timed_import(bin, &file, &url);
            inserts.push(size as f64 / t.as_secs_f64());
            peak_kb = peak_kb.max(kb);
            let (t, kb) = timed_import(bin, &file, &url);
            updates.push(size as f64 / t.as_secs_f64());
            peak_kb = peak_kb.max(kb);
            eprintln!(
                "size {size} rep {rep}: insert {:.0}/s, update {:.0}/s",
                inserts[rep], updates[rep]
            );
        }
        // Baseline: the obvious importer, one upsert per row, on the first 20,000 records of the same file.
        let baseline = rt.block_on(baseline_rows_per_second(&server, &file, 20_000.min(size)));
        let (ins, upd) = (common::median(&mut inserts), common::median(&mut updates));
        println!(
            "import {size:>8} patents: insert median {ins:>7.0} rows/s, re-import (update) median {upd:>7.0} rows/s, \
             peak RSS {:.0} MiB; baseline row-by-row upsert {baseline:.0} rows/s (insert is {:.1}x)",
            peak_kb as f64 / 1024.0,
            ins / baseline
        );
    }
    rt.block_on(drop_db(&server, "queqiao_bench_import"));
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run queqiao");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs one import and samples the child's peak resident memory (VmHWM) until it exits.
fn timed_import(bin: &str, file: &PathBuf, url: &str) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .arg("import")
        .arg(file)
        .env("DATABASE_URL", url)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn import");
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(peak)
                .max(peak);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "import failed");
            return (start.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn admin(server: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .expect("connect")
}

async fn drop_db(server: &str, name: &str) {
    let mut c = admin(server).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut c)
        .await
        .expect("drop");
}

async fn recreate(server: &str, name: &str) {
    drop_db(server, name).await;
    let mut c = admin(server).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .expect("create");
}

async fn baseline_rows_per_second(server: &str, file: &Path, rows: usize) -> f64 {
    use std::io::BufRead;
    let name = "queqiao_bench_baseline";
    recreate(server, name).await;
    let pool = queqiao::db::connect_and_migrate(&format!("{server}/{name}"))
        .await
        .expect("baseline db");
    let institution: i64 =
        sqlx::query_scalar("INSERT INTO institutions (name) VALUES ('基准大学') RETURNING id")
            .fetch_one(&pool)
            .await
            .expect("institution");
    let reader = std::io::BufReader::new(std::fs::File::open(file).expect("open"));
    let records: Vec<queqiao::catalog::PatentRecord> = reader
        .lines()
        .take(rows)
        .map(|l| serde_json::from_str(&l.expect("line")).expect("record"))
        .collect();
    let start = Instant::now();
    let mut tx = pool.begin().await.expect("tx");
    for r in &records {
        let modes: Vec<&str> = r.license_modes.iter().map(|m| m.as_str()).collect();
        let open = r.open_license.as_ref();
        sqlx::query(
            "INSERT INTO patents (number, title, abstract, claims, keywords, ipc, patent_type, legal_status,
                institution_id, inventors, application_date, industry, license_modes, open_payment, open_fee_cny,
                open_royalty_percent, open_term_years, asking_price_cny, rating_institution, rating_enterprise)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
             ON CONFLICT (number) DO UPDATE SET title = EXCLUDED.title, abstract = EXCLUDED.abstract",
        )
        .bind(&r.number)
        .bind(&r.title)
        .bind(&r.abstract_text)
        .bind(&r.claims)
        .bind(&r.keywords)
        .bind(&r.ipc)
        .bind(r.patent_type.as_str())
        .bind(r.legal_status.as_str())
        .bind(institution)
        .bind(&r.inventors)
        .bind(r.application_date)
        .bind(&r.industry)
        .bind(&modes)
        .bind(open.map(|o| o.payment.as_str()))
        .bind(open.and_then(|o| o.fee_cny))
        .bind(open.and_then(|o| o.royalty_percent))
        .bind(open.map(|o| o.term_years as i32))
        .bind(r.asking_price_cny)
        .bind(r.rating.as_ref().map(|x| x.institution as i16))
        .bind(r.rating.as_ref().and_then(|x| x.enterprise).map(|e| e as i16))
        .execute(&mut *tx)
        .await
        .expect("baseline insert");
    }
    tx.commit().await.expect("commit");
    let rate = records.len() as f64 / start.elapsed().as_secs_f64();
    pool.close().await;
    drop_db(server, name).await;
    rate
}
