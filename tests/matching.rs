//! Matching: filters, truthful explanations, the no-good-match rule, the development-set bar, batch mode,
//! and a catalogue import that becomes searchable without a restart (real PostgreSQL).

mod common;

use common::*;
use queqiao::catalog::import::ImportOptions;
use queqiao::catalog::record::{LegalStatus, LicenseMode, PatentType};
use queqiao::matching::query::Origin;
use queqiao::matching::text::normalize;
use queqiao::matching::{Analyzer, Filters, Index, IndexDoc, Matcher, Synonyms};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

fn synonyms() -> Synonyms {
    Synonyms::load(std::path::Path::new("dialogs/synonyms.toml"))
        .expect("shipped synonyms are valid")
}

/// The demo catalogue indexed once for the whole test binary (regions from the institutions file).
fn sample() -> &'static (Index, Analyzer) {
    static SAMPLE: OnceLock<(Index, Analyzer)> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let regions: HashMap<String, Option<String>> = sample_institutions()
            .into_iter()
            .map(|i| (i.name, i.region))
            .collect();
        let docs: Vec<IndexDoc> = sample_patents()
            .into_iter()
            .map(|record| IndexDoc {
                region: regions[&record.institution].clone(),
                record,
            })
            .collect();
        let index = Index::build(&docs);
        let mut analyzer = Analyzer::new(synonyms());
        analyzer.learn_words(index.keywords().map(|(w, _)| w));
        (index, analyzer)
    })
}

fn records() -> &'static HashMap<String, queqiao::catalog::PatentRecord> {
    static RECORDS: OnceLock<HashMap<String, queqiao::catalog::PatentRecord>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        sample_patents()
            .into_iter()
            .map(|p| (p.number.clone(), p))
            .collect()
    })
}

const NEEDS: &[&str] = &[
    "硅基负极循环衰减快",
    "您好，我们是做混凝土外加剂的小厂，想找防止收缩开裂的膨胀剂",
    "PLC控制的自动化生产线",
    "锂电池 battery thermal management",
    "外墙保温一体板防火",
    "3D打印用钛合金粉怎么做",
    "污水处理",
];

/// What a result must satisfy under a filter.
type Holds = Box<dyn Fn(&queqiao::catalog::PatentRecord) -> bool>;

#[test]
fn every_filter_restricts_results() {
    let (index, analyzer) = sample();
    let regions: HashMap<String, Option<String>> = sample_institutions()
        .into_iter()
        .map(|i| (i.name, i.region))
        .collect();
    let cases: Vec<(Filters, Holds)> = vec![
        (
            Filters {
                industry: Some("先进材料".into()),
                ..Default::default()
            },
            Box::new(|r| r.industry == "先进材料"),
        ),
        (
            Filters {
                region: Some("重庆".into()),
                ..Default::default()
            },
            {
                let regions = regions.clone();
                Box::new(move |r| regions[&r.institution].as_deref() == Some("重庆"))
            },
        ),
        (
            Filters {
                institution: Some("渝州大学".into()),
                ..Default::default()
            },
            Box::new(|r| r.institution == "渝州大学"),
        ),
        (
            Filters {
                license: Some(LicenseMode::Open),
                ..Default::default()
            },
            Box::new(|r| r.license_modes.contains(&LicenseMode::Open)),
        ),
        (
            Filters {
                legal_status: Some(LegalStatus::Granted),
                ..Default::default()
            },
            Box::new(|r| r.legal_status == LegalStatus::Granted),
        ),
        (
            Filters {
                patent_type: Some(PatentType::Invention),
                ..Default::default()
            },
            Box::new(|r| r.patent_type == PatentType::Invention),
        ),
        (
            Filters {
                max_price: Some(100_000),
                ..Default::default()
            },
            Box::new(|r| r.asking_price_cny.is_some_and(|p| p <= 100_000)),
        ),
    ];
    for (filters, holds) in &cases {
        let mut seen = 0;
        for need in ["材料", "电池", "装置", "方法", "混凝土"] {
            let result = index.search(analyzer, need, filters, 50);
            for h in &result.hits {
                assert!(
                    holds(&records()[&h.number]),
                    "{filters:?}: {} does not satisfy the filter",
                    h.number
                );
                seen += 1;
            }
        }
        assert!(
            seen > 0,
            "{filters:?} returned nothing for any need; the test would prove nothing"
        );
    }
    // The sample holds inventions only: asking for designs must return nothing.
    let designs = Filters {
        patent_type: Some(PatentType::Design),
        ..Default::default()
    };
    assert!(index.search(analyzer, "电池", &designs, 10).hits.is_empty());
    // An unknown filter value matches nothing rather than being ignored.
    let unknown = Filters {
        institution: Some("不存在大学".into()),
        ..Default::default()
    };
    assert!(index.search(analyzer, "电池", &unknown, 10).hits.is_empty());
}

