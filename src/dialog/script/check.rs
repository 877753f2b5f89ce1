//! Where problems are collected (file and line) and the checks every text gets: parsing TOML,
//! placeholders, languages, length.

use super::{ScriptError, Texts};
use regex::Regex;
use std::collections::BTreeSet;

pub(in crate::dialog) struct Ctx<'a> {
    pub(in crate::dialog) file: String,
    pub(in crate::dialog) text: &'a str,
    pub(in crate::dialog) errors: Vec<ScriptError>,
}

impl Ctx<'_> {
    pub(super) fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
    pub(in crate::dialog) fn err(
        &mut self,
        span: std::ops::Range<usize>,
        problem: impl Into<String>,
    ) {
        let line = self.line(span.start);
        self.errors.push(ScriptError {
            file: self.file.clone(),
            line,
            problem: problem.into(),
        });
    }
}

pub(in crate::dialog) fn parse_toml<T: serde::de::DeserializeOwned>(
    ctx: &mut Ctx<'_>,
) -> Option<T> {
    match toml::from_str::<T>(ctx.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            ctx.err(span, e.message().trim().to_owned());
            None
        }
    }
}

pub(in crate::dialog) fn placeholders(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}").expect("valid placeholder pattern")
    });
    re.captures_iter(text).map(|c| c[1].to_owned()).collect()
}

/// A text must fit in one chat message (Telegram's limit, the smallest of the channels): a longer one
/// would be split into a flood of messages on every visit.
const MAX_SCRIPT_TEXT_CHARS: usize = 4096;

/// Checks that `texts` has every language, fits one message and uses only known placeholders.
pub(in crate::dialog) fn check_texts(
    ctx: &mut Ctx<'_>,
    span: std::ops::Range<usize>,
    what: &str,
    texts: &Texts,
    languages: &[String],
    allowed: &BTreeSet<String>,
) {
    for lang in languages {
        match texts.get(lang) {
            None => ctx.err(span.clone(), format!("{what} has no `{lang}` text")),
            Some(t) if t.trim().is_empty() => {
                ctx.err(span.clone(), format!("{what} has an empty `{lang}` text"))
            }
            Some(t) if t.chars().count() > MAX_SCRIPT_TEXT_CHARS => ctx.err(
                span.clone(),
                format!(
                    "{what} ({lang}) has {} characters, more than one message holds ({MAX_SCRIPT_TEXT_CHARS})",
                    t.chars().count()
                ),
            ),
            Some(t) => {
                for p in placeholders(t) {
                    if !allowed.contains(&p) {
                        let known = allowed
                            .iter()
                            .map(|a| format!("{{{a}}}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        ctx.err(span.clone(), format!("{what} ({lang}) uses placeholder {{{p}}}, which this step does not provide (available: {known})"));
                    }
                }
            }
        }
    }
    for lang in texts.keys() {
        if !languages.contains(lang) {
            ctx.err(
                span.clone(),
                format!("{what} has text in `{lang}`, which is not a configured language"),
            );
        }
    }
}
