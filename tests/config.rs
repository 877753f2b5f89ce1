//! Configuration, through the binary as an operator meets it: every variable of `.env.example` is a flag
//! that `serve --help` lists (and README's table names); a bad value is named; `.env`, the environment and
//! flags take precedence in that order; secrets never show in `--help` or the startup log; commands that
//! need only the database run without any Telegram setting.

mod common;

use sqlx::PgPool;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

const TOKEN: &str = "123456:TOKEN_never_shown";
const WEBHOOK_SECRET: &str = "hush_never_shown_42";
const DB_PASSWORD: &str = "hunter2_never_shown";

/// Runs the binary with only `env` as its environment, in `dir` (a folder without `.env` unless the test
/// writes one).
fn queqiao(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The variables `.env.example` lists (`NAME=value` lines).
fn example_variables() -> BTreeSet<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".env.example"))
        .unwrap();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(name, _)| name.trim().to_owned())
        .collect()
}

#[test]
fn serve_help_lists_every_variable_with_its_default_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("postgres://queqiao:{DB_PASSWORD}@db.example/queqiao");
    let out = queqiao(
        dir.path(),
        &["serve", "--help"],
        &[
            ("TELOXIDE_TOKEN", TOKEN),
            ("WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("DATABASE_URL", &db_url),
            ("WORKERS", "7"),
        ],
    );
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let expected = example_variables();
    assert!(expected.len() >= 24, "{expected:?}");
    let listed: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        })
        .collect();
    assert_eq!(
        listed, expected,
        "serve --help and .env.example must list the same variables"
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for name in &expected {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README's configuration table has no row for {name}"
        );
        let flag = format!("--{} <{name}>", name.to_lowercase().replace('_', "-"));
        assert!(help.contains(&flag), "no flag {flag}");
    }
    for shown in [
        "[env: WORKERS=7] [default: 4]",
        "[env: RETAIN_EVENTS_DAYS=] [default: 730]",
        "[env: UNREADY_AFTER_SECS=] [default: 120]",
        "[env: TELOXIDE_TOKEN]",
        "[env: WEBHOOK_SECRET]",
    ] {
        assert!(help.contains(shown), "{shown} missing from:\n{help}");
    }
    for secret in [TOKEN, WEBHOOK_SECRET, DB_PASSWORD] {
        assert!(!help.contains(secret), "{secret} shown in --help");
    }
}

#[test]
fn a_bad_value_is_named_by_its_variable_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let token = ("TELOXIDE_TOKEN", TOKEN);
    for (args, env, named) in [
        (
            &["serve"][..],
            vec![token, ("WORKERS", "lots")],
            "--workers <WORKERS>",
        ),
        (
            &["serve"],
            vec![token, ("WORKERS", "0")],
            "--workers <WORKERS>",
        ),
        (
            &["serve"],
            vec![token, ("HTTP_ADDR", "localhost")],
            "--http-addr <HTTP_ADDR>",
        ),
        (
            &["serve"],
            vec![token, ("RETAIN_SENT_DAYS", "0")],
            "RETAIN_SENT_DAYS",
        ),
        (
            &["serve"],
            vec![token, ("METRICS_ADDR", "9090")],
            "METRICS_ADDR",
        ),
        (
            &["serve"],
            vec![token, ("UNREADY_AFTER_SECS", "-1")],
            "UNREADY_AFTER_SECS",
        ),
        (
            &["serve"],
            vec![token, ("WEBHOOK_URL", "bot.example.com")],
            "WEBHOOK_URL",
        ),
        (
            &["migrate"],
            vec![("LOG_FORMAT", "xml")],
            "--log-format <LOG_FORMAT>",
        ),
        (&["migrate"], vec![("RUST_LOG", "info,==")], "RUST_LOG"),
        (
            &["chat"],
            vec![("ADMIN_TELEGRAM_IDS", "12,bob")],
            "ADMIN_TELEGRAM_IDS",
        ),
        (
            &["chat"],
            vec![("ENQUIRY_DAILY_CAP", "many")],
            "ENQUIRY_DAILY_CAP",
        ),
        (
            &["prune"],
            vec![("RETAIN_EVENTS_DAYS", "0")],
            "RETAIN_EVENTS_DAYS",
        ),
    ] {
        let out = queqiao(dir.path(), args, &env);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{env:?}: {err}");
        assert!(err.contains(named), "{env:?} not named: {err}");
        assert!(!err.contains(TOKEN));
    }
    // What only several values together decide: named too, and a secret's value is never repeated.
    let out = queqiao(
        dir.path(),
        &["serve"],
        &[
            token,
            ("WEBHOOK_URL", "https://bot.example.com/tg"),
            ("WEBHOOK_SECRET", "not allowed!"),
        ],
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("WEBHOOK_SECRET (--webhook-secret): must be") && !err.contains("not allowed"),
        "{err}"
    );
    let out = queqiao(dir.path(), &["serve"], &[]);
    let err = stderr(&out);
    assert!(
        !out.status.success() && err.contains("TELOXIDE_TOKEN") && err.contains("@BotFather"),
        "{err}"
    );
}

