//! `search`, its batch mode, `eval` and `bench-match`: the command-line faces of the matcher.

use super::*;
use crate::catalog::record::{LegalStatus, LicenseMode, PatentType};
use crate::matching::{Analyzer, Filters, Index, IndexDoc, Matcher, SearchResult, Synonyms};
use std::time::Instant;

/// The lay-term list: the file given, else the one beside the dialog scripts (DIALOGS_DIR, ./dialogs or
/// the built-in set), else none.
pub(crate) fn load_synonyms(
    path: Option<&std::path::Path>,
    dialogs: &DialogsDir,
) -> anyhow::Result<Synonyms> {
    let invalid =
        |lines: Vec<String>| anyhow::anyhow!("the synonyms file is invalid:\n{}", lines.join("\n"));
    match path {
        Some(path) => Synonyms::load(path)
            .map_err(|errors| invalid(errors.iter().map(|e| e.to_string()).collect())),
        None => Ok(
            crate::dialog::DialogSource::resolve(dialogs.dialogs_dir.as_deref())
                .load_synonyms()
                .map_err(|errors| invalid(errors.iter().map(|e| e.to_string()).collect()))?
                .unwrap_or_default(),
        ),
    }
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
    Ok(read_jsonl_lines(path)?
        .into_iter()
        .map(|(_, t)| t)
        .collect())
}

/// Records of a JSON Lines file with their 1-based line numbers (blank lines skipped).
fn read_jsonl_lines<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> anyhow::Result<Vec<(usize, T)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let record =
                serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))?;
            Ok((i + 1, record))
        })
        .collect()
}

/// Graded needs by id; `extra` grades (a blind assessor's, for patents the set never judged) only add
/// patents the shared grades do not list.
fn read_qrels(
    path: &std::path::Path,
    extra: Option<&std::path::Path>,
) -> anyhow::Result<std::collections::HashMap<String, crate::matching::eval::Qrels>> {
    use crate::matching::eval::Qrels;
    let mut qrels: std::collections::HashMap<String, Qrels> = read_jsonl::<Qrels>(path)?
        .into_iter()
        .map(|q| (q.id.clone(), q))
        .collect();
    for more in extra
        .map(read_jsonl::<Qrels>)
        .transpose()?
        .unwrap_or_default()
    {
        if let Some(q) = qrels.get_mut(&more.id) {
            for (number, grade) in more.relevant {
                q.relevant.entry(number).or_insert(grade);
            }
        }
    }
    Ok(qrels)
}

