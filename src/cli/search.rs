//! `search`, its batch mode, `eval` and `bench-match`: the command-line faces of the matcher.

use super::*;
use crate::catalog::record::{LegalStatus, LicenseMode, PatentType};
use crate::matching::search::Hit;
use crate::matching::{Analyzer, Filters, Index, IndexDoc, Matcher, SearchResult, Synonyms};
use std::io::Write;
use std::time::Instant;

/// Default location of the lay-term list, beside the dialog scripts.
pub const DEFAULT_SYNONYMS: &str = "dialogs/synonyms.toml";

pub(crate) fn load_synonyms(path: Option<&std::path::Path>) -> anyhow::Result<Synonyms> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if std::path::Path::new(DEFAULT_SYNONYMS).exists() => PathBuf::from(DEFAULT_SYNONYMS),
        None => return Ok(Synonyms::default()),
    };
    Synonyms::load(&path).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("the synonyms file is invalid:\n{}", lines.join("\n"))
    })
}

/// Index documents from a patents file (no database), for evaluation and benchmarks.
pub fn docs_from_file(path: &std::path::Path) -> anyhow::Result<Vec<IndexDoc>> {
    Ok(read_patents(path)?
        .into_iter()
        .map(|record| IndexDoc {
            record,
            region: None,
        })
        .collect())
}

/// Index documents from the catalogue in PostgreSQL.
pub async fn docs_from_db(pool: &PgPool) -> anyhow::Result<Vec<IndexDoc>> {
    Ok(store::patents_changed_since(pool, 0)
        .await
        .context("cannot read the catalogue")?
        .into_iter()
        .map(|p| IndexDoc {
            record: p.record,
            region: p.region,
        })
        .collect())
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}

