//! Retention through the binary: `queqiao prune` on a seeded history deletes only what is handled and
//! past its age (per table, as configured), never a pending update or message, a dead letter, or an
//! enquiry and its history; `--dry-run` only counts.

mod common;

use sqlx::PgPool;

fn prune(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .arg("prune")
        .args(args)
        .env("DATABASE_URL", db_url)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[sqlx::test]
async fn prune_deletes_only_handled_rows_past_their_age(pool: PgPool) {
    common::seed_history(&pool).await;
    let db_url = common::database_url(&pool);
    let everything = common::history_left(&pool).await;

    let out = prune(&db_url, &["--dry-run"], &[]);
    for line in [
        "telegram_updates: 2 handled updates older than 30 days would be deleted (dry run)",
        "parked_updates: 1 parked updates older than 30 days would be deleted (dry run)",
        "outbox: 2 delivered messages older than 30 days would be deleted (dry run)",
        "usage_events: 1 usage events older than 730 days would be deleted (dry run)",
        "audit_log: 1 audit entries older than 730 days would be deleted (dry run)",
    ] {
        assert!(out.contains(line), "{line} missing from:\n{out}");
    }
    assert_eq!(
        common::history_left(&pool).await,
        everything,
        "a dry run deletes nothing"
    );

    // Ages come from the settings: the 800-day-old audit entry stays under a 1000-day retention.
    let out = prune(
        &db_url,
        &["--retain-audit-days", "1000"],
        &[("RETAIN_SENT_DAYS", "5")],
    );
    assert!(
        out.contains("outbox: 3 delivered messages older than 5 days deleted"),
        "{out}"
    );
    assert!(
        out.contains("audit_log: 0 audit entries older than 1000 days deleted"),
        "{out}"
    );
    let left = common::history_left(&pool).await;
    // 2 is pending (400 days old), 3 recent, 5 the newest (polling resumes past it).
    assert_eq!(left.updates, vec![2, 3, 5]);
    assert_eq!(
        left.parked,
        vec![7],
        "parked updates go with the updates' age"
    );
    // 12 is pending, 13 a dead letter; 14 went with the 5-day retention.
    assert_eq!(left.outbox, vec![12, 13]);
    assert_eq!(left.events, strings(&["recent"]));
    assert_eq!(left.audit, strings(&["old", "recent"]));
    assert_eq!(
        (left.enquiries, left.enquiry_events),
        (1, 2),
        "the open enquiry and its history stay"
    );

    let out = prune(&db_url, &[], &[]);
    assert!(
        out.contains("audit_log: 1 audit entries older than 730 days deleted"),
        "{out}"
    );
    assert!(out.contains("telegram_updates: 0 handled updates"), "{out}");
    assert_eq!(
        common::history_left(&pool).await.audit,
        strings(&["recent"])
    );
}