#[test]
fn explanations_are_truthful() {
    let (index, analyzer) = sample();
    for need in NEEDS {
        let result = index.search(analyzer, need, &Filters::default(), 10);
        assert!(!result.hits.is_empty(), "{need}: no results");
        for h in &result.hits {
            let r = &records()[&h.number];
            let text = normalize(&format!(
                "{} {} {} {}",
                r.title,
                r.keywords.join(" "),
                r.abstract_text,
                r.claims.clone().unwrap_or_default()
            ));
            assert!(
                !h.matched.is_empty(),
                "{need}: {} has no explanation",
                h.number
            );
            for term in &h.matched {
                assert!(
                    text.contains(term.as_str()),
                    "{need}: `{term}` is not in {}",
                    h.number
                );
            }
            assert!(h.score <= 100);
            assert_eq!(h.title, r.title);
            assert_eq!(h.institution, r.institution);
            // The snippet is a piece of the abstract.
            let inner = h.snippet.trim_matches('…');
            assert!(
                r.abstract_text.contains(inner),
                "{}: snippet not from the abstract",
                h.number
            );
        }
        let scores: Vec<u8> = result.hits.iter().map(|h| h.score).collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{need}: not ranked by score: {scores:?}"
        );
    }
}

#[test]
fn result_marks_follow_the_record() {
    let (index, analyzer) = sample();
    let result = index.search(
        analyzer,
        "一种磁芯材料 氧化锌 氧化镍 铁氧体",
        &Filters::default(),
        20,
    );
    for h in &result.hits {
        let r = &records()[&h.number];
        assert_eq!(h.open_license, r.license_modes.contains(&LicenseMode::Open));
        assert_eq!(
            h.double_five,
            r.rating.as_ref().is_some_and(|x| x.is_double_five())
        );
    }
}

#[test]
fn needs_the_catalogue_cannot_serve_get_no_good_match() {
    let (index, analyzer) = sample();
    let text = std::fs::read_to_string("tests/data/unmatched_needs.jsonl").unwrap();
    let mut unmatched = 0;
    let mut total = 0;
    let mut weak_shown = 0;
    for line in text.lines() {
        let need: serde_json::Value = serde_json::from_str(line).unwrap();
        let result = index.search(
            analyzer,
            need["query"].as_str().unwrap(),
            &Filters::default(),
            10,
        );
        total += 1;
        if result.no_good_match {
            unmatched += 1;
            weak_shown += usize::from(!result.hits.is_empty());
        }
    }
    // The calibrated rule says so for 37 of the 44 (the issue asks for 80 % at least).
    assert!(total >= 40, "the set of unservable needs shrank to {total}");
    assert!(
        unmatched * 100 >= total * 80,
        "only {unmatched} of {total} unrelated needs were told 'no good match'"
    );
    assert!(
        weak_shown > 0,
        "weak results are shown (labelled), not withheld"
    );
    assert!(
        index
            .search(analyzer, "", &Filters::default(), 10)
            .no_good_match
    );
    assert!(
        index
            .search(analyzer, "您好，请问有没有", &Filters::default(), 10)
            .no_good_match
    );
    assert!(
        !index
            .search(analyzer, "硅基负极循环衰减快", &Filters::default(), 10)
            .no_good_match
    );
}

