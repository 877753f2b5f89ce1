//! What operators watch beyond the counters: the backlog (updates waiting to be handled and parked,
//! messages waiting to be sent and dead, enquiries waiting for a contact, each with the age of its
//! oldest), the index (size, build time) and which build is running. Read from the database at scrape
//! time, so every process reports the same shared queues.

use crate::matching::live::IndexStats;
use crate::metrics::Gauge;
use sqlx::PgPool;

/// The gauges `/metrics` adds to the counters; `index` is `None` until the index is built.
pub async fn gauges(pool: &PgPool, index: Option<IndexStats>) -> Result<Vec<Gauge>, sqlx::Error> {
    let updates = crate::inbox::backlog(pool).await?;
    let messages = crate::outbox::backlog(pool).await?;
    let (waiting, oldest_waiting) = crate::enquiry::store::waiting_for_contacts(pool).await?;
    let mut gauges = vec![
        Gauge::new(
            "queqiao_updates_pending",
            "Updates stored and not yet handled.",
            updates.pending as f64,
        ),
        Gauge::new(
            "queqiao_updates_oldest_pending_seconds",
            "Age of the oldest update not yet handled; 0 when none.",
            updates.oldest_pending_secs,
        ),
        Gauge::new(
            "queqiao_updates_parked",
            "Updates parked because they could not be stored or handled (see /outbox).",
            updates.parked as f64,
        ),
        Gauge::new(
            "queqiao_messages_pending",
            "Messages waiting to be sent.",
            messages.pending as f64,
        ),
        Gauge::new(
            "queqiao_messages_oldest_pending_seconds",
            "Age of the oldest message waiting to be sent; 0 when none.",
            messages.oldest_pending_secs,
        ),
        Gauge::new(
            "queqiao_messages_dead",
            "Messages given up on (see /outbox to retry).",
            messages.dead as f64,
        ),
        Gauge::new(
            "queqiao_enquiries_waiting_for_contact",
            "Enquiries submitted, forwarded or delivered and not yet answered by the institution.",
            waiting as f64,
        ),
        Gauge::new(
            "queqiao_enquiries_oldest_waiting_seconds",
            "How long the longest-waiting enquiry has waited for its contact; 0 when none.",
            oldest_waiting,
        ),
        build_info(),
    ];
    if let Some(index) = index {
        gauges.extend([
            Gauge::new(
                "queqiao_index_patents",
                "Patents in the search index.",
                index.patents as f64,
            ),
            Gauge::new(
                "queqiao_index_bytes",
                "Heap bytes the search index takes.",
                index.memory_bytes as f64,
            ),
            Gauge::new(
                "queqiao_index_build_seconds",
                "How long the last whole build of the search index took.",
                index.build_seconds,
            ),
        ]);
    }
    Ok(gauges)
}

/// `queqiao_build_info{version="…",profile="…"} 1`, the usual way to show which build runs.
fn build_info() -> Gauge {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    Gauge {
        labels: format!(
            "version=\"{}\",profile=\"{profile}\"",
            env!("CARGO_PKG_VERSION")
        ),
        ..Gauge::new("queqiao_build_info", "The running build.", 1.0)
    }
}
