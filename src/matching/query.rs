//! Turning an enterprise's free-text need into weighted query terms: normalisation, word segmentation
//! (jieba), removal of chat filler, lay-term expansion from the synonyms list, and typo tolerance against
//! the catalogue's own vocabulary.

use super::synonyms::Synonyms;
use super::text::{Term, fold, is_cjk, normalize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Weight of a bigram that spans two segmented words (less likely to mean something) vs. inside one word.
const CROSS_WORD_WEIGHT: f32 = 0.4;
/// Weight of terms added from the synonyms list, relative to the user's own words.
const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a near-miss correction of a word the catalogue does not know.
const FUZZY_WEIGHT: f32 = 0.6;
/// A term the user writes again adds this share of its weight, up to REPEAT_CAP: what a company
/// repeats ("背带…背带扣…背带锁扣") is what it is about (0.4 to 1 on the development set: the same; 0.25,
/// the earlier value, and less were worse).
const REPEAT_SHARE: f32 = 0.5;
const REPEAT_CAP: f32 = 1.5;
/// Generic suffixes of Chinese technical nouns (膨胀剂, 干燥机, 冷凝器): patents often put another suffix
/// on the same stem (膨胀材料, 干燥装置), so the stem stands in for the word, a little lighter (0.5 to 1
/// tried on the development set: the same results). Not 物 or 品, which are part of the word more often
/// than a suffix (微生物, 化合物).
const STEM_SUFFIXES: &str = "剂器机仪件";
const STEM_WEIGHT: f32 = 0.8;
/// Part-of-speech tags (jieba) of one-character words that carry no topic: position words, adverbs,
/// prepositions, conjunctions, particles, pronouns, adjectives, interjections, onomatopoeia, modal
/// particles, numerals (上, 不, 把, 和, 的, 这, 大, 啊, 吗, 三).
const FUNCTION_TAGS: &str = "fdpcuraeoym";
/// One-character words jieba tags as nouns or measure words that still carry no topic (…的时候, 一次).
const NOT_TOPIC_CHARS: &str = "时个次种些样";

/// A word of the query, with the index terms that make it up.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    pub text: String,
    pub terms: Vec<Term>,
    pub weight: f32,
    pub origin: Origin,
    /// For a synonym, correction or stem: the index in [`Query::alternatives`] of the need's phrase it
    /// stands in for.
    pub stands_for: Option<usize>,
}

/// Where a query word came from, for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Typed by the user.
    User,
    /// Added because the user's lay term maps to it in the synonyms list.
    Synonym,
    /// A correction of a word the catalogue does not know.
    Fuzzy,
}

/// The analysed query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Terms with their weights, each term once.
    pub terms: Vec<(Term, f32)>,
    /// Words (two or more characters, or a Latin word) for coverage and explanations.
    pub words: Vec<QueryWord>,
    /// The need after filler removal, for logs and analytics.
    pub cleaned: String,
    /// One-character words (膜 in 变色膜, 粉 in 钛合金粉, 锁): often the head of what is sought, but no
    /// bigram holds them, so they re-rank the best candidates instead (see `search`).
    pub chars: Vec<(char, f32)>,
    /// Phrases of the need (a lay term, an unknown word, a suffixed word) that synonyms, corrections or
    /// stems stand in for. Ranking counts a phrase as one idea, not the sum of its alternatives: saying
    /// "cracking" three ways is not three matches.
    pub alternatives: Vec<String>,
}

/// Weight of the words naming what is sought, against 1 for context words (1.0 to 1.7 tried on the
/// development set: 1.4 best; the gain is small, as most needs name the sought thing plainly).
const SOUGHT_WEIGHT: f32 = 1.4;
/// Phrases after which a need names what is sought.
const REQUEST_MARKERS: &[&str] = &[
    "想找",
    "寻找",
    "找",
    "需要",
    "想要",
    "有没有",
    "求",
    "求购",
    "想做",
    "想让",
    "希望",
    "想用",
];
/// Characters that end a sentence: what follows a request phrase up to here describes what is sought
/// ("想找一种膨胀剂，膨胀量好控制而且不会牺牲强度。"). Ending at commas instead lost those properties
/// (0.842 / 0.846 nDCG / MRR on the development set against 0.846 / 0.852).
const SENTENCE_ENDS: &str = "。.？?！!；;";

