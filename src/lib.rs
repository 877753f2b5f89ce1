//! 鹊桥 Queqiao: a chat bot that matches small companies' technology needs with university patents.
//!
//! # Layout
//! - [`config`]: settings from flags, the environment and `.env` (each variable is also a flag, parsed by
//!   clap); the only place that knows variable names.
//! - [`telemetry`]: the tracing subscriber (text or JSON, filtered by `RUST_LOG`).
//! - [`db`]: connecting to PostgreSQL, creating the database when missing, running migrations.
//! - [`catalog`]: the patent catalogue: interchange format, validated streaming import, reading back.
//! - [`matching`]: explainable text similarity between needs and patents, over an in-memory index.
//! - [`app`]: the application layer: typed routes (commands, buttons, actions, pending answers), the
//!   router of every message, what screens show, background tasks under one shutdown.
//! - [`dialog`]: admin-editable dialog scripts (a folder, or the default set compiled in), the pure
//!   conversation engine and conversation state.
//! - [`metrics`]: counters and a latency histogram, rendered for Prometheus.
//! - [`inbox`]: updates as received, stored before they are acknowledged, handled one chat at a time.
//! - [`outbox`]: messages waiting for delivery, written with the change that caused them.
//! - [`enquiry`]: consented enquiries, their delivery to institutions' contacts, and the answers.
//! - [`board`]: the board of needs: needs nothing matched, posted with consent, answered by contacts.
//! - [`operators`]: statistics, saved needs with pushes, the audit log, personal-data rights.
//! - [`channel`]: thin adapters (console, Telegram) between a medium and the application.
//! - [`web`]: the web console under `/web/` (sign-in links, sessions, a contact's leads, the admins'
//!   pages and dialog script editor).
//! - [`cli`]: the `queqiao` command line: argument definitions and what each command does.

pub mod app;
pub mod board;
pub mod catalog;
pub mod channel;
pub mod cli;
pub mod config;
pub mod db;
pub mod dialog;
pub mod enquiry;
pub mod inbox;
pub mod matching;
pub mod metrics;
pub mod operators;
pub mod outbox;
pub mod telemetry;
pub mod web;
