//! Runs conversations for any channel: loads a chat's state, feeds the engine, runs the actions it asks
//! for (search, details) against the matcher and the catalogue, saves the state, and hands back
//! channel-neutral replies. Also owns the live script set and its hot reload.

use super::engine::{Button, Command, Effect, Engine, Event, ResultItem, State, new_state};
use super::script::{DECLARATION_ENTRY, ENQUIRY_ENTRY, ScriptError, ScriptSet};
use super::store;
use crate::catalog::record::{LegalStatus, LicenseMode, Payment};
use crate::catalog::store::{StoredPatent, patent_by_number};
use crate::enquiry::conversation as enquiry;
use crate::matching::{Filters, Matcher, Synonyms};
use crate::operators::analytics;
use crate::operators::commands as operators;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Most results a search keeps for paging.
const KEEP_RESULTS: usize = 50;

/// What a channel shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Text(String),
    Buttons {
        text: String,
        buttons: Vec<Button>,
    },
    Results {
        text: String,
        items: Vec<(usize, ResultItem)>,
        lines: Vec<String>,
        buttons: Vec<Button>,
    },
    Details {
        text: String,
        buttons: Vec<Button>,
    },
}

impl Reply {
    /// The reply as plain text (results with their snippets), for channels that show text and buttons.
    pub fn plain_text(&self) -> String {
        match self {
            Reply::Text(text) | Reply::Buttons { text, .. } | Reply::Details { text, .. } => {
                text.clone()
            }
            Reply::Results {
                text, items, lines, ..
            } => {
                let mut out = text.clone();
                for ((_, item), line) in items.iter().zip(lines) {
                    out.push('\n');
                    out.push_str(line);
                    if !item.snippet.is_empty() {
                        out.push_str("\n    ");
                        out.push_str(&item.snippet);
                    }
                }
                out
            }
        }
    }

    /// The buttons offered with the reply.
    pub fn buttons(&self) -> &[Button] {
        match self {
            Reply::Text(_) => &[],
            Reply::Buttons { buttons, .. }
            | Reply::Results { buttons, .. }
            | Reply::Details { buttons, .. } => buttons,
        }
    }
}

/// A message from a user as channels receive it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Incoming {
    Text(String),
    /// A pressed button's id.
    Choice(String),
}

/// Why a message could not be handled (the user gets the `error` text; this goes to the log).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("conversation store: {0}")]
    Store(#[from] sqlx::Error),
}

/// Everything a channel needs to run conversations.
pub struct Runtime {
    scripts: RwLock<Arc<ScriptSet>>,
    dir: PathBuf,
    pool: PgPool,
    matcher: Arc<Matcher>,
    admins: Vec<i64>,
    /// Where admin alerts go (admins are identified by their ids on this channel).
    admin_channel: String,
    enquiry_cap: i64,
}

/// Enquiries a company may open per day unless configured otherwise.
pub const DEFAULT_ENQUIRY_CAP: i64 = 10;

impl Runtime {
    /// Loads the scripts of `dir`; an invalid set is an error with every problem listed.
    pub fn new(
        dir: &Path,
        pool: PgPool,
        matcher: Arc<Matcher>,
        admins: Vec<i64>,
    ) -> Result<Self, Vec<ScriptError>> {
        let scripts = ScriptSet::load(dir)?;
        Ok(Self {
            scripts: RwLock::new(Arc::new(scripts)),
            dir: dir.to_path_buf(),
            pool,
            matcher,
            admins,
            admin_channel: crate::channel::telegram::CHANNEL.to_owned(),
            enquiry_cap: DEFAULT_ENQUIRY_CAP,
        })
    }

    /// Sets the per-company daily enquiry cap.
    pub fn with_enquiry_cap(mut self, cap: i64) -> Self {
        self.enquiry_cap = cap.max(1);
        self
    }

    /// Sets the channel admin alerts are written for.
    pub fn with_admin_channel(mut self, channel: &str) -> Self {
        self.admin_channel = channel.to_owned();
        self
    }

    pub fn enquiry_cap(&self) -> i64 {
        self.enquiry_cap
    }

    pub fn admins(&self) -> &[i64] {
        &self.admins
    }

    pub fn admin_channel(&self) -> &str {
        &self.admin_channel
    }