/// Chat filler and function words: greetings, self-introductions, request phrases, hedges. They are
/// general to how people ask, not to any topic.
const FILLER: &[&str] = &[
    "您好",
    "你好",
    "老师好",
    "老师",
    "老师们",
    "各位",
    "各位老师",
    "专家",
    "请问",
    "谢谢",
    "麻烦",
    "打扰",
    "打扰了",
    "感谢",
    "我们",
    "我们是",
    "我",
    "我司",
    "本公司",
    "公司",
    "一家",
    "小厂",
    "厂",
    "工厂",
    "厂里",
    "企业",
    "团队",
    "创业公司",
    "创业",
    "从事",
    "主要",
    "专门",
    "这边",
    "那边",
    "咱们",
    "大家",
    "目前",
    "现在",
    "之前",
    "以前",
    "最近",
    "今年",
    "去年",
    "想",
    "想找",
    "想要",
    "想问",
    "想问问",
    "问问",
    "想做",
    "想让",
    "想用",
    "想能",
    "希望",
    "需要",
    "寻找",
    "找",
    "找个",
    "求",
    "有没有",
    "有无",
    "能不能",
    "能否",
    "可不可以",
    "可以",
    "是否",
    "是不是",
    "高校",
    "大学",
    "学校",
    "院校",
    "科研",
    "技术",
    "方案",
    "专利",
    "合作",
    "成果",
    "转让",
    "许可",
    "一种",
    "一个",
    "一款",
    "一套",
    "这种",
    "那种",
    "这样",
    "那样",
    "什么",
    "怎么",
    "怎么做",
    "怎么办",
    "如何",
    "哪些",
    "哪里",
    "这个",
    "那个",
    "这些",
    "那些",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "哦",
    "嘛",
    "的",
    "了",
    "着",
    "过",
    "也",
    "都",
    "还",
    "又",
    "就",
    "很",
    "太",
    "挺",
    "比较",
    "非常",
    "特别",
    "最好",
    "尽量",
    "一些",
    "一点",
    "一下",
    "老是",
    "经常",
    "总是",
    "每次",
    "一直",
    "问题",
    "是",
    "在",
    "有",
    "和",
    "与",
    "及",
    "或",
    "或者",
    "而且",
    "并且",
    "但",
    "但是",
    "不过",
    "所以",
    "因为",
    "如果",
    "然后",
    "让",
    "把",
    "被",
    "给",
    "对",
    "从",
    "到",
    "这",
    "那",
    "它",
    "他们",
    "预算",
    "以内",
    "以下",
    "左右",
    "上下",
    "大概",
    "大约",
    "差不多",
    "万",
    "万元",
    "元",
    "块钱",
    "人",
    "号人",
    "个人",
    "多人",
    "年产值",
    "产值",
    "产量",
    "规模",
    "不大",
    "不小",
    "亿",
    "多",
    "来",
    "号",
    "个",
    "家",
    "条",
    "台",
    "做",
    "搞",
    "弄",
    "用",
    "要",
    "能",
    "会",
    "得",
    "地",
    "啦",
    "哈",
    "嗯",
    "好",
    "行",
    "够",
    "懂",
    "知道",
    "觉得",
    "感觉",
    "看看",
    "帮忙",
    "帮",
    "推荐",
    "介绍",
    "联系",
    "对接",
    "客户",
    "老板",
    "同事",
    "行业",
    "领域",
    "产品",
    "业务",
    "项目",
    "生产",
    "严重",
    "经费",
    "费用",
    "价格",
    "便宜",
    "谈",
    "可谈",
    "面议",
    "不想",
    "不要",
    "不用",
    "不能",
    "不会",
    "不行",
    "不够",
    "时候",
    "还是",
    "自己",
    "容易",
    "老",
    "设计",
    "设计方案",
    "以外",
    "之外",
    "相关",
    "成熟",
    "靠谱",
    "麻烦",
    "本身",
    "之类",
    "这类",
    "一次",
    "简单",
    "办法",
    "方法",
    "方式",
    "带",
    "重新",
    "原来",
    "已经",
    "总",
    "真",
    "再",
    "才",
    "却",
    "只",
    "只能",
    "直接",
    "一堆",
    "很多",
    "许多",
    "各种",
    "所有",
    "整个",
    "实现",
    "解决",
    "改进",
    "改善",
    "提高",
    "提升",
    "降低",
    "减少",
    "增加",
    "效果",
    "情况",
    "东西",
    "地方",
    "方面",
    "这方面",
    "好",
    "更好",
    "不错",
    "可能",
    "应该",
    "必须",
    "一定",
    "主要是",
    "其实",
    "嫌",
    "弄丢",
    "丢",
    "坏",
    "用户",
    "我们厂",
    "贵司",
    "贵校",
    "课题组",
    "实验室",
    "研究",
    "开发",
    "研发",
    "合作开发",
];

