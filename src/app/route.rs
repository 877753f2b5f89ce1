//! The one place that names what people can type and press: commands, button ids (Telegram callback
//! data), script actions and the free-text answers the application waits for. Each is a typed enum that
//! is parsed from and formatted to its string form here and nowhere else; everything else matches on the
//! enums. The formats are stable: buttons already sent and states already stored must still parse.

use std::fmt;
use std::str::FromStr;

/// A slash command, as typed (`/name arg`, also Telegram's `/name@botname arg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start,
    Help,
    Cancel,
    /// Switch to a language, or (no argument) to the next configured one.
    Lang(Option<String>),
    Reload,
    My,
    Leads,
    Register(Option<String>),
    Invite(Option<String>),
    Subscriptions,
    Stats,
    Outbox,
    Forget,
    /// In a group chat: deliver the institution's leads here (`/group`), or no longer (`/group off`).
    Group(Option<String>),
    /// A one-time sign-in link to the web console.
    Web,
}

impl Command {
    /// The commands of a channel's menu (each has a `menu_NAME` text in the scripts).
    pub const MENU: &[&str] = &["start", "help", "lang", "cancel", "my", "leads"];

    /// The commands of a channel's menu in group chats (each has a `menu_NAME` text too).
    pub const GROUP_MENU: &[&str] = &["help", "group", "leads", "lang"];

    /// Every command name, in menu order.
    pub const NAMES: &[&str] = &[
        "start",
        "help",
        "lang",
        "cancel",
        "my",
        "leads",
        "subscriptions",
        "forget",
        "register",
        "invite",
        "stats",
        "outbox",
        "reload",
        "group",
        "web",
    ];

    /// The command of a message, if it is one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix('/')?;
        let (head, arg) = match rest.split_once(char::is_whitespace) {
            Some((h, a)) => (h, Some(a.trim().to_owned()).filter(|a| !a.is_empty())),
            None => (rest, None),
        };
        let name = head.split('@').next().unwrap_or(head);
        Some(match name {
            "start" => Command::Start,
            "help" => Command::Help,
            "cancel" => Command::Cancel,
            "lang" => Command::Lang(arg),
            "reload" => Command::Reload,
            "my" => Command::My,
            "leads" => Command::Leads,
            "register" => Command::Register(arg),
            "invite" => Command::Invite(arg),
            "subscriptions" => Command::Subscriptions,
            "stats" => Command::Stats,
            "outbox" => Command::Outbox,
            "forget" => Command::Forget,
            "group" => Command::Group(arg),
            "web" => Command::Web,
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Help => "help",
            Command::Cancel => "cancel",
            Command::Lang(_) => "lang",
            Command::Reload => "reload",
            Command::My => "my",
            Command::Leads => "leads",
            Command::Register(_) => "register",
            Command::Invite(_) => "invite",
            Command::Subscriptions => "subscriptions",
            Command::Stats => "stats",
            Command::Outbox => "outbox",
            Command::Forget => "forget",
            Command::Group(_) => "group",
            Command::Web => "web",
        }
    }

    fn arg(&self) -> Option<&str> {
        match self {
            Command::Lang(a) | Command::Register(a) | Command::Invite(a) | Command::Group(a) => {
                a.as_deref()
            }
            _ => None,
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.arg() {
            Some(arg) => write!(f, "/{} {arg}", self.name()),
            None => write!(f, "/{}", self.name()),
        }
    }
}

/// A result picked by its 1-based rank in the current results, with a check of the patent that held
/// that rank when the button was made: after a new search the rank holds another patent, and an old
/// page's button must not open (or rate, or enquire about) it. Ids made before checks existed have none
/// and are taken at their rank, as they always were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    pub rank: usize,
    pub check: Option<u32>,
}

impl Pick {
    /// The pick of `number` at `rank`.
    pub fn of(rank: usize, number: &str) -> Self {
        Self {
            rank,
            check: Some(check_of(number)),
        }
    }

    /// Whether the patent now at this rank is the one the button was made for.
    pub fn fits(&self, number: &str) -> bool {
        self.check.is_none_or(|c| c == check_of(number))
    }