pub(super) async fn eval(settings: &Settings, args: EvalArgs) -> anyhow::Result<ExitCode> {
    use crate::matching::eval::{EvalQuery, Qrels, mean, score};
    let queries: Vec<EvalQuery> = read_jsonl(&args.queries)?;
    let qrels: Vec<Qrels> = read_jsonl(&args.qrels)?;
    let qrels: std::collections::HashMap<String, Qrels> =
        qrels.into_iter().map(|q| (q.id.clone(), q)).collect();
    let docs = match &args.corpus {
        Some(path) => docs_from_file(path)?,
        None => docs_from_db(&connect(settings).await?).await?,
    };
    let mut analyzer = Analyzer::new(load_synonyms(args.synonyms.as_deref())?);
    let index = Index::build(&docs);
    analyzer.learn_words(index.keywords().map(|(w, _)| w));
    let mut all = Vec::new();
    for q in &queries {
        let Some(rel) = qrels.get(&q.id) else {
            anyhow::bail!(
                "{}: need `{}` has no graded relevance",
                args.qrels.display(),
                q.id
            );
        };
        let result = index.search(&analyzer, &q.query, &Filters::default(), 10);
        let ranking: Vec<String> = result.hits.iter().map(|h| h.number.clone()).collect();
        let m = score(&ranking, &rel.relevant);
        if args.verbose {
            println!(
                "{} ndcg {:.3} recall {:.3} mrr {:.3}  [{}] {}",
                q.id,
                m.ndcg,
                m.recall,
                m.mrr,
                q.style.as_deref().unwrap_or(""),
                q.query
            );
            println!("    cleaned: {}", result.cleaned_query);
            let q = analyzer.analyze(&q.query, &index);
            println!(
                "    words: {}",
                q.words
                    .iter()
                    .map(|w| format!("{}{:?}", w.text, w.origin).replace("User", ""))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            if !q.chars.is_empty() {
                let chars: String = q.chars.iter().map(|(c, _)| *c).collect();
                println!("    one-character words: {chars}");
            }
            for h in result.hits.iter().take(5) {
                let grade = rel.relevant.get(&h.number).copied().unwrap_or(0);
                println!(
                    "    {} g{} {:>3} {} [{}]",
                    h.number,
                    grade,
                    h.score,
                    h.title,
                    h.matched.join(",")
                );
            }
        }
        all.push(m);
    }
    let m = mean(&all);
    if args.json {
        println!("{}", serde_json::to_string(&m)?);
    } else {
        println!(
            "needs {}  nDCG@10 {:.3}  Recall@10 {:.3}  MRR@10 {:.3}",
            all.len(),
            m.ndcg,
            m.recall,
            m.mrr
        );
    }
    Ok(ExitCode::SUCCESS)
}

impl FilterArgs {
    fn to_filters(&self) -> Filters {
        Filters {
            industry: self.industry.clone(),
            region: self.region.clone(),
            institution: self.institution.clone(),
            license: self.license.as_deref().and_then(LicenseMode::parse),
            legal_status: self.legal_status.as_deref().and_then(LegalStatus::parse),
            patent_type: self.patent_type.as_deref().and_then(PatentType::parse),
            max_price: self.max_price,
        }
    }
}

/// The matcher over the database catalogue, or over a file when `corpus` is given.
async fn matcher(
    settings: &Settings,
    corpus: Option<&std::path::Path>,
    synonyms: Option<&std::path::Path>,
) -> anyhow::Result<Matcher> {
    let synonyms = load_synonyms(synonyms)?;
    match corpus {
        Some(path) => {
            let index = Index::build(&docs_from_file(path)?);
            let mut analyzer = Analyzer::new(synonyms);
            analyzer.learn_words(index.keywords().map(|(w, _)| w));
            Ok(Matcher::from_parts(index, analyzer, 0))
        }
        None => {
            let pool = connect(settings).await?;
            Ok(Matcher::load(&pool, synonyms)
                .await
                .context("cannot build the search index from the catalogue")?)
        }
    }
}

pub(super) async fn search(settings: &Settings, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let matcher = matcher(settings, args.corpus.as_deref(), args.synonyms.as_deref()).await?;
    if let Some(batch) = &args.batch {
        return run_batch(&matcher, batch, &args);
    }
    let need = args.query.clone().unwrap_or_default();
    let result = matcher.search(&need, &args.filters.to_filters(), args.top);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    if result.no_good_match {
        println!(
            "no good match (no patent scored {} or more) for: {}",
            crate::matching::search::GOOD_MATCH_THRESHOLD,
            result.cleaned_query
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (i, h) in result.hits.iter().enumerate() {
        let mut marks = String::new();
        if h.double_five {
            marks.push_str(" ★双五星");
        }
        if h.open_license {
            marks.push_str(" [开放许可]");
        }
        println!(
            "{:>2}. [{:>3}] {} {} ({}){}",
            i + 1,
            h.score,
            h.number,
            h.title,
            h.institution,
            marks
        );
        println!("      matched: {}", h.matched.join(", "));
        println!("      {}", h.snippet);
    }
    Ok(ExitCode::SUCCESS)
}

/// One need of a batch file: an id, the text, and optional filters.
#[derive(serde::Deserialize)]
struct BatchNeed {
    id: serde_json::Value,
    query: String,
    #[serde(flatten)]
    filters: Filters,
}

#[derive(serde::Serialize)]
struct BatchResult<'a> {
    id: &'a serde_json::Value,
    no_good_match: bool,
    results: Vec<BatchHit<'a>>,
}

#[derive(serde::Serialize)]
struct BatchHit<'a> {
    number: &'a str,
    score: u8,
    title: &'a str,
    institution: &'a str,
    matched: &'a [String],
    snippet: &'a str,
}

impl<'a> From<&'a Hit> for BatchHit<'a> {
    fn from(h: &'a Hit) -> Self {
        BatchHit {
            number: &h.number,
            score: h.score,
            title: &h.title,
            institution: &h.institution,
            matched: &h.matched,
            snippet: &h.snippet,
        }
    }
}

