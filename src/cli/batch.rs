//! `search --batch`: one answer per need of a JSON Lines or CSV file, the sheet's own fields echoed beside
//! each answer (matchmaking fairs).

use super::*;
use crate::matching::search::Hit;
use crate::matching::{Filters, Matcher, SearchResult};
use std::io::Write;

/// One need of a batch file: an id, the text, optional filters, and the organiser's own fields (company,
/// booth, contact...), echoed beside the answer so that it joins back to the sheet.
#[derive(serde::Deserialize)]
struct BatchNeed {
    id: serde_json::Value,
    query: String,
    #[serde(flatten)]
    filters: Filters,
    #[serde(skip)]
    extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(serde::Serialize)]
struct BatchResult<'a> {
    id: &'a serde_json::Value,
    #[serde(flatten)]
    extra: &'a serde_json::Map<String, serde_json::Value>,
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
pub(super) async fn run_batch(
    matcher: &Matcher,
    path: &std::path::Path,
    args: &SearchArgs,
) -> anyhow::Result<ExitCode> {
    let csv_format = match args.format.as_deref() {
        Some(f) => f == "csv",
        None => Format::from_path(path) == Format::Csv,
    };
    // A directory opens on Linux but every read fails: refuse it once, up front.
    anyhow::ensure!(
        !path.is_dir(),
        "{} is a directory; give a JSONL or CSV file of needs",
        path.display()
    );
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
        // The organiser's own columns, echoed after the answer's.
        let extra: Vec<&str> = headers
            .iter()
            .map(str::trim)
            .filter(|h| !NEED_FIELDS.contains(h))
            .collect();
        let mut columns: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
        columns.extend(extra.iter().map(|h| match CSV_COLUMNS.contains(h) {
            true => format!("input_{h}"),
            false => h.to_string(),
        }));
        writer.write_record(&columns)?;
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
                    let result = matcher
                        .search(&need.query, &need.filters, usize::from(args.top))
                        .await;
                    let id = need
                        .id
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| need.id.to_string());
                    let echo: Vec<String> = extra
                        .iter()
                        .map(|h| match need.extra.get(*h) {
                            Some(serde_json::Value::String(v)) => v.clone(),
                            Some(v) => v.to_string(),
                            None => String::new(),
                        })
                        .collect();
                    let weak = if result.no_good_match { "true" } else { "" };
                    if result.hits.is_empty() {
                        let mut row: Vec<String> = vec![id.clone(), String::new()];
                        row.extend(std::iter::repeat_n(String::new(), 6));
                        row.extend(["no good match".to_owned(), weak.to_owned()]);
                        row.extend(echo.iter().cloned());
                        writer.write_record(&row)?;
                    }
                    for (rank, h) in result.hits.iter().enumerate() {
                        let mut row: Vec<String> = vec![
                            id.clone(),
                            (rank + 1).to_string(),
                            h.number.clone(),
                            h.score.to_string(),
                            h.title.clone(),
                            h.institution.clone(),
                            h.matched.join(";"),
                            h.snippet.clone(),
                            String::new(),
                            weak.to_owned(),
                        ];
                        row.extend(echo.iter().cloned());
                        writer.write_record(&row)?;
                    }
                }
                Err(reason) => {
                    failed += 1;
                    let mut row = vec![String::new(); CSV_COLUMNS.len() + extra.len()];
                    row[8] = format!("line {line}: {reason}");
                    writer.write_record(&row)?;
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
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    failed += 1;
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({"line": line_no, "error": format!("cannot read the line: {e}")})
                    )?;
                    continue;
                }
                // Any other read error repeats for every later line: stop at the first.
                Err(e) => {
                    out.flush()?;
                    anyhow::bail!("{}:{line_no}: cannot read the file: {e}", path.display());
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
                    let result = matcher
                        .search(&need.query, &need.filters, usize::from(args.top))
                        .await;
                    write_batch_line(&mut out, &need, &result)?;
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

/// The answer's columns of a CSV batch (`no_good_match`: the results are weak), before the echoed ones.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "rank",
    "number",
    "score",
    "title",
    "institution",
    "matched",
    "snippet",
    "error",
    "no_good_match",
];

fn write_batch_line(
    out: &mut impl Write,
    need: &BatchNeed,
    result: &SearchResult,
) -> anyhow::Result<()> {
    let extra: serde_json::Map<String, serde_json::Value> = need
        .extra
        .iter()
        .map(|(k, v)| match ANSWER_FIELDS.contains(&k.as_str()) {
            true => (format!("input_{k}"), v.clone()),
            false => (k.clone(), v.clone()),
        })
        .collect();
    let line = BatchResult {
        id: &need.id,
        extra: &extra,
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

/// Output fields of a batch answer: an input field of the same name is echoed as `input_NAME`.
const ANSWER_FIELDS: &[&str] = &["id", "line", "no_good_match", "results", "error"];

/// Splits a need's fields into the known ones and the organiser's own, which are kept to be echoed. A
/// field one or two letters from a known one (`industy`, `qurey`) is a misspelling, and an error: a filter
/// silently ignored would give wrong answers.
fn need_from_map(map: serde_json::Map<String, serde_json::Value>) -> Result<BatchNeed, String> {
    let (known, other): (serde_json::Map<_, _>, serde_json::Map<_, _>) = map
        .into_iter()
        .partition(|(k, _)| NEED_FIELDS.contains(&k.as_str()));
    for name in other.keys() {
        let near = NEED_FIELDS
            .iter()
            .find(|f| name.len() > 3 && strsim::levenshtein(name, f) <= 2);
        if let Some(field) = near {
            return Err(format!("unknown field `{name}`: did you mean `{field}`?"));
        }
    }
    let mut need: BatchNeed =
        serde_json::from_value(serde_json::Value::Object(known)).map_err(|e| e.to_string())?;
    need.extra = other;
    Ok(need)
}

fn parse_need(text: &str) -> Result<BatchNeed, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => need_from_map(map),
        Ok(_) => Err("expected a JSON object {\"id\": ..., \"query\": ...}".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}