    fn parse(rank: &str, check: Option<&str>) -> Option<Self> {
        let rank = rank.parse::<usize>().ok().filter(|n| *n > 0)?;
        let check = match check {
            None => None,
            Some(c) if c.len() == 8 => Some(u32::from_str_radix(c, 16).ok()?),
            Some(_) => return None,
        };
        Some(Self { rank, check })
    }
}

impl fmt::Display for Pick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.check {
            Some(c) => write!(f, "{}:{c:08x}", self.rank),
            None => write!(f, "{}", self.rank),
        }
    }
}

/// 32 bits of FNV-1a over a patent number: enough to tell the patents of two searches apart (this is no
/// security check: a chat's results are its own).
fn check_of(number: &str) -> u32 {
    number.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// A button's id: what comes back when it is pressed. Results are picked by rank (see [`Pick`]); ids of
/// enquiries, subscriptions and outbox rows are re-checked against whoever presses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonId {
    /// Skip an optional question.
    Skip,
    Next,
    Prev,
    Refine,
    Restart,
    /// Back from details to the results page.
    Back,
    /// Change the filters (offered with refined results).
    Filters,
    /// Save the need and be told of new matches.
    Subscribe,
    /// Post the need to the board of needs (offered with weak results; asks for consent first).
    Post,
    /// A scripted choice, by its value.
    Choice(String),
    Open(Pick),
    Enquire(Pick),
    TakeOpen(Pick),
    Feedback {
        up: bool,
        pick: Pick,
    },
    /// A pushed patent, opened by its number.
    Patent(String),
    /// Enquire about a patent by its number (from a pushed patent's details, which are no result).
    EnquirePatent(String),
    LeadAccept(i64),
    LeadDecline(i64),
    /// One of the offered decline reasons (1-based).
    LeadReason(i64, u8),
    LeadInfo(i64),
    LeadClose(i64),
    /// The company answers a contact's question.
    Reply(i64),
    /// Text the company typed while a contact's question on enquiry N waited: send it as the answer.
    SendDraft(i64),
    /// ...or it was no answer: go on with it as typed (a new need, a step's answer).
    KeepDraft,
    /// The company's 1-5 rating after the enquiry closed.
    Rate(i64, u8),
    Unsubscribe(i64),
    /// The company withdraws its posted need N from the board.
    Withdraw(i64),
    /// An admin retries a dead letter.
    Retry(i64),
    /// `/forget` confirmed (true) or not.
    Forget(bool),
}

/// Why a button id was not understood (a forged or very old button).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown button id `{0}`")]
pub struct UnknownButton(pub String);

