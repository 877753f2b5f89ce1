//! Dialog scripts: the TOML files in `dialogs/` that say what the bot says and asks. Parsing keeps line
//! numbers so that every problem is reported as `FILE:LINE: problem`; a set with any problem is refused
//! as a whole, so a bad edit never replaces a good script.

use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use toml::Spanned;

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
/// Outcomes a results step may route besides those: `filters` adds a "change filters" button.
pub const RESULT_OPTIONAL_OUTCOMES: &[&str] = &["filters"];

/// Placeholders every text may use.
pub(super) const GLOBAL_PLACEHOLDERS: &[&str] = &["lang"];
/// Placeholders of the engine's own texts.
const BOT_PLACEHOLDERS: &[&str] = &[
    "length",
    "limit",
    "count",
    "page",
    "pages",
    "errors",
    "lang",
    "title",
    "number",
    "institution",
    "region",
    "modes",
    "open_terms",
    "price",
    "rating",
    "abstract",
    "industry",
    "status",
    "id",
    "company",
    "person",
    "contact",
    "message",
    "mode",
    "reason",
    "question",
    "answer",
    "list",
    "code",
    "need",
    "score",
    "yuan",
    "needs",
    "no_match",
    "unmet",
    "shown",
    "opened",
    "enquiries",
    "acceptance",
    "response",
    "industries",
    "institutions",
    "never_opened",
    "thumbs_up",
    "thumbs_down",
    "words",
    "vote",
    "name",
];

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

/// Texts the engine itself needs from `bot.toml`.
pub const REQUIRED_TEXTS: &[&str] = &[
    "help",
    "cancelled",
    "restarted",
    "too_long",
    "not_understood",
    "skipped",
    "error",
    "expired",
    "lang_switched",
    "no_results",
    "page",
    "next",
    "prev",
    "details",
    "refine",
    "restart",
    "enquire",
    "reloaded",
    "reload_failed",
    "not_admin",
    "skip_hint",
    "details_body",
    "back",
    "double_five",
    "result_line",
    "take_open_license",
    "subscribe",
    "subscribed",
    "subscriptions_list",
    "subscriptions_none",
    "unsubscribe",
    "unsubscribed",
    "push",
    "thumb_up",
    "thumb_down",
    "feedback_thanks",
    "feedback_changed",
    "feedback_withdrawn",
    "stats",
    "not_allowed",
    "outbox_list",
    "outbox_empty",
    "parked_list",
    "retry",
    "retried",
    "forgotten",
    "declaration_message",
    "lead",
    "lead_declaration",
    "lead_close",
    "rate_prompt",
    "rated",
    "lead_accept",
    "lead_decline",
    "lead_info",
    "lead_accepted_company",
    "lead_accepted_contact",
    "lead_declined_company",
    "decline_reason_taken",
    "decline_reason_mismatch",
    "decline_reason_other",
    "ask_decline_reason",
    "ask_info_question",
    "info_requested_company",
    "reply",
    "ask_answer",
    "answer_to_contact",
    "answer_sent",
    "contact_done",
    "delivered_company",
    "my_enquiries",
    "my_none",
    "leads_list",
    "leads_none",
    "not_contact",
    "registered",
    "bad_invite",
    "invite_created",
    "invite_usage",
    "unknown_institution",
    "alert_no_contact",
    "alert_dead_letter",
    "not_yours",
    "enquiry_status",
    "not_understood_results",
    "stats_none",
    "stats_everyone",
    "stats_hours",
    "filters",
    "details_region",
    "details_open_terms",
    "details_price",
    "double_five_meaning",
    "rating_none",
    "rating_both",
    "rating_institution",
    "license_transfer",
    "license_exclusive",
    "license_sole",
    "license_ordinary",
    "license_open",
    "deal_transfer",
    "deal_license",
    "deal_open",
    "legal_granted",
    "legal_pending",
    "legal_lapsed",
    "status_submitted",
    "status_forwarded",
    "status_delivered",
    "status_accepted",
    "status_declined",
    "status_info_requested",
    "status_closed",
    "payment_lump_sum",
    "payment_royalty",
    "payment_entry_plus_royalty",
    "open_fee",
    "open_royalty",
    "open_years",
    "separator",
    "amount_wan",
    "amount_yuan",
    "lead_reminder",
    "contact_closed",
    "thread_status",
    "thread_status_note",
    "thread_question",
    "thread_answer",
    "my_line",
    "help_contact",
    "forget_confirm",
    "forget_yes",
    "forget_no",
    "forget_kept",
    "open_patent",
    "menu_start",
    "menu_help",
    "menu_lang",
    "menu_cancel",
    "menu_my",
    "menu_leads",
    "menu_group",
    "group_help",
    "group_status",
    "group_registered",
    "group_removed",
    "group_taken",
    "group_only",
    "private_only",
    "registered_in_group",
    "acted_by",
    "addressed",
    "group_reply_hint",
    "translated",
    "rating_companies",
];