#[test]
fn dotenv_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    // No token anywhere: a run that gets past parsing stops at the token check instead.
    let parsed = |out: &Output| stderr(out).contains("TELOXIDE_TOKEN (--teloxide-token)");
    common::write(dir.path(), ".env", "WORKERS=lots\nMETRICS_ADDR=\n");
    let out = queqiao(dir.path(), &["serve"], &[]);
    assert!(stderr(&out).contains("--workers <WORKERS>"), ".env is read");
    let out = queqiao(dir.path(), &["serve"], &[("WORKERS", "2")]);
    assert!(
        parsed(&out),
        "the environment wins over .env: {}",
        stderr(&out)
    );
    let out = queqiao(dir.path(), &["serve", "--workers", "2"], &[]);
    assert!(parsed(&out), "a flag wins over .env: {}", stderr(&out));
    let out = queqiao(
        dir.path(),
        &["serve", "--workers", "x"],
        &[("WORKERS", "2")],
    );
    assert!(
        stderr(&out).contains("invalid value 'x'"),
        "a flag wins over the environment"
    );
    // An empty variable is unset, as `.env.example` has them.
    let out = queqiao(
        dir.path(),
        &["serve", "--workers", "2"],
        &[("HTTP_ADDR", " ")],
    );
    assert!(parsed(&out), "{}", stderr(&out));
}

#[sqlx::test]
async fn database_commands_need_no_telegram_settings(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = common::database_url(&pool);
    // Broken Telegram settings (and no token) stop only `serve`.
    let env = [
        ("DATABASE_URL", db_url.as_str()),
        ("WORKERS", "lots"),
        ("SEND_PER_SECOND", "fast"),
        ("WEBHOOK_URL", "https://bot.example.com/tg"),
    ];
    for args in [&["migrate"][..], &["stats"], &["search", "锂电池"]] {
        let out = queqiao(dir.path(), args, &env);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let out = queqiao(dir.path(), &["stats"], &env);
    assert!(String::from_utf8_lossy(&out.stdout).contains("needs"));
}

#[test]
fn secrets_stay_out_of_the_startup_log() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: serve logs its settings, then stops at the database.
    let db_url = format!("postgres://queqiao:{DB_PASSWORD}@127.0.0.1:1/queqiao");
    let out = queqiao(
        dir.path(),
        &["serve", "--http-addr", "127.0.0.1:0"],
        &[
            ("RUST_LOG", "trace"),
            ("DATABASE_URL", &db_url),
            ("TELOXIDE_TOKEN", TOKEN),
            ("WEBHOOK_SECRET", WEBHOOK_SECRET),
        ],
    );
    let logs = stderr(&out);
    assert!(!out.status.success());
    assert!(
        logs.contains("starting with these settings") && logs.contains("queqiao:***@127.0.0.1:1"),
        "{logs}"
    );
    for secret in [TOKEN, WEBHOOK_SECRET, DB_PASSWORD] {
        assert!(!logs.contains(secret), "{secret} in the log:\n{logs}");
    }
}
