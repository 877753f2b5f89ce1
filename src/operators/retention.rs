//! Retention (PIPL and disk): what is deleted after how long. Handled and parked updates, delivered
//! messages' records,
//! anonymous usage events and audit entries older than their configured age go; whatever is still needed
//! never does: pending updates and messages, dead letters (they wait for an admin), enquiries and their
//! history (kept for as long as the enquiry exists). Each DELETE lives in its table's owning module; this
//! says which, with what age, and reports. `serve` runs it once a day, `queqiao prune` on demand.

use crate::config::Retention;
use sqlx::PgPool;

/// What one table lost (or, in a dry run, would lose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub table: &'static str,
    /// What its rows are, in words.
    pub what: &'static str,
    pub days: u32,
    pub rows: u64,
}

impl Pruned {
    /// One line for operators: `telegram_updates: 12 handled updates older than 30 days deleted`.
    pub fn line(&self, dry_run: bool) -> String {
        format!(
            "{}: {} {} older than {} days {}",
            self.table,
            self.rows,
            self.what,
            self.days,
            if dry_run {
                "would be deleted (dry run)"
            } else {
                "deleted"
            }
        )
    }
}

/// Prunes every table by its retention (or only counts, for a dry run), one table after another.
pub async fn prune(
    pool: &PgPool,
    retention: &Retention,
    dry_run: bool,
) -> Result<Vec<Pruned>, sqlx::Error> {
    let r = retention;
    let updates = crate::inbox::prune_handled(pool, r.retain_updates_days, dry_run).await?;
    let parked = crate::inbox::prune_parked(pool, r.retain_updates_days, dry_run).await?;
    let sent = crate::outbox::prune_delivered(pool, r.retain_sent_days, dry_run).await?;
    let events = super::analytics::prune(pool, r.retain_events_days, dry_run).await?;
    let audit = super::audit::prune(pool, r.retain_audit_days, dry_run).await?;
    let board = crate::board::store::prune(pool, dry_run).await?;
    Ok(vec![
        Pruned {
            table: "telegram_updates",
            what: "handled updates",
            days: r.retain_updates_days,
            rows: updates,
        },
        Pruned {
            table: "parked_updates",
            what: "parked updates",
            days: r.retain_updates_days,
            rows: parked,
        },
        Pruned {
            table: "outbox",
            what: "delivered messages",
            days: r.retain_sent_days,
            rows: sent,
        },
        Pruned {
            table: "usage_events",
            what: "usage events",
            days: r.retain_events_days,
            rows: events,
        },
        Pruned {
            table: "audit_log",
            what: "audit entries",
            days: r.retain_audit_days,
            rows: audit,
        },
        Pruned {
            table: "board_needs",
            what: "expired or withdrawn posted needs",
            days: crate::board::DAYS,
            rows: board,
        },
    ])
}
