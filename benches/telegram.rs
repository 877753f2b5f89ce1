//! Update throughput and latency of the Telegram channel (`cargo bench --bench telegram`): the same
//! `Telegram::run` that `serve` uses, long polling a fake Bot API on 127.0.0.1, state in PostgreSQL.
//! Each company runs the whole intake (7 updates ending in a search over the demo catalogue).
//!
//! - open loop: updates offered at `BENCH_RATE` per second (default 500); reports the processing latency
//!   (stored in the inbox -> state, replies and inbox mark committed) p50/p99;
//! - saturation: everything offered at once; reports updates per second, with the default workers and
//!   with one worker (the baseline: one update at a time, as a sequential dispatcher would).
//!
//! Medians over `BENCH_REPS` runs (default 3). `DATABASE_URL` names the server; a scratch database
//! `queqiao_bench_telegram` is (re)created there.

mod common;
#[path = "../tests/common/fake_telegram.rs"]
mod fake_api;

use queqiao::app::App;
use queqiao::catalog::store::load_demo_if_empty;
use queqiao::channel::telegram::{self, Options, Telegram};
use queqiao::matching::{Matcher, Synonyms};
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};

const STEPS: usize = 7;

fn conversation(chat: i64, id: impl Fn(usize) -> i64) -> Vec<Value> {
    vec![
        fake_api::message(id(0), chat, "/start"),
        fake_api::press(id(1), chat, "c:zh"),
        fake_api::message(id(2), chat, "锂电池硅基负极循环衰减快，有没有改进方案"),
        fake_api::press(id(3), chat, "c:any"),
        fake_api::press(id(4), chat, "c:any"),
        fake_api::press(id(5), chat, "c:any"),
        fake_api::press(id(6), chat, "skip"),
    ]
}

/// `chats` conversations interleaved step by step, update ids from `base`.
fn workload(chats: i64, base: i64) -> Vec<Value> {
    let mut all = Vec::new();
    for step in 0..STEPS {
        for c in 0..chats {
            let mut u = conversation(base + c, |_| 0)[step].clone();
            u["update_id"] = (base + step as i64 * chats + c).into();
            all.push(u);
        }
    }
    all
}

struct Run {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn run_once(
    pool: &PgPool,
    runtime: &Arc<App>,
    workers: usize,
    rate: Option<u32>,
    chats: i64,
    base: i64,
) -> Run {
    for table in ["telegram_updates", "outbox", "conversations"] {
        sqlx::query(&format!("TRUNCATE {table}"))
            .execute(pool)
            .await
            .unwrap();
    }
    let (fake, url) = fake_api::start().await;
    let url: url::Url = url.parse().unwrap();
    let bot = telegram::client("1:BENCH", Some(&url), Duration::from_secs(10)).unwrap();
    let options = Options {
        workers,
        poll_timeout: 1,
        ..Options::default()
    };
    let tg = Arc::new(Telegram::with_options(
        bot.clone(),
        bot,
        pool.clone(),
        runtime.clone(),
        options,
        Arc::default(),
    ));
    let updates = workload(chats, base);
    let total = updates.len() as i64;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn(tg.clone().run(
        false,
        async {
            let _ = stop_rx.await;
        },
        Duration::from_secs(5),
    ));
    let started = Instant::now();
    match rate {
        None => fake.lock().unwrap().updates.extend(updates),
        Some(rate) => {
            // Batches every 10 ms keep the offered rate steady.
            let per_tick = (rate as usize / 100).max(1);
            let mut ticker = tokio::time::interval(Duration::from_millis(10));
            for chunk in updates.chunks(per_tick) {
                ticker.tick().await;
                fake.lock().unwrap().updates.extend(chunk.iter().cloned());
            }
        }
    }
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM telegram_updates WHERE processed_at IS NOT NULL",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if done == total {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "stuck at {done}/{total}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = stop_tx.send(());
    let _ = runner.await;
    if std::env::var("BENCH_VERBOSE").is_ok() {
        let m = tg.metrics().render(&[]);
        for l in m
            .lines()
            .filter(|l| l.starts_with("queqiao_handler_seconds_"))
        {
            eprintln!("{l}");
        }
    }
    let (first, last, p50, p99): (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT extract(epoch FROM min(received_at))::float8, extract(epoch FROM max(processed_at))::float8,
                (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)))::float8,
                (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)))::float8
         FROM telegram_updates",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM telegram_updates WHERE last_error IS NOT NULL")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(failed, 0, "updates failed during the bench");
    Run {
        per_second: total as f64 / (last - first),
        p50_ms: p50 * 1e3,
        p99_ms: p99 * 1e3,
    }
}

fn main() {
    let server = common::server();
    let reps: usize = common::env_or("BENCH_REPS", 3);
    let rate: u32 = common::env_or("BENCH_RATE", 500);
    let chats: i64 = 500;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let admin = PgPool::connect(&format!("{server}/postgres")).await.expect("server");
        sqlx::query("DROP DATABASE IF EXISTS queqiao_bench_telegram WITH (FORCE)").execute(&admin).await.unwrap();
        let pool = queqiao::db::connect_and_migrate(&format!("{server}/queqiao_bench_telegram")).await.unwrap();
        load_demo_if_empty(&pool).await.unwrap();
        let matcher = Arc::new(Matcher::load(&pool, Synonyms::load(std::path::Path::new("dialogs/synonyms.toml")).unwrap()).await.unwrap());
        let runtime = Arc::new(App::new(std::path::Path::new("dialogs"), pool.clone(), matcher, vec![]).unwrap());
        let workers = Options::default().workers;
        let total = chats as usize * STEPS;
        println!("{total} updates ({chats} companies x {STEPS} steps), {reps} runs each, medians:");
        let mut open = Vec::new();
        let mut sat = Vec::new();
        let mut base = Vec::new();
        for rep in 0..reps {
            let b = 1 + rep as i64 * 100_000;
            open.push(run_once(&pool, &runtime, workers, Some(rate), chats, b).await);
            sat.push(run_once(&pool, &runtime, workers, None, chats, b).await);
            base.push(run_once(&pool, &runtime, 1, None, chats, b).await);
        }
        let m = |runs: &[Run], f: fn(&Run) -> f64| common::median(&mut runs.iter().map(f).collect::<Vec<_>>());
        println!(
            "open loop at {rate}/s, {workers} workers: {:.0} updates/s, latency p50 {:.1} ms, p99 {:.1} ms",
            m(&open, |r| r.per_second), m(&open, |r| r.p50_ms), m(&open, |r| r.p99_ms)
        );
        println!(
            "saturation, {workers} workers: {:.0} updates/s (p50 {:.0} ms in queue+processing)",
            m(&sat, |r| r.per_second), m(&sat, |r| r.p50_ms)
        );
        println!(
            "baseline, 1 worker: {:.0} updates/s; ratio {:.2}x",
            m(&base, |r| r.per_second),
            m(&sat, |r| r.per_second) / m(&base, |r| r.per_second)
        );
        pool.close().await;
        sqlx::query("DROP DATABASE IF EXISTS queqiao_bench_telegram WITH (FORCE)").execute(&admin).await.unwrap();
    });
}
