//! Dialogs: admin-editable scripts (TOML in `dialogs/`), the pure conversation engine that runs them, the
//! runtime that connects it to the matcher and the catalogue, and conversation state in PostgreSQL.
//!
//! - [`script`]: the script format, loading and validation (`FILE:LINE: problem`).
//! - [`engine`]: (state, event) → (state, effects); knows no channel.
//! - [`runtime`]: actions, persistence, hot reload; used by every channel.
//! - [`store`]: conversation rows.

pub mod engine;
pub mod runtime;
pub mod script;
pub mod store;

pub use engine::{Engine, Event, State};
pub use runtime::{Incoming, Reply, Runtime};
pub use script::{ScriptError, ScriptSet};
