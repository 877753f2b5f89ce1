//! Turning an enterprise's free-text need into weighted query terms: normalisation, word segmentation
//! (jieba), removal of chat filler, lay-term expansion from the synonyms list, and typo tolerance against
//! the catalogue's own vocabulary.

use super::dictionary::Dictionary;
use super::expand;
use super::filler::{filler, is_content};
use super::synonyms::Synonyms;
use super::text::{Term, fold, is_cjk, normalize};

mod keyness;
mod words;
use words::{add_stems, own_words, split_unknown_pairs};

/// Weight of terms added from the synonyms list, relative to the user's own words.
const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a homophone correction of a character pair the catalogue does not know.
const FUZZY_WEIGHT: f32 = 0.6;
/// A term the user writes again adds this share of its weight, up to REPEAT_CAP: what a company
/// repeats ("背带…背带扣…背带锁扣") is what it is about (0.4 to 1 on the development set: the same; 0.25,
/// the earlier value, and less were worse).
const REPEAT_SHARE: f32 = 0.5;
const REPEAT_CAP: f32 = 1.5;
/// Part-of-speech tags (jieba) of one-character words that carry no topic: position words, adverbs,
/// prepositions, conjunctions, particles, pronouns, adjectives, interjections, onomatopoeia, modal
/// particles, numerals (上, 不, 把, 和, 的, 这, 大, 啊, 吗, 三).
const FUNCTION_TAGS: &str = "fdpcuraeoym";
/// One-character words jieba tags as nouns, verbs or measure words that still carry no topic (…的时候,
/// 一次, 可: development set unchanged without 可, which matched nearly every abstract's 可以).
const NOT_TOPIC_CHARS: &str = "时个次种些样可";

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
    /// The Chinese for an English word or phrase of the need.
    Translated,
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
    /// Characters of [`Query::chars`] that come from splitting a word the catalogue never uses (木 and 屋
    /// of 木屋): they rank, but are not listed as matched words, so they neither explain a result nor
    /// count towards a good match.
    pub fragments: Vec<char>,
    /// Phrases of the need (a lay term, an unknown word, a suffixed word) that synonyms, corrections or
    /// stems stand in for. Ranking counts a phrase as one idea, not the sum of its alternatives: saying
    /// "cracking" three ways is not three matches.
    pub alternatives: Vec<String>,
    /// English phrases of the need and the Chinese words each became, to show the user.
    pub translations: Vec<(String, Vec<String>)>,
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
    /// Number of documents listing the term in their keywords.
    fn keyword_df(&self, term: &Term) -> u32;
}

/// Segments and cleans queries. Building one loads jieba's dictionary (a fraction of a second): build
/// once and share.
pub struct Analyzer {
    jieba: jieba_rs::Jieba,
    synonyms: Synonyms,
    dictionary: &'static Dictionary,
    /// Switches for the dictionary's mechanisms (on by default), so that evaluation and tests can measure
    /// each one's contribution.
    homophones: bool,
    translation: bool,
    pinyin: bool,
    fragments: bool,
    parts: bool,
    keyness: bool,
}

impl Analyzer {
    pub fn new(synonyms: Synonyms) -> Self {
        Self {
            jieba: jieba_rs::Jieba::new(),
            synonyms,
            dictionary: super::dictionary::shared(),
            homophones: true,
            translation: true,
            pinyin: true,
            fragments: true,
            parts: true,
            keyness: true,
        }
    }

    /// Turns homophone typo correction on or off.
    pub fn with_homophones(mut self, on: bool) -> Self {
        self.homophones = on;
        self
    }

    /// Turns reading Latin words as pinyin (求jishu → 技术) on or off.
    pub fn with_pinyin(mut self, on: bool) -> Self {
        self.pinyin = on;
        self
    }

    /// Turns scoring unknown two-character words by their characters on or off.
    pub fn with_fragments(mut self, on: bool) -> Self {
        self.fragments = on;
        self
    }

    /// Turns standing in for unknown compounds by their parts on or off.
    pub fn with_parts(mut self, on: bool) -> Self {
        self.parts = on;
        self
    }