/// Batch mode: one output line (JSONL) or group of rows (CSV) per input line, in input order; a bad
/// line gets an error line naming its line number and the rest are still answered.
fn run_batch(
    matcher: &Matcher,
    path: &std::path::Path,
    args: &SearchArgs,
) -> anyhow::Result<ExitCode> {
    let csv_format = match args.format.as_deref() {
        Some(f) => f == "csv",
        None => Format::from_path(path) == Format::Csv,
    };
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    if csv_format {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let headers = reader
            .headers()
            .with_context(|| format!("{}:1: cannot read the header", path.display()))?
            .clone();
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record([
            "id",
            "rank",
            "number",
            "score",
            "title",
            "institution",
            "matched",
            "snippet",
            "error",
        ])?;
        for record in reader.records() {
            let (line, need) = match record {
                Ok(r) => {
                    let line = r.position().map(|p| p.line()).unwrap_or(0);
                    (line, csv_need(&headers, &r))
                }
                Err(e) => (
                    e.position().map(|p| p.line()).unwrap_or(0),
                    Err(format!("invalid CSV: {e}")),
                ),
            };
            match need {
                Ok(need) => {
                    let result = matcher.search(&need.query, &need.filters, args.top);
                    let id = need
                        .id
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| need.id.to_string());
                    if result.hits.is_empty() {
                        note_row(&mut writer, &id, "no good match")?;
                    }
                    for (rank, h) in result.hits.iter().enumerate() {
                        writer.write_record([
                            id.as_str(),
                            &(rank + 1).to_string(),
                            &h.number,
                            &h.score.to_string(),
                            &h.title,
                            &h.institution,
                            &h.matched.join(";"),
                            &h.snippet,
                            "",
                        ])?;
                    }
                }
                Err(reason) => {
                    failed += 1;
                    note_row(&mut writer, "", &format!("line {line}: {reason}"))?;
                }
            }
        }
        writer.flush()?;
    } else {
        use std::io::BufRead;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line_no = i + 1;
            let text = match line {
                Ok(t) => t,
                Err(e) => {
                    failed += 1;
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"line": line_no, "error": format!("cannot read the line: {e}")})
                    )?;
                    continue;
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            match parse_need(&text) {
                Ok(need) if need.query.trim().is_empty() => {
                    failed += 1;
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"id": need.id, "line": line_no, "error": "query: must not be empty"})
                    )?;
                }
                Ok(need) => {
                    let result = matcher.search(&need.query, &need.filters, args.top);
                    write_batch_line(&mut out, &need.id, &result)?;
                }
                Err(e) => {
                    failed += 1;
                    let id = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v.get("id").cloned());
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"id": id, "line": line_no, "error": e.to_string()})
                    )?;
                }
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!(
            "{}: {failed} line(s) could not be answered; see the error lines",
            path.display()
        );
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A CSV output row with no result, only the need's id and a note in the `error` column.
fn note_row(writer: &mut csv::Writer<impl Write>, id: &str, note: &str) -> csv::Result<()> {
    writer.write_record([id, "", "", "", "", "", "", "", note])
}

fn write_batch_line(
    out: &mut impl Write,
    id: &serde_json::Value,
    result: &SearchResult,
) -> anyhow::Result<()> {
    let line = BatchResult {
        id,
        no_good_match: result.no_good_match,
        results: result.hits.iter().map(BatchHit::from).collect(),
    };
    writeln!(out, "{}", serde_json::to_string(&line)?)?;
    Ok(())
}

/// A CSV row of a batch: `id`, `query`, and optional filter columns named like the JSON fields.
fn csv_need(headers: &csv::StringRecord, row: &csv::StringRecord) -> Result<BatchNeed, String> {
    let mut map = serde_json::Map::new();
    for (h, v) in headers.iter().zip(row.iter()) {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let value = if h == "max_price" {
            serde_json::Value::Number(
                v.parse::<i64>()
                    .map_err(|_| format!("max_price: `{v}` is not a whole number"))?
                    .into(),
            )
        } else {
            serde_json::Value::String(v.to_owned())
        };
        map.insert(h.trim().to_owned(), value);
    }
    let need = need_from_map(map)?;
    if need.query.trim().is_empty() {
        return Err("query: must not be empty".into());
    }
    Ok(need)
}

/// Fields a batch need may carry.
const NEED_FIELDS: &[&str] = &[
    "id",
    "query",
    "industry",
    "region",
    "institution",
    "license",
    "legal_status",
    "patent_type",
    "max_price",
];

/// serde cannot refuse unknown fields next to a flattened struct, so they are checked here: a misspelt
/// filter must be an error, not silently ignored.
fn need_from_map(map: serde_json::Map<String, serde_json::Value>) -> Result<BatchNeed, String> {
    if let Some(unknown) = map.keys().find(|k| !NEED_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field `{unknown}` (expected one of: {})",
            NEED_FIELDS.join(", ")
        ));
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())
}