/// The whole development set through `eval`'s report: each half and the "no good match" count may not
/// fall below what this work measured (a regression floor, 0.01 under the figures in
/// docs/performance.md), and the halves and styles are reported apart.
#[test]
fn development_set_quality_holds() {
    use queqiao::matching::eval::{EvalQuery, Outcome, Qrels, report, score};
    let dir = std::path::Path::new("../shared/eval");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the development set lives in ../shared/eval)",
                dir.join(name).display()
            )
        })
    };
    let qrels: HashMap<String, Qrels> = read("dev_qrels.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Qrels>(l).unwrap())
        .map(|q| (q.id.clone(), q))
        .collect();
    let (index, analyzer) = sample();
    let outcomes: Vec<Outcome> = read("dev_queries.jsonl")
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let q: EvalQuery = serde_json::from_str(l).unwrap();
            let result = index.search(analyzer, &q.query, &Filters::default(), 10);
            let ranking: Vec<String> = result.hits.into_iter().map(|h| h.number).collect();
            Outcome {
                line: i + 1,
                style: q.style,
                metrics: score(&ranking, &qrels[&q.id].relevant),
                no_good_match: result.no_good_match,
            }
        })
        .collect();
    let rows = report(&outcomes);
    let row = |g: &str| rows.iter().find(|r| r.group == g).unwrap();
    // (group, nDCG@10, Recall@10, MRR@10) floors.
    for (group, ndcg, recall, mrr) in [
        ("all", 0.745, 0.837, 0.705),
        ("odd lines", 0.715, 0.803, 0.681),
        ("even lines", 0.775, 0.871, 0.729),
        ("style short", 0.593, 0.759, 0.521),
        ("style typo", 0.818, 0.858, 0.815),
        ("style english", 0.616, 0.657, 0.601),
    ] {
        let m = row(group).metrics;
        assert!(
            m.ndcg >= ndcg && m.recall >= recall && m.mrr >= mrr,
            "{group}: {m:?} fell below {ndcg} / {recall} / {mrr}"
        );
    }
    assert_eq!(row("all").needs, 190);
    assert!(
        row("all").no_good_match <= 3,
        "{} needs with an answer were told 'no good match'",
        row("all").no_good_match
    );
}

/// An analyzer over the sample with one mechanism switched, to show what the mechanism does.
fn analyzer_with(switch: impl FnOnce(Analyzer) -> Analyzer) -> Analyzer {
    let (index, _) = sample();
    let mut analyzer = switch(Analyzer::new(synonyms()));
    analyzer.learn_words(index.keywords().map(|(w, _)| w));
    analyzer
}

#[test]
fn english_needs_reach_the_chinese_catalogue() {
    let (index, analyzer) = sample();
    let need = "We want a kitchen exhaust hood that removes oil smoke";
    let matched = |result: &queqiao::matching::SearchResult, word: &str| {
        result
            .hits
            .iter()
            .take(5)
            .any(|h| h.matched.iter().any(|w| w == word))
    };
    let result = index.search(analyzer, need, &Filters::default(), 10);
    assert!(
        result
            .translations
            .iter()
            .any(|(en, zh)| en == "kitchen exhaust hood" && zh.iter().any(|w| w == "抽油烟机")),
        "the longest dictionary phrase is translated: {:?}",
        result.translations
    );
    assert!(matched(&result, "抽油烟机"), "{:?}", result.hits);
    let off = analyzer_with(|a| a.with_translation(false));
    let without = index.search(&off, need, &Filters::default(), 10);
    assert!(without.translations.is_empty());
    assert!(!matched(&without, "抽油烟机"));
}

#[test]
fn english_hyphens_pronouns_and_listed_phrases_are_read_as_meant() {
    let (index, analyzer) = sample();
    let need = "They keep asking for an anti-bacterial coating; our LED lamps overheat near the driver board";
    let result = index.search(analyzer, need, &Filters::default(), 10);
    let typed: Vec<&str> = result
        .translations
        .iter()
        .map(|(en, _)| en.as_str())
        .collect();
    // Pronouns and light verbs are not searched as Chinese (they → 他们, keep → 保留).
    for word in ["they", "keep"] {
        assert!(!typed.contains(&word), "{word} was translated: {typed:?}");
    }
    // A hyphenated compound is the dictionary's closed one: anti-bacterial → antibacterial → 抗菌.
    assert!(
        result
            .translations
            .iter()
            .any(|(en, zh)| en == "anti bacterial" && zh.iter().any(|w| w == "抗菌")),
        "{:?}",
        result.translations
    );
    let antibacterial = |h: &queqiao::matching::Hit| h.matched.iter().any(|w| w == "抗菌");
    assert!(
        result.hits.iter().take(5).any(antibacterial),
        "{:?}",
        result.hits
    );
    // A phrase of the synonyms list ("driver board") is not also translated word by word (司机).
    assert!(!typed.contains(&"driver"), "{typed:?}");
    // How a foreign buyer introduces itself is not searched (distributor → 配电器); the list knows
    // the words CC-CEDICT lacks or gives only as verbs (biodegradable; water → 浇水).
    let need = "We're a distributor of biodegradable film and water purification units";
    let result = index.search(analyzer, need, &Filters::default(), 10);
    let distributor = result
        .translations
        .iter()
        .find(|(en, _)| en == "distributor");
    assert!(distributor.is_none(), "{:?}", result.translations);
    let listed = analyzer.analyze(need, index);
    for word in ["可降解", "净水"] {
        assert!(
            listed.words.iter().any(|w| w.text == word),
            "{word}: {:?}",
            listed.words
        );
    }
}