impl FromStr for ButtonId {
    type Err = UnknownButton;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || UnknownButton(s.to_owned());
        let num = |x: &str| x.parse::<i64>().ok().filter(|n| *n > 0);
        let pick = |n: &str, c: Option<&&str>| Pick::parse(n, c.copied()).ok_or_else(bad);
        let parts: Vec<&str> = s.split(':').collect();
        let id = match parts.as_slice() {
            ["skip"] => ButtonId::Skip,
            ["next"] => ButtonId::Next,
            ["prev"] => ButtonId::Prev,
            ["refine"] => ButtonId::Refine,
            ["restart"] => ButtonId::Restart,
            ["back"] => ButtonId::Back,
            ["filters"] => ButtonId::Filters,
            ["subscribe"] => ButtonId::Subscribe,
            ["post"] => ButtonId::Post,
            ["c", ..] if s.len() > 2 => ButtonId::Choice(s[2..].to_owned()),
            ["open", n, c @ ..] if c.len() <= 1 => ButtonId::Open(pick(n, c.first())?),
            ["enquire", n, c @ ..] if c.len() <= 1 => ButtonId::Enquire(pick(n, c.first())?),
            ["take", n, c @ ..] if c.len() <= 1 => ButtonId::TakeOpen(pick(n, c.first())?),
            ["fb", dir @ ("up" | "down"), n, c @ ..] if c.len() <= 1 => ButtonId::Feedback {
                up: *dir == "up",
                pick: pick(n, c.first())?,
            },
            ["patent", n] if !n.is_empty() => ButtonId::Patent((*n).to_owned()),
            ["enquire-patent", n] if !n.is_empty() => ButtonId::EnquirePatent((*n).to_owned()),
            ["lead", "accept", n] => ButtonId::LeadAccept(num(n).ok_or_else(bad)?),
            ["lead", "decline", n] => ButtonId::LeadDecline(num(n).ok_or_else(bad)?),
            ["lead", "decline", n, r] => ButtonId::LeadReason(
                num(n).ok_or_else(bad)?,
                r.parse()
                    .ok()
                    .filter(|r| (1..=2).contains(r))
                    .ok_or_else(bad)?,
            ),
            ["lead", "info", n] => ButtonId::LeadInfo(num(n).ok_or_else(bad)?),
            ["lead", "close", n] => ButtonId::LeadClose(num(n).ok_or_else(bad)?),
            ["reply", n] => ButtonId::Reply(num(n).ok_or_else(bad)?),
            ["draft", "send", n] => ButtonId::SendDraft(num(n).ok_or_else(bad)?),
            ["draft", "keep"] => ButtonId::KeepDraft,
            ["rate", n, r] => ButtonId::Rate(
                num(n).ok_or_else(bad)?,
                r.parse()
                    .ok()
                    .filter(|r| (1..=5).contains(r))
                    .ok_or_else(bad)?,
            ),
            ["unsub", n] => ButtonId::Unsubscribe(num(n).ok_or_else(bad)?),
            ["retry", n] => ButtonId::Retry(num(n).ok_or_else(bad)?),
            ["withdraw", n] => ButtonId::Withdraw(num(n).ok_or_else(bad)?),
            ["forget", "yes"] => ButtonId::Forget(true),
            ["forget", "no"] => ButtonId::Forget(false),
            _ => return Err(bad()),
        };
        Ok(id)
    }
}

impl fmt::Display for ButtonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ButtonId::Skip => write!(f, "skip"),
            ButtonId::Next => write!(f, "next"),
            ButtonId::Prev => write!(f, "prev"),
            ButtonId::Refine => write!(f, "refine"),
            ButtonId::Restart => write!(f, "restart"),
            ButtonId::Back => write!(f, "back"),
            ButtonId::Filters => write!(f, "filters"),
            ButtonId::Subscribe => write!(f, "subscribe"),
            ButtonId::Post => write!(f, "post"),
            ButtonId::Choice(v) => write!(f, "c:{v}"),
            ButtonId::Open(n) => write!(f, "open:{n}"),
            ButtonId::Enquire(n) => write!(f, "enquire:{n}"),
            ButtonId::TakeOpen(n) => write!(f, "take:{n}"),
            ButtonId::Feedback { up, pick } => {
                write!(f, "fb:{}:{pick}", if *up { "up" } else { "down" })
            }
            ButtonId::Patent(n) => write!(f, "patent:{n}"),
            ButtonId::EnquirePatent(n) => write!(f, "enquire-patent:{n}"),
            ButtonId::LeadAccept(n) => write!(f, "lead:accept:{n}"),
            ButtonId::LeadDecline(n) => write!(f, "lead:decline:{n}"),
            ButtonId::LeadReason(n, r) => write!(f, "lead:decline:{n}:{r}"),
            ButtonId::LeadInfo(n) => write!(f, "lead:info:{n}"),
            ButtonId::LeadClose(n) => write!(f, "lead:close:{n}"),
            ButtonId::Reply(n) => write!(f, "reply:{n}"),
            ButtonId::SendDraft(n) => write!(f, "draft:send:{n}"),
            ButtonId::KeepDraft => write!(f, "draft:keep"),
            ButtonId::Rate(n, r) => write!(f, "rate:{n}:{r}"),
            ButtonId::Unsubscribe(n) => write!(f, "unsub:{n}"),
            ButtonId::Retry(n) => write!(f, "retry:{n}"),
            ButtonId::Withdraw(n) => write!(f, "withdraw:{n}"),
            ButtonId::Forget(yes) => write!(f, "forget:{}", if *yes { "yes" } else { "no" }),
        }
    }
}