/// Regions and large cities: a company's location is chat context, not part of its technical need.
const PLACES: &[&str] = &[
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "东莞",
    "佛山",
    "杭州",
    "宁波",
    "温州",
    "苏州",
    "无锡",
    "常州",
    "南京",
    "泰州",
    "南通",
    "合肥",
    "武汉",
    "长沙",
    "成都",
    "西安",
    "郑州",
    "济南",
    "青岛",
    "厦门",
    "福州",
    "沈阳",
    "大连",
    "哈尔滨",
    "长春",
    "石家庄",
    "唐山",
    "太原",
    "昆明",
    "贵阳",
    "南宁",
    "南昌",
    "兰州",
    "乌鲁木齐",
    "呼和浩特",
    "珠海",
    "中山",
    "惠州",
    "义乌",
    "金华",
    "绍兴",
    "嘉兴",
    "台州",
    "徐州",
    "扬州",
    "烟台",
    "潍坊",
    "临沂",
    "洛阳",
    "襄阳",
    "宜昌",
    "株洲",
    "柳州",
];

const NUMERAL_CHARS: &str = "0123456789零一二两三四五六七八九十百千万亿几来多余半";
const MEASURE_CHARS: &str = "个号人家条台年月天吨元块万亿级倍套辆间名位";

/// English function words and request phrasing, for needs written in English.
const ENGLISH_FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "we",
    "our",
    "us",
    "i",
    "my",
    "me",
    "you",
    "your",
    "to",
    "of",
    "for",
    "and",
    "or",
    "in",
    "on",
    "at",
    "by",
    "with",
    "from",
    "into",
    "is",
    "are",
    "be",
    "been",
    "was",
    "were",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "can",
    "could",
    "would",
    "should",
    "will",
    "want",
    "wants",
    "need",
    "needs",
    "looking",
    "look",
    "find",
    "search",
    "any",
    "some",
    "there",
    "hello",
    "hi",
    "dear",
    "please",
    "thanks",
    "thank",
    "how",
    "what",
    "which",
    "who",
    "why",
    "when",
    "where",
    "company",
    "factory",
    "small",
    "make",
    "makes",
    "making",
    "produce",
    "help",
    "technology",
    "technologies",
    "patent",
    "patents",
    "solution",
    "solutions",
    "university",
    "universities",
    "about",
    "also",
    "very",
    "more",
    "less",
    "not",
    "no",
    "but",
    "so",
    "if",
    "than",
    "then",
    "too",
    "get",
    "use",
    "using",
    "used",
    "like",
    "way",
    "ways",
    "new",
    "good",
    "better",
];

fn filler() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        FILLER
            .iter()
            .chain(PLACES)
            .chain(ENGLISH_FILLER)
            .copied()
            .collect()
    })
}

/// Quantities such as 五十万, 三十来号人, 12个: company size and budget, not the need.
fn is_quantity(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    NUMERAL_CHARS.contains(first)
        && word
            .chars()
            .all(|c| NUMERAL_CHARS.contains(c) || MEASURE_CHARS.contains(c) || c == '.')
        && word.chars().any(|c| !c.is_ascii_digit())
}

