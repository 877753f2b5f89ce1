//! Dialog scripts: the TOML files in `dialogs/` that say what the bot says and asks. Parsing keeps line
//! numbers so that every problem is reported as `FILE:LINE: problem`; a set with any problem is refused
//! as a whole, so a bad edit never replaces a good script.

use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use toml::Spanned;

mod check;
mod keys;
mod load;
mod steps;

pub(super) use check::{Ctx, check_texts, parse_toml, placeholders};
use keys::BOT_PLACEHOLDERS;
pub use keys::REQUIRED_TEXTS;
use steps::build_dialog;

/// The file holding languages and the engine's own texts.
pub const BOT_FILE: &str = "bot.toml";
/// The lay-term list beside the scripts (read by matching, not by the engine).
pub const SYNONYMS_FILE: &str = "synonyms.toml";
/// Files in the folder that are not dialogs.
const NOT_DIALOGS: &[&str] = &[BOT_FILE, SYNONYMS_FILE, super::web_texts::FILE];

/// Whether a file of the scripts folder holds a dialog (every `.toml` but the bot file, synonyms and the web console's texts).
pub fn is_dialog_file(name: &str) -> bool {
    name.ends_with(".toml") && !NOT_DIALOGS.contains(&name)
}

/// One problem in a script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct ScriptError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

/// Texts by language code.
pub type Texts = BTreeMap<String, String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BotFile {
    languages: Spanned<Vec<String>>,
    default_language: Spanned<String>,
    start_dialog: Spanned<String>,
    max_text_chars: Spanned<usize>,
    texts: BTreeMap<Spanned<String>, Spanned<Texts>>,
}

/// Validation of a free-text answer.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Validate {
    #[serde(default)]
    pub min_len: Option<usize>,
    #[serde(default)]
    pub max_len: Option<usize>,
    /// A regular expression the whole answer must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// The answer must be a number within these bounds.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// The answer is an amount in 万元: "30", "30万", "30 万元", "二三十万" (the upper end) and a sum in
    /// yuan ("300000", "300000元") are all understood and stored as 万元.
    #[serde(default)]
    pub amount_wan: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceFile {
    value: Spanned<String>,
    label: Spanned<Texts>,
    next: Spanned<String>,
    /// Offered only when one of these slots holds a value other than "any".
    #[serde(default)]
    if_set: Vec<String>,
}

/// Choices taken from the catalogue at the time of asking (`list = "regions"`), each going to `next`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoicesFromFile {
    list: Spanned<String>,
    next: Spanned<String>,
}

/// The lists of the catalogue a choices step may offer (`choices_from`).
pub const CATALOGUE_LISTS: &[&str] = &["regions"];

/// Choices from a catalogue list: one per entry, labelled with the entry itself unless a scripted
/// choice of the same value gives it words; scripted choices whose value the list lacks are dropped
/// (except `any`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChoicesFrom {
    pub list: String,
    pub next: String,
}

/// Where a typed answer goes on a choices step when it is none of the choices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedFile {
    slot: Spanned<String>,
    next: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: Spanned<String>,
    #[serde(default)]
    say: Option<Spanned<Texts>>,
    #[serde(default)]
    ask: Option<Spanned<String>>,
    #[serde(default)]
    prompt: Option<Spanned<Texts>>,
    #[serde(default)]
    reprompt: Option<Spanned<Texts>>,
    #[serde(default)]
    validate: Option<Spanned<Validate>>,
    #[serde(default)]
    skippable: bool,
    #[serde(default)]
    choices: Option<Spanned<Vec<ChoiceFile>>>,
    #[serde(default)]
    slot: Option<Spanned<String>>,
    #[serde(default)]
    action: Option<Spanned<String>>,
    #[serde(default)]
    results: Option<Spanned<bool>>,
    #[serde(default)]
    on: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    #[serde(default)]
    next: Option<Spanned<String>>,
    #[serde(default)]
    typed: Option<TypedFile>,
    #[serde(default)]
    choices_from: Option<ChoicesFromFile>,
    #[serde(default)]
    back: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DialogFile {
    id: Spanned<String>,
    start: Spanned<String>,
    step: Vec<StepFile>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Say a text and go on.
    Say { text: Texts, next: Option<String> },
    /// Ask for a free-text slot.
    Ask {
        slot: String,
        prompt: Texts,
        reprompt: Texts,
        validate: Validate,
        pattern: Option<Regex>,
        skippable: bool,
        next: String,
    },
    /// Offer buttons; the chosen value goes into `slot` when given. A typed answer that is none of the
    /// choices goes into `typed.0` and on to step `typed.1`, when set.
    Choose {
        prompt: Texts,
        slot: Option<String>,
        choices: Vec<Choice>,
        typed: Option<(String, String)>,
        from: Option<ChoicesFrom>,
    },
    /// Run a named action implemented in Rust; its outcome picks the next step.
    Action {
        name: Action,
        on: BTreeMap<String, String>,
    },
    /// Show the current results page with paging, details and refine buttons.
    Results {
        prompt: Texts,
        on: BTreeMap<String, String>,
    },
}

