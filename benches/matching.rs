//! Criterion benches for the matching hot paths on the demo catalogue (`cargo bench --bench matching`):
//! query analysis, a whole search (analysis, ranking, explanations), and, as the baseline measured in the
//! same run, the naive strsim scan the index replaces.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use queqiao::catalog::PatentRecord;
use queqiao::catalog::store::DEMO_PATENTS;
use queqiao::matching::{Analyzer, Filters, Index, IndexDoc, Synonyms};

const NEEDS: &[&str] = &[
    "硅基负极循环衰减快",
    "您好，我们是河南一家做人造金刚石的小厂，提纯回收那步加热耗电厉害，想找省能耗的连续化回收设备，预算五十万以内。",
    "PEM电解水制氢，阳极铱用量太高成本下不来，有低铱的膜电极方案吗",
    "外墙保温一体板防火",
];

fn setup() -> (Vec<IndexDoc>, Index, Analyzer) {
    let docs: Vec<IndexDoc> = DEMO_PATENTS
        .lines()
        .map(|l| IndexDoc {
            record: serde_json::from_str::<PatentRecord>(l).expect("demo record"),
            region: None,
        })
        .collect();
    let index = Index::build(&docs);
    let synonyms =
        Synonyms::load(std::path::Path::new("dialogs/synonyms.toml")).unwrap_or_default();
    let mut analyzer = Analyzer::new(synonyms);
    analyzer.learn_words(index.keywords().map(|(w, _)| w));
    (docs, index, analyzer)
}

fn benches(c: &mut Criterion) {
    let (docs, index, analyzer) = setup();
    let filters = Filters::default();
    c.bench_function("analyze chatty need", |b| {
        b.iter(|| analyzer.analyze(black_box(NEEDS[1]), &index))
    });
    c.bench_function("search 4 needs (3,720 patents)", |b| {
        b.iter(|| {
            for need in NEEDS {
                black_box(index.search(&analyzer, need, &filters, 10));
            }
        })
    });
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.bench_function("naive strsim scan 4 needs (3,720 patents)", |b| {
        b.iter(|| {
            for need in NEEDS {
                let best = docs
                    .iter()
                    .map(|d| {
                        strsim::normalized_levenshtein(need, &d.record.title)
                            .max(strsim::jaro(need, &d.record.abstract_text))
                    })
                    .fold(0.0f64, f64::max);
                black_box(best);
            }
        })
    });
    group.finish();
    c.bench_function("build index (3,720 patents)", |b| {
        b.iter(|| Index::build(black_box(&docs)))
    });
}

criterion_group!(matching, benches);
criterion_main!(matching);
