//! Channels: thin adapters that turn a medium's input into dialog runtime messages and its replies into
//! that medium's output. All conversation logic lives in the application layer and the dialogs.
//!
//! - [`console`]: `queqiao chat`, the same dialogs in a terminal (or driven line by line through stdin).
//! - [`telegram`]: a durable inbox (long polling or webhook), per-chat ordered workers, outbox senders.
//! - [`throttle`]: send-side rate limits.
//! - [`quarantine`]: storable text, and bounded tries before a poison update is parked.
//! - [`http`]: /healthz, /readyz, /metrics and the webhook endpoint.

pub mod console;
pub mod http;
pub mod quarantine;
pub mod telegram;
pub mod throttle;