/// A button of a choice step.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: Texts,
    pub next: String,
    /// Offered only when one of these slots holds a value other than "any" (empty: always).
    pub if_set: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    /// Where a back word ("返回", "back") typed at this step goes (`back = "step"`): out of a form
    /// without sending it. Without it, back words are ordinary text.
    pub back: Option<String>,
}

impl Step {
    /// The slot the step fills: what it asks for, or where its choice goes.
    pub fn slot(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Ask { slot, .. } => Some(slot),
            StepKind::Choose { slot, .. } => slot.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dialog {
    pub id: String,
    pub start: String,
    pub steps: BTreeMap<String, Step>,
}

/// The actions implemented in Rust: one typed list, which the application runs and this validator reads.
pub use crate::app::route::Action;

/// The action the runtime enters when a result's "enquire" button is pressed.
pub const ENQUIRY_ENTRY: Action = Action::PrepareEnquiry;
/// The action the runtime enters when a result's "take the open licence" button is pressed.
pub const DECLARATION_ENTRY: Action = Action::PrepareDeclaration;

/// Outcomes a results step may route.
pub const RESULT_OUTCOMES: &[&str] = &["refine", "restart"];
/// Outcomes a results step may route besides those: `filters` adds a "change filters" button, `post` a
/// "post my need to the board" button (for weak results).
pub const RESULT_OPTIONAL_OUTCOMES: &[&str] = &["filters", "post"];

/// Placeholders every text may use.
pub(super) const GLOBAL_PLACEHOLDERS: &[&str] = &["lang"];
/// A whole validated set of scripts.
#[derive(Debug, Clone)]
pub struct ScriptSet {
    pub languages: Vec<String>,
    pub default_language: String,
    pub start_dialog: String,
    pub max_text_chars: usize,
    pub texts: BTreeMap<String, Texts>,
    pub dialogs: BTreeMap<String, Dialog>,
    /// Changes whenever the content changes; stored with each conversation.
    pub version: u64,
}

impl ScriptSet {
    /// Parses and validates a set from texts (bot file, then each dialog file with its name).
    pub fn parse(
        bot_name: &str,
        bot_text: &str,
        dialog_files: &[(String, String)],
    ) -> Result<ScriptSet, Vec<ScriptError>> {
        let mut errors = Vec::new();
        let mut bctx = Ctx {
            file: bot_name.to_owned(),
            text: bot_text,
            errors: Vec::new(),
        };
        let bot: Option<BotFile> = parse_toml(&mut bctx);
        let mut languages = vec!["zh".to_owned()];
        let mut set = ScriptSet {
            languages: Vec::new(),
            default_language: "zh".into(),
            start_dialog: String::new(),
            max_text_chars: 2000,
            texts: BTreeMap::new(),
            dialogs: BTreeMap::new(),
            version: 0,
        };
        if let Some(bot) = &bot {
            languages = bot.languages.get_ref().clone();
            if languages.is_empty() {
                bctx.err(
                    bot.languages.span(),
                    "languages must list at least one language",
                );
            }
            if !languages.contains(bot.default_language.get_ref()) {
                bctx.err(
                    bot.default_language.span(),
                    format!(
                        "default_language `{}` is not in languages",
                        bot.default_language.get_ref()
                    ),
                );
            }
            if *bot.max_text_chars.get_ref() == 0 {
                bctx.err(
                    bot.max_text_chars.span(),
                    "max_text_chars must be at least 1",
                );
            }
            let allowed: BTreeSet<String> =
                BOT_PLACEHOLDERS.iter().map(|s| s.to_string()).collect();
            for (key, texts) in &bot.texts {
                if !REQUIRED_TEXTS.contains(&key.get_ref().as_str()) {
                    bctx.err(
                        key.span(),
                        format!(
                            "unknown text `{}` (the engine uses: {})",
                            key.get_ref(),
                            REQUIRED_TEXTS.join(", ")
                        ),
                    );
                }
                check_texts(
                    &mut bctx,
                    texts.span(),
                    &format!("text `{}`", key.get_ref()),
                    texts.get_ref(),
                    &languages,
                    &allowed,
                );
                set.texts
                    .insert(key.get_ref().clone(), texts.get_ref().clone());
            }
            for required in REQUIRED_TEXTS {
                if !set.texts.contains_key(*required) {
                    bctx.err(0..0, format!("text `{required}` is missing from [texts]"));
                }
            }
            set.languages = languages.clone();
            set.default_language = bot.default_language.get_ref().clone();
            set.max_text_chars = *bot.max_text_chars.get_ref();
            set.start_dialog = bot.start_dialog.get_ref().clone();
        }
        errors.append(&mut bctx.errors);

        let mut dialog_spans: HashMap<String, (String, usize)> = HashMap::new();
        for (name, text) in dialog_files {
            let mut ctx = Ctx {
                file: name.clone(),
                text,
                errors: Vec::new(),
            };
            if let Some(file) = parse_toml::<DialogFile>(&mut ctx)
                && let Some(dialog) = build_dialog(&mut ctx, file, &languages)
            {
                if let Some((other, line)) = dialog_spans.get(&dialog.id) {
                    let problem = format!(
                        "dialog id `{}` is already used by {other}:{line}",
                        dialog.id
                    );
                    ctx.err(0..0, problem);
                } else {
                    dialog_spans.insert(dialog.id.clone(), (name.clone(), 1));
                    set.dialogs.insert(dialog.id.clone(), dialog);
                }
            }
            errors.append(&mut ctx.errors);
        }
        if let Some(bot) = &bot
            && !set.dialogs.contains_key(&set.start_dialog)
            && errors.is_empty()
        {
            let mut ctx = Ctx {
                file: bot_name.to_owned(),
                text: bot_text,
                errors: Vec::new(),
            };
            ctx.err(
                bot.start_dialog.span(),
                format!(
                    "start_dialog `{}` is not a dialog in this folder",
                    set.start_dialog
                ),
            );
            errors.append(&mut ctx.errors);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        set.version = version_of(bot_text, dialog_files);
        Ok(set)
    }

    pub fn text(&self, key: &str, lang: &str) -> String {
        self.texts
            .get(key)
            .map(|t| pick(t, lang, &self.default_language))
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn step(&self, dialog: &str, step: &str) -> Option<&Step> {
        self.dialogs.get(dialog)?.steps.get(step)
    }

    /// How the scripts name `value` of `slot` in `lang`: the label of a choice that stores it (an
    /// industry's English name), or `None` when no choice does.
    pub fn choice_label(&self, slot: &str, value: &str, lang: &str) -> Option<String> {
        self.dialogs
            .values()
            .flat_map(|d| d.steps.values())
            .find_map(|step| match &step.kind {
                StepKind::Choose {
                    slot: Some(s),
                    choices,
                    ..
                } if s == slot => choices.iter().find(|c| c.value == value),
                _ => None,
            })
            .map(|c| pick(&c.label, lang, &self.default_language))
    }
}

/// The text in `lang`, falling back to the default language (validation makes both exist).
pub fn pick(texts: &Texts, lang: &str, default: &str) -> String {
    texts
        .get(lang)
        .or_else(|| texts.get(default))
        .or_else(|| texts.values().next())
        .cloned()
        .unwrap_or_default()
}

fn version_of(bot: &str, dialogs: &[(String, String)]) -> u64 {
    use std::hash::{Hash, Hasher};
    // FNV-1a keeps the value stable across builds and platforms (it is stored in the database).
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 ^= *b as u64;
                self.0 = self.0.wrapping_mul(0x100000001b3);
            }
        }
    }
    let mut h = Fnv(0xcbf29ce484222325);
    bot.hash(&mut h);
    for (_, text) in dialogs {
        text.hash(&mut h);
    }
    h.finish() >> 1
}

#[cfg(test)]
mod tests;
