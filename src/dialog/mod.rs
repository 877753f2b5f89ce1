//! Dialogs: admin-editable scripts (TOML in `dialogs/`), the pure conversation engine that runs them,
//! and conversation state in PostgreSQL. What runs actions and routes messages is the application layer (`app`).
//!
//! - [`script`]: the script format, loading and validation (`FILE:LINE: problem`).
//!   In `script/`: `keys` (the engine's own text keys and their placeholders), `check` (problems
//!   with file and line; the checks every text gets), `steps` (one dialog file's steps checked and built),
//!   `load` (a whole set from a folder).
//! - [`engine`]: (state, event) → (state, effects); knows no channel. What typed text means at each
//!   step is in `typed`; amounts of money as people type them in [`amount`].
//! - `state`: a conversation's state (slots, results, what is awaited), re-exported by [`engine`].
//! - [`source`]: where the scripts come from: a folder, or the default set compiled into the binary.
//! - [`store`]: conversation rows.
//! - [`web_texts`]: the web console's texts (`web.toml`), checked like the rest.

pub mod amount;
pub mod engine;
mod flow;
mod results;
pub mod script;
pub mod source;
mod state;
pub mod store;
pub mod typed;
pub mod web_texts;

pub use engine::{Engine, Event, State};
pub use script::{ScriptError, ScriptSet};
pub use source::DialogSource;
