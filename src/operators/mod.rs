//! What operators and returning companies get beyond one conversation: anonymous usage statistics
//! ([`analytics`]), saved needs pushed new matching patents ([`subscriptions`]), the audit log of admin
//! actions ([`audit`]), personal-data rights ([`privacy`]) and thumbs on results as votes ([`votes`]);
//! [`commands`] is what users type and press for them.

pub mod analytics;
pub mod audit;
pub mod commands;
pub mod privacy;
pub mod subscriptions;
pub mod votes;
