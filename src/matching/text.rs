//! Text normalisation and tokenisation shared by documents and queries: full-width to half-width, case
//! folding, traditional to simplified characters, Chinese as character bigrams, Latin words and numbers as words.

/// True for the CJK ideographs that carry meaning in Chinese patent text.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

/// Folds one character: full-width ASCII to ASCII, ideographic space to space, ASCII to lower case, a
/// traditional-only Chinese character to its simplified form ([`super::variants`]). A per-character fold
/// (rather than full NFKC or a word-by-word conversion) keeps indexing a million abstracts fast and keeps
/// character offsets aligned with the original text, so snippets can be cut from it.
pub fn fold(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0)
            .unwrap_or(c)
            .to_ascii_lowercase(),
        '\u{3000}' => ' ',
        _ if c.is_ascii() => c.to_ascii_lowercase(),
        _ => super::variants::simplified(c),
    }
}

/// Folds a whole string.
pub fn normalize(text: &str) -> String {
    text.chars().map(fold).collect()
}

/// A term as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// Two consecutive CJK characters, or one character standing alone between non-CJK characters.
    Cjk(u64),
    /// A run of ASCII letters and digits, folded to lower case (`plc`, `3d`, `r32`).
    Word(String),
}

impl Term {
    pub fn bigram(a: char, b: char) -> Term {
        Term::Cjk(((a as u64) << 32) | b as u64)
    }

    pub fn unigram(a: char) -> Term {
        Term::Cjk((a as u64) << 32)
    }

    /// The text the term stands for, for explanations.
    pub fn text(&self) -> String {
        match self {
            Term::Cjk(packed) => {
                let a = char::from_u32((packed >> 32) as u32).unwrap_or('?');
                match packed & 0xffff_ffff {
                    0 => a.to_string(),
                    b => format!("{a}{}", char::from_u32(b as u32).unwrap_or('?')),
                }
            }
            Term::Word(w) => w.clone(),
        }
    }
}

/// Calls `emit` for every term of `text`, in order. Allocation-free for CJK terms.
pub fn for_each_term(text: &str, mut emit: impl FnMut(Term)) {
    let mut prev_cjk: Option<char> = None;
    let mut run_len = 0usize;
    let mut word = String::new();
    let flush_word = |word: &mut String, emit: &mut dyn FnMut(Term)| {
        if !word.is_empty() {
            emit(Term::Word(std::mem::take(word)));
        }
    };
    for c in text.chars().map(fold) {
        if is_cjk(c) {
            flush_word(&mut word, &mut emit);
            if let Some(p) = prev_cjk {
                emit(Term::bigram(p, c));
            }
            prev_cjk = Some(c);
            run_len += 1;
            continue;
        }
        if run_len == 1
            && let Some(p) = prev_cjk
        {
            emit(Term::unigram(p));
        }
        prev_cjk = None;
        run_len = 0;
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush_word(&mut word, &mut emit);
        }
    }
    if run_len == 1
        && let Some(p) = prev_cjk
    {
        emit(Term::unigram(p));
    }
    flush_word(&mut word, &mut emit);
}

/// All terms of `text`, in order.
pub fn terms(text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        terms(s).iter().map(Term::text).collect()
    }

    #[test]
    fn mixed_chinese_and_latin() {
        assert_eq!(texts("PEM电解水"), ["pem", "电解", "解水"]);
        assert_eq!(
            texts("３Ｄ打印用钛粉"),
            ["3d", "打印", "印用", "用钛", "钛粉"]
        );
        assert_eq!(texts("SAPO-34分子筛"), ["sapo", "34", "分子", "子筛"]);
        assert_eq!(texts("用R32冷媒"), ["用", "r32", "冷媒"]);
        assert_eq!(texts("PLC，AGV与LED"), ["plc", "agv", "与", "led"]);
    }

    #[test]
    fn folding_keeps_offsets() {
        assert_eq!(normalize("ＡＢＣ　ｘ"), "abc x");
        assert_eq!(normalize("电池Ａ").chars().count(), 3);
    }
}