    /// Turns weighing the need's words by how often patents list them as keywords on or off.
    pub fn with_keyness(mut self, on: bool) -> Self {
        self.keyness = on;
        self
    }

    /// Turns the translation of English words on or off.
    pub fn with_translation(mut self, on: bool) -> Self {
        self.translation = on;
        self
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

    /// Analyses a raw need: segmentation and the need's own words, then the alternatives that stand in
    /// for its phrases (typo corrections, stems, the synonyms list, the general dictionary).
    pub fn analyze(&self, raw: &str, vocab: &dyn Vocabulary) -> Query {
        let text = normalize(raw);
        let mut query = Query::default();
        let (runs, sought) = self.segment(&text, &mut query);
        let mut weights: Vec<(Term, f32)> = Vec::new();
        let is_word = |a: char, b: char| self.dictionary.contains(&format!("{a}{b}"));
        let pairs = own_words(&runs, &sought, &is_word, &mut query, &mut weights);
        let df = |t: &Term| vocab.df(t);
        self.correct_typos(&pairs, vocab, &mut query, &mut weights);
        if self.fragments {
            split_unknown_pairs(&mut query, vocab);
        }
        add_stems(&mut query, &mut weights);
        if self.parts {
            self.add_parts(&mut query, &mut weights, vocab);
        }
        // The synonyms list is scanned once: its entries expand here, and its English words are not
        // translated again by the dictionary, unless inside a longer dictionary phrase, which then takes
        // the entry's place ("steam engine" is 蒸汽机, not a steam 发动机).
        let listed: Vec<(&str, &str)> = self.synonyms.expansions(&text).collect();
        let found = if self.translation {
            let lay: Vec<&str> = listed.iter().map(|(lay, _)| *lay).collect();
            self.translations(&text, &lay, &df)
        } else {
            Vec::new()
        };
        let in_phrase = |lay: &str| {
            found
                .iter()
                .any(|(phrase, _)| phrase.contains(' ') && phrase.split(' ').any(|e| e == lay))
        };
        let listed: Vec<(&str, &str)> = listed
            .into_iter()
            .filter(|(lay, _)| !in_phrase(lay))
            .collect();
        let mut replaced = Self::listed_synonyms(&listed, vocab, &mut query, &mut weights);
        replaced.extend(add_translations(found, &mut query, &mut weights));
        weights.retain(|(t, _)| !replaced.contains(t));
        query
            .words
            .retain(|w| w.origin != Origin::User || !w.terms.iter().all(|t| replaced.contains(t)));
        query.terms = weights;
        if self.keyness {
            keyness::weigh(&mut query, vocab);
        }
        query
    }

    /// Segments the need into runs of kept words (a removed word breaks the run, so no bigram spans the
    /// filler) and collects its one-character nouns; returns the runs and the words naming what is sought.
    fn segment<'t>(
        &'t self,
        text: &'t str,
        query: &mut Query,
    ) -> (Vec<Vec<&'t str>>, Vec<&'t str>) {
        let mut run: Vec<&str> = Vec::new();
        let mut runs: Vec<Vec<&str>> = Vec::new();
        // Words of the sentence after a request phrase ("想找一种…", "有没有…") name what the company is
        // looking for; the rest of a chatty need is context (the problem, the company, the budget).
        let mut sought: Vec<&str> = Vec::new();
        let mut in_request = false;
        // No HMM guesses of unknown words: it glues characters into non-words (点膜防 in 量子点膜防水汽),
        // whose whole-word bonus never matches; dictionary words and single characters keep the bigrams
        // (development set: 0.683 / 0.745 nDCG on the odd / even halves with HMM, 0.689 / 0.766 without).
        for jieba_rs::Tag { word, tag } in self.jieba.tag(text, false) {
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
        (runs, sought)
    }

    /// Typo tolerance: a pair of characters no patent contains gets the catalogue word one homophone
    /// away (赛子 → 塞子, 均云 → 均匀: phones type by pinyin, so wrong characters sound right). (A look-up
    /// of unknown words of three or more characters among the keywords one character away was removed:
    /// since jieba runs without HMM guesses, no Chinese word of that kind reaches it, and on the 234
    /// development and unservable needs it found nothing for any Latin word.)
    fn correct_typos(
        &self,
        pairs: &[(char, char)],
        vocab: &dyn Vocabulary,
        query: &mut Query,
        weights: &mut Vec<(Term, f32)>,
    ) {
        if !self.homophones {
            return;
        }
        let df = |t: &Term| vocab.df(t);
        let is_word = |w: &str| self.is_word(w);
        for (typed, fix) in expand::homophone_fixes(pairs, self.dictionary, &df, &is_word) {
            add_alternative(query, weights, &typed, (fix, FUZZY_WEIGHT, Origin::Fuzzy));
        }
    }

    /// A word of jieba's dictionary or of CC-CEDICT: what a correction or a compound's part must be.
    fn is_word(&self, w: &str) -> bool {
        self.jieba.has_word(w) || self.dictionary.contains(w)
    }

    /// A noun of three or more characters that no patent contains (广角镜头, 尼龙管) is said by patents
    /// in its parts ([`expand::compound_parts`]: 镜头, 尼龙): they stand in for it as one idea, at its
    /// weight, so a patent saying 镜头 earns a whole-word bonus. Nouns only: the parts of colloquial verbs
    /// and idioms are noise (扛不住 → 不住, 时好时坏 → 好时). Development set, nDCG@10 odd / even:
    /// 0.720 / 0.775 without; at 0.9, 1.0, 1.2 of the word's weight 0.723 / 0.781 to 0.782; at 1.4
    /// 0.718 / 0.781; for words of any part of speech at 1.0, 0.722 / 0.780 (chatty needs lower).
    fn add_parts(&self, query: &mut Query, weights: &mut Vec<(Term, f32)>, vocab: &dyn Vocabulary) {
        let is_noun =
            |w: &str| matches!(&self.jieba.tag(w, false)[..], [t] if t.tag.starts_with('n'));
        let compounds: Vec<(String, f32)> = query
            .words
            .iter()
            .filter(|w| w.origin == Origin::User && w.text.chars().count() >= 3)
            .filter(|w| w.text.chars().all(is_cjk) && w.terms.iter().any(|t| vocab.df(t) == 0))
            .filter(|w| !query.alternatives.contains(&w.text) && is_noun(&w.text))
            .map(|w| (w.text.clone(), w.weight))
            .collect();
        let df = |t: &Term| vocab.df(t);
        let is_word = |w: &str| self.is_word(w);
        for (word, weight) in compounds {
            for part in expand::compound_parts(&word, &df, &is_word) {
                if !query.words.iter().any(|w| w.text == part) {
                    add_alternative(query, weights, &word, (part, weight, Origin::Synonym));
                }
            }
        }
    }

    /// Lay terms of the admin's synonyms list. A lay term the catalogue never uses (an English word, a
    /// colloquialism) is replaced by its technical terms at full weight; one the catalogue also uses keeps
    /// priority over them. Returns the replaced terms.
    fn listed_synonyms(
        listed: &[(&str, &str)],
        vocab: &dyn Vocabulary,
        query: &mut Query,
        weights: &mut Vec<(Term, f32)>,
    ) -> Vec<Term> {
        let mut replaced: Vec<Term> = Vec::new();
        for &(lay, technical) in listed {
            if query.words.iter().any(|w| w.text == technical) {
                continue;
            }
            let lay_terms = super::text::terms(lay);
            let unknown = !lay_terms.is_empty() && lay_terms.iter().all(|t| vocab.df(t) == 0);
            let weight = if unknown { 1.0 } else { SYNONYM_WEIGHT };
            if unknown {
                replaced.extend(lay_terms);
                // An English word of the list is a translation: shown to the user like the dictionary's.
                if lay.chars().all(|c| c.is_ascii_alphabetic()) {
                    match query.translations.iter_mut().find(|(en, _)| en == lay) {
                        Some((_, zh)) => zh.push(technical.to_owned()),
                        None => query
                            .translations
                            .push((lay.to_owned(), vec![technical.to_owned()])),
                    }
                }
            }
            let alternative = (technical.to_owned(), weight, Origin::Synonym);
            add_alternative(query, weights, lay, alternative);
        }
        replaced
    }

    /// English words the catalogue does not use, each with the Chinese words of its dictionary sense
    /// (longest phrase first), or, when no sense takes it, of its reading as pinyin. Single words the
    /// synonyms list expands (`listed`) are left to the list.
    fn translations(
        &self,
        text: &str,
        listed: &[&str],
        df: expand::Df,
    ) -> Vec<(String, Vec<String>)> {
        let stop = |w: &str| filler().contains(w);
        let runs = expand::english_runs(text, &stop);
        let keep = |w: &str| df(&Term::Word(w.to_owned())) > 0;
        // A word of a listed phrase ("driver" of "driver board") is the list's too, not translated alone.
        let is_listed = |w: &str| listed.iter().any(|l| l.split(' ').any(|p| p == w));
        let mut found = expand::translate(&runs, self.dictionary, df, &keep, &is_listed);
        if self.pinyin {
            // A word no English sense took may be Chinese typed in pinyin (有yixiang, 求jishu).
            let translated: Vec<&str> = found.iter().flat_map(|(p, _)| p.split(' ')).collect();
            let pinyin: Vec<(String, Vec<String>)> = runs
                .iter()
                .flatten()
                .filter(|w| !translated.contains(&w.as_str()) && !keep(w) && !is_listed(w))
                .filter_map(|w| {
                    let words = expand::pinyin_words(w, self.dictionary, df);
                    (!words.is_empty()).then(|| (w.clone(), words))
                })
                .collect();
            found.extend(pinyin);
        }
        found
    }
}

/// The translations become alternatives of their English phrase, at full weight (an English need has
/// nothing else to match), and are kept for the reply. Returns the English terms replaced.
fn add_translations(
    found: Vec<(String, Vec<String>)>,
    query: &mut Query,
    weights: &mut Vec<(Term, f32)>,
) -> Vec<Term> {
    let mut replaced = Vec::new();
    for (phrase, words) in found {
        replaced.extend(
            phrase
                .split(' ')
                .map(|english| Term::Word(english.to_owned())),
        );
        for w in &words {
            add_alternative(
                query,
                weights,
                &phrase,
                (w.clone(), 1.0, Origin::Translated),
            );
        }
        query.translations.push((phrase, words));
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::words::{CROSS_WORD_WEIGHT, SPLIT_WORD_WEIGHT};
    use super::*;

    struct Everything;
    impl Vocabulary for Everything {
        fn df(&self, _: &Term) -> u32 {
            1
        }
        fn keyword_df(&self, _: &Term) -> u32 {
            1
        }
    }

    #[test]
    fn a_word_the_segmenter_cut_across_keeps_most_of_its_weight() {
        let a = Analyzer::new(Synonyms::default());
        let q = a.analyze("沙发布无卤阻燃", &Everything);
        let weight = |pair: &str| {
            let mut c = pair.chars();
            let t = Term::bigram(c.next().unwrap(), c.next().unwrap());
            q.terms.iter().find(|(x, _)| *x == t).map(|(_, w)| *w)
        };
        // Segmented 沙 | 发布: 沙发 spans two words but is one, beside a one-character word.
        assert!(q.words.iter().any(|w| w.text == "发布"), "{:?}", q.words);
        assert_eq!(weight("沙发"), Some(SPLIT_WORD_WEIGHT));
        // 布无 spans two words and is no word.
        assert_eq!(weight("布无"), Some(CROSS_WORD_WEIGHT));
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
        let q = a.analyze("智能门锁的门被风一吹就关上了，开门时，可锁", &Everything);
        let chars: String = q.chars.iter().map(|(c, _)| *c).collect();
        assert!(chars.contains('门') && chars.contains('风'), "{chars}");
        // 可 ("can", and a phone typo for 壳) matched almost every abstract.
        for function_word in ['被', '就', '了', '的', '一', '时', '可'] {
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
}