pub(super) struct Ctx<'a> {
    pub(super) file: String,
    pub(super) text: &'a str,
    pub(super) errors: Vec<ScriptError>,
}

impl Ctx<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
    pub(super) fn err(&mut self, span: std::ops::Range<usize>, problem: impl Into<String>) {
        let line = self.line(span.start);
        self.errors.push(ScriptError {
            file: self.file.clone(),
            line,
            problem: problem.into(),
        });
    }
}

pub(super) fn parse_toml<T: serde::de::DeserializeOwned>(ctx: &mut Ctx<'_>) -> Option<T> {
    match toml::from_str::<T>(ctx.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            ctx.err(span, e.message().trim().to_owned());
            None
        }
    }
}

pub(super) fn placeholders(text: &str) -> Vec<String> {
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
pub(super) fn check_texts(
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

impl ScriptSet {
    /// Loads and validates every script of `dir`.
    pub fn load(dir: &Path) -> Result<ScriptSet, Vec<ScriptError>> {
        let io_err = |file: &Path, e: std::io::Error| {
            vec![ScriptError {
                file: file.display().to_string(),
                line: 0,
                problem: format!("cannot read: {e}"),
            }]
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let bot_path = dir.join(BOT_FILE);
        let bot = std::fs::read_to_string(&bot_path).map_err(|e| io_err(&bot_path, e))?;
        let mut dialogs = Vec::new();
        for f in &files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !is_dialog_file(name) {
                continue;
            }
            let text = std::fs::read_to_string(f).map_err(|e| io_err(f, e))?;
            dialogs.push((f.display().to_string(), text));
        }
        let mut set = Self::parse(&bot_path.display().to_string(), &bot, &dialogs)?;
        // The web console's texts: checked against the languages of the (valid) bot file.
        let web_path = dir.join(super::web_texts::FILE);
        let web = std::fs::read_to_string(&web_path).map_err(|e| io_err(&web_path, e))?;
        super::web_texts::merge(&mut set, &web_path.display().to_string(), &web)?;
        Ok(set)
    }

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

fn build_dialog(ctx: &mut Ctx<'_>, file: DialogFile, languages: &[String]) -> Option<Dialog> {
    let dialog_id = file.id.get_ref().clone();
    // Slots and action variables anywhere in the dialog may be used by any of its texts.
    let mut provided: BTreeSet<String> =
        GLOBAL_PLACEHOLDERS.iter().map(|s| s.to_string()).collect();
    for s in &file.step {
        if let Some(slot) = s.ask.as_ref().or(s.slot.as_ref()) {
            provided.insert(slot.get_ref().clone());
        }
        if let Some(slot) = s.slot.as_ref().filter(|_| s.choices.is_some()) {
            provided.insert(format!("{}_label", slot.get_ref()));
        }
        if let Some(a) = &s.action
            && let Some(action) = Action::parse(a.get_ref())
        {
            provided.extend(action.provides().iter().map(|p| p.to_string()));
        }
        if s.results.is_some() {
            provided.extend(["count", "page", "pages"].map(String::from));
        }
    }
    let mut steps = BTreeMap::new();
    let mut spans: HashMap<String, std::ops::Range<usize>> = HashMap::new();
    let mut edges: Vec<(String, Spanned<String>)> = Vec::new();
    for s in file.step {
        let id = s.id.get_ref().clone();
        if let Some(first) = spans.get(&id) {
            let first_line = ctx.line(first.start);
            ctx.err(
                s.id.span(),
                format!("step id `{id}` is already used on line {first_line}"),
            );
            continue;
        }
        spans.insert(id.clone(), s.id.span());
        let kinds = [
            s.say.is_some() && s.ask.is_none() && s.choices.is_none() && s.action.is_none(),
            s.ask.is_some(),
            s.choices.is_some(),
            s.action.is_some(),
            s.results.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            ctx.err(s.id.span(), format!("step `{id}` must have exactly one of: say (alone), ask, choices, action, results"));
            continue;
        }
        let texts = |ctx: &mut Ctx<'_>, t: &Option<Spanned<Texts>>, what: &str| -> Texts {
            match t {
                Some(t) => {
                    check_texts(
                        ctx,
                        t.span(),
                        &format!("step `{id}` {what}"),
                        t.get_ref(),
                        languages,
                        &provided,
                    );
                    t.get_ref().clone()
                }
                None => Texts::new(),
            }
        };
        let kind = if let Some(slot) = &s.ask {
            let Some(next) = s.next.clone() else {
                ctx.err(
                    s.id.span(),
                    format!(
                        "step `{id}` asks for `{}` but has no next step",
                        slot.get_ref()
                    ),
                );
                continue;
            };
            if s.prompt.is_none() {
                ctx.err(
                    s.id.span(),
                    format!(
                        "step `{id}` asks for `{}` but has no prompt",
                        slot.get_ref()
                    ),
                );
            }
            let prompt = texts(ctx, &s.prompt, "prompt");
            let reprompt = if s.reprompt.is_some() {
                texts(ctx, &s.reprompt, "reprompt")
            } else {
                prompt.clone()
            };
            let validate = s
                .validate
                .as_ref()
                .map(|v| v.get_ref().clone())
                .unwrap_or_default();
            let vspan = s.validate.as_ref().map(|v| v.span()).unwrap_or(s.id.span());
            let mut pattern = None;
            if let (Some(a), Some(b)) = (validate.min_len, validate.max_len)
                && a > b
            {
                ctx.err(
                    vspan.clone(),
                    format!("validate: min_len {a} is greater than max_len {b}"),
                );
            }
            if let (Some(a), Some(b)) = (validate.min, validate.max)
                && a > b
            {
                ctx.err(
                    vspan.clone(),
                    format!("validate: min {a} is greater than max {b}"),
                );
            }
            if let Some(p) = &validate.pattern {
                match Regex::new(&format!("^(?:{p})$")) {
                    Ok(re) => pattern = Some(re),
                    Err(e) => ctx.err(
                        vspan.clone(),
                        format!("validate: pattern is not a valid regular expression: {e}"),
                    ),
                }
            }
            edges.push((id.clone(), next.clone()));
            StepKind::Ask {
                slot: slot.get_ref().clone(),
                prompt,
                reprompt,
                validate,
                pattern,
                skippable: s.skippable,
                next: next.into_inner(),
            }
        } else if let Some(choices) = &s.choices {
            if choices.get_ref().is_empty() {
                ctx.err(choices.span(), format!("step `{id}` offers no choices"));
            }
            let prompt = texts(ctx, &s.prompt, "prompt");
            let mut out = Vec::new();
            let mut values = HashSet::new();
            for c in choices.get_ref() {
                if !values.insert(c.value.get_ref().clone()) {
                    ctx.err(
                        c.value.span(),
                        format!(
                            "step `{id}`: choice value `{}` is used twice",
                            c.value.get_ref()
                        ),
                    );
                }
                check_texts(
                    ctx,
                    c.label.span(),
                    &format!("step `{id}` choice `{}` label", c.value.get_ref()),
                    c.label.get_ref(),
                    languages,
                    &provided,
                );
                edges.push((id.clone(), c.next.clone()));
                out.push(Choice {
                    value: c.value.get_ref().clone(),
                    label: c.label.get_ref().clone(),
                    next: c.next.get_ref().clone(),
                    if_set: c.if_set.clone(),
                });
            }
            let typed = s.typed.as_ref().map(|t| {
                edges.push((id.clone(), t.next.clone()));
                (t.slot.get_ref().clone(), t.next.get_ref().clone())
            });
            let from = s.choices_from.as_ref().map(|f| {
                if !CATALOGUE_LISTS.contains(&f.list.get_ref().as_str()) {
                    ctx.err(
                        f.list.span(),
                        format!(
                            "step `{id}`: choices_from list `{}` is unknown (known: {})",
                            f.list.get_ref(),
                            CATALOGUE_LISTS.join(", ")
                        ),
                    );
                }
                edges.push((id.clone(), f.next.clone()));
                ChoicesFrom {
                    list: f.list.get_ref().clone(),
                    next: f.next.get_ref().clone(),
                }
            });
            StepKind::Choose {
                prompt,
                slot: s.slot.as_ref().map(|x| x.get_ref().clone()),
                choices: out,
                typed,
                from,
            }
        } else if let Some(action) = &s.action {
            let on =
                s.on.as_ref()
                    .map(|o| o.get_ref().clone())
                    .unwrap_or_default();
            let parsed = Action::parse(action.get_ref());
            match parsed {
                None => {
                    let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    ctx.err(
                        action.span(),
                        format!(
                            "unknown action `{}` (known: {})",
                            action.get_ref(),
                            known.join(", ")
                        ),
                    );
                }
                Some(spec) => {
                    for outcome in spec.outcomes() {
                        if !on.contains_key(*outcome) {
                            ctx.err(action.span(), format!("step `{id}`: outcome `{outcome}` of action `{spec}` has no next step in `on`"));
                        }
                    }
                    for (outcome, target) in &on {
                        if !spec.outcomes().contains(&outcome.as_str()) {
                            ctx.err(target.span(), format!("step `{id}`: action `{spec}` has no outcome `{outcome}` (it has: {})", spec.outcomes().join(", ")));
                        }
                    }
                }
            }
            for target in on.values() {
                edges.push((id.clone(), target.clone()));
            }
            StepKind::Action {
                // An unknown name was reported above and the whole set is refused.
                name: parsed.unwrap_or(Action::Search),
                on: on.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
            }
        } else if s.results.is_some() {
            let on =
                s.on.as_ref()
                    .map(|o| o.get_ref().clone())
                    .unwrap_or_default();
            for outcome in RESULT_OUTCOMES {
                if !on.contains_key(*outcome) {
                    ctx.err(
                        s.id.span(),
                        format!("results step `{id}` has no `{outcome}` target in `on`"),
                    );
                }
            }
            for (outcome, target) in &on {
                if !RESULT_OUTCOMES.contains(&outcome.as_str())
                    && !RESULT_OPTIONAL_OUTCOMES.contains(&outcome.as_str())
                {
                    ctx.err(
                        target.span(),
                        format!(
                            "results step `{id}` has no outcome `{outcome}` (it has: {})",
                            RESULT_OUTCOMES.join(", ")
                        ),
                    );
                }
                edges.push((id.clone(), target.clone()));
            }
            StepKind::Results {
                prompt: texts(ctx, &s.prompt, "prompt"),
                on: on.into_iter().map(|(k, v)| (k, v.into_inner())).collect(),
            }
        } else {
            if let Some(next) = &s.next {
                edges.push((id.clone(), next.clone()));
            }
            StepKind::Say {
                text: texts(ctx, &s.say, "say"),
                next: s.next.as_ref().map(|n| n.get_ref().clone()),
            }
        };
        steps.insert(id.clone(), Step { id, kind });
    }
    // Every target exists.
    for (from, target) in &edges {
        if !steps.contains_key(target.get_ref()) && !spans.contains_key(target.get_ref()) {
            ctx.err(
                target.span(),
                format!(
                    "step `{from}` goes to `{}`, which is not a step of dialog `{dialog_id}`",
                    target.get_ref()
                ),
            );
        }
    }
    if !spans.contains_key(file.start.get_ref()) {
        ctx.err(
            file.start.span(),
            format!(
                "start step `{}` is not a step of dialog `{dialog_id}`",
                file.start.get_ref()
            ),
        );
    }
    // Every step is reachable from the start, or from the step the runtime enters when a result's
    // "enquire" button is pressed.
    let mut reached = HashSet::new();
    let mut queue = VecDeque::from([file.start.get_ref().clone()]);
    queue.extend(
        steps
            .values()
            .filter(|s| {
                matches!(&s.kind, StepKind::Action { name, .. }
                    if *name == ENQUIRY_ENTRY || *name == DECLARATION_ENTRY)
            })
            .map(|s| s.id.clone()),
    );
    while let Some(s) = queue.pop_front() {
        if !reached.insert(s.clone()) {
            continue;
        }
        for (from, to) in &edges {
            if *from == s {
                queue.push_back(to.get_ref().clone());
            }
        }
    }
    let mut unreachable: Vec<(&String, &std::ops::Range<usize>)> = spans
        .iter()
        .filter(|(id, _)| !reached.contains(*id))
        .collect();
    unreachable.sort_by_key(|(_, span)| span.start);
    for (id, span) in unreachable {
        ctx.err(
            span.clone(),
            format!(
                "step `{id}` is not reachable from the start step `{}`",
                file.start.get_ref()
            ),
        );
    }
    if ctx.errors.is_empty() {
        super::flow::check_availability(ctx, file.start.get_ref(), &steps, &edges, &spans);
    }
    if !ctx.errors.is_empty() {
        return None;
    }
    Some(Dialog {
        id: dialog_id,
        start: file.start.into_inner(),
        steps,
    })
}

#[cfg(test)]
mod tests;