#[test]
fn english_phrases_win_over_their_words() {
    let (index, analyzer) = sample();
    // "engine" alone is in the synonyms list (发动机); "steam engine" is one dictionary sense.
    let need = "a compact steam engine for desktop inkjet printers";
    let result = index.search(analyzer, need, &Filters::default(), 10);
    let became = |en: &str| {
        result
            .translations
            .iter()
            .find(|(e, _)| e == en)
            .map(|(_, zh)| zh.clone())
            .unwrap_or_default()
    };
    assert!(
        became("steam engine").iter().any(|w| w == "蒸汽机"),
        "{:?}",
        result.translations
    );
    assert!(
        became("inkjet").iter().any(|w| w == "喷墨"),
        "{:?}",
        result.translations
    );
    let words: Vec<String> = analyzer
        .analyze(need, index)
        .words
        .into_iter()
        .map(|w| w.text)
        .collect();
    assert!(
        !words.iter().any(|w| w == "发动机"),
        "the list's word for engine alone: {words:?}"
    );
    assert!(
        !result.translations.iter().any(|(en, _)| en == "engine"),
        "the reply does not say engine was searched as 发动机: {:?}",
        result.translations
    );
}

#[test]
fn homophone_typos_are_corrected() {
    let (index, analyzer) = sample();
    // 图覆 for 涂覆: typed by pinyin, the wrong character sounds right.
    let need = "隔膜图覆陶瓷浆料";
    let found = |a: &Analyzer| {
        index
            .search(a, need, &Filters::default(), 5)
            .hits
            .iter()
            .any(|h| h.matched.iter().any(|w| w == "涂覆"))
    };
    let fixed = analyzer
        .analyze(need, index)
        .words
        .iter()
        .any(|w| w.text == "涂覆" && w.origin == Origin::Fuzzy);
    assert!(fixed && found(analyzer));
    assert!(!found(&analyzer_with(|a| a.with_homophones(false))));
}

/// Companies in Taiwan, Hong Kong and Macau type traditional characters; the catalogue is simplified.
#[test]
fn needs_typed_in_traditional_chinese_find_what_simplified_ones_find() {
    let (index, analyzer) = sample();
    let numbers = |need: &str| -> Vec<String> {
        let result = index.search(analyzer, need, &Filters::default(), 10);
        assert!(!result.no_good_match, "{need}");
        result.hits.into_iter().map(|h| h.number).collect()
    };
    for (traditional, simplified) in [
        ("洗衣機兩扇門聯動打開", "洗衣机两扇门联动打开"),
        (
            "鋰電池隔膜塗覆陶瓷漿料，放半天就沉澱",
            "锂电池隔膜涂覆陶瓷浆料，放半天就沉淀",
        ),
        (
            "您好，我們是做紗窗的工廠，想找又透風又結實的紗窗結構",
            "您好，我们是做纱窗的工厂，想找又透风又结实的纱窗结构",
        ),
    ] {
        assert_eq!(numbers(traditional), numbers(simplified), "{traditional}");
    }
    // The words shown as matched are the catalogue's (simplified) words.
    let hits = index
        .search(analyzer, "洗衣機兩扇門聯動打開", &Filters::default(), 3)
        .hits;
    assert!(hits[0].matched.iter().any(|w| w == "洗衣机"), "{hits:?}");
}

/// A patent written in traditional characters is found by a simplified need, and its snippet is cut from
/// its own text.
#[test]
fn a_traditional_patent_text_is_found_by_a_simplified_need() {
    let (index, analyzer) = small_index(&[(
        "CN900000001A",
        "一種車載冰箱的靜音壓縮機",
        "本發明公開了一種車載冰箱的靜音壓縮機，降低運轉噪聲。",
    )]);
    let hits = index
        .search(&analyzer, "车载冰箱压缩机噪声太大", &Filters::default(), 3)
        .hits;
    assert_eq!(hits[0].number, "CN900000001A", "{hits:?}");
    assert!(
        hits[0].snippet.contains("靜音壓縮機"),
        "{}",
        hits[0].snippet
    );
}