/// Whether a segmented word is kept as part of the need.
fn is_content(word: &str) -> bool {
    let has_text = word.chars().any(|c| is_cjk(c) || c.is_ascii_alphanumeric());
    has_text && !filler().contains(word) && !is_quantity(word)
}

/// Adds a query term; a term the user repeats matters more, up to a point.
fn add_term(weights: &mut Vec<(Term, f32)>, term: Term, w: f32) {
    match weights.iter_mut().find(|(t, _)| *t == term) {
        Some((_, existing)) => {
            *existing = (existing.max(w) + REPEAT_SHARE * w.min(*existing)).min(REPEAT_CAP)
        }
        None => weights.push((term, w)),
    }
}

/// Adds `(text, weight, origin)` as an alternative of the need's `phrase` (a synonym of a lay term, a
/// correction of an unknown word, the stem of a suffixed word).
fn add_alternative(
    query: &mut Query,
    weights: &mut Vec<(Term, f32)>,
    phrase: &str,
    (text, weight, origin): (String, f32, Origin),
) {
    let group = match query.alternatives.iter().position(|a| a == phrase) {
        Some(g) => g,
        None => {
            query.alternatives.push(phrase.to_owned());
            query.alternatives.len() - 1
        }
    };
    let terms = super::text::terms(&text);
    for t in &terms {
        add_term(weights, t.clone(), weight);
    }
    query.words.push(QueryWord {
        text,
        terms,
        weight,
        origin,
        stands_for: Some(group),
    });
}

/// Looks up whether the catalogue knows a term, to decide on typo corrections.
pub trait Vocabulary {
    /// Number of documents containing the term.
    fn df(&self, term: &Term) -> u32;
    /// Known words within one edit of `word` (same length, one character different), best first.
    fn near_misses(&self, word: &str) -> Vec<String>;
}

/// Segments and cleans queries. Building one loads jieba's dictionary (a fraction of a second): build
/// once and share.
pub struct Analyzer {
    jieba: jieba_rs::Jieba,
    synonyms: Synonyms,
}

impl Analyzer {
    pub fn new(synonyms: Synonyms) -> Self {
        Self {
            jieba: jieba_rs::Jieba::new(),
            synonyms,
        }
    }