fn parse_need(text: &str) -> Result<BatchNeed, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => need_from_map(map),
        Ok(_) => Err("expected a JSON object {\"id\": ..., \"query\": ...}".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Latency of the whole pipeline (raw text to ranked, explained results) over a file corpus, with the
/// naive strsim scan measured in the same run as the baseline.
pub(super) fn bench_match(args: BenchMatchArgs) -> anyhow::Result<ExitCode> {
    #[derive(serde::Deserialize)]
    struct Need {
        query: String,
    }
    let needs: Vec<Need> = read_jsonl(&args.queries)?;
    anyhow::ensure!(!needs.is_empty(), "{}: no needs", args.queries.display());
    let docs = docs_from_file(&args.corpus)?;
    let rss_before = rss_kb();
    let started = Instant::now();
    let index = Index::build(&docs);
    let build = started.elapsed();
    let rss_after = rss_kb();
    let mut analyzer = Analyzer::new(load_synonyms(args.synonyms.as_deref())?);
    analyzer.learn_words(index.keywords().map(|(w, _)| w));
    let (postings, text, total) = index.memory();

    let filters = Filters::default();
    // Warm-up: first touches of the accumulators and dictionary.
    for n in &needs {
        std::hint::black_box(index.search(&analyzer, &n.query, &filters, 10));
    }
    let mut times = Vec::with_capacity(needs.len() * args.rounds);
    for _ in 0..args.rounds.max(1) {
        for n in &needs {
            let t = Instant::now();
            std::hint::black_box(index.search(&analyzer, &n.query, &filters, 10));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    // Where the time goes: analysis alone (segmentation, filler, synonyms, typo look-ups).
    let t = Instant::now();
    for n in &needs {
        std::hint::black_box(analyzer.analyze(&n.query, &index));
    }
    let analyze_ms = t.elapsed().as_secs_f64() * 1e3 / needs.len() as f64;
    let mean = times.iter().sum::<f64>() / times.len() as f64;

    // Baseline: a naive scan scoring every patent with a strsim similarity of the need against title and
    // abstract (chars, so CJK is measured correctly), timed on the first `naive_limit` patents and on a
    // few needs, then scaled to the whole corpus.
    let limit = args.naive_limit.min(docs.len()).max(1);
    let sample: Vec<&Need> = needs.iter().take(5).collect();
    let t = Instant::now();
    for n in &sample {
        let mut best = 0.0f64;
        for d in &docs[..limit] {
            let s = strsim::normalized_levenshtein(&n.query, &d.record.title)
                .max(strsim::jaro(&n.query, &d.record.abstract_text));
            best = best.max(s);
        }
        std::hint::black_box(best);
    }
    let naive_ms =
        t.elapsed().as_secs_f64() * 1e3 / sample.len() as f64 * docs.len() as f64 / limit as f64;
    let report = serde_json::json!({
        "patents": docs.len(),
        "needs": needs.len(),
        "rounds": args.rounds,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "mean_ms": mean,
        "build_s": build.as_secs_f64(),
        "index_bytes": total,
        "postings_bytes": postings,
        "text_bytes": text,
        "rss_growth_bytes": rss_after.saturating_sub(rss_before) * 1024,
        "analyze_mean_ms": analyze_ms,
        "naive_scan_ms_per_need": naive_ms,
        "speedup_vs_naive_median": naive_ms / pct(0.5),
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "patents {}  needs {} x {}\nquery latency: p50 {:.3} ms  p99 {:.3} ms  mean {:.3} ms (of which analysis {:.3} ms)\nbuild {:.2} s  index {:.0} MiB (postings {:.0} MiB, stored text {:.0} MiB; RSS growth {:.0} MiB)\nnaive strsim scan {:.1} ms per need -> {:.0}x slower than the index (median)",
            docs.len(),
            needs.len(),
            args.rounds,
            pct(0.5),
            pct(0.99),
            mean,
            analyze_ms,
            build.as_secs_f64(),
            total as f64 / 1048576.0,
            postings as f64 / 1048576.0,
            text as f64 / 1048576.0,
            rss_after.saturating_sub(rss_before) as f64 / 1024.0,
            naive_ms,
            naive_ms / pct(0.5)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Resident memory of this process in KiB (Linux), 0 elsewhere.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