#[test]
fn words_typed_in_pinyin_are_read_as_chinese() {
    let (index, analyzer) = sample();
    // 仿真 typed in pinyin in the middle of a Chinese need, as input methods leave it.
    let need = "芯片fangzhen软件只用一个核，想拆成多线程";
    let found = |a: &Analyzer| {
        index
            .search(a, need, &Filters::default(), 5)
            .hits
            .iter()
            .any(|h| h.matched.iter().any(|w| w == "仿真"))
    };
    let result = index.search(analyzer, need, &Filters::default(), 5);
    assert!(
        result
            .translations
            .iter()
            .any(|(typed, zh)| typed == "fangzhen" && zh.iter().any(|w| w == "仿真")),
        "the reply can say what the pinyin became: {:?}",
        result.translations
    );
    assert!(found(analyzer), "{:?}", result.hits);
    assert!(!found(&analyzer_with(|a| a.with_pinyin(false))));
}

#[test]
fn a_word_no_patent_uses_is_searched_by_its_characters() {
    let (index, analyzer) = sample();
    // 拆洗 (take apart and wash) is in no patent; the washing machine whose outer drum comes apart
    // (可拆卸) says it with 拆 in another compound.
    let need = "洗衣机桶自己拆洗";
    let drum = "CN148065595A";
    let found = |a: &Analyzer| {
        let result = index.search(a, need, &Filters::default(), 10);
        for hit in &result.hits {
            assert!(
                !hit.matched.iter().any(|w| w == "拆" || w == "洗"),
                "characters of an unknown word are never shown as matched words: {:?}",
                hit.matched
            );
        }
        result.hits.iter().any(|h| h.number == drum)
    };
    let query = analyzer.analyze(need, index);
    assert_eq!(query.fragments, vec!['拆', '洗']);
    assert!(found(analyzer));
    assert!(!found(&analyzer_with(|a| a.with_fragments(false))));
}

#[test]
fn a_compound_no_patent_uses_is_searched_by_its_parts() {
    let (index, analyzer) = sample();
    // No patent says 广角镜头 (wide-angle lens); the optical lens patent says 镜头.
    let need = "车载广角镜头";
    let lens = "CN112987260A";
    let rank = |a: &Analyzer| {
        let result = index.search(a, need, &Filters::default(), 10);
        result.hits.iter().position(|h| h.number == lens)
    };
    let query = analyzer.analyze(need, index);
    assert!(
        query.words.iter().any(|w| w.text == "镜头"),
        "{:?}",
        query.words
    );
    let hit = &index.search(analyzer, need, &Filters::default(), 3).hits;
    let lens_hit = hit
        .iter()
        .find(|h| h.number == lens)
        .expect("the lens in the best three");
    assert!(
        lens_hit.matched.iter().any(|w| w == "镜头"),
        "{:?}",
        lens_hit.matched
    );
    let without = rank(&analyzer_with(|a| a.with_parts(false)));
    assert!(without.is_none_or(|r| r >= 3), "without parts: {without:?}");
}

#[test]
fn eval_reports_both_halves_and_each_style() {
    let dir = tempfile::tempdir().unwrap();
    let extra = write(
        dir.path(),
        "extra.jsonl",
        "{\"id\": \"d01\", \"relevant\": {\"CN000000000A\": 2}}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args([
            "eval",
            "--queries",
            "../shared/eval/dev_queries.jsonl",
            "--qrels",
            "../shared/eval/dev_qrels.jsonl",
            "--corpus",
            "data/patents.jsonl",
            "--unmatched",
            "tests/data/unmatched_needs.jsonl",
            "--extra-qrels",
        ])
        .arg(&extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for row in [
        "all",
        "odd lines",
        "even lines",
        "style short",
        "style english",
        "with the extra grades",
        "needs the catalogue cannot serve",
    ] {
        assert!(text.contains(row), "no `{row}` in:\n{text}");
    }
}

