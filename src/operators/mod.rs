//! What operators and returning companies get beyond one conversation: anonymous usage statistics
//! ([`analytics`]), the backlog operators watch in `/metrics` ([`backlog`]), saved needs pushed new
//! matching patents ([`subscriptions`]), the audit log of admin actions ([`audit`]), personal-data rights
//! ([`privacy`]), how long data is kept ([`retention`]), thumbs on results as votes ([`votes`]) and
//! figures per week and per patent for the console's charts ([`series`]);
//! [`commands`] is what users type and press for them.

pub mod analytics;
pub mod audit;
pub mod backlog;
pub mod commands;
pub mod privacy;
pub mod retention;
pub mod series;
pub mod subscriptions;
pub mod votes;