/// A free-text answer the application (not a script) waits for, stored in the conversation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// A contact types the reason for declining enquiry N.
    DeclineReason(i64),
    /// A contact types a question about enquiry N for the company.
    Question(i64),
    /// The company types its answer to the question on enquiry N.
    Answer(i64),
}

impl FromStr for Pending {
    type Err = UnknownButton;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || UnknownButton(s.to_owned());
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        let id = id.parse::<i64>().map_err(|_| bad())?;
        match kind {
            "decline" => Ok(Pending::DeclineReason(id)),
            "info" => Ok(Pending::Question(id)),
            "answer" => Ok(Pending::Answer(id)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::DeclineReason(n) => write!(f, "decline:{n}"),
            Pending::Question(n) => write!(f, "info:{n}"),
            Pending::Answer(n) => write!(f, "answer:{n}"),
        }
    }
}

/// The actions scripts may run (`action = "name"`), with the outcomes each may have and the
/// placeholders it provides; the script validator reads this list, the application runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Search,
    ClearNeed,
    ClearFilters,
    PrepareEnquiry,
    SubmitEnquiry,
    PrepareDeclaration,
    SubmitDeclaration,
    AcknowledgePrivacy,
    DiscardEnquiry,
    /// Post the need to the board of needs (after the company consented).
    PostNeed,
}

impl Action {
    pub const ALL: &[Action] = &[
        Action::Search,
        Action::ClearNeed,
        Action::ClearFilters,
        Action::PrepareEnquiry,
        Action::SubmitEnquiry,
        Action::PrepareDeclaration,
        Action::SubmitDeclaration,
        Action::AcknowledgePrivacy,
        Action::DiscardEnquiry,
        Action::PostNeed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Search => "search",
            Action::ClearNeed => "clear_need",
            Action::ClearFilters => "clear_filters",
            Action::PrepareEnquiry => "prepare_enquiry",
            Action::SubmitEnquiry => "submit_enquiry",
            Action::PrepareDeclaration => "prepare_declaration",
            Action::SubmitDeclaration => "submit_declaration",
            Action::AcknowledgePrivacy => "acknowledge_privacy",
            Action::DiscardEnquiry => "discard_enquiry",
            Action::PostNeed => "post_need",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    pub fn outcomes(self) -> &'static [&'static str] {
        match self {
            // `weak`: no good match, but the closest results are shown, labelled as weak. `unread`: a
            // need in Latin letters that is no English the dictionary knows and no word of the catalogue
            // ("asdfgh"): nothing to search, and nothing to post on the board.
            Action::Search => &["found", "weak", "no_match", "unread"],
            Action::ClearNeed
            | Action::ClearFilters
            | Action::AcknowledgePrivacy
            | Action::DiscardEnquiry => &["done"],
            // `known`: the company enquired before; its details are offered for reuse.
            Action::PrepareEnquiry | Action::PrepareDeclaration => {
                &["ready", "known", "notice", "duplicate", "capped"]
            }
            Action::SubmitEnquiry | Action::SubmitDeclaration => {
                &["forwarded", "queued", "duplicate", "capped"]
            }
            // `duplicate`: this need is on the board already; `capped`: the chat has too many there.
            Action::PostNeed => &["posted", "duplicate", "capped"],
        }
    }

    /// Placeholders available after the action ran (in its outcome's steps and later ones).
    pub fn provides(self) -> &'static [&'static str] {
        match self {
            // `need` is cut short for headings; `need_full` is what posting to the board would publish.
            Action::Search => &["count", "need", "need_full", "translated", "filters"],
            Action::PostNeed => &["id", "days"],
            Action::PrepareEnquiry => &[
                "title",
                "institution",
                "number",
                "limit",
                "company",
                "person",
                "contact",
            ],
            Action::SubmitEnquiry => &["title", "institution", "number", "limit", "id"],
            Action::PrepareDeclaration => &[
                "title",
                "institution",
                "number",
                "limit",
                "open_terms",
                "company",
                "person",
                "contact",
            ],
            Action::SubmitDeclaration => &[
                "title",
                "institution",
                "number",
                "limit",
                "id",
                "open_terms",
            ],
            _ => &[],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