#[test]
fn batch_mode_answers_every_line_and_names_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "needs.jsonl",
        concat!(
            "{\"id\": 1, \"query\": \"硅基负极循环衰减快\", \"company\": \"山城新能源\", \"booth\": \"A12\", \"results\": 7}\n",
            "{\"id\": 2, \"query\": \"外墙保温一体板防火\", \"industry\": \"不存在的行业\"}\n",
            "{\"id\": 3, \"qurey\": \"typo in the field name\"}\n",
            "not json\n",
            "{\"id\": \"x\", \"query\": \"外墙保温一体板防火\", \"license\": \"open\"}\n",
        ),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args([
            "search",
            "--corpus",
            "data/patents.jsonl",
            "--top",
            "3",
            "--batch",
        ])
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a bad line makes the exit code non-zero"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "one output line per input line");
    assert_eq!(lines[0]["id"], 1);
    assert!(!lines[0]["results"].as_array().unwrap().is_empty());
    // The organiser's own fields come back beside the answer; one named like an answer field is renamed.
    assert_eq!(lines[0]["company"], "山城新能源");
    assert_eq!(lines[0]["booth"], "A12");
    assert_eq!(lines[0]["input_results"], 7);
    assert_eq!(lines[1]["no_good_match"], true);
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].as_str().unwrap().contains("qurey"));
    assert_eq!(lines[3]["line"], 4);
    assert_eq!(lines[4]["id"], "x");
    let first = &lines[0]["results"][0];
    for field in [
        "number",
        "score",
        "title",
        "institution",
        "matched",
        "snippet",
    ] {
        assert!(!first[field].is_null(), "result lacks {field}");
    }
}

#[test]
fn batch_mode_reads_and_writes_csv() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "needs.csv",
        "id,query,license,booth\nn1,硅基负极循环衰减快,,B7\nn2,外墙保温一体板防火,open,\nn3,,,\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args([
            "search",
            "--corpus",
            "data/patents.jsonl",
            "--top",
            "2",
            "--batch",
        ])
        .arg(&input)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert!(
        rows.iter()
            .any(|r| &r[0] == "n1" && &r[1] == "1" && &r[10] == "B7")
    );
    assert!(rows.iter().any(|r| &r[0] == "n2"));
    assert!(
        rows.iter()
            .any(|r| r[8].contains("line 4") && r[8].contains("query")),
        "{text}"
    );
}

#[sqlx::test]
async fn an_import_becomes_searchable_without_a_restart(pool: sqlx::PgPool) {
    let dir = tempfile::tempdir().unwrap();
    with_institutions(&pool, dir.path()).await;
    let mut patents = sample_patents();
    patents.truncate(200);
    import(
        &pool,
        &[write(dir.path(), "a.jsonl", jsonl(&patents))],
        &ImportOptions::default(),
    )
    .await;
    let matcher = Arc::new(Matcher::load(&pool, synonyms()).await.unwrap());
    let need = "一种用于深海热液喷口微生物采样的钛合金保压舱";
    let before = matcher.search(need, &Filters::default(), 5).await;
    assert!(!before.hits.iter().any(|h| h.number == "CN299999999A"));
    let refresher = matcher.clone().spawn_refresher(pool.clone());

    let mut new = patents[0].clone();
    new.number = "CN299999999A".into();
    new.title = "深海热液喷口微生物保压采样舱".into();
    new.abstract_text =
        "本发明公开了一种用于深海热液喷口微生物采样的钛合金保压舱，保持原位压力。".into();
    new.keywords = vec!["保压舱".into(), "热液喷口".into()];
    let mut changed = patents[1].clone();
    changed.title = "一种改写后的深海热液喷口采样器".into();
    import(
        &pool,
        &[write(dir.path(), "b.jsonl", jsonl(&[new, changed.clone()]))],
        &ImportOptions::default(),
    )
    .await;

    let mut found = false;
    for _ in 0..100 {
        let result = matcher.search(need, &Filters::default(), 5).await;
        if result
            .hits
            .first()
            .is_some_and(|h| h.number == "CN299999999A")
        {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        found,
        "the imported patent did not become searchable within 10 s"
    );
    // The changed patent is found under its new title, once (its old version is gone).
    let result = matcher
        .search("改写后的深海热液喷口采样器", &Filters::default(), 20)
        .await;
    let hits: Vec<_> = result
        .hits
        .iter()
        .filter(|h| h.number == changed.number)
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].title, changed.title);
    assert_eq!(matcher.snapshot().0.len(), 201);
    refresher.abort();
}

