//! The board of needs: a need that found no good match may be posted, anonymously and with the
//! company's consent, for institutions' tech-transfer contacts to answer with one of their patents
//! (IN-PART's "challenges", the 技术需求 boards). Contacts see the need's words and industries only; the
//! company hears of each answer in its chat, with buttons to open the patent and enquire about it.
//! A need stays [`DAYS`] days; the company withdraws it with `/my`, `/forget` deletes it.
//!
//! # Layout
//! - [`store`]: the `board_needs` and `board_answers` tables.
//! - [`chat`]: the company's side in the conversation: the scripts' `post_need` action, its needs in
//!   `/my` with a withdraw button each, and the message that tells it of an answer.
//!
//! Contacts answer on the web console (`web::board`) through `App::answer_need`.

pub mod chat;
pub mod store;

/// How long a posted need stays on the board.
pub const DAYS: u32 = 90;
/// Most characters of an institution's offer beside its patent.
pub const MAX_OFFER_CHARS: usize = 500;