    /// Teaches the segmenter the catalogue's own technical vocabulary (patent keywords), so that a need
    /// is cut into the words patents use ("铝塑膜", "膜电极") rather than into dictionary fragments.
    pub fn learn_words<'a>(&mut self, words: impl Iterator<Item = &'a str>) {
        for w in words {
            if w.chars().count() >= 2 && w.chars().all(is_cjk) && !self.jieba.has_word(w) {
                self.jieba.add_word(w, None, None);
            }
        }
    }

    pub fn synonyms(&self) -> &Synonyms {
        &self.synonyms
    }

    /// Analyses a raw need.
    pub fn analyze(&self, raw: &str, vocab: &dyn Vocabulary) -> Query {
        let text = normalize(raw);
        let segmented = self.jieba.tag(&text, true);
        let mut query = Query::default();
        // Runs of kept words; a removed word breaks the run, so no bigram spans the filler.
        let mut run: Vec<&str> = Vec::new();
        let mut runs: Vec<Vec<&str>> = Vec::new();
        // Words of the sentence after a request phrase ("想找一种…", "有没有…") name what the company is
        // looking for; the rest of a chatty need is context (the problem, the company, the budget).
        let mut sought: Vec<&str> = Vec::new();
        let mut in_request = false;
        for jieba_rs::Tag { word, tag } in segmented {
            if REQUEST_MARKERS.contains(&word) {
                in_request = true;
            } else if word.chars().all(|c| SENTENCE_ENDS.contains(c)) {
                in_request = false;
            }
            if is_content(word) {
                run.push(word);
                let mut chars = word.chars().map(fold);
                if let (Some(c), None) = (chars.next(), chars.next())
                    && is_cjk(c)
                    && !tag.starts_with(|t: char| FUNCTION_TAGS.contains(t))
                    && !NOT_TOPIC_CHARS.contains(c)
                    && !query.chars.iter().any(|(x, _)| *x == c)
                {
                    let boost = if in_request { SOUGHT_WEIGHT } else { 1.0 };
                    query.chars.push((c, boost));
                }
                if in_request {
                    sought.push(word);
                }
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        let mut weights: Vec<(Term, f32)> = Vec::new();
        let mut add = |term: Term, w: f32| add_term(&mut weights, term, w);
        for run in &runs {
            let mut prev: Option<(char, usize)> = None; // last CJK char and the word it belongs to
            for (wi, word) in run.iter().enumerate() {
                let mut latin = String::new();
                let mut word_terms = Vec::new();
                let boost = if sought.contains(word) {
                    SOUGHT_WEIGHT
                } else {
                    1.0
                };
                for c in word.chars().map(fold) {
                    if is_cjk(c) {
                        if let Some((p, pw)) = prev {
                            let t = Term::bigram(p, c);
                            if pw == wi {
                                word_terms.push(t.clone());
                                add(t, boost);
                            } else {
                                add(t, CROSS_WORD_WEIGHT);
                            }
                        }
                        prev = Some((c, wi));
                    } else {
                        prev = None;
                        if c.is_ascii_alphanumeric() {
                            latin.push(c);
                        }
                    }
                }
                if !latin.is_empty() {
                    let t = Term::Word(latin.clone());
                    add(t.clone(), boost);
                    query.words.push(QueryWord {
                        text: latin,
                        terms: vec![t],
                        weight: boost,
                        origin: Origin::User,
                        stands_for: None,
                    });
                } else if !word_terms.is_empty() && !query.words.iter().any(|w| w.text == *word) {
                    query.words.push(QueryWord {
                        text: word.to_string(),
                        terms: word_terms,
                        weight: boost,
                        origin: Origin::User,
                        stands_for: None,
                    });
                }
            }
            if !query.cleaned.is_empty() {
                query.cleaned.push(' ');
            }
            query.cleaned.push_str(&run.concat());
        }

        // Typo tolerance: a word of three or more characters that neither the dictionary nor the catalogue
        // knows gets the catalogue keywords one character away. Two-character words have too many neighbours.
        let unknown: Vec<QueryWord> = query
            .words
            .iter()
            .filter(|w| {
                w.text.chars().count() >= 3
                    && !self.jieba.has_word(&w.text)
                    && w.terms.iter().any(|t| vocab.df(t) == 0)
            })
            .cloned()
            .collect();
        for word in unknown {
            for fix in vocab.near_misses(&word.text).into_iter().take(2) {
                let alternative = (fix, FUZZY_WEIGHT, Origin::Fuzzy);
                add_alternative(&mut query, &mut weights, &word.text, alternative);
            }
        }

        // A word made of a stem and a generic suffix (膨胀剂, 干燥机, 冷凝器) is often written with another
        // suffix in patents (膨胀材料, 干燥装置): the stem alone stands in for the word.
        let stems: Vec<(String, String)> = query
            .words
            .iter()
            .filter(|w| w.origin == Origin::User)
            .filter_map(|w| {
                let mut chars: Vec<char> = w.text.chars().collect();
                let last = chars.pop()?;
                (chars.len() >= 2
                    && chars.iter().all(|c| is_cjk(*c))
                    && STEM_SUFFIXES.contains(last))
                .then(|| (w.text.clone(), chars.into_iter().collect()))
            })
            .collect();
        for (word, stem) in stems {
            if query.words.iter().any(|w| w.text == stem) {
                continue;
            }
            let alternative = (stem, STEM_WEIGHT, Origin::Synonym);
            add_alternative(&mut query, &mut weights, &word, alternative);
        }

        let mut replaced: Vec<Term> = Vec::new();
        for (lay, technical) in self.synonyms.expansions(&text) {
            if query.words.iter().any(|w| w.text == technical) {
                continue;
            }
            // A lay term the catalogue never uses (an English word, a colloquialism) is replaced by its
            // technical terms at full weight; one the catalogue also uses keeps priority over them.
            let lay_terms = super::text::terms(lay);
            let unknown = !lay_terms.is_empty() && lay_terms.iter().all(|t| vocab.df(t) == 0);
            let weight = if unknown { 1.0 } else { SYNONYM_WEIGHT };
            if unknown {
                replaced.extend(lay_terms);
            }
            let alternative = (technical.to_owned(), weight, Origin::Synonym);
            add_alternative(&mut query, &mut weights, lay, alternative);
        }
        weights.retain(|(t, _)| !replaced.contains(t));
        query
            .words
            .retain(|w| w.origin != Origin::User || !w.terms.iter().all(|t| replaced.contains(t)));
        query.terms = weights;
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Everything;
    impl Vocabulary for Everything {
        fn df(&self, _: &Term) -> u32 {
            1
        }
        fn near_misses(&self, _: &str) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn chat_filler_is_removed() {
        let a = Analyzer::new(Synonyms::default());
        let q = a.analyze(
            "您好，我们是河南一家做人造金刚石的小厂，三十来号人，预算五十万以内，想找提纯设备",
            &Everything,
        );
        let words: Vec<&str> = q.words.iter().map(|w| w.text.as_str()).collect();
        assert!(
            words.contains(&"金刚石") && words.contains(&"提纯"),
            "{words:?}"
        );
        for filler in ["您好", "我们", "河南", "预算", "五十万", "小厂"] {
            assert!(!q.cleaned.contains(filler), "{filler} in {}", q.cleaned);
        }
    }

    #[test]
    fn the_sought_thing_weighs_more_than_the_context() {
        let a = Analyzer::new(Synonyms::default());
        let q = a.analyze(
            "混凝土收缩老开裂，想找一种膨胀剂，不会牺牲强度。工期很紧",
            &Everything,
        );
        let weight = |text: &str| q.words.iter().find(|w| w.text == text).map(|w| w.weight);
        assert_eq!(weight("膨胀剂"), Some(SOUGHT_WEIGHT), "{:?}", q.words);
        assert_eq!(weight("强度"), Some(SOUGHT_WEIGHT), "the sentence goes on");
        assert_eq!(weight("混凝土"), Some(1.0));
        assert_eq!(weight("工期"), Some(1.0), "the sentence ended");
    }

    #[test]
    fn one_character_nouns_are_kept_and_function_words_are_not() {
        let a = Analyzer::new(Synonyms::default());
        let q = a.analyze("智能门锁的门被风一吹就关上了，开门时", &Everything);
        let chars: String = q.chars.iter().map(|(c, _)| *c).collect();
        assert!(chars.contains('门') && chars.contains('风'), "{chars}");
        for function_word in ['被', '就', '了', '的', '一', '时'] {
            assert!(!chars.contains(function_word), "{chars}");
        }
    }

    #[test]
    fn a_generic_suffix_leaves_its_stem_as_an_alternative() {
        let a = Analyzer::new(Synonyms::default());
        let q = a.analyze("膨胀剂和微生物", &Everything);
        let stem = q.words.iter().find(|w| w.text == "膨胀").expect("stem");
        assert_eq!(stem.origin, Origin::Synonym);
        assert_eq!(
            stem.stands_for.map(|g| q.alternatives[g].as_str()),
            Some("膨胀剂")
        );
        assert!(!q.words.iter().any(|w| w.text == "微生"), "物 is no suffix");
    }

    #[test]
    fn latin_abbreviations_and_synonyms() {
        let syn = Synonyms::parse("s", "[terms]\n\"PLC\" = [\"可编程控制器\"]\n").unwrap();
        let a = Analyzer::new(syn);
        let q = a.analyze("ＰＬＣ控制的AGV小车", &Everything);
        let words: Vec<(&str, Origin)> = q
            .words
            .iter()
            .map(|w| (w.text.as_str(), w.origin))
            .collect();
        assert!(
            words.contains(&("plc", Origin::User)) && words.contains(&("agv", Origin::User)),
            "{words:?}"
        );
        assert!(
            words.contains(&("可编程控制器", Origin::Synonym)),
            "{words:?}"
        );
    }

    #[test]
    fn quantities() {
        assert!(is_quantity("五十万") && is_quantity("三十来号") && is_quantity("12个"));
        assert!(!is_quantity("3d") && !is_quantity("十字") && !is_quantity("2019"));
    }
}