/// The first `n` patents of the sample, without regions.
fn first_sample_docs(n: usize) -> Vec<IndexDoc> {
    sample_patents()
        .into_iter()
        .take(n)
        .map(|record| IndexDoc {
            record,
            region: None,
        })
        .collect()
}

/// An index of the given patents (number, title, abstract) among 300 of the sample, so that word
/// frequencies are those of a real catalogue.
fn small_index(patents: &[(&str, &str, &str)]) -> (Index, Analyzer) {
    let listed: Vec<(&str, &str, &str, Vec<&str>)> = patents
        .iter()
        .map(|&(n, t, a)| (n, t, a, Vec::new()))
        .collect();
    let index = index_with_keywords(&listed);
    let mut analyzer = Analyzer::new(synonyms());
    analyzer.learn_words(index.keywords().map(|(w, _)| w));
    (index, analyzer)
}

/// As [`small_index`], each patent with its keywords.
fn index_with_keywords(patents: &[(&str, &str, &str, Vec<&str>)]) -> Index {
    let mut docs = first_sample_docs(300);
    let template = docs[0].record.clone();
    for (number, title, abstract_text, keywords) in patents {
        let mut record = template.clone();
        record.number = number.to_string();
        record.title = title.to_string();
        record.abstract_text = abstract_text.to_string();
        record.keywords = keywords.iter().map(|k| k.to_string()).collect();
        record.claims = None;
        record.rating = None;
        docs.push(IndexDoc {
            record,
            region: None,
        });
    }
    Index::build(&docs)
}

fn rank_of(index: &Index, analyzer: &Analyzer, need: &str, number: &str) -> Option<usize> {
    index
        .search(analyzer, need, &Filters::default(), 10)
        .hits
        .iter()
        .position(|h| h.number == number)
}

#[test]
fn a_one_character_head_word_counts() {
    // "防雾膜": jieba cuts 防雾 + 膜; the film is what is sought, a spray is not.
    let (index, analyzer) = small_index(&[
        (
            "CN199999901A",
            "一种防雾喷剂",
            "一种防雾喷剂，喷涂于镜片表面，防雾效果持久。",
        ),
        (
            "CN199999902A",
            "一种防雾薄膜",
            "一种防雾薄膜，贴附于镜片表面，防雾效果持久。",
        ),
    ]);
    let need = "眼镜片用的防雾膜";
    let film = rank_of(&index, &analyzer, need, "CN199999902A").expect("the film is found");
    let spray = rank_of(&index, &analyzer, need, "CN199999901A");
    assert!(
        spray.is_none_or(|s| film < s),
        "film {film}, spray {spray:?}"
    );
    let hit = &index.search(&analyzer, need, &Filters::default(), 10).hits[film];
    assert!(hit.matched.contains(&"膜".to_string()), "{:?}", hit.matched);
}

#[test]
fn saying_one_idea_three_ways_does_not_outrank_two_ideas() {
    // 开裂 has the synonyms 裂纹 and 裂缝 in the shipped list. The first patent is all about cracks; the
    // second covers both ideas of the need (an expansive agent, against cracking).
    let (index, analyzer) = small_index(&[
        (
            "CN199999903A",
            "一种桥梁裂缝检测方法",
            "检测桥梁开裂，识别裂纹与裂缝，记录开裂位置。",
        ),
        (
            "CN199999904A",
            "一种混凝土膨胀材料",
            "膨胀材料掺入混凝土，补偿收缩，减少开裂。",
        ),
    ]);
    let need = "混凝土防开裂的膨胀剂";
    assert_eq!(
        rank_of(&index, &analyzer, need, "CN199999904A"),
        Some(0),
        "{:?}",
        index.search(&analyzer, need, &Filters::default(), 10).hits
    );
}

