//! The admin-editable list that maps lay terms and English abbreviations to the technical terms patents
//! use (`dialogs/synonyms.toml`). Loaded and validated with line numbers; a bad file never replaces a good one.

use std::collections::BTreeMap;
use std::path::Path;

/// One problem in a synonyms file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct SynonymError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

/// Lay term (normalised) → technical terms.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    entries: Vec<(String, Vec<String>)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    terms: BTreeMap<toml::Spanned<String>, toml::Spanned<Vec<String>>>,
}

const MAX_TERM_CHARS: usize = 30;

impl Synonyms {
    /// Parses a synonyms file; every problem is reported with its line.
    pub fn parse(name: &str, text: &str) -> Result<Self, Vec<SynonymError>> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let err = |line: usize, problem: String| SynonymError {
            file: name.to_owned(),
            line,
            problem,
        };
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(s.start)).unwrap_or(1);
            vec![err(line, e.message().to_owned())]
        })?;
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        for (lay, technical) in file.terms {
            let line = line_of(lay.span().start);
            let lay_text = super::text::normalize(lay.get_ref().trim());
            if lay_text.is_empty() || lay_text.chars().count() > MAX_TERM_CHARS {
                errors.push(err(
                    line,
                    format!("lay term must have 1 to {MAX_TERM_CHARS} characters"),
                ));
                continue;
            }
            let list = technical.into_inner();
            if list.is_empty() {
                errors.push(err(line, format!("`{lay_text}` has no technical terms")));
                continue;
            }
            let mut terms = Vec::new();
            for t in list {
                let t = super::text::normalize(t.trim());
                if t.is_empty() || t.chars().count() > MAX_TERM_CHARS {
                    errors.push(err(line, format!("a technical term of `{lay_text}` is empty or longer than {MAX_TERM_CHARS} characters")));
                } else if t == lay_text {
                    errors.push(err(line, format!("`{lay_text}` lists itself")));
                } else {
                    terms.push(t);
                }
            }
            entries.push((lay_text, terms));
        }
        if errors.is_empty() {
            Ok(Self { entries })
        } else {
            Err(errors)
        }
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self, Vec<SynonymError>> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![SynonymError {
                file: name.clone(),
                line: 0,
                problem: format!("cannot read: {e}"),
            }]
        })?;
        Self::parse(&name, &text)
    }

    /// Technical terms for every lay term that occurs in the (normalised) query, with the lay term.
    pub fn expansions<'a>(
        &'a self,
        normalized_query: &str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let query = normalized_query.to_owned();
        self.entries
            .iter()
            .filter(move |(lay, _)| contains_term(&query, lay))
            .flat_map(|(lay, terms)| terms.iter().map(move |t| (lay.as_str(), t.as_str())))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Substring match, except that a Latin abbreviation must stand alone (`led` not inside `ledger`).
fn contains_term(text: &str, term: &str) -> bool {
    if !term.chars().all(|c| c.is_ascii_alphanumeric()) {
        return text.contains(term);
    }
    text.match_indices(term).any(|(i, m)| {
        let before = text[..i].chars().next_back();
        let after = text[i + m.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_expands() {
        let s = Synonyms::parse(
            "s.toml",
            "[terms]\n\"PLC\" = [\"可编程逻辑控制器\"]\n\"塑料袋\" = [\"聚乙烯薄膜\"]\n",
        )
        .unwrap();
        let found: Vec<_> = s.expansions("想用plc控制").collect();
        assert_eq!(found, [("plc", "可编程逻辑控制器")]);
        assert_eq!(s.expansions("applciation").count(), 0);
    }

    #[test]
    fn errors_carry_lines() {
        let errs = Synonyms::parse("s.toml", "[terms]\n\"a\" = [\"b\"]\n\"c\" = []\n").unwrap_err();
        assert_eq!(errs[0].to_string(), "s.toml:3: `c` has no technical terms");
        let errs =
            Synonyms::parse("s.toml", "[terms]\n\"x\" = [\"y\"]\n\"a\" = [1]\n").unwrap_err();
        assert_eq!(errs[0].line, 3, "{errs:?}");
        let errs = Synonyms::parse("s.toml", "[terms]\n\"a\" = [\"b\"]\n[extra]\n").unwrap_err();
        assert!(errs[0].problem.contains("extra"), "{errs:?}");
    }
}