    pub fn scripts(&self) -> Arc<ScriptSet> {
        self.scripts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn matcher(&self) -> &Arc<Matcher> {
        &self.matcher
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admins.contains(&user_id)
    }

    /// Reloads scripts and synonyms from the folder. A valid set replaces the old one atomically; an
    /// invalid one is refused and the old set keeps serving.
    pub fn reload(&self) -> Result<u64, Vec<ScriptError>> {
        let scripts = ScriptSet::load(&self.dir)?;
        let synonyms_path = self.dir.join("synonyms.toml");
        if synonyms_path.exists() {
            let synonyms = Synonyms::load(&synonyms_path).map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| ScriptError {
                        file: e.file,
                        line: e.line,
                        problem: e.problem,
                    })
                    .collect::<Vec<_>>()
            })?;
            self.matcher.set_synonyms(synonyms);
        }
        let version = scripts.version;
        *self.scripts.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(scripts);
        tracing::info!(version, "dialog scripts reloaded");
        Ok(version)
    }

    /// Handles one message of `user_id` in `chat_id` in a transaction of its own. Errors are logged here
    /// with the chat; the user gets the script's apology instead.
    pub async fn handle(
        &self,
        channel: &str,
        chat_id: i64,
        user_id: i64,
        incoming: Incoming,
    ) -> Vec<Reply> {
        let outcome = async {
            let mut tx = self.pool.begin().await?;
            let replies = self
                .handle_in(&mut tx, channel, chat_id, user_id, incoming)
                .await?;
            tx.commit().await?;
            Ok::<_, RuntimeError>(replies)
        }
        .await;
        match outcome {
            Ok(replies) => replies,
            Err(e) => {
                tracing::error!(channel, chat_id, error = %e, "message could not be handled");
                vec![self.apology()]
            }
        }
    }

    /// The script's apology, for a message that could not be handled.
    pub fn apology(&self) -> Reply {
        let scripts = self.scripts();
        Reply::Text(scripts.text("error", &scripts.default_language))
    }

    /// Handles one message inside the caller's transaction: the chat's state, and any message the event
    /// causes for other chats, are written there, so they commit (or vanish) together with whatever the
    /// caller records, such as "this update was handled".
    pub async fn handle_in(
        &self,
        conn: &mut sqlx::PgConnection,
        channel: &str,
        chat_id: i64,
        user_id: i64,
        incoming: Incoming,
    ) -> Result<Vec<Reply>, RuntimeError> {
        let scripts = self.scripts();
        let stored = store::lock(conn, channel, chat_id).await?;
        let mut state = stored.unwrap_or_else(|| new_state(&scripts, None));
        let mut replies = Vec::new();
        let ctx = enquiry::Ctx {
            channel,
            chat_id,
            user_id,
        };
        // Enquiry commands, lead buttons and the answers they wait for are not scripted steps.
        let lang = state.lang.clone();
        let side = match &incoming {
            Incoming::Text(text) if state.pending.is_some() && parse_command(text).is_none() => {
                let pending = state.pending.clone().unwrap_or_default();
                Some(enquiry::on_pending_text(self, conn, &ctx, &mut state, &pending, text).await?)
            }
            Incoming::Choice(id)
                if [enquiry::LEAD, enquiry::REPLY, enquiry::RATE]
                    .iter()
                    .any(|p| id.starts_with(p)) =>
            {
                Some(enquiry::on_button(self, conn, &ctx, &mut state, id).await?)
            }
            Incoming::Choice(id) if operators::is_operator_button(id) => {
                Some(operators::on_button(self, conn, &ctx, &mut state, id).await?)
            }
            Incoming::Text(text) => match parse_command(text) {
                Some(("my", _)) => Some(enquiry::my(self, conn, &ctx, &lang).await?),
                Some(("leads", _)) => Some(enquiry::leads(self, conn, &ctx, &lang).await?),
                Some(("register", code)) => {
                    Some(enquiry::register(self, conn, &ctx, code, &lang).await?)
                }
                Some(("invite", _)) if !self.is_admin(user_id) => {
                    Some(vec![Reply::Text(scripts.text("not_admin", &lang))])
                }
                Some(("invite", name)) => {
                    crate::operators::audit::record(
                        conn,
                        channel,
                        user_id,
                        "invite",
                        name.unwrap_or_default(),
                    )
                    .await?;
                    Some(enquiry::invite(self, conn, &ctx, name, &lang).await?)
                }
                Some(("subscriptions", _)) => {
                    Some(operators::subscriptions_list(self, conn, &ctx, &state).await?)
                }
                Some(("stats", _)) => Some(operators::stats(self, conn, &ctx, &state).await?),
                Some(("outbox", _)) => Some(operators::outbox(self, conn, &ctx, &state).await?),
                Some(("forget", _)) => {
                    // Nothing of this chat is written back: the state is gone with the rest.
                    return operators::forget(self, conn, &ctx, &state)
                        .await
                        .map_err(RuntimeError::from);
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(side) = side {
            store::save(conn, channel, chat_id, &state).await?;
            return Ok(side);
        }
        if matches!(&incoming, Incoming::Text(t) if parse_command(t).is_some()) {
            // Any other command abandons a pending answer.
            state.pending = None;
        }
        let event = match incoming {
            Incoming::Choice(id) => Some(Event::Choice(id)),
            Incoming::Text(text) => match parse_command(&text) {
                Some(("reload", _)) => {
                    if self.is_admin(user_id) {
                        crate::operators::audit::record(conn, channel, user_id, "reload", "")
                            .await?;
                    }
                    replies.push(self.reload_reply(&state, user_id));
                    None
                }
                Some(("start", _)) => Some(Event::Command(Command::Start)),
                Some(("help", _)) => Some(Event::Command(Command::Help)),
                Some(("cancel", _)) => Some(Event::Command(Command::Cancel)),
                Some(("lang", arg)) => Some(Event::Command(Command::Lang(arg.map(str::to_owned)))),
                _ => Some(Event::Text(text)),
            },
        };
        let scripts = self.scripts();
        let engine = Engine { scripts: &scripts };
        let mut effects: std::collections::VecDeque<Effect> = match event {
            Some(e) => engine.handle(&mut state, e).into(),
            None => engine.resume(&mut state).into(),
        };
        let mut budget = 32;
        while let Some(effect) = effects.pop_front() {
            budget -= 1;
            if budget == 0 {
                break;
            }
            match effect {
                Effect::Say(text) => replies.push(Reply::Text(text)),
                Effect::Ask { text, buttons } if buttons.is_empty() => {
                    replies.push(Reply::Text(text))
                }
                Effect::Ask { text, buttons } => replies.push(Reply::Buttons { text, buttons }),
                Effect::Results {
                    text,
                    items,
                    buttons,
                } => {
                    analytics::record_shown(conn, &items).await?;
                    let lines = items
                        .iter()
                        .map(|(rank, item)| result_line(&scripts, &state, *rank, item))
                        .collect();
                    replies.push(Reply::Results {
                        text,
                        items,
                        lines,
                        buttons,
                    });
                }
                Effect::Run { action } => {
                    let (outcome, vars) = if enquiry::ACTIONS.contains(&action.as_str()) {
                        enquiry::run_action(self, conn, &ctx, &mut state, &action).await?
                    } else if action == "search" {
                        self.search(conn, &mut state).await?
                    } else {
                        self.run_action(&action, &mut state)
                    };
                    effects.extend(engine.handle(&mut state, Event::Outcome { outcome, vars }));
                }
                Effect::Details { number, buttons } => {
                    let hit = state.results.iter().find(|h| h.number == number).cloned();
                    analytics::record(conn, analytics::Kind::Details, hit.as_ref(), None, &[])
                        .await?;
                    let text = match patent_by_number(&mut *conn, &number).await? {
                        Some(p) => details_text(&scripts, &state, &p),
                        None => scripts.text("expired", &state.lang),
                    };
                    replies.push(Reply::Details { text, buttons });
                }
                Effect::Enquire { number, open } => {
                    state.slots.insert("enquiry_patent".into(), number);
                    let entry = if open {
                        DECLARATION_ENTRY
                    } else {
                        ENQUIRY_ENTRY
                    };
                    effects.extend(engine.enter_action(&mut state, entry));
                }
            }
        }
        store::save(conn, channel, chat_id, &state).await?;
        Ok(replies)
    }

    fn reload_reply(&self, state: &State, user_id: i64) -> Reply {
        let scripts = self.scripts();
        if !self.is_admin(user_id) {
            return Reply::Text(scripts.text("not_admin", &state.lang));
        }
        match self.reload() {
            Ok(_) => Reply::Text(self.scripts().text("reloaded", &state.lang)),
            Err(errors) => {
                let list = errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n");
                tracing::warn!(errors = %list, "dialog reload refused");
                let template = scripts.text("reload_failed", &state.lang);
                Reply::Text(super::engine::render(&template, state, &[("errors", list)]))
            }
        }
    }

    /// The `search` action: the best patents for the need and filters in the slots, kept in the state for
    /// paging; the need's words are recorded (anonymously) for the statistics of demand.
    async fn search(
        &self,
        conn: &mut sqlx::PgConnection,
        state: &mut State,
    ) -> Result<(String, BTreeMap<String, String>), RuntimeError> {
        let need = state.slots.get("need").cloned().unwrap_or_default();
        let filters = filters_from_slots(&state.slots);
        let result = self.matcher.search(&need, &filters, KEEP_RESULTS);
        let industry = filters.industry.as_deref();
        analytics::record(
            conn,
            analytics::Kind::Search,
            None,
            industry,
            &result.need_words,
        )
        .await?;
        if result.no_good_match {
            analytics::record(
                conn,
                analytics::Kind::NoMatch,
                None,
                industry,
                &result.need_words,
            )
            .await?;
        }
        state.results = result.hits;
        state.page = 0;
        state.open = None;
        let vars = BTreeMap::from([
            ("count".to_owned(), state.results.len().to_string()),
            ("need".to_owned(), need),
        ]);
        let outcome = if result.no_good_match {
            "no_match"
        } else {
            "found"
        };
        Ok((outcome.to_owned(), vars))
    }

    /// Runs a named action; returns its outcome and the placeholders it provides.
    fn run_action(&self, action: &str, state: &mut State) -> (String, BTreeMap<String, String>) {
        match action {
            "clear_need" => {
                for slot in ["need", "industry", "region", "license", "budget"] {
                    state.slots.remove(slot);
                }
                state.results.clear();
                state.page = 0;
                ("done".into(), BTreeMap::new())
            }
            "clear_filters" => {
                for slot in ["industry", "region", "license", "budget"] {
                    state.slots.remove(slot);
                }
                ("done".into(), BTreeMap::new())
            }
            _ => ("unavailable".into(), BTreeMap::new()),
        }
    }
}

/// The commands users see in a channel's menu: name, Chinese and English description.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("start", "重新开始", "Start over"),
    ("help", "帮助", "Help"),
    ("lang", "切换语言", "Switch language"),
    ("cancel", "取消", "Cancel"),
    ("my", "我的咨询", "My enquiries"),
    (
        "leads",
        "待处理咨询（高校联系人）",
        "Open leads (institution contacts)",
    ),
];

/// `/name arg` → (name, arg); also accepts Telegram's `/name@botname`.
pub fn parse_command(text: &str) -> Option<(&str, Option<&str>)> {
    let rest = text.trim().strip_prefix('/')?;
    let (head, arg) = match rest.split_once(char::is_whitespace) {
        Some((h, a)) => (h, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (rest, None),
    };
    let name = head.split('@').next().unwrap_or(head);
    [
        "start",
        "help",
        "cancel",
        "lang",
        "reload",
        "my",
        "leads",
        "register",
        "invite",
        "subscriptions",
        "stats",
        "outbox",
        "forget",
    ]
    .contains(&name)
    .then_some((name, arg))
}

/// Filters from the intake slots. "any" (or a missing slot) means no filter; the budget is in 万元.
pub fn filters_from_slots(slots: &BTreeMap<String, String>) -> Filters {
    let set = |k: &str| {
        slots
            .get(k)
            .filter(|v| !v.is_empty() && *v != "any")
            .cloned()
    };
    Filters {
        industry: set("industry"),
        region: set("region"),
        license: set("license").as_deref().and_then(LicenseMode::parse),
        max_price: slots
            .get("budget")
            .and_then(|b| b.trim().parse::<f64>().ok())
            .map(|w| (w * 10_000.0).round() as i64),
        ..Filters::default()
    }
}

fn en(lang: &str) -> bool {
    lang != "zh"
}

fn mode_name(m: LicenseMode, lang: &str) -> &'static str {
    match (m, en(lang)) {
        (LicenseMode::Transfer, false) => "转让",
        (LicenseMode::Exclusive, false) => "独占许可",
        (LicenseMode::Sole, false) => "排他许可",
        (LicenseMode::Ordinary, false) => "普通许可",
        (LicenseMode::Open, false) => "开放许可",
        (LicenseMode::Transfer, true) => "transfer",
        (LicenseMode::Exclusive, true) => "exclusive licence",
        (LicenseMode::Sole, true) => "sole licence",
        (LicenseMode::Ordinary, true) => "ordinary licence",
        (LicenseMode::Open, true) => "open licence",
    }
}

fn yuan(v: i64, lang: &str) -> String {
    if en(lang) {
        format!("CNY {v}")
    } else if v >= 10_000 && v % 10_000 == 0 {
        format!("{} 万元", v / 10_000)
    } else {
        format!("{v} 元")
    }
}

fn result_line(scripts: &ScriptSet, state: &State, rank: usize, item: &ResultItem) -> String {
    let mut marks = String::new();
    if item.double_five {
        marks.push_str(&format!(" {}", scripts.text("double_five", &state.lang)));
    }
    if item.open_license {
        marks.push_str(&format!(" [{}]", mode_name(LicenseMode::Open, &state.lang)));
    }
    let line = super::engine::render(
        &scripts.text("result_line", &state.lang),
        state,
        &[
            ("number", format!("{rank}")),
            (
                "title",
                if item.title.is_empty() {
                    item.number.clone()
                } else {
                    item.title.clone()
                },
            ),
            ("institution", item.institution.clone()),
            ("count", item.score.to_string()),
            ("modes", item.matched.join("、")),
            ("abstract", item.snippet.clone()),
        ],
    );
    // Marks belong to the title, which is the template's first line.
    match line.split_once('\n') {
        Some((first, rest)) => format!("{first}{marks}\n{rest}"),
        None => format!("{line}{marks}"),
    }
}

/// A patent's published open-licence terms in one line ("-" when it has none).
pub fn open_terms(r: &crate::catalog::PatentRecord, lang: &str) -> String {
    match &r.open_license {
        None => "-".to_owned(),
        Some(o) => {
            let payment = match (o.payment, en(lang)) {
                (Payment::LumpSum, false) => "一次性付费",
                (Payment::Royalty, false) => "提成",
                (Payment::EntryPlusRoyalty, false) => "入门费加提成",
                (Payment::LumpSum, true) => "lump sum",
                (Payment::Royalty, true) => "royalty",
                (Payment::EntryPlusRoyalty, true) => "entry fee plus royalty",
            };
            let mut parts = vec![payment.to_owned()];
            if let Some(fee) = o.fee_cny {
                parts.push(yuan(fee, lang));
            }
            if let Some(pct) = o.royalty_percent {
                parts.push(format!("{pct}%"));
            }
            parts.push(if en(lang) {
                format!("{} years", o.term_years)
            } else {
                format!("{} 年", o.term_years)
            });
            parts.join(", ")
        }
    }
}

fn details_text(scripts: &ScriptSet, state: &State, p: &StoredPatent) -> String {
    let r = &p.record;
    let lang = state.lang.as_str();
    let modes = r
        .license_modes
        .iter()
        .map(|m| mode_name(*m, lang))
        .collect::<Vec<_>>()
        .join("、");
    let open_terms = open_terms(r, lang);
    let rating = match &r.rating {
        None => "-".to_owned(),
        Some(x) => {
            let ent = x
                .enterprise
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into());
            let mut s = if en(lang) {
                format!("institution {}/5, enterprises {ent}/5", x.institution)
            } else {
                format!("高校 {}/5，企业 {ent}/5", x.institution)
            };
            if x.is_double_five() {
                s.push_str(&format!(" {}", scripts.text("double_five", lang)));
            }
            s
        }
    };
    let status = match (r.legal_status, en(lang)) {
        (LegalStatus::Granted, false) => "已授权",
        (LegalStatus::Pending, false) => "审查中",
        (LegalStatus::Lapsed, false) => "已失效",
        (LegalStatus::Granted, true) => "granted",
        (LegalStatus::Pending, true) => "pending",
        (LegalStatus::Lapsed, true) => "lapsed",
    };
    super::engine::render(
        &scripts.text("details_body", lang),
        state,
        &[
            ("title", r.title.clone()),
            ("number", r.number.clone()),
            ("institution", r.institution.clone()),
            ("region", p.region.clone().unwrap_or_else(|| "-".into())),
            ("industry", r.industry.clone()),
            ("status", status.to_owned()),
            ("modes", modes),
            ("open_terms", open_terms),
            (
                "price",
                r.asking_price_cny
                    .map(|v| yuan(v, lang))
                    .unwrap_or_else(|| "-".into()),
            ),
            ("rating", rating),
            ("abstract", r.abstract_text.clone()),
        ],
    )
}