#[test]
fn a_word_patents_list_as_a_keyword_outweighs_a_word_they_only_mention() {
    // 鱼塘 (a fish pond: where) and 饵料 (bait: what) are each used by four patents, so idf cannot tell
    // them apart; only the bait patents list their word as a keyword. The two patents under test are
    // the same text with the one word swapped, and neither lists keywords.
    let numbers: Vec<String> = (0..6).map(|i| format!("CN19999992{i}A")).collect();
    let titles: Vec<String> = (0..6).map(|i| format!("一种水产配套装置{i}")).collect();
    let mut patents: Vec<(&str, &str, &str, Vec<&str>)> = vec![
        (
            "CN199999911A",
            "一种鱼塘",
            "一种鱼塘，结构简单，使用方便。",
            vec![],
        ),
        (
            "CN199999912A",
            "一种饵料",
            "一种饵料，结构简单，使用方便。",
            vec![],
        ),
    ];
    for i in 0..3 {
        let pond = "安装在鱼塘岸边，自动运行。";
        patents.push((&numbers[i], &titles[i], pond, vec!["水产"]));
        let bait = "以豆粕为主，制成饵料颗粒。";
        patents.push((&numbers[i + 3], &titles[i + 3], bait, vec!["饵料"]));
    }
    let index = index_with_keywords(&patents);
    let (pond, bait) = ("CN199999911A", "CN199999912A");
    let order = |analyzer: &Analyzer| {
        let hits = index
            .search(analyzer, "鱼塘饵料", &Filters::default(), 20)
            .hits;
        let at = |n: &str| hits.iter().position(|h| h.number == n);
        (at(bait), at(pond))
    };
    let (b, p) = order(&Analyzer::new(synonyms()));
    assert!(
        b.is_some() && p.is_some() && b < p,
        "bait {b:?}, pond {p:?}"
    );
    let (b, p) = order(&Analyzer::new(synonyms()).with_keyness(false));
    assert!(
        p < b,
        "without keyness the tie goes by number: bait {b:?}, pond {p:?}"
    );
}

#[test]
fn a_closed_pipe_ends_a_search_quietly() {
    // `queqiao search --top 1000 电池 | head -1`: the reader goes away after one line, long before the
    // results (hundreds of kilobytes, more than a pipe holds) are written.
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args([
            "search",
            "--corpus",
            "data/patents.jsonl",
            "--top",
            "1000",
            "电池",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("1."), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_newer_version_of_a_patent_replaces_the_older_one() {
    let mut docs = first_sample_docs(50);
    // The same number twice in one batch: the later record wins.
    let mut again = docs[3].clone();
    again.record.title = "一种深海热液喷口保压采样舱".into();
    docs.push(again);
    let index = Index::build(&docs);
    assert_eq!(index.len(), 50);
    let analyzer = Analyzer::new(synonyms());
    let number = docs[3].record.number.clone();
    let hits = |index: &Index, need: &str| -> Vec<(String, String)> {
        index
            .search(&analyzer, need, &Filters::default(), 50)
            .hits
            .into_iter()
            .filter(|h| h.number == number)
            .map(|h| (h.number, h.title))
            .collect()
    };
    assert_eq!(
        hits(&index, "深海热液喷口保压采样舱"),
        vec![(number.clone(), "一种深海热液喷口保压采样舱".to_string())]
    );
    // A later change replaces it again; the index before the change still answers as it did.
    let mut changed = docs[3].clone();
    changed.record.title = "一种磁悬浮熔炼雾化制粉装置".into();
    let next = index.with_changes(&[changed]);
    assert_eq!(next.len(), 50);
    assert!(hits(&next, "深海热液喷口保压采样舱").is_empty());
    assert_eq!(
        hits(&next, "磁悬浮熔炼雾化制粉装置"),
        vec![(number.clone(), "一种磁悬浮熔炼雾化制粉装置".to_string())]
    );
    assert_eq!(hits(&index, "深海热液喷口保压采样舱").len(), 1);
}

/// Runs the binary's `search` on the sample with the given arguments: (success, stdout, stderr).
fn search_cli(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_queqiao"))
        .args(["search", "--corpus", "data/patents.jsonl"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn odd_search_input_gets_a_clear_answer() {
    // A single letter is no need word: no "perfect" match on it.
    let (_, out, _) = search_cli(&["x"]);
    assert!(!out.contains("matched: x"), "{out}");
    assert!(out.contains("no good match"), "{out}");
    // --top 0 is refused, naming the flag.
    let (ok, _, err) = search_cli(&["--top", "0", "电池"]);
    assert!(!ok && err.contains("--top"), "{err}");
    // An empty need is an error, as it is in a batch.
    let (ok, _, err) = search_cli(&[""]);
    assert!(!ok && err.contains("empty"), "{err}");
    // A directory as a batch file: one error, not a line per failed read.
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = search_cli(&["--batch", dir.path().to_str().unwrap()]);
    assert!(!ok && err.contains("is a directory"), "{err}");
    assert!(out.len() < 1000 && err.len() < 1000, "{out}{err}");
}