pub(super) async fn eval(settings: &Common, args: EvalArgs) -> anyhow::Result<ExitCode> {
    use crate::matching::eval::{EvalQuery, Outcome, render, report, score};
    let queries: Vec<(usize, EvalQuery)> = read_jsonl_lines(&args.queries)?;
    let qrels = read_qrels(&args.qrels, None)?;
    let with_extra = args
        .extra_qrels
        .as_deref()
        .map(|extra| read_qrels(&args.qrels, Some(extra)))
        .transpose()?;
    let docs = match &args.corpus {
        Some(path) => docs_from_file(path)?,
        None => docs_from_db(&connect(settings).await?).await?,
    };
    let on = |m: Mechanism| !args.off.contains(&m);
    let mut analyzer = Analyzer::new(load_synonyms(args.synonyms.as_deref(), &args.dialogs)?)
        .with_homophones(on(Mechanism::Homophones))
        .with_translation(on(Mechanism::Translation))
        .with_pinyin(on(Mechanism::Pinyin))
        .with_fragments(on(Mechanism::Fragments))
        .with_parts(on(Mechanism::Parts))
        .with_keyness(on(Mechanism::Keyness));
    let index = Index::build(&docs);
    analyzer.learn_words(index.keywords().map(|(w, _)| w));
    let dense = super::embed::sentence_model(&args.dense)?;
    if let Some(model) = &dense {
        // Measuring without the model by mistake would report the lexical figures as the model's.
        model.need_vector("检测").await?;
    }
    let mut outcomes = Vec::new();
    let mut outcomes_extra = Vec::new();
    for (line, q) in &queries {
        let Some(rel) = qrels.get(&q.id) else {
            anyhow::bail!(
                "{}: need `{}` has no graded relevance",
                args.qrels.display(),
                q.id
            );
        };
        let result = match &dense {
            Some(model) => {
                model
                    .search(&index, &analyzer, &q.query, &Filters::default(), 10)
                    .await
            }
            None => index.search(&analyzer, &q.query, &Filters::default(), 10),
        };
        let ranking: Vec<String> = result.hits.iter().map(|h| h.number.clone()).collect();
        let outcome = |metrics| Outcome {
            line: *line,
            style: q.style.clone(),
            metrics,
            no_good_match: result.no_good_match,
        };
        outcomes.push(outcome(score(&ranking, &rel.relevant)));
        if let Some(extra) = &with_extra {
            outcomes_extra.push(outcome(score(&ranking, &extra[&q.id].relevant)));
        }
        if args.verbose {
            print_need(&analyzer, &index, q, &result, &rel.relevant, &outcomes);
        }
    }
    let unmatched = match &args.unmatched {
        Some(path) => {
            let needs: Vec<EvalQuery> = read_jsonl(path)?;
            let said = needs
                .iter()
                .filter(|n| {
                    index
                        .search(&analyzer, &n.query, &Filters::default(), 10)
                        .no_good_match
                })
                .count();
            Some((said, needs.len()))
        }
        None => None,
    };
    let rows = report(&outcomes);
    let rows_extra = with_extra.is_some().then(|| report(&outcomes_extra));
    if args.json {
        let json = serde_json::json!({
            "shared": rows,
            "with_extra_grades": rows_extra,
            "unmatched_said_no_good_match": unmatched.map(|(said, n)| [said, n]),
        });
        println!("{json}");
    } else {
        print!("{}", render(&rows));
        if let Some(rows) = rows_extra {
            println!(
                "\nwith the extra grades ({}):",
                args.extra_qrels
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            print!("{}", render(&rows));
        }
        if let Some((said, n)) = unmatched {
            println!("\nneeds the catalogue cannot serve: {said} of {n} told \"no good match\"");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `eval --verbose`: one need's metrics, how it was understood and its best results with their grades.
fn print_need(
    analyzer: &Analyzer,
    index: &Index,
    q: &crate::matching::eval::EvalQuery,
    result: &SearchResult,
    relevant: &std::collections::HashMap<String, u8>,
    outcomes: &[crate::matching::eval::Outcome],
) {
    let Some(m) = outcomes.last().map(|o| o.metrics) else {
        return;
    };
    println!(
        "{} ndcg {:.3} recall {:.3} mrr {:.3}{}  [{}] {}",
        q.id,
        m.ndcg,
        m.recall,
        m.mrr,
        if result.no_good_match {
            " (no good match)"
        } else {
            ""
        },
        q.style.as_deref().unwrap_or(""),
        q.query
    );
    println!("    cleaned: {}", result.cleaned_query);
    let analysed = analyzer.analyze(&q.query, index);
    println!(
        "    words: {}",
        analysed
            .words
            .iter()
            .map(|w| format!("{}{:?}", w.text, w.origin).replace("User", ""))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if !analysed.chars.is_empty() {
        let chars: String = analysed.chars.iter().map(|(c, _)| *c).collect();
        println!("    one-character words: {chars}");
    }
    for h in result.hits.iter().take(5) {
        let grade = relevant.get(&h.number).copied().unwrap_or(0);
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
    settings: &Common,
    corpus: Option<&std::path::Path>,
    synonyms: Option<&std::path::Path>,
    dialogs: &DialogsDir,
    dense: &DenseSettings,
) -> anyhow::Result<Matcher> {
    let synonyms = load_synonyms(synonyms, dialogs)?;
    let matcher = match corpus {
        Some(path) => {
            let index = Index::build(&docs_from_file(path)?);
            let mut analyzer = Analyzer::new(synonyms);
            analyzer.learn_words(index.keywords().map(|(w, _)| w));
            Matcher::from_parts(index, analyzer, 0)
        }
        None => {
            let pool = connect(settings).await?;
            Matcher::load(&pool, synonyms)
                .await
                .context("cannot build the search index from the catalogue")?
        }
    };
    Ok(match super::embed::sentence_model(dense)? {
        Some(model) => {
            super::embed::check_encoder(&model).await;
            matcher.with_dense(model)
        }
        None => matcher,
    })
}

pub(super) async fn search(settings: &Common, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let matcher = matcher(
        settings,
        args.corpus.as_deref(),
        args.synonyms.as_deref(),
        &args.dialogs,
        &args.dense,
    )
    .await?;
    if let Some(batch) = &args.batch {
        return super::batch::run_batch(&matcher, batch, &args).await;
    }
    let need = args.query.clone().unwrap_or_default();
    // The same rule as a batch line: an empty need is an error, not an empty answer.
    if need.trim().is_empty() {
        anyhow::bail!("the need is empty: describe the technology you look for");
    }
    let result = matcher
        .search(&need, &args.filters.to_filters(), usize::from(args.top))
        .await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (english, chinese) in &result.translations {
        println!("searched \"{english}\" as: {}", chinese.join(", "));
    }
    if result.no_good_match {
        println!(
            "no good match for: {}{}",
            result.cleaned_query,
            if result.hits.is_empty() {
                ""
            } else {
                " (the closest results, weak:)"
            }
        );
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
    let mut analyzer = Analyzer::new(load_synonyms(args.synonyms.as_deref(), &args.dialogs)?);
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
